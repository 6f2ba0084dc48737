"""Issue 11.4: status, report and alerts --dry-run read beside a writer: no migration, no lock, no failure."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import sqlite_utils

from conftest import bundled_models, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.config.settings import load_config
from lineupwatch.replay.server import ReplayHub

SRC = str(Path(__file__).parents[2] / "src")


def test_readers_during_a_first_poll_on_a_new_database(tmp_path: Path) -> None:
    with ReplayHub(bundled_models(), page_size=50, latency_s=0.15) as slow_hub:
        config_path = write_config(tmp_path, slow_hub.url, children_budget=0)
        env = {**os.environ, "PYTHONPATH": SRC}
        writer = subprocess.Popen([sys.executable, "-m", "lineupwatch", "poll", "--config", str(config_path)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        outputs = []
        while writer.poll() is None:
            outputs.append(("status", run_cli("status", "--config", str(config_path), ok=False)))
            outputs.append(("dry-run", run_cli("alerts", "--dry-run", "--config", str(config_path), ok=False)))
            outputs.append(("report", run_cli("report", "--config", str(config_path), "--out",
                                              str(tmp_path / "out"), ok=False)))
            time.sleep(0.05)
        assert writer.wait(timeout=60) == 0, writer.stdout.read()
    assert len(outputs) >= 6
    for command, result in outputs:
        assert "locked" not in result.output, (command, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, result.exception)
        if command == "status":  # unhealthy until the first poll has stored data: one clear Error line
            assert result.exit_code == 0 or result.output.strip().splitlines()[-1].startswith("Error: no "), result.output
        else:  # nothing to read yet is a clear one-line refusal, never a crash
            assert result.exit_code in (0, 1), result.output
            assert result.exit_code == 0 or len(result.output.strip().splitlines()) == 1, result.output
    assert run_cli("status", "--config", str(config_path)).output.count(" ok ") >= 1


def test_readers_never_migrate_an_older_database(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url)
    path = load_config(config_path).database_path
    path.parent.mkdir(parents=True)
    latest = [m.name for m in store.MIGRATIONS.pending(sqlite_utils.Database(memory=True))][-1]
    old = sqlite_utils.Database(path)
    store.MIGRATIONS.apply(old, stop_before=latest)  # a database from the previous version
    old.close()

    status = run_cli("status", "--config", str(config_path), ok=False)  # reads what it can; no poll yet: exit 1
    assert status.exit_code == 1 and f"(schema version {len(store.MIGRATIONS.applied(old_db(path)))})" in status.output
    for args in (["report"], ["alerts", "--dry-run"], ["alerts", "--as-of", "2026-03-01"]):
        result = run_cli(*args, "--config", str(config_path), ok=False)
        assert result.exit_code == 1 and f"needs {latest}" in result.output, args
        assert len(result.output.strip().splitlines()) == 1
    assert [m.name for m in store.MIGRATIONS.pending(sqlite_utils.Database(path))] == [latest]

    run_cli("poll", "--config", str(config_path))  # the writer upgrades, under the lock
    assert store.MIGRATIONS.pending(sqlite_utils.Database(path)) == []
    assert f"(schema version {store.schema_version(old_db(path))})" in run_cli("status", "--config", str(config_path)).output


def test_report_without_a_database_says_what_to_run(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url)
    result = run_cli("report", "--config", str(config_path), ok=False)
    assert result.exit_code == 1
    assert result.output == (f"Error: no database at {tmp_path / 'db' / 'lineupwatch.db'} yet: "
                             "run `lineupwatch run` (or `lineupwatch poll`) to create it\n")
    assert not (tmp_path / "db" / "lineupwatch.db").exists()


def test_the_daemon_logs_why_a_run_failed_in_one_line(tmp_path: Path) -> None:
    import signal

    config_path = write_config(tmp_path, "http://127.0.0.1:9", '[schedule]\nrun_cron = "*/1 * * * * *"', max_retries=0)
    daemon = subprocess.Popen([sys.executable, "-m", "lineupwatch", "schedule", "--config", str(config_path)],
                              env={**os.environ, "PYTHONPATH": SRC}, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(" run failed (" in line for line in lines):
        lines.append(daemon.stderr.readline())
    daemon.send_signal(signal.SIGTERM)
    daemon.communicate(timeout=30)
    failed = next(line for line in lines if " run failed (" in line)
    assert "INFO run failed (1 failure(s) in poll) in " in failed
    assert "; next run 20" in failed  # what failed, duration and the next run, on that one line
    cause = [line for line in lines if " ERROR step=poll status=failed org=Qwen " in line]
    assert cause and "poll of org 'Qwen' at http://127.0.0.1:9 failed: page 1: cannot connect" in cause[0]


def old_db(path: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(path)
