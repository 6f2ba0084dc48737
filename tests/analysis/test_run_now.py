"""Issue 14.3: what to run now (newest open model per size class, licence, memory, official
builds) and licence drift, through the CLI and the files it writes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

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
    mlx = _copy(models, "Qwen/Qwen3.5-9B", "Qwen/Qwen3.5-9B-Apple", library_name="mlx", safetensors=None,
                tags=["mlx", "base_model:Qwen/Qwen3.5-9B", "base_model:quantized:Qwen/Qwen3.5-9B", "license:apache-2.0"])
    with ReplayHub(models + [gguf, awq, mlx], page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url, extra="[analysis]\nmemory_overhead_fraction = 0.25")
        run_cli("poll", "--config", str(config_path))
    report = _report(tmp_path, config_path)
    qwen = _row(report, "small", "Qwen")
    assert qwen["entry"] == "Qwen3.5 · LM · 9B" and qwen["repo"] == "Qwen/Qwen3.5-9B"
    assert qwen["quantized_builds"] == ["GGUF", "AWQ", "MLX"]
    assert qwen["license"] == "apache-2.0"
    total = qwen["params_total_b"]
    assert qwen["memory_gb"] == {"4": round(total * 0.5 * 1.25, 1), "8": round(total * 1.25, 1)}
    assert report["what_to_run"]["overhead_fraction"] == 0.25 and "25%" in report["what_to_run"]["method"]
    # Older than the coverage window (its matrix cell is empty), still named here: Gemma's newest small model.
    gemma = _row(report, "small", "Gemma")
    assert gemma["entry"].startswith("gemma-4 · LM · ") and gemma["age_days"] > report["coverage"]["window_days"]
    assert "small" not in report["coverage"]["families"]["Gemma"]
    html = (tmp_path / "reports" / "2026-W47.html").read_text(encoding="utf-8")
    markdown = (tmp_path / "reports" / "2026-W47.md").read_text(encoding="utf-8")
    assert 'id="run-now"' in html and "GGUF, AWQ, MLX" in html
    assert "## What to run now" in markdown and "GGUF, AWQ, MLX" in markdown


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
    markdown = next((tmp_path / "reports").glob("*.md")).read_text(encoding="utf-8")
    assert "Qwen3-8B) changed its licence from **apache-2.0** to **closed-2**" in markdown
    assert "was released with no stated licence" in markdown
