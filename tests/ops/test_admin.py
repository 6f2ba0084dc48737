"""Issue 14.5: an admin's install: init, --config anywhere, units, container, permissions, one log path."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import run_cli, write_config
from lineupwatch.replay.server import ReplayHub

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "config" / "systemd"


def test_init_writes_the_commented_config_and_directories_and_keeps_an_existing_one(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "site"))
    config = tmp_path / "site" / "config" / "lineupwatch.toml"
    assert config.read_text(encoding="utf-8") == (ROOT / "config" / "lineupwatch.toml").read_text(encoding="utf-8")
    assert (tmp_path / "site" / "data").is_dir() and (tmp_path / "site" / "reports").is_dir()
    assert f"wrote {config}" in result.output
    config.write_text("watch = [\"Qwen\"]\n", encoding="utf-8")
    again = run_cli("init", str(tmp_path / "site"), ok=False)
    assert again.exit_code == 1
    assert again.output == f"Error: {config} exists; keeping it (pass --force to replace it with the default)\n"
    assert config.read_text(encoding="utf-8") == "watch = [\"Qwen\"]\n"
    run_cli("init", "--force", str(tmp_path / "site"))
    assert "Llama" in config.read_text(encoding="utf-8")


def test_config_before_or_after_the_command(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url)
    run_cli("poll", "--config", str(config_path))
    after = run_cli("status", "--config", str(config_path)).output
    before = run_cli("--config", str(config_path), "status").output
    assert before == after and "ok" in before


def test_report_on_a_database_without_a_successful_poll_writes_nothing(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, "http://127.0.0.1:9", request_timeout_s=0.5, poll_deadline_s=3.0)
    assert run_cli("poll", "--config", str(config_path), ok=False).exit_code == 1  # recorded as failed
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = run_cli("report", "--config", str(config_path), ok=False)
    assert result.exit_code == 1 and "no successful poll" in result.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not (tmp_path / "reports").exists()


def test_reports_are_readable_by_a_web_server_under_the_shipped_umask(tmp_path: Path, hub: ReplayHub) -> None:
    umasks = {re.search(r"^UMask=(\d+)$", unit.read_text(), re.M).group(1) for unit in UNITS.glob("*.service")}
    assert len(umasks) == 1
    config_path = write_config(tmp_path, hub.url)
    old = os.umask(int(umasks.pop(), 8))
    try:
        run_cli("poll", "--config", str(config_path))
        run_cli("report", "--config", str(config_path), "--out", str(tmp_path / "www" / "reports"))
    finally:
        os.umask(old)
    for path in [tmp_path / "www", *(tmp_path / "www").rglob("*")]:
        mode = path.stat().st_mode
        assert mode & stat.S_IROTH, path
        if path.is_dir():
            assert mode & stat.S_IXOTH, path
    assert not (tmp_path / "db" / "lineupwatch.db").stat().st_mode & stat.S_IROTH  # the database stays private


def test_the_daemon_unit_runs_schedule_beside_the_timer_unit() -> None:
    timer = (UNITS / "lineupwatch.timer").read_text()
    daemon = (UNITS / "lineupwatch-schedule.service").read_text()
    assert "Unit=lineupwatch.service" in timer
    assert re.search(r"^ExecStart=\S+/lineupwatch schedule --config \S+$", daemon, re.M)
    assert re.search(r"^Restart=on-failure$", daemon, re.M) and "Type=simple" in daemon


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    for unit in UNITS.iterdir():  # the venv's path does not exist here: point ExecStart at a real program
        (tmp_path / unit.name).write_text(re.sub(r"^ExecStart=\S+", "ExecStart=/bin/echo", unit.read_text(), flags=re.M))
    units = sorted(str(path) for path in tmp_path.iterdir())
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_container_runs_the_daemon_with_state_on_a_volume() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert re.search(r'^CMD \["lineupwatch", "schedule"\]$', dockerfile, re.M)
    assert "lineupwatch init /var/lib/lineupwatch" in dockerfile and 'VOLUME ["/var/lib/lineupwatch"]' in dockerfile
    daemon, web = compose["services"]["lineupwatch"], compose["services"]["reports"]
    assert daemon["command"] == ["lineupwatch", "schedule"] and "lineupwatch:/var/lib/lineupwatch" in daemon["volumes"]
    served = web["volumes"][0]
    assert (served["source"], served["volume"]["subpath"], served["read_only"]) == ("lineupwatch", "reports", True)
    assert "lineupwatch" in compose["volumes"]


def test_one_log_path_in_the_readme_and_the_docs() -> None:
    texts = [(ROOT / "README.md").read_text(), *(p.read_text() for p in (ROOT / "docs").glob("*.md"))]
    paths = {m for text in texts for m in re.findall(r">>\s*(\S+\.log)", text)}
    assert paths == {"/var/log/lineupwatch/run.log"}
