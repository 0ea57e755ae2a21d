"""Planning a run: the drop's files, how much work each holds, and the shards (one task each)."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq


class SourceFile(NamedTuple):  # a tuple, not a dataclass: discovery builds one per file
    path: str  # relative to the drop, POSIX separators
    size: int
    mtime_ns: int
    ctime_ns: int = 0
    # Why the entry must not be read (it is recorded as a reject instead), or None: see PROBLEMS.
    problem: str | None = None
    detail: str = ""


# What discovery refuses to read, by reject reason.
PROBLEMS = {
    "outside_drop": "a symbolic link whose target is outside the drop folder",
    "symlink_loop": "a symbolic link that loops, or a link to a folder of the drop (its files are "
                    "listed under their own paths)",
    "broken_link": "a symbolic link whose target does not exist",
    "not_a_file": "a FIFO, socket or device, not a regular file",
    "bad_file_name": "a name that is not valid UTF-8 (shown with its bytes escaped)",
    "unreadable": "an entry that cannot be listed or examined (permissions, I/O)",
}


def display_name(rel: str) -> str:
    """A path as text: bytes that are not UTF-8 (kept by os as surrogates) shown as \\xNN."""
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def within(root: str, real: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def check_file(root: str, rel: str) -> tuple[str | None, str]:
    """(problem, detail) of reading `rel` under the real drop folder `root` now; (None, "") for a
    regular file inside it. The worker checks again before it opens a file, so a link swapped in
    after discovery is not followed either."""
    path = os.path.join(root, rel)
    try:
        st = os.stat(path)
    except OSError as exc:
        return _stat_problem(exc)
    real = os.path.realpath(path)
    if not within(root, real):
        return "outside_drop", f"links to {real}"
    if not stat.S_ISREG(st.st_mode):
        return "not_a_file", _kind(st.st_mode)
    return None, ""


def _stat_problem(exc: OSError) -> tuple[str, str]:
    if exc.errno == errno.ELOOP:
        return "symlink_loop", str(exc)
    if exc.errno == errno.ENOENT:
        return "broken_link", str(exc)
    return "unreadable", f"{type(exc).__name__}: {exc}"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _entries(scan, prefix: str, problem):
    """The entries of an open os.scandir, closed after; an error part-way is a problem entry."""
    with scan:
        try:
            yield from scan
        except OSError as exc:
            problem(prefix.rstrip("/") or ".", "unreadable", f"{type(exc).__name__}: {exc}")


def discover(drop_dir: Path) -> list[SourceFile]:
    """Every entry under the drop, sorted; hidden (dot) files and folders are not part of a drop.

    Confined: a link to a file is followed only where its real path stays inside the drop's real
    folder; a link to a folder is never entered (outside the drop it is `outside_drop`, inside it
    its files are listed under their own paths). Entries that must not be read (PROBLEMS:
    links out of the drop, loops, broken links, FIFOs/sockets/devices, names that are not UTF-8,
    entries that cannot be examined) are listed with their `problem` and never opened; the run
    records them as rejects. Unsupported file types are listed as files: the shard quarantines
    them with a reason. Nothing here raises for one bad entry."""
    root = os.path.realpath(drop_dir)
    found: list[SourceFile] = []
    seen_dirs = {root}
    stack = [(root, "")]

    def problem(rel: str, kind: str, detail: str, st=None) -> None:
        found.append(SourceFile(display_name(rel), st.st_size if st else 0,
                                st.st_mtime_ns if st else 0, st.st_ctime_ns if st else 0,
                                kind, detail))

    while stack:
        folder, prefix = stack.pop()
        try:
            # iterated, not listed: a folder of 400k files would hold 400k DirEntry objects
            entries = os.scandir(folder)
        except OSError as exc:
            problem(prefix.rstrip("/") or ".", "unreadable", f"{type(exc).__name__}: {exc}")
            continue
        for entry in _entries(entries, prefix, problem):
            name = entry.name
            if name.startswith("."):
                continue
            rel = prefix + name
            try:
                lst = entry.stat(follow_symlinks=False)
            except OSError as exc:
                problem(rel, *_stat_problem(exc))
                continue
            if name != display_name(name):
                problem(rel, "bad_file_name", f"the name is not valid UTF-8: {display_name(name)!r}", lst)
                continue
            st = lst
            if stat.S_ISLNK(lst.st_mode):
                try:
                    st = os.stat(entry.path)
                except OSError as exc:
                    problem(rel, *_stat_problem(exc), lst)
                    continue
                real = os.path.realpath(entry.path)
                if not within(root, real):
                    problem(rel, "outside_drop", f"links to {real}", lst)
                    continue
            if stat.S_ISDIR(st.st_mode):
                real = os.path.realpath(entry.path)
                if stat.S_ISLNK(lst.st_mode) or real in seen_dirs:
                    # its target is in the drop already, under its own path (or an ancestor)
                    problem(rel, "symlink_loop", f"links to {real}, a folder of the drop", lst)
                    continue
                seen_dirs.add(real)
                stack.append((real, f"{rel}/"))
            elif stat.S_ISREG(st.st_mode):
                found.append(SourceFile(rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
            else:
                problem(rel, "not_a_file", _kind(st.st_mode), lst)
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
