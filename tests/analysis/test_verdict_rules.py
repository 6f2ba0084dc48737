"""Issue 20 through the CLI: open weights judged by events, held changes, gaps between waves, the
margin for "bigger than ever", "baseline not reached", words from the numbers they state.

The history before the baseline is the real bundled state; everything after it is SYNTHETIC
(future Qwen releases and licence changes that did not happen), polled day by day as the job would.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from conftest import run_cli, write_config
from lineupwatch.analysis.wording import PACE_BANDS, is_bigger, pace_direction, pace_words, size_words
from lineupwatch.config.settings import load_config
from lineupwatch.ops.poll import run_poll
from lineupwatch.replay.server import ReplayHub
from lineupwatch.store import database as store
from synthetic import end_of, hub_on, model, poll_days

Edit = Callable[[list[dict]], None]


def polled(tmp_path: Path, synthetic: list[dict], until: str, edits: dict[str, Edit] | None = None,
           extra: str = "", days: tuple[str, ...] = ()) -> Path:
    """Poll the real history, the synthetic repos and the edits (each applied to the Hub from its
    day on) day by day, up to `until`; returns the config path."""
    edits = edits or {}
    with ReplayHub([], page_size=500) as hub:
        config_path = write_config(tmp_path, hub.url, extra)
        config = load_config(config_path)
        db = store.open_db(config.database_path)
        for day in sorted({*poll_days(synthetic, until), *(d for d in (*edits, *days) if d <= until)}):
            models = copy.deepcopy(hub_on(day, synthetic))
            for since, edit in edits.items():
                if since <= day:
                    edit(models)
            hub.set_models(models)
            run_poll(config, db, endpoint=hub.url, now=lambda day=day: end_of(day))
        db.close()
    return config_path


def report(config_path: Path, as_of: str, extra: str = "") -> dict:
    """The report as of a day, through the CLI; `extra` adds config keys on the same database."""
    if extra:
        other = config_path.with_name(f"{config_path.stem}-{abs(hash(extra))}.toml")
        other.write_text(config_path.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")
        config_path = other
    out = config_path.parent / f"out-{as_of}-{config_path.stem}"
    run_cli("report", "--config", str(config_path), "--as-of", as_of, "--out", str(out))
    week = datetime.fromisoformat(as_of).isocalendar()
    return json.loads((out / f"{week.year}-W{week.week:02d}.json").read_text(encoding="utf-8"))


def forecast(report_json: dict, forecast_id: str, family: str = "Qwen") -> dict:
    return next(f for f in report_json["forecasts"] if f["id"] == forecast_id and f["family"] == family)


def relicense(repo_id: str, licence: str) -> Edit:
    def edit(models: list[dict]) -> None:
        target = next(m for m in models if m["id"] == repo_id)
        target["cardData"] = {**(target.get("cardData") or {}), "license": licence}
        target["tags"] = [t for t in target["tags"] if not t.startswith("license:")] + [f"license:{licence}"]
    return edit


# Four SYNTHETIC release waves of new sizes of Qwen3.5 (an older generation, its LM line): no open
# release of a new generation or line, nothing bigger, no closing event. Only the cadence moves.
# (The first comes more than 21 days after Qwen3.5's last sizes of March 2, so it is a wave of its own.)
SIZE_WAVES = [model("Qwen/Qwen3.5-14B", "2026-03-30", params_b=14.2), model("Qwen/Qwen3.5-18B", "2026-04-25", params_b=18.1),
              model("Qwen/Qwen3.5-20B", "2026-05-20", params_b=20.3), model("Qwen/Qwen3.5-24B", "2026-06-15", params_b=24.4)]


@pytest.fixture(scope="module")
def size_waves(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return polled(tmp_path_factory.mktemp("size-waves"), SIZE_WAVES, "2026-06-29",
                  days=("2026-06-10", "2026-06-22"))


def test_rate_only_change_is_reported_after_it_has_held_n_days(size_waves: Path) -> None:
    # June 15: the fourth wave since the baseline, so the cadence counts; at over twice its old pace it
    # points to "refuted". No event caused that: the report holds the old verdict for 14 days.
    within = forecast(report(size_waves, "2026-06-22"), "open-weights")
    assert within["verdict"] == "open" and within["cause"] is None
    assert within["values"]["raw_verdict"] == "refuted" and within["values"]["held_since"] == "2026-06-15"
    assert within["summary"].endswith("Since 2026-06-15 the evidence points to refuted, without an event: reported once "
                                      "it has held 14 days (7 days so far).")
    after = forecast(report(size_waves, "2026-06-29"), "open-weights")
    assert after["verdict"] == "refuted"
    assert after["cause"]["kind"] == "held" and after["cause"]["held_days"] == 14 and after["cause"]["date"] == "2026-06-29"
    assert after["cause"]["text"].startswith("held 14 days: with no event, the release cadence has pointed to refuted "
                                             "since 2026-06-15; on 2026-06-29: 4 release waves in the 117 days since the baseline")
    # Words from the numbers: the pace in the summary is the words of the ratio in `values`.
    values = after["values"]
    ratio = values["pace_ratio"]
    assert values["cadence_used"] is True and values["post_baseline_waves"] == 4 and ratio > 2
    assert values["pace_words"] == pace_words(ratio) and pace_direction(ratio) == "faster"
    assert after["summary"].startswith(f"Qwen keeps releasing open weights: pace: 4 release waves in the 117 days since "
                                       f"the baseline ({values['post_baseline_waves_per_30d']:.2f} per 30 days) against "
                                       f"{values['pre_baseline_waves']} in the 365 days before "
                                       f"({values['pre_baseline_waves_per_30d']:.2f}): {pace_words(ratio)} ({ratio:.1f}x)")
    # Held with no wait at all when the config says 0.
    at_once = forecast(report(size_waves, "2026-06-22", "[analysis]\nverdict_hold_days = 0"), "open-weights")
    assert at_once["verdict"] == "refuted" and at_once["cause"]["held_days"] == 0


def test_the_cadence_counts_only_with_four_waves_in_each_window(size_waves: Path) -> None:
    three = forecast(report(size_waves, "2026-06-10"), "open-weights")
    assert three["values"]["post_baseline_waves"] == 3 and three["values"]["cadence_used"] is False
    assert three["verdict"] == "open" and three["values"]["raw_verdict"] == "open"
    assert three["evidence"][0].startswith("neutral: cadence not used (fewer than 4 release waves since the baseline): "
                                           "3 release waves in the 98 days since the baseline")
    assert three["summary"].startswith("Qwen: no open release of a new generation or line and no closing event on "
                                       "record in the 98 days since the baseline (3 new entries of older generations: "
                                       "Qwen3.5 · LM · 14B, Qwen3.5 · LM · 18B, Qwen3.5 · LM · 20B); open.")
    # The minimum is a config key: with 3, the same waves count from May 20 (and hold from June 3).
    counted = forecast(report(size_waves, "2026-06-10", "[analysis]\ncadence_min_waves = 3"), "open-weights")
    assert counted["values"]["cadence_used"] is True and counted["verdict"] == "refuted"
    assert counted["cause"]["kind"] == "held" and counted["cause"]["date"] == "2026-06-03"


def test_an_event_changes_the_verdict_at_once_and_names_itself(tmp_path: Path) -> None:
    """A licence tightened (Qwen3-8B: apache-2.0 -> other, May 5) supports "closing" the day it is
    seen; an open release of a new generation (Qwen3.7, May 20) makes the evidence both ways."""
    config_path = polled(tmp_path, [model("Qwen/Qwen3.7-72B", "2026-05-20", params_b=72.7)], "2026-05-20",
                         edits={"2026-05-05": relicense("Qwen/Qwen3-8B", "other")}, days=("2026-05-04",))
    before = forecast(report(config_path, "2026-05-04"), "open-weights")
    assert before["verdict"] == "open" and before["cause"] is None
    closing = forecast(report(config_path, "2026-05-05"), "open-weights")
    assert closing["verdict"] == "supported"
    assert closing["cause"] == {"kind": "event", "date": "2026-05-05", "entry": None, "repo": "Qwen/Qwen3-8B",
                                "text": "Qwen/Qwen3-8B: licence apache-2.0 -> other (2026-05-05)", "held_days": None}
    assert closing["summary"] == "Qwen's open weights are closing: Qwen/Qwen3-8B: licence apache-2.0 -> other (2026-05-05)."
    both = forecast(report(config_path, "2026-05-20"), "open-weights")
    assert both["verdict"] == "open"
    assert both["cause"]["kind"] == "event" and both["cause"]["date"] == "2026-05-20"
    assert both["cause"]["entry"] == "Qwen3.7 · LM · 72B" and both["cause"]["repo"] == "Qwen/Qwen3.7-72B"
    assert both["summary"] == ("Qwen: evidence both ways, open. Closing: Qwen/Qwen3-8B: licence apache-2.0 -> other "
                               "(2026-05-05). Open releases: Qwen3.7 released open (2026-05-20, apache-2.0).")


def test_an_uncounted_line_release_is_open_evidence(tmp_path: Path) -> None:
    """A new generation's embedding model is an open release (it does not count for small-models)."""
    embedding = model("Qwen/Qwen3.7-Embedding-4B", "2026-05-12", params_b=4.0, pipeline_tag="feature-extraction")
    result = report(polled(tmp_path, [embedding], "2026-05-12"), "2026-05-12")
    weights = forecast(result, "open-weights")
    assert weights["verdict"] == "refuted"
    assert weights["cause"]["entry"] == "Qwen3.7 · Embedding · 4B" and weights["cause"]["date"] == "2026-05-12"
    assert weights["summary"].startswith("Qwen keeps releasing open weights: Qwen3.7 released open "
                                         "(2026-05-12, apache-2.0, Embedding line)")
    assert ("against: Qwen3.7 · Embedding · 4B (2026-05-12) released with open weights: Qwen3.7, a new generation "
            "(Embedding, a line not counted for the forecasts), under apache-2.0") in weights["evidence"]
    assert forecast(result, "small-models")["verdict"] == "open"


