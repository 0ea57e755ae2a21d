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
from . import duplicates
from .files import (atomic_path, doc_write_options, exchange, read_parquet, write_parquet,
                    write_parquet_pieces)
from .layout import (DATA_SUFFIX, STAGED_SUFFIX, ledger_path, legacy_path, partition_dir,
                     readable, rejects_path, staging_root)
from .ledger import LEDGER_SCHEMA, RunLedger, read_ledger
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
                rejects: list[dict] | pa.Table, ledger: list[dict] | pa.Table | RunLedger,
                allow_empty: bool = False, carried_flags: pa.Table | None = None,
                before_swap=None) -> dict:
    """Publish a drop. `staged` holds the part files this run wrote for it.

    replaced=None: the run processed the whole drop; the new partition replaces the old one.
    replaced=set of paths: the run processed (or removes: deleted files) only these files; rows
    of other files are kept. Rejects and ledger entries of those paths are replaced the same way.
    A commit that would leave a drop with rows without any raises WouldEmptyDrop, changing
    nothing, unless allow_empty.

    Duplicate flags (pipeline/storage/duplicates.py): `carried_flags` (doc_id + flag columns) are
    the new flags of the rows an incremental run keeps; a kept part whose flags changed is
    rewritten. `before_swap(staged)` adds files to the staged partition (the drop's index).
    After the swap, drops whose flags went stale are re-flagged, still under the lock.
    """
    out = Path(out)
    live = partition_dir(out, drop)
    carried = rewritten = 0
    with flock(staging_root(out) / "_commit.lock"):
        if replaced is not None and live.is_dir():
            for part in sorted(live.glob(f"*{DATA_SUFFIX}")):
                dest = staged / (part.name + STAGED_SUFFIX)
                paths = set(read_parquet(part, columns=["source_path"])["source_path"].to_pylist())
                if not paths & replaced:
                    if carried_flags is not None and duplicates.rewrite_part(part, dest, carried_flags):
                        rewritten += 1
                        continue
                    if carried_flags is None:
                        try:
                            os.link(part, dest)
                        except OSError:
                            shutil.copy2(part, dest)
                    carried += 1
                    continue
                pf = pq.ParquetFile(part)
                kept = _keep_rows(pf.read(), "source_path", replaced)
                if kept.num_rows and carried_flags is not None:
                    kept = duplicates.reflagged(kept, carried_flags) or kept
                if kept.num_rows:
                    with atomic_path(dest) as tmp:
                        pq.write_table(kept.replace_schema_metadata(pf.schema_arrow.metadata), tmp,
                                       **doc_write_options(kept.schema))
                rewritten += 1
        for part in staged.glob(f"*{DATA_SUFFIX}{STAGED_SUFFIX}"):  # their final names, at last
            part.rename(part.with_name(part.name[: -len(STAGED_SUFFIX)]))
        has_data = any(staged.glob(f"*{DATA_SUFFIX}"))
        if not has_data and not allow_empty and live.is_dir() and (lost := _rows(live)):
            raise WouldEmptyDrop(
                f"drop {drop!r}: this run would replace the committed partition ({lost:,} rows) "
                f"with nothing: no document of the run survived (the drop folder is empty, every "
                f"file was rejected, or every file was deleted). Nothing was changed; pass "
                f"--allow-empty (flow parameter allow_empty) to empty the drop.")
        if has_data and before_swap is not None:
            before_swap(staged)
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

        # a whole-drop run's entries are streamed from the shards' files (ledger.RunLedger)
        run_ledger = RunLedger.of(ledger)
        new_led = None if replaced is None else run_ledger.table()
        scope = None if replaced is None else set(replaced) | set(new_led["path"].to_pylist())
        rej_path = rejects_path(out, drop)
        found = readable(rej_path)
        # a whole-drop run replaces every old entry: the old tables need not be read
        old_rej = (read_parquet(found, REJECT_SCHEMA) if found and scope is not None
                   else REJECT_SCHEMA.empty_table())
        new_rej = _as_table(rejects, REJECT_SCHEMA)
        all_rej = pa.concat_tables([_keep_rows(old_rej, "source_path", scope), new_rej])
        if all_rej.num_rows:
            write_parquet(all_rej, rej_path)
        elif rej_path.exists():
            rej_path.unlink()
        legacy_path(rej_path).unlink(missing_ok=True)  # an older dataset's name, now replaced

        if scope is None:
            write_parquet_pieces(run_ledger.pieces(), ledger_path(out, drop), LEDGER_SCHEMA)
        else:
            write_parquet(pa.concat_tables([_keep_rows(read_ledger(out, drop), "path", scope),
                                            new_led]), ledger_path(out, drop))
        legacy_path(ledger_path(out, drop)).unlink(missing_ok=True)
        reflagged = duplicates.reflag_stale(out)
    return {"carried_parts": carried, "rewritten_parts": rewritten, "rejects": all_rej.num_rows,
            "reflagged_drops": reflagged}
