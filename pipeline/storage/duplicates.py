"""Duplicate flags across the dataset: matching a run's drop against every drop committed before
it, the drop's index file, and keeping later drops' flags true when an earlier drop changes.

"First seen" is drop name order, then source path, then record (pipeline/dedup_index.py has
the rules), so a drop's flags depend on the drops before it: committing drop D can change the
flags of drops after D (a replaced or new drop that sorts before them). Every committed drop
keeps its index rows and flags in `drop=<d>/_dedup/index.pq`, with the id of the file and the
basis it was matched on (the ids of the earlier drops' index files). After a commit, under the
commit lock, `reflag_stale` re-flags the first drop whose basis no longer holds and every drop
after it, each with its own atomic swap; a run killed between two of those swaps leaves a stale
basis that the next commit finds and finishes. A drop committed before duplicate flags existed
has no index: it is signed from its text once, by the same pass.
"""
from __future__ import annotations

import os
import queue
import shutil
import threading
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import dedup, dedup_index
from ..dedup_index import FLAG_COLUMNS, FLAG_SCHEMA, MatchStats, Source
from .files import atomic_path, doc_write_options, exchange
from .layout import DATA_SUFFIX, STAGED_SUFFIX, partition_dir, staging_root

INDEX_NAMES = dedup.index_schema().names


def committed_drops(out: Path) -> list[str]:
    """The committed drops of the dataset, in first-seen (name) order."""
    root = Path(out)
    if not root.is_dir():
        return []
    return sorted(p.name[len("drop="):] for p in root.iterdir()
                  if p.is_dir() and p.name.startswith("drop=") and any(p.glob("*.parquet")))


def _index_id(out: Path, drop: str) -> str:
    return dedup_index.read_meta(dedup_index.index_path(out, drop))["index_id"]


def earlier(out: Path, drop: str) -> tuple[list[Source], list[str]]:
    """Sources and index ids of the committed drops before `drop` (a drop being replaced is not
    its own earlier drop). Drops without a current index are signed first (`reflag_stale`)."""
    before = [d for d in committed_drops(out) if d < drop]
    return dedup_index.sources_from_dir(out, before), [_index_id(out, d) for d in before]


class RunMatcher:
    """Matches a whole-drop run's shards against the drops before it, in shard order, in a
    thread: the flow hands it each shard as soon as that shard and every one before it are
    cleaned (`put`), so the matching overlaps the cleaning of the shards after them. Each
    shard's flags go to `<prefix>.flags.pq` (rows in its spill's order); `finish` waits for the
    last one and returns {stats, earlier_ids, carried_flags: None}."""

    def __init__(self, out: Path, drop: str):
        self.sources, self.ids = earlier(out, drop)
        self.stats = MatchStats()
        self._queue: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="duplicate-matching", daemon=True)
        self._thread.start()

    def put(self, prefix: Path) -> None:
        self._queue.put(Path(prefix))

    def _pieces(self, order: list[Path]):
        while (p := self._queue.get()) is not None:
            if Path(f"{p}.index.pq").exists():  # a shard with no document has no index rows
                order.append(p)
                yield pq.read_table(f"{p}.index.pq")
        self._closed = True

    def _run(self) -> None:
        order: list[Path] = []
        try:
            for p, m in zip_pieces(order, dedup_index.match_pieces(self._pieces(order), self.sources)):
                pq.write_table(m.flags, f"{p}.flags.pq")
                self.stats.add(m.stats)
        except BaseException as exc:  # noqa: BLE001  (raised by finish, in the flow)
            self._error = exc
            if not self._closed:  # read on to finish's end mark; nothing more is matched
                for _ in iter(self._queue.get, None):
                    pass

    def abandon(self) -> None:
        """The run failed: let the thread end (without waiting for it)."""
        self._queue.put(None)

    def finish(self) -> dict:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return {"stats": self.stats, "earlier_ids": self.ids, "carried_flags": None}


def zip_pieces(order: list[Path], matches):
    """(prefix, match) pairs: `order` grows as the pieces are read, one ahead of the matches."""
    for k, m in enumerate(matches):
        yield order[k], m


