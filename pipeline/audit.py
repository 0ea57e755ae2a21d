"""`corpus-clean show DOC_ID`: one document's raw and clean text side by side, every change marked.

Left: the raw text as read, each line the cleaning removed marked `[-rule]`. Right: the clean text,
each MT flag's span wrapped in «» with its rule numbered below. Repairs are listed above.
"""
from __future__ import annotations

import difflib
import re
import shutil
import sys
import textwrap
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyarrow.dataset as ds


def find(out: Path, doc_id: str) -> list[dict]:
    parts = sorted(Path(out).glob("drop=*/*.parquet"))
    if not parts:
        return []
    data = ds.dataset([str(p) for p in parts], format="parquet", partitioning="hive",
                      partition_base_dir=str(out))
    return data.to_table(filter=pc.starts_with(ds.field("doc_id"), doc_id)).to_pylist()


def mark_flags(text: str, flags: list[dict]) -> tuple[str, list[str]]:
    """Wrap each located flag span in «…»¹ and return the legend lines."""
    located = sorted((f for f in flags if 0 <= f["start"] < f["end"] <= len(text)),
                     key=lambda f: (f["start"], f["end"]))
    legend, pieces, pos = [], [], 0
    for i, f in enumerate(located, 1):
        if f["start"] < pos:  # overlapping span: list it, don't nest markers
            legend.append(f"  [{i}] {f['rule']}: {f['excerpt']!r} (overlaps)")
            continue
        pieces += [text[pos:f["start"]], "«", text[f["start"]:f["end"]], f"»[{i}]"]
        pos = f["end"]
        legend.append(f"  [{i}] {f['rule']}: {f['excerpt']!r}")
    pieces.append(text[pos:])
    for f in flags:
        if not (0 <= f["start"] < f["end"] <= len(text)):
            legend.append(f"  [-] {f['rule']} (not located in the text): {f['excerpt']!r}")
    return "".join(pieces), legend


_KEY_NOISE = re.compile(r"&\s*#?\s*\w+\s*;|,?quot;|[^a-z]")


def _key(line: str) -> str:
    """What survives repair: the letters of a line, without entity residue."""
    return _KEY_NOISE.sub("", line.lower())


def side_by_side(raw: str, clean: str, removed: list[dict], width: int,
                 title: str | None = None) -> list[str]:
    col = max(20, (width - 3) // 2)
    removed_lines = {}
    for r in removed:
        removed_lines.setdefault(r["text"].strip(), r["rule"])
    left_paras = [p for p in raw.split("\n") if p.strip()]
    right_paras = [p for p in clean.split("\n") if p.strip()]
    sm = difflib.SequenceMatcher(None, [_key(p) for p in left_paras],
                                 [_key(p.replace("«", "").replace("»", "")) for p in right_paras],
                                 autojunk=False)
    rows = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        lefts, rights = left_paras[i1:i2], right_paras[j1:j2]
        for k in range(max(len(lefts), len(rights))):
            left = lefts[k] if k < len(lefts) else ""
            right = rights[k] if k < len(rights) else ""
            rule = removed_lines.get(left.strip())
            if title and not right and _key(left).endswith(_key(title)) and _key(title):
                left = f"[title] {left}"
            elif rule and not right:
                left = f"[-{rule}] {left}"
            elif op != "equal" and left and right:
                left = f"[~] {left}"
            lw = textwrap.wrap(left, col) or [""]
            rw = textwrap.wrap(right, col) or [""]
            for n in range(max(len(lw), len(rw))):
                a = lw[n] if n < len(lw) else ""
                b = rw[n] if n < len(rw) else ""
                rows.append(f"{a:<{col}} │ {b}")
            rows.append(f"{'':<{col}} │")
    return rows


def duplicate_lines(out: Path, row: dict) -> list[str]:
    """What the duplicate flags say of a row, and the rows (in any drop) that are its copies,
    found in the drops' index files (no text is read)."""
    if "dup_representative" not in row or row["dup_representative"] is None:
        return ["duplicates: not computed for this row (written before duplicate flags existed)"]
    if row["dup_representative"]:
        lines = ["duplicates: this is the first-seen row of its cluster"]
    else:
        lines = [f"duplicates: a {row['dup_kind']} copy (similarity {row['dup_similarity']:.3f}) of "
                 f"{row['dup_of']}"]
    from .dedup_index import index_path
    from .storage.duplicates import committed_drops

    copies = []
    for d in committed_drops(out):
        p = index_path(out, d)
        if not p.exists():
            continue
        t = pq.read_table(p, columns=["doc_id", "source_path", "dup_of", "dup_kind"])
        hit = t.filter(pc.equal(t["dup_of"], row["dup_cluster"]))
        copies += [(d, c["source_path"], c["doc_id"], c["dup_kind"]) for c in hit.to_pylist()
                   if c["doc_id"] != row["doc_id"]]
    if copies:
        lines.append(f"  rows in its cluster {row['dup_cluster']} (other than this one): {len(copies)}")
        lines += [f"    {d}/{path} {doc_id} ({kind})" for d, path, doc_id, kind in copies[:20]]
        if len(copies) > 20:
            lines.append(f"    ... and {len(copies) - 20} more")
    return lines


def show_document(out: Path, doc_id: str, width: int | None = None, file=None) -> int:
    file = file or sys.stdout
    rows = find(out, doc_id)
    if not rows:
        print(f"no document with doc_id starting {doc_id!r} in {out}", file=sys.stderr)
        return 1
    if len({r["doc_id"] for r in rows}) > 1:
        print(f"{doc_id!r} is ambiguous: " + ", ".join(sorted({r['doc_id'] for r in rows})), file=sys.stderr)
        return 1
    width = width or shutil.get_terminal_size((160, 40)).columns
    for r in rows:
        marked, legend = mark_flags(r["text"], r["mt_flags"])
        print(f"doc_id {r['doc_id']}  drop {r['drop']}  source {r['source_path']}#{r['source_record']}", file=file)
        print(f"title: {r['title']!r}  published: {r['published']}  lang: {r['lang']} ({r['lang_prob']:.2f})  "
              f"encoding: {r['encoding']}", file=file)
        print(f"mt_score {r['mt_score']:.2f}  mt_suspect {r['mt_suspect']}  boilerplate_share "
              f"{r['boilerplate_share']:.2f}  run {r['run_id']}  rules {r['rules_version']}", file=file)
        print("repairs: " + (", ".join(f"{x['rule']}×{x['count']}" for x in r["repairs"]) or "none"), file=file)
        print("removed lines:" + ("" if r["boilerplate"] else " none"), file=file)
        for b in r["boilerplate"]:
            print(f"  [-{b['rule']}] {b['text']}", file=file)
        print("MT flags:" + ("" if legend else " none"), file=file)
        for line in legend:
            print(line, file=file)
        for line in duplicate_lines(out, r):
            print(line, file=file)
        col = max(20, (width - 3) // 2)
        print(f"\n{'RAW (as read)':<{col}} │ CLEAN", file=file)
        print("─" * col + "─┼─" + "─" * col, file=file)
        for line in side_by_side(r["text_raw"], marked, r["boilerplate"], width, r["title"]):
            print(line, file=file)
    return 0
