"""The step contract (issue 13): a step is one module plus one line in pipeline.core.STEPS, and
everything else (schema, rows, stats, run summary, report, rules_version) follows from the list;
an option is declared once and appears in the CLI and the flows."""
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline import core
from pipeline.report import render
from pipeline.runsummary import summarize, to_markdown
from pipeline.shard import clean_shard

from conftest import REPO, SAMPLE_DROP
from toysteps import shouting


def test_a_toy_step_added_in_one_module_reaches_parquet_summary_report_and_version(tmp_path, monkeypatch):
    monkeypatch.setattr(core, "STEPS", core.STEPS + [shouting.STEP])  # the one line
    files = sorted(p.name for p in SAMPLE_DROP.glob("*.txt"))
    out = tmp_path / "clean" / "drop=sample" / "part-0.parquet"
    result = clean_shard(str(SAMPLE_DROP), files, str(out), "run-1", "sample")

    table = pq.read_table(out)
    assert "shouted_words" in table.column_names
    loud = table["shouted_words"].to_pylist()
    assert len(loud) == 5 and any(n > 0 for n in loud)
    texts = table["text"].to_pylist()
    assert loud == [sum(1 for w in t.split() if len(w) > 1 and w.isupper()) for t in texts]
    assert ";shouting-1;" in table["rules_version"][0].as_py()
    meta = pq.read_schema(out).metadata
    assert ";shouting-1;" in meta[b"corpus_clean.rules_version"].decode()

    summary = summarize([result], [], run_id="run-1", drop="sample", seconds=1.0)
    stats = summary["steps"]["shouting"]
    assert stats["loud_documents"] == sum(n > 0 for n in loud)
    assert sum(stats["loudness"].values()) == 5
    assert summary["step_seconds"]["shouting"] >= 0
    json.dumps(summary)  # the run summary is written as JSON
    md = to_markdown(summary)
    assert f"| documents that shout | {stats['loud_documents']} |" in md
    assert "Shouted words per document" in render(tmp_path / "clean")


def test_an_option_declared_once_is_a_cli_flag_and_a_flow_parameter():
    code = (
        "import pipeline.options as o\n"
        "o.RUN_OPTIONS.append(o.Option('toy_knob', int, 7, 'a knob added for this test'))\n"
        "import contextlib, io, json\n"
        "from flows.cli import main\n"
        "from flows.clean_drop import clean_drop\n"
        "from flows.new_drops import clean_new_drops\n"
        "from pipeline.core import Config\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):\n"
        "    main(['run', '--help'])\n"
        "print(json.dumps({'help': buf.getvalue(),\n"
        "  'drop': clean_drop.parameters.model_dump()['properties'].get('toy_knob'),\n"
        "  'new': clean_new_drops.parameters.model_dump()['properties'].get('toy_knob'),\n"
        "  'config': Config().toy_knob}))\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert "--toy-knob" in got["help"] and "a knob added for this test" in got["help"]
    assert got["drop"]["default"] == 7 and got["new"]["default"] == 7
    assert got["config"] == 7


def test_cli_options_match_the_declared_options(capsys):
    from flows.cli import main

    for command in ("run", "new"):
        try:
            main([command, "--help"])
        except SystemExit:
            pass
        help_text = capsys.readouterr().out
        for o in core.OPTIONS:
            assert (o.flag in help_text) == o.exposed, (command, o.name)


@pytest.mark.parametrize("flag,value,says", [
    ("--shard-mb", "-1", "option shard_mb must be greater than 0, got -1.0"),
    ("--workers", "-2", "option workers must be 0 or more, got -2"),
    ("--mt-threshold", "1.5", "option mt_threshold must be between 0 and 1, got 1.5"),
    ("--mt-model", "fast", "option mt_model must be 'words', 'cascade' or 'strong', got 'fast'"),
    ("--max-boilerplate-share", "-0.1", "option max_boilerplate_share must be between 0 and 1"),
    ("--max-inflation-ratio", "0.5", "option max_inflation_ratio must be at least 1"),
    ("--furniture-min-docs", "1", "option furniture_min_docs must be 0 (off) or at least 2"),
])
def test_a_value_an_option_refuses_is_a_usage_error_naming_it(capsys, flag, value, says):
    from flows.cli import build_parser

    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["run", "raw/sample-2020-01-09", flag, value])
    assert exit_.value.code == 2 and says in capsys.readouterr().err
    # the same check where a flow parameter or a notebook builds the run's Config
    name = flag[2:].replace("-", "_")
    opt = next(o for o in core.OPTIONS if o.name == name)
    with pytest.raises(ValueError, match=re.escape(says)):
        core.Config.from_dict({name: opt.type(value)})
    core.Config.from_dict({name: opt.default})  # the default passes its own check


