"""Lineup entries, derivatives, waves and small-release cadence: pure functions over repos.

An entry is one release of one size point of one line of one generation. Only original
checkpoints found an entry; quantized or re-formatted copies join the entry of their original and
never make a new one, so a GGUF of an old model released this week is news, not a new size point.

A size point can be released more than once: Qwen3-4B (April 2025), Qwen3-4B-Instruct-2507
(August), Qwen3-4B-SafeRL (September). An original whose name carries a date or revision tag
("2507", "0528") founds its own entry; one whose name carries another release word ("SafeRL",
"Thinking", "1M", "Preview", "VL-Embedding") founds its own entry when it came out on a different
day (more than SAME_RELEASE_DAYS apart) from the size point's plain release. Every date is the
repo's release date (facts.Repo.released), never the Hub's createdAt alone.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ..config.settings import SMALL_CLASSES, AnalysisSettings
from ..normalize.known_facts import known_fact
from ..store.facts import Repo

# base_model relations that make a repo a fine-tune of its parent (adapters such as sparse
# autoencoders are tools for a model, not models of their own).
DERIVING_RELATIONS = ("finetune", "card", "merge")
# Originals of one size point released this close together are one release (a base and an instruct
# repo published a day apart); a tagged original further apart is a release of its own.
SAME_RELEASE_DAYS = 3


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
    released_from: str = "created"  # where the release date came from: "seen" (a poll) or "created"
    doubts: tuple[str, ...] = ()  # why the bundled facts call its date or existence uncertain
    shaky: bool = False  # a doubt that can change a verdict (not just an approximate day)
    built_on: str | None = None  # repo id of another family's base it was tuned from (Qwen/Qwen3-8B)

    @property
    def uncertain(self) -> bool:
        return bool(self.doubts)

    @property
    def small(self) -> bool:
        return self.size_class in SMALL_CLASSES

    @property
    def name(self) -> str:
        """The entry as a reader must see it: its key, and "on Qwen3-8B" when it is built on another
        family's base (DeepSeek-R1 · LM · 8B · 0528 on Qwen3-8B)."""
        return self.key + (f" on {built_on_name(self.built_on)}" if self.built_on else "")

    @property
    def label(self) -> str:
        mark = "~" if self.uncertain else ""
        return f"{self.name} ({mark}{self.released.isoformat()})"


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
    for repo in sorted(repos, key=lambda r: (r.released, r.repo_id)):
        if repo.entry_key:
            (copies if repo.quantized else originals)[(repo.family, repo.entry_key)].append(repo)
    groups = [release for group, members in originals.items()
              for release in _releases(group[1], members, copies.get(group, []))]
    entries = [_entry(key, members, group_copies) for key, members, group_copies in groups]
    entry_of_repo = {repo_id: e for e in entries for repo_id in e.repos}
    counted_lines = set(settings.counted_lines)
    result = []
    family_of_repo = {repo_id: e.family for e in entries for repo_id in e.repos}
    parents: dict[int, Entry] = {}
    for entry, (_, members, _) in zip(entries, groups):
        parent = _parent_entry(entry, members, entry_of_repo)
        derivative_of = parent.key if parent else None
        counted = entry.line in counted_lines and (derivative_of is None or settings.count_derivatives)
        # The entries are still being built (nothing outside holds them): set the fields in place,
        # where dataclasses.replace took a third of build_entries on a Hub of 10,000 repos.
        object.__setattr__(entry, "derivative_of", derivative_of)
        object.__setattr__(entry, "counted", counted)
        object.__setattr__(entry, "built_on", _built_on(entry, members, family_of_repo))
        if parent is not None:
            parents[id(entry)] = parent
        result.append(entry)
    result.sort(key=lambda e: (e.released, e.family, e.key))
    for entry in result:  # oldest first: a derivative of an entry built on another family's base is too
        parent = parents.get(id(entry))
        if entry.built_on is None and parent is not None and parent.built_on:
            object.__setattr__(entry, "built_on", parent.built_on)
    return result


def built_on_name(repo_id: str) -> str:
    """A base as readers name it: `Qwen/Qwen3-8B` -> `Qwen3-8B`."""
    return repo_id.rpartition("/")[2]


def _built_on(entry: Entry, members: list[Repo], family_of_repo: dict[str, str]) -> str | None:
    """The base of another family one of the entry's originals was tuned from (its base_model
    lineage: DeepSeek-R1-0528-Qwen3-8B on Qwen/Qwen3-8B): a polled repo of another family, or a
    repo outside the orgs the entry's own repos come from."""
    own_orgs = {repo_id.partition("/")[0].casefold() for repo_id in entry.repos}
    for repo in members:
        for relation, parent_id in repo.base_models:
            if relation not in DERIVING_RELATIONS:
                continue
            family = family_of_repo.get(parent_id)
            if family != entry.family and (family is not None or parent_id.partition("/")[0].casefold() not in own_orgs):
                return parent_id
    return None


def is_date_tag(tag: str | None) -> bool:
    return bool(tag) and tag.isdigit()


