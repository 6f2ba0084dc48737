"""The forecasts under test, one small pure function each: (family, entries, events, config, as_of) -> result.

Every result carries its verdict, a sentence a reader can quote, the evidence behind it and the
numbers with the thresholds they were compared to. docs/forecasts.md documents each registry entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from ..config.settings import Config
from .entries import (
    Entry,
    family_entries,
    percentile,
    sizes_text,
    small_release_gaps,
    waves,
)


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
        evidence.append(f"last small entry: {cite(last_small)}; {since_last} days before {as_of}")
    if p90 is not None:
        evidence.append(f"gaps between {len(days)} small release days: median {_round(percentile(gaps, 50))} days, "
                        f"p{settings.gap_percentile:g} {_round(p90)} days")
    new_small = [e for e in counted if e.small and e.released >= baseline]
    if new_small:
        first = new_small[0]
        evidence += [f"new small entry after the baseline: {cite(e)}" for e in new_small]
        summary = (f"{family} released a new small model after the baseline: {first.key} on {first.released}"
                   + (f" (and {len(new_small) - 1} more)" if len(new_small) > 1 else "") + _rests_on_doubt(new_small) + ".")
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
                   f"{', '.join(complete)} came without one{_rests_on_doubt([last_small])}.")
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
    """After the baseline, the family's open-weight releases slow down or close.

    About releases and terms, not size points: cadence counts release waves (a generation's eight
    sizes in one week are one release); "closing" needs a licence, gating or removal on record;
    a model bigger than any the family opened before, or a move to a permissive licence, is
    evidence the other way. Each piece of evidence says which way it points."""
    settings = config.analysis
    baseline, window = settings.baseline_date, settings.cadence_window_days
    counted = family_entries(entries, family)
    pre_start = baseline - timedelta(days=window)
    family_waves = waves(counted, settings.wave_gap_days)
    pre = [w for w in family_waves if pre_start <= w.first < baseline]
    post = [w for w in family_waves if w.first >= baseline]
    post_days = max((as_of - baseline).days + 1, 1)
    pre_rate, post_rate = len(pre) / window * 30, len(post) / post_days * 30
    long_enough = post_days > settings.completion_window_days
    slowed = long_enough and pre_rate > 0 and post_rate < settings.cadence_drop_fraction * pre_rate
    held = long_enough and pre_rate > 0 and post_rate >= pre_rate
    closing = _tightening(family, counted, events, baseline)
    opening = _opening(counted, baseline)
    cadence = (f"{len(post)} release wave{'s' if len(post) != 1 else ''} in the {post_days} days since the baseline "
               f"({post_rate:.2f} per 30 days) against {len(pre)} in the {window} days before ({pre_rate:.2f})")
    evidence = [f"{'for' if slowed else 'against' if held else 'neutral'}: {cadence}"
                + (f", below {settings.cadence_drop_fraction:g}x" if slowed else "")]
    evidence += [f"for: {item}" for item in closing] + [f"against: {item}" for item in opening]
    values = {"pre_baseline_waves_per_30d": round(pre_rate, 2), "post_baseline_waves_per_30d": round(post_rate, 2),
              "pre_baseline_waves": len(pre), "post_baseline_waves": len(post),
              "cadence_drop_fraction": settings.cadence_drop_fraction, "cadence_window_days": window,
              "days_since_baseline": post_days, "tightening_events": len(closing), "opening_signs": len(opening)}
    for_closing = (["releases slowed: " + cadence] if slowed else []) + closing
    against = (["releases kept pace: " + cadence] if held else []) + opening
    if for_closing and not against:
        summary = f"{family}'s open-weight releases are slowing or closing: {'; '.join(for_closing)}."
        return ForecastResult("open-weights", family, Verdict.SUPPORTED, summary, evidence, values)
    if against and not for_closing:
        pace = [] if held else [cadence]
        doubt = " (this rests only on uncertain facts)" if not held and all("[uncertain:" in a for a in opening) else ""
        summary = (f"{family} keeps releasing open weights: {'; '.join(against + pace)}; "
                   f"no licence, gating or removal on record{doubt}.")
        return ForecastResult("open-weights", family, Verdict.REFUTED, summary, evidence, values)
    if for_closing and against:
        summary = (f"{family}: mixed evidence, open. For slowing or closing: {'; '.join(for_closing)}. "
                   f"Against: {'; '.join(against)}.")
        return ForecastResult("open-weights", family, Verdict.OPEN, summary, evidence, values)
    if pre_rate == 0:
        why = "no release wave in the year before the baseline to compare with"
    elif not long_enough:
        why = f"the {settings.completion_window_days}-day window after the baseline has not passed"
    else:
        why = f"between {settings.cadence_drop_fraction:g}x and 1x the old cadence"
    summary = f"{family}: {cadence}; open ({why}); no licence, gating or removal on record."
    return ForecastResult("open-weights", family, Verdict.OPEN, summary, evidence, values)


def _tightening(family: str, counted: list[Entry], events: list[dict], baseline: date) -> list[str]:
    """Tighter terms on record since the baseline: licence changes away from permissive terms,
    new entries under a restrictive licence the family had not used, gating added, removals."""
    pre = [e for e in counted if e.released < baseline]
    post = [e for e in counted if e.released >= baseline]
    old_licences = {e.license for e in pre if e.license}
    found = [f"{cite(e)} under {e.license}, a licence not used before the baseline" for e in post
             if e.license and old_licences and e.license not in old_licences | PERMISSIVE_LICENCES]
    since = [ev for ev in events if ev["family"] == family and ev["at"][:10] >= baseline.isoformat()]
    found += [f"{ev['repo_id']}: licence {ev['old']} -> {ev['new']} ({ev['at'][:10]})"
              for ev in since if ev["kind"] == "licence_changed" and ev["new"] not in PERMISSIVE_LICENCES]
    found += [f"{ev['repo_id']}: gating {ev['old']} -> {ev['new']} ({ev['at'][:10]})"
              for ev in since if ev["kind"] == "gating_changed" and ev["new"] != "false"]
    if pre and not any(e.gated != "false" for e in pre):
        found += [f"{cite(e)} is gated ({e.gated})" for e in post if e.gated != "false"]
    found += [f"{ev['repo_id']} removed ({ev['at'][:10]})" for ev in since if ev["kind"] == "removed"]
    return found


def _opening(counted: list[Entry], baseline: date) -> list[str]:
    """Signs of opening up since the baseline: a model bigger than any the family had opened, and
    a move to a permissive licence from restrictive terms (Gemma 4: Gemma terms -> Apache-2.0)."""
    pre = [e for e in counted if e.released < baseline]
    post = [e for e in counted if e.released >= baseline]
    found = []
    largest = max((e.params_total_b for e in pre if e.params_total_b), default=None)
    bigger = [e for e in post if largest and e.params_total_b and e.params_total_b > largest]
    if bigger:
        top = max(bigger, key=lambda e: (not e.shaky, e.params_total_b or 0))
        found.append(f"{cite(top)} is bigger than any model it had opened before ({top.params_total_b:g}B "
                     f"against {largest:g}B)")
    recent = [e for e in pre if e.license and e.released >= baseline - timedelta(days=365)]
    restrictive = [e.license for e in recent if e.license not in PERMISSIVE_LICENCES]
    loosened = [e for e in post if e.license in PERMISSIVE_LICENCES]
    if loosened and restrictive and len(restrictive) * 2 > len(recent):
        found.append(f"{cite(loosened[0])} under {loosened[0].license}, where most of its releases in the year "
                     f"before the baseline came under {max(set(restrictive), key=restrictive.count)}")
    return found


def cite(entry: Entry) -> str:
    """An entry as evidence: its label, and why the facts call it uncertain if the doubt matters."""
    return entry.label + (f" [uncertain: {'; '.join(entry.doubts)}]" if entry.shaky else "")


def _rests_on_doubt(entries: list[Entry]) -> str:
    """' (this rests only on uncertain facts: ...)' when every entry a verdict rests on is shaky."""
    if entries and all(e.shaky for e in entries):
        return f" (this rests only on uncertain facts: {'; '.join(cite(e) for e in entries)})"
    return ""


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
