"""Issue 10 through the CLI: one failing org never stops the others, odd payloads never crash a
poll or a report, and only the Hub's own tasks decide a line."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import bundled_models, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.replay.server import ReplayHub


def _db(config_path: Path):
    return store.open_db(load_config(config_path).database_path)


def _report(config_path: Path) -> dict:
    """Write this week's report through the CLI and read its JSON back."""
    result = run_cli("report", "--config", str(config_path))
    json_path = Path(result.output.split("latest: ")[1].split()[0]).with_suffix(".json")
    return json.loads(json_path.read_text())


def _without_org(models: list[dict], org: str) -> list[dict]:
    return [m for m in models if not m["id"].startswith(f"{org}/")]


def test_an_org_under_its_old_name_fails_alone_and_names_the_fix(tmp_path: Path) -> None:
    """GLM watched under THUDM, its name before it became zai-org: the Hub lists nothing there."""
    with ReplayHub(bundled_models(), page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url, extra='[families.GLM]\norgs = ["THUDM"]', children_budget=0)
        result = run_cli("poll", "--config", str(config_path), ok=False)
    assert result.exit_code == 1
    assert "WARNING step=poll status=partial duration_s=" in result.output
    assert "poll 1: " in result.output and "; partial: 1 org(s) failed and were not stored" in result.output
    assert (f"poll of org 'THUDM' at {hub.url} failed: the Hub lists no repos for this org (never listed any here): "
            f"check {hub.url}/THUDM (org renamed? set families.GLM.orgs in {config_path})") in result.output
    db = _db(config_path)
    assert db["polls"].get(1)["status"] == "partial"
    stored_orgs = {row["org"] for row in db["repos"].rows}
    assert "Qwen" in stored_orgs and "google" in stored_orgs and "zai-org" not in stored_orgs
    assert {(o["org"], o["status"]) for o in db["poll_orgs"].rows if o["status"] != "ok"} == {("THUDM", "failed")}
    report = _report(config_path)  # a partial poll is a poll that stored data: it reports
    assert [s["org"] for s in report["data_health"]["stale_orgs"]] == ["THUDM"]
    status = run_cli("status", "--config", str(config_path)).output
    assert "org failed in the latest poll: THUDM: the Hub lists no repos for this org" in status
    assert " partial " in status
    before = {t: list(store.dump_table(db, t)) for t in store.DERIVED_TABLES}
    assert "rebuilt from 1 polls" in run_cli("rebuild", "--config", str(config_path)).output
    assert {t: list(store.dump_table(db, t)) for t in store.DERIVED_TABLES} == before

    with ReplayHub(bundled_models(), page_size=200) as hub:  # `run`: stores, reports, alerts, then exits 1
        config_path = write_config(tmp_path, hub.url, extra='[families.GLM]\norgs = ["THUDM"]', children_budget=0)
        result = run_cli("run", "--config", str(config_path), "--as-of", report["as_of"], ok=False)
    assert result.exit_code == 1
    assert "poll 2:" in result.output and "report: " in result.output and "alerts: " in result.output
    assert "WARNING step=poll status=partial" in result.output and "; partial: 1 org(s) failed" in result.output
    assert result.output.count("poll of org 'THUDM'") == 1  # said once, on its ERROR line


