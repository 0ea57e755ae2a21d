"""The ledger: one row per processed source file (size, mtime, sha256, run, status), and what
changed since it was written."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from ..schema import REJECT_SCHEMA
from .files import read_parquet
from .layout import ledger_path, readable, record_paths
from .planning import SourceFile

LEDGER_SCHEMA = pa.schema([
    pa.field("drop", pa.string(), nullable=False),
    pa.field("path", pa.string(), nullable=False),
    pa.field("size", pa.int64(), nullable=False),
    pa.field("mtime_ns", pa.int64(), nullable=False),
    pa.field("ctime_ns", pa.int64(), nullable=False),  # -1: not known (a ledger from before)
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


# status of a file in the ledger: `io_error` files are read again by the next incremental run
STATUSES = ("ok", "partial", "rejected", "io_error")


def file_status(documents: int, rejects: int, io_errors: int) -> str:
    if io_errors:
        return "io_error"
    if documents and not rejects:
        return "ok"
    return "partial" if documents else "rejected"


def _upgrade(table: pa.Table) -> pa.Table:
    """A ledger written before a column existed gets it with its 'not known' value."""
    for f in LEDGER_SCHEMA:
        if f.name not in table.column_names and f.name == "ctime_ns":
            table = table.append_column(f.name, pa.array([-1] * table.num_rows, pa.int64()))
    return table.select(LEDGER_SCHEMA.names).cast(LEDGER_SCHEMA)


def read_ledger(out: Path, drop: str) -> pa.Table:
    path = readable(ledger_path(out, drop))
    return _upgrade(read_parquet(path)) if path else LEDGER_SCHEMA.empty_table()


def load_ledger(out: Path, drop: str) -> dict[str, dict]:
    return {row["path"]: row for row in read_ledger(out, drop).to_pylist()}


class Changes(NamedTuple):
    todo: list[SourceFile]  # new or changed (or to be read again after an I/O error)
    deleted: list[str]  # paths in the ledger that are no longer in the drop


def changed_files(drop_dir: Path, files: list[SourceFile], ledger: dict[str, dict]) -> Changes:
    """What an incremental run must do, by this rule: a file is new when the ledger has no entry
    for it; it is read again when its last read failed with an I/O error (status io_error); it
    is unchanged when its size, mtime and ctime all equal the ledger's (ctime moves on every
    write and cannot be set back, so an edit with the mtime restored is still seen); when size
    is equal but a time differs, it is hashed and changed only if its SHA-256 differs. An entry
    that must not be read (a `problem`) is never hashed: it counts as changed when its size or
    times moved. Ledger paths no longer in the drop are `deleted`."""
    todo = []
    for f in files:
        seen = ledger.get(f.path)
        if seen is None or seen["status"] == "io_error" or seen["size"] != f.size:
            todo.append(f)
        elif seen["mtime_ns"] == f.mtime_ns and seen["ctime_ns"] == f.ctime_ns != -1:
            continue
        elif f.problem is not None or seen["sha256"] != file_sha256(Path(drop_dir) / f.path):
            todo.append(f)
    listed = {f.path for f in files}
    return Changes(todo, sorted(p for p in ledger if p not in listed))


def problem_tables(drop: str, run_id: str, problems: list[SourceFile]) -> tuple[pa.Table, pa.Table]:
    """Ledger entries and rejects of the entries discovery refused to read (SourceFile.problem),
    so that they are reported once and seen again only when they change."""
    from .planning import PROBLEMS

    led = [{"drop": drop, "path": f.path, "size": f.size, "mtime_ns": f.mtime_ns,
            "ctime_ns": f.ctime_ns, "sha256": "", "run_id": run_id, "documents": 0, "rejects": 1,
            "status": "rejected"} for f in problems]
    rej = [{"drop": drop, "path": f.path, "source_path": f.path, "source_record": None,
            "reason": f.problem, "error": f"{PROBLEMS[f.problem]} ({f.detail}); not read",
            "run_id": run_id} for f in problems]
    for r in rej:
        r.pop("path")
    return (pa.Table.from_pylist(led, schema=LEDGER_SCHEMA),
            pa.Table.from_pylist(rej, schema=REJECT_SCHEMA))


def moves(deleted: list[dict], new_ledger: "pa.Table | list[dict] | RunLedger") -> list[dict]:
    """Deleted files whose content reappeared under a new path in this run: {from, to}."""
    wanted = {d["sha256"] for d in deleted if d.get("sha256")}
    if not wanted:  # a whole-drop run deletes nothing: its ledger is not read at all
        return []
    by_hash: dict[str, str] = {}
    for t in RunLedger.of(new_ledger).pieces():
        hit = t.filter(pc.is_in(t["sha256"], value_set=pa.array(sorted(wanted), pa.string())))
        for row in hit.select(["path", "sha256"]).to_pylist():
            by_hash.setdefault(row["sha256"], row["path"])
    return [{"from": d["path"], "to": by_hash[d["sha256"]]} for d in deleted
            if d.get("sha256") and d["sha256"] in by_hash]


class RunLedger:
    """A run's ledger entries: the file each shard wrote (record_paths) plus tables of its own
    (the entries discovery refused to read), read one piece at a time. A drop of 400k files
    has ~90 MB of entries; a whole-drop commit streams them into the drop's ledger file and the
    flow never holds them all."""

    def __init__(self, files: list[Path], tables: list[pa.Table] = ()):
        self.files, self.tables = list(files), list(tables)

    @classmethod
    def of(cls, entries: "pa.Table | list[dict] | RunLedger") -> "RunLedger":
        """Entries given any way (a RunLedger, a table, a list of rows) as a RunLedger."""
        if isinstance(entries, RunLedger):
            return entries
        if not isinstance(entries, pa.Table):
            entries = pa.Table.from_pylist(list(entries), schema=LEDGER_SCHEMA)
        return cls([], [entries])

    def with_table(self, table: pa.Table) -> "RunLedger":
        return RunLedger(self.files, [*self.tables, table])

    def pieces(self) -> Iterator[pa.Table]:
        for path in self.files:
            yield read_parquet(path, LEDGER_SCHEMA)
        for table in self.tables:
            yield table.cast(LEDGER_SCHEMA)

    def table(self) -> pa.Table:
        return pa.concat_tables([LEDGER_SCHEMA.empty_table(), *self.pieces()])


def record_tables(prefixes: list[Path]) -> tuple[RunLedger, pa.Table]:
    """The ledger entries (as a RunLedger) and the rejects table the shards of a run wrote."""
    paths = [record_paths(p) for p in prefixes]
    rejects = [read_parquet(rej, REJECT_SCHEMA) for _, rej in paths]
    return (RunLedger([led for led, _ in paths]),
            pa.concat_tables(rejects) if rejects else REJECT_SCHEMA.empty_table())


def read_record_tables(prefixes: list[Path]) -> tuple[pa.Table, pa.Table]:
    """The ledger and rejects tables the shards of a run wrote (see shard.clean_listed_shard)."""
    led, rejects = record_tables(prefixes)
    return led.table(), rejects
