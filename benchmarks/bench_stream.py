"""Stream benchmark: a day of the Hub-wide stream polled, a year backfilled, a report on top.

The stream is SYNTHETIC (lineupwatch.replay.synthetic_stream at the real Hub's volume) and is served by a
replay Hub in its own process, so the CPU figures are the stream job's own work (HTTP client,
JSON, records, SQLite, compression), not the server's.

1. One day: a database holding the previous week (backfilled, not timed) polls the next day of
   about 3,000 new repos; the poll re-reads its re-scan window (hub.stream_rescan_days = 7).
2. A year: `backfill-stream` of 365 days at about 2,740 repos a day (1,000,000 repos) into an empty
   database, pages of 1,000.
3. The weekly report on that database (the bundled org poll added), as the real CLI in a subprocess.

Run: .venv/bin/python benchmarks/bench_stream.py [--fraction 1.0]
(--fraction 0.1 runs a tenth of the year, for a quick look; the table says which was run.)
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from lineupwatch.store import database as store
from lineupwatch.config.settings import parse_config
from lineupwatch.replay.synthetic_stream import REPOS_PER_DAY, SyntheticStream
from lineupwatch.stream.poll import run_backfill, run_stream

YEAR_END = date(2026, 11, 22)
YEAR_REPOS = 1_000_000


def serve(start: date, until: date, scale: float, bundled: bool, ready: multiprocessing.Queue,
          advance: multiprocessing.Queue) -> None:
    """The replay Hub in its own process; a date put on `advance` moves the stream's last day."""
    from lineupwatch.replay.fixtures import bundled_state_path
    from lineupwatch.replay.server import ReplayHub, load_state

    stream = SyntheticStream(start, until, scale=scale)
    hub = ReplayHub(load_state(bundled_state_path()) if bundled else [], stream=stream).start()
    ready.put(hub.url)
    while (day := advance.get()) is not None:
        stream.until = day
        ready.put("moved")
    hub.stop()


class Hub:
    def __init__(self, start: date, until: date, scale: float, bundled: bool = False) -> None:
        context = multiprocessing.get_context("spawn")
        self.ready, self.advance = context.Queue(), context.Queue()
        self.process = context.Process(target=serve, args=(start, until, scale, bundled, self.ready, self.advance))
        self.process.start()
        self.url = self.ready.get(timeout=120)

    def move_to(self, day: date) -> None:
        self.advance.put(day)
        self.ready.get(timeout=60)

    def close(self) -> None:
        self.advance.put(None)
        self.process.join(timeout=30)


def config_for(db_path: Path):
    config = parse_config({"hub": {"stream_rate_reserve": -1, "stream_max_pages": 100,
                                   "poll_deadline_s": 3600.0}}, Path("(benchmark)"))
    return dataclasses.replace(config, storage=dataclasses.replace(config.storage, database=str(db_path)))


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def one_day(tmp: Path) -> dict:
    scale = 3000 / REPOS_PER_DAY
    day = YEAR_END
    hub = Hub(day - timedelta(days=8), day - timedelta(days=1), scale)
    try:
        config = config_for(tmp / "day.db")
        db = store.open_db(config.database_path)
        now = lambda: datetime(day.year, day.month, day.day, 23, tzinfo=timezone.utc)  # noqa: E731
        run_backfill(config, db, endpoint=hub.url, since=day - timedelta(days=8), now=now)
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before, repos_before = size(config.database_path), db["stream_repos"].count
        hub.move_to(day)
        cpu, wall = time.process_time(), time.perf_counter()
        result = run_stream(config, db, endpoint=hub.url, now=now)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        added = db["stream_repos"].count - repos_before
        db.close()
        return {"repos read": result.repos, "new repos": added, "requests": result.requests, "wall s": wall,
                "CPU s": cpu, "DB bytes per new repo": (size(config.database_path) - before) / max(added, 1)}
    finally:
        hub.close()


