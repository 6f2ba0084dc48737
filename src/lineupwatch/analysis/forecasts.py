"""The forecasts under test, one small pure function each: (family, entries, events, config, as_of) -> result.

Every result carries its verdict, a sentence a reader can quote, the evidence behind it and the
numbers with the thresholds they were compared to. docs/forecasts.md documents each registry entry.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from ..config.settings import AnalysisSettings, Config
from ..normalize.lines import LINE_LABELS
from .entries import (
    Entry,
    SmallGaps,
    days_since,
    family_entries,
    percentile,
    sizes_text,
    small_gaps,
    waves,
)
from .licences import WORDS, licence_note, licence_of, unclear_licences
from .wording import days_words, gap_words, is_bigger, pace_ratio, pace_words, size_words, times


class Verdict(str, Enum):
    REFUTED = "refuted"
    OPEN = "open"
    SUPPORTED = "supported"


@dataclass(frozen=True)
class Cause:
    """Why a verdict is what it is rather than what it was: an event on record (a release, a
    licence, gating or removal: which entry or repo, and its day), a threshold passed, or a change
    no event caused that has held `verdict_hold_days`."""

    kind: str  # "event" | "threshold" | "held"
    day: date  # the day the verdict took its value
    text: str
    entry: str | None = None
    repo: str | None = None
    held_days: int | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "date": self.day.isoformat(), "text": self.text, "entry": self.entry,
                "repo": self.repo, "held_days": self.held_days}


@dataclass(frozen=True)
class ForecastResult:
    id: str
    family: str
    verdict: Verdict
    summary: str
    evidence: list[str]
    values: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict)  # extra report fields (last small entry, derivatives...)
    cause: Cause | None = None  # why the verdict changed to what it is (None: it has not changed since the baseline)

    def to_json(self) -> dict:
        return {"id": self.id, "family": self.family, "verdict": self.verdict.value, "summary": self.summary,
                "evidence": self.evidence, "values": self.values, **self.details,
                "cause": self.cause.to_json() if self.cause else None}


Forecast = Callable[[str, list[Entry], list[dict], Config, date], ForecastResult]


def baseline_not_reached(family: str, what: str, baseline: date, as_of: date) -> str:
    return (f"Baseline not reached: {family}'s {what} is judged from the baseline, {baseline} "
            f"({days_words(days_since(as_of, baseline))} from {as_of}).")


def small_models(family: str, entries: list[Entry], events: list[dict], config: Config, as_of: date) -> ForecastResult:
    """After the baseline, the family releases no new small entry in the counted lines."""
    settings, small_limit = config.analysis, config.size_classes.small
    baseline, window, pct = settings.baseline_date, settings.completion_window_days, settings.gap_percentile
    counted = family_entries(entries, family)
    derivatives = _small_derivatives(entries, family, baseline)
    details = {"small_derivatives": [_derivative_json(e) for e in derivatives]}
    gaps = small_gaps(counted, window, baseline, pct, as_of)
    last_small, since_last, p90, longest = gaps.last, gaps.current, gaps.p90, gaps.longest
    values = {"days_since_last_small": since_last, "historical_gap_p90_days": _round(p90),
              "historical_gap_longest_days": longest,
              "historical_gap_median_days": _round(percentile(gaps.before_baseline, 50)),
              "gap_to_longest_ratio": round(since_last / longest, 2) if since_last is not None and longest else None,
              "gap_to_p90_ratio": round(since_last / p90, 2) if since_last is not None and p90 else None,
              "small_waves": len(gaps.waves), "gaps_before_baseline": len(gaps.before_baseline),
              "completion_window_days": window, "gap_percentile": pct,
              "baseline_reached": as_of >= baseline, "days_since_baseline": days_since(baseline, as_of)}
    details.update(last_small_entry={"entry": last_small.key, "date": last_small.released.isoformat()} if last_small else None,
                   days_since_last_small=since_last, historical_gap_p90_days=_round(p90))
    evidence = []
    if last_small:
        evidence.append(f"last small entry: {cite(last_small)}; {days_words(since_last)} before {as_of}")
    if p90 is not None:
        evidence.append(f"gap since then: {_gap_text(family, gaps)}; p{pct:g} of its "
                        f"{len(gaps.before_baseline)} gaps between small-model waves before the baseline: "
                        f"{_round(p90):g} days (median {_round(percentile(gaps.before_baseline, 50)):g})")
    if as_of < baseline:
        summary = baseline_not_reached(family, "small-model forecast", baseline, as_of)
        if last_small:
            summary = f"{summary[:-1]}; its last small entry is {last_small.name} ({last_small.released})."
        return ForecastResult("small-models", family, Verdict.OPEN, summary, evidence, values, details)
    new_small = [e for e in counted if e.small and e.released >= baseline]
    if new_small:
        first = new_small[0]
        evidence += [f"new small entry after the baseline: {cite(e)}" for e in new_small]
        summary = (f"{family} released a new small model after the baseline: {first.name} on {first.released}"
                   + (f" (and {len(new_small) - 1} more)" if len(new_small) > 1 else "") + _rests_on_doubt(new_small) + ".")
        cause = Cause("event", first.released, f"{first.name} released on {first.released}, a small model after the baseline",
                      entry=first.key, repo=first.primary)
        return ForecastResult("small-models", family, Verdict.REFUTED, summary, evidence, values, details, cause)
    if last_small is None or not any(e.released < baseline for e in counted if e.small):
        summary = f"{family} had no small model before the baseline, so there is no small-model focus to lose."
        return ForecastResult("small-models", family, Verdict.OPEN, _with_derivatives(summary, derivatives), evidence, values, details)
    generations = _generations_since(counted, baseline)
    complete = []
    for generation, members in generations.items():
        age = days_since(members[0].released, as_of)
        state = "complete" if age > window else f"inside its {window}-day completion window ({window - age} days left)"
        evidence.append(f"{generation} (first entry {members[0].released}, {days_words(age)} ago): "
                        f"{sizes_text(members, small_limit)}; {state}")
        if age > window and not any(e.small for e in members):
            complete.append(generation)
    values["generations_since_baseline"] = list(generations)
    head = f"{family} has released no new small model since {last_small.released}"
    if complete and gaps.over_p90:
        summary = (f"{head}: {_gap_text(family, gaps)}, above the p{pct:g} of those gaps ({_round(p90):g} days); "
                   f"{', '.join(complete)} came without one{_rests_on_doubt([last_small])}.")
        first_complete = generations[complete[0]][0].released + timedelta(days=window + 1)
        over_from = last_small.released + timedelta(days=int(p90) + 1)
        day = max(first_complete, over_from)
        cause = Cause("threshold", day, f"supported since {day}: {complete[0]} passed its {window}-day completion "
                      f"window with no small entry on {first_complete}, and the gap since {last_small.name} passed "
                      f"the p{pct:g} gap between small-model waves ({_round(p90):g} days) on {over_from}",
                      entry=last_small.key, repo=last_small.primary)
        return ForecastResult("small-models", family, Verdict.SUPPORTED, _with_derivatives(summary, derivatives),
                              evidence, values, details, cause)
    waiting = []
    if not generations:
        waiting.append("no generation since the baseline yet")
    elif not complete:
        waiting.append("no generation since the baseline is past its completion window")
    if p90 is None:
        waiting.append("too few small-model waves before the baseline to judge the gap")
    elif not gaps.over_p90:
        waiting.append(f"{days_words(int(p90) + 1 - since_last)} more to pass the p{pct:g} gap between its "
                       f"small-model waves before the baseline ({_round(p90):g} days)")
    summary = f"{head} ({days_words(since_last)}); open: {'; '.join(waiting)}."
    return ForecastResult("small-models", family, Verdict.OPEN, _with_derivatives(summary, derivatives), evidence, values, details)


def _gap_text(family: str, gaps: SmallGaps) -> str:
    """'264 days, 1.6x Qwen's longest gap between small-model waves before the baseline (161 days)'."""
    return gap_words(gaps.current, gaps.longest, f"{family}'s longest gap between small-model waves before the baseline")


