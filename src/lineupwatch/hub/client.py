"""Fetch: one paginated `/api/models?author=ORG` listing per org, and child counts per repo.

This is the only module that knows about pages. It follows the Hub's `Link: rel="next"` URLs with
huggingface_hub's own `http_backoff` (retries on 5xx and dropped connections) and
`hf_raise_for_status` (typed errors), and adds what `HfApi.list_models` lacks for a scheduled job:
a timeout on every request, an overall deadline for the poll, raw JSON (nothing the Hub returned
is lost) and a rate-limit wait that never outlives the deadline. Any failure becomes one
`PollError` naming the org and the endpoint; callers write nothing of an org until it is
complete. A failure that no other org can escape (the Hub unreachable, the token refused) says so
(`hub_wide`), so the poll does not knock on every other org's door in vain.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx2
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import (
    build_hf_headers,
    hf_raise_for_status,
    http_backoff,
    parse_ratelimit_headers,
)

# Everything the analysis needs, in one listing request per page. childrenModelCount is refused by
# the listing (HTTP 400) and comes from model_info instead.
LISTING_EXPAND = [
    "author", "createdAt", "lastModified", "sha", "safetensors", "gguf", "tags", "pipeline_tag",
    "library_name", "downloads", "downloadsAllTime", "likes", "gated", "private", "disabled", "cardData",
]

# A replay Hub says what it serves in this header (JSON: source, label, the synthetic figures); the
# real Hub sends none, and a page without it is the Hub's own listing.
PROVENANCE_HEADER = "X-Lineupwatch-Provenance"
HUB = {"source": "hub", "label": "the Hub listing", "synthetic": []}

# 429 is handled here, not in http_backoff: its Retry-After can be minutes, past the poll deadline.
RETRY_STATUSES = (500, 502, 503, 504)

PageCallback = Callable[[str, int, int], None]  # (org, page number, repos on the page)


class PollError(Exception):
    """A poll that cannot complete; the message says what failed, where, and what to do."""

    def __init__(self, org: str, endpoint: str, reason: str, hub_wide: bool = False):
        self.org, self.endpoint, self.reason, self.hub_wide = org, endpoint, reason, hub_wide
        super().__init__(f"poll of org '{org}' at {endpoint} failed: {reason}")


@dataclass
class HubClient:
    """A Hub endpoint with the budgets of one poll; counts the requests it makes."""

    endpoint: str
    token: str | None = None
    timeout_s: float = 30.0
    max_retries: int = 3
    deadline: float | None = None  # time.monotonic() value after which the poll gives up
    base_wait_s: float = 1.0
    listing_requests: int = 0
    info_requests: int = 0
    provenance: dict | None = None  # what the answers so far said they are (None before the first)

    def fetch_org(self, org: str, on_page: PageCallback | None = None) -> list[dict]:
        """Every repo of one org, newest first, de-duplicated by id (a repo created mid-poll
        can shift the keyset and repeat an item); empty when the Hub lists none (the caller
        decides what an empty org means)."""
        url = f"{self.endpoint}/api/models"
        params: list[tuple[str, str]] = [("author", org), ("sort", "createdAt")]
        params += [("expand", prop) for prop in LISTING_EXPAND]
        models: dict[str, dict] = {}
        page = 0
        while url:
            page += 1
            response = self._get(org, url, params if page == 1 else None, f"page {page}")
            self.listing_requests += 1
            items = _json_page(response, org, self.endpoint, page)
            for item in items:
                key = next((item[k] for k in ("id", "modelId", "_id") if isinstance(item.get(k), str)), None)
                if key is not None:  # an item with no id at all cannot be stored, and stops nothing
                    models.setdefault(key, item)
            if on_page:
                on_page(org, page, len(items))
            url = response.links.get("next", {}).get("url")
        return list(models.values())

    def children_count(self, repo_id: str) -> int | None:
        """Fine-tunes, adapters, quantizations and merges of one repo (only model_info has it)."""
        self._check_deadline(repo_id)
        api = HfApi(endpoint=self.endpoint, token=self.token)
        self.info_requests += 1
        try:
            info = api.model_info(repo_id, expand=["childrenModelCount"], timeout=self._attempt_timeout())
        except (HfHubHTTPError, httpx2.HTTPError, ValueError) as err:
            raise PollError(repo_id, self.endpoint, f"model_info for child count: {_describe(err)}") from err
        return info.children_model_count

    def _get(self, org: str, url: str, params: list | None, what: str) -> httpx2.Response:
        headers = build_hf_headers(token=self.token)
        while True:
            self._check_deadline(org)
            try:
                response = http_backoff(
                    "GET", url, params=params, headers=headers, timeout=self._attempt_timeout(),
                    max_retries=self.max_retries, base_wait_time=self.base_wait_s,
                    max_wait_time=8 * self.base_wait_s, retry_on_status_codes=RETRY_STATUSES,
                )
                if response.status_code == 429:
                    self._wait_out_rate_limit(org, response)
                    continue
                hf_raise_for_status(response)
                self.provenance = merge_provenance(self.provenance, provenance_of(response))
                return response
            except (HfHubHTTPError, httpx2.HTTPError) as err:
                raise PollError(org, self.endpoint, f"{what}: {_describe(err)}", _hub_wide(err)) from err

    def _wait_out_rate_limit(self, org: str, response: httpx2.Response) -> None:
        wait = _retry_after(response)
        remaining = self._remaining()
        if remaining is not None and wait >= remaining:
            raise PollError(org, self.endpoint, f"rate limited (HTTP 429) for {wait:.0f} s, longer than the "
                            f"{remaining:.0f} s left before the poll deadline: poll again later, or set a token (hub.token_env)")
        time.sleep(wait)

    def _remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def _check_deadline(self, org: str) -> None:
        remaining = self._remaining()
        if remaining is not None and remaining <= 0:
            raise PollError(org, self.endpoint, "the poll deadline passed (hub.poll_deadline_s): the Hub is too slow or not answering")

    def _attempt_timeout(self) -> float:
        """Each attempt gets a share of the time left, so retries cannot outlive the deadline."""
        remaining = self._remaining()
        if remaining is None:
            return self.timeout_s
        return max(0.05, min(self.timeout_s, remaining / (self.max_retries + 1)))


def provenance_of(response: httpx2.Response) -> dict:
    """The label an answer carries; the real Hub's answers carry none. A label that is not JSON
    is kept as prose, and, unreadable, counts as synthetic: a doubt is said, never hidden."""
    text = response.headers.get(PROVENANCE_HEADER)
    if text is None:
        return dict(HUB)
    try:
        label = json.loads(text)
    except ValueError:
        return {"source": "unknown", "label": text[:200], "synthetic": ["all"]}
    if not isinstance(label, dict):
        return {"source": "unknown", "label": str(label)[:200], "synthetic": ["all"]}
    synthetic = label.get("synthetic")
    return {"source": str(label.get("source") or "replay"), "label": str(label.get("label") or ""),
            "synthetic": sorted(str(s) for s in synthetic) if isinstance(synthetic, list) else []}


def merge_provenance(old: dict | None, new: dict) -> dict:
    """One label for a poll's pages: the same one, or every source and synthetic figure seen."""
    if old is None or old == new:
        return new
    return {"source": old["source"] if old["source"] == new["source"] else f"{old['source']}+{new['source']}",
            "label": old["label"] if old["label"] == new["label"] else f"{old['label']} + {new['label']}",
            "synthetic": sorted(set(old["synthetic"]) | set(new["synthetic"]))}


