"""Files written whole or not at all, and read back without pandas."""
from __future__ import annotations

import ctypes
import errno
import os
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


@contextmanager
def atomic_path(dest: Path):
    """Yield a temporary path beside `dest`; when the block succeeds, what it wrote there becomes
    `dest` in one rename (a block that wrote nothing leaves `dest` alone); when it fails, the
    temporary file is removed. Readers see the old file or the new one, never half."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        yield tmp
        if tmp.exists():
            os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


# Columns of whole documents or unique values: a dictionary page never pays for them (Parquet
# tries one anyway, hashing every value until the page overflows), and their min/max statistics
# are two whole articles per row group in the footer that no reader can prune with.
_UNIQUE_COLUMNS = frozenset({"text", "text_raw", "doc_id", "meta"})


def doc_write_options(schema: pa.Schema) -> dict:
    """ParquetWriter options for the clean dataset's part files."""
    plain = [n for n in schema.names if n not in _UNIQUE_COLUMNS]
    return {"compression": "zstd", "use_dictionary": plain, "write_statistics": plain}


def write_parquet(table: pa.Table, dest: Path) -> None:
    with atomic_path(dest) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def write_parquet_pieces(pieces, dest: Path, schema: pa.Schema) -> None:
    """Tables of `schema` written to `dest` one at a time (a row group or more each), whole or
    not at all, so memory holds one piece."""
    with atomic_path(dest) as tmp:
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for t in pieces:
                writer.write_table(t)


def write_text(dest: Path, text: str) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_parquet(path, schema: pa.Schema | None = None, columns: list[str] | None = None) -> pa.Table:
    """One Parquet file as a table (cast to `schema` if given). Through ParquetFile, not
    pq.read_table: that goes through pyarrow.dataset, whose import pulls in pandas."""
    table = pq.ParquetFile(path).read(columns=columns)
    return table.cast(schema) if schema is not None else table


_libc = ctypes.CDLL(None, use_errno=True)
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
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
