"""Issue 14.6: a Datasette-ready database: every table, view and column described; foreign keys
from observations, events and child counts to repos; views for entries, verdicts and derivatives."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import run_cli, write_config
from lineupwatch.replay.server import ReplayHub
from lineupwatch.store.datasette import HIDDEN, QUERIES, metadata, metadata_text


def _run(tmp_path: Path, hub: ReplayHub) -> tuple[sqlite3.Connection, dict]:
    config_path = write_config(tmp_path, hub.url)
    run_cli("run", "--config", str(config_path))  # today: alerts record their state
    run_cli("report", "--config", str(config_path), "--out", str(tmp_path / "today"))  # this week, as of today
    report = json.loads(next((tmp_path / "today").glob("*-W*.json")).read_text(encoding="utf-8"))
    db = sqlite3.connect(tmp_path / "db" / "lineupwatch.db")
    db.row_factory = sqlite3.Row
    return db, report


def test_metadata_describes_every_table_view_and_column(tmp_path: Path, hub: ReplayHub) -> None:
    db, _ = _run(tmp_path, hub)
    described = metadata()["databases"]["lineupwatch"]["tables"]
    actual = {name: [row[1] for row in db.execute(f"PRAGMA table_info([{name}])")]
              for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                        "AND name NOT LIKE 'sqlite_%'")}
    assert sorted(described) == sorted(actual)
    for name, columns in actual.items():
        assert described[name]["description"]
        assert sorted(described[name]["columns"]) == sorted(columns), name
        assert all(described[name]["columns"].values()), name
    assert run_cli("init", str(tmp_path / "site")).exit_code == 0
    assert (tmp_path / "site" / "metadata.json").read_text(encoding="utf-8") == metadata_text("lineupwatch")


def test_foreign_keys_point_at_repos_and_hold_after_a_rebuild(tmp_path: Path, hub: ReplayHub) -> None:
    db, _ = _run(tmp_path, hub)
    for table in ("observations", "events", "raw_children"):
        keys = {(row["from"], row["table"], row["to"]) for row in db.execute(f"PRAGMA foreign_key_list([{table}])")}
        assert ("repo_id", "repos", "repo_id") in keys, table
    assert db.execute("SELECT count(*) FROM raw_children").fetchone()[0] > 0
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    before = db.execute("SELECT count(*) FROM observations").fetchone()[0]
    db.close()
    run_cli("rebuild", "--config", str(tmp_path / "lineupwatch.toml"))
    db = sqlite3.connect(tmp_path / "db" / "lineupwatch.db")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("SELECT count(*) FROM observations").fetchone()[0] == before


def test_views_answer_from_the_tables(tmp_path: Path, hub: ReplayHub) -> None:
    db, report = _run(tmp_path, hub)
    verdicts = {(r["family"], r["forecast"]): r["verdict"] for r in db.execute("SELECT * FROM verdict_history")}
    assert verdicts == {(f["family"], f["id"]): f["verdict"] for f in report["forecasts"]}

    entry = db.execute("SELECT * FROM lineup_entries WHERE entry_key = ?", ["Qwen3.8 · LM · 27B"]).fetchone()
    repos = [r[0] for r in db.execute("SELECT repo_id FROM repos WHERE entry_key = ?", ["Qwen3.8 · LM · 27B"])]
    assert entry["repos"] == len(repos) and entry["builds"] == "fp8" and entry["quantized_copies"] == 1
    listed = next(e for e in report["entries_since_baseline"] if e["entry"] == "Qwen3.8 · LM · 27B")
    assert sorted(listed["repos"]) == sorted(repos)

    shares = {(r["family"], r["size_class"]): r for r in db.execute("SELECT * FROM derivative_shares")}
    qwen_small = shares[("Qwen", "small")]
    originals = db.execute("SELECT count(*) FROM repos WHERE family = 'Qwen' AND size_class = 'small' "
                           "AND quantized = 0 AND removed_poll IS NULL").fetchone()[0]
    assert qwen_small["originals"] == originals and 0 < qwen_small["derivatives"] < originals
    assert qwen_small["derivative_share"] == round(qwen_small["derivatives"] / originals, 3)


def test_the_metadata_is_keyed_to_the_configured_database_file(tmp_path: Path) -> None:
    config_path = tmp_path / "lineupwatch.toml"
    config_path.write_text(f'[storage]\ndatabase = "{tmp_path / "db" / "watch-2026.db"}"\n', encoding="utf-8")
    out = tmp_path / "meta.json"
    result = run_cli("datasette-metadata", "--config", str(config_path), "--out", str(out))
    assert result.output == (f"wrote {out} (database 'watch-2026'): datasette {tmp_path / 'db' / 'watch-2026.db'} "
                             f"-m {out}\n")
    written = json.loads(out.read_text(encoding="utf-8"))
    assert list(written["databases"]) == ["watch-2026"]
    assert written == metadata("watch-2026")
    tables = written["databases"]["watch-2026"]["tables"]
    assert tables["repos"]["description"] and tables["repos"]["columns"]["released_at"]
    assert list(metadata("watch")["databases"]) == ["watch"]


def test_facets_sorts_labels_and_hidden_tables_name_real_columns(tmp_path: Path, hub: ReplayHub) -> None:
    db, _ = _run(tmp_path, hub)
    tables = metadata()["databases"]["lineupwatch"]["tables"]
    for name, table in tables.items():
        columns = {row[1] for row in db.execute(f"PRAGMA table_info([{name}])")}
        named = [*table.get("facets", []), table.get("sort_desc"), table.get("label_column")]
        assert {c for c in named if c} <= columns, name
        assert table.get("hidden", False) == (name in HIDDEN), name
    assert {"raw_docs", "raw_packs", "raw_listings", "_sqlite_migrations", "stream_raw"} <= set(HIDDEN)
    assert tables["repos"]["sort_desc"] == "released_at" and "family" in tables["repos"]["facets"]


def test_every_canned_query_runs_on_a_polled_database(tmp_path: Path, hub: ReplayHub) -> None:
    db, report = _run(tmp_path, hub)
    newest = db.execute("SELECT substr(MAX(released_at), 1, 10) FROM lineup_entries").fetchone()[0]
    params = {"day": newest, "family": ""}
    results = {}
    for name, query in QUERIES.items():
        results[name] = db.execute(query["sql"], params).fetchall()
    assert results["this_week_entries"] and all(row["released_at"] >= "2026" for row in results["this_week_entries"])
    assert newest in {row["released_at"][:10] for row in results["this_week_entries"]}
    qwen = db.execute(QUERIES["verdict_history"]["sql"], {"family": "Qwen"}).fetchall()
    assert qwen and {row["family"] for row in qwen} == {"Qwen"}
    assert len(results["verdict_history"]) == len(report["forecasts"])
    assert results["derivatives_per_family"]
    assert db.execute(QUERIES["this_week_entries"]["sql"], {"day": "2001-01-01"}).fetchall() == []


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_canned_query_has_a_title_and_a_description(name: str) -> None:
    assert QUERIES[name]["title"] and QUERIES[name]["description"].endswith(")") or \
        QUERIES[name]["description"].endswith(".")