# Moving to one of these is opening up, not closing (Gemma 4 moved from the Gemma terms to Apache-2.0).
PERMISSIVE_LICENCES = frozenset({"apache-2.0", "mit", "bsd-2-clause", "bsd-3-clause", "cc-by-4.0"})
# Lines that are tools for a model rather than models (sparse autoencoders): not open-weight releases.
NOT_MODELS = frozenset({"interpretability", "tokenizer"})


@dataclass(frozen=True)
class Sign:
    """A dated piece of open-weights evidence on record, pointing one way: `for` closing (a licence
    tightened, gating added, a repo removed) or `against` it (an open release)."""

    day: date
    side: str  # "for" | "against"
    text: str
    entry: str | None = None
    repo: str | None = None
    until: date | None = None  # undone on this day (a removed repo restored, gating lifted)
    shaky: bool = False
    short: str = ""  # the text as a summary lists it (default: the evidence's)

    @property
    def brief(self) -> str:
        return self.short or self.text

    def active(self, day: date) -> bool:
        return self.day <= day and (self.until is None or day < self.until)


@dataclass(frozen=True)
class Cadence:
    """Release waves per 30 days since the baseline against the window before it: secondary
    evidence, used only with `cadence_min_waves` waves in each window."""

    pre: int  # waves in the window before the baseline
    post_starts: list[date]  # first days of the waves since the baseline
    settings: AnalysisSettings

    @classmethod
    def of(cls, counted: list[Entry], settings: AnalysisSettings) -> Cadence:
        baseline = settings.baseline_date
        pre_start = baseline - timedelta(days=settings.cadence_window_days)
        family_waves = waves(counted, settings.wave_gap_days)
        return cls(sum(1 for w in family_waves if pre_start <= w.first < baseline),
                   sorted(w.first for w in family_waves if w.first >= baseline), settings)

    def at(self, day: date) -> dict:
        """The figures as of a day, and which way they point: `for` (below cadence_drop_fraction of the
        old pace), `against` (at least the old pace), `neutral`, or `unused` (too few waves or days)."""
        s = self.settings
        days = days_since(s.baseline_date, day)
        post = bisect.bisect_right(self.post_starts, day)
        pre_rate = self.pre / s.cadence_window_days * 30
        post_rate = post / days * 30 if days > 0 else None
        ratio = pace_ratio(post_rate, pre_rate)
        used = self.pre >= s.cadence_min_waves and post >= s.cadence_min_waves and days > s.completion_window_days
        side = ("unused" if not used or ratio is None else "for" if ratio < s.cadence_drop_fraction
                else "against" if ratio >= 1 else "neutral")
        return {"pre": self.pre, "post": post, "days": days, "pre_rate": pre_rate, "post_rate": post_rate,
                "ratio": ratio, "side": side, "used": side != "unused"}


