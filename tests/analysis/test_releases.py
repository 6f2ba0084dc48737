"""Entries are releases, labels carry sizes, and uncertain facts stay uncertain (issue 10, items 4-6).

The bundled Hub state is polled once through the CLI (so every entry is dated by the Hub's
createdAt), the report is written through the CLI, and the entries are read back from the
database the CLI wrote. Repos named in test_hf_originals are SYNTHETIC stand-ins with real names.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from conftest import run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.analysis.weekly import analyse
from lineupwatch.config.settings import load_config
from lineupwatch.store.facts import load_facts
from lineupwatch.replay.server import ReplayHub
from synthetic import hub_on, model

AS_OF = "2026-11-22"


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tmp_path = tmp_path_factory.mktemp("releases")
    with ReplayHub(hub_on(AS_OF, [], real_cut="2026-11-23")) as hub:
        config_path = write_config(tmp_path, hub.url)
        run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", AS_OF, "--out", str(tmp_path / "out"))
    report = json.loads((tmp_path / "out" / "2026-W47.json").read_text(encoding="utf-8"))
    return config_path, report


@pytest.fixture(scope="module")
def entries(polled: tuple[Path, dict]) -> dict:
    config = load_config(polled[0])
    db = store.open_db(config.database_path)
    found, _ = analyse(load_facts(db, date.fromisoformat(AS_OF)), config)
    db.close()
    return {e.key: e for e in found}


@pytest.mark.parametrize("key, primary", [
    ("Qwen3 · LM · 4B", "Qwen/Qwen3-4B"),
    ("Qwen3 · LM · 4B · 2507", "Qwen/Qwen3-4B-Instruct-2507"),
    ("Qwen3 · LM · 4B · SafeRL", "Qwen/Qwen3-4B-SafeRL"),
    ("DeepSeek-R1 · LM · 8B", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B"),
    ("DeepSeek-R1 · LM · 8B · 0528", "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B"),
    ("Kimi-K2 · LM · 1T-A32B", "moonshotai/Kimi-K2-Instruct"),
    ("Kimi-K2 · LM · 1T-A32B · 0905", "moonshotai/Kimi-K2-Instruct-0905"),
    ("Kimi-K2 · LM · 1T-A32B · Thinking", "moonshotai/Kimi-K2-Thinking"),
    ("Qwen3 · Embedding · 8B", "Qwen/Qwen3-Embedding-8B"),
    ("Qwen3 · Embedding · 8B · VL-Embedding", "Qwen/Qwen3-VL-Embedding-8B"),
    ("Qwen2.5 · LM · QwQ-32B", "Qwen/QwQ-32B"),
    ("Qwen2.5 · LM · QwQ-32B · Preview", "Qwen/QwQ-32B-Preview"),
])
def test_each_release_is_its_own_entry(entries: dict, key: str, primary: str) -> None:
    assert primary in entries[key].repos
    assert sum(1 for e in entries.values() if primary in e.repos) == 1


def test_releases_of_one_day_stay_one_entry_and_copies_fold_into_their_release(entries: dict) -> None:
    assert {"Qwen/Qwen3-4B", "Qwen/Qwen3-4B-Base"} <= set(entries["Qwen3 · LM · 4B"].repos)
    july = entries["Qwen3 · LM · 4B · 2507"]
    assert {"Qwen/Qwen3-4B-Instruct-2507", "Qwen/Qwen3-4B-Thinking-2507"} <= set(july.repos)
    assert "Qwen/Qwen3-4B-Instruct-2507-FP8" in july.repos
    assert "Qwen/Qwen3-4B-GGUF" in entries["Qwen3 · LM · 4B"].repos
    assert not any(key.endswith("· Base") or key.endswith("· Instruct") for key in entries)


def test_split_releases_change_the_report(polled: tuple[Path, dict]) -> None:
    """Qwen3-4B-Instruct-2507 (August 2025) is a small release of 2025Q3; DeepSeek's last small
    model is the R1-0528 distill of 2025-05-29, not the January R1 distills."""
    _, report = polled
    quarterly = report["quarterly"]
    assert quarterly["counts"]["small"][quarterly["quarters"].index("2025Q3")] >= 1
    deepseek = next(f for f in report["forecasts"] if f["family"] == "DeepSeek" and f["id"] == "small-models")
    assert deepseek["last_small_entry"] == {"entry": "DeepSeek-R1 · LM · 8B · 0528", "date": "2025-05-29",
                                            "built_on": "Qwen/Qwen3-8B"}  # a distill into Qwen3-8B (issue 20)


def test_labels_always_carry_the_size(entries: dict) -> None:
    flash = entries["Qwen3.8 · LM · Flash-Next · 180B-A6B"]
    assert (flash.params_total_b, flash.params_active_b, flash.size_class) == (180.0, 6.0, "frontier")
    assert "GLM-5.3 · LM · Flash · 320B-A18B" in entries
    assert "DeepSeek-V4.1 · LM · Flash · 763B" in entries
    assert all(any(c.isdigit() for c in e.size_label or "") for e in entries.values() if e.counted)


def test_uncertain_facts_stay_uncertain(polled: tuple[Path, dict], entries: dict) -> None:
    _, report = polled
    large = entries["Mistral-Large-4.0 · LM · 1.05T-A52B"]
    assert "weight release not confirmed" in large.doubts and large.shaky
    # A coverage cell filled only by an uncertain entry says so.
    cell = report["coverage"]["cells"]["Mistral"]["frontier"]
    assert cell["uncertain"] and "weight release not confirmed" in cell["uncertain"]
    assert report["coverage"]["families"]["Mistral"]["frontier"].endswith("(uncertain)")
    # Mistral's open-weights evidence cites the unconfirmed release as uncertain and its summary marks it;
    # the verdict does not rest only on it (Mistral-Small-4 and Mistral-Medium-3.5 are open releases on record).
    mistral = next(f for f in report["forecasts"] if f["family"] == "Mistral" and f["id"] == "open-weights")
    assert any("[uncertain: weight release not confirmed" in item for item in mistral["evidence"])
    assert "Mistral-Large-4.0 released open (~2026-" in mistral["summary"]
    assert "rests only on uncertain facts" not in mistral["summary"]
    granite = entries["granite-4.0 · VL · 3B"]
    assert granite.shaky and any("may predate 2026-03-04" in d for d in granite.doubts)
    # An approximate day is marked in labels but does not make a verdict uncertain.
    flash = entries["Qwen3.8 · LM · Flash-Next · 180B-A6B"]
    assert flash.uncertain and not flash.shaky and "(~" in flash.label
    since = {e["entry"]: e for e in report["entries_since_baseline"]}
    assert since["Mistral-Large-4.0 · LM · 1.05T-A52B"]["uncertain"][0] == "weight release not confirmed"


def test_hf_originals_and_underscored_versions(tmp_path: Path) -> None:
    """Llama-2-7b-hf is the transformers-format original (no Meta-format sibling in this listing);
    phi-1_5 is Phi-1.5, not Phi-1. SYNTHETIC listings with the real repo names."""
    models = [model("meta-llama/Llama-2-7b-hf", "2023-07-18", params_b=6.7),
              model("meta-llama/Llama-2-7b-chat-hf", "2023-07-18", params_b=6.7),
              model("microsoft/phi-1_5", "2023-09-10", params_b=1.4),
              model("microsoft/phi-1", "2023-06-20", params_b=1.4)]
    with ReplayHub(models) as hub:
        config_path = write_config(tmp_path, hub.url, 'watch = ["Llama", "Phi"]')
        run_cli("poll", "--config", str(config_path))
    db = store.open_db(load_config(config_path).database_path)
    rows = {r["repo_id"]: r for r in db["repos"].rows}
    assert rows["meta-llama/Llama-2-7b-hf"]["quantized"] == 0
    assert rows["meta-llama/Llama-2-7b-hf"]["entry_key"] == "Llama-2 · LM · 7B"
    assert rows["microsoft/phi-1_5"]["generation"] == "Phi-1.5"
    assert rows["microsoft/phi-1"]["generation"] == "Phi-1"
