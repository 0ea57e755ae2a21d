"""Where things live in an output dataset (see pipeline/storage/__init__.py).

Only the data ends in `.parquet`. The bookkeeping tables (rejects, ledger, a run's shard records)
are Parquet files named `*.pq`, and a run's staged part files are `*.parquet.staged` until their
commit renames them: DuckDB and Polars, unlike pyarrow and pandas, do not skip `_`-prefixed
folders, so a glob such as `OUT/**/*.parquet` would otherwise mix the ledger's rows (or a running
or crashed run's staged parts) into the data, silently or with a schema error. Datasets written
with schema 1 named them `rejects.parquet` / `ledger.parquet`: those are read
where no new file exists, and replaced at the drop's next commit.
"""
from __future__ import annotations

import re
from pathlib import Path

# A drop's name is a hive partition value (drop=<name>): readers split paths at "/" and "=",
# percent-decode "%", and skip folders starting with "_" or ".".
_BAD_DROP_NAME = re.compile(r"[/\\=%\x00-\x1f\x7f]|^[_.]|^$")

DATA_SUFFIX = ".parquet"
TABLE_SUFFIX = ".pq"  # bookkeeping tables: Parquet, but not `*.parquet`
STAGED_SUFFIX = ".staged"  # a staged part: `part-*.parquet.staged` until its commit


def partition_dir(out: Path, drop: str) -> Path:
    return Path(out) / f"drop={drop}"


def rejects_path(out: Path, drop: str) -> Path:
    return Path(out) / "_rejects" / f"drop={drop}" / f"rejects{TABLE_SUFFIX}"


def ledger_path(out: Path, drop: str) -> Path:
    return Path(out) / "_ledger" / f"drop={drop}" / f"ledger{TABLE_SUFFIX}"


def legacy_path(path: Path) -> Path:
    """Where a dataset written with schema 1 kept the bookkeeping table `path`."""
    return Path(path).with_suffix(DATA_SUFFIX)


def readable(path: Path) -> Path | None:
    """`path`, or its legacy name in an older dataset, whichever exists (None: neither)."""
    for p in (Path(path), legacy_path(path)):
        if p.exists():
            return p
    return None


def rejects_files(out: Path) -> list[Path]:
    """The rejects table of every drop (each drop's current or legacy file)."""
    base = Path(out) / "_rejects"
    if not base.is_dir():
        return []
    found = (readable(d / f"rejects{TABLE_SUFFIX}") for d in sorted(base.glob("drop=*")))
    return [p for p in found if p is not None]


def runs_dir(out: Path) -> Path:
    return Path(out) / "_runs"


def reports_dir(out: Path) -> Path:
    return Path(out) / "_reports"


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

def staged_part_name(run_id: str, index: int) -> str:
    return f"part-{run_id[:8]}-{index:05d}{DATA_SUFFIX}{STAGED_SUFFIX}"


def record_paths(prefix) -> tuple[Path, Path]:
    """A shard's ledger entries and rejects, written beside its staged records."""
    return Path(f"{prefix}.ledger{TABLE_SUFFIX}"), Path(f"{prefix}.rejects{TABLE_SUFFIX}")


def furniture_path(prefix) -> Path:
    """The run's recurring lines (pipeline/furniture.py), merged once for all shards and read by
    each: beside the shards' records (`prefix` is any shard's)."""
    return Path(prefix).parent / "furniture.npy"
