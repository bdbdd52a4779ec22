-- (principal, action, bucket) combinations denied for the first time on or after a UTC date: the
-- "what is new tonight" view. first_seen is over everything under the reports directory, so point it at the
-- whole history (partitioned / incremental runs), not just the last run.
-- DuckDB: reads the reports under whydenied-out/ in the current directory, or under the directory
-- in the variable `reports`:
--   duckdb -c ".read queries/new_combinations.sql"                       # since the latest UTC day in the data
--   duckdb -cmd "SET VARIABLE since = DATE '2026-11-03'" -c ".read queries/new_combinations.sql"
--   duckdb -cmd "SET VARIABLE since = current_date - 7" -c ".read queries/new_combinations.sql"
-- A `since` set before this file is kept; otherwise it defaults to the most recent UTC day with denials.
SET VARIABLE reports = coalesce(getvariable('reports'), 'whydenied-out');

SET VARIABLE since = coalesce(
    getvariable('since'),
    (SELECT CAST(max(timezone('UTC', event_time)) AS DATE)
     FROM read_parquet(getvariable('reports') || '/**/denials*.parquet', hive_partitioning = false, union_by_name = true)
     WHERE error_category = 'authorization'));

SELECT
    principal,
    action,
    bucket,
    count(*)            AS denials,
    min(event_time)     AS first_seen,
    max(event_time)     AS last_seen
FROM read_parquet(getvariable('reports') || '/**/denials*.parquet', hive_partitioning = false, union_by_name = true)
WHERE error_category = 'authorization'
GROUP BY principal, action, bucket
HAVING timezone('UTC', min(event_time)) >= CAST(getvariable('since') AS DATE)
ORDER BY first_seen, principal, action, bucket NULLS FIRST;
