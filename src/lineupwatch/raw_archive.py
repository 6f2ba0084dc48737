"""The raw archive: every listing the Hub returned, kept so that it costs what changed.

On the real Hub every repo's download and like counts move every day, so a repo's JSON is new
every day while the rest of it changes a few times a year. The archive keeps the two apart:
- `raw_docs` + `raw_packs`: each repo's JSON without its volatile counters (`VOLATILE`),
  content-addressed by sha1 of its canonical JSON. The docs first seen in one listing are
  compressed together as one pack (similar documents compress far better together than one by
  one). A repo whose only change is its counters costs no new doc.
- `raw_listings.docs`: the listing's doc ids in the Hub's order, delta-coded and compressed.
- `raw_listings.counters`: the volatile counters as columns aligned with `docs`, compressed;
  NULL once retention has thinned them (see retention.py).

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

from .normalize import _count

# Top-level keys that move between polls without the repo changing.
VOLATILE = ("downloads", "downloadsAllTime", "likes", "trendingScore")
# Hub key -> repos column, for the counters the store keeps per repo.
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
    return encode_ints([known[d] for d in digests]), encode_counters(list(counters))


def _doc_ids(db: Database, digests: list[bytes]) -> dict[bytes, int]:
    found: dict[bytes, int] = {}
    unique = list(dict.fromkeys(digests))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start:start + _CHUNK]
        sql = f"SELECT digest, id FROM raw_docs WHERE digest IN ({','.join('?' * len(chunk))})"
        found.update(db.execute(sql, chunk).fetchall())
    return found


def encode_ints(values: list[int]) -> bytes:
    """Doc ids in listing order: mostly runs (+1, unchanged neighbours), so deltas compress to little."""
    deltas = [b - a for a, b in zip([0, *values], values)]
    return zlib.compress(canonical(deltas), 9)


def decode_ints(blob: bytes) -> list[int]:
    """The running sum in C (`accumulate`): the adoption scores decode over a hundred listings."""
    return list(accumulate(json.loads(zlib.decompress(blob))))


def encode_counters(rows: list[dict]) -> bytes:
    """One column per counter key; `absent` lists the positions where the Hub sent no such key, so
    a missing key, a null and a value all come back as they were."""
    columns, absent = {}, {}
    for key in VOLATILE:
        present = [key in row for row in rows]
        if any(present):
            columns[key] = [row.get(key) for row in rows]
            if not all(present):
                absent[key] = [i for i, here in enumerate(present) if not here]
    return zlib.compress(canonical({"columns": columns, "absent": absent}), 9)


_DECODER = json.JSONDecoder()


def counter_column(blob: bytes, key: str) -> list | None:
    """One column of an encoded counters blob (None if the listing has no such key), parsing that
    column alone: the adoption scores and trends read one of up to four, from hundreds of listings.
    The blob is canonical JSON: `"<key>":[` after `"columns":` can only be that column's start,
    since a quote inside a JSON string is escaped."""
    text = zlib.decompress(blob).decode()
    start = text.find(f'"{key}":[', text.index('"columns":'))
    return None if start < 0 else _DECODER.raw_decode(text, start + len(key) + 3)[0]


def decode_counters(blob: bytes | None, count: int) -> list[dict]:
    if blob is None:  # thinned by retention
        return [{} for _ in range(count)]
    data = json.loads(zlib.decompress(blob))
    rows: list[dict] = [{} for _ in range(count)]
    for key, column in data["columns"].items():
        missing = set(data["absent"].get(key, ()))
        for i, value in enumerate(column):
            if i not in missing:
                rows[i][key] = value
    return rows


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
        ids = decode_ints(docs)
        listings[org] = [{**doc, **moving} for doc, moving in zip(cache.docs(ids), decode_counters(counters, len(ids)))]
    return listings


def load_doc_listings(db: Database, poll_id: int, cache: DocCache) -> dict[str, tuple[list[int], list[dict]]]:
    """{org: (doc ids, docs)} of one poll, without the counters: what `rebuild` replays. A doc id
    is equal exactly when the JSON but its counters is, the key a `Normalizer` reuses records by."""
    rows = db.execute("SELECT org, docs FROM raw_listings WHERE poll_id = ? ORDER BY org", [poll_id]).fetchall()
    return {org: (ids, cache.docs(ids)) for org, docs in rows for ids in [decode_ints(docs)]}


def counters_on(db: Database, key: str, wanted: dict[str, set[str]],
                listed_from: dict[str, tuple[str, int]]) -> dict[str, dict[str, int]]:
    """{day: {repo_id: value}} of one counter (a Hub key): for each day asked, each wanted repo's
    value in the newest kept listing up to that day that has one (the last of a listing winning).

    Reads only the listings it needs, each decoded once: a day's own poll gives almost every
    value; earlier polls are read only for repos that poll did not give (thinned, removed). A
    repo (one with a `repos` row) is looked for only in its org's listings from its first poll on
    (`listed_from`: repo id -> (org, first_seen_poll)), as `CounterReader` does. Reading every poll's
    column instead cost 1.2 s on a year of daily polls (issue 13). Answers are kept per database
    file (`_answers`): a backfill asks the same days and repos week after week."""
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
                   listed_from: dict[str, tuple[str, int]]) -> dict[str, dict[str, int]]:
    """counters_on without its answers kept: reads the listings."""
    listings = db.execute("SELECT l.poll_id, lower(l.org), l.org, substr(p.started_at, 1, 10) FROM raw_listings "
                          "AS l JOIN polls AS p ON p.id = l.poll_id WHERE l.counters IS NOT NULL "
                          "ORDER BY l.poll_id, l.org").fetchall()
    decoded: dict[tuple[int, str], dict[str, int]] = {}
    repo_of: dict[int, str] = {}
    found: dict[str, dict[str, int]] = {}
    for day, repos in wanted.items():
        values, missing = found.setdefault(day, {}), set(repos)
        orgs, floor = _where_listed(missing, listed_from)
        for poll_id, org_key, org, listed_on in reversed(listings):
            if not missing or poll_id < floor:
                break
            if listed_on > day or org_key not in orgs:
                continue
            if (poll_id, org) not in decoded:
                repo_of = repo_of or dict(db.execute("SELECT id, repo_id FROM raw_docs").fetchall())
                decoded[poll_id, org] = _listing_counts(db, poll_id, org, key, repo_of)
            if hit := missing & decoded[poll_id, org].keys():
                values.update((repo_id, decoded[poll_id, org][repo_id]) for repo_id in hit)
                missing -= hit
                orgs, floor = _where_listed(missing, listed_from)
    return found


def _where_listed(repos: set[str], listed_from: dict[str, tuple[str, int]]) -> tuple[set[str], int]:
    """The orgs (lower case) whose listings can hold these repos, and the first poll that can."""
    places = [listed_from[repo_id] for repo_id in repos]
    return {org.lower() for org, _ in places}, min((poll_id for _, poll_id in places), default=0)


def _listing_counts(db: Database, poll_id: int, org: str, key: str, repo_of: dict[int, str]) -> dict[str, int]:
    """{repo_id: value} of one counter in one listing, skipping values that are not counts."""
    docs, counters = db.execute("SELECT docs, counters FROM raw_listings WHERE poll_id = ? AND org = ?",
                                [poll_id, org]).fetchone()
    column = counter_column(counters, key) or ()
    # `type(...) is int` is _count for decoded JSON (no bools, no floats), at a third of the cost
    return {repo_of[doc_id]: value for doc_id, value in zip(decode_ints(docs), column) if type(value) is int}


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
                ids = decode_ints(docs)
                values = {self._repo_of[d]: _count(column[i]) if column else None for i, d in enumerate(ids)}
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
