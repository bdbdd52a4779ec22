//! The cheap test that decides which records are worth parsing, in one pass over their bytes.
//!
//! A failed call is the only kind of record with an `"errorCode"` key, and failures are a few
//! percent of a trail, so searching each record's bytes for that key lets the parser skip the
//! rest. The test may say yes wrongly (the text can also appear inside a string value); it never
//! says no to a record that has the key, so the parser that follows makes the real decision.
//!
//! The same pass notes where the first `"eventName"` key starts, for the policy-change
//! prefilter ([`crate::changes::events::ChangePrefilter`]). Two `memmem` searches (one to the end
//! of every record, one to its event name, about 40 % of the way in) made the event-name search
//! a third of what capturing policy changes cost (99 M of 291 M instructions in callgrind); one
//! pass finds both keys for the price of the longer search.
//! With AVX2 it tests 32 starting positions at a time for `"` then `e` then, five bytes on, the
//! capital that tells the keys apart (`"eventN`, `"errorC`, `"errorM`): in CloudTrail JSON
//! nearly every position that passes is one of the keys, so the few survivors are checked one by
//! one. Without AVX2 (and for records shorter than one vector step) the keys are searched with
//! `memmem`; both ways give the same [`Keys`], which a test checks over the bundled trails and
//! random bytes.

use memchr::memmem::Finder;

/// The event-name key as the records hold it; [`Keys::event_name`] is where it starts.
pub const EVENT_NAME: &[u8] = b"\"eventName\"";
const ERROR_CODE: &[u8] = b"\"errorCode\"";
const ERROR_MESSAGE: &[u8] = b"\"errorMessage\"";

/// What one pass over a record's bytes found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keys {
    /// It has an `"errorCode"` key (or, when console sign-ins are wanted, an `"errorMessage"`
    /// one): it may be a failure.
    pub failure: bool,
    /// Where its first `"eventName"` key starts (at its opening quote).
    pub event_name: Option<usize>,
}

/// Which records may be failures, and where their event names are.
pub struct Prefilter {
    /// Failed console sign-ins carry no `errorCode`, only an `errorMessage`.
    with_console_sign_in: bool,
    event_name: Finder<'static>,
    error_code: Finder<'static>,
    error_message: Finder<'static>,
}

impl Prefilter {
    /// `with_console_sign_in`: also pass records that only have an `"errorMessage"`, so that
    /// failed `ConsoleLogin` events reach the authentication filter.
    pub fn new(with_console_sign_in: bool) -> Self {
        Self {
            with_console_sign_in,
            event_name: Finder::new(EVENT_NAME),
            error_code: Finder::new(ERROR_CODE),
            error_message: Finder::new(ERROR_MESSAGE),
        }
    }

    pub fn keys(&self, record: &[u8]) -> Keys {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has the feature the function is compiled for.
            if let Some(keys) = unsafe { avx2::keys(record, self.with_console_sign_in) } {
                return keys;
            }
        }
        self.keys_by_search(record)
    }

    /// The same [`Keys`] by one `memmem` search per key.
    fn keys_by_search(&self, record: &[u8]) -> Keys {
        let failure = self.error_code.find(record).is_some()
            || self.with_console_sign_in && self.error_message.find(record).is_some();
        Keys { failure, event_name: self.event_name.find(record) }
    }
}

/// Notes the key (if any) that starts at `at`, for a position the vector test passed. Returns
/// whether the pass can stop: both things it looks for are known.
///
/// It stays outside the AVX2 module, its only user: moved inside (with or without
/// `#[inline(always)]`), LLVM made the visit of a step's hits a call and loaded the vector
/// constants again every step, +58 M instructions on the 60-object callgrind run.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn note(keys: &mut Keys, record: &[u8], at: usize, with_console_sign_in: bool) -> bool {
    let rest = &record[at..];
    if rest.starts_with(EVENT_NAME) {
        keys.event_name.get_or_insert(at);
    } else if rest.starts_with(ERROR_CODE)
        || with_console_sign_in && rest.starts_with(ERROR_MESSAGE)
    {
        keys.failure = true;
    }
    keys.failure && keys.event_name.is_some()
}

