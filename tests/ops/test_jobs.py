"""`lineupwatch run` (the cron/systemd job) and `lineupwatch demo`, end to end through the CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from conftest import bundled_models, mail_config, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.normalize.records import normalize_repos
from lineupwatch.replay.server import ReplayHub


def last_complete_week(today: date) -> str:
    """The ISO week that ended on the last Sunday before today (a Sunday's own week is not over)."""
    year, week, _ = (today - timedelta(days=today.isoweekday())).isocalendar()
    return f"{year}-W{week:02d}"


def test_run_polls_writes_the_due_report_once_and_mails_once(tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port))
    week = last_complete_week(date.today())
    watched = len(normalize_repos(bundled_models(), load_config(config_path)))

    first = run_cli("run", "--config", str(config_path))
    assert f"poll 1: {watched} repos" in first.output
    assert f"report: {tmp_path / 'reports' / week}.html" in first.output
    assert {p.name for p in (tmp_path / "reports").iterdir()} >= {f"{week}.md", f"{week}.json", "index.html", "feed.xml"}
    assert len(sink.messages) == 1  # the welcome digest

    second = run_cli("run", "--config", str(config_path))
    assert f"poll 2: {watched} repos" in second.output and "report:" not in second.output  # the week's report exists
    assert len(sink.messages) == 1

    write_config(tmp_path, "http://127.0.0.1:9", mail_config(port), max_retries=0)  # the Hub goes away
    failed = run_cli("run", "--config", str(config_path), ok=False)
    assert failed.exit_code == 1
    assert "poll of org 'Qwen' at http://127.0.0.1:9 failed: page 1: cannot connect" in failed.output
    assert "alerts:" in failed.output  # the failed poll still reaches the monitor rules
    db = store.open_db(load_config(config_path).database_path)
    assert [p["status"] for p in db["polls"].rows] == ["ok", "ok", "failed"]
    assert db["repos"].count_where("removed_poll IS NOT NULL") == 0


def test_demo_lives_through_the_timeline_poll_by_poll(tmp_path: Path) -> None:
    """The demo polls the bundled timeline once a day from 2026-01-05 (at the timer's 06:17 UTC).
    As of 2026-04-30 Qwen3.6 (35B-A3B, 27B) is inside its completion window: not settled yet."""
    result = run_cli("demo", "--out", str(tmp_path / "demo"), "--as-of", "2026-04-30")
    html = tmp_path / "demo" / "reports" / "2026-W18.html"
    assert result.output.rstrip().endswith(f"The report: {html}")
    assert "polls: 116 (one a day)" in result.output
    assert "2026-W01: Qwen small-models starts open" in result.output
    # Each verdict change says why: here the event (an open release of a new generation).
    assert ("2026-W16: Qwen open-weights open -> refuted; why: Qwen3.6 · LM · 35B-A3B (2026-04-17) released "
            "with open weights: Qwen3.6, a new generation, under apache-2.0") in result.output
    report = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
    small = next(f for f in report["forecasts"] if f["family"] == "Qwen" and f["id"] == "small-models")
    assert small["verdict"] == "open"
    # Qwen3.5-0.8B went public at 06:58 UTC on 2026-03-02, after that day's poll: first seen on 03-03.
    assert small["last_small_entry"] == {"entry": "Qwen3.5 · LM · 0.8B", "date": "2026-03-03"}
    since = {e["entry"]: e for e in report["entries_since_baseline"]}
    assert since["Qwen3.6 · LM · 27B"]["released_from"] == "seen"
    # gemma-4-E2B-it was created 2026-03-02 (before the baseline) and went public 2026-04-02.
    gemma = next(e for e in report["entries_since_baseline"] if "google/gemma-4-E2B-it" in e["repos"])
    assert (gemma["released"], gemma["released_from"]) == ("2026-04-02", "seen")
    weeks = sorted(p.stem for p in (tmp_path / "demo" / "reports").glob("2026-W*.json"))
    assert weeks[0] == "2026-W01" and weeks[-1] == "2026-W18" and len(weeks) == 18
    db = store.open_db(tmp_path / "demo" / "lineupwatch.db")
    assert db["polls"].count == 116
    late = db.execute("SELECT COUNT(*) FROM repos WHERE released_from = 'seen' "
                      "AND substr(released_at, 1, 10) > substr(created_at, 1, 10)").fetchone()[0]
    assert late > 50  # first-seen dates that differ from createdAt
