"""Duplicate detection on BBC and on the synthetic wire-copy set: precision and recall against
brute-force Jaccard, the threshold/band sweep, and the signature cost next to the core.

Usage: python -m scripts.report_dedup [--bbc-dir DIR] [--stories N] [--seed S] [--sweep]
                                      [--cost] [--compare-libs] [--repeat N]

Both sets go through pipeline.core.clean_text first (as the pipeline would), then
pipeline.dedup (signatures) and pipeline.dedup_index (matching). The truth is brute force: word
5-gram shingles of the reference normalisation (dedup.words_ref, Python tuples, no hashing),
exact Jaccard for every pair of documents that share at least one shingle.

Figures:
  exact groups   groups of equal normalised text (truth) against the groups the flags form
  pairs          pair level: the pairs the detector asserts (exact groups, and every candidate
                 pair of exact-group leaders it verified >= threshold, dedup_index.verified_pairs)
                 against the brute-force pairs with Jaccard >= threshold; 'all' counts pairs of
                 identical normalised text too, 'near' only pairs whose texts differ
  flags          row level: a flagged row is right when its Jaccard with its dup_of is >=
                 threshold; a row 'should be flagged' when an earlier row has Jaccard >= threshold
                 with it; 'chain' counts those whose only such earlier rows are themselves members
                 (the chain rule keeps them representatives, docs/dedup.md)
  copies         wire set: constructed copies whose Jaccard with their original is >= threshold,
                 flagged into their original's cluster, per edit
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import dedup, dedup_index  # noqa: E402
from pipeline.core import clean_text  # noqa: E402
from pipeline.refcorpus import DEFAULT_BBC_DIR, load_articles  # noqa: E402

THRESHOLDS = (0.7, 0.75, 0.8, 0.85, 0.9)
LAYOUTS = ((16, 8), (20, 8), (26, 8), (32, 8), (32, 6), (42, 6), (20, 10), (25, 10))


# ------------------------------------------------------------------ truth

def brute_force(texts: list[str], size: int = dedup.SHINGLE_SIZE):
    """(exact groups [list of row lists], {(i, j): Jaccard} for every pair sharing a shingle)."""
    norm = [dedup.normalise(t) for t in texts]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(norm):
        if s:
            groups[s].append(i)
    exact = [g for g in groups.values() if len(g) > 1]
    sets = []
    for s in norm:
        w = s.split(" ") if s else []
        sets.append({tuple(w[k:k + size]) for k in range(len(w) - size + 1)})
    post: dict[tuple, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            post[sh].append(i)
    packed = []
    for lst in post.values():
        if len(lst) > 1:
            a = np.array(lst, np.uint64)
            ii, jj = np.triu_indices(len(a), 1)
            packed.append((a[ii] << np.uint64(32)) | a[jj])
    if not packed:
        return exact, {}
    p, inter = np.unique(np.concatenate(packed), return_counts=True)
    i = (p >> np.uint64(32)).astype(np.int64)
    j = (p & np.uint64(0xFFFFFFFF)).astype(np.int64)
    n = np.array([len(s) for s in sets])
    jac = inter / (n[i] + n[j] - inter)
    return exact, dict(zip(zip(i.tolist(), j.tolist()), jac.tolist()))


# ------------------------------------------------------------------ the detector

def index_for(texts: list[str], keys: list[str], signed: dedup.Signed | None = None,
              layout: tuple[int, int] | None = None) -> tuple[pa.Table, dedup.Signed]:
    s = signed or dedup.sign_texts(texts)
    if layout is not None:
        b, r = layout
        bands = dedup.band_hashes(s.signature, b, r)
        bands[s.n_shingles == 0] = 0
        s = dedup.Signed(s.n_words, s.n_shingles, s.exact_hash, s.signature, bands)
        t = _table_with_bands(keys, s, b)
    else:
        t = dedup.signed_table(keys, keys, [0] * len(keys), s)
    return t, s


def _table_with_bands(keys, s, b):
    cols = {"doc_id": keys, "source_path": keys, "source_record": pa.array([0] * len(keys), pa.int32()),
            "n_words": pa.array(s.n_words, pa.int32()), "n_shingles": pa.array(s.n_shingles, pa.int32()),
            "exact_hash": pa.array(s.exact_hash, pa.uint64(), mask=s.n_words == 0)}
    for k, c in enumerate(dedup.band_columns(b)):
        cols[c] = pa.array(np.ascontiguousarray(s.bands[:, k]), pa.uint64())
    sk = np.ascontiguousarray(s.signature & 0xFF, dtype=np.uint8)
    cols["sketch"] = pa.FixedSizeBinaryArray.from_buffers(pa.binary(sk.shape[1]), len(keys),
                                                          [None, pa.py_buffer(sk.tobytes())])
    return pa.table(cols)


def asserted_pairs(index: pa.Table, params: dedup_index.Params) -> set[tuple[str, str]]:
    """Pairs the detector asserts similar >= threshold: exact groups, and verified leader pairs
    expanded to every member of both exact groups."""
    ids = index.column("doc_id").to_pylist()
    h = index.column("exact_hash").to_pylist()
    group: dict[int, list[str]] = defaultdict(list)
    for d, x in zip(ids, h):
        if x is not None:
            group[x].append(d)
    of = {d: group[x] for d, x in zip(ids, h) if x is not None}
    out = set()
    for g in group.values():
        for a in range(len(g)):
            for b in range(a + 1, len(g)):
                out.add(tuple(sorted((g[a], g[b]))))
    vp = dedup_index.verified_pairs(index, params)
    for a, b in zip(vp.column("doc_id").to_pylist(), vp.column("other_doc_id").to_pylist()):
        for x in of.get(a, [a]):
            for y in of.get(b, [b]):
                out.add(tuple(sorted((x, y))))
    return out


def pr(found: set, truth: set) -> tuple[float, float, int, int]:
    tp = len(found & truth)
    return (tp / len(found) if found else 1.0, tp / len(truth) if truth else 1.0, len(found),
            len(truth))


def evaluate(name: str, texts: list[str], keys: list[str], params: dedup_index.Params,
             signed: dedup.Signed | None = None, layout=None, truth=None, verbose=True):
    exact_truth, jac = truth if truth is not None else brute_force(texts)
    index, s = index_for(texts, keys, signed, layout)
    pos = {k: i for i, k in enumerate(keys)}
    t = params.threshold

    def J(a: str, b: str) -> float:
        i, j = sorted((pos[a], pos[b]))
        return jac.get((i, j), 0.0)

    found = asserted_pairs(index, params)
    truth_all = {tuple(sorted((keys[i], keys[j]))) for (i, j), v in jac.items() if v >= t}
    same = set()
    for g in exact_truth:
        for a in range(len(g)):
            for b in range(a + 1, len(g)):
                same.add(tuple(sorted((keys[g[a]], keys[g[b]]))))
    truth_all |= same
    p_all = pr(found, truth_all)
    p_near = pr(found - same, truth_all - same)
    m = dedup_index.match_drop(index, params=params)
    flags = m.flags.to_pylist()
    # exact groups: every truth group inside one cluster, its rows flagged exact or its leader's kind
    cl = {r["doc_id"]: r["dup_cluster"] for r in flags}
    groups_found = sum(1 for g in exact_truth if len({cl[keys[i]] for i in g}) == 1)
    # flag level (rows are in first-seen order: keys sort like their positions here)
    flagged = [r for r in flags if r["dup_of"] is not None]
    right = sum(1 for r in flagged if (r["dup_kind"] == "exact" and dedup.normalise(texts[pos[r["doc_id"]]])
                                       == dedup.normalise(texts[pos[r["dup_of"]]])) or J(r["doc_id"], r["dup_of"]) >= t)
    first_seen = {k: i for i, k in enumerate(sorted(keys))}
    earlier = defaultdict(list)
    for a, b in truth_all:
        x, y = sorted((a, b), key=first_seen.get)
        earlier[y].append(x)
    rep = {r["doc_id"]: r["dup_representative"] for r in flags}
    should = [d for d in earlier]
    hit = sum(1 for d in should if not rep[d])
    chain = sum(1 for d in should if rep[d] and all(not rep[x] for x in earlier[d]))
    res = {"pairs_all": p_all, "pairs_near": p_near, "groups": (groups_found, len(exact_truth)),
           "flags_precision": right / len(flagged) if flagged else 1.0, "flagged": len(flagged),
           "should": len(should), "flag_recall": hit / len(should) if should else 1.0,
           "chain": chain, "stats": m.stats, "flags": flags, "J": J}
    if verbose:
        print(f"{name}: {len(texts)} documents, threshold {t}, {params.bands} bands"
              + (f" x {layout[1]} rows" if layout else f" x {dedup.ROWS} rows")
              + f", {dedup.NUM_PERM} permutations")
        print(f"  exact groups (equal normalised text): {groups_found}/{len(exact_truth)} found whole "
              f"({sum(len(g) for g in exact_truth)} documents, {sum(len(g) - 1 for g in exact_truth)} copies)")
        print(f"  pairs  all : precision {p_all[0]:.4f} recall {p_all[1]:.4f} "
              f"(asserted {p_all[2]}, brute force >= {t}: {p_all[3]})")
        print(f"  pairs  near: precision {p_near[0]:.4f} recall {p_near[1]:.4f} "
              f"(asserted {p_near[2]}, brute force >= {t}: {p_near[3]})")
        print(f"  flags      : {len(flagged)} rows flagged, {right} right (precision "
              f"{res['flags_precision']:.4f}); {hit}/{len(should)} rows with an earlier row >= {t} "
              f"flagged (recall {res['flag_recall']:.4f}), {chain} kept by the chain rule")
        print(f"  match stats: {m.stats}")
    return res


# ------------------------------------------------------------------ our own numpy candidate
U = np.uint64
M64 = (1 << 64) - 1
MAX_PROBES = 4096


def _probe(bins: np.ndarray, t: np.ndarray | int, slots: int, seed: int) -> np.ndarray:
    """The densification probe sequence: bin `bins` at attempt t looks at this bin (the same
    sequence for every document, which is what makes the densified slots comparable)."""
    x = (np.asarray(t, dtype=U) << U(20)) ^ bins.astype(U) ^ U((seed * dedup.GOLDEN) & M64)
    return (dedup._mix(x) >> U(64 - (slots.bit_length() - 1))).astype(np.int64)


_PROBE_TABLES: dict[tuple[int, int], np.ndarray] = {}


def _probe_table(slots: int, seed: int) -> np.ndarray:
    """int64 [32, slots]: the first 32 attempts of every slot's probe sequence."""
    key = (slots, seed)
    if key not in _PROBE_TABLES:
        _PROBE_TABLES[key] = _probe(np.arange(slots)[None, :], np.arange(32, dtype=U)[:, None],
                                    slots, seed)
    return _PROBE_TABLES[key]


