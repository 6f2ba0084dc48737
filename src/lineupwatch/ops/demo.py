"""`lineupwatch demo`: the whole job, day by day through 2026, against the bundled Hub timeline.

The replay Hub serves the bundled state as it was on each simulated day (only the repos public by
then, with counters grown to that day), and the job runs once a day with its clock set to that
day, exactly as a timer would have run it: poll, the weekly report when one is due, alerts. The
database then holds real poll history: first-seen release dates that differ from `createdAt`, an
adoption trend, and the alerts the job would have sent on the way.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from ..analysis.ecosystem import first_week
from ..config.settings import (
    DEFAULT_CONFIG_PATH,
    Config,
    StorageSettings,
    load_config,
    parse_config,
)
from ..replay.synthetic_stream import DEMO_SCALE
from ..replay.timeline import STATE_AS_OF
from ..replay.timeline_hub import TimelineHub, TimelineHubFailed
from ..store import database as store
from ..stream.poll import StreamResult
from . import job as jobs
from .demo_worker import DayWorker, StreamWorker, WorkerFailed
from .poll import watched_orgs

DEMO_START = date(2026, 1, 5)  # a Monday, eight weeks before the baseline: the job was already running
POLL_TIME = time(6, 17, tzinfo=timezone.utc)  # the shipped timer's time of day


def demo_config(out_dir: Path) -> Config:
    """The shipped config when run from a checkout, else the defaults; files under out_dir."""
    base = load_config(DEFAULT_CONFIG_PATH) if DEFAULT_CONFIG_PATH.exists() else parse_config({}, Path("(defaults)"))
    storage = StorageSettings(database=str(out_dir / "lineupwatch.db"), reports_dir=str(out_dir / "reports"))
    return dataclasses.replace(base, storage=storage, mail=dataclasses.replace(base.mail, enabled=False),
                               hub=dataclasses.replace(base.hub, stream_rate_reserve=-1))  # loopback: no limit


class DemoFailed(RuntimeError):
    """The demo could not poll its own loopback Hub: a broken install or an exhausted port range."""


def stream_backfill(config: Config, endpoint: str, since: date, now: Callable[[], datetime]) -> StreamResult:
    """The stream's history for the demo's reports, read once from the replay Hub."""
    from ..hub.client import PollError
    from ..stream.poll import run_backfill

    db = store.open_db(config.database_path)
    try:
        return run_backfill(config, db, endpoint=endpoint, since=since, now=now)
    except PollError as err:
        raise DemoFailed(f"the demo's stream backfill from the bundled replay Hub failed: {err}") from None
    finally:
        db.close()


def stream_since(config: Config) -> date:
    """The first day of the demo's stream history: the ecosystem's first week or the resilience
    index's first day (2024-01-01), whichever is earlier, so every chart has its whole history."""
    return min(first_week(config), config.analysis.resilience_since)


@dataclass
class DemoResult:
    polls: int = 0
    reports: list[Path] = field(default_factory=list)
    verdict_changes: list[str] = field(default_factory=list)


