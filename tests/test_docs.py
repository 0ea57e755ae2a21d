"""The analyst examples in docs/schema.md run, against a real run's output, and find the data."""
import re

import pytest

from conftest import REPO, SAMPLE_DROP

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory, prefect_server):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.clean_drop import clean_drop

    out = tmp_path_factory.mktemp("docs") / "clean"
    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        clean_drop(drop=str(SAMPLE_DROP), out=str(out))
    (out / "_README.md").write_text("readers must skip this file")
    return out


def blocks():
    text = (REPO / "docs" / "schema.md").read_text()
    return re.findall(r"### (\w+)\n\n```python\n(.*?)```", text, re.S)


@pytest.mark.parametrize("name,code", blocks(), ids=[b[0] for b in blocks()])
def test_schema_doc_example_runs(name, code, clean_dir):
    ns: dict = {}
    exec(code.replace('CLEAN = "clean"', f'CLEAN = {str(clean_dir)!r}'), ns)
    if name == "DuckDB":
        assert len(ns["rows"]) == 5
        assert dict((r, n) for r, n, _ in ns["repaired"])["entity_comma_quot"] == 8
        assert any(rule == "lowercase_sentence_start" and flagged == "attacks. a"
                   for _, rule, flagged in ns["flags"])
    elif name == "Polars":
        assert ns["english"].height == 5 and ns["with_repairs"].height >= 1
        assert "Leave A Reply" in ns["removed"]["text"].to_list()
    elif name == "pandas":
        assert len(ns["df"]) == 5 and len(ns["english"]) == 5
        assert ns["repairs_by_rule"]["entity_comma_quot"] == 1
        assert len(ns["suspects"]) == 1
