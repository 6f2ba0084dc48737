"""The storage layout: counters apart from the raw archive, the in-place migration, retention, vacuum."""

from __future__ import annotations

import gzip
import json
import sqlite3
import zlib
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate
from pathlib import Path

import pytest

from conftest import bundled_models, run_cli, write_config
from lineupwatch.store import database as store
from lineupwatch.store import packing, raw_archive
from lineupwatch.analysis.adoption import adoption_scores, wanted_downloads
from lineupwatch.analysis.entries import build_entries
from lineupwatch.config.settings import load_config
from lineupwatch.stream.facts import downloads_on, ok_poll_days
from lineupwatch.store.facts import load_facts
from lineupwatch.normalize.records import normalize_repos
from lineupwatch.normalize.payload import timestamp
from lineupwatch.ops.poll import run_poll
from lineupwatch.store.raw_archive import COUNTER_COLUMNS, CounterReader, load_listings
from lineupwatch.replay.server import ReplayHub
from lineupwatch.store.retention import polls_to_thin
from synthetic import model

LEGACY = Path(__file__).parents[1] / "data" / "legacy" / "legacy-m002.db.gz"
OLD_COUNTERS = ("downloads", "downloads_all_time", "likes")


def derived(db) -> dict[str, list[dict]]:
    return {table: list(store.dump_table(db, table)) for table in store.DERIVED_TABLES}


# --- the layout ----------------------------------------------------------------------------------

def test_a_counter_only_change_costs_no_raw_doc_and_rebuild_restores_the_counters(hub: ReplayHub, tmp_path: Path) -> None:
    config_path = write_config(tmp_path, hub.url, children_budget=1000)  # every child count in the first poll
    run_cli("poll", "--config", str(config_path))
    db = store.open_db(load_config(config_path).database_path)
    docs, observations = db["raw_docs"].count, db["observations"].count
    models = bundled_models()
    for i, model in enumerate(models):
        model["downloads"] = model.get("downloads", 0) + i
        model["likes"] = model.get("likes", 0) + 1
    committed = next(m for m in models if m["id"] == "Qwen/Qwen3.5-9B")
    committed["lastModified"] = "2026-11-23T09:00:00.000Z"
    hub.set_models(models)
    run_cli("poll", "--config", str(config_path))

    assert db["raw_docs"].count == docs + 1  # only the new commit's JSON
    new_rows = list(db["observations"].rows_where("poll_id = 2"))
    assert [r["repo_id"] for r in new_rows] == ["Qwen/Qwen3.5-9B"]  # and no row for counters
    assert db["observations"].count == observations + 1
    served = {m["id"]: m for m in models}
    archived = [m for listing in store.load_listings(db, 2).values() for m in listing]
    assert len(archived) == len(models)
    for model in archived:  # the Hub's JSON (the listing's expand fields), counters back in place
        assert {"downloads", "likes"} <= set(model)
        assert model == {key: served[model["id"]][key] for key in model}
    assert db["repos"].get("Qwen/Qwen3.5-9B")["downloads"] == committed["downloads"]

    before = derived(db)
    run_cli("rebuild", "--config", str(config_path))
    assert derived(db) == before


def test_facts_read_counters_as_of_each_poll(hub: ReplayHub, config_path: Path) -> None:
    config = load_config(config_path)
    db = store.open_db(config.database_path)
    days = [datetime(2026, 11, d, 6, tzinfo=timezone.utc) for d in (2, 9, 16)]
    for n, moment in enumerate(days):
        hub.set_models([{**m, "downloads": 1000 * n + i} for i, m in enumerate(bundled_models())])
        run_poll(config, db, endpoint=hub.url, now=lambda moment=moment: moment)
    index = next(i for i, m in enumerate(bundled_models()) if m["id"] == "Qwen/Qwen3.5-9B")
    for n, moment in enumerate(days):
        facts = load_facts(db, moment.date(), trend_family="Qwen")
        assert {r.repo_id: r.downloads for r in facts.repos}["Qwen/Qwen3.5-9B"] == 1000 * n + index
        assert [(day, state["Qwen/Qwen3.5-9B"][0]) for day, state in facts.trend] == [
            (d.date().isoformat(), 1000 * k + index) for k, d in enumerate(days[:n + 1])]


