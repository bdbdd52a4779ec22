"""Runs every DuckDB query in queries/ against a scan's output and checks its numbers against the
summary report computed by the tool (a different code path: Rust aggregation vs DuckDB SQL).

usage: check_queries.py QUERIES_DIR WORK_DIR   (WORK_DIR holds whydenied-out/)
"""

import os
import sys

import duckdb

# What each query's result must agree with, as SQL over summary.parquet.
EXPECTATIONS = {
    "top_denied_principals.sql": (
        "SELECT principal, sum(count) AS denials FROM read_parquet('whydenied-out/summary.parquet') "
        "WHERE error_category = 'authorization' GROUP BY principal ORDER BY denials DESC, principal LIMIT 20",
        lambda row: (row[0], row[2]),
    ),
}


def main(queries_dir, work_dir):
    os.chdir(work_dir)
    files = sorted(f for f in os.listdir(queries_dir) if f.endswith(".sql"))
    missing = [f for f in files if f not in EXPECTATIONS]
    assert not missing, f"queries without a check: {missing}"
    for name in files:
        db = duckdb.connect()
        rows = db.execute(open(os.path.join(queries_dir, name)).read()).fetchall()
        expected_sql, project = EXPECTATIONS[name]
        expected = db.execute(expected_sql).fetchall()
        assert rows, f"{name} returned no rows"
        got = [project(r) for r in rows]
        assert got == [tuple(e) for e in expected], f"{name}:\n got {got}\n expected {expected}"
        print(f"ok: {name} ({len(rows)} rows)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