def _json_page(response: httpx2.Response, org: str, endpoint: str, page: int) -> list[dict]:
    try:
        items = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise PollError(org, endpoint, f"page {page} is not JSON (malformed response from the Hub or a proxy)") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise PollError(org, endpoint, f"page {page} is not a list of models")
    return items


def _retry_after(response: httpx2.Response) -> float:
    info = parse_ratelimit_headers(response.headers)
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds) + 1
    try:
        return float(response.headers.get("Retry-After", "1"))
    except ValueError:
        return 1.0


def _hub_wide(err: Exception) -> bool:
    """No connection, or a refused token: every other org would fail the same way."""
    if isinstance(err, HfHubHTTPError) and err.response is not None:
        return err.response.status_code == 401
    return isinstance(err, httpx2.ConnectError)


def _describe(err: Exception) -> str:
    if isinstance(err, HfHubHTTPError) and err.response is not None:
        status = err.response.status_code
        hint = {401: "authentication failed: check the token (hub.token_env)",
                403: "access refused: the token lacks permission",
                404: "not found"}.get(status, "")
        return f"HTTP {status}{': ' + hint if hint else ''} ({str(err).splitlines()[0]})"
    if isinstance(err, httpx2.TimeoutException):
        return "timed out: the Hub did not answer in time (hub.request_timeout_s), retries exhausted"
    if isinstance(err, httpx2.ConnectError):
        return f"cannot connect ({err}): check the endpoint and the network"
    return f"{type(err).__name__}: {err}"
