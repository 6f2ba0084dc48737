"""What a message carries, pure: the changes a run found, grouped into one notification.

Alertmanager sends what one evaluation finds as one notification; so does lineupwatch, per
channel. A change (one `notifications` row: a condition appeared, changed or resolved) is a
`Notice`; a `Notification` is the group of changes one message carries, most important first,
each resolution shown under the change that ended it. `to_send` decides what a channel still owes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .dedup import Reason
from .rules import ENDED_BY, RULES

WELCOME_RULE = "welcome"
SEVERITIES = ("critical", "warning", "info")  # most important first
# The welcome digest first, then the rules in their registry order (docs/alerts.md lists them so).
RULE_ORDER = (WELCOME_RULE, *RULES)


@dataclass(frozen=True)
class Notice:
    """One change, as stored in `notifications` (id 0: not stored, e.g. a dry run)."""

    id: int
    fingerprint: str
    rule: str
    state: str
    reason: str
    severity: str
    subject: str
    body: str
    evidence: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def seed(self) -> str:
        """What identifies this change across resends; the row id tells apart a condition that
        resolves, fires and resolves again."""
        return f"{self.id}:{self.fingerprint}:{self.state}:{self.reason}"

    @property
    def resolved(self) -> bool:
        return self.reason == Reason.RESOLVED.value


@dataclass(frozen=True)
class Item:
    """A change and the resolutions it brought about (shown with it)."""

    notice: Notice
    ended: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class Notification:
    """One message's worth of changes, most important first."""

    items: tuple[Item, ...]
    # The first line of the message when the facts behind it are synthetic (analysis/provenance.py)
    banner: str | None = None

    @property
    def notices(self) -> list[Notice]:
        """Every change carried, in the order the message shows them."""
        return [notice for item in self.items for notice in (item.notice, *item.ended)]

    @property
    def head(self) -> Notice:
        return self.items[0].notice

    @property
    def more(self) -> str:
        """How many changes besides the head: " (+2 more)", or nothing for a single change."""
        count = len(self.notices) - 1
        return f" (+{count} more)" if count else ""

    @property
    def subject(self) -> str:
        """The most important change, and how many more: "Qwen small-models forecast: refuted (+2 more)"."""
        return self.head.subject + self.more

    @property
    def key(self) -> str:
        """A hash of the changes carried, whatever their order: the same group resent after a
        crash gets the same key (and Message-ID)."""
        seeds = ",".join(sorted(notice.seed for notice in self.notices))
        return hashlib.sha256(seeds.encode()).hexdigest()[:32]


def importance(notice: Notice) -> tuple[int, bool, int, int]:
    """Sort key, most important first: severity (critical, warning, info), then a new or changed
    condition before a resolution, then the rule (RULE_ORDER), then the order of discovery."""
    severity = SEVERITIES.index(notice.severity) if notice.severity in SEVERITIES else len(SEVERITIES)
    rule = RULE_ORDER.index(notice.rule) if notice.rule in RULE_ORDER else len(RULE_ORDER)
    return severity, notice.resolved, rule, notice.id


def group(notices: Iterable[Notice]) -> Notification:
    """The changes as one notification: most important first, each resolution under the change
    that ended it (rules.ENDED_BY), or on its own when that change is not among them."""
    ordered = sorted(notices, key=importance)
    causes = [_cause(notice, ordered) if notice.resolved else None for notice in ordered]
    return Notification(tuple(Item(notice, tuple(ended for ended, by in zip(ordered, causes) if by == index))
                              for index, (notice, cause) in enumerate(zip(ordered, causes)) if cause is None))


def _cause(resolution: Notice, notices: list[Notice]) -> int | None:
    """Where in `notices` is the change of the same family that ended `resolution` (by
    ENDED_BY's preference); None when it is not there."""
    family = resolution.labels.get("family")
    for cause in ENDED_BY.get(resolution.rule, ()):
        for index, notice in enumerate(notices):
            if (notice.rule == cause.rule and not notice.resolved and notice.labels.get("family") == family
                    and cause.labels.items() <= notice.labels.items()):
                return index
    return None


def to_send(pending: list[Notice], taken: set[int], grouped: bool = True) -> list[Notification]:
    """What a channel owes: every pending change it has not taken yet, as one notification (or one
    per change, most important first, with grouping off); nothing when it owes nothing. A change
    the channel took is never owed again, even while another channel still waits for it."""
    owed = [notice for notice in pending if notice.id not in taken]
    if not owed:
        return []
    return [group(owed)] if grouped else [group([notice]) for notice in sorted(owed, key=importance)]


def with_banner(notifications: list[Notification], banner: str | None) -> list[Notification]:
    """The notifications with the synthetic-data banner every channel puts first (None: none)."""
    return [replace(n, banner=banner) for n in notifications] if banner else notifications
