//! Wrappers around one CloudTrail event, and how to find the event inside.
//!
//! A record is normally the CloudTrail event itself: a JSON object with the event's own
//! top-level fields (`eventVersion`, `eventTime`, `eventName`, `eventSource`, `eventType`, and
//! for a failure `errorCode` or `errorMessage`). Trails also reach other systems through **Amazon
//! EventBridge**, which wraps each event in an envelope and puts the event under `detail`:
//!
//! ```text
//! {"version":"0","id":"…","detail-type":"AWS API Call via CloudTrail","source":"aws.s3",
//!  "account":"111122223333","time":"…","region":"…","resources":[],"detail":{<the event>}}
//! ```
//!
//! (Amazon EventBridge User Guide, "Events from AWS services delivered via AWS CloudTrail"; the
//! detail types are `AWS API Call via CloudTrail`, `AWS Console Sign In via CloudTrail`,
//! `AWS Console Action via CloudTrail`, `AWS Service Event via CloudTrail` and `AWS Insight via
//! CloudTrail`.) Anything else, an object whose event fields are all nested somewhere inside
//! (`{"records":[…]}`, `{"data":{"Records":[…]}}`), is not understood: the caller reports it
//! rather than reading it as an event without fields.

use simd_json::BorrowedValue;
use simd_json::prelude::*;

/// Top-level fields of which a CloudTrail event has at least one. A failure always has
/// `errorCode` or (a failed console sign-in) `errorMessage`.
const EVENT_FIELDS: [&str; 7] = [
    "eventVersion",
    "eventTime",
    "eventName",
    "eventSource",
    "eventType",
    "errorCode",
    "errorMessage",
];

/// EventBridge's `detail-type` of every event it delivers from CloudTrail ends with this.
const VIA_CLOUDTRAIL: &str = " via CloudTrail";

/// The CloudTrail event in `record`: the record itself when it is one, the `detail` of an
/// EventBridge envelope, or `None` when the record is not understood (not an object, or an
/// object without an event's top-level fields that is no envelope).
pub fn cloudtrail_event<'a, 'v>(record: &'a BorrowedValue<'v>) -> Option<&'a BorrowedValue<'v>> {
    if is_event(record) {
        return Some(record);
    }
    let detail_type = record.get("detail-type")?.as_str()?;
    let detail = record.get("detail")?;
    (detail_type.ends_with(VIA_CLOUDTRAIL) && is_event(detail)).then_some(detail)
}

fn is_event(value: &BorrowedValue<'_>) -> bool {
    value.is_object() && EVENT_FIELDS.iter().any(|field| value.get(*field).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_name(json: &str) -> Option<Option<String>> {
        let mut bytes = json.as_bytes().to_vec();
        let value = simd_json::to_borrowed_value(&mut bytes).expect("valid JSON");
        cloudtrail_event(&value)
            .map(|e| e.get("eventName").and_then(|n| n.as_str()).map(str::to_string))
    }

    #[test]
    fn events_are_themselves_and_envelopes_hold_theirs() {
        assert_eq!(
            event_name(r#"{"eventName":"GetObject","errorCode":"AccessDenied"}"#),
            Some(Some("GetObject".into()))
        );
        assert_eq!(event_name(r#"{"errorCode":"NoSuchKey"}"#), Some(None));
        let envelope = r#"{"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{"eventName":"PutObject","errorCode":"AccessDenied"}}"#;
        assert_eq!(event_name(envelope), Some(Some("PutObject".into())));
    }

    #[test]
    fn other_wrappers_are_not_understood() {
        for json in [
            r#"{"records":[{"eventName":"GetObject","errorCode":"AccessDenied"}]}"#,
            r#"{"data":{"Records":[{"eventName":"GetObject","errorCode":"AccessDenied"}]}}"#,
            r#"{"detail-type":"Scheduled Event","detail":{"errorCode":"x"}}"#,
            r#"{"detail-type":"AWS API Call via CloudTrail","detail":[{"errorCode":"x"}]}"#,
            r#"["errorCode"]"#,
        ] {
            assert_eq!(event_name(json), None, "{json}");
        }
    }
}
