"""Prefect's temporary local API server, started the moment the CLI starts.

With no PREFECT_API_URL, Prefect runs flows against a temporary local server that it starts
lazily, when the flow's client is first created: after the CLI has imported everything. This
starts the very same server (uvicorn serving `prefect.server.api.server:create_app`, UI off,
flagged ephemeral: what `prefect.server.api.server.SubprocessASGIServer` runs) first thing, so
it boots while the CLI imports the flows and the worker processes warm up; the flow then runs
against it as against any server, and it is stopped when the CLI is done.
"""
from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# How long a Prefect API may take to answer /health after its process starts. On an idle machine
# it takes ~2-5 s with a database and ~8 s when it first creates one (migrations); on a busy
# 2-core machine the first start took 43 s (issue 19), so Prefect's own 20 s default for its
# temporary server fails there. The wait ends as soon as the API answers: a generous bound costs
# nothing on a quiet machine.
STARTUP_TIMEOUT_SECONDS = 300.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TemporaryAPI:
    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self.database_to_create: Path | None = None  # set by flows.startup, for the console

    def start(self) -> None:
        prefect_dir = Path(importlib.util.find_spec("prefect").origin).parent
        port = _free_port()
        env = dict(os.environ, PREFECT_UI_ENABLED="0", PREFECT__SERVER_EPHEMERAL="1",
                   PREFECT__SERVER_FINAL="1")
        env.pop("PREFECT_API_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect_dir.parent), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "error", "--lifespan", "on"], env=env)
        self.url = f"http://127.0.0.1:{port}/api"

    def wait(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> str:
        try:
            return wait_healthy(self.url, self.proc, timeout)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        terminate(self.proc, 5)
        self.proc = None


def terminate(proc: subprocess.Popen | None, timeout: float) -> None:
    """Stop `proc` if it runs: SIGTERM, then SIGKILL after `timeout` seconds."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> str:
    """Wait until the API at `url` answers /health; fail if its process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Prefect API process exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return url
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the Prefect API at {url} did not answer within {timeout:.0f}s")


@contextlib.contextmanager
def prefect_server(home: Path, timeout: float = STARTUP_TIMEOUT_SECONDS):
    """`prefect server start` on a free loopback port with its own PREFECT_HOME (UI and telemetry
    off), the way users start a server; yields the API URL and stops the server after. Used by the
    tests and the benchmark."""
    port = _free_port()
    env = dict(os.environ, PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_SERVER_UI_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "server.log", "wb") as log:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("prefect")), "server", "start",
                                 "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                url = wait_healthy(f"http://127.0.0.1:{port}/api", proc, timeout)
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}; see {home / 'server.log'}") from None
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def start_speculatively() -> TemporaryAPI | None:
    """Start a TemporaryAPI at once unless PREFECT_API_URL is in the environment.

    Whether Prefect really wants one (no API URL in the profile, prefect.toml, .env...; ephemeral
    mode allowed) is only known once its settings are loaded, which imports Prefect: the
    server's boot, the longest step of a run's start, begins before that, and `needed()` decides
    after. A server that turns out not to be needed is stopped at once."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    api = TemporaryAPI()
    api.start()
    return api


def configured_url() -> str | None:
    """The API URL Prefect's settings name (environment, profile, settings files), if any."""
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def needed() -> bool:
    """Prefect has no API URL configured and allows its ephemeral mode."""
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    return settings.api.url is None and settings.server.ephemeral.enabled
