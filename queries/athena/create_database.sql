-- Athena: the database that queries/athena/create_table.sql creates its table in. Run this first,
-- once; Athena runs one statement per query execution, so the two are separate files:
--   aws athena start-query-execution --query-string file://queries/athena/create_database.sql \
--       --result-configuration OutputLocation=s3://<your-bucket>/athena-results/
CREATE DATABASE IF NOT EXISTS whydenied;
