"""Discovery, sharding, staging and the atomic, replace-not-append commit of a drop."""
import os

import pyarrow.parquet as pq

from pipeline.storage import commit, layout, ledger, planning, runs, staging
from pipeline.shard import clean_shard

TEXT = "Shares in the firm rose 5% on Monday.\n\nAnalysts said the results beat forecasts."


def make_drop(root, n, prefix="doc"):
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"{prefix}{i:03d}.txt").write_text(f"Story {i}\n\n{TEXT} Item {i}.")
    return root


def run_once(tmp_path, drop_dir, out, files=None, incremental=False):
    """Clean a drop the way the flow does, without Prefect: shard, stage, commit."""
    files = files if files is not None else planning.discover(drop_dir)
    run_id = runs.new_run_id()
    with staging.Staging(out, run_id) as st:
        staged = st.drop_dir(drop_dir.name)
        results = [clean_shard(str(drop_dir), shard, str(staged / f"part-{run_id[:8]}-{i:05d}.parquet"),
                               run_id, drop_dir.name)
                   for i, shard in enumerate(planning.make_shards(files, 200, 64, 1))]
        commit.commit_drop(out, drop_dir.name, staged,
                            replaced={f.path for f in files} if incremental else None,
                            rejects=[r for x in results for r in x["rejects"]],
                            ledger=[e for x in results for e in x["ledger"]])
    return run_id


def rows(out, drop):
    parts = sorted(layout.partition_dir(out, drop).glob("*.parquet"))
    return [r for p in parts for r in pq.read_table(p, columns=["doc_id", "source_path", "run_id"]).to_pylist()]


def test_discover_skips_hidden_and_sorts(tmp_path):
    d = make_drop(tmp_path / "d", 3)
    (d / ".DS_Store").write_bytes(b"x")
    (d / "sub").mkdir()
    (d / "sub" / "z.txt").write_text("hello world")
    assert [f.path for f in planning.discover(d)] == ["doc000.txt", "doc001.txt", "doc002.txt", "sub/z.txt"]


def test_shards_are_coarse_and_bounded():
    files = [planning.SourceFile(f"f{i:05d}.txt", 3000, 0) for i in range(10_000)]
    shards = planning.make_shards(files, 4 * 1024 * 1024, 64, min_shards=4)
    assert 4 <= len(shards) <= 64
    assert [p for s in shards for p in s] == [f.path for f in files], "every file once, in order"
    few = planning.make_shards(files[:5], 4 * 1024 * 1024, 64, min_shards=4)
    assert 4 <= len(few) <= 5 and sum(map(len, few)) == 5
    assert planning.make_shards([], 100, 10) == []
    many = [planning.SourceFile(f"f{i:06d}.txt", 3000, 0) for i in range(100_000)]
    capped = planning.make_shards(many, 4 * 1024 * 1024, 16, workers=2)
    assert len(capped) <= 16 and sum(map(len, capped)) == 100_000


def test_shards_shrink_towards_the_end_of_the_drop():
    """Coarse shards while much work is left, small ones last: no worker waits on a big late shard."""
    files = [planning.SourceFile(f"f{i:05d}.txt", 3000, 0) for i in range(20_000)]  # 60 MB
    cap = 4 * 1024 * 1024
    shards = planning.make_shards(files, cap, 64, min_shards=4, workers=2)
    sizes = [3000 * len(s) for s in shards]
    assert max(sizes) <= cap and sizes[0] > cap - 3000
    assert sizes[-1] <= planning.MIN_SHARD_BYTES, "the last shard is a small one"
    assert all(b <= a + 3000 for a, b in zip(sizes, sizes[1:])), f"sizes never grow: {sizes}"
    # the work still to do after the second-to-last shard starts is small against the first shard
    assert sum(sizes[-2:]) < sizes[0]


def test_shards_are_balanced_by_estimated_text_not_file_size(tmp_path):
    """A .gz file counts what it holds (gzip trailer), a Parquet file its uncompressed size, so a
    shard of compressed files is not several times the work of a shard of .txt files."""
    import gzip
    import json

    import pyarrow as pa

    d = tmp_path / "d"
    d.mkdir()
    text = "Shares in the firm rose on Monday after results beat forecasts. " * 40
    recs = "".join(json.dumps({"text": f"{text} {i}"}) + "\n" for i in range(400))
    (d / "a.jsonl.gz").write_bytes(gzip.compress(recs.encode()))
    pq.write_table(pa.table({"text": [f"{text} {i}" for i in range(400)]}), d / "b.parquet")
    for i in range(50):
        (d / f"c{i:02d}.txt").write_text(text)
    files = planning.discover(d)
    w = dict(zip((f.path for f in files), planning.estimate_work(d, files)))
    assert w["a.jsonl.gz"] == len(recs.encode()) + planning.FILE_COST_BYTES
    assert w["a.jsonl.gz"] > 20 * (d / "a.jsonl.gz").stat().st_size
    assert w["b.parquet"] > 400 * len(text)
    assert w["c00.txt"] == len(text) + planning.FILE_COST_BYTES
    (d / "broken.gz").write_bytes(b"not gzip at all, whatever its name says")
    (d / "broken.parquet").write_bytes(b"PAR1 not really")
    files = planning.discover(d)
    w = dict(zip((f.path for f in files), planning.estimate_work(d, files)))
    for name in ("broken.gz", "broken.parquet"):  # the shard quarantines them with a reason
        assert w[name] == (d / name).stat().st_size + planning.FILE_COST_BYTES, name


