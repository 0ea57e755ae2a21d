"""The whole pipeline (pipeline.core.clean_text) on the BBC set: the false-positive report.

Usage: python scripts/report_bbc.py [BBC_DIR]   (default ../shared/corpora/bbc-news)

The BBC articles are clean human-written English with a headline on line 1, so every content
change, removed line or MT suspect is a false positive, except true entity repairs (&#233; -> é).
Prints: titles taken, articles changed beyond whitespace (by rule), lines removed, MT suspects,
languages, and single-process throughput of clean_text.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.core import clean_text  # noqa: E402
from pipeline.repair import repair_text  # noqa: E402
from pipeline.refcorpus import DEFAULT_BBC_DIR, load_articles  # noqa: E402

TRUE_REPAIRS = {"entity_plain", "entity_apostrophe_191"}


def words(s: str) -> list[str]:
    return s.split()


def analyse(articles):
    rows = []
    for a in articles:
        c = clean_text(a.text)
        v = c.values
        headline = repair_text(a.text.split("\n", 1)[0]).text  # its entities are repaired too
        content_rules = sorted(r for r, _ in v["repairs"] if not r.startswith("ws_"))
        changed = words(c.text) != words(a.body)
        rows.append({"path": a.path, "title_ok": v["title"] is not None and words(v["title"]) == words(headline),
                     "changed": changed, "content_rules": content_rules, "removed": v["boilerplate"],
                     "suspect": v["mt_suspect"], "score": v["mt_score"], "lang": v["lang"],
                     "flags": [f[0] for f in v["mt_flags"]]})
    return rows


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else DEFAULT_BBC_DIR
    articles = load_articles(root)
    if not articles:
        print(f"no articles under {root}", file=sys.stderr)
        return 2
    rows = analyse(articles)
    n = len(rows)
    print(f"articles: {n}")
    bad_titles = [r["path"] for r in rows if not r["title_ok"]]
    print(f"title == line 1 (repaired): {n - len(bad_titles)}/{n}  {bad_titles[:10]}")
    changed = [r for r in rows if r["changed"]]
    unexpected = [r for r in changed if not r["content_rules"] or set(r["content_rules"]) - TRUE_REPAIRS
                  or r["removed"]]
    by_rule = Counter(rule for r in changed for rule in r["content_rules"])
    print(f"articles whose words changed: {len(changed)} (by rule: {dict(by_rule)}); "
          f"not explained by true entity repairs: {len(unexpected)}")
    for r in unexpected:
        print(f"  UNEXPECTED {r['path']}: rules {r['content_rules']} removed {r['removed']}")
    removed = [(r["path"], rule, line) for r in rows for rule, line in r["removed"]]
    print(f"boilerplate lines removed: {len(removed)}")
    for path, rule, line in removed:
        print(f"  {path}  {rule}: {line[:100]!r}")
    suspects = [r for r in rows if r["suspect"]]
    print(f"MT suspects: {len(suspects)}/{n} ({100 * len(suspects) / n:.2f}%)")
    for r in suspects:
        print(f"  {r['path']} score {r['score']:.2f} flags {r['flags']}")
    print(f"docs with any MT flag: {sum(bool(r['flags']) for r in rows)}; "
          f"flags by rule: {dict(Counter(f for r in rows for f in r['flags']))}")
    print(f"languages: {dict(Counter(r['lang'] for r in rows))}")
    mb = sum(len(a.data) for a in articles) / 1e6
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for a in articles:
            clean_text(a.text)
        best = min(best, time.perf_counter() - t0)
    print(f"clean_text single process: {mb:.2f} MB in {best:.2f}s = {mb / best:.1f} MB/s, "
          f"{n / best:.0f} docs/s (best of 3)")
    return 1 if unexpected or removed or len(suspects) > n // 100 or bad_titles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
