"""The bundled Hub state: built reproducibly from the facts, and faithful to them."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from conftest import bundled_models
from lineupwatch.replay.fixtures import bundled_state_path
from lineupwatch.replay.timeline import bundled_timeline_path

ROOT = Path(__file__).parents[2]
FACTS = ROOT / "src" / "lineupwatch" / "data" / "facts"


def facts(name: str) -> list[dict]:
    with open(FACTS / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_build_is_reproducible_byte_for_byte(tmp_path: Path) -> None:
    out, timeline = tmp_path / "state.json.gz", tmp_path / "hub_public.csv"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_hub_state.py"), "--out", str(out),
                    "--timeline", str(timeline)], check=True, capture_output=True)
    assert out.read_bytes() == bundled_state_path().read_bytes(), "run `make fixture` and commit the result"
    assert timeline.read_bytes() == bundled_timeline_path().read_bytes(), "run `make fixture` and commit the result"


def test_every_fact_with_a_repo_id_is_a_repo() -> None:
    ids = {model["id"] for model in bundled_models()}
    assert {row["repo_id"] for row in facts("qwen_releases.csv")} <= ids
    peers = {row["repo_id"] for row in facts("peer_releases.csv") if "/" in row["repo_id"] and " " not in row["repo_id"]}
    assert peers <= ids and len(peers) >= 190


def timeline_rows() -> dict[str, dict]:
    with open(bundled_timeline_path(), newline="", encoding="utf-8") as handle:
        return {row["repo_id"]: row for row in csv.DictReader(handle)}


def test_repos_go_public_on_their_release_day_after_the_hub_created_them() -> None:
    models, public = {model["id"]: model for model in bundled_models()}, timeline_rows()
    assert set(public) == set(models)
    for row in facts("qwen_releases.csv"):
        day = row["release_date"].rstrip("~")
        if len(day) == 10 and public[row["repo_id"]]["public_at"][:10] != day:  # only where createdAt is later
            assert public[row["repo_id"]]["public_at"] == models[row["repo_id"]]["createdAt"], row["repo_id"]
    assert all(models[r]["createdAt"] <= p["public_at"] < "2026-11-23" for r, p in public.items())
    recorded = {row["repo_id"]: row["hub_created_at"] for row in facts("hub_created.csv")}
    assert all(models[repo_id]["createdAt"] == created for repo_id, created in recorded.items())
    assert {public[r]["created_from"] for r in recorded} == {"hub"}
    # The three examples, as the Hub reports them.
    assert (models["google/gemma-4-E2B-it"]["createdAt"][:10], public["google/gemma-4-E2B-it"]["public_at"][:10]) == ("2026-03-02", "2026-04-02")
    assert (models["Qwen/Qwen3.8-27B"]["createdAt"][:10], public["Qwen/Qwen3.8-27B"]["public_at"][:10]) == ("2026-08-05", "2026-08-14")
    assert (models["Qwen/Qwen3.5-9B"]["createdAt"][:10], public["Qwen/Qwen3.5-9B"]["public_at"][:10]) == ("2026-02-27", "2026-03-02")


def test_drawn_creation_lags_follow_the_recorded_ones() -> None:
    """Made-up lags come from the same org's recorded lags: Qwen's are days, Gemma's can be weeks."""
    models, public = {model["id"]: model for model in bundled_models()}, timeline_rows()

    def lag(repo_id: str) -> float:
        created = datetime.fromisoformat(models[repo_id]["createdAt"].replace("Z", "+00:00"))
        return (datetime.fromisoformat(public[repo_id]["public_at"].replace("Z", "+00:00")) - created).total_seconds() / 86400

    drawn = [r for r, row in public.items() if row["created_from"] == "drawn"]
    assert len(drawn) == len(models) - len(facts("hub_created.csv"))
    qwen = sorted(lag(r) for r in drawn if r.startswith("Qwen/"))
    assert 0 <= qwen[len(qwen) // 2] <= 5
    assert max(lag(r) for r in drawn if r.startswith("google/")) > 14


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
