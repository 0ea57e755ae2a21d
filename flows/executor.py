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
    """Pay each worker's one-time costs before it gets a shard: imports, rule catalogs, language
    profiles, and pyarrow's first conversion (which imports pandas)."""
    from pipeline.core import BatchBuilder, clean_text
    from pipeline.readers import RawRecord

    text = "Esto es una frase corta. This sentence warms up the language detector in a worker."
    builder = BatchBuilder("warm-up", "warm-up")
    builder.add(RawRecord("warm-up.txt", 0, text, "utf-8"), clean_text(text))
    builder.flush()


def prestart(workers: int) -> None:
    """Start the worker processes now (they warm up in the background), e.g. while Prefect's
    API starts."""
    pool = get_pool(workers)
    for _ in range(workers):
        pool.submit(int)


def wait_ready(workers: int) -> None:
    """Start the pool if it is not running and wait until a worker has warmed up and answers
    (at once when `prestart` ran long enough before)."""
    pool = get_pool(workers)
    for fut in [pool.submit(int) for _ in range(workers)]:
        fut.result()


def get_pool(workers: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size != workers or getattr(_pool, "_broken", False):
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            # Never fork the flow's own process (it runs Prefect's threads and event loops): a
            # fork server, a fresh process that loads and warms the library once, forks workers.
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["flows.worker_preload"])
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
