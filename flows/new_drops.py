"""The `clean-new-drops` flow: every drop under a raw root, only what the ledger has not seen.

A drop is a folder directly under RAW_ROOT. A file is new when the ledger has no entry for it and
changed when its size differs or its mtime moved and its sha256 differs; only those files are
cleaned, and a changed file's old rows, rejects and ledger entry are replaced in the same commit.
"""
from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from pipeline.storage import layout, ledger, planning

from flows.clean_drop import SHARD_TASK_RUNNER, run_drop
from flows.params import config_from, with_options


def find_drops(raw_root: Path, out: Path | None = None) -> list[Path]:
    """The drop folders under raw_root (not hidden, not `_`-prefixed, not the output dataset)."""
    skip = Path(out).resolve() if out is not None else None
    return sorted(p for p in Path(raw_root).iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")) and p.resolve() != skip)


@flow(name="clean-new-drops", log_prints=True, task_runner=SHARD_TASK_RUNNER)
@with_options
def clean_new_drops(raw_root: str = "raw", out: str = "clean", **options) -> list[dict]:
    """Clean the new and changed files of every drop under raw_root into out; returns one run
    summary per drop that had work (an empty list when nothing was new)."""
    logger = get_run_logger()
    config = config_from(options)
    root = Path(raw_root)
    if not root.is_dir():
        raise FileNotFoundError(f"raw root not found: {raw_root}")
    summaries = []
    for drop_dir in find_drops(root, Path(out)):
        bad_name = layout.drop_name_problem(drop_dir.name)
        if bad_name:
            logger.warning("skipped: %s", bad_name)
            continue
        files = planning.discover(drop_dir)
        seen = ledger.load_ledger(Path(out), drop_dir.name)
        todo, gone = ledger.changed_files(drop_dir, files, seen)
        deleted = [] if config.keep_deleted else [seen[p] for p in gone]
        logger.info("drop %s: %d files, %d new or changed, %d deleted%s", drop_dir.name, len(files),
                    len(todo), len(gone), " (kept: keep_deleted)" if gone and config.keep_deleted else "")
        if todo or deleted:
            summaries.append(run_drop(drop_dir, Path(out), config, files=todo, incremental=True,
                                      deleted=deleted))
    if not summaries:
        logger.info("nothing new under %s", root)
    return summaries
