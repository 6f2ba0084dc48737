"""The replay Hub: a real HTTP server on 127.0.0.1 that serves a Hub state the way the Hub does.

Tests, the demo and the benchmarks point the unmodified huggingface_hub client at it, so what they
exercise is the client's real pagination, retries and error mapping over real sockets, not a mock.
It serves `GET /api/models` (author, search, repeated filter, sort, limit, repeated `expand` or
`expand[]`, 400 for properties the listing refuses, keyset pagination with absolute `Link` URLs,
RateLimit headers) and `GET /api/models/{org}/{name}[/revision/{rev}]` (model_info, the only place
`childrenModelCount` comes from). Latency and faults (429, 500, non-JSON pages, dropped
connections, hangs) can be injected per listing page.
"""

from __future__ import annotations

import base64
import bisect
import gzip
import json
import math
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from . import labels

LISTING_EXPAND = (
    "author", "cardData", "config", "createdAt", "disabled", "downloads", "downloadsAllTime", "evalResults",
    "gated", "gguf", "inference", "inferenceProviderMapping", "lastModified", "library_name", "likes",
    "mask_token", "model-index", "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings",
    "spaces", "tags", "transformersInfo", "trendingScore", "widgetData",
)
# model_info can expand what the listing refuses: these cost the Hub a lookup per repo.
INFO_EXPAND = tuple(sorted((*LISTING_EXPAND, "baseModels", "childrenModelCount", "usedStorage")))
DEFAULT_FIELDS = ("likes", "downloads", "tags", "pipeline_tag", "library_name", "createdAt", "private", "trendingScore")
SORT_FIELDS = {"createdAt": "createdAt", "lastModified": "lastModified", "downloads": "downloads",
               "likes": "likes", "trendingScore": "likes"}  # no trending history here: likes stands in
NUMERIC_FIELDS = frozenset({"downloads", "likes"})
MAX_LIMIT = 1000
RATE_QUOTA, RATE_WINDOW_S = 500, 300
FAULT_KINDS = frozenset({"rate_limit", "error", "forbidden", "malformed", "drop", "hang"})
_INFO_PATH = re.compile(r"/api/models/([^/]+/[^/]+)(?:/revision/[^/]+)?")


class LabeledState(list):
    """A Hub state (a list of model objects) that knows what it is: `provenance` is the label a
    ReplayHub serving it sends (labels.py), None when nobody said."""

    provenance: dict | None = None


def labeled(models: list[dict], provenance: dict | None) -> LabeledState:
    state = LabeledState(models)
    state.provenance = provenance
    return state


def provenance_path(path: str | Path) -> Path:
    """Where a Hub-state file says what it holds: `<name>.provenance.json` beside it (the bundled
    state's says its counters are made up; a recording of the real Hub needs none)."""
    path = Path(path)
    stem = path.name.removesuffix(".gz").removesuffix(".json")
    return path.with_name(f"{stem}.provenance.json")


