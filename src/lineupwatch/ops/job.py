"""The scheduled job: poll the orgs, poll the Hub-wide stream, write the weekly report when one is
due, then alerts.

Every step is isolated: whatever it raises is recorded as a StepFailure (the step, the repo to
blame when one is, the error, what to do), a transaction it left open is rolled back, and the next
step runs; the run fails at the end, naming each failed step. A failed poll still lets the alerts
see it (the monitor watching itself). Shared by `lineupwatch run`, `poll` (the two poll steps) and
`schedule` (the daemon), under the same lock, so they can never overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlite_utils import Database

from ..alerts.engine import AlertRun, run_alerts
from ..config.settings import Config
from ..hub.client import PageCallback, PollError
from ..normalize.payload import RepoError
from ..report import writer as reporting
from ..store import database as store
from ..stream.poll import StreamResult, run_stream
from .lock import run_lock
from .poll import PollResult, describe, run_poll

# What to do after an error no step foresaw (a PollError names each org's remedy itself).
TODO = {
    "poll": "nothing of this poll was stored; the orgs' repos keep their last state and the next run polls again",
    "stream": "the failed stream run is recorded; the next run reads its window again",
    "report": "no report was written; fix the cause, then `lineupwatch report --as-of DAY` writes it",
    "alerts": "alert state is as the last good run left it; the next run evaluates the rules again",
}
UNDELIVERED = "undelivered alerts stay pending; the next run sends them"


@dataclass(frozen=True)
class StepFailure:
    step: str  # poll, stream, report or alerts
    message: str  # names the step, what went wrong and what to do (a partial poll: a line per failed org)
    repo: str | None = None  # the repo the step broke on, when one is to blame


@dataclass
class JobResult:
    poll: PollResult | None = None
    stream: StreamResult | None = None
    reports: list[dict[str, Path]] = field(default_factory=list)
    alerts: AlertRun | None = None
    failures: list[StepFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def poll_error(self) -> str | None:  # one poll step's failure: what the demo stops on
        return self._error("poll")

    @property
    def stream_error(self) -> str | None:
        return self._error("stream")

    def _error(self, step: str) -> str | None:
        return next((f.message for f in self.failures if f.step == step), None)


def run_polls(config: Config, db: Database, *, endpoint: str, now: Callable[[], datetime],
              on_page: PageCallback | None = None) -> JobResult:
    """The org polls, then the Hub-wide stream (when hub.stream is on), neither blocking the other."""
    result = JobResult()
    _step(result, db, "poll", lambda: _poll_orgs(config, db, endpoint, now, on_page, result))
    if config.hub.stream:
        _step(result, db, "stream", lambda: _poll_stream(config, db, endpoint, now, result))
    return result


def run_job(config: Config, *, endpoint: str, now: Callable[[], datetime], as_of: date | None = None,
            on_page: PageCallback | None = None, dry_run_alerts: bool = False) -> JobResult:
    """One run: the poll steps, the weekly report when one is due, the alerts. The caller exits
    non-zero when `ok` is false, with each failure's message."""
    with run_lock(config.database_path):
        db = store.open_db(config.database_path)
        try:
            result = run_polls(config, db, endpoint=endpoint, now=now, on_page=on_page)
            today = as_of or now().date()
            _step(result, db, "report", lambda: _report(config, db, as_of, today, result))
            _step(result, db, "alerts", lambda: _alerts(config, db, today, now, dry_run_alerts, result))
        finally:
            db.close()
    return result


def _step(result: JobResult, db: Database, step: str, work: Callable[[], StepFailure | None]) -> None:
    """Run one step; a failure it reports or an exception it raises is recorded, and the run goes on."""
    try:
        failure = work()
    except Exception as err:  # one odd repo, or a bug, must never stop the steps after it
        if db.conn.in_transaction:
            db.conn.rollback()
        failure = StepFailure(step, f"{step} failed: {describe(err)} ({TODO[step]})",
                              err.repo_id if isinstance(err, RepoError) else None)
    if failure is not None:
        result.failures.append(failure)


def _poll_orgs(config: Config, db: Database, endpoint: str, now: Callable[[], datetime],
               on_page: PageCallback | None, result: JobResult) -> StepFailure | None:
    """Every org failed (PollError), or some did (a partial poll): named, with what to do."""
    try:
        result.poll = run_poll(config, db, endpoint=endpoint, now=now, on_page=on_page)
    except PollError as err:
        return StepFailure("poll", f"{err}. The failure is recorded; nothing else was stored.")
    if result.poll.failures:  # stored the healthy orgs; the run still exits non-zero
        return StepFailure("poll", partial_message(result.poll))
    return None


def partial_message(poll: PollResult) -> str:
    """A partial poll: how many orgs failed, then one line per failed org with what to do."""
    return (f"poll {poll.poll_id} is partial: {len(poll.failures)} org(s) failed and were not stored "
            "(their repos keep their last state, none is marked removed); the other orgs are stored.\n"
            + "\n".join(poll.failures))


def _poll_stream(config: Config, db: Database, endpoint: str, now: Callable[[], datetime],
                 result: JobResult) -> StepFailure | None:
    try:
        result.stream = run_stream(config, db, endpoint=endpoint, now=now)
    except PollError as err:
        return StepFailure("stream", f"stream failed: {err} ({TODO['stream']})")
    return None


def _report(config: Config, db: Database, as_of: date | None, today: date, result: JobResult) -> None:
    """The report of --as-of's week, else of the last complete week when it is missing; none on
    a database no poll has stored anything in."""
    due = as_of or reporting.due_week_end(config.reports_path, today)
    if due is not None and store.ok_poll_ids(db):
        result.reports.append(reporting.write_weekly_report(config, db, due, config.reports_path))


def _alerts(config: Config, db: Database, today: date, now: Callable[[], datetime], dry_run: bool,
            result: JobResult) -> StepFailure | None:
    result.alerts = run_alerts(config, db, as_of=today, now=now(), dry_run=dry_run)
    return None if result.alerts.ok else StepFailure("alerts", f"alerts failed: {result.alerts.error} ({UNDELIVERED})")
