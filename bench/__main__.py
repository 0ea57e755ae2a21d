"""`python -m bench`: build a damaged corpus, time three ways of cleaning it, check the targets.

    (a) naive: ftfy.fix_text + seeded langdetect per document, Parquet    (python -m bench.naive)
    (b) core: pipeline.shard.clean_shard over every file, one process      (python -m bench.single)
    (c) corpus-clean run DROP, default parallelism, as a user runs it      (subprocess)

With `--baseline PATH` (a checkout of an earlier commit), the core is also run side by side with
that checkout's (b) and with the floor (the shard with no step), alternating (bench/compare.py);
`--core-only` runs that comparison and the same-answers check alone.

Every variant runs in its own process(es); MB/s is million bytes of UTF-8 document text over the
wall time of that process, start to exit. `--rss-scaling` runs (c) on 20 MB and 200 MB drops
instead (`--rss-sizes 200 1000` for the flow-memory target).  docs/performance.md explains every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from . import corpus as corpus_mod
from flows.tempapi import prefect_server

from . import compare
from .measure import run_child, run_children_at_once, run_cli, wall_breakdown

REPO = Path(__file__).resolve().parents[1]
TARGET_CORE_X = 10.0
TARGET_FLOW_X = 1.7
TARGET_RSS_X = 2.0
# the flow process's peak from a drop to one 5x its size (200 MB -> 1 GB); workers stay flat
TARGET_FLOW_RSS_X = 1.5
TARGET_WORKER_RSS_X = 1.2
TARGET_PREFECT_SHARE = 0.15
JSONL_SHARE = 0.1


def build(args, size_mb: float) -> tuple[Path, dict]:
    """The corpus for (size, seed), reused when its manifest says it was built with these inputs."""
    base = Path(args.workdir) / f"corpus-{size_mb:g}mb-seed{args.seed}"
    if args.jsonl_share != JSONL_SHARE:
        base = base.with_name(base.name + f"-jsonl{args.jsonl_share:g}")
    mf = base / "manifest.json"
    if mf.exists() and not args.rebuild:
        m = json.loads(mf.read_text())
        if (m.get("version") == corpus_mod.MANIFEST_VERSION and m.get("source") == str(args.source)
                and m.get("rates") == corpus_mod.RATES and m.get("jsonl_share") == args.jsonl_share):
            print(f"corpus: reusing {base} ({m['documents']} documents, {m['text_bytes'] / 1e6:.1f} MB)")
            return base / "drop", m
    t = time.perf_counter()
    m = corpus_mod.build_corpus(Path(args.source), base, size_mb, args.seed, jsonl_share=args.jsonl_share)
    print(f"corpus: built {base} in {time.perf_counter() - t:.1f}s ({m['documents']} documents, "
          f"{m['text_bytes'] / 1e6:.1f} MB, {m['files']['txt']} .txt + {m['files']['jsonl.gz']} .jsonl.gz)")
    return base / "drop", m


def cli_env(args) -> dict:
    env = dict(os.environ)
    if args.api_url:
        env["PREFECT_API_URL"] = args.api_url
    if "PREFECT_API_URL" not in env:  # the CLI's own API: keep its database out of ~/.prefect
        home = Path(args.workdir).resolve() / "prefect-home"
        env["PREFECT_HOME"] = str(home)
        if args.temporary_api:  # a temporary API per run, booted and stopped by every run
            env["CORPUS_CLEAN_API_IDLE_SECONDS"] = "0"
        else:
            env.setdefault("CORPUS_CLEAN_API_IDLE_SECONDS", "900")
        if not (home / "prefect.db").exists() or not args.temporary_api:
            # a user's first run creates the database and starts the local API the next runs
            # reuse (flows/localapi.py); untimed
            print("(c) warm-up: an untimed run on the sample drop (Prefect database, local API)")
            run_cli(REPO / "raw" / "sample-2020-01-09", Path(args.workdir) / "clean-warmup", env)
    return env


def stop_local_api(args) -> None:
    """Stop the local API the warm-up started (it would stop itself when idle)."""
    env = dict(os.environ, PREFECT_HOME=str(Path(args.workdir).resolve() / "prefect-home"))
    subprocess.run([sys.executable, "-m", "flows.cli", "api", "stop"], env=env, cwd=REPO,
                   capture_output=True, timeout=60)


def warm_page_cache(drop: Path) -> None:
    """Read every file of the drop once, untimed, so that each variant reads from the page cache:
    this VM reclaims cold page cache (kdamond), and a variant that happened to read from disk
    measured up to 10 s slower on 200 MB."""
    for f in drop.rglob("*"):
        if f.is_file():
            with open(f, "rb") as fh:
                while fh.read(1 << 20):
                    pass


def warm_code() -> None:
    """Import, untimed, what the variants import (the library, pyarrow, Prefect and its server),
    so their files are in the page cache too: after the page cache warm-up of a 1 GB drop this VM
    had dropped them, and the CLI's imports and the API's boot took 8.6 s and 5 s instead of ~1.7 s
    and ~3 s. A machine that runs the pipeline every day has them warm."""
    subprocess.run([sys.executable, "-c", "import flows.cli, flows.clean_drop, pipeline.shard, "
                    "prefect.server.api.server"], check=True, capture_output=True, cwd=REPO)


def evict_page_cache(drop: Path) -> None:
    """Drop the drop's files from the page cache (posix_fadvise DONTNEED), so that a variant reads
    them from disk, as a new drop is read: `--page-cache cold`."""
    for f in drop.rglob("*"):
        if f.is_file():
            fd = os.open(f, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def warm(drop: Path, cold: bool = False) -> None:
    """Before a variant: the drop in the page cache (default) or out of it (cold); code warm."""
    (evict_page_cache if cold else warm_page_cache)(drop)
    warm_code()


def run_c(args, drop: Path, tag: str) -> dict:
    warm(drop, args.page_cache == "cold")
    out = Path(args.workdir) / f"clean-{tag}"
    shutil.rmtree(out, ignore_errors=True)
    extra = ("--workers", str(args.workers)) if args.workers else ()
    r = run_cli(drop, out, cli_env(args), extra)
    s = r["summary"]
    workers = max(1, s.get("workers") or 1)
    # Work the shards did: their own seconds from the log; else the step timers (a lower bound).
    work = sum(r["shard_seconds"]) if r["shard_seconds"] else sum(s["step_seconds"].values())
    flow = s["seconds"] + s.get("phases", {}).get("report", 0.0)  # seconds stop at the commit
    r.update(phases=s.get("phases", {}))
    r["breakdown"] = wall_breakdown(r["timings"], s, work, workers)
    r["prefect_wall_share"] = (sum(sec for _, who, sec in r["breakdown"] if who == "Prefect") / r["wall"]
                               if r["breakdown"] else None)
    r.update(workers=workers, work_seconds=work, flow_seconds=flow,
             prefect_share=max(0.0, 1 - (work / workers) / flow) if flow else 0.0,
             outside_flow=r["wall"] - flow,
             peak_kb=max(r["peaks_kb"].get("flow", 0), r["peaks_kb"].get("worker", 0)))
    return r


def _breakdown(c: dict) -> str:
    """Where (c)'s wall time went, Prefect's part and ours (bench.measure.wall_breakdown)."""
    if not c.get("breakdown"):
        return "(c) wall-time breakdown: not available (CLI marks missing)"
    lines = [f"(c) where the wall time went ({c['wall']:.1f} s):"]
    for name, who, sec in c["breakdown"]:
        lines.append(f"      {name:<52} {who:<8} {sec:6.2f}s {sec / c['wall']:6.1%}")
    p = c["prefect_wall_share"]
    lines.append(f"      {'Prefect, all of the above':<52} {'':<8} {p * c['wall']:6.2f}s {p:6.1%}")
    return "\n".join(lines)


def _phases(c: dict) -> str:
    """The flow's seconds by phase (run summary): what the conservative 'Prefect share' above
    also counts as orchestration, though only the shard phase's excess over work/workers is
    Prefect's task bookkeeping (plus scheduling gaps)."""
    ph = c.get("phases") or {}
    if not ph:
        return "flow phases: not recorded"
    excess = ph.get("shards", 0) - c["work_seconds"] / c["workers"]
    return ("flow phases: " + ", ".join(f"{k} {v:.1f}s" for k, v in ph.items())
            + f"; shard phase beyond work/workers (task orchestration, gaps) {excess:.1f}s "
            f"= {excess / c['flow_seconds']:.1%} of flow")


