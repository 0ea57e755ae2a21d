"""The MT model: a linear model over the word 1- and 2-grams of the start of the clean text.

Shipped as `pipeline/models/mt_words.tsv.gz`, rebuilt by `python -m scripts.train_mt_model` from
../shared (docs/flags.md gives the training data and the measured error rates). Loaded once per
process, on first use; no numpy, no third-party code at run time.

Features (`features` below is also what the training script uses, so they cannot drift apart):
- words are `text.split()` (the core has them already), typography-normalised when the text is
  not ASCII (curly quotes, dashes, ellipses to ASCII: quote style says how a page was published,
  not whether it was translated, and in the training data it is a shortcut);
- only the first MAX_WORDS words count: the model's cost is then bounded per document (a dict
  look-up per word and per word pair); with 200 words it added 28% to the core on BBC, with
  100 about half that (scripts/bench_mt_cost.py), and the budget is 15%;
- a document's margin is `bias + mean weight of its words + mean weight of its word pairs`
  (unknown n-grams weigh 0). The probability comes from a calibration of (margin, log word
  count, rule evidence) fitted on held-out margins (mtflags combines them).
- the model scores English text and text too short for the language step to tag (`und`).
"""
from __future__ import annotations

import functools
import gzip
import json
import math
from itertools import islice
from pathlib import Path

MODEL_PATH = Path(__file__).parent / "models" / "mt_words.tsv.gz"
MAX_WORDS = 100
# The languages the model scores: English, and text too short for the language step to tell
# ('und': a one-line chat message or caption, English in practice here). Text tagged another
# language keeps the rules score (the model is English).
SCORED_LANGS = frozenset({"en", "und"})
_TYPO = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                       "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                       "\u00ab": '"', "\u00bb": '"', "\u2013": "-", "\u2014": "-",
                       "\u2212": "-", "\u2026": "..."})


def words_of(text: str, words: list[str] | None = None) -> list[str]:
    """The first MAX_WORDS model words of `text` (`words` = text.split() when the caller has it).
    Typography is normalised word by word, and only in non-ASCII words (translating the whole
    text cost more than the model itself)."""
    ws = (text.split() if words is None else words)[:MAX_WORDS]
    if text.isascii():
        return ws
    return plain_typography(ws)


def plain_typography(ws: list[str]) -> list[str]:
    """`ws` with curly quotes, dashes and ellipses as ASCII (only non-ASCII words are touched)."""
    return [w if w.isascii() else w.translate(_TYPO) for w in ws]


def features(ws: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Unigrams and bigrams of model words (training builds its matrix from these)."""
    return ws, list(zip(ws, islice(ws, 1, None)))


class Model:
    def __init__(self, path: Path = MODEL_PATH):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            meta = json.loads(f.readline())
            uni: dict[str, float] = {}
            bi: dict[tuple[str, str], float] = {}
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if parts[0] == "1":
                    uni[parts[1]] = float(parts[2])
                else:
                    bi[(parts[1], parts[2])] = float(parts[3])
        self.meta = meta
        self.version: str = meta["version"]
        self.bias: float = meta["bias"]
        # p = sigmoid(sum(coef * feature) + intercept) over mtmodel.calibration_features
        self.calib_coef: list[float] = meta["calib_coef"]
        self.calib_intercept: float = meta["calib_intercept"]
        self.uni, self.bi = uni, bi

    def margin(self, ws: list[str]) -> float:
        """bias + mean unigram weight + mean bigram weight (ws from `words_of`)."""
        n = len(ws)
        if not n:
            return self.bias
        s1 = sum(filter(None, map(self.uni.get, ws))) / n
        if n < 2:
            return self.bias + s1
        s2 = sum(filter(None, map(self.bi.get, zip(ws, islice(ws, 1, None))))) / (n - 1)
        return self.bias + s1 + s2

    def probability(self, margin: float, n_words: int, rule_density: float) -> float:
        # n_words: the words of the text (len(text.split())); only up to MAX_WORDS count
        """The calibrated probability that the document is MT (`mt_score` in model mode)."""
        z = self.calib_intercept + sum(
            c * x for c, x in zip(self.calib_coef, calibration_features(margin, n_words, rule_density)))
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def contributions(self, ws: list[str]) -> list[tuple[float, int, int]]:
        """(contribution to the margin, first word, last word + 1) of every n-gram that pushes
        the margin towards MT, strongest first (word indices into ws)."""
        n = len(ws)
        out = []
        for i, w in enumerate(ws):
            v = self.uni.get(w)
            if v and v > 0:
                out.append((v / n, i, i + 1))
        for i in range(n - 1):
            v = self.bi.get((ws[i], ws[i + 1]))
            if v and v > 0:
                out.append((v / (n - 1), i, i + 2))
        out.sort(key=lambda x: (-x[0], x[1]))
        return out


def calibration_features(margin: float, n_words: int, rule_density: float) -> list[float]:
    """Inputs of the calibration: the margin, its interaction with length (long documents give
    a steadier margin), length, and the rule evidence (mtflags' weighted hits per 1,000 words).
    A calibration of margin x sqrt(words) alone ranks better pooled (held-out AUC 0.894 against
    0.870) but moves the flags from news to one-line chat (news MT flagged 6% against 18%):
    docs/flags.md."""
    ll = math.log1p(min(n_words, MAX_WORDS))
    return [margin, margin * ll, ll, math.log1p(rule_density)]


@functools.cache
def model() -> Model:
    """The shipped model, read once per process on first use."""
    return Model()
