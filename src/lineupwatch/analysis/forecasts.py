"""The forecasts under test, one small pure function each: (family, entries, events, config, as_of) -> result.

Every result carries its verdict, a sentence a reader can quote, the evidence behind it and the
numbers with the thresholds they were compared to. docs/forecasts.md documents each registry entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from ..config import Config
from .entries import Entry, family_entries, percentile, sizes_text, small_release_gaps


class Verdict(str, Enum):
    REFUTED = "refuted"
    OPEN = "open"
    SUPPORTED = "supported"


@dataclass(frozen=True)
class ForecastResult:
    id: str
    family: str
    verdict: Verdict
    summary: str
    evidence: list[str]
    values: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)  # extra report fields (last small entry, derivatives...)

    def to_json(self) -> dict:
        return {"id": self.id, "family": self.family, "verdict": self.verdict.value, "summary": self.summary,
                "evidence": self.evidence, "values": self.values, **self.details}


Forecast = Callable[[str, list[Entry], list[dict], Config, date], ForecastResult]


def small_models(family: str, entries: list[Entry], events: list[dict], config: Config, as_of: date) -> ForecastResult:
    """After the baseline, the family releases no new small entry in the counted lines."""
    settings, small_limit = config.analysis, config.size_classes.small
    baseline, window = settings.baseline_date, settings.completion_window_days
    counted = family_entries(entries, family)
    derivatives = _small_derivatives(entries, family, baseline)
    details = {"small_derivatives": [_derivative_json(e) for e in derivatives]}
    days, gaps = small_release_gaps(counted)
    p90 = percentile(gaps, settings.gap_percentile)
    last_small = max((e for e in counted if e.small), key=lambda e: (e.released, e.key), default=None)
    since_last = (as_of - last_small.released).days if last_small else None
    values = {"days_since_last_small": since_last, "historical_gap_p90_days": _round(p90),
              "historical_gap_median_days": _round(percentile(gaps, 50)), "small_release_days": len(days),
              "completion_window_days": window, "gap_percentile": settings.gap_percentile}
    details.update(last_small_entry={"entry": last_small.key, "date": last_small.released.isoformat()} if last_small else None,
                   days_since_last_small=since_last, historical_gap_p90_days=_round(p90))
    evidence = []
    if last_small:
        evidence.append(f"last small entry: {last_small.label}; {since_last} days before {as_of}")
    if p90 is not None:
        evidence.append(f"gaps between {len(days)} small release days: median {_round(percentile(gaps, 50))} days, "
                        f"p{settings.gap_percentile:g} {_round(p90)} days")
    new_small = [e for e in counted if e.small and e.released >= baseline]
    if new_small:
        first = new_small[0]
        evidence += [f"new small entry after the baseline: {e.label}" for e in new_small]
        summary = (f"{family} released a new small model after the baseline: {first.key} on {first.released}"
                   + (f" (and {len(new_small) - 1} more)" if len(new_small) > 1 else "") + ".")
        return ForecastResult("small-models", family, Verdict.REFUTED, summary, evidence, values, details)
    if last_small is None or not any(e.released < baseline for e in counted if e.small):
        summary = f"{family} had no small model before the baseline, so there is no small-model focus to lose."
        return ForecastResult("small-models", family, Verdict.OPEN, _with_derivatives(summary, derivatives), evidence, values, details)
    generations = _generations_since(counted, baseline)
    complete = []
    for generation, members in generations.items():
        age = (as_of - members[0].released).days
        state = "complete" if age > window else f"inside its {window}-day completion window ({window - age} days left)"
        evidence.append(f"{generation} (first entry {members[0].released}, {age} days ago): "
                        f"{sizes_text(members, small_limit)}; {state}")
        if age > window and not any(e.small for e in members):
            complete.append(generation)
    values["generations_since_baseline"] = list(generations)
    over_gap = p90 is not None and since_last > p90
    head = f"{family} has released no new small model since {last_small.released} ({since_last} days"
    if complete and over_gap:
        summary = (f"{head}, above its p{settings.gap_percentile:g} gap of {_round(p90):g} days); "
                   f"{', '.join(complete)} came without one.")
        return ForecastResult("small-models", family, Verdict.SUPPORTED, _with_derivatives(summary, derivatives),
                              evidence, values, details)
    waiting = []
    if not generations:
        waiting.append("no generation since the baseline yet")
    elif not complete:
        waiting.append("no generation since the baseline is past its completion window")
    if p90 is None:
        waiting.append("too few small releases to judge the gap")
    elif not over_gap:
        waiting.append(f"{round(p90 - since_last)} more days to pass its p{settings.gap_percentile:g} gap of {_round(p90):g} days")
    summary = f"{head}); open: {'; '.join(waiting)}."
    return ForecastResult("small-models", family, Verdict.OPEN, _with_derivatives(summary, derivatives), evidence, values, details)


# Moving to one of these is opening up, not closing (Gemma 4 moved from the Gemma terms to Apache-2.0).
PERMISSIVE_LICENCES = frozenset({"apache-2.0", "mit", "bsd-2-clause", "bsd-3-clause", "cc-by-4.0"})


def open_weights(family: str, entries: list[Entry], events: list[dict], config: Config, as_of: date) -> ForecastResult:
    """After the baseline, the family's open-weight releases slow down or close."""
    settings = config.analysis
    baseline = settings.baseline_date
    counted = family_entries(entries, family)
    pre_start = baseline - timedelta(days=settings.cadence_window_days)
    pre = [e for e in counted if pre_start <= e.released < baseline]
    post = [e for e in counted if e.released >= baseline]
    post_days = max((as_of - baseline).days + 1, 1)
    pre_rate = len(pre) / settings.cadence_window_days * 30
    post_rate = len(post) / post_days * 30
    baseline_licences = {e.license for e in pre if e.license}
    licence_away = [f"{e.label} under {e.license}" for e in post
                    if e.license and baseline_licences and e.license not in baseline_licences | PERMISSIVE_LICENCES]
    family_events = [ev for ev in events if ev["family"] == family and ev["at"][:10] >= baseline.isoformat()]
    licence_away += [f"{ev['repo_id']}: licence {ev['old']} -> {ev['new']} ({ev['at'][:10]})"
                     for ev in family_events if ev["kind"] == "licence_changed" and ev["new"] not in PERMISSIVE_LICENCES]
    gating = [f"{ev['repo_id']}: gating {ev['old']} -> {ev['new']} ({ev['at'][:10]})"
              for ev in family_events if ev["kind"] == "gating_changed" and ev["new"] != "false"]
    if pre and not any(e.gated != "false" for e in pre):
        gating += [f"{e.label} is gated ({e.gated})" for e in post if e.gated != "false"]
    removals = [f"{ev['repo_id']} removed ({ev['at'][:10]})" for ev in family_events if ev["kind"] == "removed"]
    long_enough = post_days > settings.completion_window_days
    slowed = long_enough and pre_rate > 0 and post_rate < settings.cadence_drop_fraction * pre_rate
    values = {"pre_baseline_entries_per_30d": round(pre_rate, 2), "post_baseline_entries_per_30d": round(post_rate, 2),
              "cadence_drop_fraction": settings.cadence_drop_fraction, "cadence_window_days": settings.cadence_window_days,
              "days_since_baseline": post_days, "licence_changes": len(licence_away), "new_gating": len(gating),
              "removals": len(removals)}
    evidence = [f"{len(pre)} new entries in the {settings.cadence_window_days} days before the baseline "
                f"({pre_rate:.2f} per 30 days); {len(post)} in the {post_days} days since ({post_rate:.2f} per 30 days)"]
    evidence += licence_away + gating + removals
    closing = [name for name, items in (("more restrictive licences", licence_away), ("new gating", gating),
                                        ("removals", removals)) if items]
    cadence = f"{post_rate:.1f} new entries per 30 days since the baseline against {pre_rate:.1f} before"
    if slowed or closing:
        reasons = (["releases slowed to " + cadence] if slowed else []) + closing
        summary = f"{family}'s open-weight releases are slowing or closing: {'; '.join(reasons)}."
        return ForecastResult("open-weights", family, Verdict.SUPPORTED, summary, evidence, values)
    if long_enough and pre_rate > 0 and post_rate >= pre_rate:
        summary = f"{family} keeps releasing open weights: {cadence}, with no licence change, gating or removal."
        return ForecastResult("open-weights", family, Verdict.REFUTED, summary, evidence, values)
    if pre_rate == 0:
        why = "no pre-baseline cadence to compare with"
    elif not long_enough:
        why = f"the {settings.completion_window_days}-day window after the baseline has not passed"
    else:
        why = f"between {settings.cadence_drop_fraction:g}x and 1x the old cadence"
    summary = f"{family}: {cadence}; open ({why}), no licence change, gating or removal."
    return ForecastResult("open-weights", family, Verdict.OPEN, summary, evidence, values)


