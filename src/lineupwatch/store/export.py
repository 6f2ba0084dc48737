"""Export for bigger analysis: the stream and the observations as Parquet, partitioned by month.

`DIR/stream/month=YYYY-MM/part-0.parquet` (by release month), `DIR/observations/month=YYYY-MM/...`
(by observation month) and `DIR/repos.parquet` (the watched repos: what a derivative's parent maps
to). Hive-style partitions, so DuckDB on one machine (`read_parquet('DIR/stream/*/*.parquet',
hive_partitioning=true)`) or Spark on a cluster can query the whole-Hub history. Rows are read in
batches, so a year of the stream never sits in memory at once. Columns keep the database's names;
their types are the database's, made precise where SQLite stores text: date-times (`*_at`,
`last_modified`) are timestamp[us, tz=UTC], the stream's `released` a date, and the lists
(`base_models`, `more_bases`) list<string> of "relation:parent". docs/ecosystem.md has a DuckDB
query that reproduces the report's derivative share. pyarrow is the optional extra
`lineupwatch[parquet]`: the CLI says so when it is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sqlite_utils import Database

BATCH_ROWS = 100_000
_TYPES = {"INTEGER": pa.int64(), "REAL": pa.float64(), "FLOAT": pa.float64(), "TEXT": pa.string(), "BLOB": pa.binary()}
# table -> the column whose month partitions it
PARTITIONED = {"stream_repos": ("stream", "released"), "observations": ("observations", "observed_at")}


def export_parquet(db: Database, out_dir: Path) -> dict[str, int]:
    """Write every exported table; returns rows written per table. Re-running replaces the files."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for table, (folder, column) in PARTITIONED.items():
        if table in db.table_names():
            written[folder] = _partitioned(db, table, column, out_dir / folder)
    if "repos" in db.table_names():
        schema = _schema(db, "repos")
        pq.write_table(pa.Table.from_batches(list(_batches(db, "SELECT * FROM repos ORDER BY repo_id", schema)),
                                             schema), out_dir / "repos.parquet")
        written["repos"] = db["repos"].count
    return written


TIMESTAMP = pa.timestamp("us", tz="UTC")
LIST = pa.list_(pa.string())
DATES = {"released"}  # the stream's release day
LISTS = {"base_models", "more_bases"}


def _is_timestamp(column: str) -> bool:
    return column.endswith("_at") or column == "last_modified"


def _type(column: str, sql_type: str) -> pa.DataType:
    if column in LISTS:
        return LIST
    if column in DATES:
        return pa.date32()
    if _is_timestamp(column):
        return TIMESTAMP
    return _TYPES.get(sql_type.upper(), pa.string())


def _schema(db: Database, table: str) -> pa.Schema:
    return pa.schema([(c.name, _type(c.name, c.type)) for c in db[table].columns])


def _moment(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:  # the database keeps a malformed value as text; Parquet cannot: null
        return None


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _pairs(text: str | None) -> list[str] | None:
    """repos.base_models, JSON [[relation, parent], ...] -> ["relation:parent", ...]."""
    return None if text is None else [f"{relation}:{parent}" for relation, parent in json.loads(text)]


def _words(text: str | None) -> list[str] | None:
    """stream_repos.more_bases, "relation:parent relation:parent" -> a list."""
    return None if text is None else text.split()


def _converter(field: pa.Field) -> Callable | None:
    if field.name == "base_models":
        return _pairs
    if field.name == "more_bases":
        return _words
    if field.type == TIMESTAMP:
        return _moment
    if field.type == pa.date32():
        return _day
    return None


def _batches(db: Database, sql: str, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    cursor = db.execute(sql)
    converters = [_converter(field) for field in schema]
    while rows := cursor.fetchmany(BATCH_ROWS):
        columns = [col if convert is None else [convert(v) for v in col]
                   for col, convert in zip(zip(*rows), converters)]
        yield pa.RecordBatch.from_arrays([pa.array(col, type=field.type) for col, field in zip(columns, schema)],
                                         schema=schema)


def _partitioned(db: Database, table: str, column: str, dest: Path) -> int:
    schema = _schema(db, table).append(pa.field("month", pa.string()))
    sql = f"SELECT *, substr({column}, 1, 7) AS month FROM {table} ORDER BY {column}"
    reader = pa.RecordBatchReader.from_batches(schema, _batches(db, sql, schema))
    ds.write_dataset(reader, dest, format="parquet", basename_template="part-{i}.parquet",
                     partitioning=ds.partitioning(pa.schema([("month", pa.string())]), flavor="hive"),
                     existing_data_behavior="delete_matching")
    return db[table].count