def test_bigger_than_ever_needs_the_margin(tmp_path: Path) -> None:
    """Qwen's largest model before the baseline is Qwen3-Coder-480B: 490B (+2%) is not bigger than
    ever; 650B (1.3x the 490B) is. Both are new sizes of Qwen3.5, so nothing else is evidence."""
    models = [model("Qwen/Qwen3.5-490B-A20B", "2026-05-01", params_b=490.0),
              model("Qwen/Qwen3.5-650B-A30B", "2026-06-01", params_b=650.0)]
    config_path = polled(tmp_path, models, "2026-06-01", days=("2026-05-20",))
    same = forecast(report(config_path, "2026-05-20"), "open-weights")
    assert same["verdict"] == "open" and same["values"]["open_releases"] == 0
    assert not any("bigger than any" in item for item in same["evidence"]) and "bigger" not in same["summary"]
    bigger = forecast(report(config_path, "2026-06-01"), "open-weights")
    assert bigger["verdict"] == "refuted"
    assert bigger["cause"]["text"] == ("Qwen3.5 · LM · 650B-A30B (2026-06-01) is bigger than any model it had opened "
                                       "before (650B, 1.3x its previous largest, 490B)")
    # The margin is a config key: at 1.01, +2% is bigger.
    loose = forecast(report(config_path, "2026-05-20", "[analysis]\nbigger_margin = 1.01"), "open-weights")
    assert loose["verdict"] == "refuted" and "(490B, 1.0x its previous largest, 480B)" in loose["cause"]["text"]


