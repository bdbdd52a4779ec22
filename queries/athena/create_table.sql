-- Athena (engine v3): the partitioned denials reports as the table whydenied.denials.
-- Run queries/athena/create_database.sql first: Athena runs one statement per query execution.
-- Upload (or write with --out s3://…) the partitioned output so that the objects are
--   s3://<your-bucket>/whydenied/denials/date=YYYY-MM-DD/denials-<run-id>.parquet
-- replace <your-bucket> below (twice), and run this once in the Athena console or with
--   aws athena start-query-execution --query-string file://queries/athena/create_table.sql \
--       --result-configuration OutputLocation=s3://<your-bucket>/athena-results/
-- Partition projection computes the partitions from the date range, so new days are queryable at
-- once: no MSCK REPAIR TABLE, no ALTER TABLE ADD PARTITION, no Glue crawler. Filter on "date"
-- (a 'YYYY-MM-DD' string, the UTC day of event_time) to scan only the days you need.
-- The range starts at 2013-11-01, before CloudTrail's first delivery (November 2013), so that no
-- day of any trail lies before it; a day outside the range would be silently missing.
-- Events without a valid event time are in no date partition the projection knows: see them in DuckDB.
-- Columns match src/report/parquet.rs by name (Athena maps Parquet columns by name, so files from
-- older runs that lack a newer column read it as NULL). event_time is the UTC instant, as timestamp.
-- Athena DDL is Hive DDL: `date` is a reserved word there and needs the backticks.
CREATE EXTERNAL TABLE IF NOT EXISTS whydenied.denials (
    event_time          timestamp,
    event_id            string,
    request_id          string,
    account_id          string,
    region              string,
    event_source        string,
    event_name          string,
    action              string,
    error_category      string,
    error_code          string,
    error_message       string,
    denied_by           string,
    deny_kind           string,
    via_policy_type     string,
    denying_policy_arn  string,
    has_encoded_message boolean,
    principal           string,
    principal_type      string,
    caller_arn          string,
    session_name        string,
    principal_account   string,
    invoked_by          string,
    bucket              string,
    object_key          string,
    resource_arn        string,
    source_ip           string,
    user_agent          string,
    vpc_endpoint_id     string,
    origin              string,
    suppressed_by       string,
    noise               string,
    eval_context        string,
    eval_verdict        string,
    eval_layer          string,
    eval_policy         string,
    eval_statement      string,
    eval_condition      string,
    eval_unknown_keys   array<string>,
    eval_assumptions    array<string>,
    eval_policies_as_of string,
    eval_mismatch       boolean,
    eval_gaps           array<string>
)
PARTITIONED BY (`date` string)
STORED AS PARQUET
LOCATION 's3://<your-bucket>/whydenied/denials/'
TBLPROPERTIES (
    'projection.enabled'         = 'true',
    'projection.date.type'       = 'date',
    'projection.date.format'     = 'yyyy-MM-dd',
    'projection.date.range'      = '2013-11-01,NOW',
    'projection.date.interval'   = '1',
    'projection.date.interval.unit' = 'DAYS',
    'storage.location.template'  = 's3://<your-bucket>/whydenied/denials/date=${date}/'
);
