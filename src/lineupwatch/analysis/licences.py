"""A release's licence as a reader must read it: stated, not stated, or unknown. Pure.

- **stated**: the Hub listing carries a licence (a `license:...` tag or the card's `license`,
  normalize/records.py); the listing wins over anything the bundled facts say.
- **not stated**: the listing carries neither, and nothing says more. Only this is "released with
  no licence stated".
- **unknown**: the listing carries neither, and the bundled facts record the licence as unknown
  ("licence not verified", an empty licence cell, "unknown": normalize/known_facts.py). An unknown
  licence is a gap in what we know, not a release without terms, and is never worded as one.

Licence drift (analysis/runnow.py) and the open-weights forecast's evidence name the same releases
(`unclear_licences`) in the same words (`licence_note`), so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ..normalize.known_facts import known_fact
from .entries import Entry

STATED, NOT_STATED, UNKNOWN = "stated", "not stated", "unknown"
# What a table shows in its licence column for a release without a stated one.
SHORT = {NOT_STATED: "not stated", UNKNOWN: "unknown"}
# The words of licence drift and of the open-weights evidence, one per status.
WORDS = {NOT_STATED: "no licence stated on the Hub", UNKNOWN: "licence unknown"}


@dataclass(frozen=True)
class LicenceState:
    status: str  # STATED, NOT_STATED or UNKNOWN
    licence: str | None  # the stated licence id (apache-2.0, qwen ...)
    why: str | None  # for UNKNOWN: the facts' reason ("licence not verified")

    @property
    def text(self) -> str:
        """For a table cell: the licence, else "not stated" or "unknown"."""
        return self.licence or SHORT[self.status]

    def to_json(self) -> dict:
        return {"license": self.licence, "license_status": self.status, "license_note": self.why}


def licence_of(entry: Entry) -> LicenceState:
    """The entry's licence: its primary repo's as the Hub lists it, else what the facts know of it."""
    licence = (entry.license or "").strip()
    if licence:
        return LicenceState(STATED, licence, None)
    for repo_id in (entry.primary, *entry.repos):
        fact = known_fact(repo_id)
        if fact is not None and fact.licence_doubt:
            return LicenceState(UNKNOWN, None, fact.licence_doubt)
    return LicenceState(NOT_STATED, None, None)


def licence_note(entry: Entry, state: LicenceState | None = None) -> str:
    """One release without a stated licence, worded the same everywhere:
    'Qwen3.8 · LM · 2.4T-A95B (2026-08-12): licence unknown (licence not verified)'."""
    state = state or licence_of(entry)
    why = f" ({state.why})" if state.why else ""
    return f"{entry.label}: {WORDS.get(state.status, state.status)}{why}"


def unclear_licences(entries: Iterable[Entry], baseline: date, family: str | None = None,
                     counted_only: bool = False) -> list[tuple[Entry, LicenceState]]:
    """Releases since the baseline whose licence is not stated or unknown, oldest first: with
    `counted_only`, those the forecasts count (what the open-weights evidence names)."""
    found = []
    for entry in sorted(entries, key=lambda e: (e.released, e.key)):
        if entry.released < baseline or (family is not None and entry.family != family):
            continue
        if counted_only and not entry.counted:
            continue
        state = licence_of(entry)
        if state.status != STATED:
            found.append((entry, state))
    return found


def licence_evidence(entries: Iterable[Entry], family: str, baseline: date) -> list[str]:
    """The open-weights evidence lines for the family's counted releases since the baseline
    without a stated licence: the releases and words licence drift shows for it. Neutral: an
    unknown licence is no closing, and a missing one is not proof of closed weights."""
    return [f"neutral: {licence_note(entry, state)}"
            for entry, state in unclear_licences(entries, baseline, family, counted_only=True)]
