//! The AWS CLI's JSON shape of an SDK value: PascalCase keys as the service model names them,
//! absent members left out (as botocore leaves them out), times in the CLI's ISO 8601 form, and
//! IAM policy documents decoded into JSON objects, as `aws … --output json` prints them. The
//! snapshot loader reads both the CLI's files and ours, so the fetcher writes nothing the CLI
//! would not.

use aws_sdk_iam::primitives::DateTime;
use chrono::SecondsFormat;
use serde_json::{Map, Value};

/// One member's value, or `None` when the SDK has none (the member is then left out).
pub(super) trait Field {
    fn field(self) -> Option<Value>;
}

impl Field for &str {
    fn field(self) -> Option<Value> {
        Some(Value::String(self.to_string()))
    }
}

impl Field for Option<&str> {
    fn field(self) -> Option<Value> {
        self.and_then(Field::field)
    }
}

impl Field for bool {
    fn field(self) -> Option<Value> {
        Some(Value::Bool(self))
    }
}

impl Field for Option<bool> {
    fn field(self) -> Option<Value> {
        self.map(Value::Bool)
    }
}

impl Field for Option<i32> {
    fn field(self) -> Option<Value> {
        self.map(Value::from)
    }
}

impl Field for Option<&DateTime> {
    /// `2026-11-05T08:30:00+00:00`, as the CLI prints a timestamp.
    fn field(self) -> Option<Value> {
        let time = self?;
        let at = chrono::DateTime::from_timestamp(time.secs(), time.subsec_nanos())?;
        Some(Value::String(at.to_rfc3339_opts(SecondsFormat::AutoSi, false)))
    }
}

impl Field for Value {
    fn field(self) -> Option<Value> {
        Some(self)
    }
}

impl Field for Option<Value> {
    fn field(self) -> Option<Value> {
        self
    }
}

/// An object of the members that have a value (its keys sorted, as serde_json keeps them).
pub(super) fn object<const N: usize>(members: [(&str, Option<Value>); N]) -> Value {
    let mut map = Map::new();
    for (key, value) in members {
        if let Some(value) = value {
            map.insert(key.to_string(), value);
        }
    }
    Value::Object(map)
}

/// A list member: the CLI prints an empty list as `[]` when the response has the element.
pub(super) fn list<T>(items: &[T], shape: impl Fn(&T) -> Value) -> Option<Value> {
    Some(Value::Array(items.iter().map(shape).collect()))
}

/// `[{"Key": …, "Value": …}]`, the shape of every tag list the fetcher writes.
pub(super) fn tags<T>(
    items: &[T],
    key: impl Fn(&T) -> Option<&str>,
    value: impl Fn(&T) -> Option<&str>,
) -> Option<Value> {
    list(items, |t| object([("Key", key(t).field()), ("Value", value(t).field())]))
}

/// An IAM policy document as the CLI prints it: the API returns it URL-encoded (RFC 3986) and
/// botocore decodes it into a JSON object. A document that is plain JSON already (moto leaves
/// trust policies that way) is taken as it is; one that is JSON neither way stays a string,
/// which the loader then reports with its file and policy name.
pub(super) fn iam_document(text: Option<&str>) -> Option<Value> {
    let text = text?;
    let parsed = serde_json::from_str::<Value>(text)
        .ok()
        .or_else(|| serde_json::from_str(&crate::snapshot::percent_decode(text)).ok());
    Some(parsed.unwrap_or_else(|| Value::String(crate::snapshot::percent_decode(text))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_members_are_left_out_and_times_read_as_the_cli_prints_them() {
        // 2026-11-05T08:30:00Z (Python: calendar.timegm((2026, 11, 5, 8, 30, 0))).
        let created = DateTime::from_secs(1_793_867_400);
        let value = object([
            ("UserName", "alice".field()),
            ("Path", None::<&str>.field()),
            ("CreateDate", Some(&created).field()),
            ("Enabled", Some(false).field()),
        ]);
        assert_eq!(
            value,
            json!({"UserName": "alice", "CreateDate": "2026-11-05T08:30:00+00:00", "Enabled": false})
        );
    }

    #[test]
    fn iam_documents_are_decoded_as_botocore_decodes_them() {
        // The API reference's example of an encoded document (GetAccountAuthorizationDetails).
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGet%2A%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Aexample%20bucket%2F%2A%22%7D%5D%7D";
        let expected = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": "s3:Get*", "Resource": "arn:aws:s3:::example bucket/*"}]});
        assert_eq!(iam_document(Some(encoded)), Some(expected.clone()));
        // Plain JSON stays as it is, even with a `%` that would decode into something else.
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::example bucket/*","Sid":"100%25"}]}"#;
        assert_eq!(iam_document(Some(plain)).unwrap()["Statement"][0]["Sid"], "100%25");
        assert_eq!(iam_document(Some("not%20json")), Some(json!("not json")));
        assert_eq!(iam_document(None), None);
    }
}
