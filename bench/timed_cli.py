"""`python -m bench.timed_cli ARGS...`: `corpus-clean ARGS` with wall-clock marks (unix seconds)
written as JSON to $CORPUS_CLEAN_TIMINGS, for the benchmark's breakdown of a run's wall time
(bench.measure.wall_breakdown). The CLI itself carries no timing code: the marks come from an
import hook (when Prefect and the flows are imported) and wrappers around the temporary API and
the flow call.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import os
import sys
import time
from pathlib import Path

TIMINGS: dict[str, float] = {}


def mark(name: str) -> None:
    TIMINGS.setdefault(name, time.time())


def process_start() -> float | None:
    """When this process started (Linux: /proc), so interpreter start-up is counted too."""
    try:
        with open("/proc/self/stat") as fh:
            ticks = int(fh.read().rpartition(")")[2].split()[19])
        with open("/proc/stat") as fh:
            btime = next(int(line.split()[1]) for line in fh if line.startswith("btime"))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, StopIteration):
        return None


def _wrap_flow(module, name: str) -> None:
    flow = getattr(module, name)

    def timed(*args, **kwargs):
        mark("flow_called")
        try:
            return flow(*args, **kwargs)
        finally:
            mark("flow_returned")

    setattr(module, name, timed)


def _instrument_api(cls, live: str) -> None:
    """Mark when the API answers and when it is let go after the flow (`live`: the attribute
    that is set while the run holds it)."""
    wait, stop = cls.wait, cls.stop

    def timed_wait(self, *a, **k):
        url = wait(self, *a, **k)
        mark("api_ready")
        return url

    def timed_stop(self):
        held = getattr(self, live) is not None
        stop(self)
        if held and "flow_returned" in TIMINGS:
            mark("api_stopped")

    cls.wait, cls.stop = timed_wait, timed_stop


# module -> (mark before it is first imported, mark after, what to do with it once loaded)
_WATCH = {
    "prefect": ("prefect_import_start", "prefect_imported", None),
    "flows.clean_drop": (None, "flows_imported", lambda m: _wrap_flow(m, "clean_drop")),
    "flows.new_drops": (None, "flows_imported", lambda m: _wrap_flow(m, "clean_new_drops")),
    "flows.tempapi": (None, None, lambda m: _instrument_api(m.TemporaryAPI, "proc")),
    "flows.localapi": (None, None, lambda m: _instrument_api(m.LocalAPI, "_lease")),
}


class _Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in _WATCH or fullname in sys.modules:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None:
            return None
        exec_module = spec.loader.exec_module
        # find_spec also answers importlib.util.find_spec (tempapi asks where Prefect is): only
        # executing the module is its import
        before, after, then = _WATCH[fullname]

        def timed_exec(module):
            if before:
                mark(before)
            exec_module(module)
            if then:
                then(module)
            if after:
                mark(after)

        spec.loader.exec_module = timed_exec
        return spec


def main() -> int:
    start = process_start()
    if start is not None:
        TIMINGS["process_start"] = start
    mark("main_entered")
    sys.meta_path.insert(0, _Hook())
    from flows.cli import main as cli_main

    try:
        return cli_main(sys.argv[1:])
    finally:
        TIMINGS["main_returned"] = time.time()
        path = os.environ.get("CORPUS_CLEAN_TIMINGS")
        if path:
            Path(path).write_text(json.dumps(TIMINGS, indent=1))


if __name__ == "__main__":
    sys.exit(main())
