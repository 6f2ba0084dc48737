"""Child processes: a start method safe for this process, and a child on the other end of a pipe.

The report's chart and backfill workers (report/writer.py), the demo's replay Hub
(replay/timeline_hub.py) and the demo's workers (ops/demo_worker.py) share them; what their
messages mean stays with each.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection


def start_method() -> multiprocessing.context.BaseContext:
    """fork where it is safe, this process running one thread (the CLI): children start at once,
    with everything imported; otherwise (a test runner beside a replay Hub, a host application)
    the platform's safe default, a fork server or spawn."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    safe = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(safe)


class PipeChild:
    """`target(conn, *args)` in a child process, talked to down a pipe. `stop` sends None (the
    child's cue to end), closes the pipe and waits `grace` seconds before terminating it; a pipe
    that breaks raises `failure` with `what` in its message."""

    def __init__(self, target: Callable[..., None], args: tuple, name: str, *, daemon: bool, grace: float,
                 failure: type[Exception], what: str) -> None:
        self._target, self._args, self._name, self._daemon = target, args, name, daemon
        self._grace, self._failure, self._what = grace, failure, what
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> None:
        context = start_method()
        self._conn, child = context.Pipe()
        self._process = context.Process(target=self._target, args=(child, *self._args), name=self._name,
                                        daemon=self._daemon)
        self._process.start()
        child.close()

    def send(self, message: object) -> None:
        assert self._conn is not None, "start() first"
        try:
            self._conn.send(message)
        except OSError as err:
            raise self._failure(f"{self._what} stopped: {err}") from None

    def recv(self) -> object:
        assert self._conn is not None, "start() first"
        try:
            return self._conn.recv()
        except (EOFError, OSError):
            raise self._failure(f"{self._what} stopped without answering") from None

    def stop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.send(None)
            except OSError:
                pass
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(self._grace)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join()
            self._process = None
