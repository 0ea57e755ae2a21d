"""Duplicate detection, the matching half: index rows in, flag columns out. No text is read.

Inputs are duplicate-index tables (`pipeline.dedup.index_schema`: doc_id, source_path,
source_record, n_words, n_shingles, exact_hash, band_00.., sketch), one per drop, in memory or as
Parquet files written by `write_index`. Output: per row of a drop the flag columns of
`FLAG_SCHEMA`. The rules (docs/dedup.md):

- First seen: drops in the order given (the caller passes them sorted by drop name), then
  source_path, then source_record (binary string order, as Arrow sorts).
- Exact: rows with the same exact_hash (equal normalised text) are one group; its first-seen row
  is the group's leader; every other row follows the leader.
- Near, greedy over leaders in first-seen order: a leader joins the cluster of the representative
  it is most similar to, among the earlier REPRESENTATIVES whose verified similarity is >= the
  threshold (ties: the first seen); with none it is a representative itself. A member is never a
  representative, so in a chain A ~ B ~ C where A and C are not similar, B joins A and C starts
  its own cluster: every row's dup_of names a document it is itself similar to.
- A follower (exact copy) takes its leader's cluster; it is kind 'exact' (similarity 1) when the
  leader is the representative, else it shares the leader's 'near' kind and similarity.
- Rows without words are nobody's duplicate: each its own representative.

The flags of a row depend only on rows seen before it, so a drop's flags depend only on earlier
drops: adding a drop at the end never changes earlier flags; replacing (or inserting) drop D
means recomputing D and every drop after it, from the index alone (`match_drops`).

Memory: one chunk of the new drop is held (its bands and sketches, ~`chunk_rows` rows); earlier
drops are read one column at a time (exact_hash, then each band of their representatives), and
only the sketches of candidate rows. docs/dedup.md has the arithmetic for 10 million documents.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import dedup

_U = np.uint64

FLAG_SCHEMA = pa.schema([
    pa.field("doc_id", pa.string(), nullable=False),
    # the representative's doc_id (the row's own for a representative): GROUP BY this
    pa.field("dup_cluster", pa.string(), nullable=False),
    # true for the first-seen row of its cluster, and for every row without duplicates
    pa.field("dup_representative", pa.bool_(), nullable=False),
    # null for representatives; else the representative's doc_id
    pa.field("dup_of", pa.string()),
    # null for representatives; 'exact' (same normalised text) or 'near'
    pa.field("dup_kind", pa.string()),
    # null for representatives; 1.0 for exact; else the verified similarity to dup_of
    pa.field("dup_similarity", pa.float32()),
])
FLAG_COLUMNS = [f.name for f in FLAG_SCHEMA if f.name != "doc_id"]
PAIR_SCHEMA = pa.schema([
    pa.field("doc_id", pa.string(), nullable=False),
    pa.field("other_doc_id", pa.string(), nullable=False),
    pa.field("similarity", pa.float32(), nullable=False),
])
INDEX_META_KEY = b"corpus_clean.dedup"
DEFAULT_CHUNK_ROWS = 250_000  # ~600 B per row in memory: ~150 MB a chunk (docs/dedup.md)
# sources up to this many rows have their band columns read at once (36 x 8 B a row: <= 19 MB)
PRELOAD_ROWS = 65_536
# the small columns every chunk reads of every earlier source: a small source keeps them
_KEPT_COLUMNS = frozenset({"exact_hash", "n_words", "n_shingles", "dup_representative"})


@dataclass(frozen=True)
class Params:
    threshold: float = dedup.THRESHOLD
    # a pair is reported when estimate - z * its standard error >= threshold (see accept)
    z: float = dedup.CONFIDENCE_Z
    bands: int = dedup.BANDS
    max_bucket_heads: int = dedup.MAX_BUCKET_HEADS
    chunk_rows: int = DEFAULT_CHUNK_ROWS

    @property
    def band_columns(self) -> list[str]:
        return dedup.band_columns(self.bands)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Verified Jaccard estimate for rows of two uint8 sketches [n, num_perm]: the share of
    equal slots (over all of them, not only the banded ones), corrected for the 1/256 chance
    that two different 32-bit values share their low byte."""
    c = 1.0 / (1 << dedup.SKETCH_BITS)
    m = (a == b).mean(axis=1)
    return np.clip((m - c) / (1.0 - c), 0.0, 1.0)


