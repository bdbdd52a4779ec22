//! Finding where a JSON value ends without parsing it.
//!
//! The splitter needs the byte span of every record, millions per second, while parsing only the
//! few that can be failures. This scanner tracks just enough JSON to do that: whether we are inside
//! a string (honouring backslash escapes) and the nesting depth of `{`/`[` outside strings.
//!
//! The fast path classifies 64 bytes at a time into bit masks (AVX2 and a carry-less multiply
//! where the CPU has them, SSE2 on other x86-64, a plain loop elsewhere) and derives the escaped characters and the in-string region with the branch-free
//! bit tricks of simdjson's stage 1 (Langdale & Lemire, "Parsing Gigabytes of JSON per Second").
//! Then only the handful of structural brackets per block are visited one by one. A byte-at-a-time
//! loop with the identical semantics handles block tails, so a scan can stop and resume at any
//! byte: the state is three small fields, independent of buffer positions.
//!
//! Semantics (the same in both paths, and deliberately simple): a backslash escapes the next byte
//! wherever it stands; an unescaped `"` toggles "inside a string"; outside strings `{` and `[`
//! open, `}` and `]` close. On valid JSON this is exact. On invalid JSON the span may be wrong,
//! and the parser that follows reports the record as malformed.

/// Resumable scanner state: carried across buffer refills.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanState {
    /// Nesting depth of brackets outside strings.
    pub depth: u32,
    in_string: bool,
    /// The previous byte was a backslash that escapes the next one.
    escape_pending: bool,
}

impl ScanState {
    /// A scanner positioned just before a value's opening bracket.
    pub fn new() -> Self {
        Self::default()
    }

    /// A scanner already `depth` brackets deep, outside any string (used to skip the rest of
    /// an object whose first members were read by hand).
    pub fn inside(depth: u32) -> Self {
        Self { depth, ..Self::default() }
    }
}

/// Scans `bytes` from the start and returns the offset of the bracket that brings the depth
/// back to zero (the end of the value that began at or before the first byte), or `None` when
/// every byte was consumed without closing it; `state` then holds where to resume.
pub fn find_value_end(state: &mut ScanState, bytes: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("pclmulqdq") {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { avx2::find_value_end(state, bytes) };
    }
    find_value_end_with(state, bytes, classify_block, prefix_xor)
}

/// The block loop, inlined into each instruction-set variant with its own block classifier
/// and prefix-xor.
#[inline(always)]
fn find_value_end_with(
    state: &mut ScanState,
    bytes: &[u8],
    classify: impl Fn(&[u8; 64]) -> BlockMasks,
    prefix_xor: impl Fn(u64) -> u64,
) -> Option<usize> {
    let mut pos = 0;
    while bytes.len() - pos >= 64 {
        let block: &[u8; 64] = bytes[pos..pos + 64].try_into().ok()?;
        if let Some(end) = scan_block(state, classify(block), &prefix_xor) {
            return Some(pos + end);
        }
        pos += 64;
    }
    scan_bytes(state, &bytes[pos..]).map(|end| pos + end)
}

