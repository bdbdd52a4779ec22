//! What CloudTrail writes beside the events, recognised so that it can be skipped by design:
//! **Insight events** (statistics about unusual API activity, `eventType` `AwsCloudTrailInsight`)
//! and **digest files** (hashes of the delivered log files, for integrity validation).
//!
//! The decision is taken from parsed top-level fields, never from a byte search: log content
//! is chosen by whoever made a request (a user agent, an S3 key, the keys of
//! `requestParameters`), so a string that spells a marker anywhere else is data and hides
//! nothing. The splitter finds candidates with a cheap byte search and asks here only about
//! those, so at most the first record of an object, and the few records that contain a
//! marker, are parsed twice.
//!
//! Field names: AWS CloudTrail User Guide, "CloudTrail Insights events record contents" and
//! "CloudTrail digest file structure".

use simd_json::BorrowedValue;
use simd_json::prelude::*;

use super::envelope::cloudtrail_event;

/// The `eventType` of an Insight event.
pub const INSIGHT_EVENT_TYPE: &str = "AwsCloudTrailInsight";

/// Whether `record` is an Insight event: a JSON object whose top-level `eventType` is
/// [`INSIGHT_EVENT_TYPE`] (or an EventBridge envelope of one, see [`super::envelope`]).
pub fn is_insight_record(record: &[u8]) -> bool {
    parsed(record, |value| {
        let event_type = cloudtrail_event(value).and_then(|event| event.get("eventType"));
        event_type.and_then(|t| t.as_str()) == Some(INSIGHT_EVENT_TYPE)
    })
}

/// Whether `object` is a digest file's object: top-level `logFiles` (an array) and
/// `digestStartTime` or `digestSignatureAlgorithm`, and none of an event's own fields.
pub fn is_digest(object: &[u8]) -> bool {
    parsed(object, |value| {
        let has = |key| value.get(key).is_some();
        value.get("logFiles").is_some_and(|files| files.is_array())
            && (has("digestStartTime") || has("digestSignatureAlgorithm"))
            && !has("eventVersion")
            && !has("eventName")
    })
}

/// `test` applied to `bytes` parsed as a JSON object (a copy: the splitter hands the original
/// on); false when they are not one.
fn parsed(bytes: &[u8], test: impl FnOnce(&BorrowedValue<'_>) -> bool) -> bool {
    let mut copy = bytes.to_vec();
    simd_json::to_borrowed_value(&mut copy).is_ok_and(|value| value.is_object() && test(&value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_top_level_fields_count() {
        assert!(is_insight_record(
            br#"{"eventVersion":"1.08","eventType":"AwsCloudTrailInsight"}"#
        ));
        assert!(!is_insight_record(
            br#"{"eventType":"AwsApiCall","userAgent":"AwsCloudTrailInsight"}"#
        ));
        assert!(!is_insight_record(
            br#"{"requestParameters":{"eventType":"AwsCloudTrailInsight"}}"#
        ));
        assert!(!is_insight_record(br#"["AwsCloudTrailInsight"]"#));
        assert!(is_insight_record(
            br#"{"detail-type":"AWS Insight via CloudTrail","detail":{"eventVersion":"1.08","eventType":"AwsCloudTrailInsight"}}"#
        ));
        assert!(!is_insight_record(b"{\"eventType\":\"AwsCloudTrailInsight\""));
        assert!(is_digest(br#"{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}"#));
        assert!(!is_digest(br#"{"digestStartTime":"x","logFiles":null}"#));
        assert!(!is_digest(br#"{"eventVersion":"1.11","digestStartTime":"x","logFiles":[]}"#));
        assert!(!is_digest(
            br#"{"eventName":"GetObject","requestParameters":{"digestStartTime":"x","logFiles":[]}}"#
        ));
    }
}
