"""The bundled Hub as a timeline: which repos were public at a moment, with counters grown to it.

Fixture side only (the replay Hub, the demo and the tests use it; analysis never does). The
bundled state (data/hub_state.json.gz) is the Hub as of 2026-11-22; data/hub_public.csv gives
each repo's public moment. A repo is listed from that moment on, with the Hub's `createdAt`
(often days or weeks earlier). Its made-up counters grow like real adoption, fast in the first
weeks and slow after: a share log(1 + age/14) / log(1 + final age/14) of the final value.
"""

from __future__ import annotations

import copy
import csv
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

from .fixtures import bundled_state_path
from .server import labeled, load_state

STATE_AS_OF = datetime(2026, 11, 22, 23, 59, 59, tzinfo=timezone.utc)
FIRST_WEEKS_DAYS = 14.0  # the time scale of the adoption curve: half the growth of a year comes early
GROWING = ("downloadsAllTime", "likes", "childrenModelCount")


def bundled_timeline_path() -> Path:
    return Path(str(resources.files("lineupwatch") / "data" / "hub_public.csv"))


@dataclass(frozen=True)
class _Repo:
    model: dict
    public: datetime


class HubTimeline:
    """The bundled Hub state, moment by moment."""

    def __init__(self, models: list[dict], public_at: dict[str, str], provenance: dict | None = None) -> None:
        self.provenance = provenance or getattr(models, "provenance", None)  # sent along with each state
        self.repos = sorted((_Repo(m, _moment(public_at.get(m["id"]) or m.get("createdAt") or ""))
                             for m in models), key=lambda r: (r.public, r.model["id"]))

    @classmethod
    def bundled(cls) -> HubTimeline:
        with open(bundled_timeline_path(), newline="", encoding="utf-8") as handle:
            public_at = {row["repo_id"]: row["public_at"] for row in csv.DictReader(handle)}
        return cls(load_state(bundled_state_path()), public_at)

    @property
    def last_day(self) -> datetime:
        return STATE_AS_OF

    def state_at(self, moment: datetime) -> list[dict]:
        """The repos public at `moment`, as the Hub's listing would have returned them then."""
        return labeled([_grown(repo, moment) for repo in self.repos if repo.public <= moment], self.provenance)


def _grown(repo: _Repo, moment: datetime) -> dict:
    """The model with counters scaled to its age at `moment`; lastModified not after it."""
    model = copy.copy(repo.model)
    share = _adoption(moment - repo.public, STATE_AS_OF - repo.public)
    for key in GROWING:
        if isinstance(model.get(key), int):
            model[key] = int(model[key] * share)
    if isinstance(repo.model.get("downloadsAllTime"), int):  # the last 30 days: what the all-time count grew by
        month_ago = _adoption(moment - timedelta(days=30) - repo.public, STATE_AS_OF - repo.public)
        model["downloads"] = int(repo.model["downloadsAllTime"] * (share - month_ago))
    if model.get("lastModified") and _moment(model["lastModified"]) > moment:
        model["lastModified"] = model.get("createdAt")
    return model


def _adoption(age: timedelta, final_age: timedelta) -> float:
    days, final = max(age.total_seconds(), 0) / 86400, max(final_age.total_seconds(), 1) / 86400
    return min(1.0, math.log1p(days / FIRST_WEEKS_DAYS) / math.log1p(final / FIRST_WEEKS_DAYS))


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else STATE_AS_OF
