"""The stream jobs: a poll of the newest repos Hub-wide, and a resumable backfill of its history.

A stream poll reads back until it passes the last successful poll's newest `createdAt` minus a
re-scan window (hub.stream_rescan_days: `base_model` tags are often added after creation), then
stores everything in one transaction; a failure stores one failed run row and nothing else. A
backfill stores page by page with its cursor, so an interruption loses at most one page of work
and the same command resumes where it stopped, without duplicates.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlite_utils import Database

from ..config.settings import Config
from ..hub.client import HubClient, PollError
from . import store as stream_store
from .fetch import StreamPage, first_page_url, relative, stream_pages

Clock = Callable[[], datetime]
PageCallback = Callable[[StreamPage, int], None]  # (page, repos stored so far)


@dataclass
class StreamResult:
    run_id: int
    pages: int
    repos: int
    new: int
    updated: int
    requests: int
    oldest: str | None = None
    resumed: bool = False
    warning: str | None = None


def _client(config: Config, endpoint: str, deadline_s: float | None) -> HubClient:
    return HubClient(endpoint, token=os.environ.get(config.hub.token_env) or None,
                     timeout_s=config.hub.request_timeout_s, max_retries=config.hub.max_retries,
                     base_wait_s=config.hub.retry_wait_s,
                     deadline=None if deadline_s is None else time.monotonic() + deadline_s)


def _url(config: Config, endpoint: str) -> str:
    return first_page_url(endpoint, config.hub.stream_page_size)


def run_stream(config: Config, db: Database, *, endpoint: str, now: Clock) -> StreamResult:
    """One stream poll; raises PollError after recording the failed run."""
    started = now()
    run_id = stream_store.start_run(db, {"kind": "poll", "started_at": _iso(started), "endpoint": endpoint})
    newest_before = stream_store.prior_newest(db, run_id)
    client = _client(config, endpoint, config.hub.poll_deadline_s)
    rescan = timedelta(days=config.hub.stream_rescan_days)
    cutoff = None if newest_before is None else _shift(newest_before, -rescan)
    pages: list[list[dict]] = []
    newest, warning, skipped = None, None, 0
    try:
        for page in stream_pages(client, _url(config, endpoint), rate_reserve=config.hub.stream_rate_reserve):
            if newest is None and page.items:
                newest = page.items[0]["createdAt"]
                cutoff = cutoff or _shift(newest, -rescan)  # a first poll reads one re-scan window
            kept = [m for m in page.items if m["createdAt"][:19] >= cutoff[:19]] if cutoff else page.items
            pages.append(kept)
            skipped += page.skipped
            if len(kept) < len(page.items) or not page.items:
                break
            if len(pages) >= config.hub.stream_max_pages:
                warning = (f"stream poll stopped after {len(pages)} pages (hub.stream_max_pages) before reaching "
                           f"{cutoff}: run `lineupwatch backfill-stream --since {cutoff[:10]}` to fill the gap")
                break
    except PollError as err:
        with db.atomic():
            stream_store.update_run(db, run_id, {"status": "failed", "finished_at": _iso(now()), "error": str(err),
                                                 "requests": client.listing_requests})
        raise
    new = updated = 0
    with db.atomic():
        for number, models in enumerate(pages, 1):
            n, u = stream_store.save_page(db, run_id, number, models, started.date().isoformat(), newest_before)
            new, updated = new + n, updated + u
        repos = sum(len(p) for p in pages)
        stream_store.update_run(db, run_id, {
            "status": "ok", "finished_at": _iso(now()), "cutoff": cutoff, "newest_created": newest or newest_before,
            "pages": len(pages), "repos": repos, "new": new, "updated": updated, "requests": client.listing_requests,
            "skipped": skipped, "error": warning})
    return StreamResult(run_id, len(pages), repos, new, updated, client.listing_requests, cutoff, warning=warning)


def poll_stream(config: Config, db: Database, endpoint: str, now: Clock) -> tuple[StreamResult | None, str | None]:
    """The stream step of a poll job, isolated: its failure is returned (and recorded), never raised,
    so the org polls and the stream cannot block each other. Off when hub.stream is false."""
    if not config.hub.stream:
        return None, None
    try:
        return run_stream(config, db, endpoint=endpoint, now=now), None
    except PollError as err:
        return None, str(err)


def run_backfill(config: Config, db: Database, *, endpoint: str, since: date, now: Clock,
                 on_page: PageCallback | None = None) -> StreamResult:
    """Page back through the stream to `since`, storing each page with the cursor after it.
    An interrupted backfill (PollError, Ctrl-C) is marked so and re-raises; the next call with the
    same `since` resumes from its cursor."""
    resume = stream_store.resumable_backfill(db, since.isoformat())
    if resume:
        run_id, url, done = resume["id"], endpoint + resume["cursor"], resume
        with db.atomic():
            stream_store.update_run(db, run_id, {"status": "running", "endpoint": endpoint, "error": None})
    else:
        run_id = stream_store.start_run(db, {"kind": "backfill", "started_at": _iso(now()), "endpoint": endpoint,
                                             "since": since.isoformat(), "cursor": None})
        url, done = _url(config, endpoint), {"pages": 0, "repos": 0, "new": 0, "updated": 0, "requests": 0}
    client = _client(config, endpoint, None)
    totals = {key: done[key] or 0 for key in ("pages", "repos", "new", "updated", "requests")}
    oldest = None
    try:
        for page in stream_pages(client, url, rate_reserve=config.hub.stream_rate_reserve):
            kept = [m for m in page.items if m["createdAt"][:10] >= since.isoformat()]
            finished = len(kept) < len(page.items) or not page.next_url
            with db.atomic():
                n, u = stream_store.save_page(db, run_id, totals["pages"] + 1, kept, _iso(now())[:10], None)
                totals.update(pages=totals["pages"] + 1, repos=totals["repos"] + len(kept), new=totals["new"] + n,
                              updated=totals["updated"] + u, requests=totals["requests"] + 1)
                stream_store.update_run(db, run_id, {**totals, "cursor": None if finished else relative(page.next_url)})
            oldest = kept[-1]["createdAt"] if kept else oldest
            if on_page:
                on_page(page, totals["repos"])
            if finished:
                break
    except (PollError, KeyboardInterrupt) as err:
        reason = str(err) if isinstance(err, PollError) else "interrupted (Ctrl-C)"
        with db.atomic():
            stream_store.update_run(db, run_id, {"status": "interrupted", "finished_at": _iso(now()), "error": reason})
        raise
    with db.atomic():
        stream_store.update_run(db, run_id, {"status": "ok", "finished_at": _iso(now()), "cursor": None})
    return StreamResult(run_id, totals["pages"], totals["repos"], totals["new"], totals["updated"],
                        totals["requests"], oldest, resumed=resume is not None)


def _shift(created: str, delta: timedelta) -> str:
    moment = datetime.fromisoformat(created[:19]) + delta
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")

