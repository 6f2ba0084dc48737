"""Who builds on whom: new derivatives per week by base family and size class, and who fills the
small sizes. Pure: stream facts in, the report's `ecosystem` block (DESIGN.md's contract) out.

- A derivative is a new repo with any `base_model` relation; it counts once, under its most
  specific relation (quantized, adapter, merge, finetune) and that relation's first parent.
- The parent's family and size class are its watched repo's (the lineup tables); parents outside
  the watched families are "other", and the most derived-from of them are named.
- `small_share`: each family's share of the week's new derivatives of tiny and small bases,
  "other" excluded; `small_hhi` their Herfindahl index (sum of squared shares, 1 = one family
  takes all). `share` and `hhi` are the same over every size class.
- A family's baseline band is the range of its weekly small share over the last
  `ecosystem_band_weeks` complete weeks before the baseline week.
- Fillers: originals from outside the watched orgs (no base_model, a pipeline of a counted line, <= small,
  above `filler_min_downloads` at least `filler_after_days` after release) and community repos
  named after a watched family's post-baseline generation at a small size (`empero-ai/Qwen3.8-9B`),
  listed as community work and never as the family's release.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ..config.settings import SMALL_CLASSES, Config
from ..normalize.lines import HUB_TASK_LINES, LEGACY_TASK_LINES, task_line
from ..normalize.names import parse_name
from ..store.facts import Repo
from ..stream.facts import EcosystemFacts

OTHER = "other"


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def new_generations(repos: list[Repo], config: Config) -> dict[str, dict[str, set[str]]]:
    """Per watched family, each generation whose first counted repo came after the baseline, with
    the size labels the family released in it: a community namesake at another size
    (`Qwen3.8-9B` where Qwen3.8 has no 9B) claims a release the family did not make."""
    first: dict[tuple[str, str], date] = {}
    sizes: dict[tuple[str, str], set[str]] = {}
    counted = set(config.analysis.counted_lines)
    for repo in repos:
        if repo.family in config.watch and repo.generation and repo.line in counted and not repo.quantized:
            key = (repo.family, repo.generation)
            first[key] = min(first.get(key, repo.released), repo.released)
            # a label may carry its counted size beside the name's ("Flash-Next · 180B-A6B"): both name it
            sizes.setdefault(key, set()).update((repo.size_label or "").split(" · "))
    found: dict[str, dict[str, set[str]]] = {}
    for (family, generation), day in sorted(first.items()):
        if day >= config.analysis.baseline_date and re.search(r"\d", generation):
            found.setdefault(family, {})[generation] = sizes[(family, generation)]
    return found


def counted_pipelines(config: Config) -> tuple[str, ...]:
    """The Hub's pipeline tags whose line counts for the forecasts: an original filler's pipeline."""
    return tuple(tag for tag, line in {**LEGACY_TASK_LINES, **HUB_TASK_LINES}.items()
                 if line in config.analysis.counted_lines)


def first_week(config: Config) -> date:
    return monday(config.analysis.baseline_date) - timedelta(weeks=config.analysis.ecosystem_weeks_before_baseline)


def ecosystem_block(facts: EcosystemFacts, config: Config, new_gens: dict[str, dict[str, set[str]]]) -> dict:
    primary = config.watch[0]
    weeks = _weeks(facts, set(config.watch))
    band = baseline_band(weeks, primary, config)
    for week in weeks:
        share = week["small_share"].get(primary)
        week["primary_in_band"] = None if band is None or share is None or not week["complete"] else (
            band["low"] <= share <= band["high"])
    return {
        "family": primary,
        "first_week": iso_week(facts.first_week),
        "weeks": weeks,
        "band": band,
        "top_other_parents": [{"parent": parent, "derivatives": n} for parent, n in facts.top_other],
        "top_other_since": facts.top_other_since.isoformat(),
        "fillers": fillers(facts, config, new_gens),
        "stream": facts.runs,
        "notes": stream_notes(facts.runs),
    }


def stream_notes(stream: dict) -> list[str]:
    """What a reader must know about where the stream's figures come from (also in data health)."""
    notes = []
    label = stream.get("provenance") or {}
    if stream.get("synthetic"):
        notes.append(f"The Hub-wide stream is SYNTHETIC ({'; '.join(label.get('labels') or ['a replay Hub'])}): "
                     "its repos, shares and downloads are made up, not measured.")
    if stream.get("read_later"):
        notes.append(f"{stream['read_later']} stream run(s) read the Hub after this report's day (a backfill): "
                     "weeks are counted by each repo's release day.")
    if stream.get("last_error"):
        notes.append(f"The last stream run failed: {stream['last_error']}")
    if stream.get("skipped"):
        named = stream.get("skipped_repos") or []
        more = stream["skipped"] - len(named)
        notes.append(f"The last stream run skipped {stream['skipped']} repo(s) it could not read (counted nowhere): "
                     + "; ".join(named) + (f"; and {more} more" if more > 0 else ""))
    return notes


