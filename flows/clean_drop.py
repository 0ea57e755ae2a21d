"""The `clean-drop` flow: one drop folder in, one committed partition of the dataset out."""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline.report import write_report
from pipeline import furniture
from pipeline.shard import clean_listed_shard, count_listed_shard, write_part
from pipeline.storage import commit, duplicates, layout, ledger, planning, runs, staging

from flows import console, reporting, startup
from flows.executor import default_workers, run_in_pool, wait_ready
from flows.params import config_from, with_options


@task(name="clean-shard", retries=2, retry_delay_seconds=1)
def clean_shard_task(drop_dir: str, files_path: str, record_prefix: str, run_id: str, drop: str,
                     config: dict, index: int, n_shards: int, workers: int) -> dict:
    """Wave 1: clean one shard of files (pipeline.shard.clean_listed_shard). Locally the work
    runs in the process pool; on a Dask cluster (workers == 0) it runs right here, in the Dask
    worker.

    The shard's file list is a file in the run's staging folder, and what it writes (its
    spilled batches, duplicate-index rows, ledger entries and rejects) goes to files beside it:
    the task's parameters and result stay small, so Prefect never walks, stores or ships bulk
    data."""
    args = (drop_dir, files_path, record_prefix, run_id, drop, config)
    result = run_in_pool(workers, clean_listed_shard, *args) if workers > 0 else clean_listed_shard(*args)
    s = result["stats"]
    get_run_logger().info(
        "shard %d (of %d): %d files, %d documents, %d rejects, %.1f MB in %.2fs",
        index + 1, n_shards, s["files"], s["documents"], s["rejects"], s["bytes_in"] / 1e6,
        s["seconds"])
    return result


@task(name="count-lines", retries=2, retry_delay_seconds=1)
def count_lines_task(drop_dir: str, files_path: str, record_prefix: str, config: dict,
                     workers: int) -> dict:
    """Wave 0, when the run's furniture_min_docs is on: the line keys of one shard's documents
    (pipeline/furniture.py), written beside its records."""
    args = (drop_dir, files_path, record_prefix, config)
    return run_in_pool(workers, count_listed_shard, *args) if workers > 0 else count_listed_shard(*args)


@task(name="write-part", retries=2, retry_delay_seconds=1)
def write_part_task(record_prefix: str, part_path: str, run_id: str, drop: str, config: dict,
                    workers: int) -> dict:
    """Wave 2: a cleaned shard's spill and its duplicate flags as its Parquet part."""
    args = (f"{record_prefix}.spill", f"{record_prefix}.flags.pq", part_path, run_id, drop, config)
    return run_in_pool(workers, write_part, *args) if workers > 0 else write_part(*args)


def submit_shards(plan: str, staged: str, run_id: str, drop: str, config: dict,
                  workers: int, wave: str = "clean", cleaned=None) -> list[dict]:
    """Submit one task per shard of the plan to the current flow's task runner and gather their
    results (in shard order): wave "lines" counts every shard's lines (the furniture pre-pass,
    when the run has it on), wave "clean" cleans every shard, wave "write" writes the part of
    every shard that has rows. Runs inside a flow: clean-drop's own (local worker pool) or the
    clean-shards subflow (Dask). `cleaned(i)`: called for shard i once it and every shard before
    it are cleaned (the duplicate matching takes them in that order).

    The plan (drop folder, shard count, where each shard's file list and records are) is a JSON
    file in the run's staging folder rather than a parameter: flow parameters are stored by the
    API, which caps them at 512 KB."""
    spec = json.loads(Path(plan).read_text())
    drop_dir, n, records = spec["drop_dir"], spec["shards"], Path(spec["records"])
    if wave == "lines":
        futures = [count_lines_task.submit(drop_dir, str(records / f"shard-{i:05d}.files.json"),
                                           str(records / f"shard-{i:05d}"), config, workers)
                   for i in range(n)]
        return [f.result() for f in futures]
    if wave == "write":
        futures = [write_part_task.submit(str(records / f"shard-{i:05d}"),
                                          str(Path(staged) / layout.staged_part_name(run_id, i)),
                                          run_id, drop, config, workers)
                   for i in range(n) if (records / f"shard-{i:05d}.spill").exists()]
        return [f.result() for f in futures]
    tracker = reporting.Progress(n, f"clean-drop {drop}")
    futures = [
        clean_shard_task.submit(drop_dir, str(records / f"shard-{i:05d}.files.json"),
                                str(records / f"shard-{i:05d}"), run_id, drop, config, i, n, workers)
        for i in range(n)
    ]
    index = {fut.task_run_id: i for i, fut in enumerate(futures)}
    results: list[dict | None] = [None] * n
    in_order = 0
    for done, fut in enumerate(as_completed(futures), 1):  # as they finish, for the progress
        results[index[fut.task_run_id]] = fut.result()
        tracker.step()
        console.say(f"shards {done}/{n} done ({drop})")
        while cleaned is not None and in_order < n and results[in_order] is not None:
            cleaned(in_order)
            in_order += 1
    return results


