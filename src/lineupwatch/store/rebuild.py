"""`rebuild`: re-derive repos, observations and events from the raw archive, poll by poll.

Each poll goes through the same normalize and derive steps as a live poll, in memory. A year of
daily polls replays some 3.6 million repo states, so the replay leaves out what cannot change
the result:
- counters: no observation or event reads them, and a repos row keeps those of the repo's last
  listing, so the docs are replayed without counters and each repo's last listing's counters
  are read once at the end;
- repos whose doc did not change: a `Normalizer` reuses their records, and `derive_poll` only
  moves their last-seen poll (`unchanged`).
`repos` is written once, before the history that refers to it: with a deferred foreign key,
SQLite searches the history for every repo written after it.
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from ..config.settings import Config
from ..normalize.payload import repo_id_of
from ..normalize.records import Normalizer, RepoRecord, as_count
from . import database as store
from . import raw_archive


def rebuild(config: Config, db: Database) -> int:
    """Re-derive the derived tables from every ok poll's archive; returns the number of polls."""
    poll_ids = store.ok_poll_ids(db)
    docs = raw_archive.DocCache(db)
    normalizer = Normalizer(config)
    known: dict[str, dict] = {}
    history = store.PollChanges()
    previous: dict[str, RepoRecord] = {}
    listed_before: set[str] = set()  # what store.orgs_listed_before gives, kept as the polls go by
    with db.atomic():
        store.clear_derived(db)
        for poll_id in poll_ids:
            started, orgs = db.execute("SELECT started_at, orgs FROM polls WHERE id = ?", [poll_id]).fetchone()
            listings = raw_archive.load_doc_listings(db, poll_id, docs)
            polled = [listings[org] for org in json.loads(orgs) if org in listings]
            records = normalizer.normalize([doc for _, org_docs in polled for doc in org_docs],
                                           [doc_id for ids, _ in polled for doc_id in ids])
            unchanged = {r.repo_id for r in records if previous.get(r.repo_id) is r}
            changes = store.derive_poll(known, poll_id, started, records, store.load_children(db, poll_id),
                                        listings.keys(), set(listed_before), unchanged)
            known.update((row["repo_id"], row) for row in changes.repo_rows)
            previous = {r.repo_id: r for r in records}
            listed_before |= {org.casefold() for org in listings}
            history.observations += changes.observations
            history.events += changes.events
        _last_counters(db, docs, known)
        store.write_repos(db, known.values())
        store.write_history(db, history)
    return len(poll_ids)


def _last_counters(db: Database, docs: raw_archive.DocCache, rows: dict[str, dict]) -> None:
    """Give each row the counters of the repo's last listing, as the live poll that listed it last
    left them: within that poll the last listing of the repo wins, as in normalize."""
    by_poll: dict[int, set[str]] = {}
    for repo_id, row in rows.items():
        by_poll.setdefault(row["last_seen_poll"], set()).add(repo_id)
    for poll_id, wanted in by_poll.items():
        orgs = json.loads(db.execute("SELECT orgs FROM polls WHERE id = ?", [poll_id]).fetchone()[0])
        listings = raw_archive.load_listings(db, poll_id, docs)
        found = {repo_id_of(model): model for org in orgs for model in listings.get(org, ())}
        for repo_id in wanted:
            model = found.get(repo_id, {})
            rows[repo_id].update({column: as_count(model.get(key)) for key, column in raw_archive.COUNTER_COLUMNS.items()})
