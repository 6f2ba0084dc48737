"""The scheduled job: poll the orgs, poll the Hub-wide stream, write the weekly report when one is
due, then alerts.

Every step is isolated: whatever it raises is recorded as a StepFailure (the step, the repo to
blame when one is, the error in at most 300 characters, what to do), a transaction it left open is
rolled back, and the next step runs; the run fails at the end, naming each failed step once (a
poll: each failed org once; orgs not polled after a Hub-wide failure go with the org that met it).
A failed poll still lets the alerts see it (the monitor watching itself). `on_step` hears of each
step as it ends, with its duration: the run log (runlog.py) is written from it. Shared by `lineupwatch run`, `poll` (the two poll steps) and
`schedule` (the daemon), under the same lock, so they can never overlap.
"""

from __future__ import annotations

import time
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
from .poll import PollFailed, PollResult, describe, failure_hint, run_poll

# What to do after an error no step foresaw (a PollError names each org's remedy itself).
TODO = {
    "poll": "nothing of this poll was stored; the orgs' repos keep their last state and the next run polls again",
    "stream": "the failed stream run is recorded; the next run reads its window again",
    "report": "no report was written; fix the cause, then `lineupwatch report --as-of DAY` writes it",
    "alerts": "alert state is as the last good run left it; the next run evaluates the rules again",
}
UNDELIVERED = "undelivered alerts stay pending; the next run sends them"
ERROR_LIMIT = 300  # characters of an error in a failure's line; the database keeps the whole text


def short(text: str, limit: int = ERROR_LIMIT) -> str:
    """An error on one line, cut to `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class StepFailure:
    step: str  # poll, stream, report or alerts
    error: str  # what went wrong, on one line, at most ERROR_LIMIT characters
    todo: str  # what to do (or what happens next)
    repo: str | None = None  # the repo the step broke on, when one is to blame
    org: str | None = None  # the org whose listing failed (a poll)
    subject: str | None = None  # what failed when it is more than the step: "poll of org 'Qwen' at URL"

    def line(self) -> str:
        """The failure as one line: what failed, the error, what to do."""
        return f"{self.subject or self.step} failed: {self.error} ({self.todo})"

    @property
    def message(self) -> str:
        return self.line()


StepCallback = Callable[[str, "JobResult", float], None]  # (step, the result so far, seconds it took)


@dataclass
class JobResult:
    poll: PollResult | None = None
    stream: StreamResult | None = None
    reports: list[dict[str, Path]] = field(default_factory=list)
    alerts: AlertRun | None = None
    failures: list[StepFailure] = field(default_factory=list)
    report_due: bool = False  # a report was due (written, or failed)

    @property
    def ok(self) -> bool:
        return not self.failures

    def failures_of(self, step: str) -> list[StepFailure]:
        return [f for f in self.failures if f.step == step]

    @property
    def poll_error(self) -> str | None:  # one poll step's failure: what the demo stops on
        return self._error("poll")

    @property
    def stream_error(self) -> str | None:
        return self._error("stream")

    def _error(self, step: str) -> str | None:
        return next((f.line() for f in self.failures if f.step == step), None)


def run_polls(config: Config, db: Database, *, endpoint: str, now: Callable[[], datetime],
              on_page: PageCallback | None = None, on_step: StepCallback | None = None) -> JobResult:
    """The org polls, then the Hub-wide stream (when hub.stream is on), neither blocking the other."""
    result = JobResult()
    _step(result, db, "poll", lambda: _poll_orgs(config, db, endpoint, now, on_page, result), on_step)
    if config.hub.stream:
        _step(result, db, "stream", lambda: _poll_stream(config, db, endpoint, now, result), on_step)
    return result


def run_job(config: Config, *, endpoint: str, now: Callable[[], datetime], as_of: date | None = None,
            on_page: PageCallback | None = None, on_step: StepCallback | None = None,
            dry_run_alerts: bool = False) -> JobResult:
    """One run: the poll steps, the weekly report when one is due, the alerts. The caller exits
    non-zero when `ok` is false, with each failure's line."""
    with run_lock(config.database_path):
        db = store.open_db(config.database_path)
        try:
            result = run_polls(config, db, endpoint=endpoint, now=now, on_page=on_page, on_step=on_step)
            today = as_of or now().date()
            _step(result, db, "report", lambda: _report(config, db, as_of, today, result), on_step)
            _step(result, db, "alerts", lambda: _alerts(config, db, today, now, dry_run_alerts, result), on_step)
        finally:
            db.close()
    return result


def _step(result: JobResult, db: Database, step: str, work: Callable[[], list[StepFailure] | None],
          on_step: StepCallback | None = None) -> None:
    """Run one step; the failures it reports or an exception it raises are recorded, and the run goes on."""
    started = time.monotonic()
    try:
        failures = work() or []
    except Exception as err:  # one odd repo, or a bug, must never stop the steps after it
        if db.conn.in_transaction:
            db.conn.rollback()
        failures = [StepFailure(step, describe(err, limit=ERROR_LIMIT), TODO[step],
                                err.repo_id if isinstance(err, RepoError) else None)]
    result.failures.extend(failures)
    if on_step is not None:
        on_step(step, result, time.monotonic() - started)


def _poll_orgs(config: Config, db: Database, endpoint: str, now: Callable[[], datetime],
               on_page: PageCallback | None, result: JobResult) -> list[StepFailure]:
    """Every org failed (PollFailed), or some did (a partial poll): each named once, with what to do."""
    try:
        result.poll = run_poll(config, db, endpoint=endpoint, now=now, on_page=on_page)
    except PollFailed as err:
        return org_failures(config, endpoint, err.failed)
    except PollError as err:
        return [StepFailure("poll", short(str(err)), "the failure is recorded; nothing else was stored")]
    return org_failures(config, endpoint, result.poll.failed)  # a partial poll stored the healthy orgs


def org_failures(config: Config, endpoint: str, failed: dict[str, str]) -> list[StepFailure]:
    """A failure per failed org; orgs not polled after a Hub-wide failure go with the org that met it."""
    not_polled = [org for org, reason in failed.items() if reason.startswith("not polled: ")]
    failures = []
    for org, reason in failed.items():
        if org in not_polled:
            continue
        error = reason + (f"; {len(not_polled)} more org(s) not polled for it" if not_polled and not failures else "")
        failures.append(StepFailure("poll", short(error), failure_hint(org, reason, config), org=org,
                                    subject=f"poll of org '{org}' at {endpoint}"))
    return failures


def _poll_stream(config: Config, db: Database, endpoint: str, now: Callable[[], datetime],
                 result: JobResult) -> list[StepFailure]:
    try:
        result.stream = run_stream(config, db, endpoint=endpoint, now=now)
    except PollError as err:
        return [StepFailure("stream", short(str(err)), TODO["stream"])]
    return []


def _report(config: Config, db: Database, as_of: date | None, today: date, result: JobResult) -> None:
    """The report of --as-of's week, else of the last complete week when it is missing; none on
    a database no poll has stored anything in."""
    due = as_of or reporting.due_week_end(config.reports_path, today)
    result.report_due = due is not None
    if due is not None and store.ok_poll_ids(db):
        result.reports.append(reporting.write_weekly_report(config, db, due, config.reports_path))


def _alerts(config: Config, db: Database, today: date, now: Callable[[], datetime], dry_run: bool,
            result: JobResult) -> list[StepFailure]:
    result.alerts = run_alerts(config, db, as_of=today, now=now(), dry_run=dry_run)
    return [] if result.alerts.ok else [StepFailure("alerts", short(result.alerts.error or ""), UNDELIVERED)]
