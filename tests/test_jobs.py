"""`lineupwatch run` (the cron/systemd job) and `lineupwatch demo`, end to end through the CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from conftest import bundled_models, mail_config, run_cli, write_config
from lineupwatch import store
from lineupwatch.config import load_config
from lineupwatch.normalize import normalize_repos
from lineupwatch.replay import ReplayHub


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


def test_demo_answers_as_of_a_day_with_a_report_per_week(tmp_path: Path) -> None:
    """As of 2026-04-30 Qwen3.6 (35B-A3B, 27B) is inside its completion window: not settled yet."""
    result = run_cli("demo", "--out", str(tmp_path / "demo"), "--as-of", "2026-04-30")
    html = tmp_path / "demo" / "reports" / "2026-W18.html"
    assert result.output.rstrip().endswith(f"The report: {html}")
    report = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))
    small = next(f for f in report["forecasts"] if f["family"] == "Qwen" and f["id"] == "small-models")
    assert (small["verdict"], small["last_small_entry"]) == ("open", {"entry": "Qwen3.5 · LM · 9B", "date": "2026-03-02"})
    assert "Qwen3.6 · LM · 27B" in {e["entry"] for e in report["entries_since_baseline"]}
    weeks = sorted(p.stem for p in (tmp_path / "demo" / "reports").glob("2026-W*.json"))
    assert weeks[0] == "2026-W10" and weeks[-1] == "2026-W18" and len(weeks) == 9