/// Where the first `"` in `bytes` is: the end of a string's text for a reader that takes it
/// as written (event names, sources and times hold no escapes).
///
/// Eight bytes at a time, in a plain `u64`: the readers that call this ask for names a dozen
/// bytes long, where a `memchr` call took about 42 of the 167 instructions a record the
/// policy-change prefilter cost; with this, 135 (callgrind, 254,086 records).
pub fn first_quote(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
    let mut words = bytes.chunks_exact(8);
    for (i, word) in (&mut words).enumerate() {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes")) ^ QUOTES;
        // The lowest byte that was a quote (now zero) sets its high bit here; bytes above it
        // may too, wrongly, through the borrow, but the lowest is exact.
        let zeros = word.wrapping_sub(ONES) & !word & HIGHS;
        if zeros != 0 {
            return Some(i * 8 + zeros.trailing_zeros() as usize / 8);
        }
    }
    let tail = words.remainder();
    let at = tail.iter().position(|&b| b == b'"')?;
    Some(bytes.len() - tail.len() + at)
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_set1_epi8, _mm256_setr_epi8, _mm256_shuffle_epi8,
    };

    use super::{Keys, note};

    /// Positions tested per step.
    const STEP: usize = 32;
    /// Where the capital that tells the keys apart sits, after the opening quote.
    const CAPITAL: usize = 6;
    /// The bytes one step reads: 32 positions and the 6 bytes past the last of them.
    const SPAN: usize = STEP + CAPITAL;

    /// The [`Keys`] of `record`, or `None` when it is shorter than one step.
    #[target_feature(enable = "avx2")]
    pub unsafe fn keys(record: &[u8], with_console_sign_in: bool) -> Option<Keys> {
        let last = record.len().checked_sub(SPAN)?;
        let (quote, e) = (_mm256_set1_epi8(b'"' as i8), _mm256_set1_epi8(b'e' as i8));
        // `C`, `M` and `N` by their low nibble (3, 13, 14); the other entries hold their own
        // index, a control byte valid JSON never holds raw, so only the three capitals look
        // themselves up (bytes from 0x80 look up 0). A raw control byte in damaged text makes
        // a candidate like any other, which `note` checks and drops.
        #[rustfmt::skip]
        let capitals = _mm256_setr_epi8(
            0, 1, 2, b'C' as i8, 4, 5, 6, 7, 8, 9, 10, 11, 12, b'M' as i8, b'N' as i8, 15,
            0, 1, 2, b'C' as i8, 4, 5, 6, 7, 8, 9, 10, 11, 12, b'M' as i8, b'N' as i8, 15,
        );
        // Bit `i`: the key test passes at `at + i`.
        let hits = |at: usize| {
            // SAFETY: `at <= last`, so the loads read inside `record`.
            let load = |offset: usize| unsafe {
                _mm256_loadu_si256(record.as_ptr().add(at + offset).cast::<__m256i>())
            };
            let capital = load(CAPITAL);
            let capital = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(capitals, capital), capital);
            let opening =
                _mm256_and_si256(_mm256_cmpeq_epi8(load(0), quote), _mm256_cmpeq_epi8(load(1), e));
            _mm256_movemask_epi8(_mm256_and_si256(opening, capital)) as u32
        };
        let mut keys = Keys::default();
        // Whether a step's hits complete the keys.
        let mut visit = |mut hits: u32, at: usize| {
            while hits != 0 {
                let candidate = at + hits.trailing_zeros() as usize;
                hits &= hits - 1;
                if note(&mut keys, record, candidate, with_console_sign_in) {
                    return true;
                }
            }
            false
        };
        let mut at = 0;
        while at < last {
            let found = hits(at);
            if found != 0 && visit(found, at) {
                return Some(keys);
            }
            at += STEP;
        }
        // The last step ends at the record's end; the positions before `at` were tested.
        visit(hits(last) & (u32::MAX << (at - last)), last);
        Some(keys)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn passes_records_with_an_error_code_key() {
        let filter = Prefilter::new(false);
        let failure = |record: &[u8]| filter.keys(record).failure;
        assert!(failure(br#"{"eventName":"GetObject","errorCode":"AccessDenied"}"#));
        assert!(!failure(br#"{"eventName":"GetObject","errorcode":1}"#));
        assert!(!failure(br#"{"errorMessage":"Failed authentication"}"#));
    }

    #[test]
    fn console_sign_in_mode_also_passes_error_messages() {
        let filter = Prefilter::new(true);
        assert!(filter.keys(br#"{"errorMessage":"Failed authentication"}"#).failure);
        assert!(!filter.keys(br#"{"eventName":"ConsoleLogin"}"#).failure);
    }

    #[test]
    fn the_first_event_name_is_found_wherever_it_stands() {
        let filter = Prefilter::new(false);
        let padding = "x".repeat(100);
        // Before, across and after 32-byte steps, in the overlapping last step, and at the end.
        for len in 0..100 {
            let record =
                format!(r#"{{"a":"{}","eventName":"GetObject","eventName":"x"}}"#, &padding[..len]);
            let at = record.find("\"eventName\"");
            assert_eq!(filter.keys(record.as_bytes()).event_name, at, "{record}");
            let record = format!(r#"{{"a":"{}","eventName":"#, &padding[..len]);
            assert_eq!(filter.keys(record.as_bytes()).event_name, Some(len + 8), "{record}");
            let record = format!(r#"{{"a":"{}","eventNam"#, &padding[..len]);
            assert_eq!(filter.keys(record.as_bytes()), Keys::default(), "{record}");
        }
    }

    /// Every record of the bundled trails, both ways, whole and cut short at every length a
    /// step boundary can fall on.
    #[test]
    fn one_pass_and_separate_searches_agree_on_the_sample_trails() {
        let filters = [Prefilter::new(false), Prefilter::new(true)];
        let mut records = 0;
        for bytes in sample_trails(std::path::Path::new("sample-logs")) {
            let starts: Vec<usize> =
                memchr::memmem::find_iter(&bytes, b"{\"eventVersion\"").collect();
            for (i, &start) in starts.iter().enumerate() {
                let record = &bytes[start..starts.get(i + 1).copied().unwrap_or(bytes.len())];
                for filter in &filters {
                    assert_eq!(filter.keys(record), filter.keys_by_search(record));
                }
                records += 1;
            }
            for len in 0..200.min(bytes.len()) {
                let cut = &bytes[starts.first().copied().unwrap_or(0)..][..len.min(bytes.len())];
                assert_eq!(filters[1].keys(cut), filters[1].keys_by_search(cut));
            }
        }
        assert!(records > 10_000, "only {records} records read");
    }

    /// The decompressed CloudTrail objects under `dir`.
    fn sample_trails(dir: &std::path::Path) -> Vec<Vec<u8>> {
        use std::io::Read;
        let mut trails = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                trails.extend(sample_trails(&path));
            } else if path.to_string_lossy().ends_with(".json.gz") {
                let mut bytes = Vec::new();
                let file = std::fs::File::open(&path).unwrap();
                flate2::read::MultiGzDecoder::new(file).read_to_end(&mut bytes).unwrap();
                trails.push(bytes);
            }
        }
        trails
    }

    proptest! {
        /// Random bytes made mostly of the keys' own letters, with whole keys dropped in.
        #[test]
        fn one_pass_and_separate_searches_agree_on_random_bytes(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(&b"\"eventName\""[..]),
                    Just(&b"\"errorCode\""[..]),
                    Just(&b"\"errorMessage\""[..]),
                    Just(&b"\"eventN"[..]),
                    Just(&b"\"e"[..]),
                    Just(&b"\""[..]),
                    Just(&b"e"[..]),
                    Just(&b"NCM"[..]),
                    Just(&b"abcdefghijklmnopqrstuvwxyz0123456789"[..]),
                ],
                0..40,
            ),
            console in any::<bool>(),
        ) {
            let record = parts.concat();
            let filter = Prefilter::new(console);
            prop_assert_eq!(filter.keys(&record), filter.keys_by_search(&record));
        }

        /// Any bytes, the quote anywhere (or nowhere), and bytes next to a quote's value that
        /// borrow across a word: `!` is one less than `"`, and 0x80..0xFF have the high bit.
        #[test]
        fn the_first_quote_is_found_as_a_byte_search_finds_it(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b'"'), Just(b'!'), Just(b'#'), Just(0x80u8), Just(0xA2u8), any::<u8>()],
                0..40,
            ),
        ) {
            prop_assert_eq!(first_quote(&bytes), bytes.iter().position(|&b| b == b'"'));
        }
    }
}
