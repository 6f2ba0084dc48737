"""The report dict reshaped for reading: what both the Markdown and the HTML templates show.

Only reshaping and plain-language wording live here; no escaping (the template environments do
that) and no analysis (the dict is the contract: missing parts show as empty, never crash).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from urllib.parse import quote

from ..analysis.wording import pace_ratio, pace_words, times
from .ecosystem_view import ecosystem_view
from .fits_view import fits_view, tokens_text
from .resilience_view import resilience_view

SIZE_CLASSES = ("tiny", "small", "medium", "large", "frontier")
SMALL_CLASSES = ("tiny", "small")
APPENDIX_CLASSES = ("large", "frontier")  # shown in the full report's appendix, after the budgets (issue 22)
FORECAST_IDS = ("small-models", "open-weights")

VERDICTS = {
    "refuted": {"symbol": "✗", "label": "refuted"},
    "open": {"symbol": "?", "label": "open"},
    "supported": {"symbol": "✓", "label": "supported"},
}
# How a headline opens, per forecast and verdict: the five-second answer for someone running models
# locally. The rest of each headline is built from the forecast's own figures (answer()).
LEADS = {
    ("small-models", "refuted"): "Yes",
    ("small-models", "supported"): "No",
    ("small-models", "open"): "Not settled yet",
    ("open-weights", "refuted"): "",
    ("open-weights", "supported"): "Fewer or tighter",
    ("open-weights", "open"): "Not settled yet",
}
DEFINITIONS = {
    "refuted": "the evidence contradicts the forecast (for small-models: a new small entry appeared after the baseline).",
    "open": "neither settled yet; the summary says how far each condition is from being met.",
    "supported": "the forecast's conditions are met (for small-models: a generation after the baseline is past its "
                 "completion window without a small entry and the gap since the last one exceeds the family's "
                 "90th-percentile gap).",
}
FORECAST_TITLES = {"small-models": "Small models (≤ 10B)", "open-weights": "Open weights"}


def primary_family(report: dict) -> str:
    """The family the report is about first (Qwen): the lineup's, else the first forecast's."""
    lineup = report.get("lineup") or {}
    forecasts = report.get("forecasts") or [{}]
    return lineup.get("family") or forecasts[0].get("family") or "Qwen"


def verdict(value: str | None) -> dict:
    """Badge data for a verdict; anything unexpected is shown as itself, never dropped."""
    key = str(value or "missing")
    return {"css": key if key in VERDICTS else "unknown", **VERDICTS.get(key, {"symbol": "!", "label": key})}


def headline(report: dict) -> list[dict]:
    """The primary family's two forecasts, small-models first, each with its plain answer."""
    family = primary_family(report)
    mine = {f.get("id"): f for f in report.get("forecasts") or [] if f.get("family") == family}
    cards = []
    for forecast_id in FORECAST_IDS:
        forecast = mine.get(forecast_id)
        if forecast is None:
            continue
        cards.append({"forecast": forecast, "id": forecast_id, "title": FORECAST_TITLES[forecast_id],
                      "verdict": verdict(forecast.get("verdict")), "answer": answer(forecast),
                      "facts": _facts(forecast)})
    return cards


def answer(forecast: dict) -> str:
    """A forecast's headline: its verdict's plain answer, then the figures it rests on, worded
    from those figures alone (a pace of 0.23 against 0.41 reads "about half its old pace")."""
    family = forecast.get("family") or "?"
    key = (forecast.get("id"), forecast.get("verdict"))
    if key not in LEADS:
        return f"Verdict: {forecast.get('verdict')}."
    words = _small_models_answer if key[0] == "small-models" else _open_weights_answer
    text = words(forecast, family, key[1])
    return f"{LEADS[key]}: {text}" if LEADS[key] else text


