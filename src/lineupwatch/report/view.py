"""The report dict reshaped for reading: what both the Markdown and the HTML templates show.

Only reshaping and plain-language wording live here; no escaping (the template environments do
that) and no analysis (the dict is the contract: missing parts show as empty, never crash).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import quote

from ..analysis.wording import pace_ratio, pace_words, times
from .changes import previous_week
from .ecosystem_view import ecosystem_view
from .fits_view import fits_view, tokens_text
from .resilience_view import resilience_view

SIZE_CLASSES = ("tiny", "small", "medium", "large", "frontier")
SMALL_CLASSES = ("tiny", "small")
APPENDIX_CLASSES = ("large", "frontier")  # shown in the full report's appendix, after the budgets (issue 22)
FORECAST_IDS = ("small-models", "open-weights")

# A verdict's badge. The verdict's own word (SUPPORTED/REFUTED/OPEN) says how the forecast fared, not
# whether that is good news: "supported" for small-models means the family stopped making small models.
# So each badge also carries the plain word of what happened (per forecast), a tone by what it means
# for people running models locally (bad/good/neutral, the colour) and a symbol that does not read as
# approval (no tick for bad news).
VERDICTS = {
    "refuted": {"symbol": "●", "label": "refuted", "tone": "good"},
    "open": {"symbol": "?", "label": "open", "tone": "neutral"},
    "supported": {"symbol": "▼", "label": "supported", "tone": "bad"},
}
VERDICT_WORDS = {
    "small-models": {"supported": "stopped", "refuted": "still making them", "open": "not settled yet"},
    "open-weights": {"supported": "closing", "refuted": "still open", "open": "not settled yet"},
}
# A badge of no known forecast (or shown without its forecast): what the verdict means in general.
GENERIC_WORDS = {"supported": "forecast holds", "refuted": "forecast wrong", "open": "not settled yet"}
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


def verdict(value: str | None, forecast_id: str | None = None) -> dict:
    """Badge data for a verdict: `symbol`, `word` (what happened, in plain words: "stopped",
    "still open"), `tone` (bad/good/neutral for local AI: the colour class `tone-<tone>`),
    `label` (the verdict's own word, "supported"), `css` (`v-<css>`, the verdict). Anything
    unexpected is shown as itself, never dropped."""
    key = str(value or "missing")
    if key not in VERDICTS:
        return {"css": "unknown", "symbol": "!", "label": key, "word": key, "tone": "neutral", "verdict": key}
    word = (VERDICT_WORDS.get(str(forecast_id)) or GENERIC_WORDS)[key]
    return {"css": key, **VERDICTS[key], "word": word, "verdict": key}


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
                      "verdict": verdict(forecast.get("verdict"), forecast_id), "answer": answer(forecast),
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
        ("Verdicts", [verdict_change_text(c) for c in changes.get("verdicts") or []]),
        ("New entries", [new_entry_text(e) for e in changes.get("new_entries") or []]),
        ("Licence, gating and removals", [event_text(e) for e in changes.get("events") or []]),
        ("Counters", [f"{m.get('family')} {str(m.get('counter')).replace('_', ' ')}: {number(m.get('from'))} → "
                      f"{number(m.get('to'))} ({m.get('change') or 0:+.0%})" for m in changes.get("counters") or []]),
    ]
    return {"previous_week": changes["previous_week"], "groups": [(name, lines) for name, lines in groups if lines]}


def new_entry_text(entry: dict) -> str:
    """'Qwen3.9 · LM · 4B on Qwen3-8B (Qwen, small, released 2026-11-20, licence apache-2.0;
    uncertain: month only (2026-11))'."""
    doubts = [str(d) for d in entry.get("uncertain") or []]
    return (f"{entry_name(entry.get('entry'), entry.get('built_on'))} ({entry.get('family')}, "
            f"{entry.get('size_class') or 'unsized'}, released {day(entry.get('released')) or 'on an unknown day'}, "
            f"{licence_words(entry)}" + (f"; uncertain: {'; '.join(doubts)}" if doubts else "") + ")")


