"""Issue 23.9: one timestamp format in every table, 'YYYY-MM-DDTHH:MM:SS+00:00', written so by a
poll and the stream, reached by migration m120 from a database holding the Hub's '.000Z', and kept
by `rebuild`; the raw archive keeps what the Hub sent."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from conftest import bundled_models, run_cli, write_config
from synthetic import model

from lineupwatch.config.settings import load_config
from lineupwatch.replay.server import ReplayHub
from lineupwatch.store import database as store

ONE_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
TIMESTAMP_COLUMNS = {"at", "last_modified", "cutoff", "newest_created"}  # and every column named *_at


def _stamps(db: sqlite3.Connection) -> dict[tuple[str, str], set[str]]:
    """(table, column) -> the distinct values of every date-time column of every table."""
    found = {}
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                          "AND name != '_sqlite_migrations'"):  # sqlite-utils' own clock
        for column in (row[1] for row in db.execute(f"PRAGMA table_info([{table}])")):
            if column.endswith("_at") or column in TIMESTAMP_COLUMNS:
                found[(table, column)] = {v for (v,) in db.execute(
                    f"SELECT DISTINCT [{column}] FROM [{table}] WHERE [{column}] IS NOT NULL")}
    return found


def _polled(tmp_path: Path) -> tuple[Path, Path]:
    stream = [model("u1/ft-a", "2026-11-16", parent="Qwen/Qwen3.5-9B"), model("u9/orig", "2026-11-22", params_b=3.0)]
    with ReplayHub(bundled_models() + stream, page_size=100) as hub:
        config_path = write_config(tmp_path, hub.url, stream=True, stream_rate_reserve=-1)
        run_cli("run", "--config", str(config_path), ok=False)  # poll, stream, report, alerts
        run_cli("poll", "--config", str(config_path))
    return config_path, load_config(config_path).database_path


def test_every_timestamp_of_a_run_is_in_one_format(tmp_path: Path) -> None:
    _, path = _polled(tmp_path)
    db = sqlite3.connect(path)
    stamps = _stamps(db)
    for key in [("repos", "released_at"), ("repos", "created_at"), ("repos", "last_modified"), ("stream_repos", "created_at"),
                ("polls", "started_at"), ("observations", "observed_at"), ("stream_runs", "newest_created")]:
        assert stamps[key], key
    odd = {key: sorted(values - {v for v in values if ONE_FORMAT.match(v)})[:3] for key, values in stamps.items()}
    assert {key: values for key, values in odd.items() if values} == {}
    # the archive keeps what the Hub sent
    listings = store.load_listings(store.open_db(path), 1)
    assert any(m.get("createdAt", "").endswith(".000Z") for models in listings.values() for m in models)


def test_the_migration_rewrites_the_hubs_formats_and_rebuild_gives_the_same_tables(tmp_path: Path) -> None:
    config_path, path = _polled(tmp_path)
    db = store.open_db(path)
    expected = {table: list(store.dump_table(db, table)) for table in store.DERIVED_TABLES}
    stream = list(db["stream_repos"].rows_where(order_by="repo_id"))
    # a database of the release before: the Hub's '.000Z' in repos and observations, 'Z' in the stream
    for table, columns in store.HUB_TIMESTAMPS.items():
        suffix = "Z" if table.startswith("stream") else ".000Z"
        for column in columns:
            hub_sent = " AND released_from = 'created'" if column == "released_at" else ""  # 'seen': a poll's clock
            db.execute(f"UPDATE [{table}] SET [{column}] = substr([{column}], 1, 19) || ? "
                       f"WHERE [{column}] LIKE '%+00:00'{hub_sent}", [suffix])
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm120_one_timestamp_format'")
    before = _stamps(db.conn)
    assert any(v.endswith(".000Z") for v in before[("repos", "created_at")])
    assert any(v.endswith(".000Z") for v in before[("repos", "released_at")])
    assert any(v.endswith(".000Z") for v in before[("observations", "last_modified")])
    db.close()

    db = store.open_db(path)  # migrates
    assert {table: list(store.dump_table(db, table)) for table in store.DERIVED_TABLES} == expected
    assert list(db["stream_repos"].rows_where(order_by="repo_id")) == stream
    assert all(ONE_FORMAT.match(v) for values in _stamps(db.conn).values() for v in values)
    db.close()
    assert "rebuilt from" in run_cli("rebuild", "--config", str(config_path)).output
    db = store.open_db(path)
    assert {table: list(store.dump_table(db, table)) for table in store.DERIVED_TABLES} == expected
    assert list(db["stream_repos"].rows_where(order_by="repo_id")) == stream
