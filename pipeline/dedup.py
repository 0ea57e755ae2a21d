"""Duplicate detection, the per-document half: normalise, hash, shingle, sign.

Runs where the text is (the shard workers), one Arrow batch at a time, and produces the rows of
the duplicate index (`index_schema()`): per document the exact hash of its normalised text, the
LSH band hashes of the MinHash signature of its word 5-gram shingles, and an 8-bit sketch of
that signature for verification. The matching half (`pipeline.dedup_index`) reads only these
rows, never the text.

Everything is specified so that a slow pure-Python reference (`normalise`, `word_hash_ref`,
`shingle_hashes_ref`, `exact_hash_ref`) gives the same numbers as the vectorised batch path
(`sign_texts`); the tests hold them equal. Parameters live in rules/dedup.toml (docs/dedup.md).

    normalise      NFKC, casefold; words = maximal runs of code points of general category
                   L*, M* or N*; normalised text = the words joined by one space
    word hash      64-bit, over the word's UTF-8 bytes: h = len * GOLDEN; for each 8-byte
                   little-endian chunk (the last zero-padded): h = mix64(h ^ chunk)
    shingle hash   mix64(sum_t word_hash[i + t] * SHINGLE_MULT[t] mod 2^64), t < size
    exact hash     mix64((sum_i word_hash[i] * EXACT_BASE^i mod 2^64) ^ (n * EXACT_SALT)) over
                   the n words (a polynomial in the word hashes: order counts); none for a
                   text without words
    signature      rensa's R-MinHash of the shingle hashes (num_perm uint32 values, seeded;
                   rensa.RMinHash.digest_matrix_from_flat_token_hashes): two documents agree in
                   a slot with probability about their Jaccard similarity
    band hash      band k of `rows` signature values: mix64 fold of value pairs (band_hashes)
"""
from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyarrow as pa

from .rulesfile import load_rules

NAME = "dedup"
RULES = load_rules("dedup", {
    "normalise": {"form": str, "casefold": bool, "word_categories": [str]},
    "shingles": {"size": int},
    "minhash": {"library": str, "algorithm": str, "num_perm": int, "seed": int},
    "lsh": {"bands": int, "rows": int},
    "match": {"threshold": float, "confidence_z": float, "max_bucket_heads": int},
})
_PARAMS = RULES.data
RULES_VERSION: str = RULES.version
SHINGLE_SIZE: int = int(_PARAMS["shingles"]["size"])
NUM_PERM: int = int(_PARAMS["minhash"]["num_perm"])
SEED: int = int(_PARAMS["minhash"]["seed"])
BANDS: int = int(_PARAMS["lsh"]["bands"])
ROWS: int = int(_PARAMS["lsh"]["rows"])
THRESHOLD: float = float(_PARAMS["match"]["threshold"])
CONFIDENCE_Z: float = float(_PARAMS["match"]["confidence_z"])
MAX_BUCKET_HEADS: int = int(_PARAMS["match"]["max_bucket_heads"])
WORD_CATEGORIES = tuple(_PARAMS["normalise"]["word_categories"])
if BANDS * ROWS > NUM_PERM:
    raise ValueError(f"rules/dedup.toml: bands * rows ({BANDS * ROWS}) > num_perm ({NUM_PERM})")
if _PARAMS["normalise"]["form"] != "NFKC" or _PARAMS["normalise"]["casefold"] is not True:
    raise ValueError("rules/dedup.toml: only NFKC + casefold is implemented")

_U = np.uint64
GOLDEN = 0x9E3779B97F4A7C15
EXACT_SALT = 0xD1B54A32D192ED03
EXACT_BASE = 0xA0761D6478BD642F  # odd, so invertible mod 2^64
EXACT_INV = pow(EXACT_BASE, -1, 1 << 64)
# Odd multipliers, one per shingle position (so 'a b' and 'b a' differ).
_MULTS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
          0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x87C37B91114253D5, 0x4CF5AD432745937F)
if SHINGLE_SIZE > len(_MULTS):
    raise ValueError(f"rules/dedup.toml: shingle size > {len(_MULTS)}")
SHINGLE_MULT = np.array(_MULTS[:SHINGLE_SIZE], dtype=_U)
_LOW_MASK = np.array([0] + [(1 << (8 * k)) - 1 for k in range(1, 8)] + [(1 << 64) - 1], dtype=_U)
_M64 = (1 << 64) - 1