def oph_minhash(shingles: np.ndarray, soff: np.ndarray, num_perm: int = dedup.NUM_PERM,
            seed: int = dedup.SEED) -> np.ndarray:
    """uint32 [n, num_perm]: one-permutation MinHash with optimal densification (Shrivastava
    2017), our own numpy candidate: slot = top log2(num_perm) bits of a shingle hash, value =
    its low 32 bits, minimum per slot; an empty slot i takes the value of the first non-empty
    slot on the probe sequence j_t = mix64((t << 20) ^ i ^ seed * GOLDEN) >> (64 - log2 k)."""
    n = len(soff) - 1
    slots = num_perm
    bits = slots.bit_length() - 1
    cnt = np.diff(soff)
    key = np.repeat(np.arange(n, dtype=np.int64) * slots, cnt)
    key += (shingles >> U(64 - bits)).astype(np.int64)
    raw = np.full(n * slots, 0xFFFFFFFF, np.uint32)
    np.minimum.at(raw, key, (shingles & U(0xFFFFFFFF)).astype(np.uint32))
    occ = np.zeros(n * slots, bool)
    occ[key] = True
    sig = raw.copy()
    cells = np.flatnonzero(~occ & np.repeat(cnt > 0, slots))
    b = cells & (slots - 1)
    base = cells - b
    table = _probe_table(slots, seed)
    t = 0
    # Most empty slots find a non-empty one in a few attempts: one attempt per round from a
    # precomputed table while many are open...
    while len(cells) > 256 and t < len(table):
        src = base + table[t][b]
        hit = occ[src]
        sig[cells[hit]] = raw[src[hit]]
        left = ~hit
        cells, b, base = cells[left], b[left], base[left]
        t += 1
    # ...then blocks of attempts for the few left (sparse documents need hundreds each)
    while len(cells) and t < MAX_PROBES:
        block = int(min(max(16384 // len(cells), 1), 256, MAX_PROBES - t))
        steps = np.arange(t, t + block, dtype=U)
        src = base[:, None] + _probe(b[:, None], steps[None, :], slots, seed)
        hit = occ[src]
        first = hit.argmax(axis=1)
        found = hit[np.arange(len(cells)), first]
        done = np.flatnonzero(found)
        sig[cells[done]] = raw[src[done, first[done]]]
        left = ~found
        cells, b, base = cells[left], b[left], base[left]
        t += block
    for c in cells.tolist():  # MAX_PROBES missed (p < 1e-7 per cell): next occupied bin, cyclic
        d, i = divmod(c, slots)
        row = occ[d * slots:(d + 1) * slots]
        j = next(k for k in list(range(i + 1, slots)) + list(range(i)) if row[k])
        sig[c] = raw[d * slots + j]
    return sig.reshape(n, slots)


# ------------------------------------------------------------------ the sets

def bbc_set(bbc_dir: Path):
    arts = load_articles(bbc_dir)
    texts = [clean_text(a.text).text for a in arts]
    return [a.path for a in arts], texts, arts


def wire_set(bbc_dir: Path, stories: int, seed: int):
    from bench.wirecopy import build_wirecopy

    docs = build_wirecopy(bbc_dir, stories, seed)
    return docs, [clean_text(d.raw).text for d in docs]


def copies_report(docs, keys, res, threshold):
    cl = {r["doc_id"]: r["dup_cluster"] for r in res["flags"]}
    J = res["J"]
    per_op = defaultdict(lambda: [0, 0, 0])  # copies, above threshold, flagged into origin's cluster
    for d in docs:
        if d.origin is None:
            continue
        above = J(d.key, d.origin) >= threshold
        same = cl[d.key] == cl[d.origin]
        for op in d.ops + ("any",):
            c = per_op[op]
            c[0] += 1
            c[1] += above
            c[2] += above and same
    print(f"  copies (constructed copy vs its original, Jaccard >= {threshold}):")
    for op in ("any",) + tuple(o for o in sorted(per_op) if o != "any"):
        n, a, f = per_op[op]
        print(f"    {op:10s} {n:5d} copies, {a:5d} above ({a / n:.0%}), {f:5d} of those in the "
              f"original's cluster ({f / a if a else 1:.4f})")


# ------------------------------------------------------------------ sweep, cost, libraries

def s_curve(j: float, b: int, r: int) -> float:
    return 1.0 - (1.0 - j ** r) ** b


def sweep(sets, stories_note: str):
    print("\nS-curve P(candidate | J) = 1 - (1 - J^r)^b per layout (b bands x r rows):")
    js = (0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
    print("   b x r  " + " ".join(f"J={j:<5}" for j in js))
    for b, r in LAYOUTS:
        print(f"  {b:3d} x {r:<2d} " + " ".join(f"{s_curve(j, b, r):7.4f}" for j in js))
    print(f"\npair precision / recall (near pairs only; all pairs in brackets) per threshold and layout "
          f"{stories_note}:")
    for name, texts, keys, truth, signed in sets:
        for b, r in LAYOUTS:
            if b * r > dedup.NUM_PERM:
                continue
            row = []
            for t in THRESHOLDS:
                params = dedup_index.Params(threshold=t, bands=b)
                res = evaluate(name, texts, keys, params, signed, (b, r), truth, verbose=False)
                pn, pa_ = res["pairs_near"], res["pairs_all"]
                row.append(f"t={t}: {pn[0]:.3f}/{pn[1]:.3f} ({pa_[0]:.3f}/{pa_[1]:.3f})")
            print(f"  {name:5s} {b:2d}x{r:<2d} " + "  ".join(row))


def cost(texts: list[str], repeat: int):
    """Signature step and clean_text on the same texts, interleaved in this process; CPU seconds
    per MB of clean text, best of `repeat` rounds each."""
    nbytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    arts = load_articles(DEFAULT_BBC_DIR)
    raws = [a.text for a in arts]
    raw_mb = sum(len(t.encode("utf-8")) for t in raws) / 1e6
    batches = [texts[i:i + 500] for i in range(0, len(texts), 500)]
    dedup.sign_texts(batches[0][:10])  # untimed: build the code point table
    best_sig = best_core = float("inf")
    keys = [str(i) for i in range(len(texts))]
    for _ in range(repeat):
        t0 = time.process_time()
        for b in batches:
            dedup.sign_texts(b)
        best_sig = min(best_sig, time.process_time() - t0)
        t0 = time.process_time()
        for r in raws:
            clean_text(r)
        best_core = min(best_core, time.process_time() - t0)
    index = dedup.index_rows(keys, keys, [0] * len(keys), texts)
    t0 = time.process_time()
    dedup_index.match_drop(index)
    match_s = time.process_time() - t0
    print(f"\ncost ({len(texts)} BBC documents, {nbytes:.2f} MB clean text, {raw_mb:.2f} MB raw; "
          f"CPU seconds, best of {repeat}, interleaved in one process):")
    print(f"  clean_text   {best_core:.3f} s = {best_core / raw_mb * 1000:.1f} ms per MB of input")
    print(f"  signatures   {best_sig:.3f} s = {best_sig / raw_mb * 1000:.1f} ms per MB of input "
          f"(dedup.sign_texts, batches of 500)")
    print(f"  ratio        signatures / clean_text = {best_sig / best_core:.3f}")
    print(f"  matching     {match_s:.3f} s for the whole set in one drop (dedup_index.match_drop)")


def cost_bench(size_mb: float, repeat: int, workdir: Path):
    """The share of the core as `python -m bench` (b) defines the core: pipeline.shard.clean_shard
    over a damaged benchmark drop (bench.corpus, seed 0) into Parquet, against the duplicate
    step's worker side on the same rows, as phase 2 will run it: index rows of each batch of
    500 cleaned rows (the texts in memory) and the index file written. CPU seconds in this
    process, interleaved, best of `repeat`."""
    import pyarrow.parquet as pq

    from bench.corpus import build_corpus
    from pipeline import dataset
    from pipeline.shard import clean_shard

    base = workdir / f"dedup-cost-{size_mb:g}mb"
    if not (base / "drop").is_dir():
        build_corpus(DEFAULT_BBC_DIR, base, size_mb, seed=0)
    drop = base / "drop"
    files = [f.path for f in dataset.discover(drop)]
    part = base / "part.parquet"
    res = clean_shard(str(drop), files, str(part), run_id="dedup-cost", drop="d")
    nbytes = res["stats"]["bytes_in"] / 1e6
    batches = [(b.column("doc_id"), b.column("source_path"), b.column("source_record"),
                b.column("text").to_pylist())
               for b in pq.ParquetFile(part).iter_batches(
                   batch_size=500, columns=["doc_id", "source_path", "source_record", "text"])]
    best_core = best_sig = best_write = best_match = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        clean_shard(str(drop), files, str(part), run_id="dedup-cost", drop="d")
        best_core = min(best_core, time.process_time() - t0)
        t0 = time.process_time()
        tables = [dedup.index_rows(*b) for b in batches]
        t1 = time.process_time()
        with pq.ParquetWriter(base / "index.parquet", dedup.index_schema(),
                              **dedup_index.parquet_options(dedup.index_schema())) as w:
            for t in tables:
                w.write_table(t)
        t2 = time.process_time()
        dedup_index.match_drop(pq.read_table(base / "index.parquet"))
        t3 = time.process_time()
        best_sig = min(best_sig, t1 - t0)
        best_write = min(best_write, t2 - t1)
        best_match = min(best_match, t3 - t2)
    side = best_sig + best_write
    print(f"\ncost on a damaged benchmark drop ({size_mb:g} MB, bench.corpus seed 0, {nbytes:.1f} MB "
          f"input, {res['stats']['documents']} documents; CPU seconds, best of {repeat}, "
          f"interleaved in one process):")
    print(f"  core (clean_shard, as bench (b))   {best_core:.2f} s = {best_core / nbytes * 1000:.1f} ms/MB")
    print(f"  index rows (dedup.index_rows)      {best_sig:.2f} s = {best_sig / nbytes * 1000:.1f} ms/MB")
    print(f"  index file written                 {best_write:.2f} s = {best_write / nbytes * 1000:.1f} ms/MB")
    print(f"  matching (read index, match_drop)  {best_match:.2f} s = {best_match / nbytes * 1000:.1f} ms/MB "
          f"(one drop, no earlier drops)")
    print(f"  worker side / core                 {side / best_core:.3f} "
          f"(signatures alone {best_sig / best_core:.3f}); with the matching "
          f"{(side + best_match) / best_core:.3f}")


def compare_libs(sets, repeat: int, num_perm: int = dedup.NUM_PERM):
    """MinHash implementations on the same shingle hashes, in this process. Speed: CPU ms per MB
    on the first set (best of `repeat`; datasketch once). Correctness on every set: the error of
    the slot-agreement estimate against exact Jaccard of the hashed shingle sets over the pairs
    with Jaccard in [0.5, 1), and the pairs an estimate >= threshold would report among them."""
    import itertools

    try:
        import rensa
    except ImportError:
        rensa = None
        print("  (rensa not installed: pip install rensa==0.5.0 to compare it)")
    try:
        import datasketch
    except ImportError:
        datasketch = None
        print("  (datasketch not installed: pip install datasketch==2.0.0 to compare it)")
    P = num_perm
    rng = np.random.RandomState(1)
    a = rng.randint(1, 2 ** 62, size=P, dtype=np.int64).astype(np.uint64) | np.uint64(1)
    b = rng.randint(1, 2 ** 62, size=P, dtype=np.int64).astype(np.uint64)

    def impls(sh, soff, n):
        batches = [(sh[soff[i]:soff[min(i + 500, n)]], soff[i:min(i + 500, n) + 1] - soff[i])
                   for i in range(0, n, 500)]
        out = {}
        if rensa is not None:
            def rensa_impl():
                res = []
                for h, o in batches:
                    m = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
                        h, o.astype(np.uint64), num_perm=P, seed=dedup.SEED)
                    rows = m.to_rows()
                    res.append(np.fromiter(itertools.chain.from_iterable(rows), np.uint32,
                                           len(rows) * P).reshape(-1, P))
                return np.concatenate(res)
            out["rensa 0.5.0 R-MinHash, to_rows (pipeline.dedup)"] = rensa_impl
        out["own numpy: one permutation + optimal densif."] = \
            lambda: np.concatenate([oph_minhash(h, o, P) for h, o in batches])

        def numpy_impl():  # classic k permutations (a*x + b) mod 2^64, top 32 bits
            res = []
            for h, o in batches:
                sig = np.empty((len(o) - 1, P), np.uint32)
                for k in range(P):
                    sig[:, k] = np.minimum.reduceat((h * a[k] + b[k]) >> np.uint64(32), o[:-1])
                res.append(sig)
            return np.concatenate(res)
        out["own numpy: classic k permutations"] = numpy_impl
        if datasketch is not None:
            def ds_impl():
                res = []
                for i in range(n):
                    m = datasketch.MinHash(num_perm=P, seed=1, hashfunc=int)
                    m.update_batch((sh[soff[i]:soff[i + 1]] >> np.uint64(32)).tolist())
                    res.append(m.hashvalues.astype(np.uint64))
                return np.array(res)
            out[f"datasketch {datasketch.__version__} MinHash.update_batch"] = ds_impl
        return out

    t = dedup.THRESHOLD
    print(f"\nMinHash implementations on the same shingle hashes ({P} permutations); estimate error "
          f"against exact Jaccard over pairs with Jaccard in [0.5, 1); the pairs an estimate >= {t} "
          f"reports (precision/recall among those pairs; no LSH, no size cap):")
    for si, (name, texts, jac) in enumerate(sets):
        nbytes = sum(len(x.encode("utf-8")) for x in texts) / 1e6
        s = dedup.sign_texts(texts, keep_shingles=True)
        sh, soff = s.shingles, s.shingle_offsets
        hs = [set(sh[soff[i]:soff[i + 1]].tolist()) for i in range(len(texts))]
        pairs = [(i, j) for (i, j), v in jac.items() if 0.5 <= v < 0.999]
        exact = np.array([len(hs[i] & hs[j]) / len(hs[i] | hs[j]) for i, j in pairs])
        pi = np.array([p[0] for p in pairs])
        pj = np.array([p[1] for p in pairs])
        binom = np.sqrt((exact * (1 - exact) / P).mean())
        print(f"  {name}: {len(texts)} documents, {nbytes:.2f} MB, {len(pairs)} pairs "
              f"(binomial rms of an ideal k-permutation MinHash: {binom:.4f})")
        for label, fn in impls(sh, soff, len(texts)).items():
            reps = 1 if "datasketch" in label else repeat
            best = float("inf")
            for _ in range(reps):
                t0 = time.process_time()
                sig = fn()
                best = min(best, time.process_time() - t0)
            est = (sig[pi] == sig[pj]).mean(axis=1)
            err = est - exact
            rep, tru = est >= t, exact >= t
            prec = (rep & tru).sum() / max(rep.sum(), 1)
            rec = (rep & tru).sum() / max(tru.sum(), 1)
            print(f"    {label:48s} {best / nbytes * 1000:7.1f} ms/MB  error mean {err.mean():+.4f} "
                  f"rms {np.sqrt((err ** 2).mean()):.4f}  at {t}: precision {prec:.4f} recall {rec:.4f}")


def synthetic_index(drop: str, n: int, seed: int, copy_of: pa.Table | None = None,
                    share: float = 0.1) -> pa.Table:
    """Index rows with random band hashes and sketches (no text): for timing and memory of the
    matching at scale. With `copy_of`, `share` of the rows copy a row of it (half exact, half
    with 4 of the bands and a tenth of the sketch changed)."""
    rng = np.random.default_rng(seed)
    b = dedup.BANDS
    bands = rng.integers(0, 2 ** 63, size=(n, b), dtype=np.int64).astype(np.uint64)
    sketch = rng.integers(0, 256, size=(n, dedup.NUM_PERM), dtype=np.uint8)
    exact = rng.integers(0, 2 ** 63, size=n, dtype=np.int64).astype(np.uint64)
    if copy_of is not None:
        k = int(n * share)
        rows = rng.integers(0, copy_of.num_rows, size=k)
        src_b = np.stack([copy_of.column(c).to_numpy() for c in dedup.band_columns()], axis=1)[rows]
        src_s = dedup.sketches_of(copy_of)[rows]
        src_e = copy_of.column("exact_hash").to_numpy()[rows]
        bands[:k], sketch[:k], exact[:k] = src_b, src_s, src_e
        near = np.arange(k // 2, k)
        exact[near] = rng.integers(0, 2 ** 63, size=len(near), dtype=np.int64).astype(np.uint64)
        bands[near, :4] ^= np.uint64(1)
        sketch[near, :dedup.NUM_PERM // 10] ^= 1
    ids = [f"{drop}:{i:09d}" for i in range(n)]
    s = dedup.Signed(np.full(n, 300, np.int32), np.full(n, 296, np.int32), exact,
                     np.zeros((n, dedup.NUM_PERM), np.uint32), bands)
    t = dedup.signed_table(ids, pa.array([f"f{i // 1000:06d}" for i in range(n)]),
                           pa.array(np.arange(n) % 1000, pa.int32()), s)
    return t.set_column(t.schema.get_field_index("sketch"), dedup.index_schema().field("sketch"),
                        pa.FixedSizeBinaryArray.from_buffers(pa.binary(dedup.NUM_PERM), n,
                                                             [None, pa.py_buffer(sketch.tobytes())]))


def scale(n: int, earlier_drops: int, workdir: Path):
    """Match a drop of n synthetic index rows (a tenth copies of the earlier drops) against
    `earlier_drops` stored drops of n rows each, in a child process: its CPU seconds and peak
    RSS (ru_maxrss), so the figures are the matching's alone (reading the new drop's index
    file included)."""
    import json
    import subprocess

    import pyarrow.parquet as pq

    workdir.mkdir(parents=True, exist_ok=True)
    names = [f"e{k:02d}" for k in range(earlier_drops)]
    t0 = time.process_time()
    for k, name in enumerate(names):
        p = dedup_index.index_path(workdir, name)
        if not p.exists():
            t = synthetic_index(name, n, 100 + k)
            dedup_index.write_index(p, t, dedup_index.match_drop(t).flags)
    new = workdir / "new.parquet"
    if not new.exists():
        last = pq.read_table(dedup_index.index_path(workdir, names[-1]))
        t = synthetic_index("new", n, 7, copy_of=last)
        pq.write_table(t, new, row_group_size=65536, **dedup_index.parquet_options(t.schema))
    print(f"\nscale: {earlier_drops} earlier drops of {n} rows and a new one built in "
          f"{time.process_time() - t0:.0f} s")
    # The new drop is read as pieces of 4 row groups (262,144 rows, sorted: first-seen order),
    # so the process never holds its whole table: the peak is the matcher's.
    code = ("import json, resource, sys, time; sys.path.insert(0, %r); "
            "import pyarrow.parquet as pq; from pipeline import dedup_index as di; "
            "pf = pq.ParquetFile(%r); g = pf.metadata.num_row_groups; "
            "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; "
            "t0 = time.process_time(); "
            "pieces = (pf.read_row_groups(list(range(k, min(k + 4, g)))) for k in range(0, g, 4)); "
            "st = di.MatchStats(); "
            "[st.add(m.stats) for m in di.match_pieces(pieces, di.sources_from_dir(%r, %r))]; "
            "print(json.dumps({'cpu': time.process_time() - t0, 'stats': vars(st), "
            "'before_mb': r0, "
            "'maxrss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
            % (str(ROOT), str(new), str(workdir), names))
    out = json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                    text=True, cwd=ROOT).stdout)
    print(f"  match_pieces of {n} new rows against {earlier_drops * n} earlier rows: "
          f"{out['cpu']:.1f} s CPU = {out['cpu'] / n * 1e6:.1f} us per new row; peak RSS of the "
          f"process {out['maxrss_mb']:.0f} MB ({out['before_mb']:.0f} MB after the imports); "
          f"{out['stats']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bbc-dir", type=Path, default=DEFAULT_BBC_DIR)
    ap.add_argument("--stories", type=int, default=600, help="wire set: originals that get copies")
    ap.add_argument("--seed", type=int, nargs="+", default=[0],
                    help="wire set seed(s): 0 is the set the parameters were chosen on")
    ap.add_argument("--sweep", action="store_true", help="thresholds x band layouts")
    ap.add_argument("--cost", action="store_true", help="signature CPU time next to clean_text")
    ap.add_argument("--cost-bench-mb", type=float, default=0,
                    help="also measure the share of clean_shard on a damaged bench drop this big")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/corpus-clean-dedup"))
    ap.add_argument("--scale", type=int, default=0,
                    help="time and peak memory of matching a drop of N synthetic rows against "
                         "--scale-drops stored drops of N rows")
    ap.add_argument("--scale-drops", type=int, default=1)
    ap.add_argument("--compare-libs", action="store_true", help="MinHash libraries side by side")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if args.scale:
        scale(args.scale, args.scale_drops, args.workdir / f"scale-{args.scale}")
        return 0

    keys, texts, _ = bbc_set(args.bbc_dir)
    bbc_truth = brute_force(texts)
    params = dedup_index.Params()
    print(f"parameters: {dedup.RULES_VERSION}, {dedup.library_version()}, shingles of "
          f"{dedup.SHINGLE_SIZE} words, {dedup.NUM_PERM} permutations, {dedup.BANDS} bands x "
          f"{dedup.ROWS} rows, threshold {dedup.THRESHOLD}\n")
    evaluate("BBC", texts, keys, params, truth=bbc_truth)
    for seed in args.seed:
        docs, wtexts = wire_set(args.bbc_dir, args.stories, seed)
        wkeys = [d.key for d in docs]
        wire_truth = brute_force(wtexts)
        print()
        res = evaluate(f"wire-copy (seed {seed}, {args.stories} stories)", wtexts, wkeys, params,
                       truth=wire_truth)
        copies_report(docs, wkeys, res, params.threshold)
    if args.sweep:
        sweep([("BBC", texts, keys, bbc_truth, dedup.sign_texts(texts)),
               ("wire", wtexts, wkeys, wire_truth, dedup.sign_texts(wtexts))],
              f"(wire seed {args.seed[-1]})")
    if args.cost:
        cost(texts, args.repeat)
    if args.cost_bench_mb:
        cost_bench(args.cost_bench_mb, args.repeat, args.workdir)
    if args.compare_libs:
        compare_libs([("BBC", texts, bbc_truth[1]), (f"wire seed {args.seed[-1]}", wtexts, wire_truth[1])],
                     args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
