"""Render a weekly report dict to Markdown, self-contained HTML and JSON, then refresh the index and feed.

The dict (DESIGN.md's report JSON) is the only input: no analysis is imported here, so renderers
and analysis can change independently as long as the contract holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..sanitize import clean
from . import page_view, view
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


def page_context(report: dict, links: view.Links | None = None) -> dict:
    """view.context() and what the page layout adds (page_view): the cards' badge words, the first
    screen's changes, the legend; `page` is page_view itself (its helpers and the data sections)."""
    context = view.context(report, links)
    return {**context, "cards": page_view.cards(context["headline"], context["family"]),
            "first": page_view.first_changes(context["changes"]), "legend": page_view.legend(context["family"]),
            "page": page_view}


def render_markdown(report: dict, chart_files: dict[str, str], links: view.Links | None = None) -> str:
    """The weekly report as Markdown, short (its first screen, the week's news, the picks, the
    charts); the long tables are on the data page (render_data_markdown). Charts are PNG files
    referenced by the given file names, relative or under the site's base URL."""
    links = links or view.Links()
    files = {name: links(path) for name, path in chart_files.items()}
    return markdown_env().get_template("report.md").render(**page_context(report, links), chart_files=files)


def render_data_markdown(report: dict, chart_files: dict[str, str], links: view.Links | None = None) -> str:
    """The week's data page as Markdown: the long tables the weekly Markdown links to."""
    links = links or view.Links()
    files = {name: links(path) for name, path in chart_files.items()}
    return markdown_env().get_template("report_data.md").render(**page_context(report, links), chart_files=files)


def render_html(report: dict, chart_svgs: dict[str, str], links: view.Links | None = None) -> str:
    """The weekly report as one self-contained HTML page: inline CSS and inline SVG, nothing fetched.
    The SVGs are inlined as they are: pass only what charts.py drew (it escapes its own text)."""
    week = str(report.get("week"))
    return html_env().get_template("report.html").render(
        **page_context(report, links), charts=chart_svgs, page_file=f"{week}.html", og_type="article",
        og_image=f"{week}-releases.png", og_image_alt="New lineup entries per quarter, by size class")


def render_data_html(report: dict, chart_svgs: dict[str, str], links: view.Links | None = None) -> str:
    """The week's data page (`<week>-data.html`): the long tables, self-contained like the report."""
    week = str(report.get("week"))
    return html_env().get_template("report_data.html").render(
        **page_context(report, links), charts=chart_svgs, page_file=f"{page_view.data_page(week)}.html",
        og_type="article")


def render_index(reports: list[dict], links: view.Links | None = None) -> str:
    """Every report, newest first, with the primary family's verdicts and its small-models answer,
    under the verdict strips of every forecast."""
    rows = []
    for report in reports:
        cards = view.headline(report)
        first = cards[0] if cards else {"answer": None, "forecast": {}}
        rows.append({"week": report.get("week"), "as_of": report.get("as_of"), "family": view.primary_family(report),
                     "verdicts": {card["id"]: page_view.badge(card["id"], card["verdict"], view.primary_family(report))
                                  for card in cards},
                     "answer": first["answer"], "summary": first["forecast"].get("summary"),
                     "changed": any(c.get("family") == view.primary_family(report)
                                    for c in (report.get("changes") or {}).get("verdicts") or [])})
    description = view.headline_summary(reports[0]) if reports else "No reports yet."
    return html_env().get_template("index.html").render(
        rows=rows, grid=page_view.strips_newest_first(_strips(reports)), link=links or view.Links(),
        page_file="index.html", description=description, page=page_view)


def _strips(reports: list[dict]) -> list[dict]:
    """view.strips() with each strip's family and forecast id (the badge words need them)."""
    history = verdict_history(reports)
    return [{**strip, "family": h.get("family"), "id": h.get("id")} for h, strip in zip(history, view.strips(history))]


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


def _prepare(report: dict, out_dir: Path, *elsewhere: Path) -> tuple[dict, str]:
    """The report cleaned and with what changed since the previous week's JSON in out_dir (else in
    the first of `elsewhere` that has it)."""
    report = clean(report)  # whatever the Hub sent, every file written below stays valid
    week = str(report.get("week"))
    if not re.fullmatch(r"\d{4}-W\d{2}", week):  # it names files: never a path from the data
        raise ValueError(f"report week must look like 2026-W47, not {week!r}")
    return {**report, "changes": since_last_week(load_previous(out_dir, week, *elsewhere), report)}, week


def draw_charts(report: dict) -> dict[str, Chart]:
    """The report's charts; matplotlib (about 0.25 s to import) is imported only to draw them,
    so a process that has them drawn elsewhere never pays for it (reporting.write_weekly_report)."""
    from .charts import render_charts

    return render_charts(report)


def write_forum(report: dict, out_dir: Path, base_url: str, reports_dir: Path | None = None) -> dict[str, Path]:
    """Write `<week>.forum.md` and the PNG charts it shows into out_dir (publish them at base_url);
    the previous week's JSON comes from out_dir, else from reports_dir."""
    links = view.Links(base_url)
    if not links.absolute:
        raise ValueError("a forum post needs absolute links: set site.base_url")
    out_dir = make_public_dir(Path(out_dir))
    report, week = _prepare(report, out_dir, *([Path(reports_dir)] if reports_dir else []))
    charts = draw_charts(report)
    pngs = {name: f"{week}-{name}.png" for name in charts}
    chart_paths = [write_atomic(out_dir / pngs[name], chart.png) for name, chart in charts.items()]
    return {"forum": write_atomic(out_dir / f"{week}.forum.md", render_forum(report, pngs, links)),
            "charts": chart_paths}


def write_report(report: dict, out_dir: Path, base_url: str = "", index: bool = True,
                 charts: dict[str, Chart] | Callable[[], dict[str, Chart]] | None = None) -> dict[str, Path]:
    """Write `<week>.md/.html/.json`, the week's data page `<week>-data.md/.html`, its PNG charts and `.summaries/<week>.json` (what the index
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
    data = page_view.data_page(week)
    written = {"markdown": write_atomic(out_dir / f"{week}.md", render_markdown(report, pngs, links)),
               "data_markdown": write_atomic(out_dir / f"{data}.md", render_data_markdown(report, pngs, links))}
    text = report_json(report)
    charts = draw_charts(report) if charts is None else charts() if callable(charts) else charts
    chart_paths = [write_atomic(out_dir / pngs[name], chart.png) for name, chart in charts.items()]
    written["html"] = write_atomic(out_dir / f"{week}.html",
                                   render_html(report, {n: c.svg for n, c in charts.items()}, links))
    written["data_html"] = write_atomic(out_dir / f"{data}.html",
                                        render_data_html(report, {n: c.svg for n, c in charts.items()}, links))
    # The JSON last: a run takes `<week>.json` for a week done (reporting.due_week_end), so a chart
    # that fails to draw leaves the week to be written again. Its summary after it: see load_reports.
    written["json"] = write_atomic(out_dir / f"{week}.json", text)
    written["summary"] = write_summary(written["json"], summary_of(report))
    if index:
        reports = load_reports(out_dir)
        written["index"] = write_atomic(out_dir / "index.html", render_index(reports, links))
        written["feed"] = write_atomic(out_dir / "feed.xml", render_feed(reports, links))
    return {**written, "charts": chart_paths}

