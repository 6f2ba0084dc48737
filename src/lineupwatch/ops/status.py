"""`lineupwatch status`: what an admin checks first, as plain text."""

from __future__ import annotations

from datetime import datetime

from tabulate import tabulate

from ..config.settings import Config
from ..store import database as store
from .schedule import next_run_times


def render_status(config: Config, now: datetime, limit: int = 10) -> str:
    path = config.database_path
    lines = [f"config: {config.path}", f"database: {path}"]
    if not path.exists():
        lines.append("no database yet: run `lineupwatch poll` (or `lineupwatch run`) to create it")
    else:
        try:
            db = store.open_reader(path)  # beside a running poll: never migrate, never wait for the lock
        except store.SchemaOutdated as err:
            lines.append(f"database not ready: {err} (a first run may be under way)")
        else:
            try:
                lines += _database_lines(db, path, limit)
            finally:
                db.close()
    lines.append(f"next scheduled runs ({config.schedule.run_cron}, {config.schedule.timezone}):")
    lines += [f"  {moment.isoformat()}" for moment in next_run_times(config, now, 3)]
    return "\n".join(lines)


def _database_lines(db, path, limit: int) -> list[str]:
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if not p.name.endswith(".lock"))
    rows = db.execute(
        "SELECT id, started_at, status, repo_count, listing_requests, info_requests, "
        "substr(coalesce(error, warnings, ''), 1, 90) FROM polls ORDER BY id DESC LIMIT ?", [limit]).fetchall()
    last_ok = db.execute("SELECT max(started_at) FROM polls WHERE status IN ('ok', 'partial')").fetchone()[0]
    live = db.execute("SELECT count(*) FROM repos WHERE removed_poll IS NULL").fetchone()[0]
    lines = [f"size: {size / 1e6:.1f} MB (schema version {store.schema_version(db)})",
             f"repos: {live} present, {db['repos'].count - live} removed; last successful poll: {last_ok or 'never'}"]
    if rows:
        table = tabulate(rows, headers=["poll", "started", "status", "repos", "pages", "info", "error / warning"])
        lines += ["", table, ""]
    return lines + _failed_org_lines(db) + _stream_lines(db)


def _failed_org_lines(db) -> list[str]:
    """The orgs the latest poll could not store, each with its reason (untruncated)."""
    if "poll_orgs" not in db.table_names():
        return []
    rows = db.execute("SELECT org, reason FROM poll_orgs WHERE status = 'failed' AND poll_id = "
                      "(SELECT max(id) FROM polls) ORDER BY org").fetchall()
    return [f"org failed in the latest poll: {org}: {reason}" for org, reason in rows]


def _stream_lines(db) -> list[str]:
    """The Hub-wide stream: repos stored, the last runs, and a backfill waiting to be resumed."""
    if "stream_runs" not in db.table_names():
        return []
    runs = db.execute(
        "SELECT id, kind, started_at, status, repos, pages, coalesce(since, ''), substr(coalesce(error, ''), 1, 70) "
        "FROM stream_runs ORDER BY id DESC LIMIT 5").fetchall()
    if not runs:
        return ["stream: no run yet (each poll reads it; `lineupwatch backfill-stream --since DATE` reads history)"]
    lines = [f"stream: {db['stream_repos'].count} repos stored", "",
             tabulate(runs, headers=["run", "kind", "started", "status", "repos", "pages", "since", "error / warning"]), ""]
    waiting = [r for r in runs if r[1] == "backfill" and r[3] != "ok"]
    if waiting:
        lines.append(f"backfill to {waiting[0][6]} is {waiting[0][3]}: run `lineupwatch backfill-stream --since "
                     f"{waiting[0][6]}` to resume it")
    return lines