def test_rerun_replaces_the_partition(tmp_path):
    d, out = make_drop(tmp_path / "raw" / "d1", 7), tmp_path / "out"
    first = run_once(tmp_path, d, out)
    second = run_once(tmp_path, d, out)
    got = rows(out, "d1")
    assert len(got) == 7 and {r["run_id"] for r in got} == {second} != {first}
    assert len({r["doc_id"] for r in got}) == 7
    left = [p.name for p in (out / "_staging").iterdir() if p.name != "_commit.lock"]
    assert left == [], "staging is cleaned after commit"
    entries = ledger.load_ledger(out, "d1")
    assert sorted(entries) == [f"doc{i:03d}.txt" for i in range(7)]


def test_incremental_commit_keeps_other_files_and_replaces_changed(tmp_path):
    d, out = make_drop(tmp_path / "raw" / "d1", 5), tmp_path / "out"
    run_once(tmp_path, d, out)
    before = {r["source_path"]: r for r in rows(out, "d1")}
    (d / "doc002.txt").write_text("Changed story\n\nA wholly different article body now.")
    (d / "new.txt").write_text("New story\n\nBrand new article arrived later.")
    todo, _ = ledger.changed_files(d, planning.discover(d), ledger.load_ledger(out, "d1"))
    assert [f.path for f in todo] == ["doc002.txt", "new.txt"]
    run_once(tmp_path, d, out, files=todo, incremental=True)
    after = {r["source_path"]: r for r in rows(out, "d1")}
    assert len(rows(out, "d1")) == 6
    assert after["doc000.txt"] == before["doc000.txt"]
    assert after["doc002.txt"]["doc_id"] != before["doc002.txt"]["doc_id"]
    assert ledger.changed_files(d, planning.discover(d), ledger.load_ledger(out, "d1")).todo == []


