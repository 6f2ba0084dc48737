"""The notify-or-not decision, pure: (last logged state, current state) -> reason.

Alertmanager's dedup stage without repeat intervals: lineupwatch speaks once per change.
"""

from __future__ import annotations

from enum import Enum

RESOLVED = "resolved"


class Reason(str, Enum):
    FIRST = "first"  # never seen before
    CHANGED = "changed"  # seen, now in another state (a verdict moved, or a resolved condition is back)
    RESOLVED = "resolved"  # was firing, holds no more
    NONE = "none"  # nothing to say


def decide(last: str | None, current: str | None) -> Reason:
    """`last` is the logged state (None: never logged); `current` is None when the condition no longer holds."""
    if current is None:
        return Reason.RESOLVED if last not in (None, RESOLVED) else Reason.NONE
    if last is None:
        return Reason.FIRST
    return Reason.NONE if last == current else Reason.CHANGED
