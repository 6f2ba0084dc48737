"""Issue 11.1: a past-dated evaluation never touches live alert state, so it can never cause a flood."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import mail_config, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.replay.server import ReplayHub


def _state(config_path: Path) -> tuple[list[dict], list[dict]]:
    db = store.open_db(load_config(config_path).database_path)
    try:
        return list(db["alert_state"].rows), list(db["notifications"].rows)
    finally:
        db.close()


def test_alerts_as_of_a_past_day_changes_nothing_and_the_next_run_mails_nothing(
        tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port))
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))  # the welcome digest
    assert len(sink.messages) == 1
    before = _state(config_path)

    # Before the first poll: the monitor rule fires and every live condition looks resolved that day.
    past = run_cli("alerts", "--config", str(config_path), "--as-of", "2026-03-01")
    assert "read-only (--as-of is not today)" in past.output
    assert "would send" in past.output and "resolved: " in past.output  # what that day looked like is shown
    would = int(re.search(r"; (\d+) would send", past.output).group(1))
    assert past.output.count("\n--- ") == 1  # as one notification, the way it would have gone out
    assert f" (+{would - 1} more)\n{would} changes, most important first.\n" in past.output
    run_cli("run", "--config", str(config_path), "--as-of", "2026-03-01")
    assert _state(config_path) == before
    assert len(sink.messages) == 1

    plain = run_cli("alerts", "--config", str(config_path))
    assert "0 new" in plain.output
    assert len(sink.messages) == 1 and _state(config_path) == before