def test_touched_but_unchanged_file_is_not_reprocessed(tmp_path):
    d, out = make_drop(tmp_path / "raw" / "d1", 2), tmp_path / "out"
    run_once(tmp_path, d, out)
    st = (d / "doc000.txt").stat()
    os.utime(d / "doc000.txt", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert ledger.changed_files(d, planning.discover(d), ledger.load_ledger(out, "d1")).todo == []


def test_rejects_are_replaced_not_appended(tmp_path):
    d, out = make_drop(tmp_path / "raw" / "d1", 2), tmp_path / "out"
    (d / "empty.txt").write_bytes(b"")
    run_once(tmp_path, d, out)
    run_once(tmp_path, d, out)
    rej = pq.read_table(layout.rejects_path(out, "d1")).to_pylist()
    assert [(r["source_path"], r["reason"]) for r in rej] == [("empty.txt", "empty")]
    (d / "empty.txt").write_text("Now it has a story.\n\nAnd a body.")
    todo, _ = ledger.changed_files(d, planning.discover(d), ledger.load_ledger(out, "d1"))
    run_once(tmp_path, d, out, files=todo, incremental=True)
    assert not layout.rejects_path(out, "d1").exists()
    assert len(rows(out, "d1")) == 3


def test_sweep_removes_dead_runs_staging_only(tmp_path):
    out = tmp_path / "out"
    dead = out / "_staging" / "deadbeef" / "drop=x"
    dead.mkdir(parents=True)
    (dead / "part-0.parquet").write_bytes(b"half written")
    with staging.Staging(out, "live-run") as st:
        st.drop_dir("y")
        assert staging.sweep_staging(out) == ["deadbeef"]
        assert st.root.is_dir()
    assert not (out / "_staging" / "deadbeef").exists()


def test_sweep_restores_a_partition_left_out_by_an_interrupted_two_rename_swap(tmp_path):
    """Without renameat2 the swap is two renames; a crash between them must not lose the drop."""
    out = tmp_path / "out"
    d = make_drop(tmp_path / "raw" / "d1", 3)
    run_once(tmp_path, d, out)
    before = rows(out, "d1")
    dead = out / "_staging" / "deadrun"
    dead.mkdir(parents=True)
    os.rename(layout.partition_dir(out, "d1"), dead / "drop=d1.old")  # the first rename happened
    assert rows(out, "d1") == []
    staging.sweep_staging(out)
    assert rows(out, "d1") == before and not dead.exists()


def test_listed_shard_keeps_its_records_in_files_beside_the_plan(tmp_path):
    """What the flow's shard task runs: the file list comes from a file and the ledger and rejects
    go to files, which the commit reads back as tables."""
    import json

    from pipeline.shard import clean_listed_shard

    d = make_drop(tmp_path / "raw" / "d1", 3)
    (d / "empty.txt").write_bytes(b"")
    files = [f.path for f in planning.discover(d)]
    rec = tmp_path / "shards"
    rec.mkdir()
    (rec / "shard-00000.files.json").write_text(json.dumps(files))
    result = clean_listed_shard(str(d), str(rec / "shard-00000.files.json"),
                                str(rec / "shard-00000"), "r1", "d1")
    assert set(result) == {"rows", "stats"} and result["rows"] == 3
    # wave 2: the spill and the duplicate flags become the part
    import pyarrow.parquet as pq

    from pipeline import dupflags
    from pipeline.shard import write_part

    pq.write_table(dupflags.within(pq.read_table(rec / "shard-00000.index.pq")),
                   rec / "shard-00000.flags.pq")
    assert write_part(str(rec / "shard-00000.spill"), str(rec / "shard-00000.flags.pq"),
                      str(tmp_path / "part.parquet"), "r1", "d1")["rows"] == 3
    assert not (rec / "shard-00000.spill").exists()
    led, rejects = ledger.read_record_tables([rec / "shard-00000"])
    assert sorted(led["path"].to_pylist()) == sorted(files)
    assert rejects.to_pylist()[0]["source_path"] == "empty.txt"
    assert rejects.to_pylist()[0]["reason"] == "empty"
    out = tmp_path / "out"
    staged = tmp_path / "staged"
    staged.mkdir()
    os.replace(tmp_path / "part.parquet", staged / "part.parquet")
    commit.commit_drop(out, "d1", staged, replaced=None, rejects=rejects, ledger=led)
    assert sorted(ledger.load_ledger(out, "d1")) == sorted(files)
    assert len(rows(out, "d1")) == 3


def test_whole_drop_commit_streams_the_shards_ledger_files(tmp_path):
    """The flow hands a whole-drop commit its ledger as the shards' files (ledger.RunLedger), so
    a drop of 400k files never has its entries in memory at once: the drop's ledger holds every
    shard's entries and the discovery problems, and a rename is still told from the streamed
    entries."""
    import pyarrow as pa

    from pipeline.storage.files import write_parquet

    d = make_drop(tmp_path / "raw" / "d1", 6)
    files = planning.discover(d)
    staged = tmp_path / "staged"
    staged.mkdir()
    res = clean_shard(str(d), [f.path for f in files], str(staged / "part-00000.parquet"), "r1", "d1")
    entries = pa.Table.from_pylist(res["ledger"], schema=ledger.LEDGER_SCHEMA)
    rec = tmp_path / "rec"
    prefixes = [rec / f"shard-{i:05d}" for i in range(3)]
    for i, prefix in enumerate(prefixes):  # three shards of two files each
        write_parquet(entries.slice(2 * i, 2), layout.record_paths(prefix)[0])
        write_parquet(ledger.REJECT_SCHEMA.empty_table(), layout.record_paths(prefix)[1])
    run_ledger, rejects = ledger.record_tables(prefixes)
    problem = pa.Table.from_pylist([{**res["ledger"][0], "path": "fifo", "sha256": "",
                                     "status": "rejected"}], schema=ledger.LEDGER_SCHEMA)
    run_ledger = run_ledger.with_table(problem)
    commit.commit_drop(tmp_path / "out", "d1", staged, replaced=None, rejects=rejects,
                       ledger=run_ledger)
    written = ledger.load_ledger(tmp_path / "out", "d1")
    assert sorted(written) == sorted([f.path for f in files] + ["fifo"])
    assert written["doc005.txt"]["sha256"] == ledger.file_sha256(d / "doc005.txt")
    gone = [{"path": "old/name.txt", "sha256": written["doc004.txt"]["sha256"]},
            {"path": "lost.txt", "sha256": "0" * 64}]
    assert ledger.moves(gone, run_ledger) == [{"from": "old/name.txt", "to": "doc004.txt"}]
    assert ledger.moves([], run_ledger) == []
