"""Alert rules: small pure functions from the analysis to the conditions that hold now.

A rule returns every condition it sees as an `Alert` with identifying labels and a state. The
fingerprint covers only the scheme version, the rule and the labels, never the wording, so a
condition is announced once when it appears, once when its state changes, and once when it goes
away (docs/alerts.md documents each rule). RULES is in importance order: within a severity, a
notification lists the changes of an earlier rule first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from ..analysis.entries import Entry, family_entries, sizes_text, small_gaps, waves
from ..analysis.forecasts import ForecastResult
from ..analysis.health import stale_orgs
from ..analysis.wording import days_words, gap_words, times
from ..config.settings import Config
from ..store.facts import Facts

FINGERPRINT_SCHEME = 1


@dataclass(frozen=True)
class Alert:
    rule: str
    labels: dict[str, str]
    state: str  # "firing", or for verdicts the verdict itself
    severity: str  # info | warning | critical
    subject: str
    body: str
    evidence: list[str] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        identity = {"scheme": FINGERPRINT_SCHEME, "rule": self.rule, **self.labels}
        return hashlib.sha256(json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class AlertContext:
    facts: Facts
    entries: list[Entry]
    forecasts: list[ForecastResult]
    now: datetime
    ecosystem: dict | None = None  # the report's ecosystem block (analysis/ecosystem.py)

    @property
    def as_of(self) -> date:
        return self.facts.as_of


Rule = Callable[[AlertContext, Config], list[Alert]]


def verdict_changed(ctx: AlertContext, config: Config) -> list[Alert]:
    """One condition per (family, forecast) whose state is the verdict: a change is news, and its
    body says why (the event that turned it, the threshold passed, or the days a change held)."""
    alerts = []
    for f in ctx.forecasts:
        why = [f"why: {f.cause.text}"] if f.cause else []
        body = f.summary + (f"\nWhy ({f.cause.day}): {f.cause.text}." if f.cause else "")
        alerts.append(Alert("verdict_changed", {"family": f.family, "forecast": f.id}, f.verdict.value,
                            "warning" if f.verdict.value == "supported" else "info",
                            f"{f.family} {f.id} forecast: {f.verdict.value}", body, why + f.evidence))
    return alerts


def new_generation(ctx: AlertContext, config: Config) -> list[Alert]:
    """A release wave of a watched family, with its size mix, from its first entry on."""
    alerts = []
    for family in config.watch:
        for wave in waves(family_entries(ctx.entries, family), config.analysis.wave_gap_days):
            generations = ", ".join(dict.fromkeys(e.generation or e.key for e in wave.entries))
            mix = sizes_text(wave.entries, config.size_classes.small)
            alerts.append(Alert("new_generation", {"family": family, "wave_start": wave.first.isoformat()}, "firing",
                                "info", f"{family} release wave {generations} from {wave.first}: {mix}",
                                f"{family} released {len(wave.entries)} new entries from {wave.first} to {wave.last}: {mix}.",
                                [e.label for e in wave.entries]))
    return alerts


def wave_without_small(ctx: AlertContext, config: Config) -> list[Alert]:
    """A wave that closed (no entry for wave_gap_days) without a single small entry."""
    gap = config.analysis.wave_gap_days
    alerts = []
    for family in config.watch:
        for wave in waves(family_entries(ctx.entries, family), gap):
            if (ctx.as_of - wave.last).days > gap and not wave.has_small:
                mix = sizes_text(wave.entries, config.size_classes.small)
                alerts.append(Alert("wave_without_small", {"family": family, "wave_start": wave.first.isoformat()},
                                    "firing", "warning", f"{family} wave from {wave.first} closed with no small model: {mix}",
                                    f"No {family} entry followed {wave.last} within {gap} days; the wave has {mix}.",
                                    [e.label for e in wave.entries]))
    return alerts


def small_gap_over_p90(ctx: AlertContext, config: Config) -> list[Alert]:
    """The time since the family's last small entry passed the percentile of its gaps between
    small-model waves before the baseline (gaps inside a wave do not count); silent below it."""
    settings = config.analysis
    pct = settings.gap_percentile
    alerts = []
    for family in config.watch:
        gaps = small_gaps(family_entries(ctx.entries, family), settings.completion_window_days,
                          settings.baseline_date, pct, ctx.as_of)
        if not gaps.over_p90:
            continue
        last, since = gaps.last, gaps.current
        longest = gap_words(since, gaps.longest, f"{family}'s longest gap between small-model waves before the baseline")
        alerts.append(Alert(
            "small_gap_over_p90", {"family": family, "last_small": last.key}, "firing", "warning",
            f"{family}: {days_words(since)} without a small model (p{pct:g} gap between small-model waves "
            f"{gaps.p90:.0f} days; {times(since / gaps.p90)})",
            f"{family}'s last small entry is {last.label}: {longest}. The p{pct:g} of its "
            f"{len(gaps.before_baseline)} gaps between small-model waves before the baseline is {gaps.p90:.0f} days.",
            [f"gaps between small-model waves before the baseline, in days: "
             f"{', '.join(map(str, gaps.before_baseline[-10:]))}"]))
    return alerts


def licence_or_gating(ctx: AlertContext, config: Config) -> list[Alert]:
    """A watched repo changed licence or became gated."""
    alerts = []
    for event in ctx.facts.events:
        if event["kind"] == "licence_changed" or (event["kind"] == "gating_changed" and event["new"] != "false"):
            what = "licence" if event["kind"] == "licence_changed" else "gating"
            alerts.append(Alert("licence_or_gating", {"repo": event["repo_id"], "kind": event["kind"], "new": event["new"] or ""},
                                "firing", "warning", f"{event['repo_id']}: {what} {event['old']} -> {event['new']}",
                                f"{event['repo_id']} ({event['family']}) changed {what} from {event['old']} to "
                                f"{event['new']}, seen by the poll of {event['at']}.", []))
    return alerts


def repos_removed(ctx: AlertContext, config: Config) -> list[Alert]:
    """Repos that a complete poll no longer found; resolved when they come back."""
    return [Alert("repos_removed", {"repo": r.repo_id}, "firing", "warning", f"{r.repo_id} was removed from the Hub",
                  f"{r.repo_id} ({r.family}, {r.entry_key or 'no entry'}) is missing from the latest complete poll.", [])
            for r in ctx.facts.repos if r.removed]


def small_share_drop(ctx: AlertContext, config: Config) -> list[Alert]:
    """The share of small entries among recent releases fell below a fraction of the baseline share."""
    rules, settings = config.alerts, config.analysis
    alerts = []
    for family in config.watch:
        counted = family_entries(ctx.entries, family)
        before = [e for e in counted if settings.baseline_date - timedelta(days=settings.cadence_window_days)
                  <= e.released < settings.baseline_date]
        recent = [e for e in counted if e.released > ctx.as_of - timedelta(days=rules.small_share_window_days)]
        if not before or not recent:
            continue
        base_share = sum(e.small for e in before) / len(before)
        share = sum(e.small for e in recent) / len(recent)
        if base_share > 0 and share < rules.small_share_fraction * base_share:
            alerts.append(Alert("small_share_drop", {"family": family}, "firing", "warning",
                                f"{family}: small models are {share:.0%} of recent releases (baseline {base_share:.0%})",
                                f"{sum(e.small for e in recent)} of {family}'s {len(recent)} entries of the last "
                                f"{rules.small_share_window_days} days are small, against {sum(e.small for e in before)} "
                                f"of {len(before)} before the baseline; the threshold is {rules.small_share_fraction:g}x.",
                                [e.label for e in recent]))
    return alerts


def monitor_health(ctx: AlertContext, config: Config) -> list[Alert]:
    """The monitor watching itself: polls failing in a row, or no successful poll for too long."""
    rules = config.alerts
    polls = ctx.facts.polls
    alerts = []
    failing = 0
    for poll in reversed(polls):
        if poll.stored:
            break
        failing += 1
    if failing >= rules.failed_polls_in_a_row:
        alerts.append(Alert("monitor_health", {"check": "failing"}, "firing", "critical",
                            f"lineupwatch: the last {failing} polls failed",
                            f"The last {failing} polls failed; the latest error: {polls[-1].error}", []))
    ok = [p for p in polls if p.stored]
    last_ok = datetime.fromisoformat(ok[-1].started_at) if ok else None
    if polls and (last_ok is None or ctx.now - last_ok > timedelta(hours=rules.stale_poll_hours)):
        since = f"since {last_ok.isoformat()}" if last_ok else "ever"
        alerts.append(Alert("monitor_health", {"check": "stale"}, "firing", "critical",
                            f"lineupwatch: no successful poll {since}",
                            f"No poll succeeded {since} (threshold {rules.stale_poll_hours:g} hours).", []))
    return alerts


def org_failing(ctx: AlertContext, config: Config) -> list[Alert]:
    """A watched org failed `org_failing_polls` polls in a row while the others were stored;
    resolved when it lists again (or leaves the config)."""
    alerts = []
    for org, state in stale_orgs(ctx.facts, config).items():
        if state.failed_polls < config.alerts.org_failing_polls:
            continue
        families = ", ".join(f.name for f in config.watched if org in f.orgs)
        last = state.last_ok[:10] if state.last_ok else "never"
        alerts.append(Alert("org_failing", {"org": org}, "firing", "warning",
                            f"lineupwatch: org {org} failed {state.failed_polls} polls in a row",
                            f"The Hub listing of org {org} ({families}) failed in the last {state.failed_polls} polls, "
                            f"since {(state.failing_since or '')[:10]}; its repos are as last listed ({last}) and "
                            f"verdicts on {families} rest on stale data. Latest reason: {state.reason}. "
                            f"If the org was renamed, set families.<name>.orgs in {config.path}.",
                            [f"latest reason: {state.reason}"]))
    return alerts


def _since_baseline(ctx: AlertContext, config: Config) -> list[dict]:
    """Complete ecosystem weeks from the baseline's week on, with derivatives of small bases."""
    year, week, _ = config.analysis.baseline_date.isocalendar()
    start = f"{year}-W{week:02d}"
    return [w for w in (ctx.ecosystem or {}).get("weeks") or [] if w["complete"] and w["week"] >= start
            and w["small_share"]]


