"""The raw archive: every listing the Hub returned, kept so that it costs what changed.

On the real Hub every repo's download and like counts move every day, so a repo's JSON is new
every day while the rest of it changes a few times a year. The archive keeps the two apart:
- `raw_docs` + `raw_packs`: each repo's JSON without its volatile counters (`VOLATILE`),
  content-addressed by sha1 of its canonical JSON. The docs first seen in one listing are
  compressed together as one pack (similar documents compress far better together than one by
  one). A repo whose only change is its counters costs no new doc.
- `raw_listings.docs`: the listing's doc ids in the Hub's order, fixed-width (packing.py).
- `raw_listings.counters`: the volatile counters as columns aligned with `docs`, packed (the
  seekable one fixed-width, the others compressed); NULL once retention has thinned them
  (see retention.py).

`load_listings` puts the two back together: the Hub's JSON, as it was, for `rebuild`.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import zlib
from collections.abc import Iterable
from itertools import accumulate

from sqlite_utils import Database

from .packing import (
    Counts,
    counter_column,
    last_position,
    max_int,
    pack_counters,
    pack_ints,
    unpack_counters,
    unpack_ints,
)

# Top-level keys that move between polls without the repo changing.
VOLATILE = ("downloads", "downloadsAllTime", "likes", "trendingScore")
# Hub key -> repos column, for the counters the store keeps per repo.
# The counter the adoption scores read, a few repos at a time from thousands of listings: stored
# fixed-width, so a value is read without decoding its listing's column (packing.py).
SEEKABLE = ("downloadsAllTime",)
COUNTER_COLUMNS = {"downloads": "downloads", "downloadsAllTime": "downloads_all_time", "likes": "likes"}
_CHUNK = 5000  # SQL variables per IN (...) query


def canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def create_tables(db: Database) -> None:
    """The archive's tables (called from the store's migrations only)."""
    db["raw_packs"].create({"id": int, "body": bytes}, pk="id")
    db["raw_docs"].create({"id": int, "repo_id": str, "digest": bytes, "pack": int, "idx": int}, pk="id",
                          foreign_keys=[("pack", "raw_packs", "id")])
    db["raw_docs"].create_index(["digest"], unique=True)


def split_model(model: dict) -> tuple[dict, dict]:
    """(the repo's JSON without volatile counters, the counters)."""
    if not isinstance(model, dict):  # an odd payload is archived as it came
        return model, {}
    doc = {k: v for k, v in model.items() if k not in VOLATILE}
    return doc, {k: model[k] for k in VOLATILE if k in model}


def store_listing(db: Database, models: list[dict]) -> tuple[bytes, bytes]:
    """Store the docs this listing adds; return its (docs, counters) columns."""
    docs, counters = zip(*(split_model(m) for m in models)) if models else ((), ())
    digests = [hashlib.sha1(canonical(doc)).digest() for doc in docs]
    known = _doc_ids(db, digests)
    new = {}
    for digest, doc in zip(digests, docs):
        if digest not in known and digest not in new:
            new[digest] = doc
    if new:
        pack = db["raw_packs"].insert({"body": zlib.compress(canonical(list(new.values())), 9)}).last_pk
        first = (db.execute("SELECT max(id) FROM raw_docs").fetchone()[0] or 0) + 1
        rows = [(first + idx, doc.get("id") if isinstance(doc, dict) else None, digest, pack, idx)
                for idx, (digest, doc) in enumerate(new.items())]
        db.conn.executemany("INSERT INTO raw_docs (id, repo_id, digest, pack, idx) VALUES (?, ?, ?, ?, ?)", rows)
        known.update((digest, doc_id) for doc_id, _, digest, _, _ in rows)
    return pack_ints([known[d] for d in digests]), pack_counters(list(counters), VOLATILE, SEEKABLE)


def _doc_ids(db: Database, digests: list[bytes]) -> dict[bytes, int]:
    found: dict[bytes, int] = {}
    unique = list(dict.fromkeys(digests))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start:start + _CHUNK]
        sql = f"SELECT digest, id FROM raw_docs WHERE digest IN ({','.join('?' * len(chunk))})"
        found.update(db.execute(sql, chunk).fetchall())
    return found