def cadence_text(c: dict, window: int) -> str:
    """'2 release waves in the 262 days since the baseline (0.23 per 30 days) against 5 in the 365
    days before (0.41): about half its old pace (0.56x)': the figures, then the pace in words."""
    rate = f"{c['post_rate']:.2f} per 30 days" if c["post_rate"] is not None else "no rate on the baseline day"
    text = (f"{c['post']} release wave{'s' if c['post'] != 1 else ''} in the {days_words(c['days'])} since the "
            f"baseline ({rate}) against {c['pre']} in the {window} days before ({c['pre_rate']:.2f})")
    if c["ratio"] is not None:
        text += f": {pace_words(c['ratio'])} ({times(c['ratio'])})"
    return text


def open_weights(family: str, entries: list[Entry], events: list[dict], config: Config, as_of: date) -> ForecastResult:
    """After the baseline, the family's open-weight releases slow down or close.

    Judged by events on record: refuted by an open release of a new generation or a new counted line
    (uncounted lines such as world models count: they are open releases too), a model bigger than any
    the family had opened (by `bigger_margin`), or a move to a permissive licence; supported only by a
    closing event (a licence tightened, gating added, a repo removed). The release cadence is secondary:
    used only with `cadence_min_waves` waves in each window, it decides only where the events do not.
    A change of verdict no event caused is reported once it has held `verdict_hold_days`."""
    settings = config.analysis
    baseline, window, hold = settings.baseline_date, settings.cadence_window_days, settings.verdict_hold_days
    counted = family_entries(entries, family)
    own = [e for e in entries if e.family == family and (e.derivative_of is None or settings.count_derivatives)]
    releases = _open_releases(own, baseline, settings)
    signs = sorted(releases + _bigger(counted, baseline, settings.bigger_margin)
                   + _loosened(counted, baseline) + _closing(family, own, events, baseline),
                   key=lambda s: (s.day, s.side))
    cadence = Cadence.of(counted, settings)
    now = cadence.at(as_of)
    active = [s for s in signs if s.active(as_of)]
    closing, opening = [s for s in active if s.side == "for"], [s for s in active if s.side == "against"]
    values = {"baseline_reached": as_of >= baseline, "days_since_baseline": now["days"],
              "pre_baseline_waves": now["pre"], "post_baseline_waves": now["post"],
              "pre_baseline_waves_per_30d": round(now["pre_rate"], 2),
              "post_baseline_waves_per_30d": None if now["post_rate"] is None else round(now["post_rate"], 2),
              "pace_ratio": now["ratio"], "pace_words": pace_words(now["ratio"]) if now["ratio"] is not None else None,
              "cadence_used": now["used"], "cadence_side": now["side"], "cadence_min_waves": settings.cadence_min_waves,
              "cadence_drop_fraction": settings.cadence_drop_fraction, "cadence_window_days": window,
              "open_releases": sum(s.active(as_of) for s in releases), "closing_events": len(closing), "bigger_margin": settings.bigger_margin,
              "verdict_hold_days": hold}
    if as_of < baseline:
        summary = baseline_not_reached(family, "open-weights forecast", baseline, as_of)
        values.update(raw_verdict=Verdict.OPEN.value, held_since=None)
        return ForecastResult("open-weights", family, Verdict.OPEN, summary, [], values)
    minimum = settings.cadence_min_waves
    if now["used"]:
        evidence = [f"{now['side']}: {cadence_text(now, window)}"]
    else:
        why = (f"fewer than {minimum} release waves in the {window} days before the baseline" if now["pre"] < minimum
               else f"fewer than {minimum} release waves since the baseline" if now["post"] < minimum
               else f"inside the {settings.completion_window_days} days after the baseline")
        evidence = [f"neutral: cadence not used ({why}): {cadence_text(now, window)}"]
    evidence += [f"{s.side}: {s.text}" for s in active]
    evidence += [f"neutral: {licence_note(e, state)}" for e, state in unclear_licences(counted, baseline, family)]
    evidence += [f"neutral: {s.text} (undone on {s.until})" for s in signs if s.until and s.until <= as_of]
    verdict, cause, raw, pending = _held_verdict(signs, cadence, baseline, as_of, hold)
    values.update(raw_verdict=raw.value, held_since=pending.isoformat() if pending else None)
    older = [e.name for e in counted if e.released >= baseline]  # no sign: new sizes of older generations
    summary = _open_weights_summary(family, verdict, opening, closing, now, window, older)
    if raw is not verdict and pending is not None:
        summary += (f" Since {pending} the evidence points to {raw.value}, without an event: reported once it has "
                    f"held {hold} days ({days_words(days_since(pending, as_of))} so far).")
    return ForecastResult("open-weights", family, verdict, summary, evidence, values, {}, cause)


