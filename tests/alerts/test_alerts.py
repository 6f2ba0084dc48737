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
from synthetic import model, qwen4_release, real_until

PASSWORD = "s3cret-pass"


@pytest.fixture
def mail_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEUPWATCH_SMTP_PASSWORD", PASSWORD)


def subject(message) -> str:
    """The Subject as a mail client shows it: a long one is folded whole onto a continuation line,
    and unfolding leaves the fold's leading space."""
    return message["Subject"].strip()


def text_and_html(message) -> tuple[str, str]:
    """The text and HTML parts, with the line ends SMTP gave them (CRLF) read back as newlines."""
    return tuple(message.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))


def test_first_run_sends_one_welcome_digest_then_nothing(tmp_path: Path, hub: ReplayHub, smtp, mail_env) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port, username="watcher"))
    run_cli("poll", "--config", str(config_path))
    first = run_cli("alerts", "--config", str(config_path))
    assert "(first run: one welcome digest)" in first.output and "1 sent" in first.output
    assert len(sink.messages) == 1
    recipients, message, raw = sink.messages[0]
    assert recipients == ["a@example.org", "b@example.org"]
    assert message["Subject"].startswith("[lineupwatch] SYNTHETIC: watching 14 families; Qwen small-models ")
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
        ("welcome", 1, message["Subject"].removeprefix("[lineupwatch] SYNTHETIC: "))]
    assert "Alerts this week" in next((tmp_path / "reports").glob("*-W*.html")).read_text()


def qwen4(*, relicense: str | None = None) -> list[dict]:
    """The bundled Hub after Qwen shipped a new generation with a 4B (SYNTHETIC), a repo relicensed if asked."""
    models = bundled_models() + qwen4_release()
    if relicense:
        target = next(m for m in models if m["id"] == relicense)
        target["cardData"] = {**target.get("cardData", {}), "license": "other", "license_name": "synthetic-closed"}
    return models


# Whether the 4B lifts Qwen's small share back over small_share_drop's threshold depends on how far
# the clock has slid its window: off, so the release makes exactly these three changes.
THREE = "\n[alerts]\nsmall_share_drop = false"
THREE_CHANGES = [("verdict_changed", "changed"), ("new_generation", "first"), ("small_gap_over_p90", "resolved")]


def changes(config_path: Path, where: str = "rule != 'welcome'") -> list[tuple[str, str]]:
    db = store.open_db(load_config(config_path).database_path)
    try:
        return [(row["rule"], row["reason"]) for row in db["notifications"].rows_where(where, order_by="id")]
    finally:
        db.close()


def test_one_run_sends_its_changes_as_one_mail_naming_the_most_important(
        tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port) + THREE)
    run_cli("run", "--config", str(config_path))  # the welcome digest
    hub.set_models(qwen4())
    result = run_cli("run", "--config", str(config_path))
    assert "3 new; 3 sent in 1 message" in result.output
    assert changes(config_path) == THREE_CHANGES
    assert len(sink.messages) == 2
    _, message, _ = sink.messages[1]
    assert subject(message) == "[lineupwatch] SYNTHETIC: Qwen small-models forecast: refuted (+2 more)"
    text, html = text_and_html(message)
    # Most important first; the gap's resolution inside the block of the release that ended it.
    # the bundled Hub's counters are made up, and its replay Hub says so: the first line says so too
    banner = "SYNTHETIC DATA: downloads, likes and child counts in this report are made up (replay of the bundled facts).\n\n"
    assert text.startswith(banner + "3 changes, most important first.\n\nQwen small-models forecast: refuted\n[info, changed]\n"
                           "Qwen released a new small model after the baseline: Qwen4 · LM · 4B on ")
    wave = text.index("\n\nQwen release wave Qwen4 from ")
    ended = text.index("\n  This ended:\n    resolved: Qwen: ")
    assert wave < ended and "\n\n" not in text[wave + 2:ended]
    assert "  - Qwen4 · LM · 4B (" in text[wave:ended] and " days without a small model (p90 gap " in text[ended:]
    assert html.index("forecast: refuted") < html.index("release wave Qwen4") < html.index("This ended:")
    # Its own thread: it answers the mails of several earlier conditions at once.
    assert message["In-Reply-To"] is None and message["References"] is None
    assert message["Message-ID"] != sink.messages[0][1]["Message-ID"]

    again = run_cli("run", "--config", str(config_path))
    assert "0 new" in again.output and len(sink.messages) == 2
    db = store.open_db(load_config(config_path).database_path)
    carried = db.execute("SELECT DISTINCT d.message_id FROM deliveries AS d JOIN notifications AS n "
                         "ON n.id = d.notification_id WHERE n.rule != 'welcome'").fetchall()
    assert carried == [(message["Message-ID"],)]  # the three changes went out together
    assert db["notifications"].count_where("sent_at IS NULL") == 0


