"""`corpus-clean`: the command line.

    corpus-clean run DROP [--out DIR]      clean one drop (flow clean-drop)
    corpus-clean new RAW_ROOT [--out DIR]  clean every new or changed file under RAW_ROOT (flow clean-new-drops)
    corpus-clean serve [--raw-root R]      serve both flows as deployments from this process
    corpus-clean report DIR                render the HTML report of an output dataset
    corpus-clean show DOC_ID [--out DIR]   one document's raw and clean text, with every change marked

Flows run on Prefect's embedded default (a local ephemeral API) unless PREFECT_API_URL points at a
server.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path


def _add_clean_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="clean", help="output dataset folder (default: clean/)")
    p.add_argument("--text-field", default="text",
                   help="JSONL field / CSV or Parquet column holding the article (default: text)")
    p.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: one per core)")
    p.add_argument("--max-boilerplate-share", type=float, default=None,
                   help="flag documents losing more than this share of words to boilerplate (default 0.5)")
    p.add_argument("--mt-threshold", type=float, default=None,
                   help="mt_score at or above which a document is mt_suspect")
    p.add_argument("--shard-mb", type=float, default=None,
                   help="target input MB per shard, i.e. per Prefect task (default 16)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpus-clean",
        description="Clean drops of raw news articles into normalized, auditable Parquet.",
        epilog="Runs use Prefect's local ephemeral API unless PREFECT_API_URL is set.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="clean one drop folder (flow clean-drop)",
                         description="Clean one drop folder into OUT/drop=<folder name>/. A rerun of "
                                     "the same drop replaces its partition.")
    run.add_argument("drop", help="the drop folder, e.g. raw/sample-2020-01-09")
    _add_clean_options(run)
    run.add_argument("--dask-address", default=None,
                     help="run shards on an existing Dask cluster (tcp://HOST:PORT); needs a "
                          "Prefect server (PREFECT_API_URL), see README")

    new = sub.add_parser("new", help="clean new or changed files of every drop (flow clean-new-drops)",
                         description="Find drops (folders) under RAW_ROOT and clean the files that the "
                                     "ledger has not seen or that changed since; unchanged files are skipped.")
    new.add_argument("raw_root", help="folder whose sub-folders are drops, e.g. raw/")
    _add_clean_options(new)

    serve = sub.add_parser("serve", help="serve clean-drop and clean-new-drops as deployments (flow.serve)",
                           description="Serve both flows from this process: clean-new-drops on a cron "
                                       "schedule and clean-drop for one-off runs "
                                       "(prefect deployment run 'clean-drop/clean-drop' --param drop=...).")
    serve.add_argument("--raw-root", default="raw", help="raw root for scheduled runs (default: raw/)")
    serve.add_argument("--out", default="clean", help="output dataset folder (default: clean/)")
    serve.add_argument("--cron", default="0 * * * *",
                       help="schedule of clean-new-drops (default: hourly, '0 * * * *')")

    rep = sub.add_parser("report", help="render the HTML report of an output dataset",
                         description="Write OUT/_reports/report.html from the dataset and its run summaries.")
    rep.add_argument("out", nargs="?", default="clean", help="output dataset folder (default: clean/)")
    rep.add_argument("--html", default=None, help="where to write the report (default: OUT/_reports/report.html)")

    show = sub.add_parser("show", help="print one document's raw and clean text with its changes",
                          description="Audit one document: raw and clean text side by side, repairs, "
                                      "removed lines and MT flags marked.")
    show.add_argument("doc_id", help="the document's doc_id (a unique prefix is enough)")
    show.add_argument("--out", default="clean", help="output dataset folder (default: clean/)")
    show.add_argument("--width", type=int, default=None, help="terminal width (default: detected)")
    return parser


def _overrides(args) -> dict:
    return {"text_field": args.text_field, "workers": args.workers,
            "max_boilerplate_share": args.max_boilerplate_share, "mt_threshold": args.mt_threshold,
            "shard_mb": args.shard_mb}


def _print_summary(summaries: list[dict], out: str) -> int:
    docs = sum(s["documents"] for s in summaries)
    rejects = sum(s["rejects"] for s in summaries)
    files = sum(s["files"] for s in summaries)
    secs = sum(s["seconds"] for s in summaries)
    for s in summaries:
        print(f"drop {s['drop']}: {s['files']} files, {s['documents']} documents, "
              f"{s['rejects']} rejects, {s['mt_suspects']} MT suspects, {s['seconds']:.1f}s "
              f"({s['mb_per_s']:.2f} MB/s)")
    print(f"total: {files} files, {docs} documents, {rejects} rejects in {secs:.1f}s")
    print(f"data: {Path(out).resolve()}/drop=*/  (read with hive partitioning; see docs/schema.md)")
    if rejects:
        print(f"WARNING: {rejects} input(s) were REJECTED and quarantined in "
              f"{Path(out).resolve()}/_rejects/ with their reasons.", file=sys.stderr)
    return 0


def _start_early(workers: int | None, local_pool: bool):
    """Overlap the one-time startup costs of a run with this process's imports: Prefect's
    temporary API server (unless PREFECT_API_URL is set) boots, and the worker processes spawn and
    warm up. Returns (the TemporaryAPI or None, a function to call once the flows are imported).

    With a temporary API to boot (~4 CPU-s, the longest start-up step), the workers start after
    the imports instead, so that the server, the imports and the workers' warm-up do not share
    two cores three ways: the pool is still warm before the flow's first shard."""
    from .tempapi import start_speculatively

    try:
        api = start_speculatively()
    except OSError as exc:  # the flow then starts Prefect's own temporary server
        print(f"note: could not start the temporary Prefect API early ({exc})", file=sys.stderr)
        api = None
    if not local_pool:
        return api, lambda: None

    def start_pool() -> None:
        import threading

        from .executor import default_workers, prestart

        # In a thread: starting the first worker waits for the fork server to load the library
        # (~1 s).
        threading.Thread(target=prestart, args=(workers or default_workers(),), daemon=True,
                         name="worker-pool-start").start()

    if api is None:  # a running server: nothing boots beside the imports
        start_pool()
        return api, lambda: None
    return api, start_pool


