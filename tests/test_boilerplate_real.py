"""Boilerplate on the real dev pages (../shared/realdev/boilerplate): what a user of a text drop
of scraped pages relies on, beyond the synthetic cases of test_boilerplate.py."""
from __future__ import annotations

import gzip
import json
import re
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from pipeline.boilerplate import REPEATED, prose_words, strip_boilerplate
from pipeline.furniture import from_texts
from pipeline.boilerplate_model import FEATURES, load_model

PAGES = Path(__file__).resolve().parents[2] / "shared" / "realdev" / "boilerplate" / "pages.jsonl.gz"
TOKEN = re.compile(r"\w+")

pytestmark = pytest.mark.needs_shared


@pytest.fixture(scope="module")
def pages():
    if not PAGES.exists():
        pytest.skip("shared dev pages not available")
    with gzip.open(PAGES, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def tokens(text: str) -> Counter:
    return Counter(TOKEN.findall(text))


def test_shipped_model_matches_the_features():
    model = load_model()  # raises when the features changed without a refit
    assert model is not None and 0 < model.threshold < 1
    spec = json.loads((Path(__file__).resolve().parents[1] / "pipeline" / "rules" / "boilerplate_model.json").read_text())
    assert spec["features"] == FEATURES and spec["cross_validation"]["held_out"]


def test_no_page_text_is_emptied(pages):
    from pipeline.core import clean_text

    assert [p["id"] for p in pages if not clean_text(p["text"]).text.strip()] == []


def test_hard_wrapped_articles_lose_nothing_more_than_unwrapped(pages):
    # the truth bodies wrapped at 70 characters (wire style): what the step takes from them is
    # what it takes from the same bodies unwrapped: no wrapped sentence fragment is taken for a
    # prompt or a label. (Tweets aside: rejoined, a tweet's wrapped text goes whole with its link.)
    def taken(res):
        return tokens("\n".join(line for rule, line in res.removed if rule != "embedded_tweet"))

    worse = []
    for p in pages:
        paras = [q for q in p["truth"].split("\n\n") if q.strip()]
        # every line of the body wrapped on its own (a tweet's lines stay lines)
        wrapped = "\n\n".join("\n".join(w for ln in q.split("\n") for w in textwrap.wrap(ln, 70))
                                for q in paras)
        extra = taken(strip_boilerplate(wrapped)) - taken(strip_boilerplate("\n\n".join(paras)))
        if extra:
            worse.append((p["id"], extra))
    assert worse == []


def _site_furniture(page: dict) -> tuple[list[str], list[str]]:
    """A page's own header and footer: its lines before the first and after the last line of
    the article body."""
    body = set(" ".join(q.split()) for q in page["truth"].split("\n\n"))
    lines = [ln.strip() for ln in page["text"].split("\n") if ln.strip()]
    hits = [i for i, ln in enumerate(lines) if " ".join(ln.split()) in body]
    return lines[:hits[0]], lines[hits[-1] + 1:]


def test_drop_lines_on_a_synthetic_site_drop(pages):
    # one site's header and footer around twelve other sites' articles, as a drop of one site
    # gives them: the pre-pass takes the repeated furniture and no article token. This site's
    # furniture holds 385 words of prose (sign-in and cookie notices): a page whose article has
    # less prose than that looks like a copy of a story (boilerplate.COPY_SHARE), so it loses
    # the recurring menus and labels and keeps the recurring prose.
    site = max(pages[:40], key=lambda p: sum(map(len, _site_furniture(p))))
    head, foot = _site_furniture(site)
    others = [p for p in pages if p is not site][:12]
    docs = ["\n\n".join(head + [p["truth"]] + foot) for p in others]
    drop = from_texts(docs, min_docs=5)
    furniture = set(head + foot)
    furniture_prose = sum(map(prose_words, furniture))
    whole = 0
    for text, p in zip(docs, others):
        res = strip_boilerplate(text, model=None, drop_lines=drop)
        taken = [line for rule, line in res.removed if rule == REPEATED]
        assert taken and set(taken) <= furniture
        assert not tokens(p["truth"]) - tokens(res.text) - tokens("\n".join(line for _, line in res.removed if _ != REPEATED))
        left = [ln for ln in res.text.split("\n\n") if ln in furniture]
        if sum(map(prose_words, p["truth"].split("\n\n"))) > furniture_prose:
            assert len(left) <= 0.1 * len(furniture)
            whole += 1
        else:  # what stays is the recurring prose (and symbols: units without a word character)
            assert all(prose_words(ln) or not re.search(r"\w", ln) for ln in left)
    assert whole >= 6
