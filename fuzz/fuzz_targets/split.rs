//! `split`: arbitrary bytes through the record splitter, three times:
//! 1. from a plain `&[u8]` reader (the whole input in one read), with the production limit;
//! 2. through a reader that hands out 1 to 7 bytes per call (sizes taken from the input itself),
//!    so that every refill boundary gets exercised, with the production limit: the records and
//!    the report must be identical to run 1;
//! 3. through the same small-read reader with a 4 KiB record limit, to reach the "too large"
//!    path (run with `-max_len` well above 4 KiB; `fuzz/run` uses 65536).
//!
//! Run 3 is not compared exactly: the limit is checked when the buffer is refilled, so with
//! large reads a value somewhat over the limit that ends inside the current read is still
//! delivered (a soft limit, by at most one read). With reads of at most 7 bytes the limit is
//! tight: no record over 4096 + 7 bytes is delivered, and the records are those of run 1 minus
//! the values that went over it.
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use whydenied::decode::split::{Malformed, ObjectKind, SplitLimits, SplitReport, split_records};

const SMALL_LIMIT: usize = 4096;
const MAX_READ: usize = 7;

/// Hands out `data` in pieces of 1..=7 bytes; the size of the k-th piece comes from byte k of
/// the input (cycled), so the fuzzer controls the boundaries without a separate input section.
struct Chunked<'a> {
    data: &'a [u8],
    rest: &'a [u8],
    calls: usize,
}

impl<'a> Chunked<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            rest: data,
            calls: 0,
        }
    }
}

impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.rest.is_empty() || out.is_empty() {
            return Ok(0);
        }
        let size = 1 + usize::from(self.data[self.calls % self.data.len()]) % MAX_READ;
        self.calls += 1;
        let n = size.min(out.len()).min(self.rest.len());
        out[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

struct Outcome {
    report: SplitReport,
    records: Vec<Vec<u8>>,
}

fn split(reader: impl Read, limits: SplitLimits) -> Outcome {
    let mut records = Vec::new();
    let (report, err) = split_records(reader, limits, |record| {
        // The callback may modify the record in place (the parser does): do so.
        if let Some(first) = record.first_mut() {
            *first ^= 0;
        }
        records.push(record.to_vec());
    });
    assert!(err.is_none(), "reading from memory cannot fail: {err:?}");
    assert_eq!(report.records, records.len() as u64, "report counts every delivered record");
    for record in &records {
        assert_eq!(record.first(), Some(&b'{'), "a record starts at its opening brace");
        assert!(
            matches!(record.last(), Some(b'}' | b']')),
            "a record ends at a closing bracket"
        );
    }
    Outcome { report, records }
}

/// `part` appears in `whole` in order (not necessarily contiguously).
fn is_subsequence(part: &[Vec<u8>], whole: &[Vec<u8>]) -> bool {
    let mut whole = whole.iter();
    part.iter().all(|p| whole.any(|w| w == p))
}

fuzz_target!(|data: &[u8]| {
    let production = SplitLimits::default();
    assert!(data.len() < production.max_record_bytes, "run with -max_len below 16 MiB");
    let whole = split(data, production);
    let pieces = split(Chunked::new(data), production);

    if whole.report.kind != ObjectKind::Unrecognised {
        assert_eq!(whole.report.decoded_bytes, data.len() as u64, "reads to the end");
    }

    // fuzz/regressions/split-2 (`] "\0`): the kind once depended on how many bytes the first
    // read brought in.
    assert_eq!(whole.report.kind, pieces.report.kind, "object kind depends on read sizes");
    assert_eq!(whole.report.preview, pieces.report.preview, "preview depends on read sizes");
    assert_eq!(whole.records, pieces.records, "records depend on read sizes");
    assert_eq!(
        whole.report.malformed, pieces.report.malformed,
        "malformed counts depend on read sizes"
    );
    assert_eq!(
        (whole.report.insight_records, whole.report.digests),
        (pieces.report.insight_records, pieces.report.digests),
        "what is skipped by design depends on read sizes"
    );

    let small = split(
        Chunked::new(data),
        SplitLimits {
            max_record_bytes: SMALL_LIMIT,
        },
    );
    for record in &small.records {
        assert!(
            record.len() <= SMALL_LIMIT + MAX_READ,
            "a {}-byte record passed the {SMALL_LIMIT}-byte limit",
            record.len()
        );
    }
    let too_large = small
        .report
        .malformed
        .iter()
        .any(|&(kind, _)| kind == Malformed::TooLarge);
    if !too_large {
        assert_eq!(small.records, whole.records, "records differ with no value over the limit");
    } else if whole.report.insight_records + small.report.insight_records == 0 {
        // (With Insight events the runs may differ: an object is checked for them record by
        // record only when its first complete record is one, and a record too large for the
        // small limit moves which record comes first.)
        assert!(
            is_subsequence(&small.records, &whole.records),
            "the limit did more than drop oversized values"
        );
    }
});
