"""Duplicate detection: the signature step (pipeline.dedup) and the matching over index rows
(pipeline.dedup_index), within a drop, across drops, on rerun/replace; BBC and the wire-copy
targets (needs ../shared)."""
from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import dedup
from pipeline import dedup_index as di

# ------------------------------------------------------------------ texts made up for the tests

_VOCAB = [f"w{i}" for i in range(5000)]


def paragraph(rng: random.Random, n: int = 40) -> str:
    return " ".join(rng.choice(_VOCAB) for _ in range(n)) + "."


def story(seed: int, paragraphs: int = 20) -> list[str]:
    rng = random.Random(seed)
    return [paragraph(rng) for _ in range(paragraphs)]


def text(paras: list[str]) -> str:
    return "\n\n".join(paras)


def index(docs: list[tuple[str, str]], drop: str = "d") -> pa.Table:
    """Index rows for (source_path, text) pairs; doc_id = drop:path."""
    paths = [p for p, _ in docs]
    return dedup.index_rows([f"{drop}:{p}" for p in paths], paths, [0] * len(paths),
                            [t for _, t in docs])


def flags_by_id(m: di.Match) -> dict[str, dict]:
    return {r["doc_id"]: r for r in m.flags.to_pylist()}


# ------------------------------------------------------------------ the signature step

ODD_TEXTS = [
    "", "   \n\n ", "a b", "one two three four", "one two three four five",
    "Straße STRASSE café CAFÉ ﬁne 𝐁old 😀 emoji𝐁x and more words",
    "naïve  nai\u0308ve",  # composed and decomposed: NFKC makes them one word
    "Москва – столица России, 北京是中国的首都 and more words here today",
    "x" * 30 + " " + "é" * 17 + " " + "ж" * 9 + " end of it all",
    "\x00a\x00b c d e f g", "lone \ud800 surrogate in the middle of words",
    "it’s “quoted” — dashes… and it's \"quoted\" - dashes...",
]


def test_batch_path_equals_the_reference_definitions():
    texts = ODD_TEXTS + [text(story(s)) for s in range(5)]
    s = dedup.sign_texts(texts, keep_shingles=True)
    for i, t in enumerate(texts):
        assert s.n_words[i] == len(dedup.words_ref(t)), t
        got = s.shingles[s.shingle_offsets[i]:s.shingle_offsets[i + 1]].tolist()
        assert got == dedup.shingle_hashes_ref(t), t
        assert s.n_shingles[i] == len(dedup.shingle_hashes_ref(t)), t
        ref = dedup.exact_hash_ref(t)
        assert (s.n_words[i] == 0) == (ref is None)
        if ref is not None:
            assert int(s.exact_hash[i]) == ref, t


def test_a_document_signs_the_same_alone_or_in_any_batch():
    texts = ODD_TEXTS + [text(story(s)) for s in range(6)]
    together = dedup.sign_texts(texts)
    for i, t in enumerate(texts):
        alone = dedup.sign_texts([t])
        assert alone.exact_hash[0] == together.exact_hash[i]
        assert (alone.signature[0] == together.signature[i]).all()
        assert (alone.bands[0] == together.bands[i]).all()


def test_normalisation_ignores_case_spacing_punctuation_and_quote_style():
    base = "The minister said: \"It's over.\"\n\nTalks ended on Monday — without a deal."
    variants = [
        "the MINISTER said it's over. Talks ended on Monday, without a deal",
        "The minister said: “It’s over.” Talks ended on Monday – without a deal…",
        "  The   minister\tsaid :\n\n\"It's over.\"\nTalks ended on Monday - without a deal.  ",
    ]
    h = dedup.sign_texts([base] + variants).exact_hash
    assert len(set(h.tolist())) == 1
    assert dedup.normalise(base) == "the minister said it s over talks ended on monday without a deal"
    changed = dedup.sign_texts([base.replace("Monday", "Tuesday")]).exact_hash[0]
    assert changed != h[0]


def test_short_and_empty_documents():
    s = dedup.sign_texts(["", "one two three four", "one two three four five"])
    assert s.n_words.tolist() == [0, 4, 5]
    assert s.n_shingles.tolist() == [0, 0, 1]  # fewer than 5 words: exact only
    t = dedup.signed_table(["a", "b", "c"], ["a", "b", "c"], [0, 0, 0], s)
    assert t.column("exact_hash").null_count == 1
    assert t.schema == dedup.index_schema()


