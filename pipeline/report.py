"""A self-contained HTML report of an output dataset: figures, plots (inline SVG), rejects, runs.

Built from the data itself (a few small columns) and the run summaries in OUT/_runs/, so it can be
rendered for any output at any time (`corpus-clean report DIR`).
"""
from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import core
from .storage.files import write_text
from .storage.layout import rejects_files, reports_dir, runs_dir

BASE_COLUMNS = ["doc_id", "source_path", "n_words", "encoding", "published"]
# The duplicates columns a dedup pass adds (docs/dedup.md); the report shows them when present.
DUPLICATE_COLUMNS = ["dup_kind", "dup_cluster", "dup_representative"]
TOP_ROWS = 20
# A bar chart switches to a log scale when its largest count is this many times its smallest
# (non-zero) one: on a linear scale such bars are a pixel wide or none.
LOG_SCALE_SPREAD = 50
LABEL_CHARS = 30  # what fits the label column of a chart (224 px at 12 px) in any sans font


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


def batches(out: Path, columns: list[str], rows: int = 8192):
    """(drop, record batch of `columns`) for every part file of the dataset, a batch at a time
    (file by file, not pyarrow.dataset): the report's memory does not grow with the dataset."""
    for p in sorted(Path(out).glob("drop=*/*.parquet")):
        pf = pq.ParquetFile(p)
        names = set(pf.schema_arrow.names)
        drop = p.parent.name.partition("=")[2]
        for batch in pf.iter_batches(batch_size=rows, columns=[c for c in columns if c in names]):
            yield drop, batch


def _max_words(out: Path) -> int:
    """The largest n_words, from the part files' column statistics (read when one has none)."""
    top = 0
    for p in sorted(Path(out).glob("drop=*/*.parquet")):
        md = pq.ParquetFile(p).metadata
        col = md.schema.to_arrow_schema().get_field_index("n_words")
        for rg in range(md.num_row_groups):
            st = md.row_group(rg).column(col).statistics if col >= 0 else None
            if st is not None and st.has_min_max:
                top = max(top, st.max)
            elif col >= 0:
                top = max(top, pc.max(pq.read_table(p, columns=["n_words"])["n_words"]).as_py() or 0)
                break
    return top


def _num(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.3g}"


