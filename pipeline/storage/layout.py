"""Where things live in an output dataset (see pipeline/storage/__init__.py)."""
from __future__ import annotations

import re
from pathlib import Path

# A drop's name is a hive partition value (drop=<name>): readers split paths at "/" and "=",
# percent-decode "%", and skip folders starting with "_" or ".".
_BAD_DROP_NAME = re.compile(r"[/\\=%\x00-\x1f\x7f]|^[_.]|^$")


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


def drop_name_problem(name: str) -> str | None:
    """Why `name` cannot name a drop's partition, or None. Such a drop is refused (not renamed):
    the partition value must be the folder's name for analysts to find it."""
    shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if shown != name:
        return f"drop name {shown!r} is not valid UTF-8: rename the folder"
    if _BAD_DROP_NAME.search(name):
        return (f"drop name {name!r} cannot be a hive partition value (drop={name}): it must not "
                "contain '=', '%', '/', '\\' or control characters, nor start with '_' or '.'; "
                "rename the folder")
    return None
