-- Denials per UTC day, with the number of distinct principals and one column per denied_by value.
-- A day with no denials has no row; a NULL day counts denials whose eventTime was missing or invalid.
-- DuckDB: reads the reports under whydenied-out/ in the current directory, or under the directory
-- in the variable `reports`:
--   duckdb -c ".read queries/daily_trend.sql"
--   duckdb -cmd "SET VARIABLE reports = '/srv/whydenied'" -c ".read queries/daily_trend.sql"
-- event_time is a UTC instant (TIMESTAMPTZ); timezone('UTC', …) makes the day the UTC day whatever
-- the session's TimeZone. Reads a single run and partitioned / sharded output alike.
SET VARIABLE reports = coalesce(getvariable('reports'), 'whydenied-out');

SELECT
    CAST(timezone('UTC', event_time) AS DATE)                          AS day,
    count(*)                                                           AS denials,
    count(DISTINCT principal)                                          AS principals,
    count(*) FILTER (WHERE denied_by = 'identity_policy')              AS identity_policy,
    count(*) FILTER (WHERE denied_by = 'resource_policy')              AS resource_policy,
    count(*) FILTER (WHERE denied_by = 'permissions_boundary')         AS permissions_boundary,
    count(*) FILTER (WHERE denied_by = 'scp')                          AS scp,
    count(*) FILTER (WHERE denied_by = 'rcp')                          AS rcp,
    count(*) FILTER (WHERE denied_by = 'session_policy')               AS session_policy,
    count(*) FILTER (WHERE denied_by = 'vpc_endpoint_policy')          AS vpc_endpoint_policy,
    count(*) FILTER (WHERE denied_by = 'role_trust_policy')            AS role_trust_policy,
    count(*) FILTER (WHERE denied_by = 's3_block_public_access')       AS s3_block_public_access,
    count(*) FILTER (WHERE denied_by = 's3_sse_c_blocked')             AS s3_sse_c_blocked,
    count(*) FILTER (WHERE denied_by = 's3_object_access_disabled')    AS s3_object_access_disabled,
    count(*) FILTER (WHERE denied_by = 's3_acls_disabled')             AS s3_acls_disabled,
    count(*) FILTER (WHERE denied_by = 'unknown')                      AS unknown
FROM read_parquet(getvariable('reports') || '/**/denials*.parquet', hive_partitioning = false, union_by_name = true)
WHERE error_category = 'authorization'
GROUP BY day
ORDER BY day;
