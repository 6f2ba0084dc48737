"""Words from numbers (issue 20, point 1): every week of the demo's timeline, every watched family.

The module reads the bundled Hub timeline polled once (tests/timeline_polls.py), as the demo's
daily job would have seen it (a poll at the demo's time of day on every day a repo went public, so
every release is dated by the poll that first listed it), and computes each week's report from January to the timeline's last day:
the baseline, the weeks before it, and every verdict change of the year are in the range. The
tests then read every headline, summary, evidence line and forum line of every week and fail where
the words and the figures they rest on disagree: a pace worded from its ratio, day counts and gaps
beside their thresholds, "bigger" beside the sizes, verdict words beside the verdict, a model built
on another family's base named with that base, an unknown licence never called a missing one.

The oracle here is written independently of the wording code (analysis/wording.py, report/view.py):
bands are checked with a margin, so a wording change within reason passes and a contradiction fails.
"""

from __future__ import annotations

import html
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import run_cli
from lineupwatch.config.settings import load_config
from lineupwatch.report import view
from lineupwatch.report.render import render_forum, render_markdown
from lineupwatch.report.writer import weekly_report
from lineupwatch.store import database as store
from timeline_polls import END, START, polled_timeline

BASE_URL = "https://example.org/lineupwatch/"
CHARTS = {"releases": "releases.png", "adoption": "adoption.png"}


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[dict]]]:
    """(config path, the report of every week from the demo's first Sunday to END), computed once."""
    config_path = polled_timeline(tmp_path_factory, f'[site]\nbase_url = "{BASE_URL}"')
    config = load_config(config_path)
    db = store.open_db(config.database_path)
    try:
        sundays = [START + timedelta(days=6 + 7 * week) for week in range((END - START).days // 7 + 1)]
        reports = [weekly_report(config, db, day) for day in sundays if day <= END]
    finally:
        db.close()
    yield config_path, reports


# ---------------------------------------------------------------- the oracle

# Pace phrases and the ratios (new pace / old pace) they may describe; checked with a margin.
PACE_PHRASES: tuple[tuple[str, float, float], ...] = (
    (r"well under half (?:of )?its old pace", 0.0, 0.5),
    (r"about half (?:of )?its old pace", 0.35, 0.7),
    (r"about a third of its old pace", 0.2, 0.45),
    (r"about a quarter of its old pace", 0.15, 0.35),
    (r"about (?:two-thirds|three-quarters) of its old pace", 0.55, 0.95),
    (r"slower than (?:its old pace|before)", 0.0, 1.0),
    (r"about its old pace|unchanged pace", 0.85, 1.15),
    (r"old pace or faster|kept pace", 0.9, math.inf),
    (r"faster than (?:its old pace|before)", 1.0, math.inf),
    (r"about twice its old pace", 1.4, 2.6),
)
TIMES_PACE = re.compile(r"about (\d+) times its old pace")
PACE_FIGURES = re.compile(r"\((\d+\.\d\d) release waves per 30 days since the baseline against (\d+\.\d\d)")
SUMMARY_FIGURES = re.compile(r"\((\d+\.\d\d) per 30 days\) against \d+ in the \d+ days before \((\d+\.\d\d)\)")
RATIO = re.compile(r"(\d+\.\d+)x\)")
BIGGER = re.compile(r"bigger than any model it had opened before \((\d+(?:\.\d+)?)B(?:, [\d.]+x its previous largest,| against) "
                    r"(\d+(?:\.\d+)?)B\)")
SMALL_SINCE = [re.compile(r"in the (\d+) days? since (.+?) \((\d{4}-\d\d-\d\d)\)"),
               re.compile(r"no new small model since (\d{4}-\d\d-\d\d)[:(] ?\(?(\d+) days")]
GAP_FIGURE = re.compile(r"(?:\d+th-percentile gap between small-model waves|p90 (?:gap|of those gaps))[^(]{0,40}\((\d+(?:\.\d+)?) days\)"
                        r"|p90 gap of (\d+(?:\.\d+)?) days")
DAYS_TO_GO = re.compile(r"(\d+) days? to go before it passes")
LEADS = {("small-models", "refuted"): "Yes:", ("small-models", "supported"): "No:",
         ("small-models", "open"): "Not settled yet:", ("open-weights", "supported"): "Fewer or tighter:",
         ("open-weights", "open"): "Not settled yet:"}


def unescape(text: str) -> str:
    """Markdown-escaped text back to its words (the renderer escapes \\ ` * _ [ ] | ~)."""
    return re.sub(r"\\([\\`*_\[\]|~])", r"\1", text).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.;])\s+(?=[A-Z(]|[a-z]+:)", text) if s]


def pace_problems(text: str, values: dict) -> list[str]:
    """Pace words and figures against the forecast's own rates."""
    problems = []
    post, pre = values.get("post_baseline_waves_per_30d"), values.get("pre_baseline_waves_per_30d")
    ratio = post / pre if isinstance(post, int | float) and isinstance(pre, int | float) and pre else None
    if ratio is not None and isinstance(values.get("pace_ratio"), int | float):
        # The stated ratio is of the unrounded paces; the rates beside it are rounded to 0.01.
        tolerance = 0.0051 * (1 + ratio) / pre + 0.006
        if abs(values["pace_ratio"] - ratio) > tolerance:
            problems.append(f"pace_ratio {values['pace_ratio']} is not {post} / {pre}")
        ratio = values["pace_ratio"]
    for pattern in (PACE_FIGURES, SUMMARY_FIGURES):
        for new, old in pattern.findall(text):
            if (float(new), float(old)) != (round(post or 0, 2), round(pre or 0, 2)):
                problems.append(f"states {new} against {old} per 30 days; values say {post} against {pre}")
    for sentence in sentences(text):
        if "pace" not in sentence and "faster" not in sentence and "slower" not in sentence:
            continue
        for phrase, low, high in PACE_PHRASES:
            if re.search(phrase, sentence):
                if ratio is None:
                    problems.append(f"'{phrase}' without two paces to compare: {sentence!r}")
                elif not low <= ratio < high:
                    problems.append(f"'{phrase}' for a pace ratio of {ratio:.2f}: {sentence!r}")
        for times in TIMES_PACE.findall(sentence):
            if ratio is None or abs(ratio - int(times)) > max(0.6, 0.05 * ratio):
                problems.append(f"'about {times} times' for a pace ratio of {ratio}: {sentence!r}")
        for stated in RATIO.findall(sentence):
            if ratio is not None and "pace" in sentence and abs(float(stated) - ratio) > max(0.06, 0.05 * ratio):
                problems.append(f"{stated}x for a pace ratio of {ratio:.2f}: {sentence!r}")
    return problems


def small_problems(text: str, forecast: dict) -> list[str]:
    """Day counts and gaps of a small-models text against the forecast's figures."""
    problems = []
    values = forecast.get("values") or {}
    days, p90 = forecast.get("days_since_last_small"), forecast.get("historical_gap_p90_days")
    last = forecast.get("last_small_entry") or {}
    for match in SMALL_SINCE[0].finditer(text):
        if int(match.group(1)) != days or match.group(3) != last.get("date"):
            problems.append(f"'{match.group(0)}' but {days} days since {last}")
    for date_text, count in SMALL_SINCE[1].findall(text):
        if int(count) != days or date_text != last.get("date"):
            problems.append(f"'since {date_text}: {count} days' but {days} days since {last}")
    for match in GAP_FIGURE.finditer(text):
        stated = float(match.group(1) or match.group(2))
        if p90 is None or abs(stated - p90) > 0.05:
            problems.append(f"a p90 gap of {stated} days; the forecast's is {p90}")
    if p90 is not None and days is not None:
        if re.search(r"(?:longer than|above) (?:its|the) (?:\d+th-percentile gap|p90)", text) and not days > p90:
            problems.append(f"says longer than the p90 gap, but {days} <= {p90}")
        for left in DAYS_TO_GO.findall(text):
            if days > p90 or int(left) != math.ceil(p90 - days):
                problems.append(f"'{left} days to go' with {days} days against a p90 gap of {p90}")
    if values.get("baseline_reached") is not False and forecast.get("verdict") == "refuted" and "no new small" in text:
        problems.append("refuted, yet says no new small model")
    return problems


def size_problems(text: str, margin: float | None) -> list[str]:
    problems = []
    for new, old in BIGGER.findall(text):
        if float(new) <= float(old) or (margin and float(new) / float(old) < margin - 1e-9):
            problems.append(f"'bigger' for {new}B against {old}B (margin {margin})")
    return problems


def verdict_problems(forecast: dict, answer: str, summary: str) -> list[str]:
    key = (forecast["id"], forecast["verdict"])
    problems = []
    if key in LEADS and not answer.startswith(LEADS[key]):
        problems.append(f"{key}: headline {answer!r} does not open with {LEADS[key]!r}")
    keeps = re.compile(r"keeps (?:releasing|publishing) open weights")
    if forecast["id"] == "open-weights" and forecast["verdict"] != "refuted":
        for text in (answer, summary):
            if keeps.search(text):
                problems.append(f"{key}: says it keeps releasing open weights: {text!r}")
    if key == ("open-weights", "refuted") and not keeps.search(answer):
        problems.append(f"{key}: headline does not say it keeps publishing: {answer!r}")
    if forecast["id"] == "small-models" and forecast["verdict"] != "refuted" and answer.startswith("Yes"):
        problems.append(f"{key}: headline answers yes: {answer!r}")
    closing = (forecast.get("values") or {}).get("closing_events")
    if closing and "no licence tightened, gating added or repo removed on record" in answer:
        problems.append(f"{key}: {closing} closing events, yet the headline says none")
    return problems


def built_on_of(report: dict) -> dict[str, str]:
    """Entry key -> the short name of the other family's base it is built on, from every block."""
    found = {}
    rows = [*(report.get("entries_since_baseline") or []), *(report.get("new_this_week") or [])]
    rows += [row for group in (report.get("what_to_run") or {}).get("classes") or [] for row in group.get("rows") or []]
    rows += [cell for cells in ((report.get("coverage") or {}).get("cells") or {}).values() for cell in cells.values()]
    rows += [f["last_small_entry"] for f in report.get("forecasts") or [] if f.get("last_small_entry")]
    for row in rows:
        if row.get("built_on") and row.get("entry"):
            found[row["entry"]] = row["built_on"].rpartition("/")[2]
    return found


def built_on_problems(text: str, built_on: dict[str, str]) -> list[str]:
    problems = []
    for key, base in built_on.items():
        for match in re.finditer(re.escape(key), text):
            if not text[match.end():].startswith(f" on {base}"):
                problems.append(f"{key} without 'on {base}': ...{text[max(0, match.start() - 40):match.end() + 40]}...")
    return problems


def licence_problems(markdown: str, report: dict) -> list[str]:
    """A licence the facts do not know is "unknown" wherever its repo is listed, never "not stated"."""
    drift = report.get("licence_drift") or {}
    problems = []
    unknown = {row["repo"] for row in drift.get("unknown") or []}
    stated = {row["repo"] for row in drift.get("unstated") or []}
    if unknown & stated:
        problems.append(f"both unknown and not stated: {unknown & stated}")
    for line in markdown.splitlines():
        for repo in unknown:
            if f"[{repo}]" in line and re.search(r"no (?:stated )?licence(?: stated)?|none stated|not stated", line):
                problems.append(f"{repo}: unknown licence worded as missing: {line!r}")
        for repo in stated:
            if f"[{repo}]" in line and "licence unknown" in line:
                problems.append(f"{repo}: no licence on the Hub worded as unknown: {line!r}")
    return problems


# ---------------------------------------------------------------- the tests


def test_the_walk_covers_the_baseline_and_the_verdict_changes(walk: tuple[Path, list[dict]]) -> None:
    _, reports = walk
    assert reports[0]["as_of"] < reports[0]["baseline_date"] < reports[-1]["as_of"] == END.isoformat()
    verdicts = {(f["family"], f["id"]): set() for f in reports[-1]["forecasts"]}
    for report in reports:
        for f in report["forecasts"]:
            verdicts[(f["family"], f["id"])].add(f["verdict"])
    assert len({family for family, _ in verdicts}) >= 10
    assert sum(len(seen) > 1 for seen in verdicts.values()) >= 5  # verdicts change along the way


def test_every_headline_summary_and_evidence_line_agrees_with_its_figures(walk: tuple[Path, list[dict]]) -> None:
    _, reports = walk
    problems = []
    for report in reports:
        built_on = built_on_of(report)
        for forecast in report["forecasts"]:
            values = forecast.get("values") or {}
            answer, summary = view.answer(forecast), forecast.get("summary") or ""
            where = f"{report['week']} {forecast['family']} {forecast['id']} ({forecast['verdict']})"
            found = verdict_problems(forecast, answer, summary)
            for text in (answer, summary, *(forecast.get("evidence") or [])):
                if forecast["id"] == "open-weights":
                    found += pace_problems(text, values)
                else:
                    found += small_problems(text, forecast)
                found += size_problems(text, values.get("bigger_margin"))
                found += built_on_problems(text, built_on)
            problems += [f"{where}: {problem}" for problem in found]
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def test_the_rendered_report_and_forum_post_agree_with_their_figures(walk: tuple[Path, list[dict]]) -> None:
    """The primary family's headlines as printed in the Markdown and the forum post of every week,
    every other line that names a model built on another family's base, and licence drift."""
    _, reports = walk
    links = view.Links(BASE_URL)
    problems = []
    for report in reports:
        built_on = built_on_of(report)
        markdown = unescape(render_markdown(report, CHARTS))
        forum = unescape(render_forum(report, CHARTS, links))
        mine = {f["id"]: f for f in report["forecasts"] if f["family"] == view.primary_family(report)}
        for text in (markdown, forum):
            for forecast_id, forecast in mine.items():
                answer = view.answer(forecast)
                if answer not in text:
                    problems.append(f"{report['week']}: headline {answer!r} not printed")
                head = text[:text.index("Changed since last week")]
                found = (pace_problems(head, forecast.get("values") or {}) if forecast_id == "open-weights"
                         else small_problems(head, forecast))
                problems += [f"{report['week']} {forecast_id}: {p}" for p in found]
            problems += [f"{report['week']}: {p}" for p in built_on_problems(text, built_on)]
        problems += [f"{report['week']}: {p}" for p in licence_problems(markdown, report)]
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def test_the_headline_of_the_last_week_through_the_cli(walk: tuple[Path, list[dict]], tmp_path: Path) -> None:
    """W47 as the CLI writes it: the open-weights headline says the pace it shows (the issue's
    example: 0.23 release waves per 30 days against 0.41 is about half the old pace, not "its old
    pace or faster"), in the report, the forum post, the index and the feed."""
    config_path, reports = walk
    out = tmp_path / "out"
    run_cli("report", "--config", str(config_path), "--as-of", END.isoformat(), "--out", str(out))
    run_cli("report", "--config", str(config_path), "--as-of", END.isoformat(), "--out", str(out), "--format", "forum")
    report = json.loads((out / "2026-W47.json").read_text(encoding="utf-8"))
    weights = next(f for f in report["forecasts"] if f["family"] == "Qwen" and f["id"] == "open-weights")
    values = weights["values"]
    answer = view.answer(weights)
    assert f"({values['post_baseline_waves_per_30d']:.2f} release waves per 30 days since the baseline against " \
           f"{values['pre_baseline_waves_per_30d']:.2f}" in answer
    assert "old pace or faster" not in answer and not pace_problems(answer, values)
    ratio = values["post_baseline_waves_per_30d"] / values["pre_baseline_waves_per_30d"]
    if 0.4 <= ratio < 0.65:
        assert "about half its old pace" in answer
    small = view.answer(next(f for f in report["forecasts"] if f["family"] == "Qwen" and f["id"] == "small-models"))
    for name, answers in (("2026-W47.md", (small, answer)), ("2026-W47.forum.md", (small, answer)),
                          ("2026-W47.html", (small, answer)), ("feed.xml", (small, answer)), ("index.html", (small,))):
        text = (out / name).read_text(encoding="utf-8")
        if name.endswith(".xml"):  # the feed's HTML content is a text node: escaped twice
            text = " ".join(ET.fromstring(text.encode("utf-8")).itertext())
        text = unescape(text) if name.endswith(".md") else html.unescape(text)
        for expected in answers:
            assert expected in text, (name, expected)