def decode_counters(blob: bytes | None, count: int) -> list[dict]:
    """Each row's counters (none for a listing retention thinned)."""
    return [{} for _ in range(count)] if blob is None else unpack_counters(blob, count)


class DocCache:
    """Docs by id, decoding each pack once: a rebuild reads every listing of the history."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.packs: dict[int, list[dict]] = {}
        self.where: dict[int, tuple[int, int]] = {}

    def docs(self, ids: list[int]) -> list[dict]:
        missing = [i for i in dict.fromkeys(ids) if i not in self.where]
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start:start + _CHUNK]
            sql = f"SELECT id, pack, idx FROM raw_docs WHERE id IN ({','.join('?' * len(chunk))})"
            self.where.update((doc_id, (pack, idx)) for doc_id, pack, idx in self.db.execute(sql, chunk))
        out = []
        for doc_id in ids:
            pack, idx = self.where[doc_id]
            if pack not in self.packs:
                body = self.db.execute("SELECT body FROM raw_packs WHERE id = ?", [pack]).fetchone()[0]
                self.packs[pack] = json.loads(zlib.decompress(body))
            out.append(self.packs[pack][idx])
        return out


def load_listings(db: Database, poll_id: int, cache: DocCache | None = None) -> dict[str, list[dict]]:
    """The raw models of one poll, by org, as the Hub returned them (thinned counters: absent)."""
    cache = cache or DocCache(db)
    listings = {}
    rows = db.execute("SELECT org, docs, counters FROM raw_listings WHERE poll_id = ? ORDER BY org", [poll_id])
    for org, docs, counters in rows.fetchall():
        ids = unpack_ints(docs)
        listings[org] = [{**doc, **moving} for doc, moving in zip(cache.docs(ids), decode_counters(counters, len(ids)))]
    return listings


def load_doc_listings(db: Database, poll_id: int, cache: DocCache) -> dict[str, tuple[list[int], list[dict]]]:
    """{org: (doc ids, docs)} of one poll, without the counters: what `rebuild` replays. A doc id
    is equal exactly when the JSON but its counters is, the key a `Normalizer` reuses records by."""
    rows = db.execute("SELECT org, docs FROM raw_listings WHERE poll_id = ? ORDER BY org", [poll_id]).fetchall()
    return {org: (ids, cache.docs(ids)) for org, docs in rows for ids in [unpack_ints(docs)]}


def counters_on(db: Database, key: str, wanted: dict[str, set[str]],
                listed_from: dict[str, tuple[str, int, int]]) -> dict[str, dict[str, int]]:
    """{day: {repo_id: value}} of one counter (a Hub key): for each day asked, each wanted repo's
    value in the newest kept listing up to that day that has one (the last of a listing winning).

    Reads only the repos it needs from the listings it needs: a day's own poll gives almost every
    value; earlier polls are read only for repos that poll did not give (thinned, null). A repo
    (one with a `repos` row) is looked for only in its org's listings from its first to its last
    poll (`listed_from`: repo id -> (org in lower case, first_seen_poll, last_seen_poll)), as
    `CounterReader` does, and found by its doc ids in the packed listing without decoding it.
    Reading every poll's column instead cost 1.2 s on a year of daily polls (issue 13), decoding
    each listing read 2 s (issue 12). Answers are kept per database file (`_answers`): a backfill
    asks the same days and repos week after week."""
    answers = _answers(db)
    found: dict[str, dict[str, int]] = {}
    asked: dict[str, set[str]] = {}
    for day, repos in wanted.items():
        values, known = found.setdefault(day, {}), answers.setdefault((key, day), {})
        values.update((repo_id, known[repo_id]) for repo_id in repos & known.keys() if known[repo_id] is not None)
        if missing := repos - known.keys():
            asked[day] = missing
    for day, values in (_read_counters(db, key, asked, listed_from) if asked else {}).items():
        found[day].update(values)
        answers[key, day].update({repo_id: values.get(repo_id) for repo_id in asked[day]})
    return found


_ANSWERS: dict[str, tuple[tuple, dict]] = {}  # by database file


def _answers(db: Database) -> dict[tuple[str, str], dict[str, int | None]]:
    """counters_on's answers for this database file: {(key, day): {repo_id: value or None}},
    valid while no poll is added and no counters are thinned (then they start afresh). Kept by
    file, not connection: backfill workers forked after a first report find them warm. An
    in-memory database keeps none."""
    path = db.execute("PRAGMA database_list").fetchone()[2]
    if not path:
        return {}
    version = tuple(db.execute("SELECT (SELECT max(id) FROM polls), count(counters) FROM raw_listings").fetchone())
    if path not in _ANSWERS or _ANSWERS[path][0] != version:
        _ANSWERS[path] = (version, {})
    return _ANSWERS[path][1]


def _read_counters(db: Database, key: str, wanted: dict[str, set[str]],
                   listed_from: dict[str, tuple[str, int, int]]) -> dict[str, dict[str, int]]:
    """counters_on without its answers kept: reads the listings newest first, each org's only for
    the repos of that org still missing that it can hold (listed from their first to their last
    poll), down to the first poll that listed one of them."""
    listings = db.execute("SELECT l.poll_id, lower(l.org), l.org, substr(p.started_at, 1, 10) FROM raw_listings "
                          "AS l JOIN polls AS p ON p.id = l.poll_id WHERE l.counters IS NOT NULL "
                          "ORDER BY l.poll_id, l.org").fetchall()
    # the earliest day from each listing on: no listing past bisect_right(earliest, day) is of the day or before
    earliest = list(accumulate(reversed([listed_on for *_, listed_on in listings]), min))[::-1]
    docs_of: dict[str, list[int]] = {}
    found: dict[str, dict[str, int]] = {}
    for day, repos in wanted.items():
        values, pending = found.setdefault(day, {}), _by_org(repos, listed_from)
        for at in range(bisect.bisect_right(earliest, day) - 1, -1, -1):
            poll_id, org_key, org, listed_on = listings[at]
            if not pending:
                break
            if listed_on > day or (place := pending.get(org_key)) is None:
                continue
            missing, floor = place
            if candidates := {repo_id for repo_id in missing
                              if listed_from[repo_id][1] <= poll_id <= listed_from[repo_id][2]}:
                docs_of = docs_of or _docs_by_repo(db)
                hit = _listed_counts(db, poll_id, org, key, candidates, docs_of)
                values.update(hit)
                missing.difference_update(hit)
                if hit and missing:
                    floor = place[1] = min(listed_from[repo_id][1] for repo_id in missing)
            if not missing or poll_id < floor:  # not <=: another listing of the floor poll may share the org's name
                del pending[org_key]
    return found


def _by_org(repos: set[str], listed_from: dict[str, tuple[str, int, int]]) -> dict[str, list]:
    """{org: [its repos, the first poll that listed one of them]}."""
    by_org: dict[str, list] = {}
    for repo_id in repos:
        org, first, _ = listed_from[repo_id]
        if (place := by_org.get(org)) is None:
            by_org[org] = [{repo_id}, first]
        else:
            place[0].add(repo_id)
            place[1] = min(place[1], first)
    return by_org


def _docs_by_repo(db: Database) -> dict[str, list[int]]:
    """Every doc id of each repo, newest first: a repo has a new doc whenever its JSON but the
    counters changed, and a listing holds its newest doc of the time."""
    docs_of: dict[str, list[int]] = {}
    for doc_id, repo_id in db.execute("SELECT id, repo_id FROM raw_docs ORDER BY id DESC"):
        docs_of.setdefault(repo_id, []).append(doc_id)
    return docs_of


def _listed_counts(db: Database, poll_id: int, org: str, key: str, repos: set[str],
                   docs_of: dict[str, list[int]]) -> dict[str, int]:
    """{repo_id: count} of the repos one listing holds with a count (the last of the listing
    winning): each repo's doc ids are sought in the packed doc ids, without decoding the listing."""
    docs, counters = db.execute("SELECT docs, counters FROM raw_listings WHERE poll_id = ? AND org = ?",
                                [poll_id, org]).fetchone()
    counts, hit = Counts(counters, key), {}
    if counts.found:
        newest = max_int(docs)
        for repo_id in repos:
            last = -1
            for doc_id in docs_of.get(repo_id, ()):  # newest first: once found, older docs are sought after it only
                if doc_id <= newest and (at := last_position(docs, doc_id, after=last)) > last:
                    while at > last and counts.at(at) is None:  # listed there without a count
                        at = last_position(docs, doc_id, after=last, before=at)
                    last = max(last, at)
            if last >= 0:
                hit[repo_id] = counts.at(last)
    return hit


