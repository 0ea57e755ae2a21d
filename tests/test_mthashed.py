"""The hashed n-gram MT model and the modes that use it (`--mt-model strong`, and `cascade`, the
default): features, model file, and each mode through the pipeline (seeds, threshold, evidence,
refused values)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline import core, mthashed, mtmodel
from pipeline.mtflags import DEFAULT_THRESHOLD, STRONG_FROM, flag_mt

RAW = Path(__file__).resolve().parents[1] / "raw" / "sample-2020-01-09"
NEWS = ("The committee met again on Tuesday and agreed to publish its findings later this month, "
        "a spokesman said. Members had asked for more time to study the evidence. ") * 4


def test_features_are_unit_length_and_the_same_in_every_process():
    u, v = mthashed.vector(NEWS.split(), 18)
    assert len(u) == len(v) > 50 and (np.diff(u) > 0).all()  # sorted, each slot once
    assert u.min() >= 0 and u.max() < 1 << 18
    assert float(v @ v) == pytest.approx(1.0)
    u2, _ = mthashed.vector(["ab"], 18)
    assert len(u2) == 2  # the character bigram "ab" and the word "ab"
    # a fixed hash (not Python's salted hash()): the slots of the probe text are those the
    # training script stored in the shipped file, so the weights are read for the features
    # they were fitted on, in every process
    m = mthashed.model()
    probe = m.meta["probe"]
    assert probe["text"] == mthashed.PROBE
    assert [int(x) for x in mthashed.vector(probe["text"].split(), m.bits)[0]] == probe["slots"]


def test_spacing_typography_and_words_past_the_limit_do_not_change_features():
    curly = "He said \u201cit\u2019s over\u201d \u2013 and left."
    straight = 'He said "it\'s over" - and left.'
    for a, b in [(curly.split(), straight.split()), ("a  b\n\nc".split(), "a b c".split())]:
        ua, va = mthashed.vector(a, 18)
        ub, vb = mthashed.vector(b, 18)
        assert list(ua) == list(ub) and np.allclose(va, vb)
    head = NEWS.split() * 10
    assert len(head) > mthashed.MAX_WORDS
    ua, va = mthashed.vector(head, 18)
    ub, vb = mthashed.vector(head[: mthashed.MAX_WORDS] + ["zzz", "qqq"], 18)
    assert list(ua) == list(ub) and np.allclose(va, vb)
    assert len(mthashed.vector([], 18)[0]) == 0


def test_model_file_loads_with_its_calibration_and_operating_point():
    m = mthashed.model()
    assert m is mthashed.model()
    assert len(m.weights) == 1 << m.bits and np.isfinite(m.weights).all()
    assert len(m.calib_coef) == len(mthashed.calibration_features(0.0, 0.0, 10, 0.0))
    assert 0.5 <= m.threshold < 1 and f"threshold {m.threshold:.2f}" in m.version
    # the cascade's operating point was chosen for the strong_from that mt.toml sets
    assert 0.5 <= m.cascade_threshold < 1 and m.strong_from == STRONG_FROM
    assert m.meta["max_words"] == mthashed.MAX_WORDS
    assert tuple(m.meta["char_n"]) == mthashed.CHAR_N and tuple(m.meta["word_n"]) == mthashed.WORD_N


def test_strong_mode_scores_with_both_models_and_its_own_threshold():
    res = flag_mt(NEWS, lang="en", model="strong")
    assert 0.0 < res.score < 1.0
    assert res.suspect == (res.score >= mthashed.model().threshold)
    assert res.score != flag_mt(NEWS, lang="en", model="words").score
    assert flag_mt(NEWS, lang="en", model="strong", threshold=0.0).suspect
    assert not flag_mt(NEWS, lang="en", model="strong", threshold=1.01).suspect
    # a suspect document still says why: the word model's strongest n-grams, with spans
    sus = flag_mt(NEWS, lang="en", model="strong", threshold=0.0)
    assert [f for f in sus.flags if f.rule == "model_ngram"]
    # text tagged another language keeps the rules score in every mode
    es = "El gobierno anunció el martes un nuevo paquete de medidas económicas."
    assert flag_mt(es, lang="es", model="strong").score == flag_mt(es, lang="es").score == 0.0
    with pytest.raises(ValueError, match="unknown MT model 'fast'"):
        flag_mt(NEWS, lang="en", model="fast")


def _seed(i: int) -> str:
    return next(RAW.glob(f"{i:03d}_*.txt")).read_text(encoding="utf-8")


@pytest.mark.parametrize("mode", ["words", "cascade", "strong"])
def test_seeds_through_the_pipeline_in_each_mode(mode):
    """The seed calibration holds in every mode: 000 (Spanish MT) suspect, 001-004 not."""
    config = core.Config(mt_model=mode)
    assert config.mt_threshold is None  # each mode's own operating point
    expected = {"words": DEFAULT_THRESHOLD, "strong": mthashed.model().threshold,
                "cascade": mthashed.model().cascade_threshold}[mode]
    for i in range(5):
        doc = core.clean_text(_seed(i), config)
        assert doc["mt_suspect"] == (i == 0), (i, doc["mt_score"])
        assert doc["mt_suspect"] == (doc["mt_score"] >= expected)
    assert core.clean_text(_seed(0), core.Config(mt_model=mode, mt_threshold=0.99))["mt_suspect"] is False


def _word_probability(doc) -> float:
    m = mtmodel.model()
    return m.probability(m.margin(mtmodel.words_of(doc.text, doc.words())), len(doc.words()), _density(doc))


def test_a_words_run_does_not_load_the_strong_model(monkeypatch):
    def boom():
        raise AssertionError("the strong model was loaded in words mode")

    monkeypatch.setattr(mthashed, "model", boom)
    doc = core.clean_text(_seed(0), core.Config(mt_model="words"))
    assert doc["mt_suspect"] is True
    assert doc["mt_score"] == pytest.approx(_word_probability(doc))


def test_the_default_cascade_runs_the_second_model_only_from_strong_from(monkeypatch):
    assert core.Config().mt_model == "cascade"
    calls = []
    real = mthashed.Model.margin

    def counting(self, words):
        calls.append(len(words))
        return real(self, words)

    monkeypatch.setattr(mthashed.Model, "margin", counting)
    reached = 0
    for i in range(5):
        before = len(calls)
        doc = core.clean_text(_seed(i))
        p_words = _word_probability(doc)
        if p_words >= STRONG_FROM:
            reached += 1
            assert doc["mt_score"] == pytest.approx(
                core.clean_text(_seed(i), core.Config(mt_model="strong"))["mt_score"])
        else:
            assert doc["mt_score"] == pytest.approx(p_words)
        assert len(calls) - before == (2 if p_words >= STRONG_FROM else 0)  # cascade + strong run
    # seed 000 (word probability ~0.78) reaches the second model; 001, 002, 004 (0.21-0.28) do not
    assert 1 <= reached <= 2


def _density(doc) -> float:
    from pipeline.mtflags import rule_flags

    return rule_flags(doc.text, lang=doc["lang"], entity_spans=doc.spans, words=doc.words())[1]


def test_a_config_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match="option mt_model must be 'words', 'cascade' or 'strong', got 'fast'"):
        core.Config.from_dict({"mt_model": "fast"})
