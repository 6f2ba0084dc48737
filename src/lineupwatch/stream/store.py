"""Store the Hub-wide stream: runs, the raw archive of what changed, one compact row per repo.

Tables (migration m030_stream in store.py):
- `stream_runs`: one row per stream poll or backfill, with the window it read and, for a backfill,
  the cursor to resume from;
- `stream_raw`: per run and page, the raw Hub objects that were new or changed (counters aside),
  bz2-compressed together: a re-scan of unchanged repos archives nothing;
- `stream_repos`: each repo once; a re-scan updates what changed (a `base_model` tag added late).

`released` is the day the repo counts for: its `createdAt`, or the day a poll first saw it when an
earlier poll had already read past its `createdAt` (it was made public late). Counters
(`downloads`, `downloads_all_time`) are updated in place and not archived, so `rebuild_stream`
re-derives every other column from the archive and leaves the counters as they are.

An object the stream cannot read never reaches these tables: a run counts it in `skipped` and
names the first few in `skipped_repos` (JSON), for data health.
"""

from __future__ import annotations

import bz2
import json
from collections.abc import Iterable

from sqlite_utils import Database

from ..normalize.payload import RepoError
from .records import COUNTERS, DERIVED, StreamRecord, as_utc, skipped_name, stream_record, unreadable

SKIPPED_NAMED = 20  # the skipped objects a run names; data health shows a few, with the count


def start_run(db: Database, run: dict) -> int:
    with db.atomic():
        return db["stream_runs"].insert({"status": "running", "pages": 0, "repos": 0, "new": 0, "updated": 0,
                                         "skipped": 0, "requests": 0, **run}).last_pk


def update_run(db: Database, run_id: int, values: dict) -> None:
    db["stream_runs"].update(run_id, values)


def named_skips(skipped: list[str]) -> str | None:
    """The `skipped_repos` column: the first skipped objects, each "<id>: <why>"."""
    return json.dumps(skipped[:SKIPPED_NAMED], ensure_ascii=False) if skipped else None


def prior_newest(db: Database, run_id: int) -> str | None:
    """How far back-to-front earlier successful stream polls have read ('YYYY-MM-DDTHH:MM:SS+00:00'): a
    repo first seen later but created before this was not public then. A stored value that is no
    date-time (an older release stored one) is passed over, never compared."""
    rows = db.execute("SELECT DISTINCT newest_created FROM stream_runs WHERE kind = 'poll' AND status = 'ok' "
                      "AND id < ? AND newest_created IS NOT NULL", [run_id])
    return max(filter(None, (as_utc(value) for (value,) in rows)), default=None)


def resumable_backfill(db: Database, since: str) -> dict | None:
    """The latest backfill to `since` that stopped with a cursor, if no complete one came after it."""
    rows = db.execute_returning_dicts(
        "SELECT * FROM stream_runs WHERE kind = 'backfill' AND since = ? ORDER BY id DESC LIMIT 1", [since])
    return rows[0] if rows and rows[0]["status"] != "ok" and rows[0]["cursor"] else None


def save_page(db: Database, run_id: int, page: int, models: Iterable[dict], day: str, newest_before: str | None,
              *, archive: bool = True) -> tuple[int, int]:
    """Apply one page of raw models; returns (new, updated). Call inside a transaction."""
    records = {}
    raw = {}
    for model in models:
        try:
            record = stream_record(model)
        except Exception as err:  # a payload no rule foresaw: the failed run names the repo
            raise RepoError(skipped_name(model), err) from err
        records[record.repo_id] = record
        raw[record.repo_id] = model
    known = _existing(db, list(records))
    rows, changed, new = [], [], 0
    for repo_id, record in records.items():
        old = known.get(repo_id)
        row = _row(record, old, run_id, day, newest_before, keep_counters=not archive)
        if old is None:
            new += 1
            changed.append(raw[repo_id])
        elif any(old[name] != row[name] for name in DERIVED):
            changed.append(raw[repo_id])
        elif all(old[name] == row.get(name, old[name]) for name in COUNTERS):
            continue
        rows.append(row)
    _upsert(db, rows)
    if archive and changed:
        # bz2, not zlib: a page of similar objects packs to ~29 bytes a repo instead of ~43 (for ~10 ms more)
        body = bz2.compress(json.dumps(changed, separators=(",", ":"), ensure_ascii=False).encode(), 9)
        db["stream_raw"].insert({"run_id": run_id, "page": page, "repo_count": len(changed), "body": body})
    return new, len(rows) - new


def _existing(db: Database, repo_ids: list[str]) -> dict[str, dict]:
    found = {}
    for i in range(0, len(repo_ids), 500):
        chunk = repo_ids[i:i + 500]
        sql = f"SELECT * FROM stream_repos WHERE repo_id IN ({','.join('?' * len(chunk))})"
        found.update((row["repo_id"], row) for row in db.execute_returning_dicts(sql, chunk))
    return found


def _row(record: StreamRecord, old: dict | None, run_id: int, day: str, newest_before: str | None,
         keep_counters: bool) -> dict:
    row = {"repo_id": record.repo_id, **record.derived()}
    if old is None:
        late = newest_before is not None and record.created_at[:19] < newest_before[:19]
        row.update(first_run=run_id, released=day if late else record.created_at[:10])
    if not (keep_counters and old is not None):
        row.update(downloads=record.downloads, downloads_all_time=record.downloads_all_time)
    return row


def rebuild_stream(db: Database) -> int:
    """Re-derive `stream_repos` from the archive, run by run and page by page, as first stored;
    counters stay as they are. Returns the number of runs replayed."""
    runs = db.execute("SELECT id, kind, started_at FROM stream_runs ORDER BY id").fetchall()
    replayed = 0
    with db.atomic():
        db.execute("UPDATE stream_repos SET first_run = NULL")  # NULL: not replayed yet
        for run_id, kind, started_at in runs:
            pages = db.execute("SELECT body FROM stream_raw WHERE run_id = ? ORDER BY page", [run_id]).fetchall()
            newest = prior_newest(db, run_id) if kind == "poll" else None
            for (body,) in pages:
                _replay(db, run_id, json.loads(bz2.decompress(body)), started_at[:10], newest)
            replayed += bool(pages)
    return replayed


def _replay(db: Database, run_id: int, models: list[dict], day: str, newest: str | None) -> None:
    """One archived page; an object an older release archived but cannot be read is left out."""
    records = [stream_record(m) for m in models if unreadable(m) is None]
    known = _existing(db, [r.repo_id for r in records])
    rows = []
    for record in records:
        old = known.get(record.repo_id)
        first = old is None or old["first_run"] is None
        row = _row(record, None if first else old, run_id, day, newest, keep_counters=True)
        if old is not None:
            for name in COUNTERS:
                row.pop(name, None)
        rows.append(row)
    _upsert(db, rows)


def _upsert(db: Database, rows: list[dict]) -> None:
    """Upsert rows grouped by their columns: a column a row leaves out keeps its stored value."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for group in groups.values():
        db["stream_repos"].upsert_all(group, pk="repo_id")
