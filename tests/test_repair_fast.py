"""The repair step's fast ftfy pass: the same text and the same explanation as ftfy's
fix_and_explain, hence the same repairs, on every kind of damage ftfy fixes."""
from __future__ import annotations

import random

import ftfy
import pytest
from ftfy.chardata import CHARMAP_ENCODINGS

from pipeline import repair, repair_fast
from pipeline.repair import repair_text, repair_text_reference


def _samples() -> list[str]:
    words = ["café", "naïve", "don’t", "“quoted”", "€5", "£10", "São Paulo", "Москва", "Αθήνα",
             "東京", "🙂 ok", "à la", "Gàidhlig", "fiancée", "—dash–", "…", "ﬁne", "ﬂuﬃeﬆ",
             "e\u0301", "l’été", "x\u00a0y", "\x81", "\x80 euro", "\x9d", "\ud83d\ude42",
             "\udc00 alone", "ﬁ\x85"]
    out = []
    for w in words:
        for enc in CHARMAP_ENCODINGS:
            m = w.encode("utf-8", "surrogatepass").decode(enc, errors="replace")
            for v in {w, m, m.replace("\xa0", " "), m[:-1] + "?", m.replace("\u20ac", "\ufffd")}:
                out += [v, f"He said {v} today", f"x{v}y ?", f"{w} {v}"]
    rng = random.Random(11)
    out += [" ".join(rng.choice(out) for _ in range(3)) for _ in range(800)]
    return out


SAMPLES = _samples()


def test_the_fast_ftfy_pass_applies_to_the_repair_config():
    assert repair_fast._replica_applies(repair.FTFY_CONFIG)


def test_fast_ftfy_pass_equals_fix_and_explain():
    for s in SAMPLES:
        text, plan = repair_fast._fix_and_explain(s, repair.FTFY_CONFIG)
        ref_text, ref_plan = ftfy.fix_and_explain(s, repair.FTFY_CONFIG)
        assert (text, list(plan)) == (ref_text, list(ref_plan)), repr(s)


@pytest.mark.parametrize("start", range(0, len(SAMPLES), 400))
def test_repairs_equal_the_reference(start):
    for s in SAMPLES[start:start + 400]:
        fast, ref = repair_text(s), repair_text_reference(s)
        assert (fast.text, fast.repairs, fast.spans, fast.markup) == (
            ref.text, ref.repairs, ref.spans, ref.markup), repr(s)


def test_another_config_is_left_to_ftfy():
    config = repair.FTFY_CONFIG._replace(uncurl_quotes=True)
    assert not repair_fast._replica_applies(config)
    gates = repair._FAST
    assert gates.fix_and_explain("“x” Ã©", config) == ftfy.fix_and_explain("“x” Ã©", config)


def test_line_rule_gates_equal_their_plain_tests():
    rng = random.Random(5)
    atoms = ["a", "b", " ", "  ", "\n", "\n\n", "\n\n\n", "\t", "é", "x y"]
    for _ in range(20000):
        t = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 10)))
        plain = ("\t" in t, " \n" in t or t.endswith(" "), "\n " in t or t.startswith(" "),
                 "  " in t, "\n\n\n" in t)
        assert repair._FAST.line_rules(t) == plain, repr(t)
