//! `record`: arbitrary bytes as one record through `record::RecordReader::read`: the prefilter,
//! UTF-8 repair, simd-json's in-place parse and the whole classifier (principal, action, bucket,
//! reason, category), keeping every failure (`include_authn` and `all_errors` on).
//!
//! The same reader then reads a second, fresh copy of the input: a reader is reused for
//! millions of records on a worker thread, so leftovers in its parse buffers must not change the
//! outcome.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use whydenied::classify::FailureFilter;
use whydenied::record::RecordReader;

fuzz_target!(|data: &[u8]| {
    let origin: Arc<str> = Arc::from("fuzz");
    let mut reader = RecordReader::new(FailureFilter {
        include_authn: true,
        all_errors: true,
    });
    let first = reader.read(&mut data.to_vec(), &origin);
    let second = reader.read(&mut data.to_vec(), &origin);
    assert_eq!(first, second, "a reused reader classifies the same bytes differently");
    assert!(reader.malformed <= reader.parsed && reader.repaired_utf8 <= reader.parsed);
    if first.is_some() {
        assert_eq!(reader.parsed, 2);
    }
});