def ecosystem_share_band(ctx: AlertContext, config: Config) -> list[Alert]:
    """The primary family's share of new small-base derivatives stayed outside its baseline band
    for N complete weeks in a row; each such stretch is announced once."""
    band = (ctx.ecosystem or {}).get("band")
    if not band:
        return []
    family, need = band["family"], config.alerts.ecosystem_band_breach_weeks
    alerts, stretch = [], []
    for week in _since_baseline(ctx, config) + [None]:
        share = None if week is None else week["small_share"].get(family, 0.0)
        side = None if share is None else "below" if share < band["low"] else "above" if share > band["high"] else None
        if stretch and side != stretch[0][1]:
            if len(stretch) >= need:
                first, last = stretch[0][0], stretch[-1][0]
                shares = ", ".join(f"{w['week']} {w['small_share'].get(family, 0.0):.0%}" for w, _ in stretch)
                alerts.append(Alert(
                    "ecosystem_share_band", {"family": family, "direction": stretch[0][1], "from_week": first["week"]},
                    "firing", "warning",
                    f"{family}'s share of new small-base derivatives {stretch[0][1]} its baseline band since {first['week']}",
                    f"For {len(stretch)} weeks from {first['week']} to {last['week']}, {family} was the base of a share "
                    f"of new derivatives of small models {stretch[0][1]} its baseline band "
                    f"({band['low']:.0%}-{band['high']:.0%}, weeks {band['weeks'][0]} to {band['weeks'][-1]}).",
                    [shares]))
            stretch = []
        if side:
            stretch.append((week, side))
    return alerts


