"""The MT detector's second model: a linear model over hashed word and character n-grams.

pipeline.mtflags scores English text with this model and the word model (pipeline.mtmodel)
together: on every document with `--mt-model strong`, and with `cascade` (the default) only where
the word model's probability reaches mt.toml's `strong_from`; `--mt-model words` never loads it.
Shipped as `pipeline/models/mt_hashed.bin.gz`, rebuilt by `python -m scripts.train_mt_model` from
../shared (docs/flags.md has the training data, the held-out figures of each mode and their cost).

Features (`vector` below is also what the training script uses, so they cannot drift apart):
- the first MAX_WORDS words (`text.split()`), typography-normalised as for the word model, joined
  by single spaces;
- every character 2- to 5-gram of that string and every word 1- to 3-gram, each hashed into
  2**bits slots (a seeded multiply-xorshift mix of a polynomial hash of the code points, of
  zlib.crc32 for words): numpy, no Python loop over n-grams;
- counts, normalised to unit length separately for the characters and for the words, then
  together (each family weighs the same whatever the document's length).
A document's margin is `bias + weights . features`; its probability comes from a calibration
over the word model's inputs and this margin (`calibration_features`), fitted on held-out
margins of the same split.
"""
from __future__ import annotations

import functools
import gzip
import json
import math
import zlib
from pathlib import Path

import numpy as np

from . import mtmodel

MODEL_PATH = Path(__file__).parent / "models" / "mt_hashed.bin.gz"
MAX_WORDS = 300
CHAR_N = (2, 5)
WORD_N = (1, 3)
_P = np.uint64(0x100000001B3)
_M = np.uint64(0x9E3779B97F4A7C15)
_S31 = np.uint64(31)
_WORD_OFFSET = np.uint64(1 << 40)  # word hashes never collide with code points as inputs
_EMPTY = np.zeros(0, np.uint64)
# The training script stores this text's slots in the model file: a test checks that run-time
# features are still the ones the weights were fitted on.
PROBE = "The minister said: \u201cit\u2019s over\u201d \u2013 talks resume on Monday."


def text_of(words: list[str]) -> str:
    """The model's input: the first MAX_WORDS words, typography-normalised, single-spaced."""
    return " ".join(mtmodel.plain_typography(words[:MAX_WORDS]))


def _slots(h: np.ndarray, n: int, tag: int, bits: int) -> np.ndarray:
    x = (h + np.uint64(tag + n)) * _M
    x ^= x >> _S31
    return (x * _M) >> np.uint64(64 - bits)


def _ngram_slots(seq: np.ndarray, lo: int, hi: int, tag: int, bits: int) -> np.ndarray:
    out = []
    h = seq
    for n in range(1, hi + 1):
        if len(seq) < n:
            break
        if n > 1:
            h = h[:-1] * _P + seq[n - 1:]  # wraps modulo 2**64, as intended
        if n >= lo:
            out.append(_slots(h, n, tag, bits))
    return np.concatenate(out) if out else _EMPTY


def _unit(slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u, cnt = np.unique(slots.astype(np.uint32), return_counts=True)  # slots < 2**32
    v = cnt.astype(np.float64)
    if len(v):
        v /= math.sqrt(float(v @ v))
    return u, v


def _families(words: list[str], bits: int):
    """(slots, values) of the characters and of the words, each family of unit length."""
    text = text_of(words)
    if not text:
        return None
    codes = np.frombuffer(text.encode("utf-32-le"), np.uint32).astype(np.uint64)
    ws = text.split(" ")
    wh = np.fromiter(map(zlib.crc32, map(str.encode, ws)), np.uint64, len(ws)) + _WORD_OFFSET
    return _unit(_ngram_slots(codes, *CHAR_N, 0, bits)), _unit(_ngram_slots(wh, *WORD_N, 100, bits))


def vector(words: list[str], bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(slot indices, values) of the document whose words are `words` (text.split())."""
    fam = _families(words, bits)
    if fam is None:
        return _EMPTY.astype(np.int64), np.zeros(0)
    (cu, cv), (wu, wv) = fam
    u, inv = np.unique(np.concatenate([cu, wu]), return_inverse=True)
    v = np.bincount(inv, weights=np.concatenate([cv, wv]), minlength=len(u))
    if len(v):
        v /= math.sqrt(float(v @ v))
    return u.astype(np.int64), v


def calibration_features(word_margin: float, hashed_margin: float, n_words: int,
                         rule_density: float) -> list[float]:
    """The word model's calibration inputs and this model's margin, alone and times log length."""
    ll = math.log1p(min(n_words, MAX_WORDS))
    return mtmodel.calibration_features(word_margin, n_words, rule_density) + [
        hashed_margin, hashed_margin * ll]


class Model:
    """File: one JSON line (version, bits, bias, calibration, threshold), then 2**bits
    little-endian float32 weights; gzip with a zero mtime (rebuilt byte for byte)."""

    def __init__(self, path: Path = MODEL_PATH):
        with gzip.open(path, "rb") as f:
            meta = json.loads(f.readline())
            self.weights = np.frombuffer(f.read(), dtype="<f4").astype(np.float64)
        self.meta = meta
        self.version: str = meta["version"]
        self.bits: int = meta["bits"]
        if len(self.weights) != 1 << self.bits:
            raise ValueError(f"{path}: {len(self.weights)} weights, expected 2**{self.bits}")
        self.bias: float = meta["bias"]
        self.calib_coef: list[float] = meta["calib_coef"]
        self.calib_intercept: float = meta["calib_intercept"]
        # The operating points on held-out data (the defaults of --mt-threshold): of the strong
        # mode, and of the cascade mode with the strong_from it was chosen for.
        self.threshold: float = meta["threshold"]
        self.cascade_threshold: float = meta["cascade_threshold"]
        self.strong_from: float = meta["strong_from"]

    def margin(self, words: list[str]) -> float:
        """bias + weights . vector(words): the same value without building the joint vector
        (the two families' dot products, and the joint norm from the slots they share)."""
        fam = _families(words, self.bits)
        if fam is None:
            return self.bias
        (cu, cv), (wu, wv) = fam
        w = self.weights
        dot = float(w[cu] @ cv) + float(w[wu] @ wv)
        # |c + w|^2 = |c|^2 + |w|^2 + 2 c.w, with c.w over the slots both families hit
        pos = np.searchsorted(cu, wu)
        pos[pos == len(cu)] = 0
        shared = cu[pos] == wu
        norm2 = float(cv @ cv) + float(wv @ wv) + 2.0 * float(cv[pos[shared]] @ wv[shared])
        return self.bias + dot / math.sqrt(norm2) if norm2 > 0 else self.bias

    def probability(self, word_margin: float, hashed_margin: float, n_words: int,
                    rule_density: float) -> float:
        z = self.calib_intercept + sum(c * x for c, x in zip(
            self.calib_coef, calibration_features(word_margin, hashed_margin, n_words, rule_density)))
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


@functools.cache
def model() -> Model:
    """The shipped model, read once per process on first use."""
    return Model()
