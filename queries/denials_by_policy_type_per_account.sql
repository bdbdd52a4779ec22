-- Denials per account (the account the request was made to) × denied_by (which policy type or
-- S3 mechanism) × deny_kind (explicit / implicit / service_reason / generic), with the number of
-- distinct principals and the share of the account's denials.
-- DuckDB: reads the reports under whydenied-out/ in the current directory, or under the directory
-- in the variable `reports`:
--   duckdb -c ".read queries/denials_by_policy_type_per_account.sql"
--   duckdb -cmd "SET VARIABLE reports = '/srv/whydenied'" -c ".read queries/denials_by_policy_type_per_account.sql"
-- Reads a single run and partitioned / sharded output alike (see top_denied_principals.sql).
SET VARIABLE reports = coalesce(getvariable('reports'), 'whydenied-out');

SELECT
    account_id,
    denied_by,
    deny_kind,
    count(*)                                                                        AS denials,
    count(DISTINCT principal)                                                       AS principals,
    round(100 * CAST(count(*) AS double) / sum(count(*)) OVER (PARTITION BY account_id), 1) AS pct_of_account
FROM read_parquet(getvariable('reports') || '/**/denials*.parquet', hive_partitioning = false, union_by_name = true)
WHERE error_category = 'authorization'
GROUP BY account_id, denied_by, deny_kind
ORDER BY account_id, denials DESC, denied_by, deny_kind;
