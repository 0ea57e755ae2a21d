"""The boilerplate step's fast path against its slow reference (every rule on every line, no
derived gate), and the word list it hands to the document."""
from __future__ import annotations

import gzip
import json
import re
import tomllib
from pathlib import Path

import pytest

from pipeline import boilerplate
from pipeline.boilerplate import strip_boilerplate, strip_boilerplate_reference
from pipeline.boilerplate_gates import factor_gate, probes
from pipeline.core import clean_text

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
CATALOG = tomllib.loads((REPO / "pipeline" / "rules" / "boilerplate.toml").read_text("utf-8"))
PAGES = SHARED / "realdev" / "boilerplate" / "pages.jsonl.gz"


def same(text: str) -> None:
    fast, ref = strip_boilerplate(text), strip_boilerplate_reference(text)
    assert (fast.text, fast.removed, fast.share, fast.heavy) == (ref.text, ref.removed, ref.share, ref.heavy)
    assert fast.words == fast.text.split()


def catalog_texts():
    p = "The minister said the talks would resume next week in Geneva."
    for entry in CATALOG["rule"]:
        ex = entry["example"]
        yield f"{p}\n\n{ex}\n\n{p}"
        yield f"{p}\n\n{ex}"
        yield f"• {ex}\n\n{p}"
        # the example with its words cut, doubled, its case changed: lookalikes of every rule
        yield f"{p}\n\n{ex.lower()}\n\n{ex.upper()}\n\n{ex} {ex}\n\n{ex[: len(ex) // 2]}"


@pytest.mark.parametrize("text", list(catalog_texts()))
def test_fast_equals_reference_on_catalog_examples_and_lookalikes(text):
    same(text)


def test_fast_equals_reference_on_the_sample_drop():
    for path in sorted((REPO / "raw" / "sample-2020-01-09").glob("*.txt")):
        same(path.read_text("utf-8"))


@pytest.mark.needs_shared
def test_fast_equals_reference_on_the_dev_pages():
    if not PAGES.exists():
        pytest.skip("shared dev pages not available")
    with gzip.open(PAGES, "rt", encoding="utf-8") as fh:
        pages = [json.loads(line) for line in fh]
    for page in pages:
        same(page["text"])


def test_document_words_come_from_the_lines_kept():
    text = ("A headline\n\nThe minister said the talks would resume.\n\n• first item\n– second item"
            "\n\nLeave a Reply\n\nYour email address will not be published.")
    doc = clean_text(text)
    assert doc.words() == doc.text.split()
    assert "-" in doc.words()  # the bullets, normalised


def test_probes_are_implied_by_their_strings():
    for rule in boilerplate._RULES:
        for strings, ps in ((rule.factors, rule.factor_probes), (rule.needs, rule.need_probes)):
            for s in strings or ():
                assert any(p in s for p in ps), (rule.id, s, ps)


def test_factor_gate_continues_a_literal_run_into_an_alternation():
    # re parses "All rights|ALL RIGHTS" as "A" then a branch: the gate keeps the whole words
    gate = factor_gate(re.compile("All [Rr]ights|ALL RIGHTS"))
    assert gate is not None and all(len(s) > 1 for s in gate)
    assert probes(["t.co/", "pic.twitter.com/", "(@"]) == ("/", "@")


def test_feature_regexes_find_what_their_plain_forms_find():
    import random

    from pipeline import boilerplate_model as m

    plain = {m._GLUE: re.compile(r"[a-z][A-Z][a-z]"), m._SEPARATORS: re.compile(r"\|| · |•|»|›| / | - ")}
    rng = random.Random(0)
    atoms = ["a", "B", "c", "1", "12", ":", " ", "·", "/", "-", "|", "á", "_", "»", "›", "•", "Ab", "bC"]
    for _ in range(50000):
        s = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 8)))
        for fast, slow in plain.items():
            assert bool(fast.search(s)) == bool(slow.search(s)), s
        assert len(m._DIGIT.findall(s)) == sum(map(s.count, "0123456789"))