def ecosystem_family_share(ctx: AlertContext, config: Config) -> list[Alert]:
    """Another base family's weekly share of new small-base derivatives reached the threshold
    (once per family: the first week it did)."""
    threshold = config.alerts.ecosystem_family_share_threshold
    primary = (ctx.ecosystem or {}).get("family")
    first: dict[str, dict] = {}
    for week in _since_baseline(ctx, config):
        for family, share in week["small_share"].items():
            if family != primary and share >= threshold:
                first.setdefault(family, week)
    return [Alert("ecosystem_family_share", {"family": family}, "firing", "info",
                  f"{family} is the base of {week['small_share'][family]:.0%} of new small-base derivatives ({week['week']})",
                  f"In {week['week']}, {family} was the base of {week['small_share'][family]:.0%} of the week's new "
                  f"derivatives of small models (threshold {threshold:.0%}); {primary}: "
                  f"{week['small_share'].get(primary, 0.0):.0%}.", [])
            for family, week in sorted(first.items())]


def community_adoption(ctx: AlertContext, config: Config) -> list[Alert]:
    """A community or outside small model passed the adoption threshold."""
    threshold = config.alerts.community_adoption_downloads
    return [Alert("community_adoption", {"repo": f["repo"]}, "firing", "info",
                  f"{f['repo']}: a {f['kind']} small model passed {threshold:,} downloads",
                  f"{f['repo']} ({f['params_total_b']}B, {f['kind']}"
                  + (f", named after {f['named_after']} but not its release" if f["named_after"] else "")
                  + (f", built on {f['base']}" if f["base"] else "") + f") has {f['downloads']:,} downloads.", [])
            for f in (ctx.ecosystem or {}).get("fillers") or [] if (f["downloads"] or 0) >= threshold]