def test_estimated_similarity_follows_jaccard():
    paras = story(1, 20)
    a = text(paras)
    b = text(paras[:16] + story(2, 4))  # 16 of 24 paragraphs shared: Jaccard ~0.67
    c = text(story(3, 20))
    sk = dedup.sketches_of(index([("a", a), ("b", b), ("c", c), ("a2", a)]))
    sa, sb = set(dedup.shingle_hashes_ref(a)), set(dedup.shingle_hashes_ref(b))
    jab = len(sa & sb) / len(sa | sb)
    est = di.similarity(sk[[0, 0, 0]], sk[[1, 2, 3]])
    assert abs(est[0] - jab) < 0.1
    assert est[1] < 0.05
    assert est[2] == 1.0


# ------------------------------------------------------------------ matching within a drop

def test_exact_and_near_copies_within_a_drop():
    a, b = story(10), story(11)
    near = a[:19] + [paragraph(random.Random(99))]  # one of 20 paragraphs rewritten: J ~ .9
    docs = [("01.txt", text(a)), ("02.txt", text(b)), ("03.txt", text(a).upper()),
            ("04.txt", text(near)), ("05.txt", text(story(12)))]
    f = flags_by_id(di.match_drop(index(docs)))
    assert f["d:01.txt"]["dup_representative"] and f["d:01.txt"]["dup_of"] is None
    assert f["d:01.txt"]["dup_cluster"] == "d:01.txt"
    assert (f["d:03.txt"]["dup_of"], f["d:03.txt"]["dup_kind"], f["d:03.txt"]["dup_similarity"]) \
        == ("d:01.txt", "exact", 1.0)
    assert f["d:04.txt"]["dup_of"] == "d:01.txt" and f["d:04.txt"]["dup_kind"] == "near"
    assert dedup.THRESHOLD <= f["d:04.txt"]["dup_similarity"] < 1.0
    assert f["d:04.txt"]["dup_cluster"] == "d:01.txt"
    for k in ("d:02.txt", "d:05.txt"):
        assert f[k]["dup_representative"] and f[k]["dup_kind"] is None


def test_first_seen_is_path_then_record_whatever_the_row_order():
    a = text(story(20))
    docs = [("b.txt", a), ("a.txt", a), ("c.txt", text(story(21)))]
    t = index(docs)
    t = t.set_column(2, t.schema.field(2), pa.array([0, 3, 0], pa.int32()))
    extra = index([("a.txt", a)])
    extra = extra.set_column(2, t.schema.field(2), pa.array([1], pa.int32()))
    extra = extra.set_column(0, t.schema.field(0), pa.array(["d:a.txt#1"]))
    t = pa.concat_tables([t, extra])
    f = flags_by_id(di.match_drop(t))
    # a.txt record 1 comes before a.txt record 3, which comes before b.txt
    assert f["d:a.txt#1"]["dup_representative"]
    assert f["d:a.txt"]["dup_of"] == "d:a.txt#1"
    assert f["d:b.txt"]["dup_of"] == "d:a.txt#1"
    rng = np.random.default_rng(0)
    for _ in range(3):
        shuffled = t.take(pa.array(rng.permutation(t.num_rows)))
        assert flags_by_id(di.match_drop(shuffled)) == f


def test_chain_rule_a_near_b_near_c_but_not_a_near_c():
    p = story(30, 24)
    a, b, c = text(p[0:20]), text(p[2:22]), text(p[4:24])  # J(a,b) = J(b,c) ~ .82, J(a,c) ~ .67
    params = di.Params(threshold=0.75)
    f = flags_by_id(di.match_drop(index([("1a", a), ("2b", b), ("3c", c)]), params=params))
    assert f["d:1a"]["dup_representative"]
    assert f["d:2b"]["dup_of"] == "d:1a" and f["d:2b"]["dup_kind"] == "near"
    # c is similar to b only, and b is a member: c starts its own cluster
    assert f["d:3c"]["dup_representative"] and f["d:3c"]["dup_cluster"] == "d:3c"


def test_a_row_joins_the_most_similar_representative():
    p = story(40, 30)
    a, b = text(p[0:20]), text(p[10:30])  # J(a,b) ~ .33: two representatives
    x = text(p[4:24])  # J(x,a) ~ .67, J(x,b) ~ .54: both above .4
    params = di.Params(threshold=0.4)
    f = flags_by_id(di.match_drop(index([("1b", b), ("2a", a), ("3x", x)]), params=params))
    assert f["d:1b"]["dup_representative"] and f["d:2a"]["dup_representative"]
    assert f["d:3x"]["dup_of"] == "d:2a"  # the more similar, not the first seen


def test_exact_copy_of_a_near_member_points_at_the_representative():
    a = story(50)
    m = text(a[:19] + story(51, 1))
    f = flags_by_id(di.match_drop(index([("1", text(a)), ("2", m), ("3", m.lower())])))
    assert f["d:2"]["dup_kind"] == "near" and f["d:2"]["dup_of"] == "d:1"
    assert f["d:3"]["dup_of"] == "d:1" and f["d:3"]["dup_kind"] == "near"
    assert f["d:3"]["dup_similarity"] == f["d:2"]["dup_similarity"]


