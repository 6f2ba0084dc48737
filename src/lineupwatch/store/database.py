"""Store: the SQLite schema (one migration set), the raw archive, and the derived tables.

Tables stay close to the Hub's shape and friendly to Datasette:
- `polls`: one row per poll attempt, ok or failed;
- `raw_docs` / `raw_packs` / `raw_listings` / `raw_children`: every JSON object the Hub returned,
  with each repo's volatile counters (downloads, likes) kept apart from the rest of its JSON, so
  the archive grows with what changed (raw_archive.py, docs/storage.md);
- `repos`: the current state of every repo ever seen (removed ones keep their row), with the
  counters of the last poll that listed it, and its release date: `released_at` is the poll that
  first listed it when an earlier complete poll of its org did not (`released_from = 'seen'`),
  else the Hub's `createdAt` (`'created'`): a repo is created, private, days or weeks before it
  goes public, so `createdAt` is a release date only for repos that were already public when the
  project first looked;
- `observations`: a new row only when a repo's metadata or child count changes (git-history
  style); the daily counters stay in the archive's counter columns;
- `events`: added, removed, restored, licence/gating/params changed.

Every derived table can be rebuilt from the raw tables (`rebuild`). Save functions never create
or alter schema; schema lives only in `MIGRATIONS`.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from ..normalize.payload import timestamp
from ..normalize.records import RepoRecord
from . import datasette as datasette_shape
from . import packing, raw_archive

MIGRATIONS = Migrations("lineupwatch")

# The columns an observation tracks; a change in any of them writes a new observation row. The
# volatile counters (downloads, likes) are not among them: they move daily and live in the archive.
OBSERVED = ("children_model_count", "last_modified", "sha", "license", "gated")
# Record fields whose change is an event of its own.
EVENT_FIELDS = {"license": "licence_changed", "gated": "gating_changed",
                "params_total_b": "params_changed", "params_active_b": "params_changed"}
DERIVED_TABLES = ("events", "observations", "repos")


@MIGRATIONS()
def m001_polls_archive_repos(db: Database) -> None:
    db["polls"].create({
        "id": int, "started_at": str, "finished_at": str, "status": str, "endpoint": str, "orgs": str,
        "repo_count": int, "listing_requests": int, "info_requests": int, "error": str, "warnings": str,
    }, pk="id")
    db["raw_blobs"].create({"hash": str, "body": bytes}, pk="hash")
    db["raw_listings"].create({"poll_id": int, "org": str, "manifest": str, "repo_count": int, "pages": int},
                              pk=("poll_id", "org"), foreign_keys=[("poll_id", "polls", "id")])
    db["raw_children"].create({"poll_id": int, "repo_id": str, "children_model_count": int, "fetched_at": str},
                              pk=("poll_id", "repo_id"), foreign_keys=[("poll_id", "polls", "id")])
    # The record's fields as they were at this migration; later fields arrive by later migrations.
    record_columns = {
        "repo_id": str, "org": str, "name": str, "family": str, "generation": str, "line": str, "variant": str,
        "quant": str, "quantized": int, "size_label": str, "entry_key": str, "params_total_b": float,
        "params_total_source": str, "params_active_b": float, "params_active_source": str,
        "nominal_total_b": float, "size_class": str, "created_at": str, "last_modified": str, "sha": str,
        "license": str, "gated": str, "pipeline_tag": str, "library_name": str, "base_models": str,
        "downloads": int, "downloads_all_time": int, "likes": int,
    }
    db["repos"].create({
        **record_columns,
        "downloads": int, "downloads_all_time": int, "likes": int, "children_model_count": int,
        "children_fetched_at": str, "first_seen_poll": int, "first_seen_at": str, "last_seen_poll": int,
        "last_seen_at": str, "removed_poll": int, "removed_at": str,
    }, pk="repo_id")
    db["repos"].create_index(["family", "entry_key"])
    db["observations"].create({
        "id": int, "repo_id": str, "poll_id": int, "observed_at": str,
        "downloads": int, "downloads_all_time": int, "likes": int, "children_model_count": int,
        "last_modified": str, "sha": str, "license": str, "gated": str,
    }, pk="id", foreign_keys=[("poll_id", "polls", "id")])
    db["observations"].create_index(["repo_id", "poll_id"])
    db["events"].create({"id": int, "poll_id": int, "at": str, "repo_id": str, "family": str, "kind": str,
                         "old": str, "new": str}, pk="id", foreign_keys=[("poll_id", "polls", "id")])
    db["events"].create_index(["poll_id"])


@MIGRATIONS()
def m002_alert_log(db: Database) -> None:
    """Alert state per fingerprint, and every notification: stored pending before it is sent."""
    db["alert_state"].create({
        "fingerprint": str, "rule": str, "labels": str, "state": str, "subject": str,
        "first_seen_at": str, "changed_at": str,
    }, pk="fingerprint")
    db["notifications"].create({
        "id": int, "fingerprint": str, "rule": str, "state": str, "reason": str, "severity": str,
        "subject": str, "body": str, "evidence": str, "created_at": str, "sent_at": str,
        "message_id": str, "attempts": int, "last_error": str,
    }, pk="id")
    db["notifications"].create_index(["sent_at"])


@MIGRATIONS()
def m003_release_dates(db: Database) -> None:
    """Release dates (see the module docstring) and the name's release tag; existing repos get the
    release date the rule gives from the polls already archived."""
    db["repos"].add_column("released_at", str)
    db["repos"].add_column("released_from", str)
    db["repos"].add_column("release_tag", str)
    db.execute("""UPDATE repos SET
        released_from = CASE WHEN EXISTS (SELECT 1 FROM raw_listings AS l WHERE lower(l.org) = lower(repos.org)
                                          AND l.poll_id < repos.first_seen_poll) OR created_at IS NULL OR created_at = ''
                             THEN 'seen' ELSE 'created' END""")
    db.execute("UPDATE repos SET released_at = CASE released_from WHEN 'seen' THEN first_seen_at ELSE created_at END")


@MIGRATIONS()
def m010_poll_orgs(db: Database) -> None:
    """Each org of each poll on its own: ok, or failed with its reason (issue 10). A poll whose
    orgs partly failed has status "partial" and stored the orgs that were complete."""
    db["poll_orgs"].create({"poll_id": int, "org": str, "status": str, "reason": str, "repo_count": int},
                           pk=("poll_id", "org"), foreign_keys=[("poll_id", "polls", "id")])
    db["poll_orgs"].create_index(["org", "poll_id"])


@MIGRATIONS()
def m010_repos_line_source(db: Database) -> None:
    """Which rule decided a repo's line (lines.py)."""
    db["repos"].add_column("line_source", str)


