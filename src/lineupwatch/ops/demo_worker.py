"""The demo's workers: the stream poll, and the report and alert steps, in processes beside the
one that polls the orgs.

A day of the job is: the org poll and the stream poll, the weekly report when one is due, the
alerts. The two polls read the Hub as it is that day and write tables of their own, so a
`StreamWorker` polls the stream while the caller polls the orgs. Only the polls must run in order
on the live database; the report and the alerts read what the polls left and write nothing the
next day's polls read. So the caller hands each day to a `DayWorker`, which takes the rest of the
day from a copy of the database pinned at the moment the job would have read it (after that
day's polls, before the next day's), while the next day is polled:

- the copy is taken in a read transaction opened before the poller goes on, so it holds exactly
  that day's polls and streams, whatever the poller has written since;
- the alert state lives in the worker: the tables the alert step writes are carried from one
  day's copy to the next, and written back to the live database at the end;
- a due week's report is written by a report process, from the day's copy as it is before that
  day's alerts (the job writes the report first), in the order the weeks come.

The files written are those the job writes running each day in one process, byte for byte.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Self

from sqlite_utils import Database

from ..alerts.engine import run_alerts
from ..analysis.weekly import iso_week
from ..children import PipeChild, start_method
from ..config.settings import Config
from ..hub.client import PollError
from ..report import writer as reporting
from ..store import database as store
from ..stream.poll import run_stream
from .poll import describe

_WRITES = (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE)


class WorkerFailed(RuntimeError):
    """A step failed in a worker process, or the process stopped (the message says which, and why)."""


class _Child:
    """A child process answering messages down a pipe: ("ok", value) or ("failed", message)."""

    def __init__(self, config: Config, state: type, name: str) -> None:
        self.config = config
        # not a daemon: the day worker has a report process of its own; __exit__ stops it
        self._child = PipeChild(_work, (config, state), name, daemon=False, grace=10, failure=WorkerFailed,
                                what=f"the demo's {name} process")

    def __enter__(self) -> Self:
        self._child.start()
        self._answer()  # started
        return self

    def __exit__(self, *exc: object) -> None:
        self._child.stop()

    def _send(self, message: tuple) -> None:
        self._child.send(message)

    def _answer(self) -> object:
        kind, value = self._child.recv()
        if kind == "failed":
            raise WorkerFailed(value)
        return value


class DayWorker(_Child):
    """The report and alert steps of each day, in a child process, on pinned copies of the
    database at `config.database_path`."""

    def __init__(self, config: Config) -> None:
        super().__init__(config, _Days, "report and alert")

    def day(self, moment: datetime) -> None:
        """The report (when due) and the alerts of the job run at `moment`, on the database as it
        is now; returns once the worker holds that state, so the caller may poll the next day."""
        self._send(("day", moment))
        self._answer()

    def finish(self, until: date) -> list[Path]:
        """Write the report of `until`'s week (with the index and feed) after the last day's
        alerts, wait for every report, write the alert state into the live database; returns
        each written week's HTML page, in order."""
        self._send(("finish", until))
        return self._answer()


class StreamWorker(_Child):
    """The stream poll of each day, in a child process, while the caller polls the orgs: the two
    read the Hub as it is that day and write tables of their own."""

    def __init__(self, config: Config) -> None:
        super().__init__(config, _Streams, "stream poll")
        self._running = False
        self._failure: WorkerFailed | None = None

    def start_day(self, moment: datetime, endpoint: str) -> None:
        """Start the stream poll of the job run at `moment`, from the Hub at `endpoint`."""
        self._send(("day", (moment, endpoint)))
        self._running = True

    def settle(self) -> None:
        """Wait for the stream poll started last, if it is still running; its failure, if any, is
        raised by `wait` (a callback of the org poll calls this one, and must not raise)."""
        if self._running:
            self._running = False
            try:
                self._answer()
            except WorkerFailed as err:
                self._failure = err

    def wait(self) -> None:
        """Wait for the stream poll started last; raises WorkerFailed with its error."""
        self.settle()
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure


def _work(conn: Connection, config: Config, state: type) -> None:
    """The child: answer each message until None or a closed pipe (the poller stopped). Ctrl-C is
    the poller's to handle: it stops this process by closing the pipe; SIGTERM stops it cleanly."""
    _detach()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        worker = state(config)
    except Exception as err:  # noqa: BLE001 - the parent raises it
        conn.send(("failed", f"the demo's worker could not start: {type(err).__name__}: {err}"))
        return
    try:
        conn.send(("ok", None))
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message is None:
                break
            try:
                worker.handle(*message, conn)
            except WorkerFailed as err:
                conn.send(("failed", str(err)))
    finally:
        worker.close()
        conn.close()


class _Streams:
    """The stream worker's state: its connection to the live database, opened at the first day
    (the poller creates and upgrades the database)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.db: Database | None = None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()

    def handle(self, kind: str, day: tuple[datetime, str], conn: Connection) -> None:
        """One stream poll, as the job's stream step runs it; the answer says how it went."""
        moment, endpoint = day
        if self.db is None:
            self.db = store.open_db(self.config.database_path)
        try:
            run_stream(self.config, self.db, endpoint=endpoint, now=lambda: moment)
        except PollError as err:
            raise WorkerFailed(f"the demo's stream poll of {moment.date()} failed: {err}") from None
        except Exception as err:  # noqa: BLE001 - the poller raises it (the run is recorded failed)
            if self.db.conn.in_transaction:
                self.db.conn.rollback()
            raise WorkerFailed(f"the demo's stream poll of {moment.date()} failed: {describe(err)}") from None
        conn.send(("ok", None))