def match_run(out: Path, drop: str, prefixes: list[Path], carried: pa.Table | None = None) -> dict:
    """Match a run's shards (their `<prefix>.index.pq` files, in shard order) against the
    drops before it, and write each shard's flags to `<prefix>.flags.pq` (rows in its spill's
    order). `carried`: index rows, with their flags, of the drop's rows a run keeps (an
    incremental run); then the whole drop is matched as one table and `carried_flags` (the new
    flags of the carried rows) is returned for the commit. Returns {stats, earlier_ids,
    carried_flags}."""
    if carried is None or carried.num_rows == 0:
        matcher = RunMatcher(out, drop)
        for p in prefixes:
            matcher.put(p)
        return matcher.finish()
    sources, ids = earlier(out, drop)
    present = [p for p in prefixes if Path(f"{p}.index.pq").exists()]
    stats = MatchStats()
    new = [pq.read_table(f"{p}.index.pq") for p in present]
    whole = pa.concat_tables([carried.select(INDEX_NAMES).cast(dedup.index_schema()), *new])
    m = dedup_index.match_drop(whole, sources)
    stats.add(m.stats)
    off = carried.num_rows
    carried_flags = m.flags.slice(0, off)
    for p, piece in zip(present, new):
        pq.write_table(m.flags.slice(off, piece.num_rows), f"{p}.flags.pq")
        off += piece.num_rows
    return {"stats": stats, "earlier_ids": ids, "carried_flags": carried_flags}


def write_drop_index(part_dir: Path, prefixes: list[Path], earlier_ids: list[str],
                     carried: pa.Table | None = None, carried_flags: pa.Table | None = None) -> str:
    """The drop's index file in the staged partition `part_dir`: the index rows of the run's
    shards (and of its carried rows, for an incremental run), with their flags. A full run's
    shards are written one at a time (they are consecutive path ranges); an incremental run's
    rows are sorted first. Returns the file's id ('' when there are no rows)."""
    dest = dedup_index.index_path(part_dir.parent, part_dir.name[len("drop="):])
    present = [p for p in prefixes if Path(f"{p}.index.pq").exists()]
    if carried is None or carried.num_rows == 0:
        pieces = ((pq.read_table(f"{p}.index.pq"), pq.read_table(f"{p}.flags.pq")) for p in present)
        return dedup_index.write_index_pieces(dest, pieces, earlier_ids)
    index = pa.concat_tables([carried.select(INDEX_NAMES).cast(dedup.index_schema()),
                              *(pq.read_table(f"{p}.index.pq") for p in present)])
    flags = pa.concat_tables([carried_flags.select(FLAG_SCHEMA.names),
                              *(pq.read_table(f"{p}.flags.pq") for p in present)])
    return dedup_index.write_index(dest, index, flags, earlier_ids)


def carried_index(out: Path, drop: str, replaced: set[str]) -> pa.Table | None:
    """The index rows of the committed rows of `drop` that an incremental run keeps (source_path
    not in `replaced`); signed from their text when the drop has no index yet. None when the
    drop has no committed rows."""
    live = partition_dir(out, drop)
    if not any(live.glob("*.parquet")):
        return None
    path = dedup_index.index_path(out, drop)
    t = pq.read_table(path, columns=INDEX_NAMES) if path.exists() else _sign_from_text(live)
    if replaced and t.num_rows:
        t = t.filter(pc.invert(pc.is_in(t["source_path"],
                                        value_set=pa.array(sorted(replaced), pa.string()))))
    return t


def reflagged(part: pa.Table, flags_by_id: pa.Table) -> pa.Table | None:
    """`part` with the flags of `flags_by_id` (doc_id + flag columns) where they differ from its
    own; None when none differ (the part can stay as it is)."""
    idx = pc.index_in(part["doc_id"], value_set=flags_by_id["doc_id"])
    if pc.any(pc.is_null(idx)).as_py():
        raise ValueError("a row of the part has no duplicate flags")
    new = flags_by_id.take(idx)
    if all(c in part.column_names for c in FLAG_COLUMNS) and all(
            part[c].equals(new[c]) for c in FLAG_COLUMNS):
        return None
    out = part
    for c in FLAG_COLUMNS:
        field = FLAG_SCHEMA.field(c)
        if c in out.column_names:
            out = out.set_column(out.column_names.index(c), field, new[c])
        else:  # a part written before duplicate flags existed
            out = out.append_column(field, new[c])
    return out