def _resilience_weeks(ctx: AlertContext, config: Config) -> list[dict]:
    """Complete weeks since the baseline week of the resilience index (analysis/resilience.py)."""
    year, week, _ = config.analysis.baseline_date.isocalendar()
    start = f"{year}-W{week:02d}"
    block = (ctx.ecosystem or {}).get("resilience") or {}
    return [w for w in block.get("weeks") or [] if w["complete"] and w["week"] >= start]


def resilience_elephant_factor(ctx: AlertContext, config: Config) -> list[Alert]:
    """The elephant factor of the local sizes changed from one complete week with derivatives to the
    next; each change once, labelled by its week."""
    alerts, before = [], None
    for week in _resilience_weeks(ctx, config):
        local = week["local"]
        value = local["elephant_factor"]
        if value is None:
            continue
        if before is not None and value != before[1]:
            largest = local["largest"] or {}
            alerts.append(Alert(
                "resilience_elephant_factor", {"week": week["week"], "from": str(before[1]), "to": str(value)},
                "firing", "warning" if value < before[1] else "info",
                f"Elephant factor of local AI: {before[1]} -> {value} ({week['week']})",
                f"In {week['week']}, the fewest base families making up half of the new derivatives of local-size "
                f"bases (<= {config.size_classes.small:g}B) went from {before[1]} ({before[0]}) to {value}; largest: "
                f"{largest.get('family')} with {largest.get('share', 0):.0%} of {local['attributed']} attributed "
                f"derivatives.", [f"HHI {local['hhi']:,} ({local['band']})"]))
        before = (week["week"], value)
    return alerts


