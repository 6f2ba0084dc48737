"""Alert mail: multipart text + HTML built with the standard email package, sent with smtplib.

The SMTP password comes only from an environment variable or a file named in the config; it is
never printed, logged or put in a message. Message-IDs derive from the notifications they carry,
so the rare resend after a crash between sending and recording shows up as a duplicate.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from jinja2 import Environment

from ..config.settings import MailSettings
from ..sanitize import clean, clean_text


class MailError(Exception):
    """The SMTP server could not take the mail; the notifications stay pending."""


@dataclass(frozen=True)
class Notice:
    id: int
    fingerprint: str
    rule: str
    state: str
    reason: str
    severity: str
    subject: str
    body: str
    evidence: tuple[str, ...]

    @property
    def seed(self) -> str:
        """What identifies this notice across resends: its condition and the change announced."""
        return f"{self.fingerprint}:{self.state}:{self.reason}"


_HTML = Environment(autoescape=True).from_string("""<!doctype html>
<html><body style="font-family: system-ui, sans-serif; max-width: 40em">
{% for n in notices %}<h2 style="font-size: 1.1em">{{ n.subject }}</h2>
<p><strong>{{ n.severity }}</strong> · {{ n.reason }}</p><p>{{ n.body }}</p>
{% if n.evidence %}<ul>{% for line in n.evidence %}<li>{{ line }}</li>{% endfor %}</ul>{% endif %}
{% endfor %}{% if link %}<p><a href="{{ link }}">The weekly report</a></p>{% endif %}
</body></html>""")


def one_line(text: str, limit: int = 180) -> str:
    """A header-safe subject: no line breaks or control characters, whatever a repo name holds."""
    flat = re.sub(r"[\x00-\x1f\x7f\u2028\u2029\x85]+", " ", text)
    flat = re.sub(r"\s+", " ", flat).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def compose(notices: list[Notice], settings: MailSettings, link: str | None) -> EmailMessage:
    """One mail for a group of notices (a digest, or a single alert)."""
    notices = [replace(n, subject=clean_text(n.subject), body=clean_text(n.body), evidence=clean(n.evidence))
               for n in notices]
    if len(notices) == 1:
        subject = notices[0].subject
    else:
        subject = f"{len(notices)} alerts: " + "; ".join(n.subject for n in notices[:3])
    message = EmailMessage()
    message["Subject"] = one_line(f"[lineupwatch] {subject}")
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = formatdate(localtime=False)
    domain = mail_domain(settings)
    message["Message-ID"] = _message_id(",".join(n.seed for n in notices), domain)
    # Machine-made mail: no vacation replies (RFC 3834), and a list id subscribers can filter on.
    message["Auto-Submitted"] = "auto-generated"
    message["List-Id"] = f"lineupwatch alerts <alerts.lineupwatch.{domain}>"
    message.set_content(text_body(notices, link))
    message.add_alternative(_HTML.render(notices=notices, link=link), subtype="html")
    return message


def mail_domain(settings: MailSettings) -> str:
    """mail.domain, else the sender's domain: what Message-ID and List-Id are made under."""
    return settings.domain or parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"


def text_body(notices: list[Notice], link: str | None) -> str:
    """The plain-text alert: the mail's text part and every webhook's message."""
    parts = []
    for n in notices:
        lines = [n.subject, f"[{n.severity}, {n.reason}]", n.body] + [f"  - {line}" for line in n.evidence]
        parts.append("\n".join(lines))
    if link:
        parts.append(f"The weekly report: {link}")
    return "\n\n".join(parts) + "\n"


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


def _message_id(seed: str, domain: str) -> str:
    return f"<{hashlib.sha256(seed.encode()).hexdigest()[:32]}.lineupwatch@{domain}>"


def test_message(settings: MailSettings) -> EmailMessage:
    """`alerts --test-mail`: proves the mail settings without touching the alert log."""
    notice = Notice(0, "test", "test", "test", "test", "info", "test mail: the mail settings work",
                    "This is a test mail from `lineupwatch alerts --test-mail`.", ())
    return compose([notice], settings, None)
