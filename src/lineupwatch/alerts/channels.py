"""Delivery channels behind one interface: mail (smtplib) and webhooks (Apprise).

The engine decides what a channel owes (notification.to_send) and keeps the exactly-once
bookkeeping per channel; a channel only carries notifications, one message each. `send` calls
`on_sent(notification, message_id)` as soon as one is taken (so it is recorded before the next
goes out) and raises ChannelError on the first that fails: its changes, and those of the
notifications after it, stay pending for that channel alone.
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
from . import mailer
from .mailer import one_line
from .notification import Notification

OnSent = Callable[[Notification, str], None]


class ChannelError(Exception):
    """A channel could not take a notification; its changes stay pending for it (and only for it)."""


class Channel(Protocol):
    @property
    def key(self) -> str:
        """A stable name in the deliveries table; never holds a secret."""

    @property
    def digest(self) -> bool:
        """One notification for all the changes it owes (false: one per change)."""

    def send(self, notifications: list[Notification], link: str | None, on_sent: OnSent) -> None: ...


@dataclass(frozen=True)
class MailChannel:
    settings: MailSettings
    key: str = "mail"

    @property
    def digest(self) -> bool:
        return self.settings.digest

    def send(self, notifications: list[Notification], link: str | None, on_sent: OnSent) -> None:
        messages = [mailer.compose(notification, self.settings, link) for notification in notifications]
        carried = {id(message): notification for message, notification in zip(messages, notifications)}

        def accepted(message: EmailMessage) -> None:
            on_sent(carried[id(message)], message["Message-ID"])

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

    def send(self, notifications: list[Notification], link: str | None, on_sent: OnSent) -> None:
        import apprise  # ~0.3 s of imports, paid only when a webhook is configured

        target = apprise.Apprise()
        if not target.add(self.url):  # a URL from the environment is first seen here
            raise ChannelError(f"Apprise cannot use the webhook URL {_private(self.url)}: fix it in webhooks.urls "
                               "or $LINEUPWATCH_WEBHOOK_URLS; the alerts stay pending for this channel")
        for notification in notifications:
            with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
                delivered = target.notify(body=mailer.text_body(notification, link), title=mailer.headline(notification),
                                          body_format=apprise.NotifyFormat.TEXT)
            if not delivered:
                why = one_line(log.getvalue().replace(self.url, _private(self.url))) or "no reason given"
                raise ChannelError(f"cannot post to {self.label}: {why}; the alerts stay pending for this channel "
                                   "and the next run sends them")
            on_sent(notification, notification.key)


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
