"""Speed of repair_text against a baseline revision, side by side in one process.

Usage: python -m scripts.bench_repair [--baseline REV] [--rounds N] [--bench-mb MB]

Three text sets: the 1,824 BBC articles (clean text: mostly gates), a seeded damaged benchmark
drop built by bench/corpus.py from the same articles (MT entities, mojibake, boilerplate), and
the damaged dev rows of ../shared/realdev/repair (AG News &-less entities, escapes, markup).
Each round times the baseline and the current repair_text on every set, alternating which goes
first; the figure kept per (set, version) is the lowest CPU time (time.process_time) over the
rounds, and the ratio is baseline / current (above 1: the current tree is faster).
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import corpus as corpus_mod  # noqa: E402
from pipeline import headers, repair  # noqa: E402
from pipeline.refcorpus import DEFAULT_BBC_DIR, load_articles  # noqa: E402
from scripts.report_repair_real import dev_rows, load_baseline  # noqa: E402


def bench_texts(mb: float, seed: int) -> list[str]:
    out = Path(tempfile.mkdtemp(prefix="bench-repair-"))
    corpus_mod.build_corpus(DEFAULT_BBC_DIR, out, mb, seed)
    texts = []
    for p in sorted((out / "drop").rglob("*")):
        if p.suffix == ".txt":
            texts.append(p.read_text("utf-8", errors="replace"))
        elif p.name.endswith(".jsonl.gz"):
            with gzip.open(p, "rt", encoding="utf-8") as f:
                texts += [json.loads(line)["text"] for line in f]
    return [headers.split_date_header(t)[1] for t in texts]


def cpu(fn, texts: list[str]) -> float:
    t0 = time.process_time()
    for t in texts:
        fn(t)
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="31b6899")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bench-mb", type=float, default=8.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    base = load_baseline(args.baseline).repair_text
    sets = {
        "BBC articles": [a.text for a in load_articles(DEFAULT_BBC_DIR)],
        f"bench drop {args.bench_mb:g} MB": bench_texts(args.bench_mb, args.seed),
        "dev damaged rows": [r["text"] for r in dev_rows() if r["kind"] == "damaged"],
    }
    best = {(s, v): float("inf") for s in sets for v in ("baseline", "current")}
    for r in range(args.rounds):
        order = [("baseline", base), ("current", repair.repair_text)]
        if r % 2:
            order.reverse()
        for s, texts in sets.items():
            for v, fn in order:
                best[(s, v)] = min(best[(s, v)], cpu(fn, texts))
    print(f"repair_text CPU seconds, best of {args.rounds} alternating rounds; baseline {args.baseline}")
    print(f"  {'set':24} {'docs':>6} {'MB':>6} {'baseline s':>11} {'current s':>10} {'MB/s now':>9} {'ratio':>6}")
    for s, texts in sets.items():
        mb = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) / 1e6
        b, c = best[(s, "baseline")], best[(s, "current")]
        print(f"  {s:24} {len(texts):6} {mb:6.2f} {b:11.3f} {c:10.3f} {mb / c:9.1f} {b / c:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
