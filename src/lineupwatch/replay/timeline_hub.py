"""The bundled timeline served from a process of its own, moved day by day by its caller.

The demo lives through 2026 against a ReplayHub serving the bundled timeline with the SYNTHETIC
stream beside it (about 15,000 requests over its 322 days). Served from a thread of the demo's
own process, every answer competed for the GIL with the job waiting for it, and the demo could
not fork its workers. Here the ReplayHub runs in a child process, and `move_to(moment)` sends the
moment down a pipe: it returns once the Hub serves the state of that moment (the repos public by
then, counters grown to it) and the stream has reached that day.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from datetime import date, datetime
from multiprocessing.connection import Connection


class TimelineHubFailed(RuntimeError):
    """The Hub's process could not start, or stopped answering."""


class TimelineHub:
    """A ReplayHub of the bundled timeline (and the demo's synthetic stream from `stream_since`),
    serving the state at `start` on 127.0.0.1 from a child process until stopped."""

    def __init__(self, start: datetime, stream_since: date) -> None:
        self.start_moment, self.stream_since = start, stream_since
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self.url = ""

    def start(self) -> TimelineHub:
        context = _context()
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.start_moment, self.stream_since),
                                        name="lineupwatch-timeline-hub", daemon=True)
        self._process.start()
        child.close()
        self.url = self._answer()
        return self

    def move_to(self, moment: datetime) -> None:
        """Serve the Hub as it was at `moment`, the stream up to its day."""
        self._send(moment)
        self._answer()

    def stop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.send(None)
            except OSError:
                pass
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join()
            self._process = None

    def __enter__(self) -> TimelineHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _send(self, message: object) -> None:
        assert self._conn is not None, "start() first"
        try:
            self._conn.send(message)
        except OSError as err:
            raise TimelineHubFailed(f"the replay Hub's process stopped: {err}") from None

    def _answer(self) -> str:
        assert self._conn is not None, "start() first"
        try:
            answer = self._conn.recv()
        except (EOFError, OSError):
            raise TimelineHubFailed("the replay Hub's process stopped without answering") from None
        if isinstance(answer, BaseException):
            raise TimelineHubFailed(f"the replay Hub's process failed: {answer}")
        return answer


def _context() -> multiprocessing.context.BaseContext:
    """fork while this process runs one thread (the CLI: the child starts at once, everything
    imported); otherwise (a test runner with servers in threads) a fork server or spawn."""
    methods = multiprocessing.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _serve(conn: Connection, start: datetime, stream_since: date) -> None:
    """The child: serve the timeline, moving to each moment the parent sends; None or a closed
    pipe stops it (Ctrl-C is the parent's to handle)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .server import ReplayHub
    from .synthetic_stream import demo_stream
    from .timeline import HubTimeline

    try:
        timeline = HubTimeline.bundled()
        hub = ReplayHub(timeline.state_at(start), stream=demo_stream(stream_since, start.date())).start()
    except Exception as err:  # noqa: BLE001 - the parent reports it
        conn.send(TimelineHubFailed(f"{type(err).__name__}: {err}"))
        return
    try:
        conn.send(hub.url)
        while True:
            try:
                moment = conn.recv()
            except (EOFError, OSError):
                break
            if moment is None:
                break
            hub.set_models(timeline.state_at(moment))
            hub.stream.until = moment.date()  # the stream lives along the timeline
            conn.send("ok")
    finally:
        hub.stop()
        conn.close()