def _rensa():
    """rensa, imported on first use (a worker that never signs does not pay for it)."""
    import rensa

    return rensa


def library_version() -> str:
    """What made the signatures: stored with every index file and compared before a match
    (rensa 0.5 changed its algorithm; signatures of two versions must never be compared)."""
    from importlib.metadata import version

    return f"rensa-{version('rensa')}/R-MinHash-v{_rensa().RMinHash.ALGORITHM_VERSION}"


# ------------------------------------------------------------------ the reference definitions

def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in WORD_CATEGORIES


def normalise(text: str) -> str:
    """The normalised text that exact duplicates share (see the module docstring)."""
    return " ".join(words_ref(text))


def words_ref(text: str) -> list[str]:
    s = unicodedata.normalize("NFKC", text).casefold()
    out, cur = [], []
    for ch in s:
        if _is_word_char(ch):
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def mix64(x: int) -> int:
    """splitmix64's finaliser: a bijection on 64-bit integers with full avalanche."""
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def word_hash_ref(word: str) -> int:
    b = word.encode("utf-8", "surrogatepass")
    h = (len(b) * GOLDEN) & _M64
    for i in range(0, len(b), 8):
        h = mix64(h ^ int.from_bytes(b[i:i + 8], "little"))
    return h


def shingle_hashes_ref(text: str, size: int = SHINGLE_SIZE) -> list[int]:
    w = [word_hash_ref(x) for x in words_ref(text)]
    mults = [int(m) for m in SHINGLE_MULT[:size]]
    return [mix64(sum(w[i + t] * mults[t] for t in range(size)) & _M64)
            for i in range(len(w) - size + 1)]


def exact_hash_ref(text: str) -> int | None:
    w = [word_hash_ref(x) for x in words_ref(text)]
    if not w:
        return None
    total = sum(h * pow(EXACT_BASE, i, 1 << 64) for i, h in enumerate(w)) & _M64
    return mix64(total ^ ((len(w) * EXACT_SALT) & _M64))


# ------------------------------------------------------------------ the vectorised batch path

def _mix(x: np.ndarray) -> np.ndarray:
    """mix64 on a uint64 array, in place (wrapping arithmetic)."""
    x ^= x >> _U(30)
    x *= _U(0xBF58476D1CE4E5B9)
    x ^= x >> _U(27)
    x *= _U(0x94D049BB133111EB)
    x ^= x >> _U(31)
    return x


_BMP_WORD: np.ndarray | None = None


def _bmp_table() -> np.ndarray:
    """Word-character flags of the Basic Multilingual Plane (65,536 booleans, built once)."""
    global _BMP_WORD
    if _BMP_WORD is None:
        cats = WORD_CATEGORIES
        _BMP_WORD = np.fromiter((unicodedata.category(chr(i))[0] in cats for i in range(65536)),
                                dtype=bool, count=65536)
    return _BMP_WORD