@MIGRATIONS()
def m040_deliveries(db: Database) -> None:
    """Exactly once per channel: one row per (notification, channel), marked sent when that channel
    took it, so a channel that is down keeps its notices pending without holding up the others."""
    db["deliveries"].create({
        "notification_id": int, "channel": str, "sent_at": str, "message_id": str, "attempts": int,
        "last_error": str,
    }, pk=("notification_id", "channel"), foreign_keys=[("notification_id", "notifications", "id")])
    db["deliveries"].create_index(["channel", "sent_at"])


@MIGRATIONS()
def m030_stream(db: Database) -> None:
    """The Hub-wide stream of new repos (stream_store.py): runs, raw pages, one compact row per repo."""
    db["stream_runs"].create({
        "id": int, "kind": str, "started_at": str, "finished_at": str, "status": str, "endpoint": str,
        "since": str, "cutoff": str, "newest_created": str, "pages": int, "repos": int, "new": int,
        "updated": int, "skipped": int, "requests": int, "cursor": str, "error": str,
    }, pk="id")
    db["stream_raw"].create({"run_id": int, "page": int, "repo_count": int, "body": bytes},
                            pk=("run_id", "page"), foreign_keys=[("run_id", "stream_runs", "id")])
    db["stream_repos"].create({
        "repo_id": str, "author": str, "created_at": str, "released": str, "first_run": int,
        "pipeline_tag": str, "library_name": str, "params_b": float, "params_source": str,
        "relation": str, "parent": str, "more_bases": str, "downloads": int, "downloads_all_time": int,
    }, pk="repo_id")
    # Covering the weekly counts (analysis/ecosystem.py), so a year of the Hub is counted from the index alone.
    db["stream_repos"].create_index(["released", "relation", "parent"])


