"""The report dict reshaped for reading: what both the Markdown and the HTML templates show.

Only reshaping and plain-language wording live here; no escaping (the template environments do
that) and no analysis (the dict is the contract: missing parts show as empty, never crash).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from .ecosystem_view import ecosystem_view

SIZE_CLASSES = ("tiny", "small", "medium", "large", "frontier")
SMALL_CLASSES = ("tiny", "small")
FORECAST_IDS = ("small-models", "open-weights")

VERDICTS = {
    "refuted": {"symbol": "✗", "label": "refuted"},
    "open": {"symbol": "?", "label": "open"},
    "supported": {"symbol": "✓", "label": "supported"},
}
# What each verdict of each forecast means for someone running models locally: the five-second answer.
ANSWERS = {
    ("small-models", "refuted"): "Yes: {family} is still releasing small models.",
    ("small-models", "supported"): "No: {family} has stopped releasing small models.",
    ("small-models", "open"): "Not settled yet: no new small {family} model since the baseline, too early to call.",
    ("open-weights", "refuted"): "{family} keeps releasing open weights at its old pace or faster.",
    ("open-weights", "supported"): "Fewer: {family} publishes open weights less often, or under tighter terms.",
    ("open-weights", "open"): "Not settled yet: {family}'s open-weight cadence is not clearly up or down.",
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
        answer = ANSWERS.get((forecast_id, forecast.get("verdict")), "Verdict: {verdict}.")
        cards.append({"forecast": forecast, "id": forecast_id, "title": FORECAST_TITLES[forecast_id],
                      "verdict": verdict(forecast.get("verdict")),
                      "answer": answer.format(family=family, verdict=forecast.get("verdict")),
                      "facts": _facts(forecast)})
    return cards


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
    return {"label": size if line == "LM" else f"{line} {size}", "entry": entry, "released": point.get("released"),
            "active_b": point.get("params_active_b")}


def quarter_rows(quarterly: dict) -> list[dict]:
    """The releases chart as a table: per quarter, the count of each size class."""
    counts = quarterly.get("counts") or {}
    rows = []
    for i, quarter in enumerate(quarterly.get("quarters") or []):
        row = [(counts.get(c) or [])[i] if i < len(counts.get(c) or []) else 0 for c in SIZE_CLASSES]
        rows.append({"quarter": quarter, "baseline": quarter == quarterly.get("baseline_quarter"), "counts": row})
    return rows


def coverage_rows(coverage: dict) -> list[dict]:
    """Families x size classes; a cell is the newest entry in the window, or None."""
    classes = coverage.get("size_classes") or list(SIZE_CLASSES)
    return [{"family": family, "cells": [{"size_class": c, "small": c in SMALL_CLASSES, "text": (cells or {}).get(c)}
                                         for c in classes]}
            for family, cells in (coverage.get("families") or {}).items()]


def change_lines(changes: dict) -> dict:
    """"Changed since last week" as sentences, one list per kind; None when there was no
    previous week's report to compare with."""
    if not changes.get("previous_week"):
        return {"previous_week": None, "groups": []}
    groups = [
        ("Verdicts", [f"{c.get('family')} {FORECAST_TITLES.get(c.get('id'), c.get('id')).lower()}: "
                      f"{c.get('from')} → {c.get('to')}. {c.get('summary') or ''}".strip()
                      for c in changes.get("verdicts") or []]),
        ("New entries", [f"{e.get('entry')} ({e.get('family')}, {e.get('size_class') or 'unsized'}, released "
                         f"{e.get('released')}, licence {e.get('license') or 'none stated'})"
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
    """"What to run now" with its numbers worded: memory in GB, age in days or years, builds joined."""
    classes = []
    for group in block.get("classes") or []:
        rows = [{**row, "age": _age(row.get("age_days")), "params": _params(row),
                 "gated": row.get("gated") not in (None, "", "false"),
                 "builds": ", ".join(row.get("quantized_builds") or []),
                 "memory": [{"bits": bits, "text": _gigabytes((row.get("memory_gb") or {}).get(str(bits)))}
                            for bits in block.get("bits") or []]}
                for row in group.get("rows") or []]
        classes.append({"size_class": group.get("size_class"), "small": group.get("size_class") in SMALL_CLASSES,
                        "rows": rows})
    return {"bits": block.get("bits") or [], "method": block.get("method") or "", "classes": classes}


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


def context(report: dict, links: Links | None = None) -> dict:
    """Everything the report templates read, computed once."""
    indicators = report.get("indicators") or {}
    return {
        "r": report, "family": primary_family(report), "headline": headline(report), "link": links or Links(),
        "description": headline_summary(report),
        "new": report.get("new_this_week") or [],
        "lineup": lineup_table(report.get("lineup") or {}),
        "quarterly": report.get("quarterly") or {}, "quarter_rows": quarter_rows(report.get("quarterly") or {}),
        "coverage": report.get("coverage") or {}, "coverage_rows": coverage_rows(report.get("coverage") or {}),
        "adoption_note": adoption_note(indicators), "indicator_rows": indicator_rows(indicators),
        "risk_events": report.get("risk_events") or [], "alerts": report.get("alerts") or [],
        "derivatives": report.get("derivatives") or [],
        "forecast_rows": forecast_rows(report.get("forecasts") or []),
        "health": report.get("data_health") or {},
        "eco": ecosystem_view(report.get("ecosystem")),
        "definitions": DEFINITIONS,
        "run_now": run_now(report.get("what_to_run") or {}),
        "changes": change_lines(report.get("changes") or {}),
        "drift": {"changes": (report.get("licence_drift") or {}).get("changes") or [],
                  "unstated": (report.get("licence_drift") or {}).get("unstated") or []},
    }
