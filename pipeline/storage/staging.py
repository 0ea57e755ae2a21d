"""A run's private staging folder, its lock, and the sweep of what crashed runs left behind."""
from __future__ import annotations

import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from .layout import staging_root


@contextmanager
def flock(path: Path, blocking: bool = True):
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
        self.root = staging_root(out) / run_id
        self._lock_path = staging_root(out) / f"{run_id}.lock"
        self._ctx = None

    def __enter__(self) -> "Staging":
        self._ctx = flock(self._lock_path)
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
    base = staging_root(out)
    removed = []
    if not base.is_dir():
        return removed
    for entry in sorted(base.iterdir()):
        if entry.suffix == ".lock" or not entry.is_dir():
            continue
        lock = base / f"{entry.name}.lock"
        with flock(lock, blocking=False) as got:
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
