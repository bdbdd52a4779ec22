-- (principal, action, bucket) combinations denied for the first time on or after a UTC date
-- (Athena / Trino; same result as ../new_combinations.sql for the same date). first_seen needs the
-- whole history, so this reads every partition (only the 5 columns it needs).
-- The date: edit `since` below; the default is yesterday (UTC), e.g. DATE '2026-11-03' for a fixed day.
-- Run with the database whydenied selected.
-- Spark SQL: runs unchanged after ../spark/denials_view.sql.
WITH params AS (
    SELECT current_date - INTERVAL '1' DAY AS since
),
combinations AS (
    SELECT
        principal,
        action,
        bucket,
        count(*)            AS denials,
        min(event_time)     AS first_seen,
        max(event_time)     AS last_seen
    FROM denials
    WHERE error_category = 'authorization'
    GROUP BY principal, action, bucket
)
SELECT c.principal, c.action, c.bucket, c.denials, c.first_seen, c.last_seen
FROM combinations AS c
CROSS JOIN params AS p
WHERE c.first_seen >= p.since
ORDER BY c.first_seen, c.principal, c.action, c.bucket NULLS FIRST;
