"""Run one benchmark variant in its own process(es) and measure wall time and peak RSS.

(a) and (b) are one child process each and report their own `ru_maxrss`. (c) is `corpus-clean run`
as a subprocess: a sampler reads every descendant's VmHWM (the kernel's per-process peak RSS) from
/proc/<pid>/status every SAMPLE_SECONDS and keeps the last value seen per process, classified as the
flow process, a worker process (multiprocessing spawn), or Prefect's temporary API server.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil  # a dependency of prefect; used for the process tree only

SAMPLE_SECONDS = 0.05
_SHARD_LOG = re.compile(r"shard \d+/\d+: .* in (\d+(?:\.\d+)?)s")


def run_child(module: str, *args: str) -> tuple[float, dict]:
    """`python -m module args...`; returns (wall seconds, the JSON its last stdout line holds)."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode:
        raise RuntimeError(f"{module} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def _hwm_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _role(proc: psutil.Process, root: int) -> str:
    if proc.pid == root:
        return "flow"
    try:
        cmd = " ".join(proc.cmdline())
    except psutil.Error:
        return "other"
    if "multiprocessing" in cmd:
        return "worker"
    if "uvicorn" in cmd or "prefect" in cmd:
        return "prefect-server"
    return "other"


class TreeSampler(threading.Thread):
    """Peak RSS (VmHWM) per process of a process tree, until stop()."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[int, tuple[str, int]] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._halt.is_set():
            try:
                procs = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            for p in procs:
                kb = _hwm_kb(p.pid)
                if kb is None:
                    continue
                role = self.peaks[p.pid][0] if p.pid in self.peaks else _role(p, self.pid)
                self.peaks[p.pid] = (role, max(kb, self.peaks.get(p.pid, ("", 0))[1]))
            self._halt.wait(SAMPLE_SECONDS)

    def stop(self) -> dict[str, int]:
        self._halt.set()
        self.join()
        by_role: dict[str, int] = {}
        for role, kb in self.peaks.values():
            by_role[role] = max(by_role.get(role, 0), kb)
        return by_role


def run_cli(drop: Path, out: Path, env: dict, extra: tuple[str, ...] = ()) -> dict:
    """`corpus-clean run DROP --out OUT` as users run it; wall time, peak RSS by role, the run
    summary from OUT/_runs/, and the per-shard seconds its log lines report."""
    exe = Path(sys.executable).with_name("corpus-clean")
    cmd = [str(exe), "run", str(drop), "--out", str(out), *extra]
    log = out.parent / f"{out.name}.log"
    t = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        rc = proc.wait()
    wall = time.perf_counter() - t
    peaks = sampler.stop()
    text = log.read_text(errors="replace")
    if rc:
        raise RuntimeError(f"corpus-clean run failed ({rc}); log {log}:\n{text[-3000:]}")
    runs = sorted((out / "_runs").glob("*.json"), key=os.path.getmtime)
    summary = json.loads(runs[-1].read_text())
    # The run summary records each shard's seconds; older summaries only had the log lines.
    shard_seconds = summary.get("shard_seconds") or [float(s) for s in _SHARD_LOG.findall(text)]
    return {"wall": wall, "peaks_kb": peaks, "summary": summary, "shard_seconds": shard_seconds,
            "log": str(log)}