def test_before_the_baseline_forecasts_say_baseline_not_reached(tmp_path: Path) -> None:
    result = report(polled(tmp_path, [], "2026-02-22"), "2026-02-22")
    small, weights = forecast(result, "small-models"), forecast(result, "open-weights")
    assert small["summary"].startswith("Baseline not reached: Qwen's small-model forecast is judged from the baseline, "
                                       "2026-03-04 (10 days from 2026-02-22); its last small entry is ")
    assert weights["summary"] == ("Baseline not reached: Qwen's open-weights forecast is judged from the baseline, "
                                  "2026-03-04 (10 days from 2026-02-22).")
    assert small["verdict"] == weights["verdict"] == "open"
    assert weights["values"]["baseline_reached"] is False and weights["evidence"] == []
    text = json.dumps(result["forecasts"])
    assert "days since the baseline" not in text and "per 30 days" not in text


def test_gaps_are_between_small_model_waves_and_no_gap_alert_below_the_p90(tmp_path: Path) -> None:
    config_path = polled(tmp_path, [], "2026-07-20", days=("2026-05-20",))
    may = forecast(report(config_path, "2026-05-20"), "small-models")
    values = may["values"]
    longest, p90, since = values["historical_gap_longest_days"], values["historical_gap_p90_days"], values["days_since_last_small"]
    # Gaps inside a wave (Qwen3.5's sizes days apart) are not gaps between waves: the median is weeks, not days.
    assert values["historical_gap_median_days"] > 30 and values["gaps_before_baseline"] >= 10
    # Qwen's longest: from Qwen3's sizes and Qwen2.5-Omni-3B (2025-04-30) to Qwen3-VL's (2025-10-08); the
    # re-releases between them (Qwen3-4B-2507, -SafeRL) launch no new size and make no wave.
    assert longest == 161
    assert since == 79 and 79 < p90 <= longest
    assert (f"gap since then: 79 days, {79 / longest:.2f}x Qwen's longest gap between small-model waves before the "
            f"baseline ({longest} days); p90 of its {values['gaps_before_baseline']} gaps between small-model waves "
            f"before the baseline: {p90:g} days") in may["evidence"][1]
    assert f"{days_left(p90, since)} more to pass the p90 gap between its small-model waves before the baseline" in may["summary"]

    run_cli("alerts", "--config", str(config_path))  # today: records what holds now (the gap does, long since)
    db = store.open_db(load_config(config_path).database_path)
    gap = next(row for row in db["alert_state"].rows if row["rule"] == "small_gap_over_p90" and '"Qwen"' in row["labels"])
    db.close()
    days = int(re.match(r"Qwen: (\d+) days without a small model", gap["subject"]).group(1))
    assert days == (date.today() - date(2026, 3, 2)).days
    assert gap["subject"] == (f"Qwen: {days} days without a small model (p90 gap between small-model waves "
                              f"{p90:.0f} days; {days / p90:.1f}x)")
    below = run_cli("alerts", "--config", str(config_path), "--as-of", "2026-05-20")  # 79 days: below the p90
    assert "resolved: Qwen: " in below.output and "without a small model" in below.output
    above = run_cli("alerts", "--config", str(config_path), "--as-of", "2026-07-20")  # 140 days: above it
    assert "resolved: Qwen: " not in above.output


