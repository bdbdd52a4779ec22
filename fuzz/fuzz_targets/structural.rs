//! `structural` (differential): `decode::structural::find_value_end` over the whole input must
//! give the same answer, and leave the same resumable state, as over the input cut in two at a
//! point the fuzzer chooses; and both must agree with a byte-at-a-time reference written here
//! from the module's documented semantics (a backslash escapes the next byte wherever it
//! stands, an unescaped `"` toggles "inside a string", outside strings `{`/`[` open and `}`/`]`
//! close; the value ends at the close that brings the depth to zero).
//!
//! Input layout: byte 0 picks the starting depth (`ScanState::new()` or `inside(1..=3)`), bytes
//! 1-2 the cut point; the rest is scanned. On x86-64 with AVX2 this exercises the SIMD path, on
//! other machines the SSE2 or portable one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whydenied::decode::structural::{ScanState, find_value_end};

/// The documented semantics, one byte at a time. Returns the end offset, or the depth reached.
fn reference(mut depth: u32, bytes: &[u8]) -> Result<usize, u32> {
    let (mut in_string, mut escape) = (false, false);
    for (i, &b) in bytes.iter().enumerate() {
        if escape {
            escape = false;
            continue;
        }
        match b {
            b'\\' => escape = true,
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => {}
        }
    }
    Err(depth)
}

fuzz_target!(|data: &[u8]| {
    let [depth_byte, cut_hi, cut_lo, bytes @ ..] = data else {
        return;
    };
    let depth = u32::from(depth_byte % 4);
    let start = || {
        if depth == 0 {
            ScanState::new()
        } else {
            ScanState::inside(depth)
        }
    };
    let cut = usize::from(u16::from_be_bytes([*cut_hi, *cut_lo])) % (bytes.len() + 1);

    let mut whole_state = start();
    let whole = find_value_end(&mut whole_state, bytes);

    let mut cut_state = start();
    let cut_result = match find_value_end(&mut cut_state, &bytes[..cut]) {
        Some(end) => Some(end),
        None => find_value_end(&mut cut_state, &bytes[cut..]).map(|end| cut + end),
    };

    assert_eq!(whole, cut_result, "cut at {cut} changes where the value ends");
    if whole.is_none() {
        assert_eq!(whole_state, cut_state, "cut at {cut} changes the resumable state");
    }
    match reference(depth, bytes) {
        Ok(end) => assert_eq!(whole, Some(end), "differs from the reference"),
        Err(depth) => {
            assert_eq!(whole, None, "differs from the reference");
            assert_eq!(whole_state.depth, depth, "depth differs from the reference");
        }
    }
});