def _open_weights_summary(family: str, verdict: Verdict, opening: list[Sign], closing: list[Sign], now: dict,
                          window: int, older: list[str]) -> str:
    """One sentence from the evidence on record as of the day; the pace in words only when the
    cadence is used (then from its ratio)."""
    pace = f"pace: {cadence_text(now, window)}" if now["used"] else ""
    if verdict is Verdict.REFUTED:
        reasons = [_listed(opening)] if opening else []
        reasons += [pace] if pace else []
        summary = f"{family} keeps releasing open weights" + (f": {'; '.join(reasons)}" if reasons else "")
        doubt = " (this rests only on uncertain facts)" if opening and all(s.shaky for s in opening) else ""
        if closing:
            return f"{summary}{doubt}; against that: {_listed(closing)}."
        return f"{summary}; no licence tightened, gating added or repo removed on record{doubt}."
    if verdict is Verdict.SUPPORTED:
        doubt = " (this rests only on uncertain facts)" if closing and all(s.shaky for s in closing) else ""
        summary = f"{family}'s open weights are closing: {_listed(closing)}{doubt}" if closing else \
            f"{family}'s open weights are closing"
        return summary + (f"; against that: {_listed(opening)}" if opening else "") + (f"; {pace}" if pace else "") + "."
    if closing and opening:
        side = {"for": "pointing to closing", "against": "pointing to open releases"}.get(now["side"], "neutral")
        return (f"{family}: evidence both ways, open. Closing: {_listed(closing)}. Open releases: {_listed(opening)}."
                + (f" The {pace}, {side}." if pace else ""))
    if opening or closing:
        return f"{family}: open; on record: {_listed(opening or closing)}."
    came = (f" ({len(older)} new entr{'y' if len(older) == 1 else 'ies'} of older generations: "
            f"{', '.join(older[:3])}{', ...' if len(older) > 3 else ''})" if older else "")
    return (f"{family}: no open release of a new generation or line and no closing event on record in the "
            f"{days_words(now['days'])} since the baseline{came}; open" + (f" ({pace})" if pace else "") + ".")


