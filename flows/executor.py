"""Where shard work runs when the flow runs locally: a pool of worker processes.

Prefect tasks stay in the flow's process (threads: cheap, no API traffic from workers); each task
hands its shard to this pool, so every core cleans text. Workers import only `pipeline`, never
Prefect, so no ephemeral Prefect server starts in them.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _warm() -> None:
    import pipeline.core  # noqa: F401  (load rule catalogs and language profiles once per worker)
    from pipeline.language import detect_language

    detect_language("This sentence warms up the language detector in a new worker process.")


def get_pool(workers: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size != workers or getattr(_pool, "_broken", False):
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            ctx = multiprocessing.get_context("spawn")  # never fork a process that runs Prefect
            _pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_warm)
            _pool_size = workers
        return _pool


def run_in_pool(workers: int, fn, *args, **kwargs):
    """Run fn in the worker pool; a pool broken by a dead worker is replaced once."""
    try:
        return get_pool(workers).submit(fn, *args, **kwargs).result()
    except BrokenProcessPool:
        return get_pool(workers).submit(fn, *args, **kwargs).result()


@atexit.register
def shutdown() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None
