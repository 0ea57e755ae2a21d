"""`python -m bench.ceiling`: what two cores give two independent copies of the core's work.

Alternates, `--repeat` times: one (b) process alone, then two (b) processes at once, on the same
corpus (built or reused as `python -m bench` does). The ceiling of a round is 2 x alone / pair:
the most any parallel design with two workers can reach over (b) on this machine, with no
orchestration at all. Prints every round and the median.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from .__main__ import JSONL_SHARE, REPO, build, warm
from .measure import run_child, run_children_at_once


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__.split("\n\n")[0])
    p.add_argument("--size-mb", type=float, default=50)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--source", default=str(REPO.parent / "shared" / "corpora" / "bbc-news"))
    p.add_argument("--workdir", default=str(REPO / "bench" / "out"))
    args = p.parse_args(argv)
    args.jsonl_share, args.rebuild = JSONL_SHARE, False
    drop, _ = build(args, args.size_mb)
    work = Path(args.workdir)
    ceilings = []
    for i in range(args.repeat):
        warm(drop)
        alone, _ = run_child("bench.single", str(drop), str(work / "ceiling-alone.parquet"))
        warm(drop)
        pair = run_children_at_once("bench.single", [(str(drop), str(work / f"ceiling-{k}.parquet"))
                                                     for k in (1, 2)])
        ceilings.append(2 * alone / pair)
        print(f"round {i + 1}: one (b) {alone:6.1f}s, two at once {pair:6.1f}s -> ceiling "
              f"{ceilings[-1]:.2f}x", flush=True)
    print(f"median ceiling for two workers over (b), {args.size_mb:g} MB: {statistics.median(ceilings):.2f}x "
          f"(min {min(ceilings):.2f}x, max {max(ceilings):.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