def load_state(path: str | Path) -> LabeledState:
    """Read a Hub-state file: a JSON array of model objects, plain or gzipped (by suffix), with the
    provenance label its sidecar file gives (None without one)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        models = json.load(handle)
    sidecar = provenance_path(path)
    label = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else None
    return labeled(models, label)


def save_state(models: list[dict], path: str | Path) -> None:
    """Write a Hub-state file; gzip (with a fixed mtime, so equal states give equal bytes) for `.gz`."""
    path = Path(path)
    data = json.dumps(models, separators=(",", ":"), ensure_ascii=False).encode()
    if path.suffix == ".gz":
        with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as handle:
            handle.write(data)
    else:
        path.write_bytes(data)


@dataclass
class Fault:
    """An injected failure, matched by listing page (1 = no cursor; 0 = model_info) and author."""

    kind: str  # rate_limit (429), error (500), forbidden (403), malformed (non-JSON 200), drop (no response), hang
    page: int = 1
    times: int | None = None  # how often it fires; None = every time
    author: str | None = None  # case-insensitive; for model_info, the repo's namespace
    retry_after: int = 1
    fired: int = field(default=0, init=False, compare=False)  # kept on the fault, so swapping lists is safe

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(FAULT_KINDS)}")


@dataclass
class RequestRecord:
    """One request as the Hub saw it; `status` stays None when no response was sent (drop, hang)."""

    method: str
    path: str
    params: list[tuple[str, str]]
    page: int
    status: int | None = None

    def params_dict(self) -> dict[str, list[str]]:
        return _multi(self.params)


class StreamSource(Protocol):
    """Repos generated on demand (stream_fixture.SyntheticStream): newest first, before a key."""

    def before(self, key: tuple | None, limit: int) -> list[tuple[tuple, dict]]: ...


class _State:
    """One Hub state, with listings sorted once per (author, sort) so that a page is a bisect."""

    def __init__(self, models: list[dict]) -> None:
        self.by_id = {m["id"]: m for m in models}
        self.by_author: dict[str, list[dict]] = {}
        for model in self.by_id.values():
            self.by_author.setdefault(model["id"].split("/")[0].lower(), []).append(model)
        self._sorted: dict[tuple[str | None, str], tuple[list[tuple], list[dict]]] = {}
        self._lock = threading.Lock()

    def listing(self, author: str | None, sort: str) -> tuple[list[tuple], list[dict]]:
        """Keys (sort value, `_id`) in ascending order and the models in the same order."""
        cache_key = (author.lower() if author is not None else None, sort)
        with self._lock:
            if cache_key not in self._sorted:
                models = self.by_id.values() if author is None else self.by_author.get(cache_key[0], [])
                pairs = sorted(((_sort_key(m, SORT_FIELDS[sort]), m) for m in models), key=lambda pair: pair[0])
                self._sorted[cache_key] = ([key for key, _ in pairs], [model for _, model in pairs])
            return self._sorted[cache_key]


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung or idle keep-alive handler must never keep the process alive
    request_queue_size = 128  # benchmarks open many connections at once


class ReplayHub:
    """Serve a list of Hub model objects on 127.0.0.1 until stopped.

    The hub keeps references to the model dicts: to change the Hub, pass new dicts to `set_models`.
    `faults` and `latency_s` may be changed at any time; `requests` logs every request.
    """

    def __init__(self, models: list[dict], *, page_size: int = 1000, latency_s: float = 0.0,
                 faults: list[Fault] | None = None, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None, stream: StreamSource | None = None,
                 provenance: dict | None = None) -> None:
        """`provenance`: what the models are (labels.py), sent with every listing answer; by
        default the label the models carry (load_state, HubTimeline), else "replay of recorded
        Hub answers". The stream's label is its own (`stream.provenance`)."""
        self.page_size = page_size
        self.provenance = provenance or getattr(models, "provenance", None) or dict(labels.RECORDED)
        self.stream = stream  # extra Hub-wide new repos (stream_fixture), merged into author-less listings
        self.token = token  # when set, a request carrying another bearer token gets 401, as on the Hub
        self.latency_s = latency_s
        self.faults: list[Fault] = list(faults or [])
        self.requests: list[RequestRecord] = []
        self._state = _State(models)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._window_start, self._window_count = time.monotonic(), 0
        self._server = _Server((host, port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def set_models(self, models: list[dict]) -> None:
        """Swap the Hub state; a request in flight finishes on the state it started with. A labeled
        state brings its label along."""
        self._state = _State(models)
        self.provenance = getattr(models, "provenance", None) or self.provenance

    def start(self) -> ReplayHub:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True,
                                        name=f"replay-hub-{self.url}")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release hung handlers and close keep-alive connections; returns at once."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._close()

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C (for `lineupwatch replay-hub`)."""
        try:
            self._server.serve_forever(poll_interval=0.05)
        except KeyboardInterrupt:
            pass
        finally:
            self._stopping.set()
            self._close()

    def __enter__(self) -> ReplayHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _close(self) -> None:
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)  # wakes handler threads blocked on keep-alive reads
            except OSError:
                pass

    # --- called from handler threads ---

    def _take_fault(self, page: int, author: str | None) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.page != page or (fault.times is not None and fault.fired >= fault.times):
                    continue
                if fault.author is not None and (author or "").lower() != fault.author.lower():
                    continue
                fault.fired += 1
                return fault
        return None

    def _count_request(self) -> tuple[int, int]:
        """Remaining requests and seconds to reset in the current fixed window (never enforced)."""
        now = time.monotonic()
        with self._lock:
            if now - self._window_start >= RATE_WINDOW_S:
                self._window_start, self._window_count = now, 0
            self._window_count += 1
            return max(RATE_QUOTA - self._window_count, 0), math.ceil(self._window_start + RATE_WINDOW_S - now)

    def _listing(self, params: list[tuple[str, str]], base_url: str) -> tuple[int, object, dict[str, str]]:
        args = _multi(params)
        expand = args.get("expand", []) + args.get("expand[]", [])
        if any(value not in LISTING_EXPAND for value in expand):
            return 400, _expand_error(LISTING_EXPAND), {}
        sort = _first(args, "sort") or "trendingScore"
        if sort not in SORT_FIELDS:
            return 400, {"error": f'"sort" must be one of [{", ".join(SORT_FIELDS)}]'}, {}
        try:
            limit = max(1, min(int(_first(args, "limit") or self.page_size), MAX_LIMIT))
        except ValueError:
            return 400, {"error": '"limit" must be a number'}, {}
        keys, models = self._state.listing(_first(args, "author"), sort)
        try:
            cursor, page = _decode_cursor(args["cursor"][0]) if "cursor" in args else (None, 1)
            end = len(keys) if cursor is None else bisect.bisect_left(keys, cursor)
        except (ValueError, TypeError):  # TypeError: a cursor of another sort (string vs number)
            return 400, {"error": "Invalid cursor"}, {}
        search = (_first(args, "search") or "").lower()
        filters = args.get("filter", [])
        if self.stream is not None and sort == "createdAt" and not (_first(args, "author") or search or filters):
            return self._stream_listing(params, base_url, keys[:end], models[:end], cursor, page, limit, expand)
        items, position = [], end
        while position > 0 and len(items) < limit:  # walk the ascending list backwards: descending order
            position -= 1
            model = models[position]
            if search in model["id"].lower() and all(_has_tag(model, value) for value in filters):
                items.append(_project(model, expand or DEFAULT_FIELDS))
        headers = {labels.HEADER: json.dumps(self.provenance, separators=(",", ":"))}
        if position > 0:
            query = [(k, v) for k, v in params if k != "cursor"] + [("cursor", _encode_cursor(keys[position], page + 1))]
            headers["Link"] = f'<{base_url}/api/models?{urlencode(query)}>; rel="next"'
        return 200, items, headers

    def _stream_listing(self, params: list[tuple[str, str]], base_url: str, keys: list[tuple], models: list[dict],
                        cursor: tuple | None, page: int, limit: int,
                        expand: list[str]) -> tuple[int, object, dict[str, str]]:
        """The Hub-wide listing by createdAt: the state's repos merged with the stream's, newest first."""
        generated = self.stream.before(cursor, limit + 1)
        mine = [(keys[i], models[i]) for i in range(len(keys) - 1, max(len(keys) - limit - 2, -1), -1)]
        merged = sorted(mine + generated, key=lambda pair: pair[0], reverse=True)
        items = [_project(model, expand or DEFAULT_FIELDS) for _, model in merged[:limit]]
        label = labels.merged([self.provenance, getattr(self.stream, "provenance", None) or labels.SYNTHETIC_STREAM])
        headers = {labels.HEADER: json.dumps(label, separators=(",", ":"))}
        if len(merged) > limit:
            query = [(k, v) for k, v in params if k != "cursor"] + [("cursor", _encode_cursor(merged[limit - 1][0], page + 1))]
            headers["Link"] = f'<{base_url}/api/models?{urlencode(query)}>; rel="next"'
        return 200, items, headers

    def _info(self, repo_id: str, params: list[tuple[str, str]]) -> tuple[int, object, dict[str, str]]:
        model = self._state.by_id.get(repo_id)
        if model is None:
            return 404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound",
                                                           "X-Error-Message": "Repository not found"}
        args = _multi(params)
        expand = args.get("expand", []) + args.get("expand[]", [])
        if any(value not in INFO_EXPAND for value in expand):
            return 400, _expand_error(INFO_EXPAND), {}
        return 200, _project(model, expand) if expand else model, {}


def _handler_for(hub: ReplayHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the client's pooled connections expect
        disable_nagle_algorithm = True  # headers and body are two writes: Nagle + delayed ACK cost 40 ms each

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - tests and benchmarks stay quiet
            pass

        def setup(self) -> None:
            super().setup()
            with hub._lock:
                hub._connections.add(self.connection)

        def finish(self) -> None:
            with hub._lock:
                hub._connections.discard(self.connection)
            super().finish()

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            split = urlsplit(self.path)
            params = parse_qsl(split.query, keep_blank_values=True)
            info = _INFO_PATH.fullmatch(split.path)
            if split.path == "/api/models":
                page, author = _page_number(params), _first(_multi(params), "author")
            else:
                page, author = 0, unquote(info.group(1)).split("/")[0] if info else None
            record = RequestRecord("GET", unquote(split.path), params, page)
            with hub._lock:
                hub.requests.append(record)
            remaining, reset = hub._count_request()
            hub._stopping.wait(hub.latency_s)  # a sleep that stop() cuts short
            fault = hub._take_fault(page, author) if split.path == "/api/models" or info else None
            sent_token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if hub.token is not None and sent_token and sent_token != hub.token:  # anonymous calls stay allowed
                self._send(record, 401, {"error": "Invalid credentials in Authorization header"}, {},
                           _rate_headers(remaining, reset))
            elif fault is not None:
                self._inject(fault, record, _rate_headers(remaining, reset))
            elif split.path == "/api/models":
                base_url = f"http://{self.headers['Host']}" if self.headers.get("Host") else hub.url
                self._send(record, *hub._listing(params, base_url), _rate_headers(remaining, reset))
            elif info:
                self._send(record, *hub._info(unquote(info.group(1)), params), _rate_headers(remaining, reset))
            else:
                self._send(record, 404, {"error": "Not Found"}, {}, _rate_headers(remaining, reset))

        def _inject(self, fault: Fault, record: RequestRecord, rate: dict[str, str]) -> None:
            if fault.kind == "rate_limit":
                headers = {"Retry-After": str(fault.retry_after), **_rate_headers(0, fault.retry_after)}
                self._send(record, 429, {"error": "Too Many Requests"}, headers, {})
            elif fault.kind == "error":
                self._send(record, 500, {"error": "Internal Error"}, {}, rate)
            elif fault.kind == "forbidden":
                self._send(record, 403, {"error": "Access to this resource is restricted"}, {}, rate)
            elif fault.kind == "malformed":
                self._send(record, 200, b"<html><body>502 Bad Gateway</body></html>", {}, rate)
            else:  # drop, or hang until the hub stops; either way the socket closes with no response
                if fault.kind == "hang":
                    hub._stopping.wait()
                self.close_connection = True

        def _send(self, record: RequestRecord, status: int, body: object, headers: dict[str, str],
                  rate: dict[str, str]) -> None:
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            record.status = status
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in {**rate, **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _multi(params: list[tuple[str, str]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, value in params:
        result.setdefault(key, []).append(value)
    return result


def _first(args: dict[str, list[str]], name: str) -> str | None:
    return args[name][0] if args.get(name) else None


def _rate_headers(remaining: int, reset: int) -> dict[str, str]:
    return {"RateLimit": f'"api";r={remaining};t={reset}',
            "RateLimit-Policy": f'"fixed window";"api";q={RATE_QUOTA};w={RATE_WINDOW_S}'}


def _expand_error(allowed: tuple[str, ...]) -> dict[str, str]:
    return {"error": f'"expand" must be one of [{", ".join(allowed)}]'}


def _sort_key(model: dict, sort_field: str) -> tuple:
    """(value, `_id`); a missing value sorts last, as the lowest value of its kind."""
    value = model.get(sort_field)
    if sort_field in NUMERIC_FIELDS:
        value = value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0
    else:
        value = str(value) if value is not None else ""
    return (value, model.get("_id") or model["id"])


def _has_tag(model: dict, value: str) -> bool:
    return value in (model.get("tags") or ()) or value in (model.get("library_name"), model.get("pipeline_tag"))


def _project(model: dict, fields: list[str] | tuple[str, ...]) -> dict:
    """`_id`, `id` and exactly the asked properties the model has."""
    return {key: model[key] for key in ("_id", "id", *fields) if key in model}


def _encode_cursor(key: tuple, page: int) -> str:
    """Opaque to the client: the last key served and the number of the page it leads to."""
    return base64.urlsafe_b64encode(json.dumps({"k": list(key), "p": page}, separators=(",", ":")).encode()).decode()


def _decode_cursor(text: str) -> tuple[tuple, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
        (value, last_id), page = data["k"], data["p"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"invalid cursor {text!r}") from exc
    if not isinstance(last_id, str) or not isinstance(page, int) or not isinstance(value, (str, int, float)):
        raise ValueError(f"invalid cursor {text!r}")
    return (value, last_id), page


def _page_number(params: list[tuple[str, str]]) -> int:
    """The page a listing request asks for (1 without a cursor); a bad cursor counts as page 1."""
    cursor = _first(_multi(params), "cursor")
    try:
        return _decode_cursor(cursor)[1] if cursor else 1
    except ValueError:
        return 1
