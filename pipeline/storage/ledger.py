"""The ledger: one row per processed source file (size, mtime, sha256, run, status), and what
changed since it was written."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa

from ..schema import REJECT_SCHEMA
from .files import read_parquet
from .layout import ledger_path, readable, record_paths
from .planning import SourceFile

LEDGER_SCHEMA = pa.schema([
    pa.field("drop", pa.string(), nullable=False),
    pa.field("path", pa.string(), nullable=False),
    pa.field("size", pa.int64(), nullable=False),
    pa.field("mtime_ns", pa.int64(), nullable=False),
    pa.field("sha256", pa.string(), nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("documents", pa.int64(), nullable=False),
    pa.field("rejects", pa.int64(), nullable=False),
    pa.field("status", pa.string(), nullable=False),
])


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            h.update(chunk)
    return h.hexdigest()


def read_ledger(out: Path, drop: str) -> pa.Table:
    path = readable(ledger_path(out, drop))
    return read_parquet(path, LEDGER_SCHEMA) if path else LEDGER_SCHEMA.empty_table()


def load_ledger(out: Path, drop: str) -> dict[str, dict]:
    return {row["path"]: row for row in read_ledger(out, drop).to_pylist()}


def changed_files(drop_dir: Path, files: list[SourceFile], ledger: dict[str, dict]) -> list[SourceFile]:
    """Files that are new or whose content changed since the ledger saw them. Size and mtime
    settle the common case; a file whose mtime moved is hashed before it counts as changed."""
    todo = []
    for f in files:
        seen = ledger.get(f.path)
        if seen is None or seen["size"] != f.size:
            todo.append(f)
        elif seen["mtime_ns"] != f.mtime_ns and seen["sha256"] != file_sha256(Path(drop_dir) / f.path):
            todo.append(f)
    return todo


def read_record_tables(prefixes: list[Path]) -> tuple[pa.Table, pa.Table]:
    """The ledger and rejects tables the shards of a run wrote (see shard.clean_listed_shard)."""
    paths = [record_paths(p) for p in prefixes]
    ledger = [read_parquet(led, LEDGER_SCHEMA) for led, _ in paths]
    rejects = [read_parquet(rej, REJECT_SCHEMA) for _, rej in paths]
    return (pa.concat_tables(ledger) if ledger else LEDGER_SCHEMA.empty_table(),
            pa.concat_tables(rejects) if rejects else REJECT_SCHEMA.empty_table())
