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
//!
//! People who live in a terminal also have what the **AWS CLI** prints, where each event is a
//! JSON *string* inside another document ([`ApiOutput`]):
//!
//! ```text
//! aws cloudtrail lookup-events:  {"Events":[{"EventId":"…","EventName":"…",…,"CloudTrailEvent":"{\"eventVersion\":…}"}],"NextToken":"…"}
//! aws logs filter-log-events:    {"events":[{"logStreamName":"…","timestamp":…,"message":"{\"eventVersion\":…}",…}],"searchedLogStreams":[]}
//! aws logs get-log-events:       {"events":[{"timestamp":…,"message":"{…}","ingestionTime":…}],"nextForwardToken":"…"}
//! ```
//!
//! (AWS CloudTrail API Reference, `LookupEvents` response: `Events[].CloudTrailEvent`, "A JSON
//! string that contains a representation of the event returned"; Amazon CloudWatch Logs API
//! Reference, `FilterLogEvents` and `GetLogEvents` responses: `events[].message`.) The splitter
//! streams the list (the top-level member that names it, found by structure) and asks here for
//! each element's text, which is then read as one record like any other; pages printed one after
//! another (`--no-paginate` in a loop) are several such documents in a row.

use serde::Deserialize;
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

/// An AWS CLI output whose list holds CloudTrail events as JSON text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiOutput {
    /// `aws cloudtrail lookup-events`: `Events[].CloudTrailEvent`.
    LookupEvents,
    /// `aws logs filter-log-events` and `get-log-events`: `events[].message`.
    LogEvents,
}

impl ApiOutput {
    /// The output whose list is the top-level member named `key` (the key's text, unquoted):
    /// `Events` or `events`. No CloudTrail event or EventBridge envelope has either member.
    pub fn of_member(key: &[u8]) -> Option<Self> {
        match key {
            b"Events" => Some(Self::LookupEvents),
            b"events" => Some(Self::LogEvents),
            _ => None,
        }
    }
}

/// An element of `Events` (lookup-events); its other members are not read.
#[derive(Deserialize)]
struct LookupEvent {
    #[serde(rename = "CloudTrailEvent")]
    text: Option<String>,
}

/// An element of `events` (filter-log-events, get-log-events).
#[derive(Deserialize)]
struct LogEvent {
    #[serde(rename = "message")]
    text: Option<String>,
}

/// Why an element of an [`ApiOutput`] list gave no record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoEmbeddedEvent {
    /// The element is not an object with the text member as a string.
    NoText,
    /// The text is not a JSON object (a log group also holds other messages).
    NotJson,
}

/// The event text of one element of an `output` list, parsed from the element's fields (never
/// found by searching its bytes): the bytes of one record.
pub fn embedded_event(element: &[u8], output: ApiOutput) -> Result<Vec<u8>, NoEmbeddedEvent> {
    let text = match output {
        ApiOutput::LookupEvents => serde_json::from_slice::<LookupEvent>(element).map(|e| e.text),
        ApiOutput::LogEvents => serde_json::from_slice::<LogEvent>(element).map(|e| e.text),
    };
    let text = text.ok().flatten().ok_or(NoEmbeddedEvent::NoText)?;
    if !text.trim_start().starts_with('{') {
        return Err(NoEmbeddedEvent::NotJson);
    }
    Ok(text.into_bytes())
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
    fn aws_cli_outputs_hold_their_events_as_text() {
        let event = r#"{"eventName":"GetObject","errorCode":"AccessDenied"}"#;
        let quoted = serde_json::to_string(event).expect("a JSON string");
        let lookup = format!(r#"{{"EventId":"1","EventName":"x","CloudTrailEvent":{quoted}}}"#);
        let read = embedded_event(lookup.as_bytes(), ApiOutput::LookupEvents);
        assert_eq!(read.as_deref(), Ok(event.as_bytes()));
        let log = format!(r#"{{"logStreamName":"s","timestamp":1,"message":{quoted}}}"#);
        let read = embedded_event(log.as_bytes(), ApiOutput::LogEvents);
        assert_eq!(read.as_deref(), Ok(event.as_bytes()));
        // The field is read, not searched for: the other output's field, text that spells the
        // field, a number, or a message that is not JSON give no event.
        assert_eq!(
            embedded_event(log.as_bytes(), ApiOutput::LookupEvents),
            Err(NoEmbeddedEvent::NoText)
        );
        let spelled = r#"{"EventName":"\"CloudTrailEvent\":\"{}\"","message":1}"#;
        for output in [ApiOutput::LookupEvents, ApiOutput::LogEvents] {
            assert_eq!(embedded_event(spelled.as_bytes(), output), Err(NoEmbeddedEvent::NoText));
        }
        let text = r#"{"timestamp":1,"message":"START RequestId: 42"}"#;
        assert_eq!(
            embedded_event(text.as_bytes(), ApiOutput::LogEvents),
            Err(NoEmbeddedEvent::NotJson)
        );
        assert_eq!(ApiOutput::of_member(b"Events"), Some(ApiOutput::LookupEvents));
        assert_eq!(ApiOutput::of_member(b"events"), Some(ApiOutput::LogEvents));
        assert_eq!(ApiOutput::of_member(b"records"), None);
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
