"""The bundled Hub timeline polled as the demo's daily job would have seen it, once per test session.

A poll at the demo's time of day on its first and last day and on every day a repo went public (the
polls in between would see nothing new, so the database holds the same first-seen dates). Several
modules read this database (tests/report/test_words_and_figures.py, test_forum_feed_values.py); it
is built once for the whole run, whichever xdist worker gets there first (a file lock), and each
module reads its own copy, so no test can change what another reads.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from filelock import FileLock

from conftest import write_config
from lineupwatch.config.settings import load_config
from lineupwatch.ops.poll import run_poll
from lineupwatch.replay.server import ReplayHub
from lineupwatch.replay.timeline import HubTimeline
from lineupwatch.store import database as store

START, END = date(2026, 1, 5), date(2026, 11, 22)  # the demo's first and last day
POLL_TIME = time(6, 17, tzinfo=timezone.utc)  # the shipped timer's time of day, as in the demo


def poll_days() -> list[date]:
    """The demo's first and last day and every day whose 06:17 poll is the first to list a repo."""
    days = {START, END}
    for repo in HubTimeline.bundled().repos:
        day = repo.public.date() + timedelta(days=repo.public.timetz() > POLL_TIME)
        if START <= day <= END:
            days.add(day)
    return sorted(days)


def _poll_once(root: Path) -> Path:
    database = root / "db" / "lineupwatch.db"
    if database.is_file():
        return database
    timeline = HubTimeline.bundled()
    with ReplayHub([], page_size=1000) as hub:
        # Child counts are an adoption signal no test of these modules rests on: skipping them halves the polls.
        config = load_config(write_config(root / "build", hub.url, children_budget=0))
        db = store.open_db(config.database_path)
        try:
            for day in poll_days():
                moment = datetime.combine(day, POLL_TIME)
                hub.set_models(timeline.state_at(moment))
                run_poll(config, db, endpoint=hub.url, now=lambda moment=moment: moment)
        finally:
            db.close()
    database.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(config.database_path, database.with_suffix(".partial"))
    database.with_suffix(".partial").replace(database)  # complete or absent, never half-written
    return database


def polled_timeline(tmp_path_factory: pytest.TempPathFactory, extra: str = "") -> Path:
    """A config (with `extra`) in a directory of the caller's own, whose database is a copy of the
    session's polled timeline; the endpoint is unused (nothing polls it again)."""
    base = tmp_path_factory.getbasetemp()
    session = base.parent if base.name.startswith("popen-gw") else base  # common to this run's xdist workers
    shared = session / "bundled-timeline-polls"
    shared.mkdir(exist_ok=True)
    with FileLock(str(shared / "lock")):
        database = _poll_once(shared)
    own = tmp_path_factory.mktemp("timeline")
    config_path = write_config(own, "http://127.0.0.1:9", extra, children_budget=0)
    target = load_config(config_path).database_path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(database, target)
    return config_path
