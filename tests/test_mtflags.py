"""MT flags: seed calibration, each rule's positives and lookalikes, scoring, BBC false positives."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.mtflags import DEFAULT_THRESHOLD, RULES_VERSION, WEIGHTS, flag_mt

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw" / "sample-2020-01-09"
_PREFIX = re.compile(r"^\s*date \d{4}-\d{2}-\d{2} ")
_ENTITY = re.compile(r",quot;|& # 39;")
_DROP_000 = "Iran's Zarif says the United States denied him a visa to attend a UN meeting"


def clean_seed(i: int) -> tuple[str, list[tuple[str, int, int]]]:
    """Stand-in for repair+boilerplate on the seeds; returns (text, entity_spans)."""
    raw = next(RAW.glob(f"{i:03d}_*.txt")).read_text(encoding="utf-8")
    lines = raw.split("\n")[1:] if i in (3, 4) else raw.split("\n")
    text = _PREFIX.sub("", "\n".join(lines), count=1).replace("\u00a0", " ")
    lines = [line.strip() for line in text.split("\n")]
    if i == 0:
        lines = [ln for ln in lines if not ln.endswith("(@AliVaez) January 8, 2020") and ln != _DROP_000]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    out, spans, pos, length = [], [], 0, 0
    for m in _ENTITY.finditer(text):
        out.append(text[pos : m.start()])
        length += m.start() - pos
        out.append('"' if m.group() == ",quot;" else "'")
        spans.append(("mangled_entity", length, length + 1))
        length += 1
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), spans


def rules_of(text: str, lang: str = "en") -> list[str]:
    return [f.rule for f in flag_mt(text, lang=lang).flags]


# ---------------------------------------------------------------- seeds
def test_seed_000_is_suspect_with_required_evidence():
    text, spans = clean_seed(0)
    assert len(spans) == 12 and all(text[s:e] in "\"'" for _, s, e in spans)
    res = flag_mt(text, lang="en", entity_spans=spans)
    assert res.suspect and res.score >= DEFAULT_THRESHOLD
    excerpts = {f.rule: [] for f in res.flags}
    for f in res.flags:
        excerpts[f.rule].append(text[f.start : f.end])
        assert f.excerpt and text[f.start : f.end].replace("\n", " ") in f.excerpt
    assert len(excerpts["mangled_entity"]) == 12
    assert any("who He" in s for s in excerpts["capitalized_after_relative"])
    assert any("attacks. a" in s for s in excerpts["lowercase_sentence_start"])
    assert any("It" in s for s in excerpts["capitalized_pronoun_midsentence"])


def test_seed_000_text_evidence_alone_is_suspect():
    text, _ = clean_seed(0)
    res = flag_mt(text, lang="en")
    assert res.suspect, res  # even without the entity spans


@pytest.mark.parametrize("i", [1, 2, 3, 4])
def test_other_seeds_not_suspect(i):
    text, spans = clean_seed(i)
    assert spans == []
    res = flag_mt(text, lang="en")
    assert not res.suspect, [(f.rule, f.excerpt) for f in res.flags]


def test_seed_001_truncated_paragraph_is_informational():
    text, _ = clean_seed(1)
    res = flag_mt(text, lang="en")
    trunc = [f for f in res.flags if f.rule == "truncated_paragraph_start"]
    assert [text[f.start : f.end] for f in trunc] == ["ran’s"]
    assert WEIGHTS["truncated_paragraph_start"] == 0 and res.score == 0.0


# ---------------------------------------------------------------- rules: positive / lookalike
POSITIVE = {
    "capitalized_after_relative": "The general, who He was accused of plotting attacks, died in the strike on Friday.",
    "capitalized_pronoun_midsentence": "Analysts said the missile attack It seemed to mean a message to the region.",
    "lowercase_sentence_start": "The damage was minimal after the attacks. a noticeably different tone followed.",
    "untranslated_word": "The minister said que the plan would be approved by parliament next week.",
    "spanish_calque": "The researchers realized a study of the elite arm in abroad last year.",
    "duplicated_word": "The deal was signed by the the board of directors on Monday morning.",
    "postposed_adjective": "He works at a research centre, a government affiliate Iranian. He said so.",
}
LOOKALIKE = {
    "capitalized_after_relative": "It was the paper that The Guardian praised, and he said that. The rest followed.",
    "capitalized_pronoun_midsentence": "The song Let It Be topped charts; the show Faking It and others aired. He left.",
    "lowercase_sentence_start": "U.S. officials met at 9 a.m. local time, e.g. in Baghdad, with Steel Co. partners... and Wham! fans bought iPhones. eBay said so. Visit bbc.co.uk today.",
    "untranslated_word": "Actors from Los Angeles, Benicio del Toro and a con man met in Monte del Paschi; fans sang que sera sera.",
    "spanish_calque": "Fans can rest assured that the 70% of smokers who want to quit, and the 50% of the unit it does not own, will be studied abroad.",
    "duplicated_word": "She had had enough, and said that that was it; what it is is clear. Duran Duran played.",
    "postposed_adjective": "She was a fellow Iranian. He is learning a little with French, of course. The team is American.",
}


@pytest.mark.parametrize("rule", sorted(POSITIVE))
def test_rule_fires_on_positive(rule):
    assert rule in rules_of(POSITIVE[rule])


@pytest.mark.parametrize("rule", sorted(LOOKALIKE))
def test_rule_silent_on_lookalike(rule):
    assert rule not in rules_of(LOOKALIKE[rule]), flag_mt(LOOKALIKE[rule], lang="en").flags


def test_calque_variants():
    assert rules_of("The spokesman assured that the talks would resume soon.") == ["spanish_calque"]
    assert rules_of("The 70 percent of the population lives in cities, officials said.") == ["spanish_calque"]
    assert rules_of("The army was deployed in abroad operations, he said quietly.") == ["spanish_calque"]


def test_untranslated_word_spanish_accented():
    assert rules_of("Officials said según the report the talks had failed.") == ["untranslated_word"]


def test_flags_carry_offsets_into_text():
    text = POSITIVE["duplicated_word"]
    (flag,) = flag_mt(text, lang="en").flags
    assert text[flag.start : flag.end] == "the the" and "the the" in flag.excerpt


# ---------------------------------------------------------------- language gating, entities, score
PARAS = {
    "es": "El gobierno anunció el martes un nuevo paquete de medidas económicas para frenar la inflación, que según los datos del instituto alcanzó su nivel más alto en una década. La ministra explicó que las ayudas llegarán a las familias antes del verano, pero la oposición criticó el plan.",
    "fr": "Le gouvernement a présenté mardi un nouveau plan pour relancer l'économie après une année difficile. Selon le ministre, les aides seront versées dès le mois prochain aux petites entreprises, mais les syndicats estiment que ces mesures ne suffiront pas. une autre question reste ouverte.",
    "de": "Die Bundesregierung hat am Dienstag ein neues Gesetz beschlossen. Nach Angaben des Ministeriums sollen die Ausbauziele deutlich erhöht werden, während Kritiker bemängeln, dass die Verfahren zu lange dauern. Sie sagen, dass die die Netze nicht schnell genug ausgebaut werden.",
}


@pytest.mark.parametrize("lang", sorted(PARAS))
def test_foreign_paragraphs_get_no_english_flags(lang):
    from pipeline.language import detect_language

    detected = detect_language(PARAS[lang])
    assert detected.lang == lang
    assert flag_mt(PARAS[lang], lang=detected.lang).flags == []
    assert flag_mt(PARAS[lang], lang="en").flags  # the same text would trip English rules


def test_mangled_entities_count_in_any_language_and_unmapped_spans():
    text = PARAS["es"]
    res = flag_mt(text, lang="es", entity_spans=[("mangled_entity", 10, 11), ("mangled_entity", -1, -1)])
    assert [(f.rule, f.start, f.end) for f in res.flags] == [("mangled_entity", 0, 0), ("mangled_entity", 10, 11)]
    assert res.flags[0].excerpt == "" and res.flags[1].excerpt
    assert res.score > 0


def test_score_normalized_for_length_and_monotone():
    hit = "He said the missile attack It seemed minor to everyone there. "
    filler = "The committee met again on Tuesday and agreed to publish its findings later. "
    short = flag_mt(hit + filler * 5, lang="en").score
    long = flag_mt(hit + filler * 200, lang="en").score
    double = flag_mt(hit * 2 + filler * 200, lang="en").score
    assert 0 < long < short <= 1 and long < double
    assert flag_mt(filler * 20, lang="en").score == 0.0


def test_threshold_parameter_and_version():
    text, spans = clean_seed(0)
    res = flag_mt(text, lang="en", entity_spans=spans, threshold=1.01)
    assert not res.suspect and res.flags
    assert RULES_VERSION.startswith("mt-")


# ---------------------------------------------------------------- BBC false positives
@pytest.mark.needs_shared
def test_bbc_suspects_at_most_one_percent(bbc_bodies):
    docs = bbc_bodies
    assert len(docs) == 1824
    suspects = [d[:60] for d in docs if flag_mt(d, lang="en").suspect]
    assert len(suspects) <= len(docs) // 100, suspects


# ---------------------------------------------------------------- entity forms (issue 14)
@pytest.mark.parametrize("rule", ["entity_spaced_numeric", "entity_spaced_named", "entity_comma_quot"])
def test_mt_forms_of_entity_damage_count(rule):
    res = flag_mt(PARAS["es"], lang="es", entity_spans=[(rule, 10, 11)])
    assert [(f.rule, f.start, f.end) for f in res.flags] == [("mangled_entity", 10, 11)]


@pytest.mark.parametrize("rule", ["entity_leading_quot", "entity_double_escaped", "entity_plain",
                                  "entity_lost_amp_numeric"])
def test_cms_forms_of_entity_damage_do_not_count(rule):
    res = flag_mt(PARAS["es"], lang="es", entity_spans=[(rule, 10, 11)])
    assert res.flags == [] and res.score == 0.0


def test_entity_forms_through_the_repair_step():
    """What the pipeline passes on: MT's spaced form counts, AG News's '&'-less quot; does not."""
    from pipeline.core import clean_text

    filler = " The committee met again on Tuesday and agreed to publish its findings later." * 3
    mt = clean_text("The minister said it& # 39; s over, and & quot;final& quot; too." + filler)
    cms = clean_text("The minister said quot;it is over quot; and left the room." + filler)
    assert "it's over" in mt.text and '"it is over' in cms.text  # both repaired
    mt_spans = [mt.text[s:e] for rule, s, e, _ in mt["mt_flags"] if rule == "mangled_entity"]
    assert mt_spans and set(mt_spans) <= {"'", '"'}
    assert [f for f in cms["mt_flags"] if f[0] == "mangled_entity"] == []
    assert any(r.startswith("entity_") for r, _ in cms["repairs"])  # still on record as a repair


# ---------------------------------------------------------------- source_script (issue 14)
@pytest.mark.parametrize("text,residue", [
    ("When molding it襷, the straw is wrapped around the frame twice.", "襷"),
    ("The minister said that Путин would not attend the summit.", "Путин"),
    ("Officials confirmed the 합의 was signed in Seoul on Monday.", "합의"),
    ("The deal, known as الاتفاق among traders, was signed.", "الاتفاق"),
    ("He ordered ラーメン and a glass of water at the bar.", "ラーメン"),
])
def test_source_script_residue_is_flagged_with_its_span(text, residue):
    flags = [f for f in flag_mt(text, lang="en").flags if f.rule == "source_script"]
    assert [text[f.start:f.end] for f in flags] == [residue]
    assert residue in flags[0].excerpt


@pytest.mark.parametrize("text", [
    "Protesters gathered in Kyiv (Київ) on Sunday, police said.",
    'The banner read "Слава Україні" in large letters.',
    "The shop sign said «Молоко» and nothing else.",
    "The alpha (α) and beta (β) particles, and a μ of 3, were measured.",  # Greek is not listed
    "Plain ASCII text has nothing to flag here at all.",
])
def test_source_script_quoted_names_and_greek_are_not_flagged(text):
    assert "source_script" not in rules_of(text)


def test_source_script_only_in_english_text():
    text = "Президент сказал, что переговоры продолжатся в понедельник."
    assert flag_mt(text, lang="ru").flags == []
    assert "source_script" in rules_of(text)  # the same text tagged English would be flagged
