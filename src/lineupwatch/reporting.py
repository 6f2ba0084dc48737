"""Write weekly reports: facts as of a day -> report data -> Markdown, HTML, JSON, Atom."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlite_utils import Database

from .analysis.weekly import build_report, iso_week, watched_entries
from .config import Config
from .ecosystem import ecosystem_of
from .facts import load_facts
from .report.render import write_forum, write_report


def weekly_report(config: Config, db: Database, as_of: date) -> dict:
    """The report dict of the ISO week of `as_of`, computed from what the database knew that day."""
    facts = load_facts(db, as_of, trend_family=config.watch[0])
    entries = watched_entries(facts, config)  # built once: the ecosystem block's adoption scores read them too
    return build_report(facts, config, alerts_of_week(db, as_of), ecosystem_of(db, config, facts, entries=entries),
                        entries)


def write_weekly_report(config: Config, db: Database, as_of: date, out_dir: Path, index: bool = True) -> dict[str, Path]:
    """The report files of the ISO week of `as_of`, links under site.base_url when it is set;
    then the index and feed unless `index` is false."""
    return write_report(weekly_report(config, db, as_of), out_dir, config.site.base_url, index)


def write_forum_post(config: Config, db: Database, as_of: date, out_dir: Path) -> dict[str, Path]:
    """`<week>.forum.md` for Reddit, Discourse and GitHub; needs site.base_url for its image URLs."""
    return write_forum(weekly_report(config, db, as_of), out_dir, config.site.base_url)


def alerts_of_week(db: Database, as_of: date) -> list[dict]:
    """The alerts logged from the Monday of `as_of`'s week to the end of that day, so a
    reader of the report sees what subscribers were told."""
    monday = as_of - timedelta(days=as_of.weekday())
    return list(db.query(
        "SELECT rule, severity, state, subject, created_at, message_id IS NOT NULL AS sent FROM notifications "
        "WHERE substr(created_at, 1, 10) BETWEEN ? AND ? ORDER BY id", [monday.isoformat(), as_of.isoformat()]))


def week_ends(start: date, end: date) -> list[date]:
    """The Sunday of every ISO week from `start`'s to `end`'s; the last one capped at `end`."""
    sunday = start + timedelta(days=6 - start.weekday())
    days = []
    while sunday < end:
        days.append(sunday)
        sunday += timedelta(days=7)
    days.append(end)
    return days


def backfill(config: Config, db: Database, until: date, out_dir: Path) -> list[dict[str, Path]]:
    """Every weekly report since the baseline week, each as it would have been on its Sunday;
    the index and feed once, after the last."""
    days = week_ends(config.analysis.baseline_date, until)
    return [write_weekly_report(config, db, day, out_dir, index=day == days[-1]) for day in days]


def due_week_end(out_dir: Path, today: date) -> date | None:
    """The Sunday of the last complete ISO week, if its report is not written yet."""
    last_sunday = today - timedelta(days=today.weekday() + 1)
    return None if (out_dir / f"{iso_week(last_sunday)}.json").exists() else last_sunday
