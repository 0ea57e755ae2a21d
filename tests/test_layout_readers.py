"""Only the data ends in `.parquet`: DuckDB, Polars and pandas read the dataset by the documented
globs and by `**`, and never see the bookkeeping tables or a run's staged parts."""
import shutil

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

from pipeline.core import schema
from pipeline.shard import clean_shard
from pipeline.storage import commit, layout, ledger, planning, runs, staging

from conftest import SAMPLE_DROP


def _commit_run(drop, out):
    run_id = runs.new_run_id()
    with staging.Staging(out, run_id) as st:
        staged = st.drop_dir(drop.name)
        res = clean_shard(str(drop), [f.path for f in planning.discover(drop)],
                          str(staged / layout.staged_part_name(run_id, 0)), run_id, drop.name)
        commit.commit_drop(out, drop.name, staged, replaced=None, rejects=res["rejects"],
                           ledger=res["ledger"])
    return res


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """A dataset with rejects, a ledger, a run summary, a report folder, and a run in progress
    whose staged part and shard records sit in _staging."""
    base = tmp_path_factory.mktemp("layout")
    drop = base / "raw" / "sample-2020-01-09"
    shutil.copytree(SAMPLE_DROP, drop)
    (drop / "broken.jsonl").write_text('{"text": "A good record about the markets today."}\n{bad\n')
    out = base / "clean"
    res = _commit_run(drop, out)
    runs.write_run_summary(out, {"run_id": "r1", "drop": drop.name})
    layout.reports_dir(out).mkdir(parents=True)
    (layout.reports_dir(out) / "report.html").write_text("<html></html>")
    live = staging.Staging(out, "inprogress")  # its lock stays held: a live run
    live.__enter__()
    clean_shard(str(drop), ["000_8560fb313de9f6c9.txt"],
                str(live.drop_dir(drop.name) / layout.staged_part_name("inprogress", 0)),
                "inprogress", drop.name)
    led, rej = layout.record_paths(live.root / "shards" / "shard-00000")
    led.parent.mkdir(parents=True)
    pq.write_table(pq.read_table(layout.ledger_path(out, drop.name)), led)
    assert res["rejects"] and layout.rejects_path(out, drop.name).exists()
    yield out
    live.__exit__(None, None, None)


DATA_COLUMNS = {f.name for f in schema()} | {"drop"}


@pytest.mark.parametrize("glob", ["drop=*/*.parquet", "**/*.parquet"])
def test_duckdb_reads_only_the_data(out, glob):
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{out}/{glob}', hive_partitioning = true)")
    assert set(rel.columns) == DATA_COLUMNS
    assert rel.count("*").fetchall() == [(6,)]
    assert duckdb.sql(f"SELECT count(*) FROM glob('{out}/**/*.parquet')").fetchall() == [(1,)]


@pytest.mark.parametrize("glob", ["drop=*/*.parquet", "**/*.parquet"])
def test_polars_reads_only_the_data(out, glob):
    df = pl.scan_parquet(f"{out}/{glob}", hive_partitioning=True).collect()
    assert set(df.columns) == DATA_COLUMNS and df.height == 6


def test_pandas_reads_the_folder(out):
    df = pd.read_parquet(out)
    assert set(df.columns) == DATA_COLUMNS and len(df) == 6


def test_bookkeeping_tables_are_read_by_their_own_paths(out):
    rej = duckdb.sql(f"SELECT reason FROM read_parquet('{out}/_rejects/*/rejects.pq')").fetchall()
    assert rej == [("malformed_json",)]
    assert len(pd.read_parquet(layout.rejects_path(out, "sample-2020-01-09"))) == 1
    assert pl.read_parquet(layout.ledger_path(out, "sample-2020-01-09")).height == 6


def test_a_dataset_with_the_old_names_is_read_and_renamed_at_the_next_commit(tmp_path):
    drop = tmp_path / "raw" / "d1"
    shutil.copytree(SAMPLE_DROP, drop)
    (drop / "empty.txt").write_bytes(b"")
    out = tmp_path / "clean"
    _commit_run(drop, out)
    for path in (layout.ledger_path(out, "d1"), layout.rejects_path(out, "d1")):  # as schema 2 wrote them
        path.rename(layout.legacy_path(path))
    assert [p.name for p in layout.rejects_files(out)] == ["rejects.parquet"]
    files = planning.discover(drop)
    assert ledger.changed_files(drop, files, ledger.load_ledger(out, "d1")).todo == [], "the old ledger counts"
    _commit_run(drop, out)
    for path in (layout.ledger_path(out, "d1"), layout.rejects_path(out, "d1")):
        assert path.exists() and not layout.legacy_path(path).exists()
    assert pq.read_table(layout.rejects_path(out, "d1"))["reason"].to_pylist() == ["empty"]
