//! `gzip_split`: arbitrary bytes through the content sniffer and decoder (`decode::decoder`:
//! gzip, possibly multi-member, or plain; zstd/bzip2/xz/zip named in an error) and then the
//! record splitter with its production limit, the way a scan reads one object.
//!
//! Decompression can explode (a few hundred bytes of deflate inflate to megabytes): reading is
//! capped at 64 MiB per input. Errors (truncated or corrupt gzip) are expected outcomes; panics,
//! hangs and unbounded allocations are not.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use whydenied::decode::split::{SplitLimits, split_records};
use whydenied::decode::{Encoding, decoder};

const DECODED_CAP: u64 = 64 << 20;

fuzz_target!(|data: &[u8]| {
    let Ok((encoding, reader)) = decoder(data) else {
        return;
    };
    let mut delivered = 0u64;
    let mut bytes = 0u64;
    let (report, err) = split_records(reader.take(DECODED_CAP), SplitLimits::default(), |record| {
        delivered += 1;
        bytes += record.len() as u64;
    });
    assert_eq!(report.records, delivered);
    assert!(report.decoded_bytes <= DECODED_CAP);
    assert!(bytes <= report.decoded_bytes);
    if encoding == Encoding::Plain {
        assert!(err.is_none(), "plain bytes from memory cannot fail to read: {err:?}");
        assert!(report.decoded_bytes <= data.len() as u64);
    }
});