def test_smtp_outage_keeps_every_change_pending_and_the_next_run_sends_them_in_one_mail(
        tmp_path: Path, hub: ReplayHub, smtp, mail_env) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, mail_config(port) + THREE)
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))  # the welcome digest
    hub.set_models(qwen4())
    run_cli("poll", "--config", str(config_path))

    write_config(tmp_path, hub.url, mail_config(1) + THREE)  # the same database; nothing listens on port 1
    failed = run_cli("alerts", "--config", str(config_path), ok=False)
    assert failed.exit_code == 1
    assert "cannot send mail via 127.0.0.1:1 (plain)" in failed.output
    assert "the alerts stay pending and the next run sends them" in failed.output
    assert len(sink.messages) == 1
    assert changes(config_path, "sent_at IS NULL") == THREE_CHANGES

    # Still down when the next change arrives: the licence change, and the open-weights verdict it turns.
    hub.set_models(qwen4(relicense="Qwen/Qwen3-8B"))
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path), ok=False)
    assert len(sink.messages) == 1
    pending = changes(config_path, "sent_at IS NULL")
    assert pending[:3] == THREE_CHANGES and sorted(pending[3:]) == [("licence_or_gating", "first"),
                                                                     ("verdict_changed", "changed")]

    write_config(tmp_path, hub.url, mail_config(port) + THREE)  # the server is back
    back = run_cli("alerts", "--config", str(config_path))
    assert "0 new; 5 sent in 1 message" in back.output
    run_cli("alerts", "--config", str(config_path))
    assert len(sink.messages) == 2  # the welcome digest, then one mail of all five
    _, message, _ = sink.messages[1]
    # A warning outranks every info change, whatever came first.
    assert subject(message) == "[lineupwatch] SYNTHETIC: Qwen/Qwen3-8B: licence apache-2.0 -> synthetic-closed (+4 more)"
    text = message.get_body(("plain",)).get_content()
    db = store.open_db(load_config(config_path).database_path)
    subjects = [row["subject"] for row in db["notifications"].rows_where("rule != 'welcome'")]
    assert len(subjects) == 5 and all(line in text for line in subjects)
    assert db["notifications"].count_where("sent_at IS NULL") == 0
    assert db.execute("SELECT count(*), sum(attempts) FROM deliveries WHERE channel = 'mail' AND notification_id > 1"
                      ).fetchone() == (5, 3 * 3 + 2 * 2)  # the first three: two failures and a success; the others: one and one


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
    name = "Qwen/Qwen3.5-2B-<script>alert(1)</script>"
    hostile = model(name, "2026-03-02")  # synthetic hostile repo name
    hub.set_models(bundled_models() + [hostile])
    config_path = write_config(tmp_path, hub.url, mail_config(port))
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    hub.set_models(bundled_models())
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    assert len(sink.messages) == 2  # the welcome digest, then one mail
    removed = sink.messages[1][1]
    # A warning heads its mail (with the open-weights verdict the removal may turn).
    assert subject(removed).startswith(f"[lineupwatch] SYNTHETIC: {name} was removed from the Hub")
    assert f"{name} was removed from the Hub\n[warning, first]\n" in text_and_html(removed)[0]
    assert "\n" not in removed["Subject"] and "\r" not in removed["Subject"]
    html = removed.get_body(("html",)).get_content()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    hub.set_models(bundled_models() + [hostile])
    run_cli("poll", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    run_cli("alerts", "--config", str(config_path))
    assert len(sink.messages) == 3
    assert f"resolved: {name} was removed from the Hub\n[info, resolved]\n" in text_and_html(sink.messages[2][1])[0]


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
    assert len(subjects) == 1 and subjects[0].startswith("[lineupwatch] SYNTHETIC: watching 14 families;")
