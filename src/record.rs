//! One record's bytes to a [`Denial`]: the per-record hot path.
//!
//! The prefilter decides whether the record is worth parsing; only then does simd-json parse
//! it (in place, reusing its buffers), and the classifier decide. Counters say how many records
//! were parsed, repaired or malformed, for the scan statistics.

use std::sync::Arc;

use simd_json::prelude::*;

use crate::changes::PolicyChange;
use crate::changes::assumption::{Assumed, AssumptionReader, RoleAssumption};
use crate::changes::capture::capture;
use crate::changes::events::{ChangePrefilter, Interest};
use crate::changes::transient::RoleAssumptions;
use crate::classify::{Denial, FailureFilter, classify};
use crate::decode::envelope::cloudtrail_event;
use crate::decode::prefilter::Prefilter;
use crate::event::Event;
use crate::event::json::parameters;

/// What one record holds: a denial the filter keeps, a policy change, both (a failed attempt to
/// change a policy), or nothing. A successful role assumption is kept by the reader
/// ([`RecordReader::successes`]).
#[derive(Debug, Default)]
pub struct Found {
    pub denial: Option<Denial>,
    pub change: Option<PolicyChange>,
}

/// Reads records one at a time; one per worker thread (it owns reusable parse buffers).
pub struct RecordReader {
    prefilter: Prefilter,
    changes: ChangePrefilter,
    assumptions: AssumptionReader,
    buffers: simd_json::Buffers,
    filter: FailureFilter,
    /// Records that passed a prefilter and were parsed.
    pub parsed: u64,
    /// Records with invalid UTF-8, parsed after replacing the bad bytes.
    pub repaired_utf8: u64,
    /// Parsed records that are not valid JSON objects.
    pub malformed: u64,
    /// Parsed objects that are neither an event nor a known wrapper of one.
    pub not_understood: u64,
}

impl RecordReader {
    pub fn new(filter: FailureFilter) -> Self {
        Self {
            prefilter: Prefilter::new(filter.needs_console_sign_ins()),
            changes: ChangePrefilter::default(),
            assumptions: AssumptionReader::default(),
            buffers: simd_json::Buffers::default(),
            filter,
            parsed: 0,
            repaired_utf8: 0,
            malformed: 0,
            not_understood: 0,
        }
    }

    /// The denial and the policy change in `record`. `record` may be modified (the parser
    /// unescapes strings in place).
    pub fn read(&mut self, record: &mut [u8], origin: &Arc<str>) -> Found {
        let keys = self.prefilter.keys(record);
        let failure = keys.failure;
        let change = match (self.changes.interest(record, keys), keys.event_name) {
            (Interest::None, _) if !failure => return Found::default(),
            (Interest::RoleAssumption, Some(at)) => {
                match self.assumptions.read(record, at, &mut self.buffers) {
                    Assumed::Plain(_) => return Found::default(),
                    Assumed::WithSession => true,
                }
            }
            (interest, _) => interest == Interest::Change,
        };
        self.parsed += 1;
        if std::str::from_utf8(record).is_err() {
            // A record is kept even if a hostile or damaged byte sits in one of its strings.
            self.repaired_utf8 += 1;
            let mut repaired = String::from_utf8_lossy(record).into_owned().into_bytes();
            return self.parse_and_classify(&mut repaired, origin, failure, change);
        }
        self.parse_and_classify(record, origin, failure, change)
    }

    fn parse_and_classify(
        &mut self,
        record: &mut [u8],
        origin: &Arc<str>,
        failure: bool,
        change: bool,
    ) -> Found {
        let value = simd_json::to_borrowed_value_with_buffers(record, &mut self.buffers);
        let Some(value) = value.ok().filter(|v| v.is_object()) else {
            self.malformed += 1;
            return Found::default();
        };
        let Some((event_value, event)) =
            cloudtrail_event(&value).and_then(|v| Some((v, Event::from_json(v)?)))
        else {
            self.not_understood += 1;
            return Found::default();
        };
        if let Some(assumption) = change.then(|| RoleAssumption::of_event(&event)).flatten() {
            self.assumptions.keep(&assumption);
        }
        Found {
            denial: failure.then(|| classify(&event, self.filter, origin)).flatten(),
            change: change.then(|| capture(&event, &parameters(event_value), origin)).flatten(),
        }
    }

    /// The successful role assumptions read so far, by principal and role; the reader starts
    /// again.
    pub fn successes(&mut self) -> RoleAssumptions {
        self.assumptions.successes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(reader: &mut RecordReader, text: &[u8]) -> Option<Denial> {
        reader.read(&mut text.to_vec(), &Arc::from("t")).denial
    }

    #[test]
    fn policy_changes_are_parsed_and_failed_attempts_are_both() {
        let mut reader = RecordReader::new(FailureFilter::default());
        let change = br#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","requestParameters":{"bucketName":"b","bucketPolicy":{}}}"#;
        let found = reader.read(&mut change.to_vec(), &Arc::from("t"));
        assert!(found.denial.is_none());
        assert_eq!(found.change.map(|c| c.target), Some(Some("b".to_string())));
        let failed = br#"{"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","errorCode":"AccessDenied","requestParameters":null}"#;
        let found = reader.read(&mut failed.to_vec(), &Arc::from("t"));
        assert!(found.denial.is_some());
        assert_eq!(found.change.and_then(|c| c.error_code).as_deref(), Some("AccessDenied"));
        assert_eq!(reader.parsed, 2);
    }

    #[test]
    fn only_prefiltered_records_are_parsed() {
        let mut reader = RecordReader::new(FailureFilter::default());
        assert!(read(&mut reader, br#"{"eventName":"GetObject"}"#).is_none());
        assert_eq!(reader.parsed, 0);
        let denial = read(&mut reader, br#"{"errorCode":"AccessDenied","eventName":"GetObject"}"#);
        assert_eq!(denial.map(|d| d.event_name), Some(Some("GetObject".into())));
        assert!(read(&mut reader, br#"{"errorCode":"NoSuchKey"}"#).is_none());
        assert_eq!((reader.parsed, reader.malformed), (2, 0));
    }

    #[test]
    fn broken_records_are_counted_and_bad_utf8_repaired() {
        let mut reader = RecordReader::new(FailureFilter::default());
        assert!(read(&mut reader, br#"{"errorCode":"AccessDenied",}"#).is_none());
        assert!(read(&mut reader, br#"["errorCode"]"#).is_none());
        assert_eq!(reader.malformed, 2);
        let denial =
            read(&mut reader, b"{\"errorCode\":\"AccessDenied\",\"userAgent\":\"a\xffb\"}");
        assert_eq!(denial.and_then(|d| d.user_agent).as_deref(), Some("a\u{fffd}b"));
        assert_eq!(reader.repaired_utf8, 1);
    }
}
