"""The replay Hub: a real HTTP server on 127.0.0.1 that serves a Hub-state file like the Hub.

It speaks what lineupwatch and the unmodified huggingface_hub client use of the model API:
`GET /api/models` (author, search, repeated filter, sort, limit, repeated `expand` or `expand[]`,
400 for properties the listing refuses, keyset pagination with absolute `Link` URLs, RateLimit
headers) and `GET /api/models/{repo_id}` (model_info, including childrenModelCount). Latency and
faults (429, 500, malformed pages, dropped connections, hangs) can be injected per page, so tests,
the demo and the benchmarks exercise the real client over real sockets.
"""

from __future__ import annotations

import base64
import bisect
import gzip
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

LISTING_EXPANDABLE = frozenset({
    "author", "cardData", "config", "createdAt", "disabled", "downloads", "downloadsAllTime", "evalResults",
    "gated", "gguf", "inference", "inferenceProviderMapping", "lastModified", "library_name", "likes",
    "mask_token", "model-index", "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings",
    "spaces", "tags", "transformersInfo", "trendingScore", "widgetData",
})
INFO_ONLY = frozenset({"childrenModelCount", "baseModels", "usedStorage"})
DEFAULT_FIELDS = ("likes", "downloads", "tags", "pipeline_tag", "library_name", "createdAt", "private", "trendingScore")
SORT_KEYS = {"createdAt": "createdAt", "lastModified": "lastModified", "downloads": "downloads", "likes": "likes",
             "trendingScore": "likes"}
RATE_WINDOW_S, RATE_QUOTA = 300, 500


def load_state(path: str | Path) -> list[dict]:
    """A Hub-state file: a JSON array of model objects, plain or gzipped."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def save_state(models: list[dict], path: str | Path) -> None:
    path = Path(path)
    data = json.dumps(models, separators=(",", ":"), ensure_ascii=False).encode()
    if path.suffix == ".gz":
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
            handle.write(data)
    else:
        path.write_bytes(data)


@dataclass
class Fault:
    """An injected failure: rate_limit (429), error (500), malformed (non-JSON 200), drop, hang."""

    kind: str
    page: int = 1  # listing page, 1-based; 0 for model_info requests
    times: int | None = None  # how often it fires; None = always
    author: str | None = None
    retry_after: int = 1


@dataclass
class RequestRecord:
    method: str
    path: str
    params: list[tuple[str, str]]
    page: int
    status: int | None = None

    def params_dict(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for key, value in self.params:
            result.setdefault(key, []).append(value)
        return result


@dataclass
class _Index:
    """Models pre-sorted per (author, sort key) so a page is a bisect, not a sort."""

    by_id: dict[str, dict]
    sorted_lists: dict[tuple[str, str], list[tuple[tuple, dict]]] = field(default_factory=dict)

    def listing(self, author: str | None, sort: str) -> list[tuple[tuple, dict]]:
        key = ((author or "").lower(), sort)
        if key not in self.sorted_lists:
            models = [m for m in self.by_id.values() if not author or (m.get("author") or m["id"].split("/")[0]).lower() == key[0]]
            # ascending on the negated key = descending on (sort value, _id), as the Hub pages
            self.sorted_lists[key] = sorted(((_desc_key(m, sort), m) for m in models), key=lambda pair: pair[0])
        return self.sorted_lists[key]


def _desc_key(model: dict, sort: str) -> tuple:
    value = model.get(SORT_KEYS[sort])
    inverted = _invert(value if value is not None else "")
    return (inverted, _invert(model.get("_id") or model["id"]))


def _invert(value: object) -> tuple:
    """A sortable key whose ascending order is the value's descending order."""
    if isinstance(value, (int, float)):
        return (0, -value)
    return (1, tuple(-ord(c) for c in str(value)))


