"""Machine-translation flags: explainable signals of MT output in English news text.

Rules, weights, patterns and word lists live in rules/mt.toml (documented in docs/flags.md).
`flag_mt` returns every hit as an MTFlag (offsets into the clean text) and a score in [0, 1].

Two scores:
- rules only (`model=False`, the default of the function): density = 1000 * sum(weights) /
  max(n_words, min_words); score = 1 - exp(-density / scale); suspect = score >= rules_threshold;
- with the model (`model=True` or "words", what the pipeline uses by default) on English text
  and on text too short to tag (`und`): the calibrated probability of pipeline.mtmodel, which
  takes the rule density as one of its inputs; suspect = score >= threshold, and a suspect
  document's strongest model words and word pairs become `model_ngram` flags. Text tagged
  another language keeps the rules-only score (the model is English).
- the strong mode (`model="strong"`, `--mt-model strong`): the same, with the probability of a
  calibration over the word model and the hashed word and character n-gram model of
  pipeline.mthashed (the best ranking; it adds about 1.25x the core's CPU time: docs/flags.md);
  its default threshold is the one stored in that model's file.
- the cascade (`model="cascade"`, `--mt-model cascade`, the pipeline's default): the word model's
  probability, replaced by the strong mode's where it is at least mt.toml's `strong_from`; the
  second model then runs on a few percent of news documents. Its default threshold is stored in
  the strong model's file too.
"""
from __future__ import annotations

import itertools
import math
import operator
import re
from dataclasses import dataclass, field

import pyarrow as pa

from .options import SHARE, Option
from .rulesfile import Doc, load_rules
from .step import Counts, Show, Step, Top, Total

NAME = "mtflags"
_W = {"weight": float, "doc": Doc}
RULES = load_rules("mt", {
    "score": {"min_words": int, "scale": float, "rules_threshold": float, "threshold": float,
              "strong_from": float,
              "excerpt_context": int},
    "rules": {
        "mangled_entity": {**_W, "repair_rules": [str]},
        "source_script": {**_W, "ranges": [str], "quotes_open": [str], "quotes_close": [str]},
        "model_ngram": {**_W, "max_flags": int},
        "capitalized_after_relative": {**_W, "relatives": [str], "capitals": [str]},
        "capitalized_pronoun_midsentence": {**_W, "pronouns": [str], "not_next": [str]},
        "lowercase_sentence_start": {**_W, "pattern": str, "previous": str, "abbreviations": [str]},
        "untranslated_word": {**_W, "words": [str], "english_neighbours": [str]},
        "spanish_calque": {**_W, "forms": [{"needles": [str], "pattern": str}]},
        "duplicated_word": {**_W, "pattern": str, "allowed": [str]},
        "postposed_adjective": {**_W, "nationalities": [str], "not_first": [str], "not_second": [str]},
        "truncated_paragraph_start": {**_W, "pattern": str},
    },
})
_CATALOG = RULES.data
RULES_VERSION: str = RULES.version
_SCORE = _CATALOG["score"]
DEFAULT_THRESHOLD: float = float(_SCORE["threshold"])  # model mode (the pipeline's default)
RULES_THRESHOLD: float = float(_SCORE["rules_threshold"])  # rules-only score
STRONG_FROM: float = float(_SCORE["strong_from"])  # cascade mode: where the second model runs
_R = _CATALOG["rules"]
WEIGHTS: dict[str, float] = {name: float(rule["weight"]) for name, rule in _R.items()}
_CTX = int(_SCORE["excerpt_context"])
_MIN_WORDS = int(_SCORE["min_words"])
_SCALE = float(_SCORE["scale"])
# Only the repair rules naming entity damage that MT produces count as MT evidence; CMS and
# scraper damage (a lost "&" in "quot;", double escaping) is recorded by repair, not flagged here.
_ENTITY_COUNTS = frozenset(_R["mangled_entity"]["repair_rules"])
_SS = _R["source_script"]
_SCRIPT_RE = re.compile("[" + "".join(_SS["ranges"]) + "]+(?:[ \u00b7\u30fb-]*[" + "".join(_SS["ranges"]) + "]+)*")
_SS_OPEN = frozenset(_SS["quotes_open"])
_SS_CLOSE = frozenset(_SS["quotes_close"])
_MN = _R["model_ngram"]
_MODEL_FLAGS = int(_MN["max_flags"])
_WORD_RE = re.compile(r"\S+")
# The detectors of model mode (the `mt_model` option).
MODELS = ("words", "cascade", "strong")


@dataclass
class MTFlag:
    rule: str
    start: int
    end: int
    excerpt: str