# --- the migration -------------------------------------------------------------------------------

def _legacy_copy(tmp_path: Path) -> Path:
    path = tmp_path / "db" / "lineupwatch.db"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.decompress(LEGACY.read_bytes()))
    return path


def _one_format(table: str, row: dict) -> dict:
    """A row as m120 leaves it: the Hub's timestamps in the one stored form, nothing else changed."""
    for column in store.HUB_TIMESTAMPS.get(table, ()):
        if column in row:
            row[column] = timestamp(row[column]) or row[column]
    return row


def _old_state(path: Path) -> dict:
    """Everything the 0.1.0 layout says, read with plain SQL: the derived tables, the raw JSON of
    every poll, and every repo's counters as of every poll."""
    old = sqlite3.connect(path)
    old.row_factory = sqlite3.Row
    blob = lambda digest: json.loads(zlib.decompress(  # noqa: E731
        old.execute("SELECT body FROM raw_blobs WHERE hash = ?", [digest]).fetchone()[0]))
    state = {table: [_one_format(table, dict(r)) for r in old.execute(f"SELECT * FROM {table} ORDER BY {order}")]
             for table, order in (("repos", "repo_id"), ("events", "id"), ("observations", "id"))}
    state["listings"] = {}
    for poll_id, org, manifest in old.execute("SELECT poll_id, org, manifest FROM raw_listings"):
        state["listings"].setdefault(poll_id, {})[org] = [blob(d) for d in blob(manifest)]
    state["counters"] = {}
    for (poll_id,) in old.execute("SELECT id FROM polls WHERE status = 'ok'"):
        rows = old.execute("""SELECT repo_id, downloads, downloads_all_time, likes FROM observations AS o
            WHERE id = (SELECT id FROM observations WHERE repo_id = o.repo_id AND poll_id <= ?
                        ORDER BY poll_id DESC, id DESC LIMIT 1)""", [poll_id])
        state["counters"][poll_id] = {r["repo_id"]: {c: r[c] for c in OLD_COUNTERS} for r in rows}
    old.close()
    return state


def test_a_database_of_the_0_1_0_release_migrates_in_place_and_loses_nothing(tmp_path: Path) -> None:
    path = _legacy_copy(tmp_path)
    before = _old_state(path)
    config_path = write_config(tmp_path, "http://127.0.0.1:9")
    size_before = path.stat().st_size

    output = run_cli("vacuum", "--config", str(config_path)).output  # opens (migrates), then vacuums
    assert "thinned the counters of 0 polls" in output
    db = store.open_db(path)
    assert "raw_blobs" not in db.table_names()
    # derived tables: repos and events exactly; observations keep the metadata changes only
    columns = list(before["repos"][0])
    assert [{c: r[c] for c in columns} for r in store.dump_table(db, "repos")] == before["repos"]
    assert list(store.dump_table(db, "events")) == before["events"]
    metadata = [{k: r[k] for k in ("repo_id", "poll_id", "observed_at", *store.OBSERVED)} for r in before["observations"]]
    kept, last = [], {}
    for row in metadata:
        values = tuple(row[c] for c in store.OBSERVED)
        if last.get(row["repo_id"]) != values:
            last[row["repo_id"]] = values
            kept.append(row)
    assert 0 < len(kept) < len(metadata)
    assert list(store.dump_table(db, "observations")) == [{"id": i, **row} for i, row in enumerate(kept, start=1)]
    # the raw archive: every poll's JSON as the Hub sent it, odd payloads included
    for poll_id, listings in before["listings"].items():
        assert store.load_listings(db, poll_id) == listings
    odd = before["listings"][4]
    assert any("likes" not in m for ms in odd.values() for m in ms)
    assert any(m.get("downloads", 0) is None for ms in odd.values() for m in ms)
    # every repo's counters as of every poll
    reader = CounterReader(db)
    repos = {r["repo_id"]: r for r in db["repos"].rows}
    for poll_id, counters in before["counters"].items():
        assert {r: {col: reader.as_of(poll_id, repos[r], key) for key, col in COUNTER_COLUMNS.items()}
                for r in counters} == counters
    assert path.stat().st_size < size_before

    # rebuild re-derives (with today's normalize rules) exactly what live polls of the migrated
    # archive store: replay every archived poll into a fresh database through the poll's save path
    assert "rebuilt from 4 polls" in run_cli("rebuild", "--config", str(config_path)).output
    config = load_config(config_path)
    fresh = store.open_db(tmp_path / "fresh.db")
    for poll in db["polls"].rows_where(order_by="id"):
        listings, children = store.load_listings(db, poll["id"]), store.load_children(db, poll["id"])
        with fresh.atomic():
            store.insert_poll(fresh, poll)
            for org, models in listings.items():
                store.archive_listing(fresh, poll["id"], org, models, 1)
            store.archive_children(fresh, poll["id"], children, poll["started_at"])
            records = normalize_repos([m for org in json.loads(poll["orgs"]) for m in listings[org]], config)
            store.save_poll_records(fresh, poll["id"], poll["started_at"], records, children, listings.keys())
    assert derived(db) == derived(fresh)