class ReplayHub:
    """Serve a list of Hub model objects on 127.0.0.1 until stopped."""

    def __init__(self, models: list[dict], *, page_size: int = 1000, latency_s: float = 0.0,
                 faults: list[Fault] | None = None, host: str = "127.0.0.1", port: int = 0):
        self.page_size = page_size
        self.latency_s = latency_s
        self.faults: list[Fault] = list(faults or [])
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._fired: dict[int, int] = {}
        self._window: list[float] = []
        self.set_models(models)
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def set_models(self, models: list[dict]) -> None:
        """Swap the Hub state (tests change the Hub between polls)."""
        index = _Index({m["id"]: m for m in models})
        with self._lock:
            self._index = index

    def start(self) -> ReplayHub:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def serve_forever(self) -> None:
        """For `lineupwatch replay-hub`: serve in this thread until Ctrl-C."""
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._stopping.set()
            self._server.server_close()

    def __enter__(self) -> ReplayHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- request handling (called from server threads) ---

    def _fault_for(self, page: int, author: str | None) -> Fault | None:
        with self._lock:
            for number, fault in enumerate(self.faults):
                if fault.page != page or (fault.author and (author or "").lower() != fault.author.lower()):
                    continue
                key = id(fault)
                if fault.times is not None and self._fired.get(key, 0) >= fault.times:
                    continue
                self._fired[key] = self._fired.get(key, 0) + 1
                return fault
        return None

    def _rate_headers(self) -> dict[str, str]:
        now = time.monotonic()
        with self._lock:
            self._window = [t for t in self._window if now - t < RATE_WINDOW_S] + [now]
            remaining = max(RATE_QUOTA - len(self._window), 0)
            reset = int(RATE_WINDOW_S - (now - self._window[0])) if self._window else RATE_WINDOW_S
        return {"RateLimit": f'"api";r={remaining};t={reset}',
                "RateLimit-Policy": f'"fixed window";"api";q={RATE_QUOTA};w={RATE_WINDOW_S}'}

    def _listing(self, params: list[tuple[str, str]], base_url: str) -> tuple[int, object, dict[str, str], int]:
        args = _multi(params)
        expand = args.get("expand", []) + args.get("expand[]", [])
        bad = [e for e in expand if e not in LISTING_EXPANDABLE]
        if bad:
            allowed = ",".join(f'"{e}"' for e in sorted(LISTING_EXPANDABLE))
            return 400, {"error": f'"expand" must be one of [{allowed}]'}, {}, 0
        sort = (args.get("sort") or ["trendingScore"])[0]
        if sort not in SORT_KEYS:
            return 400, {"error": f'"sort" must be one of [{",".join(SORT_KEYS)}]'}, {}, 0
        try:
            limit = min(int((args.get("limit") or [self.page_size])[0]), 1000)
            cursor = _decode_cursor(args["cursor"][0]) if "cursor" in args else None
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "Invalid cursor or limit"}, {}, 0
        author = (args.get("author") or [None])[0]
        with self._lock:
            ordered = self._index.listing(author, sort)
        start = 0 if cursor is None else bisect.bisect_right(ordered, tuple(cursor["key"]), key=lambda pair: pair[0])
        page_number = 1 if cursor is None else cursor["page"] + 1
        search = (args.get("search") or [""])[0].lower()
        filters = args.get("filter", [])
        items, position = [], start
        while position < len(ordered) and len(items) < limit:
            model = ordered[position][1]
            position += 1
            if search and search not in model["id"].lower():
                continue
            if any(f not in (model.get("tags") or []) and f not in (model.get("library_name"), model.get("pipeline_tag"))
                   for f in filters):
                continue
            items.append(_project(model, expand))
        headers = {}
        if position < len(ordered) and items:
            next_cursor = _encode_cursor({"key": _jsonable(ordered[position - 1][0]), "page": page_number})
            query = [(k, v) for k, v in params if k != "cursor"] + [("cursor", next_cursor)]
            headers["Link"] = f'<{base_url}/api/models?{urlencode(query)}>; rel="next"'
        return 200, items, headers, page_number

    def _info(self, repo_id: str, params: list[tuple[str, str]]) -> tuple[int, object, dict[str, str]]:
        with self._lock:
            model = self._index.by_id.get(repo_id)
        if model is None:
            return 404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound",
                                                               "X-Error-Message": "Repository not found"}
        args = _multi(params)
        expand = args.get("expand", []) + args.get("expand[]", [])
        bad = [e for e in expand if e not in LISTING_EXPANDABLE | INFO_ONLY]
        if bad:
            return 400, {"error": f'"expand" must be one of [{",".join(sorted(LISTING_EXPANDABLE | INFO_ONLY))}]'}, {}
        if expand:
            return 200, {"_id": model.get("_id"), "id": model["id"], **{k: model[k] for k in expand if k in model}}, {}
        return 200, model, {}


