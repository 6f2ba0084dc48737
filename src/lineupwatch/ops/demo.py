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
from ..replay.server import ReplayHub
from ..replay.synthetic_stream import DEMO_SCALE, demo_stream
from ..replay.timeline import HubTimeline
from ..report import writer as reporting
from ..store import database as store
from ..stream.poll import StreamResult
from . import job as jobs

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


@dataclass
class DemoResult:
    polls: int = 0
    reports: list[Path] = field(default_factory=list)
    verdict_changes: list[str] = field(default_factory=list)


def run_demo(out_dir: Path, until: date, echo: Callable[[str], None], start: date = DEMO_START) -> Path:
    """Run the job once a day from `start` to `until` (capped at the timeline's last day) and
    write the reports; returns the newest week's HTML page."""
    config = demo_config(out_dir)
    timeline = HubTimeline.bundled()
    until = min(until, timeline.last_day.date())
    if until < start:
        raise DemoFailed(f"the demo's timeline runs from {start} to {timeline.last_day.date()}: pick --as-of in that range")
    result = DemoResult()
    since = first_week(config)
    with ReplayHub(timeline.state_at(_moment(start)), stream=demo_stream(since, start)) as hub:
        echo(f"replay Hub at {hub.url}: the bundled Hub timeline, one poll a day from {start} to {until}, and a "
             f"SYNTHETIC Hub-wide stream of new repos at {DEMO_SCALE:g}x the real volume")
        backfill = stream_backfill(config, hub.url, since, lambda: _moment(start))
        echo(f"stream backfill: {backfill.repos} repos created from {since} to {start}, in {backfill.pages} pages")
        day = start
        while day <= until:
            moment = _moment(day)
            hub.set_models(timeline.state_at(moment))
            hub.stream.until = day  # the stream lives along the timeline; each day's poll reads its new repos
            job = jobs.run_job(config, endpoint=hub.url, now=lambda moment=moment: moment)
            if job.poll_error or job.stream_error:
                raise DemoFailed(f"the demo's poll of {day} failed: {job.poll_error or job.stream_error}")
            result.polls += 1
            result.reports += [paths["html"] for paths in job.reports]
            day += timedelta(days=1)
    db = store.open_db(config.database_path)
    try:  # the week still in progress on the last day, as a reader would see it that evening
        result.reports.append(reporting.write_weekly_report(config, db, until, config.reports_path)["html"])
    finally:
        db.close()
    result.verdict_changes = verdict_changes(config.reports_path, config.watch[0])
    echo(f"polls: {result.polls} (one a day); weekly reports: {len(result.reports)} in {config.reports_path}")
    echo(f"database: {config.database_path} ({config.database_path.stat().st_size / 1e6:.1f} MB)")
    for line in result.verdict_changes:
        echo(f"  {line}")
    return result.reports[-1]


def verdict_changes(reports_dir: Path, family: str) -> list[str]:
    """'2026-W24: Qwen small-models open -> supported' for each week a verdict of the family turned."""
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
                lines.append(f"{report['week']}: {family} {forecast['id']} {before} -> {now}")
            last[forecast["id"]] = now
    return lines


def _moment(day: date) -> datetime:
    return datetime.combine(day, POLL_TIME)
