"""What the repair step leaves and changes on real damaged text: residue per pattern, raw ->
after, on the dev set (../shared/realdev/repair) and the BBC corpus, with the issue-15 targets.

Usage: python -m scripts.report_repair_real [--baseline REV] [--review N] [--seed S] [--heldout]

--baseline REV  also run pipeline/repair.py as it was at git revision REV (e.g. 31b6899), in the
                same process, and show its column next to the current one
--review N      print N randomly drawn (seeded) changed dev documents, raw and repaired, for a
                by-eye review
--heldout       also run the sets nobody tuned the rules on (realdev/mt, realdev/boilerplate)

The detectors below are written independently of the step's own rules (broader patterns,
no shared code), so the step does not grade itself. The dev set was used to design the rules:
every dev figure is a tuning-set figure. See docs/repair.md, "Measurements".
"""
from __future__ import annotations

import argparse
import difflib
import gzip
import html
import html.entities
import importlib
import json
import random
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import repair  # noqa: E402
from pipeline.refcorpus import load_articles  # noqa: E402

SHARED = ROOT.parent / "shared"
DEV = SHARED / "realdev" / "repair"
BBC_DIR = SHARED / "corpora" / "bbc-news"

# --- independent detectors -------------------------------------------------------------------
_NAMES = sorted({k.rstrip(";") for k in html.entities.html5}, key=len, reverse=True)
ENTITY = re.compile(r"&[ \t\u00a0]*(?:\#[ \t\u00a0]*(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6})|(?:"
                    + "|".join(map(re.escape, _NAMES)) + r"))[ \t\u00a0]*;")
AMPLESS = re.compile(
    r"(?<![&\w#])\#(?:[0-9]{2,7}|[xX][0-9a-fA-F]{2,6});"
    r"|(?<![&\w])(?:quot|amp|lt|gt|nbsp|apos|hellip|mdash|ndash|[lr][sd]quo|[lr]aquo|bull|middot"
    r"|[A-Za-z](?:acute|grave|circ|uml|tilde|cedil|ring|slash));")
_CP1252_CONT = bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore")
MOJIBAKE = re.compile("\u00e2\u20ac|[\u00c2\u00c3][\u0080-\u00bf" + re.escape(_CP1252_CONT) + "]")
FFFD = re.compile("\ufffd")
BACKSLASH_DOLLAR = re.compile(r"\\\$")
_ELEMENTS = ("a|abbr|b|big|blockquote|body|br|center|cite|code|dd|div|dl|dt|em|font|form|h[1-6]"
             "|head|hr|html|i|iframe|img|input|li|link|meta|nobr|ol|p|pre|q|s|script|small|span"
             "|strike|strong|style|sub|sup|table|td|th|tr|tt|u|ul")
TAG = re.compile(rf"</?(?:{_ELEMENTS})(?:\s[^<>]*)?/?>", re.IGNORECASE)
PATTERNS = {"entity": ENTITY, "ampless": AMPLESS, "mojibake": MOJIBAKE, "U+FFFD": FFFD,
            "backslash $": BACKSLASH_DOLLAR}
TARGET_PATTERNS = ("entity", "ampless", "mojibake", "U+FFFD")
PUNCT = ",.!?:"


def visible(raw: str) -> str:
    """What a reader of the damaged text should still see: entities decoded, tags dropped."""
    return TAG.sub(" ", html.unescape(raw))


def punct_lost(raw: str, out: str) -> int:
    v = visible(raw)
    return sum(max(0, v.count(c) - out.count(c)) for c in PUNCT)


def tags_introduced(raw: str, out: str) -> int:
    return max(0, len(TAG.findall(out)) - len(TAG.findall(raw)))


# --- data ------------------------------------------------------------------------------------
def load_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def dev_rows() -> list[dict]:
    rows = load_jsonl(DEV / "agnews_train.jsonl")
    for r in rows:
        r["split"] = "CharCnn" if r["id"].startswith("agnews-train") else "NoisyAG"
    bbc = load_jsonl(DEV / "bbc_news.jsonl")
    for r in bbc:
        r["split"] = "BBC-paragraphs"
    return rows + bbc


def load_baseline(rev: str):
    """pipeline/repair*.py and pipeline/rules/ as they were at `rev`, as a throwaway package."""
    tmp = Path(tempfile.mkdtemp(prefix="repair-baseline-"))
    pkg = tmp / "repair_baseline_pkg"
    (pkg / "rules").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", rev, "pipeline/",
                            "pipeline/rules/"], check=True, capture_output=True, text=True).stdout
    for name in names.split():
        if (name.startswith("pipeline/repair") and name.endswith(".py")) or name.startswith("pipeline/rules/"):
            data = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{name}"], check=True,
                                  capture_output=True).stdout
            (pkg / name.removeprefix("pipeline/")).write_bytes(data)
    sys.path.insert(0, str(tmp))
    return importlib.import_module("repair_baseline_pkg.repair")


