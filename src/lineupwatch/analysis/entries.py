"""Lineup entries, derivatives, waves and small-release cadence: pure functions over repos.

An entry is one size point of one line of one generation. Only original checkpoints found an
entry; quantized or re-formatted copies join the entry of the same key and never make a new one,
so a GGUF of an old model released this week is news, not a new size point.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from ..config import SMALL_CLASSES, AnalysisSettings
from ..facts import Repo

# base_model relations that make a repo a fine-tune of its parent (adapters such as sparse
# autoencoders are tools for a model, not models of their own).
DERIVING_RELATIONS = ("finetune", "card", "merge")


@dataclass(frozen=True)
class Entry:
    family: str
    key: str
    generation: str | None
    line: str
    size_label: str | None
    params_total_b: float | None
    params_active_b: float | None
    size_class: str | None
    released: date
    repos: tuple[str, ...]  # originals first, then copies, each by creation
    primary: str
    license: str | None
    gated: str
    derivative_of: str | None = None  # key of the earlier entry of the family it was fine-tuned from
    counted: bool = False  # counts for the forecasts
    removed: bool = False  # every repo of it is gone from the Hub

    @property
    def small(self) -> bool:
        return self.size_class in SMALL_CLASSES

    @property
    def label(self) -> str:
        return f"{self.key} ({self.released.isoformat()})"


@dataclass(frozen=True)
class Wave:
    family: str
    entries: tuple[Entry, ...]

    @property
    def first(self) -> date:
        return self.entries[0].released

    @property
    def last(self) -> date:
        return self.entries[-1].released

    @property
    def days(self) -> list[date]:
        return sorted({e.released for e in self.entries})

    @property
    def has_small(self) -> bool:
        return any(e.small for e in self.entries)


def build_entries(repos: Iterable[Repo], settings: AnalysisSettings) -> list[Entry]:
    """All entries of all families, oldest first, with derivatives and counting decided."""
    originals: dict[tuple[str, str], list[Repo]] = defaultdict(list)
    copies: dict[tuple[str, str], list[Repo]] = defaultdict(list)
    for repo in sorted(repos, key=lambda r: (r.created, r.repo_id)):
        if repo.entry_key:
            (copies if repo.quantized else originals)[(repo.family, repo.entry_key)].append(repo)
    entries = [_entry(members, copies.get(group, [])) for group, members in originals.items()]
    entry_of_repo = {repo_id: e for e in entries for repo_id in e.repos}
    counted_lines = set(settings.counted_lines)
    result = []
    for entry, members in zip(entries, originals.values()):
        parent = _parent_entry(entry, members, entry_of_repo)
        derivative_of = parent.key if parent else None
        counted = entry.line in counted_lines and (derivative_of is None or settings.count_derivatives)
        result.append(replace(entry, derivative_of=derivative_of, counted=counted))
    return sorted(result, key=lambda e: (e.released, e.family, e.key))


def _entry(members: list[Repo], copies: list[Repo]) -> Entry:
    primary = members[0]
    everything = members + copies
    return Entry(
        family=primary.family, key=primary.entry_key or "", generation=primary.generation, line=primary.line,
        size_label=primary.size_label, params_total_b=primary.params_total_b, params_active_b=primary.params_active_b,
        size_class=primary.size_class, released=min(r.created for r in everything),
        repos=tuple(r.repo_id for r in everything), primary=primary.repo_id, license=primary.license,
        gated=primary.gated, removed=all(r.removed for r in everything),
    )


def _parent_entry(entry: Entry, members: list[Repo], entry_of_repo: dict[str, Entry]) -> Entry | None:
    """The earlier entry of the same family that one of this entry's originals was tuned from."""
    for repo in members:
        for relation, parent_id in repo.base_models:
            parent = entry_of_repo.get(parent_id)
            if (relation in DERIVING_RELATIONS and parent is not None and parent.family == entry.family
                    and parent.key != entry.key and parent.released < entry.released):
                return parent
    return None


def family_entries(entries: Iterable[Entry], family: str, *, counted_only: bool = True) -> list[Entry]:
    return [e for e in entries if e.family == family and (e.counted or not counted_only)]


def waves(entries: list[Entry], gap_days: int) -> list[Wave]:
    """Consecutive counted entries of one family no more than `gap_days` apart form a wave."""
    result: list[Wave] = []
    current: list[Entry] = []
    for entry in sorted(entries, key=lambda e: (e.released, e.key)):
        if current and (entry.released - current[-1].released).days > gap_days:
            result.append(Wave(current[0].family, tuple(current)))
            current = []
        current.append(entry)
    if current:
        result.append(Wave(current[0].family, tuple(current)))
    return result


def small_release_gaps(entries: list[Entry]) -> tuple[list[date], list[int]]:
    """Distinct release days of small entries and the gaps in days between them."""
    days = sorted({e.released for e in entries if e.small})
    return days, [(b - a).days for a, b in zip(days, days[1:])]


def percentile(values: list[int], pct: float) -> float | None:
    """Linear-interpolated percentile; None for fewer than two values (no history to judge by)."""
    if len(values) < 2:
        return None
    return statistics.quantiles(values, n=100, method="inclusive")[round(pct) - 1]


def size_mix(entries: Iterable[Entry], classes: Iterable[str]) -> dict[str, int]:
    mix = dict.fromkeys(classes, 0)
    for entry in entries:
        if entry.size_class in mix:
            mix[entry.size_class] += 1
    return mix


def sizes_text(entries: Iterable[Entry], small_limit_b: float) -> str:
    """'72B, 27B, nothing <= 10B': the size mix of a generation or wave as a reader says it."""
    entries = list(entries)
    labels = [e.size_label or e.key for e in sorted(entries, key=lambda e: -(e.params_total_b or 0))]
    text = ", ".join(dict.fromkeys(labels))
    if not any(e.small for e in entries):
        text += f", nothing <= {small_limit_b:g}B"
    return text
