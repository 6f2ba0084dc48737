"""One poll: fetch every watched org, then normalize and store the complete ones in one transaction.

Each org is its own unit: an org whose listing fails, or that lists nothing, is recorded as
failed for this poll with its reason (`poll_orgs`), and the other orgs are stored. A failed org's
repos keep their last state and none of them is marked removed. The poll's status is "ok" (every
org stored), "partial" (some stored, some failed: the poll still counts as one that stored data)
or "failed" (none stored: one poll row and its org rows, nothing else). An error no rule
foresaw, once the listings are in, is a "failed" poll too: its transaction rolls back, the poll
row names the error (and the repo it broke on, when one did), and the error is raised.
`rebuild` (rebuild.py) replays the raw archive through the same derive step.
"""

from __future__ import annotations

import json
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from huggingface_hub.utils import HFValidationError, validate_repo_id
from sqlite_utils import Database

from ..config.settings import Config
from ..hub.client import HubClient, PageCallback, PollError
from ..normalize.payload import RepoError, repo_id_of
from ..normalize.records import Normalizer, RepoRecord, normalize_repos
from ..store import database as store
from ..store.raw_archive import VOLATILE

Clock = Callable[[], datetime]
_PACKAGE = Path(__file__).resolve().parents[1]  # src/lineupwatch: where a raised-at line is shown from


@dataclass
class PollResult:
    poll_id: int
    repo_count: int
    listing_requests: int
    info_requests: int
    events: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line per failed org, with what to do
    failed: dict[str, str] = field(default_factory=dict)  # the failed orgs' reasons, by org

    @property
    def status(self) -> str:
        return "partial" if self.failures else "ok"


class PollFailed(PollError):
    """Every org failed: nothing was stored but the poll's rows; the message names each org."""

    def __init__(self, endpoint: str, failed: dict[str, str], failures: list[str]):
        Exception.__init__(self, "\n".join(failures))
        self.org, self.endpoint, self.reason, self.hub_wide = ", ".join(failed), endpoint, "; ".join(failed.values()), False
        self.failures, self.failed = failures, failed


def watched_orgs(config: Config) -> list[str]:
    """Each org once, in the order of the watched families (Qwen first)."""
    return list(dict.fromkeys(org for family in config.watched for org in family.orgs))


def run_poll(config: Config, db: Database, *, endpoint: str, now: Clock,
             on_page: PageCallback | None = None) -> PollResult:
    """Poll the Hub and store the snapshot; raises after recording the failure (PollError: the Hub
    failed every org; anything else: the listings could not be stored)."""
    started = _iso(now())
    client = HubClient(endpoint, token=os.environ.get(config.hub.token_env) or None,
                       timeout_s=config.hub.request_timeout_s, max_retries=config.hub.max_retries,
                       base_wait_s=config.hub.retry_wait_s,
                       deadline=time.monotonic() + config.hub.poll_deadline_s)
    orgs = watched_orgs(config)
    listings, pages, failed = _fetch_orgs(client, db, orgs, on_page)
    failures = [failure_line(org, endpoint, reason, config) for org, reason in failed.items()]
    outcomes = [{"org": org, "status": "ok", "reason": None, "repo_count": len(listings[org])} if org in listings
                else {"org": org, "status": "failed", "reason": failed[org], "repo_count": None} for org in orgs]
    poll_row = {"started_at": started, "endpoint": endpoint, "orgs": json.dumps(orgs),
                "provenance": json.dumps(client.provenance) if client.provenance else None}  # m090: what the answers said they are
    if not listings:
        with db.atomic():
            poll_id = store.record_failed_poll(db, {**poll_row, "finished_at": _iso(now()), "error": "; ".join(failures),
                                                    "listing_requests": client.listing_requests,
                                                    "info_requests": client.info_requests})
            store.save_poll_orgs(db, poll_id, outcomes)
        raise PollFailed(endpoint, failed, failures)
    complete = [org for org in orgs if org in listings]
    try:
        records = _normalize([m for org in complete for m in listings[org]], config)
        children, warnings = _fetch_children(client, db, records, config, now())
        with db.atomic():
            poll_id = store.insert_poll(db, {
                **poll_row, "finished_at": _iso(now()), "status": "partial" if failed else "ok",
                "repo_count": len(records), "listing_requests": client.listing_requests,
                "info_requests": client.info_requests, "error": "; ".join(failures) or None,
                "warnings": json.dumps(warnings) if warnings else None,
            })
            for org in complete:
                store.archive_listing(db, poll_id, org, listings[org], pages[org])
            store.save_poll_orgs(db, poll_id, outcomes)
            store.archive_children(db, poll_id, children, started)
            store.save_poll_records(db, poll_id, started, records, children, complete)
    except Exception as err:  # the broken transaction rolled back; no org is to blame, so no org row says so
        reason = f"listed, not stored: {describe(err)}"
        store.record_failed_poll(db, {**poll_row, "finished_at": _iso(now()), "error": reason,
                                      "listing_requests": client.listing_requests, "info_requests": client.info_requests})
        raise
    events = dict(db.execute("SELECT kind, COUNT(*) FROM events WHERE poll_id = ? GROUP BY kind", [poll_id]).fetchall())
    return PollResult(poll_id, len(records), client.listing_requests, client.info_requests, events, warnings, failures,
                      failed)


def _normalize(models: list[dict], config: Config) -> list[RepoRecord]:
    """The listed repos' records. When normalizing breaks, each repo is tried alone to find the
    one it breaks on, so the failed poll names it; the error is raised either way."""
    try:
        return _records(models, config)
    except Exception as err:
        culprit = next((m for m in models if not _normalizes(m, config)), None)
        if culprit is None:
            raise
        raise RepoError(repo_id_of(culprit) or repr(culprit)[:96], err) from err


