"""The shard's readahead: which files it asks the kernel for, and that it never gets in the way."""
import os

import pyarrow.parquet as pq
import pytest

from pipeline import readahead
from pipeline.readahead import AHEAD_BYTES, AHEAD_FILES, Readahead
from pipeline.shard import clean_shard


def recorder(sizes: dict[str, int]):
    calls: list[str] = []

    def advise(path: str) -> int:
        calls.append(os.path.basename(path))
        return sizes[os.path.basename(path)]
    return calls, advise


def test_window_of_files_ahead_in_order_each_once(tmp_path):
    names = [f"f{i:03d}.txt" for i in range(AHEAD_FILES * 3)]
    calls, advise = recorder({n: 100 for n in names})
    ra = Readahead(tmp_path, names, advise=advise)
    ra.before(0)
    assert calls == names[:AHEAD_FILES]
    ra.before(1)  # one file passed: one more advised
    assert calls == names[:AHEAD_FILES + 1]
    for i in range(2, len(names)):
        ra.before(i)
        assert calls == names[:min(len(names), i + AHEAD_FILES)]


def test_window_bounded_by_bytes(tmp_path):
    big = AHEAD_BYTES // 2
    names = [f"b{i}.jsonl.gz" for i in range(10)]
    calls, advise = recorder({n: big for n in names})
    ra = Readahead(tmp_path, names, advise=advise)
    ra.before(0)
    assert calls == names[:2]  # 2 x half the budget fills it
    ra.before(1)  # file 0's bytes leave the window
    assert calls == names[:3]
    ra.before(5)  # skipping ahead (a retry or a caller jumping) advises from there, never behind
    assert calls == names[:3] + names[5:7]


def test_unreadable_file_is_left_to_the_worker(tmp_path):
    (tmp_path / "a.txt").write_text("Alpha.")
    (tmp_path / "c.txt").write_text("Gamma.")
    ra = Readahead(tmp_path, ["a.txt", "missing.txt", "c.txt"])
    ra.before(0)  # the real posix_fadvise path: no exception for the missing file
    ra.before(2)


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="posix_fadvise is Linux/BSD only")
def test_real_advice_returns_file_size(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes(b"y" * 5000)
    assert readahead._willneed(str(p)) == 5000
    with pytest.raises(OSError):
        readahead._willneed(str(tmp_path / "nope.txt"))


def test_shard_output_same_with_and_without_readahead(tmp_path, monkeypatch):
    drop = tmp_path / "drop"
    drop.mkdir()
    files = []
    for i in range(40):
        (drop / f"{i:02d}.txt").write_text(f"Headline {i}\n\nThe council met on Monday & # 39;s agenda "
                                           f"item {i}. It was agreed.\n")
        files.append(f"{i:02d}.txt")
    files.insert(3, "gone.txt")  # listed but missing: an io_error reject either way
    advised: list[str] = []
    real = readahead._willneed
    monkeypatch.setattr(readahead, "_willneed", lambda p: advised.append(p) or real(p))
    with_ra = clean_shard(str(drop), files, str(tmp_path / "a.parquet"), "run1", "drop")
    monkeypatch.setattr(readahead, "_ADVISE", None)  # as on a system without posix_fadvise
    without = clean_shard(str(drop), files, str(tmp_path / "b.parquet"), "run1", "drop")
    assert len(advised) == len(files)  # every listed file was advised once, the missing one too
    assert with_ra["rows"] == without["rows"] == 40
    assert [e["sha256"] for e in with_ra["ledger"]] == [e["sha256"] for e in without["ledger"]]
    assert [r["reason"] for r in with_ra["rejects"]] == [r["reason"] for r in without["rejects"]] == ["io_error"]
    a = pq.read_table(tmp_path / "a.parquet").select(["doc_id", "text"])
    b = pq.read_table(tmp_path / "b.parquet").select(["doc_id", "text"])
    assert a.equals(b)

