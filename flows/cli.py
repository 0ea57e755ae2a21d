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
import time
from pathlib import Path

from . import console, startup
from .console import Console


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
            p.add_argument(o.flag, dest=o.name, type=_checked(o), default=None, help=help_text)


def _checked(option):
    """argparse's type for `option`: its type, then its check (a refused value is a usage error
    naming the option, before anything starts)."""
    def convert(text: str):
        value = option.type(text)  # a ValueError here: argparse's "invalid int value: 'x'"
        try:
            return option.check(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = option.type.__name__  # argparse names the type in its message
    return convert


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
                                       "(prefect deployment run 'clean-drop/served' --param drop=...). "
                                       "prefect.yaml's work-pool deployments are named "
                                       "'work-pool', so both can share a server.")
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


def _reasons(counts: dict) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _print_summary(summaries: list[dict], out: str, wall: float | None = None) -> int:
    from collections import Counter

    from pipeline.runsummary import step_totals

    from .console import seconds

    docs = sum(s["documents"] for s in summaries)
    rejects = sum(s["rejects"] for s in summaries)
    files = sum(s["files"] for s in summaries)
    cleaning = sum(s.get("clean_seconds") or s.get("phases", {}).get("shards", s["seconds"])
                   for s in summaries)
    reasons = Counter()
    for s in summaries:
        reasons.update(s.get("reject_reasons", {}))
        totals = ", ".join(f"{label} {n}" for label, n in step_totals(s))
        dup = s.get("commit", {}).get("duplicates")
        if dup:
            totals += (f"; {dup['duplicates']} duplicate documents ({dup['exact']} exact, "
                       f"{dup['near']} near) in this run")
        why = f" ({_reasons(s.get('reject_reasons', {}))})" if s["rejects"] else ""
        print(f"drop {s['drop']}: {s['files']} files, {s['documents']} documents, "
              f"{s['rejects']} rejects{why}, {s['seconds']:.1f}s ({s['mb_per_s']:.2f} MB/s); {totals}")
    timing = f"cleaning {seconds(cleaning)}"
    if wall is not None:
        timing = f"{seconds(wall)} wall time since the command started ({timing})"
    print(f"total: {files} files, {docs} documents, {rejects} rejects; {timing}")
    print(f"data: {Path(out).resolve()}/drop=*/  (read with hive partitioning; see docs/schema.md)")
    if rejects:
        print(f"WARNING: {rejects} input(s) were REJECTED ({_reasons(reasons)}) and quarantined in "
              f"{Path(out).resolve()}/_rejects/ with their reasons.", file=sys.stderr)
    emptied = sum(s.get("steps", {}).get("empty", {}).get("empty", 0) for s in summaries)
    if emptied:
        print(f"NOTE: {emptied} document(s) have no text left after cleaning (all boilerplate); "
              "their rows are kept, flagged empty_after_cleaning.", file=sys.stderr)
    return 0


def folder_problem(path: str, what: str) -> str | None:
    """Why `path` cannot be read as a folder, in one line (None when it can)."""
    p = Path(path)
    if not p.exists():
        return f"{what} not found: {path}"
    if not p.is_dir():
        return f"{what} must be a folder, not a file: {path}"
    try:
        with os.scandir(p) as entries:
            next(entries, None)
    except OSError as exc:
        return f"cannot read {what} {path}: {exc.strerror or exc}"
    return None


def _run_flow(args, api, after_imports, con) -> int:
    """`run` and `new`: import the flows, then run one against the API."""
    options = option_values(args)
    con.doing("loading Prefect and the pipeline", announce=False)
    if args.command == "run":
        from .clean_drop import clean_drop

        if startup.booting(api):  # while the API boots: the flow process's one-time costs
            startup.warm_flow_process()
        after_imports()
        if startup.booting(api):  # ... and the listing of the drop
            startup.start_listing(args.drop)
        with startup.api_context(api):
            con.doing("starting the flow run", announce=False)
            state = clean_drop(drop=args.drop, out=args.out, dask_address=args.dask_address,
                               return_state=True, **options)
        con.doing(None)
        if not state.is_completed():
            print(f"run failed: {state.message}", file=sys.stderr)
            return 1
        return _print_summary([state.result()], args.out, con.elapsed())
    from .new_drops import clean_new_drops

    after_imports()
    with startup.api_context(api):
        con.doing("starting the flow run", announce=False)
        state = clean_new_drops(raw_root=args.raw_root, out=args.out, return_state=True, **options)
    con.doing(None)
    if not state.is_completed():
        print(f"run failed: {state.message}", file=sys.stderr)
        return 1
    summaries = state.result()
    if not summaries:
        print(f"nothing new: every file is in the ledger and unchanged "
              f"({con.elapsed():.1f}s wall time since the command started)")
        return 0
    return _print_summary(summaries, args.out, con.elapsed())


def _report(args) -> int:
    from pipeline.report import write_report

    out = Path(args.out)
    if not out.is_dir():
        print(f"corpus-clean: error: no dataset folder at {args.out}", file=sys.stderr)
        return 2
    path = write_report(out, Path(args.html) if args.html else None)
    print(f"report: {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()  # wall time is counted from here
    argv = sys.argv[1:] if argv is None else list(argv)
    # No telemetry from the temporary API server: runs are offline, and its telemetry service
    # only logs a failed DNS lookup (and races the first run for the new SQLite database).
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    api = con = None
    if startup.wants_flow(argv):
        con = Console(started=started).start()
        console.install(con)
        # The temporary API boots before anything else is imported (see flows/startup.py).
        if not startup.first_argument_missing(argv):
            api = startup.start_api_early()
    try:
        args = build_parser().parse_args(argv)
        if args.command in ("run", "new"):
            folder, what = (args.drop, "drop folder") if args.command == "run" else (args.raw_root, "raw root")
            problem = folder_problem(folder, what)
            if problem:
                print(f"corpus-clean: error: {problem}", file=sys.stderr)
                return 2
            local_pool = getattr(args, "dask_address", None) is None
            after_imports = startup.pool_starter(args.workers, api) if local_pool else (lambda: None)
            return _run_flow(args, api, after_imports, con)
    finally:  # whatever failed, a temporary API started above does not outlive the CLI
        if api is not None:
            api.stop()
        if con is not None:
            con.close()
            console.install(None)
    if args.command == "serve":
        from .serve import serve

        serve(raw_root=args.raw_root, out=args.out, cron=args.cron)
        return 0
    if args.command == "report":
        return _report(args)
    if args.command == "api":
        from . import localapi

        state = (localapi.read_state(any_python=True) if args.action == "status"
                 else localapi.stop_running())
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
