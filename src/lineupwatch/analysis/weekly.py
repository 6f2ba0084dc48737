"""The weekly report as data: facts in, the report JSON (DESIGN.md's contract) out. Pure."""

from __future__ import annotations

import json
from datetime import date, timedelta

from ..config.settings import Config
from ..normalize.lines import LINE_LABELS
from ..store.facts import Facts, Repo
from .coverage import coverage_matrix, lineup, quarterly_counts
from .entries import Entry, build_entries
from .fits import fits_block
from .forecasts import ForecastResult, evaluate
from .health import hub_health, with_stale_orgs
from .licences import licence_of
from .provenance import provenance_block
from .runnow import licence_drift, what_to_run

SCHEMA_VERSION = 2  # 2: `what_to_run` carries fits memory and builds (was memory_gb, quantized_builds)
RISK_KINDS = ("licence_changed", "gating_changed", "removed", "restored", "params_changed")


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def watched_entries(facts: Facts, config: Config) -> list[Entry]:
    """The entries of the watched families: what the report, its ecosystem block and the alerts read."""
    return build_entries((r for r in facts.repos if r.family in config.watch), config.analysis)


def analyse(facts: Facts, config: Config, entries: list[Entry] | None = None) -> tuple[list[Entry], list[ForecastResult]]:
    entries = watched_entries(facts, config) if entries is None else entries
    return entries, [with_stale_orgs(f, facts, config) for f in evaluate(entries, facts.events, config, facts.as_of)]


def build_report(facts: Facts, config: Config, alerts: list[dict] | None = None,
                 ecosystem: dict | None = None, entries: list[Entry] | None = None) -> dict:
    """The report dict; `entries`, when the caller has them, are `watched_entries` of these facts."""
    as_of, baseline = facts.as_of, config.analysis.baseline_date
    entries, forecasts = analyse(facts, config, entries)
    primary = config.watch[0]
    resilience = (ecosystem or {}).get("resilience")  # analysis/resilience.py, carried by the ecosystem block
    if resilience is not None:
        ecosystem = {k: v for k, v in ecosystem.items() if k != "resilience"}
    community_builds = (ecosystem or {}).get("community_builds")  # lifted into `fits`, not the ecosystem block
    if community_builds is not None:
        ecosystem = {k: v for k, v in ecosystem.items() if k != "community_builds"}
    return {
        "schema": SCHEMA_VERSION,
        "as_of": as_of.isoformat(),
        "week": iso_week(as_of),
        "baseline_date": baseline.isoformat(),
        "forecasts": [_with_built_on(f.to_json(), entries) for f in forecasts],
        "lineup": lineup(entries, primary, baseline),
        "new_this_week": new_this_week(facts.repos, entries, as_of, config),
        "entries_since_baseline": [_entry_json(e) for e in entries if e.released >= baseline],
        "derivatives": [_derivative_json(e, baseline) for e in entries if e.derivative_of],
        "quarterly": quarterly_counts(entries, primary, as_of, baseline),
        "coverage": coverage_matrix(entries, list(config.watch), as_of, config.analysis.coverage_window_days),
        "indicators": indicators(facts, entries, primary, list(config.watch)),
        "what_to_run": what_to_run(entries, list(config.watch), as_of, config.fits, community_builds),
        "licence_drift": licence_drift(entries, [ev for ev in facts.events if ev["family"] in config.watch], baseline),
        "risk_events": [_event_json(ev) for ev in reversed(facts.events)
                        if ev["kind"] in RISK_KINDS and ev["at"][:10] >= baseline.isoformat()],
        "data_health": {**data_health(facts, config, (ecosystem or {}).get("notes") or []),
                        "release_dates": release_dates(facts, entries, config)},
        "alerts": alerts or [],
        "ecosystem": ecosystem,  # analysis/ecosystem.py, from the Hub-wide stream
        "resilience": resilience,  # analysis/resilience.py: can one departure kill local AI?
        "fits": fits_of(facts, config, entries, ecosystem, community_builds),  # analysis/fits.py
        # where each input came from, and whether any is synthetic (analysis/provenance.py)
        "provenance": provenance_block(facts.polls, (ecosystem or {}).get("stream"), as_of),
    }


