"""Checks the Athena/Trino and Spark SQL in queries/athena/ and queries/spark/ with sqlglot (a real
SQL parser), and runs them against the sample through DuckDB:

1. Every file parses: queries/athena/ with sqlglot's "athena" dialect (Trino for queries, Hive for
   DDL: Athena's CREATE EXTERNAL TABLE is Hive DDL, which Trino's grammar rejects), the queries also
   with "trino" and, since the README says they run unchanged in Spark, with "spark"; queries/spark/
   with "spark". A syntax error, or a statement sqlglot could only keep as an opaque command, fails.
2. create_table.sql declares exactly the columns of denials.parquet, in order, with matching types,
   the `date` string partition and partition projection over date=YYYY-MM-DD.
3. Every Athena query has a DuckDB twin in queries/; translated by sqlglot (trino -> duckdb) and run
   over a DuckDB view shaped like the Athena table (event_time a UTC `timestamp`, `date` a string),
   it gives the twin's result. The same again read as Spark SQL (spark/<name> when there is one),
   over a view shaped like queries/spark/denials_view.sql makes it, in the session time zone that
   file sets (without one, a far-from-UTC zone, as on a cluster in another region).

usage: check_dialects.py QUERIES_DIR WORK_DIR   (WORK_DIR holds whydenied-out/ from a fresh scan)
"""

import datetime as dt
import os
import re
import sys

try:
    import sqlglot
    from sqlglot import exp
except ImportError:
    sys.exit("sqlglot is missing: .venv/bin/pip install -r tests/requirements.txt")
import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from check_queries import SESSION_TIME_ZONE, SOURCE, run_query

# The reports directory in SOURCE, which the view below replaces with the scan's.
SOURCE_DIR = "getvariable('reports')"

# Where the Athena table's date projection starts (queries/athena/create_table.sql).
PROJECTION_START = "2013-11-01"

# The date the checks use for new_combinations, and the default each dialect's file must carry.
SINCE = "DATE '2026-11-03'"
SINCE_DEFAULTS = {
    "athena/new_combinations.sql": "current_date - INTERVAL '1' DAY",
}


def parse(path, text, dialect):
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except sqlglot.errors.ParseError as e:
        raise AssertionError(f"{path} does not parse as {dialect}:\n{e}") from None
    assert statements, f"{path}: no statements"
    for s in statements:
        assert not isinstance(s, exp.Command), f"{path}: {dialect} cannot parse {s.sql()[:80]!r}"
    return statements


def arrow_type(kind):
    if kind.this == exp.DataType.Type.ARRAY:
        return pa.list_(arrow_type(kind.expressions[0]))
    return {
        exp.DataType.Type.TEXT: pa.string(),
        exp.DataType.Type.VARCHAR: pa.string(),
        exp.DataType.Type.TIMESTAMP: pa.timestamp("us", tz="UTC"),
        exp.DataType.Type.BOOLEAN: pa.bool_(),
        exp.DataType.Type.BIGINT: pa.int64(),
    }[kind.this]


def check_ddl(path, statements, parquet_table):
    parquet_schema = parquet_table.schema
    create = [s for s in statements if isinstance(s, exp.Create) and s.args.get("kind") == "TABLE"]
    assert len(create) == 1, f"{path}: one CREATE TABLE"
    table = create[0]
    columns = [(c.name, arrow_type(c.args["kind"])) for c in table.this.expressions]
    expected = [(f.name, f.type) for f in parquet_schema]
    assert columns == expected, f"{path}: columns\n {columns}\n expected (denials.parquet)\n {expected}"
    props = table.args["properties"].expressions
    assert any(isinstance(p, exp.ExternalProperty) for p in props), f"{path}: EXTERNAL"
    fmt = [p for p in props if isinstance(p, exp.FileFormatProperty)]
    assert fmt and fmt[0].this.name.upper() == "PARQUET", f"{path}: STORED AS PARQUET"
    partitions = [p for p in props if isinstance(p, exp.PartitionedByProperty)]
    assert partitions, f"{path}: PARTITIONED BY"
    part_cols = [(c.name, c.args["kind"].this) for c in partitions[0].this.expressions]
    assert part_cols == [("date", exp.DataType.Type.TEXT)], f"{path}: partition column: {part_cols}"
    location = [p for p in props if isinstance(p, exp.LocationProperty)][0].this.name
    assert location.endswith("/whydenied/denials/"), location
    tblprops = {p.this.name: p.args["value"].name for p in props if type(p) is exp.Property}
    want = {
        "projection.enabled": "true",
        "projection.date.type": "date",
        "projection.date.format": "yyyy-MM-dd",
        "projection.date.range": f"{PROJECTION_START},NOW",
        "storage.location.template": location + "date=${date}/",
    }
    wrong = {k: (tblprops.get(k), v) for k, v in want.items() if tblprops.get(k) != v}
    assert not wrong, f"{path}: TBLPROPERTIES (got, expected): {wrong}"
    # A day before the range would be silently missing from every query.
    first_day = pc.min(pc.cast(parquet_table.column("event_time"), pa.date32())).as_py()
    assert dt.date.fromisoformat(PROJECTION_START) <= first_day, f"{path}: the range starts after {first_day}"


