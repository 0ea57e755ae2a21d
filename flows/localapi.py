"""A local Prefect API server that `corpus-clean run/new` starts once, reuses, and that stops
itself when idle.

Prefect's embedded default (no PREFECT_API_URL) boots a temporary API server for every run and
stops it after: several CPU-seconds before the first shard, each time. Instead the CLI starts the
same server (flows.tempapi: uvicorn serving Prefect's app, UI off) under a small watchdog
process, `python -m flows.localapi serve`, which outlives the CLI; the next run finds it and uses
it at once. The watchdog stops the server and exits when no run has used it for `idle` seconds
(default 600; `CORPUS_CLEAN_API_IDLE_SECONDS`, 0 = stop after every run as Prefect does), and
`corpus-clean api stop` stops it now. It lives in PREFECT_HOME (its database is Prefect's own
local database there) and is never shared with another PREFECT_HOME or Python environment.

Files in PREFECT_HOME: `corpus-clean-api.json` (url, pids, versions: written when the server is
healthy), `corpus-clean-api.log` (the server's output), `corpus-clean-api.owner.lock` (held by
the one watchdog), `corpus-clean-api.lease.lock` (held shared by every run using the server) and
`corpus-clean-api.lease` (touched when a run ends: idle time counts from it).
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DEFAULT_IDLE_SECONDS = 600
POLL_SECONDS = 1.0


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME", "~/.prefect")).expanduser()


def idle_seconds() -> int:
    try:
        return max(0, int(os.environ.get("CORPUS_CLEAN_API_IDLE_SECONDS", DEFAULT_IDLE_SECONDS)))
    except ValueError:
        return DEFAULT_IDLE_SECONDS


def _paths(home: Path) -> dict[str, Path]:
    return {k: home / f"corpus-clean-api{suffix}" for k, suffix in (
        ("state", ".json"), ("log", ".log"), ("owner", ".owner.lock"),
        ("lease_lock", ".lease.lock"), ("lease", ".lease"))}


def _prefect_version() -> str:
    from importlib.metadata import version

    return version("prefect")


def _healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def python_id() -> str:
    """Which Python environment this is: a server started from another one (another prefect,
    another corpus-clean) is not reused. The interpreter's real path and prefix, so that
    `python`, `python3.11` and a console script of one environment agree."""
    return f"{os.path.realpath(sys.executable)}:{os.path.realpath(sys.prefix)}"


def read_state(home: Path | None = None, any_python: bool = False) -> dict | None:
    """The running server's state, if its watchdog is alive and it is ours (same Python
    environment; `any_python`: whichever)."""
    p = _paths(home or prefect_home())["state"]
    try:
        state = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    if not _alive(state.get("pid", -1)):
        return None
    if not any_python and state.get("python") != python_id():
        return None
    return state


class LocalAPI:
    """One run's use of the local API: `wait()` gives the URL, `stop()` ends the use (the
    server stays up for the next run until it is idle), `discard()` stops a server this run
    started when Prefect turns out not to need it."""

    def __init__(self, home: Path | None = None, idle: int | None = None):
        self.home = home or prefect_home()
        self.idle = idle_seconds() if idle is None else idle
        self.paths = _paths(self.home)
        self.proc: subprocess.Popen | None = None
        self.reused = False
        self.url: str | None = None
        self._lease = None

    def start(self) -> "LocalAPI":
        self.home.mkdir(parents=True, exist_ok=True)
        # the lease first: a watchdog that finds it held does not stop its server under us
        self._lease = open(self.paths["lease_lock"], "a+")
        fcntl.flock(self._lease, fcntl.LOCK_SH)
        state = read_state(self.home)
        if state and _healthy(state["url"]):
            self.url, self.reused = state["url"], True
            return self
        log = open(self.paths["log"], "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flows.localapi", "serve", "--home", str(self.home),
             "--idle", str(self.idle)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=str(Path(__file__).resolve().parents[1]))
        log.close()
        return self

    def wait(self, timeout: float = 180.0) -> str:
        """The API URL once the server answers (ours, or one a concurrent run started)."""
        deadline = time.monotonic() + timeout
        while not self.url:
            state = read_state(self.home)
            if state and _healthy(state["url"]):
                self.url = state["url"]
                break
            code = self.proc.poll() if self.proc is not None else None
            if code not in (None, 0, OWNED_ELSEWHERE):
                self.stop()
                raise RuntimeError(f"the local Prefect API exited with code {code}; see "
                                   f"{self.paths['log']}")
            if code == OWNED_ELSEWHERE and state is None and read_state(self.home, any_python=True):
                self.stop()
                raise RuntimeError(f"PREFECT_HOME {self.home} has a local Prefect API started from "
                                   "another Python environment; stop it (`corpus-clean api stop` "
                                   "from that environment) to use one from this one")
            if time.monotonic() > deadline:
                self.discard()
                raise RuntimeError(f"the local Prefect API did not answer within {timeout:.0f}s; "
                                   f"see {self.paths['log']}")
            time.sleep(0.1)
        return self.url

    def stop(self) -> None:
        """This run is done with the server: idle time counts from now."""
        if self._lease is not None:
            self.paths["lease"].touch()
            fcntl.flock(self._lease, fcntl.LOCK_UN)
            self._lease.close()
            self._lease = None

    def discard(self) -> None:
        """Stop the server this run started (Prefect has an API URL configured after all)."""
        from .tempapi import terminate

        self.stop()
        terminate(self.proc, 10)


def stop_running(home: Path | None = None, timeout: float = 20.0) -> dict | None:
    """Stop the local API of this PREFECT_HOME (`corpus-clean api stop`), whichever Python
    environment started it; its state, or None."""
    state = read_state(home, any_python=True)
    if state is None:
        return None
    os.kill(state["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(state["pid"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return state


# --- the watchdog ------------------------------------------------------------------------
OWNED_ELSEWHERE = 3  # exit code: another watchdog serves this PREFECT_HOME


def serve(home: Path, idle: int) -> int:
    from .tempapi import TemporaryAPI

    paths = _paths(home)
    owner = open(paths["owner"], "a+")
    try:
        fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return OWNED_ELSEWHERE
    api = TemporaryAPI()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    try:
        api.start()
        url = api.wait()
        tmp = paths["state"].with_suffix(".tmp")
        tmp.write_text(json.dumps({"url": url, "pid": os.getpid(), "server_pid": api.proc.pid,
                                   "python": python_id(), "prefect": _prefect_version(),
                                   "idle_seconds": idle, "started": time.time()}))
        os.replace(tmp, paths["state"])
        print(f"corpus-clean local Prefect API at {url} (stops after {idle}s idle)", flush=True)
        lease = open(paths["lease_lock"], "a+")
        while not stopping and api.proc.poll() is None:
            time.sleep(POLL_SECONDS)
            try:
                fcntl.flock(lease, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a run is using the server
            try:
                last = paths["lease"].stat().st_mtime if paths["lease"].exists() else 0.0
                if time.time() - max(last, _started(paths)) >= idle:
                    paths["state"].unlink(missing_ok=True)  # new runs start their own
                    break
            finally:
                fcntl.flock(lease, fcntl.LOCK_UN)
    finally:
        paths["state"].unlink(missing_ok=True)
        api.stop()
    return 0


def _started(paths) -> float:
    try:
        return json.loads(paths["state"].read_text())["started"]
    except (OSError, ValueError, KeyError):
        return 0.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m flows.localapi")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--home", required=True)
    s.add_argument("--idle", type=int, default=DEFAULT_IDLE_SECONDS)
    args = p.parse_args(argv)
    return serve(Path(args.home), args.idle)


if __name__ == "__main__":
    sys.exit(main())
