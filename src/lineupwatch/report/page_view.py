"""How the weekly page and the index are laid out for reading (issue 23): the verdict words of the
badges, the first screen's few bullets, the legend, the sections moved to the week's data page, and
the index's strips newest first with week labels.

Only reshaping of what view.py already computed: no analysis, no escaping. The badge words never
lean on a symbol: "supported" of "Qwen stops small models" means Qwen stopped, so the badge says so.
"""

from __future__ import annotations

from .view import VERDICT_WORDS

FIRST_SCREEN_CHANGES = 3  # bullets of "changed since last week" on the first screen
FIRST_SCREEN_CHARS = 64  # each at most this long (the whole line is under "Changed since last week")
LABEL_EVERY = 4  # the index labels every 4th week, and the newest and oldest

# What the words mean, in the legend at the top of the page (and the foot of the data page).
LEGEND = (
    ("refuted", "still making them / still open", "good news (refuted)"),
    ("supported", "{family} stopped / closing", "bad news (supported)"),
    ("open", "not settled yet", "open (forecast not settled)"),
)
# A strip cell's mark: a shape, never a tick, so colour is not the only signal.
MARKS = {"refuted": "+", "supported": "−", "open": "?"}

NEW_SHOWN = 5  # groups of "new this week" on the weekly page; every one is on the data page
CHANGES_SHOWN = 6  # lines of "changed since last week" in the weekly Markdown; every one on the data page
# Sections on the week's data page (`<week>-data.html` / `.md`), in its order: id, title.
DATA_SECTIONS = (
    ("changes-all", "Every change since last week, and every new repo"),
    ("lineup", "{family}'s lineup: the baseline beside every generation since"),
    ("fits-full", "What fits your machine, in full: where to get each pick"),
    ("licences-other", "Other releases without a stated licence"),
    ("ecosystem-weeks", "Derivatives by base family, week by week"),
    ("fillers", "Who is filling the small sizes, and adoption against the size class"),
    ("resilience-weeks", "The resilience index: this week in figures, and week by week"),
    ("derivatives", "Derivatives of the same family"),
    ("forecasts", "Every watched family's forecasts, with evidence"),
    ("appendix", "Appendix: the newest large and frontier models"),
    ("health", "Data health"),
)


def data_page(week: object) -> str:
    """The file name of a week's data page, beside `<week>.html`."""
    return f"{week}-data"


def badge(forecast_id: object, verdict: dict, family: object) -> dict:
    """A verdict badge to show: its word first ("Qwen stopped"), then the verdict itself. The word is
    view.verdict()'s, else the one view.VERDICT_WORDS gives its forecast; a bare "stopped" or "closing"
    names the family. The class (css) keeps the verdict's colour."""
    forecast_words = VERDICT_WORDS.get(str(forecast_id)) or {}
    word = str(verdict.get("word") or forecast_words.get(str(verdict.get("css")))
               or verdict.get("label") or "unknown")
    if word in ("stopped", "closing"):
        word = f"{family or 'the family'} {word}"
    return {"css": verdict.get("css") or "unknown", "word": word, "verdict": str(verdict.get("label") or "unknown")}


def cards(headline: list[dict], family: object) -> list[dict]:
    """The headline cards with their badge words and the short answer the first screen shows (the
    full answer follows in the card's figures)."""
    return [{**card, "badge": badge(card.get("id"), card.get("verdict") or {}, family),
             "short": short_answer(str(card.get("answer") or ""))} for card in headline]


def short_answer(text: str, least: int = 24) -> str:
    """An answer up to its first clause break after `least` characters ("No: Qwen has released no
    small model in the 264 days since Qwen3.5 · LM · 0.8B (2026-03-03)."): what fits a phone's
    first screen beside the badge. The whole text when it has no such break."""
    cuts = [i for mark in (": ", ", ", "; ", " (") if (i := text.find(mark, least)) > 0]
    if not cuts:
        return text
    return text[:min(cuts)].rstrip(" .,;:") + "."


def _clip(line: str, limit: int = FIRST_SCREEN_CHARS) -> str:
    """A change line for the first screen: its first sentence, at most `limit` characters."""
    head = line.split(". ", 1)[0]
    if len(head) <= limit:
        return head
    return head[:limit].rsplit(" ", 1)[0].rstrip(" ,;:(") + " …"


def legend(family: object) -> list[dict]:
    return [{"css": css, "words": words.format(family=family or "the family"), "text": text}
            for css, words, text in LEGEND]


def first_changes(changes: dict) -> dict:
    """At most FIRST_SCREEN_CHANGES lines of what changed, verdicts first, and how many more."""
    lines = [f"{name}: {line}" for name, group in changes.get("groups") or [] for line in group]
    return {"lines": [_clip(line) for line in lines[:FIRST_SCREEN_CHANGES]],
            "more": max(0, len(lines) - FIRST_SCREEN_CHANGES)}


def strips_newest_first(strips: list[dict]) -> dict:
    """The index's strips as one grid, newest week first: the weeks (with a label on the newest,
    the oldest and every LABEL_EVERY-th) and per strip its cells in the same order, each with its
    word and a mark that is not a tick."""
    weeks = sorted({str(cell.get("week")) for strip in strips for cell in strip.get("weeks") or []}, reverse=True)
    columns = [{"week": week, "label": "W" + week.rpartition("W")[2]
                if i % LABEL_EVERY == 0 or i == len(weeks) - 1 else ""} for i, week in enumerate(weeks)]
    rows = []
    for strip in strips:
        by_week = {str(cell.get("week")): cell for cell in strip.get("weeks") or []}
        forecast_id = strip.get("id")
        cells = []
        for column in columns:
            cell = by_week.get(column["week"])
            if cell is None:
                cells.append(None)
                continue
            shown = badge(forecast_id, cell["badge"], strip.get("family"))
            cells.append({**cell, "shown": shown, "mark": MARKS.get(shown["css"], "!")})
        rows.append({**strip, "cells": cells})
    return {"columns": columns, "rows": rows}


def small_coverers(coverage_rows: list[dict]) -> list[str]:
    """The families with a tiny or small entry in the coverage window (the coverage table's summary)."""
    return [row["family"] for row in coverage_rows
            if any(cell.get("small") and cell.get("text") for cell in row.get("cells") or [])]


def first_sentence(text: object, least: int = 40) -> str:
    """A long sentence's first sentence (the resilience sentence on the first screen; the whole of it
    follows in its section): up to the first ". " after `least` characters."""
    text = str(text or "")
    cut = text.find(". ", least)
    return text if cut < 0 else text[:cut + 1]


def shown_changes(changes: dict, limit: int = CHANGES_SHOWN) -> dict:
    """The first `limit` lines of what changed, verdicts first, as (group, line), and how many more."""
    lines = [(name, line) for name, group in changes.get("groups") or [] for line in group]
    return {"lines": lines[:limit], "more": max(0, len(lines) - limit)}