@dataclass
class MTResult:
    flags: list[MTFlag] = field(default_factory=list)
    score: float = 0.0
    suspect: bool = False


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# capitalized_after_relative / capitalized_pronoun_midsentence: one scan for a capitalized
# pronoun or article after "[a-z,] " (per-word fixed-width lookbehinds keep the scan fast).
_REL = _R["capitalized_after_relative"]
_RELATIVES = frozenset(_REL["relatives"])
_PRONOUNS = frozenset(_R["capitalized_pronoun_midsentence"]["pronouns"])
_PRON_NOT_NEXT = frozenset(_R["capitalized_pronoun_midsentence"]["not_next"])
_CAPS = sorted(set(_REL["capitals"]) | _PRONOUNS, key=len, reverse=True)
_CAP_RE = re.compile(
    "(?:" + "|".join(f"{w}(?<=[a-z,] {w})" for w in _CAPS) + r") ([a-z]+)"
)
_PREV_WORD = re.compile(r"([a-z]+),? \Z")
# lowercase_sentence_start: scan for ". x", then check the word before the period.
_LS = _R["lowercase_sentence_start"]
_LOWER_START = re.compile(_LS["pattern"])
_LS_PREV = re.compile(_LS["previous"])
_ABBREV = frozenset(_LS["abbreviations"])
_FOREIGN = frozenset(_R["untranslated_word"]["words"])
_EN_NEIGHBOURS = frozenset(_R["untranslated_word"]["english_neighbours"])
_FOREIGN_RE = re.compile(" (" + _alt(_FOREIGN) + ") (?=[a-z])")
_DUP_RE = re.compile(_R["duplicated_word"]["pattern"])
_DUP_ALLOWED = frozenset(_R["duplicated_word"]["allowed"])
_LOWER_COMMA = frozenset("abcdefghijklmnopqrstuvwxyz,")
_NEXT_WORD = re.compile(r"[^\s,.;:!?]+")
_CALQUES = [
    (tuple(f["needles"]), re.compile(f["pattern"])) for f in _R["spanish_calque"]["forms"]
]
_CALQUE_NEEDLES = tuple(n for needles, _ in _CALQUES for n in needles)
_PP = _R["postposed_adjective"]
_NATIONS = frozenset(_PP["nationalities"])
_PP_NOT_FIRST = frozenset(_PP["not_first"])
_PP_NOT_SECOND = frozenset(_PP["not_second"])
_NATION_TOKENS = frozenset(n + p for n in _NATIONS for p in ".,;:")
_PP_CAND = re.compile(
    "[.,;:](?<=(?:" + "|".join(sorted({n[-3:] for n in _NATIONS})) + ")[.,;:])"
)
_PP_PHRASE = re.compile(r"\b(?:a|an|the) ([a-z]+) ([a-z]+) ([A-Z][a-z]+)\Z")
# One pass over the words tells which of the two word-gated rules can fire at all.
_GATE_WORDS = _FOREIGN | _NATION_TOKENS
_TRUNC = re.compile(_R["truncated_paragraph_start"]["pattern"])
_TRUNC_P = re.compile("\n\n(" + _R["truncated_paragraph_start"]["pattern"] + ")")


def _script_hits(text: str):
    """source_script: runs of a non-Latin script in English text, unless quoted or bracketed
    (a name or term given in its own script: 'the word "Путин"', 'Kyiv (Київ)')."""
    for m in _SCRIPT_RE.finditer(text):
        before = text[: m.start()].rstrip(" ")[-1:]
        after = text[m.end() :].lstrip(" ")[:1]
        if before in _SS_OPEN or after in _SS_CLOSE:
            continue
        yield "source_script", m.start(), m.end()


def _excerpt(text: str, start: int, end: int) -> str:
    return text[max(0, start - _CTX) : end + _CTX].replace("\n", " ")


