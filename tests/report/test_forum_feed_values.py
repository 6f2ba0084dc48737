"""Issue 23, points 3 to 5: the forum post says what it cuts, keeps the marks and the built-on notes,
lists the medium class and names the previous week; every value shown in any output is worded for
people (no None, no ISO timestamps, no literal backticks, no "27.0B"); the feed's entries are titled
by what changed; verdict badges read right without the legend.

One module fixture reads the bundled Hub timeline polled once (tests/timeline_polls.py) and writes
every week since the baseline (W10 to W47, as `report --since-baseline` does) and W47's forum post, like the demo."""

from __future__ import annotations

import html as html_lib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import run_cli

from lineupwatch.report import view
from lineupwatch.report.feed import entry_title
from lineupwatch.report.render import FORUM_LIMIT, write_forum
from timeline_polls import polled_timeline

BASE = "https://watch.example.org/lw/"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reports directory of every week from the baseline to 2026-W47 and W47's forum post, from
    polls of the bundled Hub timeline at the demo's time of day (its timestamps, size changes and
    removals are what used to show through as raw values)."""
    config_path = polled_timeline(tmp_path_factory, f'[site]\nbase_url = "{BASE}"')
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22", "--since-baseline", "--jobs", "2")
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22", "--format", "forum")
    return config_path.parent / "reports"


def _json(out: Path, week: str) -> dict:
    return json.loads((out / f"{week}.json").read_text(encoding="utf-8"))


def _html_text(page: str) -> str:
    """What a reader sees of a page: no style, no script, no tags, entities decoded."""
    page = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


# --- the forum post -------------------------------------------------------------------------------


def test_forum_post_names_the_previous_week_and_compares_with_it(weeks: Path) -> None:
    post = (weeks / "2026-W47.forum.md").read_text(encoding="utf-8")
    assert (weeks / "2026-W46.json").is_file()
    assert "No report of the previous week" not in post
    assert "**Changed since last week** (2026-W46)\n\n" in post
    assert len(post) < FORUM_LIMIT


def test_forum_post_lists_every_size_class_with_marks_and_bases(weeks: Path) -> None:
    post = (weeks / "2026-W47.forum.md").read_text(encoding="utf-8")
    report = _json(weeks, "2026-W47")
    section = post[post.index("**Qwen's newest open model per size class**"):post.index("**What fits your machine**")]
    classes = re.findall(r"^- (\w+): ", section, re.MULTILINE)
    assert classes == [g["size_class"] for g in report["what_to_run"]["classes"]]
    assert "medium" in classes
    for group in report["what_to_run"]["classes"]:
        row = next((r for r in group["rows"] if r["family"] == "Qwen"), None)
        line = next(line for line in section.splitlines() if line.startswith(f"- {group['size_class']}: "))
        if row is None:
            assert line.endswith(": none")
            continue
        assert f"[{row['repo']}](" in line.replace("\\", "")
        assert f"released {row['released']}" in line
        assert ("(uncertain)" in line) == bool(row.get("uncertain"))
        assert (f" on {str(row.get('built_on')).rpartition('/')[2]}" in line) == bool(row.get("built_on"))


def test_forum_post_keeps_the_marks_the_page_shows_on_its_picks(weeks: Path) -> None:
    post = (weeks / "2026-W47.forum.md").read_text(encoding="utf-8").replace("\\", "")
    report = _json(weeks, "2026-W47")
    picks = [p for b in report["fits"]["budgets"] if b.get("memory", "gpu") == "gpu" for p in b["picks"]]
    marked = [p for p in picks if p.get("uncertain")]
    assert marked, "the bundled W47 has uncertain picks (granite-4.1)"
    fits = post[post.index("**What fits your machine**"):]
    for pick in picks:
        found = re.findall(rf"\[{re.escape(pick['repo'])}\]\([^)]*\)( on [^ (]+)?( \(uncertain\))?", fits)
        assert found, pick["repo"]
        for on, uncertain in found:
            assert bool(uncertain) == bool(pick.get("uncertain")), pick["repo"]
            assert on == (f" on {pick['built_on'].rpartition('/')[2]}" if pick.get("built_on") else ""), pick["repo"]


def test_forum_post_says_how_many_rows_each_cut_list_drops(tmp_path: Path) -> None:
    # SYNTHETIC: 400 made-up entries in one week, and three picks per budget, one of them built on
    # another family's base and uncertain
    entries = [{"family": "Qwen", "entry": f"Qwen9 · LM · {i}B", "size_class": "small", "released": "2026-11-20",
                "license": "apache-2.0", "uncertain": ["month only (2026-11)"] if i == 0 else []} for i in range(400)]
    pick = {"repo": "acme/Acme-8B", "params_total_b": 8.0, "quant": "Q4_K_M", "licence": "mit",
            "total_gb": {"8192": 6.5}, "builds": []}
    picks = [{**pick, "built_on": "Qwen/Qwen3-8B", "uncertain": True}, {**pick, "repo": "acme/Acme-7B"},
             {**pick, "repo": "acme/Acme-6B"}]
    previous = {"week": "2026-W46", "forecasts": [], "entries_since_baseline": []}
    (tmp_path / "2026-W46.json").write_text(json.dumps(previous))
    report = {"schema": 2, "week": "2026-W47", "as_of": "2026-11-22", "baseline_date": "2026-03-04",
              "forecasts": [{"id": "small-models", "family": "Qwen", "verdict": "refuted", "summary": "x " * 300}],
              "entries_since_baseline": entries,
              "fits": {"context_tokens": [8192], "unified_usable_fraction": 0.75,
                       "budgets": [{"memory": "gpu", "gb": gb, "picks": picks} for gb in (8, 12, 16)]}}
    post = write_forum(report, tmp_path, BASE)["forum"].read_text(encoding="utf-8")
    assert len(post) < FORUM_LIMIT
    shown = len(re.findall(r"^- New entries: Qwen9", post, re.MULTILINE))
    assert shown >= 1 and f"- New entries: and {400 - shown} more in the full report" in post
    assert "Qwen9 · LM · 0B (Qwen, small, released 2026-11-20, licence apache-2.0; uncertain: month only (2026-11))" in post
    budget = next(line for line in post.splitlines() if line.startswith("- **8 GB**: "))
    listed = budget.count("](https://huggingface.co/acme/")
    assert listed == 3 or budget.endswith(f"; and {3 - listed} more in the full report"), budget
    assert "[acme/Acme-8B](https://huggingface.co/acme/Acme-8B) on Qwen3-8B (uncertain) (" in budget


# --- values worded for people ---------------------------------------------------------------------

RAW = {
    "None": re.compile(r"\bNone\b"),
    "an ISO timestamp": re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d"),
    "+00:00": re.compile(r"\+00:00"),
    "a size like 27.0B": re.compile(r"\d\.0B\b"),
}


def _raw_values(name: str, text: str) -> list[str]:
    found = []
    for what, pattern in RAW.items():
        found += [f"{name}: {what}: ...{text[max(0, m.start() - 60):m.end() + 30]}..." for m in pattern.finditer(text)]
    return found


def test_every_value_shown_is_worded_for_people(weeks: Path) -> None:
    feed = ET.parse(weeks / "feed.xml").getroot()
    shown = [("feed", " ".join(e.text or "" for entry in feed.iter(f"{ATOM}entry")
                               for e in entry if e.tag in (f"{ATOM}title", f"{ATOM}summary")))]
    shown += [("feed content", _html_text(" ".join(c.text or "" for c in feed.iter(f"{ATOM}content"))))]
    shown += [("forum", (weeks / "2026-W47.forum.md").read_text(encoding="utf-8"))]
    for week in ("2026-W16", "2026-W33", "2026-W46", "2026-W47"):
        shown += [(f"{week}.md", (weeks / f"{week}.md").read_text(encoding="utf-8"))]
        page = (weeks / f"{week}.html").read_text(encoding="utf-8")
        shown += [(f"{week}.html", _html_text(page))]
        assert "`" not in _html_text(page), re.findall(r".{40}`.{40}", _html_text(page))
    shown += [("index.html", _html_text((weeks / "index.html").read_text(encoding="utf-8")))]
    problems = [p for name, text in shown for p in _raw_values(name, text)]
    assert not problems, "\n".join(problems[:20])
    assert "`" not in shown[0][1]


def test_the_data_behind_the_check_has_what_used_to_show_through(weeks: Path) -> None:
    """The JSON keeps the stored values: the check above is not passing on empty pages."""
    text = json.dumps([_json(weeks, w) for w in ("2026-W33", "2026-W47")])
    assert "T06:17:00+00:00" in text and "`created`" in text
    assert any(e["kind"] == "params_changed" and "/None" in str(e["old"])
               for w in ("2026-W33", "2026-W47") for e in _json(weeks, w)["risk_events"])


@pytest.mark.parametrize(("kind", "old", "new", "shown"), [
    ("params_changed", "27.0/None", "28.0/None", ("27B", "28B")),
    ("params_changed", "35.0/3.0", "35.0/None", ("35B (3B active)", "35B")),
    ("params_changed", "0.35/None", None, ("350M", "unknown")),
    ("gating_changed", "false", "manual", ("not gated", "gated (manual approval)")),
    ("licence_changed", None, "apache-2.0", ("none stated", "apache-2.0")),
    ("restored", "2026-08-15T06:17:00+00:00", None, ("removed 2026-08-15", "listed again")),
], ids=["dense", "moe-to-dense", "millions", "gating", "licence", "restored"])
def test_risk_event_values_are_worded(kind: str, old: str | None, new: str | None, shown: tuple[str, str]) -> None:
    event = {"at": "2026-08-15T06:17:00+00:00", "repo_id": "Qwen/X", "kind": kind, "old": old, "new": new}
    assert view.event_values(event) == shown
    assert view.event_text(event) == f"2026-08-15: Qwen/X {kind.replace('_', ' ')} ({shown[0]} → {shown[1]})"


def test_timestamps_read_as_dates_or_minutes_in_utc() -> None:
    data = view.readable({"at": "2026-08-15T06:17:00+00:00", "last_ok": "2026-08-15T06:17:00+00:00",
                          "note": "since 2026-08-15T08:17:00+02:00, dated `seen`", "when": "2026-08-15"})
    assert data == {"at": "2026-08-15", "last_ok": "2026-08-15 06:17 UTC",
                    "note": "since 2026-08-15 06:17 UTC, dated “seen”", "when": "2026-08-15"}


# --- the feed -------------------------------------------------------------------------------------


def test_feed_entries_are_titled_by_what_changed(weeks: Path) -> None:
    feed = ET.parse(weeks / "feed.xml").getroot()
    titles = {e.find(f"{ATOM}id").text.rpartition(":")[2]: e.find(f"{ATOM}title").text
              for e in feed.iter(f"{ATOM}entry")}
    assert len(titles) >= 38
    bare = {re.sub(r"^(SYNTHETIC DATA: )?\d{4}-W\d\d · ", "", t) for t in titles.values()}
    assert len(bare) >= len(titles) // 3, sorted(bare)
    for week, title in titles.items():
        assert title.removeprefix("SYNTHETIC DATA: ").startswith(f"{week} · "), title
        changes = _json(weeks, week)["changes"]
        if not changes["previous_week"]:
            assert "first report" in title
            continue
        for change in changes["verdicts"]:
            assert f"{change['family']} {change['id']}: {change['to']}" in title, (title, change)
        if not changes["verdicts"]:
            assert "no verdict change" in title
        entries = len(changes["new_entries"])
        assert (f"{entries} new entr" in title) == bool(entries), title
    assert titles["2026-W16"].endswith("2026-W16 · Qwen open-weights: refuted") or \
        "2026-W16 · Qwen open-weights: refuted;" in titles["2026-W16"]


def test_entry_title_of_a_quiet_week() -> None:
    report = {"week": "2026-W20", "forecasts": [],
              "changes": {"previous_week": "2026-W19", "verdicts": [], "new_entries": [{"entry": "x"}],
                          "events": [], "counters": []}}
    assert entry_title(report) == "2026-W20 · no verdict change; 1 new entry"


# --- verdict badges -------------------------------------------------------------------------------


@pytest.mark.parametrize(("forecast", "value", "word", "tone", "symbol"), [
    ("small-models", "supported", "stopped", "bad", "▼"),
    ("small-models", "refuted", "still making them", "good", "●"),
    ("small-models", "open", "not settled yet", "neutral", "?"),
    ("open-weights", "supported", "closing", "bad", "▼"),
    ("open-weights", "refuted", "still open", "good", "●"),
    ("open-weights", "open", "not settled yet", "neutral", "?"),
], ids=lambda v: str(v))
def test_badges_say_what_happened_without_the_legend(forecast: str, value: str, word: str, tone: str,
                                                     symbol: str) -> None:
    badge = view.verdict(value, forecast)
    assert (badge["word"], badge["tone"], badge["symbol"], badge["label"], badge["css"]) == (word, tone, symbol, value,
                                                                                             value)
    assert badge["symbol"] not in "✓✔✗✘"


def test_an_unknown_verdict_is_shown_as_itself() -> None:
    assert view.verdict("weird", "small-models") == {"css": "unknown", "symbol": "!", "label": "weird", "word": "weird",
                                                     "tone": "neutral", "verdict": "weird"}


def test_forum_headline_carries_the_word_and_the_verdict(weeks: Path) -> None:
    post = (weeks / "2026-W47.forum.md").read_text(encoding="utf-8")
    report = _json(weeks, "2026-W47")
    for forecast in (f for f in report["forecasts"] if f["family"] == "Qwen"):
        badge = view.verdict(forecast["verdict"], forecast["id"])
        title = view.FORECAST_TITLES[forecast["id"]]
        assert f"**{badge['symbol']} {title}: {badge['word']} ({forecast['verdict'].upper()}).**" in post
    assert "✓" not in post and "✗" not in post
