"""Render a weekly report dict to Markdown, self-contained HTML and JSON, then refresh the index and feed.

The dict (DESIGN.md's report JSON) is the only input: no analysis is imported here, so renderers
and analysis can change independently as long as the contract holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..sanitize import clean
from . import view
from .archive import (
    load_reports,
    make_public_dir,
    report_json,
    summary_of,
    write_atomic,
    write_summary,
)
from .changes import load_previous, since_last_week, verdict_history
from .chart import CHART_NAMES, Chart
from .feed import render_feed
from .templating import html_env, markdown_env

# A Reddit comment holds 10,000 characters; Discourse and GitHub take more.
FORUM_LIMIT = 10_000
FORUM_LIST_LIMITS = (8, 5, 3, 1)  # rows per list, tried in turn until the post fits


def render_markdown(report: dict, chart_files: dict[str, str], links: view.Links | None = None) -> str:
    """The report as Markdown; charts are PNG files referenced by the given file names, relative
    or under the site's base URL."""
    links = links or view.Links()
    files = {name: links(path) for name, path in chart_files.items()}
    return markdown_env().get_template("report.md").render(**view.context(report, links), chart_files=files)


def render_html(report: dict, chart_svgs: dict[str, str], links: view.Links | None = None) -> str:
    """The report as one self-contained HTML page: inline CSS and inline SVG, nothing fetched.
    The SVGs are inlined as they are: pass only what charts.py drew (it escapes its own text)."""
    week = str(report.get("week"))
    return html_env().get_template("report.html").render(
        **view.context(report, links), charts=chart_svgs, page=f"{week}.html", og_type="article",
        og_image=f"{week}-releases.png", og_image_alt="New lineup entries per quarter, by size class")


def render_index(reports: list[dict], links: view.Links | None = None) -> str:
    """Every report, newest first, with the primary family's verdicts and its small-models answer,
    under the verdict strips of every forecast."""
    rows = []
    for report in reports:
        cards = view.headline(report)
        first = cards[0] if cards else {"answer": None, "forecast": {}}
        rows.append({"week": report.get("week"), "as_of": report.get("as_of"), "family": view.primary_family(report),
                     "verdicts": {card["id"]: card["verdict"] for card in cards},
                     "answer": first["answer"], "summary": first["forecast"].get("summary"),
                     "changed": any(c.get("family") == view.primary_family(report)
                                    for c in (report.get("changes") or {}).get("verdicts") or [])})
    description = view.headline_summary(reports[0]) if reports else "No reports yet."
    return html_env().get_template("index.html").render(
        rows=rows, strips=view.strips(verdict_history(reports)), link=links or view.Links(), page="index.html",
        description=description)


def render_forum(report: dict, chart_files: dict[str, str], links: view.Links) -> str:
    """The forum variant: Markdown without raw HTML, absolute image URLs, under FORUM_LIMIT
    characters (a Reddit comment); lists are shortened until it fits. `links` must be absolute."""
    files = {name: links(path) for name, path in chart_files.items()}
    text = ""
    for limit in FORUM_LIST_LIMITS:
        text = markdown_env().get_template("forum.md").render(**view.context(report, links), chart_files=files,
                                                              limit=limit)
        if len(text) < FORUM_LIMIT:
            break
    return text if len(text) < FORUM_LIMIT else text[:FORUM_LIMIT - 2].rsplit("\n", 1)[0] + "\n"


def _prepare(report: dict, out_dir: Path) -> tuple[dict, str]:
    """The report cleaned and with what changed since the previous week's JSON in out_dir."""
    report = clean(report)  # whatever the Hub sent, every file written below stays valid
    week = str(report.get("week"))
    if not re.fullmatch(r"\d{4}-W\d{2}", week):  # it names files: never a path from the data
        raise ValueError(f"report week must look like 2026-W47, not {week!r}")
    return {**report, "changes": since_last_week(load_previous(out_dir, week), report)}, week


def draw_charts(report: dict) -> dict[str, Chart]:
    """The report's charts; matplotlib (about 0.25 s to import) is imported only to draw them,
    so a process that has them drawn elsewhere never pays for it (reporting.write_weekly_report)."""
    from .charts import render_charts

    return render_charts(report)


def write_forum(report: dict, out_dir: Path, base_url: str) -> dict[str, Path]:
    """Write `<week>.forum.md` and the PNG charts it shows into out_dir (publish them at base_url)."""
    links = view.Links(base_url)
    if not links.absolute:
        raise ValueError("a forum post needs absolute links: set site.base_url")
    out_dir = make_public_dir(Path(out_dir))
    report, week = _prepare(report, out_dir)
    charts = draw_charts(report)
    pngs = {name: f"{week}-{name}.png" for name in charts}
    chart_paths = [write_atomic(out_dir / pngs[name], chart.png) for name, chart in charts.items()]
    return {"forum": write_atomic(out_dir / f"{week}.forum.md", render_forum(report, pngs, links)),
            "charts": chart_paths}


def write_report(report: dict, out_dir: Path, base_url: str = "", index: bool = True,
                 charts: dict[str, Chart] | Callable[[], dict[str, Chart]] | None = None) -> dict[str, Path]:
    """Write `<week>.md/.html/.json`, its PNG charts and `.summaries/<week>.json` (what the index
    and feed show of it) into out_dir, then rebuild index.html and feed.xml from every report
    there (`index`; a backfill does so after its last week only). Each file is replaced
    atomically; reruns are byte-identical. With a base_url (site.base_url) every link between
    these files is absolute. `charts`: draw_charts of the cleaned report when another process
    has drawn them, or a call that waits for them (the Markdown is written and the JSON
    serialized meanwhile)."""
    links = view.Links(base_url)
    out_dir = make_public_dir(Path(out_dir))
    report, week = _prepare(report, out_dir)
    pngs = {name: f"{week}-{name}.png" for name in CHART_NAMES}
    written = {"markdown": write_atomic(out_dir / f"{week}.md", render_markdown(report, pngs, links))}
    text = report_json(report)
    charts = draw_charts(report) if charts is None else charts() if callable(charts) else charts
    chart_paths = [write_atomic(out_dir / pngs[name], chart.png) for name, chart in charts.items()]
    written["html"] = write_atomic(out_dir / f"{week}.html",
                                   render_html(report, {n: c.svg for n, c in charts.items()}, links))
    # The JSON last: a run takes `<week>.json` for a week done (reporting.due_week_end), so a chart
    # that fails to draw leaves the week to be written again. Its summary after it: see load_reports.
    written["json"] = write_atomic(out_dir / f"{week}.json", text)
    written["summary"] = write_summary(written["json"], summary_of(report))
    if index:
        reports = load_reports(out_dir)
        written["index"] = write_atomic(out_dir / "index.html", render_index(reports, links))
        written["feed"] = write_atomic(out_dir / "feed.xml", render_feed(reports, links))
    return {**written, "charts": chart_paths}

