"""A self-contained HTML report of an output dataset: figures, plots (inline SVG), rejects, runs.

Built from the data itself (a few small columns) and the run summaries in OUT/_runs/, so it can be
rendered for any output at any time (`corpus-clean report DIR`).
"""
from __future__ import annotations

import datetime as dt
import html
import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import core
from .storage.files import read_parquet, write_text
from .storage.layout import rejects_files, reports_dir, runs_dir

BASE_COLUMNS = ["doc_id", "source_path", "n_words"]
TOP_ROWS = 20


def _shows(steps) -> list:
    """Every `Show` of the steps (Step.report), in step order."""
    return [show for step in steps for show in step.report]


def _rule_counts(column, weight: str | None = None) -> Counter:
    """Counts by `rule` over a list<struct<rule, ...>> column, in Arrow (no Python rows):
    one per element, or the sum of the `weight` field."""
    items = pc.list_flatten(column)
    if len(items) == 0:
        return Counter()
    rules = pc.struct_field(items, "rule")
    if weight is None:
        return Counter({r["values"]: r["counts"] for r in pc.value_counts(rules).to_pylist()})
    grouped = pa.table({"rule": rules, "n": pc.struct_field(items, weight)}).group_by("rule").aggregate([("n", "sum")])
    return Counter(dict(zip(grouped["rule"].to_pylist(), grouped["n_sum"].to_pylist())))


def load(out: Path, steps=None):
    parts = sorted(Path(out).glob("drop=*/*.parquet"))
    if not parts:
        return None
    columns = BASE_COLUMNS + list(dict.fromkeys(s.column for s in _shows(core.STEPS if steps is None else steps)))
    tables = []
    for p in parts:  # file by file (read_parquet), not pyarrow.dataset
        names = set(pq.ParquetFile(p).schema_arrow.names)
        t = read_parquet(p, columns=[c for c in columns if c in names])
        drop = p.parent.name.partition("=")[2]
        tables.append(t.append_column("drop", pa.array([drop] * t.num_rows, pa.string())))
    return pa.concat_tables(tables, promote_options="default")


def _num(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.3g}"


def _bar_chart(title: str, items: list[tuple[str, float]], unit: str = "") -> str:
    if not items:
        return f"<h3>{html.escape(title)}</h3><p class=empty>none</p>"
    bar_h, gap, label_w, width = 18, 6, 230, 720
    top = max(v for _, v in items) or 1
    h = len(items) * (bar_h + gap) + 10
    rows = []
    for i, (label, v) in enumerate(items):
        y = i * (bar_h + gap) + 5
        w = max(1.0, (width - label_w - 90) * v / top)
        rows.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{html.escape(str(label)[:40])}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#3b6ea8"/>'
            f'<text x="{label_w + w + 5:.1f}" y="{y + 13}">{_num(v)}{unit}</text>')
    return (f"<h3>{html.escape(title)}</h3><svg class=chart width='{width}' height='{h}' "
            f"xmlns='http://www.w3.org/2000/svg' role='img' aria-label='{html.escape(title)}'>"
            + "".join(rows) + "</svg>")


def _histogram(title: str, values, bins: int, lo: float, hi: float, fmt: str) -> str:
    """Bar chart of an Arrow column's values in `bins` equal bins over [lo, hi] (values outside
    are clamped to it). Binned in Arrow, not in a Python loop over every row."""
    counts = [0] * bins
    x = pc.cast(pc.drop_null(values), pa.float64())
    if len(x) and hi > lo:
        x = pc.min_element_wise(pc.max_element_wise(x, lo), hi)
        k = pc.floor(pc.multiply(pc.divide(pc.subtract(x, lo), hi - lo), bins))
        for r in pc.value_counts(pc.cast(pc.min_element_wise(k, bins - 1), pa.int64())).to_pylist():
            counts[r["values"]] += r["counts"]
    else:  # an empty range: every value in the first bin
        counts[0] = len(x)
    step = (hi - lo) / bins
    items = [(f"{fmt.format(lo + i * step)}–{fmt.format(lo + (i + 1) * step)}", c) for i, c in enumerate(counts)]
    return _bar_chart(title, items)


def _table(rows: list[dict], cols: list[str]) -> str:
    if not rows:
        return "<p class=empty>none</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _is_rule_list(t: pa.DataType) -> bool:
    return (pa.types.is_list(t) and pa.types.is_struct(t.value_type)
            and t.value_type.get_field_index("rule") >= 0)


