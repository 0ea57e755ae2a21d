"""The local Prefect API the CLI starts once, reuses, and that stops itself when idle."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE_DROP

pytestmark = pytest.mark.integration
CLI = str(Path(sys.executable).with_name("corpus-clean"))


def cli(env, *args, timeout=600):
    return subprocess.run([CLI, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_a_second_run_reuses_the_local_api_and_it_stops_when_asked(tmp_path):
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "home"), CORPUS_CLEAN_API_IDLE_SECONDS="300")
    env.pop("PREFECT_API_URL", None)
    try:
        # started through one spelling of the interpreter (python -m), reused through another
        # (the console script): one environment, one server
        first = subprocess.run([sys.executable, "-m", "flows.cli", "run", str(SAMPLE_DROP), "--out",
                                str(tmp_path / "out")], cwd=REPO, env=env, capture_output=True,
                               text=True, timeout=600)
        assert first.returncode == 0, first.stderr[-3000:]
        assert "starting a local Prefect API server (it stays up for the next runs" in first.stderr
        assert "stops itself after 5 min idle" in first.stderr
        status = cli(env, "api", "status")
        assert "local Prefect API running: http://127.0.0.1:" in status.stdout
        url = status.stdout.split("running: ")[1].split()[0]
        second = cli(env, "run", str(SAMPLE_DROP), "--out", str(tmp_path / "out"))
        assert second.returncode == 0, second.stderr[-3000:]
        assert "using the local Prefect API server started by an earlier run" in second.stderr
        assert f"Prefect API ready ({url})" in second.stderr
        assert "5 files, 5 documents, 0 rejects" in second.stdout
    finally:
        stopped = cli(env, "api", "stop")
    assert "local Prefect API stopped" in stopped.stdout
    assert "no local Prefect API is running" in cli(env, "api", "status").stdout


def test_the_local_api_stops_itself_when_idle(tmp_path):
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "home"), CORPUS_CLEAN_API_IDLE_SECONDS="3")
    env.pop("PREFECT_API_URL", None)
    run = cli(env, "run", str(SAMPLE_DROP), "--out", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr[-3000:]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if "no local Prefect API is running" in cli(env, "api", "status").stdout:
            break
        time.sleep(1)
    else:
        cli(env, "api", "stop")
        pytest.fail("the local API was still up long after its idle time")
