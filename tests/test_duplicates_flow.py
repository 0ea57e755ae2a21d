"""Duplicate flags through the real flows (issue 17): within a drop, across drops, after reruns,
replacements, incremental changes and a run killed mid-way, the flags and the index stay what
matching everything from scratch gives."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline import dedup_index
from pipeline.storage import duplicates

from conftest import REPO, SAMPLE_DROP

pytestmark = pytest.mark.integration

STORY = ("Markets rallied on Tuesday as shares rose across Europe after the central bank held "
         "its rates, and traders said the move had been expected for weeks by most analysts in "
         "London and Frankfurt, where the main index closed at a record high.")


def rows(out: Path) -> dict[tuple[str, str], dict]:
    t = ds.dataset(str(out), format="parquet", partitioning="hive").to_table()
    return {(r["drop"], r["source_path"]): r for r in t.to_pylist()}


def from_scratch(out: Path) -> dict[str, dict]:
    """Every committed drop matched again from its index rows alone, in first-seen order."""
    drops = duplicates.committed_drops(out)
    tables = [(d, pq.read_table(dedup_index.index_path(out, d), columns=duplicates.INDEX_NAMES))
              for d in drops]
    got = {}
    for (d, t), m in zip(tables, dedup_index.match_drops(tables)):
        for f in m.flags.to_pylist():
            got[f["doc_id"]] = f
    return got


def assert_consistent(out: Path) -> None:
    assert dedup_index.first_stale(out, duplicates.committed_drops(out)) is None
    expected = from_scratch(out)
    for r in rows(out).values():
        e = expected[r["doc_id"]]
        assert [r[c] for c in dedup_index.FLAG_COLUMNS] == [e[c] for c in dedup_index.FLAG_COLUMNS], r["source_path"]


def copy_drop(src: Path, dest: Path, rename: str = "") -> None:
    dest.mkdir(parents=True)
    for p in sorted(src.glob("*.txt")):
        shutil.copy(p, dest / f"{rename}{p.name}")


def test_copies_within_and_across_drops_are_flagged(prefect_api, tmp_path):
    from flows.clean_drop import clean_drop

    raw, out = tmp_path / "raw", tmp_path / "out"
    copy_drop(SAMPLE_DROP, raw / "2020-01-09")
    shutil.copy(SAMPLE_DROP / "003_3721a68a2604996e.txt", raw / "2020-01-09" / "zz-copy.txt")
    s1 = clean_drop(drop=str(raw / "2020-01-09"), out=str(out))
    first = rows(out)
    a = first[("2020-01-09", "003_3721a68a2604996e.txt")]
    copy = first[("2020-01-09", "zz-copy.txt")]
    assert a["dup_representative"] and a["dup_of"] is None and a["dup_cluster"] == a["doc_id"]
    assert (copy["dup_representative"], copy["dup_of"], copy["dup_kind"], copy["dup_similarity"]) == (
        False, a["doc_id"], "exact", 1.0)
    assert s1["commit"]["duplicates"]["duplicates"] == 1

    # a second drop holding copies of the first drop's documents (one with another headline)
    copy_drop(SAMPLE_DROP, raw / "2020-01-10", rename="wire-")
    text = (raw / "2020-01-10" / "wire-004_4faa34888fb83e2c.txt").read_text()
    (raw / "2020-01-10" / "wire-004_4faa34888fb83e2c.txt").write_text("A new headline\n\n" + text)
    s2 = clean_drop(drop=str(raw / "2020-01-10"), out=str(out))
    got = rows(out)
    for p in sorted(SAMPLE_DROP.glob("*.txt")):
        orig = got[("2020-01-09", p.name)]
        dup = got[("2020-01-10", f"wire-{p.name}")]
        assert not dup["dup_representative"] and dup["dup_of"] == orig["doc_id"], p.name
        assert dup["dup_kind"] in ("exact", "near")
    assert s2["commit"]["duplicates"]["duplicates"] == 5
    assert_consistent(out)


def test_reruns_replacements_and_incremental_changes_keep_flags_consistent(prefect_api, tmp_path):
    from flows.clean_drop import clean_drop
    from flows.new_drops import clean_new_drops

    raw, out = tmp_path / "raw", tmp_path / "out"
    copy_drop(SAMPLE_DROP, raw / "a")
    copy_drop(SAMPLE_DROP, raw / "b", rename="copy-")
    clean_new_drops(raw_root=str(raw), out=str(out))
    assert all(not r["dup_representative"] for (d, _), r in rows(out).items() if d == "b")
    assert_consistent(out)

    # rerunning the earlier drop: same ids, the later drop's flags still name them
    clean_drop(drop=str(raw / "a"), out=str(out))
    assert_consistent(out)

    # replacing the earlier drop's content: the later drop is re-flagged in the same commit
    for p in (raw / "a").glob("*.txt"):
        p.write_text(f"Unrelated story {p.name}\n\n" + STORY.replace("Tuesday", p.name))
    summary = clean_drop(drop=str(raw / "a"), out=str(out))
    assert summary["commit"]["reflagged_drops"] == ["b"]
    got = rows(out)
    assert all(r["dup_representative"] for (d, _), r in got.items() if d == "b")
    assert_consistent(out)

    # an incremental change: a file of drop a becomes a copy of one of drop b... and one new file
    src = next((raw / "b").glob("*.txt"))
    shutil.copy(src, raw / "a" / "aaa-first.txt")  # sorts first in a, before b: b's copy follows it
    clean_new_drops(raw_root=str(raw), out=str(out))
    got = rows(out)
    first = got[("a", "aaa-first.txt")]
    assert first["dup_representative"]
    assert got[("b", src.name)]["dup_of"] == first["doc_id"]
    assert_consistent(out)


def test_a_run_killed_mid_way_leaves_consistent_flags_after_the_rerun(prefect_server, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    copy_drop(SAMPLE_DROP, raw / "a")
    env = dict(os.environ, PREFECT_API_URL=prefect_server)
    cli = str(Path(sys.executable).with_name("corpus-clean"))
    first = subprocess.run([cli, "new", str(raw), "--out", str(out)], env=env, cwd=REPO,
                           capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    # a big second drop, killed while its shards run
    (raw / "b").mkdir()
    for i in range(3000):
        (raw / "b" / f"f{i:05d}.txt").write_text(f"Story {i}\n\n{STORY} Item {i}.")
    proc = subprocess.Popen([cli, "run", str(raw / "b"), "--out", str(out)], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list((out / "_staging").glob("*/shards/*.spill")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "drop=b").exists()
    rerun = subprocess.run([cli, "new", str(raw), "--out", str(out)], env=env, cwd=REPO,
                           capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    got = rows(out)
    assert len(got) == 5 + 3000
    # near-identical wire items: all but the first are near duplicates of a representative
    b = [r for (d, _), r in got.items() if d == "b"]
    assert sum(r["dup_representative"] for r in b) < 3000
    assert_consistent(out)
