"""The language step's fast path: profiles built on demand equal langdetect's table, and the
short-text rule is skipped only when the sample proves the text long enough."""
from __future__ import annotations

import random

from pipeline import language
from pipeline.language import LangResult, detect_language


def test_profiles_on_demand_equal_the_stock_table():
    stock = language._factory()
    lazy = language._profiles()
    assert lazy.langlist == stock.langlist and lazy.seed == stock.seed
    for word, row in stock.word_lang_prob_map.items():
        assert word in lazy and lazy.get(word) == row
    assert "no such n-gram" not in lazy and lazy.get("no such n-gram") is None


def _in_rule_order(text: str) -> LangResult:
    """detect_language as its docstring orders the rules: short text, English pass, langdetect."""
    if language._too_short(text):
        return LangResult("und", 0.0)
    sample = language._sample(text)
    if language._obviously_english(sample):
        return LangResult("en", language.EN_SETTLED_PROB)
    return language._run(language.FastDetector(language._profiles()), sample)


def test_short_text_rule_unchanged_around_its_thresholds():
    rng = random.Random(0)
    pieces = ["a", "ab", "the", "of", "1", "2004", "don't", "é", "ß", "--", ".", "Über", "日本", "x1y"]
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        assert detect_language(text) == _in_rule_order(text), text
