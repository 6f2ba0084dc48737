"""What changed since last week, from two report dicts: this week's and the previous week's JSON.

Chosen over re-running the analysis as of the previous Sunday: the previous week's report is
what readers saw, it costs one file read instead of a second analysis, and it keeps renderers
free of analysis imports. Without the previous week's JSON in the reports directory, the block
says so instead of guessing. The verdict strip of the index is built from the same files.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from ..sanitize import clean

# A download total that moved by at least this share since last week is a notable counter move.
NOTABLE_MOVE = 0.25
COUNTERS = ("small_downloads", "larger_downloads", "small_children", "larger_children")


def previous_week(week: str) -> str:
    """`2026-W01` -> `2025-W52` (ISO weeks, so years with 53 weeks come out right)."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1) - timedelta(days=7)
    previous_year, previous_number, _ = monday.isocalendar()
    return f"{previous_year}-W{previous_number:02d}"


def load_previous(out_dir: Path, week: str, *elsewhere: Path) -> dict | None:
    """The previous week's report JSON from out_dir, else from the first of `elsewhere` that has it
    (a forum post written to a directory of its own finds the week before in storage.reports_dir);
    None if it is missing or unreadable everywhere."""
    for directory in (out_dir, *elsewhere):
        try:
            report = json.loads((Path(directory) / f"{previous_week(week)}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(report, dict):
            return clean(report)
    return None


def since_last_week(previous: dict | None, report: dict) -> dict:
    """Verdict changes, new entries, licence and gating events, notable counter moves."""
    if previous is None:
        return {"previous_week": None, "verdicts": [], "new_entries": [], "events": [], "counters": []}
    return {"previous_week": previous.get("week"), "verdicts": _verdicts(previous, report),
            "new_entries": _new_entries(previous, report), "events": _new_events(previous, report),
            "counters": _counter_moves(previous, report)}


def _verdicts(previous: dict, report: dict) -> list[dict]:
    before = {(f.get("family"), f.get("id")): f.get("verdict") for f in previous.get("forecasts") or []}
    return [{"family": f.get("family"), "id": f.get("id"), "from": before.get((f.get("family"), f.get("id"))),
             "to": f.get("verdict"), "summary": f.get("summary")}
            for f in report.get("forecasts") or []
            if before.get((f.get("family"), f.get("id")), f.get("verdict")) != f.get("verdict")]


def _new_entries(previous: dict, report: dict) -> list[dict]:
    known = {e.get("entry") for e in previous.get("entries_since_baseline") or []}
    return [{key: e.get(key) for key in ("family", "entry", "size_class", "released", "counted", "license",
                                         "license_status", "license_note", "built_on", "uncertain")}
            for e in report.get("entries_since_baseline") or [] if e.get("entry") not in known]


def _new_events(previous: dict, report: dict) -> list[dict]:
    def key(event: dict) -> tuple:
        return event.get("at"), event.get("repo_id"), event.get("kind")

    known = {key(e) for e in previous.get("risk_events") or []}
    return [e for e in report.get("risk_events") or [] if key(e) not in known]


def _counter_moves(previous: dict, report: dict) -> list[dict]:
    before = (previous.get("indicators") or {}).get("by_family") or {}
    moves = []
    for family, totals in ((report.get("indicators") or {}).get("by_family") or {}).items():
        for counter in COUNTERS:
            old, new = (before.get(family) or {}).get(counter), totals.get(counter)
            if isinstance(old, int) and isinstance(new, int) and old > 0 and abs(new - old) >= NOTABLE_MOVE * old:
                moves.append({"family": family, "counter": counter, "from": old, "to": new,
                              "change": round((new - old) / old, 3)})
    return moves


def verdict_history(reports: list[dict]) -> list[dict]:
    """Per family and forecast, the verdict of every week (oldest first), each marked where it
    differs from the week before; primary family first, as the reports order their forecasts."""
    weeks = sorted(reports, key=lambda r: str(r.get("week")))
    strips: dict[tuple, dict] = {}
    for report in reversed(weeks):  # newest report's order of forecasts decides the order of strips
        for forecast in report.get("forecasts") or []:
            strips.setdefault((forecast.get("family"), forecast.get("id")),
                              {"family": forecast.get("family"), "id": forecast.get("id"), "weeks": []})
    for strip in strips.values():
        last = None
        for report in weeks:
            verdict = next((f.get("verdict") for f in report.get("forecasts") or []
                            if (f.get("family"), f.get("id")) == (strip["family"], strip["id"])), None)
            strip["weeks"].append({"week": report.get("week"), "verdict": verdict,
                                   "changed": last is not None and verdict is not None and verdict != last})
            last = verdict if verdict is not None else last
    return list(strips.values())
