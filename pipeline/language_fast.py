"""The fast path of the language step: langdetect's own algorithm with its per-character Python
loops replaced by equivalent regex/translate/cached-word code, and a cheap pass that settles
obvious English without langdetect.

`FastDetector` yields the same n-grams, hence bit-identical probabilities, as langdetect's
`Detector` on the same text (tests/test_language.py and the benchmark's same-answers check compare
it with the stock detector). It overrides langdetect internals (`append`, `cleaning_text`,
`_extract_ngrams`, `_update_lang_prob`, `_normalize_prob`) of langdetect 1.0.9, the pinned version.

`Profiles` is langdetect's profile table (n-gram -> probability per language) with each n-gram's
row computed the first time a text has that n-gram: the stock factory computes all 88k rows when
it loads (0.2 s per process), and most corpora of English news need langdetect for a handful of
documents only (the English pass settles the rest).
"""
from __future__ import annotations

import json
import os
import re

from langdetect.detector import Detector
from langdetect.utils.ngram import NGram


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


class Profiles:
    """The part of a langdetect DetectorFactory a Detector reads (`word_lang_prob_map`,
    `langlist`, `seed`), loaded from the same profile files in the same order, its rows built on
    demand with the same arithmetic as DetectorFactory.add_profile (so the same floats)."""

    def __init__(self, directory: str, seed: int):
        self.langlist: list[str] = []
        self._freqs: list[dict[str, int]] = []
        self._n_words: list[list[int]] = []
        for name in os.listdir(directory):  # DetectorFactory.load_profile's order and filters
            path = os.path.join(directory, name)
            if name.startswith(".") or not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            if data["name"] in self.langlist:
                raise ValueError(f"duplicate language profile {data['name']!r} in {directory}")
            self.langlist.append(data["name"])
            self._freqs.append(data["freq"])
            self._n_words.append(data["n_words"])
        self._known = frozenset().union(*self._freqs)
        self._rows: dict[str, list[float]] = {}
        self.seed = seed
        self.word_lang_prob_map = self  # what a Detector reads: `w in map`, `map.get(w)`

    def __contains__(self, word: str) -> bool:
        return word in self._known

    def __getitem__(self, word: str) -> list[float]:
        row = self.get(word)
        if row is None:
            raise KeyError(word)
        return row

    def get(self, word: str, default=None):
        row = self._rows.get(word)
        if row is None:
            if word not in self._known:
                return default
            row = [0.0] * len(self.langlist)
            length = len(word)
            if 1 <= length <= 3:
                for index, (freq, n_words) in enumerate(zip(self._freqs, self._n_words)):
                    count = freq.get(word)
                    if count is not None:
                        row[index] = 1.0 * count / n_words[length - 1]
            self._rows[word] = row
        return row


class FastDetector(Detector):
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


# --- the cheap English pass ----------------------------------------------------------------
_LETTER_RE = re.compile(r"[^\W\d_]")
_TOKEN_RE = re.compile(r"[^\W\d_]+")
# Fast tokens for samples whose only letters are ASCII: [^\W\d_] is then [A-Za-z], so the
# _TOKEN_RE tokens are the bytes split at every other byte ('?' stands for non-ASCII characters).
_ASCII_TOKENS = bytes(c if chr(c).isascii() and chr(c).isalpha() else 32 for c in range(256))
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_NOT_LETTER: dict[str, bool] = {}


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


class EnglishPass:
    """Settles a sample as English when English function words are dense and other languages'
    function words are absent (thresholds from rules/language.toml)."""

    def __init__(self, english: dict):
        words = english["words"]
        self.en_words = frozenset(words + [w.capitalize() for w in words])
        self.foreign_words = frozenset(english["foreign_words"])
        self.en_bytes = frozenset(w.encode() for w in self.en_words)
        self.foreign_bytes = frozenset(w.encode() for w in self.foreign_words if w.isascii())
        self.min_words = english["min_words"]
        self.min_share = english["min_share"]
        self.max_foreign = english["max_foreign"]

    def __call__(self, sample: str) -> bool:
        return self.check(sample)[1]

    def check(self, sample: str) -> tuple[int, bool]:
        """(number of letter runs in `sample`, whether it is settled as English)."""
        words = _tokens(sample)
        n = len(words)
        return n, n >= self.min_words and self._english(words, n)

    def _english(self, words: list, n: int) -> bool:
        as_bytes = bool(words) and isinstance(words[0], bytes)
        en_set, foreign_set = ((self.en_bytes, self.foreign_bytes) if as_bytes
                               else (self.en_words, self.foreign_words))
        # English text reaches the share of function words early: count the first third, and
        # the rest only when that is not enough (the same decision as counting them all).
        need = self.min_share * n
        third = n // 3
        en = sum(map(en_set.__contains__, words[:third]))
        if en < need:
            en += sum(map(en_set.__contains__, words[third:]))
            if en < need:
                return False
        if foreign_set.isdisjoint(words):  # the common case: none at all
            return True
        foreign = sum(map(foreign_set.__contains__, words))
        return foreign <= self.max_foreign * n
