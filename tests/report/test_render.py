"""The renderers, driven by SYNTHETIC report dicts (the contract in DESIGN.md), never by analysis.

`synthetic` is a realistic week shaped like the Qwen story (its later generations are made up for
the test); `hostile` puts markup into every Hub-provided string.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from lineupwatch.report.archive import load_reports
from lineupwatch.report.charts import render_charts
from lineupwatch.report.feed import render_feed
from lineupwatch.report.render import (
    render_data_html,
    render_data_markdown,
    render_html,
    render_index,
    render_markdown,
    write_report,
)
from lineupwatch.report.writer import due_week_end

ATOM = "{http://www.w3.org/2005/Atom}"
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;"
# The weekly page (HTML and Markdown): the first screen, the week's news, the charts and picks, then
# a list of what is on the week's data page (issue 23).
SECTIONS = ["Is Qwen still making small open models?", "Changed since last week", "New this week",
            "Releases per quarter", "Who still covers each size class", "What fits your machine",
            "Ecosystem indicators", "Who builds on whom: new derivatives by base family",
            "Can one departure kill local AI? The resilience index", "Risk events", "On the data page"]
# The week's data page: the long tables.
DATA_SECTIONS = ["2026-W47: the data behind the report", "Every change since last week", "lineup: the baseline beside",
                 "What fits your machine, in full", "Other releases without a stated licence",
                 "Derivatives by base family, week by week", "Who is filling the small sizes",
                 "The resilience index", "Derivatives", "Every watched family's forecasts",
                 "Appendix: the newest large and frontier models", "Data health"]


def point(generation: str, size: str, total: float, size_class: str, released: str, line: str = "LM",
          active: float | None = None) -> dict:
    return {"entry": f"{generation} · {line} · {size}", "size_label": size, "params_total_b": total,
            "params_active_b": active, "size_class": size_class, "released": released, "line": line}


def forecast(family: str, forecast_id: str, verdict: str, summary: str, evidence: list[str], **extra: object) -> dict:
    return {"id": forecast_id, "family": family, "verdict": verdict, "summary": summary, "evidence": evidence,
            "values": {}, **extra}


def synthetic(week: str = "2026-W47", as_of: str = "2026-11-22") -> dict:
    """A full SYNTHETIC weekly report: Qwen without a small model since the baseline."""
    baseline = [point("Qwen3.5", "0.8B", 0.85, "tiny", "2026-03-02"), point("Qwen3.5", "2B", 2.1, "small", "2026-03-02"),
                point("Qwen3.5", "4B", 4.2, "small", "2026-03-02"), point("Qwen3.5", "9B", 9.4, "small", "2026-03-02"),
                point("Qwen3.5", "27B", 27.8, "medium", "2026-02-24"),
                point("Qwen3.5", "35B-A3B", 35.1, "medium", "2026-02-24", active=3.0),
                point("Qwen3.5", "122B-A10B", 122.0, "large", "2026-02-24", active=10.0),
                point("Qwen3.5", "397B-A17B", 397.0, "frontier", "2026-02-16", active=17.0)]
    since = [{"generation": "Qwen3.6", "entries": [point("Qwen3.6", "35B-A3B", 35.1, "medium", "2026-04-16", active=3.0),
                                                   point("Qwen3.6", "27B", 27.8, "medium", "2026-04-22")]},
             {"generation": "Qwen3.8", "entries": [point("Qwen3.8", "2.4T-A95B", 2400.0, "frontier", "2026-08-01", active=95.0),
                                                   point("Qwen3.8", "27B", 27.0, "medium", "2026-08-14")]},
             {"generation": "Qwen-Flash-Next", "entries": [point("Qwen-Flash-Next", "180B", 180.0, "frontier", "2026-10-30")]}]
    quarters = ["2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4",
                "2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    counts = {"tiny": [1, 0, 2, 0, 1, 0, 0, 2, 0, 0, 1, 0, 0, 0], "small": [1, 1, 2, 0, 2, 0, 1, 2, 1, 0, 3, 0, 0, 0],
              "medium": [0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 2, 2, 1, 0], "large": [1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0],
              "frontier": [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1]}
    return {
        "schema": 1, "as_of": as_of, "week": week, "baseline_date": "2026-03-04",
        "forecasts": [
            forecast("Qwen", "small-models", "supported",
                     "Qwen has released no new small model since 2026-03-02 (265 days, above its p90 gap of 120 days); "
                     "Qwen3.6, Qwen3.8 came without one; 1 small derivative since the baseline: Qwen-Drive-1.0-4B.",
                     ["last small entry: Qwen3.5 · LM · 9B (2026-03-02); 265 days before 2026-11-22",
                      "Qwen3.6 (first entry 2026-04-16, 220 days ago): 35B-A3B, 27B and nothing <= 10B; complete"],
                     last_small_entry={"entry": "Qwen3.5 · LM · 9B", "date": "2026-03-02"}, days_since_last_small=265,
                     historical_gap_p90_days=120.0,
                     small_derivatives=[{"entry": "Qwen-Drive-1.0 · VL · 4B", "repo": "Qwen/Qwen-Drive-1.0-4B",
                                         "released": "2026-09-15", "parent": "Qwen3.5 · LM · 4B"}]),
            forecast("Qwen", "open-weights", "open", "Qwen: 0.7 new entries per 30 days since the baseline against 1.1 "
                     "before; open (between 0.5x and 1x the old cadence), no licence change, gating or removal.",
                     ["12 new entries in the 365 days before the baseline (0.99 per 30 days)"]),
            forecast("Gemma", "small-models", "refuted", "Gemma released a new small model after the baseline: "
                     "gemma-4 · LM · 4B on 2026-04-02.", ["new small entry after the baseline: gemma-4 · LM · 4B"]),
            forecast("Gemma", "open-weights", "refuted", "Gemma keeps releasing open weights.", []),
            forecast("Llama", "small-models", "open", "Llama had no small model before the baseline.", []),
            forecast("Llama", "open-weights", "supported", "Llama's open-weight releases are slowing or closing: "
                     "licence changes.", ["meta-llama/Llama-4-Scout: licence llama4 -> other (2026-06-01)"]),
        ],
        "lineup": {"family": "Qwen", "baseline_generation": "Qwen3.5", "baseline": baseline, "since": since},
        "new_this_week": [
            {"family": "Qwen", "entry": "Qwen-Flash-Next · LM · 180B", "new_entry": False, "counted": True,
             "size_class": "frontier", "released": "2026-10-30", "repos": ["Qwen/Qwen-Flash-Next-180B-FP8"]},
            {"family": "Qwen", "entry": "Qwen3.5 · LM · 4B", "new_entry": False, "counted": True, "size_class": "small",
             "released": "2026-03-02", "repos": ["Qwen/Qwen3.5-4B-GGUF", "Qwen/Qwen3.5-4B-MLX-4bit"]}],
        "entries_since_baseline": [
            {"family": "Qwen", "entry": "Qwen3.6 · LM · 27B", "generation": "Qwen3.6", "line": "LM",
             "params_total_b": 27.0, "params_active_b": None, "size_class": "medium", "released": "2026-04-22",
             "repos": ["Qwen/Qwen3.6-27B", "Qwen/Qwen3.6-27B-FP8"], "counted": True, "derivative_of": None}],
        "derivatives": [{"family": "Qwen", "entry": "Qwen-Drive-1.0 · VL · 4B", "repo": "Qwen/Qwen-Drive-1.0-4B",
                         "parent": "Qwen3.5 · LM · 4B", "released": "2026-09-15", "size_class": "small",
                         "since_baseline": True}],
        "quarterly": {"family": "Qwen", "size_classes": ["tiny", "small", "medium", "large", "frontier"],
                      "quarters": quarters, "counts": counts, "baseline_quarter": "2026Q1"},
        "coverage": {"window_days": 180, "size_classes": ["tiny", "small", "medium", "large", "frontier"],
                     "families": {"Qwen": {"medium": "Qwen3.8 · LM · 27B (2026-08-14)",
                                           "frontier": "Qwen-Flash-Next · LM · 180B (2026-10-30)"},
                                  "Gemma": {"small": "gemma-4 · LM · 4B (2026-06-02)"},
                                  "Llama": {}}},
        "indicators": {"family": "Qwen",
                       "points": [{"date": f"2026-{m:02d}-01", "small_downloads": 9_000_000 - 500_000 * m,
                                   "larger_downloads": 2_000_000 + 600_000 * m, "small_children": 4000 + 100 * m,
                                   "larger_children": 900 + 80 * m} for m in range(3, 12)],
                       "by_family": {"Qwen": {"small_downloads": 3_500_000, "larger_downloads": 8_600_000,
                                              "small_children": 5100, "larger_children": 1780},
                                     "Gemma": {"small_downloads": 2_100_000, "larger_downloads": 900_000,
                                               "small_children": 800, "larger_children": 120}}},
        "risk_events": [{"at": "2026-11-20T06:17:00", "family": "Llama", "repo_id": "meta-llama/Llama-4-Scout",
                         "kind": "licence_changed", "old": "llama4", "new": "other"}],
        "data_health": {"last_successful_poll": f"{as_of}T06:17:00", "polls": 12, "failed_polls_7d": 0,
                        "failed_polls_in_a_row": 0, "last_error": None, "unsized_repos": ["Qwen/Qwen3.8-Omni"],
                        "backfilled": False, "notes": []},
        "alerts": [{"rule": "new-small-entry", "severity": "info", "subject": "Gemma: new small entry", "state": "firing"}],
    }


def hostile() -> dict:
    """The same week with markup in every string the Hub (or a card) could have provided."""
    report = synthetic()
    report["forecasts"][0]["summary"] = f"Qwen released {XSS} | `code` [link](javascript:x) & more"
    report["forecasts"][0]["evidence"].append(f"new small entry: {XSS}")
    report["forecasts"][1]["summary"] = f"open weights {XSS}"
    report["forecasts"][0]["last_small_entry"] = {"entry": XSS, "date": "2026-03-02"}
    report["lineup"]["since"][0]["entries"].append(point("Qwen3.6", XSS, 4.0, "small", "2026-05-01"))
    report["new_this_week"][0]["repos"].append(XSS)
    report["new_this_week"][0]["entry"] = XSS
    report["derivatives"][0]["repo"] = f"Qwen/{XSS}"
    report["derivatives"][0]["parent"] = XSS
    report["risk_events"][0].update(repo_id=XSS, old=XSS, new="a|b`c`[d]")
    report["coverage"]["families"]["Gemma"]["small"] = XSS
    report["data_health"]["unsized_repos"].append(XSS)
    report["data_health"]["notes"].append(XSS)
    report["data_health"]["last_error"] = XSS
    report["alerts"][0]["subject"] = XSS
    return report


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_writes_every_file(tmp_path: Path) -> None:
    paths = write_report(synthetic(), tmp_path)
    assert paths["markdown"] == tmp_path / "2026-W47.md"
    assert paths["html"] == tmp_path / "2026-W47.html"
    assert paths["json"] == tmp_path / "2026-W47.json"
    assert paths["index"] == tmp_path / "index.html" and paths["feed"] == tmp_path / "feed.xml"
    assert paths["data_markdown"] == tmp_path / "2026-W47-data.md"
    assert paths["data_html"] == tmp_path / "2026-W47-data.html"
    assert paths["charts"] == [tmp_path / "2026-W47-releases.png", tmp_path / "2026-W47-adoption.png",
                               tmp_path / "2026-W47-ecosystem.png", tmp_path / "2026-W47-resilience.png"]
    for path in [*paths["charts"], *(p for k, p in paths.items() if k != "charts")]:
        assert path.stat().st_size > 0, path
    assert all(p.read_bytes().startswith(b"\x89PNG\r\n") for p in paths["charts"])
    markdown = read(paths["markdown"])
    assert "](2026-W47-releases.png)" in markdown and "](2026-W47-adoption.png)" in markdown
    assert "](2026-W47-data.md)" in markdown and 'href="2026-W47-data.html#lineup"' in read(paths["html"])
    assert paths["summary"] == tmp_path / ".summaries" / "2026-W47.json"
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == sorted(
        ["2026-W47.md", "2026-W47.html", "2026-W47-data.md", "2026-W47-data.html", "2026-W47.json",
         "2026-W47-releases.png", "2026-W47-adoption.png",
         "2026-W47-ecosystem.png", "2026-W47-resilience.png", "index.html", "feed.xml", ".summaries",
         ".summaries/2026-W47.json"])  # no temporary files left behind


def test_json_round_trips(tmp_path: Path) -> None:
    report = synthetic()
    path = write_report(report, tmp_path)["json"]
    # the renderer adds what changed since the previous week's JSON (none here)
    report["changes"] = {"previous_week": None, "verdicts": [], "new_entries": [], "events": [], "counters": []}
    assert json.loads(read(path)) == report
    assert read(path) == json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_html_is_self_contained(tmp_path: Path) -> None:
    paths = write_report(synthetic(), tmp_path)
    for page in (read(paths["html"]), read(paths["data_html"]), read(paths["index"])):
        lowered = page.lower()
        assert "<script" not in lowered
        assert 'src="http' not in lowered and "src='http" not in lowered
        assert "@import" not in lowered and "url(http" not in lowered
        assert "<link rel=\"stylesheet\"" not in lowered
        # the only absolute links are plain hyperlinks to Hub pages, never loaded resources
        for tag in re.findall(r"<(\w+)[^>]*\shref=\"https?:", page):
            assert tag == "a"
    html, data = read(paths["html"]), read(paths["data_html"])
    assert html.count("<svg") == 2 and data.count("<svg") == 2  # releases, adoption; derivative shares, resilience
    assert "<?xml" not in html + data and "<!DOCTYPE svg" not in html + data
    assert '<a href="https://huggingface.co/Qwen/Qwen-Drive-1.0-4B">' in data


def test_sections_in_order_headline_first() -> None:
    report = synthetic()
    markdown = render_markdown(report, {"releases": "r.png", "adoption": "a.png"})
    html = render_html(report, {"releases": "<svg></svg>", "adoption": "<svg></svg>"})
    for text, headings in ((markdown, re.findall(r"^#{1,2} (.*)$", markdown, re.MULTILINE)),
                           (html, re.findall(r"<h[12][^>]*>(.*?)</h[12]>", html))):
        assert len(headings) == len(SECTIONS), headings
        assert all(section in heading for section, heading in zip(SECTIONS, headings)), headings
        headline = text[text.index(SECTIONS[0]):text.index(SECTIONS[1])]
        assert ("No: Qwen has released no small model in the 265 days since Qwen3.5 · LM · 9B (2026-03-02), longer "
                "than its 90th-percentile gap between small-model waves (120 days).") in headline
        assert "265 days, above its p90 gap of 120 days" in headline
        assert "SUPPORTED" in headline.upper() and "OPEN" in headline.upper()
        # the badge says what happened, not a tick: "supported" of "Qwen stops small models" is bad news
        assert "QWEN STOPPED" in headline.upper() and "NOT SETTLED YET" in headline.upper()
        assert "✓" not in headline and "✗" not in headline
    data_markdown = render_data_markdown(report, {})
    data_html = render_data_html(report, {})
    for headings in (re.findall(r"^#{1,2} (.*)$", data_markdown, re.MULTILINE),
                     re.findall(r"<h[12][^>]*>(.*?)</h[12]>", data_html)):
        assert len(headings) == len(DATA_SECTIONS), headings
        assert all(section in heading for section, heading in zip(DATA_SECTIONS, headings)), headings


def test_lineup_sets_later_generations_beside_the_baseline() -> None:
    html = render_data_html(synthetic(), {})
    table = html[html.index('<table class="lineup">'):html.index("</table>", html.index('<table class="lineup">'))]
    assert [h for h in re.findall(r'<th scope="col"[^>]*>([^<]+)', table)] == [
        "size class", "Qwen3.5", "Qwen3.6", "Qwen3.8", "Qwen-Flash-Next"]
    small_row = re.search(r'<tr class="small"><th scope="row">small <span class="tag small">local</span></th>(.*?)</tr>',
                          table, re.DOTALL).group(1)
    assert ">2B<" in small_row and ">4B<" in small_row and ">9B<" in small_row
    assert small_row.count('<span class="missing">none</span>') == 3
    markdown = render_data_markdown(synthetic(), {"releases": "r.png", "adoption": "a.png"})
    assert "| **small** *local* | **2B**, **4B**, **9B** | **none** | **none** | **none** |" in markdown


def test_nothing_new_and_short_history_are_said_in_words() -> None:
    report = synthetic()
    report["new_this_week"] = []
    report["indicators"]["points"] = report["indicators"]["points"][:1]
    markdown = render_markdown(report, {"releases": "r.png", "adoption": "a.png"})
    html = render_html(report, {})
    for text in (markdown, html):
        assert "Nothing new this week" in text
        assert "No adoption trend yet: 1 poll in the record" in text


@pytest.mark.parametrize("kind", ["html", "markdown", "data_html", "data_markdown", "index", "feed"])
def test_hostile_names_are_escaped(tmp_path: Path, kind: str) -> None:
    paths = write_report(hostile(), tmp_path)
    text = read(paths[kind])
    assert XSS not in text
    assert XSS_ESCAPED in text
    assert "<script" not in text.lower()


def test_hostile_markdown_cannot_break_tables_or_make_links() -> None:
    markdown = render_markdown(hostile(), {"releases": "r.png", "adoption": "a.png"})
    assert "a\\|b\\`c\\`\\[d\\]" in markdown or "a\\|b“c”\\[d\\]" in markdown  # backticks: view.readable_text
    assert "\\[link\\](javascript:x)" in markdown and "[link](javascript" not in markdown
    assert "&amp; more" in markdown
    risk_row = next(line for line in markdown.splitlines() if line.startswith("| 2026-11-20"))
    assert len(re.findall(r"(?<!\\)\|", risk_row)) == 7  # six cells, no extra column from the data


def test_hostile_feed_content_stays_text_after_parsing(tmp_path: Path) -> None:
    feed = ET.parse(write_report(hostile(), tmp_path)["feed"]).getroot()
    entry = feed.find(f"{ATOM}entry")
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert XSS not in content.text and f"{XSS_ESCAPED}alert(1)" in content.text  # HTML source, escaped once more
    assert XSS in entry.find(f"{ATOM}summary").text  # plain text, shown as text by readers


def test_feed_and_index_list_weeks_newest_first(tmp_path: Path) -> None:
    write_report(synthetic("2026-W47", "2026-11-22"), tmp_path)
    older = synthetic("2026-W46", "2026-11-15")
    older["forecasts"][0]["verdict"] = "open"
    paths = write_report(older, tmp_path)
    root = ET.parse(paths["feed"]).getroot()
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{tag}") is not None, tag
    assert root.find(f"{ATOM}updated").text == "2026-11-22T00:00:00Z"
    entries = root.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]  # their wording: tests/report/test_forum_feed_values.py
    assert "2026-W47" in titles[0] and "2026-W46" in titles[1]
    assert [e.find(f"{ATOM}updated").text for e in entries] == ["2026-11-22T00:00:00Z", "2026-11-15T00:00:00Z"]
    assert [e.find(f"{ATOM}link").get("href") for e in entries] == ["2026-W47.html", "2026-W46.html"]
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 2
    assert all(e.find(f"{ATOM}id").text.startswith("tag:") for e in entries)
    assert "Qwen has released no new small model" in entries[0].find(f"{ATOM}summary").text
    index = read(paths["index"])
    table = index[index.index('id="weeks"'):]  # the table of weeks, below the strips (oldest first)
    assert table.index('href="2026-W47.html"') < table.index('href="2026-W46.html"')
    assert "Qwen stopped</span> <span class=\"verdict\">supported" in index
    assert "not settled yet</span> <span class=\"verdict\">open" in index
    assert "✓" not in index and "✗" not in index


def test_charts_render_without_data(tmp_path: Path) -> None:
    charts = render_charts({})
    assert set(charts) == {"releases", "adoption", "ecosystem", "resilience"}
    for chart in charts.values():
        assert chart.svg.startswith("<svg") and chart.png.startswith(b"\x89PNG")
    empty = {"schema": 1, "as_of": "2026-11-22", "week": "2026-W47", "baseline_date": "2026-03-04",
             "forecasts": [], "quarterly": {"family": "Qwen", "quarters": [], "counts": {}, "baseline_quarter": "2026Q1"},
             "indicators": {"family": "Qwen", "points": [], "by_family": {}}}
    paths = write_report(empty, tmp_path)
    assert "Nothing new this week" in read(paths["markdown"])
    assert "No adoption trend yet: 0 polls" in read(paths["html"])


def test_rerun_is_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second, first):
        write_report(synthetic("2026-W46", "2026-11-15"), out)
        write_report(copy.deepcopy(synthetic()), out)
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(second)) for p in second.rglob("*") if p.is_file())
    assert ".summaries/2026-W47.json" in names
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_week_that_is_not_a_week_is_refused(tmp_path: Path) -> None:
    report = synthetic()
    report["week"] = "../escape"
    with pytest.raises(ValueError, match="report week"):
        write_report(report, tmp_path)


def test_the_index_and_feed_read_week_summaries_and_show_what_the_reports_say(tmp_path: Path) -> None:
    """`.summaries/<week>.json` hold what the index and feed show of a week; a directory written
    before them, or a report rewritten after its summary, is read from the reports themselves."""
    for week, day in (("2026-W45", "2026-11-08"), ("2026-W46", "2026-11-15"), ("2026-W47", "2026-11-22")):
        write_report(synthetic(week, day), tmp_path)
    full = sorted((json.loads(p.read_text(encoding="utf-8")) for p in tmp_path.glob("2026-W*.json")),
                  key=lambda r: r["week"], reverse=True)
    summaries = load_reports(tmp_path)
    assert [r["week"] for r in summaries] == ["2026-W47", "2026-W46", "2026-W45"]
    assert len(json.dumps(summaries)) < len(json.dumps(full)) / 2  # what makes the index cheap
    assert render_index(summaries) == render_index(full) and render_feed(summaries) == render_feed(full)
    assert read(tmp_path / "index.html") == render_index(full)

    w46 = tmp_path / "2026-W46.json"
    rewritten = json.loads(w46.read_text(encoding="utf-8"))
    rewritten["forecasts"][0]["verdict"] = "refuted"  # SYNTHETIC: a report changed by another hand
    w46.write_text(json.dumps(rewritten), encoding="utf-8")
    summary = tmp_path / ".summaries" / "2026-W46.json"
    os.utime(w46, ns=(summary.stat().st_mtime_ns - 10 ** 9,) * 2)  # restored from a backup: older than its summary
    assert load_reports(tmp_path)[1]["forecasts"][0]["verdict"] == "refuted"  # told apart by its size
    rewritten_summary = json.loads(summary.read_text(encoding="utf-8"))  # written again
    assert rewritten_summary["summary"]["forecasts"][0]["verdict"] == "refuted"
    assert rewritten_summary["report_bytes"] == w46.stat().st_size
    shutil.rmtree(tmp_path / ".summaries")  # a directory of weeks written before summaries existed
    healed = [summaries[0], {**summaries[1], "forecasts": rewritten["forecasts"]}, summaries[2]]
    assert load_reports(tmp_path) == healed
    assert sorted(p.name for p in (tmp_path / ".summaries").iterdir()) == ["2026-W45.json", "2026-W46.json", "2026-W47.json"]
    assert load_reports(tmp_path) == healed  # now from the summaries


def test_a_chart_that_fails_to_draw_leaves_the_week_to_be_written_again(tmp_path: Path) -> None:
    """A run takes `<week>.json` for a week done: it is written last, so a failed chart (matplotlib
    broken, the drawing worker killed) leaves no JSON and the next run writes the week."""
    def broken() -> dict:
        raise RuntimeError("the chart worker died")

    with pytest.raises(RuntimeError, match="worker died"):
        write_report(synthetic("2026-W47", "2026-11-22"), tmp_path, charts=broken)
    assert not (tmp_path / "2026-W47.json").exists()
    assert due_week_end(tmp_path, date(2026, 11, 23)) == date(2026, 11, 22)
    write_report(synthetic("2026-W47", "2026-11-22"), tmp_path)
    assert due_week_end(tmp_path, date(2026, 11, 23)) is None
