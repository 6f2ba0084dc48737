"""Scheduling: cron parsing, the daemon as a real subprocess, and the systemd units."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import write_config
from lineupwatch.config.settings import parse_config
from lineupwatch.replay.server import ReplayHub
from lineupwatch.config.cron import parse_cron
from lineupwatch.ops.schedule import next_run_times

ROOT = Path(__file__).parents[2]
UNITS = ROOT / "config" / "systemd"


def test_five_and_six_field_cron() -> None:
    config = parse_config({"schedule": {"run_cron": "17 6 * * 1"}}, Path("t.toml"))
    monday = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)
    assert [t.isoformat() for t in next_run_times(config, monday, 2)] == [
        "2026-11-30T06:17:00+00:00", "2026-12-07T06:17:00+00:00"]
    trigger = parse_cron("*/2 * * * * *", "UTC")
    fire = trigger.get_next_fire_time(None, datetime(2026, 1, 1, 0, 0, 1, tzinfo=timezone.utc))
    assert fire.second == 2
    with pytest.raises(ValueError):
        parse_cron("61 * * * *", "UTC")


def test_daemon_runs_the_job_and_stops_cleanly_on_sigterm(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url, '[schedule]\nrun_cron = "*/2 * * * * *"')
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    daemon = subprocess.Popen([sys.executable, "-m", "lineupwatch", "schedule", "--config", str(config_path)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    database = tmp_path / "db" / "lineupwatch.db"
    deadline = time.monotonic() + 60
    polled = False
    while time.monotonic() < deadline and not polled and daemon.poll() is None:
        time.sleep(0.3)
        if database.exists():
            with sqlite3.connect(database) as conn:
                try:
                    polled = conn.execute("SELECT count(*) FROM polls WHERE status = 'ok'").fetchone()[0] > 0
                except sqlite3.OperationalError:  # tables not created yet
                    pass
    daemon.send_signal(signal.SIGTERM)
    try:
        _, stderr = daemon.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        daemon.kill()
        pytest.fail(f"the daemon did not stop within 30 s of SIGTERM:\n{daemon.communicate()[1]}")
    assert polled, stderr
    assert daemon.returncode == 0, stderr
    assert "scheduler started: */2 * * * * * (UTC)" in stderr
    assert "run ok in" in stderr or "run failed in" in stderr
    assert "received SIGTERM, stopping after the running job" in stderr
    assert stderr.rstrip().endswith("stopped")


def read_unit(path: Path) -> dict[str, list[str]]:
    """Key -> values of a unit file (systemd allows repeated keys, so configparser does not fit)."""
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_service_is_sandboxed_and_runs_the_one_shot_job() -> None:
    unit = read_unit(UNITS / "lineupwatch.service")
    assert unit["ExecStart"][0].split()[1:3] == ["run", "--config"]
    assert unit["ExecStart"][0].split()[0].endswith("/lineupwatch")
    assert unit["Type"] == ["oneshot"] and unit["User"] == ["lineupwatch"]
    assert unit["ProtectSystem"] == ["strict"] and unit["ReadWritePaths"] == ["/var/lib/lineupwatch"]
    for key in ("ProtectHome", "PrivateTmp", "NoNewPrivileges", "PrivateDevices"):
        assert unit[key] == ["yes"], key
    timer = read_unit(UNITS / "lineupwatch.timer")
    assert timer["Unit"] == ["lineupwatch.service"] and timer["Persistent"] == ["true"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not on this machine")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    """The ExecStart binary exists only on a deployed machine: point it at this Python to verify the rest."""
    service = (UNITS / "lineupwatch.service").read_text().replace("/opt/lineupwatch/.venv/bin/lineupwatch", sys.executable)
    (tmp_path / "lineupwatch.service").write_text(service)
    shutil.copy(UNITS / "lineupwatch.timer", tmp_path / "lineupwatch.timer")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", "lineupwatch.service", "lineupwatch.timer"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
