"""Issue 23: a weekly report read in a minute. The weekly Markdown is short and opens with the
verdicts, the resilience sentence, this week's changes and the legend; the long tables are on the
week's data page, linked from the report; badges say what happened in words, never with a tick;
the index shows the newest weeks first, labelled.

The demo-like week is the bundled Hub polled once with a SYNTHETIC Hub-wide stream, reported for
2026-W46 and then 2026-W47 (so W47 has a week to compare with)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import bundled_models, run_cli, write_config

from lineupwatch.replay.server import ReplayHub
from lineupwatch.replay.synthetic_stream import SyntheticStream
from lineupwatch.report import page_view

MARKDOWN_LIMIT = 15_000  # bytes: the weekly Markdown (it was ~50 KB, the ecosystem table alone 15 KB)
TICKS = ("✓", "✗", "✔", "✘")


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tmp_path = tmp_path_factory.mktemp("page")
    stream = SyntheticStream(date(2026, 10, 1), date(2026, 11, 22), scale=0.01)
    with ReplayHub(bundled_models(), stream=stream, page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url, stream=True, stream_rate_reserve=-1)
        run_cli("poll", "--config", str(config_path))
    for day in ("2026-11-15", "2026-11-22"):
        run_cli("report", "--config", str(config_path), "--as-of", day)
    reports = tmp_path / "reports"
    return reports, json.loads((reports / "2026-W47.json").read_text(encoding="utf-8"))


def test_the_weekly_markdown_is_short_and_opens_with_the_answer(week: tuple[Path, dict]) -> None:
    reports, report = week
    markdown = (reports / "2026-W47.md").read_text(encoding="utf-8")
    assert len(markdown.encode()) < MARKDOWN_LIMIT, len(markdown.encode())
    top = markdown.split("## Changed since last week")[0]
    small, weights = (next(f for f in report["forecasts"] if f["family"] == "Qwen" and f["id"] == i)
                      for i in ("small-models", "open-weights"))
    words = {("small-models", "supported"): "QWEN STOPPED", ("small-models", "refuted"): "STILL MAKING THEM",
             ("open-weights", "supported"): "QWEN CLOSING", ("open-weights", "refuted"): "STILL OPEN"}
    for forecast, title in ((small, "### Small models (≤ 10B): "), (weights, "### Open weights: ")):
        heading = next(line for line in top.splitlines() if line.startswith(title))
        word = words.get((forecast["id"], forecast["verdict"]), "NOT SETTLED YET")
        assert heading == f"{title}{word} ({forecast['verdict']})"
    sentence = report["resilience"]["sentence"]
    assert sentence and f"**{sentence}**" in top
    assert "**This week**" in top and "**What the words mean**" in top
    # in that order: the two verdicts, the resilience sentence, this week, the legend
    assert (top.index("### Small models") < top.index("### Open weights") < top.index(sentence)
            < top.index("**This week**") < top.index("**What the words mean**"))
    for item in page_view.legend("Qwen"):
        assert f"- **{item['words']}**: {item['text']}" in top
    assert not any(tick in top for tick in TICKS)


def test_the_long_tables_are_on_the_data_page_and_linked(week: tuple[Path, dict]) -> None:
    reports, _ = week
    markdown, html = ((reports / f"2026-W47.{kind}").read_text(encoding="utf-8") for kind in ("md", "html"))
    data_md, data_html = ((reports / f"2026-W47-data.{kind}").read_text(encoding="utf-8") for kind in ("md", "html"))
    assert "](2026-W47-data.md)" in markdown and 'href="2026-W47-data.html"' in html
    toc = html[html.index('<nav class="toc"'):html.index("</nav>", html.index('<nav class="toc"'))]
    assert 'href="2026-W47-data.html"' in toc
    for section, _ in page_view.DATA_SECTIONS:  # a stub line on the weekly page, the section on the data page
        assert f'<li id="{section}"><a href="2026-W47-data.html#{section}">' in html
        assert f'<section id="{section}">' in data_html
    for moved in ("## Appendix: the newest large and frontier models", "## Data health", "| week | new repos |",
                  "## Every watched family's forecasts", "lineup: the baseline beside every generation since"):
        assert moved in data_md and moved not in markdown, moved
    assert "[the weekly report](2026-W47.md)" in data_md and 'href="2026-W47.html"' in data_html


def test_the_first_screen_of_the_html_page_is_in_reading_order(week: tuple[Path, dict]) -> None:
    reports, _ = week
    html = (reports / "2026-W47.html").read_text(encoding="utf-8")
    marks = ['id="card-small-models"', 'id="card-open-weights"', 'id="resilience-sentence"', 'id="this-week"',
             'id="legend"', '<nav class="toc"', 'id="changed"']
    assert [html.index(mark) for mark in marks] == sorted(html.index(mark) for mark in marks)
    words = re.findall(r'<span class="badge [^"]*"><span class="word">([^<]*)</span>', html)
    assert len(words) == html.count('<span class="badge ') > 2  # every badge leads with its word
    assert all(re.search(r"[A-Za-z]{3}", word) for word in words) and not any(t in html for t in TICKS)


def test_the_index_strips_show_the_newest_week_first_with_labels(week: tuple[Path, dict]) -> None:
    reports, _ = week
    index = (reports / "index.html").read_text(encoding="utf-8")
    weeks = re.findall(r'<th scope="col" class="wk" data-week="([^"]+)">', index)
    assert weeks == ["2026-W47", "2026-W46"]
    assert '<span class="wk-label">W47</span>' in index and '<span class="wk-label">W46</span>' in index
    first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", index, re.DOTALL).group(1)
    assert re.findall(r'data-week="([^"]+)"><a', first_row) == ["2026-W47", "2026-W46"]
    assert not any(tick in index for tick in TICKS)


@pytest.mark.parametrize(("total", "labelled"), [
    (1, [0]), (2, [0, 1]), (6, [0, 4, 5]), (9, [0, 4, 8]), (10, [0, 4, 8, 9])], ids=lambda v: str(v))
def test_week_labels_every_fourth_and_the_ends(total: int, labelled: list[int]) -> None:
    strips = [{"family": "Qwen", "id": "small-models", "title": "Qwen · Small models", "changes": 0,
               "weeks": [{"week": f"2026-W{n:02d}", "badge": {"css": "open", "label": "open"}, "changed": False}
                         for n in range(1, total + 1)]}]
    grid = page_view.strips_newest_first(strips)
    assert [i for i, column in enumerate(grid["columns"]) if column["label"]] == labelled
    assert grid["columns"][0]["week"] == f"2026-W{total:02d}"
    assert [cell["mark"] for cell in grid["rows"][0]["cells"]] == ["?"] * total


@pytest.mark.parametrize(("forecast_id", "verdict", "word"), [
    ("small-models", "supported", "Qwen stopped"), ("small-models", "refuted", "still making them"),
    ("small-models", "open", "not settled yet"), ("open-weights", "supported", "Qwen closing"),
    ("open-weights", "refuted", "still open"), ("open-weights", "open", "not settled yet")],
    ids=lambda v: str(v))
def test_a_badge_says_what_happened(forecast_id: str, verdict: str, word: str) -> None:
    shown = page_view.badge(forecast_id, {"css": verdict, "label": verdict}, "Qwen")
    assert (shown["word"], shown["verdict"], shown["css"]) == (word, verdict, verdict)
