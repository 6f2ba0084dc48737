"""Report benchmark: a year of daily polls of 10 orgs and 5,000 SYNTHETIC repos, then reports.

The database is written straight into the store through the same save path as a poll, with the
raw listings archived per org as a poll archives them (the adoption trend reads past counters from the archive's
counter columns); every repo's 30-day and all-time download counts change every day, as on the real
Hub (the adoption scores read all-time downloads). Each report runs as the real CLI in a subprocess, so wall time and
peak memory (ru_maxrss) are the whole command's.

Run: .venv/bin/python benchmarks/bench_report.py [--repos 5000] [--days 365] [--db PATH] [--no-backfill]
(`--db`: build the database there once and reuse it, to time the same data before and after a change)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from bench_poll import synthetic_hub
from lineupwatch.store import database as store
from lineupwatch.config.settings import parse_config
from lineupwatch.normalize.records import normalize_repos

ORGS = 10
START = date(2025, 11, 24)


def build_database(path: Path, repos: int, days: int) -> None:
    families = ["Qwen", "Llama", "Gemma", "Mistral", "DeepSeek", "Phi", "gpt-oss", "SmolLM", "Granite", "Liquid"][:ORGS]
    config = parse_config({"watch": families}, Path("(benchmark)"))
    models = [m for m in synthetic_hub(repos * 2) if normalize_repos([m], config)][:repos]
    records = normalize_repos(models, config)
    db = store.open_db(path)
    for day in range(days):
        moment = datetime.combine(START + timedelta(days=day), datetime.min.time(), timezone.utc) + timedelta(hours=6)
        stamp = moment.isoformat(timespec="seconds")
        visible = [dataclasses.replace(r, downloads=(r.downloads or 0) + day * 13) for r in records
                   if (r.created_at or "")[:10] <= stamp[:10]]
        listed = {r.repo_id for r in visible}
        listing = [{**m, "downloads": m["downloads"] + day * 13, "downloadsAllTime": m["downloadsAllTime"] + day * 13}
                   for m in models if m["id"] in listed]
        with db.atomic():
            poll_id = store.insert_poll(db, {"started_at": stamp, "finished_at": stamp, "status": "ok",
                                             "endpoint": "synthetic", "orgs": "[]", "repo_count": len(visible),
                                             "listing_requests": 0, "info_requests": 0})
            for org in sorted({m["author"] for m in listing}):  # one listing per org, as a poll archives them
                store.archive_listing(db, poll_id, org, [m for m in listing if m["author"] == org], 1)
            store.save_poll_records(db, poll_id, stamp, visible, {}, [])
    db.close()


def timed_cli(config_path: Path, *args: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one CLI command in a fresh process."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "lineupwatch", *args, "--config", str(config_path)],
                             stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not the maximum over all children
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"lineupwatch {' '.join(args)} failed with exit code {child.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=5000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--db", type=Path, help="database to reuse (built there if missing)")
    parser.add_argument("--no-backfill", action="store_true", help="time the three weekly reports only")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lw-bench-report-"))
    database = args.db or work / "bench.db"
    if not database.exists():
        started = time.perf_counter()
        build_database(database, args.repos, args.days)
        print(f"built {args.days} daily polls of {args.repos} repos in {time.perf_counter() - started:.0f} s; "
              f"{database.stat().st_size / 1e6:.0f} MB")
    config_path = work / "bench.toml"
    families = '["Qwen", "Llama", "Gemma", "Mistral", "DeepSeek", "Phi", "gpt-oss", "SmolLM", "Granite", "Liquid"]'
    config_path.write_text(f'watch = {families}\n[storage]\ndatabase = "{database}"\nreports_dir = "{work / "reports"}"\n')
    print("| report | polls known | wall s | peak RSS MB |\n|---|---|---|---|")
    for fraction in (0.25, 0.5, 1.0):
        known = int(args.days * fraction)
        as_of = START + timedelta(days=known - 1)
        wall, rss = timed_cli(config_path, "report", "--as-of", as_of.isoformat())
        print(f"| one week, as of {as_of} | {known} | {wall:.2f} | {rss:.0f} |")
    if args.no_backfill:
        return
    last = START + timedelta(days=args.days - 1)
    wall, rss = timed_cli(config_path, "report", "--as-of", last.isoformat(), "--since-baseline")
    weeks = len(list((work / "reports").glob("*.json")))
    print(f"| backfill since the baseline ({weeks} weeks) | {args.days} | {wall:.2f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