# A process that polls again with the same config (the daemon, the demo) keeps the last poll's
# Normalizer: it re-derives only the repos whose JSON, counters aside, changed since (records.py).
_LAST_NORMALIZER: list = []  # [config, Normalizer or None] or empty
_NORMALIZER_LOCK = threading.Lock()


def _records(models: list[dict], config: Config) -> list[RepoRecord]:
    """normalize_repos' records. A process's first poll with a config normalizes as a one-shot run
    does; from its second on, a kept Normalizer re-derives only what changed since the last."""
    if not _NORMALIZER_LOCK.acquire(blocking=False):  # another poll in this process: on its own
        return normalize_repos(models, config)
    try:
        if not _LAST_NORMALIZER or _LAST_NORMALIZER[0] is not config:
            _LAST_NORMALIZER[:] = [config, None]  # polled once: the next poll keeps a Normalizer
            return normalize_repos(models, config)
        normalizer = _LAST_NORMALIZER[1] or Normalizer(config)
        _LAST_NORMALIZER[1] = None  # one that raised midway is not used again
        records = normalizer.normalize(models, [_doc_key(m) for m in models])
        _LAST_NORMALIZER[1] = normalizer
        return records
    finally:
        _NORMALIZER_LOCK.release()


def _doc_key(model: object) -> str | None:
    """Equal only for equal repo JSON, counters aside (VOLATILE, as the raw archive splits them)."""
    if not isinstance(model, dict):
        return None
    return json.dumps({k: v for k, v in model.items() if k not in VOLATILE})


def _normalizes(model: dict, config: Config) -> bool:
    try:
        normalize_repos([model], config)
    except Exception:
        return False
    return True


def describe(err: Exception, limit: int | None = None) -> str:
    """An error no rule foresaw, in one line: a RepoError as it words itself (the repo, then the
    cause), anything else with its type; with the line of lineupwatch that raised it (what a bug
    report needs). With `limit`, the error's text is cut so that the line keeps that place."""
    if isinstance(err, RepoError) and err.__cause__ is not None:
        text, at = str(err), _raised_at(err.__cause__)
    else:
        text, at = f"{type(err).__name__}: {err}", _raised_at(err)
    text = " ".join(text.split())
    if limit is not None and len(text) + len(at) > limit:
        text = text[: max(limit - len(at) - 1, 40)] + "…"
    return text + at


def _raised_at(err: BaseException) -> str:
    """' (at report/render.py:42)': the innermost frame in lineupwatch, else the innermost one."""
    frames = traceback.extract_tb(err.__traceback__)
    if not frames:
        return ""
    ours = [f for f in frames if _PACKAGE in Path(f.filename).parents]
    frame = (ours or frames)[-1]
    path = Path(frame.filename)
    return f" (at {path.relative_to(_PACKAGE) if ours else path.name}:{frame.lineno})"


def _fetch_orgs(client: HubClient, db: Database, orgs: list[str], on_page: PageCallback | None
                ) -> tuple[dict[str, list[dict]], dict[str, int], dict[str, str]]:
    """(listings, pages, failure reasons) by org. After a Hub-wide failure (no connection, token
    refused) the remaining orgs are not asked: they would fail the same way."""
    listings: dict[str, list[dict]] = {}
    pages: dict[str, int] = {}
    failed: dict[str, str] = {}
    hub_down: str | None = None
    for org in orgs:
        if hub_down:
            failed[org] = f"not polled: {hub_down}"
            continue
        before = client.listing_requests
        try:
            models = client.fetch_org(org, on_page)
        except PollError as err:
            failed[org] = err.reason
            if err.hub_wide:
                hub_down = err.reason
            continue
        if not models:
            failed[org] = _empty_reason(db, org, client.endpoint)
            continue
        listings[org], pages[org] = models, client.listing_requests - before
    return listings, pages, failed


def _empty_reason(db: Database, org: str, endpoint: str) -> str:
    last = store.last_ok_listing(db, org)
    if last is None:
        return f"the Hub lists no repos for this org (never listed any here): check {endpoint}/{org}"
    return (f"the Hub lists no repos for this org though it listed {last['repo_count']} at the poll of "
            f"{last['started_at'][:10]}: renamed, emptied or gone? check {endpoint}/{org}")


def failure_line(org: str, endpoint: str, reason: str, config: Config) -> str:
    """One failed org, and what to do about it."""
    return f"poll of org '{org}' at {endpoint} failed: {reason} ({failure_hint(org, reason, config)})"


def failure_hint(org: str, reason: str, config: Config) -> str:
    """What to do about a failed org."""
    families = [f.name for f in config.watched if org in f.orgs]
    where = " or ".join(f"families.{name}.orgs" for name in families) or "the families' orgs"
    if "lists no repos" in reason or "HTTP 404" in reason:
        return f"org renamed? set {where} in {config.path}"
    if reason.startswith("not polled"):
        return "fix the cause above and poll again"
    return "it is retried at the next poll; until then its repos keep their last state"


def children_due(records: list[RepoRecord], fetched_at: dict[str, str | None], config: Config,
                 now: datetime) -> list[str]:
    """Primary repos of counted-line entries whose child count is older than the refresh period,
    never-fetched first, capped by the per-poll budget."""
    counted = set(config.analysis.counted_lines)
    primary: dict[str, RepoRecord] = {}
    for record in records:
        if record.entry_key and record.line in counted and not record.quantized:
            best = primary.get(record.entry_key)
            if best is None or (record.created_at or "", record.name) < (best.created_at or "", best.name):
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
