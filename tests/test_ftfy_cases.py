"""Peer suite: ftfy 6.3.1's real-world cases (tests/test_cases.json from its sdist).

Fetch them first with `python scripts/fetch_ftfy_cases.py`. For every case ftfy marks "pass",
repair_text(original) must equal ftfy's "fixed" output up to these folds, each a deliberate
difference documented in docs/repair.md:
  1. quote style: we keep curly quotes (uncurl_quotes=False), so both sides are uncurled;
  2. character width: we keep fullwidth forms (fix_character_width=False, CJK punctuation),
     so both sides get ftfy's fix_character_width;
  3. whitespace: our whitespace rules are applied to the expected text too.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftfy.fixes import fix_character_width, uncurl_quotes

from pipeline.repair import _whitespace_only, repair_text, repair_text_reference

CASES_PATH = Path(__file__).resolve().parents[1] / ".cache" / "ftfy-6.3.1" / "test_cases.json"
MISSING = (f"{CASES_PATH} is missing: run `python scripts/fetch_ftfy_cases.py` "
           "(downloads ftfy 6.3.1's sdist from PyPI and extracts its test cases)")


def _load() -> list[dict] | None:
    if not CASES_PATH.exists():
        return None
    return json.loads(CASES_PATH.read_text("utf-8"))


CASES = _load()
PASSING = [c for c in CASES if c["expect"] == "pass"] if CASES is not None else [None]
ALL = CASES if CASES is not None else [None]


def _id(case) -> str:
    return "missing-cases-file" if case is None else case["label"]


def _fold(text: str) -> str:
    return uncurl_quotes(fix_character_width(text))


def test_cases_file_format():
    if CASES is None:
        pytest.fail(MISSING)
    assert len(CASES) == 161
    assert sum(c["expect"] == "pass" for c in CASES) == 151
    for c in CASES:
        assert {"label", "original", "fixed", "expect"} <= c.keys()


@pytest.mark.parametrize("case", PASSING, ids=_id)
def test_ftfy_case(case):
    if case is None:
        pytest.fail(MISSING)
    got = repair_text(case["original"]).text
    expected = _whitespace_only(case["fixed"])
    assert _fold(got) == _fold(expected)


@pytest.mark.parametrize("case", ALL, ids=_id)
def test_ftfy_case_fast_equals_reference(case):
    if case is None:
        pytest.fail(MISSING)
    assert repair_text(case["original"]).text == repair_text_reference(case["original"]).text
