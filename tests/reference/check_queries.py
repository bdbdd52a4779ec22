"""Runs every DuckDB query in queries/*.sql against a scan's output and checks each result against
an independent computation:

- plain Python over the rows of denials.parquet (read with pyarrow), the whole result row by row;
- summary.parquet, the tool's own aggregation in Rust (a different code path), for every column it
  can answer (counts, distinct actions/principals/buckets/accounts, first/last seen, totals).

Every query runs twice: over the single-run layout (whydenied-out/denials.parquet) and over the
partitioned layout built here from the same rows (whydenied-out/denials/date=YYYY-MM-DD/
denials-<run>.parquet, split by UTC event date into two runs, one with an extra column as a
newer version would add, plus per-run summaries and a partial file the glob must not read); both must give the same
result. DuckDB's TimeZone is set to UTC+14, so a query that takes a day in local time fails.
A query file without a check here fails the test.

usage: check_queries.py QUERIES_DIR WORK_DIR   (WORK_DIR holds whydenied-out/ from a fresh scan)
"""

import datetime as dt
import os
import shutil
import sys
from collections import Counter, defaultdict

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# How every query reads the reports: both layouts, only denials files, columns by name.
SOURCE = "read_parquet(getvariable('reports') || '/**/denials*.parquet', hive_partitioning = false, union_by_name = true)"
# Each query names its reports directory once, defaulting to whydenied-out/ in the current directory.
REPORTS_DEFAULT = "SET VARIABLE reports = coalesce(getvariable('reports'), 'whydenied-out');"
# Far from UTC: a day computed in the session's time zone instead of UTC shows.
SESSION_TIME_ZONE = "Pacific/Kiritimati"
UTC = dt.timezone.utc


def utc_day(ts):
    return None if ts is None else ts.astimezone(UTC).date()


def null_last(value):
    return (value is None, value if value is not None else "")


def null_first(value):
    return (value is not None, value if value is not None else "")


def usually(counter):
    """The most frequent value; ties go to the alphabetically first (as the queries do)."""
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def times(rows):
    return [r["event_time"] for r in rows if r["event_time"] is not None]


def group(rows, key):
    groups = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def named(columns, rows):
    return [dict(zip(columns, row)) for row in rows]


def expect_equal(what, got, expected):
    if got != expected:
        lines = [f"{what}: {len(got)} rows, expected {len(expected)}"]
        for i, (g, e) in enumerate(zip(got, expected)):
            if g != e:
                lines.append(f"  first difference at row {i}:\n    got      {g}\n    expected {e}")
                break
        raise AssertionError("\n".join(lines))


# --- the checks: (denials, summary, columns, rows, since) -> None, raising on a mismatch ----------


def check_top_denied_principals(denials, summary, columns, rows, since):
    # Python over denials.parquet: the whole result.
    expected = []
    for principal, group_rows in group(denials, lambda r: r["principal"]).items():
        ts = times(group_rows)
        expected.append((
            principal,
            max(r["principal_type"] for r in group_rows),
            len(group_rows),
            len({r["action"] for r in group_rows}),
            len({r["bucket"] for r in group_rows if r["bucket"] is not None}),
            usually(Counter(r["denied_by"] for r in group_rows)),
            min(ts, default=None),
            max(ts, default=None),
        ))
    expected.sort(key=lambda r: (-r[2], r[0]))
    expect_equal("vs Python over denials.parquet", rows, expected[:20])

    # The Rust summary: counts, distinct actions and buckets, first/last seen, the ranking.
    by_principal = group(summary, lambda s: s["principal"])
    from_summary = sorted(
        (
            (
                p,
                sum(s["count"] for s in g),
                len({s["action"] for s in g}),
                len({s["bucket"] for s in g if s["bucket"] is not None}),
                min(s["first_seen"] for s in g),
                max(s["last_seen"] for s in g),
            )
            for p, g in by_principal.items()
        ),
        key=lambda r: (-r[1], r[0]),
    )[:20]
    got = [(r["principal"], r["denials"], r["actions"], r["buckets"], r["first_seen"], r["last_seen"])
           for r in named(columns, rows)]
    expect_equal("vs summary.parquet", got, from_summary)
    for r in named(columns, rows):
        types = {t for s in by_principal[r["principal"]] for t in s["principal_type"].split("|")}
        assert r["principal_type"] in types, (r["principal"], r["principal_type"], types)


def check_denials_by_policy_type_per_account(denials, summary, columns, rows, since):
    per_account = Counter(r["account_id"] for r in denials)
    expected = []
    for (account, denied_by, kind), g in group(
        denials, lambda r: (r["account_id"], r["denied_by"], r["deny_kind"])
    ).items():
        expected.append((account, denied_by, kind, len(g), len({r["principal"] for r in g})))
    expected.sort(key=lambda r: (null_last(r[0]), -r[3], r[1], r[2]))
    got = [tuple(r[:5]) for r in rows]
    expect_equal("vs Python over denials.parquet", got, expected)
    for r in named(columns, rows):
        exact = 100 * r["denials"] / per_account[r["account_id"]]
        assert abs(r["pct_of_account"] - exact) <= 0.05 + 1e-9, (r, exact)
    # The Rust summary: the same total.
    assert sum(r["denials"] for r in named(columns, rows)) == sum(s["count"] for s in summary)


