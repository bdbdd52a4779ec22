-- Principals with the most denied requests: how many, how many distinct actions and buckets,
-- which mechanism usually denied them (ties: alphabetical), first and last seen.
-- DuckDB: reads the reports under whydenied-out/ in the current directory, or under the directory
-- in the variable `reports`:
--   duckdb -c ".read queries/top_denied_principals.sql"
--   duckdb -cmd "SET VARIABLE reports = '/srv/whydenied'" -c ".read queries/top_denied_principals.sql"
-- The glob reads a single run (whydenied-out/denials.parquet) and partitioned / incremental / sharded
-- output (whydenied-out/denials/date=YYYY-MM-DD/denials-<run-id>.parquet) alike; summaries are not read.
-- Only authorization failures; drop the error_category filter to include those kept by
-- --include-authn / --all-errors.
SET VARIABLE reports = coalesce(getvariable('reports'), 'whydenied-out');

WITH denials AS (
    SELECT *
    FROM read_parquet(getvariable('reports') || '/**/denials*.parquet', hive_partitioning = false, union_by_name = true)
    WHERE error_category = 'authorization'
),
mechanisms AS (
    SELECT
        principal,
        denied_by,
        row_number() OVER (PARTITION BY principal ORDER BY count(*) DESC, denied_by) AS rank
    FROM denials
    GROUP BY principal, denied_by
)
SELECT
    d.principal,
    max(d.principal_type)            AS principal_type,
    count(*)                         AS denials,
    count(DISTINCT d.action)         AS actions,
    count(DISTINCT d.bucket)         AS buckets,
    max(m.denied_by)                 AS usually_denied_by,
    min(d.event_time)                AS first_seen,
    max(d.event_time)                AS last_seen
FROM denials AS d
JOIN mechanisms AS m ON m.principal = d.principal AND m.rank = 1
GROUP BY d.principal
ORDER BY denials DESC, d.principal
LIMIT 20;
