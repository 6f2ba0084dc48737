"""`lineupwatch status`: what an admin checks first, as plain text or JSON, and the health check.

Healthy means a poll stored data (status ok or partial) within `alerts.stale_poll_hours` (the
threshold the stale-poll alert uses; default 48 hours); a database no poll ever stored data in is
unhealthy. Docker's HEALTHCHECK and systemd run `lineupwatch status` and read its exit code.

It reads the database with sqlite3 alone, read-only and without the run lock: it runs beside a
job, and starts fast enough to be called every minute (no sqlite_utils, no tabulate).
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..config.settings import Config
from .schedule import next_run_times

GOOD = ("ok", "partial")  # a poll that stored data (a partial one: every org but the failed ones)


@dataclass
class Health:
    database: str
    now: str
    threshold_hours: float
    healthy: bool = False
    problem: str | None = None  # what is stale and what to do, when not healthy
    schema_version: int | None = None
    last_poll: dict | None = None  # {"id", "started_at", "status"}
    last_good_poll: dict | None = None
    last_good_poll_age_hours: float | None = None
    last_stream_run: dict | None = None  # {"id", "kind", "started_at", "status"}
    counts: dict[str, int] = field(default_factory=dict)  # polls, good polls, repos present/removed, stream repos

    def as_dict(self) -> dict:
        return asdict(self)


def health(config: Config, now: datetime) -> Health:
    path = config.database_path
    threshold = config.alerts.stale_poll_hours
    result = Health(database=str(path), now=now.isoformat(timespec="seconds"), threshold_hours=threshold)
    if not path.exists():
        result.problem = (f"no database at {path}: no poll has run. Run `lineupwatch run` (or start the timer or "
                          "the daemon) and check its log")
        return result
    try:
        with _reader(path) as conn:
            _read(conn, result)
    except sqlite3.DatabaseError as err:
        result.problem = f"database {path} cannot be read: {err}. Check the file and the disk"
        return result
    if result.last_good_poll is None:
        result.problem = (f"no poll has stored data in {path} yet ({result.counts.get('polls', 0)} failed). Run "
                          "`lineupwatch run` and read its error lines (`lineupwatch status` lists the polls)")
        return result
    started = datetime.fromisoformat(result.last_good_poll["started_at"])
    age = (now - started) / timedelta(hours=1)
    result.last_good_poll_age_hours = round(age, 1)
    result.healthy = age <= threshold
    if not result.healthy:
        result.problem = (f"stale: the last good poll was {age:.1f} hours ago ({started.isoformat()}), over "
                          f"alerts.stale_poll_hours = {threshold:g}. Check that the timer or the daemon runs "
                          "(systemctl list-timers lineupwatch.timer; docker compose logs) and the run log's error "
                          "lines; `lineupwatch run` polls now")
    return result


class _reader:
    """A query-only connection that is closed on exit (sqlite3's own context manager only commits)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.conn.execute("PRAGMA query_only=ON")

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def _read(conn: sqlite3.Connection, result: Health) -> None:
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    result.schema_version = (conn.execute("SELECT count(*) FROM _sqlite_migrations WHERE migration_set = 'lineupwatch'")
                             .fetchone()[0] if "_sqlite_migrations" in tables
                             else conn.execute("PRAGMA user_version").fetchone()[0])  # as store.schema_version
    if "polls" not in tables:
        result.counts = {"polls": 0}
        return
    result.last_poll = _row(conn, "SELECT id, started_at, status FROM polls ORDER BY id DESC LIMIT 1")
    result.last_good_poll = _row(conn, "SELECT id, started_at, status FROM polls WHERE status IN ('ok', 'partial') "
                                       "ORDER BY started_at DESC, id DESC LIMIT 1")
    polls, good = conn.execute("SELECT count(*), count(CASE WHEN status IN ('ok', 'partial') THEN 1 END) "
                               "FROM polls").fetchone()
    result.counts = {"polls": polls, "good_polls": good}
    if "repos" in tables:
        present, removed = conn.execute("SELECT count(CASE WHEN removed_poll IS NULL THEN 1 END), "
                                        "count(removed_poll) FROM repos").fetchone()
        result.counts |= {"repos_present": present, "repos_removed": removed}
    if "stream_runs" in tables:
        result.last_stream_run = _row(conn, "SELECT id, kind, started_at, status FROM stream_runs "
                                            "ORDER BY id DESC LIMIT 1")
        result.counts["stream_repos"] = conn.execute("SELECT count(*) FROM stream_repos").fetchone()[0]


def _row(conn: sqlite3.Connection, sql: str) -> dict | None:
    cursor = conn.execute(sql)
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row)) if row else None


