"""Issue 11.3: every key's encoding, type and range is checked; each mistake is one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli


@pytest.mark.parametrize("body, message", [
    ("[mail]\nport = 99999\n", "key 'mail.port': must be less than or equal to 65535, got 99999"),
    ("[mail]\nport = 0\n", "key 'mail.port': must be greater than or equal to 1, got 0"),
    ("[hub]\nmax_retries = -1\n", "key 'hub.max_retries': must be greater than or equal to 0, got -1"),
    ("[hub]\nrequest_timeout_s = 0\n", "key 'hub.request_timeout_s': must be greater than 0, got 0"),
    ("[hub]\nchildren_budget = -5\n", "key 'hub.children_budget': must be greater than or equal to 0, got -5"),
    ("[analysis]\ngap_percentile = 250\n", "key 'analysis.gap_percentile': must be less than or equal to 100, got 250"),
    ("[analysis]\nwave_gap_days = -3\n", "key 'analysis.wave_gap_days': must be greater than or equal to 1, got -3"),
    ("[analysis]\ncoverage_window_days = 0\n", "key 'analysis.coverage_window_days': must be greater than or equal to 1"),
    ("[analysis]\ncadence_drop_fraction = 1.5\n", "key 'analysis.cadence_drop_fraction': must be less than or equal to 1"),
    ("[size_classes]\ntiny = -2.0\n", "key 'size_classes.tiny': must be greater than 0, got -2.0"),
    ("[alerts]\nfailed_polls_in_a_row = 0\n", "key 'alerts.failed_polls_in_a_row': must be greater than or equal to 1"),
    ("[alerts]\nstale_poll_hours = -1\n", "key 'alerts.stale_poll_hours': must be greater than 0"),
    ("[alerts]\nrepos_removed = 1\n", "key 'alerts.repos_removed': expected true or false, got int 1"),
    ("[mail]\nport = \"25\"\n", "key 'mail.port': expected an integer, got str '25'"),
    ("[mail]\nport = 25.5\n", "key 'mail.port': expected an integer, got float 25.5"),
    ("[mail]\nrecipients = [\"a@example.org\", 3]\n", "key 'mail.recipients[1]': expected a string, got int 3"),
    ("[mail]\nrecipients = [\"not an address\"]\n", "key 'mail.recipients[0]': expected a mail address"),
    ("[mail]\nreport_url = \"/var/www/reports\"\n", "key 'mail.report_url': expected an http(s) URL"),
    ("[mail]\ndomain = \"example.org>\"\n", "key 'mail.domain': expected a domain like example.org"),
    ("[storage]\ndatabase = \"\"\n", "key 'storage.database': must have at least 1 character"),
    ("[schedule]\nmisfire_grace_s = 0\n", "key 'schedule.misfire_grace_s': must be greater than or equal to 1"),
    ("[schedule]\ntimezone = \"Mars/Olympus\"\n", "key 'schedule.timezone': unknown time zone 'Mars/Olympus'"),
    ("[schedule]\nrun_cron = \"0 6 31 2 *\"\n", "key 'schedule.run_cron': cron expression '0 6 31 2 *' never fires"),
    ("[webhooks]\nurls = [\"nope://x\"]\n", "key 'webhooks.urls[0]': Apprise cannot use this URL (scheme 'nope')"),
    ("[webhooks]\nurl = []\n", "unknown key 'webhooks.url'"),
    ("watch = []\n", "key 'watch': name at least one family"),
], ids=lambda value: value.split("\n")[1 if value.startswith("[") else 0][:40])
def test_out_of_range_or_wrong_values_are_one_line_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    result = run_cli("status", "--config", str(path), ok=False)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {path}: ")
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_config_that_is_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[mail]\nsender = "b\xe9b\xe9@example.org"\n'.encode("latin-1"))
    result = run_cli("status", "--config", str(path), ok=False)
    assert result.exit_code == 2
    assert result.output == f"Error: {path}: not UTF-8 text (byte 18: b'\\xe9'); save the file as UTF-8\n"


def test_an_unreadable_config_is_a_config_error(tmp_path: Path) -> None:
    from lineupwatch.config.settings import ConfigError, load_config

    with pytest.raises(ConfigError, match="cannot read the config file: Is a directory"):
        load_config(tmp_path)  # the CLI's click.Path refuses a directory before this point


def test_the_checked_values_arrive_typed(tmp_path: Path) -> None:
    from lineupwatch.config.settings import load_config

    path = tmp_path / "ok.toml"
    path.write_text('[mail]\nport = 587\ntimeout_s = 5\nrecipients = ["a@example.org"]\n'
                    '[analysis]\nbaseline_date = "2026-03-04"\ngap_percentile = 75\n'
                    '[webhooks]\nurls = ["json://127.0.0.1:9/hook"]\n', encoding="utf-8")
    config = load_config(path)
    assert (config.mail.port, config.mail.timeout_s, config.mail.recipients) == (587, 5.0, ("a@example.org",))
    assert isinstance(config.mail.timeout_s, float) and config.analysis.gap_percentile == 75.0
    assert config.analysis.baseline_date.isoformat() == "2026-03-04"
    assert config.webhooks.urls == ("json://127.0.0.1:9/hook",)