def _row(name, seconds, mb, docs, rss_kb, base_mbs):
    mbs = mb / seconds
    x = f"{mbs / base_mbs:6.1f}x" if base_mbs else "     -"
    return f"{name:<34} {seconds:8.1f} {mbs:8.2f} {docs / seconds:9.0f} {rss_kb / 1024:9.0f} {x}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run_check(args, drop: Path, res: dict, checks: dict) -> None:
    """Same answers: every step's fast path against its reference, on every document."""
    from .check import LANG_AGREEMENT, same_answers

    print("\nsame answers (fast vs reference path, every document) ...", flush=True)
    t = time.perf_counter()
    sa = same_answers(str(drop))
    res["same_answers"] = sa
    for name in sa["missing"]:
        print(f"  SKIP  {name} does not exist: that comparison is not made")
    for step, r in sa["steps"].items():
        checks[f"same_{step}"] = r["passed"]
        what = ("identical" if r["kind"] == "identical"
                else f"agreement >= {LANG_AGREEMENT:.1%}")
        print(f"  {_verdict(r['passed'])}  {step}: {what}: {r['same']}/{r['n']} ({r['share']:.2%})")
        for d in r["diff"]:
            print(f"        {d['doc']}: {d['where']}")
    print(f"  ({time.perf_counter() - t:.0f}s)")


