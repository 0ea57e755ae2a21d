"""Planning a run: the drop's files, how much work each holds, and the shards (one task each)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq


class SourceFile(NamedTuple):  # a tuple, not a dataclass: discovery builds one per file
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
# row. Without it a shard of many tiny files would be planned as nearly free.
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