def days_left(p90: float, since: int) -> str:
    left = int(p90) + 1 - since
    return f"{left} day{'s' if left != 1 else ''}"


@pytest.mark.parametrize("ratio, words", [
    (0.0, "no release at all"), (0.23, "well under half its old pace"), (0.56, "about half its old pace"),
    (0.8, "slower than its old pace"), (0.9, "about its old pace"), (1.0, "about its old pace"),
    (1.1, "about its old pace"), (1.3, "faster than its old pace"), (2.0, "about twice its old pace"),
    (3.2, "about 3 times its old pace"), (None, "no old pace to compare with"),
])
def test_pace_words_follow_the_stated_bands(ratio: float | None, words: str) -> None:
    assert pace_words(ratio) == words
    assert [bound for bound, _, _ in PACE_BANDS] == sorted(bound for bound, _, _ in PACE_BANDS)


def test_size_words_say_bigger_only_past_the_margin() -> None:
    assert not is_bigger(9.8, 9.6, 1.25) and not is_bigger(355, 350, 1.25) and is_bigger(2400, 480, 1.25)
    assert size_words(2400, 480, 1.25) == "bigger than any model it had opened before (2400B, 5.0x its previous largest, 480B)"
    assert size_words(9.8, 9.6, 1.25).startswith("about the size of the largest it had opened before (9.8B, +2% on 9.6B")


def test_days_since_is_one_definition(tmp_path: Path) -> None:
    """On the baseline day: 0 days since it, and no rate over zero days."""
    weights = forecast(report(polled(tmp_path, [], "2026-03-04"), "2026-03-04"), "open-weights")
    assert weights["values"]["days_since_baseline"] == 0 and weights["values"]["post_baseline_waves_per_30d"] is None
    assert "in the 0 days since the baseline (no rate on the baseline day)" in weights["evidence"][0]


def test_a_verdict_alert_says_why(tmp_path: Path) -> None:
    """The alert history says why a verdict moved: the event, its repo and day."""
    before = "2026-06-01"
    config_path = polled(tmp_path, [], before)
    run_cli("alerts", "--config", str(config_path))  # today: the welcome digest records the verdicts
    with ReplayHub([], page_size=500) as hub:  # the same database, one more poll: Qwen3-8B's licence tightened
        config = load_config(config_path)
        models = copy.deepcopy(hub_on("2026-06-10", []))
        relicense("Qwen/Qwen3-8B", "other")(models)
        hub.set_models(models)
        db = store.open_db(config.database_path)
        run_poll(config, db, endpoint=hub.url, now=lambda: end_of("2026-06-10"))
        db.close()
    result = run_cli("alerts", "--config", str(config_path), "--dry-run")
    # No open release since the baseline in this history (the real one ends there): the tightened licence,
    # a closing event, supports "closing" at once, and the mail says so.
    assert "Qwen open-weights forecast: supported\n[warning, changed]\nQwen's open weights are closing: " in result.output
    assert "Why (2026-06-10): Qwen/Qwen3-8B: licence apache-2.0 -> other (2026-06-10)." in result.output
