"""Storage benchmark: a SYNTHETIC Hub of 10,000 repos over the 14 watched orgs, polled daily with churn.

Churn model (seeded, so every run stores the same data; made up, after the issue's description):
- every repo, every day: 30-day downloads move by -10 % .. +10 % plus 0..20, all-time downloads
  grow by a thirtieth of that plus 0..5, likes grow by 1..3 (on the real Hub counters move daily);
- 0.5 % of the repos a day get a new `lastModified` and `sha` (a new commit);
- 1 to 5 new repos a day, created that day;
- a deletion on one day in five;
- child-model counts: the poll's own `children_due` picks up to `hub.children_budget` (100) repos
  a day, as a real poll does; their counts drift by 0..3.

Each day goes through the store exactly as `run_poll` stores a fetched poll (normalize, archive
each org's listing and the child counts, derive the tables, one transaction), without HTTP: the
fetch is measured by bench_poll.py. Then `lineupwatch rebuild`, `report --as-of` the last day,
`report --since-baseline`, and `vacuum` with 90 days of daily counters (then weekly) followed by
the report again, run as the real CLI in fresh processes.

Run: .venv/bin/python benchmarks/bench_storage.py [--repos 10000] [--days 365] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from bench_poll import synthetic_hub
from bench_report import timed_cli
from lineupwatch.store import database as store
from lineupwatch.config.settings import parse_config
from lineupwatch.normalize.records import normalize_repos
from lineupwatch.ops.poll import children_due, watched_orgs

START = date(2025, 11, 24)
SEED = 20260304


class ChurnHub:
    """The Hub's state, moved on by one day at a time."""

    def __init__(self, repos: int) -> None:
        self.rng = random.Random(SEED)
        self.models = synthetic_hub(repos)
        self.children = {m["id"]: m.pop("childrenModelCount") for m in self.models}
        self.templates = synthetic_hub(repos + 4000)[repos:]  # names for the repos still to come

    def advance(self, day: date) -> None:
        rng, stamp = self.rng, f"{day.isoformat()}T05:00:00.000Z"
        for model in self.models:
            month = max(0, int(model["downloads"] * rng.uniform(0.9, 1.1)) + rng.randint(0, 20))
            model["downloads"] = month
            model["downloadsAllTime"] += month // 30 + rng.randint(0, 5)
            model["likes"] += rng.randint(1, 3)
        for model in rng.sample(self.models, len(self.models) // 200):
            model["lastModified"] = stamp
            model["sha"] = hashlib.sha1(f"{model['id']}{stamp}".encode()).hexdigest()
        for _ in range(rng.randint(1, 5)):
            new = self.templates.pop()
            self.children[new["id"]] = new.pop("childrenModelCount")
            new.update(createdAt=stamp, lastModified=stamp, downloads=0, downloadsAllTime=0, likes=0)
            self.models.append(new)
        if rng.random() < 0.2:
            self.models.pop(rng.randrange(len(self.models)))
        for repo_id in rng.sample(sorted(self.children), 200):
            self.children[repo_id] += rng.randint(0, 3)


def store_day(db, config, hub: ChurnHub, day: date) -> None:
    """What run_poll does once every org's listing is in hand (poll.py), minus the HTTP."""
    moment = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=6, minutes=17)
    started = moment.isoformat(timespec="seconds")
    orgs = watched_orgs(config)
    listings: dict[str, list[dict]] = {org: [] for org in orgs}
    for model in sorted(hub.models, key=lambda m: (m["createdAt"], m["_id"]), reverse=True):
        listings[model["author"]].append(model)
    records = normalize_repos([m for org in orgs for m in listings[org]], config)
    fetched_at = {row[0]: row[1] for row in db.execute("SELECT repo_id, children_fetched_at FROM repos")}
    children = {repo_id: hub.children[repo_id] for repo_id in children_due(records, fetched_at, config, moment)}
    with db.atomic():
        poll_id = store.insert_poll(db, {
            "started_at": started, "finished_at": started, "status": "ok", "endpoint": "synthetic",
            "orgs": json.dumps(orgs), "repo_count": len(records), "listing_requests": 0,
            "info_requests": len(children), "error": None, "warnings": None})
        for org in orgs:
            store.archive_listing(db, poll_id, org, listings[org], -(-len(listings[org]) // 1000))
        store.archive_children(db, poll_id, children, started)
        store.save_poll_records(db, poll_id, started, records, children, orgs)


def size(path: Path, db) -> int:
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def table_sizes(db) -> dict[str, int]:
    return dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall())


def one_run(work: Path, repos: int, days: int, timed: bool) -> dict:
    config_path = work / "bench.toml"
    database = work / "bench.db"
    config_path.write_text(f'[storage]\ndatabase = "{database}"\nreports_dir = "{work / "reports"}"\n')
    config = parse_config({"storage": {"database": str(database)}}, config_path)
    hub = ChurnHub(repos)
    db = store.open_db(database)
    empty = size(database, db)
    started = time.perf_counter()
    store_day(db, config, hub, START)
    first = size(database, db) - empty
    for offset in range(1, days):
        day = START + timedelta(days=offset)
        hub.advance(day)
        store_day(db, config, hub, day)
    polls_s = time.perf_counter() - started
    total = size(database, db)
    result = {"first": first, "total": total, "daily": (total - empty - first) / (days - 1), "polls_s": polls_s,
              "repos": len(hub.models), "tables": table_sizes(db)}
    db.close()
    if timed:
        last = START + timedelta(days=days - 1)
        result["rebuild_s"], _ = timed_cli(config_path, "rebuild")
        result["report_s"], result["report_mb"] = timed_cli(config_path, "report", "--as-of", last.isoformat())
        result["backfill_s"], _ = timed_cli(config_path, "report", "--as-of", last.isoformat(), "--since-baseline")
        result["weeks"] = len(list((work / "reports").glob("*.json")))
        config_path.write_text(config_path.read_text().replace("[storage]\n", "[storage]\ncounters_daily_days = 90\n"))
        result["vacuum_s"], _ = timed_cli(config_path, "vacuum")
        result["thinned_mb"] = database.stat().st_size / 1e6
        result["thinned_report_s"], _ = timed_cli(config_path, "report", "--as-of", last.isoformat())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-cli", action="store_true", help="measure storage only: no rebuild or reports")
    args = parser.parse_args()
    runs = [one_run(Path(tempfile.mkdtemp(prefix="lw-bench-storage-")), args.repos, args.days, not args.no_cli)
            for _ in range(args.runs)]
    last = runs[-1]
    print(f"{args.days} daily polls of {args.repos} repos ({last['repos']} at the end), {args.runs} runs")
    print("| figure | min | median | target |\n|---|---|---|---|")
    rows = [("first poll, bytes", "first", 3_000_000), ("bytes per repo per daily poll", "per_repo", 40),
            ("database after the last poll, MB", "total_mb", None), ("a year of daily polls, MB (extrapolated)", "year_mb", 150),
            ("storing the polls, s", "polls_s", None)]
    for run in runs:
        run["per_repo"] = run["daily"] / args.repos
        run["total_mb"] = run["total"] / 1e6
        run["year_mb"] = (run["first"] + 364 * run["daily"]) / 1e6
    if not args.no_cli:
        rows += [("rebuild, s", "rebuild_s", 60), ("report of the last week, s", "report_s", 2),
                 (f"backfill since the baseline ({last['weeks']} weeks), s", "backfill_s", 30),
                 ("vacuum with counters_daily_days = 90, s", "vacuum_s", None),
                 ("database after that vacuum, MB", "thinned_mb", None),
                 ("report of the last week after that vacuum, s", "thinned_report_s", 2)]
    for label, key, target in rows:
        values = [run[key] for run in runs]
        print(f"| {label} | {min(values):,.2f} | {statistics.median(values):,.2f} | {'' if target is None else f'< {target:,}'} |")
    print("tables after the last poll (bytes):", json.dumps({k: v for k, v in last["tables"].items() if v > 8192}))


if __name__ == "__main__":
    main()
