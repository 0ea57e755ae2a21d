"""The HTML report, the audit view and the CLI's help, on a dataset written by the library."""
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import build_parser
from pipeline.storage import commit, planning, runs, staging
from pipeline.audit import mark_flags, show_document
from pipeline.report import write_report
from pipeline.runsummary import summarize, to_markdown
from pipeline.shard import clean_shard

from conftest import SAMPLE_DROP


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "clean"
    drop = SAMPLE_DROP
    files = planning.discover(drop)
    run_id = runs.new_run_id()
    with staging.Staging(out, run_id) as st:
        staged = st.drop_dir(drop.name)
        res = clean_shard(str(drop), [f.path for f in files], str(staged / "part-0.parquet"), run_id, drop.name)
        commit.commit_drop(out, drop.name, staged, replaced=None, rejects=res["rejects"], ledger=res["ledger"])
    summary = summarize([res], res["rejects"], run_id=run_id, drop=drop.name, seconds=1.0,
                        finished_at="2026-01-01T00:00:00")
    runs.write_run_summary(out, summary)
    return out


def test_run_summary_markdown_names_rules_and_suspects(out):
    md = to_markdown(next(iter(__import__("json").loads(p.read_text()) for p in (out / "_runs").glob("*.json"))))
    assert "| documents out | 5 |" in md and "| MT suspects | 1 |" in md
    assert "entity_comma_quot" in md and "embedded_tweet" in md and "REJECTED" not in md


def test_html_report_is_self_contained_with_plots(out):
    path = write_report(out)
    assert path == out / "_reports" / "report.html"
    html = path.read_text()
    assert html.count("<svg") >= 6
    for title in ("Languages", "Repairs by rule", "Boilerplate lines removed by rule", "MT score distribution"):
        assert title in html
    assert "embedded_tweet" in html and "entity_comma_quot" in html
    drops = html[html.index("Documents by drop"):]
    assert "sample-2020-01-09" in drops[:2000], "documents are counted by the drop of their partition"
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html), "no external resources"



def _bars(svg: str) -> list[tuple[str, int]]:
    labels = re.findall(r'text-anchor="end">([^<]*)</text>', svg)
    values = re.findall(r'height="18" fill="#3b6ea8"/><text x="[^"]*" y="[^"]*">([^<]*)</text>', svg)
    return list(zip(labels, (int(v.replace(",", "")) for v in values)))