def _short(label: str, n: int = LABEL_CHARS) -> str:
    """A label cut in the middle to `n` characters: drop names differ at both ends."""
    if len(label) <= n:
        return label
    keep = n - 1
    return label[: (keep + 1) // 2] + "…" + label[len(label) - keep // 2:]


def _bar_chart(title: str, items: list[tuple[str, float]], unit: str = "", note: str = "") -> str:
    """Horizontal bars; a log scale when the counts span more than LOG_SCALE_SPREAD times (the
    heading says so). Long labels are cut in the middle, the full label is the bar's tooltip."""
    if not items:
        return f"<h3>{html.escape(title)}</h3><p class=empty>none</p>"
    bar_h, gap, label_w, width = 18, 6, 230, 720
    span = width - label_w - 90
    top = max(v for _, v in items) or 1
    low = min((v for _, v in items if v > 0), default=top)
    log = top / low > LOG_SCALE_SPREAD
    h = len(items) * (bar_h + gap) + 10
    rows = []
    for i, (label, v) in enumerate(items):
        y = i * (bar_h + gap) + 5
        frac = (math.log10(1 + v) / math.log10(1 + top)) if log else v / top
        w = 0.0 if v <= 0 else max(1.0, span * frac)
        full = html.escape(str(label))
        rows.append(
            f'<g><title>{full}: {_num(v)}{unit}</title>'
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{html.escape(_short(str(label)))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#3b6ea8"/>'
            f'<text x="{label_w + w + 5:.1f}" y="{y + 13}">{_num(v)}{unit}</text></g>')
    scale = " <span class=scale>(log scale)</span>" if log else ""
    extra = f"<p class=note>{html.escape(note)}</p>" if note else ""
    return (f"<h3>{html.escape(title)}{scale}</h3>{extra}<svg class=chart viewBox='0 0 {width} {h}' "
            f"width='{width}' height='{h}' xmlns='http://www.w3.org/2000/svg' role='img' "
            f"aria-label='{html.escape(title)}'>" + "".join(rows) + "</svg>")


def _bins(values, bins: int, lo: float, hi: float) -> list[int]:
    """Counts of an Arrow column's values in `bins` equal bins over [lo, hi] (values outside are
    clamped to it), binned in Arrow, not in a Python loop over every row."""
    counts = [0] * bins
    x = pc.cast(pc.drop_null(values), pa.float64())
    if len(x) and hi > lo:
        x = pc.min_element_wise(pc.max_element_wise(x, lo), hi)
        k = pc.floor(pc.multiply(pc.divide(pc.subtract(x, lo), hi - lo), bins))
        for r in pc.value_counts(pc.cast(pc.min_element_wise(k, bins - 1), pa.int64())).to_pylist():
            counts[r["values"]] += r["counts"]
    else:  # an empty range: every value in the first bin
        counts[0] = len(x)
    return counts


def _histogram(title: str, counts: list[int], lo: float, hi: float, fmt: str) -> str:
    """Bar chart of bin counts (`_bins`) over [lo, hi]."""
    step = (hi - lo) / len(counts)
    items = [(f"{fmt.format(lo + i * step)}–{fmt.format(lo + (i + 1) * step)}", c) for i, c in enumerate(counts)]
    return _bar_chart(title, items)


def _months(column) -> Counter:
    """Documents by month ("YYYY-MM") of a date column's values, nulls under None."""
    out = Counter()
    days = pc.drop_null(column)
    if len(days):
        stamps = pc.cast(pc.cast(days, pa.date32()), pa.timestamp("s"))
        out.update({r["values"]: r["counts"] for r in pc.value_counts(pc.strftime(stamps, "%Y-%m")).to_pylist()})
    if column.null_count:
        out[None] += column.null_count
    return out


def _dates(title: str, months: Counter) -> str:
    """Documents by month of `published` (by year when that is more than 60 bars), in order;
    documents without a date are counted beside the chart."""
    missing = months.get(None, 0)
    counts = {k: n for k, n in months.items() if k is not None}
    if not counts:
        return _bar_chart(title, [], note=f"{missing:,} documents have no date")
    if len(counts) > 60:
        years = Counter()
        for k, n in counts.items():
            years[k[:4]] += n
        counts = dict(years)
    note = f"{missing:,} documents have no date" if missing else ""
    return _bar_chart(title, sorted(counts.items()), note=note)


def _counts(column) -> Counter:
    return Counter({str(r["values"]): r["counts"] for r in pc.value_counts(column).to_pylist()})


def _value_counts(column, n: int = 15) -> list[tuple[str, int]]:
    return _counts(column).most_common(n)


def _table(rows: list[dict], cols: list[str], clip: tuple[str, ...] = ()) -> str:
    """An HTML table; the `clip` columns stay on one line, cut with an ellipsis (the full value
    is the cell's tooltip), so long drop names and ids do not stretch or wrap the table."""
    if not rows:
        return "<p class=empty>none</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)

    def cell(c, v):
        v = html.escape(str(v))
        return f"<td class=clip title='{v}'>{v}</td>" if c in clip else f"<td>{v}</td>"
    body = "".join("<tr>" + "".join(cell(c, r.get(c, "")) for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _is_rule_list(t: pa.DataType) -> bool:
    return (pa.types.is_list(t) and pa.types.is_struct(t.value_type)
            and t.value_type.get_field_index("rule") >= 0)


def _top_rows(batch: pa.Table, col: str, drop: str) -> list[dict]:
    top = batch.filter(pc.greater(batch[col], 0)).sort_by([(col, "descending")]).slice(0, TOP_ROWS)
    return [{"doc_id": r["doc_id"], "drop": drop, "source_path": r["source_path"], col: r[col]}
            for r in top.select(["doc_id", "source_path", col]).to_pylist()]


def _top_table(rows: list[dict], col: str, title: str) -> str:
    rows = sorted(rows, key=lambda r: (-r[col], r["doc_id"]))[:TOP_ROWS]
    return (f"<h2>{html.escape(title)}</h2>" + _table(
        [{**r, col: f"{r[col]:.2f}"} for r in rows],
        ["doc_id", "drop", "source_path", col], clip=("drop", "source_path")))


def _duplicates(kinds: Counter | None, copies: Counter) -> str:
    """The duplicates section (docs/dedup.md): documents by kind and the largest clusters
    (`copies`: a cluster's rows that are not its representative); when the dataset has no
    duplicate columns (written before they existed), a line that says so."""
    if kinds is None:
        return "<h2>Duplicates</h2><p class=empty>not computed for this dataset</p>"
    parts = ["<h2>Duplicates</h2>", _bar_chart("Documents by duplicate kind", kinds.most_common(15))]
    sizes = [(k, n + 1) for k, n in copies.most_common(TOP_ROWS)]
    parts.append("<h3>Largest clusters</h3>" + _table(
        [{"dup_cluster": k, "documents": n} for k, n in sizes], ["dup_cluster", "documents"],
        clip=("dup_cluster",)))
    return "".join(parts)


def _rejects(rejects: list[dict]) -> str:
    """Rejects by reason, then one row per file and reason (how many records, the first ones
    and the first error), so a file with thousands of bad records is one line."""
    reasons = Counter(r["reason"] for r in rejects)
    groups: dict[tuple, dict] = {}
    for r in rejects:
        key = (r["drop"], r["source_path"], r["reason"])
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"drop": r["drop"], "source_path": r["source_path"],
                               "reason": r["reason"], "count": 0, "records": [], "error": r["error"]}
        g["count"] += 1
        if r["source_record"] is not None and len(g["records"]) < 5:
            g["records"].append(r["source_record"])
    rows = sorted(groups.values(), key=lambda g: (-g["count"], g["drop"], g["source_path"]))
    for g in rows:
        recs = g.pop("records")
        g["records"] = ("whole file" if not recs else ", ".join(map(str, recs))
                        + (", …" if g["count"] > len(recs) else ""))
    return ("<h2>Rejected inputs</h2>"
            + _bar_chart("Rejects by reason", reasons.most_common())
            + f"<h3>By file ({len(rows):,} files)</h3>"
            + _table(rows[:500], ["drop", "source_path", "reason", "count", "records", "error"],
                     clip=("drop", "source_path")))


def _secs(v: float) -> str:
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def _runs(runs: list[dict]) -> str:
    """Throughput and the runs table. `seconds` is a run from its start to its commit and
    `cleaning` its shard phase, measured the same way for CLI and served runs (flows.clean_drop)."""
    if not runs:
        return "<h2>Runs</h2><p class=empty>none</p>"
    chart = _bar_chart("Throughput by run (MB/s)",
                       [(f"{r.get('drop')} {r.get('run_id', '')[:8]}", round(r.get("mb_per_s", 0), 3))
                        for r in runs[-20:]])
    rows = []
    for r in runs[-50:]:
        cleaning = (r.get("phases") or {}).get("shards")
        rows.append({"run_id": r.get("run_id", "")[:8], "drop": r.get("drop"),
                     "finished": str(r.get("finished_at", ""))[:16].replace("T", " "),
                     "files": r.get("files"), "documents": r.get("documents"),
                     "rejects": r.get("rejects"), "seconds": _secs(r.get("seconds", 0)),
                     "cleaning s": "" if cleaning is None else _secs(cleaning),
                     "MB/s": f"{r.get('mb_per_s', 0):.2f}"})
    return (chart + "<h2>Runs</h2><p class=note>seconds: from the run's start to its commit; "
            "cleaning: the shard phase of it.</p>"
            + _table(rows, ["run_id", "drop", "finished", "files", "documents", "rejects",
                            "seconds", "cleaning s", "MB/s"], clip=("drop",)))


STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em auto;padding:0 1.5em;max-width:1600px;color:#222}"
    "h1{margin-bottom:.2em}h3 .scale{font-weight:normal;color:#666;font-size:.85em}"
    "table{border-collapse:collapse;margin:.5em 0;max-width:100%}"
    "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left;vertical-align:top;"
    "overflow-wrap:break-word}th{white-space:nowrap}"
    "td.clip{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:18em}"
    "svg.chart{max-width:100%;height:auto}svg.chart text{font-size:12px;fill:#222}"
    ".empty,.note{color:#777}.note{margin:.2em 0;font-size:13px}"
    ".plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(680px,1fr));gap:0 2em}"
    ".plots>div{min-width:0}code{overflow-wrap:anywhere}")


def render(out: Path) -> str:
    out = Path(out)
    runs = []
    for p in sorted(runs_dir(out).glob("*.json")):
        try:
            runs.append(json.loads(p.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    runs.sort(key=lambda r: r.get("finished_at", ""))
    rejects = []
    for p in rejects_files(out):
        for batch in pq.ParquetFile(p).iter_batches():
            rejects.extend(batch.to_pylist())
    shows = _shows(core.STEPS)
    columns = list(dict.fromkeys(BASE_COLUMNS + [s.column for s in shows] + DUPLICATE_COLUMNS))
    max_words = max(12, _max_words(out))
    n = words = 0
    drops, encodings, months, kinds, copies = Counter(), Counter(), Counter(), None, Counter()
    word_bins = [0] * 12
    per_show: dict[int, object] = {}
    seen: set[str] = set()
    for drop, batch in batches(out, columns):
        t = pa.Table.from_batches([batch])
        seen.update(t.column_names)
        n += t.num_rows
        drops[drop] += t.num_rows
        words += pc.sum(t["n_words"]).as_py() or 0
        word_bins = [a + b for a, b in zip(word_bins, _bins(t["n_words"], 12, 0, max_words))]
        if "encoding" in t.column_names:
            encodings.update(_counts(t["encoding"]))
        if "published" in t.column_names:
            months.update(_months(t["published"]))
        if "dup_kind" in t.column_names:
            kinds = kinds if kinds is not None else Counter()
            kinds.update(_counts(pc.fill_null(t["dup_kind"], "unique")))
            dups = t.filter(pc.invert(t["dup_representative"]))
            copies.update(_counts(dups["dup_cluster"]))
        for i, show in enumerate(shows):
            if show.column not in t.column_names:
                continue
            column = t[show.column]
            if show.kind == "count":
                per_show[i] = per_show.get(i, 0) + int(pc.sum(column).as_py() or 0)
            elif show.kind == "bars" and _is_rule_list(column.type):
                weight = "count" if column.type.value_type.get_field_index("count") >= 0 else None
                per_show.setdefault(i, Counter()).update(_rule_counts(column, weight))
            elif show.kind == "bars":
                per_show.setdefault(i, Counter()).update(_counts(column))
            elif show.kind == "histogram":
                got = _bins(column, 10, 0.0, 1.0)
                per_show[i] = [a + b for a, b in zip(per_show.get(i, [0] * 10), got)]
            elif show.kind == "top":
                per_show[i] = sorted(per_show.get(i, []) + _top_rows(t, show.column, drop),
                                     key=lambda r, c=show.column: (-r[c], r["doc_id"]))[:TOP_ROWS]
    sections = []
    if n == 0:
        sections.append("<p>No data yet.</p>")
    else:
        summary = [{"measure": "documents", "value": f"{n:,}"}, {"measure": "drops", "value": len(drops)}]
        for i, show in enumerate(shows):
            if show.kind == "count" and i in per_show:
                k = per_show[i]
                summary.append({"measure": show.title, "value": f"{k:,} ({100 * k / n:.1f}%)"})
        summary += [{"measure": "rejected inputs", "value": f"{len(rejects):,}"},
                    {"measure": "words (clean)", "value": f"{words:,}"}]
        plots = [_bar_chart("Documents by drop", sorted(drops.items()))]
        if "encoding" in seen:
            plots.append(_bar_chart("Encodings", encodings.most_common(15)))
        if "published" in seen:
            plots.append(_dates("Documents by publication month", months))
        tops = []
        for i, show in enumerate(shows):
            if i not in per_show:
                continue
            if show.kind == "bars":
                plots.append(_bar_chart(show.title, per_show[i].most_common(25 if show.column != "lang" else 15)))
            elif show.kind == "histogram":
                plots.append(_histogram(show.title, per_show[i], 0.0, 1.0, "{:.1f}"))
            elif show.kind == "top":
                tops.append(_top_table(per_show[i], show.column, show.title))
        plots.append(_histogram("Words per document (clean)", word_bins, 0, max_words, "{:.0f}"))
        sections += ["<h2>Summary</h2>" + _table(summary, ["measure", "value"]), "<h2>Plots</h2>",
                     "<div class=plots>" + "".join(f"<div>{p}</div>" for p in plots) + "</div>",
                     *tops, _duplicates(kinds, copies)]
    sections.append(_rejects(rejects))
    sections.append(_runs(runs))
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<!doctype html><html><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>corpus-clean report: {html.escape(str(out))}</title>"
            f"<style>{STYLE}</style></head><body><h1>corpus-clean report</h1>"
            f"<p>Dataset <code>{html.escape(str(out.resolve()))}</code>, {n:,} documents; rendered {now}.</p>"
            + "\n".join(sections) + "</body></html>")


def write_report(out: Path, html_path: Path | None = None) -> Path:
    out = Path(out)
    dest = Path(html_path) if html_path else reports_dir(out) / "report.html"
    write_text(dest, render(out))
    return dest
