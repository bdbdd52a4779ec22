-- Denials per UTC day with one column per denied_by value (Athena / Trino; same result as
-- ../daily_trend.sql). event_time holds the UTC time, so CAST(… AS date) is the UTC day.
-- Run with the database whydenied selected. To scan fewer bytes, add  AND "date" >= '2026-11-01'
-- (the partition is the same UTC day).
-- Spark SQL: runs unchanged after ../spark/denials_view.sql (which sets the session time zone to UTC).
SELECT
    CAST(event_time AS date)                                           AS day,
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
FROM denials
WHERE error_category = 'authorization'
GROUP BY CAST(event_time AS date)
ORDER BY day;
