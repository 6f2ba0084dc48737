"""The stream jobs: a poll of the newest repos Hub-wide, and a resumable backfill of its history.

A stream poll reads back until it passes the last successful poll's newest `createdAt` minus a
re-scan window (hub.stream_rescan_days: `base_model` tags are often added after creation), then
stores everything in one transaction; a failure stores one failed run row and nothing else. A
backfill stores page by page with its cursor, so an interruption loses at most one page of work
and the same command resumes where it stopped, without duplicates.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlite_utils import Database

from ..config.settings import Config
from ..hub.client import HubClient, PollError, merge_provenance
from ..normalize.payload import RepoError
from . import store as stream_store
from .fetch import StreamPage, first_page_url, relative, stream_pages
from .records import created_of

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
    skipped: int = 0  # objects the run could not read (named in its row's skipped_repos)


def _client(config: Config, endpoint: str, deadline_s: float | None) -> HubClient:
    return HubClient(endpoint, token=os.environ.get(config.hub.token_env) or None,
                     timeout_s=config.hub.request_timeout_s, max_retries=config.hub.max_retries,
                     base_wait_s=config.hub.retry_wait_s,
                     deadline=None if deadline_s is None else time.monotonic() + deadline_s)


def _url(config: Config, endpoint: str) -> str:
    return first_page_url(endpoint, config.hub.stream_page_size)


def run_stream(config: Config, db: Database, *, endpoint: str, now: Clock) -> StreamResult:
    """One stream poll; whatever stops it (PollError, or an error no one foresaw) is recorded as a
    failed run, with nothing else stored, and raised."""
    started = now()
    run_id = stream_store.start_run(db, {"kind": "poll", "started_at": _iso(started), "endpoint": endpoint})
    client = _client(config, endpoint, config.hub.poll_deadline_s)
    try:
        return _read_and_store(config, db, client, endpoint, run_id, started, now)
    except Exception as err:
        with db.atomic():
            stream_store.update_run(db, run_id, {"status": "failed", "finished_at": _iso(now()), "error": _reason(err),
                                                 "requests": client.listing_requests})
        raise


def _read_and_store(config: Config, db: Database, client: HubClient, endpoint: str, run_id: int,
                    started: datetime, now: Clock) -> StreamResult:
    """Read back past the cutoff, then store every page in one transaction. The newest `createdAt`
    and the cutoff come only from parsed dates, and never from one after the poll (a day of clock
    skew allowed): one odd repo must not move the window to where no repo will ever be."""
    newest_before = stream_store.prior_newest(db, run_id)
    rescan = timedelta(days=config.hub.stream_rescan_days)
    cutoff = None if newest_before is None else _shift(newest_before, -rescan)
    latest = _shift(_z(started), timedelta(days=1))
    pages: list[list[dict]] = []
    newest, warning, skipped = None, None, []
    for page in stream_pages(client, _url(config, endpoint), rate_reserve=config.hub.stream_rate_reserve):
        created = [created_of(m) for m in page.items]
        plausible = [day for day in created if day <= latest]
        if newest is None and plausible:
            newest = max(plausible)
            cutoff = cutoff or _shift(newest, -rescan)  # a first poll reads one re-scan window
        kept = [m for m, day in zip(page.items, created, strict=True) if day >= cutoff] if cutoff else page.items
        pages.append(kept)
        skipped += page.skipped
        if len(kept) < len(page.items) or not (page.items or page.skipped):
            break
        if len(pages) >= config.hub.stream_max_pages:
            warning = (f"stream poll stopped after {len(pages)} pages (hub.stream_max_pages) before reaching "
                       f"{cutoff}: run `lineupwatch backfill-stream --since {cutoff[:10]}` to fill the gap")
            break
    new = updated = 0
    with db.atomic():
        for number, models in enumerate(pages, 1):
            n, u = stream_store.save_page(db, run_id, number, models, started.date().isoformat(), newest_before)
            new, updated = new + n, updated + u
        repos = sum(len(p) for p in pages)
        stream_store.update_run(db, run_id, {
            "status": "ok", "finished_at": _iso(now()), "cutoff": cutoff, "newest_created": newest or newest_before,
            "pages": len(pages), "repos": repos, "new": new, "updated": updated, "requests": client.listing_requests,
            "error": warning, "skipped": len(skipped), "skipped_repos": stream_store.named_skips(skipped),
            "provenance": _provenance(client)})
    return StreamResult(run_id, len(pages), repos, new, updated, client.listing_requests, cutoff, warning=warning,
                        skipped=len(skipped))


def run_backfill(config: Config, db: Database, *, endpoint: str, since: date, now: Clock,
                 on_page: PageCallback | None = None) -> StreamResult:
    """Page back through the stream to `since`, storing each page with the cursor after it.
    An interrupted backfill (PollError, Ctrl-C, any error) is marked so and re-raises; the next
    call with the same `since` resumes from its cursor."""
    resume = stream_store.resumable_backfill(db, since.isoformat())
    if resume:
        run_id, url, done = resume["id"], endpoint + resume["cursor"], resume
        with db.atomic():
            stream_store.update_run(db, run_id, {"status": "running", "endpoint": endpoint, "error": None})
    else:
        run_id = stream_store.start_run(db, {"kind": "backfill", "started_at": _iso(now()), "endpoint": endpoint,
                                             "since": since.isoformat(), "cursor": None})
        url, done = _url(config, endpoint), {}
    client = _client(config, endpoint, None)
    totals = {key: done.get(key) or 0 for key in ("pages", "repos", "new", "updated", "requests", "skipped")}
    named = json.loads(done.get("skipped_repos") or "[]")
    oldest = None
    try:
        for page in stream_pages(client, url, rate_reserve=config.hub.stream_rate_reserve):
            kept = [m for m in page.items if created_of(m)[:10] >= since.isoformat()]
            finished = len(kept) < len(page.items) or not page.next_url
            named += page.skipped
            with db.atomic():
                n, u = stream_store.save_page(db, run_id, totals["pages"] + 1, kept, _iso(now())[:10], None)
                totals.update(pages=totals["pages"] + 1, repos=totals["repos"] + len(kept), new=totals["new"] + n,
                              updated=totals["updated"] + u, requests=totals["requests"] + 1,
                              skipped=totals["skipped"] + len(page.skipped))
                stream_store.update_run(db, run_id, {**totals, "skipped_repos": stream_store.named_skips(named),
                                                     "cursor": None if finished else relative(page.next_url),
                                                     "provenance": _provenance(client, done.get("provenance"))})
            oldest = created_of(kept[-1]) if kept else oldest
            if on_page:
                on_page(page, totals["repos"])
            if finished:
                break
    except (Exception, KeyboardInterrupt) as err:
        with db.atomic():
            stream_store.update_run(db, run_id, {"status": "interrupted", "finished_at": _iso(now()),
                                                 "error": _reason(err)})
        raise
    with db.atomic():
        stream_store.update_run(db, run_id, {"status": "ok", "finished_at": _iso(now()), "cursor": None})
    return StreamResult(run_id, totals["pages"], totals["repos"], totals["new"], totals["updated"],
                        totals["requests"], oldest, resumed=resume is not None, skipped=totals["skipped"])


def _provenance(client: HubClient, before: str | None = None) -> str | None:
    """The run's provenance column (m090): what the pages said they are, merged with what the
    pages of an interrupted run read before said."""
    label = client.provenance
    if before:
        label = merge_provenance(json.loads(before), label) if label else json.loads(before)
    return json.dumps(label) if label else None


def _reason(err: BaseException) -> str:
    """A stopped run's error column: a PollError or RepoError as it words itself (the Hub's failure,
    the repo a step broke on), else the error's type and text."""
    if isinstance(err, (PollError, RepoError)):
        return " ".join(str(err).split())
    if isinstance(err, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    return " ".join(f"{type(err).__name__}: {err}".split())


def _z(moment: datetime) -> str:
    """A clock reading in the stream's form (a naive one is UTC, as the job's clocks are)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).isoformat(timespec="seconds")


def _shift(created: str, delta: timedelta) -> str:
    """A 'YYYY-MM-DDTHH:MM:SS+00:00' moment moved by `delta`, in the same form."""
    moment = datetime.fromisoformat(created[:19]).replace(tzinfo=timezone.utc) + delta
    return moment.isoformat(timespec="seconds")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")