def fits_of(facts: Facts, config: Config, entries: list[Entry], ecosystem: dict | None,
            community_builds: list[dict] | None) -> dict:
    """What fits your machine: the budgets' picks, with the freshness of the data behind them."""
    polls = [p for p in facts.polls if p.stored]
    stream = (ecosystem or {}).get("stream") or {}
    return fits_block(entries, config.fits, facts.as_of, adoption=(ecosystem or {}).get("adoption"),
                      community=community_builds, last_poll=polls[-1].started_at if polls else None,
                      last_stream_run=stream.get("last_ok"), stream_synthetic=bool(stream.get("synthetic")))


def new_this_week(repos: list[Repo], entries: list[Entry], as_of: date, config: Config) -> list[dict]:
    """Repos released in the ISO week of as_of (up to as_of), grouped by entry: a repo created
    weeks ago and first listed this week is new this week."""
    monday = as_of - timedelta(days=as_of.weekday())
    entry_of = {repo_id: e for e in entries for repo_id in e.repos}
    groups: dict[str, dict] = {}
    for repo in repos:
        if repo.family not in config.watch or not monday <= repo.released <= as_of:
            continue
        entry = entry_of.get(repo.repo_id)
        key = entry.key if entry else repo.repo_id
        group = groups.setdefault(key, {
            "family": repo.family, "entry": entry.key if entry else None,
            "new_entry": bool(entry and entry.released >= monday), "counted": bool(entry and entry.counted),
            "size_class": entry.size_class if entry else repo.size_class,
            "released": (entry.released if entry else repo.released).isoformat(),
            "released_from": entry.released_from if entry else repo.released_from,
            "uncertain": list(entry.doubts) if entry else [], "built_on": entry.built_on if entry else None,
            "repos": []})
        group["repos"].append(repo.repo_id)
    return sorted(groups.values(), key=lambda g: (not g["new_entry"], g["family"], g["entry"] or g["repos"][0]))


def indicators(facts: Facts, entries: list[Entry], family: str, families: list[str]) -> dict:
    """Adoption of small versus larger entries: 30-day downloads of every repo of an entry
    (copies included) and child-model counts; the primary family at each sampled poll, every
    family at the latest."""
    size_of = {repo_id: e.small for e in entries if e.counted for repo_id in e.repos}
    family_of = {repo_id: e.family for e in entries for repo_id in e.repos}
    points = [{"date": day, **_totals(state, size_of, family_of).get(family, _no_totals())} for day, state in facts.trend]
    latest = _totals({r.repo_id: (r.downloads, r.children_model_count) for r in facts.repos}, size_of, family_of)
    present = set(family_of.values())
    by_family = {f: latest.get(f, _no_totals()) for f in families if f in present}
    return {"family": family, "points": points, "by_family": by_family}


def _no_totals() -> dict[str, int | None]:
    return {"small_downloads": 0, "larger_downloads": 0, "small_children": None, "larger_children": None}


def _totals(state: dict, size_of: dict[str, bool], family_of: dict[str, str]) -> dict[str, dict[str, int | None]]:
    """Sums per family and kind, in one pass; a child total stays None until some child count of
    that kind is known (they are fetched within a per-poll budget), so 'not fetched yet' never
    reads as 'no children'."""
    by_family: dict[str, dict[str, int | None]] = {}
    for repo_id, (downloads, children) in state.items():
        if repo_id in size_of:
            totals = by_family.setdefault(family_of.get(repo_id), _no_totals())
            kind = "small" if size_of[repo_id] else "larger"
            totals[f"{kind}_downloads"] += downloads or 0
            if children is not None:
                totals[f"{kind}_children"] = (totals[f"{kind}_children"] or 0) + children
    return by_family


