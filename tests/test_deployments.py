"""Scheduling, started the way Prefect users start it, against a real `prefect server start`."""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from conftest import REPO, SAMPLE_DROP, prefect_bin

pytestmark = pytest.mark.integration


def prefect(env, *args, timeout=120, cwd=REPO):
    return subprocess.run([prefect_bin(), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def wait_for_deployment(env, name, proc=None, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if prefect(env, "deployment", "inspect", name).returncode == 0:
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"serve exited: {proc.stdout.read()[-3000:]}")
        time.sleep(1)
    raise AssertionError(f"deployment {name} never appeared")


def test_served_deployment_cleans_a_drop_triggered_by_prefect_deployment_run(prefect_server, tmp_path):
    env = dict(os.environ, PREFECT_API_URL=prefect_server)
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SAMPLE_DROP, raw / "sample-2020-01-09")
    cli = str(Path(sys.executable).with_name("corpus-clean"))
    serve = subprocess.Popen([cli, "serve", "--raw-root", str(raw), "--out", str(out)], cwd=tmp_path,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
    try:
        wait_for_deployment(env, "clean-drop/served", serve)
        wait_for_deployment(env, "clean-new-drops/served", serve)
        sched = prefect(env, "deployment", "inspect", "clean-new-drops/served")
        assert "0 * * * *" in sched.stdout
        run = prefect(env, "deployment", "run", "clean-drop/served",
                      "--param", f"drop={raw / 'sample-2020-01-09'}", "--watch", "--watch-timeout", "300",
                      timeout=400)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "Completed" in run.stdout + run.stderr
        table = ds.dataset(str(out), format="parquet", partitioning="hive").to_table()
        assert table.num_rows == 5 and set(table["drop"].to_pylist()) == {"sample-2020-01-09"}
        # The scheduled flow, triggered by hand: everything is in the ledger already but drop-b.
        shutil.copytree(SAMPLE_DROP, raw / "drop-b")
        run = prefect(env, "deployment", "run", "clean-new-drops/served", "--watch",
                      "--watch-timeout", "300", timeout=400)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        table = ds.dataset(str(out), format="parquet", partitioning="hive").to_table()
        assert sorted(set(table["drop"].to_pylist())) == ["drop-b", "sample-2020-01-09"]
        assert table.num_rows == 10
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)


def test_prefect_yaml_deploys_both_deployments_to_a_work_pool(prefect_server, tmp_path):
    env = dict(os.environ, PREFECT_API_URL=prefect_server)
    pool = prefect(env, "work-pool", "create", "corpus-clean", "--type", "process", "--overwrite")
    assert pool.returncode == 0, pool.stdout + pool.stderr
    dep = prefect(env, "--no-prompt", "deploy", "--all", timeout=300)
    assert dep.returncode == 0, dep.stdout[-3000:] + dep.stderr[-3000:]
    new = prefect(env, "deployment", "inspect", "clean-new-drops/work-pool")
    one = prefect(env, "deployment", "inspect", "clean-drop/work-pool")
    assert new.returncode == 0 and one.returncode == 0
    assert "0 * * * *" in new.stdout and "corpus-clean" in one.stdout


def test_served_and_work_pool_deployments_have_distinct_names():
    """On one server `serve` and `prefect deploy --all` must not replace each other's deployments
    (a deployment's name is unique per flow)."""
    import yaml

    from flows.serve import deployments

    served = {(d.flow_name, d.name) for d in deployments("raw", "clean", "0 * * * *")}
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    flows = {"flows/new_drops.py:clean_new_drops": "clean-new-drops", "flows/clean_drop.py:clean_drop": "clean-drop"}
    pooled = {(flows[d["entrypoint"]], d["name"]) for d in spec["deployments"]}
    assert served == {("clean-new-drops", "served"), ("clean-drop", "served")}
    assert pooled == {("clean-new-drops", "work-pool"), ("clean-drop", "work-pool")}
    readme = (REPO / "README.md").read_text()
    for flow, name in served | pooled:
        assert f"'{flow}/{name}'" in readme, f"README names {flow}/{name}"