def test_histogram_bins_clamp_and_skip_nulls():
    import pyarrow as pa
    from pipeline.report import _bins, _histogram

    scores = pa.array([0.0, 0.05, -0.2, 0.1, 0.95, 1.0, 1.5, None], pa.float64())
    bars = _bars(_histogram("MT score", _bins(scores, 10, 0.0, 1.0), 0.0, 1.0, "{:.1f}"))
    assert [label for label, _ in bars][:2] == ["0.0–0.1", "0.1–0.2"]
    # below lo counts in the first bin, hi and above in the last; nulls are not counted
    assert [n for _, n in bars] == [3, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    words = pa.array([0, 5, 11, 12, 400], pa.int64())
    assert [n for _, n in _bars(_histogram("words", _bins(words, 12, 0, 12), 0, 12, "{:.0f}"))] == [1, 0, 0, 0, 0, 1] + [0] * 5 + [3]
    assert sum(n for _, n in _bars(_histogram("empty", _bins(pa.array([], pa.float64()), 4, 0.0, 1.0), 0.0, 1.0, "{:.1f}"))) == 0

def test_show_marks_removed_lines_flags_and_repairs(out):
    import pyarrow.dataset as ds

    t = ds.dataset(str(out / "drop=sample-2020-01-09"), format="parquet").to_table(columns=["doc_id", "source_path"])
    doc = dict(zip(t["source_path"].to_pylist(), t["doc_id"].to_pylist()))["000_8560fb313de9f6c9.txt"]
    buf = io.StringIO()
    assert show_document(out, doc[:10], width=160, file=buf) == 0
    text = buf.getvalue()
    assert "repairs: " in text and "entity_comma_quot×8" in text
    assert "[-embedded_tweet]" in text and "[-inline_headline]" in text
    assert "«who He»" in text and "capitalized_after_relative" in text
    assert show_document(out, "ffffffffffff", file=io.StringIO()) == 1


def test_mark_flags_skips_overlaps_and_lists_unlocated():
    marked, legend = mark_flags("abc def ghi", [
        {"rule": "r1", "start": 0, "end": 3, "excerpt": "abc"},
        {"rule": "r2", "start": 1, "end": 5, "excerpt": "bc d"},
        {"rule": "r3", "start": 0, "end": 0, "excerpt": ""}])
    assert marked == "«abc»[1] def ghi"
    assert any("overlaps" in line for line in legend) and any("not located" in line for line in legend)


def test_cli_help_documents_every_command_and_option():
    parser = build_parser()
    top = parser.format_help()
    for cmd in ("run", "new", "serve", "report", "show"):
        assert cmd in top
    cli = str(Path(sys.executable).with_name("corpus-clean"))
    run_help = subprocess.run([cli, "run", "--help"], capture_output=True, text=True, timeout=60).stdout
    for opt in ("--out", "--text-field", "--workers", "--dask-address", "--shard-mb", "--mt-threshold",
                "--max-boilerplate-share"):
        assert opt in run_help


def test_run_summary_breaks_rejects_down_by_reason(tmp_path):
    drop = tmp_path / "d"
    drop.mkdir()
    (drop / "good.txt").write_text("Council passes budget\n\nThe council met on Tuesday.")
    (drop / "empty.txt").write_bytes(b"")
    (drop / "feed.jsonl").write_text('{"summary": "no text"}\n{bad\n{"id": 3}\n')
    res = clean_shard(str(drop), ["empty.txt", "feed.jsonl", "good.txt"], str(tmp_path / "p.parquet"), "r", "d")
    summary = summarize([res], res["rejects"], run_id="r", drop="d", seconds=1.0)
    assert summary["reject_reasons"] == {"missing_text": 2, "empty": 1, "malformed_json": 1}
    md = to_markdown(summary)
    assert "4 REJECTED input(s) (2 missing_text, 1 empty, 1 malformed_json)" in md
    table = md[md.index("## Rejects by reason"):md.index("## Rejects\n")]
    assert "| missing_text | 2 |" in table and "| empty | 1 |" in table and "| malformed_json | 1 |" in table


def test_bars_switch_to_a_log_scale_when_counts_span_orders_of_magnitude():
    from pipeline.report import _bar_chart

    def widths(svg):
        return [float(w) for w in re.findall(r'<rect x="[^"]*" y="[^"]*" width="([^"]*)"', svg)]
    linear = _bar_chart("t", [("a", 40), ("b", 10), ("c", 2)])
    assert "log scale" not in linear and widths(linear)[0] / widths(linear)[2] == pytest.approx(20, rel=0.02)
    spread = _bar_chart("t", [("a", 1784), ("b", 12), ("c", 1), ("d", 0)])
    w = widths(spread)
    assert "(log scale)" in spread and w[3] == 0
    assert w[2] > 0.05 * w[0], "the smallest bar is visible, not a pixel of 1/1784th"
    assert w[0] > w[1] > w[2], "order is kept"


def test_long_labels_are_cut_in_the_middle_with_the_full_label_as_tooltip():
    from pipeline.report import LABEL_CHARS, _bar_chart

    name = "bbc-news-archive-2004-2005-business-entertainment-politics-full-export-v2"
    svg = _bar_chart("Documents by drop", [(name, 3), ("short", 2)])
    [shown, _] = re.findall(r'text-anchor="end">([^<]*)</text>', svg)
    assert len(shown) == LABEL_CHARS and shown.startswith("bbc-news") and shown.endswith("export-v2")
    assert f"<title>{name}: 3</title>" in svg


def test_report_shows_rejects_by_reason_encodings_dates_and_a_duplicates_hook(tmp_path):
    import datetime as dt
    import json as js

    import pyarrow as pa
    import pyarrow.parquet as pq

    drop = tmp_path / "raw" / "d"
    drop.mkdir(parents=True)
    (drop / "a.jsonl").write_text("".join(js.dumps({"body": f"Story {i} about the weather today.",
                                                    "date": f"2020-0{1 + i % 3}-15"}) + "\n" for i in range(6))
                                  + '{"id": 1}\n{bad\n')
    (drop / "w.txt").write_bytes("Caf\xe9 prices rose again this week in the city centre.".encode("cp1252"))
    (drop / "w2.txt").write_bytes((drop / "w.txt").read_bytes())  # an exact copy
    (drop / "empty.txt").write_bytes(b"")
    out = tmp_path / "clean"
    run_id = runs.new_run_id()
    with staging.Staging(out, run_id) as st:
        staged = st.drop_dir("d")
        res = clean_shard(str(drop), ["a.jsonl", "empty.txt", "w.txt", "w2.txt"],
                          str(staged / "part-0.parquet"), run_id, "d")
        commit.commit_drop(out, "d", staged, replaced=None, rejects=res["rejects"], ledger=res["ledger"])
    runs.write_run_summary(out, summarize([res], res["rejects"], run_id=run_id, drop="d", seconds=2.5,
                                          phases={"shards": 1.25}, finished_at="2026-01-01T00:00:00"))
    page = write_report(out).read_text()
    reasons = page[page.index("Rejects by reason"):]
    assert re.search(r">missing_text</text>.*?>1</text>", reasons) and ">malformed_json</text>" in reasons
    assert "By file (3 files)" in page
    enc = page[page.index("Encodings"):page.index("Documents by publication month")]
    assert ">utf-8</text>" in enc and ">cp1252</text>" in enc
    months = page[page.index("Documents by publication month"):]
    assert re.findall(r'text-anchor="end">(20[^<]*)</text>', months)[:3] == ["2020-01", "2020-02", "2020-03"]
    assert "2 documents have no date" in months
    runs_table = page[page.index("<h2>Runs</h2>"):]
    assert "<td>2.50</td><td>1.25</td>" in runs_table, "seconds and cleaning seconds side by side"

    t = pq.read_table(next((out / "drop=d").glob("*.parquet")))
    rep = {r["source_path"]: r for r in t.to_pylist()}
    assert rep["w2.txt"]["dup_of"] == rep["w.txt"]["doc_id"] and rep["w2.txt"]["dup_kind"] == "exact"
    dups = page[page.index("<h2>Duplicates</h2>"):]
    assert ">exact</text>" in dups and ">unique</text>" in dups
    cluster = rep["w.txt"]["doc_id"]
    assert f"title='{cluster}'>{cluster}</td><td>2</td>" in dups
