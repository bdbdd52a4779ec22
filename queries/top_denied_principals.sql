-- Principals with the most denied requests: what they were denied, where, and by which policy.
-- DuckDB, run next to the scan's output directory:  duckdb -c ".read queries/top_denied_principals.sql"
-- (denials from several runs or shards: point the glob at all of them, e.g. 'whydenied-out/**/*.parquet').
SELECT
    principal,
    any_value(principal_type)        AS principal_type,
    count(*)                         AS denials,
    count(DISTINCT action)           AS actions,
    count(DISTINCT bucket)           AS buckets,
    mode(denied_by)                  AS usually_denied_by,
    min(event_time)                  AS first_seen,
    max(event_time)                  AS last_seen
FROM read_parquet('whydenied-out/denials.parquet')
WHERE error_category = 'authorization'
GROUP BY principal
ORDER BY denials DESC, principal
LIMIT 20;
