"""What `corpus-clean run/new` tells the person at the console, from the first second to the end.

A run can wait a long time before its first shard: Prefect's temporary API boots (and, with a new
PREFECT_HOME, first creates its database: 40 s and more on a busy machine), the drop is listed,
the worker processes warm up. Each step says so when it starts and ends, a heartbeat repeats what
is still going on whenever nothing was printed for HEARTBEAT_SECONDS, and the last line gives the
wall time since the command started, with the cleaning time beside it.

Lines go to stderr, like Prefect's own log lines, each with the seconds since the command
started; stdout keeps the run summary. Only the CLI installs a Console: a flow run started any
other way (a deployment, a test) prints nothing from here.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

HEARTBEAT_SECONDS = 10.0

_current: "Console | None" = None


class Console:
    def __init__(self, stream=None, started: float | None = None,
                 heartbeat: float = HEARTBEAT_SECONDS):
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic() if started is None else started
        self.heartbeat = heartbeat
        self._lock = threading.Lock()
        self._last = self.started  # when a line was last printed
        self._activity: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def say(self, message: str) -> None:
        with self._lock:
            now = time.monotonic()
            # write(), not print(): a flow with log_prints=True turns print() into log records
            self.stream.write(f"[{now - self.started:6.1f}s] {message}\n")
            self.stream.flush()
            self._last = now

    def doing(self, activity: str | None, announce: bool = True) -> None:
        """What the command is busy with now (repeated by the heartbeat while it lasts)."""
        with self._lock:
            self._activity = activity
        if activity and announce:
            self.say(activity)

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, self.heartbeat)):
            with self._lock:
                now = time.monotonic()
                due = self._activity and now - self._last >= self.heartbeat
                activity = self._activity
            if due:
                self.say(f"... still {activity}")

    def start(self) -> "Console":
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="console-heartbeat", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None


def install(console: Console | None) -> None:
    """Make `console` the one the flows of this process report to (None: none)."""
    global _current
    _current = console


def current() -> Console | None:
    return _current


def say(message: str) -> None:
    if _current is not None:
        _current.say(message)


def doing(activity: str | None, announce: bool = True) -> None:
    if _current is not None:
        _current.doing(activity, announce)


def prefect_database_to_create(env=None) -> Path | None:
    """The SQLite file Prefect's local API server will create on its first start, if it does not
    exist yet (None when it exists or a database URL is configured in the environment). Prefect's
    default database is PREFECT_HOME/prefect.db, PREFECT_HOME defaulting to ~/.prefect."""
    env = os.environ if env is None else env
    if env.get("PREFECT_SERVER_DATABASE_CONNECTION_URL") or env.get("PREFECT_API_DATABASE_CONNECTION_URL"):
        return None
    home = Path(env.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    db = home / "prefect.db"
    return None if db.exists() else db


def seconds(s: float) -> str:
    return f"{s:.1f}s" if s < 120 else f"{int(s // 60)}m{s % 60:04.1f}s"
