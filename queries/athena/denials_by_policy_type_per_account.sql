-- Denials per account × denied_by × deny_kind (Athena / Trino; same result as
-- ../denials_by_policy_type_per_account.sql). Run with the database whydenied selected.
-- To scan fewer bytes, add  AND "date" >= '2026-11-01'  to the WHERE.
-- Spark SQL: runs unchanged after ../spark/denials_view.sql.
SELECT
    account_id,
    denied_by,
    deny_kind,
    count(*)                                                                        AS denials,
    count(DISTINCT principal)                                                       AS principals,
    round(100 * CAST(count(*) AS double) / sum(count(*)) OVER (PARTITION BY account_id), 1) AS pct_of_account
FROM denials
WHERE error_category = 'authorization'
GROUP BY account_id, denied_by, deny_kind
ORDER BY account_id, denials DESC, denied_by, deny_kind;
