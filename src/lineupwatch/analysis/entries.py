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

    @property
    def uncertain(self) -> bool:
        return bool(self.doubts)

    @property
    def small(self) -> bool:
        return self.size_class in SMALL_CLASSES

    @property
    def label(self) -> str:
        mark = "~" if self.uncertain else ""
        return f"{self.key} ({mark}{self.released.isoformat()})"


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
    for entry, (_, members, _) in zip(entries, groups):
        parent = _parent_entry(entry, members, entry_of_repo)
        derivative_of = parent.key if parent else None
        counted = entry.line in counted_lines and (derivative_of is None or settings.count_derivatives)
        # The entries are still being built (nothing outside holds them): set the two fields in place,
        # where dataclasses.replace took a third of build_entries on a Hub of 10,000 repos.
        object.__setattr__(entry, "derivative_of", derivative_of)
        object.__setattr__(entry, "counted", counted)
        result.append(entry)
    return sorted(result, key=lambda e: (e.released, e.family, e.key))


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
