"""The duplicate flag columns on the data rows, and the two-wave write that puts them there.

A row's duplicate flags (`dup_cluster`, `dup_representative`, `dup_of`, `dup_kind`,
`dup_similarity`; pipeline/dedup_index.py has the rules) are known only once every document of
the drop, and of the drops before it, is signed. So a shard is written in two waves:

1. the worker cleans its files, writes the clean batches uncompressed to a spill file (Arrow
   IPC) and their duplicate-index rows (pipeline/dedup.py) beside it;
2. once the drop is matched, a worker reads its spill back (memory-mapped), adds the flags and
   writes the Parquet part, compressed: the encoding a part always needed, done once, with
   every column.

`clean_shard` does both waves in one process with the drop being that shard; the flows run
wave 1 for every shard, match, then wave 2 for every shard.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .dedup_index import FLAG_SCHEMA, match_drop
from .schema import PROVENANCE_FIELDS
from .storage.files import atomic_path, doc_write_options

FIELDS = [f for f in FLAG_SCHEMA if f.name != "doc_id"]
NAMES = [f.name for f in FIELDS]
_PROVENANCE = [f.name for f in PROVENANCE_FIELDS]


def full_schema(clean: pa.Schema) -> pa.Schema:
    """The dataset's schema: the clean columns, the flag columns, then provenance."""
    fields = [f for f in clean if f.name not in _PROVENANCE]
    return pa.schema(fields + FIELDS + [clean.field(n) for n in _PROVENANCE],
                     metadata=clean.metadata)


def attach(batch: pa.RecordBatch, flags: pa.Table, schema: pa.Schema) -> pa.RecordBatch:
    """`batch` with the flag columns of `flags` (its rows, in order), in `schema` order."""
    cols = {n: batch.column(n) for n in batch.schema.names}
    for n in NAMES:
        col = flags.column(n)
        cols[n] = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return pa.RecordBatch.from_arrays([cols[f.name] for f in schema], schema=schema)


def write_part(spill: Path, flags: pa.Table | None, part: Path, schema: pa.Schema,
               row_group_rows: int) -> int:
    """Wave 2: the spilled batches of `spill` with their flags (rows aligned) as the Parquet
    file `part` (written whole or not at all). `flags` None: the batches as they are (no
    duplicate columns in `schema`). Returns the number of rows."""
    rows = 0
    with pa.memory_map(str(spill)) as src, atomic_path(part) as tmp:
        reader = pa.ipc.open_stream(src)
        with pq.ParquetWriter(tmp, schema, **doc_write_options(schema)) as writer:
            for batch in reader:
                n = batch.num_rows
                if flags is not None:
                    batch = attach(batch, flags.slice(rows, n), schema)
                writer.write_batch(batch.replace_schema_metadata(schema.metadata)
                                   if flags is None else batch, row_group_size=row_group_rows)
                rows += n
    if flags is not None and rows != flags.num_rows:
        part.unlink(missing_ok=True)
        raise ValueError(f"{spill}: {rows} rows but {flags.num_rows} duplicate flags")
    return rows


def within(index: pa.Table) -> pa.Table:
    """The flags of index rows matched among themselves only (one shard or table as a drop)."""
    return match_drop(index).flags


def flag_table(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A table of clean rows with flags matched among its own rows (notebooks, tests)."""
    from .dedup import index_batch

    flags = within(index_batch(table))
    batches = [attach(b, flags.slice(off, b.num_rows), schema)
               for off, b in _offsets(table.to_batches())]
    return pa.Table.from_batches(batches, schema=schema)


def _offsets(batches):
    off = 0
    for b in batches:
        yield off, b
        off += b.num_rows