# --- report ----------------------------------------------------------------------------------
def residue_table(rows: list[dict], outputs: dict[str, list[str]], title: str) -> dict:
    cols = list(outputs)
    print(f"\n{title}: {len(rows)} documents; documents (occurrences) holding each pattern")
    print(f"  {'pattern':14}" + "".join(f"{c:>22}" for c in cols))
    res = {}
    for name, rx in {**PATTERNS, "any target": None}.items():
        cells = []
        for c in cols:
            if rx is None:
                docs = sum(any(PATTERNS[p].search(t) for p in TARGET_PATTERNS) for t in outputs[c])
                occ = sum(sum(len(PATTERNS[p].findall(t)) for p in TARGET_PATTERNS) for t in outputs[c])
            else:
                docs = sum(bool(rx.search(t)) for t in outputs[c])
                occ = sum(len(rx.findall(t)) for t in outputs[c])
            share = docs / len(rows) if rows else 0.0
            cells.append(f"{docs:5} {share:6.1%} ({occ:5})")
            res[(name, c)] = (docs, share, occ)
        print(f"  {name:14}" + "".join(f"{x:>22}" for x in cells))
    return res


def diff_snippets(a: str, b: str, ctx: int = 25, limit: int = 6) -> list[str]:
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op != "equal":
            out.append(f"{a[max(0, i1 - ctx):i2 + ctx]!r} -> {b[max(0, j1 - ctx):j2 + ctx]!r}")
    return out[:limit] + ([f"... {len(out) - limit} more"] if len(out) > limit else [])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", metavar="REV")
    ap.add_argument("--review", type=int, default=0, metavar="N")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--heldout", action="store_true")
    args = ap.parse_args(argv)

    rows = dev_rows()
    steps = {"raw": None}
    if args.baseline:
        steps[f"after {args.baseline}"] = load_baseline(args.baseline).repair_text
    steps["after (this tree)"] = repair.repair_text
    results = {}
    outputs: dict[str, list[str]] = {}
    for name, fn in steps.items():
        outputs[name] = [r["text"] if fn is None else fn(r["text"]).text for r in rows]
    for r, res in zip(rows, (repair.repair_text(r["text"]) for r in rows)):
        results[r["id"]] = res
    cur = "after (this tree)"
    damaged = [i for i, r in enumerate(rows) if r["kind"] == "damaged"]
    control = [i for i, r in enumerate(rows) if r["kind"] == "control"]

    def sub(idx):
        return [rows[i] for i in idx], {c: [outputs[c][i] for i in idx] for c in outputs}

    table = residue_table(*sub(damaged), "DEV damaged (AG News + BBC paragraphs; tuning set)")
    for split in ("NoisyAG", "CharCnn", "BBC-paragraphs"):
        idx = [i for i in damaged if rows[i]["split"] == split]
        residue_table(*sub(idx), f"  split {split} (damaged)")
    print("\n  by damage tag (damaged rows carrying the tag): any target pattern left, raw -> after")
    tags = Counter(t for i in damaged for t in rows[i]["damage"])
    for tag, n in tags.most_common():
        idx = [i for i in damaged if tag in rows[i]["damage"]]
        raw = sum(any(PATTERNS[p].search(outputs["raw"][i]) for p in TARGET_PATTERNS) for i in idx)
        aft = sum(any(PATTERNS[p].search(outputs[cur][i]) for p in TARGET_PATTERNS) for i in idx)
        print(f"    {tag:14} {n:5} rows: {raw:5} -> {aft:4}")

    print("\npunctuation lost (',.!?:' of the visible text) / HTML tags introduced, damaged + control rows:")
    lost = intro = []
    for c in outputs:
        if c == "raw":
            continue
        lost = [(rows[i]["id"], punct_lost(rows[i]["text"], outputs[c][i])) for i in damaged + control]
        lost = [x for x in lost if x[1]]
        intro = [(rows[i]["id"], tags_introduced(rows[i]["text"], outputs[c][i])) for i in damaged + control]
        intro = [x for x in intro if x[1]]
        print(f"  {c:20} punctuation lost {sum(n for _, n in lost):4} in {len(lost):4} documents; "
              f"tags introduced {sum(n for _, n in intro):4} in {len(intro):4} documents")
    # `lost` and `intro` now hold the current tree's figures
    for label, xs in (("punctuation lost", lost), ("tags introduced", intro)):
        if xs:
            print(f"  {label}: {xs[:10]}")
    ctl_changed = [i for i in control if outputs[cur][i] != repair._whitespace_only(rows[i]["text"])]
    damage_rx = [ENTITY, AMPLESS, MOJIBAKE, FFFD, re.compile(r"\\")]
    ctl_clean = [i for i in ctl_changed if not any(rx.search(rows[i]["text"]) for rx in damage_rx)]
    mism = [rows[i]["id"] for i in range(len(rows))
            if outputs[cur][i] != repair.repair_text_reference(rows[i]["text"]).text]
    print(f"control rows changed beyond whitespace: {len(ctl_changed)} of {len(control)}; of them "
          f"{len(ctl_changed) - len(ctl_clean)} hold damage the set's tagger does not tag (listed), "
          f"{len(ctl_clean)} hold none")
    for i in ctl_changed:
        rules = [r for r, _ in results[rows[i]["id"]].repairs if not r.startswith("ws_")]
        print(f"  {rows[i]['id']:22} {rules}: "
              + "; ".join(diff_snippets(repair._whitespace_only(rows[i]["text"]), outputs[cur][i], 20, 3)))
    print(f"fast/reference mismatches on the dev set: {len(mism)}")
    fired = Counter()
    for i in damaged + control:
        fired.update(dict(results[rows[i]["id"]].repairs))
    print("rules fired on the dev set (count): " + ", ".join(
        f"{r} {n}" for r, n in sorted(fired.items()) if not r.startswith("ws_")))
    n_markup = sum(len(results[rows[i]["id"]].markup) for i in range(len(rows)))
    print(f"tags removed and kept in RepairResult.markup: {n_markup}")

    # --- BBC corpus --------------------------------------------------------------------
    arts = load_articles(BBC_DIR)
    bbc_raw = [a.text for a in arts]
    bbc_out = [repair.repair_text(t).text for t in bbc_raw]
    residue_table([{}] * len(arts), {"raw": bbc_raw, cur: bbc_out}, f"BBC corpus ({BBC_DIR.name})")
    plain = re.compile(r"&#?[0-9A-Za-z]{1,24};")

    def oracle(t: str) -> str:
        def dec(m):
            s, e = m.span()
            if m.group() == "&#191;" and t[s - 1:s].isalpha() and t[e:e + 1].isalpha():
                return "'"
            return html.unescape(m.group())
        return repair._whitespace_only(plain.sub(dec, t))

    beyond = [a.path for a, t, o in zip(arts, bbc_raw, bbc_out) if o != repair._whitespace_only(t)]
    not_oracle = [a.path for a, t, o in zip(arts, bbc_raw, bbc_out) if o != oracle(t)]
    print(f"  changed beyond whitespace: {len(beyond)} articles, all by ordinary entities "
          f"(&#233; -> é ...) unless listed: {len(not_oracle)} differ from the entity-decoding oracle"
          + (f": {not_oracle}" if not_oracle else ""))

    # --- held-out precision sets ---------------------------------------------------------
    if args.heldout:
        for label, path, field in (("realdev/mt (MT, human and original English)", SHARED / "realdev" / "mt" / "docs.jsonl.gz", "text"),
                                   ("realdev/boilerplate pages (plain text)", SHARED / "realdev" / "boilerplate" / "pages.jsonl.gz", "text")):
            docs = [d[field] for d in load_jsonl(path)]
            outs = [repair.repair_text(t) for t in docs]
            residue_table([{}] * len(docs), {"raw": docs, cur: [o.text for o in outs]}, f"HELD-OUT {label}")
            fired = Counter()
            changed = 0
            for t, o in zip(docs, outs):
                rules = {r: n for r, n in o.repairs if not r.startswith("ws_")}
                fired.update(rules)
                changed += o.text != repair._whitespace_only(t)
            print(f"  changed beyond whitespace: {changed}; rules: "
                  + ", ".join(f"{r} {n}" for r, n in sorted(fired.items())))

    # --- targets ------------------------------------------------------------------------
    any_after = table[("any target", cur)]
    print("\nTARGETS (issue 15; dev figures are tuning-set figures)")
    checks = [
        (f"damaged docs still holding entity/&-less/mojibake/U+FFFD <= 2%: {any_after[0]} ({any_after[1]:.2%})",
         any_after[1] <= 0.02),
        (f"punctuation lost: {sum(n for _, n in lost)}", not lost),
        (f"tags introduced: {sum(n for _, n in intro)}", not intro),
        (f"control rows changed beyond whitespace where the row holds no damage: {len(ctl_clean)} "
         f"(all changed: {len(ctl_changed)})", not ctl_clean),
        (f"BBC articles changed beyond whitespace other than ordinary entities: {len(not_oracle)}", not not_oracle),
        (f"fast/reference mismatches: {len(mism)}", not mism),
    ]
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")

    if args.review:
        changed = [i for i in damaged + control
                   if outputs[cur][i] != repair._whitespace_only(rows[i]["text"])]
        pick = sorted(random.Random(args.seed).sample(changed, min(args.review, len(changed))))
        print(f"\nREVIEW: {len(pick)} of {len(changed)} changed dev documents (seed {args.seed})")
        for i in pick:
            res = results[rows[i]["id"]]
            print(f"\n=== {rows[i]['id']} [{rows[i]['kind']}] {res.repairs}")
            print("RAW:  " + rows[i]["text"].replace("\n", " | "))
            print("OUT:  " + res.text.replace("\n", " | "))
            if res.markup:
                print(f"MARKUP: {res.markup}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
