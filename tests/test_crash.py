"""Crash safety: SIGKILL a multi-shard run mid-way; readers still see the last committed drop,
and a rerun finishes the job with exactly one row per document."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from pipeline.core import clean_text, doc_id_for
from pipeline.storage.planning import discover
from pipeline.decode import decode_bytes

from conftest import REPO, SAMPLE_DROP

pytestmark = pytest.mark.integration


def make_drop(drop: Path, n: int, start: int = 0) -> None:
    drop.mkdir(parents=True, exist_ok=True)
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_DROP.glob("*.txt"))]
    for i in range(start, start + n):
        (drop / f"article-{i:04d}.txt").write_text(f"{seeds[i % 5]}\n\nEdition note {i}.", encoding="utf-8")


def expected(drop: Path) -> list[tuple]:
    """What the dataset must hold: every file cleaned once, computed by the library directly."""
    rows = []
    for f in discover(drop):
        raw = decode_bytes((drop / f.path).read_bytes()).text
        rows.append((doc_id_for(drop.name, f.path, 0, raw), f.path, clean_text(raw).text))
    return sorted(rows)


def dataset_rows(out: Path) -> list[tuple]:
    if not any(out.glob("drop=*")):
        return []
    t = ds.dataset(str(out), format="parquet", partitioning="hive").to_table(
        columns=["doc_id", "source_path", "text"])
    return sorted(zip(*(t[c].to_pylist() for c in t.column_names)))


def run_cli(drop: Path, out: Path, env: dict, **kw):
    cli = str(Path(sys.executable).with_name("corpus-clean"))
    return subprocess.Popen([cli, "run", str(drop), "--out", str(out), "--shard-mb", "0.03", "--workers", "2"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, **kw)


def test_sigkill_mid_run_then_rerun(prefect_server, tmp_path):
    env = dict(os.environ, PREFECT_API_URL=prefect_server)
    drop, out = tmp_path / "raw" / "big-drop", tmp_path / "out"
    make_drop(drop, 60)
    first = run_cli(drop, out, env)
    assert first.wait(timeout=300) == 0, first.stdout.read().decode()[-3000:]
    committed = dataset_rows(out)
    assert committed == expected(drop)

    make_drop(drop, 240, start=60)  # the drop grows: the next run has ~80 shards of work
    proc = run_cli(drop, out, env)
    staging = out / "_staging"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        parts = list(staging.glob("*/drop=big-drop/part-*.parquet.staged"))
        if len(parts) >= 3 or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed mid-way"
    os.killpg(proc.pid, signal.SIGKILL)  # the flow process and its worker processes
    proc.wait(timeout=30)
    assert len(parts) >= 3

    assert dataset_rows(out) == committed, "a killed run must leave the last committed drop as it was"
    assert any(staging.glob("*/drop=big-drop")), "the killed run's shards stay in staging only"

    rerun = run_cli(drop, out, env)
    log = rerun.communicate(timeout=600)[0].decode()
    assert rerun.returncode == 0, log[-3000:]
    assert dataset_rows(out) == expected(drop)  # row by row: all 300, once each, right text
    assert len(dataset_rows(out)) == 300
    assert [p.name for p in staging.iterdir() if p.name != "_commit.lock"] == []
