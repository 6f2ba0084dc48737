"""Write weekly reports: facts as of a day -> report data -> Markdown, HTML, JSON, Atom."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from sqlite_utils import Database

from ..analysis.ecosystem_day import ecosystem_of
from ..analysis.weekly import build_report, iso_week, watched_entries
from ..children import start_method
from ..config.settings import Config
from ..sanitize import clean
from ..store import database as store
from ..store.facts import load_facts
from .chart import Chart
from .render import draw_charts, write_forum, write_report


def weekly_report(config: Config, db: Database, as_of: date) -> dict:
    """The report dict of the ISO week of `as_of`, computed from what the database knew that day."""
    facts = load_facts(db, as_of, trend_family=config.watch[0])
    entries = watched_entries(facts, config)  # built once: the ecosystem block's adoption scores read them too
    return build_report(facts, config, alerts_of_week(db, as_of), ecosystem_of(db, config, facts, entries=entries),
                        entries)


def write_weekly_report(config: Config, db: Database, as_of: date, out_dir: Path, index: bool = True) -> dict[str, Path]:
    """The report files of the ISO week of `as_of`, links under site.base_url when it is set;
    then the index and feed unless `index` is false.

    With a second CPU and a process that can fork (one thread, matplotlib not imported yet), a
    forked worker imports matplotlib while this process computes the report, then draws the
    charts while this one writes the Markdown and serializes the JSON: the import is an eighth
    of a report on a year of polls."""
    context = start_method()
    if usable_cpus() < 2 or context.get_start_method() != "fork" or "matplotlib" in sys.modules:
        return write_report(weekly_report(config, db, as_of), out_dir, config.site.base_url, index)
    with ProcessPoolExecutor(1, mp_context=context, initializer=_import_charts) as pool:
        pool.submit(int)  # forks the worker now, before this process computes
        report = clean(weekly_report(config, db, as_of))
        return write_report(report, out_dir, config.site.base_url, index, charts=pool.submit(draw_charts, report).result)


def usable_cpus() -> int:
    """The CPUs this process may run on (a container may allow fewer than the host has)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _import_charts() -> None:
    from . import charts  # noqa: F401


def write_forum_post(config: Config, db: Database, as_of: date, out_dir: Path) -> dict[str, Path]:
    """`<week>.forum.md` for Reddit, Discourse and GitHub; needs site.base_url for its image URLs."""
    return write_forum(weekly_report(config, db, as_of), out_dir, config.site.base_url, config.reports_path)


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


def backfill(config: Config, db: Database, until: date, out_dir: Path, jobs: int = 1) -> list[dict[str, Path]]:
    """Every weekly report since the baseline week, each as it would have been on its Sunday;
    the index and feed once, after the last. With `jobs` > 1, that many worker processes compute
    the weeks' reports and draw their charts (each on its own read-only connection) while this
    one writes them in order: each week's "changed since last week" reads the JSON written
    before it. The last week is computed here first: its adoption scores read nearly every
    counter the earlier weeks read, and forked workers inherit those answers."""
    days = week_ends(config.analysis.baseline_date, until)
    jobs = max(1, min(jobs, len(days) - 1))
    if jobs == 1:
        reports: Iterable[dict] = (weekly_report(config, db, day) for day in days)
        return [write_report(report, out_dir, config.site.base_url, index=day == days[-1])
                for day, report in zip(days, reports)]
    last = weekly_report(config, db, days[-1])
    with ProcessPoolExecutor(jobs, mp_context=start_method(), initializer=_open_worker, initargs=(config,)) as pool:
        written = [write_report(report, out_dir, config.site.base_url, index=False, charts=charts)
                   for report, charts in pool.map(_worker_report, days[:-1])]
    return [*written, write_report(last, out_dir, config.site.base_url)]


_WORKER: tuple[Config, Database] | None = None  # a backfill worker's config and reader


def _open_worker(config: Config) -> None:
    global _WORKER
    _WORKER = (config, store.open_reader(config.database_path))


def _worker_report(day: date) -> tuple[dict, dict[str, Chart]]:
    """A week's report, cleaned as the writer cleans it, and its charts."""
    assert _WORKER is not None, "_open_worker runs first in every worker"
    config, db = _WORKER
    report = clean(weekly_report(config, db, day))
    return report, draw_charts(report)


def due_week_end(out_dir: Path, today: date) -> date | None:
    """The Sunday of the last complete ISO week, if its report is not written yet."""
    last_sunday = today - timedelta(days=today.weekday() + 1)
    return None if (out_dir / f"{iso_week(last_sunday)}.json").exists() else last_sunday
