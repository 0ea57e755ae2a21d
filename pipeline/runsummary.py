"""A run's summary: shard statistics merged into one dict, and its markdown rendering."""
from __future__ import annotations

from collections import Counter

from .shard import TOP_FLAGGED_PER_SHARD

_COUNTERS = ("repairs", "boilerplate", "mt_flags", "langs", "reject_reasons", "step_seconds")
_SUMS = ("files", "documents", "rejects", "bytes_in", "chars_raw", "chars_out", "words_out",
         "repaired_docs", "boilerplate_heavy", "mt_suspects")


def merge_stats(stats: list[dict]) -> dict:
    out: dict = {k: 0 for k in _SUMS}
    counters = {k: Counter() for k in _COUNTERS}
    top = []
    for s in stats:
        for k in _SUMS:
            out[k] += s.get(k, 0)
        for k in _COUNTERS:
            counters[k].update(s.get(k, {}))
        top.extend(s.get("top_flagged", []))
    for k, c in counters.items():
        out[k] = dict(c.most_common())
    top.sort(key=lambda d: (-d["mt_score"], -d["flags"], d["doc_id"]))
    out["top_flagged"] = top[:TOP_FLAGGED_PER_SHARD]
    return out


def summarize(results: list[dict], rejects: list[dict], **run) -> dict:
    """Merge shard results (pipeline.shard.clean_shard's `stats`) and the run's rejects into the
    run summary."""
    totals = merge_stats([r["stats"] for r in results])
    seconds = run.get("seconds") or 0.0
    summary = dict(run)
    summary.update(totals)
    summary["rejected"] = rejects
    summary["shard_seconds"] = [round(r["stats"]["seconds"], 4) for r in results]
    summary["mb_per_s"] = totals["bytes_in"] / 1e6 / seconds if seconds else 0.0
    summary["docs_per_s"] = totals["documents"] / seconds if seconds else 0.0
    summary["status"] = "completed_with_rejects" if totals["rejects"] else "completed"
    return summary


def _table(rows: list[tuple], header: tuple) -> str:
    if not rows:
        return "_none_\n"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_markdown(s: dict) -> str:
    parts = [f"# corpus-clean run `{s.get('run_id', '?')}` — drop `{s.get('drop', '?')}`\n"]
    if s.get("rejects"):
        parts.append(f"**⚠ {s['rejects']} REJECTED input(s): see `_rejects/drop={s.get('drop')}/` "
                     "and the table below.**\n")
    parts.append(_table([
        ("files", s["files"]), ("documents out", s["documents"]), ("rejects", s["rejects"]),
        ("input MB", f"{s['bytes_in'] / 1e6:.2f}"), ("seconds", f"{s.get('seconds', 0):.2f}"),
        ("MB/s", f"{s.get('mb_per_s', 0):.2f}"), ("documents/s", f"{s.get('docs_per_s', 0):.1f}"),
        ("documents repaired", s["repaired_docs"]), ("boilerplate-heavy documents", s["boilerplate_heavy"]),
        ("MT suspects", s["mt_suspects"]), ("shards", s.get("shards", "")),
    ], ("measure", "value")))
    parts.append("## Repairs by rule\n" + _table(sorted(s["repairs"].items()), ("rule", "count")))
    parts.append("## Boilerplate lines removed by rule\n"
                 + _table(sorted(s["boilerplate"].items()), ("rule", "lines")))
    parts.append("## MT flags by rule\n" + _table(sorted(s["mt_flags"].items()), ("rule", "flags")))
    parts.append("## Languages\n" + _table(list(s["langs"].items()), ("lang", "documents")))
    parts.append("## Rejects\n" + _table(
        [(r["source_path"], r["source_record"], r["reason"], r["error"][:120]) for r in s.get("rejected", [])[:50]],
        ("source_path", "record", "reason", "error")))
    parts.append("## Most flagged documents\n" + _table(
        [(d["doc_id"], d["source_path"], d["source_record"], f"{d['mt_score']:.2f}", d["flags"])
         for d in s.get("top_flagged", [])], ("doc_id", "source_path", "record", "mt_score", "flags")))
    parts.append("## Seconds by step (summed over workers)\n" + _table(
        [(k, f"{v:.2f}") for k, v in s["step_seconds"].items()], ("step", "seconds")))
    return "\n".join(parts)
