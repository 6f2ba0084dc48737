"""Alerts: real mail to an aiosmtpd server on loopback, exactly once, and every rule on synthetic states."""

from __future__ import annotations

import json

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import MailSink, _free_port, bundled_models, mail_config, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.alerts.dedup import Reason, decide
from lineupwatch.alerts.mailer import one_line
from lineupwatch.alerts.rules import AlertContext, evaluate_rules
from lineupwatch.analysis.weekly import analyse
from lineupwatch.config.settings import load_config
from lineupwatch.store.facts import load_facts
from lineupwatch.ops.poll import run_poll
from lineupwatch.replay.server import ReplayHub
from synthetic import model, real_until

PASSWORD = "s3cret-pass"


@pytest.fixture
def mail_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEUPWATCH_SMTP_PASSWORD", PASSWORD)


def text_and_html(message) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def test_first_run_sends_one_welcome_digest_then_nothing(tmp_path: Path, hub: ReplayHub, smtp, mail_env) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port, username="watcher"))
    run_cli("poll", "--config", str(config_path))
    first = run_cli("alerts", "--config", str(config_path))
    assert "(first run: one welcome digest)" in first.output and "1 sent" in first.output
    assert len(sink.messages) == 1
    recipients, message, raw = sink.messages[0]
    assert recipients == ["a@example.org", "b@example.org"]
    assert message["Subject"].startswith("[lineupwatch] watching 14 families; Qwen small-models ")
    text, html = text_and_html(message)
    assert "Qwen small-models: " in text and "Qwen open-weights: " in text
    assert "<li>Qwen small-models: " in html
    assert sink.logins == [("watcher", PASSWORD)]
    assert PASSWORD not in raw and PASSWORD not in first.output

    second = run_cli("alerts", "--config", str(config_path))
    assert "0 new" in second.output
    assert len(sink.messages) == 1
    db = store.open_db(load_config(config_path).database_path)
    assert db["notifications"].count == 1 and db["alert_state"].count > 10

    run_cli("report", "--config", str(config_path))  # the week's report says what subscribers were told
    week = json.loads(next((tmp_path / "reports").glob("*-W*.json")).read_text())
    assert [(a["rule"], a["sent"], a["subject"]) for a in week["alerts"]] == [
        ("welcome", 1, message["Subject"].removeprefix("[lineupwatch] "))]
    assert "Alerts this week" in next((tmp_path / "reports").glob("*-W*.html")).read_text()