def _listed(signs: list[Sign], most: int = 4) -> str:
    texts = [s.brief for s in signs[:most]]
    return "; ".join(texts) + (f"; and {len(signs) - most} more" if len(signs) > most else "")


def _raw_verdict(active: list[Sign], cadence_side: str) -> Verdict:
    """The verdict the evidence of one day gives, before the hold: events first, the cadence only
    where they do not decide (none on record, or both ways), and never `supported` without a
    closing event."""
    closing = any(s.side == "for" for s in active)
    opening = any(s.side == "against" for s in active)
    if closing and not opening:
        return Verdict.SUPPORTED
    if opening and not closing:
        return Verdict.REFUTED
    if cadence_side == "against":
        return Verdict.REFUTED
    if cadence_side == "for" and closing:
        return Verdict.SUPPORTED
    return Verdict.OPEN


def _held_verdict(signs: list[Sign], cadence: Cadence, baseline: date, as_of: date,
                  hold: int) -> tuple[Verdict, Cause | None, Verdict, date | None]:
    """(reported verdict, its cause, today's raw verdict, since when a change is pending).

    Walks the days from the baseline to `as_of` over the same facts: a change of the raw verdict on
    a day an event starts or ends is reported at once, with that event as its cause; any other change
    is reported once the new raw verdict has held `hold` days in a row. Only the facts known on
    `as_of` are read, so a past week recomputed later gives the verdict it gave then."""
    edges: dict[date, list[Sign]] = {}
    for sign in signs:
        for day in (sign.day, sign.until):
            if day is not None and baseline <= day <= as_of:
                edges.setdefault(day, []).append(sign)
    reported = previous = None
    cause: Cause | None = None
    pending: date | None = None
    day = baseline
    while day <= as_of:
        raw = _raw_verdict([s for s in signs if s.active(day)], cadence.at(day)["side"])
        if reported is None:
            reported = raw
            if raw is not Verdict.OPEN and day in edges:
                cause = _event_cause(edges[day], raw, day)
        elif raw is reported:
            pending = None
        elif raw is not previous and day in edges:
            reported, cause, pending = raw, _event_cause(edges[day], raw, day), None
        else:
            if raw is not previous or pending is None:
                pending = day
            if days_since(pending, day) >= hold:
                reported, pending = raw, None
                since = day - timedelta(days=hold)
                cause = Cause("held", day, f"held {hold} days: with no event, the release cadence has pointed to "
                              f"{raw.value} since {since}; on {day}: "
                              f"{cadence_text(cadence.at(day), cadence.settings.cadence_window_days)}", held_days=hold)
        previous = raw
        day += timedelta(days=1)
    return reported or Verdict.OPEN, cause, previous or Verdict.OPEN, pending


