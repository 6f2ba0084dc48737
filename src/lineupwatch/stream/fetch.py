"""Fetch: the Hub-wide listing of new model repos, newest first, one page at a time.

The second source beside hub.py's org listings, on the same HubClient (its timeouts, retries,
typed errors and deadline). Only small properties are expanded: `gguf` and `config` are large
and a day of the Hub is 2,400 to 3,000 repos. Pages are yielded with the absolute `next` URL
the Hub gave, so a caller can store it and resume a long walk where it stopped. When the Hub's
RateLimit header says the window is nearly spent, the walk waits for the next window instead
of being refused (anonymous callers get 500 requests per 5 minutes). An object the stream cannot
read (records.unreadable) is kept out of a page's items and named in its `skipped`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from huggingface_hub.utils import parse_ratelimit_headers

from ..hub.client import HubClient, PollError
from .records import skipped_name, unreadable

STREAM_EXPAND = ("author", "createdAt", "tags", "pipeline_tag", "library_name", "safetensors", "downloads",
                 "downloadsAllTime")
STREAM_LABEL = "(Hub-wide stream)"  # what a PollError names instead of an org


@dataclass(frozen=True)
class StreamPage:
    number: int
    items: list[dict]  # readable models, in the Hub's order
    skipped: list[str]  # "<id>: <why it cannot be read>" for each object kept out
    next_url: str | None


def first_page_url(endpoint: str, page_size: int) -> str:
    """The newest page; in this page loop `limit` is only the page size (the Hub's largest is 1,000)."""
    params = [("sort", "createdAt"), ("limit", str(page_size))] + [("expand", p) for p in STREAM_EXPAND]
    return f"{endpoint}/api/models?" + "&".join(f"{k}={v}" for k, v in params)


def relative(url: str) -> str:
    """The path and query of a Hub URL: what a resumable walk stores, so a new endpoint can resume it."""
    split = urlsplit(url)
    return f"{split.path}?{split.query}"


def stream_pages(client: HubClient, url: str, *, rate_reserve: int = 50) -> Iterator[StreamPage]:
    """Pages from `url` on, following `next` until the Hub has none; the caller stops early when it
    has read far enough back. Raises PollError (org = STREAM_LABEL) on any failure."""
    number = 0
    while url:
        number += 1
        response = client._get(STREAM_LABEL, url, None, f"stream page {number}")
        client.listing_requests += 1
        items, skipped = _page_items(response, client.endpoint, number)
        next_url = response.links.get("next", {}).get("url")
        yield StreamPage(number, items, skipped, next_url)
        _pace(client, response, rate_reserve)
        url = next_url


def _page_items(response: object, endpoint: str, number: int) -> tuple[list[dict], list[str]]:
    try:
        payload = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise PollError(STREAM_LABEL, endpoint, f"stream page {number} is not JSON (malformed response)") from None
    if not isinstance(payload, list):
        raise PollError(STREAM_LABEL, endpoint, f"stream page {number} is not a list of models")
    items, skipped = [], []
    for model in payload:
        reason = unreadable(model)
        if reason is None:
            items.append(model)
        else:
            skipped.append(f"{skipped_name(model)}: {reason}")
    return items, skipped


def _pace(client: HubClient, response: object, reserve: int) -> None:
    """Wait for the next rate-limit window when fewer than `reserve` requests are left in this one
    (a negative reserve never waits), unless that would pass the client's deadline."""
    info = parse_ratelimit_headers(response.headers)
    if info is None or info.remaining > reserve:
        return
    wait = float(info.reset_in_seconds) + 1
    remaining = client._remaining()
    if remaining is not None and wait >= remaining:
        return  # the next request meets the deadline check and fails with its clear message
    time.sleep(wait)
