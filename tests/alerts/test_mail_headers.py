"""Issue 11.5: an alert mail links a page that exists, under the public URL, with list-friendly headers."""

from __future__ import annotations

from pathlib import Path

from conftest import mail_config, run_cli, write_config
from lineupwatch.replay.server import ReplayHub


def test_the_link_is_the_newest_written_page_under_the_public_url(tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port, report_url="https://watch.example.org/r/",
                                                              domain="lists.example.org"))
    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22")  # 2026-W47
    run_cli("alerts", "--config", str(config_path))
    (_, message, raw) = sink.messages[0]
    text = message.get_body(("plain",)).get_content()
    assert "The weekly report: https://watch.example.org/r/2026-W47.html" in text
    assert '<a href="https://watch.example.org/r/2026-W47.html">' in message.get_body(("html",)).get_content()
    assert (tmp_path / "reports" / "2026-W47.html").exists()
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Id"] == "lineupwatch alerts <alerts.lineupwatch.lists.example.org>"
    assert message["Message-ID"].endswith(".lineupwatch@lists.example.org>")
    assert str(tmp_path) not in raw  # never a server path


def test_without_a_public_url_there_is_no_link_and_ids_use_the_sender_domain(
        tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port))
    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    (_, message, raw) = sink.messages[0]
    assert "The weekly report" not in raw and str(tmp_path) not in raw
    assert message["Message-ID"].endswith(".lineupwatch@example.org>")  # sender watch@example.org
    assert message["List-Id"] == "lineupwatch alerts <alerts.lineupwatch.example.org>"


def test_run_links_the_last_complete_week_it_has_just_written(tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port, report_url="https://watch.example.org/r"))
    result = run_cli("run", "--config", str(config_path))
    written = next(line for line in result.output.splitlines() if " step=report status=ok " in line)
    page = Path(written.split(" report: ", 1)[1]).name
    text = sink.messages[0][1].get_body(("plain",)).get_content()
    assert f"The weekly report: https://watch.example.org/r/{page}" in text