FORECASTS: dict[str, Forecast] = {"small-models": small_models, "open-weights": open_weights}


def evaluate(entries: list[Entry], events: list[dict], config: Config, as_of: date) -> list[ForecastResult]:
    """Every forecast for every watched family, Qwen (the first watched) first."""
    return [forecast(family, entries, events, config, as_of) for family in config.watch for forecast in FORECASTS.values()]


def _generations_since(counted: list[Entry], baseline: date) -> dict[str, list[Entry]]:
    """Generations whose first counted entry came after the baseline, with their entries."""
    first_seen: dict[str, date] = {}
    for entry in counted:
        first_seen.setdefault(entry.generation or entry.key, entry.released)
    result: dict[str, list[Entry]] = {}
    for entry in counted:
        generation = entry.generation or entry.key
        if first_seen[generation] >= baseline:
            result.setdefault(generation, []).append(entry)
    return result


def _small_derivatives(entries: list[Entry], family: str, baseline: date) -> list[Entry]:
    return [e for e in entries if e.family == family and e.derivative_of and e.small and e.released >= baseline]


def _derivative_json(entry: Entry) -> dict:
    return {"entry": entry.key, "repo": entry.primary, "released": entry.released.isoformat(), "parent": entry.derivative_of}


def _with_derivatives(summary: str, derivatives: list[Entry]) -> str:
    """Both readings: the verdict without derivatives, and the small derivatives by name."""
    if not derivatives:
        return summary
    names = ", ".join(e.primary.split("/", 1)[1] for e in derivatives)
    return f"{summary[:-1]}; {len(derivatives)} small derivative{'s' if len(derivatives) > 1 else ''} since the baseline: {names}."


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