@contextlib.contextmanager
def _api_context(api):
    """Run the flow against the early-started temporary API, if Prefect wants one; stop it after."""
    from .tempapi import needed

    if api is not None and not needed():  # an API URL from the profile or a settings file
        api.stop()
        api = None
    if api is None:
        yield
        return
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    try:
        url = api.wait()
        _mark("api_ready")
    except RuntimeError as exc:  # fall back to Prefect's own temporary server
        print(f"note: early start of the temporary Prefect API failed ({exc}); "
              "Prefect starts its own", file=sys.stderr)
        api.stop()
        yield
        return
    try:
        # No flow-run heartbeats to a server that lives and dies with this process: they exist
        # so that a long-lived server can tell a crashed run, and the engine waits up to 1 s for
        # the heartbeat thread at the end of every flow run.
        with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            try:
                yield
            finally:  # deliver queued logs and events while the server still listens
                from prefect.events.worker import EventsWorker
                from prefect.logging.handlers import APILogWorker

                APILogWorker.drain_all(timeout=10)
                EventsWorker.drain_all(timeout=10)
    finally:
        api.stop()


# Wall-clock marks of a run (unix seconds), written as JSON to $CORPUS_CLEAN_TIMINGS when set:
# the benchmark splits the CLI's wall time into Prefect's part and ours with them.
TIMINGS: dict[str, float] = {}


def _mark(name: str) -> None:
    TIMINGS[name] = time.time()


