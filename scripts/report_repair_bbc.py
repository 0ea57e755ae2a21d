"""Report what the repair step changes on the BBC corpus (false-positive check) and its speed.

Usage: python scripts/report_repair_bbc.py [BBC_DIR] [--repeat N]
BBC_DIR defaults to ../shared/corpora/bbc-news next to the repo. Each file is decoded as
UTF-8, else cp1252. An article "changed in content" when a rule other than the whitespace
rules (ws_*) fired; each content change is listed with a before/after snippet taken from a
diff against the whitespace-only normalization of the same text.
"""
from __future__ import annotations

import argparse
import difflib
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.repair import _whitespace_only, repair_text, repair_text_reference  # noqa: E402
from pipeline.refcorpus import load_articles  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "corpora" / "bbc-news"
# Content changes that are true repairs: ordinary entities (&#233; -> é, &#191; between
# letters -> ', &lt; -> <). Anything else is a false positive.
TRUE_REPAIR_RULES = {"entity_plain", "entity_apostrophe_191"}
_ENTITY = re.compile(r"&#?[0-9A-Za-z]{1,24};")


def load(bbc_dir: Path) -> list[tuple[str, bytes, str]]:
    return [(a.path, a.data, a.text) for a in load_articles(bbc_dir)]


def content_changes(before: str, after: str, ctx: int = 12) -> list[tuple[str, str]]:
    sm = difflib.SequenceMatcher(None, before, after, autojunk=False)
    out = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op != "equal":
            out.append((before[max(0, i1 - ctx):i2 + ctx], after[max(0, j1 - ctx):j2 + ctx]))
    return out


def throughput(fn, texts: list[str], nbytes: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for t in texts:
            fn(t)
        best = min(best, time.perf_counter() - t0)
    return nbytes / best / 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bbc_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--repeat", type=int, default=3, help="timing repetitions (best is kept)")
    args = ap.parse_args(argv)
    docs = load(args.bbc_dir)
    if not docs:
        print(f"no articles under {args.bbc_dir}", file=sys.stderr)
        return 2

    by_rule: Counter[str] = Counter()
    changed = unexpected = mismatched = 0
    lines = []
    for name, _raw, text in docs:
        res = repair_text(text)
        if res.text != repair_text_reference(text).text:
            mismatched += 1
            lines.append(f"  FAST/REFERENCE MISMATCH {name}")
        rules = [(r, n) for r, n in res.repairs if not r.startswith("ws_")]
        if not rules:
            continue
        changed += 1
        by_rule.update(dict(rules))
        true_repair = all(r in TRUE_REPAIR_RULES for r, _ in rules)
        rule_s = ",".join(f"{r}x{n}" for r, n in rules)
        for before, after in content_changes(_whitespace_only(text), res.text):
            ok = true_repair and _ENTITY.search(before) is not None
            unexpected += not ok
            tag = "entity" if ok else "UNEXPECTED"
            lines.append(f"  {tag:10} {name:22} {rule_s:30} {before!r} -> {after!r}")

    print(f"articles: {len(docs)}, changed in content (non-ws rules): {changed}")
    for rule, n in sorted(by_rule.items()):
        print(f"  {rule:28} {n}")
    print("content changes:")
    print("\n".join(lines) if lines else "  none")
    print(f"unexpected content changes: {unexpected}; fast/reference mismatches: {mismatched}")

    texts = [t for _, _, t in docs]
    nbytes = sum(len(raw) for _, raw, _ in docs)
    fast = throughput(repair_text, texts, nbytes, args.repeat)
    ref = throughput(repair_text_reference, texts, nbytes, args.repeat)
    print(f"throughput over {nbytes / 1e6:.2f} MB (best of {args.repeat}): "
          f"repair_text {fast:.1f} MB/s, repair_text_reference {ref:.1f} MB/s")
    return 1 if unexpected or mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