@MIGRATIONS()
def m020_counters_apart(db: Database) -> None:
    """Move the archive to docs without counters + counter columns, and drop the counters from
    observations; `lineupwatch vacuum` then gives the freed space back to the file system."""
    raw_archive.create_tables(db)
    db["raw_listings"].add_column("docs", bytes)
    db["raw_listings"].add_column("counters", bytes)
    for poll_id, org, manifest in db.execute("SELECT poll_id, org, manifest FROM raw_listings ORDER BY poll_id, org").fetchall():
        docs, counters = raw_archive.store_listing(db, [_old_blob(db, digest) for digest in _old_blob(db, manifest)])
        db.execute("UPDATE raw_listings SET docs = ?, counters = ? WHERE poll_id = ? AND org = ?", [docs, counters, poll_id, org])
    db["raw_listings"].transform(drop={"manifest"})
    db["raw_blobs"].drop()
    _drop_counter_observations(db)


def _old_blob(db: Database, digest: str) -> object:
    """A blob of the layout before m020: one zlib'd JSON object per content hash."""
    return _json_blob(db.execute("SELECT body FROM raw_blobs WHERE hash = ?", [digest]).fetchone()[0])


def _drop_counter_observations(db: Database) -> None:
    """Keep the observations whose metadata changed, renumbered as a rebuild numbers them."""
    kept, last = [], {}
    for row in db.query("SELECT * FROM observations ORDER BY id"):
        values = tuple(row[col] for col in OBSERVED)
        if last.get(row["repo_id"]) != values:
            last[row["repo_id"]] = values
            kept.append({key: row[key] for key in ("repo_id", "poll_id", "observed_at", *OBSERVED)})
    had_keys = "REFERENCES [repos]" in db["observations"].schema  # m050 ran first (a database made between them)
    db["observations"].drop()
    _create_observations(db)
    db["observations"].insert_all(kept)
    if had_keys:
        datasette_shape._add_deferred_foreign_key(db, "observations", "repo_id")


def _create_observations(db: Database) -> None:
    db["observations"].create({
        "id": int, "repo_id": str, "poll_id": int, "observed_at": str, "children_model_count": int,
        "last_modified": str, "sha": str, "license": str, "gated": str,
    }, pk="id", foreign_keys=[("poll_id", "polls", "id")])
    db["observations"].create_index(["repo_id", "poll_id"])


@MIGRATIONS()
def m050_datasette_shape(db: Database) -> None:
    """Foreign keys from observations, events and raw_children to repos, and the views
    lineup_entries, verdict_history and derivative_shares (datasette_shape.py). Keep it after
    every migration that reshapes those tables: it rebuilds them as they are when it runs (their
    indexes kept; m060 only adds one)."""
    datasette_shape.apply(db)


@MIGRATIONS()
def m060_child_key_index(db: Database) -> None:
    """Index raw_children by repo: with foreign keys on, SQLite looks up a repo's child counts for
    every repos row deleted or inserted while a deferred key is pending, a full scan without it
    (a rebuild of a year spent 14 s there). observations has its index; events are emptied first."""
    db["raw_children"].create_index(["repo_id"], if_not_exists=True)


@MIGRATIONS()
def m070_packed_columns(db: Database) -> None:
    """Re-encode each listing's doc ids and counters from compressed JSON to packed integer
    columns (packing.py): a report's adoption scores read a few repos' counts from thousands of
    listings, and parsing a listing's JSON cost about 0.3 ms. Listings m020 wrote with this
    release are packed already."""
    for poll_id, org in db.execute("SELECT poll_id, org FROM raw_listings").fetchall():
        docs, counters = db.execute("SELECT docs, counters FROM raw_listings WHERE poll_id = ? AND org = ?",
                                    [poll_id, org]).fetchone()
        if packing.is_packed(docs):  # both columns of a listing are written together
            continue
        ids = list(accumulate(_json_blob(docs)))
        if counters is not None:
            data = _json_blob(counters)  # its own keys: whatever it holds is kept
            counters = packing.pack_counters(_json_counters(data, len(ids)), tuple(data["columns"]), raw_archive.SEEKABLE)
        db.execute("UPDATE raw_listings SET docs = ?, counters = ? WHERE poll_id = ? AND org = ?",
                   [packing.pack_ints(ids), counters, poll_id, org])


@MIGRATIONS()
def m080_stream_skipped_repos(db: Database) -> None:
    """Which objects a stream run skipped as unreadable (the first few, JSON), beside how many
    (`skipped`): data health names them (issue 19)."""
    db["stream_runs"].add_column("skipped_repos", str)


