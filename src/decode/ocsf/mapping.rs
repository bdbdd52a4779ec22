//! The one table that says where each CloudTrail field the scan reads sits in an OCSF API
//! Activity (class 6003) row of Amazon Security Lake, and the rebuilding of a CloudTrail record
//! from such a row.
//!
//! Source: the CloudTrail → OCSF 1.1.0 mapping AWS contributed for Security Lake (source version
//! 2.0, OCSF project "Event Dossier: Amazon CloudTrail Generic API Activity"), where "any fields
//! not present in an explicit mapping will be mapped to the unmapped object". `unmapped` is a
//! `map<string,string>` keyed by the CloudTrail field's path (`additionalEventData`,
//! `tlsDetails`, `userIdentity.sessionContext.sourceIdentity`), its value the field's JSON text
//! (objects and arrays) or its text (scalars). The README's "Amazon Security Lake" section shows
//! this same table.
//!
//! | OCSF column                         | CloudTrail field                                        |
//! |-------------------------------------|---------------------------------------------------------|
//! | `metadata.uid`                      | `eventID`                                               |
//! | `time` (ms since the epoch)         | `eventTime`                                             |
//! | `api.service.name`                  | `eventSource`                                           |
//! | `api.operation`                     | `eventName`                                             |
//! | `api.response.error`                | `errorCode`                                             |
//! | `api.response.message`              | `errorMessage`                                          |
//! | `api.request.uid`                   | `requestID`                                             |
//! | `api.request.data` (JSON text)      | `requestParameters`                                     |
//! | `api.response.data` (JSON text)     | `responseElements`                                      |
//! | `metadata.event_code`               | `eventType`                                             |
//! | `cloud.region`                      | `awsRegion`                                             |
//! | `cloud.account.uid`                 | `recipientAccountId`                                    |
//! | `src_endpoint.ip`, else `src_endpoint.domain` | `sourceIPAddress`                             |
//! | `src_endpoint.uid`                  | `vpcEndpointId`                                         |
//! | `http_request.user_agent`           | `userAgent`                                             |
//! | `actor.user.type`                   | `userIdentity.type`                                     |
//! | `actor.user.uid`                    | `userIdentity.arn`                                      |
//! | `actor.user.account.uid`            | `userIdentity.accountId`                                |
//! | `actor.user.uid_alt`                | `userIdentity.principalId`                              |
//! | `actor.user.name`                   | `userIdentity.userName`                                 |
//! | `actor.user.credential_uid`         | `userIdentity.accessKeyId`                              |
//! | `actor.invoked_by`                  | `userIdentity.invokedBy`                                |
//! | `actor.session.issuer`              | `userIdentity.sessionContext.sessionIssuer.arn`         |
//! | `actor.session.is_mfa` (boolean)    | `userIdentity.sessionContext.attributes.mfaAuthenticated` |
//! | `actor.session.created_time_dt`     | `userIdentity.sessionContext.attributes.creationDate`   |
//! | `actor.idp.uid`                     | `userIdentity.onBehalfOf.identityStoreArn`              |
//! | `resources[].uid`                   | `resources[].ARN`                                       |
//! | `resources[].type`                  | `resources[].type`                                      |
//! | `resources[].owner.account.uid`     | `resources[].accountId`                                 |
//! | `unmapped[path]`                    | the field at that path, when no column above gave it    |

use serde_json::{Map, Value};

/// How a column's value becomes the CloudTrail field's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convert {
    /// Text as it is.
    Text,
    /// Milliseconds since the epoch (or a timestamp already rendered as text) to RFC 3339.
    EpochMillis,
    /// JSON text to the JSON it holds.
    JsonText,
    /// A boolean to CloudTrail's `"true"`/`"false"`.
    Flag,
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The table's column (OCSF's here), `.` between struct fields.
    pub ocsf: &'static str,
    /// The CloudTrail field, `.` between object members.
    pub cloudtrail: &'static str,
    pub convert: Convert,
}

pub const fn column(ocsf: &'static str, cloudtrail: &'static str, convert: Convert) -> Column {
    Column { ocsf, cloudtrail, convert }
}

use Convert::{EpochMillis, Flag, JsonText, Text};

