"""The bundled timeline served from a process of its own, moved day by day by its caller.

The demo lives through 2026 against a ReplayHub serving the bundled timeline with the SYNTHETIC
stream beside it (about 15,000 requests over its 322 days). Served from a thread of the demo's
own process, every answer competed for the GIL with the job waiting for it, and the demo could
not fork its workers. Here the ReplayHub runs in a child process, and `move_to(moment)` sends the
moment down a pipe: it returns once the Hub serves the state of that moment (the repos public by
then, counters grown to it) and the stream has reached that day.
"""

from __future__ import annotations

import signal
from datetime import date, datetime
from multiprocessing.connection import Connection

from ..children import PipeChild


class TimelineHubFailed(RuntimeError):
    """The Hub's process could not start, or stopped answering."""


class TimelineHub:
    """A ReplayHub of the bundled timeline (and the demo's synthetic stream from `stream_since`),
    serving the state at `start` on 127.0.0.1 from a child process until stopped."""

    def __init__(self, start: datetime, stream_since: date) -> None:
        self.start_moment, self.stream_since = start, stream_since
        self._child = PipeChild(_serve, (start, stream_since), "lineupwatch-timeline-hub", daemon=True, grace=5,
                                failure=TimelineHubFailed, what="the replay Hub's process")
        self.url = ""

    def start(self) -> TimelineHub:
        self._child.start()
        self.url = self._answer()
        return self

    def move_to(self, moment: datetime) -> None:
        """Serve the Hub as it was at `moment`, the stream up to its day."""
        self._child.send(moment)
        self._answer()

    def stop(self) -> None:
        self._child.stop()

    def __enter__(self) -> TimelineHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer(self) -> str:
        answer = self._child.recv()
        if isinstance(answer, BaseException):
            raise TimelineHubFailed(f"the replay Hub's process failed: {answer}")
        return answer


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
