"""Resilience benchmark (issue 21): the index for every week since 2024 from a 2,000,000-repo stream.

The stream is SYNTHETIC (lineupwatch.replay.synthetic_stream, about 2,700 new repos a day from
2024-01-01, Qwen's share of derivatives following ATOM's path). Its records are written straight
into `stream_repos` (the backfill's own cost is bench_stream.py's); then the timed part is what a
weekly report adds: `load_resilience` (one grouped pass and the recursive chain query) and
`resilience_block` (attribution and the index for every week), and the database's bytes per repo.

Run: .venv/bin/python benchmarks/bench_resilience.py [--repos 2000000] [--db PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import date, timedelta
from pathlib import Path

from lineupwatch.analysis.resilience import resilience_block
from lineupwatch.config.settings import parse_config
from lineupwatch.replay.synthetic_stream import SyntheticStream
from lineupwatch.store import database as store
from lineupwatch.stream.facts import load_resilience
from lineupwatch.stream.records import stream_record

START = date(2024, 1, 1)


def build(path: Path, repos: int) -> date:
    db = store.open_db(path)
    stream = SyntheticStream(START, START + timedelta(days=2000))
    day, written = START, 0
    with db.atomic():
        while written < repos:
            rows = []
            for model in stream.iter_day(day):
                r = stream_record(model)
                rows.append((r.repo_id, r.author, r.created_at, r.created_at[:10], 1, r.pipeline_tag, r.library_name,
                             r.params_b, r.params_source, r.relation, r.parent, r.more_bases, r.downloads,
                             r.downloads_all_time))
            rows = rows[: repos - written]
            db.conn.executemany("INSERT OR REPLACE INTO stream_repos (repo_id, author, created_at, released, first_run, "
                                "pipeline_tag, library_name, params_b, params_source, relation, parent, more_bases, "
                                "downloads, downloads_all_time) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            written += len(rows)
            day += timedelta(days=1)
    db.execute("VACUUM")
    db.conn.close()
    return day - timedelta(days=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=2_000_000)
    parser.add_argument("--db", default="/tmp/lineupwatch-bench-resilience.db")
    args = parser.parse_args()
    path = Path(args.db)
    if not path.exists():
        t = time.perf_counter()
        last = build(path, args.repos)
        print(f"built {args.repos:,} repos to {last} in {time.perf_counter() - t:.0f} s")
    db = store.open_db(path)
    n, last = db.execute("SELECT COUNT(*), MAX(released) FROM stream_repos").fetchone()
    as_of = date.fromisoformat(last)
    config = parse_config({}, Path("(defaults)"))
    cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_utime, time.perf_counter()
    facts = load_resilience(db, as_of, START)
    t1 = time.perf_counter()
    block = resilience_block(facts, config, [], [])
    t2 = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu0
    size = os.path.getsize(path)
    weeks = [w for w in block["weeks"] if w["local"]["hhi"] is not None]
    print(f"{n:,} stream repos, {len(block['weeks'])} weeks ({len(weeks)} with local derivatives) to {as_of}")
    print(f"load_resilience {t1 - t0:.2f} s ({len(facts.counts):,} week x parent counts, {len(facts.nodes):,} chain nodes); "
          f"resilience_block {t2 - t1:.2f} s; total {t2 - t0:.2f} s wall, {cpu:.2f} s CPU")
    print(f"database {size / 1e6:.0f} MB, {size / n:.0f} bytes per repo (stream_repos and its index, no raw archive)")
    for w in weeks[:: max(1, len(weeks) // 8)] + weeks[-1:]:
        loc = w["local"]
        print(f"  {w['week']}: Qwen {loc['shares'].get('Qwen', 0):.0%}, HHI {loc['hhi']}, EF {loc['elephant_factor']}")


if __name__ == "__main__":
    main()
