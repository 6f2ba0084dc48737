"""`rebuild` re-derives, poll after poll, exactly what the live polls wrote.

Rebuild replays docs without counters, reuses the records of repos whose doc did not change and
reads each repo's counters from its last listing (rebuild.py); these polls exercise each shortcut.
The Hub is the bundled state (real repo ids) with SYNTHETIC day-to-day changes made up here.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import bundled_models, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.ops.poll import run_poll
from lineupwatch.replay.server import ReplayHub


def derived(db) -> dict[str, list[dict]]:
    return {table: list(store.dump_table(db, table)) for table in store.DERIVED_TABLES}


def _day(models: list[dict], day: int) -> list[dict]:
    """The SYNTHETIC Hub of one day: counters move daily; docs change on some days."""
    listed = []
    for i, original in enumerate(models):
        model = {**copy.deepcopy(original), "downloads": 100 * day + i, "likes": day + i % 7}
        if model["id"] == "Qwen/Qwen3.5-9B" and day >= 3:  # a new commit
            model["sha"], model["lastModified"] = "3" * 40, "2026-10-08T09:00:00.000Z"
        if model["id"] == "Qwen/Qwen3.5-4B" and day >= 5:  # a licence change: an event
            model.setdefault("cardData", {})["license"] = "other"
        if model["id"] == "Qwen/Qwen3.5-2B" and day in (4, 5):  # removed for two days, then restored
            continue
        if model["id"] == "Qwen/Qwen3.5-0.8B" and day >= 6:  # a copy tag: its size now comes from its base
            model["tags"] = [*model.get("tags", []), "base_model:quantized:Qwen/Qwen3.5-9B"]
        listed.append(model)
    if day >= 2:  # a repo new on day 2, and the same repo listed twice (the last listing wins)
        extra = {**copy.deepcopy(next(m for m in models if m["id"] == "Qwen/Qwen3.5-27B")), "id": "Qwen/Qwen3.5-27B-Base",
                 "downloads": day}
        listed += [extra, {**extra, "downloads": day + 1000}]
    return listed


def test_rebuild_of_daily_polls_equals_what_the_polls_wrote(tmp_path: Path) -> None:
    models = [m for m in bundled_models() if m["id"].startswith(("Qwen/Qwen3.5", "google/"))]
    with ReplayHub(models) as hub:
        config_path = write_config(tmp_path, hub.url, extra='watch = ["Qwen", "Gemma"]', children_budget=5)
        config = load_config(config_path)
        db = store.open_db(config.database_path)
        start = datetime(2026, 10, 5, 6, tzinfo=timezone.utc)
        for day in range(8):
            hub.set_models(_day(models, day))
            run_poll(config, db, endpoint=hub.url, now=lambda day=day: start + timedelta(days=day))
    before = derived(db)
    kinds = {e["kind"] for e in before["events"]}
    assert {"added", "removed", "restored", "licence_changed", "params_changed"} <= kinds  # each path ran
    assert db["repos"].get("Qwen/Qwen3.5-27B-Base")["downloads"] == 1007  # the poll's last listing of it
    assert db["repos"].get("Qwen/Qwen3.5-2B")["removed_poll"] is None
    assert db.execute("SELECT count(DISTINCT poll_id) FROM raw_children").fetchone()[0] > 1

    assert "rebuilt from 8 polls" in run_cli("rebuild", "--config", str(config_path)).output
    assert derived(db) == before
