"""Start-up of `corpus-clean run/new`: what the CLI does so that a run's fixed costs overlap.

A run pays, before its first shard: importing Prefect and the library, booting Prefect's
temporary API (when no PREFECT_API_URL is configured), starting and warming the worker processes,
and listing the drop. Done one after the other they make a short run mostly waiting; here they
overlap:

- `start_api_early`: the temporary API server boots first thing (flows.tempapi), while the CLI
  imports the flows; `api_context` runs the flow against it (or against the configured server,
  stopping the early one at once when a profile names a server) and stops it after;
- `pool_starter`: the worker processes spawn and warm up, after the imports when an API boots
  (three start-up jobs do not share two cores three ways) and at once otherwise;
- `warm_flow_process`: modules the flow run imports on first use are imported while the API boots;
- `start_listing` / `take_listing`: the drop is listed in a thread while the API boots, and the
  flow takes that listing instead of listing the folder again (once, same folder, same process).

None of this changes what a run computes: a flow run started any other way (a deployment, a test)
does every step itself.
"""
from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

from . import console


def wants_flow(argv: list[str]) -> bool:
    """The command line asks for a flow run (`run`/`new`, not their --help)."""
    return bool(argv) and argv[0] in ("run", "new") and not {"-h", "--help"} & set(argv)


def first_argument_missing(argv: list[str]) -> bool:
    """`run DROP ...` / `new RAW_ROOT ...` with a first argument that names no file or folder:
    the command will only print an error, so no API is worth starting for it. (Only the common
    form is recognised; anything else is checked after parsing.)"""
    return len(argv) > 1 and not argv[1].startswith("-") and not Path(argv[1]).exists()


def start_api_early():
    """The local API (flows.localapi: reused if an earlier run left it up, else booting now),
    unless PREFECT_API_URL is set in the environment (None). With
    CORPUS_CLEAN_API_IDLE_SECONDS=0, a temporary API for this run only (flows.tempapi). Its
    `database_to_create` is the Prefect database it will have to create first (or None)."""
    import os

    from . import localapi
    from .tempapi import start_speculatively

    if os.environ.get("PREFECT_API_URL"):
        return None
    creates = console.prefect_database_to_create()
    try:
        if localapi.idle_seconds() == 0:
            api = start_speculatively()
            what = "starting Prefect's temporary API server (local; it stops when this command ends)"
        else:
            api = localapi.LocalAPI().start()
            idle = _minutes(api.idle)
            what = (f"using the local Prefect API server started by an earlier run (it stops itself "
                    f"after {idle} idle; `corpus-clean api stop` stops it now)" if api.reused else
                    f"starting a local Prefect API server (it stays up for the next runs and stops "
                    f"itself after {idle} idle; `corpus-clean api stop` stops it now)")
    except OSError as exc:  # the flow then starts Prefect's own temporary server
        print(f"note: could not start the local Prefect API early ({exc})", file=sys.stderr)
        return None
    api.database_to_create = None if getattr(api, "reused", False) else creates
    console.say(what)
    if api.database_to_create is not None:
        console.say(f"first start with this PREFECT_HOME: Prefect creates its database {creates} "
                    "first (up to a minute on a busy machine)")
    return api


def _minutes(seconds: int) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds} s"


def booting(api) -> bool:
    """An API server is booting for this run (not a configured one, not one reused)."""
    return api is not None and not getattr(api, "reused", False)


def pool_starter(workers: int | None, api) -> callable:
    """Start the local worker pool now (no API to boot) or return a function that starts it
    after the imports (an API is booting)."""
    def start_pool() -> None:
        from .executor import default_workers, prestart

        # In a thread: starting the first worker waits for the fork server to load the library.
        threading.Thread(target=prestart, args=(workers or default_workers(),), daemon=True,
                         name="worker-pool-start").start()

    if not booting(api):
        start_pool()
        return lambda: None
    return start_pool


