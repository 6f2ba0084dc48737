"""The database's shape for Datasette: foreign keys to repos, and views a reader starts from.

Declared once here, as github-to-sqlite declares its FOREIGN_KEYS and VIEWS, and applied by the
store's migration m050_datasette_shape. The foreign keys are DEFERRABLE INITIALLY DEFERRED: a
poll archives a new repo's child count before it writes the repo, and `rebuild` empties repos
before re-deriving them, both inside one transaction, so the keys are checked at its commit.
Every table, view and column is described in data/metadata.json, a template: `metadata(stem)` keys it
to the database file's stem at write time and adds facets, sorts, labels, hidden tables and canned queries.
"""

from __future__ import annotations

import json
from importlib.resources import files

from sqlite_utils import Database

# (table, column): each references repos(repo_id)
FOREIGN_KEYS = (("observations", "repo_id"), ("events", "repo_id"), ("raw_children", "repo_id"))

VIEWS = {
    # One row per size point as the repos name it (the report further splits re-releases by tag).
    "lineup_entries": """
        SELECT family, entry_key, generation, line, size_label, size_class,
               MAX(params_total_b) AS params_total_b, MAX(params_active_b) AS params_active_b,
               MIN(released_at) AS released_at, COUNT(*) AS repos, SUM(quantized) AS quantized_copies,
               group_concat(DISTINCT quant) AS builds, MIN(CASE WHEN quantized = 0 THEN license END) AS license,
               SUM(removed_poll IS NOT NULL) AS removed_repos
        FROM repos WHERE entry_key IS NOT NULL AND entry_key != ''
        GROUP BY family, entry_key""",
    # Every verdict change the alerts recorded, plus the verdict of forecasts that never changed.
    "verdict_history": """
        SELECT n.created_at AS at, json_extract(s.labels, '$.family') AS family,
               json_extract(s.labels, '$.forecast') AS forecast, n.state AS verdict, n.reason AS reason,
               n.body AS summary
        FROM notifications AS n JOIN alert_state AS s ON s.fingerprint = n.fingerprint
        WHERE n.rule = 'verdict_changed'
        UNION ALL
        SELECT s.first_seen_at, json_extract(s.labels, '$.family'), json_extract(s.labels, '$.forecast'), s.state,
               'unchanged since the first run', s.subject
        FROM alert_state AS s
        WHERE s.rule = 'verdict_changed'
          AND NOT EXISTS (SELECT 1 FROM notifications AS n WHERE n.fingerprint = s.fingerprint)""",
    # Per family and size class: listed original repos, and how many are fine-tunes of another entry of the
    # family (the report's derivatives, counted per repo).
    "derivative_shares": """
        WITH marked AS (
            SELECT r.family, r.size_class, EXISTS (
                SELECT 1 FROM json_each(CASE WHEN json_valid(r.base_models) THEN r.base_models ELSE '[]' END) AS j
                JOIN repos AS p ON p.repo_id = json_extract(j.value, '$[1]')
                WHERE json_extract(j.value, '$[0]') IN ('finetune', 'card', 'merge') AND p.family = r.family
                  AND p.entry_key IS NOT r.entry_key  -- an instruct repo of its base's entry is no derivative
            ) AS derivative
            FROM repos AS r WHERE r.quantized = 0 AND r.removed_poll IS NULL)
        SELECT family, size_class, COUNT(*) AS originals, SUM(derivative) AS derivatives,
               ROUND(1.0 * SUM(derivative) / COUNT(*), 3) AS derivative_share
        FROM marked GROUP BY family, size_class""",
}


def apply(db: Database) -> None:
    """Add the foreign keys (rebuilding each table, its rows and indexes kept) and the views."""
    for table, column in FOREIGN_KEYS:
        _add_deferred_foreign_key(db, table, column)
    for name, sql in VIEWS.items():
        db.execute(f"DROP VIEW IF EXISTS [{name}]")
        db.execute(f"CREATE VIEW [{name}] AS {sql.strip()}")


def _add_deferred_foreign_key(db: Database, table: str, column: str) -> None:
    create = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()[0]
    indexes = [sql for (sql,) in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [table])]
    body = create[create.index("(") + 1:create.rindex(")")]
    temp = f"_{table}_with_keys"
    db.execute(f"CREATE TABLE [{temp}] ({body},\n   FOREIGN KEY([{column}]) REFERENCES [repos]([repo_id])"
               " DEFERRABLE INITIALLY DEFERRED\n)")
    db.execute(f"INSERT INTO [{temp}] SELECT * FROM [{table}]")
    db.execute(f"DROP TABLE [{table}]")
    db.execute(f"ALTER TABLE [{temp}] RENAME TO [{table}]")
    for sql in indexes:
        db.execute(sql)


# Raw archive, migrations and stream pages: what Datasette lists last and hides from the index.
HIDDEN = ("_sqlite_migrations", "raw_docs", "raw_packs", "raw_listings", "raw_children", "stream_raw")