def test_documents_without_words_are_nobodys_duplicates():
    f = flags_by_id(di.match_drop(index([("1", ""), ("2", " ... "), ("3", "")])))
    assert all(r["dup_representative"] and r["dup_kind"] is None for r in f.values())


def test_chunks_give_the_same_flags_as_one_pass():
    rng = random.Random(5)
    bases = [story(100 + k) for k in range(6)]
    docs = []
    for i in range(60):
        base = rng.choice(bases)
        paras = list(base)
        if rng.random() < 0.5:
            paras[rng.randrange(20)] = paragraph(rng)
        docs.append((f"{i:03d}", text(paras) if rng.random() < 0.8 else text(story(200 + i))))
    t = index(docs)
    one = di.match_drop(t)
    for rows in (1, 7, 25):
        assert di.match_drop(t, params=di.Params(chunk_rows=rows)).flags.equals(one.flags)


def test_a_drop_read_as_pieces_of_a_sorted_file_matches_like_the_whole(tmp_path):
    rng = random.Random(6)
    bases = [story(700 + k) for k in range(5)]
    docs = [(f"{i:03d}", text(rng.choice(bases)) if rng.random() < 0.6 else text(story(800 + i)))
            for i in range(40)]
    t = di.sort_index(index(docs))
    whole = di.match_drop(t)
    pq.write_table(t, tmp_path / "new.parquet", row_group_size=6)
    pf = pq.ParquetFile(tmp_path / "new.parquet")
    pieces = (pf.read_row_group(g) for g in range(pf.metadata.num_row_groups))
    flags = pa.concat_tables([m.flags for m in di.match_pieces(pieces)])
    assert flags.equals(whole.flags)
    assert not all(flags.column("dup_representative").to_pylist())


def test_big_buckets_are_bounded_and_still_find_the_representative():
    base = story(300)
    rng = random.Random(3)
    docs = [("000", text(base))]
    for i in range(1, 40):  # 39 near copies of one story
        paras = list(base)
        paras[rng.randrange(1, 20)] = paragraph(rng, 4)
        docs.append((f"{i:03d}", text(paras)))
    m = di.match_drop(index(docs), params=di.Params(max_bucket_heads=4))
    assert m.stats.truncated_buckets > 0
    f = m.flags.to_pylist()
    assert [r["doc_id"] for r in f if r["dup_representative"]] == ["d:000"]
    assert {r["dup_of"] for r in f[1:]} == {"d:000"}


# ------------------------------------------------------------------ across drops

def _two_drops():
    s = [story(400 + k) for k in range(8)]
    d1 = [(f"{k}.txt", text(p)) for k, p in enumerate(s)]
    rng = random.Random(7)
    d2 = []
    for k, p in enumerate(s):
        if k % 2:
            d2.append((f"copy{k}.txt", text(p).upper()))  # exact copy
        else:
            q = list(p)
            q[rng.randrange(1, 20)] = paragraph(rng)
            d2.append((f"copy{k}.txt", "Share this story\n\n" + text(q)))  # near copy
    d2 += [(f"new{k}.txt", text(story(500 + k))) for k in range(3)]
    return index(d1, "d1"), index(d2, "d2")


def test_a_second_drop_of_copies_is_flagged_against_the_first_drops_doc_ids():
    t1, t2 = _two_drops()
    m1, m2 = di.match_drops([("d1", t1), ("d2", t2)])
    assert all(m1.flags.column("dup_representative").to_pylist())
    f = flags_by_id(m2)
    for k in range(8):
        r = f[f"d2:copy{k}.txt"]
        assert r["dup_of"] == f"d1:{k}.txt", r
        assert r["dup_kind"] == ("exact" if k % 2 else "near")
    assert all(f[f"d2:new{k}.txt"]["dup_representative"] for k in range(3))
    # matching d2 alone against d1's stored index gives the same answer
    alone = di.match_drop(t2, [di.Source("d1", table=_stored(t1, m1))])
    assert alone.flags.equals(m2.flags)


def _stored(t: pa.Table, m: di.Match) -> pa.Table:
    return di._with_flags(di.sort_index(t), di._align(t, m.flags))


def test_index_files_round_trip_and_match_like_memory(tmp_path):
    t1, t2 = _two_drops()
    m1 = di.match_drop(t1)
    p = di.index_path(tmp_path, "d1")
    di.write_index(p, t1, m1.flags, row_group_rows=3)
    stored = pq.read_table(p)
    keys = list(zip(stored.column("source_path").to_pylist(), stored.column("source_record").to_pylist()))
    assert keys == sorted(keys)
    from_file = di.match_drop(t2, di.sources_from_dir(tmp_path, ["d1"]))
    from_memory = di.match_drop(t2, [di.Source("d1", table=_stored(t1, m1))])
    assert from_file.flags.equals(from_memory.flags)
    # an index made with other parameters is refused, not compared
    bad = stored.replace_schema_metadata({di.INDEX_META_KEY: b'{"params": {"num_perm": 64}}'})
    pq.write_table(bad, p)
    with pytest.raises(ValueError, match="duplicate index made with"):
        di.sources_from_dir(tmp_path, ["d1"])


