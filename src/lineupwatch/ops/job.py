"""The scheduled job: poll, then the weekly report when one is due, then alerts.

Shared by `lineupwatch run` (cron, systemd timers) and `lineupwatch schedule` (the daemon), under
the same lock, so the two can never overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..alerts.engine import AlertRun, run_alerts
from ..config.settings import Config
from ..hub.client import PageCallback, PollError
from ..report import writer as reporting
from ..store import database as store
from ..stream.poll import StreamResult, poll_stream
from .lock import run_lock
from .poll import PollResult, run_poll


@dataclass
class JobResult:
    poll: PollResult | None = None
    poll_error: str | None = None
    reports: list[dict[str, Path]] = field(default_factory=list)
    alerts: AlertRun | None = None
    stream: StreamResult | None = None
    stream_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.poll_error is None and self.stream_error is None and (self.alerts is None or self.alerts.ok)


def run_job(config: Config, *, endpoint: str, now: Callable[[], datetime], as_of: date | None = None,
            on_page: PageCallback | None = None, dry_run_alerts: bool = False) -> JobResult:
    """One run. A failed poll is recorded and still lets the alerts see it (the monitor watching
    itself); the caller exits non-zero when `ok` is false."""
    result = JobResult()
    with run_lock(config.database_path):
        db = store.open_db(config.database_path)
        try:
            try:
                result.poll = run_poll(config, db, endpoint=endpoint, now=now, on_page=on_page)
                if result.poll.failures:  # stored the healthy orgs; the run still exits non-zero
                    result.poll_error = "; ".join(result.poll.failures)
            except PollError as err:
                result.poll_error = str(err)
            result.stream, result.stream_error = poll_stream(config, db, endpoint, now)  # isolated from the orgs
            today = as_of or now().date()
            due = as_of or reporting.due_week_end(config.reports_path, today)
            if due is not None and store.ok_poll_ids(db):  # no report on an empty database
                result.reports.append(reporting.write_weekly_report(config, db, due, config.reports_path))
            result.alerts = run_alerts(config, db, as_of=today, now=now(), dry_run=dry_run_alerts)
        finally:
            db.close()
    return result
