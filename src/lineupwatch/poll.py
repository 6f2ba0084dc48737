"""One poll: fetch every watched org, then normalize and store it in one transaction.

Nothing is written until every org's listing is in hand; a failure writes one failed poll row
and nothing else. `rebuild` replays the raw archive through the same derive step.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from huggingface_hub.utils import HFValidationError, validate_repo_id
from sqlite_utils import Database

from . import store
from .config import Config
from .hub import HubClient, PageCallback, PollError
from .normalize import RepoRecord, normalize_repos

Clock = Callable[[], datetime]


@dataclass
class PollResult:
    poll_id: int
    repo_count: int
    listing_requests: int
    info_requests: int
    events: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def watched_orgs(config: Config) -> list[str]:
    """Each org once, in the order of the watched families (Qwen first)."""
    return list(dict.fromkeys(org for family in config.watched for org in family.orgs))


def run_poll(config: Config, db: Database, *, endpoint: str, now: Clock,
             on_page: PageCallback | None = None) -> PollResult:
    """Poll the Hub and store the snapshot; raises PollError after recording the failure."""
    started = _iso(now())
    client = HubClient(endpoint, token=os.environ.get(config.hub.token_env) or None,
                       timeout_s=config.hub.request_timeout_s, max_retries=config.hub.max_retries,
                       base_wait_s=config.hub.retry_wait_s,
                       deadline=time.monotonic() + config.hub.poll_deadline_s)
    orgs = watched_orgs(config)
    listings: dict[str, list[dict]] = {}
    pages: dict[str, int] = {}
    try:
        for org in orgs:
            before = client.listing_requests
            listings[org] = client.fetch_org(org, on_page)
            pages[org] = client.listing_requests - before
    except PollError as err:
        store.record_failed_poll(db, {"started_at": started, "finished_at": _iso(now()), "endpoint": endpoint,
                                      "orgs": json.dumps(orgs), "listing_requests": client.listing_requests,
                                      "info_requests": client.info_requests, "error": str(err)})
        raise
    records = normalize_repos([m for org in orgs for m in listings[org]], config)
    children, warnings = _fetch_children(client, db, records, config, now())
    with db.atomic():
        poll_id = store.insert_poll(db, {
            "started_at": started, "finished_at": _iso(now()), "status": "ok", "endpoint": endpoint,
            "orgs": json.dumps(orgs), "repo_count": len(records), "listing_requests": client.listing_requests,
            "info_requests": client.info_requests, "error": None, "warnings": json.dumps(warnings) if warnings else None,
        })
        for org in orgs:
            store.archive_listing(db, poll_id, org, listings[org], pages[org])
        store.archive_children(db, poll_id, children, started)
        store.save_poll_records(db, poll_id, started, records, children, orgs)
    events = dict(db.execute("SELECT kind, COUNT(*) FROM events WHERE poll_id = ? GROUP BY kind", [poll_id]).fetchall())
    return PollResult(poll_id, len(records), client.listing_requests, client.info_requests, events, warnings)


def rebuild(config: Config, db: Database) -> int:
    """Re-derive repos, observations and events from the raw archive of every ok poll."""
    poll_ids = store.ok_poll_ids(db)
    with db.atomic():
        store.clear_derived(db)
        for poll_id in poll_ids:
            started, orgs = db.execute("SELECT started_at, orgs FROM polls WHERE id = ?", [poll_id]).fetchone()
            listings = store.load_listings(db, poll_id)
            records = normalize_repos([m for org in json.loads(orgs) for m in listings.get(org, [])], config)
            store.save_poll_records(db, poll_id, started, records, store.load_children(db, poll_id), listings.keys())
    return len(poll_ids)


def children_due(records: list[RepoRecord], fetched_at: dict[str, str | None], config: Config,
                 now: datetime) -> list[str]:
    """Primary repos of counted-line entries whose child count is older than the refresh period,
    never-fetched first, capped by the per-poll budget."""
    counted = set(config.analysis.counted_lines)
    primary: dict[str, RepoRecord] = {}
    for record in records:
        if record.entry_key and record.line in counted and not record.quantized:
            best = primary.get(record.entry_key)
            if best is None or (record.created_at, record.name) < (best.created_at, best.name):
                primary[record.entry_key] = record
    cutoff = _iso(now - timedelta(days=config.hub.children_refresh_days))
    due = [r.repo_id for r in primary.values() if (fetched_at.get(r.repo_id) or "") <= cutoff]
    due.sort(key=lambda repo_id: (fetched_at.get(repo_id) or "", repo_id))
    return due[: config.hub.children_budget]


def _fetch_children(client: HubClient, db: Database, records: list[RepoRecord], config: Config,
                    now: datetime) -> tuple[dict[str, int | None], list[str]]:
    """Child counts are an adoption signal, not the snapshot: a failure stops them, not the poll."""
    fetched_at = {row[0]: row[1] for row in db.execute("SELECT repo_id, children_fetched_at FROM repos")}
    counts: dict[str, int | None] = {}
    due = children_due(records, fetched_at, config, now)
    refused = [repo_id for repo_id in due if not _client_accepts(repo_id)]
    notes = [f"child counts skipped for {len(refused)} repo id(s) the Hub client refuses: "
             + ", ".join(repr(repo_id) for repo_id in refused[:5])] if refused else []
    for repo_id in (r for r in due if r not in refused):
        try:
            counts[repo_id] = client.children_count(repo_id)
        except PollError as err:
            return counts, notes + [f"child counts stopped after {len(counts)} repos: {err}"]
    return counts, notes


def _client_accepts(repo_id: str) -> bool:
    """huggingface_hub refuses some ids the listing returns (control characters, odd punctuation):
    a per-repo request for one would fail before it is sent, so it is skipped, never retried."""
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return False
    return True


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