@flow(name="clean-shards")
def clean_shards(plan: str, staged: str, run_id: str, drop: str, config: dict,
                 workers: int, wave: str = "clean") -> list[dict]:
    """The shard tasks of a run on a Dask cluster (either wave): a subflow, so that it can have
    its own task runner (DaskTaskRunner, chosen at run time from the dask_address parameter).
    Local runs submit their shard tasks from clean-drop itself: a subflow costs Prefect
    bookkeeping (run creation, heartbeat thread, completion)."""
    return submit_shards(plan, staged, run_id, drop, config, workers, wave)


# Shard tasks are threads of the flow's process; each hands its shard to the local worker pool
# (flows.executor) and waits. More threads than workers keep the pool's queue full.
SHARD_TASK_RUNNER = ThreadPoolTaskRunner(max_workers=8)


def run_drop(drop_dir: Path, out: Path, config, *, files: list[planning.SourceFile] | None = None,
             incremental: bool = False, deleted: list[dict] = (), dask_address: str | None = None,
             run_id: str | None = None) -> dict:
    """Clean (some of) a drop's files and commit them. Must run inside a flow.

    incremental: `files` are the drop's new and changed files; `deleted` the ledger entries of
    files gone from the drop, whose rows the same commit removes."""
    logger = get_run_logger()
    workers = config.workers
    started, started_unix = time.perf_counter(), time.time()
    drop = Path(drop_dir).name
    bad_name = layout.drop_name_problem(drop)
    if bad_name:
        raise ValueError(bad_name)
    drop_dir, out = Path(drop_dir).resolve(), Path(out).resolve()
    run_id = run_id or runs.new_run_id()
    swept = staging.sweep_staging(out)
    if swept:
        logger.info("removed staging left by %d interrupted run(s)", len(swept))
    if files is None:
        # The CLI lists the drop while Prefect's temporary API boots (flows.startup).
        files = startup.take_listing(drop_dir)
        if files is not None:
            logger.info("drop listed while the Prefect API started (%d files)", len(files))
        else:
            files = planning.discover(drop_dir)
    problems = [f for f in files if f.problem is not None]  # never opened: recorded as rejects
    readable = [f for f in files if f.problem is None]
    for f in problems:
        logger.warning("not read: %s (%s: %s)", f.path, f.problem, f.detail)
    workers = default_workers() if workers is None else workers
    furniture_docs = furniture.min_docs(config)
    shard_bytes = max(1, int(config.shard_mb * 1024 * 1024))
    shards = planning.make_shards(readable, shard_bytes, config.max_shards,
                                  min_shards=max(1, workers) * 2,
                                  weights=planning.estimate_work(drop_dir, readable),
                                  workers=max(1, workers))
    logger.info("drop %s: %d files, %.1f MB, %d shards, run %s", drop, len(files),
                sum(f.size for f in files) / 1e6, len(shards), run_id)
    cfg = config.to_dict()
    mark = time.perf_counter()
    phases = {"plan": mark - started}
    if not dask_address and workers > 0:
        # The worker processes start (or finish warming up) here, as a phase of their own: a
        # CLI run started them while Prefect's API booted, a served run starts them now, and
        # the shard phase then measures the same work in both.
        console.doing(f"starting {workers} worker process(es)", announce=False)
        wait_ready(workers)
        phases["workers"] = time.perf_counter() - mark
        mark = time.perf_counter()
    console.doing(f"cleaning {len(shards)} shard(s)", announce=False)
    with staging.Staging(out, run_id) as stage:
        staged = stage.drop_dir(drop)
        plan, records = stage.root / "plan.json", stage.root / "shards"
        records.mkdir()
        for i, shard in enumerate(shards):
            (records / f"shard-{i:05d}.files.json").write_text(json.dumps(shard))
        n_shards = len(shards)
        plan.write_text(json.dumps({"drop_dir": str(drop_dir), "shards": n_shards,
                                    "records": str(records)}))
        # The listing now lives in the shard files; a whole-drop run needs it no more (a drop of
        # 400k files holds over 100 MB of it), an incremental run keeps the paths it replaces.
        processed = {f.path for f in files} if incremental else set()
        del shards, readable, files
        if dask_address:
            from prefect_dask import DaskTaskRunner

            runner = clean_shards.with_options(task_runner=DaskTaskRunner(address=dask_address))

            def wave(name):
                return runner(str(plan), str(staged), run_id, drop, cfg, 0, name)
        else:
            def wave(name, cleaned=None):
                return submit_shards(str(plan), str(staged), run_id, drop, cfg, workers, name,
                                     cleaned)
        prefixes = [records / f"shard-{i:05d}" for i in range(n_shards)]
        if furniture_docs and n_shards:
            console.doing("counting lines that recur across the drop", announce=False)
            t = time.perf_counter()
            wave("lines")
            common = furniture.merge([f"{p}.lines.npz" for p in prefixes], furniture_docs,
                                     str(layout.furniture_path(prefixes[0])))
            phases["furniture"] = time.perf_counter() - t
            logger.info("%d line(s) recur in %d or more documents of the drop: removed as "
                        "repeated_in_drop", len(common), furniture_docs)
            console.doing(f"cleaning {n_shards} shard(s)", announce=False)
            mark = time.perf_counter()
        carried = (duplicates.carried_index(out, drop, processed | {d["path"] for d in deleted})
                   if incremental else None)
        # duplicates: the drop against itself and every committed drop before it. A local
        # whole-drop run matches each shard while the later ones are cleaned (RunMatcher).
        matcher = (duplicates.RunMatcher(out, drop) if not dask_address and carried is None
                   else None)
        try:
            results = (wave("clean", lambda i: matcher.put(prefixes[i])) if matcher is not None
                       else wave("clean"))
        except BaseException:
            if matcher is not None:
                matcher.abandon()
            raise
        phases["shards"] = time.perf_counter() - mark
        led, rejects = ledger.record_tables(prefixes)
        console.doing("matching duplicates", announce=False)
        t = time.perf_counter()
        dup = (matcher.finish() if matcher is not None
               else duplicates.match_run(out, drop, prefixes, carried))
        phases["duplicates"] = time.perf_counter() - t
        console.doing("writing the parts", announce=False)
        t = time.perf_counter()
        wave("write")
        phases["write"] = time.perf_counter() - t
        mark = time.perf_counter()
        console.doing("committing the drop", announce=False)
        p_led, p_rej = ledger.problem_tables(drop, run_id, problems)
        led, rejects = led.with_table(p_led), pa.concat_tables([rejects, p_rej])
        gone = [d["path"] for d in deleted]
        replaced = processed | set(gone) if incremental else None
        committed = commit.commit_drop(
            out, drop, staged, replaced=replaced, rejects=rejects, ledger=led,
            allow_empty=config.allow_empty, carried_flags=dup["carried_flags"],
            before_swap=lambda part_dir: duplicates.write_drop_index(
                part_dir, prefixes, dup["earlier_ids"], carried, dup["carried_flags"]))
        committed["removed_files"] = gone
        committed["duplicates"] = duplicates.run_summary(out, drop, dup["stats"])
        committed["moved_files"] = ledger.moves(deleted, led)
    phases["commit"] = time.perf_counter() - mark
    # `seconds`: the run from its start to its commit, written once, so the run summary, the
    # console and every report show the same figure; the report's own time is phases["report"].
    clean_seconds = (phases.get("furniture", 0.0) + phases["shards"] + phases["duplicates"]
                     + phases["write"])
    summary = reporting.summarize(results, rejects, unread=len(problems), run_id=run_id, drop=drop, drop_dir=str(drop_dir),
                                  out=str(out), shards=n_shards, workers=workers,
                                  dask_address=dask_address, incremental=incremental,
                                  seconds=time.perf_counter() - started,
                                  clean_seconds=clean_seconds, commit=committed, config=cfg,
                                  phases=phases,
                                  started_unix=started_unix,
                                  finished_at=dt.datetime.now(dt.timezone.utc).isoformat())
    runs.write_run_summary(out, summary)  # first, so the report lists this run
    console.doing("writing the report", announce=False)
    t = time.perf_counter()
    summary["report"] = str(write_report(out))
    phases["report"] = time.perf_counter() - t
    summary["finished_unix"] = time.time()
    runs.write_run_summary(out, summary)
    console.doing(None)
    reporting.publish(summary)
    return summary


@flow(name="clean-drop", log_prints=True, task_runner=SHARD_TASK_RUNNER)
@with_options
def clean_drop(drop: str, out: str = "clean", dask_address: str | None = None, **options) -> dict:
    """Clean one drop folder into OUT/drop=<name>/, replacing what an earlier run of it wrote.

    dask_address: run shards on an existing Dask cluster (tcp://host:port) instead of local
    worker processes."""
    config = config_from(options)
    drop_dir = Path(drop)
    if not drop_dir.is_dir():
        raise FileNotFoundError(f"drop folder not found: {drop}")
    return run_drop(drop_dir, Path(out), config, dask_address=dask_address)