def _event_cause(signs: list[Sign], verdict: Verdict, day: date) -> Cause:
    """The event of a day that turned the verdict: one pointing the new way if there is one."""
    side = {Verdict.REFUTED: "against", Verdict.SUPPORTED: "for"}.get(verdict)
    sign = next((s for s in signs if s.side == side and s.day == day), None) or signs[0]
    text = sign.text if sign.day == day else f"undone on {day}: {sign.text}"
    return Cause("event", day, text, entry=sign.entry, repo=sign.repo)


def _open_licence(entry: Entry, old_licences: set[str], gated_before: bool) -> bool:
    """Weights anyone can take: a permissive licence, one the family used before, or none stated or
    known (the weights are public; the evidence says what is known of the licence); not newly gated."""
    licence_ok = not entry.license or entry.license in PERMISSIVE_LICENCES or entry.license in old_licences
    return licence_ok and (entry.gated == "false" or gated_before)


def _open_releases(own: list[Entry], baseline: date, settings: AnalysisSettings) -> list[Sign]:
    """The first open release of each generation new since the baseline (any line that is a model:
    a world model or an embedding model is an open release too), and of each counted line new to an
    older generation."""
    pre = [e for e in own if e.released < baseline]
    old_generations = {e.generation or e.key for e in pre}
    old_pairs = {(e.generation or e.key, e.line) for e in pre}
    old_licences = {e.license for e in pre if e.license}
    gated_before = any(e.gated != "false" for e in pre)
    counted_lines = set(settings.counted_lines)
    signs, seen = [], set()
    for entry in own:
        generation = entry.generation or entry.key
        if entry.released < baseline or entry.line in NOT_MODELS or not _open_licence(entry, old_licences, gated_before):
            continue
        line = LINE_LABELS.get(entry.line, entry.line)
        if generation not in old_generations:
            key, name, what = (generation,), generation, f"{generation}, a new generation"
        elif entry.line in counted_lines and (generation, entry.line) not in old_pairs:
            key, name, what = (generation, entry.line), f"{generation} {line}", f"a new {line} line of {generation}"
        else:
            continue
        if key in seen:
            continue
        seen.add(key)
        licence = licence_of(entry)
        terms = f"under {entry.license}" if entry.license else WORDS[licence.status]
        counted = "" if entry.counted else f" ({line}, a line not counted for the forecasts)"
        mark = "~" if entry.uncertain else ""
        short = (f"{name} released open ({mark}{entry.released}, {entry.license or WORDS[licence.status]}"
                 + ("" if entry.counted else f", {line} line") + ")")
        signs.append(Sign(entry.released, "against", f"{cite(entry)} released with open weights: {what}{counted}, {terms}",
                          entry.key, entry.primary, shaky=entry.shaky, short=short))
    return signs


def _bigger(counted: list[Entry], baseline: date, margin: float) -> list[Sign]:
    """Models since the baseline at least `margin` times the largest the family had opened before them."""
    signs = []
    largest = None
    for entry in sorted(counted, key=lambda e: (e.released, e.key)):
        size = entry.params_total_b
        if not size:
            continue
        if entry.released >= baseline and largest and is_bigger(size, largest, margin):
            signs.append(Sign(entry.released, "against", f"{cite(entry)} is {size_words(size, largest, margin)}",
                              entry.key, entry.primary, shaky=entry.shaky,
                              short=f"{entry.name} is {times(size / largest)} the largest model it had opened before"))
        largest = max(largest or 0, size)
    return signs