@MIGRATIONS()
def m090_provenance(db: Database) -> None:
    """What each poll and each stream run read (issue 20): the label the answers carried, as JSON
    `{"source": "hub" | "replay" | "synthetic", "label": ..., "synthetic": [figures made up]}`; the
    real Hub sends none ("hub"). Rows from before are NULL: unknown, and said so."""
    for table in ("polls", "stream_runs"):
        if table in db.table_names() and "provenance" not in db[table].columns_dict:
            db[table].add_column("provenance", str)


@MIGRATIONS()
def m110_stream_quantized_parent_index(db: Database) -> None:
    """The quantized copies of a parent, most downloaded first (what fits your machine names them as
    community builds, issue 22): a partial index, so only the stream's quantized repos pay for it."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_stream_repos_quantized_parent ON stream_repos (parent, downloads_all_time) "
               "WHERE relation = 'quantized'")


# Columns holding a date-time the Hub sent (or a cutoff derived from one). Every other timestamp
# column (polls, first/last seen, observed, events, alerts) is written by the job's own clock in this
# form already.
HUB_TIMESTAMPS = {"repos": ("created_at", "last_modified", "released_at"), "observations": ("last_modified",),
                  "stream_repos": ("created_at",), "stream_runs": ("cutoff", "newest_created")}


@MIGRATIONS()
def m120_one_timestamp_format(db: Database) -> None:
    """One timestamp format in every table (issue 23): 'YYYY-MM-DDTHH:MM:SS+00:00', the form the
    job's clock writes. The Hub's '...T06:58:12.000Z' in `created_at`, `last_modified` and
    `released_at` (and the stream's '...Z') are rewritten so; a value that is no date-time stays as
    it is. The raw archive keeps what the Hub sent; `rebuild` normalizes to the same form."""
    db.conn.create_function("lw_utc", 1, _utc_or_same, deterministic=True)
    for table, columns in HUB_TIMESTAMPS.items():
        if table not in db.table_names():
            continue
        for column in columns:
            db.execute(f"UPDATE [{table}] SET [{column}] = lw_utc([{column}]) "
                       f"WHERE [{column}] IS NOT NULL AND [{column}] IS NOT lw_utc([{column}])")


def _utc_or_same(value: object) -> object:
    return timestamp(value) or value


def _json_blob(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def _json_counters(data: dict, count: int) -> list[dict]:
    """The rows of a counters blob before m070: JSON columns, and the positions where a key was absent."""
    rows: list[dict] = [{} for _ in range(count)]
    for key, column in data["columns"].items():
        missing = set(data["absent"].get(key, ()))
        for i, value in enumerate(column):
            if i not in missing:
                rows[i][key] = value
    return rows


def open_db(path: Path | str) -> Database:
    """Open (creating if needed) a database in WAL mode and upgrade it to the current schema."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    MIGRATIONS.apply(db)
    db.execute(f"PRAGMA user_version={schema_version(db)}")
    return db


class SchemaOutdated(Exception):
    """A reader found a database older than this lineupwatch; only a run (under the lock) upgrades it."""


def open_reader(path: Path | str) -> Database:
    """Open an existing database to read it, beside a running writer: no migration, no write.

    Migrations run only in `open_db` under the run lock; a reader that migrated would race a first
    poll for the schema ("database is locked"). A database still short of migrations is refused."""
    path = Path(path)
    if not path.exists():
        raise SchemaOutdated(f"no database at {path} yet: run `lineupwatch run` (or `lineupwatch poll`) to create it")
    db = Database(sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False))
    db.execute("PRAGMA query_only=ON")
    missing = [migration.name for migration in MIGRATIONS.pending(db)]
    if missing:
        version = schema_version(db)
        db.close()
        raise SchemaOutdated(f"database {path} is at schema version {version} and needs {', '.join(missing)}: "
                             "run `lineupwatch run` (or `lineupwatch poll`) once to upgrade it")
    return db


def schema_version(db: Database) -> int:
    """The number of migrations applied: what an older database is upgraded from."""
    return len(MIGRATIONS.applied(db))


# --- polls -------------------------------------------------------------------------------------

def insert_poll(db: Database, poll: dict) -> int:
    return db["polls"].insert(poll).last_pk


def record_failed_poll(db: Database, poll: dict) -> int:
    """A failed poll is one row and nothing else: the evidence that the monitor tried."""
    with db.atomic():
        return insert_poll(db, {**poll, "status": "failed"})


