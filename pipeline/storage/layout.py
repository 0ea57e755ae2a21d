"""Where things live in an output dataset (see pipeline/storage/__init__.py)."""
from __future__ import annotations

from pathlib import Path


def partition_dir(out: Path, drop: str) -> Path:
    return Path(out) / f"drop={drop}"


def rejects_path(out: Path, drop: str) -> Path:
    return Path(out) / "_rejects" / f"drop={drop}" / "rejects.parquet"


def ledger_path(out: Path, drop: str) -> Path:
    return Path(out) / "_ledger" / f"drop={drop}" / "ledger.parquet"


def runs_dir(out: Path) -> Path:
    return Path(out) / "_runs"


def staging_root(out: Path) -> Path:
    return Path(out) / "_staging"
