"""The bundled Hub state: built reproducibly from the facts, and faithful to them."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from conftest import bundled_models
from lineupwatch.fixtures import bundled_state_path

ROOT = Path(__file__).parent.parent
FACTS = ROOT / "src" / "lineupwatch" / "data" / "facts"


def facts(name: str) -> list[dict]:
    with open(FACTS / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_build_is_reproducible_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "state.json.gz"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_hub_state.py"), "--out", str(out)],
                   check=True, capture_output=True)
    assert out.read_bytes() == bundled_state_path().read_bytes(), "run `make fixture` and commit the result"


def test_every_fact_with_a_repo_id_is_a_repo() -> None:
    ids = {model["id"] for model in bundled_models()}
    assert {row["repo_id"] for row in facts("qwen_releases.csv")} <= ids
    peers = {row["repo_id"] for row in facts("peer_releases.csv") if "/" in row["repo_id"] and " " not in row["repo_id"]}
    assert peers <= ids and len(peers) >= 190


def test_release_dates_become_created_at_on_the_same_day() -> None:
    models = {model["id"]: model for model in bundled_models()}
    for row in facts("qwen_releases.csv"):
        date = row["release_date"].rstrip("~")
        if len(date) == 10:
            assert models[row["repo_id"]]["createdAt"].startswith(date), row["repo_id"]
    assert models["Qwen/Qwen3.5-9B"]["createdAt"].startswith("2026-03-02")
    assert max(model["createdAt"] for model in models.values()) < "2026-11-23"


def test_hub_figures_and_packed_copies_look_like_the_hub() -> None:
    models = {model["id"]: model for model in bundled_models()}
    assert models["Qwen/Qwen3.5-9B"]["safetensors"]["total"] == 10_000_000_000  # "HF displays 10B"
    assert models["Qwen/Qwen2.5-7B-Instruct"]["safetensors"]["total"] == 7_000_000_000  # nominal: no figure quoted
    awq = models["Qwen/Qwen2.5-7B-Instruct-AWQ"]
    assert awq["safetensors"]["total"] < 0.5 * 7e9  # packed int4 tensors, as the Hub counts them
    assert "base_model:quantized:Qwen/Qwen2.5-7B-Instruct" in awq["tags"]
    assert "gguf" in models["Qwen/Qwen2.5-7B-Instruct-GGUF"] and "safetensors" not in models["Qwen/Qwen2.5-7B-Instruct-GGUF"]
    assert "base_model:finetune:Qwen/Qwen3.5-4B" in models["Qwen/Qwen-Drive-1.0-4B"]["tags"]


def test_made_up_values_are_declared() -> None:
    readme = (ROOT / "src" / "lineupwatch" / "data" / "README.md").read_text(encoding="utf-8")
    assert "**Downloads (last 30 days and all time), likes and `childrenModelCount` are invented**" in readme
    assert all(isinstance(model["downloads"], int) and "childrenModelCount" in model for model in bundled_models())


def test_notes_figures_that_count_something_else_are_not_hub_totals() -> None:
    models = {model["id"]: model for model in bundled_models()}
    assert models["mistralai/Mistral-Small-4-119B-2603"]["safetensors"]["total"] == 119_000_000_000  # not "6.5B" active
    assert models["Qwen/Qwen3-ASR-0.6B"]["safetensors"]["total"] == 900_000_000  # "2B (1.7B) / 0.9B (0.6B)"
    assert models["Qwen/Qwen3-ASR-1.7B"]["safetensors"]["total"] == 2_000_000_000
    assert "mistralai/Mistral-Medium-3.5" not in models  # an alternative spelling in a note, not a sibling
