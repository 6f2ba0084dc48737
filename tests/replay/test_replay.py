"""The replay Hub against the unmodified huggingface_hub client, over real sockets (no mocks)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import http_backoff, parse_ratelimit_headers

from lineupwatch.replay.fixtures import bundled_state_path
from lineupwatch.replay.server import Fault, ReplayHub, load_state, save_state


def synthetic_models() -> list[dict]:
    """SYNTHETIC: ten repos of "Org" and one of "Other"; no such repos exist on the Hub.

    model-6 and model-7 share a createdAt and sit on either side of the first page boundary
    (page_size=3), so the `_id` tie-break of the keyset cursor is exercised.
    """
    models = []
    for i in range(10):
        day = 8 if i == 6 else i + 1
        models.append({
            "_id": f"{i:024x}", "id": f"Org/model-{i}", "author": "Org", "sha": f"{i:040x}",
            "createdAt": f"2026-01-{day:02d}T00:00:00.000Z", "lastModified": "2026-03-01T00:00:00.000Z",
            "downloads": 100 - i, "downloadsAllTime": 1000 - i, "likes": i, "private": False, "gated": False,
            "disabled": False, "tags": ["transformers", "text-generation"] + (["gguf"] if i % 2 else []),
            "library_name": "transformers", "pipeline_tag": "text-generation",
            "safetensors": {"parameters": {"BF16": i * 10**9}, "total": i * 10**9},
            **({"gguf": {"total": i * 10**9, "architecture": "llama"}} if i % 2 else {}),
            "cardData": {"license": "apache-2.0"}, "childrenModelCount": i * 2,
        })
    models.append({"_id": "f" * 24, "id": "Other/solo", "author": "Other", "createdAt": "2026-02-01T00:00:00.000Z",
                   "tags": ["gguf"], "library_name": "gguf", "pipeline_tag": "image-text-to-text", "likes": 50})
    return models


NEWEST_FIRST = [f"Org/model-{i}" for i in range(9, -1, -1)]


@pytest.fixture
def hub() -> Iterator[ReplayHub]:
    with ReplayHub(synthetic_models(), page_size=3) as server:
        yield server


def second_page_url(hub: ReplayHub) -> str:
    response = httpx2.get(f"{hub.url}/api/models", params={"author": "Org", "sort": "createdAt"})
    assert response.status_code == 200
    return response.links["next"]["url"]


def test_list_models_pages_through_every_model_once_newest_first(hub: ReplayHub) -> None:
    expand = ["createdAt", "safetensors", "tags", "gated"]
    models = list(HfApi(endpoint=hub.url).list_models(author="org", sort="createdAt", expand=expand))
    assert [m.id for m in models] == NEWEST_FIRST
    assert [r.page for r in hub.requests] == [1, 2, 3, 4]  # one request per page, none per repo
    assert all(r.params_dict()["expand"] == expand for r in hub.requests)  # the Link carried them on
    assert models[0].safetensors.total == 9 * 10**9
    assert models[0].children_model_count is None  # the listing never returns it


@pytest.mark.parametrize("name", ["expand", "expand[]"])
def test_items_carry_ids_and_exactly_the_expanded_properties(hub: ReplayHub, name: str) -> None:
    response = httpx2.get(f"{hub.url}/api/models", params=[("author", "Org"), ("sort", "createdAt"),
                                                           (name, "likes"), (name, "gguf"), (name, "sha")])
    assert response.status_code == 200
    # gguf only where the model has it (model-9 and model-7)
    assert [sorted(item) for item in response.json()] == [
        ["_id", "gguf", "id", "likes", "sha"], ["_id", "id", "likes", "sha"], ["_id", "gguf", "id", "likes", "sha"]]


def test_without_expand_the_listing_returns_the_default_fields(hub: ReplayHub) -> None:
    response = httpx2.get(f"{hub.url}/api/models", params={"author": "Org", "limit": 1})
    assert [sorted(item) for item in response.json()] == [
        ["_id", "createdAt", "downloads", "id", "library_name", "likes", "pipeline_tag", "private", "tags"]]


def test_listing_refuses_info_only_properties_that_model_info_gives(hub: ReplayHub) -> None:
    api = HfApi(endpoint=hub.url)
    with pytest.raises(HfHubHTTPError) as err:
        list(api.list_models(author="Org", expand=["childrenModelCount"]))
    assert err.value.response.status_code == 400
    message = err.value.response.json()["error"]
    assert message.startswith('"expand" must be one of [') and "createdAt" in message
    assert "childrenModelCount" not in message
    for value in ("baseModels", "usedStorage", "bogus"):
        assert httpx2.get(f"{hub.url}/api/models", params={"expand": value}).status_code == 400
    assert api.model_info("Org/model-3", expand=["childrenModelCount"]).children_model_count == 6
    full = api.model_info("Org/model-3", revision="main")
    assert (full.children_model_count, full.sha) == (6, f"{3:040x}")


def test_unknown_repo_raises_repository_not_found_and_unknown_paths_404(hub: ReplayHub) -> None:
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url).model_info("Org/missing")
    response = httpx2.get(f"{hub.url}/api/spaces")
    assert (response.status_code, response.json()) == (404, {"error": "Not Found"})


def test_link_is_absolute_carries_every_parameter_and_rate_limit_headers_parse(hub: ReplayHub) -> None:
    params = [("author", "Org"), ("sort", "createdAt"), ("direction", "-1"), ("search", "model"),
              ("filter", "text-generation"), ("expand", "likes"), ("expand", "sha")]
    response = httpx2.get(f"{hub.url}/api/models", params=params)
    link = urlsplit(response.links["next"]["url"])
    assert (f"{link.scheme}://{link.netloc}", link.path) == (hub.url, "/api/models")
    query = parse_qsl(link.query)
    assert query[:-1] == params and query[-1][0] == "cursor"
    info = parse_ratelimit_headers(response.headers)
    assert info is not None and (info.resource_type, info.remaining, info.limit, info.window_seconds) == ("api", 499, 500, 300)
    assert 0 < info.reset_in_seconds <= 300
    port = hub.url.rsplit(":", 1)[1]
    other_host = httpx2.get(f"{hub.url}/api/models", params=params, headers={"Host": f"localhost:{port}"})
    assert other_host.links["next"]["url"].startswith(f"http://localhost:{port}/api/models?")


def test_bad_cursors_get_400(hub: ReplayHub) -> None:
    assert httpx2.get(f"{hub.url}/api/models", params={"cursor": "not-a-cursor"}).status_code == 400
    by_downloads = httpx2.get(f"{hub.url}/api/models", params={"sort": "downloads"}).links["next"]["url"]
    cursor = dict(parse_qsl(urlsplit(by_downloads).query))["cursor"]
    response = httpx2.get(f"{hub.url}/api/models", params={"sort": "createdAt", "cursor": cursor})
    assert response.status_code == 400


def test_search_and_filter(hub: ReplayHub) -> None:
    api = HfApi(endpoint=hub.url)
    odd = {f"Org/model-{i}" for i in (1, 3, 5, 7, 9)}
    assert {m.id for m in api.list_models(filter="gguf")} == odd | {"Other/solo"}
    assert {m.id for m in api.list_models(filter=["gguf", "transformers"])} == odd
    assert [m.id for m in api.list_models(filter="image-text-to-text")] == ["Other/solo"]  # its pipeline_tag
    assert [m.id for m in api.list_models(search="SOLO")] == ["Other/solo"]
    assert [m.id for m in api.list_models(author="Org", search="model-1")] == ["Org/model-1"]
    assert [m.id for m in api.list_models(sort="downloads", limit=2)] == ["Org/model-0", "Org/model-1"]


def test_set_models_changes_what_is_served(hub: ReplayHub) -> None:
    api = HfApi(endpoint=hub.url)
    assert len(list(api.list_models(author="Org"))) == 10
    hub.set_models(synthetic_models()[:2])
    assert [m.id for m in api.list_models(author="Org", sort="createdAt")] == ["Org/model-1", "Org/model-0"]
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("Org/model-5")


def test_rate_limit_once_on_page_two_the_client_waits_and_succeeds(hub: ReplayHub) -> None:
    fault = Fault("rate_limit", page=2, times=1, retry_after=0)
    hub.faults.append(fault)
    models = list(HfApi(endpoint=hub.url).list_models(author="Org", sort="createdAt"))
    assert [m.id for m in models] == NEWEST_FIRST
    assert [(r.page, r.status) for r in hub.requests] == [(1, 200), (2, 429), (2, 200), (3, 200), (4, 200)]
    assert fault.fired == 1


def test_error_on_page_two_raises_after_the_retries(hub: ReplayHub) -> None:
    hub.faults.append(Fault("error", page=2))
    with pytest.raises(HfHubHTTPError) as err:
        http_backoff("GET", second_page_url(hub), max_retries=1, base_wait_time=0.01)
    assert err.value.response.status_code == 500
    assert [(r.page, r.status) for r in hub.requests] == [(1, 200), (2, 500), (2, 500)]


def test_malformed_page_two_raises_after_page_one_was_yielded(hub: ReplayHub) -> None:
    hub.faults.append(Fault("malformed", page=2))
    seen = []
    with pytest.raises(ValueError):  # json.JSONDecodeError, not an HfHubHTTPError
        for model in HfApi(endpoint=hub.url).list_models(author="Org", sort="createdAt"):
            seen.append(model.id)
    assert seen == NEWEST_FIRST[:3]


def test_dropped_connection_on_page_two(hub: ReplayHub) -> None:
    hub.faults.append(Fault("drop", page=2))
    with pytest.raises(httpx2.RemoteProtocolError):
        http_backoff("GET", second_page_url(hub), max_retries=1, base_wait_time=0.01)
    assert [(r.page, r.status) for r in hub.requests] == [(1, 200), (2, None), (2, None)]


def test_hang_on_page_two_times_out(hub: ReplayHub) -> None:
    hub.faults.append(Fault("hang", page=2))
    started = time.monotonic()
    with pytest.raises(httpx2.ReadTimeout):
        http_backoff("GET", second_page_url(hub), max_retries=0, timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_faults_match_author_and_model_info_page_zero(hub: ReplayHub) -> None:
    api = HfApi(endpoint=hub.url)
    hub.faults[:] = [Fault("error", page=1, author="Other"), Fault("error", page=0, times=1, author="org")]
    assert len(list(api.list_models(author="Org"))) == 10
    with pytest.raises(HfHubHTTPError) as err:
        api.model_info("Org/model-1")
    assert err.value.response.status_code == 500
    assert api.model_info("Org/model-1").id == "Org/model-1"  # times=1: fired once


def test_stop_returns_at_once_while_a_request_hangs() -> None:
    hub = ReplayHub(synthetic_models(), faults=[Fault("hang")]).start()
    errors: list[Exception] = []

    def call() -> None:
        try:
            httpx2.get(f"{hub.url}/api/models", timeout=5)
        except httpx2.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    while not hub.requests:
        time.sleep(0.01)
    started = time.monotonic()
    hub.stop()
    assert time.monotonic() - started < 0.5
    caller.join(2)
    assert not caller.is_alive() and isinstance(errors[0], httpx2.RemoteProtocolError)


def test_latency_applies_to_every_request(hub: ReplayHub) -> None:
    hub.latency_s = 0.2
    started = time.monotonic()
    assert httpx2.get(f"{hub.url}/api/models/Org/model-1").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("slow")


@pytest.mark.parametrize("name", ["state.json", "state.json.gz"])
def test_state_files_round_trip(tmp_path: Path, name: str) -> None:
    models = synthetic_models()
    save_state(models, tmp_path / name)
    assert load_state(tmp_path / name) == models
    assert (tmp_path / name).read_bytes().startswith(b"\x1f\x8b") == name.endswith(".gz")
    first = (tmp_path / name).read_bytes()
    save_state(models, tmp_path / name)
    assert (tmp_path / name).read_bytes() == first  # same state, same bytes


def test_replay_hub_command_serves_the_stock_client_configured_by_hf_endpoint(tmp_path: Path) -> None:
    """`lineupwatch replay-hub` as a user starts it, and huggingface_hub pointed at it only by
    HF_ENDPOINT (read when the client is imported, hence a fresh process)."""
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    server = subprocess.Popen([sys.executable, "-m", "lineupwatch", "replay-hub", "--port", str(port), "--page-size", "200"],
                              env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().startswith(f"replay Hub serving 668 repos at http://127.0.0.1:{port}")
        client = ("from huggingface_hub import HfApi\n"
                  "models = list(HfApi().list_models(author='Qwen', sort='createdAt', expand=['createdAt', 'safetensors']))\n"
                  "print(len(models), models[-1].id, models[-1].safetensors.total)")
        out = subprocess.run([sys.executable, "-c", client], env={**env, "HF_ENDPOINT": f"http://127.0.0.1:{port}"},
                             capture_output=True, text=True, timeout=60, check=True).stdout.split()
    finally:
        server.terminate()
        server.wait(timeout=10)
    oldest = min((m for m in load_state(bundled_state_path()) if m["author"] == "Qwen"), key=lambda m: m["createdAt"])
    assert out == ["469", oldest["id"], str(oldest["safetensors"]["total"])]  # every Qwen repo, newest first


def test_replay_hub_day_serves_the_hub_of_that_day_with_real_created_at() -> None:
    """`replay-hub --day D`: only repos public by the end of D, each with the Hub's createdAt
    (often earlier than D), and counters grown to D (made up, smaller than on 2026-11-22)."""
    from click.testing import CliRunner

    from lineupwatch.cli import cli
    from lineupwatch.replay.timeline import HubTimeline

    refused = CliRunner().invoke(cli, ["replay-hub", "--day", "2026-04-01", "--data", str(bundled_state_path())])
    assert refused.exit_code == 2 and "cannot be combined with --data" in refused.output
    moment = datetime(2026, 4, 1, 23, 59, 59, tzinfo=timezone.utc)
    with ReplayHub(HubTimeline.bundled().state_at(moment)) as hub:
        api = HfApi(endpoint=hub.url)
        google = {m.id: m for m in api.list_models(author="google", sort="createdAt", expand=["createdAt", "downloads"])}
        qwen = {m.id: m for m in api.list_models(author="Qwen", sort="createdAt", expand=["createdAt", "downloads"])}
    assert "google/gemma-4-E2B-it" not in google  # created 2026-03-02, public 2026-04-02
    assert "google/gemma-3-4b-it" in google
    assert qwen["Qwen/Qwen3.5-9B"].created_at.date().isoformat() == "2026-02-27"  # public 2026-03-02
    assert "Qwen/Qwen3.6-27B" not in qwen
    final = {m["id"]: m for m in load_state(bundled_state_path())}
    assert 0 < qwen["Qwen/Qwen3.5-9B"].downloads != final["Qwen/Qwen3.5-9B"]["downloads"]
