"""Can one departure kill local AI? The weekly resilience index (issue 21). Pure: stored counts in,
the report's `resilience` block (DESIGN.md's contract) out.

Attribution through intermediaries (`root_of`): a new derivative counts for the family at the root
of its base chain. From the derivative's parent, the chain is followed through repos this monitor
knows: the stream's own base_model tags (`stream_repos.parent`), then the polls' (`Repo.base_models`
of the watched orgs' repos); a fine-tune of `unsloth/Qwen3-4B` whose parent the stream read as a
copy of `Qwen/Qwen3-4B` counts for Qwen. At the root:

1. a repo the polls list: its family (`poll`);
2. a repo in a watched org's namespace whose name the family's `repo_match` accepts, even when no
   poll listed it (gated, renamed, deleted): that family (`namespace`);
3. a repo the stream read with no base of its own: an original outside the watched families, "other"
   (`original`), whatever its name says (the Hub's own `baseModels` answer agrees: no base);
4. a repo nobody here read, by the name rules: the one watched family whose generation pattern the
   name carries (`unsloth/Qwen3-4B`, `mlx-community/Llama-3.2-1B-Instruct-4bit`): that family
   (`name`); a name that carries two families' patterns (`...-Llama-3-Qwen2-merge`) decides nothing;
5. else the root is unknown (`unknown`): counted in `unknown_root` and left out of the shares.

Attribution never makes a community repo a family's release: it only says on whose base a
derivative stands; entries (and independent publishers below) come from the polls alone.

The size class of a derivative's base is the first size found along the chain, from the parent
up: the lineup's size class of a polled repo, the stream's parameter count, the size the name
states; else "unknown" (counted nowhere but `unknown_size`).

Per ISO week, for `local` (tiny + small, <= the `small` bound) and `medium`:
- `shares`: each family's share of the week's new derivatives of bases of those sizes, "other"
  as one player; `hhi` in points (sum of squared percentage shares, 0-10,000), `band` (low below
  1,000, moderate to 1,800, high above: the 2023 US Merger Guidelines), `effective_families`
  10,000 / hhi, `elephant_factor` the fewest players whose shares reach 50% (CHAOSS);
- `largest`: the family with the largest share and that share;
- `independent_publishers`: watched families with a counted original entry of those sizes released
  in the last `resilience_publisher_days` days, not built on another family's base (`Entry.built_on`),
  whose licence is stated and whose repos are not gated;
- `dependents`: entries of those sizes by other watched families built on the largest family's
  bases, released in the same last `resilience_publisher_days` days, named;
- `downloads_shares`: the same shares weighted by the 30-day downloads of the week's new
  derivatives as this monitor's stream last read them (None when it read none).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ..config.settings import SMALL_CLASSES, Config, Family
from ..normalize.names import name_params_b
from ..store.facts import Repo
from ..stream.facts import ResilienceFacts
from .entries import Entry

OTHER = "other"
UNKNOWN = "unknown"
SIZE_GROUPS = {"local": SMALL_CLASSES, "medium": ("medium",)}
MAX_DEPTH = 32  # a base chain longer than this (or a cycle) stops where it is

# What each figure counts, carried in the JSON so that no figure travels without it.
COUNTS = {
    "new_derivatives": "new repos of the week with a base_model relation whose base (the chain's first "
                       "size found) is of these sizes, whatever their root",
    "attributed": "those whose base chain ends at a watched family or at an original outside them ('other')",
    "shares": "each root family's share of the attributed derivatives ('other' is one player)",
    "hhi": "Herfindahl-Hirschman index of the shares in points: sum of squared percentage shares, 0-10,000",
    "band": "low below 1,000, moderate 1,000-1,800, high above 1,800 (2023 US Merger Guidelines)",
    "effective_families": "10,000 / hhi",
    "elephant_factor": "the fewest players whose shares add up to at least 50% (CHAOSS)",
    "independent_publishers": "watched families with a new original of these sizes in the last N days, "
                              "not built on another family's base, licence stated and not gated",
    "dependents": "entries of these sizes by other watched families built on the largest family's bases, "
                  "released in the last N days",
    "downloads_shares": "shares weighted by the 30-day downloads of the week's new derivatives as the stream last read them",
    "unknown_root": "derivatives whose base chain ends at a repo no rule attributes",
}


@dataclass(frozen=True)
class Root:
    family: str | None  # a watched family, OTHER, or None when unknown
    size_class: str | None
    root: str  # the repo id the chain ends at
    how: str  # poll | namespace | name | original | unknown
    chain: tuple[str, ...]  # the parent first, the root last


class Attributor:
    """`root_of(parent)` for many parents, each chain walked once (memoized)."""

    def __init__(self, config: Config, repos: Mapping[str, Repo], stream_nodes: Mapping[str, tuple[str | None, float | None]]):
        self.families = config.watched
        self.size_classes = config.size_classes
        self.repos = repos
        self.nodes = stream_nodes  # repo id -> (its parent or None, its stream parameter count)
        self.orgs = {org.casefold(): f for f in self.families for org in f.orgs}
        self._cache: dict[str, Root] = {}

    def root_of(self, parent: str) -> Root:
        cached = self._cache.get(parent)
        if cached is None:
            cached = self._cache[parent] = _root_of(parent, self)
        return cached


def _up(node: str, at: Attributor) -> str | None:
    """The node's own parent as the stream or the polls know it."""
    known = at.nodes.get(node)
    if known is not None and known[0]:
        return known[0]
    repo = at.repos.get(node)
    if repo is not None and repo.base_models:
        return repo.base_models[0][1]
    return None


