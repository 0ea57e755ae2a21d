"""The `clean-drop` flow: one drop folder in, one committed partition of the dataset out."""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline import dataset
from pipeline.config import Config
from pipeline.report import write_report
from pipeline.shard import clean_listed_shard

from flows import prelisting, reporting
from flows.executor import default_workers, run_in_pool


@task(name="clean-shard", retries=2, retry_delay_seconds=1)
def clean_shard_task(drop_dir: str, files_path: str, part_path: str, record_prefix: str,
                     run_id: str, drop: str, config: dict, index: int, n_shards: int,
                     workers: int) -> dict:
    """Clean one shard of files. Locally the work runs in the process pool; on a Dask cluster
    (workers == 0) it runs right here, in the Dask worker.

    The shard's file list is a file in the run's staging folder, and its ledger entries and
    rejects (one per file: large for big drops) go to files beside it: the task's parameters and
    result stay small, so Prefect never walks, stores or ships bulk data."""
    args = (drop_dir, files_path, part_path, record_prefix, run_id, drop, config)
    result = run_in_pool(workers, clean_listed_shard, *args) if workers > 0 else clean_listed_shard(*args)
    s = result["stats"]
    get_run_logger().info(
        "shard %d/%d: %d files, %d documents, %d rejects, %.1f MB in %.2fs",
        index + 1, n_shards, s["files"], s["documents"], s["rejects"], s["bytes_in"] / 1e6,
        s["seconds"])
    return result


def submit_shards(plan: str, staged: str, run_id: str, drop: str, config: dict,
                  workers: int) -> list[dict]:
    """Submit one task per shard of the plan to the current flow's task runner and gather their
    summaries (in shard order). Runs inside a flow: clean-drop's own (local worker pool) or the
    clean-shards subflow (Dask).

    The plan (drop folder, shard count, where each shard's file list and records are) is a JSON
    file in the run's staging folder rather than a parameter: flow parameters are stored by the
    API, which caps them at 512 KB."""
    spec = json.loads(Path(plan).read_text())
    drop_dir, n, records = spec["drop_dir"], spec["shards"], Path(spec["records"])
    tracker = reporting.Progress(n, f"clean-drop {drop}")
    futures = [
        clean_shard_task.submit(drop_dir, str(records / f"shard-{i:05d}.files.json"),
                                str(Path(staged) / f"part-{run_id[:8]}-{i:05d}.parquet"),
                                str(records / f"shard-{i:05d}"), run_id, drop, config, i, n, workers)
        for i in range(n)
    ]
    results = []
    for fut in futures:
        results.append(fut.result())
        tracker.step()
    return results


@flow(name="clean-shards")
def clean_shards(plan: str, staged: str, run_id: str, drop: str, config: dict,
                 workers: int) -> list[dict]:
    """The shard tasks of a run on a Dask cluster: a subflow, so that it can have its own task
    runner (DaskTaskRunner, chosen at run time from the dask_address parameter). Local runs submit
    their shard tasks from clean-drop itself: a subflow costs ~1 s of Prefect bookkeeping (run
    creation, heartbeat thread, completion)."""
    return submit_shards(plan, staged, run_id, drop, config, workers)


# Shard tasks are threads of the flow's process; each hands its shard to the local worker pool
# (flows.executor) and waits. More threads than workers keep the pool's queue full.
SHARD_TASK_RUNNER = ThreadPoolTaskRunner(max_workers=8)


