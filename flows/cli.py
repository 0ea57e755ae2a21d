"""`corpus-clean`: the command line.

    corpus-clean run DROP [--out DIR]      clean one drop (flow clean-drop)
    corpus-clean new RAW_ROOT [--out DIR]  clean every new or changed file under RAW_ROOT (flow clean-new-drops)
    corpus-clean serve [--raw-root R]      serve both flows as deployments from this process
    corpus-clean report DIR                render the HTML report of an output dataset
    corpus-clean show DOC_ID [--out DIR]   one document's raw and clean text, with every change marked

Flows run on Prefect's embedded default (a local ephemeral API) unless PREFECT_API_URL points at a
server. The cleaning options of `run` and `new` are generated from pipeline.core.OPTIONS.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import startup


def _exposed():
    from pipeline.core import OPTIONS

    return [o for o in OPTIONS if o.exposed]


def _add_clean_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="clean", help="output dataset folder (default: clean/)")
    for o in _exposed():
        # a None default is decided at run time: the option's help says how
        help_text = o.help if o.default is None else f"{o.help} (default: {o.default!r})"
        if o.type is bool:
            p.add_argument(o.flag, dest=o.name, action=argparse.BooleanOptionalAction, default=None,
                           help=help_text)
        else:
            p.add_argument(o.flag, dest=o.name, type=o.type, default=None, help=help_text)


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

    api = sub.add_parser("api", help="the local Prefect API that run/new start and reuse",
                         description="`run` and `new` start a local Prefect API server when no "
                                     "PREFECT_API_URL is configured, and reuse it until it has been "
                                     "idle for CORPUS_CLEAN_API_IDLE_SECONDS (default 600).")
    api.add_argument("action", choices=["status", "stop"])

    show = sub.add_parser("show", help="print one document's raw and clean text with its changes",
                          description="Audit one document: raw and clean text side by side, repairs, "
                                      "removed lines and MT flags marked.")
    show.add_argument("doc_id", help="the document's doc_id (a unique prefix is enough)")
    show.add_argument("--out", default="clean", help="output dataset folder (default: clean/)")
    show.add_argument("--width", type=int, default=None, help="terminal width (default: detected)")
    return parser


def option_values(args) -> dict:
    """The cleaning options given on the command line (the flows' defaults fill the rest)."""
    return {o.name: getattr(args, o.name) for o in _exposed() if getattr(args, o.name) is not None}


def _print_summary(summaries: list[dict], out: str) -> int:
    from pipeline.runsummary import step_totals

    docs = sum(s["documents"] for s in summaries)
    rejects = sum(s["rejects"] for s in summaries)
    files = sum(s["files"] for s in summaries)
    secs = sum(s["seconds"] for s in summaries)
    for s in summaries:
        totals = ", ".join(f"{label} {n}" for label, n in step_totals(s))
        print(f"drop {s['drop']}: {s['files']} files, {s['documents']} documents, "
              f"{s['rejects']} rejects, {s['seconds']:.1f}s ({s['mb_per_s']:.2f} MB/s); {totals}")
    print(f"total: {files} files, {docs} documents, {rejects} rejects in {secs:.1f}s")
    print(f"data: {Path(out).resolve()}/drop=*/  (read with hive partitioning; see docs/schema.md)")
    if rejects:
        print(f"WARNING: {rejects} input(s) were REJECTED and quarantined in "
              f"{Path(out).resolve()}/_rejects/ with their reasons.", file=sys.stderr)
    return 0


def _run_flow(args, api, after_imports) -> int:
    """`run` and `new`: import the flows, then run one against the API."""
    options = option_values(args)
    if args.command == "run":
        from .clean_drop import clean_drop

        if startup.booting(api):  # while the API boots: the flow process's one-time costs
            startup.warm_flow_process()
        after_imports()
        if startup.booting(api):  # ... and the listing of the drop
            startup.start_listing(args.drop)
        with startup.api_context(api):
            state = clean_drop(drop=args.drop, out=args.out, dask_address=args.dask_address,
                               return_state=True, **options)
        if not state.is_completed():
            print(f"run failed: {state.message}", file=sys.stderr)
            return 1
        return _print_summary([state.result()], args.out)
    from .new_drops import clean_new_drops

    after_imports()
    with startup.api_context(api):
        state = clean_new_drops(raw_root=args.raw_root, out=args.out, return_state=True, **options)
    if not state.is_completed():
        print(f"run failed: {state.message}", file=sys.stderr)
        return 1
    summaries = state.result()
    if not summaries:
        print("nothing new: every file is in the ledger and unchanged")
        return 0
    return _print_summary(summaries, args.out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # No telemetry from the temporary API server: runs are offline, and its telemetry service
    # only logs a failed DNS lookup (and races the first run for the new SQLite database).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The temporary API boots before anything else is imported (see flows/startup.py).
    api = startup.start_api_early() if startup.wants_flow(argv) else None
    try:
        args = build_parser().parse_args(argv)
        if args.command in ("run", "new"):
            local_pool = getattr(args, "dask_address", None) is None
            after_imports = startup.pool_starter(args.workers, api) if local_pool else (lambda: None)
            return _run_flow(args, api, after_imports)
    finally:  # whatever failed, a temporary API started above does not outlive the CLI
        if api is not None:
            api.stop()
    if args.command == "serve":
        from .serve import serve

        serve(raw_root=args.raw_root, out=args.out, cron=args.cron)
        return 0
    if args.command == "report":
        from pipeline.report import write_report

        path = write_report(Path(args.out), Path(args.html) if args.html else None)
        print(f"report: {path}")
        return 0
    if args.command == "api":
        from . import localapi

        state = localapi.read_state() if args.action == "status" else localapi.stop_running()
        if state is None:
            print(f"no local Prefect API is running for PREFECT_HOME={localapi.prefect_home()}")
        else:
            verb = "running" if args.action == "status" else "stopped"
            print(f"local Prefect API {verb}: {state['url']} (pid {state['pid']}, stops after "
                  f"{state['idle_seconds']}s idle)")
        return 0
    if args.command == "show":
        from pipeline.audit import show_document

        return show_document(Path(args.out), args.doc_id, width=args.width)
    return 2


if __name__ == "__main__":
    sys.exit(main())