/// The scalar columns of the table, in the order they are applied: the first column that gives
/// a field wins (`src_endpoint.ip` before `src_endpoint.domain`).
pub const COLUMNS: &[Column] = &[
    column("metadata.uid", "eventID", Text),
    column("time", "eventTime", EpochMillis),
    column("api.service.name", "eventSource", Text),
    column("api.operation", "eventName", Text),
    column("api.response.error", "errorCode", Text),
    column("api.response.message", "errorMessage", Text),
    column("api.request.uid", "requestID", Text),
    column("api.request.data", "requestParameters", JsonText),
    column("api.response.data", "responseElements", JsonText),
    column("metadata.event_code", "eventType", Text),
    column("cloud.region", "awsRegion", Text),
    column("cloud.account.uid", "recipientAccountId", Text),
    column("src_endpoint.ip", "sourceIPAddress", Text),
    column("src_endpoint.domain", "sourceIPAddress", Text),
    column("src_endpoint.uid", "vpcEndpointId", Text),
    column("http_request.user_agent", "userAgent", Text),
    column("actor.user.type", "userIdentity.type", Text),
    column("actor.user.uid", "userIdentity.arn", Text),
    column("actor.user.account.uid", "userIdentity.accountId", Text),
    column("actor.user.uid_alt", "userIdentity.principalId", Text),
    column("actor.user.name", "userIdentity.userName", Text),
    column("actor.user.credential_uid", "userIdentity.accessKeyId", Text),
    column("actor.invoked_by", "userIdentity.invokedBy", Text),
    column("actor.session.issuer", "userIdentity.sessionContext.sessionIssuer.arn", Text),
    column("actor.session.is_mfa", "userIdentity.sessionContext.attributes.mfaAuthenticated", Flag),
    column(
        "actor.session.created_time_dt",
        "userIdentity.sessionContext.attributes.creationDate",
        EpochMillis,
    ),
    column("actor.idp.uid", "userIdentity.onBehalfOf.identityStoreArn", Text),
];

/// The list column of resources, and the fields of each element.
pub const RESOURCES: &str = "resources";
pub const RESOURCE_FIELDS: &[Column] = &[
    column("uid", "ARN", Text),
    column("type", "type", Text),
    column("owner.account.uid", "accountId", Text),
];

/// The map of everything the columns above do not hold.
pub const UNMAPPED: &str = "unmapped";

/// The columns a file must have to be read as CloudTrail in OCSF: without them it is some other
/// Parquet, and is reported as not understood rather than read as a stream of empty events.
pub const REQUIRED: &[&str] = &["metadata.uid", "api.operation", "api.service.name"];

/// Security Lake's OCSF table: the columns above, its resources list and its `unmapped` map.
pub const OCSF: Table = Table {
    columns: COLUMNS,
    resources: RESOURCES,
    resource_fields: RESOURCE_FIELDS,
    unmapped: Some(UNMAPPED),
};

/// Where the CloudTrail fields sit in the rows of one kind of table: its scalar columns, its list
/// of resources with the fields of each element, and the map of everything else if it has one.
/// [`OCSF`] here, the Athena/Glue CloudTrail table in [`crate::decode::athena`].
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub columns: &'static [Column],
    pub resources: &'static str,
    pub resource_fields: &'static [Column],
    pub unmapped: Option<&'static str>,
}

/// The CloudTrail record that `row` (the projected OCSF columns of one row, as JSON) stands for.
pub fn cloudtrail_record(row: &Map<String, Value>) -> Map<String, Value> {
    OCSF.record(row)
}

impl Table {
    /// The CloudTrail record that `row` (one row of this table, as JSON) stands for.
    pub fn record(&self, row: &Map<String, Value>) -> Map<String, Value> {
        let mut record = Map::new();
        for column in self.columns {
            if let Some(value) = at(row, column.ocsf).and_then(|v| converted(v, column.convert)) {
                set_if_absent(&mut record, column.cloudtrail, value);
            }
        }
        if let Some(Value::Array(resources)) = row.get(self.resources) {
            let rebuilt: Vec<Value> = resources
                .iter()
                .filter_map(Value::as_object)
                .map(|resource| {
                    let mut entry = Map::new();
                    for field in self.resource_fields {
                        if let Some(value) =
                            at(resource, field.ocsf).and_then(|v| converted(v, Text))
                        {
                            entry.insert(field.cloudtrail.to_string(), value);
                        }
                    }
                    Value::Object(entry)
                })
                .collect();
            record.insert("resources".to_string(), Value::Array(rebuilt));
        }
        if let Some(Value::Object(unmapped)) = self.unmapped.and_then(|name| row.get(name)) {
            for (path, value) in unmapped {
                let Some(text) = value.as_str() else { continue };
                set_if_absent(&mut record, path, unmapped_value(text));
            }
        }
        record
    }
}

/// The value at a dotted path of nested objects.
fn at<'v>(object: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let mut parts = path.split('.');
    let mut value = object.get(parts.next()?)?;
    for part in parts {
        value = value.as_object()?.get(part)?;
    }
    Some(value)
}