DENIED_BY_COLUMNS_START = 3  # day, denials, principals, then one column per denied_by


def check_daily_trend(denials, summary, columns, rows, since):
    mechanisms = columns[DENIED_BY_COLUMNS_START:]
    seen = {r["denied_by"] for r in denials}
    assert seen <= set(mechanisms), f"denied_by values without a column: {sorted(seen - set(mechanisms))}"
    expected = []
    for day, g in group(denials, lambda r: utc_day(r["event_time"])).items():
        by = Counter(r["denied_by"] for r in g)
        expected.append((day, len(g), len({r["principal"] for r in g}), *(by[m] for m in mechanisms)))
    expected.sort(key=lambda r: null_last(r[0]))
    expect_equal("vs Python over denials.parquet", rows, expected)
    # The Rust summary: the same total, and the first and last day.
    result = named(columns, rows)
    assert sum(r["denials"] for r in result) == sum(s["count"] for s in summary)
    dated = [r["day"] for r in result if r["day"] is not None]
    assert dated[0] == utc_day(min(s["first_seen"] for s in summary))
    assert dated[-1] == utc_day(max(s["last_seen"] for s in summary))


def check_new_combinations(denials, summary, columns, rows, since):
    if since is None:  # the query's default: the latest UTC day in the data
        since = max(utc_day(t) for t in times(denials))
    order = lambda r: (r[4], r[0], r[1], null_first(r[2]))  # noqa: E731
    # The Rust summary: one row per (principal, action, bucket) with its first/last seen.
    from_summary = sorted(
        (
            (s["principal"], s["action"], s["bucket"], s["count"], s["first_seen"], s["last_seen"])
            for s in summary
            if s["first_seen"] is not None and utc_day(s["first_seen"]) >= since
        ),
        key=order,
    )
    expect_equal(f"since {since}: vs summary.parquet", rows, from_summary)
    # Python over denials.parquet.
    expected = []
    for (principal, action, bucket), g in group(
        denials, lambda r: (r["principal"], r["action"], r["bucket"])
    ).items():
        ts = times(g)
        if ts and utc_day(min(ts)) >= since:
            expected.append((principal, action, bucket, len(g), min(ts), max(ts)))
    expect_equal(f"since {since}: vs Python over denials.parquet", rows, sorted(expected, key=order))
    assert 0 < len(rows) < len(summary), f"since {since}: the sample should have some, not all, new"


def check_top_buckets(denials, summary, columns, rows, since):
    expected = []
    for bucket, g in group([r for r in denials if r["bucket"] is not None], lambda r: r["bucket"]).items():
        ts = times(g)
        expected.append((
            bucket,
            len(g),
            len({r["principal"] for r in g}),
            len({r["action"] for r in g}),
            len({r["account_id"] for r in g if r["account_id"] is not None}),
            usually(Counter(r["denied_by"] for r in g)),
            min(ts, default=None),
            max(ts, default=None),
        ))
    expected.sort(key=lambda r: (-r[1], r[0]))
    expect_equal("vs Python over denials.parquet", rows, expected[:20])
    # The Rust summary: counts, distinct principals/actions, accounts (union of lists), first/last seen.
    from_summary = []
    for bucket, g in group([s for s in summary if s["bucket"] is not None], lambda s: s["bucket"]).items():
        from_summary.append((
            bucket,
            sum(s["count"] for s in g),
            len({s["principal"] for s in g}),
            len({s["action"] for s in g}),
            len({a for s in g for a in s["accounts"]}),
            min(s["first_seen"] for s in g),
            max(s["last_seen"] for s in g),
        ))
    from_summary.sort(key=lambda r: (-r[1], r[0]))
    got = [(r["bucket"], r["denials"], r["principals"], r["actions"], r["accounts"], r["first_seen"],
            r["last_seen"]) for r in named(columns, rows)]
    expect_equal("vs summary.parquet", got, from_summary[:20])


# query file -> (check, the settings to run it with: SQL run before the file, and the `since` it sets)
CHECKS = {
    "top_denied_principals.sql": (check_top_denied_principals, [(None, None)]),
    "denials_by_policy_type_per_account.sql": (check_denials_by_policy_type_per_account, [(None, None)]),
    "daily_trend.sql": (check_daily_trend, [(None, None)]),
    "new_combinations.sql": (
        check_new_combinations,
        [
            (None, None),  # the default
            ("SET VARIABLE since = DATE '2026-11-03'", dt.date(2026, 11, 3)),
        ],
    ),
    "top_buckets.sql": (check_top_buckets, [(None, None)]),
}


