"""Variant (b), the project's core in one process: `pipeline.shard.clean_shard` over every file of
the drop into one Parquet file (no Prefect, no worker processes).

    python -m bench.single DROP OUT.parquet    prints one JSON line: seconds, documents,
                                               step_seconds, maxrss_kb
    python -m bench.single --floor DROP OUT.parquet
        the floor: the same shard with no step (read, decode, hash, rows, Arrow, Parquet write)
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from pipeline.storage import planning
from pipeline.shard import clean_shard


def run(drop: Path, out: Path, floor: bool = False) -> dict:
    started = time.perf_counter()
    files = [f.path for f in planning.discover(drop)]
    result = clean_shard(str(drop), files, str(out), run_id="bench-single", drop=drop.name,
                         steps=[] if floor else None)
    s = result["stats"]
    return {"seconds": time.perf_counter() - started, "documents": s["documents"],
            "rejects": s["rejects"], "bytes_in": s["bytes_in"], "step_seconds": s["step_seconds"],
            "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


if __name__ == "__main__":
    args = sys.argv[1:]
    floor = "--floor" in args
    args = [a for a in args if a != "--floor"]
    print(json.dumps(run(Path(args[0]), Path(args[1]), floor)))