def test_a_stale_drop_is_found_after_a_run_died_between_two_drops(tmp_path):
    t1, t2 = _two_drops()
    t3 = index([("a.txt", text(story(404)))], "d3")
    ids = []
    for name, t in (("d1", t1), ("d2", t2), ("d3", t3)):
        m = di.match_drop(t, di.sources_from_dir(tmp_path, ["d1", "d2", "d3"][:len(ids)]))
        ids.append(di.write_index(di.index_path(tmp_path, name), t, m.flags, ids))
    assert di.first_stale(tmp_path, ["d1", "d2", "d3"]) is None
    # d2 replaced and committed, then the run died before re-flagging d3
    m = di.match_drop(t2, di.sources_from_dir(tmp_path, ["d1"]))
    di.write_index(di.index_path(tmp_path, "d2"), t2, m.flags, ids[:1])
    assert di.first_stale(tmp_path, ["d1", "d2", "d3"]) == 2
    # a drop inserted between d2 and d3, not indexed yet: from it on
    assert di.first_stale(tmp_path, ["d1", "d2", "d2b", "d3"]) == 2
    assert di.first_stale(tmp_path, ["d0", "d1"]) == 0  # no index at all


def test_rerun_and_replace_keep_the_flags_consistent():
    t1, t2 = _two_drops()
    t3 = index([("a.txt", text(story(404))), ("b.txt", text(story(501))),
                ("c.txt", text(story(600)))], "d3")
    first = di.match_drops([("d1", t1), ("d2", t2), ("d3", t3)])
    # a rerun of d2 with the same input: same doc_ids, same flags for d2 and d3
    again = di.match_drops([("d2", t2), ("d3", t3)],
                           [di.Source("d1", table=_stored(t1, first[0]))])
    assert again[0].flags.equals(first[1].flags) and again[1].flags.equals(first[2].flags)
    f3 = flags_by_id(first[2])
    assert f3["d3:b.txt"]["dup_of"] == "d2:new1.txt"
    # d2 replaced: new1.txt gone, another file added; recomputing d2 and every later drop from
    # the index equals computing all drops from scratch, and d3 no longer names a vanished row
    rows = [i for i, p in enumerate(t2.column("source_path").to_pylist()) if p != "new1.txt"]
    t2b = pa.concat_tables([t2.take(rows), index([("new9.txt", text(story(900)))], "d2")])
    replaced = di.match_drops([("d2", t2b), ("d3", t3)],
                              [di.Source("d1", table=_stored(t1, first[0]))])
    scratch = di.match_drops([("d1", t1), ("d2", t2b), ("d3", t3)])
    assert replaced[0].flags.equals(scratch[1].flags)
    assert replaced[1].flags.equals(scratch[2].flags)
    g3 = flags_by_id(replaced[1])
    assert g3["d3:b.txt"]["dup_representative"]  # its representative left with the old d2
    assert g3["d3:a.txt"]["dup_of"] == "d1:4.txt"  # an exact copy of d1 stays flagged
    alive = set(t1.column("doc_id").to_pylist()) | set(t2b.column("doc_id").to_pylist()) \
        | set(t3.column("doc_id").to_pylist())
    assert {r["dup_of"] for r in g3.values()} - {None} <= alive


# ------------------------------------------------------------------ the targets (../shared)

@pytest.mark.needs_shared
def test_bbc_and_wire_copy_targets():
    import sys

    from conftest import BBC, REPO

    sys.path.insert(0, str(REPO / "scripts"))
    from report_dedup import bbc_set, brute_force, evaluate, wire_set

    params = di.Params()
    keys, texts, _ = bbc_set(BBC)
    truth = brute_force(texts)
    res = evaluate("BBC", texts, keys, params, truth=truth, verbose=False)
    assert res["groups"][0] == res["groups"][1] > 0  # every exact group found whole
    assert res["pairs_all"][0] >= 0.99 and res["pairs_all"][1] >= 0.95
    docs, wtexts = wire_set(BBC, 600, 0)
    res = evaluate("wire", wtexts, [d.key for d in docs], params, verbose=False)
    assert res["groups"][0] == res["groups"][1]
    for kind in ("pairs_all", "pairs_near"):
        assert res[kind][0] >= 0.99 and res[kind][1] >= 0.95, (kind, res[kind])
    assert res["flags_precision"] >= 0.99
