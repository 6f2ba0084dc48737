"""Issue 14.2: "changed since last week" at the top of each report, and the index's verdict strips."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import run_cli
from lineupwatch.report.changes import previous_week


def _weeks(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob("*-W*.json"))}


def _files(out: Path) -> dict[str, bytes]:
    """Every file written under a reports directory (the summaries too), by relative path."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_previous_week_crosses_iso_years() -> None:
    assert previous_week("2026-W01") == "2025-W52"
    assert previous_week("2021-W01") == "2020-W53"
    assert previous_week("2026-W47") == "2026-W46"


def test_each_week_lists_what_changed_since_the_one_before(config_path: Path, tmp_path: Path) -> None:
    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--since-baseline", "--as-of", "2026-04-19")  # W10 to W16
    weeks = _weeks(tmp_path / "reports")
    names = sorted(weeks)
    assert weeks[names[0]]["changes"]["previous_week"] is None
    verdict_changes = []
    for before, after in zip(names, names[1:]):
        old = {(f["family"], f["id"]): f["verdict"] for f in weeks[before]["forecasts"]}
        expected = [(f["family"], f["id"], old[(f["family"], f["id"])], f["verdict"])
                    for f in weeks[after]["forecasts"] if old.get((f["family"], f["id"]), f["verdict"]) != f["verdict"]]
        changes = weeks[after]["changes"]
        assert changes["previous_week"] == before
        assert [(c["family"], c["id"], c["from"], c["to"]) for c in changes["verdicts"]] == expected
        known = {e["entry"] for e in weeks[before]["entries_since_baseline"]}
        assert [e["entry"] for e in changes["new_entries"]] == [
            e["entry"] for e in weeks[after]["entries_since_baseline"] if e["entry"] not in known]
        verdict_changes += [(after, *change) for change in expected]
    assert verdict_changes, "the bundled Hub's spring 2026 has verdict changes (Qwen open-weights in W16)"

    week, family, forecast, old, new = next(c for c in verdict_changes if c[1] == "Qwen")
    markdown = (tmp_path / "reports" / f"{week}.md").read_text(encoding="utf-8")
    top = markdown.split("## New this week")[0]
    assert "## Changed since last week" in top and f"{old} → {new}" in top
    html = (tmp_path / "reports" / f"{week}.html").read_text(encoding="utf-8")
    assert html.index('id="changed"') < html.index('id="new"')

    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    title = "Small models (≤ 10B)" if forecast == "small-models" else "Open weights"
    strip = re.search(rf"<th scope=\"row\"[^>]*>{family} · {re.escape(title)}.*?</tr>", index, re.S).group(0)
    cells = re.findall(r'<td class="cell v-(\w+)( changed)?(?: newest)?" data-week="[^"]+"><a href="(\d{4}-W\d\d)\.html"',
                       strip)
    assert [c[2] for c in cells] == names[::-1]  # one cell per week, newest first (issue 23)
    assert [c[2] for c in cells if c[1]] == [c[0] for c in verdict_changes if c[1:3] == (family, forecast)]
    assert dict((c[2], c[0]) for c in cells)[week] == new


def test_a_week_without_its_predecessor_says_so(config_path: Path, tmp_path: Path) -> None:
    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22")
    report = _weeks(tmp_path / "reports")["2026-W47"]
    assert report["changes"] == {"previous_week": None, "verdicts": [], "new_entries": [], "events": [], "counters": []}
    assert "No report of the previous week" in (tmp_path / "reports" / "2026-W47.md").read_text(encoding="utf-8")


def test_counter_moves_of_a_quarter_or_more_are_listed(tmp_path: Path) -> None:
    from lineupwatch.report.render import write_report

    def week(name: str, as_of: str, small: int, larger: int) -> dict:  # SYNTHETIC counters
        return {"schema": 1, "week": name, "as_of": as_of, "baseline_date": "2026-03-04", "forecasts": [],
                "indicators": {"by_family": {"Qwen": {"small_downloads": small, "larger_downloads": larger,
                                                      "small_children": None, "larger_children": None}}}}

    write_report(week("2026-W46", "2026-11-15", 1000, 1000), tmp_path)
    paths = write_report(week("2026-W47", "2026-11-22", 2000, 1200), tmp_path)
    changes = json.loads(paths["json"].read_text(encoding="utf-8"))["changes"]
    assert changes["counters"] == [{"family": "Qwen", "counter": "small_downloads", "from": 1000, "to": 2000,
                                    "change": 1.0}]  # larger downloads moved 20%: not notable
    assert "- Counters: Qwen small downloads: 1,000 → 2,000 (+100%)" in paths["markdown"].read_text(encoding="utf-8")


def test_a_backfill_in_worker_processes_writes_the_same_files(config_path: Path, tmp_path: Path) -> None:
    """--jobs 1 (one process), --jobs 2 here (beside the replay Hub's thread: fork server) and
    --jobs 2 from a fresh CLI process (one thread: fork) write byte-identical files."""
    run_cli("poll", "--config", str(config_path))
    args = ["report", "--config", str(config_path), "--since-baseline", "--as-of", "2026-04-19"]
    run_cli(*args, "--jobs", "1", "--out", str(tmp_path / "one"))
    run_cli(*args, "--jobs", "2", "--out", str(tmp_path / "server"))
    done = subprocess.run([sys.executable, "-m", "lineupwatch", *args, "--jobs", "2", "--out", str(tmp_path / "fork")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    one = _files(tmp_path / "one")
    assert len([name for name in one if re.fullmatch(r"2026-W\d\d\.json", name)]) == 7  # W10 to W16
    assert len([name for name in one if name.startswith(".summaries/")]) == 7
    for other in ("server", "fork"):
        assert _files(tmp_path / other) == one, other


def test_a_weekly_report_with_its_charts_drawn_in_a_forked_worker_writes_the_same_files(
        config_path: Path, tmp_path: Path) -> None:
    """In a fresh one-thread process with two CPUs a forked worker draws the charts (matplotlib
    never enters the writing process); here, beside the replay Hub's thread, they are drawn in
    process. Both write byte-identical files."""
    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", "2026-04-19", "--out", str(tmp_path / "here"))
    script = (
        "import os, sys\n"
        "from datetime import date\n"
        "from pathlib import Path\n"
        "from lineupwatch.report import writer as reporting; from lineupwatch.store import database as store\n"
        "from lineupwatch.config.settings import load_config\n"
        f"config = load_config({str(config_path)!r})\n"
        "db = store.open_reader(config.database_path)\n"
        f"reporting.write_weekly_report(config, db, date(2026, 4, 19), Path({str(tmp_path / 'worker')!r}))\n"
        "assert ('matplotlib' in sys.modules) == (len(os.sched_getaffinity(0)) < 2), 'charts drawn here'\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    here = _files(tmp_path / "here")
    assert {name for name in here if name.endswith(".png")} == {f"2026-W16-{n}.png" for n in ("releases", "adoption", "ecosystem", "resilience")}
    assert ".summaries/2026-W16.json" in here
    assert _files(tmp_path / "worker") == here