class CounterReader:
    """A repo's counters as of a poll, from the counter columns of the listings.

    The repos row holds the counters of the last poll that listed the repo, so the latest state
    needs no decoding; earlier polls (trend points, `--as-of`) decode one org's columns of one
    poll once.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._repo_of: dict[int, str] | None = None
        self._cache: dict[tuple[int, str, str], dict[str, int | None]] = {}
        listed = db.execute("SELECT poll_id, min(counters IS NOT NULL), max(counters IS NOT NULL) "
                            "FROM raw_listings GROUP BY poll_id ORDER BY poll_id").fetchall()
        self.kept = [poll_id for poll_id, every, _ in listed if every]  # every org's counters kept
        self._some = [poll_id for poll_id, _, some in listed if some]

    def _values(self, poll_id: int, org: str, key: str) -> dict[str, int | None]:
        """{repo_id: count} for one counter of one org's listing of one poll (empty when thinned)."""
        cache_key = (poll_id, org.lower(), key)
        if cache_key not in self._cache:
            if self._repo_of is None:
                self._repo_of = dict(self.db.execute("SELECT id, repo_id FROM raw_docs").fetchall())
            values: dict[str, int | None] = {}
            for docs, counters in self.db.execute("SELECT docs, counters FROM raw_listings WHERE poll_id = ? "
                                                  "AND lower(org) = ? AND counters IS NOT NULL", cache_key[:2]):
                column = counter_column(counters, key)  # absent keys read as None
                repos = map(self._repo_of.__getitem__, unpack_ints(docs))
                # `type(...) is int` is _count for decoded JSON (no bools, no floats), at a third of the cost
                values = dict(zip(repos, [v if type(v) is int else None for v in column])) if column \
                    else dict.fromkeys(repos)
            self._cache[cache_key] = values
        return self._cache[cache_key]

    def as_of(self, poll_id: int | None, repo: dict, key: str = "downloads") -> int | None:
        """One counter (a Hub key of COUNTER_COLUMNS) of a repo as of a poll. `repo` is its repos
        row (repo_id, org, first_seen_poll, last_seen_poll and the counter columns); `poll_id`
        None means before any poll: its first listed counters."""
        if poll_id is not None and repo["first_seen_poll"] <= poll_id:
            if repo["last_seen_poll"] <= poll_id:
                return repo[COUNTER_COLUMNS[key]]
            newest_first = range(bisect.bisect_right(self._some, poll_id) - 1, -1, -1)
            if (value := self._first_listed(newest_first, repo, key)) is not _NOT_LISTED:
                return value
        oldest_first = range(bisect.bisect_left(self._some, repo["first_seen_poll"]), len(self._some))
        value = self._first_listed(oldest_first, repo, key)
        return None if value is _NOT_LISTED else value

    def many_as_of(self, poll_id: int, repos: Iterable[dict], key: str = "downloads") -> dict[str, int | None]:
        """`as_of` of many repos at one poll: a repo that poll listed is read from its org's column
        directly (a trend point reads thousands); the others go through `as_of`."""
        found: dict[str, int | None] = {}
        columns: dict[str, dict[str, int | None]] = {}  # org -> that poll's column
        for repo in repos:
            listed = _NOT_LISTED
            if repo["first_seen_poll"] <= poll_id < repo["last_seen_poll"]:
                if (column := columns.get(repo["org"])) is None:
                    column = columns[repo["org"]] = self._values(poll_id, repo["org"], key)
                listed = column.get(repo["repo_id"], _NOT_LISTED)
            found[repo["repo_id"]] = self.as_of(poll_id, repo, key) if listed is _NOT_LISTED else listed
        return found

    def _first_listed(self, positions: range, repo: dict, key: str) -> object:
        for i in positions:
            if (value := self._values(self._some[i], repo["org"], key).get(repo["repo_id"], _NOT_LISTED)) \
                    is not _NOT_LISTED:
                return value
        return _NOT_LISTED


_NOT_LISTED = object()
