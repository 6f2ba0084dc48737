"""`lineupwatch demo`: the whole job against the bundled Hub state, served on loopback."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

from . import jobs, reporting, store
from .config import DEFAULT_CONFIG_PATH, Config, StorageSettings, load_config, parse_config
from .fixtures import bundled_state_path
from .replay import ReplayHub, load_state


def demo_config(out_dir: Path) -> Config:
    """The shipped config when run from a checkout, else the defaults; files under out_dir."""
    base = load_config(DEFAULT_CONFIG_PATH) if DEFAULT_CONFIG_PATH.exists() else parse_config({}, Path("(defaults)"))
    storage = StorageSettings(database=str(out_dir / "lineupwatch.db"), reports_dir=str(out_dir / "reports"))
    return dataclasses.replace(base, storage=storage, mail=dataclasses.replace(base.mail, enabled=False))


class DemoFailed(RuntimeError):
    """The demo could not poll its own loopback Hub: a broken install or an exhausted port range."""


def run_demo(out_dir: Path, as_of: date, echo: Callable[[str], None]) -> Path:
    config = demo_config(out_dir)
    models = load_state(bundled_state_path())
    with ReplayHub(models) as hub:
        echo(f"replay Hub: {len(models)} repos (the bundled state of 2026-11-22) at {hub.url}")
        result = jobs.run_job(config, endpoint=hub.url, now=lambda: datetime.now(timezone.utc), as_of=as_of)
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
