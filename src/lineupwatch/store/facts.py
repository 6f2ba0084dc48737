"""What the database knew on a given day: the input of every analysis.

`load_facts(db, as_of)` is the only place that reads the database for analysis. Repos no poll had
listed by `as_of`, polls, observations and events after it are invisible, so a report `--as-of` an
earlier date equals the one written on that date. Where no poll happened by `as_of` (a backfill
from a later poll), the repos released by then (by their release date, which is then `createdAt`)
are shown with the state of the first observation of them, and the facts say so.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date

from sqlite_utils import Database

from .raw_archive import CounterReader

# Points of the adoption trend: at most this many polls, spread evenly over the history.
TREND_POINTS = 12


@dataclass(frozen=True)
class Repo:
    repo_id: str
    family: str
    name: str
    generation: str | None
    line: str
    variant: str
    quantized: bool
    size_label: str | None
    entry_key: str | None
    params_total_b: float | None
    params_active_b: float | None
    size_class: str | None
    created: date | None  # the Hub's createdAt (None when the Hub sent none)
    released: date  # the release date: first seen by a poll, or createdAt (released_from says which)
    released_from: str  # "seen" | "created"
    first_seen: date  # the day of the first poll that listed it
    release_tag: str | None
    license: str | None
    gated: str
    base_models: tuple[tuple[str, str], ...]
    downloads: int | None = None
    children_model_count: int | None = None
    removed: bool = False
    undated: bool = False  # the Hub sent no createdAt: dated by the first poll that saw it
    line_source: str = "name"  # which rule decided the line (lines.py)
    library: str | None = None  # the Hub's library_name (gguf, mlx: a format copy whatever its name)


@dataclass(frozen=True)
class OrgState:
    """One watched org over the polls that stored data: wholly failed polls are the monitor's
    business (monitor_health), so they neither extend nor break an org's streak."""

    org: str
    failed_polls: int  # stored polls in a row, up to the latest, in which this org failed
    failing_since: str | None  # started_at of the first poll of that streak
    last_ok: str | None  # started_at of the org's last complete listing
    reason: str | None  # the latest failure's reason

    @property
    def stale(self) -> bool:
        return self.failed_polls > 0


@dataclass(frozen=True)
class Poll:
    id: int
    started_at: str
    status: str  # ok | partial (some orgs failed, the others stored) | failed
    error: str | None
    warnings: str | None = None  # JSON list of the poll's data-health notes
    provenance: str | None = None  # JSON label the answers carried (m090); None: polled before it was kept

    @property
    def stored(self) -> bool:
        """The poll stored data: every org, or the complete ones of a partial poll."""
        return self.status in ("ok", "partial")


@dataclass(frozen=True)
class Facts:
    as_of: date
    repos: list[Repo]
    polls: list[Poll]
    events: list[dict]
    # (poll date, {repo_id: (downloads, children_model_count)}) for the adoption trend
    trend: list[tuple[str, dict[str, tuple[int | None, int | None]]]] = field(default_factory=list)
    backfilled: bool = False
    orgs: dict[str, OrgState] = field(default_factory=dict)


def load_facts(db: Database, as_of: date, trend_family: str | None = None) -> Facts:
    """`trend_family`: the family whose adoption trend the report charts (the trend re-reads the
    state at up to TREND_POINTS polls, so it is read only when asked, for one family)."""
    day = as_of.isoformat()
    polls = [Poll(*row) for row in db.execute(
        "SELECT id, started_at, status, error, warnings, provenance FROM polls WHERE substr(started_at, 1, 10) <= ? ORDER BY id", [day])]
    ok_polls = [p for p in polls if p.stored]
    last_poll = ok_polls[-1].id if ok_polls else None
    state = _state_at(db, last_poll)
    counters = CounterReader(db)
    repos = []
    # Known by then: listed by a poll up to that day; or, before any poll, released by then.
    visible = ("substr(first_seen_at, 1, 10) <= ?" if last_poll is not None
               else "substr(COALESCE(released_at, first_seen_at), 1, 10) <= ?")
    for row in _rows(db, f"SELECT {_REPO_COLUMNS} FROM repos WHERE {visible} ORDER BY released_at, repo_id", [day]):
        observed = state.get(row["repo_id"]) or _first_observation(db, row["repo_id"])
        if observed is None:
            continue
        seen_by = last_poll if row["repo_id"] in state else None
        removed = row["removed_at"] is not None and row["removed_at"][:10] <= day
        repos.append(_repo(row, observed, counters.as_of(seen_by, row), removed))
    events = db.execute_returning_dicts(
        "SELECT * FROM events WHERE substr(at, 1, 10) <= ? AND kind != 'added' ORDER BY id", [day])
    trend = _trend(db, counters, ok_polls, trend_family) if trend_family else []
    return Facts(as_of, repos, polls, events, trend, backfilled=last_poll is None, orgs=_org_states(db, day))


# What _repo and CounterReader.as_of read (a backfill reads 11,000 rows a week: not all 40 columns).
_REPO_COLUMNS = ", ".join((
    "repo_id", "org", "family", "name", "generation", "line", "variant", "quantized", "size_label", "entry_key",
    "params_total_b", "params_active_b", "size_class", "created_at", "released_at", "released_from", "release_tag",
    "first_seen_at", "first_seen_poll", "last_seen_poll", "removed_at", "base_models", "line_source", "library_name",
    "downloads"))