def test_the_migration_is_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _legacy_copy(tmp_path)

    def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "_drop_counter_observations", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        store.open_db(path)
    old = sqlite3.connect(path)
    tables = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "raw_blobs" in tables and "raw_docs" not in tables
    applied = {r[0] for r in old.execute("SELECT name FROM _sqlite_migrations")}
    assert "m002_alert_log" in applied and "m020_counters_apart" not in applied
    old.close()
    monkeypatch.undo()
    assert "raw_docs" in store.open_db(path).table_names()  # the next start migrates it


def _json_listings(path: Path) -> dict[int, dict[str, list[dict]]]:
    """Every listing of a database of the release before m070, decoded with plain SQL and JSON
    (doc ids delta-coded, counters as JSON columns), independent of the code under test."""
    old = sqlite3.connect(path)
    packs = {i: json.loads(zlib.decompress(body)) for i, body in old.execute("SELECT id, body FROM raw_packs")}
    where = {i: (pack, idx) for i, pack, idx in old.execute("SELECT id, pack, idx FROM raw_docs")}
    listings: dict[int, dict[str, list[dict]]] = {}
    for poll_id, org, docs, counters in old.execute("SELECT poll_id, org, docs, counters FROM raw_listings"):
        ids = list(accumulate(json.loads(zlib.decompress(docs))))
        data = json.loads(zlib.decompress(counters))
        models = [dict(packs[where[doc_id][0]][where[doc_id][1]]) for doc_id in ids]
        for key, column in data["columns"].items():
            for i, value in enumerate(column):
                if i not in data["absent"].get(key, ()):
                    models[i][key] = value
        listings.setdefault(poll_id, {})[org] = models
    old.close()
    return listings


def _rows(db, table: str, columns: list[str] | None = None) -> list[tuple]:
    """A table's rows, sorted; only `columns` when given (a later migration may add one)."""
    names = ", ".join(f"[{c}]" for c in columns) if columns else "*"
    return sorted(db.execute(f"SELECT {names} FROM [{table}]").fetchall(), key=repr)