# Per table or view: facets, the default order (`sort_desc`) and the column that labels a row
# where a foreign key points at it (`label_column`). Columns exist in the migrations' tables.
TABLE_OPTIONS: dict[str, dict] = {
    "repos": {"facets": ["family", "size_class", "line", "license", "gated", "released_from"],
              "sort_desc": "released_at", "label_column": "repo_id"},
    "observations": {"facets": ["license", "gated"], "sort_desc": "id"},
    "events": {"facets": ["kind", "family"], "sort_desc": "id"},
    "polls": {"facets": ["status"], "sort_desc": "id", "label_column": "started_at"},
    "poll_orgs": {"facets": ["status", "org"], "sort_desc": "poll_id"},
    "alert_state": {"facets": ["rule", "state"], "sort_desc": "changed_at", "label_column": "subject"},
    "notifications": {"facets": ["rule", "state", "severity"], "sort_desc": "id", "label_column": "subject"},
    "deliveries": {"facets": ["channel"], "sort_desc": "notification_id"},
    "stream_runs": {"facets": ["kind", "status"], "sort_desc": "id", "label_column": "started_at"},
    "stream_repos": {"facets": ["relation", "pipeline_tag", "library_name", "author"], "sort_desc": "created_at",
                     "label_column": "repo_id"},
    "lineup_entries": {"facets": ["family", "size_class", "line", "license"], "sort_desc": "released_at"},
    "verdict_history": {"facets": ["family", "forecast", "verdict"], "sort_desc": "at"},
    "derivative_shares": {"facets": ["family", "size_class"], "sort_desc": "derivative_share"},
}

# The week of a day (`:day`, empty = today, UTC), from its Monday: ISO weeks, as the report counts.
_MONDAY = "date(coalesce(nullif(:day, ''), date('now')), '-6 days', 'weekday 1')"

# Canned queries (Datasette shows a form for each :parameter). Each runs on the demo database in
# tests/store/test_datasette.py.
QUERIES: dict[str, dict] = {
    "this_week_entries": {
        "title": "New entries of a week",
        "description": "Entries (size points of a family) first released in the ISO week of a day "
                       "(YYYY-MM-DD; empty: this week), newest first.",
        "sql": f"""SELECT family, entry_key, size_class, params_total_b, released_at, license, repos, builds
FROM lineup_entries
WHERE released_at >= {_MONDAY} AND released_at < date({_MONDAY}, '+7 days')
ORDER BY released_at DESC, family, entry_key""",
    },
    "verdict_history": {
        "title": "Verdict history",
        "description": "Every verdict each forecast took, newest first; a family filters (empty: all).",
        "sql": """SELECT at, family, forecast, verdict, reason, summary
FROM verdict_history
WHERE coalesce(:family, '') = '' OR family = :family
ORDER BY at DESC, family, forecast""",
    },
    "derivative_shares": {
        "title": "Derivative shares on small bases, by week",
        "description": "New Hub-wide repos built on a watched tiny or small model, per week (from its "
                       "Monday) and base family, with each family's share of the week: the report's "
                       "ecosystem share (the stream's weeks; `other` bases are left out, as the report does).",
        "sql": """WITH small AS (
    SELECT date(s.released, '-6 days', 'weekday 1') AS week_start, r.family, COUNT(*) AS derivatives
    FROM stream_repos AS s JOIN repos AS r ON r.repo_id = s.parent
    WHERE r.size_class IN ('tiny', 'small')
    GROUP BY 1, 2)
SELECT week_start, family, derivatives,
       ROUND(1.0 * derivatives / SUM(derivatives) OVER (PARTITION BY week_start), 4) AS small_share
FROM small
ORDER BY week_start DESC, small_share DESC, family""",
    },
    "derivatives_per_family": {
        "title": "Fine-tunes among a family's own repos",
        "description": "Per family and size class: listed original repos and the share that are "
                       "fine-tunes of another entry of the family (the view derivative_shares).",
        "sql": """SELECT family, size_class, originals, derivatives, derivative_share
FROM derivative_shares
ORDER BY derivative_share DESC, family, size_class""",
    },
}


def metadata(database: str = "lineupwatch") -> dict:
    """Datasette's metadata for the database file whose stem is `database` (Datasette's key for
    `data/watch.db` is "watch"): the shipped descriptions, plus facets, sorts, labels, hidden
    tables and canned queries."""
    template = json.loads(files("lineupwatch").joinpath("data/metadata.json").read_text(encoding="utf-8"))
    tables = template.pop("database_tables")
    for name, table in tables.items():
        table.update(TABLE_OPTIONS.get(name, {}))
        if name in HIDDEN:
            table["hidden"] = True
    return {**template, "databases": {database: {"tables": tables, "queries": QUERIES}}}


def metadata_text(database: str = "lineupwatch") -> str:
    """metadata(database) as the JSON file `datasette DB -m metadata.json` reads."""
    return json.dumps(metadata(database), indent=2, ensure_ascii=False) + "\n"
