"""Release dates as the Hub gives them (issue 9): a repo is public from the first poll that lists
it, not from its `createdAt`, which is when it was made (often private, days or weeks before).

The repos named Qwen3.7-* are SYNTHETIC (no such release exists); the history around them is the
real bundled timeline.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from conftest import run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.ops.poll import run_poll
from lineupwatch.replay.server import ReplayHub
from synthetic import end_of, hub_on, model


def week_json(out: Path, day: date) -> dict:
    year, week, _ = day.isocalendar()
    return json.loads((out / f"{year}-W{week:02d}.json").read_text(encoding="utf-8"))


def qwen(report: dict, forecast_id: str) -> dict:
    return next(f for f in report["forecasts"] if f["family"] == "Qwen" and f["id"] == forecast_id)


def poll_twice(tmp_path: Path, late: dict) -> Path:
    """Two polls through the CLI today: the real Hub of 2026-11-22, then the same with `late` in it."""
    with ReplayHub(hub_on("2026-11-22", [], real_cut="2026-11-23")) as hub:
        config_path = write_config(tmp_path, hub.url)
        run_cli("poll", "--config", str(config_path))
        hub.set_models(hub_on("2026-11-22", [], real_cut="2026-11-23") + [late])
        run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--out", str(tmp_path / "out"))
    return config_path


def test_a_repo_created_before_the_baseline_but_first_listed_after_it_is_a_post_baseline_release(tmp_path: Path) -> None:
    """The second poll lists a small repo created (private) on 2026-02-20."""
    hidden = model("Qwen/Qwen3.7-4B", "2026-02-20", params_b=4.4)  # synthetic
    today = datetime.now(timezone.utc).date()
    poll_twice(tmp_path, hidden)
    report = week_json(tmp_path / "out", today)
    entry = next(e for e in report["entries_since_baseline"] if e["entry"] == "Qwen3.7 · LM · 4B")
    assert (entry["released"], entry["released_from"]) == (today.isoformat(), "seen")
    small = qwen(report, "small-models")
    assert small["verdict"] == "refuted"
    assert f"Qwen3.7 · LM · 4B on {today}" in small["summary"]
    # New this week, although its createdAt is nine months old.
    assert [g["entry"] for g in report["new_this_week"] if g["family"] == "Qwen"] == ["Qwen3.7 · LM · 4B"]
    # The repos listed at the first poll keep their createdAt as release date, and say so.
    health = report["data_health"]["release_dates"]["families"]["Qwen"]
    assert health["first_poll"] == today.isoformat() and health["seen"] == 1 and health["created"] > 100


def test_new_this_week_shows_a_repo_whose_created_at_is_two_weeks_old(tmp_path: Path) -> None:
    today = datetime.now(timezone.utc).date()
    late = model("Qwen/Qwen3.7-27B", (today - timedelta(days=14)).isoformat(), params_b=27.3)  # synthetic
    poll_twice(tmp_path, late)
    week = week_json(tmp_path / "out", today)["new_this_week"]
    group = next(g for g in week if g["entry"] == "Qwen3.7 · LM · 27B")
    assert (group["released"], group["released_from"], group["new_entry"]) == (today.isoformat(), "seen", True)
    assert "Qwen/Qwen3.7-27B" in (tmp_path / "out" / f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}.md").read_text()


def test_a_backfilled_week_uses_only_what_the_polls_up_to_that_week_had_seen(tmp_path: Path) -> None:
    """Weekly polls on the real timeline: gemma-4-E2B-it was created 2026-03-02 and went public
    2026-04-02, so the weeks before April never show it, and once seen it is a post-baseline release."""
    days = ["2026-02-15", "2026-03-02", "2026-03-08", "2026-03-29", "2026-04-05", "2026-04-12"]
    with ReplayHub([]) as hub:
        config_path = write_config(tmp_path, hub.url)
        config = load_config(config_path)
        db = store.open_db(config.database_path)
        for day in days:
            hub.set_models(hub_on(day, [], real_cut="2026-11-23"))
            run_poll(config, db, endpoint=hub.url, now=lambda day=day: end_of(day))
        db.close()
    run_cli("report", "--config", str(config_path), "--since-baseline", "--as-of", "2026-04-12",
            "--out", str(tmp_path / "out"))

    def gemma_e2b(day: str) -> list[dict]:
        report = week_json(tmp_path / "out", date.fromisoformat(day))
        return [e for e in report["entries_since_baseline"] if "google/gemma-4-E2B-it" in e["repos"]]

    assert gemma_e2b("2026-03-08") == [] and gemma_e2b("2026-03-29") == []
    (entry,) = gemma_e2b("2026-04-05")
    assert (entry["released"], entry["released_from"]) == ("2026-04-05", "seen")  # the poll that first listed it
    assert qwen(week_json(tmp_path / "out", date(2026, 3, 29)), "small-models")["verdict"] == "open"
    gemma = next(f for f in week_json(tmp_path / "out", date(2026, 4, 5))["forecasts"]
                 if f["family"] == "Gemma" and f["id"] == "small-models")
    assert gemma["verdict"] == "refuted"  # polled live, not "released before the baseline" by its createdAt


def test_an_undated_repo_is_dated_by_the_poll_that_saw_it(tmp_path: Path) -> None:
    undated = model("Qwen/Qwen3.7-9B", "2026-06-01", params_b=9.2)  # synthetic, and the Hub sends no createdAt
    del undated["createdAt"]
    today = datetime.now(timezone.utc).date()
    with ReplayHub(hub_on("2026-11-22", [undated], real_cut="2026-11-23")) as hub:
        config_path = write_config(tmp_path, hub.url)
        run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--out", str(tmp_path / "out"))
    entry = next(e for e in week_json(tmp_path / "out", today)["entries_since_baseline"]
                 if e["entry"] == "Qwen3.7 · LM · 9B")
    assert (entry["released"], entry["released_from"]) == (today.isoformat(), "seen")