def test_a_database_with_json_counter_columns_migrates_to_packed_columns_and_reads_the_same(tmp_path: Path) -> None:
    """legacy-m060.db.gz: four polls written by the release before m070 (make_legacy_db.py), its
    last listing with odd counters (a float, a string, a bool, counts past 32 and 64 bits)."""
    path = tmp_path / "db" / "lineupwatch.db"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.decompress((LEGACY.parent / "legacy-m060.db.gz").read_bytes()))
    listings = _json_listings(path)
    odd = [m for models in listings[4].values() for m in models]
    assert {2 ** 40, "12", -(2 ** 63)} <= {m.get("downloadsAllTime") for m in odd}
    assert any(m.get("downloads") is True for m in odd) and any(m.get("likes") == 1.5 for m in odd)
    old = store.Database(sqlite3.connect(path))
    tables = [t for t in old.table_names() if t not in ("raw_listings", "_sqlite_migrations")]
    columns = {table: [c.name for c in old[table].columns] for table in tables}
    before = {table: sorted((tuple(_one_format(table, dict(zip(columns[table], row))).values())
                             for row in _rows(old, table)), key=repr) for table in tables}  # m120: one format
    old.close()
    config_path = write_config(tmp_path, "http://127.0.0.1:9")

    run_cli("vacuum", "--config", str(config_path))  # opens (migrates), then vacuums
    db = store.open_db(path)
    assert "m070_packed_columns" in {m.name for m in store.MIGRATIONS.applied(db)}
    assert all(packing.is_packed(docs) and packing.is_packed(counters)
               for docs, counters in db.execute("SELECT docs, counters FROM raw_listings"))
    assert {table: _rows(db, table, columns[table]) for table in tables} == before  # every other table as it was
    for poll_id, by_org in listings.items():
        assert store.load_listings(db, poll_id) == by_org  # the Hub's JSON as it came, odd values included
    brute, last, wanted, repos = {}, {}, {}, {row[0] for row in db.execute("SELECT repo_id FROM repos")}
    for poll_id, day in db.execute("SELECT id, substr(started_at, 1, 10) FROM polls WHERE status = 'ok' ORDER BY id"):
        for models in listings[poll_id].values():
            last |= {m["id"]: m["downloadsAllTime"] for m in models if type(m.get("downloadsAllTime")) is int}
        brute[day], wanted[day] = dict(last), {m["id"] for models in listings[poll_id].values() for m in models} & repos
    assert downloads_on(db, wanted) == {day: {r: brute[day][r] for r in wanted[day] if r in brute[day]} for day in wanted}
    # the seeking reads of the adoption scores, on every repo (the four polls share a day: the last
    # listing with a count wins, so the string and bool of poll 4 fall back to poll 3's counts)
    assert sum(map(len, wanted.values())) > 150
    derived_before = derived(db)
    assert "rebuilt from 4 polls" in run_cli("rebuild", "--config", str(config_path)).output
    assert derived(db) == derived_before


# --- retention -----------------------------------------------------------------------------------

def _polls(start: date, days: int) -> list[tuple[int, str]]:
    return [(i + 1, f"{start + timedelta(days=i)}T06:17:00+00:00") for i in range(days)]


@pytest.mark.parametrize(("daily_days", "every", "expected_kept"), [
    pytest.param(0, "week", list(range(1, 31)), id="zero-keeps-all"),
    # 2026-11-02 is a Monday: weeks end on polls 7, 14, 21, 28; the newest day is poll 30 (Dec 1)
    pytest.param(10, "week", [1, 7, 14, *range(20, 31)], id="weekly-after-10-days"),
    pytest.param(3, "month", [1, *range(27, 31)], id="monthly-after-3-days"),
])
def test_retention_keeps_recent_days_then_one_poll_per_period(daily_days: int, every: str,
                                                               expected_kept: list[int]) -> None:
    polls = _polls(date(2026, 11, 2), 30)
    thinned = polls_to_thin(polls, daily_days, every)
    assert [p for p, _ in polls if p not in thinned] == expected_kept


