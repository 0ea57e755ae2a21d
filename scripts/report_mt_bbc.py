#!/usr/bin/env python
"""MT-flag and language report on the BBC set: suspects, flags by rule, language agreement, speed.

Usage: python scripts/report_mt_bbc.py [BBC_DIR]   (default ../shared/corpora/bbc-news)
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.language import detect_language, detect_language_reference  # noqa: E402
from pipeline.mtflags import RULES_VERSION, flag_mt  # noqa: E402
from pipeline.refcorpus import load_articles  # noqa: E402

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bbc-news"


def load(bbc_dir: Path) -> list[tuple[str, str]]:
    return [(a.path, a.body) for a in load_articles(bbc_dir)]  # body: headline dropped


def main() -> None:
    bbc_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    docs = load(bbc_dir)
    n = len(docs)
    mb = sum(len(t.encode("utf-8")) for _, t in docs) / 1e6
    detect_language("warm up the langdetect profiles before timing anything")

    t0 = time.perf_counter()
    fast = [detect_language(t) for _, t in docs]
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = [detect_language_reference(t) for _, t in docs]
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = [flag_mt(t, lang=f.lang) for (_, t), f in zip(docs, fast)]
    t_mt = time.perf_counter() - t0

    suspects = [(name, r) for (name, _), r in zip(docs, results) if r.suspect]
    by_rule = Counter(f.rule for r in results for f in r.flags)
    docs_by_rule = Counter(rule for r in results for rule in {f.rule for f in r.flags})
    agree = sum(a.lang == b.lang for a, b in zip(fast, ref))

    print(f"BBC docs: {n} ({mb:.2f} MB)   MT rules {RULES_VERSION}")
    print(f"MT suspects: {len(suspects)} / {n} ({100 * len(suspects) / n:.2f}%)")
    print("flags by rule (hits, docs):")
    for rule, hits in by_rule.most_common():
        print(f"  {rule:34s} {hits:5d} {docs_by_rule[rule]:5d}")
    print("suspect docs:")
    for name, r in suspects:
        print(f"  {name}  score={r.score:.3f}")
        for f in r.flags:
            print(f"      {f.rule}: {f.excerpt!r}")
    if not suspects:
        print("  (none)")
    top = sorted(zip(results, (name for name, _ in docs)), key=lambda x: -x[0].score)[:5]
    print("highest scores: " + ", ".join(f"{name} {r.score:.3f}" for r, name in top))
    print(f"languages fast: {dict(Counter(f.lang for f in fast))}  reference: {dict(Counter(r.lang for r in ref))}")
    print(f"language agreement fast vs reference: {agree}/{n} ({100 * agree / n:.2f}%)")
    print(f"lang_prob fast: min {min(f.prob for f in fast):.6f}; reference: min {min(r.prob for r in ref):.6f}")
    print(f"detect_language           {1e3 * t_fast / n:7.3f} ms/doc  {mb / t_fast:7.1f} MB/s")
    print(f"detect_language_reference {1e3 * t_ref / n:7.3f} ms/doc  {mb / t_ref:7.1f} MB/s")
    print(f"flag_mt                   {1e3 * t_mt / n:7.3f} ms/doc  {mb / t_mt:7.1f} MB/s")


if __name__ == "__main__":
    main()
