"""The shipped MT model in model mode (what the pipeline runs): score, threshold, evidence spans."""
from __future__ import annotations

import pytest

from pipeline import mtmodel
from pipeline.mtflags import DEFAULT_THRESHOLD, RULES_THRESHOLD, flag_mt

NEWS = ("The committee met again on Tuesday and agreed to publish its findings later this month, "
        "a spokesman said. Members had asked for more time to study the evidence. ") * 4


def test_model_loads_once_with_its_calibration():
    m = mtmodel.model()
    assert m is mtmodel.model()
    assert m.uni and m.bi and len(m.calib_coef) == len(mtmodel.calibration_features(0.0, 10, 0.0))
    assert f"threshold {DEFAULT_THRESHOLD:.2f}" in m.version  # mt.toml matches the trained file


def test_model_score_is_a_probability_and_threshold_decides():
    res = flag_mt(NEWS, lang="en", model=True)
    assert 0.0 < res.score < 1.0
    assert flag_mt(NEWS, lang="en", model=True, threshold=0.0).suspect
    assert not flag_mt(NEWS, lang="en", model=True, threshold=1.01).suspect
    assert res.suspect == (res.score >= DEFAULT_THRESHOLD)


def test_suspect_documents_carry_model_ngram_spans():
    res = flag_mt(NEWS, lang="en", model=True, threshold=0.0)
    ngrams = [f for f in res.flags if f.rule == "model_ngram"]
    assert 1 <= len(ngrams) <= 5
    for f in ngrams:
        span = NEWS[f.start:f.end]
        assert span.strip() == span and 1 <= len(span.split()) <= 2
        assert span in f.excerpt
    spans = sorted((f.start, f.end) for f in ngrams)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # non-overlapping
    # not suspect: no model evidence listed
    res = flag_mt(NEWS, lang="en", model=True, threshold=1.01)
    assert not [f for f in res.flags if f.rule == "model_ngram"]


def test_rule_evidence_raises_the_model_score():
    plain = flag_mt(NEWS, lang="en", model=True).score
    hits = NEWS + " The general, who He was accused of plotting, died. after the attacks. a tone followed."
    assert flag_mt(hits, lang="en", model=True).score > plain


def test_typography_does_not_change_the_score():
    straight = 'He said "it\'s over" - and left... The talks, he added, would resume on Monday.'
    curly = "He said \u201cit\u2019s over\u201d \u2013 and left\u2026 The talks, he added, would resume on Monday."
    a = flag_mt(straight, lang="en", model=True).score
    b = flag_mt(curly, lang="en", model=True).score
    assert a == pytest.approx(b)


def test_non_english_text_keeps_the_rules_score():
    text = "El gobierno anunció el martes un nuevo paquete de medidas económicas."
    res = flag_mt(text, lang="es", model=True, entity_spans=[("entity_comma_quot", 3, 4)])
    assert res.score == flag_mt(text, lang="es", entity_spans=[("entity_comma_quot", 3, 4)]).score
    assert res.suspect == (res.score >= DEFAULT_THRESHOLD)
    assert flag_mt(text, lang="es", model=True).score == 0.0
    assert RULES_THRESHOLD == 0.5


def test_only_the_first_max_words_count():
    head = NEWS.split()[: mtmodel.MAX_WORDS]
    m = mtmodel.model()
    assert m.margin(mtmodel.words_of(NEWS)) == m.margin(mtmodel.words_of(" ".join(head) + " zzz qqq"))


@pytest.mark.needs_shared
def test_bbc_false_positives_in_the_pipeline():
    """BBC through the whole library pipeline at the default threshold: at most 0.5% (9 of 1,824)
    suspect. BBC is in the shipped model's training data; the held-out figure is in
    docs/flags.md (scripts/report_mt_real.py)."""
    from pipeline.core import clean_text
    from pipeline.refcorpus import load_articles

    from conftest import BBC

    arts = load_articles(BBC)
    assert len(arts) == 1824
    suspects = [a.path for a in arts if clean_text(a.text)["mt_suspect"]]
    assert len(suspects) <= 9, suspects


def test_untagged_short_text_gets_the_model_score():
    """Text too short for the language step ('und': a chat line, a caption) is scored by the model
    like English; text tagged another language keeps the rules score."""
    line = "Thank you, we will send the documents tomorrow"
    m = mtmodel.model()
    ws = mtmodel.words_of(line)
    expected = m.probability(m.margin(ws), len(ws), 0.0)
    assert flag_mt(line, lang="und", model=True).score == pytest.approx(expected)
    assert flag_mt(line, lang="en", model=True).score == pytest.approx(expected)
    assert flag_mt(line, lang="af", model=True).score == 0.0  # no rule hits