def data_health(facts: Facts, config: Config, stream_notes: list[str] | None = None) -> dict:
    ok = [p for p in facts.polls if p.stored]
    week_ago = (facts.as_of - timedelta(days=7)).isoformat()
    failures_in_a_row = 0
    for poll in reversed(facts.polls):
        if poll.stored:
            break
        failures_in_a_row += 1
    counted = set(config.analysis.counted_lines)
    unsized = [r.repo_id for r in facts.repos if r.family in config.watch and r.line in counted
               and not r.quantized and r.size_class is None]
    hub = hub_health(facts, config)
    notes = list(hub.pop("notes"))
    if ok and ok[-1].warnings:  # what the last poll could not do (child counts skipped or stopped)
        notes += [f"last poll: {note}" for note in json.loads(ok[-1].warnings)]
    if facts.backfilled:
        notes.append(f"no poll had run by {facts.as_of}: entries are dated by createdAt and their state "
                     "is taken from the first poll after that day")
    notes += stream_notes or []  # the Hub-wide stream's (analysis/ecosystem.py): synthetic, backfilled, failing
    return {"last_successful_poll": ok[-1].started_at if ok else None, "polls": len(facts.polls),
            "failed_polls_7d": sum(1 for p in facts.polls if not p.stored and p.started_at[:10] >= week_ago),
            "failed_polls_in_a_row": failures_in_a_row,
            "last_error": next((p.error for p in reversed(facts.polls) if p.error), None),
            "unsized_repos": unsized, "backfilled": facts.backfilled, "notes": notes, **hub}


def release_dates(facts: Facts, entries: list[Entry], config: Config) -> dict:
    """Per family, where its entries' dates come from: `seen` (a poll listed the repo after an
    earlier complete poll of its org did not: the day it went public, to a poll's precision) or
    `created` (the Hub's createdAt, for repos already there at the family's first poll: a repo
    is created, private, days or weeks before it goes public, so such a date may be too early)."""
    families = {}
    for family in config.watch:
        first = min((r.first_seen for r in facts.repos if r.family == family), default=None)
        own = [e for e in entries if e.family == family]
        seen = sum(1 for e in own if e.released_from == "seen")
        families[family] = {"first_poll": first.isoformat() if first else None, "entries": len(own),
                            "seen": seen, "created": len(own) - seen,
                            "uncertain": sum(1 for e in own if e.shaky)}
    return {"families": families,
            "note": "Entries dated `created` take the Hub's createdAt: the repo may have gone public days or weeks "
                    "later (median 2 days, Gemma's small models 31). Entries dated `seen` went public between the "
                    "poll that first listed them and the poll before it.",
            "facts": "Uncertainty marks come from the bundled public facts (data/facts): Qwen complete to about "
                     "July 2026 plus later repos named in READMEs and news; peers one row per release, some "
                     "unconfirmed. A fact marked approximate, month-only, recalled or not confirmed stays marked."}


def _entry_json(entry: Entry) -> dict:
    return {"family": entry.family, "entry": entry.key, "generation": entry.generation,
            "line": LINE_LABELS.get(entry.line, entry.line),
            "params_total_b": entry.params_total_b, "params_active_b": entry.params_active_b,
            "size_class": entry.size_class, "released": entry.released.isoformat(),
            "released_from": entry.released_from, "uncertain": list(entry.doubts), "repos": list(entry.repos),
            "counted": entry.counted, "derivative_of": entry.derivative_of, **licence_of(entry).to_json(),
            "built_on": entry.built_on}


def _with_built_on(forecast: dict, entries: list[Entry]) -> dict:
    """The forecast's last small entry with the base it is built on, when another family's
    (DeepSeek's last small model is a fine-tune of Qwen3-8B): readers of the verdict must see it."""
    last = forecast.get("last_small_entry")
    if isinstance(last, dict) and "built_on" not in last:
        on = next((e.built_on for e in entries if e.key == last.get("entry") and e.family == forecast.get("family")), None)
        if on:
            forecast["last_small_entry"] = {**last, "built_on": on}
    return forecast


def _derivative_json(entry: Entry, baseline: date) -> dict:
    return {"family": entry.family, "entry": entry.key, "repo": entry.primary, "parent": entry.derivative_of,
            "released": entry.released.isoformat(), "size_class": entry.size_class,
            "since_baseline": entry.released >= baseline}


def _event_json(event: dict) -> dict:
    return {key: event[key] for key in ("at", "family", "repo_id", "kind", "old", "new")}