def _small_models_answer(forecast: dict, family: str, result: str) -> str:
    values = forecast.get("values") or {}
    last = forecast.get("last_small_entry") or {}
    days = _figure(forecast, "days_since_last_small")
    p90 = _figure(forecast, "historical_gap_p90_days")
    gap = f"its {ordinal(values.get('gap_percentile', 90))}-percentile gap between small-model waves"
    name = entry_name(last.get("entry"), last.get("built_on"))
    if values.get("baseline_reached") is False:
        ahead = -values["days_since_baseline"] if isinstance(values.get("days_since_baseline"), int) else None
        when = f", {days_words(ahead)} after this report" if ahead else ""
        text = f"the forecast is judged from the baseline{when}"
        if last and days is not None:
            text += f"; {family}'s last small model, {name}, came out on {last.get('date')} ({days_words(days)} before)"
        return text + "."
    if not last or days is None:
        if result == "refuted":
            return f"{family} has released a small model since the baseline."
        return f"{family} had no small model before the baseline, so it has no small-model focus to lose."
    if result == "refuted":
        return (f"{family} has released a small model since the baseline; the latest, {name}, came out on "
                f"{last.get('date')} ({days_words(days)} before this report).")
    head = f"{family} has released no small model in the {days_words(days)} since {name} ({last.get('date')})"
    if p90 is None:
        return f"{head}; too few small releases to judge the gap."
    if result == "supported":
        return f"{head}, longer than {gap} ({number(p90)} days)."
    if days <= p90:
        left = math.ceil(p90 - days)
        return f"{head}; {days_words(left) if left else 'no more days'} to go before it passes {gap} ({number(p90)} days)."
    window = values.get("completion_window_days")
    within = f"its {window}-day completion window" if window is not None else "its completion window"
    return (f"{head}, longer than {gap} ({number(p90)} days), but no generation since the baseline has passed "
            f"{within} without a small model.")


def _open_weights_answer(forecast: dict, family: str, result: str) -> str:
    values = forecast.get("values") or {}
    if values.get("baseline_reached") is False:
        ahead = -values["days_since_baseline"] if isinstance(values.get("days_since_baseline"), int) else None
        return "the forecast is judged from the baseline" + (f", {days_words(ahead)} after this report." if ahead else ".")
    closing = values.get("closing_events", values.get("tightening_events")) or 0
    terms = ("no licence tightened, gating added or repo removed on record" if not closing
             else f"{closing} licence tightening{'s' if closing != 1 else ''}, gating or removal{'s' if closing != 1 else ''} on record")
    released = values.get("open_releases")
    if isinstance(released, int) and released:
        terms = f"{released} open-weight release{'s' if released != 1 else ''} since the baseline, {terms}"
    pace = pace_sentence(family, values)
    if result == "refuted":
        return f"{family} keeps publishing open weights: {terms}." + (f" {pace}." if pace else "")
    parts = [pace, terms] if values.get("cadence_side") == "for" else [terms, pace]
    return "; ".join(part for part in parts if part) + "."


def pace_sentence(family: str, values: dict) -> str:
    """The release pace in words and figures: "Qwen's releases come at about half its old pace (0.23
    release waves per 30 days since the baseline against 0.41 in the 365 days before, 0.56x)"; ''
    without the figures. The words come from the ratio alone (analysis/wording.py)."""
    post, pre = values.get("post_baseline_waves_per_30d"), values.get("pre_baseline_waves_per_30d")
    if not isinstance(post, int | float) or not isinstance(pre, int | float):
        return ""
    window = values.get("cadence_window_days")
    before = f"in the {window} days before" if window else "before"
    ratio = values.get("pace_ratio") if isinstance(values.get("pace_ratio"), int | float) else pace_ratio(post, pre)
    unused = ""
    if values.get("cadence_used") is False:
        least = values.get("cadence_min_waves")
        unused = (f"; too few release waves (under {least} in a window) for the pace to count" if least
                  else "; too few release waves for the pace to count")
    if ratio is None:
        return (f"{family} has released {post:.2f} release waves per 30 days since the baseline, with none {before} "
                f"to compare with{unused}")
    if ratio <= 0:
        return (f"{family} has not released since the baseline ({post:.2f} release waves per 30 days against {pre:.2f} "
                f"{before}{unused})")
    words = values.get("pace_words") if isinstance(values.get("pace_words"), str) else pace_words(ratio)
    how = words if " than " in words else f"at {words}"
    return (f"{family}'s releases come {how} ({post:.2f} release waves per 30 days since the baseline against "
            f"{pre:.2f} {before}, {times(ratio)}{unused})")


def _figure(forecast: dict, key: str) -> float | int | None:
    value = forecast.get(key, (forecast.get("values") or {}).get(key))
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def entry_name(entry: object, built_on: object = None) -> str:
    """An entry as readers see it: 'DeepSeek-R1 · LM · 8B · 0528 on Qwen3-8B' when it is built on
    another family's base."""
    return f"{entry}" + (f" on {str(built_on).rpartition('/')[2]}" if built_on else "")


def days_words(days: float) -> str:
    return f"{number(days)} day{'' if days == 1 else 's'}"