@contextlib.contextmanager
def _prefects_own_server():
    """Run the flow with Prefect starting its own temporary server, given the start-up time a
    busy machine needs (Prefect's default, 20 s, is less than a first start there takes) unless
    the user configured one."""
    from prefect.settings import (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
                                  get_current_settings, temporary_settings)

    from .tempapi import STARTUP_TIMEOUT_SECONDS

    field = type(get_current_settings().server.ephemeral).model_fields["startup_timeout_seconds"]
    if PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value() != field.default:
        yield
        return
    with temporary_settings(updates={PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS:
                                     int(STARTUP_TIMEOUT_SECONDS)}):
        yield


@contextlib.contextmanager
def api_context(api):
    """Run the flow against the early-started temporary API, if Prefect wants one; stop it after."""
    from .tempapi import configured_url, needed

    stopped = False
    if api is not None and not needed():  # an API URL from the profile or a settings file
        getattr(api, "discard", api.stop)()
        api, stopped = None, True
    if api is None:
        url = configured_url()
        if url:
            console.say(f"using the Prefect API at {url}"
                        + (" (the temporary one is not needed: stopped)" if stopped else ""))
            yield
            return
        console.say("Prefect starts its own temporary API server")
        with _prefects_own_server():
            yield
        return
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    creating = getattr(api, "database_to_create", None)
    console.doing("waiting for Prefect's API to start" + (" (creating its database)" if creating else ""),
                  announce=False)
    try:
        url = api.wait()
    except RuntimeError as exc:  # fall back to Prefect's own temporary server
        print(f"note: early start of the temporary Prefect API failed ({exc}); "
              "Prefect starts its own", file=sys.stderr)
        api.stop()
        with _prefects_own_server():
            yield
        return
    console.say(f"Prefect API ready ({url})")
    console.doing(None)
    try:
        # No flow-run heartbeats to a server that lives and dies with this process: they exist
        # so that a long-lived server can tell a crashed run, and the engine waits for the
        # heartbeat thread at the end of every flow run.
        with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            try:
                yield
            finally:  # deliver queued logs and events while the server still listens
                from prefect.events.worker import EventsWorker
                from prefect.logging.handlers import APILogWorker

                APILogWorker.drain_all(timeout=10)
                EventsWorker.drain_all(timeout=10)
    finally:
        api.stop()


def warm_flow_process() -> None:
    """Import what the flow run would otherwise import on its critical path the first time:
    Prefect's engines, fastapi's encoders, pyarrow's query engine (the report's group-by), and
    pyarrow's first conversion of Python objects (which imports pandas). Call it before any other
    thread imports anything. Missing modules (another Prefect version) are skipped."""
    import pyarrow as pa

    for name in ("fastapi.encoders", "prefect.flow_engine", "prefect.task_engine",
                 "prefect.utilities.visualization", "pyarrow.acero"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    pa.array(["warm-up"], pa.string())


_lock = threading.Lock()
_listings: dict[Path, Future] = {}


def _key(drop_dir) -> Path:
    return Path(drop_dir).resolve()


def start_listing(drop_dir) -> None:
    """List `drop_dir` in a background thread (nothing if it is not a folder: the flow says so)."""
    key = _key(drop_dir)
    if not key.is_dir():
        return
    fut: Future = Future()

    def work() -> None:
        from pipeline.storage import planning

        try:
            files = planning.discover(key)
        except BaseException as exc:  # noqa: BLE001  (handed to take_listing, which lists again)
            fut.set_exception(exc)
            return
        console.say(f"listed {drop_dir}: {len(files):,} files, "
                    f"{sum(f.size for f in files) / 1e6:,.1f} MB")
        fut.set_result(files)

    with _lock:
        _listings[key] = fut
    threading.Thread(target=work, name="drop-listing", daemon=True).start()


def take_listing(drop_dir) -> list | None:
    """The listing `start_listing` made of `drop_dir` (waiting for it if it is still running),
    once; None if there is none or it failed (the caller then lists the folder and reports any
    error)."""
    with _lock:
        fut = _listings.pop(_key(drop_dir), None)
    if fut is None:
        return None
    try:
        return fut.result()
    except Exception:  # noqa: BLE001
        return None
