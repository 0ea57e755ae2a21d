"""The output dataset on disk: discovery, sharding, staging, atomic commit, rejects, ledger.

    OUT/drop=<drop>/part-*.parquet       the data (hive partitioning; what readers read)
    OUT/_rejects/drop=<drop>/rejects.parquet   quarantined files and records, with reasons
    OUT/_ledger/drop=<drop>/ledger.parquet     one row per processed source file
    OUT/_runs/<run_id>.json              each run's summary (the report is built from these)
    OUT/_reports/                        HTML reports
    OUT/_staging/<run_id>/               shards of a run in progress (readers never look here)

A run writes its shards under _staging; `commit_drop` then builds the drop's complete new
partition there (carrying over untouched part files by hard link) and swaps it with the live one
in a single rename, so a reader sees the old drop or the new one, never half of either. A crashed
run leaves only a staging folder, removed by the next run (`sweep_staging`).
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .schema import REJECT_SCHEMA

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


def new_run_id() -> str:
    return uuid.uuid4().hex


def partition_dir(out: Path, drop: str) -> Path:
    return Path(out) / f"drop={drop}"


# ---------------------------------------------------------------- discovery and sharding

class SourceFile(NamedTuple):  # a tuple: discovery builds one per file (84k in 0.03 s, not 0.15 s)
    path: str  # relative to the drop, POSIX separators
    size: int
    mtime_ns: int


def discover(drop_dir: Path) -> list[SourceFile]:
    """Every file under the drop, sorted; hidden (dot) files and folders are not part of a drop.
    Unsupported types are listed too: the shard quarantines them with a reason."""
    found: list[SourceFile] = []
    stack = [(str(drop_dir), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    stack.append((entry.path, f"{prefix}{entry.name}/"))
                elif entry.is_file():
                    st = entry.stat()
                    found.append(SourceFile(prefix + entry.name, st.st_size, st.st_mtime_ns))
    found.sort(key=lambda f: f.path)
    return found


# Cleaning cost of a file beyond its text, in text-byte equivalents: opening, hashing, the ledger
# row (measured on the bench corpus: ~80 us per file against ~6 MB/s of text per worker).
FILE_COST_BYTES = 512
# The smallest shard the guided plan cuts at the end of a drop (before max_shards scales it).
MIN_SHARD_BYTES = 2 * 1024 * 1024


def estimate_work(drop_dir: Path, files: list[SourceFile]) -> list[int]:
    """Expected cleaning work per file, in text bytes: what shards are balanced by.

    A .gz file holds several times its size in text: its gzip trailer (ISIZE, the uncompressed
    size modulo 2**32, of the last member) says how much; a Parquet file's footer gives its
    uncompressed size. Anything unreadable counts its size: the shard reports it."""
    out = []
    for f in files:
        est = f.size
        name = f.path.lower()
        try:
            if name.endswith(".gz") and f.size >= 18:
                with open(Path(drop_dir) / f.path, "rb") as fh:
                    if fh.read(2) == b"\x1f\x8b":  # gzip magic, else the trailer means nothing
                        fh.seek(-4, os.SEEK_END)
                        est = max(est, int.from_bytes(fh.read(4), "little"))
            elif name.endswith(".parquet"):
                md = pq.read_metadata(Path(drop_dir) / f.path)
                est = max(est, sum(md.row_group(i).total_byte_size for i in range(md.num_row_groups)))
        except (OSError, ValueError, pa.ArrowException):
            pass
        out.append(est + FILE_COST_BYTES)
    return out


def make_shards(files: list[SourceFile], shard_bytes: int, max_shards: int,
                min_shards: int = 1, weights: list[int] | None = None,
                workers: int = 1) -> list[list[str]]:
    """Cut files (in path order) into shards: one Prefect task each.

    Guided plan: each shard takes about remaining / (2 * workers) of the work still to plan,
    bounded to [MIN_SHARD_BYTES, shard_bytes], so shards are coarse while there is much left and
    shrink towards the end, where one big late shard would leave the other workers idle.
    Work is `weights` (see `estimate_work`; default each file's size). At most `max_shards`
    shards (the bounds grow until the plan fits) and, when there are enough files, at least
    `min_shards`, so every worker has work."""
    if not files:
        return []
    if weights is None:
        weights = [f.size for f in files]
    weights = [max(1, w) for w in weights]
    total = sum(weights)
    cap = max(1, min(shard_bytes, total // max(1, min(min_shards, len(files)))))
    floor = max(1, min(MIN_SHARD_BYTES, cap))
    while True:
        shards = _guided(files, weights, total, floor, cap, 2 * max(1, workers))
        if len(shards) <= max_shards:
            return shards
        floor, cap = floor * 2, cap * 2


def _guided(files, weights, total, floor, cap, parts) -> list[list[str]]:
    shards: list[list[str]] = [[]]
    remaining, acc = total, 0
    target = max(floor, min(cap, remaining // parts))
    for f, w in zip(files, weights):
        if shards[-1] and acc + w > target:
            remaining -= acc
            target = max(floor, min(cap, remaining // parts))
            shards.append([])
            acc = 0
        shards[-1].append(f.path)
        acc += w
    return shards


# ---------------------------------------------------------------- staging and locks

@contextmanager
def _flock(path: Path, blocking: bool = True):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


class Staging:
    """A run's private staging folder, held by an exclusive lock for as long as the run lives."""

    def __init__(self, out: Path, run_id: str):
        self.root = Path(out) / "_staging" / run_id
        self._lock_path = Path(out) / "_staging" / f"{run_id}.lock"
        self._ctx = None

    def __enter__(self) -> "Staging":
        self._ctx = _flock(self._lock_path)
        self._ctx.__enter__()
        self.root.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self._lock_path.unlink(missing_ok=True)
        self._ctx.__exit__(*exc)

    def drop_dir(self, drop: str) -> Path:
        d = self.root / f"drop={drop}"
        d.mkdir(parents=True, exist_ok=True)
        return d


def sweep_staging(out: Path) -> list[str]:
    """Remove staging folders of runs that are no longer alive (their lock is free)."""
    base = Path(out) / "_staging"
    removed = []
    if not base.is_dir():
        return removed
    for entry in sorted(base.iterdir()):
        if entry.suffix == ".lock" or not entry.is_dir():
            continue
        lock = base / f"{entry.name}.lock"
        with _flock(lock, blocking=False) as got:
            if got:
                _restore_interrupted_swap(Path(out), entry)
                shutil.rmtree(entry, ignore_errors=True)
                lock.unlink(missing_ok=True)
                removed.append(entry.name)
    return removed


def _restore_interrupted_swap(out: Path, run_dir: Path) -> None:
    """Where renameat2 is missing, a commit swaps in two renames (live -> <run>/drop=D.old, then
    staged -> live). A run killed between them leaves the drop without a partition: put the old
    one back rather than delete it with the dead run's staging."""
    for old in run_dir.glob("drop=*.old"):
        live = out / old.name[: -len(".old")]
        if not live.exists():
            os.rename(old, live)


# ---------------------------------------------------------------- atomic commit

_libc = ctypes.CDLL(None, use_errno=True)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE). False where unsupported."""
    fn = getattr(_libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def replace_file(table: pa.Table, dest: Path) -> None:
    """Write `table` to `dest` as Parquet, whole or not at all (ledgers, rejects, shard records)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, dest)


