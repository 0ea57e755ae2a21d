"""Publishing a drop: its complete new partition swapped in with one rename, its rejects and
ledger entries replaced in the same commit (under one lock for the whole dataset)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..schema import REJECT_SCHEMA
from .files import atomic_path, doc_write_options, exchange, read_parquet, write_parquet
from .layout import ledger_path, partition_dir, rejects_path, staging_root
from .ledger import LEDGER_SCHEMA, read_ledger
from .staging import flock


def _keep_rows(table: pa.Table, column: str, drop_values: set[str] | None) -> pa.Table:
    if drop_values is None:
        return table.slice(0, 0)
    if not drop_values or table.num_rows == 0:
        return table
    mask = pc.invert(pc.is_in(table[column], value_set=pa.array(sorted(drop_values), pa.string())))
    return table.filter(mask)


def _as_table(rows: list[dict] | pa.Table, schema: pa.Schema) -> pa.Table:
    return rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=schema)


class WouldEmptyDrop(RuntimeError):
    """The commit would replace a drop's rows with nothing, and that was not asked for."""


def _rows(folder: Path) -> int:
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))


def commit_drop(out: Path, drop: str, staged: Path, *, replaced: set[str] | None,
                rejects: list[dict] | pa.Table, ledger: list[dict] | pa.Table,
                allow_empty: bool = False) -> dict:
    """Publish a drop. `staged` holds the part files this run wrote for it.

    replaced=None: the run processed the whole drop; the new partition replaces the old one.
    replaced=set of paths: the run processed (or removes: deleted files) only these files; rows
    of other files are kept. Rejects and ledger entries of those paths are replaced the same way.
    A commit that would leave a drop with rows without any raises WouldEmptyDrop, changing
    nothing, unless allow_empty.
    """
    out = Path(out)
    live = partition_dir(out, drop)
    carried = rewritten = 0
    with flock(staging_root(out) / "_commit.lock"):
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
                    with atomic_path(dest) as tmp:
                        pq.write_table(kept.replace_schema_metadata(pf.schema_arrow.metadata), tmp,
                                       **doc_write_options(kept.schema))
                rewritten += 1
        has_data = any(staged.glob("*.parquet"))
        if not has_data and not allow_empty and live.is_dir() and (lost := _rows(live)):
            raise WouldEmptyDrop(
                f"drop {drop!r}: this run would replace the committed partition ({lost:,} rows) "
                f"with nothing: no document of the run survived (the drop folder is empty, every "
                f"file was rejected, or every file was deleted). Nothing was changed; pass "
                f"--allow-empty (flow parameter allow_empty) to empty the drop.")
        if live.exists():
            old = staged.with_name(staged.name + ".old")
            if exchange(staged, live):
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
        scope = None if replaced is None else set(replaced) | set(new_led["path"].to_pylist())
        rej_path = rejects_path(out, drop)
        old_rej = read_parquet(rej_path, REJECT_SCHEMA) if rej_path.exists() else REJECT_SCHEMA.empty_table()
        new_rej = _as_table(rejects, REJECT_SCHEMA)
        all_rej = pa.concat_tables([_keep_rows(old_rej, "source_path", scope), new_rej])
        if all_rej.num_rows:
            write_parquet(all_rej, rej_path)
        elif rej_path.exists():
            rej_path.unlink()

        old_led = read_ledger(out, drop)
        write_parquet(pa.concat_tables([_keep_rows(old_led, "path", scope), new_led]),
                      ledger_path(out, drop))
    return {"carried_parts": carried, "rewritten_parts": rewritten, "rejects": all_rej.num_rows}