# Polls that stored data: every org ("ok") or the orgs that were complete ("partial").
STORED_STATUSES = ("ok", "partial")


def ok_poll_ids(db: Database) -> list[int]:
    """Polls that stored data, partial ones included."""
    return [row[0] for row in db.execute("SELECT id FROM polls WHERE status IN ('ok', 'partial') ORDER BY id")]


def save_poll_orgs(db: Database, poll_id: int, outcomes: Iterable[dict]) -> None:
    """One row per org of a poll: {org, status ok|failed, reason, repo_count}."""
    db["poll_orgs"].insert_all({"poll_id": poll_id, **outcome} for outcome in outcomes)


def last_ok_listing(db: Database, org: str) -> dict | None:
    """The org's last complete listing (poll_id, started_at, repo_count), or None: what "listed
    no repos though it had N" is measured against."""
    row = db.execute(
        "SELECT p.id, p.started_at, o.repo_count FROM poll_orgs AS o JOIN polls AS p ON p.id = o.poll_id "
        "WHERE o.org = ? AND o.status = 'ok' ORDER BY p.id DESC LIMIT 1", [org]).fetchone()
    return {"poll_id": row[0], "started_at": row[1], "repo_count": row[2]} if row else None


# --- raw archive ---------------------------------------------------------------------------------

def archive_listing(db: Database, poll_id: int, org: str, models: list[dict], pages: int) -> None:
    """One org's listing: new docs once, the doc ids and the counters as compressed columns."""
    docs, counters = raw_archive.store_listing(db, models)
    db["raw_listings"].insert({"poll_id": poll_id, "org": org, "repo_count": len(models), "pages": pages,
                               "docs": docs, "counters": counters})


def archive_children(db: Database, poll_id: int, counts: dict[str, int | None], fetched_at: str) -> None:
    db["raw_children"].insert_all(
        {"poll_id": poll_id, "repo_id": repo_id, "children_model_count": count, "fetched_at": fetched_at}
        for repo_id, count in counts.items()
    )


load_listings = raw_archive.load_listings
DocCache = raw_archive.DocCache


def load_children(db: Database, poll_id: int) -> dict[str, int | None]:
    rows = db.execute("SELECT repo_id, children_model_count FROM raw_children WHERE poll_id = ?", [poll_id])
    return dict(rows.fetchall())


# --- derived tables ------------------------------------------------------------------------------

def current_repos(db: Database) -> dict[str, dict]:
    return {row["repo_id"]: row for row in db["repos"].rows}


@dataclass
class PollChanges:
    """What one poll changes in the derived tables."""

    repo_rows: list[dict] = field(default_factory=list)
    observations: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def save_poll_records(db: Database, poll_id: int, at: str, records: Iterable[RepoRecord],
                      children: dict[str, int | None], polled_orgs: Iterable[str]) -> None:
    """Apply one complete poll to repos, observations and events. Repos missing from it are
    removed only within `polled_orgs`: every page of those orgs is in hand."""
    changes = derive_poll(current_repos(db), poll_id, at, records, children, polled_orgs,
                          orgs_listed_before(db, poll_id))
    write_repos(db, changes.repo_rows)
    write_history(db, changes)