def _top_table(table: pa.Table, col: str, title: str) -> str:
    top = table.filter(pc.greater(table[col], 0)).sort_by([(col, "descending")]).slice(0, TOP_ROWS)
    return (f"<h2>{html.escape(title)}</h2>" + _table(
        [{"doc_id": r["doc_id"], "drop": r["drop"], "source_path": r["source_path"], col: f"{r[col]:.2f}"}
         for r in top.select(["doc_id", "drop", "source_path", col]).to_pylist()],
        ["doc_id", "drop", "source_path", col]))


def render(out: Path) -> str:
    out = Path(out)
    table = load(out)
    runs = []
    for p in sorted(runs_dir(out).glob("*.json")):
        try:
            runs.append(json.loads(p.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    runs.sort(key=lambda r: r.get("finished_at", ""))
    rejects = []
    for p in rejects_files(out):
        rejects.extend(read_parquet(p).to_pylist())
    sections = []
    if table is None or table.num_rows == 0:
        sections.append("<p>No data yet.</p>")
        n = 0
    else:
        n = table.num_rows
        drops = Counter({str(r["values"]): r["counts"] for r in pc.value_counts(table["drop"]).to_pylist()})
        words = table["n_words"]
        max_words = pc.max(words).as_py() or 0
        shows = [s for s in _shows(core.STEPS) if s.column in table.column_names]
        summary = [{"measure": "documents", "value": f"{n:,}"}, {"measure": "drops", "value": len(drops)}]
        for show in shows:
            if show.kind == "count":
                k = int(pc.sum(table[show.column]).as_py() or 0)
                summary.append({"measure": show.title, "value": f"{k:,} ({100 * k / n:.1f}%)"})
        summary += [{"measure": "rejected inputs", "value": len(rejects)},
                    {"measure": "words (clean)", "value": f"{pc.sum(words).as_py() or 0:,}"}]
        plots = [_bar_chart("Documents by drop", sorted(drops.items()))]
        tops = []
        for show in shows:
            column = table[show.column]
            if show.kind == "bars" and _is_rule_list(column.type):
                weight = "count" if column.type.value_type.get_field_index("count") >= 0 else None
                plots.append(_bar_chart(show.title, _rule_counts(column, weight).most_common(25)))
            elif show.kind == "bars":
                counts = Counter({r["values"]: r["counts"] for r in pc.value_counts(column).to_pylist()})
                plots.append(_bar_chart(show.title, counts.most_common(15)))
            elif show.kind == "histogram":
                plots.append(_histogram(show.title, column, 10, 0.0, 1.0, "{:.1f}"))
            elif show.kind == "top":
                tops.append(_top_table(table, show.column, show.title))
        plots.append(_histogram("Words per document (clean)", words, 12, 0, max(12, max_words), "{:.0f}"))
        sections += ["<h2>Summary</h2>" + _table(summary, ["measure", "value"]), "<h2>Plots</h2>",
                     *plots, *tops]
    if runs:
        sections.append(_bar_chart("Throughput by run (MB/s)",
                                   [(f"{r.get('drop')} {r.get('run_id', '')[:8]}", round(r.get("mb_per_s", 0), 3))
                                    for r in runs[-20:]]))
    sections.append("<h2>Rejected inputs</h2>" + _table(rejects[:500], ["drop", "source_path", "source_record", "reason", "error"]))
    sections.append("<h2>Runs</h2>" + _table(
        [{"run_id": r.get("run_id"), "drop": r.get("drop"), "finished_at": r.get("finished_at"),
          "files": r.get("files"), "documents": r.get("documents"), "rejects": r.get("rejects"),
          "seconds": f"{r.get('seconds', 0):.1f}", "MB/s": f"{r.get('mb_per_s', 0):.2f}"} for r in runs[-50:]],
        ["run_id", "drop", "finished_at", "files", "documents", "rejects", "seconds", "MB/s"]))
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    style = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:1000px;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
             "font-size:13px;text-align:left}svg.chart text{font-size:12px;fill:#222}.empty{color:#888}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>corpus-clean report: {html.escape(str(out))}</title>"
            f"<style>{style}</style></head><body><h1>corpus-clean report</h1>"
            f"<p>Dataset <code>{html.escape(str(out.resolve()))}</code>, {n:,} documents; rendered {now}.</p>"
            + "\n".join(sections) + "</body></html>")


def write_report(out: Path, html_path: Path | None = None) -> Path:
    out = Path(out)
    dest = Path(html_path) if html_path else reports_dir(out) / "report.html"
    write_text(dest, render(out))
    return dest