def main_core(args) -> dict:
    """--core-only: (b) beside the baseline and the floor, per-step profile, same answers."""
    drop, m = build(args, args.size_mb)
    mb = m["text_bytes"] / 1e6
    res: dict = {"size_mb": args.size_mb, "seed": args.seed, "text_mb": mb,
                 "documents": m["documents"], "page_cache": args.page_cache}
    print(f"core side by side on {mb:.1f} MB ({m['documents']} documents) ...", flush=True)
    core = compare.run_core(drop, Path(args.workdir), args.baseline, args.rounds,
                            lambda d: warm(d, args.page_cache == "cold"))
    res["core"] = core
    checks = compare.report(core, mb)
    if not args.skip_check:
        run_check(args, drop, res, checks)
    res["checks"] = checks
    return res


def main_throughput(args) -> dict:
    drop, m = build(args, args.size_mb)
    mb, docs = m["text_bytes"] / 1e6, m["documents"]
    work = Path(args.workdir)
    res: dict = {"size_mb": args.size_mb, "seed": args.seed, "text_mb": mb, "documents": docs,
                 "page_cache": args.page_cache}
    cold = args.page_cache == "cold"
    if not args.skip_naive:
        # (a) runs at ~0.5 MB/s: on a big corpus it may run on a smaller one built the same way
        # (same source, seed, damage rates); its MB/s is what the ratios use.
        a_drop, a_mb = drop, mb
        if args.naive_size_mb and args.naive_size_mb != args.size_mb:
            a_drop, am = build(args, args.naive_size_mb)
            a_mb = am["text_bytes"] / 1e6
        print(f"(a) naive baseline on {a_mb:.0f} MB ...", flush=True)
        warm(a_drop, cold)
        wall, out = run_child("bench.naive", str(a_drop), str(work / "naive.parquet"))
        res["a"] = {"wall": wall, "text_mb": a_mb, **out}
    print("(b) core, one process ...", flush=True)
    warm(drop, cold)
    wall, out = run_child("bench.single", str(drop), str(work / "single.parquet"))
    res["b"] = {"wall": wall, **out}
    print("(c) corpus-clean run ...", flush=True)
    c = run_c(args, drop, f"{args.size_mb:g}mb")
    res["c"] = {k: v for k, v in c.items() if k != "summary"}
    # This VM's speed drifts by up to ~10% over minutes: (b) runs again after (c), and the ratio
    # uses the mean of the two, so that drift between (b) and (c) does not decide it.
    print("(b) again, after (c) ...", flush=True)
    warm(drop, cold)
    res["b_after"] = {"wall": run_child("bench.single", str(drop), str(work / "single-2.parquet"))[0]}
    b_wall = (res["b"]["wall"] + res["b_after"]["wall"]) / 2
    if not args.skip_ceiling:
        print("two (b) processes at once (this machine's ceiling for two workers) ...", flush=True)
        warm(drop, cold)
        pair = run_children_at_once("bench.single", [(str(drop), str(work / f"pair-{i}.parquet"))
                                                     for i in (1, 2)])
        res["pair"] = {"wall": pair, "ceiling": 2 * b_wall / pair}

    base = res["a"]["text_mb"] / res["a"]["wall"] if "a" in res else None
    from pipeline.core import rules_version

    print(f"\ncorpus: {docs} documents, {mb:.1f} MB of text, seed {args.seed}; rules {rules_version()}; "
          f"page cache {args.page_cache}")
    print(f"{'variant':<34} {'seconds':>8} {'MB/s':>8} {'docs/s':>9} {'RSS MB':>9} {'vs (a)':>7}")
    if "a" in res:
        a_docs = res["a"].get("documents", docs)
        label = "(a) naive ftfy+langdetect" + (f" [{res['a']['text_mb']:.0f} MB]" if res["a"]["text_mb"] != mb else "")
        print(_row(label, res["a"]["wall"], res["a"]["text_mb"], a_docs, res["a"]["maxrss_kb"], base))
    print(_row("(b) core, 1 process (mean of 2)", b_wall, mb, docs, res["b"]["maxrss_kb"], base))
    print(_row(f"(c) corpus-clean run, {c['workers']} workers", c["wall"], mb, docs, c["peak_kb"], base))
    pk = c["peaks_kb"]
    print(f"\n(c) wall {c['wall']:.1f}s = flow {c['flow_seconds']:.1f}s (run_drop) + "
          f"{c['outside_flow']:.1f}s outside it (imports, Prefect API start/stop, flow-run bookkeeping)")
    print(f"(c) shard work {c['work_seconds']:.1f}s over {c['workers']} workers -> Prefect/orchestration "
          f"share of flow seconds {c['prefect_share']:.1%}; of wall {1 - c['work_seconds'] / c['workers'] / c['wall']:.1%}")
    print(f"(c) {_phases(c)}")
    print(_breakdown(c))
    print("(c) CPU-seconds by process: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(c["cpu_s"].items()))
          + " (the worker pool includes its fork server)")
    print(f"(c) peak RSS by process: flow {pk.get('flow', 0) / 1024:.0f} MB, worker max "
          f"{pk.get('worker', 0) / 1024:.0f} MB, Prefect temporary server {pk.get('prefect-server', 0) / 1024:.0f} MB")
    steps = res["b"]["step_seconds"]
    print("(b) seconds by step: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(steps.items(), key=lambda kv: -kv[1]))
          + f"; other (read, decode, hash, rows) {res['b']['seconds'] - sum(steps.values()):.2f}")
    if steps.get("dedup"):
        print(f"(b) duplicate flags (signatures + match): {steps['dedup']:.2f} s = "
              f"{steps['dedup'] / res['b']['seconds']:.1%} of (b)'s time, "
              f"{steps['dedup'] / max(1e-9, res['b']['seconds'] - steps['dedup']):.1%} on top of the rest")

    print("\ntargets:")
    checks = {}
    if base:
        x = (mb / b_wall) / base
        checks["core_vs_naive"] = x >= TARGET_CORE_X
        print(f"  {_verdict(checks['core_vs_naive'])}  (b) >= {TARGET_CORE_X:g}x (a): {x:.1f}x")
    else:
        print("  SKIP  (b) >= 10x (a): --skip-naive")
    x = b_wall / c["wall"]
    checks["flow_vs_core"] = x >= TARGET_FLOW_X
    print(f"  {_verdict(checks['flow_vs_core'])}  (c) >= {TARGET_FLOW_X:g}x (b): {x:.2f}x "
          f"((b) {res['b']['wall']:.1f}s before (c), {res['b_after']['wall']:.1f}s after: mean "
          f"{b_wall:.1f}s; flow seconds only: {b_wall / c['flow_seconds']:.2f}x)")
    if "pair" in res:
        print(f"        ceiling on this machine: two (b) at once took {res['pair']['wall']:.1f}s for twice "
              f"the work = {res['pair']['ceiling']:.2f}x one (b); (c) reaches "
              f"{x / res['pair']['ceiling']:.0%} of it")
    print("  ....  RSS scaling and Prefect share on 200 MB: run `python -m bench --rss-scaling`")

    if args.baseline or args.floor:
        print("\ncore side by side (bench/compare.py) ...", flush=True)
        core = compare.run_core(drop, work, args.baseline, args.rounds, lambda d: warm(d, cold))
        res["core"] = core
        checks.update(compare.report(core, mb))

    if not args.skip_check:
        run_check(args, drop, res, checks)
    res["checks"] = checks
    return res