def write_repos(db: Database, rows: Iterable[dict]) -> None:
    """Upsert by repo_id in one statement per column set (sqlite-utils' upsert_all took 0.7 s for
    10,000 rows, every poll, since every repo's counters move)."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for columns, group in groups.items():
        names = ", ".join(f"[{c}]" for c in columns)
        updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != "repo_id")
        db.conn.executemany(
            f"INSERT INTO repos ({names}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT(repo_id) DO UPDATE SET {updates}", [tuple(row[c] for c in columns) for row in group])


def write_history(db: Database, changes: PollChanges) -> None:
    db["observations"].insert_all(changes.observations)
    db["events"].insert_all(changes.events)


def derive_poll(known: dict[str, dict], poll_id: int, at: str, records: Iterable[RepoRecord],
                children: dict[str, int | None], polled_orgs: Iterable[str], listed_before: set[str],
                unchanged: set[str] = frozenset()) -> PollChanges:
    """Pure: the repo rows, observations and events one poll makes of the repos known before it;
    `listed_before` as `orgs_listed_before` gives it. `unchanged`: repos whose record equals the
    one their known row was made from (rebuild knows): unless restored or given a child count,
    such a repo only moves its last-seen poll."""
    seen: set[str] = set()
    changes = PollChanges()
    for record in records:
        seen.add(record.repo_id)
        old = known.get(record.repo_id)
        if record.repo_id in unchanged and old is not None and old["removed_poll"] is None and record.repo_id not in children:
            changes.repo_rows.append({**old, "last_seen_poll": poll_id, "last_seen_at": at})
            continue
        row = _repo_row(record, old, poll_id, at, children, listed_before)
        changes.events += _events_for(record, old, row, poll_id, at)
        if old is None or any(old.get(col) != row[col] for col in OBSERVED):
            changes.observations.append({"repo_id": record.repo_id, "poll_id": poll_id, "observed_at": at,
                                         **{col: row[col] for col in OBSERVED}})
        changes.repo_rows.append(row)
    orgs = set(polled_orgs)
    for repo_id, old in known.items():
        if repo_id not in seen and old["org"] in orgs and old["removed_poll"] is None:
            changes.repo_rows.append({**old, "removed_poll": poll_id, "removed_at": at})
            changes.events.append(_event(poll_id, at, old, "removed", None, None))
    return changes


@functools.lru_cache(maxsize=4096)
def _json_list(pairs: tuple[tuple[str, str], ...]) -> str:
    return json.dumps(pairs)


def orgs_listed_before(db: Database, poll_id: int) -> set[str]:
    """Orgs (casefolded) that a complete listing of an earlier poll covered: a repo new to one of
    them was not public then, so the poll that first lists it dates its release."""
    rows = db.execute("SELECT DISTINCT org FROM raw_listings WHERE poll_id < ?", [poll_id])
    return {org.casefold() for (org,) in rows}


def release_date(record: RepoRecord, at: str, listed_before: set[str]) -> tuple[str, str]:
    """(released_at, released_from) for a repo first listed at `at`."""
    if record.org.casefold() in listed_before or not record.created_at:
        return at, "seen"
    return record.created_at, "created"


def _repo_row(record: RepoRecord, old: dict | None, poll_id: int, at: str, children: dict,
              listed_before: set[str]) -> dict:
    row = vars(record).copy()  # asdict's deep copies cost 1 s a poll of 10,000 repos
    if old is not None and old.get("released_at"):
        row["released_at"], row["released_from"] = old["released_at"], old["released_from"]
    else:
        row["released_at"], row["released_from"] = release_date(record, at, listed_before)
    row["base_models"] = _json_list(record.base_models)
    fetched = record.repo_id in children
    row.update({
        "children_model_count": children[record.repo_id] if fetched else (old or {}).get("children_model_count"),
        "children_fetched_at": at if fetched else (old or {}).get("children_fetched_at"),
        "first_seen_poll": old["first_seen_poll"] if old else poll_id,
        "first_seen_at": old["first_seen_at"] if old else at,
        "last_seen_poll": poll_id, "last_seen_at": at, "removed_poll": None, "removed_at": None,
    })
    return row


def _events_for(record: RepoRecord, old: dict | None, row: dict, poll_id: int, at: str) -> list[dict]:
    if old is None:
        return [_event(poll_id, at, row, "added", None, None)]
    events = []
    if old["removed_poll"] is not None:
        events.append(_event(poll_id, at, row, "restored", old["removed_at"], None))
    kinds_done = set()
    for field, kind in EVENT_FIELDS.items():
        if old[field] != row[field] and kind not in kinds_done:
            kinds_done.add(kind)
            if kind == "params_changed":
                before = f"{old['params_total_b']}/{old['params_active_b']}"
                after = f"{row['params_total_b']}/{row['params_active_b']}"
                events.append(_event(poll_id, at, row, kind, before, after))
            else:
                events.append(_event(poll_id, at, row, kind, old[field], row[field]))
    return events


def _event(poll_id: int, at: str, repo: dict, kind: str, old: object, new: object) -> dict:
    return {"poll_id": poll_id, "at": at, "repo_id": repo["repo_id"], "family": repo["family"],
            "kind": kind, "old": None if old is None else str(old), "new": None if new is None else str(new)}


def clear_derived(db: Database) -> None:
    for table in DERIVED_TABLES:
        db.execute(f"DELETE FROM {table}")


def dump_table(db: Database, table: str) -> Iterator[dict]:
    """Rows in a stable order, for comparisons and exports."""
    order = "repo_id" if table == "repos" else "id"
    yield from db[table].rows_where(order_by=order)