def render_status(config: Config, now: datetime, checked: Health | None = None, limit: int = 10) -> str:
    checked = checked or health(config, now)
    path = config.database_path
    lines = [f"config: {config.path}", f"database: {path}"]
    if not path.exists():
        lines.append("no database yet: run `lineupwatch poll` (or `lineupwatch run`) to create it")
    else:
        try:
            with _reader(path) as conn:
                lines += _database_lines(conn, path, checked, limit)
        except sqlite3.DatabaseError as err:
            lines.append(f"database not ready: {err} (a first run may be under way)")
    lines.append(f"next scheduled runs ({config.schedule.run_cron}, {config.schedule.timezone}):")
    lines += [f"  {moment.isoformat()}" for moment in next_run_times(config, now, 3)]
    lines.append(_health_line(checked))
    return "\n".join(lines)


def _health_line(checked: Health) -> str:
    if checked.healthy:
        return (f"health: ok (last good poll {checked.last_good_poll_age_hours:g} hours ago; threshold "
                f"{checked.threshold_hours:g} hours)")
    return "health: STALE (see the error line below)"


def _database_lines(conn: sqlite3.Connection, path: Path, checked: Health, limit: int) -> list[str]:
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if not p.name.endswith(".lock"))
    counts = checked.counts
    last_ok = checked.last_good_poll["started_at"] if checked.last_good_poll else "never"
    lines = [f"size: {size / 1e6:.1f} MB (schema version {checked.schema_version})"]
    if "repos_present" in counts:
        lines.append(f"repos: {counts['repos_present']} present, {counts['repos_removed']} removed; "
                     f"last successful poll: {last_ok}")
    if counts.get("polls"):
        rows = conn.execute(
            "SELECT id, started_at, status, repo_count, listing_requests, info_requests, "
            "substr(coalesce(error, warnings, ''), 1, 90) FROM polls ORDER BY id DESC LIMIT ?", [limit]).fetchall()
        lines += ["", table(rows, ["poll", "started", "status", "repos", "pages", "info", "error / warning"]), ""]
    return lines + _failed_org_lines(conn) + _stream_lines(conn, checked)


def table(rows: list[tuple], headers: list[str]) -> str:
    """A plain-text table: numbers right-aligned, text left-aligned, the header underlined."""
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    numeric = [all(isinstance(row[i], (int, float)) or row[i] is None for row in rows) for i in range(len(headers))]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(row) for row in cells)])


def _failed_org_lines(conn: sqlite3.Connection) -> list[str]:
    """The orgs the latest poll could not store, each with its reason (untruncated)."""
    try:
        rows = conn.execute("SELECT org, reason FROM poll_orgs WHERE status = 'failed' AND poll_id = "
                            "(SELECT max(id) FROM polls) ORDER BY org").fetchall()
    except sqlite3.OperationalError:  # a database from before the poll_orgs table
        return []
    return [f"org failed in the latest poll: {org}: {reason}" for org, reason in rows]


def _stream_lines(conn: sqlite3.Connection, checked: Health) -> list[str]:
    """The Hub-wide stream: repos stored, the last runs, and a backfill waiting to be resumed."""
    if "stream_repos" not in checked.counts:
        return []
    runs = conn.execute(
        "SELECT id, kind, started_at, status, repos, pages, coalesce(since, ''), substr(coalesce(error, ''), 1, 70) "
        "FROM stream_runs ORDER BY id DESC LIMIT 5").fetchall()
    if not runs:
        return ["stream: no run yet (each poll reads it; `lineupwatch backfill-stream --since DATE` reads history)"]
    lines = [f"stream: {checked.counts['stream_repos']} repos stored", "",
             table(runs, ["run", "kind", "started", "status", "repos", "pages", "since", "error / warning"]), ""]
    waiting = [r for r in runs if r[1] == "backfill" and r[3] != "ok"]
    if waiting:
        lines.append(f"backfill to {waiting[0][6]} is {waiting[0][3]}: run `lineupwatch backfill-stream --since "
                     f"{waiting[0][6]}` to resume it")
    return lines