def _hash_spans(buf: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """word_hash_ref's loop for byte strings buf[starts[i]: starts[i] + lens[i]], vectorised over
    words: one unaligned 8-byte load per word and round (buf ends in >= 8 zero bytes)."""
    loads = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    h = lens.astype(_U) * _U(GOLDEN)
    rem = lens.astype(np.int64, copy=False)
    pos = starts.astype(np.int64, copy=False)
    val = loads[pos] & _LOW_MASK[np.minimum(rem, 8)]
    h ^= val
    _mix(h)
    live = np.flatnonzero(rem > 8)
    off = 8
    while len(live):  # words longer than 8 bytes: a shrinking subset per round
        r = rem[live] - off
        val = loads[pos[live] + off] & _LOW_MASK[np.minimum(r, 8)]
        hl = h[live]
        hl ^= val
        h[live] = _mix(hl)
        live = live[r > 8]
        off += 8
    return h


@dataclass
class Signed:
    """Per-document values of a batch (index i = the i-th text)."""

    n_words: np.ndarray  # int32
    n_shingles: np.ndarray  # int32, shingle windows (n_words - size + 1); 0 when fewer words
    exact_hash: np.ndarray  # uint64; meaningless where n_words == 0
    signature: np.ndarray  # uint32 [n, NUM_PERM]; rows with n_shingles == 0 are all 0xFFFFFFFF
    bands: np.ndarray  # uint64 [n, BANDS]; rows with n_shingles == 0 are 0
    # Filled only with keep_shingles=True (reports and tests): flat hashes and row offsets.
    shingles: np.ndarray | None = None
    shingle_offsets: np.ndarray | None = None


# ASCII bytes: 1 for a word character (letters and digits), 0 otherwise; 2 for every byte of a
# multi-byte UTF-8 sequence (classified by its code point in _classify_non_ascii).
_ASCII_LOWER = bytes(i + 32 if 65 <= i <= 90 else i for i in range(256))
_ASCII_CLASS = bytes((1 if chr(i).isalnum() else 0) if i < 128 else 2 for i in range(256))


def _classify_non_ascii(arr: np.ndarray, word: np.ndarray) -> None:
    """Set `word` for the bytes of multi-byte sequences of UTF-8 `arr` (padded with 3 zero
    bytes) from their code point's general category; sparse in most news text."""
    na = np.flatnonzero(arr[:len(word)] >= 0x80)
    if not len(na):
        return
    lead = na[(arr[na] & 0xC0) != 0x80]
    b0 = arr[lead].astype(np.uint32)
    b1 = arr[lead + 1].astype(np.uint32) & 0x3F
    b2 = arr[lead + 2].astype(np.uint32) & 0x3F
    b3 = arr[lead + 3].astype(np.uint32) & 0x3F
    size = np.where(b0 >= 0xF0, 4, np.where(b0 >= 0xE0, 3, 2))
    cp = np.where(size == 2, ((b0 & 0x1F) << 6) | b1,
                  np.where(size == 3, ((b0 & 0x0F) << 12) | (b1 << 6) | b2,
                           ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3))
    is_word = _bmp_table().take(cp, mode="clip")  # clip: astral code points fixed just below
    astral = np.flatnonzero(cp > 0xFFFF)
    if len(astral):
        uniq, inv = np.unique(cp[astral], return_inverse=True)
        is_word[astral] = np.fromiter((_is_word_char(chr(c)) for c in uniq.tolist()), bool,
                                      len(uniq))[inv]
    # The sequences tile `na` in order (valid UTF-8: encoded here), lead byte first.
    word[na] = np.repeat(is_word, size)


def word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(word hashes of all texts, concatenated; offsets [n + 1] into them)."""
    n = len(texts)
    # ASCII text is its own NFKC form and casefolds like it lowercases: it is lowercased below,
    # with every other text's remaining ASCII capitals (none after casefold), in one translate
    enc = [t.encode("ascii") if t.isascii() else
           unicodedata.normalize("NFKC", t).casefold().encode("utf-8", "surrogatepass")
           for t in texts]
    doc_start = np.zeros(n + 1, np.int64)
    np.cumsum(np.fromiter((len(e) + 1 for e in enc), np.int64, n), out=doc_start[1:])
    # One byte array for the batch; a NUL after each text (not a word character), so no word
    # spans two documents whatever the texts hold. 8 zero bytes of padding for the loads.
    data = (b"\x00".join(enc) + b"\x00").translate(_ASCII_LOWER)
    cls = data.translate(_ASCII_CLASS)
    arr = np.zeros(len(data) + 8, np.uint8)
    arr[:len(data)] = np.frombuffer(data, np.uint8)
    word = np.frombuffer(cls, np.uint8) == 1
    if not data.isascii():
        _classify_non_ascii(arr, word)
    # Word edges: where the flag changes (a boolean compare: much cheaper than an int8 diff).
    # Byte 0 starts a word when it is a word byte; the data ends in NUL, so every word ends.
    edges = np.flatnonzero(word[1:] != word[:-1]) + 1
    if len(word) and word[0]:
        edges = np.concatenate([[0], edges])
    ws, we = edges[0::2], edges[1::2]
    return _hash_spans(arr, ws, we - ws), np.searchsorted(ws, doc_start)


def shingle_hashes(w: np.ndarray, woff: np.ndarray, size: int = SHINGLE_SIZE
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(shingle hashes, offsets [n + 1]) from word hashes and their per-document offsets."""
    nwords = np.diff(woff)
    per_doc = np.maximum(nwords - size + 1, 0)
    soff = np.zeros(len(nwords) + 1, np.int64)
    np.cumsum(per_doc, out=soff[1:])
    m = len(w) - size + 1
    if m <= 0 or soff[-1] == 0:
        return np.zeros(0, _U), soff
    s = w[:m] * SHINGLE_MULT[0]
    for t in range(1, size):
        s += w[t:t + m] * SHINGLE_MULT[t]
    # Keep the windows that start at word j of a document with j <= nwords - size.
    keep = np.ones(m, bool)
    tails = woff[1:][per_doc > 0][:, None] - np.arange(1, size)[None, :]
    short = np.flatnonzero(per_doc == 0)
    keep[tails[tails < m]] = False
    for d in short.tolist():  # documents too short for one shingle: none of their windows
        keep[woff[d]:min(woff[d + 1], m)] = False
    return _mix(s[keep]), soff


_POWERS = (np.ones(1, _U), np.ones(1, _U))


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(EXACT_BASE ** i, EXACT_BASE ** -i) mod 2^64 for i < n (cached, grown by doubling)."""
    global _POWERS
    if len(_POWERS[0]) < n:
        m = max(n, 2 * len(_POWERS[0]))
        tables = []
        for base in (EXACT_BASE, EXACT_INV):
            p = np.full(m, base, _U)
            p[0] = 1
            tables.append(np.cumprod(p, dtype=_U))
        _POWERS = (tables[0], tables[1])
    return _POWERS


def exact_hashes(w: np.ndarray, woff: np.ndarray) -> np.ndarray:
    """uint64 [n]: exact_hash_ref of each document from its word hashes (0 without words).
    The polynomial is summed with the batch-wide powers and shifted back to each document's
    start with the inverse base, so it costs two passes over the words."""
    nwords = np.diff(woff)
    out = np.zeros(len(nwords), _U)
    has = np.flatnonzero(nwords > 0)
    if not len(has):
        return out
    pw, inv = _powers(len(w))
    v = w * pw[:len(w)]
    starts = woff[:-1][has]
    total = np.add.reduceat(v, starts)
    total *= inv[starts]
    total ^= nwords[has].astype(_U) * _U(EXACT_SALT)
    out[has] = _mix(total)
    return out


def band_hashes(sig: np.ndarray, bands: int = BANDS, rows: int = ROWS) -> np.ndarray:
    """uint64 [n, bands]: band k folds the signature values [k * rows, (k + 1) * rows), two at a
    time as one uint64 (the even slot in the low half): h = mix64(h ^ pair), h starting at
    (k + 1) * GOLDEN. An odd `rows` pairs its last value with 0."""
    n = sig.shape[0]
    s = np.ascontiguousarray(sig[:, :bands * rows], dtype="<u4").reshape(n, bands, rows)
    if rows % 2:
        s = np.concatenate([s, np.zeros((n, bands, 1), "<u4")], axis=2)
    pairs = np.ascontiguousarray(s).view("<u8")  # [n, bands, ceil(rows / 2)]
    h = np.broadcast_to((np.arange(1, bands + 1, dtype=_U) * _U(GOLDEN)), (n, bands)).copy()
    for j in range(pairs.shape[2]):
        h ^= pairs[:, :, j]
        _mix(h)
    return h


def minhash(shingles: np.ndarray, soff: np.ndarray, num_perm: int = NUM_PERM,
            seed: int = SEED) -> np.ndarray:
    """uint32 [n, num_perm] R-MinHash signatures (rensa) of each document's shingle hashes;
    rows without shingles are all 0xFFFFFFFF."""
    n = len(soff) - 1
    sig = np.full((n, num_perm), 0xFFFFFFFF, np.uint32)
    has = np.flatnonzero(np.diff(soff) > 0)
    if len(has) == 0:
        return sig
    offs = soff if len(has) == n else np.concatenate([[0], np.cumsum(np.diff(soff)[has])])
    m = _rensa().RMinHash.digest_matrix_from_flat_token_hashes(
        shingles, offs.astype(_U), num_perm=num_perm, seed=seed)
    rows = m.to_rows()  # lists of ints: the matrix has no buffer interface (most of the cost)
    sig[has] = np.fromiter(itertools.chain.from_iterable(rows), np.uint32,
                           len(has) * num_perm).reshape(len(has), num_perm)
    return sig


def sign_texts(texts: Sequence[str], keep_shingles: bool = False) -> Signed:
    """The per-document values of `texts` (clean `text` of rows, after repair and boilerplate)."""
    n = len(texts)
    w, woff = word_hashes(texts)
    nwords = np.diff(woff).astype(np.int32)
    sh, soff = shingle_hashes(w, woff)
    sig = minhash(sh, soff)
    has = np.diff(soff) > 0
    bands = band_hashes(sig)
    bands[~has] = 0
    exact = exact_hashes(w, woff)
    return Signed(nwords, np.diff(soff).astype(np.int32), exact, sig, bands,
                  sh if keep_shingles else None, soff if keep_shingles else None)


# ------------------------------------------------------------------ index rows

SKETCH_BITS = 8  # b-bit minwise hashing: the low byte of every signature slot is kept


def band_columns(bands: int = BANDS) -> list[str]:
    return [f"band_{k:02d}" for k in range(bands)]


def index_schema(bands: int = BANDS, num_perm: int = NUM_PERM) -> pa.Schema:
    """One row per document: identity, first-seen order, and what the matching reads.

    Band hashes are one column each, so the matching reads one band of an earlier drop at a
    time; `sketch` keeps the low byte of each of the num_perm signature values, enough to verify
    a candidate pair (docs/dedup.md, "verification")."""
    return pa.schema(
        [pa.field("doc_id", pa.string(), nullable=False),
         pa.field("source_path", pa.string(), nullable=False),
         pa.field("source_record", pa.int32(), nullable=False),
         pa.field("n_words", pa.int32(), nullable=False),
         pa.field("n_shingles", pa.int32(), nullable=False),
         # null: no words (empty normalised text); such a document is nobody's duplicate
         pa.field("exact_hash", pa.uint64())]
        + [pa.field(c, pa.uint64(), nullable=False) for c in band_columns(bands)]
        + [pa.field("sketch", pa.binary(num_perm), nullable=False)])


def _arrow(values, type_: pa.DataType):
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.cast(type_) if values.type != type_ else values
    return pa.array(values, type_)


def signed_table(doc_ids, source_paths, source_records, s: Signed) -> pa.Table:
    """Index rows from the values `sign_texts` computed, in the same order."""
    n = len(s.n_words)
    sketch = np.ascontiguousarray(s.signature & 0xFF, dtype=np.uint8)
    cols = [_arrow(doc_ids, pa.string()), _arrow(source_paths, pa.string()),
            _arrow(source_records, pa.int32()), pa.array(s.n_words, pa.int32()),
            pa.array(s.n_shingles, pa.int32()),
            pa.array(s.exact_hash, pa.uint64(), mask=s.n_words == 0)]
    cols += [pa.array(np.ascontiguousarray(s.bands[:, k]), pa.uint64()) for k in range(BANDS)]
    cols.append(pa.FixedSizeBinaryArray.from_buffers(pa.binary(NUM_PERM), n,
                                                     [None, pa.py_buffer(sketch.tobytes())]))
    return pa.Table.from_arrays(cols, schema=index_schema())


def index_rows(doc_ids: Sequence[str], source_paths: Sequence[str],
               source_records: Sequence[int], texts: Sequence[str]) -> pa.Table:
    """The duplicate-index rows of a batch of documents (the worker-side step)."""
    return signed_table(doc_ids, source_paths, source_records, sign_texts(texts))


def index_batch(batch: pa.RecordBatch | pa.Table) -> pa.Table:
    """`index_rows` for a batch of the clean dataset (columns doc_id, source_path,
    source_record, text): what a shard worker writes beside its part file."""
    col = batch.column
    return index_rows(col("doc_id"), col("source_path"), col("source_record"),
                      col("text").to_pylist())


def sketches_of(table: pa.Table | pa.RecordBatch) -> np.ndarray:
    """uint8 [n, NUM_PERM] view of an index table's sketch column."""
    col = table.column("sketch")
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    width = col.type.byte_width
    arr = np.frombuffer(col.buffers()[1], dtype=np.uint8, count=(col.offset + len(col)) * width)
    return arr.reshape(-1, width)[col.offset:]