def year(tmp: Path, fraction: float) -> tuple[dict, Path]:
    days = max(1, round(365 * fraction))
    scale = YEAR_REPOS / 365 / REPOS_PER_DAY
    start = YEAR_END - timedelta(days=days - 1)
    hub = Hub(start, YEAR_END, scale, bundled=True)
    try:
        config = config_for(tmp / "year.db")
        db = store.open_db(config.database_path)
        now = lambda: datetime.now(timezone.utc)  # noqa: E731
        cpu, wall = time.process_time(), time.perf_counter()
        result = run_backfill(config, db, endpoint=hub.url, since=start, now=now)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        repos = db["stream_repos"].count
        raw = db.execute("SELECT SUM(length(body)) FROM stream_raw").fetchone()[0]
        total = size(config.database_path)
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        vacuumed = size(config.database_path)
        return ({"days": days, "repos": repos, "pages": result.pages, "wall s": wall, "CPU s": cpu,
                 "DB bytes": total, "bytes per repo": total / repos, "vacuumed bytes per repo": vacuumed / repos,
                 "of which raw archive": raw / repos},
                config.database_path)
    finally:
        hub.close()


def report_time(db_path: Path, tmp: Path) -> dict:
    """The bundled org poll into the year's database, then `lineupwatch report` as a subprocess."""
    from lineupwatch.replay.fixtures import bundled_state_path
    from lineupwatch.replay.server import ReplayHub, load_state

    config_path = tmp / "bench.toml"
    config_path.write_text(f'[hub]\nstream = false\n[storage]\ndatabase = "{db_path}"\nreports_dir = "{tmp / "reports"}"\n')
    with ReplayHub(load_state(bundled_state_path())) as hub:
        subprocess.run([sys.executable, "-m", "lineupwatch", "poll", "--config", str(config_path), "--endpoint", hub.url],
                       check=True, capture_output=True)
    times = []
    for _ in range(3):
        wall = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lineupwatch", "report", "--as-of", YEAR_END.isoformat(), "--config",
                        str(config_path)], check=True, capture_output=True)
        times.append(time.perf_counter() - wall)
    return {"report wall s (best of 3)": min(times), "worst": max(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the year to backfill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        day = one_day(tmp)
        print("| one day | repos read | new repos | requests | wall s | CPU s | DB bytes per new repo |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {YEAR_END} | {day['repos read']} | {day['new repos']} | {day['requests']} | {day['wall s']:.1f} | "
              f"{day['CPU s']:.2f} | {day['DB bytes per new repo']:.0f} |")
        result, db_path = year(tmp, args.fraction)
        print("\n| backfill | days | repos | pages | wall s | CPU s (job) | DB bytes | bytes/repo | after VACUUM "
              "| raw archive bytes/repo |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        print(f"| fraction {args.fraction:g} | {result['days']} | {result['repos']} | {result['pages']} | "
              f"{result['wall s']:.0f} | {result['CPU s']:.0f} | {result['DB bytes']:,} | {result['bytes per repo']:.0f} | "
              f"{result['vacuumed bytes per repo']:.0f} | {result['of which raw archive']:.0f} |")
        if args.fraction < 1:
            factor = 1 / args.fraction
            print(f"\nextrapolated to the full year (x{factor:g}): CPU {result['CPU s'] * factor:.0f} s, "
                  f"wall {result['wall s'] * factor:.0f} s, DB {result['DB bytes'] * factor / 1e6:.0f} MB")
        report = report_time(db_path, tmp)
        print(f"\nweekly report with this stream in the database: {report['report wall s (best of 3)']:.2f} s "
              f"(worst {report['worst']:.2f} s)")
        cpu_full = result["CPU s"] / args.fraction
        print(f"\ntargets: year CPU < 600 s: {cpu_full < 600}; bytes/repo < 300: {result['bytes per repo'] < 300}; "
              f"report < 3 s: {report['report wall s (best of 3)'] < 3}")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    main()
