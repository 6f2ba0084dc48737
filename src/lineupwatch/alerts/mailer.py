"""Alert mail: multipart text + HTML built with the standard email package, sent with smtplib.

The SMTP password comes only from an environment variable or a file named in the config; it is
never printed, logged or put in a message. A mail carries one notification (notification.py);
its Message-ID derives from the changes it carries, so the rare resend of the same changes after
a crash between sending and recording shows up as a duplicate.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import replace
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from jinja2 import Environment

from ..config.settings import MailSettings
from ..sanitize import clean, clean_text
from .notification import Item, Notice, Notification, group


class MailError(Exception):
    """The SMTP server could not take the mail; the changes it carried stay pending."""


_HTML = Environment(autoescape=True).from_string("""<!doctype html>
<html><body style="font-family: system-ui, sans-serif; max-width: 40em">
{% macro change(n, tag) %}<{{ tag }} style="font-size: 1.1em">{{ n.subject }}</{{ tag }}>
<p><strong>{{ n.severity }}</strong> · {{ n.reason }}</p><p>{{ n.body }}</p>
{% if n.evidence %}<ul>{% for line in n.evidence %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}{% endmacro %}
{% if banner %}<p><strong>{{ banner }}</strong></p>
{% endif %}{% if count > 1 %}<p>{{ count }} changes, most important first.</p>{% endif %}
{% for item in items %}{{ change(item.notice, "h2") }}
{% if item.ended %}<div style="margin-left: 1.5em; padding-left: 0.8em; border-left: 3px solid #ccc">
<p>This ended:</p>{% for n in item.ended %}{{ change(n, "h3") }}{% endfor %}</div>{% endif %}
{% endfor %}{% if link %}<p><a href="{{ link }}">The weekly report</a></p>{% endif %}
</body></html>""")


def one_line(text: str, limit: int = 180) -> str:
    """A header-safe subject: no line breaks or control characters, whatever a repo name holds."""
    flat = re.sub(r"[\x00-\x1f\x7f\u2028\u2029\x85]+", " ", text)
    flat = re.sub(r"\s+", " ", flat).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def headline(notification: Notification, limit: int = 180) -> str:
    """`[lineupwatch] <most important change> (+N more)` on one line, `[lineupwatch] SYNTHETIC: ...`
    when the facts behind it are made up (the subject is what an inbox shows); a long subject is cut
    before the count, which must survive."""
    tag = "[lineupwatch] SYNTHETIC: " if notification.banner else "[lineupwatch] "
    return one_line(tag + clean_text(notification.head.subject), limit - len(notification.more)) + notification.more


def compose(notification: Notification, settings: MailSettings, link: str | None) -> EmailMessage:
    """One mail for one notification. No In-Reply-To or References: a grouped mail answers
    several earlier mails at once, so it starts its own thread (filter on List-Id)."""
    message = EmailMessage()
    message["Subject"] = headline(notification)
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = formatdate(localtime=False)
    domain = mail_domain(settings)
    message["Message-ID"] = f"<{notification.key}.lineupwatch@{domain}>"
    # Machine-made mail: no vacation replies (RFC 3834), and a list id subscribers can filter on.
    message["Auto-Submitted"] = "auto-generated"
    message["List-Id"] = f"lineupwatch alerts <alerts.lineupwatch.{domain}>"
    message.set_content(text_body(notification, link))
    clean_items = [Item(_clean(item.notice), tuple(map(_clean, item.ended))) for item in notification.items]
    message.add_alternative(_HTML.render(items=clean_items, count=len(notification.notices), link=link,
                                         banner=clean_text(notification.banner or "")),
                            subtype="html")
    return message


def mail_domain(settings: MailSettings) -> str:
    """mail.domain, else the sender's domain: what Message-ID and List-Id are made under."""
    return settings.domain or parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"


def text_body(notification: Notification, link: str | None) -> str:
    """The plain-text notification: the mail's text part, every webhook's message and the dry
    run's print. Each change with its evidence, most important first; a resolution under the
    change that ended it."""
    parts = [one_line(notification.banner, 1000)] if notification.banner else []
    if len(notification.notices) > 1:
        parts.append(f"{len(notification.notices)} changes, most important first.")
    for item in notification.items:
        lines = _change_lines(item.notice)
        if item.ended:
            lines.append("  This ended:")
            lines += ["    " + line for notice in item.ended for line in _change_lines(notice)]
        parts.append("\n".join(lines))
    if link:
        parts.append(f"The weekly report: {link}")
    return clean_text("\n\n".join(parts) + "\n")


def _change_lines(notice: Notice) -> list[str]:
    """A change as text; one line per subject and evidence item, whatever a repo name holds."""
    return [one_line(notice.subject, 1000), f"[{notice.severity}, {notice.reason}]", notice.body] + [
        f"  - {one_line(line, 1000)}" for line in notice.evidence]


def _clean(notice: Notice) -> Notice:
    return replace(notice, subject=clean_text(notice.subject), body=clean_text(notice.body),
                   evidence=clean(notice.evidence))


def smtp_password(settings: MailSettings) -> str | None:
    if settings.password_file:
        try:
            return Path(settings.password_file).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise MailError(f"cannot read mail.password_file {settings.password_file}: {err.strerror}") from None
    return os.environ.get(settings.password_env) or None


def send(messages: list[EmailMessage], settings: MailSettings,
         on_sent: Callable[[EmailMessage], None] | None = None) -> None:
    """Send every message over one SMTP session; any failure raises MailError (no password in it).

    `on_sent` runs as soon as the server has accepted a message, and a failed goodbye (QUIT) after
    every message was accepted is no failure: an accepted mail must never stay pending and go out
    a second time."""
    password = smtp_password(settings)
    where = f"{settings.host}:{settings.port} ({settings.security})"
    client: smtplib.SMTP | None = None
    try:
        context = ssl.create_default_context()
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_s, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.username:
            if password is None:
                raise MailError(f"mail.username is set but no password: set ${settings.password_env} "
                                "or mail.password_file")
            client.login(settings.username, password)
        for message in messages:
            client.send_message(message)
            if on_sent is not None:
                on_sent(message)
    except (smtplib.SMTPException, OSError) as err:
        if client is not None:
            client.close()
        raise MailError(f"cannot send mail via {where}: {_safe(err, password)}; "
                        "the alerts stay pending and the next run sends them") from None
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _safe(err: Exception, password: str | None) -> str:
    text = f"{type(err).__name__}: {err}"
    return text.replace(password, "***") if password else text


def test_message(settings: MailSettings) -> EmailMessage:
    """`alerts --test-mail`: proves the mail settings without touching the alert log."""
    notice = Notice(0, "test", "test", "test", "test", "info", "test mail: the mail settings work",
                    "This is a test mail from `lineupwatch alerts --test-mail`.", ())
    return compose(group([notice]), settings, None)
