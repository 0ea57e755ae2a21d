"""`python -m bench.rsstrace DROP OUT`: `corpus-clean run DROP --out OUT` with the flow process's
resident memory sampled every 0.25 s; prints the peak and the memory at each console line (so a
peak can be put to the phase it happened in). Uses the local API of PREFECT_HOME (default
bench/out/prefect-home), kept up between runs."""
from __future__ import annotations

import bisect
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    drop, out = argv[0], Path(argv[1])
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, CORPUS_CLEAN_API_IDLE_SECONDS=os.environ.get("CORPUS_CLEAN_API_IDLE_SECONDS", "900"))
    env.setdefault("PREFECT_HOME", str(REPO / "bench" / "out" / "prefect-home"))
    env.pop("PREFECT_API_URL", None)
    t0 = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "run", drop, "--out", str(out)],
                            env=env, cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True)
    lines: list[tuple[float, str]] = []

    def read() -> None:
        for line in proc.stderr:
            lines.append((time.time() - t0, line.rstrip()))

    threading.Thread(target=read, daemon=True).start()
    flow = psutil.Process(proc.pid)
    samples: list[tuple[float, float]] = []
    while proc.poll() is None:
        try:
            samples.append((time.time() - t0, flow.memory_info().rss / 2**20))
        except psutil.Error:
            break
        time.sleep(0.25)
    if not samples:
        return 1
    t, peak = max(samples, key=lambda s: s[1])
    print(f"flow process peak RSS {peak:.0f} MB at {t:.1f} s of {time.time() - t0:.1f} s")
    times = [s[0] for s in samples]
    for when, line in lines:
        if line.startswith("["):  # the console's own lines, not Prefect's log
            i = min(bisect.bisect_left(times, when), len(samples) - 1)
            print(f"{when:7.1f}s {samples[i][1]:6.0f} MB | {line[:110]}")
    return proc.returncode or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