def test_an_org_that_stops_listing_is_stale_alerts_once_and_recovers_once(tmp_path: Path) -> None:
    models = bundled_models()
    with ReplayHub(models, page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url, children_budget=0)
        run_cli("poll", "--config", str(config_path))
        first = run_cli("alerts", "--config", str(config_path)).output
        assert "first run" in first
        db = _db(config_path)
        zai = db["poll_orgs"].get((1, "zai-org"))["repo_count"]
        glm_repos = {r["repo_id"] for r in db["repos"].rows_where("org = 'zai-org'")}
        assert zai == len(glm_repos) > 0

        hub.set_models(_without_org(models, "zai-org"))  # the org renamed itself away
        outputs = []
        for _ in range(3):
            result = run_cli("poll", "--config", str(config_path), ok=False)
            assert (f"poll of org 'zai-org' at {hub.url} failed: the Hub lists no repos for this org though it "
                    f"listed {zai} at the poll of ") in result.output
            outputs.append(run_cli("alerts", "--config", str(config_path)).output)
        subject = "lineupwatch: org zai-org failed 2 polls in a row"
        assert [subject in out for out in outputs] == [False, True, False]  # at the 2nd failure, once
        # no repo of the failed org is marked removed, and none changed
        assert db["events"].count_where("kind = 'removed'") == 0
        assert {r["repo_id"] for r in db["repos"].rows_where("org = 'zai-org' AND removed_poll IS NULL")} == glm_repos

        report = _report(config_path)
        stale = report["data_health"]["stale_orgs"]
        assert [(s["org"], s["failed_polls"]) for s in stale] == [("zai-org", 3)]
        assert stale[0]["last_complete_listing"] == db["polls"].get(1)["started_at"]
        assert any(note.startswith("org zai-org is stale: its listing failed in the last 3 poll(s)")
                   for note in report["data_health"]["notes"])
        glm = [f for f in report["forecasts"] if f["family"] == "GLM"]
        assert glm and all(any(e.startswith("rests on stale data: org zai-org") for e in f["evidence"]) for f in glm)
        others = [f for f in report["forecasts"] if f["family"] != "GLM"]
        assert not any("stale" in e for f in others for e in f["evidence"])

        hub.set_models(models)  # back
        run_cli("poll", "--config", str(config_path))
        recovered = run_cli("alerts", "--config", str(config_path)).output
        assert f"resolved: {subject}" in recovered
        assert f"resolved: {subject}" not in run_cli("alerts", "--config", str(config_path)).output
        assert _report(config_path)["data_health"]["stale_orgs"] == []


def test_a_hub_outage_fails_the_poll_not_every_org_alert(tmp_path: Path) -> None:
    """Wholly failed polls are monitor_health's: they do not make every org 'failing'."""
    with ReplayHub(bundled_models(), page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url, children_budget=0)
        run_cli("poll", "--config", str(config_path))
        run_cli("alerts", "--config", str(config_path))
    dead = write_config(tmp_path, "http://127.0.0.1:9", max_retries=0, children_budget=0)
    for _ in range(2):
        result = run_cli("poll", "--config", str(dead), ok=False)
        assert "poll of org 'Qwen' at http://127.0.0.1:9 failed: page 1: cannot connect" in result.output
        assert "; 13 more org(s) not polled for it" in result.output  # one line for the outage, not one per org
        assert "poll of org 'google'" not in result.output
    db = _db(config_path)
    assert [p["status"] for p in db["polls"].rows] == ["ok", "failed", "failed"]
    assert db["poll_orgs"].count_where("poll_id = 2 AND status = 'failed'") == len(load_config(config_path).watch)
    output = run_cli("alerts", "--config", str(config_path)).output
    assert "org_failing" not in output and "failed 2 polls in a row" not in output


