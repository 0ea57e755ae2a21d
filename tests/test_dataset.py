"""Discovery, sharding, staging and the atomic, replace-not-append commit of a drop."""
import os

import pyarrow.parquet as pq

from pipeline import dataset
from pipeline.shard import clean_shard

TEXT = "Shares in the firm rose 5% on Monday.\n\nAnalysts said the results beat forecasts."


def make_drop(root, n, prefix="doc"):
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"{prefix}{i:03d}.txt").write_text(f"Story {i}\n\n{TEXT} Item {i}.")
    return root


def run_once(tmp_path, drop_dir, out, files=None, incremental=False):
    """Clean a drop the way the flow does, without Prefect: shard, stage, commit."""
    files = files if files is not None else dataset.discover(drop_dir)
    run_id = dataset.new_run_id()
    with dataset.Staging(out, run_id) as st:
        staged = st.drop_dir(drop_dir.name)
        results = [clean_shard(str(drop_dir), shard, str(staged / f"part-{run_id[:8]}-{i:05d}.parquet"),
                               run_id, drop_dir.name)
                   for i, shard in enumerate(dataset.make_shards(files, 200, 64, 1))]
        dataset.commit_drop(out, drop_dir.name, staged,
                            replaced={f.path for f in files} if incremental else None,
                            rejects=[r for x in results for r in x["rejects"]],
                            ledger=[e for x in results for e in x["ledger"]])
    return run_id


def rows(out, drop):
    parts = sorted(dataset.partition_dir(out, drop).glob("*.parquet"))
    return [r for p in parts for r in pq.read_table(p, columns=["doc_id", "source_path", "run_id"]).to_pylist()]


def test_discover_skips_hidden_and_sorts(tmp_path):
    d = make_drop(tmp_path / "d", 3)
    (d / ".DS_Store").write_bytes(b"x")
    (d / "sub").mkdir()
    (d / "sub" / "z.txt").write_text("hello world")
    assert [f.path for f in dataset.discover(d)] == ["doc000.txt", "doc001.txt", "doc002.txt", "sub/z.txt"]


def test_shards_are_coarse_and_bounded():
    files = [dataset.SourceFile(f"f{i:05d}.txt", 3000, 0) for i in range(10_000)]
    shards = dataset.make_shards(files, 4 * 1024 * 1024, 64, min_shards=4)
    assert 4 <= len(shards) <= 64
    assert sorted(p for s in shards for p in s) == [f.path for f in files]
    few = dataset.make_shards(files[:5], 4 * 1024 * 1024, 64, min_shards=4)
    assert 4 <= len(few) <= 5 and sum(map(len, few)) == 5
    assert dataset.make_shards([], 100, 10) == []


def test_rerun_replaces_the_partition(tmp_path):
    d, out = make_drop(tmp_path / "raw" / "d1", 7), tmp_path / "out"
    first = run_once(tmp_path, d, out)
    second = run_once(tmp_path, d, out)
    got = rows(out, "d1")
    assert len(got) == 7 and {r["run_id"] for r in got} == {second} != {first}
    assert len({r["doc_id"] for r in got}) == 7
    left = [p.name for p in (out / "_staging").iterdir() if p.name != "_commit.lock"]
    assert left == [], "staging is cleaned after commit"
    ledger = dataset.load_ledger(out, "d1")
    assert sorted(ledger) == [f"doc{i:03d}.txt" for i in range(7)]


def test_incremental_commit_keeps_other_files_and_replaces_changed(tmp_path):
    d, out = make_drop(tmp_path / "raw" / "d1", 5), tmp_path / "out"
    run_once(tmp_path, d, out)
    before = {r["source_path"]: r for r in rows(out, "d1")}
    (d / "doc002.txt").write_text("Changed story\n\nA wholly different article body now.")
    (d / "new.txt").write_text("New story\n\nBrand new article arrived later.")
    todo = dataset.changed_files(d, dataset.discover(d), dataset.load_ledger(out, "d1"))
    assert [f.path for f in todo] == ["doc002.txt", "new.txt"]
    run_once(tmp_path, d, out, files=todo, incremental=True)
    after = {r["source_path"]: r for r in rows(out, "d1")}
    assert len(rows(out, "d1")) == 6
    assert after["doc000.txt"] == before["doc000.txt"]
    assert after["doc002.txt"]["doc_id"] != before["doc002.txt"]["doc_id"]
    assert dataset.changed_files(d, dataset.discover(d), dataset.load_ledger(out, "d1")) == []


def test_touched_but_unchanged_file_is_not_reprocessed(tmp_path):
    d, out = make_drop(tmp_path / "raw" / "d1", 2), tmp_path / "out"
    run_once(tmp_path, d, out)
    st = (d / "doc000.txt").stat()
    os.utime(d / "doc000.txt", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert dataset.changed_files(d, dataset.discover(d), dataset.load_ledger(out, "d1")) == []


def test_rejects_are_replaced_not_appended(tmp_path):
    d, out = make_drop(tmp_path / "raw" / "d1", 2), tmp_path / "out"
    (d / "empty.txt").write_bytes(b"")
    run_once(tmp_path, d, out)
    run_once(tmp_path, d, out)
    rej = pq.read_table(out / "_rejects" / "drop=d1" / "rejects.parquet").to_pylist()
    assert [(r["source_path"], r["reason"]) for r in rej] == [("empty.txt", "empty")]
    (d / "empty.txt").write_text("Now it has a story.\n\nAnd a body.")
    todo = dataset.changed_files(d, dataset.discover(d), dataset.load_ledger(out, "d1"))
    run_once(tmp_path, d, out, files=todo, incremental=True)
    assert not (out / "_rejects" / "drop=d1" / "rejects.parquet").exists()
    assert len(rows(out, "d1")) == 3


def test_sweep_removes_dead_runs_staging_only(tmp_path):
    out = tmp_path / "out"
    dead = out / "_staging" / "deadbeef" / "drop=x"
    dead.mkdir(parents=True)
    (dead / "part-0.parquet").write_bytes(b"half written")
    with dataset.Staging(out, "live-run") as st:
        st.drop_dir("y")
        assert dataset.sweep_staging(out) == ["deadbeef"]
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
    os.rename(dataset.partition_dir(out, "d1"), dead / "drop=d1.old")  # the first rename happened
    assert rows(out, "d1") == []
    dataset.sweep_staging(out)
    assert rows(out, "d1") == before and not dead.exists()
