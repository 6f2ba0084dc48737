"""The Atom 1.0 feed of the weekly reports, so maintainers can subscribe instead of checking.

Built with ElementTree, which escapes every text node: a hostile repo name in a summary stays text.
Every timestamp comes from the reports' as_of dates, never the clock, so a rerun is byte-identical.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..sanitize import clean_text
from . import view
from .templating import html_env

ATOM = "http://www.w3.org/2005/Atom"
FEED_ID = "tag:lineupwatch,2026:reports"


def entry_title(report: dict) -> str:
    """What changed that week, after the week: `2026-W16 · Qwen open-weights: refuted; 2 new
    entries`, `2026-W20 · no change; 1 new entry`, from the same changes data as the page's
    "Changed since last week" (changes.since_last_week); the primary family's verdict changes first."""
    week = report.get("week")
    title = f"{week} · {change_summary(report)}"
    return f"SYNTHETIC DATA: {title}" if view.synthetic_headline(report) else title


def change_summary(report: dict) -> str:
    """The week's changes in a few words: every verdict change, then counts of the rest."""
    changes = report.get("changes") or {}
    if not changes.get("previous_week"):
        return f"first report, no earlier week to compare ({_standing(report)})"
    family = view.primary_family(report)
    verdicts = sorted(changes.get("verdicts") or [], key=lambda c: c.get("family") != family)  # stable: report order
    parts = ["; ".join(f"{c.get('family')} {c.get('id')}: {c.get('to') or 'no verdict'}"
                       for c in verdicts) or "no verdict change"]
    for key, one, many in (("new_entries", "new entry", "new entries"),
                           ("events", "licence, gating or removal event", "licence, gating or removal events"),
                           ("counters", "counter move", "counter moves")):
        count = len(changes.get(key) or [])
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    return "; ".join(parts)


def _standing(report: dict) -> str:
    """The primary family's verdicts: 'Qwen small-models: open, open-weights: refuted'."""
    cards = view.headline(report)
    if not cards:
        return "no forecasts"
    return f"{view.primary_family(report)} " + ", ".join(f"{c['id']}: {c['verdict']['label']}" for c in cards)


def render_feed(reports: list[dict], links: view.Links | None = None) -> str:
    """The feed of the given reports (newest first, as load_reports returns them); its links are
    absolute under site.base_url when one is set (feed readers resolve relative ones poorly)."""
    links = links or view.Links()
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", FEED_ID)
    _text(feed, "title", "lineupwatch: are small open-weight models still being made?")
    _text(feed, "updated", _timestamp(reports[0]) if reports else "1970-01-01T00:00:00Z")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=links("index.html"))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", type="application/atom+xml", href=links("feed.xml"))
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "lineupwatch")
    fragment = html_env().get_template("feed_entry.html")
    for report in reports:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", f"tag:lineupwatch,2026:report:{report.get('week')}")
        _text(entry, "title", entry_title(report))
        _text(entry, "updated", _timestamp(report))
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=links(f"{report.get('week')}.html"))
        synthetic = view.synthetic_headline(report)
        summary = view.headline_summary(report) or "no forecasts in this report"
        _text(entry, "summary", f"{synthetic} {summary}" if synthetic else summary)
        content = _text(entry, "content", fragment.render(headline=view.headline(report), week=report.get("week"), link=links,
                                                          synthetic=synthetic))
        content.set("type", "html")
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = clean_text(text)
    return element


def _timestamp(report: dict) -> str:
    """The report's as_of day at midnight UTC (RFC 3339, as Atom requires)."""
    return f"{str(report.get('as_of') or '1970-01-01')[:10]}T00:00:00Z"