fn converted(value: &Value, convert: Convert) -> Option<Value> {
    match (convert, value) {
        (_, Value::Null) => None,
        (Text, Value::String(s)) if !s.is_empty() => Some(value.clone()),
        (Text | Flag, Value::Bool(_) | Value::Number(_)) => Some(Value::String(value.to_string())),
        (EpochMillis, Value::Number(n)) => n.as_i64().and_then(rfc3339).map(Value::String),
        (EpochMillis, Value::String(_)) => Some(value.clone()),
        (JsonText, Value::String(s)) => serde_json::from_str(s).ok(),
        // A writer that stored the parameters as a map or struct rather than as JSON text.
        (JsonText, Value::Object(_)) => Some(value.clone()),
        _ => None,
    }
}

/// `2026-11-04T12:05:00Z`, with milliseconds only when there are some: CloudTrail's own form.
fn rfc3339(millis: i64) -> Option<String> {
    let time = chrono::DateTime::from_timestamp_millis(millis)?;
    let format = if millis % 1000 == 0 { "%Y-%m-%dT%H:%M:%SZ" } else { "%Y-%m-%dT%H:%M:%S%.3fZ" };
    Some(time.format(format).to_string())
}

/// An `unmapped` value: an object or array travels as its JSON text, anything else as text.
fn unmapped_value(text: &str) -> Value {
    if text.starts_with(['{', '['])
        && let Ok(value) = serde_json::from_str(text)
    {
        return value;
    }
    Value::String(text.to_string())
}

/// Sets the field at a dotted path unless something is there already; a scalar in the way of
/// the path wins too (the row's own columns came first).
fn set_if_absent(record: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut object = record;
    for part in parts {
        let next = object.entry(part.to_string()).or_insert_with(|| Value::Object(Map::new()));
        match next {
            Value::Object(inner) => object = inner,
            _ => return,
        }
    }
    object.entry(last.to_string()).or_insert(value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(row: Value) -> Value {
        Value::Object(cloudtrail_record(row.as_object().expect("an object")))
    }

    #[test]
    fn a_denied_assumed_role_call_is_rebuilt_field_by_field() {
        let row = json!({
            "metadata": {"uid": "e-1", "event_code": "AwsApiCall"},
            "time": 1_793_793_900_000_i64,
            "api": {"service": {"name": "s3.amazonaws.com"}, "operation": "GetObject",
                    "response": {"error": "AccessDenied", "message": "Access Denied"},
                    "request": {"data": "{\"bucketName\":\"b\",\"key\":\"k\"}", "uid": "R1"}},
            "cloud": {"region": "eu-west-1", "account": {"uid": "111122223333"}},
            "src_endpoint": {"ip": null, "domain": "s3.amazonaws.com"},
            "actor": {"user": {"type": "AssumedRole", "uid": "arn:aws:sts::111122223333:assumed-role/r/s",
                               "account": {"uid": "111122223333"}},
                      "session": {"issuer": "arn:aws:iam::111122223333:role/r", "is_mfa": false}},
            "resources": [{"uid": "arn:aws:s3:::b", "type": "AWS::S3::Bucket",
                           "owner": {"account": {"uid": "444455556666"}}}],
            "unmapped": {"additionalEventData": "{\"SignatureVersion\":\"SigV4\"}",
                         "eventCategory": "Data", "userIdentity.sessionContext.sourceIdentity": "me",
                         "eventName": "NotThis"}
        });
        assert_eq!(
            record(row),
            json!({
                "eventID": "e-1", "eventType": "AwsApiCall", "eventTime": "2026-11-04T12:05:00Z",
                "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
                "errorCode": "AccessDenied", "errorMessage": "Access Denied", "requestID": "R1",
                "requestParameters": {"bucketName": "b", "key": "k"},
                "awsRegion": "eu-west-1", "recipientAccountId": "111122223333",
                "sourceIPAddress": "s3.amazonaws.com",
                "userIdentity": {"type": "AssumedRole",
                                 "arn": "arn:aws:sts::111122223333:assumed-role/r/s",
                                 "accountId": "111122223333",
                                 "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/r"},
                                                    "attributes": {"mfaAuthenticated": "false"},
                                                    "sourceIdentity": "me"}},
                "resources": [{"ARN": "arn:aws:s3:::b", "type": "AWS::S3::Bucket", "accountId": "444455556666"}],
                "additionalEventData": {"SignatureVersion": "SigV4"},
                "eventCategory": "Data"
            })
        );
    }

    #[test]
    fn odd_values_are_left_out_not_guessed() {
        let row = json!({"time": 1_793_793_900_123_i64, "api": {"request": {"data": "{not json"},
                         "operation": ""}, "unmapped": {"x": 5, "y": "[1,"}});
        assert_eq!(record(row), json!({"eventTime": "2026-11-04T12:05:00.123Z", "y": "[1,"}));
    }

    #[test]
    fn parameters_stored_as_a_map_are_taken_as_they_are() {
        let row = json!({"api": {"response": {"data": {"assumedRoleUser": {"arn": "a"}}}}});
        assert_eq!(record(row), json!({"responseElements": {"assumedRoleUser": {"arn": "a"}}}));
    }
}
