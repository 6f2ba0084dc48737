"""Readers' benchmark (issue 14): what the report's new parts cost, and how long the forum post is,
on the demo's database (a real timeline: daily polls of the bundled Hub through 2026).

It measures one weekly report (every format, base URL set) and one forum post as real CLI runs,
the pure parts in-process (what to run now and licence drift; changes since last week and the
index's verdict strips), and the forum post's length for every week since the baseline.

Run: .venv/bin/lineupwatch demo --out demo-out   (once, a few minutes)
     .venv/bin/python benchmarks/bench_readers.py [--db demo-out/lineupwatch.db]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from lineupwatch.store import database as store
from lineupwatch.analysis.entries import build_entries
from lineupwatch.analysis.runnow import licence_drift, what_to_run
from lineupwatch.config.settings import load_config
from lineupwatch.store.facts import load_facts
from lineupwatch.report.archive import load_reports
from lineupwatch.report.changes import since_last_week, verdict_history
from lineupwatch.report.writer import week_ends

AS_OF = date(2026, 11, 22)


def cli_seconds(config: Path, *args: str, runs: int = 3) -> float:
    """Median wall seconds of one CLI command in a fresh process."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lineupwatch", *args, "--config", str(config)], check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def in_process_ms(function, runs: int = 20) -> float:
    started = time.perf_counter()
    for _ in range(runs):
        function()
    return (time.perf_counter() - started) / runs * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("demo-out/lineupwatch.db"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lw-bench-readers-"))
    config_path = work / "bench.toml"
    config_path.write_text(f'[storage]\ndatabase = "{args.db.resolve()}"\nreports_dir = "{work / "reports"}"\n'
                           '[site]\nbase_url = "https://example.org/lineupwatch/"\n')
    config = load_config(config_path)

    subprocess.run([sys.executable, "-m", "lineupwatch", "report", "--since-baseline", "--as-of", AS_OF.isoformat(),
                    "--config", str(config_path)], check=True, stdout=subprocess.DEVNULL)
    report_s = cli_seconds(config_path, "report", "--as-of", AS_OF.isoformat())
    forum_s = cli_seconds(config_path, "report", "--as-of", AS_OF.isoformat(), "--format", "forum")

    db = store.open_reader(args.db)
    facts = load_facts(db, AS_OF, trend_family=config.watch[0])
    entries = build_entries((r for r in facts.repos if r.family in config.watch), config.analysis)
    run_ms = in_process_ms(lambda: (what_to_run(entries, list(config.watch), AS_OF, config.fits),
                                    licence_drift(entries, facts.events, config.analysis.baseline_date)))
    reports = load_reports(work / "reports")
    changes_ms = in_process_ms(lambda: since_last_week(reports[1], reports[0]))
    strips_ms = in_process_ms(lambda: verdict_history(reports))

    sizes = []
    for day in week_ends(config.analysis.baseline_date, AS_OF):
        subprocess.run([sys.executable, "-m", "lineupwatch", "report", "--as-of", day.isoformat(), "--format", "forum",
                        "--config", str(config_path)], check=True, stdout=subprocess.DEVNULL)
    for path in sorted((work / "reports").glob("*.forum.md")):
        sizes.append(len(path.read_text(encoding="utf-8")))

    print("| what | measured |\n|---|---|")
    print(f"| one weekly report, every format, as of {AS_OF} ({len(facts.polls)} polls known) | {report_s:.2f} s wall |")
    print(f"| one forum post | {forum_s:.2f} s wall |")
    print(f"| what to run now + licence drift ({len(entries)} entries) | {run_ms:.1f} ms |")
    print(f"| changes since last week | {changes_ms:.2f} ms |")
    print(f"| verdict strips of the index ({len(reports)} weeks) | {strips_ms:.1f} ms |")
    print(f"| forum post length, {len(sizes)} weeks since the baseline | {min(sizes):,} to {max(sizes):,} characters "
          f"(limit 10,000) |")


if __name__ == "__main__":
    main()
