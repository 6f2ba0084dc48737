"""The forecasts through the CLI: poll a Hub state, write the report, read its JSON.

Scenarios after the baseline are SYNTHETIC (future Qwen generations that do not exist); the
history before them is the real bundled state.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import bundled_models, run_cli, write_config
from lineupwatch.analysis.wording import pace_words
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.ops.poll import run_poll
from lineupwatch.replay.server import ReplayHub
from synthetic import end_of, hub_on, model, poll_days, real_until

BASELINE = "2026-03-04"


def report_for(tmp_path: Path, synthetic: list[dict], as_of: str, extra: str = "") -> dict:
    """Poll the real history and the synthetic repos day by day as the job would have (see
    synthetic.poll_days), then write the report as of a day and return its JSON."""
    with ReplayHub([], page_size=500) as hub:
        config_path = write_config(tmp_path, hub.url, extra)
        config = load_config(config_path)
        db = store.open_db(config.database_path)
        for day in poll_days(synthetic, as_of):
            hub.set_models(hub_on(day, synthetic))
            run_poll(config, db, endpoint=hub.url, now=lambda day=day: end_of(day))
        db.close()
    out = tmp_path / "out"
    run_cli("report", "--config", str(config_path), "--as-of", as_of, "--out", str(out))
    week = datetime.fromisoformat(as_of).isocalendar()
    return json.loads((out / f"{week.year}-W{week.week:02d}.json").read_text())


def forecast(report: dict, forecast_id: str, family: str = "Qwen") -> dict:
    return next(f for f in report["forecasts"] if f["id"] == forecast_id and f["family"] == family)


def test_synthetic_new_generation_with_small_entries_refutes(tmp_path: Path) -> None:
    models = [model("Qwen/Qwen3.7-72B", "2026-05-10", params_b=72.7),
                                     model("Qwen/Qwen3.7-4B", "2026-05-12", params_b=4.4)]
    result = forecast(report_for(tmp_path, models, "2026-06-01"), "small-models")
    assert result["verdict"] == "refuted"
    assert result["summary"] == "Qwen released a new small model after the baseline: Qwen3.7 · LM · 4B on 2026-05-12."
    assert {k: result["last_small_entry"][k] for k in ("entry", "date")} == {"entry": "Qwen3.7 · LM · 4B", "date": "2026-05-12"}
    assert result["cause"] == {"kind": "event", "date": "2026-05-12", "entry": "Qwen3.7 · LM · 4B", "repo": "Qwen/Qwen3.7-4B",
                               "text": "Qwen3.7 · LM · 4B released on 2026-05-12, a small model after the baseline",
                               "held_days": None}


def test_synthetic_70b_and_27b_only_is_open_inside_the_window_then_supported(tmp_path: Path) -> None:
    models = [model("Qwen/Qwen3.7-70B", "2026-06-01", params_b=70.6),
                                     model("Qwen/Qwen3.7-27B", "2026-06-03", params_b=27.3)]
    inside = forecast(report_for(tmp_path / "a", models, "2026-06-20"), "small-models")
    assert inside["verdict"] == "open"
    assert "Qwen3.7 (first entry 2026-06-01, 19 days ago): 70B, 27B, nothing <= 10B; inside its 42-day completion window (23 days left)" in inside["evidence"]
    assert inside["last_small_entry"] == {"entry": "Qwen3.5 · LM · 9B", "date": "2026-03-02"} or \
        inside["last_small_entry"]["date"] == "2026-03-02"

    after = forecast(report_for(tmp_path / "b", models, "2026-11-22"), "small-models")
    assert after["days_since_last_small"] == 265
    assert after["historical_gap_p90_days"] < 265
    assert after["verdict"] == "supported"
    values = after["values"]
    longest, p90 = values["historical_gap_longest_days"], values["historical_gap_p90_days"]
    assert after["summary"].startswith(
        f"Qwen has released no new small model since 2026-03-02: 265 days, {265 / longest:.1f}x Qwen's longest gap "
        f"between small-model waves before the baseline ({longest} days), above the p90 of those gaps ({p90:g} days)")
    assert "Qwen3.7 came without one." in after["summary"]
    # Supported from the day both conditions held: Qwen3.7 (June 1) past its 42-day window, the gap past the p90.
    over_p90 = (datetime(2026, 3, 2) + timedelta(days=int(p90) + 1)).date().isoformat()
    assert after["cause"]["kind"] == "threshold" and after["cause"]["date"] == max("2026-07-14", over_p90)


@pytest.mark.parametrize("late_repos", [
    [model("Qwen/Qwen3.5-4B-GGUF", "2026-06-01", parent="Qwen/Qwen3.5-4B", relation="quantized"),
     model("Qwen/Qwen3.5-9B-AWQ", "2026-06-02", params_b=2.1, parent="Qwen/Qwen3.5-9B", relation="quantized")],
    [model("Qwen/Qwen3.7-Embedding-0.6B", "2026-06-01", params_b=0.6, pipeline_tag="feature-extraction")],
    [model("Qwen/Qwen3.7-35B-A3B", "2026-06-01", params_b=35.1)],
    [],
], ids=["quantized-copies-of-old-small", "small-embedding", "moe-3b-active-35b-total", "no-releases"])
def test_synthetic_releases_that_are_not_new_small_entries(tmp_path: Path, late_repos: list[dict]) -> None:
    report = report_for(tmp_path, late_repos, "2026-06-05")
    result = forecast(report, "small-models")
    assert result["verdict"] == "open"
    assert result["last_small_entry"]["date"] == "2026-03-02"
    since = {e["entry"]: e for e in report["entries_since_baseline"] if e["family"] == "Qwen"}
    if late_repos and "35B-A3B" in late_repos[0]["id"]:
        assert since["Qwen3.7 · LM · 35B-A3B"]["size_class"] == "medium"
        assert since["Qwen3.7 · LM · 35B-A3B"]["counted"] is True
    if late_repos and "Embedding" in late_repos[0]["id"]:
        assert since["Qwen3.7 · Embedding · 0.6B"]["counted"] is False
    if late_repos and "GGUF" in late_repos[0]["id"]:
        assert not since  # copies join their old entries
        week = [(g["entry"], g["new_entry"]) for g in report["new_this_week"]]
        assert ("Qwen3.5 · LM · 4B", False) in week and ("Qwen3.5 · LM · 9B", False) in week


def test_synthetic_derivative_is_listed_not_counted_unless_configured(tmp_path: Path) -> None:
    models = [model("Qwen/Qwen-Robot-1.0-2B", "2026-07-01", params_b=2.2, parent="Qwen/Qwen3.5-2B")]
    report = report_for(tmp_path / "default", models, "2026-07-05")
    result = forecast(report, "small-models")
    assert result["verdict"] == "open"
    assert result["small_derivatives"] == [{"entry": "Qwen3.5 · LM · Qwen-Robot-1.0-2B",
                                            "repo": "Qwen/Qwen-Robot-1.0-2B", "released": "2026-07-01",
                                            "parent": "Qwen3.5 · LM · 2B"}]
    assert result["summary"].endswith("; 1 small derivative since the baseline: Qwen-Robot-1.0-2B.")
    assert [d["repo"] for d in report["derivatives"] if d["since_baseline"]] == ["Qwen/Qwen-Robot-1.0-2B"]

    counted = forecast(report_for(tmp_path / "counted", models, "2026-07-05", "[analysis]\ncount_derivatives = true"), "small-models")
    assert counted["verdict"] == "refuted"


def weekly_history_report(tmp_path: Path, as_of: str) -> dict:
    """The real bundled timeline polled every Sunday night from 2026-02-15 (and on 2026-03-02,
    the day Qwen3.5's small models went public), then the report as of a day."""
    days = sorted({"2026-03-02", *(d.date().isoformat() for d in
                                   (datetime(2026, 2, 15) + timedelta(weeks=w) for w in range(41)))})
    with ReplayHub([], page_size=500) as hub:
        config_path = write_config(tmp_path, hub.url)
        config = load_config(config_path)
        db = store.open_db(config.database_path)
        for day in (d for d in days if d <= as_of):
            hub.set_models(hub_on(day, [], real_cut="2026-11-23"))
            run_poll(config, db, endpoint=hub.url, now=lambda day=day: end_of(day))
        db.close()
    run_cli("report", "--config", str(config_path), "--as-of", as_of, "--out", str(tmp_path / "out"))
    week = datetime.fromisoformat(as_of).isocalendar()
    return json.loads((tmp_path / "out" / f"{week.year}-W{week.week:02d}.json").read_text())


def test_bundled_real_data_answers_the_question(tmp_path: Path) -> None:
    report = weekly_history_report(tmp_path, "2026-11-22")
    small = forecast(report, "small-models")
    assert small["last_small_entry"]["date"] == "2026-03-02"
    assert small["verdict"] == "supported", small
    # Gaps between small-model waves, not between release days: the median is weeks, not Qwen3.5's days.
    assert small["values"]["historical_gap_median_days"] > 30 and 90 < small["historical_gap_p90_days"] < 265
    assert small["cause"]["kind"] == "threshold" and "2026-07-01" < small["cause"]["date"] < "2026-08-01"
    derivative_repos = {d["repo"] for d in small["small_derivatives"]}
    assert "Qwen/Qwen-Drive-1.0-4B" in derivative_repos
    assert "Qwen-Drive-1.0-4B" in small["summary"]
    since = {e["entry"] for e in report["entries_since_baseline"] if e["family"] == "Qwen" and e["counted"]}
    assert {"Qwen3.6 · LM · 27B", "Qwen3.6 · LM · 35B-A3B", "Qwen3.8 · LM · 27B"} <= since
    lineup = report["lineup"]
    assert lineup["baseline_generation"] == "Qwen3.5"
    assert sorted(p["size_label"] for p in lineup["baseline"]) == sorted(
        ["0.8B", "2B", "4B", "9B", "27B", "35B-A3B", "122B-A10B", "397B-A17B"])  # the March 2026 lineup
    assert [g["generation"] for g in lineup["since"]][:2] == ["Qwen3.6", "Qwen3.8"]
    assert report["coverage"]["families"]["Qwen"].get("small") is None
    # Judged by events: Qwen3.6 (April) is an open release of a new generation, so "closing" is refuted the
    # week it shipped, and it stays refuted; Qwen-AgentWorld (a world model, a line not counted) and
    # Qwen3.8 are open releases too, and Qwen3.8's 2.4T is 5.0x the largest model Qwen had opened.
    weights = forecast(report, "open-weights")
    assert weights["verdict"] == "refuted", weights
    cause = weights["cause"]
    assert cause["kind"] == "event" and cause["entry"].startswith("Qwen3.6 · LM · ") and cause["date"] >= "2026-04-16"
    assert weights["summary"].startswith("Qwen keeps releasing open weights: Qwen3.6 released open (2026-04-")
    assert "Qwen-AgentWorld released open (" in weights["summary"] and "World model line" in weights["summary"]
    assert "Qwen3.8 · LM · 2.4T-A95B is 5.0x the largest model it had opened before" in weights["summary"]
    assert weights["summary"].endswith("; no licence tightened, gating added or repo removed on record.")
    # Releases, not size points: two waves since the baseline, too few for the cadence (4 in each window):
    # it is shown, in words from its ratio, and not used.
    values = weights["values"]
    assert values["post_baseline_waves"] == 2 and values["closing_events"] == 0 and values["cadence_used"] is False
    assert values["pace_words"] == pace_words(values["pace_ratio"]) == "about half its old pace"
    assert weights["evidence"][0].startswith("neutral: cadence not used (fewer than 4 release waves since the baseline): "
                                             "2 release waves in the 263 days since the baseline")
    assert weights["evidence"][0].endswith(f": about half its old pace ({values['pace_ratio']:.2f}x)")
    assert "keeps releasing open weights at its old pace" not in weights["summary"]
    assert all(item.split(":")[0] in ("for", "against", "neutral") for item in weights["evidence"])
    gemma = forecast(report, "open-weights", "Gemma")
    assert gemma["verdict"] != "supported"
    assert any("under apache-2.0, where most of its releases" in item for item in gemma["evidence"])
    assert [f["family"] for f in report["forecasts"]][:2] == ["Qwen", "Qwen"]


def test_report_as_of_an_earlier_day_equals_the_report_of_that_day(tmp_path: Path) -> None:
    """Poll on day 1, report; the Hub changes; poll on day 2; the day-1 report is unchanged."""
    day1 = datetime(2026, 6, 7, 6, 0, tzinfo=timezone.utc)
    day2 = datetime(2026, 6, 21, 6, 0, tzinfo=timezone.utc)
    first = real_until("2026-06-07")
    second = [m for m in real_until("2026-06-21") if m["id"] != "Qwen/Qwen2-0.5B-Instruct"]
    relicensed = next(m for m in second if m["id"] == "Qwen/Qwen3-8B")
    relicensed["cardData"] = {**relicensed.get("cardData", {}), "license": "other", "license_name": "synthetic-closed"}
    second.append(model("Qwen/Qwen3.7-4B", "2026-06-15", params_b=4.4))  # synthetic
    with ReplayHub(first) as hub:
        config_path = write_config(tmp_path, hub.url)
        config = load_config(config_path)
        db = store.open_db(config.database_path)
        run_poll(config, db, endpoint=hub.url, now=lambda: day1)
        run_cli("report", "--config", str(config_path), "--as-of", "2026-06-07", "--out", str(tmp_path / "then"))
        hub.set_models(second)
        run_poll(config, db, endpoint=hub.url, now=lambda: day2)
    run_cli("report", "--config", str(config_path), "--as-of", "2026-06-07", "--out", str(tmp_path / "now"))
    then = json.loads((tmp_path / "then" / "2026-W23.json").read_text())
    now = json.loads((tmp_path / "now" / "2026-W23.json").read_text())
    assert now == then
    later = run_cli("report", "--config", str(config_path), "--as-of", "2026-06-21", "--out", str(tmp_path / "later"))
    assert later.exit_code == 0
    report = json.loads((tmp_path / "later" / "2026-W25.json").read_text())
    assert forecast(report, "small-models")["verdict"] == "refuted"
    assert {e["kind"] for e in report["risk_events"]} == {"licence_changed", "removed"}
