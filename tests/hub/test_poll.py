"""Polling the replay Hub through the CLI into a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from conftest import bundled_models, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.normalize.records import normalize_repos
from lineupwatch.ops.poll import watched_orgs
from lineupwatch.replay.server import Fault, ReplayHub


def open_test_db(config_path: Path) -> sqlite_utils.Database:
    return store.open_db(load_config(config_path).database_path)


def listing_requests(hub: ReplayHub) -> list:
    return [r for r in hub.requests if r.path == "/api/models"]


def test_first_poll_stores_every_watched_repo_with_one_request_per_page(hub: ReplayHub, config_path: Path) -> None:
    result = run_cli("poll", "--config", str(config_path))
    assert "poll 1:" in result.output
    config = load_config(config_path)
    expected = {r.repo_id for r in normalize_repos(bundled_models(), config)}
    db = open_test_db(config_path)
    poll = db["polls"].get(1)
    assert poll["status"] == "ok" and poll["repo_count"] == len(expected) and poll["endpoint"] == hub.url
    assert {row["repo_id"] for row in db["repos"].rows} == expected
    # one request per page, no per-repo request in the listing
    pages = sum(row["pages"] for row in db["raw_listings"].rows)
    assert poll["listing_requests"] == pages == len(listing_requests(hub))
    assert {r.params_dict()["author"][0] for r in listing_requests(hub)} == set(watched_orgs(config))
    info = [r for r in hub.requests if r.path.startswith("/api/models/")]
    assert len(info) == poll["info_requests"] <= config.hub.children_budget
    assert db.execute("SELECT count(*) FROM events WHERE kind = 'added'").fetchone()[0] == len(expected)
    qwen9 = db["repos"].get("Qwen/Qwen3.5-9B")
    assert (qwen9["entry_key"], qwen9["size_class"], qwen9["params_total_source"]) == ("Qwen3.5 · LM · 9B", "small", "safetensors")


def test_second_poll_records_exactly_the_changes(hub: ReplayHub, config_path: Path) -> None:
    run_cli("poll", "--config", str(config_path))
    models = bundled_models()
    by_id = {m["id"]: m for m in models}
    removed = by_id.pop("Qwen/Qwen2-0.5B-Instruct")
    licence = by_id["Qwen/Qwen3-8B"]
    licence["tags"] = [t for t in licence["tags"] if not t.startswith("license:")] + ["license:other"]
    licence["cardData"] = {**licence.get("cardData", {}), "license": "other", "license_name": "qwen-restricted"}
    by_id["Qwen/Qwen3.6-27B"]["gated"] = "manual"
    # synthetic: a repo that does not exist on the real Hub
    added = {**by_id["Qwen/Qwen3.6-27B"], "_id": "f" * 24, "id": "Qwen/Qwen3.9-70B", "createdAt": "2026-11-23T08:00:00.000Z"}
    hub.set_models([*by_id.values(), added])

    run_cli("poll", "--config", str(config_path))
    db = open_test_db(config_path)
    events = {(e["repo_id"], e["kind"], e["old"], e["new"]) for e in db["events"].rows_where("poll_id = 2")}
    assert events == {
        ("Qwen/Qwen3.9-70B", "added", None, None),
        (removed["id"], "removed", None, None),
        ("Qwen/Qwen3-8B", "licence_changed", "apache-2.0", "qwen-restricted"),
        ("Qwen/Qwen3.6-27B", "gating_changed", "false", "manual"),
    }
    assert db["repos"].get(removed["id"])["removed_poll"] == 2

    hub.set_models(bundled_models())  # the removed repo comes back
    run_cli("poll", "--config", str(config_path))
    kinds = {(e["repo_id"], e["kind"]) for e in db["events"].rows_where("poll_id = 3")}
    assert (removed["id"], "restored") in kinds and ("Qwen/Qwen3.9-70B", "removed") in kinds


def test_unchanged_poll_costs_almost_nothing(hub: ReplayHub, tmp_path: Path) -> None:
    config_path = write_config(tmp_path, hub.url, children_budget=1000)  # every child count in the first poll
    run_cli("poll", "--config", str(config_path))
    db = open_test_db(config_path)
    blobs, observations = db["raw_docs"].count, db["observations"].count
    run_cli("poll", "--config", str(config_path))
    assert db["raw_docs"].count == blobs
    assert db["observations"].count == observations  # child counts are not re-fetched within a week
    assert db["events"].count_where("poll_id = 2") == 0
    assert db["polls"].get(2)["info_requests"] == 0


def test_page_two_failing_mid_poll_stores_the_other_orgs_and_removes_nothing(hub: ReplayHub, config_path: Path) -> None:
    run_cli("poll", "--config", str(config_path))
    db = open_test_db(config_path)
    qwen_before = [r for r in store.dump_table(db, "repos") if r["org"] == "Qwen"]
    hub.faults.append(Fault("error", page=2, author="Qwen"))

    result = run_cli("poll", "--config", str(config_path), ok=False)
    assert result.exit_code == 1
    assert "status=partial" in result.output and "partial: 1 org(s) failed and were not stored" in result.output
    assert f"poll of org 'Qwen' at {hub.url} failed: page 2: HTTP 500" in result.output
    assert "it is retried at the next poll" in result.output
    assert [(p["id"], p["status"]) for p in db["polls"].rows] == [(1, "ok"), (2, "partial")]
    assert "page 2" in db["polls"].get(2)["error"]
    outcomes = {o["org"]: (o["status"], o["repo_count"]) for o in db["poll_orgs"].rows_where("poll_id = 2")}
    assert outcomes.pop("Qwen")[0] == "failed" and {s for s, _ in outcomes.values()} == {"ok"}
    # the failed org: nothing archived, nothing removed, its repos exactly as the first poll left them
    assert db["raw_listings"].count_where("poll_id = 2 AND org = 'Qwen'") == 0
    assert [r for r in store.dump_table(db, "repos") if r["org"] == "Qwen"] == qwen_before
    assert db["events"].count_where("poll_id = 2") == 0
    # the healthy orgs: archived and seen by poll 2
    assert db["raw_listings"].count_where("poll_id = 2") == len(outcomes)
    assert db["repos"].get("google/gemma-3-4b-it")["last_seen_poll"] == 2
    assert store.ok_poll_ids(db) == [1, 2]


def test_hub_that_never_answers_fails_within_the_deadline(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url, request_timeout_s=0.5, poll_deadline_s=3.0)
    hub.faults.append(Fault("hang", page=1))
    started = time.monotonic()
    result = run_cli("poll", "--config", str(config_path), ok=False)
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert f"poll of org 'Qwen' at {hub.url} failed: page 1: timed out" in result.output
    assert elapsed < 3.0 + 1.0
    reasons = [o["reason"] for o in open_test_db(config_path)["poll_orgs"].rows_where("poll_id = 1", order_by="rowid")]
    assert len(reasons) == len(watched_orgs(load_config(config_path)))  # every org failed, each with its reason
    assert reasons[0].startswith("page 1: timed out") and "the poll deadline passed" in reasons[-1]


def test_rate_limit_is_waited_out_and_malformed_page_is_a_clear_error(hub: ReplayHub, config_path: Path) -> None:
    hub.faults.append(Fault("rate_limit", page=2, times=1, author="Qwen", retry_after=1))
    run_cli("poll", "--config", str(config_path))
    assert any(r.status == 429 for r in hub.requests)

    hub.faults[:] = [Fault("malformed", page=1, author="google")]
    result = run_cli("poll", "--config", str(config_path), ok=False)
    assert result.exit_code == 1
    assert f"poll of org 'google' at {hub.url} failed: page 1 is not JSON" in result.output


def test_rate_limit_longer_than_the_deadline_fails_at_once(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url, poll_deadline_s=5.0)
    hub.faults.append(Fault("rate_limit", page=1, retry_after=300))
    result = run_cli("poll", "--config", str(config_path), ok=False)
    assert "rate limited (HTTP 429) for 301 s" in result.output


def test_unknown_org_and_unreachable_hub_name_the_org_and_endpoint(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url, extra='watch = ["Ghost"]\n[families.Ghost]\norgs = ["no-such-org"]')
    result = run_cli("poll", "--config", str(config_path), ok=False)
    assert f"poll of org 'no-such-org' at {hub.url} failed: the Hub lists no repos for this org" in result.output

    dead = write_config(tmp_path, "http://127.0.0.1:9", max_retries=0)
    result = run_cli("poll", "--config", str(dead), ok=False)
    assert result.exit_code == 1
    assert "poll of org 'Qwen' at http://127.0.0.1:9 failed: page 1: cannot connect" in result.output


def test_second_concurrent_run_leaves_the_database_alone(tmp_path: Path) -> None:
    with ReplayHub(bundled_models(), page_size=100, latency_s=0.3) as slow_hub:
        config_path = write_config(tmp_path, slow_hub.url, children_budget=0)
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
        first = subprocess.Popen([sys.executable, "-m", "lineupwatch", "poll", "--config", str(config_path)],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        while not slow_hub.requests:  # the first run holds the lock once it is talking to the Hub
            time.sleep(0.05)
        second = run_cli("poll", "--config", str(config_path), ok=False)
        output, _ = first.communicate(timeout=60)
    assert first.returncode == 0, output
    assert second.exit_code == 1
    assert "another lineupwatch run holds the lock" in second.output
    db = open_test_db(config_path)
    assert [p["status"] for p in db["polls"].rows] == ["ok"]  # the second run wrote no failed-poll row


def test_rebuild_reproduces_the_derived_tables(hub: ReplayHub, config_path: Path) -> None:
    run_cli("poll", "--config", str(config_path))
    models = [m for m in bundled_models() if m["id"] != "Qwen/Qwen2.5-7B-Instruct"]
    for m in models:
        m["downloads"] = m.get("downloads", 0) + 1
    hub.set_models(models)
    run_cli("poll", "--config", str(config_path))
    db = open_test_db(config_path)
    before = {t: list(store.dump_table(db, t)) for t in store.DERIVED_TABLES}
    assert db["observations"].count > db["repos"].count  # the second poll changed every counter

    result = run_cli("rebuild", "--config", str(config_path))
    assert "rebuilt from 2 polls" in result.output
    assert {t: list(store.dump_table(db, t)) for t in store.DERIVED_TABLES} == before


def test_archive_keeps_the_hub_json_verbatim(hub: ReplayHub, config_path: Path) -> None:
    run_cli("poll", "--config", str(config_path))
    db = open_test_db(config_path)
    archived = store.load_listings(db, 1)["Qwen"]
    served = {m["id"]: m for m in bundled_models()}
    sample = next(m for m in archived if m["id"] == "Qwen/Qwen3.5-9B")
    assert sample["createdAt"] == served["Qwen/Qwen3.5-9B"]["createdAt"]
    assert "childrenModelCount" not in sample  # the listing never returns it
    children = store.load_children(db, 1)
    assert children and all(served[r]["childrenModelCount"] == n for r, n in children.items())


def test_status_shows_polls_and_next_runs(hub: ReplayHub, config_path: Path) -> None:
    run_cli("poll", "--config", str(config_path))
    output = run_cli("status", "--config", str(config_path)).output
    assert "last successful poll: " in output and "never" not in output
    assert "next scheduled runs (17 6 * * *, UTC):" in output
    assert json.loads(open_test_db(config_path)["polls"].get(1)["orgs"])[0] == "Qwen"


def test_database_of_an_older_schema_upgrades_itself_and_keeps_its_polls(hub: ReplayHub, tmp_path: Path) -> None:
    """A version-1 database (before the alert tables) as an older lineupwatch left it."""
    config_path = write_config(tmp_path, hub.url)
    path = load_config(config_path).database_path
    path.parent.mkdir(parents=True)
    old = sqlite_utils.Database(path)
    store.MIGRATIONS.apply(old, stop_before="m002_alert_log")
    assert "alert_state" not in old.table_names()
    old["polls"].insert({"started_at": "2026-11-01T06:17:00+00:00", "status": "failed", "endpoint": hub.url,
                         "error": "an old failure"})
    old.close()

    run_cli("poll", "--config", str(config_path))
    db = open_test_db(config_path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == store.schema_version(db) == len(store.MIGRATIONS.pending(sqlite_utils.Database(memory=True)))
    assert {"alert_state", "notifications"} <= set(db.table_names())
    assert [(p["id"], p["status"], p["error"]) for p in db["polls"].rows] == [
        (1, "failed", "an old failure"), (2, "ok", None)]
    assert db["repos"].count > 600


def test_a_file_that_is_not_a_database_is_a_clear_error_and_stays_as_it_was(hub: ReplayHub, config_path: Path) -> None:
    path = load_config(config_path).database_path
    path.parent.mkdir(parents=True)
    path.write_bytes(b"these are not the bytes of an SQLite database" * 100)
    before = path.read_bytes()
    for command in ("poll", "run"):
        result = run_cli(command, "--config", str(config_path), ok=False)
        assert result.exit_code == 1
        assert f"database {path}: file is not a database. Nothing of this run was stored" in result.output
    assert path.read_bytes() == before


def test_a_wrong_token_and_a_refused_org_name_the_cause(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """401 for a token the Hub does not know, 403 for an org it refuses: clear, and no token printed."""
    with ReplayHub(bundled_models(), page_size=100, token="hf_synthetic_right") as hub:
        config_path = write_config(tmp_path, hub.url, children_budget=0)
        monkeypatch.setenv("HF_TOKEN", "hf_synthetic_wrong")
        result = run_cli("poll", "--config", str(config_path), ok=False)
        assert "poll of org 'Qwen' at " + hub.url + " failed: page 1: HTTP 401: authentication failed: " \
               "check the token (hub.token_env)" in result.output
        assert "hf_synthetic_wrong" not in result.output

        monkeypatch.setenv("HF_TOKEN", "hf_synthetic_right")
        hub.faults.append(Fault("forbidden", page=1, author="google"))
        result = run_cli("poll", "--config", str(config_path), ok=False)
        assert f"poll of org 'google' at {hub.url} failed: page 1: HTTP 403: access refused" in result.output

        hub.faults.clear()
        run_cli("poll", "--config", str(config_path))  # the right token
    db = open_test_db(config_path)
    assert [p["status"] for p in db["polls"].rows] == ["failed", "partial", "ok"]
