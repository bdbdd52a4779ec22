//! Rows of the common Athena/Glue CloudTrail table, handed on as the CloudTrail records they
//! stand for: the table Spark, Glue and Athena users already have over their trail.
//!
//! Source: the `CREATE EXTERNAL TABLE cloudtrail_logs` DDL of the Amazon Athena User Guide,
//! "Create a table for CloudTrail logs in Athena using manual partitioning"
//! (<https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table.html>). Its columns
//! are the CloudTrail fields in lower case (`useridentity`, `eventsource`, …), nested ones as
//! structs, the resources as `array<struct<arn, accountid, type>>`, and the free-form fields
//! (`requestparameters`, `responseelements`, `additionaleventdata`, `serviceeventdetails`) as
//! JSON text. Column names are matched without regard to case (Athena and Glue lower-case them,
//! a table a user made from the JSON may not). `sessioncontext.sourceidentity` is not in the
//! DDL; it is read when a table has it.
//!
//! Each row is rebuilt with the same machinery as Security Lake's rows
//! ([`crate::decode::ocsf::mapping::Table`]) and then read as a line of a trail is, so a denial
//! from the table is the very denial the trail gives.

use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::ocsf::mapping::Convert::{self, EpochMillis, JsonText, Text};
use super::ocsf::mapping::{Column, Table, column};

/// The Athena CloudTrail table.
pub fn table() -> Table {
    Table {
        columns: &COLUMNS,
        resources: "resources",
        resource_fields: &RESOURCE_COLUMNS,
        unmapped: None,
    }
}

/// The CloudTrail fields the table has, `.` between struct fields. Its column for each is the
/// field's path in lower case (`userIdentity.sessionContext.sessionIssuer.arn` is
/// `useridentity.sessioncontext.sessionissuer.arn`), so the fields are all this list names.
const FIELDS: &[(&str, Convert)] = &[
    ("eventVersion", Text),
    ("userIdentity.type", Text),
    ("userIdentity.principalId", Text),
    ("userIdentity.arn", Text),
    ("userIdentity.accountId", Text),
    ("userIdentity.invokedBy", Text),
    ("userIdentity.accessKeyId", Text),
    ("userIdentity.userName", Text),
    ("userIdentity.onBehalfOf.userId", Text),
    ("userIdentity.onBehalfOf.identityStoreArn", Text),
    ("userIdentity.sessionContext.attributes.mfaAuthenticated", Text),
    ("userIdentity.sessionContext.attributes.creationDate", EpochMillis),
    ("userIdentity.sessionContext.sessionIssuer.type", Text),
    ("userIdentity.sessionContext.sessionIssuer.principalId", Text),
    ("userIdentity.sessionContext.sessionIssuer.arn", Text),
    ("userIdentity.sessionContext.sessionIssuer.accountId", Text),
    ("userIdentity.sessionContext.sessionIssuer.userName", Text),
    ("userIdentity.sessionContext.ec2RoleDelivery", Text),
    ("userIdentity.sessionContext.sourceIdentity", Text),
    // A string in the DDL; a timestamp in tables that typed it (Glue crawlers may).
    ("eventTime", EpochMillis),
    ("eventSource", Text),
    ("eventName", Text),
    ("awsRegion", Text),
    ("sourceIPAddress", Text),
    ("userAgent", Text),
    ("errorCode", Text),
    ("errorMessage", Text),
    ("requestParameters", JsonText),
    ("responseElements", JsonText),
    ("additionalEventData", JsonText),
    ("requestID", Text),
    ("eventID", Text),
    ("eventType", Text),
    ("apiVersion", Text),
    ("readOnly", Text),
    ("recipientAccountId", Text),
    ("serviceEventDetails", JsonText),
    ("sharedEventID", Text),
    ("vpcEndpointId", Text),
    ("vpcEndpointAccountId", Text),
    ("eventCategory", Text),
    ("tlsDetails.tlsVersion", Text),
    ("tlsDetails.cipherSuite", Text),
    ("tlsDetails.clientProvidedHostHeader", Text),
];

/// The fields of each element of `resources` (`array<struct<arn, accountid, type>>`).
const RESOURCE_FIELDS: &[(&str, Convert)] = &[("ARN", Text), ("accountId", Text), ("type", Text)];

static COLUMNS: LazyLock<Vec<Column>> = LazyLock::new(|| lower_case_columns(FIELDS));
static RESOURCE_COLUMNS: LazyLock<Vec<Column>> =
    LazyLock::new(|| lower_case_columns(RESOURCE_FIELDS));

/// The table's columns for `fields`: made once, and kept for the life of the process.
fn lower_case_columns(fields: &[(&'static str, Convert)]) -> Vec<Column> {
    let lower = |field: &str| -> &'static str { Box::leak(field.to_lowercase().into_boxed_str()) };
    fields.iter().map(|&(field, convert)| column(lower(field), field, convert)).collect()
}

/// The CloudTrail record that `row` (one row of the table as JSON, see
/// [`crate::decode::row::row_json`]) stands for.
pub fn cloudtrail_record(row: Map<String, Value>) -> Map<String, Value> {
    table().record(&lower_case_keys(row))
}

/// `row` with every member name in lower case, at every depth.
fn lower_case_keys(row: Map<String, Value>) -> Map<String, Value> {
    row.into_iter().map(|(key, value)| (key.to_lowercase(), lower_case_value(value))).collect()
}

fn lower_case_value(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(lower_case_keys(object)),
        Value::Array(items) => Value::Array(items.into_iter().map(lower_case_value).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_row_of_the_athena_table_is_rebuilt_as_its_record() {
        let row = json!({
            "eventTime": "2026-11-02T10:00:00Z", "eventsource": "s3.amazonaws.com",
            "eventname": "GetObject", "errorcode": "AccessDenied",
            "useridentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/s",
                             "sessioncontext": {"sessionissuer": {"arn": "arn:aws:iam::1:role/r"},
                                                "attributes": {"mfaauthenticated": "false"}}},
            "requestparameters": "{\"bucketName\":\"b\",\"key\":\"k\"}",
            "resources": [{"arn": "arn:aws:s3:::b", "accountid": "2", "type": "AWS::S3::Bucket"}],
            "tlsdetails": {"tlsversion": "TLSv1.3"}, "path": "s3://lake/x.json.gz"
        });
        let Value::Object(row) = row else { unreachable!("an object") };
        assert_eq!(
            Value::Object(cloudtrail_record(row)),
            json!({
                "eventTime": "2026-11-02T10:00:00Z", "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject", "errorCode": "AccessDenied",
                "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/s",
                                 "sessionContext": {"attributes": {"mfaAuthenticated": "false"},
                                                    "sessionIssuer": {"arn": "arn:aws:iam::1:role/r"}}},
                "requestParameters": {"bucketName": "b", "key": "k"},
                "resources": [{"ARN": "arn:aws:s3:::b", "accountId": "2", "type": "AWS::S3::Bucket"}],
                "tlsDetails": {"tlsVersion": "TLSv1.3"}
            })
        );
    }
}