def accept(est: np.ndarray, params: Params) -> np.ndarray:
    """The pairs to report: those whose estimate clears the threshold by z standard errors of
    a num_perm-slot estimate, sqrt(J (1 - J) / num_perm). The targets ask more of precision
    (0.99) than of recall (0.95); the margin spends recall on precision near the threshold."""
    se = np.sqrt(est * (1.0 - est) / dedup.NUM_PERM)
    return est - params.z * se >= params.threshold


# ------------------------------------------------------------------ sources of index rows

class Source:
    """The index rows of one drop (or one chunk of it), in first-seen order, with their flags
    when already matched: an Arrow table in memory or a Parquet file written by write_index."""

    def __init__(self, name: str, table: pa.Table | None = None, path: Path | str | None = None):
        if (table is None) == (path is None):
            raise ValueError("a Source is a table or a path")
        self.name = name
        self._table = table
        self._path = Path(path) if path is not None else None
        self._pf: pq.ParquetFile | None = None
        self._kept: dict[str, pa.ChunkedArray] = {}

    def _file(self) -> pq.ParquetFile:
        if self._pf is None:
            self._pf = pq.ParquetFile(self._path)
        return self._pf

    @property
    def num_rows(self) -> int:
        return self._table.num_rows if self._table is not None else self._file().metadata.num_rows

    def column(self, name: str) -> pa.ChunkedArray:
        if self._table is not None:
            return self._table.column(name)
        if name in self._kept:
            return self._kept[name]
        col = self._file().read(columns=[name]).column(name)
        if name in _KEPT_COLUMNS and self.num_rows <= PRELOAD_ROWS:
            self._kept[name] = col  # read by every later chunk: ~21 B a row for all four
        return col

    def columns(self, names: list[str]) -> pa.Table:
        """Columns `names` at once: one read of the file instead of one per column."""
        if self._table is not None:
            return self._table.select(names)
        return self._file().read(columns=names)

    def take(self, names: list[str], rows: np.ndarray) -> pa.Table:
        """Columns `names` of `rows` (sorted ascending), reading only the row groups holding them."""
        if self._table is not None:
            return self._table.select(names).take(pa.array(rows, pa.int64()))
        pf = self._file()
        md = pf.metadata
        starts = np.zeros(md.num_row_groups + 1, np.int64)
        np.cumsum([md.row_group(i).num_rows for i in range(md.num_row_groups)], out=starts[1:])
        group = np.searchsorted(starts, rows, side="right") - 1
        parts = []
        for g in np.unique(group).tolist():
            local = rows[group == g] - starts[g]
            parts.append(pf.read_row_group(g, columns=names).take(pa.array(local, pa.int64())))
        if not parts:
            return pa.table({n: pa.array([], pf.schema_arrow.field(n).type) for n in names})
        return pa.concat_tables(parts)


def _np(col: pa.ChunkedArray | pa.Array, dtype=None) -> np.ndarray:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col.to_numpy(zero_copy_only=False) if dtype is None else \
        col.to_numpy(zero_copy_only=False).astype(dtype, copy=False)


def order_indices(table: pa.Table) -> np.ndarray:
    """Row order by (source_path, source_record): first seen within a drop."""
    return _np(pc.sort_indices(table, sort_keys=[("source_path", "ascending"),
                                                  ("source_record", "ascending")]), np.int64)


def sort_index(table: pa.Table) -> pa.Table:
    """An index table in first-seen order (how write_index stores it)."""
    return table.take(pa.array(order_indices(table), pa.int64()))


# ------------------------------------------------------------------ the result

@dataclass
class MatchStats:
    documents: int = 0
    exact: int = 0  # rows flagged kind 'exact'
    near: int = 0  # rows flagged kind 'near'
    representatives_with_duplicates: int = 0  # within this drop
    candidate_pairs: int = 0  # pairs verified
    verified_pairs: int = 0  # of which >= threshold
    truncated_buckets: int = 0  # LSH buckets with more members than max_bucket_heads

    def add(self, other: "MatchStats") -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))


@dataclass
class Match:
    flags: pa.Table  # FLAG_SCHEMA, row i = row i of the drop's index table as given
    pairs: pa.Table  # PAIR_SCHEMA: every verified pair (>= threshold) the decisions used
    stats: MatchStats = field(default_factory=MatchStats)


# ------------------------------------------------------------------ candidate pairs

