"""The replay Hub against the unmodified huggingface_hub client, over real sockets."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import http_backoff, parse_ratelimit_headers

from lineupwatch.replay import Fault, ReplayHub, load_state, save_state

# SYNTHETIC models: ten repos of one org and one of another.
MODELS = [{"_id": f"{i:024x}", "id": f"Org/model-{i}", "author": "Org", "createdAt": f"2026-01-{i + 1:02d}T00:00:00.000Z",
           "downloads": 100 - i, "likes": i, "childrenModelCount": i * 2, "tags": ["text-generation"] + (["gguf"] if i % 2 else []),
           "library_name": "transformers", "pipeline_tag": "text-generation"} for i in range(10)]
MODELS.append({"_id": "f" * 24, "id": "Other/solo", "author": "Other", "createdAt": "2026-02-01T00:00:00.000Z", "tags": []})


@pytest.fixture
def small_hub():
    with ReplayHub(MODELS, page_size=3) as hub:
        yield hub


def test_pages_return_every_model_once_newest_first(small_hub: ReplayHub) -> None:
    api = HfApi(endpoint=small_hub.url)
    models = list(api.list_models(author="Org", sort="createdAt", expand=["createdAt", "downloads", "tags"]))
    assert [m.id for m in models] == [f"Org/model-{i}" for i in range(9, -1, -1)]
    assert len(small_hub.requests) == 4  # ceil(10 / 3) pages, nothing per repo
    first = small_hub.requests[0]
    assert first.params_dict()["expand"] == ["createdAt", "downloads", "tags"]
    assert models[0].children_model_count is None  # the listing never returns it


def test_link_header_is_absolute_and_carries_every_parameter(small_hub: ReplayHub) -> None:
    response = httpx2.get(f"{small_hub.url}/api/models", params=[("author", "Org"), ("sort", "createdAt"),
                                                                  ("expand[]", "likes"), ("search", "model")])
    link = response.links["next"]["url"]
    assert link.startswith(f"{small_hub.url}/api/models?")
    for part in ("author=Org", "sort=createdAt", "expand%5B%5D=likes", "search=model", "cursor="):
        assert part in link
    assert [sorted(item) for item in response.json()] == [["_id", "id", "likes"]] * 3
    info = parse_ratelimit_headers(response.headers)
    assert info is not None and info.limit == 500 and info.window_seconds == 300


def test_listing_refuses_info_only_expand_and_model_info_gives_it(small_hub: ReplayHub) -> None:
    api = HfApi(endpoint=small_hub.url)
    with pytest.raises(HfHubHTTPError) as err:
        list(api.list_models(author="Org", expand=["childrenModelCount"]))
    assert err.value.response.status_code == 400
    assert err.value.response.json()["error"].startswith('"expand" must be one of [')
    assert api.model_info("Org/model-3", expand=["childrenModelCount"]).children_model_count == 6
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("Org/missing")


def test_search_filter_and_state_swap(small_hub: ReplayHub) -> None:
    api = HfApi(endpoint=small_hub.url)
    assert {m.id for m in api.list_models(filter="gguf", author="Org")} == {f"Org/model-{i}" for i in (1, 3, 5, 7, 9)}
    assert [m.id for m in api.list_models(search="SOLO")] == ["Other/solo"]
    small_hub.set_models(MODELS[:2])
    assert len(list(api.list_models(author="Org"))) == 2


@pytest.mark.parametrize("kind, expected", [
    ("error", "500"), ("malformed", "json"), ("drop", "disconnect"), ("hang", "timeout"),
])
def test_faults_on_page_two(small_hub: ReplayHub, kind: str, expected: str) -> None:
    small_hub.faults.append(Fault(kind, page=2))
    first = httpx2.get(f"{small_hub.url}/api/models", params={"author": "Org"})
    assert first.status_code == 200
    url = first.links["next"]["url"]
    if kind == "error":
        response = http_backoff("GET", url, max_retries=1, base_wait_time=0.01, retry_on_status_codes=())
        assert response.status_code == 500
    elif kind == "malformed":
        response = httpx2.get(url)
        with pytest.raises(ValueError):
            response.json()
    else:
        with pytest.raises(httpx2.HTTPError):
            httpx2.get(url, timeout=0.5)


def test_rate_limit_once_then_the_client_succeeds(small_hub: ReplayHub) -> None:
    small_hub.faults.append(Fault("rate_limit", page=1, times=1, retry_after=0))
    response = http_backoff("GET", f"{small_hub.url}/api/models", params={"author": "Org"}, max_retries=2,
                            base_wait_time=0.01)
    assert response.status_code == 200
    assert [r.status for r in small_hub.requests] == [429, 200]


def test_state_files_round_trip(tmp_path: Path) -> None:
    for name in ("state.json", "state.json.gz"):
        save_state(MODELS, tmp_path / name)
        assert load_state(tmp_path / name) == MODELS