def _size_of(node: str, at: Attributor) -> str | None:
    repo = at.repos.get(node)
    if repo is not None and repo.size_class:
        return repo.size_class
    known = at.nodes.get(node)
    if known is not None and known[1] is not None:
        return at.size_classes.classify(known[1])
    return at.size_classes.classify(name_params_b(node.partition("/")[2]))


def _root_of(parent: str, at: Attributor) -> Root:
    chain = [parent]
    size = _size_of(parent, at)
    node = parent
    while len(chain) < MAX_DEPTH:
        up = _up(node, at)
        if up is None or up in chain:
            break
        chain.append(up)
        node = up
        size = size or _size_of(node, at)
    family, how = family_of_root(node, at)
    return Root(family, size, node, how, tuple(chain))


def family_of_root(node: str, at: Attributor) -> tuple[str | None, str]:
    repo = at.repos.get(node)
    if repo is not None:
        watched = {f.name for f in at.families}
        return (repo.family if repo.family in watched else OTHER), "poll"
    org, _, name = node.partition("/")
    family = at.orgs.get(org.casefold())
    if family is not None and family.matches(name):
        return family.name, "namespace"
    if node in at.nodes:  # the stream read it, with no base: the Hub says it is an original
        return OTHER, "original"
    named = family_by_name(name, at.families)
    if named is not None:
        return named, "name"
    return None, UNKNOWN


def family_by_name(name: str, families: list[Family]) -> str | None:
    """The one watched family whose generation pattern the name carries, not inside a longer word
    (`TinyLlama-1.1B` is no Llama); None for none or several."""
    found = set()
    for family in families:
        if not family.generation:
            continue
        for match in re.finditer(family.generation, name, re.IGNORECASE):
            if match.start() == 0 or not name[match.start() - 1].isalpha():
                found.add(family.name)
                break
    return found.pop() if len(found) == 1 else None


# --- the index -------------------------------------------------------------------------------


def concentration(counts: Mapping[str, float]) -> dict:
    """Shares (largest first), HHI in points, band, effective number and elephant factor of counts."""
    total = sum(counts.values())
    if not total:
        return {"shares": {}, "hhi": None, "band": None, "effective_families": None, "elephant_factor": None,
                "largest": None}
    ranked = sorted(((k, v / total) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0]))
    hhi = sum((100 * s) ** 2 for _, s in ranked)
    elephant, cumulative = 0, 0.0
    for _, share in ranked:
        elephant += 1
        cumulative += share
        if cumulative >= 0.5 - 1e-12:
            break
    largest = next(((k, s) for k, s in ranked if k != OTHER), None)
    return {"shares": {k: round(s, 4) for k, s in ranked}, "hhi": round(hhi),
            "band": band_of(hhi), "effective_families": round(10_000 / hhi, 2),
            "elephant_factor": elephant,
            "largest": {"family": largest[0], "share": round(largest[1], 4)} if largest else None}


def band_of(hhi: float) -> str:
    return "low" if hhi < 1_000 else "moderate" if hhi <= 1_800 else "high"


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def resilience_block(facts: ResilienceFacts, config: Config, repos: list[Repo], entries: list[Entry],
                     synthetic: bool = False) -> dict:
    """The report's `resilience` block: one row per ISO week from the stream's first counted week to
    the facts' day, the latest last, and the sentence of the latest complete (or current) week."""
    at = Attributor(config, {r.repo_id: r for r in repos}, facts.nodes)
    per_week: dict[str, dict[str, dict]] = {}  # Monday -> group -> {"by": {family: n}, "dl": {...}, ...}
    roots: dict[str, dict[str, int]] = {}
    for monday, parent, n, downloads in facts.counts:
        root = at.root_of(parent)
        week = per_week.setdefault(monday, {"unknown_size": 0, **{g: _empty() for g in SIZE_GROUPS}})
        group = next((g for g, classes in SIZE_GROUPS.items() if root.size_class in classes), None)
        if group is None:
            if root.size_class is None:
                week["unknown_size"] += n
            continue
        slot = week[group]
        slot["new"] += n
        if root.family is None:
            slot["unknown"] += n
        else:
            slot["by"][root.family] = slot["by"].get(root.family, 0) + n
            if downloads:
                slot["dl"][root.family] = slot["dl"].get(root.family, 0) + downloads
        roots.setdefault(group, {})
        roots[group][root.how] = roots[group].get(root.how, 0) + n
    weeks = []
    day = facts.first_week
    while day <= facts.as_of:
        monday = day.isoformat()
        end = min(day + timedelta(days=6), facts.as_of)
        raw = per_week.get(monday, {"unknown_size": 0, **{g: _empty() for g in SIZE_GROUPS}})
        row = {"week": iso_week(day), "monday": monday, "complete": day + timedelta(days=6) <= facts.as_of,
               "unknown_size": raw["unknown_size"]}
        for group, classes in SIZE_GROUPS.items():
            row[group] = _group_row(raw[group], classes, end, config, entries, at)
        weeks.append(row)
        day += timedelta(weeks=1)
    latest = next((w for w in reversed(weeks) if w["complete"] and w["local"]["new_derivatives"]), None) or (
        weeks[-1] if weeks else None)
    return {"weeks": weeks, "counts": COUNTS, "first_week": iso_week(facts.first_week),
            "baseline_week": iso_week(config.analysis.baseline_date),
            "publisher_days": config.analysis.resilience_publisher_days,
            "attributed_by": roots, "latest_week": latest["week"] if latest else None, "synthetic": synthetic,
            "sentence": (sentence(latest, config.analysis.resilience_publisher_days)
                         + (" (SYNTHETIC: the stream behind it is made up.)" if synthetic else ""))
            if latest else None}