def normalise(rows):
    """Timestamps as naive UTC (Athena's `timestamp`), whatever the engine returned."""
    def value(v):
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return v.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return v
    return [tuple(value(v) for v in row) for row in rows]


def same_as_duckdb(work_dir, rel, text, dialect, time_zone, time_expr, expected, name):
    """Runs queries/REL translated from DIALECT and asserts it gives queries/NAME's rows."""
    try:
        got = run_translated(work_dir, with_since(rel, text), dialect, time_zone, time_expr)
    except AssertionError as e:
        raise AssertionError(f"{rel}: {e}") from None
    assert got == expected, f"{rel} (as {dialect}) differs from queries/{name}:\n {got[:3]}\n {expected[:3]}"


def run_translated(work_dir, sql, dialect, time_zone, event_time):
    translated = sqlglot.transpile(sql, read=dialect, write="duckdb")
    db = duckdb.connect()
    db.execute(f"SET TimeZone = '{time_zone}'")
    db.execute(
        f"CREATE VIEW denials AS SELECT * REPLACE ({event_time} AS event_time), "
        f"strftime(timezone('UTC', event_time), '%Y-%m-%d') AS \"date\" "
        f"FROM {SOURCE.replace(SOURCE_DIR, repr(os.path.join(work_dir, 'whydenied-out')))}"
    )
    result = None
    try:
        for statement in translated:
            result = db.execute(statement)
    except duckdb.Error as e:
        raise AssertionError(f"read as {dialect}, run by DuckDB as\n{statement}\n{e}") from None
    return normalise(result.fetchall())


def with_since(rel, text):
    default = SINCE_DEFAULTS.get(rel)
    if default is None:
        return text
    assert text.count(default) == 1, f"{rel}: the default `since` ({default}) appears once"
    return text.replace(default, SINCE)


def main(queries_dir, work_dir):
    parquet_table = pq.read_table(os.path.join(work_dir, "whydenied-out", "denials.parquet"))
    athena_dir = os.path.join(queries_dir, "athena")
    spark_dir = os.path.join(queries_dir, "spark")
    athena = sorted(f for f in os.listdir(athena_dir) if f.endswith(".sql"))
    spark = sorted(f for f in os.listdir(spark_dir) if f.endswith(".sql"))
    others = [
        os.path.join(d, f)
        for d in (athena_dir, spark_dir)
        for f in os.listdir(d)
        if not f.endswith(".sql")
    ]
    assert not others, f"not .sql, so not checked: {others}"
    assert {"create_database.sql", "create_table.sql"} <= set(athena) and "denials_view.sql" in spark

    spark_view = open(os.path.join(spark_dir, "denials_view.sql")).read()
    parse("spark/denials_view.sql", spark_view, "spark")
    tz = re.search(r"^SET spark\.sql\.session\.timeZone\s*=\s*([\w/+-]+)\s*;", spark_view, re.M | re.I)
    spark_time_zone = tz.group(1) if tz else SESSION_TIME_ZONE
    print(f"ok: spark/denials_view.sql parses as spark (session time zone {spark_time_zone})")

    for name in athena:
        rel = f"athena/{name}"
        text = open(os.path.join(athena_dir, name)).read()
        assert text.startswith("--"), f"{rel}: starts with a comment saying what it answers"
        statements = parse(rel, text, "athena")
        # One `aws athena start-query-execution` runs one statement.
        assert len(statements) == 1, f"{rel}: {len(statements)} statements; Athena runs one at a time"
        if name == "create_database.sql":
            assert isinstance(statements[0], exp.Create) and statements[0].args.get("kind") == "DATABASE", rel
            print(f"ok: {rel} parses as athena: one CREATE DATABASE")
            continue
        if name == "create_table.sql":
            check_ddl(rel, statements, parquet_table)
            print(f"ok: {rel} parses as athena (Hive DDL); columns and types = denials.parquet; projection on date")
            continue
        assert all(isinstance(s, exp.Query) for s in statements), f"{rel}: queries only"
        parse(rel, text, "trino")
        twin = os.path.join(queries_dir, name)
        assert os.path.exists(twin), f"{rel}: no DuckDB twin queries/{name} to compare with"
        setup = f"SET VARIABLE since = {SINCE}" if rel in SINCE_DEFAULTS else None
        _, expected = run_query(work_dir, open(twin).read(), setup)
        expected = normalise(expected)
        assert expected, f"queries/{name} returned no rows"
        same_as_duckdb(work_dir, rel, text, "trino", SESSION_TIME_ZONE, "timezone('UTC', event_time)",
                       expected, name)

        spark_rel = f"spark/{name}" if name in spark else rel
        spark_text = open(os.path.join(queries_dir, spark_rel)).read()
        parse(spark_rel, spark_text, "spark")
        same_as_duckdb(work_dir, spark_rel, spark_text, "spark", spark_time_zone, "event_time",
                       expected, name)
        print(f"ok: {rel} parses as athena and trino, {spark_rel} as spark; both give queries/{name}'s "
              f"{len(expected)} rows")

    for name in spark:
        parse(f"spark/{name}", open(os.path.join(spark_dir, name)).read(), "spark")
        if name != "denials_view.sql":
            assert name in athena, f"spark/{name}: a Spark version of a query that has no Athena version"


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
