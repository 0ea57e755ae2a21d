"""Language step: langdetect (seeded) made fast, bounded and order-independent.

`detect_language` (pipeline path):
1. fewer than `min_letters` letters or `min_words` words -> 'und', 0.0;
2. cheap pass on the first `sample_chars` characters: when English function words are dense and
   other languages' function words are absent, the text is 'en' with prob `settled_prob` (the
   value langdetect gives when all its trials converge; see docs/flags.md);
3. otherwise langdetect on that sample (cut at a word boundary), through the equivalent fast
   detector of pipeline/language_fast.py (its profiles built per n-gram on first use).
Rule 1 is not counted when the sample already has enough letter runs to pass it.

`detect_language_reference`: stock langdetect on the full text, private seeded factory.
Each langdetect Detector owns a `random.Random` reseeded with the factory seed at the start of
every detection, so with a seed results do not depend on call order. Settings in
rules/language.toml.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

import pyarrow as pa
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from .language_fast import EnglishPass, FastDetector, Profiles
from .rulesfile import load_rules
from .step import Counts, Show, Step

NAME = "language"
RULES = load_rules("language", {
    "seed": int, "min_letters": int, "min_words": int, "sample_chars": int,
    "english": {"min_words": int, "min_share": float, "max_foreign": float,
                "settled_prob": float, "words": [str], "foreign_words": [str]},
})
SEED = RULES["seed"]
MIN_LETTERS = RULES["min_letters"]
MIN_WORDS = RULES["min_words"]
SAMPLE_CHARS = RULES["sample_chars"]
EN_SETTLED_PROB = RULES["english"]["settled_prob"]
_obviously_english = EnglishPass(RULES["english"])

_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass
class LangResult:
    lang: str
    prob: float


_FACTORY: DetectorFactory | None = None
_PROFILES: Profiles | None = None


def _factory() -> DetectorFactory:
    """Private factory (not langdetect's module global), seeded, profiles loaded once."""
    global _FACTORY
    if _FACTORY is None:
        factory = DetectorFactory()
        factory.load_profile(PROFILES_DIRECTORY)
        factory.set_seed(SEED)
        _FACTORY = factory
    return _FACTORY


def _profiles() -> Profiles:
    """The same profiles for the fast path, rows built on demand (language_fast.Profiles)."""
    global _PROFILES
    if _PROFILES is None:
        _PROFILES = Profiles(PROFILES_DIRECTORY, SEED)
    return _PROFILES


_ENOUGH_LETTERS = re.compile(r"(?:[\W\d_]*+[^\W\d_]){%d}" % MIN_LETTERS)  # stops at the last one


def _too_short(text: str) -> bool:
    """Fewer than MIN_LETTERS letters or MIN_WORDS words in the whole text (counting stops at
    the threshold)."""
    if _ENOUGH_LETTERS.match(text) is None:
        return True
    return next(islice(_WORD_RE.finditer(text), MIN_WORDS - 1, None), None) is None


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    cut = text.rfind(" ", 0, SAMPLE_CHARS)
    return text[: cut if cut > SAMPLE_CHARS // 2 else SAMPLE_CHARS]


def _run(detector: Detector, text: str) -> LangResult:
    detector.append(text)
    try:
        probs = detector.get_probabilities()
    except LangDetectException:
        return LangResult("und", 0.0)
    if not probs:
        return LangResult("und", 0.0)
    return LangResult(probs[0].lang, float(probs[0].prob))


def detect_language(text: str) -> LangResult:
    """Fast bounded language id: 'und' for short text, cheap English pass, else sampled langdetect."""
    sample = _sample(text)
    runs, english = _obviously_english.check(sample)
    # The sample starts the text, and each of its letter runs holds a letter and is part of at
    # most one word of two runs: with enough runs the text is not too short (no need to count).
    if runs < 2 * max(MIN_LETTERS, MIN_WORDS) and _too_short(text):
        return LangResult("und", 0.0)
    if english:
        return LangResult("en", EN_SETTLED_PROB)
    return _run(FastDetector(_profiles()), sample)


def detect_language_reference(text: str) -> LangResult:
    """Stock langdetect (seed 0) on the full text; same 'und' rule. For comparison only."""
    if _too_short(text):
        return LangResult("und", 0.0)
    return _run(_factory().create(), text)


def _apply(doc, config) -> dict:
    res = detect_language(doc.text)
    return {"lang": res.lang, "lang_prob": res.prob}


STEP = Step(
    name=NAME, version=RULES.version, apply=_apply,
    columns=(pa.field("lang", pa.string(), nullable=False),
             pa.field("lang_prob", pa.float32(), nullable=False)),
    stats=(Counts("langs", "lang", label="documents by language"),),
    report=(Show("bars", "lang", "Languages"),),
)