def _keep_rows(table: pa.Table, column: str, drop_values: set[str] | None) -> pa.Table:
    if drop_values is None:
        return table.slice(0, 0)
    if not drop_values or table.num_rows == 0:
        return table
    mask = pc.invert(pc.is_in(table[column], value_set=pa.array(sorted(drop_values), pa.string())))
    return table.filter(mask)


def read_parquet(path, schema: pa.Schema | None = None, columns: list[str] | None = None) -> pa.Table:
    """One Parquet file as a table (cast to `schema` if given). Through ParquetFile, not
    pq.read_table: that goes through pyarrow.dataset, whose import pulls in pandas, 0.25-0.5 s of
    the flow process's commit."""
    table = pq.ParquetFile(path).read(columns=columns)
    return table.cast(schema) if schema is not None else table


def read_record_tables(prefixes: list[Path]) -> tuple[pa.Table, pa.Table]:
    """The ledger and rejects tables of a run's shards (see shard.clean_listed_shard)."""
    ledger = [read_parquet(f"{p}.ledger.parquet", LEDGER_SCHEMA) for p in prefixes]
    rejects = [read_parquet(f"{p}.rejects.parquet", REJECT_SCHEMA) for p in prefixes]
    return (pa.concat_tables(ledger) if ledger else LEDGER_SCHEMA.empty_table(),
            pa.concat_tables(rejects) if rejects else REJECT_SCHEMA.empty_table())


