"""Scale-out: `corpus-clean run --dask-address` on a real Dask cluster and a real Prefect server
writes the same rows as a local run.

The cluster is a `distributed.LocalCluster` of two worker processes on loopback. Its worker
processes inherit this process's environment when they start, so PREFECT_API_URL is set before the
cluster is created: the Prefect tasks running in the Dask workers then talk to the test's server
(without it each worker would start a temporary Prefect server of its own).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import distributed
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.corpus import build_corpus
from bench.synthetic import write_source

SAMPLE_DROP = Path(__file__).resolve().parents[1] / "raw" / "sample-2020-01-09"

pytestmark = pytest.mark.integration

CLI = str(Path(sys.executable).with_name("corpus-clean"))
VOLATILE = {"run_id", "processed_at"}  # differ between any two runs by design


@pytest.fixture(scope="module")
def dask_cluster(prefect_server):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PREFECT_API_URL", prefect_server)
        cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                           host="127.0.0.1", dashboard_address=None)
        try:
            yield cluster
        finally:
            cluster.close()


@pytest.fixture(scope="module")
def generated_drop(tmp_path_factory) -> tuple[Path, int]:
    """A small drop of several shards (.txt and .jsonl.gz) with every damage type in it."""
    base = tmp_path_factory.mktemp("gen")
    src = write_source(base / "src", n_articles=25, seed=5)
    manifest = build_corpus(src, base / "corpus", 0.25, seed=5)
    drop = base / "gen-drop"
    (base / "corpus" / "drop").rename(drop)
    return drop, manifest["documents"]


def _task_runs(api_url: str) -> int:
    req = urllib.request.Request(f"{api_url}/task_runs/count", data=b"{}", method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return int(json.loads(r.read()))


def test_dask_workers_talk_to_the_prefect_server(dask_cluster, prefect_server):
    with distributed.Client(dask_cluster) as client:
        seen = client.run(os.environ.get, "PREFECT_API_URL")
    assert len(seen) == 2 and set(seen.values()) == {prefect_server}


def _run(drop: Path, out: Path, api_url: str, *extra: str) -> None:
    env = dict(os.environ, PREFECT_API_URL=api_url)
    proc = subprocess.run([CLI, "run", str(drop), "--out", str(out), *extra], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def _rows(out: Path, drop: Path) -> tuple[list[str], list[dict]]:
    part = out / f"drop={drop.name}"
    files = sorted(part.glob("*.parquet"))
    table = pa.concat_tables([pq.read_table(f) for f in files]).sort_by("doc_id")
    cols = [c for c in table.column_names if c not in VOLATILE]
    return [f.name for f in files], table.select(cols).to_pylist()


@pytest.mark.parametrize("which", ["sample", "generated", "site with --furniture-min-docs"])
def test_dask_run_equals_local_run(which, dask_cluster, prefect_server, generated_drop, tmp_path):
    extra: tuple[str, ...] = ()
    if which == "sample":
        drop, n_docs = SAMPLE_DROP, 5
    elif which == "generated":
        drop, n_docs = generated_drop
    else:  # the furniture pre-pass as a wave of its own on the cluster
        from test_furniture import site_drop

        drop, n_docs, extra = site_drop(tmp_path / "raw"), 10, ("--furniture-min-docs", "3")
    _run(drop, tmp_path / "local", prefect_server, "--workers", "2", *extra)
    before, runs_before = dask_cluster.scheduler.transition_counter, _task_runs(prefect_server)
    _run(drop, tmp_path / "dask", prefect_server, "--dask-address", dask_cluster.scheduler_address,
         *extra)
    assert dask_cluster.scheduler.transition_counter > before  # the shards ran on the cluster
    local_parts, local = _rows(tmp_path / "local", drop)
    dask_parts, dask = _rows(tmp_path / "dask", drop)
    # Every shard task of the Dask run was recorded by the real server.
    assert _task_runs(prefect_server) - runs_before >= len(dask_parts)
    assert len(dask_parts) == len(local_parts)
    if which == "generated":
        assert len(dask_parts) >= 4  # really sharded: several tasks ran on the cluster
        assert any(r["source_path"].endswith(".jsonl.gz") for r in dask)
    assert [r["doc_id"] for r in dask] == [r["doc_id"] for r in local]
    assert len(local) == n_docs
    for a, b in zip(dask, local):
        assert a == b, a["doc_id"]
    if extra:
        assert any(b["rule"] == "repeated_in_drop" for r in dask for b in r["boilerplate"])
