"""Delivery channels behind one interface: mail (smtplib) and webhooks (Apprise).

The engine decides what to announce and keeps the exactly-once bookkeeping per channel; a channel
only carries notices. `send` calls `on_sent(group, message_id)` as soon as one group is taken (so
it is recorded before the next goes out) and raises ChannelError on the first group that fails:
the rest stay pending for that channel alone.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from ..config.settings import Config, MailSettings
from ..sanitize import clean_text
from . import mailer
from .mailer import Notice, one_line

OnSent = Callable[[list[Notice], "str | None"], None]


class ChannelError(Exception):
    """A channel could not take its notices; they stay pending for it (and only for it)."""


class Channel(Protocol):
    key: str  # stable name in the deliveries table; never holds a secret

    def send(self, notices: list[Notice], link: str | None, on_sent: OnSent) -> None: ...


@dataclass(frozen=True)
class MailChannel:
    settings: MailSettings
    key: str = "mail"

    def send(self, notices: list[Notice], link: str | None, on_sent: OnSent) -> None:
        groups = [notices] if self.settings.digest else [[n] for n in notices]
        messages = [mailer.compose(group, self.settings, link) for group in groups]
        by_message = {id(message): group for message, group in zip(messages, groups)}

        def accepted(message: EmailMessage) -> None:
            on_sent(by_message[id(message)], message["Message-ID"])

        try:
            mailer.send(messages, self.settings, on_sent=accepted)
        except mailer.MailError as err:
            raise ChannelError(str(err)) from None


@dataclass(frozen=True)
class WebhookChannel:
    """One Apprise URL: Discord, Slack, Matrix, ntfy, json:// to any HTTP endpoint, ..."""

    url: str
    digest: bool = True

    @property
    def key(self) -> str:
        return "webhook:" + hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        return f"webhook {_private(self.url)}"

    def send(self, notices: list[Notice], link: str | None, on_sent: OnSent) -> None:
        import apprise  # ~0.3 s of imports, paid only when a webhook is configured

        target = apprise.Apprise()
        if not target.add(self.url):  # a URL from the environment is first seen here
            raise ChannelError(f"Apprise cannot use the webhook URL {_private(self.url)}: fix it in webhooks.urls "
                               "or $LINEUPWATCH_WEBHOOK_URLS; the alerts stay pending for this channel")
        groups = [notices] if self.digest else [[n] for n in notices]
        for group in groups:
            title = one_line("[lineupwatch] " + (group[0].subject if len(group) == 1 else
                                                 f"{len(group)} alerts: " + "; ".join(n.subject for n in group[:3])))
            body = clean_text(mailer.text_body(group, link))
            with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
                delivered = target.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
            if not delivered:
                why = one_line(log.getvalue().replace(self.url, _private(self.url))) or "no reason given"
                raise ChannelError(f"cannot post to {self.label}: {why}; the alerts stay pending for this channel "
                                   "and the next run sends them")
            on_sent(group, None)


def _private(url: str) -> str:
    """The URL as Apprise prints it with its secrets elided, or its scheme alone."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    return str(plugin.url(privacy=True)).split("?")[0] if plugin else url.split(":", 1)[0] + "://..."


def webhook_urls(config: Config) -> list[str]:
    """webhooks.urls, then the whitespace-separated URLs in $<webhooks.urls_env>."""
    from_env = os.environ.get(config.webhooks.urls_env, "") if config.webhooks.urls_env else ""
    return [*config.webhooks.urls, *from_env.split()]


def channels(config: Config) -> list[Channel]:
    """Every configured channel, mail first."""
    found: list[Channel] = [MailChannel(config.mail)] if config.mail.enabled else []
    return found + [WebhookChannel(url, config.webhooks.digest) for url in webhook_urls(config)]
