"""The `clean-new-drops` flow: every drop under a raw root, only what the ledger has not seen.

A drop is a folder directly under RAW_ROOT. A file is new when the ledger has no entry for it and
changed when its size differs or its mtime moved and its sha256 differs; only those files are
cleaned, and a changed file's old rows, rejects and ledger entry are replaced in the same commit.
"""
from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from pipeline import dataset
from pipeline.config import Config

from flows.clean_drop import SHARD_TASK_RUNNER, config_overrides, run_drop


def find_drops(raw_root: Path) -> list[Path]:
    return sorted(p for p in Path(raw_root).iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")))


@flow(name="clean-new-drops", log_prints=True, task_runner=SHARD_TASK_RUNNER)
def clean_new_drops(raw_root: str = "raw", out: str = "clean", text_field: str = "text",
                    workers: int | None = None, max_boilerplate_share: float | None = None,
                    mt_threshold: float | None = None, shard_mb: float | None = None) -> list[dict]:
    """Clean the new and changed files of every drop under raw_root into out; returns one run
    summary per drop that had work (an empty list when nothing was new)."""
    logger = get_run_logger()
    overrides = config_overrides(text_field, max_boilerplate_share, mt_threshold, shard_mb)
    config = Config(**overrides)
    root = Path(raw_root)
    if not root.is_dir():
        raise FileNotFoundError(f"raw root not found: {raw_root}")
    summaries = []
    for drop_dir in find_drops(root):
        files = dataset.discover(drop_dir)
        todo = dataset.changed_files(drop_dir, files, dataset.load_ledger(Path(out), drop_dir.name))
        logger.info("drop %s: %d files, %d new or changed", drop_dir.name, len(files), len(todo))
        if todo:
            summaries.append(run_drop(drop_dir, Path(out), files=todo, incremental=True,
                                      config=config, workers=workers))
    if not summaries:
        logger.info("nothing new under %s", root)
    return summaries
