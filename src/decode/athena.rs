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

use serde_json::{Map, Value};

use super::ocsf::mapping::Convert::{EpochMillis, JsonText, Text};
use super::ocsf::mapping::{Column, Table, column};

/// The Athena CloudTrail table.
pub const ATHENA: Table = Table {
    columns: COLUMNS,
    resources: "resources",
    resource_fields: &[
        column("arn", "ARN", Text),
        column("accountid", "accountId", Text),
        column("type", "type", Text),
    ],
    unmapped: None,
};

/// The table's columns (lower case) and the CloudTrail fields they hold.
const COLUMNS: &[Column] = &[
    column("eventversion", "eventVersion", Text),
    column("useridentity.type", "userIdentity.type", Text),
    column("useridentity.principalid", "userIdentity.principalId", Text),
    column("useridentity.arn", "userIdentity.arn", Text),
    column("useridentity.accountid", "userIdentity.accountId", Text),
    column("useridentity.invokedby", "userIdentity.invokedBy", Text),
    column("useridentity.accesskeyid", "userIdentity.accessKeyId", Text),
    column("useridentity.username", "userIdentity.userName", Text),
    column("useridentity.onbehalfof.userid", "userIdentity.onBehalfOf.userId", Text),
    column(
        "useridentity.onbehalfof.identitystorearn",
        "userIdentity.onBehalfOf.identityStoreArn",
        Text,
    ),
    column(
        "useridentity.sessioncontext.attributes.mfaauthenticated",
        "userIdentity.sessionContext.attributes.mfaAuthenticated",
        Text,
    ),
    column(
        "useridentity.sessioncontext.attributes.creationdate",
        "userIdentity.sessionContext.attributes.creationDate",
        EpochMillis,
    ),
    column(
        "useridentity.sessioncontext.sessionissuer.type",
        "userIdentity.sessionContext.sessionIssuer.type",
        Text,
    ),
    column(
        "useridentity.sessioncontext.sessionissuer.principalid",
        "userIdentity.sessionContext.sessionIssuer.principalId",
        Text,
    ),
    column(
        "useridentity.sessioncontext.sessionissuer.arn",
        "userIdentity.sessionContext.sessionIssuer.arn",
        Text,
    ),
    column(
        "useridentity.sessioncontext.sessionissuer.accountid",
        "userIdentity.sessionContext.sessionIssuer.accountId",
        Text,
    ),
    column(
        "useridentity.sessioncontext.sessionissuer.username",
        "userIdentity.sessionContext.sessionIssuer.userName",
        Text,
    ),
    column(
        "useridentity.sessioncontext.ec2roledelivery",
        "userIdentity.sessionContext.ec2RoleDelivery",
        Text,
    ),
    column(
        "useridentity.sessioncontext.sourceidentity",
        "userIdentity.sessionContext.sourceIdentity",
        Text,
    ),
    column("eventtime", "eventTime", EpochMillis),
    column("eventsource", "eventSource", Text),
    column("eventname", "eventName", Text),
    column("awsregion", "awsRegion", Text),
    column("sourceipaddress", "sourceIPAddress", Text),
    column("useragent", "userAgent", Text),
    column("errorcode", "errorCode", Text),
    column("errormessage", "errorMessage", Text),
    column("requestparameters", "requestParameters", JsonText),
    column("responseelements", "responseElements", JsonText),
    column("additionaleventdata", "additionalEventData", JsonText),
    column("requestid", "requestID", Text),
    column("eventid", "eventID", Text),
    column("eventtype", "eventType", Text),
    column("apiversion", "apiVersion", Text),
    column("readonly", "readOnly", Text),
    column("recipientaccountid", "recipientAccountId", Text),
    column("serviceeventdetails", "serviceEventDetails", JsonText),
    column("sharedeventid", "sharedEventID", Text),
    column("vpcendpointid", "vpcEndpointId", Text),
    column("vpcendpointaccountid", "vpcEndpointAccountId", Text),
    column("eventcategory", "eventCategory", Text),
    column("tlsdetails.tlsversion", "tlsDetails.tlsVersion", Text),
    column("tlsdetails.ciphersuite", "tlsDetails.cipherSuite", Text),
    column("tlsdetails.clientprovidedhostheader", "tlsDetails.clientProvidedHostHeader", Text),
];

/// The CloudTrail record that `row` (one row of the table as JSON, see
/// [`crate::decode::row::row_json`]) stands for.
pub fn cloudtrail_record(row: Map<String, Value>) -> Map<String, Value> {
    ATHENA.record(&lower_case_keys(row))
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
