"""Integration: the real clean-drop / clean-new-drops flows against a real Prefect API, read back
with pyarrow and DuckDB."""
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline.core import schema
from pipeline.storage import layout
from pipeline.schema import SCHEMA_VERSION

from conftest import REPO, SAMPLE_DROP

pytestmark = pytest.mark.integration


def read(out: Path):
    return ds.dataset(str(out), format="parquet", partitioning="hive").to_table()


def test_clean_drop_on_sample_drop(prefect_api, tmp_path):
    from flows.clean_drop import clean_drop

    out = tmp_path / "out"
    summary = clean_drop(drop=str(SAMPLE_DROP), out=str(out))
    assert (summary["files"], summary["documents"], summary["rejects"]) == (5, 5, 0)

    table = read(out)
    assert table.num_rows == 5
    for f in schema():
        assert table.schema.field(f.name).type == f.type, f.name
    rows = {r["source_path"][:3]: r for r in table.to_pylist()}
    assert rows["000"]["published"] == dt.date(2020, 1, 9)
    assert rows["001"]["published"] == dt.date(2020, 1, 8)
    assert rows["002"]["published"] == dt.date(2020, 1, 9)
    assert rows["003"]["published"] is None and rows["004"]["published"] is None
    for k in ("003", "004"):
        first_line = (SAMPLE_DROP / rows[k]["source_path"]).read_text(encoding="utf-8").split("\n")[0]
        assert rows[k]["title"] == first_line.strip()
        assert not rows[k]["text"].startswith(first_line.strip())
    for r in rows.values():
        assert r["text_raw"] == (SAMPLE_DROP / r["source_path"]).read_text(encoding="utf-8")
        assert "\n\n\n" not in r["text"] and r["text"] == r["text"].strip()
        assert r["n_chars"] == len(r["text"]) and r["n_words"] == len(r["text"].split())
        assert r["source_record"] == 0 and r["drop"] == "sample-2020-01-09"
        assert r["run_id"] == summary["run_id"]
        assert r["processed_at"].tzinfo is not None

    part = next((out / "drop=sample-2020-01-09").glob("*.parquet"))
    meta = pq.read_schema(part).metadata
    assert meta[b"corpus_clean.schema_version"].decode() == SCHEMA_VERSION
    assert json.loads(meta[b"corpus_clean.config"])["text_field"] == "auto"
    assert meta[b"corpus_clean.rules_version"].decode() == rows["000"]["rules_version"]
    assert pq.ParquetFile(part).metadata.row_group(0).column(0).compression == "ZSTD"

    con = duckdb.connect()
    got = con.sql(f"select drop, count(*) from read_parquet('{out}/drop=*/*.parquet', hive_partitioning=true) "
                  "group by drop").fetchall()
    assert got == [("sample-2020-01-09", 5)]
    types = dict(con.sql(f"describe select * from read_parquet('{out}/drop=*/*.parquet', hive_partitioning=true)")
                 .fetchall() and [(r[0], r[1]) for r in con.sql(
                     f"describe select * from read_parquet('{out}/drop=*/*.parquet', hive_partitioning=true)").fetchall()])
    assert types["published"] == "DATE" and types["processed_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["repairs"].startswith("STRUCT") and types["mt_score"] == "FLOAT"

    ids = sorted(r["doc_id"] for r in rows.values())
    summary2 = clean_drop(drop=str(SAMPLE_DROP), out=str(out))
    table2 = read(out)
    assert table2.num_rows == 5, "a rerun replaces the drop, it does not add to it"
    assert sorted(table2["doc_id"].to_pylist()) == ids, "doc_id is stable across runs"
    assert set(table2["run_id"].to_pylist()) == {summary2["run_id"]}
    assert (out / "_reports" / "report.html").is_file()
    assert (out / "_runs" / f"{summary2['run_id']}.json").is_file()

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        arts = {a.key: a for a in client.read_artifacts() if a.key}
    md = arts["clean-drop-sample-2020-01-09"]
    assert md.type == "markdown" and "| documents out | 5 |" in md.data
    table = arts["most-flagged-sample-2020-01-09"]
    assert table.type == "table"
    [top] = [r for r in json.loads(table.data) if r["mt_score"] >= 0.5]  # the one MT suspect
    assert top["source_path"] == "000_8560fb313de9f6c9.txt" and top["flags"] > 0
    assert not re.search(r"\d\.\d{4,}", table.data), "scores are rounded in the artifact"


def test_bad_inputs_are_quarantined_and_the_run_goes_on(prefect_api, tmp_path):
    from flows.clean_drop import clean_drop

    drop = tmp_path / "raw" / "messy-drop"
    shutil.copytree(SAMPLE_DROP, drop)
    (drop / "empty.txt").write_bytes(b"")
    (drop / "image.txt").write_bytes(bytes(range(256)) * 8)
    (drop / "feed.jsonl").write_text(json.dumps({"text": "A good record about the markets today."}) + "\n{bad\n")
    out = tmp_path / "out"
    summary = clean_drop(drop=str(drop), out=str(out))
    assert summary["documents"] == 6 and summary["rejects"] == 3
    assert summary["status"] == "completed_with_rejects"
    rej = pq.read_table(layout.rejects_path(out, "messy-drop"))
    assert set(rej.column_names) == {"drop", "source_path", "source_record", "reason", "error", "run_id"}
    assert sorted(zip(rej["source_path"].to_pylist(), rej["reason"].to_pylist())) == [
        ("empty.txt", "empty"), ("feed.jsonl", "malformed_json"), ("image.txt", "binary")]
    assert read(out).num_rows == 6


def test_clean_new_drops_takes_each_file_once(prefect_api, tmp_path):
    from flows.new_drops import clean_new_drops

    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SAMPLE_DROP, raw / "drop-a")
    (raw / "drop-b").mkdir()
    for p in sorted(SAMPLE_DROP.iterdir())[:2]:
        shutil.copy(p, raw / "drop-b" / p.name)
    first = clean_new_drops(raw_root=str(raw), out=str(out))
    assert [(s["drop"], s["documents"]) for s in first] == [("drop-a", 5), ("drop-b", 2)]
    assert read(out).num_rows == 7
    assert clean_new_drops(raw_root=str(raw), out=str(out)) == []
    assert read(out).num_rows == 7
    (raw / "drop-b" / "late.txt").write_text("Late story\n\nAn article that arrived after the first run.")
    third = clean_new_drops(raw_root=str(raw), out=str(out))
    assert [(s["drop"], s["files"], s["documents"]) for s in third] == [("drop-b", 1, 1)]
    table = read(out)
    assert table.num_rows == 8 and len(set(table["doc_id"].to_pylist())) == 8


