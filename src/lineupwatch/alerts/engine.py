"""Alerts, exactly once per channel: evaluate the rules, decide per fingerprint, store, then send.

A change (a `notifications` row) is written pending in the same transaction as the alert state
it announces. Each channel (mail, every webhook) is sent what it owes as one notification
(notification.to_send: this run's changes and any it missed before) and records, in one
transaction, every change of a notification as delivered as soon as it took it; a change is done
when every channel has. A run on an unchanged state creates nothing; an outage of one channel
leaves its deliveries pending for the next run, and the others unaffected. On a database with no
alert state the current conditions are recorded as known and one welcome digest goes out
instead of a flood.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlite_utils import Database

from ..analysis.ecosystem_day import ecosystem_of
from ..analysis.provenance import provenance_block
from ..analysis.weekly import analyse
from ..config.settings import Config
from ..store.facts import load_facts
from .channels import ChannelError, channels
from .dedup import RESOLVED, Reason, decide
from .notification import WELCOME_RULE, Notice, Notification, importance, to_send, with_banner
from .rules import Alert, AlertContext, evaluate_rules


@dataclass
class AlertRun:
    firing: int = 0
    created: list[Notice] = field(default_factory=list)  # this run's changes, most important first
    sent: int = 0  # changes every channel has now taken
    messages: int = 0  # notifications the channels took in this run
    pending: int = 0
    first_run: bool = False
    error: str | None = None
    # A past (or future) day is evaluated and printed only: alert state belongs to the present.
    read_only: bool = False
    preview: list[Notification] = field(default_factory=list)  # what a dry or read-only run would mail

    @property
    def ok(self) -> bool:
        return self.error is None


def run_alerts(config: Config, db: Database, *, as_of: date, now: datetime, dry_run: bool = False) -> AlertRun:
    """Evaluate the rules as of `as_of`; only a live run (as_of is today) records state and sends.

    Evaluating another day would resolve every condition that day did not know about, and the next
    live run would announce them all again: a mail flood on an unchanged Hub."""
    facts = load_facts(db, as_of)
    entries, forecasts = analyse(facts, config)
    context = AlertContext(facts, entries, forecasts, now, ecosystem_of(db, config, facts, adoption=False, entries=entries))
    # the same facts the report reads say whether any input is synthetic: every message says so first
    banner = provenance_block(facts.polls, (context.ecosystem or {}).get("stream"), as_of)["headline"]
    current = {a.fingerprint: a for a in evaluate_rules(context, config)}
    known = {row["fingerprint"]: row for row in db["alert_state"].rows}
    # The first run that can judge the release pattern (a poll succeeded, no pattern state is known
    # yet) records every condition and sends one welcome digest; monitor alerts from failed polls
    # before it do not make it a later run, which would mail every existing condition one by one.
    polled = any(poll.stored for poll in facts.polls)
    judged_before = any(row["rule"] != "monitor_health" for row in known.values())
    welcomed = db["notifications"].count_where("rule = ?", [WELCOME_RULE]) > 0
    run = AlertRun(firing=len(current), first_run=polled and not judged_before and not welcomed,
                   read_only=as_of != now.date())
    stamp = now.isoformat(timespec="seconds")
    changes = _plan(current, known)
    notices = _welcome(forecasts, config) if run.first_run else [
        (alert, reason) for alert, reason in changes
        if reason is not Reason.RESOLVED or config.mail.announce_resolved]
    if dry_run or run.read_only:
        run.created = sorted((_notice(0, alert, reason) for alert, reason in notices), key=importance)
        run.preview = with_banner(to_send(run.created, set(), config.mail.digest), banner)
        run.pending = db["notifications"].count_where("sent_at IS NULL")
        return run
    with db.atomic():
        for alert, reason in changes:
            _save_state(db, alert, reason, stamp)
        created = [_notice(db["notifications"].insert(_notification_row(alert, reason, stamp)).last_pk, alert, reason)
                   for alert, reason in notices]
    run.created = sorted(created, key=importance)
    _deliver(db, config, run, stamp, banner)
    return run


def _plan(current: dict[str, Alert], known: dict[str, dict]) -> list[tuple[Alert, Reason]]:
    """What changed: new or changed conditions, and logged ones that hold no more."""
    changes = []
    for fingerprint, alert in current.items():
        reason = decide(known.get(fingerprint, {}).get("state"), alert.state)
        if reason is not Reason.NONE:
            changes.append((alert, reason))
    for fingerprint, row in known.items():
        if fingerprint not in current and decide(row["state"], None) is Reason.RESOLVED:
            gone = Alert(row["rule"], json.loads(row["labels"]), RESOLVED, "info", f"resolved: {row['subject']}",
                         f"This condition no longer holds: {row['subject']}")
            changes.append((gone, Reason.RESOLVED))
    return changes


def _welcome(forecasts: list, config: Config) -> list[tuple[Alert, Reason]]:
    lines = [f"{f.family} {f.id}: {f.verdict.value}. {f.summary}" for f in forecasts]
    primary = [f for f in forecasts if f.family == config.watch[0]]
    subject = f"watching {len(config.watch)} families; " + ", ".join(f"{f.family} {f.id} {f.verdict.value}" for f in primary)
    body = ("lineupwatch now watches these families. Current conditions are recorded as known; "
            "from now on each run that finds changes sends them together, in one message.")
    return [(Alert(WELCOME_RULE, {}, "sent", "info", subject, body, lines), Reason.FIRST)]


def _save_state(db: Database, alert: Alert, reason: Reason, stamp: str) -> None:
    existing = db["alert_state"].rows_where("fingerprint = ?", [alert.fingerprint])
    first_seen = next((row["first_seen_at"] for row in existing), stamp)
    db["alert_state"].upsert({"fingerprint": alert.fingerprint, "rule": alert.rule, "labels": json.dumps(alert.labels, sort_keys=True),
                              "state": alert.state, "subject": alert.subject, "first_seen_at": first_seen,
                              "changed_at": stamp}, pk="fingerprint")


def _notification_row(alert: Alert, reason: Reason, stamp: str) -> dict:
    return {"fingerprint": alert.fingerprint, "rule": alert.rule, "state": alert.state, "reason": reason.value,
            "severity": alert.severity, "subject": alert.subject, "body": alert.body,
            "evidence": json.dumps(alert.evidence), "created_at": stamp, "sent_at": None, "message_id": None,
            "attempts": 0, "last_error": None}


def _notice(notice_id: int, alert: Alert, reason: Reason) -> Notice:
    return Notice(notice_id, alert.fingerprint, alert.rule, alert.state, reason.value, alert.severity,
                  alert.subject, alert.body, tuple(alert.evidence), alert.labels)


def pending_notices(db: Database) -> list[Notice]:
    """The changes some channel has not taken yet, with their condition's labels (a resolution is
    shown with the change that ended it, found by family)."""
    return [Notice(r["id"], r["fingerprint"], r["rule"], r["state"], r["reason"], r["severity"], r["subject"],
                   r["body"], tuple(json.loads(r["evidence"] or "[]")), json.loads(r["labels"] or "{}"))
            for r in db.query("SELECT n.*, s.labels FROM notifications AS n LEFT JOIN alert_state AS s "
                              "ON s.fingerprint = n.fingerprint WHERE n.sent_at IS NULL ORDER BY n.id")]


def _deliver(db: Database, config: Config, run: AlertRun, stamp: str, banner: str | None = None) -> None:
    """Send each channel what it owes (this run's changes and those it missed before) as one
    notification; a change is done (sent_at) once every channel took it."""
    pending = pending_notices(db)
    if not pending:
        return
    active = channels(config)
    if not active:
        _mark(db, pending, stamp, None, "no channel configured (mail.enabled = false, no webhooks): printed only")
        run.pending = 0
        return
    link = report_link(config)
    errors = []
    with db.atomic():
        db["deliveries"].insert_all(({"notification_id": n.id, "channel": c.key, "attempts": 0}
                                     for n in pending for c in active), pk=("notification_id", "channel"), ignore=True)
    for channel in active:
        taken = {row[0] for row in db.execute(
            "SELECT notification_id FROM deliveries WHERE channel = ? AND sent_at IS NOT NULL", [channel.key])}
        owed = with_banner(to_send(pending, taken, channel.digest), banner)

        def sent(notification: Notification, message_id: str, key: str = channel.key) -> None:
            _record(db, key, notification, message_id, stamp)
            run.messages += 1

        try:
            if owed:
                channel.send(owed, link, sent)
        except ChannelError as err:
            errors.append(str(err))
            with db.atomic():
                db.execute("UPDATE deliveries SET attempts = attempts + 1, last_error = ? "
                           "WHERE channel = ? AND sent_at IS NULL", [str(err), channel.key])
    run.sent += _complete(db, pending, [c.key for c in active], stamp, errors)
    run.pending = len(pending_notices(db))
    run.error = "; ".join(errors) or None


def _record(db: Database, key: str, notification: Notification, message_id: str, stamp: str) -> None:
    """A channel took a notification: every change it carries is delivered there, all at once."""
    with db.atomic():
        for notice in notification.notices:
            db.execute("UPDATE deliveries SET sent_at = ?, message_id = ?, attempts = attempts + 1, "
                       "last_error = NULL WHERE notification_id = ? AND channel = ?",
                       [stamp, message_id, notice.id, key])


def _complete(db: Database, pending: list[Notice], keys: list[str], stamp: str, errors: list[str]) -> int:
    """Mark the notifications every active channel has taken; count them."""
    done = 0
    marks = ",".join("?" * len(keys))
    with db.atomic():
        for notice in pending:
            rows = db.execute(f"SELECT channel, message_id FROM deliveries WHERE notification_id = ? AND channel IN "
                              f"({marks}) AND sent_at IS NOT NULL", [notice.id, *keys]).fetchall()
            if len(rows) == len(keys):
                message_id = dict(rows).get("mail") or next((m for _, m in rows if m), None)
                db.execute("UPDATE notifications SET sent_at = ?, message_id = ?, attempts = attempts + 1, "
                           "last_error = NULL WHERE id = ?", [stamp, message_id or "", notice.id])
                done += 1
            else:
                db.execute("UPDATE notifications SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                           ["; ".join(errors), notice.id])
    return done


def report_link(config: Config) -> str | None:
    """The newest weekly page already in reports_dir, under mail.report_url: a page that exists
    when the alert goes out (normally the last complete week, which `run` writes before alerts).
    No public URL, no link: a server path means nothing to a subscriber."""
    base = config.mail.report_url or config.site.base_url  # site.base_url: where every link points
    if not base:
        return None
    pages = sorted(config.reports_path.glob("*-W*.html")) if config.reports_path.is_dir() else []
    if not pages:
        return None
    return f"{base.rstrip('/')}/{pages[-1].name}"


def _mark(db: Database, notices: list[Notice], stamp: str, message_id: str | None, note: str | None) -> None:
    with db.atomic():
        for notice in notices:
            db.execute("UPDATE notifications SET sent_at = ?, message_id = ?, attempts = attempts + 1, last_error = ? "
                       "WHERE id = ?", [stamp, message_id, note, notice.id])
