"""The database's shape for Datasette: foreign keys to repos, and views a reader starts from.

Declared once here, as github-to-sqlite declares its FOREIGN_KEYS and VIEWS, and applied by the
store's migration m050_datasette_shape. The foreign keys are DEFERRABLE INITIALLY DEFERRED: a
poll archives a new repo's child count before it writes the repo, and `rebuild` empties repos
before re-deriving them, both inside one transaction, so the keys are checked at its commit.
Every table, view and column is described in data/metadata.json (`datasette DB -m metadata.json`).
"""

from __future__ import annotations

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


def metadata_text() -> str:
    """Datasette's metadata: a title, and a description of every table, view and column."""
    return files("lineupwatch").joinpath("data/metadata.json").read_text(encoding="utf-8")