def rewrite_part(src: Path, dest: Path, flags_by_id: pa.Table) -> bool:
    """`src`'s rows with the new flags into `dest` (a hard link when nothing changes). True when
    the part was rewritten."""
    pf = pq.ParquetFile(src)
    table = pf.read()
    new = reflagged(table, flags_by_id)
    if new is None:
        try:
            os.link(src, dest)
        except OSError:
            shutil.copy2(src, dest)
        return False
    with atomic_path(dest) as tmp:
        pq.write_table(new.replace_schema_metadata(pf.schema_arrow.metadata), tmp,
                       **doc_write_options(new.schema))
    return True


def _sign_from_text(part_dir: Path) -> pa.Table:
    """Index rows of a drop committed without them: signed from its rows' text."""
    tables = []
    for p in sorted(part_dir.glob("*.parquet")):
        t = pq.read_table(p, columns=["doc_id", "source_path", "source_record", "text"])
        tables.extend(dedup.index_batch(b) for b in t.to_batches(max_chunksize=2000))
    return pa.concat_tables(tables) if tables else dedup.index_schema().empty_table()


def reflag_stale(out: Path) -> list[str]:
    """Re-flag the first drop whose flags may be stale (no index, or matched on other versions
    of the drops before it) and every drop after it, each swapped in whole. Call under the
    commit lock. Returns the drops whose index was rewritten."""
    out = Path(out)
    drops = committed_drops(out)
    k = dedup_index.first_stale(out, drops)
    if k is None:
        return []
    ids = [_index_id(out, d) for d in drops[:k]]
    sources = dedup_index.sources_from_dir(out, drops[:k])
    done = []
    for d in drops[k:]:
        live = partition_dir(out, d)
        path = dedup_index.index_path(out, d)
        index = (pq.read_table(path, columns=INDEX_NAMES) if path.exists()
                 else _sign_from_text(live))
        m = dedup_index.match_drop(index, sources)
        work = staging_root(out) / f"reflag-{uuid.uuid4().hex}"
        staged = work / f"drop={d}"
        staged.mkdir(parents=True)
        try:
            for part in sorted(live.glob(f"*{DATA_SUFFIX}")):
                rewrite_part(part, staged / (part.name + STAGED_SUFFIX), m.flags)
            for part in staged.glob(f"*{DATA_SUFFIX}{STAGED_SUFFIX}"):
                part.rename(part.with_name(part.name[: -len(STAGED_SUFFIX)]))
            new_id = dedup_index.write_index(dedup_index.index_path(work, d), index, m.flags, ids)
            old = work / f"drop={d}.old"
            if exchange(staged, live):
                os.rename(staged, old)
            else:
                os.rename(live, old)
                os.rename(staged, live)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        ids.append(new_id)
        sources.append(Source(d, path=dedup_index.index_path(out, d)))
        done.append(d)
    return done


def largest_clusters(flags: pa.Table, n: int = 10) -> list[dict]:
    """The drop's largest duplicate clusters: representative doc_id and rows in this drop."""
    if flags.num_rows == 0:
        return []
    dups = flags.filter(pc.invert(flags["dup_representative"]))
    if dups.num_rows == 0:
        return []
    g = dups.group_by("dup_cluster").aggregate([("doc_id", "count")])
    g = g.sort_by([("doc_id_count", "descending"), ("dup_cluster", "ascending")]).slice(0, n)
    return [{"representative": r["dup_cluster"], "copies": r["doc_id_count"]}
            for r in g.to_pylist()]


def run_summary(out: Path, drop: str, stats: MatchStats) -> dict:
    """The duplicates part of a run summary: the match's counts and the drop's largest clusters
    (from its committed index)."""
    path = dedup_index.index_path(out, drop)
    flags = (pq.read_table(path, columns=["doc_id", "dup_cluster", "dup_representative"])
             if path.exists() else FLAG_SCHEMA.empty_table())
    dups = flags.num_rows - int(pc.sum(flags["dup_representative"]).as_py() or 0) if flags.num_rows else 0
    return {"documents": flags.num_rows, "duplicates": dups, "exact": stats.exact,
            "near": stats.near, "largest_clusters": largest_clusters(flags),
            "truncated_buckets": stats.truncated_buckets}
