-- S3 buckets with the most denied requests (Athena / Trino; same result as ../top_buckets.sql).
-- Run with the database whydenied selected. To scan fewer bytes, add  AND "date" >= '2026-11-01'
-- to the first WHERE.
-- Spark SQL: runs unchanged after ../spark/denials_view.sql.
WITH d AS (
    SELECT bucket, principal, action, account_id, denied_by, event_time
    FROM denials
    WHERE error_category = 'authorization' AND bucket IS NOT NULL
),
mechanisms AS (
    SELECT
        bucket,
        denied_by,
        row_number() OVER (PARTITION BY bucket ORDER BY count(*) DESC, denied_by) AS rank
    FROM d
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
FROM d
JOIN mechanisms AS m ON m.bucket = d.bucket AND m.rank = 1
GROUP BY d.bucket
ORDER BY denials DESC, d.bucket
LIMIT 20;
