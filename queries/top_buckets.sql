-- S3 buckets with the most denied requests: distinct principals, actions and accounts, the mechanism
-- that usually denied them (ties: alphabetical), first and last seen. Requests without a bucket are left out.
-- DuckDB: reads the reports under whydenied-out/ in the current directory, or under the directory
-- in the variable `reports`:
--   duckdb -c ".read queries/top_buckets.sql"
--   duckdb -cmd "SET VARIABLE reports = '/srv/whydenied'" -c ".read queries/top_buckets.sql"
-- Reads a single run and partitioned / sharded output alike (see top_denied_principals.sql).
SET VARIABLE reports = coalesce(getvariable('reports'), 'whydenied-out');

WITH denials AS (
    SELECT *
    FROM read_parquet(getvariable('reports') || '/**/denials*.parquet', hive_partitioning = false, union_by_name = true)
    WHERE error_category = 'authorization' AND bucket IS NOT NULL
),
mechanisms AS (
    SELECT
        bucket,
        denied_by,
        row_number() OVER (PARTITION BY bucket ORDER BY count(*) DESC, denied_by) AS rank
    FROM denials
    GROUP BY bucket, denied_by
)
SELECT
    d.bucket,
    count(*)                         AS denials,
    count(DISTINCT d.principal)      AS principals,
    count(DISTINCT d.action)         AS actions,
    count(DISTINCT d.account_id)     AS accounts,
    max(m.denied_by)                 AS usually_denied_by,
    min(d.event_time)                AS first_seen,
    max(d.event_time)                AS last_seen
FROM denials AS d
JOIN mechanisms AS m ON m.bucket = d.bucket AND m.rank = 1
GROUP BY d.bucket
ORDER BY denials DESC, d.bucket
LIMIT 20;
