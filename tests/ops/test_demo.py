"""The demo's processes write what the job writes.

`lineupwatch demo` polls in one process, serves the replay Hub from another and takes each day's
report and alerts in a third, from a copy of the database pinned after that day's polls. Over a
stretch of the timeline it must leave what `run_job` leaves when it runs each day in one process
against the same Hub: the same report files, byte for byte, and the same alert state.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from lineupwatch.ops.demo import (
    POLL_TIME,
    demo_config,
    run_demo,
    stream_backfill,
    stream_since,
)
from lineupwatch.ops.job import run_job
from lineupwatch.replay.server import ReplayHub
from lineupwatch.replay.synthetic_stream import demo_stream
from lineupwatch.replay.timeline import HubTimeline
from lineupwatch.report.writer import write_weekly_report
from lineupwatch.store import database as store

START, UNTIL = date(2026, 1, 9), date(2026, 1, 13)  # reports of W01 (due at once), W02 (due Monday 12) and W03 so far


def _moment(day: date) -> datetime:
    return datetime.combine(day, POLL_TIME)


def _job_day_by_day(out_dir: Path) -> None:
    """The job as a timer runs it, once a day in this process, against an in-thread replay Hub."""
    config = demo_config(out_dir)
    timeline = HubTimeline.bundled()
    since = stream_since(config)
    with ReplayHub(timeline.state_at(_moment(START)), stream=demo_stream(since, START)) as hub:
        stream_backfill(config, hub.url, since, lambda: _moment(START))
        day = START
        while day <= UNTIL:
            moment = _moment(day)
            hub.set_models(timeline.state_at(moment))
            hub.stream.until = day
            job = run_job(config, endpoint=hub.url, now=lambda moment=moment: moment)
            assert job.ok, [failure.line() for failure in job.failures]
            day += timedelta(days=1)
    db = store.open_db(config.database_path)
    try:
        write_weekly_report(config, db, UNTIL, config.reports_path)
    finally:
        db.close()


def _files(reports: Path) -> dict[str, bytes]:
    return {str(path.relative_to(reports)): path.read_bytes() for path in sorted(reports.rglob("*")) if path.is_file()}


def _alert_state(database: Path) -> dict[str, list[tuple]]:
    db = store.open_reader(database)
    try:
        return {table: db.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall()
                for table in ("alert_state", "notifications", "deliveries")}
    finally:
        db.close()


def test_the_demo_writes_what_the_job_writes_day_by_day(tmp_path: Path) -> None:
    told: list[str] = []
    page = run_demo(tmp_path / "demo", UNTIL, echo=told.append, start=START)
    _job_day_by_day(tmp_path / "job")

    weeks = [line for line in told if re.match(r"2026-W\d\d \(", line)]  # the narrative: a line per week
    assert re.fullmatch(r"2026-W02 \(2026-01-09 to 01-11\): 3 poll\(s\), \d+ repos, events: \d+ added.*; report of "
                        r"2026-W01 due", weeks[0])
    assert len(weeks) == 2 and weeks[1].startswith("2026-W03 (2026-01-12 to 01-13): 2 poll(s), ")
    assert weeks[1].endswith("; report of 2026-W02 due")

    assert page == tmp_path / "demo" / "reports" / "2026-W03.html"
    demo, job = _files(tmp_path / "demo" / "reports"), _files(tmp_path / "job" / "reports")
    assert {"2026-W01.json", "2026-W02.json", "2026-W03.json", "index.html", "feed.xml"} <= set(demo)
    assert demo.keys() == job.keys()
    assert [name for name in demo if demo[name] != job[name]] == []
    alerts = _alert_state(tmp_path / "demo" / "lineupwatch.db")
    assert alerts["notifications"], "the first day's welcome digest at least"
    assert alerts == _alert_state(tmp_path / "job" / "lineupwatch.db")