def _loosened(counted: list[Entry], baseline: date) -> list[Sign]:
    """A move to a permissive licence where most of the year before the baseline came under
    restrictive terms (Gemma 4: Gemma terms -> Apache-2.0)."""
    pre = [e for e in counted if e.released < baseline]
    recent = [e for e in pre if e.license and e.released >= baseline - timedelta(days=365)]
    restrictive = [e.license for e in recent if e.license not in PERMISSIVE_LICENCES]
    loosened = [e for e in counted if e.released >= baseline and e.license in PERMISSIVE_LICENCES]
    if not (loosened and restrictive and len(restrictive) * 2 > len(recent)):
        return []
    first = loosened[0]
    return [Sign(first.released, "against", f"{cite(first)} under {first.license}, where most of its releases in the "
                 f"year before the baseline came under {max(set(restrictive), key=restrictive.count)}",
                 first.key, first.primary, shaky=first.shaky)]


def _closing(family: str, own: list[Entry], events: list[dict], baseline: date) -> list[Sign]:
    """Closing events on record since the baseline: a licence tightened (to a restrictive licence
    from a permissive or unstated one), gating added, a repo removed (or made private: the listing
    no longer has it); new entries under a restrictive licence the family had not used, or gated
    where none were. An event later undone (the repo restored, the gate lifted, the licence
    reopened) counts until it is."""
    pre = [e for e in own if e.released < baseline]
    post = [e for e in own if e.released >= baseline and e.line not in NOT_MODELS]
    old_licences = {e.license for e in pre if e.license}
    signs = [Sign(e.released, "for", f"{cite(e)} under {e.license}, a licence not used before the baseline",
                  e.key, e.primary, shaky=e.shaky)
             for e in post if e.license and old_licences and e.license not in old_licences | PERMISSIVE_LICENCES]
    if pre and not any(e.gated != "false" for e in pre):
        signs += [Sign(e.released, "for", f"{cite(e)} is gated ({e.gated})", e.key, e.primary, shaky=e.shaky)
                  for e in post if e.gated != "false"]
    mine = [ev for ev in events if ev["family"] == family]
    for i, ev in enumerate(mine):
        day = date.fromisoformat(ev["at"][:10])
        if day < baseline:
            continue
        later = mine[i + 1:]
        repo, kind = ev["repo_id"], ev["kind"]
        if kind == "licence_changed" and ev["new"] not in PERMISSIVE_LICENCES and (not ev["old"] or ev["old"] in PERMISSIVE_LICENCES):
            undo = _undone(later, repo, "licence_changed", lambda e: e["new"] in PERMISSIVE_LICENCES)
            signs.append(Sign(day, "for", f"{repo}: licence {ev['old']} -> {ev['new']} ({day})", repo=repo, until=undo))
        elif kind == "gating_changed" and ev["new"] != "false" and ev["old"] in (None, "false"):
            undo = _undone(later, repo, "gating_changed", lambda e: e["new"] == "false")
            signs.append(Sign(day, "for", f"{repo}: gating {ev['old']} -> {ev['new']} ({day})", repo=repo, until=undo))
        elif kind == "removed":
            undo = _undone(later, repo, "restored", lambda e: True)
            signs.append(Sign(day, "for", f"{repo} removed or made private ({day})", repo=repo, until=undo))
        elif kind == "licence_changed" and ev["new"] in PERMISSIVE_LICENCES and ev["old"] and ev["old"] not in PERMISSIVE_LICENCES:
            signs.append(Sign(day, "against", f"{repo}: licence {ev['old']} -> {ev['new']} ({day})", repo=repo))
    return signs


def _undone(later: list[dict], repo: str, kind: str, undoes: Callable[[dict], bool]) -> date | None:
    ev = next((e for e in later if e["repo_id"] == repo and e["kind"] == kind and undoes(e)), None)
    return date.fromisoformat(ev["at"][:10]) if ev else None


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
