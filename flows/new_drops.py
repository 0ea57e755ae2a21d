"""The `clean-new-drops` flow: every drop under a raw root, only what the ledger has not seen.

A drop is a folder directly under RAW_ROOT. A file is new when the ledger has no entry for it and
changed when its size differs or its mtime moved and its sha256 differs; only those files are
cleaned, and a changed file's old rows, rejects and ledger entry are replaced in the same commit.
"""
from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from pipeline.storage import ledger, planning

from flows.clean_drop import SHARD_TASK_RUNNER, run_drop
from flows.params import config_from, with_options


def find_drops(raw_root: Path) -> list[Path]:
    return sorted(p for p in Path(raw_root).iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")))


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
    for drop_dir in find_drops(root):
        files = planning.discover(drop_dir)
        todo = ledger.changed_files(drop_dir, files, ledger.load_ledger(Path(out), drop_dir.name))
        logger.info("drop %s: %d files, %d new or changed", drop_dir.name, len(files), len(todo))
        if todo:
            summaries.append(run_drop(drop_dir, Path(out), config, files=todo, incremental=True))
    if not summaries:
        logger.info("nothing new under %s", root)
    return summaries