def _handler_for(hub: ReplayHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # tests and benchmarks stay quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            params = parse_qsl(parts.query, keep_blank_values=True)
            path = unquote(parts.path)
            host = self.headers.get("Host") or "127.0.0.1"
            author = _multi(params).get("author", [None])[0]
            if path == "/api/models":
                cursor = _multi(params).get("cursor")
                try:
                    page = 1 if not cursor else _decode_cursor(cursor[0])["page"] + 1
                except (ValueError, KeyError, TypeError):
                    page = 1
            else:
                page = 0
            record = RequestRecord("GET", path, params, page)
            with hub._lock:
                hub.requests.append(record)
            if hub.latency_s:
                time.sleep(hub.latency_s)
            fault = hub._fault_for(page, author) if path.startswith("/api/models") else None
            if fault and self._inject(fault, record):
                return
            if path == "/api/models":
                status, body, headers, _ = hub._listing(params, f"http://{host}")
            elif path.startswith("/api/models/"):
                repo_id = path[len("/api/models/"):].split("/revision/")[0]
                status, body, headers = hub._info(repo_id, params)
            else:
                status, body, headers = 404, {"error": "Not Found"}, {}
            self._send(status, json.dumps(body).encode(), {**headers, **hub._rate_headers()}, record)

        def _inject(self, fault: Fault, record: RequestRecord) -> bool:
            if fault.kind == "rate_limit":
                headers = {"Retry-After": str(fault.retry_after),
                           "RateLimit": f'"api";r=0;t={fault.retry_after}',
                           "RateLimit-Policy": f'"fixed window";"api";q={RATE_QUOTA};w={RATE_WINDOW_S}'}
                self._send(429, b'{"error": "Too Many Requests"}', headers, record)
            elif fault.kind == "error":
                self._send(500, b'{"error": "Internal Error"}', {}, record)
            elif fault.kind == "malformed":
                self._send(200, b"<html>502 Bad Gateway</html>", {}, record)
            elif fault.kind == "drop":
                record.status = -1
                self.close_connection = True
                self.connection.close()
            elif fault.kind == "hang":
                record.status = -1
                hub._stopping.wait()
                self.close_connection = True
            else:
                return False
            return True

        def _send(self, status: int, body: bytes, headers: dict[str, str], record: RequestRecord) -> None:
            record.status = status
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _multi(params: list[tuple[str, str]]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for key, value in params:
        result.setdefault(key, []).append(value)
    return result


def _project(model: dict, expand: list[str]) -> dict:
    """What the listing returns: `_id`, `id` and the asked properties, never info-only ones."""
    fields = expand or DEFAULT_FIELDS
    return {"_id": model.get("_id"), "id": model["id"], **{k: model[k] for k in fields if k in model}}


def _jsonable(key: tuple) -> list:
    return json.loads(json.dumps(key))


def _encode_cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _decode_cursor(text: str) -> dict:
    data = json.loads(base64.urlsafe_b64decode(text.encode()))
    data["key"] = _tupled(data["key"])
    return data


def _tupled(value: object) -> object:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value