def run_demo(out_dir: Path, until: date, echo: Callable[[str], None], start: date = DEMO_START) -> Path:
    """Run the job once a day from `start` to `until` (capped at the timeline's last day) and
    write the reports; returns the newest week's HTML page.

    Each day is one run of the job, its steps as `run_job` takes them: the org poll, the stream
    poll, the weekly report when one is due, the alerts. Processes share the days: the replay Hub
    answers from its own (TimelineHub); this one polls the orgs while a StreamWorker polls the
    stream (the two steps read the same Hub and write tables of their own); a DayWorker takes each
    day's report and alerts from a copy of the database pinned after that day's polls, while this
    one polls the next day. The files are those the job writes day by day in one process."""
    config = demo_config(out_dir)
    until = min(until, STATE_AS_OF.date())
    if until < start:
        raise DemoFailed(f"the demo's timeline runs from {start} to {STATE_AS_OF.date()}: pick --as-of in that range")
    result = DemoResult()
    since = stream_since(config)
    orgs_only = dataclasses.replace(config, hub=dataclasses.replace(config.hub, stream=False))  # the stream: StreamWorker
    # One writer at a time: the stream poll stores before this poll's transaction begins (a deferred
    # SQLite transaction that read before another's commit cannot write), so this poll waits for it
    # once its listings reach the last org; the two polls' reading of the Hub overlaps.
    last_org = watched_orgs(orgs_only)[-1]
    try:  # the processes start before this one opens the database: they share nothing but its file
        with TimelineHub(_moment(start), since) as hub, StreamWorker(config) as streams, DayWorker(config) as worker:
            echo(f"replay Hub at {hub.url}: the bundled Hub timeline, one poll a day from {start} to {until}, and a "
                 f"SYNTHETIC Hub-wide stream of new repos at {DEMO_SCALE:g}x the real volume")
            backfill = stream_backfill(config, hub.url, since, lambda: _moment(start))
            echo(f"stream backfill: {backfill.repos} repos created from {since} to {start}, in {backfill.pages} pages")
            db = store.open_db(config.database_path)
            week = WeekLine(echo)
            try:
                day = start
                while day <= until:
                    moment = _moment(day)
                    hub.move_to(moment)
                    streams.start_day(moment, hub.url)  # the stream poll beside this org poll's listings
                    job = jobs.run_polls(orgs_only, db, endpoint=hub.url, now=lambda moment=moment: moment,
                                         on_page=lambda org, page, _: streams.settle() if org == last_org else None)
                    streams.wait()
                    if job.poll_error:
                        raise DemoFailed(f"the demo's poll of {day} failed: {job.poll_error}")
                    worker.day(moment)  # the day's report (when due) and alerts, while the next day is polled
                    result.polls += 1
                    week.add(day, job, first=day == start)
                    if day.isoweekday() == 7 or day == until:
                        week.flush()
                    day += timedelta(days=1)
                result.reports = worker.finish(until)
            finally:
                db.close()
    except (TimelineHubFailed, WorkerFailed) as err:
        raise DemoFailed(str(err)) from None
    result.verdict_changes = verdict_changes(config.reports_path, config.watch[0])
    echo(f"polls: {result.polls} (one a day); weekly reports: {len(result.reports)} in {config.reports_path}")
    echo(f"database: {config.database_path} ({config.database_path.stat().st_size / 1e6:.1f} MB)")
    for line in result.verdict_changes:
        echo(f"  {line}")
    return result.reports[-1]


class WeekLine:
    """The demo's narrative: a line per simulated ISO week, so a run of minutes is never silent:
    `2026-W12 (2026-03-16 to 03-22): 7 polls, 667 repos, events: 3 added; report of 2026-W11 written`."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.days: list[date] = []
        self.events: dict[str, int] = {}
        self.repos = 0
        self.report: str | None = None

    def add(self, day: date, job: jobs.JobResult, first: bool) -> None:
        self.days.append(day)
        if job.poll:
            self.repos = job.poll.repo_count
            for kind, count in job.poll.events.items():
                self.events[kind] = self.events.get(kind, 0) + count
        if first or day.isoweekday() == 1:  # the job's report of the last complete week is due
            year, week, _ = (day - timedelta(days=day.isoweekday())).isocalendar()
            self.report = f"{year}-W{week:02d}"

    def flush(self) -> None:
        if not self.days:
            return
        first, last = self.days[0], self.days[-1]
        year, week, _ = first.isocalendar()
        events = ", ".join(f"{n} {kind}" for kind, n in sorted(self.events.items())) or "none"
        self.echo(f"{year}-W{week:02d} ({first} to {last:%m-%d}): {len(self.days)} poll(s), {self.repos} repos, "
                  f"events: {events}" + (f"; report of {self.report} due" if self.report else ""))
        self.days, self.events, self.report = [], {}, None


def verdict_changes(reports_dir: Path, family: str) -> list[str]:
    """'2026-W16: Qwen open-weights open -> refuted; why: <the forecast's cause>' for each week a
    verdict of the family turned: the event behind it, the threshold crossed, or how long it held."""
    last: dict[str, str] = {}
    lines = []
    for path in sorted(reports_dir.glob("*-W*.json")):
        report = json.loads(path.read_text(encoding="utf-8"))
        for forecast in report["forecasts"]:
            if forecast["family"] != family:
                continue
            before, now = last.get(forecast["id"]), forecast["verdict"]
            if before is None:
                lines.append(f"{report['week']}: {family} {forecast['id']} starts {now}")
            elif before != now:
                cause = (forecast.get("cause") or {}).get("text")
                lines.append(f"{report['week']}: {family} {forecast['id']} {before} -> {now}"
                             + (f"; why: {cause}" if cause else ""))
            last[forecast["id"]] = now
    return lines


def _moment(day: date) -> datetime:
    return datetime.combine(day, POLL_TIME)