def _repo(row: sqlite3.Row, observed: sqlite3.Row, downloads: int | None, removed: bool) -> Repo:
    return Repo(
        repo_id=row["repo_id"], family=row["family"], name=row["name"], generation=row["generation"],
        line=row["line"], variant=row["variant"], quantized=bool(row["quantized"]), size_label=row["size_label"],
        entry_key=row["entry_key"], params_total_b=row["params_total_b"], params_active_b=row["params_active_b"],
        size_class=row["size_class"], created=_day(row["created_at"]),
        released=_day(row["released_at"]) or _day(row["first_seen_at"]),
        released_from=row["released_from"] or "created", release_tag=row["release_tag"],
        first_seen=_day(row["first_seen_at"]),
        license=observed["license"], gated=observed["gated"] or "false",
        base_models=_base_models(row["base_models"]),
        downloads=downloads, children_model_count=observed["children_model_count"], removed=removed,
        undated=not row["created_at"], line_source=row["line_source"] or "name", library=row["library_name"],
    )


def _base_models(text: str | None) -> tuple[tuple[str, str], ...]:
    """Most repos have none: no JSON to parse for them."""
    return tuple(tuple(pair) for pair in json.loads(text)) if text and text != "[]" else ()


def _day(text: str | None) -> date | None:
    """The date of an ISO timestamp; None for a missing or unreadable one (never a crash)."""
    return _date(text[:10]) if text else None


@functools.lru_cache(maxsize=4096)
def _date(text: str) -> date | None:
    """Cached: a backfill reads the same few hundred days week after week, for 11,000 repos."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _org_states(db: Database, day: str) -> dict[str, OrgState]:
    """Each org's streak of failures over the polls that stored data, as of a day."""
    if "poll_orgs" not in db.table_names():  # a database from before per-org polls
        return {}
    rows = db.execute(
        "SELECT o.org, o.status, o.reason, p.started_at FROM poll_orgs AS o JOIN polls AS p ON p.id = o.poll_id "
        "WHERE p.status IN ('ok', 'partial') AND substr(p.started_at, 1, 10) <= ? ORDER BY p.id", [day])
    states: dict[str, OrgState] = {}
    for org, status, reason, started in rows:
        old = states.get(org) or OrgState(org, 0, None, None, None)
        if status == "ok":
            states[org] = OrgState(org, 0, None, started, None)
        else:
            states[org] = OrgState(org, old.failed_polls + 1, old.failing_since or started, old.last_ok, reason)
    return states


# Each repo's latest observation as of a poll: one index seek per repo on (repo_id, poll_id), so
# the cost follows the number of repos, not the length of the history.
_LATEST_OBSERVATION = """SELECT {columns} FROM repos AS r JOIN observations AS o ON o.id = (
    SELECT id FROM observations WHERE repo_id = r.repo_id AND poll_id <= ? ORDER BY poll_id DESC, id DESC LIMIT 1)"""


def _state_at(db: Database, poll_id: int | None) -> dict[str, sqlite3.Row]:
    """Each repo's latest observation as of a poll (observations are written only on change)."""
    if poll_id is None:
        return {}
    return {row["repo_id"]: row for row in _rows(db, _LATEST_OBSERVATION.format(columns="o.*"), [poll_id])}


def _first_observation(db: Database, repo_id: str) -> sqlite3.Row | None:
    return _rows(db, "SELECT * FROM observations WHERE repo_id = ? ORDER BY id LIMIT 1", [repo_id]).fetchone()


def _rows(db: Database, sql: str, params: list) -> sqlite3.Cursor:
    """Rows read by name in C (sqlite3.Row): a backfill reads 11,000 of them a week."""
    cursor = db.conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, params)


def _trend(db: Database, counters: CounterReader, ok_polls: list[Poll], family: str) -> list[tuple[str, dict]]:
    """One family's (downloads, child count) per repo at up to TREND_POINTS polls, sampled from
    the polls whose counters retention kept (every poll, unless thinned). One sweep over the
    family's observations (written only on change) gives the child counts at every point."""
    kept = set(counters.kept)
    ok_polls = [p for p in ok_polls if p.id in kept]
    if not ok_polls:
        return []
    step = max(1, -(-len(ok_polls) // TREND_POINTS))
    sampled = ok_polls[::-1][::step][::-1]
    repos = {row["repo_id"]: row for row in db.execute_returning_dicts(
        "SELECT repo_id, org, first_seen_poll, last_seen_poll, downloads FROM repos WHERE family = ?", [family])}
    changes = db.execute("SELECT o.repo_id, o.poll_id, o.children_model_count FROM observations AS o JOIN repos AS r "
                         "ON r.repo_id = o.repo_id WHERE r.family = ? ORDER BY o.poll_id, o.id", [family]).fetchall()
    children: dict[str, int | None] = {}  # as of the current point; a repo is in it once observed
    trend, done = [], 0
    for poll in sampled:
        while done < len(changes) and changes[done][1] <= poll.id:
            children[changes[done][0]] = changes[done][2]
            done += 1
        downloads = counters.many_as_of(poll.id, [repos[repo_id] for repo_id in children])
        state = {repo_id: (downloads[repo_id], count) for repo_id, count in children.items()}
        trend.append((poll.started_at[:10], state))
    return trend