def _weeks(facts: EcosystemFacts, watch: set[str]) -> list[dict]:
    by_week: dict[str, dict] = {}
    day = facts.first_week
    while day <= facts.as_of:
        by_week[day.isoformat()] = {"week": iso_week(day), "monday": day.isoformat(),
                                    "complete": day + timedelta(days=6) <= facts.as_of, "new_repos": 0,
                                    "new_derivatives": 0, "by_base": {}, "by_relation": {}}
        day += timedelta(weeks=1)
    for week_day, relation, family, size_class, n in facts.counts:
        week = by_week.get(week_day)
        if week is None:
            continue
        week["new_repos"] += n
        if relation is None:
            continue
        week["new_derivatives"] += n
        family = family if family in watch else None  # a family no longer watched is "other" now
        base = week["by_base"].setdefault(family or OTHER, {})
        size = (size_class or "unknown") if family else "unknown"
        base[size] = base.get(size, 0) + n
        week["by_relation"][relation] = week["by_relation"].get(relation, 0) + n
    for week in by_week.values():
        small = {f: sum(n for c, n in sizes.items() if c in SMALL_CLASSES) for f, sizes in week["by_base"].items()
                 if f != OTHER}
        every = {f: sum(sizes.values()) for f, sizes in week["by_base"].items() if f != OTHER}
        week["small_share"], week["small_hhi"] = shares_and_hhi(small)
        week["share"], week["hhi"] = shares_and_hhi(every)
    return list(by_week.values())


def shares_and_hhi(counts: dict[str, int]) -> tuple[dict[str, float], float | None]:
    """Each key's share of the total (largest first) and the Herfindahl index of the shares."""
    total = sum(counts.values())
    if not total:
        return {}, None
    shares = {key: n / total for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n}
    return {key: round(s, 4) for key, s in shares.items()}, round(sum(s * s for s in shares.values()), 4)


def baseline_band(weeks: list[dict], family: str, config: Config) -> dict | None:
    """The range of `family`'s weekly small share in the complete weeks just before the baseline week."""
    baseline_week = iso_week(config.analysis.baseline_date)
    before = [w for w in weeks if w["week"] < baseline_week and w["complete"] and w["small_share"]]
    before = before[-config.analysis.ecosystem_band_weeks:]
    if not before:
        return None
    values = [w["small_share"].get(family, 0.0) for w in before]
    return {"family": family, "low": min(values), "high": max(values), "weeks": [w["week"] for w in before]}


def fillers(facts: EcosystemFacts, config: Config, new_gens: dict[str, dict[str, set[str]]]) -> list[dict]:
    """Who fills the small sizes, most downloaded first."""
    settings = config.analysis
    small_b = config.size_classes.small
    ripe = (facts.as_of - timedelta(days=settings.filler_after_days)).isoformat()
    watched_orgs = {org.casefold() for family in config.watched for org in family.orgs}
    found = []
    for row in facts.candidates:
        org, _, name = row["repo_id"].partition("/")
        if org.casefold() in watched_orgs:
            continue  # a watched org's own repo is its work, not a filler
        claimed = _namesake(name, config, new_gens)
        size = row["params_b"]
        if claimed and size is not None and size <= small_b:
            kind, family = "community", claimed
        elif (row["relation"] is None and size is not None and size <= small_b and row["released"] <= ripe
              and (row["downloads_all_time"] or 0) >= settings.filler_min_downloads
              and task_line(row["pipeline_tag"] or "") in settings.counted_lines):
            kind, family = "original", None
        else:
            continue
        found.append({"repo": row["repo_id"], "kind": kind, "named_after": family, "params_total_b": size,
                      "params_source": row["params_source"], "base": row["parent"], "relation": row["relation"],
                      "released": row["released"], "downloads": row["downloads_all_time"],
                      "downloads_30d": row["downloads"]})
    found.sort(key=lambda f: (-(f["downloads"] or 0), f["repo"]))
    return found[: settings.fillers_listed]


def _namesake(name: str, config: Config, new_gens: dict[str, dict[str, set[str]]]) -> str | None:
    """The watched family whose post-baseline generation the name claims at a size the family did
    not release in it, if any."""
    folded = name.casefold()
    for family_name, generations in new_gens.items():
        named = [g for g in generations if g.casefold() in folded]
        # Parsing is the costly part: skip names of another family, and names that carry a size the
        # generation has (most community repos are named after their parent: gemma-4-E4B-it-...).
        if not named or all(any(f"-{size}".casefold() in folded for size in generations[g] if size) for g in named):
            continue
        parsed = parse_name(name, config.families[family_name])
        if parsed.generation in generations and parsed.size_label and parsed.size_label not in generations[parsed.generation]:
            return family_name
    return None