def run_query(directory, text, setup=None, reports=None):
    """Runs a query file from `directory` (which holds whydenied-out/, unless `reports` names
    another reports directory): (column names, rows)."""
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        db = duckdb.connect()
        db.execute(f"SET TimeZone = '{SESSION_TIME_ZONE}'")
        if setup:
            db.execute(setup)
        if reports:
            db.execute(f"SET VARIABLE reports = '{reports}'")
        result = db.execute(text)
        return [d[0] for d in result.description], result.fetchall()
    finally:
        os.chdir(cwd)


def build_partitioned_layout(single, root):
    """The partitioned layout of the same rows under root/whydenied-out/."""
    out = os.path.join(root, "whydenied-out")
    shutil.rmtree(root, ignore_errors=True)
    table = pq.read_table(os.path.join(single, "denials.parquet"))
    days = [
        "__invalid__" if t is None else utc_day(t).isoformat()  # as src/report/layout.rs names them
        for t in table.column("event_time").to_pylist()
    ]
    files = 0
    for day in sorted(set(days)):
        indices = [i for i, d in enumerate(days) if d == day]
        part = table.take(pa.array(indices))
        half = len(indices) // 2
        runs = {"run1": part.slice(0, half), "run2": part.slice(half)}
        # run1 as if written (backfilled) by a newer version with one more column: the files do
        # not share one schema, so reading them needs union_by_name
        runs["run1"] = runs["run1"].append_column(
            "suppressed_by", pa.nulls(runs["run1"].num_rows, pa.string())
        )
        directory = os.path.join(out, "denials", f"date={day}")
        os.makedirs(directory, exist_ok=True)
        for run, rows in runs.items():
            if rows.num_rows:
                pq.write_table(rows, os.path.join(directory, f"denials-{run}.parquet"), compression="zstd")
                files += 1
        # a report being written: a hidden temporary name the glob must not match
        with open(os.path.join(directory, ".denials-run3.parquet.partial-12"), "wb") as partial:
            partial.write(b"PAR1 not yet complete")
    os.makedirs(os.path.join(out, "summary"))
    for run in ("run1", "run2"):  # per-run summaries: the queries must not read them
        shutil.copy(os.path.join(single, "summary.parquet"), os.path.join(out, "summary", f"summary-{run}.parquet"))
    assert files >= 4 and len(set(days)) >= 2, (files, set(days))
    return files, len(set(days))


def main(queries_dir, work_dir):
    single = os.path.join(work_dir, "whydenied-out")
    denials_table = pq.read_table(os.path.join(single, "denials.parquet"))
    all_denials = denials_table.to_pylist()
    denials = [r for r in all_denials if r["error_category"] == "authorization"]
    summary = pq.read_table(os.path.join(single, "summary.parquet")).to_pylist()
    # The summary's group category is its most frequent one: comparing with it is exact only when
    # every kept failure is an authorization failure (the default scan).
    assert len(denials) == len(all_denials) > 0, "scan without --include-authn/--all-errors"
    assert pc.sum(pa.array([s["count"] for s in summary])).as_py() == len(denials)

    partitioned = os.path.join(work_dir, "layout-b")
    files, days = build_partitioned_layout(single, partitioned)
    print(f"partitioned layout: {files} denials files in {days} date partitions, 2 run summaries")

    names = sorted(f for f in os.listdir(queries_dir) if f.endswith(".sql"))
    missing = [f for f in names if f not in CHECKS]
    assert not missing, f"queries without a check in {__file__}: {missing}"
    stale = [f for f in CHECKS if f not in names]
    assert not stale, f"checks for queries that do not exist: {stale}"
    for name in names:
        text = open(os.path.join(queries_dir, name)).read()
        assert text.startswith("--"), f"{name}: starts with a comment saying what it answers"
        calls = text.count("read_parquet(")
        assert calls and text.count(SOURCE) == calls, f"{name}: every read_parquet( reads {SOURCE}"
        assert text.count(REPORTS_DEFAULT) == 1, f"{name}: sets the default reports directory once"
        check, settings = CHECKS[name]
        for setup, since in settings:
            label = name + (f" [{setup}]" if setup else "")
            columns, rows = run_query(work_dir, text, setup)
            assert rows, f"{label} returned no rows"
            try:
                check(denials, summary, columns, rows, since)
            except AssertionError as e:
                raise AssertionError(f"{label}: {e}") from None
            columns_b, rows_b = run_query(partitioned, text, setup)
            assert columns_b == columns, f"{label}: partitioned layout gives columns {columns_b}"
            expect_equal(f"{label}: partitioned layout vs single run", rows_b, rows)
            # From anywhere, with the reports directory set as the README shows.
            elsewhere = os.path.join(work_dir, "elsewhere")
            os.makedirs(elsewhere, exist_ok=True)
            columns_c, rows_c = run_query(elsewhere, text, setup, reports=os.path.join(partitioned, "whydenied-out"))
            assert columns_c == columns, f"{label}: SET VARIABLE reports gives columns {columns_c}"
            expect_equal(f"{label}: SET VARIABLE reports from another directory", rows_c, rows)
            print(f"ok: {label}: {len(rows)} rows, agree with Python and the summary, same over both layouts")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