def resilience_hhi(ctx: AlertContext, config: Config) -> list[Alert]:
    """The local HHI crossed a band (1,000 / 1,800 points), or rose by more than
    `resilience_hhi_rise_points` within `resilience_hhi_rise_weeks` complete weeks (once per stretch)."""
    points, span = config.alerts.resilience_hhi_rise_points, config.alerts.resilience_hhi_rise_weeks
    alerts, seen, rising = [], [], False
    for week in _resilience_weeks(ctx, config):
        local = week["local"]
        if local["hhi"] is None:
            continue
        hhi = local["hhi"]
        if seen and local["band"] != seen[-1][2]:
            alerts.append(Alert(
                "resilience_hhi", {"week": week["week"], "kind": "band", "to": local["band"]}, "firing",
                "warning" if hhi > seen[-1][1] else "info",
                f"Local AI concentration: HHI {seen[-1][1]:,} -> {hhi:,}, now {local['band']} ({week['week']})",
                f"The Herfindahl-Hirschman index of base families' shares of new local-size derivatives moved from "
                f"the {seen[-1][2]} band ({seen[-1][1]:,} points, {seen[-1][0]}) to the {local['band']} band "
                f"({hhi:,} points, {local['effective_families']} effective families) in {week['week']}.", []))
        window = seen[-span:]
        low = min(window, key=lambda w: w[1]) if window else None
        now_rising = low is not None and hhi - low[1] > points
        if now_rising and not rising:
            alerts.append(Alert(
                "resilience_hhi", {"week": week["week"], "kind": "rise"}, "firing", "warning",
                f"Local AI concentration rose {hhi - low[1]:,} points in {span} weeks ({week['week']})",
                f"The HHI of new local-size derivatives by base family rose from {low[1]:,} ({low[0]}) to {hhi:,} "
                f"({week['week']}): more than {points} points within {span} weeks, a significant rise by the "
                f"2023 US Merger Guidelines.", []))
        rising = now_rising
        seen.append((week["week"], hhi, local["band"]))
    return alerts


def resilience_publishers(ctx: AlertContext, config: Config) -> list[Alert]:
    """Independent publishers of small open models (last `resilience_publisher_days` days) fell below
    `resilience_min_publishers`; once per stretch of complete weeks below, labelled by its first week."""
    need = config.alerts.resilience_min_publishers
    days = config.analysis.resilience_publisher_days
    alerts, below = [], False
    for week in _resilience_weeks(ctx, config):
        names = week["local"]["independent_publishers"]
        now_below = len(names) < need
        if now_below and not below:
            alerts.append(Alert(
                "resilience_publishers", {"from_week": week["week"]}, "firing", "warning",
                f"Only {len(names)} independent small open-model publisher(s) in {days} days ({week['week']})",
                f"In the {days} days to the end of {week['week']}, {len(names)} watched famil"
                f"{'y' if len(names) == 1 else 'ies'} released a new small original under a stated licence, not "
                f"built on another family's base (threshold {need}): {', '.join(names) or 'none'}.", []))
        below = now_below
    return alerts


RULES: dict[str, Rule] = {
    "verdict_changed": verdict_changed,
    "new_generation": new_generation,
    "wave_without_small": wave_without_small,
    "small_gap_over_p90": small_gap_over_p90,
    "licence_or_gating": licence_or_gating,
    "repos_removed": repos_removed,
    "small_share_drop": small_share_drop,
    "monitor_health": monitor_health,
    "org_failing": org_failing,
    "ecosystem_share_band": ecosystem_share_band,
    "ecosystem_family_share": ecosystem_family_share,
    "community_adoption": community_adoption,
    "resilience_elephant_factor": resilience_elephant_factor,
    "resilience_hhi": resilience_hhi,
    "resilience_publishers": resilience_publishers,
}


class Cause(NamedTuple):
    """A change that can end another rule's condition of the same family: its rule, and labels it must have."""

    rule: str
    labels: dict[str, str] = {}


# Which news ends a rule's condition, most telling first. A notification shows the resolution
# under that news ("280 days without a small model" under the release that ended it); without
# it in the same notification, the resolution stands on its own.
ENDED_BY: dict[str, tuple[Cause, ...]] = {
    "small_gap_over_p90": (Cause("new_generation"), Cause("verdict_changed", {"forecast": "small-models"})),
    "small_share_drop": (Cause("new_generation"),),
}


def evaluate_rules(ctx: AlertContext, config: Config) -> list[Alert]:
    """Every enabled rule's conditions; a rule is switched off by its config flag. Until a poll has
    succeeded there is nothing to judge the release pattern on: only the monitor watches itself."""
    polled = any(poll.stored for poll in ctx.facts.polls)
    return [alert for name, rule in RULES.items()
            if getattr(config.alerts, name) and (polled or name == "monitor_health") for alert in rule(ctx, config)]