class _Days:
    """The worker's state: its reader of the live database, the day's copy, the tables the alert
    step writes, the report process and the reports asked of it."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._live: sqlite3.Connection | None = None  # opened at the first day: the poller creates the database
        self.copy = Database(sqlite3.connect(":memory:", isolation_level=None))  # as store.open_db's
        self.copy.execute("PRAGMA foreign_keys=ON")
        self.carried: set[str] = set()  # the tables the alert step has written so far
        self.written: set[str] = set()  # the tables any statement on the copy wrote to
        self.copy.conn.set_authorizer(self._note_writes)
        self.tmp = tempfile.TemporaryDirectory(prefix="lineupwatch-demo-")
        self.pool = ProcessPoolExecutor(1, mp_context=start_method(), initializer=_start_reports,
                                        initargs=(os.getpid(),))
        self.pool.submit(int)  # starts the report process now: it imports matplotlib meanwhile
        self.reports: list[Future] = []
        self.asked: set[str] = set()
        self.failure: str | None = None

    @property
    def live(self) -> sqlite3.Connection:
        if self._live is None:
            self._live = sqlite3.connect(self.config.database_path, timeout=30, isolation_level=None)
        return self._live

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self._live is not None:
            self._live.close()
        self.copy.close()
        self.tmp.cleanup()

    def handle(self, kind: str, value: object, conn: Connection) -> None:
        if kind == "day":
            self.day(value, conn)  # answers as soon as it holds the day's state
        else:
            conn.send(("ok", self.finish(value)))

    def day(self, moment: datetime, conn: Connection) -> None:
        """Pin the live database, let the poller go on, then the day's report and alerts."""
        if self.failure:  # a step of an earlier day failed: say so now, the poller stops
            raise WorkerFailed(self.failure)
        self.live.execute("BEGIN")
        self.live.execute("SELECT count(*) FROM polls").fetchone()  # the read transaction starts here
        conn.send(("ok", None))
        today = moment.date()
        try:
            try:
                self._take_copy()
            finally:
                self.live.execute("COMMIT")
            due = reporting.due_week_end(self.config.reports_path, today)
            if due is not None and iso_week(due) not in self.asked and store.ok_poll_ids(self.copy):
                self._report(due, index=False)  # the index and feed once, with the last week
            alerts = run_alerts(self.config, self.copy, as_of=today, now=moment)
            self.carried |= self.written & set(self.copy.table_names())  # not the scratch tables dropped again
            self.written.clear()
        except Exception as err:  # noqa: BLE001 - the poller raises it at the next day
            self.failure = f"the demo's report or alerts of {today} failed: {type(err).__name__}: {err}"
            return
        if not alerts.ok:
            self.failure = f"the demo's alerts of {today} failed: {alerts.error}"

    def finish(self, until: date) -> list[Path]:
        if self.failure:
            raise WorkerFailed(self.failure)
        self._report(until, index=True)  # the week in progress on the last day, as a reader sees it that evening
        try:
            pages = [future.result()["html"] for future in self.reports]
        except Exception as err:
            raise WorkerFailed(f"the demo's weekly report failed: {type(err).__name__}: {err}") from err
        self._write_back()
        return pages

    def _take_copy(self) -> None:
        """The live database (in this connection's read transaction) over the copy, and the
        carried tables as the last day's alerts left them."""
        kept = {table: self.copy.execute(f"SELECT * FROM [{table}]").fetchall() for table in sorted(self.carried)}
        self.live.backup(self.copy.conn)
        self._restore(self.copy.conn, "main", kept)

    def _restore(self, conn: sqlite3.Connection, schema: str, kept: dict[str, list[tuple]]) -> None:
        conn.execute("PRAGMA foreign_keys=OFF")  # rows come back whole: parents and children alike
        conn.execute("BEGIN")
        for table, rows in kept.items():
            conn.execute(f"DELETE FROM [{schema}].[{table}]")
            if rows:
                conn.executemany(f"INSERT INTO [{schema}].[{table}] VALUES ({', '.join('?' * len(rows[0]))})", rows)
        conn.execute("COMMIT")
        conn.execute("PRAGMA foreign_keys=ON")

    def _report(self, as_of: date, index: bool) -> None:
        snapshot = Path(self.tmp.name) / f"{as_of}-{len(self.reports)}.db"
        target = sqlite3.connect(snapshot)
        try:
            self.copy.conn.backup(target)
        finally:
            target.close()
        self.asked.add(iso_week(as_of))
        self.reports.append(self.pool.submit(_write_week, self.config, snapshot, as_of, index))

    def _write_back(self) -> None:
        """The carried tables into the live database: the alert state the job would have left."""
        kept = {table: self.copy.execute(f"SELECT * FROM [{table}]").fetchall() for table in sorted(self.carried)}
        self._restore(self.live, "main", kept)

    def _note_writes(self, action: int, table: str | None, _: str | None, schema: str | None,
                     __: str | None) -> int:
        if action in _WRITES and schema == "main" and table and not table.startswith("sqlite_"):
            self.written.add(table)
        return sqlite3.SQLITE_OK


def _start_reports(parent: int) -> None:
    """The report process: matplotlib imported before the first week; Ctrl-C left to the poller;
    gone with its parent, should that be killed (a pool worker would wait for work forever)."""
    _detach()
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    from ..report import charts  # noqa: F401


def _detach() -> None:
    """Ctrl-C is the poller's to handle: it stops its workers by closing their pipes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _write_week(config: Config, snapshot: Path, as_of: date, index: bool) -> dict[str, Path]:
    """One week's report files from a copy of the database (then the copy is removed)."""
    db = store.open_reader(snapshot)
    try:
        return reporting.write_weekly_report(config, db, as_of, config.reports_path, index=index)
    finally:
        db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{snapshot}{suffix}").unlink(missing_ok=True)
