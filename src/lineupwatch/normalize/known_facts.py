"""What the bundled public facts (data/facts/*.csv) say about a repo that its Hub JSON cannot.

Three things, all keyed by repo id and all optional (a repo the facts do not name has none):
- sizes the repo name does not state: active parameters of an MoE named by a tier word
  (Qwen3.8-Flash-Next is 180B with 6B active; the Hub's `safetensors` gives totals only);
- how sure each fact is: a date the sources give only approximately (`2026-08-26~`, `2026-03~`),
  a date or size "unconfirmed (recalled ...)", a release that "may predate" the baseline, a
  weight release "NOT confirmed". Those stay uncertain in every output (the facts' README asks so);
- a licence the facts do not know: an empty licence cell, one that reads "unknown", or notes
  saying "licence not verified". Such a repo's licence is *unknown*, which is not the same as
  "not stated" (a Hub listing with no licence tag and no card licence); where the listing states
  a licence, the listing wins (analysis/licences.py).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

FACT_FILES = ("qwen_releases.csv", "peer_releases.csv")
_UNRECALLED = re.compile(r"unconfirmed \(recalled", re.IGNORECASE)
_MAY_PREDATE = re.compile(r"may predate[^;,]*", re.IGNORECASE)
_DAY_UNCONFIRMED = re.compile(r"(?:day|date) (?:not confirmed|unconfirmed|not verified)", re.IGNORECASE)
_NOT_RELEASED = re.compile(r"weight release NOT confirmed", re.IGNORECASE)
_LICENCE_UNVERIFIED = re.compile(r"licen[cs]e not (?:verified|confirmed)", re.IGNORECASE)


@dataclass(frozen=True)
class KnownFact:
    repo_id: str
    params_total_b: float | None
    params_active_b: float | None
    date_doubt: str | None  # why the release date is uncertain, or None
    existence_doubt: str | None  # why the release itself is uncertain, or None
    licence_doubt: str | None = None  # why the facts do not know the licence, or None

    @property
    def shaky(self) -> bool:
        """A doubt that can change a verdict: the release itself, or a date known only roughly
        (month, year, recalled, may predate); an approximate day alone only gets a `~` mark."""
        return self.existence_doubt is not None or (
            self.date_doubt is not None and not self.date_doubt.startswith("approximate day"))

    @property
    def doubts(self) -> list[str]:
        return [d for d in (self.existence_doubt, self.date_doubt) if d]


def known_fact(repo_id: str) -> KnownFact | None:
    return _table().get(repo_id.casefold())


@lru_cache(maxsize=1)
def _table() -> dict[str, KnownFact]:
    table: dict[str, KnownFact] = {}
    folder = resources.files("lineupwatch") / "data" / "facts"
    for name in FACT_FILES:
        with (folder / name).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                fact = _fact(row)
                table.setdefault(fact.repo_id.casefold(), fact)
    return table


def _fact(row: dict[str, str]) -> KnownFact:
    notes, date = row.get("notes") or "", row.get("release_date") or ""
    return KnownFact(row["repo_id"], _number(row.get("params_total_b")), _number(row.get("params_active_b")),
                     date_doubt(date, notes), "weight release not confirmed" if _NOT_RELEASED.search(notes) else None,
                     licence_doubt(row.get("license") or "", notes))


def licence_doubt(licence: str, notes: str) -> str | None:
    """Why the facts do not know a repo's licence, in their own words; None when they record one."""
    text = licence.strip()
    if _LICENCE_UNVERIFIED.search(notes):
        return "licence not verified"
    if not text:
        return "no licence in the facts"
    if text.casefold().startswith("unknown"):
        detail = text[len("unknown"):].strip().strip("()").strip()
        return "unknown in the facts" + (f"; {detail}" if detail else "")
    return None


def date_doubt(date: str, notes: str) -> str | None:
    """Why a facts date is uncertain, in words a reader can check against the facts table."""
    if _UNRECALLED.search(notes):
        return "date and size unconfirmed (recalled, not from a cited page)"
    if predate := _MAY_PREDATE.search(notes):
        return predate.group(0).strip()
    if not date:
        return "no date in the sources"
    if date.endswith("~"):
        text = date.rstrip("~")
        return {10: f"approximate day ({text})", 7: f"month only ({text})"}.get(len(text), f"year only ({text})")
    if _DAY_UNCONFIRMED.search(notes):
        return "day not confirmed"
    return None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None