def main_rss(args) -> dict:
    res: dict = {"runs": {}}
    if args.jsonl_share is None:
        args.jsonl_share = JSONL_SHARE
    sizes = args.rss_sizes
    for size in sizes:
        drop, m = build(args, size)
        print(f"(c) corpus-clean run on {size} MB ...", flush=True)
        c = run_c(args, drop, f"{size}mb")
        c["text_mb"] = m["text_bytes"] / 1e6
        res["runs"][size] = {k: v for k, v in c.items() if k != "summary"}
    print(f"\n{'drop':>6} {'wall s':>8} {'flow s':>8} {'MB/s':>7} {'flow MB':>8} {'worker MB':>10} "
          f"{'server MB':>10} {'Prefect/wall':>13} {'non-work/flow':>14}")
    for size, c in res["runs"].items():
        pk = c["peaks_kb"]
        pw = c["prefect_wall_share"]
        print(f"{size:>4}MB {c['wall']:8.1f} {c['flow_seconds']:8.1f} {c['text_mb'] / c['wall']:7.2f} "
              f"{pk.get('flow', 0) / 1024:8.0f} {pk.get('worker', 0) / 1024:10.0f} "
              f"{pk.get('prefect-server', 0) / 1024:10.0f} {pw if pw is not None else float('nan'):13.1%} "
              f"{c['prefect_share']:14.1%}")
    small, big = res["runs"][sizes[0]], res["runs"][sizes[1]]
    lo, hi = f"{sizes[0]:g} MB", f"{sizes[1]:g} MB"
    x = big["peak_kb"] / small["peak_kb"]
    fx = big["peaks_kb"].get("flow", 0) / max(1, small["peaks_kb"].get("flow", 0))
    wx = big["peaks_kb"].get("worker", 0) / max(1, small["peaks_kb"].get("worker", 0))
    share = big["prefect_wall_share"]
    checks = {"rss_scaling": x <= TARGET_RSS_X,
              "flow_rss_scaling": fx <= TARGET_FLOW_RSS_X and wx <= TARGET_WORKER_RSS_X,
              "prefect_share": share is not None and share <= TARGET_PREFECT_SHARE}
    print(f"\n{hi} " + _breakdown(big))
    print("\ntargets:")
    print(f"  {_verdict(checks['rss_scaling'])}  peak RSS (flow and workers) {hi} <= {TARGET_RSS_X:g}x {lo}: "
          f"{big['peak_kb'] / 1024:.0f} / {small['peak_kb'] / 1024:.0f} MB = {x:.2f}x")
    print(f"  {_verdict(checks['flow_rss_scaling'])}  flow process peak RSS {hi} <= {TARGET_FLOW_RSS_X:g}x "
          f"{lo}: {fx:.2f}x; workers flat (<= {TARGET_WORKER_RSS_X:g}x): {wx:.2f}x")
    print(f"  {_verdict(checks['prefect_share'])}  Prefect's share of wall time on {hi} <= "
          f"{TARGET_PREFECT_SHARE:.0%}: {share if share is not None else float('nan'):.1%} (breakdown above; "
          f"everything but shard work/workers: {1 - big['work_seconds'] / big['workers'] / big['wall']:.1%} "
          f"of wall, {big['prefect_share']:.1%} of flow seconds)")
    print(f"  {hi} {_phases(big)}")
    res["checks"] = checks
    return res


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--size-mb", type=float, default=50, help="corpus size, million bytes of text (default 50)")
    p.add_argument("--source", default=str(REPO.parent / "shared" / "corpora" / "bbc-news"),
                   help="folder of clean articles (default ../shared/corpora/bbc-news)")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument("--workdir", default=str(REPO / "bench" / "out"), help="scratch folder (default bench/out/)")
    p.add_argument("--jsonl-share", type=float, default=None,
                   help=f"share of documents in .jsonl.gz files (default {JSONL_SHARE})")
    p.add_argument("--workers", type=int, default=None, help="--workers for corpus-clean run (default: its own)")
    p.add_argument("--skip-naive", action="store_true", help="do not run (a)")
    p.add_argument("--naive-size-mb", type=float, default=None,
                   help="run (a) on a corpus of this size built the same way (default: the same corpus); "
                        "(a) takes ~35 min per GB")
    p.add_argument("--page-cache", choices=("warm", "cold"), default="warm",
                   help="before each variant, read the drop into the page cache (warm, default: "
                        "repeatable) or evict it (cold: read from disk, as a new drop is)")
    p.add_argument("--skip-check", action="store_true", help="do not compare fast and reference paths")
    p.add_argument("--skip-ceiling", action="store_true",
                   help="do not time two (b) processes at once (the machine's two-worker ceiling)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the corpus even if one is cached")
    p.add_argument("--prefect-server", action="store_true",
                   help="start `prefect server start` first and run (c) against it (PREFECT_API_URL), "
                        "as a deployment would; default: the CLI's temporary API, or PREFECT_API_URL if set")
    p.add_argument("--temporary-api", action="store_true",
                   help="(c) with a temporary Prefect API booted and stopped by every run "
                        "(CORPUS_CLEAN_API_IDLE_SECONDS=0); default: the CLI's local API, started "
                        "by an untimed warm-up run and reused, as a user's second run finds it")
    p.add_argument("--baseline", action="append", default=[], metavar="PATH",
                   help="a checkout of a commit to compare with (e.g. a git worktree; may be repeated, "
                        "the first is the target's): its (b) runs beside today's and the floor, "
                        "alternating, --rounds times (bench/compare.py)")
    p.add_argument("--floor", action="store_true",
                   help="run the side-by-side core comparison (today's (b) and the floor) even "
                        "without --baseline")
    p.add_argument("--rounds", type=int, default=compare.ROUNDS,
                   help=f"rounds of the side-by-side core comparison (default {compare.ROUNDS})")
    p.add_argument("--core-only", action="store_true",
                   help="only the side-by-side core comparison and the same-answers check")
    p.add_argument("--rss-scaling", action="store_true",
                   help="run (c) on two drop sizes (--rss-sizes): RSS scaling and Prefect share targets")
    p.add_argument("--rss-sizes", type=float, nargs=2, default=[20, 200], metavar=("SMALL", "LARGE"),
                   help="the two drop sizes of --rss-scaling, MB of text (default 20 200; the flow-memory "
                        "target of docs/performance.md is stated for 200 1000)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not Path(args.source).is_dir():
        print(f"source folder not found: {args.source}", file=sys.stderr)
        return 2
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    args.api_url = None
    with ExitStack() as stack:
        if args.prefect_server:
            args.api_url = stack.enter_context(prefect_server(Path(args.workdir).resolve() / "prefect-server-home"))
            print(f"(c) runs against a Prefect server started for the benchmark: {args.api_url}")
        if args.jsonl_share is None and not args.rss_scaling:
            args.jsonl_share = JSONL_SHARE
        stack.callback(stop_local_api, args)
        res = (main_rss(args) if args.rss_scaling else main_core(args) if args.core_only
               else main_throughput(args))
    res["prefect_api"] = (args.api_url or os.environ.get("PREFECT_API_URL")
                          or ("temporary" if args.temporary_api else "local (reused)"))
    name = (f"results-rss-{args.rss_sizes[0]:g}-{args.rss_sizes[1]:g}" if args.rss_scaling else
            f"results-core-{args.size_mb:g}mb-seed{args.seed}" if args.core_only else
            f"results-{args.size_mb:g}mb-seed{args.seed}")
    name += "-cold" if args.page_cache == "cold" and not args.rss_scaling else ""
    name += "-temporary-api" if args.temporary_api else ""
    name += "-server.json" if args.prefect_server else ".json"
    (Path(args.workdir) / name).write_text(json.dumps(res, indent=1, default=str))
    return 0 if all(res["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
