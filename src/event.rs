//! A borrowed view of one parsed CloudTrail record: only the fields we use.
//!
//! Field names and meanings follow the AWS CloudTrail User Guide, "CloudTrail record contents
//! for management, data, and network activity events". Every field is optional and may have the
//! wrong type in a hostile or hand-edited file: a field of the wrong type reads as absent
//! (except `errorCode`, whose scalar text is kept so that the failure is still counted).

use std::borrow::Cow;

use simd_json::BorrowedValue;
use simd_json::prelude::*;

/// The fields of a record that classification reads, borrowed from the parsed value.
#[derive(Debug, Default)]
pub struct Event<'v> {
    pub event_time: Option<&'v str>,
    pub event_id: Option<&'v str>,
    pub request_id: Option<&'v str>,
    pub recipient_account_id: Option<&'v str>,
    pub aws_region: Option<&'v str>,
    pub event_source: Option<&'v str>,
    pub event_name: Option<&'v str>,
    pub event_type: Option<&'v str>,
    pub error_code: Option<Cow<'v, str>>,
    pub error_message: Option<&'v str>,
    pub source_ip: Option<&'v str>,
    pub user_agent: Option<&'v str>,
    pub vpc_endpoint_id: Option<&'v str>,
    /// `userIdentity`, when it is an object.
    pub user_identity: Option<&'v BorrowedValue<'v>>,
    pub request_parameters: Option<&'v BorrowedValue<'v>>,
    pub response_elements: Option<&'v BorrowedValue<'v>>,
    /// `resources[]`, when it is an array.
    pub resources: &'v [BorrowedValue<'v>],
}

impl<'v> Event<'v> {
    /// The view of `record`, or `None` when the record is not a JSON object.
    pub fn new(record: &'v BorrowedValue<'v>) -> Option<Self> {
        record.as_object()?;
        Some(Self {
            event_time: text(record, "eventTime"),
            event_id: text(record, "eventID"),
            request_id: text(record, "requestID"),
            recipient_account_id: text(record, "recipientAccountId"),
            aws_region: text(record, "awsRegion"),
            event_source: text(record, "eventSource"),
            event_name: text(record, "eventName"),
            event_type: text(record, "eventType"),
            error_code: scalar_text(record.get("errorCode")),
            error_message: text(record, "errorMessage"),
            source_ip: text(record, "sourceIPAddress"),
            user_agent: text(record, "userAgent"),
            vpc_endpoint_id: text(record, "vpcEndpointId"),
            user_identity: record.get("userIdentity").filter(|v| v.is_object()),
            request_parameters: record.get("requestParameters").filter(|v| v.is_object()),
            response_elements: record.get("responseElements").filter(|v| v.is_object()),
            resources: record
                .get("resources")
                .and_then(|v| v.as_array())
                .map_or(&[], Vec::as_slice),
        })
    }
}

/// `value[key]` when it is a non-empty string.
pub fn text<'v>(value: &'v BorrowedValue<'v>, key: &str) -> Option<&'v str> {
    value.get(key)?.as_str().filter(|s| !s.is_empty())
}

/// `value[k0][k1]…` when it is a non-empty string.
pub fn text_at<'v>(value: &'v BorrowedValue<'v>, path: &[&str]) -> Option<&'v str> {
    let (last, parents) = path.split_last()?;
    let mut node = value;
    for key in parents {
        node = node.get(*key)?;
    }
    text(node, last)
}

/// A string as itself; a number or boolean as its JSON text; anything else as absent.
fn scalar_text<'v>(value: Option<&'v BorrowedValue<'v>>) -> Option<Cow<'v, str>> {
    let value = value?;
    if let Some(s) = value.as_str() {
        return (!s.is_empty()).then_some(Cow::Borrowed(s));
    }
    match value {
        BorrowedValue::Static(node) if !value.is_null() => Some(Cow::Owned(node.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> BorrowedValue<'static> {
        let bytes = json.as_bytes().to_vec().leak();
        simd_json::to_borrowed_value(bytes).expect("valid test JSON")
    }

    #[test]
    fn reads_the_fields_it_knows() {
        let value = parse(
            r#"{"eventTime":"2026-11-02T10:00:00Z","eventSource":"s3.amazonaws.com",
                "errorCode":"AccessDenied","userIdentity":{"type":"Root"},
                "resources":[{"ARN":"arn:aws:s3:::b"}],"requestParameters":{"bucketName":"b"}}"#,
        );
        let event = Event::new(&value).expect("an object");
        assert_eq!(event.event_time, Some("2026-11-02T10:00:00Z"));
        assert_eq!(event.error_code.as_deref(), Some("AccessDenied"));
        assert_eq!(event.resources.len(), 1);
        assert_eq!(
            text_at(&value, &["requestParameters", "bucketName"]),
            Some("b")
        );
        assert_eq!(text_at(&value, &["userIdentity", "type"]), Some("Root"));
    }

    #[test]
    fn wrong_types_read_as_absent_except_the_error_code() {
        let value = parse(
            r#"{"errorCode":403,"userIdentity":"root","eventTime":17,"resources":{"a":1},
                "errorMessage":null}"#,
        );
        let event = Event::new(&value).expect("an object");
        assert_eq!(event.error_code.as_deref(), Some("403"));
        assert!(event.user_identity.is_none() && event.event_time.is_none());
        assert!(event.resources.is_empty() && event.error_message.is_none());
        assert!(Event::new(&parse("[1]")).is_none());
    }
}
