"""One run at a time: poll, report, alerts and the daemon all take the same lock file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class LockBusy(Exception):
    """Another lineupwatch run holds the lock; this one must leave the database alone."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def run_lock(database: Path) -> Iterator[None]:
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise LockBusy(f"another lineupwatch run holds the lock {path}; this run did nothing. "
                       "Wait for it to finish; the lock frees itself when that process exits.") from None
    try:
        yield
    finally:
        lock.release()