/// The byte-at-a-time reference; also used for block tails.
fn scan_bytes(state: &mut ScanState, bytes: &[u8]) -> Option<usize> {
    for (i, &b) in bytes.iter().enumerate() {
        if state.escape_pending {
            state.escape_pending = false;
            continue;
        }
        match b {
            b'\\' => state.escape_pending = true,
            b'"' => state.in_string = !state.in_string,
            _ if state.in_string => {}
            b'{' | b'[' => state.depth += 1,
            b'}' | b']' => {
                state.depth = state.depth.saturating_sub(1);
                if state.depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// One byte class per bit, bit `i` for byte `i` of the block.
struct BlockMasks {
    quote: u64,
    backslash: u64,
    open: u64,
    close: u64,
}

#[inline(always)]
fn scan_block(
    state: &mut ScanState,
    masks: BlockMasks,
    prefix_xor: impl Fn(u64) -> u64,
) -> Option<usize> {
    // Most blocks hold no backslash at all: skip the escape arithmetic for them.
    let escaped = if masks.backslash == 0 && !state.escape_pending {
        0
    } else {
        escaped_bytes(masks.backslash, &mut state.escape_pending)
    };
    let quotes = masks.quote & !escaped;
    let carry = if state.in_string { u64::MAX } else { 0 };
    let in_string = prefix_xor(quotes) ^ carry;
    state.in_string = (in_string >> 63) == 1;
    // Escaped brackets only occur in invalid JSON; dropping them keeps us equal to `scan_bytes`.
    let outside = !in_string & !escaped;
    let mut structural = (masks.open | masks.close) & outside;
    while structural != 0 {
        let bit = structural.trailing_zeros() as usize;
        structural &= structural - 1;
        if masks.open & (1 << bit) != 0 {
            state.depth += 1;
        } else {
            state.depth = state.depth.saturating_sub(1);
            if state.depth == 0 {
                // A close bracket is neither a backslash nor inside a string: the carried state
                // for the byte after it is "outside, no escape", which is what a resume needs.
                state.in_string = false;
                state.escape_pending = false;
                return Some(bit);
            }
        }
    }
    None
}

/// Bits of the bytes escaped by a preceding backslash (simdjson's branch-free escape finder).
/// `carry` says whether the previous block ended in an escaping backslash, and is updated.
fn escaped_bytes(backslash: u64, carry: &mut bool) -> u64 {
    const EVEN_BITS: u64 = 0x5555_5555_5555_5555;
    let prev = u64::from(*carry);
    let backslash = backslash & !prev;
    let follows_escape = (backslash << 1) | prev;
    let odd_sequence_starts = backslash & !EVEN_BITS & !follows_escape;
    let (sequences_starting_on_even_bits, overflow) =
        odd_sequence_starts.overflowing_add(backslash);
    *carry = overflow;
    let invert_mask = sequences_starting_on_even_bits << 1;
    (EVEN_BITS ^ invert_mask) & follows_escape
}

/// Bit `i` is set when an odd number of bits at positions `0..=i` are set.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify_block(block: &[u8; 64]) -> BlockMasks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline, and each load reads 16 bytes inside `block`.
    unsafe {
        let eq = |chunk: __m128i, byte: u8| -> u64 {
            _mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8(byte as i8))) as u16 as u64
        };
        let either = |chunk: __m128i, a: u8, b: u8| -> u64 {
            let hits = _mm_or_si128(
                _mm_cmpeq_epi8(chunk, _mm_set1_epi8(a as i8)),
                _mm_cmpeq_epi8(chunk, _mm_set1_epi8(b as i8)),
            );
            _mm_movemask_epi8(hits) as u16 as u64
        };
        let mut masks = BlockMasks { quote: 0, backslash: 0, open: 0, close: 0 };
        for lane in 0..4 {
            let chunk = _mm_loadu_si128(block.as_ptr().add(lane * 16).cast());
            let shift = lane * 16;
            masks.quote |= eq(chunk, b'"') << shift;
            masks.backslash |= eq(chunk, b'\\') << shift;
            masks.open |= either(chunk, b'{', b'[') << shift;
            masks.close |= either(chunk, b'}', b']') << shift;
        }
        masks
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn classify_block(block: &[u8; 64]) -> BlockMasks {
    let mut masks = BlockMasks { quote: 0, backslash: 0, open: 0, close: 0 };
    for (i, &b) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match b {
            b'"' => masks.quote |= bit,
            b'\\' => masks.backslash |= bit,
            b'{' | b'[' => masks.open |= bit,
            b'}' | b']' => masks.close |= bit,
            _ => {}
        }
    }
    masks
}

/// AVX2 classifies a block in two 32-byte halves, and PCLMULQDQ computes the prefix-xor in one
/// instruction (simdjson's technique).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set_epi64x, _mm_set1_epi8,
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };

    use super::{BlockMasks, ScanState};

    /// # Safety
    /// The CPU must support AVX2 and PCLMULQDQ.
    #[target_feature(enable = "avx2,pclmulqdq")]
    pub unsafe fn find_value_end(state: &mut ScanState, bytes: &[u8]) -> Option<usize> {
        super::find_value_end_with(state, bytes, |b| classify_block(b), |x| prefix_xor(x))
    }

    #[target_feature(enable = "avx2")]
    fn classify_block(block: &[u8; 64]) -> BlockMasks {
        let eq = |half: __m256i, byte: u8| -> u64 {
            _mm256_movemask_epi8(_mm256_cmpeq_epi8(half, _mm256_set1_epi8(byte as i8))) as u32
                as u64
        };
        let either = |half: __m256i, a: u8, b: u8| -> u64 {
            let hits = _mm256_or_si256(
                _mm256_cmpeq_epi8(half, _mm256_set1_epi8(a as i8)),
                _mm256_cmpeq_epi8(half, _mm256_set1_epi8(b as i8)),
            );
            _mm256_movemask_epi8(hits) as u32 as u64
        };
        let mut masks = BlockMasks { quote: 0, backslash: 0, open: 0, close: 0 };
        for lane in 0..2 {
            // SAFETY: each load reads 32 bytes inside `block`.
            let half = unsafe { _mm256_loadu_si256(block.as_ptr().add(lane * 32).cast()) };
            let shift = lane * 32;
            masks.quote |= eq(half, b'"') << shift;
            masks.backslash |= eq(half, b'\\') << shift;
            masks.open |= either(half, b'{', b'[') << shift;
            masks.close |= either(half, b'}', b']') << shift;
        }
        masks
    }

    #[target_feature(enable = "pclmulqdq")]
    fn prefix_xor(x: u64) -> u64 {
        // Multiplying by all ones without carries xors every bit into all higher positions.
        let product = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
        _mm_cvtsi128_si64(product) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn end(bytes: &[u8]) -> Option<usize> {
        find_value_end(&mut ScanState::new(), bytes)
    }

    #[test]
    fn finds_the_end_of_nested_values() {
        assert_eq!(end(br#"{"a":{"b":[1,2]}} tail"#), Some(16));
        assert_eq!(end(b"[[],{}]"), Some(6));
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let text = br#"{"k":"}{][","e":"\"}","b":"\\"}"#;
        assert_eq!(end(text), Some(text.len() - 1));
    }

    #[test]
    fn long_runs_of_backslashes_cross_block_boundaries() {
        // 63 bytes of prefix put the escaping backslashes across the first block edge.
        for run in 0..6 {
            let mut text = format!("{{\"{}", "x".repeat(60)).into_bytes();
            text.extend(std::iter::repeat_n(b'\\', run * 2 + 1));
            text.extend_from_slice(b"\"}\"}");
            // An odd run escapes the quote, so the string ends at the second quote.
            assert_eq!(end(&text), Some(text.len() - 1), "run {run}");
        }
    }

    #[test]
    fn an_unclosed_value_consumes_everything_and_resumes() {
        let text = format!("{{\"a\":\"{}\\", "y".repeat(100));
        let mut state = ScanState::new();
        assert_eq!(find_value_end(&mut state, text.as_bytes()), None);
        // The trailing backslash escapes the first byte of the next chunk, not the quote.
        assert_eq!(find_value_end(&mut state, br#"x"}"#), Some(2));
    }

    proptest! {
        /// The block path and the byte path agree on any bytes, split at any point.
        #[test]
        fn block_scans_equal_the_byte_scan(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'{'), Just(b'}'), Just(b'['), Just(b']'), Just(b'"'), Just(b'\\'), Just(b'a')],
                0..400),
            split in 0usize..400,
        ) {
            let mut reference = ScanState::new();
            let expected = scan_bytes(&mut reference, &bytes);
            let split = split.min(bytes.len());
            let portable = |state: &mut ScanState, bytes: &[u8]| {
                find_value_end_with(state, bytes, classify_block, prefix_xor)
            };
            // The dispatched path (AVX2 on most machines) and the portable one.
            for scan in [find_value_end, portable] {
                let mut state = ScanState::new();
                let got = match scan(&mut state, &bytes[..split]) {
                    Some(at) => Some(at),
                    None => scan(&mut state, &bytes[split..]).map(|at| at + split),
                };
                prop_assert_eq!(got, expected);
                if expected.is_none() {
                    prop_assert_eq!(state, reference);
                }
            }
        }
    }
}