def _synthetic(base: dict, repo_id: str, **fields: object) -> dict:
    """A synthetic repo (not on the real Hub) built from a real fixture object."""
    model = {**base, "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24], "id": repo_id, **fields}
    return {k: v for k, v in model.items() if v is not None}


def test_odd_payloads_are_stored_as_they_come_and_the_report_never_crashes(tmp_path: Path) -> None:
    models = bundled_models()
    by_id = {m["id"]: m for m in models}
    base = by_id["Qwen/Qwen3.6-27B"]
    odd = [
        # synthetic: no createdAt, the card's base_model a list, gated "manual", modelId beside id
        _synthetic(base, "Qwen/Qwen3.9-9B", createdAt=None, modelId="Qwen/Qwen3.9-9B", gated="manual",
                   cardData={"base_model": ["Qwen/Qwen3.6-27B"], "license": "apache-2.0"},
                   safetensors={"total": 9_100_000_000}),
        # synthetic: a GGUF copy whose name does not say so and that has no library_name, no pipeline tag
        _synthetic(base, "Qwen/Qwen3.9-9B-Q", createdAt=None, library_name=None,
                   pipeline_tag=None, tags=["gguf", "text-generation", "base_model:quantized:Qwen/Qwen3.9-9B"], safetensors=None,
                   gguf={"total": 9_100_000_000}),
        # synthetic: tags not a list, safetensors not a dict, gated "auto", no _id
        {**{k: v for k, v in _synthetic(base, "Qwen/Qwen3.9-2B").items() if k != "_id"},
         "tags": "text-generation", "safetensors": "n/a", "gated": "auto", "createdAt": "2026-11-30T09:00:00.000Z"},
        # synthetic: a createdAt that is no date (the report used to die on it with a raw ValueError)
        _synthetic(base, "Qwen/Qwen3.9-0.8B", createdAt="2026-13-45T99:00:00Z"),
    ]
    with ReplayHub([*models, *odd], page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url, children_budget=0)
        run_cli("poll", "--config", str(config_path))
    db = _db(config_path)
    undated = db["repos"].get("Qwen/Qwen3.9-9B")
    assert (undated["created_at"], undated["gated"], undated["size_class"], undated["line_source"]) == (
        None, "manual", "small", "pipeline")
    copy = db["repos"].get("Qwen/Qwen3.9-9B-Q")
    assert (copy["quantized"], copy["entry_key"], copy["params_total_source"], copy["line_source"]) == (
        1, "Qwen3.9 · LM · 9B", "base", "tags")
    weird = db["repos"].get("Qwen/Qwen3.9-2B")
    assert (weird["gated"], weird["params_total_source"], weird["params_total_b"]) == ("auto", "name", 2.0)

    report = _report(config_path)
    assert db["repos"].get("Qwen/Qwen3.9-0.8B")["created_at"] is None
    assert report["data_health"]["undated_repos"] == ["Qwen/Qwen3.9-0.8B", "Qwen/Qwen3.9-9B", "Qwen/Qwen3.9-9B-Q"]
    assert any("dated by the poll that first saw them: Qwen/Qwen3.9-0.8B, Qwen/Qwen3.9-9B, Qwen/Qwen3.9-9B-Q" in n for n in report["data_health"]["notes"])
    entry = next(e for e in report["entries_since_baseline"] if e["entry"] == "Qwen3.9 · LM · 9B")
    poll_day = db["polls"].get(1)["started_at"][:10]
    assert entry["released"] == poll_day and entry["repos"] == ["Qwen/Qwen3.9-9B", "Qwen/Qwen3.9-9B-Q"]


def test_tasks_outside_the_lm_line_never_count_as_language_models(tmp_path: Path) -> None:
    """MiniMax-H3 (image-text-to-video) and MiniMax-Music3 (text-to-audio) carry sizes; a made-up
    task is unknown. None of them is an LM entry, so MiniMax's forecasts do not move."""
    models = bundled_models()
    base = next(m for m in models if m["id"] == "MiniMaxAI/MiniMax-M2.7")
    today = datetime.now(timezone.utc).date().isoformat()
    extra = [  # synthetic sizes and dates: the names are real, these repos' figures are made up
        _synthetic(base, "MiniMaxAI/MiniMax-H3", pipeline_tag="image-text-to-video", createdAt=f"{today}T01:00:00.000Z",
                   safetensors={"total": 8_000_000_000}),
        _synthetic(base, "MiniMaxAI/MiniMax-Music3", pipeline_tag="text-to-audio", createdAt=f"{today}T02:00:00.000Z",
                   safetensors={"total": 4_000_000_000}),
        _synthetic(base, "MiniMaxAI/MiniMax-Holo1", pipeline_tag="text-to-hologram", createdAt=f"{today}T03:00:00.000Z",
                   safetensors={"total": 3_000_000_000}),
    ]
    reports = {}
    for name, served in (("without", models), ("with", [*models, *extra])):
        with ReplayHub(served, page_size=200) as hub:
            config_path = write_config(tmp_path / name, hub.url, children_budget=0)
            run_cli("poll", "--config", str(config_path))
            reports[name] = _report(config_path)
    db = _db(config_path)
    lines = {r["repo_id"]: (r["line"], r["line_source"]) for r in db["repos"].rows_where("org = 'MiniMaxAI'")}
    assert lines["MiniMaxAI/MiniMax-H3"] == ("video", "pipeline")
    assert lines["MiniMaxAI/MiniMax-Music3"] == ("audio", "pipeline")
    assert lines["MiniMaxAI/MiniMax-Holo1"] == ("other", "pipeline")
    added = {e["entry"]: e for e in reports["with"]["entries_since_baseline"] if e["family"] == "MiniMax"
             and e["released"] == today}
    assert {(e["line"], e["counted"]) for e in added.values()} == {("Video", False), ("Audio", False), ("Other", False)}

    def minimax(report: dict, forecast_id: str) -> dict:
        return next(f for f in report["forecasts"] if f["family"] == "MiniMax" and f["id"] == forecast_id)
    small = [minimax(reports[name], "small-models") for name in ("with", "without")]
    assert small[0]["verdict"] == small[1]["verdict"] and small[0]["summary"] == small[1]["summary"]
    # Open weights count releases of every line (issue 20): the new video model is named as an open
    # release of a line the forecasts do not count, and the verdict stands.
    weights = [minimax(reports[name], "open-weights") for name in ("with", "without")]
    assert weights[0]["verdict"] == weights[1]["verdict"]
    assert "MiniMax-H3 released open (" in weights[0]["summary"] and "Video line" in weights[0]["summary"]


# --- normalize: packed originals and format copies (pure; synthetic payloads, made-up figures) ------------

def _records(models: list[dict]) -> dict:
    from lineupwatch.normalize.records import normalize_repos

    return {r.repo_id: r for r in normalize_repos(models, load_config(Path(__file__).parents[2] / "config" / "lineupwatch.toml"))}


@pytest.mark.parametrize(("tags", "parameters", "total", "expected"), [
    pytest.param(["compressed-tensors"], {"I32": 110e9, "BF16": 30e9}, 140e9, (1000.0, "name-packed"), id="compressed-tensors"),
    pytest.param([], {"I32": 110e9, "BF16": 30e9}, 140e9, (1000.0, "name-packed"), id="integer-dtypes"),
    pytest.param(["fp8"], {"F8_E4M3": 990e9, "BF16": 10e9}, 1000e9, (1000.0, "safetensors"), id="fp8-full-count"),
    pytest.param([], {"BF16": 140e9}, 140e9, (140.0, "safetensors"), id="unpacked-trusts-the-hub"),
])
def test_an_original_shipped_packed_takes_its_size_from_the_name(tags, parameters, total, expected) -> None:
    model = {"id": "moonshotai/Kimi-K9-1T-A32B", "createdAt": "2026-11-01T00:00:00.000Z", "pipeline_tag": "text-generation",
             "tags": tags, "safetensors": {"parameters": parameters, "total": total}}
    record = _records([model])["moonshotai/Kimi-K9-1T-A32B"]
    assert (record.params_total_b, record.params_total_source) == expected
    assert record.size_class == "frontier" and not record.quantized


def test_format_copies_are_known_by_library_and_tags_not_only_by_name() -> None:
    base = {"id": "Qwen/Qwen3.9-9B", "createdAt": "2026-11-01T00:00:00.000Z", "pipeline_tag": "text-generation",
            "safetensors": {"total": 9.4e9}, "library_name": "transformers"}
    mlx = {"id": "Qwen/Qwen3.9-9B-4bit", "createdAt": "2026-11-02T00:00:00.000Z", "library_name": "mlx",
           "pipeline_tag": "text-generation", "safetensors": {"total": 1.5e9}}  # packed: not its size
    gguf = {"id": "Qwen/Qwen3.9-9B-Q8", "createdAt": "2026-11-02T00:00:00.000Z", "tags": ["gguf", "text-generation"],
            "gguf": {"total": 9.4e9}}
    with_gguf_file = {"id": "Qwen/Qwen3.9-4B", "createdAt": "2026-11-01T00:00:00.000Z", "tags": ["gguf"],
                      "pipeline_tag": "text-generation", "safetensors": {"total": 4.2e9}}  # an original with a .gguf beside it
    bare_gguf = {"id": "Qwen/Qwen3.9-9B-Q4", "createdAt": "2026-11-02T00:00:00.000Z", "pipeline_tag": "text-generation",
                 "gguf": {"total": 9.4e9, "architecture": "qwen3"}}  # GGUF weights, nothing else says so
    records = _records([base, mlx, gguf, bare_gguf, with_gguf_file])
    for copy in ("Qwen/Qwen3.9-9B-4bit", "Qwen/Qwen3.9-9B-Q8", "Qwen/Qwen3.9-9B-Q4"):
        record = records[copy]
        assert (record.quantized, record.entry_key, record.params_total_b, record.params_total_source) == (
            True, "Qwen3.9 · LM · 9B", 9.4, "base")
    assert not records["Qwen/Qwen3.9-4B"].quantized


@pytest.mark.parametrize(("payload", "line", "source"), [
    pytest.param({"pipeline_tag": "image-text-to-video"}, "video", "pipeline", id="minimax-h3"),
    pytest.param({"pipeline_tag": "text-to-audio"}, "audio", "pipeline", id="minimax-music3"),
    pytest.param({"pipeline_tag": "text-to-hologram"}, "other", "pipeline", id="unknown-task"),
    pytest.param({"pipeline_tag": "text2text-generation"}, "lm", "pipeline", id="legacy-task"),
    pytest.param({"tags": ["text-to-speech", "license:mit"]}, "tts", "tags", id="task-in-tags"),
    pytest.param({"library_name": "diffusers"}, "image", "library", id="library"),
    pytest.param({"tags": "not-a-list"}, "lm", "default", id="nothing-says"),
])
def test_the_line_comes_from_the_hubs_task_list_and_says_which_rule_decided(payload, line, source) -> None:
    model = {"id": "MiniMaxAI/MiniMax-Q1", "createdAt": "2026-11-01T00:00:00.000Z", **payload}
    record = _records([model])["MiniMaxAI/MiniMax-Q1"]
    assert (record.line, record.line_source) == (line, source)


def test_every_hub_task_has_a_line_and_only_text_generation_is_lm() -> None:
    from lineupwatch.normalize.lines import HUB_TASK_LINES, LINE_LABELS

    assert len(HUB_TASK_LINES) == 57 and set(HUB_TASK_LINES.values()) <= set(LINE_LABELS)
    assert sorted(t for t, line in HUB_TASK_LINES.items() if line == "lm") == [
        "image-text-to-text", "text-generation", "video-text-to-text"]


def test_the_doc_files_every_hub_task_under_its_line() -> None:
    from lineupwatch.normalize.lines import HUB_TASK_LINES

    doc = (Path(__file__).parents[2] / "docs" / "real-hub.md").read_text()
    rows = {line.split("|")[1].strip(): line.split("|")[2] for line in doc.splitlines() if line.startswith("| ") and "`" in line}
    assert {tag: line for line, tags in rows.items() for tag in tags.replace("`", "").replace(",", " ").split()} == HUB_TASK_LINES


def test_no_wrong_value_in_any_field_breaks_normalize_store_or_report(tmp_path: Path) -> None:
    """Every field of the bundled payloads gets every wrong value once, each in another repo."""
    import copy
    import itertools
    from datetime import date

    from lineupwatch.report import writer as reporting
    from lineupwatch.normalize.records import normalize_repos

    config = load_config(Path(__file__).parents[2] / "config" / "lineupwatch.toml")
    models = sorted(bundled_models(), key=lambda m: m["createdAt"])
    fields = sorted({key for model in models for key in model} - {"id"})
    values = [None, 0, -1, 1.5, True, "", "x", "2026-02-30T00:00:00Z", "2025-1-5", [], [1, None], {}, {"total": "9"},
              {"total": -5}, {"total": 1e30}, ["text-generation", 5], {"base_model": 3}, {"license": ["mit", 2]}]
    pairs = list(itertools.product(fields, values))
    assert len(pairs) <= len(models)
    for model, (field, value) in zip(models, pairs):
        model[field] = copy.deepcopy(value)
    records = normalize_repos(models, config)
    db = store.open_db(tmp_path / "db.sqlite")
    with db.atomic():
        poll_id = store.insert_poll(db, {"started_at": "2026-11-23T06:00:00+00:00", "status": "ok", "orgs": "[]"})
        store.save_poll_records(db, poll_id, "2026-11-23T06:00:00+00:00", records, {}, [])
    paths = reporting.write_weekly_report(config, db, date(2026, 11, 29), tmp_path / "reports")
    undated = json.loads(paths["html"].with_suffix(".json").read_text())["data_health"]["undated_repos"]
    assert len(undated) == sum(1 for field, value in pairs if field == "createdAt")
    assert db["repos"].count == len(records) > 600
