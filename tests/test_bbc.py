"""The whole pipeline on the 1,824 clean BBC articles: no false positives (needs ../shared)."""
import sys

import pytest

from conftest import BBC, REPO

pytestmark = pytest.mark.needs_shared


def test_bbc_end_to_end_has_no_false_positives():
    sys.path.insert(0, str(REPO / "scripts"))
    from report_bbc import TRUE_REPAIRS, analyse

    from pipeline.refcorpus import load_articles

    rows = analyse(load_articles(BBC))
    assert len(rows) == 1824
    assert [r["path"] for r in rows if not r["title_ok"]] == []
    assert [(r["path"], r["removed"]) for r in rows if r["removed"]] == []
    changed = [r for r in rows if r["changed"]]
    assert all(r["content_rules"] and set(r["content_rules"]) <= TRUE_REPAIRS for r in changed), changed
    assert len(changed) <= 16  # the articles holding real &#NNN; entities
    assert sum(r["suspect"] for r in rows) <= 18  # at most 1%
    assert {r["lang"] for r in rows} == {"en"}