def test_vacuum_thins_old_counters_and_the_report_and_rebuild_stay_the_same(tmp_path: Path) -> None:
    models = [m for m in bundled_models() if not m["id"].startswith("Qwen/")]  # small: 21 polls
    with ReplayHub(models) as hub:
        config_path = write_config(tmp_path, hub.url, extra='watch = ["Gemma", "DeepSeek", "Mistral"]', children_budget=0)
        config_path.write_text(config_path.read_text().replace("[storage]\n", "[storage]\ncounters_daily_days = 7\n"))
        config = load_config(config_path)
        db = store.open_db(config.database_path)
        start = datetime(2026, 10, 5, 6, tzinfo=timezone.utc)  # a Monday
        for day in range(21):
            moment = start + timedelta(days=day)
            listed = [{**m, "downloads": 100 * day + i} for i, m in enumerate(models)]
            hub.set_models([m for m in listed if day < 2 or m["id"] != "deepseek-ai/DeepSeek-V3.2"])
            run_poll(config, db, endpoint=hub.url, now=lambda moment=moment: moment)
    assert db["repos"].get("deepseek-ai/DeepSeek-V3.2")["last_seen_poll"] == 2  # removed by poll 3
    last = (start + timedelta(days=20)).date()
    facts_before = load_facts(db, last, trend_family="Gemma")
    derived_before = derived(db)

    output = run_cli("vacuum", "--config", str(config_path)).output
    # kept: poll 1, the Sunday polls 7 and 14, and the last 8 days (polls 14..21)
    assert "thinned the counters of 11 polls" in output
    kept = [r[0] for r in db.execute("SELECT poll_id FROM raw_listings GROUP BY poll_id "
                                     "HAVING min(counters IS NOT NULL) ORDER BY 1")]
    assert kept == [1, 7, *range(14, 22)]
    # poll 2 was the last to list the removed repo: its org's counters stay, for it and for rebuild
    assert db.execute("SELECT org FROM raw_listings WHERE poll_id = 2 AND counters IS NOT NULL").fetchall() == [
        ("deepseek-ai",)]
    facts_after = load_facts(db, last, trend_family="Gemma")
    assert facts_after.repos == facts_before.repos  # today's counters are all there
    kept_days = [(start + timedelta(days=p - 1)).date().isoformat() for p in kept]
    assert [day for day, _ in facts_after.trend] == kept_days  # the trend samples kept polls only
    index = next(i for i, m in enumerate(models) if m["id"] == "google/gemma-3-4b-it")
    for day, state in facts_after.trend:
        offset = (date.fromisoformat(day) - start.date()).days
        assert state["google/gemma-3-4b-it"][0] == 100 * offset + index
    assert load_facts(db, (start + timedelta(days=3)).date()).repos[0].downloads is not None  # from a kept poll
    run_cli("rebuild", "--config", str(config_path))
    assert derived(db) == derived_before
    assert "thinned the counters of 0 polls" in run_cli("vacuum", "--config", str(config_path)).output


def test_bad_retention_setting_is_a_one_line_error(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, "http://127.0.0.1:9")
    config_path.write_text(config_path.read_text().replace("[storage]\n", '[storage]\ncounters_keep_every = "day"\n'))
    result = run_cli("vacuum", "--config", str(config_path), ok=False)
    assert result.exit_code != 0
    assert "key 'storage.counters_keep_every': expected week or month, got 'day'" in result.output