def _empty() -> dict:
    return {"new": 0, "unknown": 0, "by": {}, "dl": {}}


def _group_row(slot: dict, classes: tuple[str, ...], end: date, config: Config, entries: list[Entry],
               at: Attributor) -> dict:
    index = concentration(slot["by"])
    weighted = concentration(slot["dl"])["shares"] if slot["dl"] else None
    largest = (index["largest"] or {}).get("family")
    return {"new_derivatives": slot["new"], "attributed": slot["new"] - slot["unknown"], **index,
            "downloads_shares": weighted,
            "independent_publishers": independent_publishers(entries, classes, end, config),
            "dependents": dependents(entries, largest, classes, end, config.analysis.resilience_publisher_days, at)
            if largest else [],
            "unknown_root": slot["unknown"]}


def independent_publishers(entries: list[Entry], classes: tuple[str, ...], end: date, config: Config) -> list[str]:
    since = end - timedelta(days=config.analysis.resilience_publisher_days)
    found = {e.family for e in entries
             if e.family in config.watch and e.counted and e.size_class in classes and not e.built_on
             and since < e.released <= end and open_weights(e)}
    return [f for f in config.watch if f in found]


def open_weights(entry: Entry) -> bool:
    """Licence stated on the Hub and not gated: weights anyone can take under stated terms."""
    return bool((entry.license or "").strip()) and entry.gated == "false"


def dependents(entries: list[Entry], largest: str, classes: tuple[str, ...], end: date, days: int,
               at: Attributor) -> list[dict]:
    """Entries of these sizes by other watched families, built on a base whose chain ends at the
    largest family, released in the `days` days to the week's end (newest first, at most 20)."""
    since = end - timedelta(days=days)
    found = []
    for e in entries:
        if (e.built_on and e.family != largest and e.size_class in classes and since < e.released <= end
                and at.root_of(e.built_on).family == largest):
            found.append({"repo": e.primary, "on": e.built_on, "family": e.family, "released": e.released.isoformat()})
    found.sort(key=lambda d: (d["released"], d["repo"]), reverse=True)
    return found[:20]


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def sentence(week: dict, days: int) -> str:
    """The first-screen answer, from the numbers of one week."""
    local = week["local"]
    head = "Can one departure kill local AI?"
    if not local["attributed"]:
        return f"{head} {week['week']}: no new derivatives of local-size bases were attributed, so no answer this week."
    largest = local["largest"] or {"family": OTHER, "share": 0.0}
    ef = local["elephant_factor"]
    if ef == 1:
        holds = (f"one family ({largest['family']}, {_pct(largest['share'])} of new small-base derivatives) "
                 f"holds the majority: elephant factor 1")
    else:
        holds = (f"no single family holds the majority ({largest['family']} is largest with "
                 f"{_pct(largest['share'])} of new small-base derivatives): elephant factor {ef}")
    band = {"low": "unconcentrated", "moderate": "moderately concentrated", "high": "highly concentrated"}[local["band"]]
    others = [f for f in local["independent_publishers"] if f != largest["family"]]
    if others:
        pubs = (f"{len(others)} other publisher{'s' if len(others) != 1 else ''} shipped small open models in "
                f"{days} days: {', '.join(others)}.")
    else:
        pubs = f"No other publisher shipped a small open model in {days} days."
    n = local["unknown_root"]
    unknown = f" ({n:,} derivative{'s' if n != 1 else ''} with an unknown root left out.)" if n else ""
    return (f"{head} {week['week']}: {holds}, HHI {local['hhi']:,} ({band}, "
            f"{local['effective_families']} effective families). {pubs}{unknown}")

