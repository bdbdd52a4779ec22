//! Successful `sts:AssumeRole*` calls, read cheaply: who assumed which role, and when. They tell a
//! transient denial (IAM still propagating a fresh role or trust policy) from one that needs a fix
//! ([`super::transient`]).
//!
//! A trail holds many of them (every Lambda invocation role, every CI job), so a plain one (no
//! session policy or tags: [`super::events::ChangePrefilter`] leaves those to the change capture)
//! is not parsed whole. Only the five members that matter are cut out of its bytes — the first
//! `"eventTime"`, `"eventSource"`, `"eventName"`, `"userIdentity"` and `"requestParameters"` keys
//! — and the small object they make is parsed into the same [`Event`] view the classifier reads,
//! so the principal is normalised exactly like the `principal` column. The response (the issued
//! credentials, the bulk of such a record) is never parsed.
//!
//! The first key of each name followed by `:` is the event's own: CloudTrail writes `eventTime`,
//! `eventSource`, `eventName` and `userIdentity` before anything a requester chose, and text a
//! requester chose (a user agent) is a JSON string, inside which a quoted name can only be
//! followed by `,` or `}` (its own closing quote ends the string), never by `:`. A member that is
//! missing, escaped or of the wrong shape makes the record count as no assumption: a missed
//! success leaves the denial's hint as it was, never wrong.

use memchr::memmem::Finder;

use crate::classify::parse_event_time;
use crate::classify::principal::principal_of;
use crate::decode::structural::{ScanState, find_value_end};
use crate::event::Event;

/// One successful `sts:AssumeRole*` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssumption {
    /// `eventTime`, microseconds since the Unix epoch (UTC).
    pub time: i64,
    /// Who assumed the role, normalised like the `principal` column.
    pub principal: String,
    /// `requestParameters.roleArn`.
    pub role_arn: String,
}

impl RoleAssumption {
    /// The assumption a parsed event records: a successful `sts:AssumeRole*` with a time and a
    /// role.
    pub fn of_event(event: &Event<'_>) -> Option<Self> {
        let assumes = event.event_source == Some("sts.amazonaws.com")
            && event.event_name.is_some_and(|name| name.starts_with("AssumeRole"))
            && event.error_code.is_none();
        assumes.then_some(())?;
        Some(Self {
            time: parse_event_time(event.event_time?)?,
            principal: principal_of(event.identity.as_ref()).principal,
            role_arn: event.request_role_arn?.to_string(),
        })
    }
}

/// The members cut out of a plain AssumeRole record, as `"key"` with its quotes.
const MEMBERS: [&[u8]; 5] = [
    b"\"eventTime\"",
    b"\"eventSource\"",
    b"\"eventName\"",
    b"\"userIdentity\"",
    b"\"requestParameters\"",
];

/// Reads [`RoleAssumption`]s out of record bytes; one per worker (it owns reusable buffers).
pub struct AssumptionReader {
    keys: [Finder<'static>; 5],
    /// The small object made of the members, parsed in place.
    members: Vec<u8>,
}

impl Default for AssumptionReader {
    fn default() -> Self {
        Self { keys: MEMBERS.map(Finder::new), members: Vec::with_capacity(1024) }
    }
}

impl AssumptionReader {
    /// The assumption `record` (a successful plain AssumeRole* call, by the prefilter's
    /// reading of its bytes) records, if its members read cleanly.
    pub fn read(
        &mut self,
        record: &[u8],
        buffers: &mut simd_json::Buffers,
    ) -> Option<RoleAssumption> {
        self.members.clear();
        self.members.push(b'{');
        for (key, finder) in MEMBERS.iter().zip(&self.keys) {
            let value = finder
                .find_iter(record)
                .find_map(|at| value_after_key(&record[at + key.len()..]))?;
            if self.members.len() > 1 {
                self.members.push(b',');
            }
            self.members.extend_from_slice(key);
            self.members.push(b':');
            self.members.extend_from_slice(value);
        }
        self.members.push(b'}');
        let value = simd_json::to_borrowed_value_with_buffers(&mut self.members, buffers).ok()?;
        RoleAssumption::of_event(&Event::from_json(&value)?)
    }
}

/// The bytes of the value after a key: `: "text"` (without escapes: times, names and sources
/// have none) or `: {…}` (to its closing bracket, strings and escapes honoured).
fn value_after_key(rest: &[u8]) -> Option<&[u8]> {
    let value = rest.trim_ascii_start().strip_prefix(b":")?.trim_ascii_start();
    match value.first()? {
        b'"' => {
            let end = 1 + memchr::memchr2(b'"', b'\\', &value[1..])?;
            (value[end] == b'"').then(|| &value[..=end])
        }
        b'{' => {
            let end = find_value_end(&mut ScanState::new(), value)?;
            Some(&value[..=end])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
