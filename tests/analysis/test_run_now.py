"""The newest open model per size class (the JSON's `what_to_run`, the appendix's large and frontier
tables), with licence, memory from analysis/fits.py and where to get it, and licence drift, through
the CLI and the files it writes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from conftest import bundled_models, run_cli, write_config
from lineupwatch.replay.server import ReplayHub

AS_OF = "2026-11-22"


def _copy(models: list[dict], source: str, new_id: str, **changes: object) -> dict:
    model = copy.deepcopy(next(m for m in models if m["id"] == source))
    model.update(id=new_id, _id=f"{abs(hash(new_id)):024x}"[:24], **changes)
    return model


def _report(tmp_path: Path, config_path: Path) -> dict:
    run_cli("report", "--config", str(config_path), "--as-of", AS_OF)
    return json.loads((tmp_path / "reports" / "2026-W47.json").read_text(encoding="utf-8"))


def _row(report: dict, size_class: str, family: str) -> dict:
    group = next(g for g in report["what_to_run"]["classes"] if g["size_class"] == size_class)
    return next(r for r in group["rows"] if r["family"] == family)


def test_newest_model_per_class_with_memory_licence_and_official_builds(tmp_path: Path) -> None:
    models = bundled_models()
    # Official builds of Qwen3.5-9B: a GGUF repo (no safetensors) and an AWQ repo, as the Hub lists them.
    gguf = _copy(models, "Qwen/Qwen3.5-9B", "Qwen/Qwen3.5-9B-GGUF", safetensors=None,
                 gguf={"total": 9_650_000_000}, library_name="gguf")
    awq = _copy(models, "Qwen/Qwen3.5-9B", "Qwen/Qwen3.5-9B-AWQ")
    # An MLX build named without a format suffix: known by its library and its base_model tag.
    mlx = _copy(models, "Qwen/Qwen3.5-9B", "Qwen/Qwen3.5-9B-MLX-4bit", library_name="mlx", safetensors=None,
                tags=["mlx", "base_model:Qwen/Qwen3.5-9B", "base_model:quantized:Qwen/Qwen3.5-9B", "license:apache-2.0"])
    with ReplayHub(models + [gguf, awq, mlx], page_size=200) as hub:
        # An older config's retired key is read and ignored, not an error.
        config_path = write_config(tmp_path, hub.url, extra="[analysis]\nmemory_overhead_fraction = 0.25")
        run_cli("poll", "--config", str(config_path))
    report = _report(tmp_path, config_path)
    qwen = _row(report, "small", "Qwen")
    assert qwen["entry"] == "Qwen3.5 · LM · 9B" and qwen["repo"] == "Qwen/Qwen3.5-9B"
    official = {(b["repo"], b["format"]) for b in qwen["builds"] if b["official"]}
    assert official == {("Qwen/Qwen3.5-9B-GGUF", "GGUF"), ("Qwen/Qwen3.5-9B-AWQ", "AWQ"), ("Qwen/Qwen3.5-9B-MLX-4bit", "MLX")}
    assert qwen["license"] == "apache-2.0"
    # Memory as the budget picks count it: Q4_K_M weights (4.85 bits) + the KV cache + the runtime.
    total = qwen["params_total_b"]
    memory = qwen["memory"]
    assert memory["quant"] == "Q4_K_M" and memory["native"] is False
    assert memory["weights_gb"] == round(total * 4.85 / 8, 2)
    assert memory["weights_gb"] < memory["total_gb"]["8192"] < memory["total_gb"]["32768"]
    # gpt-oss ships natively in MXFP4: its original is the official 4-bit build, sized at 4.25 bits.
    oss = _row(report, "large", "gpt-oss")
    assert oss["memory"]["quant"] == "MXFP4" and oss["memory"]["native"] is True
    assert oss["memory"]["weights_gb"] == round(oss["params_total_b"] * 4.25 / 8, 2)
    assert {"repo": oss["repo"], "format": "MXFP4", "official": True} in oss["builds"]
    # Older than the coverage window (its matrix cell is empty), still named: Gemma's newest small model.
    gemma = _row(report, "small", "Gemma")
    assert gemma["entry"].startswith("gemma-4 · LM · ") and gemma["age_days"] > report["coverage"]["window_days"]
    assert "small" not in report["coverage"]["families"]["Gemma"]
    # The week's data page shows the large and frontier classes in its appendix, with the official format.
    html = (tmp_path / "reports" / "2026-W47-data.html").read_text(encoding="utf-8")
    markdown = (tmp_path / "reports" / "2026-W47-data.md").read_text(encoding="utf-8")
    appendix = markdown[markdown.index("## Appendix: the newest large and frontier models"):]
    oss_line = next(line for line in appendix.splitlines() if f"[{oss['repo']}]" in line)
    assert "| MXFP4 (official) |" in oss_line and f"{oss['repo']} (MXFP4)" in oss_line
    assert "Qwen/Qwen3.5-9B" not in appendix  # small models are the budget picks' business
    assert 'id="run-now"' not in html and "MXFP4 (official)" in html


def test_licence_changes_and_releases_without_a_licence_are_listed_with_dates(tmp_path: Path) -> None:
    models = bundled_models()
    unlicensed = next(m for m in models if m["id"] == "Qwen/Qwen3.6-27B")
    unlicensed["cardData"] = {k: v for k, v in (unlicensed.get("cardData") or {}).items() if k != "license"}
    unlicensed["tags"] = [t for t in unlicensed["tags"] if not t.startswith("license:")]
    with ReplayHub(models, page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url)
        run_cli("poll", "--config", str(config_path))
        changed = copy.deepcopy(models)
        relicensed = next(m for m in changed if m["id"] == "Qwen/Qwen3-8B")
        relicensed["cardData"] = {**relicensed.get("cardData", {}), "license": "other", "license_name": "closed-2"}
        relicensed["tags"] = [t for t in relicensed["tags"] if not t.startswith("license:")] + ["license:other"]
        hub.set_models(changed)
        run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path))  # today: the change happened at the second poll
    report = json.loads(next((tmp_path / "reports").glob("*.json")).read_text(encoding="utf-8"))
    drift = report["licence_drift"]
    assert [(c["repo"], c["old"], c["new"]) for c in drift["changes"]] == [("Qwen/Qwen3-8B", "apache-2.0", "closed-2")]
    assert drift["changes"][0]["at"] == report["as_of"]
    unstated = {u["repo"]: u["released"] for u in drift["unstated"]}
    assert "Qwen/Qwen3.6-27B" in unstated and unstated["Qwen/Qwen3.6-27B"] >= report["baseline_date"]
    assert {u["status"] for u in drift["unstated"]} == {"not stated"}
    markdown = next((tmp_path / "reports").glob("*.md")).read_text(encoding="utf-8")
    assert "Qwen3-8B) changed its licence from **apache-2.0** to **closed-2**" in markdown
    line = next(line for line in markdown.splitlines() if line.startswith("- [Qwen/Qwen3.6-27B]"))
    assert line.endswith("no licence stated on the Hub")


@pytest.fixture(scope="module")
def licences(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """W47 with three kinds of licence among Qwen's releases since the baseline: Qwen3.6-27B
    listed without one (the facts know it: not stated), Qwen3.8-2.4T-A95B without one and the
    facts say "license not verified" (unknown), Qwen3.8-Flash-Next listed with one although the
    facts do not verify it (stated: the listing wins)."""
    tmp_path = tmp_path_factory.mktemp("licences")
    models = bundled_models()
    unlisted = next(m for m in models if m["id"] == "Qwen/Qwen3.6-27B")
    unlisted["cardData"] = {k: v for k, v in (unlisted.get("cardData") or {}).items() if k != "license"}
    unlisted["tags"] = [t for t in unlisted["tags"] if not t.startswith("license:")]
    listed = next(m for m in models if m["id"] == "Qwen/Qwen3.8-Flash-Next")
    listed["tags"] = [*listed["tags"], "license:apache-2.0"]
    assert not any(t.startswith("license:") for t in next(m for m in models if m["id"] == "Qwen/Qwen3.8-2.4T-A95B")["tags"])
    with ReplayHub(models, page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url)
        run_cli("poll", "--config", str(config_path))
    return tmp_path, _report(tmp_path, config_path)


def test_an_unknown_licence_is_unknown_and_a_missing_one_not_stated(licences: tuple[Path, dict]) -> None:
    tmp_path, report = licences
    drift = report["licence_drift"]
    unknown = {u["repo"]: u for u in drift["unknown"]}
    unstated = {u["repo"]: u for u in drift["unstated"]}
    assert not unknown.keys() & unstated.keys()
    big = unknown["Qwen/Qwen3.8-2.4T-A95B"]
    assert (big["status"], big["why"], big["counted"]) == ("unknown", "licence not verified", True)
    assert big["note"].endswith(": licence unknown (licence not verified)") and big["note"].startswith("Qwen3.8 · LM · 2.4T-A95B (")
    assert unstated["Qwen/Qwen3.6-27B"]["status"] == "not stated" and unstated["Qwen/Qwen3.6-27B"]["why"] is None
    assert "Qwen/Qwen3.8-Flash-Next" not in unknown | unstated
    # The bundled facts' empty licence cells are unknown too (the Qwen-Scope sparse autoencoders, not counted).
    assert any(repo.startswith("Qwen/SAE-Res-") and not row["counted"] for repo, row in unknown.items())
    since = {e["entry"]: e for e in report["entries_since_baseline"]}
    assert since["Qwen3.8 · LM · 2.4T-A95B"]["license_status"] == "unknown"
    assert since["Qwen3.8 · LM · 2.4T-A95B"]["license_note"] == "licence not verified"
    assert since["Qwen3.6 · LM · 27B"]["license_status"] == "not stated"
    assert (since["Qwen3.8 · LM · Flash-Next · 180B-A6B"]["license"],
            since["Qwen3.8 · LM · Flash-Next · 180B-A6B"]["license_status"]) == ("apache-2.0", "stated")
    for group in report["what_to_run"]["classes"]:
        for row in group["rows"]:
            assert (row["license"] is None) == (row["license_status"] != "stated"), row
    markdown = (tmp_path / "reports" / "2026-W47.md").read_text(encoding="utf-8")
    html = (tmp_path / "reports" / "2026-W47.html").read_text(encoding="utf-8")
    lines = {repo: next(line for line in markdown.splitlines() if line.startswith(f"- [{repo}]"))
             for repo in ("Qwen/Qwen3.8-2.4T-A95B", "Qwen/Qwen3.6-27B")}
    assert lines["Qwen/Qwen3.8-2.4T-A95B"].endswith("licence unknown (licence not verified)")
    assert lines["Qwen/Qwen3.6-27B"].endswith("no licence stated on the Hub")
    assert "no stated licence" not in markdown and "none stated" not in markdown
    assert "licence unknown (licence not verified)" in html and "no stated licence" not in html
    # The counted releases come first, under the sentence that ties them to the open-weights evidence.
    counted = markdown.index("that the forecasts count")
    assert counted < markdown.index("[Qwen/Qwen3.8-2.4T-A95B]", counted) < markdown.index("Other releases since the baseline")


def test_licence_drift_and_the_open_weights_evidence_name_the_same_releases_in_the_same_words(
        licences: tuple[Path, dict]) -> None:
    _, report = licences
    drift = report["licence_drift"]
    for forecast in report["forecasts"]:
        if forecast["id"] != "open-weights" or forecast["verdict"] == "open" and not forecast["evidence"]:
            continue
        rows = [u for u in drift["unknown"] + drift["unstated"] if u["family"] == forecast["family"] and u["counted"]]
        about = [item for item in forecast["evidence"]
                 if item.startswith("neutral: ") and ("licence unknown" in item or "no licence stated" in item)]
        assert sorted(about) == sorted(f"neutral: {row['note']}" for row in rows), forecast["family"]
        # No other words for a licence nobody stated.
        assert not any("licence not on record" in item or "no stated licence" in item for item in forecast["evidence"])