def _process_start() -> float | None:
    """When this process started (Linux: /proc), so interpreter start-up is counted too."""
    try:
        with open("/proc/self/stat") as fh:
            ticks = int(fh.read().rpartition(")")[2].split()[19])
        with open("/proc/stat") as fh:
            btime = next(int(line.split()[1]) for line in fh if line.startswith("btime"))
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, StopIteration):
        return None


def _write_timings() -> None:
    path = os.environ.get("CORPUS_CLEAN_TIMINGS")
    if path:
        _mark("main_returned")
        Path(path).write_text(json.dumps(TIMINGS, indent=1))


def _warm_flow_process() -> None:
    """Pay, while the temporary API boots, what the flow run would otherwise pay on its critical
    path the first time: modules Prefect imports when a flow first runs (its engines, fastapi's
    encoders: ~0.15 s) and pyarrow's first conversion of Python objects, which imports pandas
    (~0.2 s, at commit), and pyarrow's query engine (the report's group-by). In this thread,
    before any other thread of the CLI imports anything. Missing modules (another Prefect version)
    are skipped: they would only cost the time."""
    import importlib

    import pyarrow as pa

    for name in ("fastapi.encoders", "prefect.flow_engine", "prefect.task_engine",
                 "prefect.utilities.visualization", "pyarrow.acero"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    pa.array(["warm-up"], pa.string())


def _run_flow(args, early, after_imports) -> int:
    """`run` and `new`: import the flows, then run one against the API."""
    _mark("prefect_import_start")
    import prefect  # noqa: F401  (timed on its own: Prefect's share of start-up)

    _mark("prefect_imported")
    if args.command == "run":
        from .clean_drop import clean_drop

        _mark("flows_imported")
        if early is not None:  # while the temporary API boots: the flow process's one-time costs
            _warm_flow_process()
        after_imports()
        if early is not None:  # ... and the listing of the drop
            from . import prelisting

            prelisting.start(args.drop)
        with _api_context(early):
            _mark("flow_called")
            state = clean_drop(drop=args.drop, out=args.out, dask_address=args.dask_address,
                               return_state=True, **_overrides(args))
            _mark("flow_returned")
        _mark("api_stopped")
        if not state.is_completed():
            print(f"run failed: {state.message}", file=sys.stderr)
            return 1
        return _print_summary([state.result()], args.out)
    from .new_drops import clean_new_drops

    _mark("flows_imported")
    after_imports()
    with _api_context(early):
        state = clean_new_drops(raw_root=args.raw_root, out=args.out, return_state=True,
                                **_overrides(args))
    if not state.is_completed():
        print(f"run failed: {state.message}", file=sys.stderr)
        return 1
    summaries = state.result()
    if not summaries:
        print("nothing new: every file is in the ledger and unchanged")
        return 0
    return _print_summary(summaries, args.out)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        _write_timings()


def _main(argv: list[str] | None = None) -> int:
    TIMINGS.clear()
    if (start := _process_start()) is not None:
        TIMINGS["process_start"] = start
    _mark("main_entered")
    args = build_parser().parse_args(argv)
    # No telemetry from the temporary API server: runs are offline, and its telemetry service
    # only logs a failed DNS lookup (and races the first run for the new SQLite database).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if args.command in ("run", "new"):
        early, after_imports = _start_early(args.workers, getattr(args, "dask_address", None) is None)
        try:
            return _run_flow(args, early, after_imports)
        finally:  # whatever failed, a temporary API started above does not outlive the CLI
            if early is not None:
                early.stop()
    if args.command == "serve":
        from .serve import serve

        serve(raw_root=args.raw_root, out=args.out, cron=args.cron)
        return 0
    if args.command == "report":
        from pipeline.report import write_report

        path = write_report(Path(args.out), Path(args.html) if args.html else None)
        print(f"report: {path}")
        return 0
    if args.command == "show":
        from pipeline.audit import show_document

        return show_document(Path(args.out), args.doc_id, width=args.width)
    return 2


if __name__ == "__main__":
    sys.exit(main())
