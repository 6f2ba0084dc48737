"""Render a weekly report dict to Markdown, self-contained HTML and JSON, then refresh the index and feed.

The dict (DESIGN.md's report JSON) is the only input: no analysis is imported here, so renderers
and analysis can change independently as long as the contract holds.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from ..sanitize import clean
from . import view
from .archive import load_reports, make_public_dir, report_json, write_atomic
from .changes import load_previous, since_last_week, verdict_history
from .charts import render_charts
from .feed import render_feed
from .templating import html_env, markdown_env


def render_markdown(report: dict, chart_files: dict[str, str]) -> str:
    """The report as Markdown; charts are PNG files referenced by the given relative paths."""
    files = {name: quote(path) for name, path in chart_files.items()}
    return markdown_env().get_template("report.md").render(**view.context(report), chart_files=files)


def render_html(report: dict, chart_svgs: dict[str, str]) -> str:
    """The report as one self-contained HTML page: inline CSS and inline SVG, nothing fetched.
    The SVGs are inlined as they are: pass only what charts.py drew (it escapes its own text)."""
    return html_env().get_template("report.html").render(**view.context(report), charts=chart_svgs)


def render_index(reports: list[dict]) -> str:
    """Every report, newest first, with the primary family's verdicts and its small-models answer."""
    rows = []
    for report in reports:
        cards = view.headline(report)
        first = cards[0] if cards else {"answer": None, "forecast": {}}
        rows.append({"week": report.get("week"), "as_of": report.get("as_of"), "family": view.primary_family(report),
                     "verdicts": {card["id"]: card["verdict"] for card in cards},
                     "answer": first["answer"], "summary": first["forecast"].get("summary"),
                     "changed": bool((report.get("changes") or {}).get("verdicts"))})
    return html_env().get_template("index.html").render(rows=rows, strips=view.strips(verdict_history(reports)))


def write_report(report: dict, out_dir: Path) -> dict[str, Path]:
    """Write `<week>.md/.html/.json` and its PNG charts into out_dir, then rebuild index.html and
    feed.xml from every report there. Each file is replaced atomically; reruns are byte-identical."""
    report = clean(report)  # whatever the Hub sent, every file written below stays valid
    out_dir = make_public_dir(Path(out_dir))
    week = str(report.get("week"))
    if not re.fullmatch(r"\d{4}-W\d{2}", week):  # it names files: never a path from the data
        raise ValueError(f"report week must look like 2026-W47, not {week!r}")
    report = {**report, "changes": since_last_week(load_previous(out_dir, week), report)}
    charts = render_charts(report)
    pngs = {name: f"{week}-{name}.png" for name in charts}
    chart_paths = [write_atomic(out_dir / pngs[name], chart.png) for name, chart in charts.items()]
    written = {
        "markdown": write_atomic(out_dir / f"{week}.md", render_markdown(report, pngs)),
        "html": write_atomic(out_dir / f"{week}.html", render_html(report, {n: c.svg for n, c in charts.items()})),
        "json": write_atomic(out_dir / f"{week}.json", report_json(report)),
    }
    reports = load_reports(out_dir)
    written["index"] = write_atomic(out_dir / "index.html", render_index(reports))
    written["feed"] = write_atomic(out_dir / "feed.xml", render_feed(reports))
    return {**written, "charts": chart_paths}

