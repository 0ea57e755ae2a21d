"""Read the next files of a shard from disk while the current one is being cleaned.

A worker cleans a shard's files one after the other, each read with a blocking `read()`. When the
drop is not in the page cache (a new drop on disk, or one this machine's memory manager has
evicted), every file then waits for the disk while its core idles (docs/performance.md measures
it). `Readahead` asks the kernel (posix_fadvise WILLNEED) to start reading the next few files
in the background, a bounded window ahead of the one being cleaned, so the disk works while the
CPU does; the worker's own reads then find the data in the page cache.

It is advice only: it reads nothing into Python, never fails (a file it cannot open is left to
the worker's own read, which reports it) and does nothing on systems without posix_fadvise.
"""
from __future__ import annotations

import os
from collections import deque
from pathlib import Path

# How far ahead of the file being cleaned: at most this many files and this many bytes. 8 MB is
# over a second of one worker's cleaning: enough for the disk to keep ahead, small enough that the
# page cache does not evict the data before it is read.
AHEAD_FILES = 32
AHEAD_BYTES = 8 * 1024 * 1024

_ADVISE = getattr(os, "posix_fadvise", None)


def _willneed(path: str) -> int:
    """Start reading `path` into the page cache (up to AHEAD_BYTES of it); return its size."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        _ADVISE(fd, 0, min(size, AHEAD_BYTES), os.POSIX_FADV_WILLNEED)
        return size
    finally:
        os.close(fd)


class Readahead:
    """Keep a window of the files after the current one being read by the kernel.

    Call `before(i)` before the worker reads files[i]."""

    def __init__(self, root: Path, files: list[str], advise=None) -> None:
        self._paths = [os.path.join(root, rel) for rel in files]
        self._advise = advise or (_willneed if _ADVISE is not None else None)
        self._next = 0  # the next file to advise
        self._window: deque[tuple[int, int]] = deque()  # (index, bytes) advised, not yet passed
        self._bytes = 0

    def before(self, i: int) -> None:
        if self._advise is None:
            return
        while self._window and self._window[0][0] < i:
            self._bytes -= self._window.popleft()[1]
        self._next = max(self._next, i)
        while (self._next < len(self._paths) and self._next < i + AHEAD_FILES
               and self._bytes < AHEAD_BYTES):
            try:
                size = self._advise(self._paths[self._next])
            except OSError:  # the worker's own read reports it
                size = 0
            self._window.append((self._next, size))
            self._bytes += size
            self._next += 1
