-- Principals with the most denied requests (Athena / Trino; same result as ../top_denied_principals.sql).
-- Run with the database whydenied selected (console, or --query-execution-context Database=whydenied)
-- after create_table.sql. To scan fewer bytes, add  AND "date" >= '2026-11-01'  to the first WHERE.
-- Spark SQL: runs unchanged after ../spark/denials_view.sql.
WITH d AS (
    SELECT principal, principal_type, action, bucket, denied_by, event_time
    FROM denials
    WHERE error_category = 'authorization'
),
mechanisms AS (
    SELECT
        principal,
        denied_by,
        row_number() OVER (PARTITION BY principal ORDER BY count(*) DESC, denied_by) AS rank
    FROM d
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
FROM d
JOIN mechanisms AS m ON m.principal = d.principal AND m.rank = 1
GROUP BY d.principal
ORDER BY denials DESC, d.principal
LIMIT 20;
