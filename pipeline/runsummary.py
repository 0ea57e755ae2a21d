"""A run's summary: shard statistics merged into one dict, and its markdown rendering.

The shard's own counts (files, documents, rejects, bytes, characters, reject reasons, seconds
per step) are summed; every step's statistics (`Step.stats`) are merged under
summary["steps"][step][stat] by the rules of their kind (pipeline/step.py).
"""
from __future__ import annotations

from collections import Counter

import pyarrow.compute as pc

from . import core
from .step import Counts, Top, Total, label, merge_step_stats

_COUNTERS = ("reject_reasons", "step_seconds")
_SUMS = ("files", "documents", "rejects", "bytes_in", "chars_raw", "chars_out", "words_out")


def merge_stats(stats: list[dict], steps=None) -> dict:
    out: dict = {k: 0 for k in _SUMS}
    counters = {k: Counter() for k in _COUNTERS}
    for s in stats:
        for k in _SUMS:
            out[k] += s.get(k, 0)
        for k in _COUNTERS:
            counters[k].update(s.get(k, {}))
    for k, c in counters.items():
        out[k] = dict(c.most_common())
    out["steps"] = merge_step_stats(core.STEPS if steps is None else steps,
                                    [s.get("steps", {}) for s in stats])
    return out


# The run summary lists this many rejects (all of them are in _rejects/, with the counts by reason).
REJECTS_LISTED = 200


def summarize(results: list[dict], rejects, unread: int = 0, **run) -> dict:
    """Merge shard results (pipeline.shard.clean_shard's `stats`) and the run's rejects (a list
    of dicts or an Arrow table: the shards' and those of entries discovery refused to read,
    `unread` of them) into the run summary."""
    totals = merge_stats([r["stats"] for r in results])
    totals["files"] += unread
    if isinstance(rejects, list):
        reasons = Counter(r["reason"] for r in rejects)
        listed = rejects[:REJECTS_LISTED]
    else:
        reasons = Counter({r["values"]: r["counts"] for r in
                           pc.value_counts(rejects["reason"]).to_pylist()} if rejects.num_rows else {})
        listed = rejects.slice(0, REJECTS_LISTED).to_pylist()
    totals["rejects"] = len(rejects) if isinstance(rejects, list) else rejects.num_rows
    totals["reject_reasons"] = dict(reasons.most_common())
    rejects = listed
    seconds = run.get("seconds") or 0.0
    summary = dict(run)
    summary.update(totals)
    summary["rejected"] = rejects
    summary["shard_seconds"] = [round(r["stats"]["seconds"], 4) for r in results]
    summary["mb_per_s"] = totals["bytes_in"] / 1e6 / seconds if seconds else 0.0
    summary["docs_per_s"] = totals["documents"] / seconds if seconds else 0.0
    summary["status"] = "completed_with_rejects" if totals["rejects"] else "completed"
    return summary


def step_totals(summary: dict, steps=None) -> list[tuple[str, int]]:
    """(label, value) of every step's Total statistics, in step order: the headline counts."""
    out = []
    for step in core.STEPS if steps is None else steps:
        for st in step.stats:
            if isinstance(st, Total):
                out.append((label(st),
                            summary.get("steps", {}).get(step.name, {}).get(st.name, 0)))
    return out


def fmt(value) -> str:
    """A table cell: floats rounded to 3 significant digits, the rest as text."""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _table(rows: list[tuple], header: tuple) -> str:
    if not rows:
        return "_none_\n"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_markdown(s: dict, steps=None) -> str:
    steps = core.STEPS if steps is None else steps
    parts = [f"# corpus-clean run `{s.get('run_id', '?')}` — drop `{s.get('drop', '?')}`\n"]
    if s.get("rejects"):
        reasons = ", ".join(f"{n} {r}" for r, n in s.get("reject_reasons", {}).items())
        parts.append(f"**⚠ {s['rejects']} REJECTED input(s) ({reasons}): see "
                     f"`_rejects/drop={s.get('drop')}/` and the table below.**\n")
    parts.append(_table([
        ("files", s["files"]), ("documents out", s["documents"]), ("rejects", s["rejects"]),
        ("input MB", f"{s['bytes_in'] / 1e6:.2f}"), ("seconds", f"{s.get('seconds', 0):.2f}"),
        ("MB/s", f"{s.get('mb_per_s', 0):.2f}"), ("documents/s", f"{s.get('docs_per_s', 0):.1f}"),
        *step_totals(s, steps), ("shards", s.get("shards", "")),
    ], ("measure", "value")))
    for step in steps:
        got = s.get("steps", {}).get(step.name, {})
        for st in step.stats:
            value = got.get(st.name)
            title = f"## {label(st)[:1].upper()}{label(st)[1:]}\n"
            if isinstance(st, Counts):
                parts.append(title + _table(list((value or {}).items()), ("key", "count")))
            elif isinstance(st, Top):
                rows = value or []
                cols = tuple(rows[0]) if rows else ()
                parts.append(title + _table([tuple(r.get(c, "") for c in cols) for r in rows], cols))
    parts.append("## Rejects by reason\n" + _table(list(s.get("reject_reasons", {}).items()),
                                                  ("reason", "count")))
    dup = s.get("commit", {}).get("duplicates")
    if dup:
        parts.append("## Duplicates\n" + _table(
            [("documents in the drop", dup["documents"]), ("duplicates in the drop", dup["duplicates"]),
             ("exact (this run)", dup["exact"]), ("near (this run)", dup["near"])],
            ("measure", "value")) + "\nLargest clusters:\n\n" + _table(
            [(c["representative"], c["copies"]) for c in dup.get("largest_clusters", [])],
            ("representative doc_id", "copies in the drop")))
    parts.append("## Rejects\n" + _table(
        [(r["source_path"], r["source_record"], r["reason"], r["error"][:120]) for r in s.get("rejected", [])[:50]],
        ("source_path", "record", "reason", "error")))
    parts.append("## Seconds by step (summed over workers)\n" + _table(
        [(k, f"{v:.2f}") for k, v in s["step_seconds"].items()], ("step", "seconds")))
    return "\n".join(parts)