def run_drop(drop_dir: Path, out: Path, *, files: list[dataset.SourceFile] | None = None,
             incremental: bool = False, config: Config = Config(), workers: int | None = None,
             dask_address: str | None = None, run_id: str | None = None) -> dict:
    """Clean (some of) a drop's files and commit them. Must run inside a flow."""
    logger = get_run_logger()
    started, started_unix = time.perf_counter(), time.time()
    drop_dir, out = Path(drop_dir).resolve(), Path(out).resolve()
    drop = drop_dir.name
    run_id = run_id or dataset.new_run_id()
    swept = dataset.sweep_staging(out)
    if swept:
        logger.info("removed staging left by %d interrupted run(s)", len(swept))
    if files is None:
        # The CLI lists the drop while Prefect's temporary API boots (flows.prelisting).
        files = prelisting.take(drop_dir)
        if files is not None:
            logger.info("drop listed while the Prefect API started (%d files)", len(files))
        else:
            files = dataset.discover(drop_dir)
    workers = default_workers() if workers is None else workers
    shards = dataset.make_shards(files, config.shard_bytes, config.max_shards,
                                 min_shards=max(1, workers) * 2,
                                 weights=dataset.estimate_work(drop_dir, files),
                                 workers=max(1, workers))
    logger.info("drop %s: %d files, %.1f MB, %d shards, run %s", drop, len(files),
                sum(f.size for f in files) / 1e6, len(shards), run_id)
    cfg = config.__dict__.copy()
    phases = {"plan": time.perf_counter() - started}
    with dataset.Staging(out, run_id) as staging:
        staged = staging.drop_dir(drop)
        plan, records = staging.root / "plan.json", staging.root / "shards"
        records.mkdir()
        for i, shard in enumerate(shards):
            (records / f"shard-{i:05d}.files.json").write_text(json.dumps(shard))
        plan.write_text(json.dumps({"drop_dir": str(drop_dir), "shards": len(shards),
                                    "records": str(records)}))
        if dask_address:
            from prefect_dask import DaskTaskRunner

            runner = clean_shards.with_options(task_runner=DaskTaskRunner(address=dask_address))
            results = runner(str(plan), str(staged), run_id, drop, cfg, 0)
        else:
            results = submit_shards(str(plan), str(staged), run_id, drop, cfg, workers)
        clean_seconds = time.perf_counter() - started
        phases["shards"] = clean_seconds - phases["plan"]
        ledger, rejects = dataset.read_record_tables(
            [records / f"shard-{i:05d}" for i in range(len(shards))])
        replaced = {f.path for f in files} if incremental else None
        commit = dataset.commit_drop(out, drop, staged, replaced=replaced, rejects=rejects,
                                     ledger=ledger)
    phases["commit"] = time.perf_counter() - started - clean_seconds
    summary = reporting.summarize(results, rejects.to_pylist(), run_id=run_id, drop=drop, drop_dir=str(drop_dir),
                                  out=str(out), shards=len(shards), workers=workers,
                                  dask_address=dask_address, incremental=incremental,
                                  seconds=time.perf_counter() - started,
                                  clean_seconds=clean_seconds, commit=commit, config=cfg,
                                  phases=phases,
                                  started_unix=started_unix,
                                  finished_at=dt.datetime.now(dt.timezone.utc).isoformat())
    dataset.write_run_summary(out, summary)  # first, so the report lists this run
    t = time.perf_counter()
    summary["report"] = str(write_report(out))
    phases["report"] = time.perf_counter() - t
    summary["seconds"] = time.perf_counter() - started
    summary["finished_unix"] = time.time()
    summary["mb_per_s"] = summary["bytes_in"] / 1e6 / summary["seconds"]
    summary["docs_per_s"] = summary["documents"] / summary["seconds"]
    dataset.write_run_summary(out, summary)
    reporting.publish(summary)
    return summary


def config_overrides(text_field: str, max_boilerplate_share: float | None,
                     mt_threshold: float | None, shard_mb: float | None) -> dict:
    """Flow parameters to Config fields; None keeps the library default."""
    out = {"text_field": text_field, "max_boilerplate_share": max_boilerplate_share,
           "mt_threshold": mt_threshold,
           "shard_bytes": None if shard_mb is None else max(1, int(shard_mb * 1024 * 1024))}
    return {k: v for k, v in out.items() if v is not None}


@flow(name="clean-drop", log_prints=True, task_runner=SHARD_TASK_RUNNER)
def clean_drop(drop: str, out: str = "clean", text_field: str = "text", workers: int | None = None,
               dask_address: str | None = None, max_boilerplate_share: float | None = None,
               mt_threshold: float | None = None, shard_mb: float | None = None) -> dict:
    """Clean one drop folder into OUT/drop=<name>/, replacing what an earlier run of it wrote.

    workers: local worker processes (default: every core); dask_address: run shards on an
    existing Dask cluster (tcp://host:port) instead."""
    overrides = config_overrides(text_field, max_boilerplate_share, mt_threshold, shard_mb)
    drop_dir = Path(drop)
    if not drop_dir.is_dir():
        raise FileNotFoundError(f"drop folder not found: {drop}")
    return run_drop(drop_dir, Path(out), config=Config(**overrides), workers=workers,
                    dask_address=dask_address)
