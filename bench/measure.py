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
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil  # a dependency of prefect; used for the process tree only

SAMPLE_SECONDS = 0.05
_SHARD_LOG = re.compile(r"shard \d+/\d+: .* in (\d+(?:\.\d+)?)s")


def run_child(module: str, *args: str, cwd: str | Path | None = None) -> tuple[float, dict]:
    """`python -m module args...` (in `cwd`: another checkout runs its own code); returns (wall
    seconds, the JSON its last stdout line holds, plus "cpu_s": the child's user + system
    CPU-seconds, which a busy machine distorts less than wall time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          cwd=cwd)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(f"{module} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, out


def run_children_at_once(module: str, arg_lists: list[tuple[str, ...]]) -> float:
    """Several `python -m module args...` started together; wall seconds until the last exits.
    Two (b) processes at once measure what two cores give two independent copies of the work:
    the ceiling of any parallel design on this machine, orchestration aside."""
    t = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", module, *args], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for args in arg_lists]
    errors = [(p.args, p.communicate()[1]) for p in procs]
    wall = time.perf_counter() - t
    for p, (args, err) in zip(procs, errors):
        if p.returncode:
            raise RuntimeError(f"{args} failed ({p.returncode}):\n{err[-3000:]}")
    return wall


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
    """Peak RSS (VmHWM) and CPU-seconds (last seen) per process of a process tree, until stop()."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[int, tuple[str, int]] = {}
        self.cpu: dict[int, float] = {}
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
                try:
                    t = p.cpu_times()
                    self.cpu[p.pid] = t.user + t.system
                except psutil.Error:
                    pass
            self._halt.wait(SAMPLE_SECONDS)

    def stop(self) -> dict[str, int]:
        self._halt.set()
        self.join()
        by_role: dict[str, int] = {}
        for role, kb in self.peaks.values():
            by_role[role] = max(by_role.get(role, 0), kb)
        return by_role

    def cpu_by_role(self) -> dict[str, float]:
        """CPU-seconds per role, as last sampled (up to SAMPLE_SECONDS short per process). The
        worker role includes the pool's fork server (its library preload, ~1 s)."""
        out: dict[str, float] = {}
        for pid, sec in self.cpu.items():
            role = self.peaks[pid][0]
            out[role] = out.get(role, 0.0) + sec
        return out


def run_cli(drop: Path, out: Path, env: dict, extra: tuple[str, ...] = ()) -> dict:
    """`corpus-clean run DROP --out OUT` as users run it; wall time, peak RSS by role, the run
    summary from OUT/_runs/, and the per-shard seconds its log lines report."""
    # `corpus-clean run` through bench.timed_cli, which records when each start-up step ended
    cmd = [sys.executable, "-m", "bench.timed_cli", "run", str(drop), "--out", str(out), *extra]
    log = out.parent / f"{out.name}.log"
    marks = out.parent / f"{out.name}.timings.json"
    marks.unlink(missing_ok=True)
    env = dict(env, CORPUS_CLEAN_TIMINGS=str(marks))
    t, t_unix = time.perf_counter(), time.time()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        rc = proc.wait()
    wall = time.perf_counter() - t
    timings = json.loads(marks.read_text()) if marks.exists() else {}
    timings.update(bench_spawn=t_unix, process_exit=t_unix + wall)
    peaks = sampler.stop()
    text = log.read_text(errors="replace")
    if rc:
        raise RuntimeError(f"corpus-clean run failed ({rc}); log {log}:\n{text[-3000:]}")
    runs = sorted((out / "_runs").glob("*.json"), key=os.path.getmtime)
    summary = json.loads(runs[-1].read_text())
    # The run summary records each shard's seconds; older summaries only had the log lines.
    shard_seconds = summary.get("shard_seconds") or [float(s) for s in _SHARD_LOG.findall(text)]
    return {"wall": wall, "peaks_kb": peaks, "cpu_s": sampler.cpu_by_role(), "summary": summary,
            "shard_seconds": shard_seconds,
            "log": str(log), "timings": timings}


# Where the wall time of `corpus-clean run` went, from the CLI's marks ($CORPUS_CLEAN_TIMINGS) and
# the run summary: (name, whose, seconds). "Prefect" takes everything Prefect does or makes us
# wait for, and, conservatively, the shard phase beyond work/workers (task orchestration, but
# also the last shard's tail) and the artifacts/summary step after the report.
def wall_breakdown(timings: dict, summary: dict, work_seconds: float, workers: int) -> list[tuple]:
    T = timings
    if not {"process_start", "prefect_import_start", "flow_called", "flow_returned",
            "api_stopped", "main_returned"} <= set(T) or "started_unix" not in summary:
        return []
    ph = summary.get("phases", {})
    per_worker = work_seconds / max(1, workers)
    shards = ph.get("shards", 0.0)
    steps = sum(ph.get(k, 0.0) for k in ("plan", "workers", "shards", "duplicates", "write",
                                         "commit", "report"))
    run = summary.get("finished_unix", 0.0) - summary["started_unix"]  # the flow's run_drop
    api_ready = T.get("api_ready", T["flows_imported"])
    rows = [
        ("interpreter start, CLI set-up", "ours", T["prefect_import_start"] - T.get("bench_spawn", T["process_start"])),
        ("import prefect", "Prefect", T["prefect_imported"] - T["prefect_import_start"]),
        ("import flows and pipeline", "ours", T["flows_imported"] - T["prefect_imported"]),
        ("wait for the Prefect API (boot, or a reused one)", "Prefect", max(0.0, api_ready - T["flows_imported"])),
        ("flow run start (API, engine)", "Prefect", summary["started_unix"] - T["flow_called"]
         + max(0.0, T["flow_called"] - api_ready)),
        ("plan: discover and shard", "ours", ph.get("plan", 0.0)),
        ("worker pool ready (prestarted while the API booted)", "ours", ph.get("workers", 0.0)),
        ("shard work / workers", "ours", min(per_worker, shards)),
        ("shard phase beyond that (task orchestration, tail)", "Prefect", max(0.0, shards - per_worker)),
        ("duplicates: match the drop (flow process)", "ours", ph.get("duplicates", 0.0)),
        ("write the parts (wave 2, the workers)", "ours", ph.get("write", 0.0)),
        ("commit", "ours", ph.get("commit", 0.0)),
        ("report", "ours", ph.get("report", 0.0)),
        ("artifacts, run summary", "Prefect", max(0.0, run - steps)),
        ("flow run end (API, engine, heartbeat)", "Prefect", T["flow_returned"] - summary["finished_unix"]),
        ("log drain, API stop or release", "Prefect", T["api_stopped"] - T["flow_returned"]),
        ("output, worker pool shutdown, exit", "ours", T.get("process_exit", T["main_returned"]) - T["api_stopped"]),
    ]
    return rows