def _bucket_pairs(values: np.ndarray, heads: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs (i, j), i < j, of positions with equal values, each j paired with the first `heads`
    positions of its bucket (positions are first-seen ordinals). Returns (i, j, truncated)."""
    e = np.zeros(0, np.int64)
    if len(values) < 2:
        return e, e, 0
    sv = np.sort(values)
    dup = sv[1:][sv[1:] == sv[:-1]]
    if not len(dup):
        return e, e, 0
    sub = np.flatnonzero(_members(values, np.unique(dup)))  # rows of shared buckets only
    i, j, trunc = _bucket_pairs_all(values[sub], heads)
    return sub[i], sub[j], trunc


def _bucket_pairs_all(values: np.ndarray, heads: int) -> tuple[np.ndarray, np.ndarray, int]:
    order = np.argsort(values, kind="stable")
    sv = values[order]
    new = np.ones(len(sv), bool)
    new[1:] = sv[1:] != sv[:-1]
    start = np.flatnonzero(new)
    size = np.diff(np.append(start, len(sv)))
    big = size > 1
    if not big.any():
        e = np.zeros(0, np.int64)
        return e, e, 0
    gstart = np.repeat(start, size)
    rank = np.arange(len(sv)) - gstart
    live = np.flatnonzero(rank > 0)
    ii, jj = [], []
    q = 0
    while len(live) and q < heads:
        ii.append(order[gstart[live] + q])
        jj.append(order[live])
        q += 1
        live = live[rank[live] > q]
    return np.concatenate(ii), np.concatenate(jj), int((size > heads + 1).sum())


_FILTER_BITS = 24  # at most 16 MB of booleans: a piece's 250k keys fill 1.5% of it
_TABLES: dict[int, np.ndarray] = {}


def _members(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Boolean mask: values[i] in keys (uint64 hashes, any order). A table indexed by the top
    24 bits of the hash drops nearly every non-member in one gather, so a large side (an earlier
    drop's column) is never sorted; the survivors are checked exactly against sorted keys."""
    out = np.zeros(len(values), bool)
    if not len(values) or not len(keys):
        return out
    # ~64 slots per key (1.5% pass by chance), 2^12 to 2^24 of them, each size allocated once
    bits = int(min(_FILTER_BITS, max(12, int(len(keys)).bit_length() + 6)))
    table = _TABLES.get(bits)
    if table is None:
        table = _TABLES[bits] = np.zeros(1 << bits, bool)
    shift = _U(64 - bits)
    top = (keys >> shift).astype(np.intp)
    table[top] = True
    maybe = np.flatnonzero(table[(values >> shift).astype(np.intp)])
    table[top] = False  # back to all False for the next call, without a memset
    if len(maybe):
        sk = np.sort(keys)
        pos = np.searchsorted(sk, values[maybe])
        pos[pos == len(sk)] = 0
        out[maybe[sk[pos] == values[maybe]]] = True
    return out


def _pack(i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return (i.astype(np.uint64) << np.uint64(32)) | j.astype(np.uint64)


def _unpack(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (p >> np.uint64(32)).astype(np.int64), (p & np.uint64(0xFFFFFFFF)).astype(np.int64)


def verified_pairs(table: pa.Table, params: Params = Params(), leaders_only: bool = True
                   ) -> pa.Table:
    """Every candidate pair of one table whose verified similarity is >= threshold, among rows
    with shingles (one row per exact group when leaders_only), whatever their cluster: the
    pair-level output the report measures against brute force. Not used for the flags."""
    t = sort_index(table)
    n_sh = _np(t.column("n_shingles"))
    rows = np.flatnonzero(n_sh > 0)
    if leaders_only:
        h = _np(t.column("exact_hash").fill_null(0), np.uint64)[rows]
        _, first = np.unique(h, return_index=True)
        rows = rows[np.sort(first)]
    sk = dedup.sketches_of(t)[rows]
    packed = []
    for c in params.band_columns:
        i, j, _ = _bucket_pairs(_np(t.column(c), np.uint64)[rows], params.max_bucket_heads)
        packed.append(_pack(i, j))
    p = np.unique(np.concatenate(packed)) if packed else np.zeros(0, np.uint64)
    i, j = _unpack(p)
    sim = similarity(sk[i], sk[j])
    keep = accept(sim, params)
    ids = t.column("doc_id").take(pa.array(rows, pa.int64()))
    return pa.table({"doc_id": ids.take(pa.array(i[keep])), "other_doc_id": ids.take(pa.array(j[keep])),
                     "similarity": pa.array(sim[keep], pa.float32())}, schema=PAIR_SCHEMA)


# ------------------------------------------------------------------ matching

def match_drop(new: pa.Table, earlier: Sequence[Source] = (), params: Params = Params()) -> Match:
    """Flags for the rows of `new` (one drop's index rows, any row order), against `earlier`
    sources (every drop before it in first-seen order, with their flags). The drop is sorted and
    matched in pieces of params.chunk_rows rows (match_pieces)."""
    n = new.num_rows
    order = order_indices(new)
    step = max(params.chunk_rows, 1)
    pieces = (new.take(pa.array(order[a:a + step], pa.int64())) for a in range(0, n, step))
    flags_parts, pair_parts, stats = [], [], MatchStats()
    for m in match_pieces(pieces, earlier, params):
        flags_parts.append(m.flags)
        pair_parts.append(m.pairs)
        stats.add(m.stats)
    all_flags = pa.concat_tables(flags_parts) if flags_parts else FLAG_SCHEMA.empty_table()
    pos = np.empty(n, np.int64)
    pos[order] = np.arange(n)  # back to the row order of `new`
    return Match(all_flags.take(pa.array(pos, pa.int64())),
                 pa.concat_tables(pair_parts) if pair_parts else PAIR_SCHEMA.empty_table(), stats)


def match_pieces(pieces: Iterable[pa.Table], earlier: Sequence[Source] = (),
                 params: Params = Params()) -> Iterator[Match]:
    """Match one drop given as consecutive pieces, each sorted and all in first-seen order (the
    chunks of a sorted table, or per-shard index files when shards are path ranges): yields each
    piece's Match, its flags in the piece's row order. Each matched piece is an earlier source
    for the next; with more than one piece they are spilled to a temporary Parquet file, so
    memory holds one piece, never the drop."""
    sources = list(earlier)
    pending = None
    with tempfile.TemporaryDirectory(prefix="dedup-match-") as tmp:
        for k, piece in enumerate(pieces):
            if pending is not None:  # a later piece needs the previous one: spill it
                path = Path(tmp) / f"piece-{k - 1:05d}.parquet"
                t = _with_flags(*pending).replace_schema_metadata(index_metadata())
                pq.write_table(t, path, row_group_size=65536, **parquet_options(t.schema))
                sources.append(Source(f"piece-{k - 1}", path=path))
                pending = None
            flags, pairs, st = _match_chunk(piece, sources, params)
            yield Match(flags, pairs, st)
            pending = (piece, flags)


def match_drops(drops: Sequence[tuple[str, pa.Table]], earlier: Sequence[Source] = (),
                params: Params = Params()) -> list[Match]:
    """match_drop for several drops in first-seen order: each result is an earlier source for
    the drops after it (a rerun or an inserted drop recomputes itself and every later drop)."""
    sources = list(earlier)
    out = []
    for name, table in drops:
        m = match_drop(table, sources, params)
        out.append(m)
        sources.append(Source(name, table=_with_flags(sort_index(table), _align(table, m.flags))))
    return out


def _align(table: pa.Table, flags: pa.Table) -> pa.Table:
    return flags.take(pa.array(order_indices(table), pa.int64()))


def _with_flags(table: pa.Table, flags: pa.Table) -> pa.Table:
    out = table
    for c in FLAG_COLUMNS:
        out = out.append_column(FLAG_SCHEMA.field(c), flags.column(c))
    return out


def _match_chunk(chunk: pa.Table, sources: Sequence[Source], params: Params):
    """The rules of the module docstring for one chunk (rows in first-seen order)."""
    m = chunk.num_rows
    st = MatchStats(documents=m)
    ids = chunk.column("doc_id")
    ids_py = ids.to_pylist()
    n_words = _np(chunk.column("n_words"))
    n_sh = _np(chunk.column("n_shingles"))
    h = _np(chunk.column("exact_hash").fill_null(0), np.uint64)
    has_words = n_words > 0

    # Result arrays: rep = ordinal of the representative in this chunk, or -1 when outside.
    cluster: list[str] = list(ids_py)
    is_rep = np.ones(m, bool)
    dup_of: list[str | None] = [None] * m
    kind: list[str | None] = [None] * m
    sim = np.full(m, np.nan, np.float32)

    # --- exact groups inside the chunk: leader = first occurrence (rows are in order)
    word_rows = np.flatnonzero(has_words)
    uh, first, inv = np.unique(h[word_rows], return_index=True, return_inverse=True)
    leader = np.arange(m)
    leader[word_rows] = word_rows[first][inv]

    # --- exact matches in earlier sources: hash -> (cluster, kind, similarity) of any earlier
    # row with that hash (all rows of an exact group carry the same cluster)
    earlier_exact: dict[int, tuple[str, str, float]] = {}
    want = uh
    for src in sources:
        if not len(want):
            break
        sh = _np(src.column("exact_hash").fill_null(0), np.uint64)
        hit = np.flatnonzero(_members(sh, want) & (_np(src.column("n_words")) > 0))
        if not len(hit):
            continue
        got = src.take(["exact_hash", "dup_cluster", "dup_representative", "dup_kind",
                        "dup_similarity"], hit).to_pylist()
        for r in got:
            key = r["exact_hash"]
            if key in earlier_exact:
                continue
            if r["dup_representative"]:
                earlier_exact[key] = (r["dup_cluster"], "exact", 1.0)
            else:
                earlier_exact[key] = (r["dup_cluster"], r["dup_kind"], r["dup_similarity"])
        want = want[~_members(want, np.fromiter(earlier_exact.keys(), np.uint64, len(earlier_exact)))]

    # --- near candidates: chunk leaders with shingles and no earlier exact copy
    is_leader = (leader == np.arange(m)) & has_words
    if earlier_exact:
        known = np.fromiter(earlier_exact.keys(), np.uint64, len(earlier_exact))
        is_leader &= ~_members(h, known)
    cand = np.flatnonzero(is_leader & (n_sh > 0))
    sk = dedup.sketches_of(chunk)
    # earlier[x] = list of (similarity, source index, source row, rep doc_id); within[x] = (sim, y)
    best_earlier: dict[int, tuple[float, int, int, str]] = {}
    pairs_a: list[str] = []
    pairs_b: list[str] = []
    pairs_s: list[float] = []
    if len(cand):
        bands = {c: _np(chunk.column(c), np.uint64)[cand] for c in params.band_columns}
        reps = [_np(src.column("dup_representative")) & (_np(src.column("n_shingles")) > 0)
                for src in sources]
        packed: dict[int, list[np.ndarray]] = {}
        for si, src in enumerate(sources):
            if not reps[si].any():
                continue
            # a small source (an earlier piece of this drop) gives all its bands in one read;
            # a large one (a committed drop) one band at a time, so memory holds one column
            held = src.columns(params.band_columns) if src.num_rows <= PRELOAD_ROWS else None
            for c in params.band_columns:
                cv = bands[c]
                sv = _np(held.column(c) if held is not None else src.column(c), np.uint64)
                rows = np.flatnonzero(_members(sv, cv) & reps[si])  # representatives that share
                if not len(rows):
                    continue
                o = np.argsort(sv[rows], kind="stable")  # first seen first within a value
                ss = sv[rows][o]
                xs = np.flatnonzero(_members(cv, ss))  # the chunk's leaders in those buckets
                lo = np.searchsorted(ss, cv[xs], side="left")
                hi = np.searchsorted(ss, cv[xs], side="right")
                cnt = np.minimum(hi - lo, params.max_bucket_heads)
                st.truncated_buckets += int(((hi - lo) > params.max_bucket_heads).sum())
                x = np.repeat(xs, cnt)
                k = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
                packed.setdefault(si, []).append(_pack(x, rows[o[np.repeat(lo, cnt) + k]]))
        for si, parts in sorted(packed.items()):
            src = sources[si]
            p = np.unique(np.concatenate(parts))
            x, srows = _unpack(p)
            st.candidate_pairs += len(p)
            uniq_rows, back = np.unique(srows, return_inverse=True)
            got = src.take(["doc_id", "sketch"], uniq_rows)
            s_sk = dedup.sketches_of(got)[back]
            s_ids = got.column("doc_id").to_pylist()
            est = similarity(sk[cand[x]], s_sk)
            ok = np.flatnonzero(accept(est, params))
            st.verified_pairs += len(ok)
            for q in ok.tolist():
                xo = int(cand[x[q]])
                e = float(est[q])
                rid = s_ids[back[q]]
                pairs_a.append(ids_py[xo]), pairs_b.append(rid), pairs_s.append(e)
                cur = best_earlier.get(xo)
                # highest similarity; ties: the first seen (earlier source, then earlier row)
                if cur is None or e > cur[0] or (e == cur[0] and (si, int(srows[q])) < (cur[1], cur[2])):
                    best_earlier[xo] = (e, si, int(srows[q]), rid)
        # within the chunk
        packed = []
        for c in params.band_columns:
            i, j, trunc = _bucket_pairs(bands[c], params.max_bucket_heads)
            st.truncated_buckets += trunc
            packed.append(_pack(i, j))
        p = np.unique(np.concatenate(packed))
        i, j = _unpack(p)
        st.candidate_pairs += len(p)
        est = similarity(sk[cand[i]], sk[cand[j]])
        ok = accept(est, params)
        st.verified_pairs += int(ok.sum())
        within: dict[int, list[tuple[float, int]]] = {}
        for a_, b_, e in zip(cand[i[ok]].tolist(), cand[j[ok]].tolist(), est[ok].tolist()):
            within.setdefault(b_, []).append((e, a_))  # b_ is the later row
            pairs_a.append(ids_py[b_]), pairs_b.append(ids_py[a_]), pairs_s.append(e)
        # greedy, in first-seen order, over leaders with any verified pair
        for x in sorted(set(best_earlier) | set(within)):
            best = best_earlier.get(x)
            choice = None
            if best is not None:
                choice = (best[0], 0, best[3], -1)
            for e, y in within.get(x, ()):
                if not is_rep[y]:
                    continue
                # earlier sources precede the chunk: they win ties
                if choice is None or e > choice[0] or (e == choice[0] and choice[1] == 1 and y < choice[3]):
                    choice = (e, 1, ids_py[y], y)
            if choice is None:
                continue
            is_rep[x] = False
            cluster[x] = choice[2]
            dup_of[x] = choice[2]
            kind[x] = "near"
            sim[x] = choice[0]

    # --- followers: exact copies of a chunk leader, or of an earlier row
    followers = has_words & (leader != np.arange(m))
    if earlier_exact:
        followers |= has_words & _members(h, known)
    for x in np.flatnonzero(followers).tolist():
        hv = int(h[x])
        if hv in earlier_exact:
            c, k, s = earlier_exact[hv]
            is_rep[x], cluster[x], dup_of[x], kind[x], sim[x] = False, c, c, k, s
            continue
        ld = int(leader[x])
        if ld == x:
            continue
        is_rep[x] = False
        if is_rep[ld]:
            cluster[x], dup_of[x], kind[x], sim[x] = ids_py[ld], ids_py[ld], "exact", 1.0
        else:
            cluster[x], dup_of[x], kind[x], sim[x] = cluster[ld], dup_of[ld], kind[ld], sim[ld]

    st.exact = sum(1 for k in kind if k == "exact")
    st.near = sum(1 for k in kind if k == "near")
    members = np.flatnonzero(~is_rep).tolist()
    st.representatives_with_duplicates = len({cluster[x] for x in members} & set(ids_py))
    flags = pa.table({
        "doc_id": ids, "dup_cluster": pa.array(cluster, pa.string()),
        "dup_representative": pa.array(is_rep), "dup_of": pa.array(dup_of, pa.string()),
        "dup_kind": pa.array(kind, pa.string()),
        "dup_similarity": pa.array(sim, pa.float32(), mask=np.isnan(sim))}, schema=FLAG_SCHEMA)
    pairs = pa.table({"doc_id": pa.array(pairs_a, pa.string()),
                      "other_doc_id": pa.array(pairs_b, pa.string()),
                      "similarity": pa.array(pairs_s, pa.float32())}, schema=PAIR_SCHEMA)
    return flags, pairs, st


# ------------------------------------------------------------------ index files

def index_path(out: Path, drop: str) -> Path:
    """Where a drop's index lives: inside its partition, so the commit's rename moves both."""
    # not *.parquet: a reader's `OUT/**/*.parquet` glob finds the data and nothing else
    return Path(out) / f"drop={drop}" / "_dedup" / "index.pq"


def _params_meta() -> dict:
    return {"rules_version": dedup.RULES_VERSION, "library": dedup.library_version(),
            "num_perm": dedup.NUM_PERM, "bands": dedup.BANDS, "rows": dedup.ROWS,
            "shingle_size": dedup.SHINGLE_SIZE, "sketch_bits": dedup.SKETCH_BITS}


def index_metadata(index_id: str | None = None, basis: str | None = None) -> dict[bytes, bytes]:
    """The parameters the rows were made with, and (for a committed drop) the file's id and
    the basis: a hash of the ids of the earlier drops' index files it was matched against."""
    import json

    meta = {"params": _params_meta()}
    if index_id is not None:
        meta.update(index_id=index_id, basis=basis)
    return {INDEX_META_KEY: json.dumps(meta, sort_keys=True).encode()}


def basis_of(earlier_ids: Sequence[str]) -> str:
    import hashlib

    return hashlib.blake2b("\0".join(earlier_ids).encode(), digest_size=16).hexdigest()


def read_meta(path: Path) -> dict:
    import json

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(INDEX_META_KEY, b"{}"))


def parquet_options(schema: pa.Schema) -> dict:
    """Writer options for index files (the workers' per-shard files too): band hashes and
    sketches are random bytes, so no codec and no dictionary for them (zstd bought 0.1% of size
    for 3x the write time); zstd for the rest, a dictionary for source_path."""
    raw = set(dedup.band_columns()) | {"sketch"}
    return {"compression": {f.name: ("none" if f.name in raw else "zstd") for f in schema},
            "use_dictionary": [c for c in ("source_path", "dup_kind") if c in schema.names]}


def write_index(path: Path, index: pa.Table, flags: pa.Table, earlier_ids: Sequence[str] = (),
                row_group_rows: int = 65536) -> str:
    """One drop's index file: its rows in first-seen order with their flags, written to a
    temporary name and renamed (the commit moves it with the drop). Returns the file's new id;
    `earlier_ids` are the ids of the index files of the drops it was matched against, in order."""
    import uuid

    index_id = uuid.uuid4().hex
    t = _with_flags(sort_index(index), _align(index, flags))
    t = t.replace_schema_metadata(index_metadata(index_id, basis_of(earlier_ids)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pq.write_table(t, tmp, row_group_size=row_group_rows, **parquet_options(t.schema))
    tmp.replace(path)
    return index_id


def write_index_pieces(path: Path, pieces: Iterable[tuple[pa.Table, pa.Table]],
                       earlier_ids: Sequence[str] = (), row_group_rows: int = 65536) -> str:
    """`write_index` for a drop given as (index rows, flags) pieces, each sorted and all in
    first-seen order (a run's shards): written piece by piece, so memory holds one piece."""
    import uuid

    index_id = uuid.uuid4().hex
    meta = index_metadata(index_id, basis_of(earlier_ids))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    try:
        for index, flags in pieces:
            t = _with_flags(index, flags).replace_schema_metadata(meta)
            if writer is None:
                writer = pq.ParquetWriter(tmp, t.schema, **parquet_options(t.schema))
            writer.write_table(t, row_group_size=row_group_rows)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        return ""
    tmp.replace(path)
    return index_id


def check_compatible(path: Path) -> None:
    """Refuse an index file made with other parameters or another library version: its
    signatures do not compare with new ones (re-sign the drop from its text instead)."""
    got = read_meta(path).get("params")
    if got != _params_meta():
        raise ValueError(f"{path}: duplicate index made with {got}, this pipeline uses {_params_meta()}")


def first_stale(out: Path, drops: Sequence[str]) -> int | None:
    """The position in `drops` (all drops, first-seen order) of the first drop whose flags may
    be stale: no index file, or matched against other versions of the earlier drops than the
    ones now committed (a run died between re-flagging two drops, or a drop before it was
    replaced). That drop and every later one must be re-flagged; None when all are current."""
    ids: list[str] = []
    for k, d in enumerate(drops):
        p = index_path(out, d)
        if not p.exists():
            return k
        meta = read_meta(p)
        if meta.get("basis") != basis_of(ids) or "index_id" not in meta:
            return k
        ids.append(meta["index_id"])
    return None


def sources_from_dir(out: Path, drops: Iterable[str]) -> list[Source]:
    """Sources for `drops` (in the order given) from their OUT/drop=<d>/_dedup/index.pq."""
    result = []
    for d in drops:
        p = index_path(out, d)
        check_compatible(p)
        result.append(Source(d, path=p))
    return result