def verdict_change_text(change: dict) -> str:
    """'Qwen open weights: not settled yet → still open (open → refuted). <summary>'."""
    forecast_id = change.get("id")
    title = FORECAST_TITLES.get(str(forecast_id), str(forecast_id or "forecast")).lower()
    old, new = verdict(change.get("from"), forecast_id), verdict(change.get("to"), forecast_id)
    return (f"{change.get('family')} {title}: {old['word']} → {new['word']} ({old['label']} → {new['label']}). "
            f"{change.get('summary') or ''}").strip()


# What the Hub's gating values mean (normalize/records.py: false, auto, manual).
GATING_WORDS = {"false": "not gated", "auto": "gated (automatic approval)", "manual": "gated (manual approval)"}


def event_values(event: dict) -> tuple[str, str]:
    """A risk event's before and after as people read them: '27B' → '28B', 'not gated' → 'gated
    (manual approval)', 'none stated' → 'apache-2.0'. The JSON keeps the stored values."""
    kind, old, new = event.get("kind"), event.get("old"), event.get("new")
    if kind == "params_changed":
        return params_value(old), params_value(new)
    if kind == "gating_changed":
        return (GATING_WORDS.get(str(old).lower(), str(old)) if old is not None else "not gated",
                GATING_WORDS.get(str(new).lower(), str(new)) if new is not None else "not gated")
    if kind == "licence_changed":
        return (str(old) if old else "none stated"), (str(new) if new else "none stated")
    if kind == "restored":
        return (f"removed {day(old)}" if old else "removed"), "listed again"
    if kind == "removed":
        return "listed", "removed or private"
    return ("—" if old is None else readable_text(str(old))), ("—" if new is None else readable_text(str(new)))


def event_text(event: dict) -> str:
    """'2026-08-15: Qwen/Qwen3-27B params changed (27B → 28B)'."""
    old, new = event_values(event)
    return f"{day(event.get('at')) or 'undated'}: {event.get('repo_id')} {str(event.get('kind')).replace('_', ' ')} ({old} → {new})"


def params_value(value: object) -> str:
    """A stored size, 'total/active' in billions ('27.0/None', '35.0/3.0'), as '27B' or '35B (3B
    active)'; 'unknown' for none."""
    total, _, active = str(value if value is not None else "").partition("/")
    return params_text(_float(total), _float(active))


def params_text(total: object, active: object = None) -> str:
    """27.0 -> '27B'; 35, 3 -> '35B (3B active)'; 0.35 -> '350M'; None -> 'unknown'."""
    if not isinstance(total, int | float) or isinstance(total, bool):
        return "unknown"
    text = _billions(total)
    return text + (f" ({_billions(active)} active)" if isinstance(active, int | float) and not isinstance(active, bool)
                   and active != total else "")


def _billions(value: float) -> str:
    if 0 < value < 1:
        return f"{value * 1000:.4g}M"
    return f"{value:.4g}B" if value < 10_000 else f"{value:,.0f}B"


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


_TIMESTAMP = re.compile(r"\b(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(Z|[+-]\d\d:?\d\d)?\b(?! UTC)")
_CODE = re.compile(r"`([^`\n]+)`")
# Keys whose timestamps are days to a reader; any other timestamp keeps its time (to the minute, UTC).
DAY_KEYS = frozenset({"at", "released", "released_at", "date", "first_poll", "removed_at", "first_seen", "day"})


def day(value: object) -> str:
    """A date or timestamp as its day, '2026-08-15'; '' for none."""
    return "" if value is None else str(value)[:10]