def test_smtp_outage_keeps_the_alert_pending_and_the_next_run_sends_it_once(
        tmp_path: Path, hub: ReplayHub, smtp, mail_env) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port))
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))  # the welcome digest
    models = bundled_models()
    relicensed = next(m for m in models if m["id"] == "Qwen/Qwen3-8B")
    relicensed["cardData"] = {**relicensed.get("cardData", {}), "license": "other", "license_name": "synthetic-closed"}
    hub.set_models(models)
    run_cli("poll", "--config", str(config_path))

    write_config(tmp_path, hub.url, mail_config(1))  # the same database; nothing listens on port 1
    failed = run_cli("alerts", "--config", str(config_path), ok=False)
    assert failed.exit_code == 1
    assert "cannot send mail via 127.0.0.1:1 (plain)" in failed.output
    assert "the alerts stay pending and the next run sends them" in failed.output
    db = store.open_db(load_config(config_path).database_path)
    # The licence change, and the open-weights verdict it turns (tighter terms are now on record).
    pending = [row["subject"] for row in db["notifications"].rows_where("sent_at IS NULL", order_by="id")]
    assert pending == ["Qwen open-weights forecast: open", "Qwen/Qwen3-8B: licence apache-2.0 -> synthetic-closed"]

    write_config(tmp_path, hub.url, mail_config(port))  # the server is back
    run_cli("alerts", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    assert len(sink.messages) == 2  # the welcome digest, then one digest of the two
    _, message, _ = sink.messages[1]
    assert "Qwen/Qwen3-8B: licence apache-2.0 -> synthetic-closed" in message.get_body(("plain",)).get_content()
    assert db["notifications"].count_where("sent_at IS NULL") == 0


def test_dry_run_prints_and_changes_nothing(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url)
    run_cli("poll", "--config", str(config_path))
    result = run_cli("alerts", "--config", str(config_path), "--dry-run")
    assert "1 would send (first run: one welcome digest)" in result.output
    assert "--- watching 14 families;" in result.output
    db = store.open_db(load_config(config_path).database_path)
    assert db["notifications"].count == 0 and db["alert_state"].count == 0


def test_removal_is_announced_once_and_its_resolution_once(tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    hostile = model("Qwen/Qwen3.5-2B-<script>alert(1)</script>", "2026-03-02")  # synthetic hostile repo name
    hub.set_models(bundled_models() + [hostile])
    config_path = write_config(tmp_path, hub.url, mail_config(port, digest=False))
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    hub.set_models(bundled_models())
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    removed = [m for _, m, _ in sink.messages if "was removed" in m["Subject"]]
    assert len(removed) == 1
    assert "\n" not in removed[0]["Subject"] and "\r" not in removed[0]["Subject"]
    html = removed[0].get_body(("html",)).get_content()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    hub.set_models(bundled_models() + [hostile])
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    resolved = [m for _, m, _ in sink.messages if m["Subject"].startswith("[lineupwatch] resolved: ")]
    assert len(resolved) == 1


def test_test_mail_and_subject_line_breaks(tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port))
    result = run_cli("alerts", "--config", str(config_path), "--test-mail")
    assert "test mail sent to a@example.org, b@example.org via 127.0.0.1:" in result.output
    assert sink.messages[0][1]["Subject"] == "[lineupwatch] test mail: the mail settings work"
    assert one_line("Qwen/evil\r\nBcc: x@example.org\u2028y") == "Qwen/evil Bcc: x@example.org y"


@pytest.mark.parametrize("last, current, reason", [
    (None, "firing", Reason.FIRST), ("firing", "firing", Reason.NONE), ("open", "supported", Reason.CHANGED),
    ("firing", None, Reason.RESOLVED), ("resolved", None, Reason.NONE), ("resolved", "firing", Reason.CHANGED),
    (None, None, Reason.NONE),
], ids=["first", "unchanged", "verdict-changed", "resolved", "stays-resolved", "fires-again", "never-seen"])
def test_dedup_decision(last: str | None, current: str | None, reason: Reason) -> None:
    assert decide(last, current) is reason


def conditions(tmp_path: Path, models: list[dict], as_of: str, *, polls: list[str] = ("ok",),
               now: datetime | None = None) -> set[tuple[str, tuple]]:
    """Poll a Hub state (failing polls where asked), then evaluate every rule as of a day."""
    day = date.fromisoformat(as_of)
    clock = datetime(day.year, day.month, day.day, 6, tzinfo=timezone.utc)
    with ReplayHub(models, page_size=500) as hub:
        config = load_config(write_config(tmp_path, hub.url, max_retries=0))
        db = store.open_db(config.database_path)
        for outcome in polls:
            endpoint = hub.url if outcome == "ok" else "http://127.0.0.1:9"
            try:
                run_poll(config, db, endpoint=endpoint, now=lambda: clock)
            except Exception:
                pass
    facts = load_facts(db, day)
    entries, forecasts = analyse(facts, config)
    alerts = evaluate_rules(AlertContext(facts, entries, forecasts, now or clock), config)
    return {(a.rule, tuple(sorted(a.labels.items()))) for a in alerts}


QWEN37_LARGE = [model("Qwen/Qwen3.7-70B", "2026-06-01", params_b=70.6), model("Qwen/Qwen3.7-27B", "2026-06-03", params_b=27.3)]
QWEN37_SMALL = [model("Qwen/Qwen3.7-4B", "2026-06-01", params_b=4.4), model("Qwen/Qwen3.7-9B", "2026-06-02", params_b=9.2)]


@pytest.mark.parametrize("rule, labels, models, as_of, fires", [
    ("new_generation", {"family": "Qwen", "wave_start": "2026-06-01"}, QWEN37_LARGE, "2026-06-05", True),
    ("new_generation", {"family": "Qwen", "wave_start": "2026-06-01"}, [], "2026-06-05", False),
    ("wave_without_small", {"family": "Qwen", "wave_start": "2026-06-01"}, QWEN37_LARGE, "2026-07-15", True),
    ("wave_without_small", {"family": "Qwen", "wave_start": "2026-06-01"}, QWEN37_LARGE, "2026-06-10", False),
    ("wave_without_small", {"family": "Qwen", "wave_start": "2026-06-01"}, QWEN37_SMALL, "2026-07-15", False),
    ("small_gap_over_p90", {"family": "Qwen", "last_small": "Qwen3.5 · LM · 2B"}, [], "2026-11-22", True),
    ("small_gap_over_p90", {"family": "Qwen", "last_small": "Qwen3.5 · LM · 2B"}, [], "2026-03-20", False),
    ("small_share_drop", {"family": "Qwen"}, QWEN37_LARGE, "2026-11-22", True),
    ("small_share_drop", {"family": "Qwen"}, QWEN37_SMALL, "2026-11-22", False),
], ids=["wave-appears", "no-wave", "wave-closed-without-small", "wave-still-open", "wave-with-small",
        "gap-over-p90", "gap-under-p90", "share-dropped", "share-kept"])
def test_release_pattern_rules_on_synthetic_states(tmp_path: Path, rule: str, labels: dict, models: list[dict],
                                                   as_of: str, fires: bool) -> None:
    found = conditions(tmp_path, real_until("2026-03-04") + models, as_of)
    assert ((rule, tuple(sorted(labels.items()))) in found) is fires


def test_verdict_change_is_a_new_state_of_the_same_condition(tmp_path: Path) -> None:
    before = conditions(tmp_path / "a", real_until("2026-03-04") + QWEN37_LARGE, "2026-11-22")
    after = conditions(tmp_path / "b", real_until("2026-03-04") + QWEN37_SMALL, "2026-11-22")
    key = ("verdict_changed", (("family", "Qwen"), ("forecast", "small-models")))
    assert key in before and key in after  # same identity; the state (the verdict) differs


def test_monitor_health_fires_on_failures_in_a_row_and_on_staleness(tmp_path: Path) -> None:
    models = real_until("2026-03-04")
    failing = conditions(tmp_path / "a", models, "2026-06-01", polls=["ok", "failed", "failed", "failed"])
    assert ("monitor_health", (("check", "failing"),)) in failing
    healthy = conditions(tmp_path / "b", models, "2026-06-01", polls=["failed", "ok"])
    assert not any(rule == "monitor_health" for rule, _ in healthy)
    stale = conditions(tmp_path / "c", models, "2026-06-01", now=datetime(2026, 6, 5, tzinfo=timezone.utc))
    assert ("monitor_health", (("check", "stale"),)) in stale


def test_licence_gating_and_removal_rules(tmp_path: Path) -> None:
    day1 = datetime(2026, 6, 1, 6, tzinfo=timezone.utc)
    models = real_until("2026-03-04")
    with ReplayHub(models) as hub:
        config = load_config(write_config(tmp_path, hub.url))
        db = store.open_db(config.database_path)
        run_poll(config, db, endpoint=hub.url, now=lambda: day1)
        changed = [m for m in models if m["id"] != "Qwen/Qwen2-0.5B"]
        next(m for m in changed if m["id"] == "Qwen/Qwen3-4B")["gated"] = "auto"
        hub.set_models(changed)
        run_poll(config, db, endpoint=hub.url, now=lambda: day1 + timedelta(days=1))
    facts = load_facts(db, date(2026, 6, 2))
    entries, forecasts = analyse(facts, config)
    found = {(a.rule, tuple(sorted(a.labels.items()))) for a in evaluate_rules(AlertContext(facts, entries, forecasts, day1), config)}
    assert ("licence_or_gating", (("kind", "gating_changed"), ("new", "auto"), ("repo", "Qwen/Qwen3-4B"))) in found
    assert ("repos_removed", (("repo", "Qwen/Qwen2-0.5B"),)) in found
    assert not any(rule == "licence_or_gating" and dict(labels)["repo"] != "Qwen/Qwen3-4B" for rule, labels in found)


def test_mail_accepted_before_a_failing_quit_is_not_sent_again(tmp_path: Path, hub: ReplayHub) -> None:
    """The server takes the message, then answers QUIT with an error: the alert is delivered, so it
    must be marked sent (a retry would mail it twice)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class RudeQuit(SMTP):
        async def smtp_QUIT(self, arg: str) -> None:  # noqa: N802 (aiosmtpd's command hook)
            await self.push("554 5.3.0 synthetic failure at QUIT")
            self.transport.close()

    class RudeController(Controller):
        def factory(self) -> SMTP:
            return RudeQuit(self.handler)

    sink = MailSink()
    port = _free_port()
    controller = RudeController(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config_path = write_config(tmp_path, hub.url, mail_config(port))
        run_cli("poll", "--config", str(config_path))
        first = run_cli("alerts", "--config", str(config_path))  # delivered: a failed goodbye is no failure
        assert "1 sent" in first.output
        second = run_cli("alerts", "--config", str(config_path))
        assert "0 new" in second.output
    finally:
        controller.stop()
    assert len(sink.messages) == 1
    db = store.open_db(load_config(config_path).database_path)
    assert db["notifications"].count_where("sent_at IS NULL") == 0


def test_failed_polls_before_the_first_success_alert_the_monitor_only_then_one_welcome(
        tmp_path: Path, hub: ReplayHub, smtp) -> None:
    """A new install whose first polls fail: the admin hears about the failures (not about verdicts
    computed on an empty database), and the first successful poll still brings one welcome digest."""
    sink, port = smtp
    extra = mail_config(port) + "\n[alerts]\nfailed_polls_in_a_row = 2"
    write_config(tmp_path, "http://127.0.0.1:9", extra, max_retries=0)
    config_path = tmp_path / "lineupwatch.toml"
    for _ in range(2):
        run_cli("run", "--config", str(config_path), ok=False)
    failures = [m["Subject"] for _, m, _ in sink.messages]
    assert failures == ["[lineupwatch] lineupwatch: no successful poll ever",
                        "[lineupwatch] lineupwatch: the last 2 polls failed"]
    db = store.open_db(load_config(config_path).database_path)
    assert {row["rule"] for row in db["alert_state"].rows} == {"monitor_health"}
    assert not (tmp_path / "reports").exists()  # no report computed from an empty database
    refused = run_cli("report", "--config", str(config_path), ok=False)
    assert refused.exit_code == 1 and "no successful poll in" in refused.output

    write_config(tmp_path, hub.url, extra)  # the Hub is reachable now
    run_cli("run", "--config", str(config_path))
    run_cli("run", "--config", str(config_path))
    subjects = [m["Subject"] for _, m, _ in sink.messages][len(failures):]
    assert len(subjects) == 1 and subjects[0].startswith("[lineupwatch] watching 14 families;")