def _hits(text: str, words: list[str]):
    """Yield (rule, start, end) for every English text-pattern hit (words = text.split())."""
    if not text.isascii():
        yield from _script_hits(text)
    for m in _CAP_RE.finditer(text):
        word, nxt = text[m.start() : m.start(1) - 1], m.group(1)
        prev = _PREV_WORD.search(text, max(0, m.start() - 30), m.start())
        if prev and prev.group(1) in _RELATIVES:
            yield "capitalized_after_relative", prev.start(), m.start(1) - 1
        elif word in _PRONOUNS and nxt not in _PRON_NOT_NEXT:
            yield "capitalized_pronoun_midsentence", m.start(), m.start(1) - 1
    if ". " in text:
        for m in _LOWER_START.finditer(text):
            prev = _LS_PREV.search(text, max(0, m.start() - 30), m.start())
            if prev and prev.group(1).lower() not in _ABBREV:
                yield "lowercase_sentence_start", prev.start(), m.end()
    gated = _GATE_WORDS.intersection(words)
    for m in _FOREIGN_RE.finditer(text) if gated and not _FOREIGN.isdisjoint(gated) else ():
        if m.start() and text[m.start() - 1] in _LOWER_COMMA:
            before = text[text.rfind(" ", 0, m.start() - 1) + 1 : m.start()].strip(",").lower()
            nm = _NEXT_WORD.match(text, m.end(1) + 1)
            after = nm.group() if nm else ""
            if before in _FOREIGN or after in _FOREIGN or not after.islower():
                continue  # a foreign phrase or a name particle ("del Toro")
            if before not in _EN_NEIGHBOURS and after not in _EN_NEIGHBOURS:
                continue  # no English word next to it: a quoted foreign phrase
            yield "untranslated_word", m.start(1), m.end(1)
    for m in _DUP_RE.finditer(text) if any(map(operator.eq, words, words[1:])) else ():
        if m.group("dup") not in _DUP_ALLOWED:
            yield "duplicated_word", m.start() + 1, m.end()
    if any(map(text.__contains__, _CALQUE_NEEDLES)):
        for needles, rx in _CALQUES:
            if any(map(text.__contains__, needles)):
                for m in rx.finditer(text):
                    yield "spanish_calque", m.start(), m.end()
    for m in _PP_CAND.finditer(text) if gated and not _NATION_TOKENS.isdisjoint(gated) else ():
        head = text[max(0, m.start() - 80) : m.start()]
        pm = _PP_PHRASE.search(head)
        if (
            pm
            and pm.group(3) in _NATIONS
            and pm.group(1) not in _PP_NOT_FIRST
            and pm.group(2) not in _PP_NOT_SECOND
        ):
            yield "postposed_adjective", m.start() - len(head) + pm.start(), m.start()
    m = _TRUNC.match(text)
    if m:
        yield "truncated_paragraph_start", 0, m.end()
    if "\n\n" in text:
        for m in _TRUNC_P.finditer(text):
            yield "truncated_paragraph_start", m.start(1), m.end(1)


def rule_flags(
    text: str,
    *,
    lang: str,
    entity_spans: list[tuple[str, int, int]] = (),
    words: list[str] | None = None,
) -> tuple[list[MTFlag], float]:
    """The rule flags of `text` (sorted by position) and their density: 1000 * sum of weights /
    max(n_words, min_words)."""
    flags: list[MTFlag] = []
    for rule, start, end in entity_spans:
        if rule not in _ENTITY_COUNTS:
            continue
        if start < 0 or end < start or end > len(text):
            flags.append(MTFlag("mangled_entity", 0, 0, ""))
        else:
            flags.append(MTFlag("mangled_entity", start, end, _excerpt(text, start, end)))
    if words is None:
        words = text.split()
    if lang == "en":
        for rule, start, end in _hits(text, words):
            flags.append(MTFlag(rule, start, end, _excerpt(text, start, end)))
    if not flags:
        return flags, 0.0
    flags.sort(key=lambda f: (f.start, f.end, f.rule))
    evidence = sum(WEIGHTS[f.rule] for f in flags)
    return flags, 1000.0 * evidence / max(len(words), _MIN_WORDS)


