"""A drop's file listing, taken while the CLI waits for Prefect's temporary API.

`corpus-clean run` waits ~2.5-3.5 s for the temporary API after its imports, with a core to spare;
the flow then starts by listing the drop (a stat of every file: 0.7 s for 84k files, 3-4 s for
421k). The CLI starts that listing in a thread when the wait begins (`start`), and the flow takes
it (`take`) instead of listing the folder again. The listing is of the drop as it was when the run
started, a few seconds before the flow run, as if the flow had listed it first thing.

Only within one process, for the same folder, once: a flow run started any other way (a
deployment, a test, a second run) lists the folder itself.
"""
from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

from pipeline import dataset

_lock = threading.Lock()
_pending: dict[Path, Future] = {}


def _key(drop_dir) -> Path:
    return Path(drop_dir).resolve()


def start(drop_dir) -> None:
    """List `drop_dir` in a background thread (nothing if it is not a folder: the flow says so)."""
    key = _key(drop_dir)
    if not key.is_dir():
        return
    fut: Future = Future()

    def work() -> None:
        try:
            fut.set_result(dataset.discover(key))
        except BaseException as exc:  # noqa: BLE001  (handed to take(), which lists again)
            fut.set_exception(exc)

    with _lock:
        _pending[key] = fut
    threading.Thread(target=work, name="drop-listing", daemon=True).start()


def take(drop_dir) -> list[dataset.SourceFile] | None:
    """The listing `start` made of `drop_dir` (waiting for it if it is still running), once; None
    if there is none or it failed (the caller then lists the folder and reports any error)."""
    with _lock:
        fut = _pending.pop(_key(drop_dir), None)
    if fut is None:
        return None
    try:
        return fut.result()
    except Exception:  # noqa: BLE001
        return None