def ordinal(value: object) -> str:
    """90 -> '90th', 91 -> '91st'."""
    if not isinstance(value, int | float) or value != int(value):
        return f"p{value}"
    n = int(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _facts(forecast: dict) -> list[tuple[str, object]]:
    """The numbers behind a small-models verdict, each beside its threshold."""
    if forecast.get("id") != "small-models":
        return []
    facts: list[tuple[str, object]] = []
    last = forecast.get("last_small_entry") or {}
    if last:
        facts.append(("last small entry", f"{last.get('entry')} ({last.get('date')})"))
    days, p90 = forecast.get("days_since_last_small"), forecast.get("historical_gap_p90_days")
    if days is not None:
        facts.append(("days since", days))
    if p90 is not None:
        facts.append(("90th-percentile gap", f"{number(p90)} days"))
    window = (forecast.get("values") or {}).get("completion_window_days")
    if window is not None:
        facts.append(("completion window", f"{window} days"))
    return facts


def headline_summary(report: dict) -> str:
    """The primary family's forecast summaries in one paragraph (feed summaries, index rows)."""
    return " ".join(card["forecast"].get("summary") or "" for card in headline(report)).strip()


def lineup_table(lineup: dict) -> dict:
    """Baseline generation beside each later one, one row per size class (small rows first)."""
    columns = []
    if lineup.get("baseline_generation") or lineup.get("baseline"):
        columns.append({"title": lineup.get("baseline_generation") or "baseline", "baseline": True,
                        "points": lineup.get("baseline") or []})
    for generation in lineup.get("since") or []:
        columns.append({"title": generation.get("generation") or "?", "baseline": False,
                        "points": generation.get("entries") or []})
    for column in columns:
        column["first"] = min((p.get("released") or "" for p in column["points"]), default="") or None
    classes = list(SIZE_CLASSES)
    if any(p.get("size_class") not in SIZE_CLASSES for c in columns for p in c["points"]):
        classes.append(None)
    rows = [{"size_class": size_class or "unsized", "small": size_class in SMALL_CLASSES,
             "cells": [[_point(p) for p in c["points"] if _class_of(p) == size_class] for c in columns]}
            for size_class in classes]
    return {"family": lineup.get("family"), "columns": columns, "rows": rows}


def _class_of(point: dict) -> str | None:
    size_class = point.get("size_class")
    return size_class if size_class in SIZE_CLASSES else None


def _point(point: dict) -> dict:
    """One size point as a short label: `9B`, `VL 4B`, with its entry and date for the tooltip."""
    entry = str(point.get("entry") or "")
    parts = entry.split(" · ")
    line = point.get("line") or (parts[1] if len(parts) == 3 else "LM")
    size = point.get("size_label") or (parts[-1] if parts else "?")
    label = size if line == "LM" else f"{line} {size}"
    return {"label": entry_name(label, point.get("built_on")), "entry": entry_name(entry, point.get("built_on")),
            "released": point.get("released"), "active_b": point.get("params_active_b")}


def quarter_rows(quarterly: dict) -> list[dict]:
    """The releases chart as a table: per quarter, the count of each size class."""
    counts = quarterly.get("counts") or {}
    rows = []
    for i, quarter in enumerate(quarterly.get("quarters") or []):
        row = [(counts.get(c) or [])[i] if i < len(counts.get(c) or []) else 0 for c in SIZE_CLASSES]
        rows.append({"quarter": quarter, "baseline": quarter == quarterly.get("baseline_quarter"), "counts": row})
    return rows


def coverage_rows(coverage: dict) -> list[dict]:
    """Families x size classes; a cell is the newest entry in the window, or None. `borrowed`: the
    cell is filled only by models built on another family's base (its base's short name)."""
    classes = coverage.get("size_classes") or list(SIZE_CLASSES)
    objects = coverage.get("cells") or {}
    rows = []
    for family, cells in (coverage.get("families") or {}).items():
        row = []
        for c in classes:
            on = ((objects.get(family) or {}).get(c) or {}).get("built_on")
            row.append({"size_class": c, "small": c in SMALL_CLASSES, "text": (cells or {}).get(c),
                        "borrowed": str(on).rpartition("/")[2] if on else None})
        rows.append({"family": family, "cells": row})
    return rows


def coverage_borrowed(rows: list[dict]) -> bool:
    return any(cell["borrowed"] for row in rows for cell in row["cells"])


def change_lines(changes: dict) -> dict:
    """"Changed since last week" as sentences, one list per kind; None when there was no
    previous week's report to compare with."""
    if not changes.get("previous_week"):
        return {"previous_week": None, "groups": []}
    groups = [
        ("Verdicts", [f"{c.get('family')} {FORECAST_TITLES.get(c.get('id'), c.get('id')).lower()}: "
                      f"{c.get('from')} → {c.get('to')}. {c.get('summary') or ''}".strip()
                      for c in changes.get("verdicts") or []]),
        ("New entries", [f"{entry_name(e.get('entry'), e.get('built_on'))} ({e.get('family')}, "
                         f"{e.get('size_class') or 'unsized'}, released {e.get('released')}, {licence_words(e)})"
                         for e in changes.get("new_entries") or []]),
        ("Licence, gating and removals", [f"{e.get('at', '')[:10]}: {e.get('repo_id')} {str(e.get('kind')).replace('_', ' ')}"
                                          f" ({e.get('old')} → {e.get('new')})" for e in changes.get("events") or []]),
        ("Counters", [f"{m.get('family')} {str(m.get('counter')).replace('_', ' ')}: {number(m.get('from'))} → "
                      f"{number(m.get('to'))} ({m.get('change', 0):+.0%})" for m in changes.get("counters") or []]),
    ]
    return {"previous_week": changes["previous_week"], "groups": [(name, lines) for name, lines in groups if lines]}


def strips(history: list[dict]) -> list[dict]:
    """The index's verdict strips: one row per family and forecast, one badge-coloured cell per week."""
    return [{"title": f"{strip.get('family')} · {FORECAST_TITLES.get(strip.get('id'), strip.get('id'))}",
             "weeks": [{**cell, "badge": verdict(cell.get("verdict"))} for cell in strip.get("weeks") or []],
             "changes": sum(1 for cell in strip.get("weeks") or [] if cell.get("changed"))}
            for strip in history]


def run_now(block: dict) -> dict:
    """The newest model per family and size class, worded: memory at each context with its format,
    age in days or years, builds named (official first, community marked)."""
    contexts = list(block.get("context_tokens") or [])
    classes = []
    for group in block.get("classes") or []:
        rows = []
        for row in group.get("rows") or []:
            memory = row.get("memory") or {}
            total = memory.get("total_gb") or {}
            builds = row.get("builds") or []
            rows.append({**row, "age": _age(row.get("age_days")), "params": _params(row),
                         "gated": row.get("gated") not in (None, "", "false"), "licence": licence_text(row),
                         "on": str(row["built_on"]).rpartition("/")[2] if row.get("built_on") else None,
                         "format": (memory.get("quant") or "") + (" (official)" if memory.get("native") else ""),
                         "memory": [{"context": tokens_text(c), "text": _gigabytes(total.get(str(c)))} for c in contexts],
                         "builds": "; ".join(f"{b.get('repo')} ({b.get('format')}"
                                             + ("" if b.get("official") else ", community") + ")" for b in builds)})
        classes.append({"size_class": group.get("size_class"), "small": group.get("size_class") in SMALL_CLASSES,
                        "rows": rows, "appendix": group.get("size_class") in APPENDIX_CLASSES})
    return {"contexts": [tokens_text(c) for c in contexts], "method": block.get("method") or "", "classes": classes}


def licence_text(row: dict) -> str:
    """A licence table cell: the licence, else "unknown" (the facts do not know it) or "not stated"
    (the Hub listing carries none). Rows from before `license_status` was written read as before."""
    if row.get("license"):
        return str(row["license"])
    return "unknown" if row.get("license_status") == "unknown" else "not stated"


def licence_words(row: dict) -> str:
    """'licence apache-2.0', 'licence unknown (licence not verified)', 'no licence stated on the Hub'."""
    if row.get("license"):
        return f"licence {row['license']}"
    if row.get("license_status") == "unknown":
        note = row.get("license_note")
        return "licence unknown" + (f" ({note})" if note else "")
    return "no licence stated on the Hub"


def licence_drift(block: dict) -> dict:
    """Licence drift grouped for reading: changes, then the releases since the baseline without a
    stated licence, those the forecasts count first (the open-weights evidence names the same ones,
    in the same words), then the other lines."""
    unclear = [{"note": f"{entry_name(row.get('entry'), row.get('built_on'))}: no licence stated on the Hub", **row}
               for row in [*(block.get("unknown") or []), *(block.get("unstated") or [])]]
    unclear.sort(key=lambda u: (str(u.get("released")), str(u.get("entry"))), reverse=True)
    return {"changes": block.get("changes") or [],
            "counted": [u for u in unclear if u.get("counted", True)],
            "other": [u for u in unclear if not u.get("counted", True)],
            "any": bool(block.get("changes") or unclear)}


def _age(days: object) -> str:
    if not isinstance(days, int):
        return "age unknown"
    return f"{days} days" if days < 365 else f"{days / 365:.1f} years"


def _gigabytes(value: object) -> str:
    return f"~{value:g} GB" if isinstance(value, int | float) else "—"


def _params(row: dict) -> str:
    total, active = row.get("params_total_b"), row.get("params_active_b")
    if not isinstance(total, int | float):
        return "—"
    return f"{total:g}B" + (f" ({active:g}B active)" if isinstance(active, int | float) else "")


def indicator_rows(indicators: dict) -> list[dict]:
    """Per family: downloads and child models of small versus larger entries, and the small share."""
    rows = []
    for family, totals in (indicators.get("by_family") or {}).items():
        small, larger = totals.get("small_downloads") or 0, totals.get("larger_downloads") or 0
        share = f"{100 * small / (small + larger):.0f}%" if small + larger else None
        rows.append({"family": family, **totals, "small_share": share})
    return rows


def forecast_rows(forecasts: Iterable[dict]) -> list[dict]:
    """One row per family (in report order) with both of its forecasts."""
    rows: dict[str, dict] = {}
    for forecast in forecasts:
        row = rows.setdefault(forecast.get("family") or "?", {"family": forecast.get("family") or "?", "forecasts": {}})
        row["forecasts"][forecast.get("id")] = {**forecast, "badge": verdict(forecast.get("verdict"))}
    return list(rows.values())


def adoption_note(indicators: dict) -> str | None:
    """Why the adoption chart shows no trend, in words, for readers who skip the picture."""
    points = indicators.get("points") or []
    if len(points) >= 2:
        return None
    return (f"No adoption trend yet: {len(points)} poll{'' if len(points) == 1 else 's'} in the record, "
            "and a trend needs at least two.")


class Links:
    """Links between the files of the reports directory: relative, or absolute under the site's
    base URL (site.base_url) so that a page, a feed entry or a pasted Markdown post still works
    away from the directory."""

    def __init__(self, base_url: str = "") -> None:
        self.base = base_url.rstrip("/") + "/" if base_url else ""

    def __call__(self, name: str) -> str:
        return self.base + quote(str(name))

    @property
    def absolute(self) -> bool:
        return bool(self.base)


def repo_url(repo_id: str) -> str:
    """The repo's Hub page; quoted so that no name can break out of the URL."""
    return "https://huggingface.co/" + quote(str(repo_id), safe="/")


def number(value: object) -> str:
    """Thousands separated, floats trimmed; anything else as itself."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else str(value) or "—"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}".removesuffix(".0")


SECTIONS = ("forecasts", "lineup", "coverage", "licences", "adoption", "ecosystem", "resilience", "fits",
            "community_builds")


def provenance_view(report: dict) -> dict:
    """The report's provenance for the templates: `headline` (the first line of every output when
    an input is synthetic, else None), and per section its source line and `mark` (" (SYNTHETIC)"
    for a title whose numbers rest on made-up figures, else "")."""
    block = report.get("provenance") or {}
    sections = block.get("sections") or {}
    return {"headline": block.get("headline"),
            "source": {name: (sections.get(name) or {}).get("source") or "" for name in SECTIONS},
            "mark": {name: " (SYNTHETIC)" if (sections.get(name) or {}).get("synthetic") else "" for name in SECTIONS}}


def synthetic_headline(report: dict) -> str | None:
    """What every output says first when any input of the report is synthetic."""
    return (report.get("provenance") or {}).get("headline")


def context(report: dict, links: Links | None = None) -> dict:
    """Everything the report templates read, computed once."""
    indicators = report.get("indicators") or {}
    return {
        "prov": provenance_view(report),
        "r": report, "family": primary_family(report), "headline": headline(report), "link": links or Links(),
        "description": headline_summary(report),
        "new": report.get("new_this_week") or [],
        "lineup": lineup_table(report.get("lineup") or {}),
        "quarterly": report.get("quarterly") or {}, "quarter_rows": quarter_rows(report.get("quarterly") or {}),
        "coverage": report.get("coverage") or {}, "coverage_rows": coverage_rows(report.get("coverage") or {}),
        "coverage_borrowed": coverage_borrowed(coverage_rows(report.get("coverage") or {})),
        "adoption_note": adoption_note(indicators), "indicator_rows": indicator_rows(indicators),
        "risk_events": report.get("risk_events") or [], "alerts": report.get("alerts") or [],
        "derivatives": report.get("derivatives") or [],
        "forecast_rows": forecast_rows(report.get("forecasts") or []),
        "health": report.get("data_health") or {},
        "eco": ecosystem_view(report.get("ecosystem")),
        "res": resilience_view(report.get("resilience")),
        "definitions": DEFINITIONS,
        "run_now": run_now(report.get("what_to_run") or {}),
        "fits": fits_view(report.get("fits")),
        "changes": change_lines(report.get("changes") or {}),
        "drift": licence_drift(report.get("licence_drift") or {}),
    }