def _as_table(rows: list[dict] | pa.Table, schema: pa.Schema) -> pa.Table:
    return rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=schema)


def commit_drop(out: Path, drop: str, staged: Path, *, replaced: set[str] | None,
                rejects: list[dict] | pa.Table, ledger: list[dict] | pa.Table) -> dict:
    """Publish a drop. `staged` holds the part files this run wrote for it.

    replaced=None: the run processed the whole drop; the new partition replaces the old one.
    replaced=set of paths: the run processed only these files; rows of other files are kept.
    Rejects and ledger entries of the processed files replace their old entries the same way.
    """
    out = Path(out)
    live = partition_dir(out, drop)
    carried = rewritten = 0
    with _flock(out / "_staging" / "_commit.lock"):
        if replaced is not None and live.is_dir():
            for part in sorted(live.glob("*.parquet")):
                dest = staged / part.name
                paths = set(read_parquet(part, columns=["source_path"])["source_path"].to_pylist())
                if not paths & replaced:
                    try:
                        os.link(part, dest)
                    except OSError:
                        shutil.copy2(part, dest)
                    carried += 1
                    continue
                pf = pq.ParquetFile(part)
                kept = _keep_rows(pf.read(), "source_path", replaced)
                if kept.num_rows:
                    tmp = dest.with_name(f".{dest.name}.tmp")
                    pq.write_table(kept.replace_schema_metadata(pf.schema_arrow.metadata), tmp,
                                   compression="zstd")
                    os.replace(tmp, dest)
                rewritten += 1
        has_data = any(staged.glob("*.parquet"))
        if live.exists():
            old = staged.with_name(staged.name + ".old")
            if _exchange(staged, live):
                os.rename(staged, old)
            else:  # no atomic exchange on this filesystem: a moment with no partition, never half
                os.rename(live, old)
                os.rename(staged, live)
            shutil.rmtree(old, ignore_errors=True)
            if not has_data:
                shutil.rmtree(live, ignore_errors=True)
        elif has_data:
            os.rename(staged, live)

        new_led = _as_table(ledger, LEDGER_SCHEMA)
        scope = None if replaced is None else set(new_led["path"].to_pylist())
        rej_path = out / "_rejects" / f"drop={drop}" / "rejects.parquet"
        old_rej = read_parquet(rej_path, REJECT_SCHEMA) if rej_path.exists() else REJECT_SCHEMA.empty_table()
        new_rej = _as_table(rejects, REJECT_SCHEMA)
        all_rej = pa.concat_tables([_keep_rows(old_rej, "source_path", scope), new_rej])
        if all_rej.num_rows:
            replace_file(all_rej, rej_path)
        elif rej_path.exists():
            rej_path.unlink()

        led_path = out / "_ledger" / f"drop={drop}" / "ledger.parquet"
        old_led = read_parquet(led_path, LEDGER_SCHEMA) if led_path.exists() else LEDGER_SCHEMA.empty_table()
        replace_file(pa.concat_tables([_keep_rows(old_led, "path", scope), new_led]), led_path)
    return {"carried_parts": carried, "rewritten_parts": rewritten, "rejects": all_rej.num_rows}


def load_ledger(out: Path, drop: str) -> dict[str, dict]:
    path = Path(out) / "_ledger" / f"drop={drop}" / "ledger.parquet"
    if not path.exists():
        return {}
    return {row["path"]: row for row in read_parquet(path, LEDGER_SCHEMA).to_pylist()}


def changed_files(drop_dir: Path, files: list[SourceFile], ledger: dict[str, dict]) -> list[SourceFile]:
    """Files that are new or whose content changed since the ledger saw them. Size and mtime
    settle the common case; a file whose mtime moved is hashed before it counts as changed."""
    from .shard import file_sha256

    todo = []
    for f in files:
        seen = ledger.get(f.path)
        if seen is None or seen["size"] != f.size:
            todo.append(f)
        elif seen["mtime_ns"] != f.mtime_ns and seen["sha256"] != file_sha256(Path(drop_dir) / f.path):
            todo.append(f)
    return todo


def write_run_summary(out: Path, summary: dict) -> Path:
    path = Path(out) / "_runs" / f"{summary['run_id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(summary, indent=1, sort_keys=True, default=str))
    os.replace(tmp, path)
    return path
