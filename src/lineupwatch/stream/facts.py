"""What the database knew about the Hub-wide stream on a given day: the input of analysis/ecosystem.py.

The only reader of the stream tables for analysis. Counting is pushed into SQLite (one grouped
pass over the weeks asked for, each parent joined to its watched repo by primary key), so a year
of the whole Hub (about a million repos) is read in about a second, not loaded row by row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from sqlite_utils import Database

from ..store.raw_archive import counters_on

_NO_RUNS = {"runs": 0, "ok": 0, "failed": 0, "last_ok": None, "last_error": None, "backfilled": False,
            "read_later": 0, "synthetic": False, "provenance": None, "since": None, "skipped": 0,
            "skipped_repos": []}


@dataclass(frozen=True)
class EcosystemFacts:
    as_of: date
    first_week: date  # Monday of the first week counted
    # (Monday, relation or None for an original, parent's watched family or None, its size class, count)
    counts: list[tuple[str, str | None, str | None, str | None, int]]
    top_other: list[tuple[str, int]]  # parents outside the watched families, most derived first
    top_other_since: date
    candidates: list[dict]  # stream rows that may be filling the small sizes
    runs: dict = field(default_factory=dict)


def load_ecosystem(db: Database, as_of: date, first_week: date, *, small_b: float, since: date,
                   pipelines: tuple[str, ...], min_downloads: int, named_after: list[str],
                   top_other: int) -> EcosystemFacts:
    """`named_after`: generation names (`Qwen3.8`) whose community namesakes are candidates;
    `since`: the earliest release day of a candidate (the baseline)."""
    if "stream_repos" not in db.table_names():  # a database no stream migration has touched
        return EcosystemFacts(as_of, first_week, [], [], as_of, [], _NO_RUNS)
    day = as_of.isoformat()
    counts = _counts(db, first_week.isoformat(), day)
    recent = as_of - timedelta(days=27)
    other = db.execute(
        "SELECT s.parent, COUNT(*) FROM stream_repos s LEFT JOIN repos r ON r.repo_id = s.parent "
        "WHERE s.released BETWEEN ? AND ? AND s.parent IS NOT NULL AND r.repo_id IS NULL "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?", [recent.isoformat(), day, top_other]).fetchall()
    return EcosystemFacts(as_of, first_week, [tuple(row) for row in counts], [tuple(row) for row in other], recent,
                          _candidates(db, since, as_of, small_b, pipelines, min_downloads, named_after),
                          _runs(db, day))


def _counts(db: Database, start: str, end: str) -> list[tuple[str, str | None, str | None, str | None, int]]:
    """(Monday, relation, parent family, parent size class, count): two passes over the covering
    index on (released, relation, parent), one for every repo and one for watched parents only,
    whose family and size class come from the lineup tables; the difference is "other"."""
    watched = {row[0]: (row[1], row[2]) for row in db.execute("SELECT repo_id, family, size_class FROM repos")}
    totals: dict[tuple, int] = {}
    for released, relation, n in db.execute(
            "SELECT released, relation, COUNT(*) FROM stream_repos WHERE released BETWEEN ? AND ? GROUP BY 1, 2",
            [start, end]):
        key = (_monday(released), relation, None, None)
        totals[key] = totals.get(key, 0) + n
    for released, relation, parent, n in db.execute(
            "SELECT released, relation, parent, COUNT(*) FROM stream_repos WHERE released BETWEEN ? AND ? "
            "AND parent IN (SELECT repo_id FROM repos) GROUP BY 1, 2, 3", [start, end]):
        family, size_class = watched[parent]
        monday = _monday(released)
        key = (monday, relation, family, size_class)
        totals[key] = totals.get(key, 0) + n
        totals[(monday, relation, None, None)] -= n
    return sorted(((*key, n) for key, n in totals.items() if n), key=lambda row: tuple(str(v) for v in row))


@lru_cache(maxsize=4096)
def _monday(day: str) -> str:
    moment = date.fromisoformat(day)
    return (moment - timedelta(days=moment.weekday())).isoformat()


def _candidates(db: Database, since: date, as_of: date, small_b: float, pipelines: tuple[str, ...],
                min_downloads: int, named_after: list[str]) -> list[dict]:
    """Small originals above the download threshold, and repos named after a generation, in one
    sequential pass (`+released`: most of the table is in range, and reading it in order beats an
    index range with a random row fetch for each)."""
    columns = ("repo_id, author, released, pipeline_tag, params_b, params_source, relation, parent, "
               "downloads, downloads_all_time")
    original = (f"(relation IS NULL AND downloads_all_time >= ? "
                f"AND pipeline_tag IN ({','.join('?' * len(pipelines))}))") if pipelines else "0"
    namesake = ("((relation IS NULL OR relation != 'quantized') AND ("
                + " OR ".join("repo_id LIKE ?" for _ in named_after) + "))") if named_after else "0"
    args = ([min_downloads, *pipelines] if pipelines else []) + [f"%/{name}-%" for name in named_after]
    return db.execute_returning_dicts(
        f"SELECT {columns} FROM stream_repos WHERE +released BETWEEN ? AND ? AND params_b <= ? "
        f"AND ({original} OR {namesake})", [since.isoformat(), as_of.isoformat(), small_b, *args])


def _runs(db: Database, day: str) -> dict:
    """Stream runs up to the day, and whether the stream was read (backfilled) only later; what the
    last good run up to the day could not read (a count, and the first few named "<id>: <why>")."""
    rows = db.execute_returning_dicts("SELECT kind, status, started_at, endpoint, error, skipped, skipped_repos, "
                                      "since, provenance FROM stream_runs ORDER BY id")
    known = [r for r in rows if r["started_at"][:10] <= day]
    ok = [r for r in known if r["status"] == "ok"]
    last = known[-1] if known else None
    return {"runs": len(known), "ok": len(ok), "failed": len(known) - len(ok),
            "last_ok": ok[-1]["started_at"] if ok else None,
            "last_error": last["error"] if last and last["status"] != "ok" else None,
            "backfilled": any(r["kind"] == "backfill" for r in rows),
            "read_later": len(rows) - len(known),
            **_provenance(rows),
            "skipped": (ok[-1]["skipped"] or 0) if ok else 0,
            "skipped_repos": json.loads(ok[-1]["skipped_repos"] or "[]") if ok else []}


def _provenance(rows: list[dict]) -> dict:
    """Where the stored stream came from, by the labels its runs stored (m090), never by the
    endpoint's address: every source and synthetic figure of the runs that stored pages, and the
    earliest day they cover (a backfill's `since`, else the first run's day). A run from before
    labels were kept counts as "not recorded"."""
    stored = [r for r in rows if r["status"] == "ok" or (r["kind"] == "backfill" and r["provenance"])]
    labels = [json.loads(r["provenance"]) if r["provenance"] else None for r in stored]
    known = [label for label in labels if label]
    synthetic = sorted({name for label in known for name in label.get("synthetic", [])})
    sources = list(dict.fromkeys(label.get("source", "replay") for label in known))
    texts = list(dict.fromkeys(label.get("label", "") for label in known))
    starts = [r["since"] if r["kind"] == "backfill" and r["since"] else r["started_at"][:10] for r in stored]
    return {"synthetic": bool(synthetic), "since": min(starts) if starts else None,
            "provenance": {"sources": sources, "labels": texts, "synthetic": synthetic,
                           "unlabelled": sum(1 for label in labels if label is None)} if stored else None}


def ok_poll_days(db: Database, as_of: date) -> list[str]:
    """The days of ok polls up to a day: where an adoption figure can be measured."""
    return [row[0] for row in db.execute(
        "SELECT DISTINCT substr(started_at, 1, 10) FROM polls WHERE status = 'ok' AND substr(started_at, 1, 10) <= ? "
        "ORDER BY 1", [as_of.isoformat()])]


def downloads_on(db: Database, wanted: dict[str, set[str]]) -> dict[str, dict[str, int]]:
    """{poll day: {repo id: all-time downloads}} for the repos wanted on each day, from the raw
    archive's counter columns (a repo's value is the last one seen up to that day)."""
    listed_from = {repo_id: (org, first, last) for repo_id, org, first, last in db.execute(
        "SELECT repo_id, lower(org), first_seen_poll, last_seen_poll FROM repos")}
    return counters_on(db, "downloadsAllTime", wanted, listed_from)


@dataclass(frozen=True)
class ResilienceFacts:
    """The input of analysis/resilience.py: stored counts, not the stream re-read row by row."""

    as_of: date
    first_week: date  # Monday of the first week counted
    # (Monday, parent, new derivatives on it that week, their 30-day downloads as last read)
    counts: list[tuple[str, str, int, int]]
    # every repo of the stream on a base chain of those parents: repo id -> (its parent, its parameters)
    nodes: dict[str, tuple[str | None, float | None]]


def load_resilience(db: Database, as_of: date, first_week: date) -> ResilienceFacts:
    """One grouped pass over the derivatives of the weeks asked for (the covering index on
    (released, relation, parent)), then the chains above their parents by a recursive query on the
    primary key: a parent is walked once however many derivatives it has."""
    if "stream_repos" not in db.table_names():
        return ResilienceFacts(as_of, first_week, [], {})
    start, end = first_week.isoformat(), as_of.isoformat()
    totals: dict[tuple[str, str], list[int]] = {}
    for released, parent, n, downloads in db.execute(
            "SELECT released, parent, COUNT(*), SUM(COALESCE(downloads, 0)) FROM stream_repos "
            "WHERE released BETWEEN ? AND ? AND relation IS NOT NULL AND parent IS NOT NULL GROUP BY 1, 2",
            [start, end]):
        key = (_monday(released), parent)
        slot = totals.setdefault(key, [0, 0])
        slot[0] += n
        slot[1] += downloads or 0
    nodes = {repo_id: (parent, params) for repo_id, parent, params in db.execute(
        "WITH RECURSIVE chain(id) AS ("
        " SELECT DISTINCT parent FROM stream_repos WHERE released BETWEEN ? AND ? AND parent IS NOT NULL"
        " UNION SELECT s.parent FROM stream_repos s JOIN chain c ON s.repo_id = c.id WHERE s.parent IS NOT NULL)"
        " SELECT s.repo_id, s.parent, s.params_b FROM chain c JOIN stream_repos s ON s.repo_id = c.id",
        [start, end])}
    counts = sorted((monday, parent, n, dl) for (monday, parent), (n, dl) in totals.items())
    return ResilienceFacts(as_of, first_week, counts, nodes)


def quantized_copies(db: Database, as_of: date, per_parent: int) -> list[dict]:
    """The community builds of the watched repos (what fits your machine names as where to get a
    model): the stream's repos released by the day whose counted relation is `quantized` and whose
    parent is a watched repo, the `per_parent` most downloaded of each (all-time downloads as last
    read, not as of the day)."""
    if "stream_repos" not in db.table_names() or per_parent <= 0:
        return []
    return db.execute_returning_dicts(
        "SELECT repo_id, parent, library_name, downloads, downloads_all_time, released FROM ("
        " SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.parent ORDER BY COALESCE(s.downloads_all_time, 0) DESC,"
        " s.repo_id) AS rank FROM stream_repos s WHERE s.relation = 'quantized' AND s.released <= ?"
        " AND s.parent IN (SELECT repo_id FROM repos)) WHERE rank <= ? ORDER BY parent, rank",
        [as_of.isoformat(), per_parent])