def _imports(path: Path, package: str) -> set[str]:
    """Modules of `package` that `path` imports, anywhere in the file (functions included)."""
    tree = ast.parse(path.read_text())
    mod = ".".join(path.relative_to(REPO).with_suffix("").parts)
    if mod.endswith(".__init__"):
        mod = mod[: -len(".__init__")]
    pkg_parts = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(pkg_parts[: len(pkg_parts) - node.level + 1])
                name = f"{base}.{node.module}" if node.module else base
                out.add(name)
                out |= {f"{name}.{a.name}" for a in node.names}
            else:
                out.add(node.module)
    return {m for m in out if m == package or m.startswith(package + ".")} | \
        {m for m in out if m.split(".")[0] == "prefect"}


def test_pipeline_has_no_import_circle_and_no_prefect():
    files = sorted((REPO / "pipeline").rglob("*.py"))
    modules = {}
    for f in files:
        name = ".".join(f.relative_to(REPO).with_suffix("").parts)
        modules[name[: -len(".__init__")] if name.endswith(".__init__") else name] = f
    graph = {}
    for name, f in modules.items():
        deps = _imports(f, "pipeline")
        assert not any(d.split(".")[0] == "prefect" for d in deps), (name, "imports prefect")
        graph[name] = {d for d in deps if d in modules and d != name and d != "pipeline"}
    state = {}

    def visit(n, stack):
        state[n] = "open"
        for d in graph[n]:
            assert state.get(d) != "open", f"import circle: {' -> '.join(stack + [n, d])}"
            if d not in state:
                visit(d, stack + [n])
        state[n] = "done"

    for n in graph:
        if n not in state:
            visit(n, [])


def test_step_statistics_agree_with_the_rows_they_summarise(tmp_path):
    from collections import Counter

    files = sorted(p.name for p in SAMPLE_DROP.glob("*.txt"))
    out = tmp_path / "part.parquet"
    # one shard in batches of 2 rows: the statistics are merged across batches
    result = clean_shard(str(SAMPLE_DROP), files, str(out), "r", "d", {"batch_rows": 2})
    rows = pq.read_table(out).to_pylist()
    steps = summarize([result, result], [], run_id="r", drop="d", seconds=1.0)["steps"]

    repairs = Counter()
    for r in rows:
        for item in r["repairs"]:
            repairs[item["rule"]] += 2 * item["count"]
    assert steps["repair"]["repairs"] == dict(repairs)
    assert steps["repair"]["documents_repaired"] == 2 * sum(bool(r["repairs"]) for r in rows)
    assert steps["boilerplate"]["lines_removed"] == dict(
        Counter(b["rule"] for r in rows for b in r["boilerplate"] for _ in range(2)))
    assert steps["language"]["langs"] == {"en": 10}
    assert steps["title"]["titled"] == 2 * sum(r["title"] is not None for r in rows)
    flagged = sorted((r for r in rows if r["mt_flags"]),
                     key=lambda r: (-r["mt_score"], -len(r["mt_flags"]), r["doc_id"]))
    top = steps["mtflags"]["top_flagged"]
    assert [t["doc_id"] for t in top] == [d for r in flagged for d in (r["doc_id"],) * 2]
    assert top[0]["flags"] == len(flagged[0]["mt_flags"]) and top[0]["mt_suspect"] is True
