"""Issue 23.6, operations: the run log, one line per failure, `status` as a health check, startup."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import run_cli, write_config

import lineupwatch.ops.poll
from lineupwatch.config.settings import load_config
from lineupwatch.replay.server import ReplayHub

ROOT = Path(__file__).resolve().parents[2]
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
LOG_LINE = re.compile(rf"^{STAMP} (INFO|WARNING|ERROR) step=(\S+) status=(\S+) ")


def _age_polls(config_path: Path, days: float) -> None:
    """Move every poll `days` into the past, as if the timer had stopped then."""
    with sqlite3.connect(load_config(config_path).database_path) as conn:
        for poll_id, started in conn.execute("SELECT id, started_at FROM polls").fetchall():
            moved = datetime.fromisoformat(started) - timedelta(days=days)
            conn.execute("UPDATE polls SET started_at = ? WHERE id = ?", [moved.isoformat(timespec="seconds"), poll_id])


def test_status_is_healthy_after_a_recent_poll_and_says_so_in_json(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url)
    run_cli("poll", "--config", str(config_path))
    text = run_cli("status", "--config", str(config_path)).output
    assert re.search(r"^health: ok \(last good poll \d+(\.\d)? hours ago; threshold 48 hours\)$", text, re.MULTILINE)
    health = json.loads(run_cli("status", "--json", "--config", str(config_path)).stdout)
    assert health["healthy"] is True and health["problem"] is None
    assert health["threshold_hours"] == 48.0 and 0 <= health["last_good_poll_age_hours"] < 1
    assert health["last_poll"] == health["last_good_poll"] and health["last_poll"]["status"] == "ok"
    assert health["counts"]["polls"] == health["counts"]["good_polls"] == 1
    assert health["counts"]["repos_present"] > 600 and health["counts"]["repos_removed"] == 0
    assert set(health) >= {"database", "now", "schema_version", "last_stream_run"}


def test_status_exits_1_when_the_last_good_poll_is_14_days_old(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url)
    run_cli("poll", "--config", str(config_path))
    _age_polls(config_path, 14)

    result = run_cli("status", "--config", str(config_path), ok=False)
    assert result.exit_code == 1
    assert "health: STALE" in result.stdout
    error = result.stderr.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("Error: stale: the last good poll was 336.")
    assert "over alerts.stale_poll_hours = 48" in error[0] and "`lineupwatch run` polls now" in error[0]

    as_json = run_cli("status", "--json", "--config", str(config_path), ok=False)
    assert as_json.exit_code == 1
    health = json.loads(as_json.stdout)
    assert health["healthy"] is False and health["problem"].startswith("stale: ")
    assert 336 <= health["last_good_poll_age_hours"] < 337

    # the threshold is the config's: a fortnight allowed is healthy again
    write_config(tmp_path, hub.url, "[alerts]\nstale_poll_hours = 400.0")
    assert run_cli("status", "--config", str(config_path)).exit_code == 0


def test_status_exits_1_when_no_poll_ever_stored_data(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, "http://127.0.0.1:9", max_retries=0)
    missing = run_cli("status", "--config", str(config_path), ok=False)
    assert missing.exit_code == 1 and "Error: no database at " in missing.stderr
    run_cli("poll", "--config", str(config_path), ok=False)  # recorded as failed
    result = run_cli("status", "--json", "--config", str(config_path), ok=False)
    health = json.loads(result.stdout)
    assert result.exit_code == 1 and health["healthy"] is False and health["last_good_poll"] is None
    assert health["last_poll"]["status"] == "failed"
    assert health["problem"].startswith("no poll has stored data in ")


def test_the_run_log_has_a_utc_line_per_step_in_text_and_json(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url, stream=True, stream_rate_reserve=-1)
    result = run_cli("poll", "--config", str(config_path))
    lines = result.stderr.splitlines()
    assert [LOG_LINE.match(line).group(2, 3) for line in lines] == [("poll", "ok"), ("stream", "ok"), ("run", "ok")]
    assert re.search(r"step=poll status=ok duration_s=\d+\.\d poll 1: \d+ repos", lines[0])
    assert lines[-1].endswith(" poll ok in " + lines[-1].rsplit(" poll ok in ", 1)[1])

    for args in (["--log-format", "json", "poll"], ["poll", "--log-format", "json"]):
        result = run_cli(*args, "--config", str(config_path))
        records = [json.loads(line) for line in result.stderr.splitlines()]
        assert [(r["step"], r["status"], r["level"]) for r in records] == [
            ("poll", "ok", "info"), ("stream", "ok", "info"), ("run", "ok", "info")]
        assert all(re.fullmatch(STAMP, r["time"]) for r in records)
        assert records[0]["message"].startswith("poll ") and isinstance(records[0]["duration_s"], float)


def test_a_partial_poll_gives_one_line_per_failed_org_once(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url, '[families.GLM]\norgs = ["THUDM"]')
    result = run_cli("poll", "--config", str(config_path), ok=False)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if " ERROR " in line]
    assert len(errors) == 2, result.output  # the org, then the run's last line
    assert re.match(rf"{STAMP} ERROR step=poll status=failed org=THUDM poll of org 'THUDM' at {hub.url} failed: "
                    r"the Hub lists no repos for this org .*\(org renamed\? set families\.GLM\.orgs in ", errors[0])
    assert errors[1].endswith("poll failed in " + errors[1].rsplit("poll failed in ", 1)[1])
    assert "1 failure(s) in poll (each on its line above, with what to do)" in errors[1]
    assert result.output.count("the Hub lists no repos for this org") == 1
    assert "WARNING step=poll status=partial" in result.output
    assert "; partial: 1 org(s) failed and were not stored" in result.output
    assert "Error:" not in result.output


def test_a_hub_that_is_down_is_one_line_not_one_per_org(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, "http://127.0.0.1:9", max_retries=0)
    result = run_cli("--log-format", "json", "poll", "--config", str(config_path), ok=False)
    records = [json.loads(line) for line in result.stderr.splitlines()]
    failed = [r for r in records if r.get("step") == "poll" and r.get("status") == "failed" and "org" in r]
    assert len(failed) == 1 and failed[0]["org"] == "Qwen"
    assert len(records) == 3 and all("Connection refused" not in r["message"] for r in records[1:])  # said once
    assert failed[0]["error"].startswith("page 1: cannot connect")
    assert failed[0]["error"].endswith("13 more org(s) not polled for it")
    assert failed[0]["todo"] and len(failed[0]["message"]) < 400


def test_a_long_exception_is_cut_to_one_short_line(tmp_path: Path, hub: ReplayHub,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def breaking(models: list[dict], config: object) -> list:
        raise ValueError("a very long complaint " * 120)  # 2,640 characters

    monkeypatch.setattr(lineupwatch.ops.poll, "normalize_repos", breaking)
    config_path = write_config(tmp_path, hub.url)
    result = run_cli("poll", "--config", str(config_path), ok=False)
    errors = [line for line in result.output.splitlines() if " ERROR step=poll status=failed " in line]
    assert len(errors) == 1  # the repo it broke on (found by trying each alone) is named
    error = errors[0].split(" failed: ", 1)[1]
    assert re.search(r"ValueError: a very long complaint .*… \(at ops/poll\.py:\d+\) \(nothing of this poll", error)
    assert len(error) < 300 + 200  # the error, then what to do
    assert result.output.count("a very long complaint") <= 60  # cut, and said once


HEAVY = ("numpy", "matplotlib", "jinja2", "huggingface_hub", "pydantic", "sqlite_utils", "apscheduler", "tabulate",
         "apprise", "tqdm", "pyarrow", "lineupwatch.report", "lineupwatch.alerts", "lineupwatch.analysis")


def _loaded_after(args: list[str]) -> list[str]:
    """The heavy modules a fresh interpreter holds after running the CLI with `args`."""
    code = ("import sys\nfrom lineupwatch.cli import cli\n"
            f"try:\n    cli({args!r}, standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_help_and_status_import_nothing_heavy(tmp_path: Path, hub: ReplayHub) -> None:
    """`lineupwatch --help` and `status` (Docker's health check, every minute) start in well under
    0.2 s only while the CLI imports each command's modules when it runs: a heavy import back at
    the top of cli.py, or in the config or status path, fails here (no timing is asserted)."""
    assert _loaded_after(["--help"]) == []
    config_path = write_config(tmp_path, hub.url)
    run_cli("poll", "--config", str(config_path))
    assert _loaded_after(["status", "--config", str(config_path)]) == []
    assert _loaded_after(["status", "--json", "--config", str(config_path)]) == []