def test_adoption_scores_from_the_polls_they_need_equal_a_brute_force_over_every_poll(tmp_path: Path) -> None:
    """SYNTHETIC Qwen3.7 repos released during 30 daily polls, copies created later, all-time
    downloads that rise and fall, go missing or null, a repo removed then restored, and old
    counters thinned by vacuum: the figures read for the scores are the brute force's."""
    sizes = (1, 2, 4, 8, 9, 14)
    originals = [model(f"Qwen/Qwen3.7-{s}B", f"2026-10-{5 + 3 * i:02d}", params_b=s + 0.2) for i, s in enumerate(sizes)]
    copies = [model(f"{m['id']}-GGUF", f"2026-10-{8 + 3 * i:02d}", parent=m["id"], relation="quantized")
              for i, m in enumerate(originals)]
    start = datetime(2026, 10, 5, 6, tzinfo=timezone.utc)
    with ReplayHub([]) as hub:
        config_path = write_config(tmp_path, hub.url, extra='watch = ["Qwen"]', children_budget=0)
        config_path.write_text(config_path.read_text().replace("[storage]\n", "[storage]\ncounters_daily_days = 7\n"))
        config = load_config(config_path)
        db = store.open_db(config.database_path)
        for day in range(30):
            moment = start + timedelta(days=day)
            hub.set_models([_churned(m, i, day) for i, m in enumerate(originals + copies)
                            if m["createdAt"][:10] <= moment.date().isoformat()
                            and not (m["id"] == "Qwen/Qwen3.7-4B" and 9 <= day < 15)])
            run_poll(config, db, endpoint=hub.url, now=lambda moment=moment: moment)
    assert "thinned the counters of" in run_cli("vacuum", "--config", str(config_path)).output
    as_of = (start + timedelta(days=29)).date()
    poll_days = ok_poll_days(db, as_of)
    brute, last = {}, {}
    for poll_id, day in db.execute("SELECT id, substr(started_at, 1, 10) FROM polls WHERE status = 'ok' ORDER BY id"):
        for models in load_listings(db, poll_id).values():  # thinned listings come back without counters
            last |= {m["id"]: m["downloadsAllTime"] for m in models if m.get("downloadsAllTime") is not None}
        brute[day] = dict(last)
    entries = build_entries(load_facts(db, as_of).repos, config.analysis)
    ages = (1, 3, 7, 14)
    wanted = wanted_downloads(entries, poll_days, ages, as_of)
    read = downloads_on(db, wanted)
    assert read == {day: {r: brute[day][r] for r in repos if r in brute[day]} for day, repos in wanted.items()}
    assert len(wanted) < len(poll_days)  # a few polls, not the whole series
    scores = adoption_scores(entries, read, poll_days, ages, 2, as_of, date(2026, 1, 1))
    assert scores == adoption_scores(entries, brute, poll_days, ages, 2, as_of, date(2026, 1, 1))
    assert sum(v is not None for row in scores for v in row["scores"].values()) >= 10  # not vacuously equal


def _churned(model: dict, i: int, day: int) -> dict:
    """All-time downloads that move both ways; now and then absent or null, as odd payloads are."""
    if (day + i) % 7 == 3:
        return {k: v for k, v in model.items() if k != "downloadsAllTime"}
    return {**model, "downloadsAllTime": None if (day + i) % 11 == 5 else 100 * ((day * 37 + i * 11) % 50) + i}


def test_a_repo_is_read_only_from_the_polls_that_listed_it_whatever_else_is_asked(tmp_path: Path) -> None:
    """SYNTHETIC: org/b's repos row says it was first listed by poll 2 (say, its family was added
    to the watch list without a rebuild), and poll 2 gave it no count: its figure must not come
    from poll 1, alone or asked with a repo of the same org that poll 1 did list."""
    db = store.open_db(tmp_path / "t.db")
    first = store.insert_poll(db, {"started_at": "2025-01-01T00:00:00", "status": "ok"})
    store.archive_listing(db, first, "org", [{"id": "org/b", "downloadsAllTime": 5}, {"id": "org/c", "downloadsAllTime": 7}], 1)
    second = store.insert_poll(db, {"started_at": "2025-01-02T00:00:00", "status": "ok"})
    store.archive_listing(db, second, "org", [{"id": "org/b", "downloadsAllTime": None}, {"id": "org/c"}], 1)
    listed_from = {"org/b": ("org", 2, 2), "org/c": ("org", 1, 2)}
    day = "2025-01-02"
    assert raw_archive._read_counters(db, "downloadsAllTime", {day: {"org/b"}}, listed_from) == {day: {}}
    assert raw_archive._read_counters(db, "downloadsAllTime", {day: {"org/b", "org/c"}}, listed_from) == {day: {"org/c": 7}}