def _utc(match: re.Match) -> str:
    stamp = f"{match.group(1)}T{match.group(2)}" + ("+00:00" if match.group(3) in (None, "Z") else match.group(3))
    try:
        moment = datetime.fromisoformat(stamp).astimezone(UTC)
    except ValueError:
        return match.group(0)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def readable_text(text: str) -> str:
    """ISO timestamps in a text as '2026-08-15 06:17 UTC'; `code` quoted as “code” (the Markdown
    backticks of analysis wording would show as such in HTML)."""
    if "`" in text:
        text = _CODE.sub(r"“\1”", text)
    return _TIMESTAMP.sub(_utc, text) if ":" in text else text


def readable(value: object, key: str = "") -> object:
    """A copy of report data with every value worded for people: timestamps as '2026-08-15 06:17
    UTC' (or the day alone under DAY_KEYS), backticked words quoted. Only what templates show goes
    through it; the JSON keeps the stored values."""
    if isinstance(value, str):
        if key in DAY_KEYS and _TIMESTAMP.fullmatch(value):
            return value[:10]
        return readable_text(value)
    if isinstance(value, dict):
        return {k: readable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [readable(v, key) for v in value]
    return value


def risk_event_rows(events: list[dict]) -> list[dict]:
    """Risk events for the table: `at` as a day, `old` and `new` worded (event_values)."""
    rows = []
    for event in events:
        old, new = event_values(event)
        rows.append({**event, "at": day(event.get("at")), "old": old, "new": new,
                     "stored_old": event.get("old"), "stored_new": event.get("new")})
    return rows


def _previous_week_name(week: object) -> str | None:
    """The week before `2026-W47` ('2026-W46'), None for no week."""
    try:
        return previous_week(str(week))
    except ValueError:
        return None


def strips(history: list[dict]) -> list[dict]:
    """The index's verdict strips: one row per family and forecast, one badge-coloured cell per week."""
    return [{"title": f"{strip.get('family')} · {FORECAST_TITLES.get(strip.get('id'), strip.get('id'))}",
             "weeks": [{**cell, "badge": verdict(cell.get("verdict"), strip.get("id"))} for cell in strip.get("weeks") or []],
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


def newest_by_class(run: dict, family: str) -> list[dict]:
    """Per size class (medium too), the family's newest open model from run_now(); a class the
    family has nothing in shows as such."""
    rows = {group["size_class"]: next((r for r in group["rows"] if r.get("family") == family), None)
            for group in run.get("classes") or []}
    return [{"size_class": size_class, "row": rows.get(size_class)} for size_class in SIZE_CLASSES
            if size_class in rows]


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
    return f"~{value:.1f} GB" if isinstance(value, int | float) else "—"  # an estimate: tenths, not hundredths


def _params(row: dict) -> str:
    total = row.get("params_total_b")
    return params_text(total, row.get("params_active_b")) if isinstance(total, int | float) else "—"


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
        row["forecasts"][forecast.get("id")] = {**forecast, "badge": verdict(forecast.get("verdict"), forecast.get("id"))}
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
    """Everything the report templates read, computed once, every value worded for people
    (readable: no ISO timestamps, no backticks; risk events' sizes and gates in words)."""
    report = readable(report)
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
        "risk_events": risk_event_rows(report.get("risk_events") or []), "alerts": report.get("alerts") or [],
        "derivatives": report.get("derivatives") or [],
        "forecast_rows": forecast_rows(report.get("forecasts") or []),
        "health": report.get("data_health") or {},
        "eco": ecosystem_view(report.get("ecosystem")),
        "res": resilience_view(report.get("resilience")),
        "definitions": DEFINITIONS,
        "run_now": (run := run_now(report.get("what_to_run") or {})),
        "newest_by_class": newest_by_class(run, primary_family(report)),
        "fits": fits_view(report.get("fits")),
        "changes": change_lines(report.get("changes") or {}),
        "expected_previous_week": _previous_week_name(report.get("week")),
        "drift": licence_drift(report.get("licence_drift") or {}),
    }
