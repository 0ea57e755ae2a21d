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
    from pipeline.report import _histogram

    scores = pa.array([0.0, 0.05, -0.2, 0.1, 0.95, 1.0, 1.5, None], pa.float64())
    bars = _bars(_histogram("MT score", scores, 10, 0.0, 1.0, "{:.1f}"))
    assert [label for label, _ in bars][:2] == ["0.0–0.1", "0.1–0.2"]
    # below lo counts in the first bin, hi and above in the last; nulls are not counted
    assert [n for _, n in bars] == [3, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    words = pa.array([0, 5, 11, 12, 400], pa.int64())
    assert [n for _, n in _bars(_histogram("words", words, 12, 0, 12, "{:.0f}"))] == [1, 0, 0, 0, 0, 1] + [0] * 5 + [3]
    assert sum(n for _, n in _bars(_histogram("empty", pa.array([], pa.float64()), 4, 0.0, 1.0, "{:.1f}"))) == 0

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