def test_cli_runs_on_the_embedded_default_api(tmp_path):
    """The README's way: `corpus-clean run DROP --out DIR`, no server, no PREFECT_API_URL."""
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect-home"))
    env.pop("PREFECT_API_URL", None)
    out = tmp_path / "x"
    cli = str(Path(sys.executable).with_name("corpus-clean"))
    proc = subprocess.run([cli, "run", str(SAMPLE_DROP.relative_to(REPO)), "--out", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "5 files, 5 documents, 0 rejects" in proc.stdout
    assert "drop listed while the Prefect API started (5 files)" in proc.stdout + proc.stderr
    assert read(out).num_rows == 5
    # What the console said, in order, from the first second: a new PREFECT_HOME has no database.
    said = re.findall(r"^\[ *([\d.]+)s\] (.*)$", proc.stderr, re.M)
    lines = [line for _, line in said]
    expected = ["starting Prefect's temporary API server", "first start with this PREFECT_HOME",
                "listed raw/sample-2020-01-09: 5 files", "Prefect API ready"]
    got = [next(i for i, line in enumerate(lines) if line.startswith(e)) for e in expected]
    assert got == sorted(got), lines
    assert float(said[0][0]) < 1.0, "the first line comes in the first second"
    done = [line for line in lines if line.startswith("shards ")]
    n = int(done[-1].split("/")[1].split()[0])
    assert done == [f"shards {i}/{n} done (sample-2020-01-09)" for i in range(1, n + 1)]
    total = re.search(r"^total: 5 files, 5 documents, 0 rejects; ([\d.]+)s wall time since the "
                      r"command started \(cleaning ([\d.]+)s\)$", proc.stdout, re.M)
    assert total and float(total[1]) >= float(said[-1][0]) > float(total[2]), proc.stdout
    bad = subprocess.run([cli, "run", str(tmp_path / "no-such-drop"), "--out", str(out)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2
    assert bad.stderr.strip() == f"corpus-clean: error: drop folder not found: {tmp_path / 'no-such-drop'}"


def test_cli_uses_the_server_of_the_active_profile(prefect_server, tmp_path):
    """PREFECT_API_URL set in the profile, not the environment: the temporary API the CLI starts
    speculatively is stopped, and the flow run is recorded by the profile's server."""
    import asyncio

    from prefect.client.orchestration import get_client

    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(
        f'active = "site"\n\n[profiles.site]\nPREFECT_API_URL = "{prefect_server}"\n')
    env = dict(os.environ, PREFECT_HOME=str(home))
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_PROFILE", None)
    out = tmp_path / "x"
    cli = str(Path(sys.executable).with_name("corpus-clean"))
    proc = subprocess.run([cli, "run", str(SAMPLE_DROP), "--out", str(out)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert read(out).num_rows == 5

    async def runs():
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
            async with get_client() as client:
                return await client.read_flow_runs()

    ours = [r for r in asyncio.run(runs()) if r.parameters.get("out") == str(out)]
    assert len(ours) == 1 and ours[0].state.is_completed(), "the flow run is on the profile's server"


def test_a_drop_of_many_files_runs(prefect_api, tmp_path):
    """The shard plan of a large drop exceeds what the API accepts as flow parameters (512 KB)."""
    from flows.clean_drop import clean_drop

    drop = tmp_path / "raw" / "many-files"
    drop.mkdir(parents=True)
    stem = "a-rather-long-file-name-as-scrapers-write-them-with-the-outlet-and-slug"
    for i in range(8000):
        (drop / f"{stem}-{i:05d}.txt").write_text(f"Story {i}\n\nShort article number {i} about the markets.")
    assert sum(len(p.name) + 4 for p in drop.iterdir()) > 512 * 1024
    summary = clean_drop(drop=str(drop), out=str(tmp_path / "out"))
    assert summary["documents"] == 8000 and summary["rejects"] == 0
    assert read(tmp_path / "out").num_rows == 8000


def test_cli_falls_back_to_prefects_own_temporary_server(tmp_path):
    """If the early-started temporary API cannot start, the run still happens on Prefect's own."""
    # Prefect waits 20 s by default for its temporary server, which first creates the database of
    # this new PREFECT_HOME: on a busy 2-core machine that took over 40 s and the test timed out
    # three times out of three (issue 19). The wait ends when the server answers, so a loaded
    # machine's bound costs a quiet one nothing. (The CLI raises Prefect's default the same way
    # when the user has not set it: see test_startup.py.)
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect-home"),
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300")
    env.pop("PREFECT_API_URL", None)
    out = tmp_path / "x"
    code = (
        "import subprocess, sys\n"
        "import flows.tempapi as t\n"
        "def broken(self):\n"
        "    self.proc = subprocess.Popen([sys.executable, '-c', 'raise SystemExit(3)'])\n"
        "    self.url = 'http://127.0.0.1:9/api'\n"
        "t.TemporaryAPI.start = broken\n"
        "from flows.cli import main\n"
        f"sys.exit(main(['run', {str(SAMPLE_DROP)!r}, '--out', {str(out)!r}]))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "early start of the temporary Prefect API failed" in proc.stderr
    assert read(out).num_rows == 5


def test_progress_artifact_is_throttled_but_always_ends_at_100(prefect_api):
    """Shards finishing close together make one API call, not one each; the last step always lands."""
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterId

    from flows.reporting import Progress

    def progress(artifact_id):
        with get_client(sync_client=True) as client:
            [a] = client.read_artifacts(artifact_filter=ArtifactFilter(id=ArtifactFilterId(any_=[artifact_id])))
            return a.data

    @flow
    def steps() -> list:
        seen = []
        p = Progress(4, "test drop", every=3600)
        for _ in range(3):
            p.step()
        seen.append(progress(p.id))  # within `every` seconds no update is sent
        p.step()
        seen.append(progress(p.id))
        q = Progress(4, "test drop", every=0)
        q.step()
        seen.append(progress(q.id))
        return seen

    assert steps() == [0.0, 100.0, 25.0]
