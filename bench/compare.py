"""The core (b) side by side in one benchmark run: this tree, a baseline checkout, and the floor.

    python -m bench --baseline ../baseline           (a), (b), (c) as before, plus this comparison
    python -m bench --core-only --baseline PATH      this comparison (and the same-answers check)

Variants, each `python -m bench.single` in its own process on the same drop:
- (b) this tree: pipeline.shard.clean_shard over every file, every step;
- the floor: the same shard with no step (`--floor`): listing, reading, hashing, decoding, the
  rows, Arrow and the Parquet write, nothing else; what any cleaning must pay;
- (b) baseline: the baseline checkout's own bench.single, run from its folder (a git worktree of
  the commit to compare against, e.g. `git worktree add ../baseline <commit>`).

Each round runs every variant once; the order rotates from round to round, so that the drift of a
busy machine falls on every variant alike. Reported: the median over rounds of wall seconds and of
CPU-seconds (user + system of the child: a loaded machine distorts them less), MB/s of both, and
per step the mean seconds (the step clocks of the child) with their share of the wall time.
"""
from __future__ import annotations

import statistics
import subprocess
from pathlib import Path

from .measure import run_child

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 3
TARGET_X = 2.0
# A step of the baseline that is several steps today (its clock timed them as one).
BASELINE_STEPS = {"headers": ("date_header", "title")}


def revision(repo: Path) -> str:
    try:
        rev = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def run_core(drop: Path, work: Path, baseline: Path | None, rounds: int, warm) -> dict:
    """Alternating rounds of the variants; returns per variant its runs and their summary."""
    variants = [("b", REPO, ()), ("floor", REPO, ("--floor",))]
    if baseline is not None:
        variants.insert(0, ("baseline", Path(baseline).resolve(), ()))
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in variants}
    for r in range(rounds):
        k = r % len(variants)
        for name, repo, extra in variants[k:] + variants[:k]:
            print(f"  round {r + 1}/{rounds}: {name} ...", flush=True)
            warm(drop)
            wall, out = run_child("bench.single", *extra, str(drop),
                                  str((work / f"core-{name}.parquet").resolve()), cwd=repo)
            runs[name].append({"wall": wall, **out})
    res = {"rounds": rounds, "variants": {}}
    for name, repo, _ in variants:
        rs = runs[name]
        steps: dict[str, float] = {}
        for run in rs:
            for step, sec in run["step_seconds"].items():
                steps[step] = steps.get(step, 0.0) + sec / len(rs)
        res["variants"][name] = {
            "repo": str(repo), "revision": revision(repo), "runs": rs,
            "wall": statistics.median(x["wall"] for x in rs),
            "cpu_s": statistics.median(x["cpu_s"] for x in rs),
            "inside": statistics.mean(x["seconds"] for x in rs),  # run() start to end, no start-up
            "wall_mean": statistics.mean(x["wall"] for x in rs),
            "steps": steps,
            "maxrss_kb": max(x["maxrss_kb"] for x in rs),
        }
    return res


def report(res: dict, mb: float) -> dict:
    """Print the side-by-side tables; returns the checks (name -> passed)."""
    v = res["variants"]
    b, floor, base = v["b"], v["floor"], v.get("baseline")
    print(f"\ncore side by side: {res['rounds']} rounds, variants alternating; median of rounds")
    print(f"{'variant':<46} {'wall s':>7} {'CPU s':>7} {'MB/s':>7} {'MB/s CPU':>9} {'RSS MB':>7}")
    rows = ([(f"(b) baseline ({base['revision']})", base)] if base else []) + [
        (f"(b) this tree ({b['revision']})", b), ("floor: read, decode, rows, Parquet; no step", floor)]
    for label, x in rows:
        print(f"{label:<46} {x['wall']:7.2f} {x['cpu_s']:7.2f} {mb / x['wall']:7.2f} "
              f"{mb / x['cpu_s']:9.2f} {x['maxrss_kb'] / 1024:7.0f}")
    checks = {}
    if base:
        xw, xc = base["wall"] / b["wall"], base["cpu_s"] / b["cpu_s"]
        checks["core_vs_baseline"] = xw >= TARGET_X
        print(f"  {'PASS' if checks['core_vs_baseline'] else 'FAIL'}  (b) >= {TARGET_X:g}x the baseline's "
              f"MB/s: {xw:.2f}x wall, {xc:.2f}x CPU-seconds")
    print(f"  (b) runs at {floor['wall'] / b['wall']:.1%} of the floor's speed (wall; "
          f"{floor['cpu_s'] / b['cpu_s']:.1%} in CPU-seconds): the floor is {mb / floor['wall']:.1f} MB/s")

    def shares(x: dict) -> list[tuple[str, float]]:
        steps = dict(x["steps"])
        out = list(steps.items())
        out.append(("read, decode, hash, rows, stats (no step)", max(0.0, x["inside"] - sum(steps.values()))))
        out.append(("start-up: interpreter, imports", max(0.0, x["wall_mean"] - x["inside"])))
        return out

    ours = shares(b)
    mine = dict(ours)
    theirs = dict(shares(base)) if base else {}
    total = b["wall_mean"]
    print(f"\n(b) by step: mean seconds over the rounds, share of (b)'s wall time ({total:.2f} s)"
          + ("; the baseline's seconds beside it, and its seconds / ours" if base else ""))
    print(f"{'step':<44} {'seconds':>8} {'share':>7}" + (f" {'baseline':>9} {'x':>6}" if base else ""))
    grouped = {part: group for group, parts in BASELINE_STEPS.items() for part in parts}
    for name, sec in ours:
        line = f"{name:<44} {sec:8.2f} {sec / total:7.1%}"
        if base:
            group = grouped.get(name) if name not in theirs else None
            if name in theirs:
                line += f" {theirs[name]:9.2f} {theirs[name] / sec:5.2f}x" if sec else ""
            elif group in theirs and name == BASELINE_STEPS[group][0]:
                ours_group = sum(mine.get(part, 0.0) for part in BASELINE_STEPS[group])
                line += (f" {theirs[group]:9.2f} {theirs[group] / ours_group:5.2f}x  (the baseline's "
                         f"'{group}' = {' + '.join(BASELINE_STEPS[group])})")
            elif group in theirs:
                line += f" {'':>9} {'':>6}  (in the row above)"
            else:
                line += f" {'-':>9}"
        print(line)
    print(f"{'total':<44} {total:8.2f} {1:7.1%}"
          + (f" {base['wall_mean']:9.2f} {base['wall_mean'] / total:5.2f}x" if base else ""))
    return checks
