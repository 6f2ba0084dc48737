"""`lineupwatch demo`: the whole job against the bundled Hub state, served on loopback."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

from . import jobs, reporting, store
from .config import DEFAULT_CONFIG_PATH, Config, StorageSettings, load_config, parse_config
from .fixtures import bundled_state_path
from .analysis.ecosystem import first_week
from .replay import ReplayHub, load_state
from .stream_fixture import DEMO_SCALE, demo_stream


def demo_config(out_dir: Path) -> Config:
    """The shipped config when run from a checkout, else the defaults; files under out_dir."""
    base = load_config(DEFAULT_CONFIG_PATH) if DEFAULT_CONFIG_PATH.exists() else parse_config({}, Path("(defaults)"))
    storage = StorageSettings(database=str(out_dir / "lineupwatch.db"), reports_dir=str(out_dir / "reports"))
    return dataclasses.replace(base, storage=storage, mail=dataclasses.replace(base.mail, enabled=False),
                               hub=dataclasses.replace(base.hub, stream_rate_reserve=-1))  # loopback: no limit


def stream_backfill(config: Config, endpoint: str, since: date, now: Callable[[], datetime]):
    """The stream's history for the demo's reports, read once from the replay Hub."""
    from .hub import PollError
    from .stream_poll import run_backfill

    db = store.open_db(config.database_path)
    try:
        return run_backfill(config, db, endpoint=endpoint, since=since, now=now)
    except PollError as err:
        raise DemoFailed(f"the demo's stream backfill from the bundled replay Hub failed: {err}") from None
    finally:
        db.close()


class DemoFailed(RuntimeError):
    """The demo could not poll its own loopback Hub: a broken install or an exhausted port range."""


def run_demo(out_dir: Path, as_of: date, echo: Callable[[str], None]) -> Path:
    config = demo_config(out_dir)
    models = load_state(bundled_state_path())
    since = first_week(config)
    with ReplayHub(models, stream=demo_stream(since, as_of)) as hub:
        echo(f"replay Hub: {len(models)} repos (the bundled state of 2026-11-22) at {hub.url}, and a SYNTHETIC "
             f"Hub-wide stream of new repos at {DEMO_SCALE:g}x the real volume")
        now = lambda: datetime.now(timezone.utc)  # noqa: E731
        backfill = stream_backfill(config, hub.url, since, now)
        echo(f"stream backfill: {backfill.repos} repos since {since} in {backfill.pages} pages")
        result = jobs.run_job(config, endpoint=hub.url, now=now, as_of=as_of)
    if result.poll_error:
        raise DemoFailed(f"the demo's poll of the bundled replay Hub failed: {result.poll_error}")
    echo(f"poll: {result.poll.repo_count} repos in {result.poll.listing_requests} listing requests")
    db = store.open_db(config.database_path)
    try:
        written = reporting.backfill(config, db, as_of, config.reports_path)
    finally:
        db.close()
    echo(f"reports: {len(written)} weeks since the baseline in {config.reports_path}")
    return written[-1]["html"]