def _releases(key: str, members: list[Repo], copies: list[Repo]) -> list[tuple[str, list[Repo], list[Repo]]]:
    """Split one size point's originals (oldest first) into releases, and give each copy to the
    release of its original (its quantized parent, else the same tag, else the plain release)."""
    by_tag: dict[str | None, list[Repo]] = {}
    for repo in members:
        by_tag.setdefault(repo.release_tag, []).append(repo)
    word_tags = [t for t in by_tag if not is_date_tag(t)]
    main_tag = None if None in by_tag else (word_tags[0] if word_tags else None)
    releases: dict[str | None, list[Repo]] = {}
    for tag, group in by_tag.items():
        joins_main = (main_tag in by_tag and not is_date_tag(tag)
                      and abs((group[0].released - by_tag[main_tag][0].released).days) <= SAME_RELEASE_DAYS)
        releases.setdefault(main_tag if joins_main else tag, []).extend(group)
    home = {repo.repo_id: tag for tag, group in releases.items() for repo in group}
    tag_home = {tag: home_tag for home_tag, group in releases.items() for tag in {r.release_tag for r in group}}
    given: dict[str | None, list[Repo]] = defaultdict(list)
    for copy in copies:
        parent = next((p for rel, p in copy.base_models if rel == "quantized" and p in home), None)
        target = home[parent] if parent else tag_home.get(copy.release_tag, main_tag if main_tag in releases else next(iter(releases)))
        given[target].append(copy)
    return [(key if tag == main_tag else f"{key} · {tag}", sorted(group, key=lambda r: (r.released, r.repo_id)), given[tag])
            for tag, group in releases.items()]


def _entry(key: str, members: list[Repo], copies: list[Repo]) -> Entry:
    primary = members[0]
    everything = members + copies
    first = min(everything, key=lambda r: (r.released, r.repo_id))
    return Entry(
        family=primary.family, key=key, generation=primary.generation, line=primary.line,
        size_label=primary.size_label, params_total_b=primary.params_total_b, params_active_b=primary.params_active_b,
        size_class=primary.size_class, released=first.released,
        repos=tuple(r.repo_id for r in everything), primary=primary.repo_id, license=primary.license,
        gated=primary.gated, removed=all(r.removed for r in everything), released_from=first.released_from,
        doubts=tuple(fact.doubts) if (fact := known_fact(primary.repo_id)) else (), shaky=bool(fact and fact.shaky),
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


def days_since(day: date, as_of: date) -> int:
    """Whole days from `day` to `as_of`, 0 on the day itself: the one definition of "days since"
    (the baseline, the last small entry, a wave) that every forecast, alert and gap uses."""
    return (as_of - day).days


def release_waves(entries: Iterable[Entry], window_days: int) -> list[Wave]:
    """Release waves for gap statistics: a generation's new size points in one line, within the
    completion window of the first.

    - Only a size point's first release counts: a re-release of a size the line already had
      (Qwen3-4B-2507, Qwen3-4B-SafeRL) launches nothing and joins no wave.
    - Per generation and line (Qwen3's VL models came five months after its LMs: a launch of their
      own), a wave starts at the first new size point no earlier wave took and takes those released
      within `window_days` of its start; a new size point after that starts the next wave.
    - Waves that overlap in time are merged: nothing was silent between them. Oldest first."""
    points: set[tuple] = set()
    starts: dict[tuple, list[list[Entry]]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: (e.released, e.key)):
        generation = entry.generation or entry.key
        point = (generation, entry.line, entry.size_label or entry.key)
        if point in points:
            continue
        points.add(point)
        spans = starts[(generation, entry.line)]
        if spans and days_since(spans[-1][0].released, entry.released) <= window_days:
            spans[-1].append(entry)
        else:
            spans.append([entry])
    ordered = sorted((span for spans in starts.values() for span in spans), key=lambda m: (m[0].released, m[0].key))
    merged: list[list[Entry]] = []
    for members in ordered:
        if merged and members[0].released <= max(e.released for e in merged[-1]):
            merged[-1].extend(members)
        else:
            merged.append(list(members))
    return [Wave(members[0].family, tuple(sorted(members, key=lambda e: (e.released, e.key)))) for members in merged]


def gaps_between(waves: list[Wave]) -> list[tuple[Wave, Wave, int]]:
    """(wave, next wave, days of silence from the last day of one to the first of the next)."""
    return [(a, b, days_since(a.last, b.first)) for a, b in zip(waves, waves[1:])]


@dataclass(frozen=True)
class SmallGaps:
    """A family's gaps between small-model release waves, and where today stands against them."""

    waves: list[Wave]  # small-model waves (release_waves of the small counted entries), oldest first
    before_baseline: list[int]  # days between consecutive waves, both before the baseline
    p90: float | None  # `pct` percentile of before_baseline (None for fewer than two gaps)
    longest: int | None  # the longest of before_baseline
    last: Entry | None  # the latest small entry
    current: int | None  # days since the last small entry, as of the day asked

    @property
    def over_p90(self) -> bool:
        return self.p90 is not None and self.current is not None and self.current > self.p90


def small_gaps(counted: list[Entry], window_days: int, baseline: date, pct: float, as_of: date) -> SmallGaps:
    """Gap statistics over small-model waves, not release days: a gap inside a wave (Qwen3.5's
    sizes a few days apart) says nothing about how long the family goes without a small model."""
    small = [e for e in counted if e.small]
    waves = release_waves(small, window_days)
    before = [days for _, b, days in gaps_between(waves) if b.first < baseline]
    last = max(small, key=lambda e: (e.released, e.key), default=None)
    return SmallGaps(waves, before, percentile(before, pct), max(before, default=None), last,
                     days_since(last.released, as_of) if last else None)


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