def flag_mt(
    text: str,
    *,
    lang: str,
    entity_spans: list[tuple[str, int, int]] = (),
    threshold: float | None = None,
    words: list[str] | None = None,
    model: bool | str = False,
) -> MTResult:
    """Flag MT signals in clean `text`; text-pattern rules only when lang == 'en'.

    entity_spans: (rule, start, end) of characters rebuilt from mangled entities, from the repair
    step; a span whose rule is listed in mt.toml's [rules.mangled_entity] repair_rules becomes a
    `mangled_entity` flag (any language); unmapped spans (-1, -1) become start=end=0, excerpt ''.
    words: `text.split()` when the caller has it already.
    model: score English (and untagged, 'und') text with the shipped model (pipeline.mtmodel)
    and the rule density (True or "words"), with the strong mode's two models ("strong"), or
    with the word model and, from STRONG_FROM up, the two models ("cascade");
    threshold defaults to DEFAULT_THRESHOLD (words), to the strong model file's thresholds
    (strong, cascade), else to RULES_THRESHOLD.
    """
    if model not in MODELS and model not in (True, False):
        raise ValueError(f"unknown MT model {model!r}: one of {', '.join(MODELS)}")
    if words is None:
        words = text.split()
    flags, density = rule_flags(text, lang=lang, entity_spans=entity_spans, words=words)
    from . import mtmodel

    if not (model and lang in mtmodel.SCORED_LANGS):
        if threshold is None:
            threshold = RULES_THRESHOLD
        if not flags:
            return MTResult([], 0.0, False)
        score = 1.0 - math.exp(-density / _SCALE)
        return MTResult(flags, score, score >= threshold)
    mdl = mtmodel.model()
    ws = mtmodel.words_of(text, words)
    margin = mdl.margin(ws)
    if model in ("strong", "cascade"):
        from . import mthashed

        strong = mthashed.model()
        if threshold is None:
            threshold = strong.cascade_threshold if model == "cascade" else strong.threshold
        # cascade: the word model first; the second model only where that is not clearly low
        score = mdl.probability(margin, len(words), density) if model == "cascade" else None
        if score is None or score >= STRONG_FROM:
            score = strong.probability(margin, strong.margin(words), len(words), density)
    else:
        if threshold is None:
            threshold = DEFAULT_THRESHOLD
        score = mdl.probability(margin, len(words), density)
    suspect = score >= threshold
    if suspect:
        flags = sorted(flags + _model_flags(text, ws, mdl), key=lambda f: (f.start, f.end, f.rule))
    return MTResult(flags, score, suspect)


def _model_flags(text: str, ws: list[str], mdl) -> list[MTFlag]:
    """The strongest MT-ward n-grams of the model as `model_ngram` flags (non-overlapping)."""
    spans = [m.span() for m in itertools.islice(_WORD_RE.finditer(text), len(ws))]
    out: list[MTFlag] = []
    taken: set[int] = set()
    for _, i, j in mdl.contributions(ws):
        if taken.intersection(range(i, j)):
            continue
        taken.update(range(i, j))
        start, end = spans[i][0], spans[j - 1][1]
        out.append(MTFlag("model_ngram", start, end, _excerpt(text, start, end)))
        if len(out) == _MODEL_FLAGS:
            break
    return out


def _apply(doc, config) -> dict:
    mt = flag_mt(doc.text, lang=doc["lang"], entity_spans=doc.spans, threshold=config.mt_threshold,
                 words=doc.words(), model=config.mt_model)
    return {"mt_flags": [(f.rule, f.start, f.end, f.excerpt) for f in mt.flags],
            "mt_score": mt.score, "mt_suspect": mt.suspect}


TOP_FLAGGED = 20

STEP = Step(
    name=NAME, version=RULES_VERSION, apply=_apply,
    columns=(
        pa.field("mt_flags", pa.list_(pa.struct([("rule", pa.string()), ("start", pa.int32()),
                                                 ("end", pa.int32()), ("excerpt", pa.string())])),
                 nullable=False),
        pa.field("mt_score", pa.float32(), nullable=False),
        pa.field("mt_suspect", pa.bool_(), nullable=False),
    ),
    options=(Option("mt_model", str, "cascade",
                    "MT detector: 'cascade' (the word n-gram model and the rules on every English "
                    "document, plus a hashed word and character n-gram model where the word "
                    f"model's probability is at least {STRONG_FROM}), 'words' (the word model "
                    "only: the cheapest), or 'strong' (both models on every English document: "
                    "the best ranking; it adds about 1.25x the core's CPU time). docs/flags.md "
                    "has the figures of each", valid=(MODELS.__contains__, "'words', 'cascade' or 'strong'")),
             Option("mt_threshold", float, None,
                    "mt_score at or above which a document is mt_suspect (default: the chosen "
                    "detector's calibrated operating point: docs/flags.md)",
                    nullable=True, valid=SHARE)),
    stats=(Counts("flags", "mt_flags", label="MT flags by rule"),
           Total("suspects", "mt_suspect", label="MT suspects"),
           Top("top_flagged", TOP_FLAGGED,
               order=(("mt_score", "descending"), ("flags", "descending"), ("doc_id", "ascending")),
               fields=("doc_id", "source_path", "source_record", "mt_score", "mt_suspect"),
               nonempty="mt_flags", lengths={"flags": "mt_flags"},
               label="most MT-flagged documents")),
    report=(Show("bars", "mt_flags", "MT flags by rule"),
            Show("histogram", "mt_score", "MT score distribution (documents)"),
            Show("count", "mt_suspect", "MT suspects"),
            Show("top", "mt_score", "Most MT-flagged documents")),
)
