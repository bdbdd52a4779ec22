-- Spark SQL (spark-sql, EMR, Glue, Databricks): what differs from Athena/Trino is how the data is
-- found and the time zone. Run this first; the queries in ../athena/ (all but create_table.sql)
-- then run unchanged against the view `denials`:
--   spark-sql -i queries/spark/denials_view.sql -f queries/athena/daily_trend.sql
-- Spark reads the Parquet path directly (s3a:// on plain Spark, s3:// on EMR/Glue/Databricks),
-- discovers the date=YYYY-MM-DD partitions itself (no table, no MSCK REPAIR), and merges the
-- columns of files from different versions. For a single run use the path
-- 'whydenied-out/denials.parquet'. In Spark SQL "…" is a string, so filter the partition with
-- backticks:  AND `date` >= '2026-11-01'.
-- event_time is a UTC instant; CAST(event_time AS DATE) uses the session time zone, hence UTC here.
SET spark.sql.session.timeZone = UTC;
-- keep the partition value a string, as in Athena
SET spark.sql.sources.partitionColumnTypeInference.enabled = false;

CREATE OR REPLACE TEMPORARY VIEW denials
USING parquet
OPTIONS (
    path 's3a://<your-bucket>/whydenied/denials/',
    mergeSchema 'true'
);
