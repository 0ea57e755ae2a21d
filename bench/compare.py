"""The core (b) side by side in one benchmark run: this tree, a baseline checkout, and the floor.

    python -m bench --baseline ../baseline           (a), (b), (c) as before, plus this comparison
    python -m bench --core-only --baseline PATH      this comparison (and the same-answers check)
    git worktree add --detach ../baseline COMMIT     a baseline checkout (--baseline may be repeated)

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


def run_core(drop: Path, work: Path, baselines: list, rounds: int, warm) -> dict:
    """Alternating rounds of the variants; returns per variant its runs and their summary."""
    variants = [(f"baseline{k}", Path(path).resolve(), ()) for k, path in enumerate(baselines or ())]
    variants += [("b", REPO, ()), ("floor", REPO, ("--floor",))]
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


def _shares(x: dict) -> dict[str, float]:
    """Seconds by step of one variant, plus what its steps do not cover, summing to its wall."""
    out = dict(x["steps"])
    out["read, decode, hash, rows, stats (no step)"] = max(0.0, x["inside"] - sum(x["steps"].values()))
    out["start-up: interpreter, imports"] = max(0.0, x["wall_mean"] - x["inside"])
    return out


def report(res: dict, mb: float) -> dict:
    """Print the side-by-side tables; returns the checks (name -> passed)."""
    v = res["variants"]
    b, floor = v["b"], v["floor"]
    bases = [(name, x) for name, x in v.items() if name.startswith("baseline")]
    print(f"\ncore side by side: {res['rounds']} rounds, variants alternating; median of rounds")
    print(f"{'variant':<46} {'wall s':>7} {'CPU s':>7} {'MB/s':>7} {'MB/s CPU':>9} {'RSS MB':>7}")
    rows = [(f"(b) baseline ({x['revision']})", x) for _, x in bases] + [
        (f"(b) this tree ({b['revision']})", b), ("floor: read, decode, rows, Parquet; no step", floor)]
    for label, x in rows:
        print(f"{label:<46} {x['wall']:7.2f} {x['cpu_s']:7.2f} {mb / x['wall']:7.2f} "
              f"{mb / x['cpu_s']:9.2f} {x['maxrss_kb'] / 1024:7.0f}")
    checks = {}
    for k, (_, base) in enumerate(bases):
        xw, xc = base["wall"] / b["wall"], base["cpu_s"] / b["cpu_s"]
        if k == 0:  # the first baseline is the one the target is about
            checks["core_vs_baseline"] = xw >= TARGET_X
            verdict = "PASS" if xw >= TARGET_X else "FAIL"
            print(f"  {verdict}  (b) >= {TARGET_X:g}x the MB/s of {base['revision']}: {xw:.2f}x wall, "
                  f"{xc:.2f}x CPU-seconds")
        else:
            print(f"        (b) vs {base['revision']}: {xw:.2f}x wall, {xc:.2f}x CPU-seconds")
    print(f"  (b) runs at {floor['wall'] / b['wall']:.1%} of the floor's speed (wall; "
          f"{floor['cpu_s'] / b['cpu_s']:.1%} in CPU-seconds): the floor is {mb / floor['wall']:.1f} MB/s")

    ours = _shares(b)
    theirs = [(x["revision"], _shares(x)) for _, x in bases]
    total = b["wall_mean"]
    print(f"\n(b) by step: mean seconds over the rounds and share of (b)'s wall time ({total:.2f} s)"
          + ("; each baseline's seconds beside them, and its seconds / ours" if bases else ""))
    print(f"{'step':<44} {'seconds':>8} {'share':>7}"
          + "".join(f" {rev[:12]:>12} {'x':>6}" for rev, _ in theirs))
    grouped = {part: group for group, parts in BASELINE_STEPS.items() for part in parts}
    notes = set()
    for name, sec in ours.items():
        line = f"{name:<44} {sec:8.2f} {sec / total:7.1%}"
        for _, th in theirs:
            group = grouped.get(name)
            if name in th:
                line += f" {th[name]:12.2f} {th[name] / sec:5.2f}x" if sec else f" {th[name]:12.2f} {'':>6}"
            elif group in th and name == BASELINE_STEPS[group][0]:
                mine = sum(ours.get(part, 0.0) for part in BASELINE_STEPS[group])
                line += f" {th[group]:12.2f} {th[group] / mine:5.2f}x"
                notes.add(f"a baseline's '{group}' is today's {' + '.join(BASELINE_STEPS[group])} "
                          "(its row shows their sum)")
            else:
                line += f" {'-' if group not in th else '':>12} {'':>6}"
        print(line)
    print(f"{'total':<44} {total:8.2f} {1:7.1%}"
          + "".join(f" {x['wall_mean']:12.2f} {x['wall_mean'] / total:5.2f}x" for _, x in bases))
    for note in sorted(notes):
        print(f"  ({note})")
    return checks
