"""Language identification: langdetect (seed 0) made fast, bounded and order-independent.

`detect_language` (pipeline path):
1. fewer than MIN_LETTERS letters or MIN_WORDS words -> 'und', 0.0;
2. cheap pass on the first SAMPLE_CHARS characters: when English function words are dense and
   other languages' function words are absent, the text is 'en' with prob EN_SETTLED_PROB
   (the value langdetect gives when all its trials converge; see docs/flags.md);
3. otherwise langdetect on that sample (cut at a word boundary). The detector is langdetect's
   own algorithm (same profiles, same seeded `random.Random`, same trial loop) with its
   per-character Python loops replaced by equivalent regex/translate/cached-word code.

`detect_language_reference`: stock langdetect on the full text, private seeded factory.
Each langdetect Detector owns a `random.Random` reseeded with the factory seed at the start of
every detection, so with a seed results do not depend on call order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice

from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram

NAME = "language"
SEED = 0
MIN_LETTERS = 20
MIN_WORDS = 4
SAMPLE_CHARS = 1500
EN_MIN_WORDS = 40          # cheap pass needs at least this many words in the sample
EN_MIN_SHARE = 0.10        # share of sample words that are English function words
EN_MAX_FOREIGN = 0.01      # share of sample words that are other languages' function words
EN_SETTLED_PROB = 0.99999  # langdetect's CONV_THRESHOLD: the floor of a fully converged result

_LETTER_RE = re.compile(r"[^\W\d_]")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_TOKEN_RE = re.compile(r"[^\W\d_]+")
# English function words that are not also common words of de/nl/da/sv/no/es/fr/it/pt/ro.
_EN_LOWER = (
    "the of and to that with have has been were are this from which who would will it its "
    "he she they their his our them said not but there what when after about more than "
    "could should into"
).split()
_EN_WORDS = frozenset(_EN_LOWER + [w.capitalize() for w in _EN_LOWER])
# Lowercase function words of other Latin-script languages that English text does not use;
# lowercase only, so names ("Los Angeles", "Del Monte", "Der Spiegel") do not count.
_FOREIGN_WORDS = frozenset(
    (
        "el los las del por para que una según sobre pero más como dans avec pour qui sont aux "
        "une est les des und ist nicht sich auch auf eine einen dem della delle gli che sono "
        "nel alla het een voor niet zijn ook wordt uma não são pelo pela og ikke af til det "
        "och att inte som är"
    ).split()
)


@dataclass
class LangResult:
    lang: str
    prob: float


_FACTORY: DetectorFactory | None = None


def _factory() -> DetectorFactory:
    """Private factory (not langdetect's module global), seeded, profiles loaded once."""
    global _FACTORY
    if _FACTORY is None:
        factory = DetectorFactory()
        factory.load_profile(PROFILES_DIRECTORY)
        factory.set_seed(SEED)
        _FACTORY = factory
    return _FACTORY


class _NormTable(dict):
    """str.translate table computing NGram.normalize per code point on first use."""

    def __missing__(self, cp: int) -> str:
        self[cp] = value = NGram.normalize(chr(cp))
        return value


_NORM = _NormTable()
_NON_LATIN_RE = re.compile("[\u0300-\u1dff\u1f00-\U0010ffff]")
_LATIN_RE = re.compile("[A-z]")
_WORD_CACHE: dict[str, tuple[str, ...]] = {}
_WORD_CACHE_MAX = 200_000


def _word_ngrams(word: str, table: dict, tail: bool) -> tuple[str, ...]:
    """The n-grams langdetect's NGram emits for one space-delimited normalized word."""
    out = []
    buf = " "
    cap = False
    for ch in word + (" " if tail else ""):
        last = buf[-1]
        if last == " ":
            buf = " "
            cap = False
        elif len(buf) >= 3:
            buf = buf[1:]
        buf += ch
        if ch.isupper():
            if last.isupper():
                cap = True
        else:
            cap = False
        if cap:
            continue
        for n in (1, 2, 3):
            if len(buf) < n:
                break
            w = buf[-n:]
            if w != " " and w in table:
                out.append(w)
    return tuple(out)


class _FastDetector(Detector):
    """langdetect's Detector with the per-character loops replaced; same results."""

    def append(self, text: str) -> None:
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        # langdetect also squeezes runs of ' '; that changes no n-gram and no count below.
        self.text += text[: self.max_text_length]

    def cleaning_text(self) -> None:
        non_latin = len(_NON_LATIN_RE.findall(self.text))
        if non_latin and len(_LATIN_RE.findall(self.text)) * 2 < non_latin:
            self.text = _LATIN_RE.sub("", self.text)

    def _extract_ngrams(self) -> list[str]:
        table = self.word_lang_prob_map
        norm = self.text.translate(_NORM)
        words = norm.split(" ")
        result: list[str] = []
        last = len(words) - 1
        cache = _WORD_CACHE
        for i, word in enumerate(words):
            if not word:
                continue
            if i == last:  # no space after the final word: no trailing n-grams
                result.extend(_word_ngrams(word, table, False))
                continue
            grams = cache.get(word)
            if grams is None:
                grams = _word_ngrams(word, table, True)
                if len(cache) < _WORD_CACHE_MAX:
                    cache[word] = grams
            result.extend(grams)
        return result

    def _update_lang_prob(self, prob, word, alpha):
        row = self.word_lang_prob_map.get(word)
        if row is None:
            return False
        weight = alpha / self.BASE_FREQ
        prob[:] = [p * (weight + q) for p, q in zip(prob, row)]
        return True

    def _normalize_prob(self, prob):
        sump = sum(prob)
        prob[:] = [p / sump for p in prob]
        return max(prob)


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


# Fast tokens for samples whose only letters are ASCII: [^\W\d_] is then [A-Za-z], so the
# _TOKEN_RE tokens are the bytes split at every other byte ('?' stands for non-ASCII characters).
_ASCII_TOKENS = bytes(c if chr(c).isascii() and chr(c).isalpha() else 32 for c in range(256))
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_NOT_LETTER: dict[str, bool] = {}
_EN_BYTES = frozenset(w.encode() for w in _EN_WORDS)
_FOREIGN_BYTES = frozenset(w.encode() for w in _FOREIGN_WORDS if w.isascii())


def _tokens(sample: str) -> list:
    """_TOKEN_RE.findall(sample), as bytes when every non-ASCII character is a non-letter."""
    if not sample.isascii():
        for ch in set(_NON_ASCII_RE.findall(sample)):
            nl = _NOT_LETTER.get(ch)
            if nl is None:
                nl = _NOT_LETTER[ch] = _LETTER_RE.match(ch) is None
            if not nl:
                return _TOKEN_RE.findall(sample)
    return sample.encode("ascii", "replace").translate(_ASCII_TOKENS).split()


def _obviously_english(sample: str) -> bool:
    words = _tokens(sample)
    n = len(words)
    if n < EN_MIN_WORDS:
        return False
    as_bytes = bool(words) and isinstance(words[0], bytes)
    en_set, foreign_set = (_EN_BYTES, _FOREIGN_BYTES) if as_bytes else (_EN_WORDS, _FOREIGN_WORDS)
    en = sum(map(en_set.__contains__, words))
    if en < EN_MIN_SHARE * n:
        return False
    foreign = sum(map(foreign_set.__contains__, words))
    return foreign <= EN_MAX_FOREIGN * n


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
    if _too_short(text):
        return LangResult("und", 0.0)
    sample = _sample(text)
    if _obviously_english(sample):
        return LangResult("en", EN_SETTLED_PROB)
    return _run(_FastDetector(_factory()), sample)


def detect_language_reference(text: str) -> LangResult:
    """Stock langdetect (seed 0) on the full text; same 'und' rule. For comparison only."""
    if _too_short(text):
        return LangResult("und", 0.0)
    return _run(_factory().create(), text)
