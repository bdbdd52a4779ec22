//! Whole-object gzip decoding with libdeflate, for objects small enough to hold in memory.
//!
//! Delivered CloudTrail objects are a few megabytes of gzip. Decoded in one call, with the
//! whole output buffer at hand, libdeflate inflates them about a fifth faster than the streaming
//! zlib-rs decoder on this machine class, and checks each member's CRC-32 and length as it goes.
//! Its cost is memory: the object, stored and decoded, is held at once. So only objects whose
//! stored size is known and at most [`WHOLE_STORED_MAX`] come here, and only while the decoded
//! bytes stay within [`WHOLE_DECODED_MAX`]; anything larger, of unknown size, or that libdeflate
//! rejects goes to the streaming decoder ([`super::Decoder`] decides), whose memory does not grow
//! with the object and which reports a damaged object exactly as before: the records before the
//! damage, then the error.

use std::ptr::NonNull;

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
    libdeflate_gzip_decompress_ex, libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE,
    libdeflate_result_LIBDEFLATE_SUCCESS,
};

/// Objects stored in at most this many bytes are read whole. CloudTrail's are typically well
/// under a tenth of it.
pub const WHOLE_STORED_MAX: u64 = 16 << 20;
/// The most one worker holds decoded at once: past it an object is streamed instead. With the
/// stored bytes, a worker holds at most 80 MiB more than the streaming path would. It is the
/// gzip-bomb limit's floor, below which no ratio is checked: a whole object never outgrows what
/// a stream may decode unchecked.
pub const WHOLE_DECODED_MAX: usize = super::bomb::BOMB_FLOOR as usize;
/// The first output buffer when the gzip trailer's size says little (a multi-member object).
const FIRST_GUESS: usize = 1 << 20;

/// One worker's libdeflate decompressor (its tables are reused from object to object).
pub struct Inflater {
    raw: NonNull<libdeflate_decompressor>,
}

// SAFETY: the decompressor is plain memory owned by this value, used by one thread at a time
// (`&mut self`), never shared.
unsafe impl Send for Inflater {}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: allocated by libdeflate_alloc_decompressor, freed once.
        unsafe { libdeflate_free_decompressor(self.raw.as_ptr()) }
    }
}

impl Inflater {
    /// A decompressor, or `None` when libdeflate cannot allocate one (then everything streams).
    pub fn new() -> Option<Self> {
        // SAFETY: no arguments; a null result is handled.
        NonNull::new(unsafe { libdeflate_alloc_decompressor() }).map(|raw| Self { raw })
    }

    /// Inflates every gzip member of `stored`, back to back, into `out` (grown as needed; its
    /// length afterwards is only capacity). Returns the decoded length, or `None` when the data
    /// is not valid gzip to its last byte or decodes to more than [`WHOLE_DECODED_MAX`]: the
    /// caller then streams it, which says how much was readable and what was wrong.
    pub fn inflate(&mut self, stored: &[u8], out: &mut Vec<u8>) -> Option<usize> {
        let mut input = stored;
        let mut written = 0;
        while !input.is_empty() {
            // ISIZE, the trailer's decoded length (mod 2^32), is exact for the usual single
            // member; a wrong guess only costs a retry with more room.
            let trailer = input.len().checked_sub(4).map(|at| &input[at..]);
            let said = trailer.map_or(0, |t| u32::from_le_bytes([t[0], t[1], t[2], t[3]]));
            // Deflate cannot expand more than 1032 times: a trailer claiming more is ignored.
            let possible = input.len().saturating_mul(1032);
            let mut room = (said as usize).min(possible).clamp(FIRST_GUESS, WHOLE_DECODED_MAX);
            loop {
                let want = (written + room).min(WHOLE_DECODED_MAX);
                if out.len() < want {
                    out.resize(want, 0);
                }
                let (mut consumed, mut produced) = (0, 0);
                // SAFETY: `input` and `out[written..]` are valid for the lengths given, and
                // libdeflate writes at most `out.len() - written` bytes.
                let result = unsafe {
                    libdeflate_gzip_decompress_ex(
                        self.raw.as_ptr(),
                        input.as_ptr().cast(),
                        input.len(),
                        out.as_mut_ptr().add(written).cast(),
                        out.len() - written,
                        &mut consumed,
                        &mut produced,
                    )
                };
                if result == libdeflate_result_LIBDEFLATE_SUCCESS && consumed > 0 {
                    written += produced;
                    input = &input[consumed.min(input.len())..];
                    break;
                }
                let full = out.len() >= WHOLE_DECODED_MAX;
                if result != libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE || full {
                    return None;
                }
                room = room.saturating_mul(2);
            }
        }
        Some(written)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).expect("in memory");
        encoder.finish().expect("in memory")
    }

    /// What flate2's streaming decoder makes of the same bytes: the reference.
    fn streamed(stored: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(stored).read_to_end(&mut out)?;
        Ok(out)
    }

    fn inflated(stored: &[u8]) -> Option<Vec<u8>> {
        let (mut inflater, mut out) = (Inflater::new().expect("allocates"), Vec::new());
        let len = inflater.inflate(stored, &mut out)?;
        out.truncate(len);
        Some(out)
    }

    #[test]
    fn members_back_to_back_decode_like_the_streaming_decoder() {
        let text: Vec<u8> = (0..300_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let mut stored = gzip(&text);
        stored.extend(gzip(b"{\"second\":true}\n"));
        stored.extend(gzip(&text[..5000]));
        let expected = streamed(&stored).expect("valid");
        assert_eq!(expected.len(), text.len() + 16 + 5000);
        assert_eq!(inflated(&stored), Some(expected));
        assert_eq!(inflated(&gzip(b"")), Some(Vec::new()));
        assert_eq!(inflated(b""), Some(Vec::new()));
    }

    #[test]
    fn the_trailer_size_is_checked_and_only_a_guess_for_the_room() {
        let text = vec![b'x'; 3 << 20];
        for isize in [0u32, 7, u32::MAX] {
            let mut stored = gzip(&text);
            let at = stored.len() - 4;
            stored[at..].copy_from_slice(&isize.to_le_bytes());
            // libdeflate checks ISIZE: a wrong one is damage, left to the streaming decoder.
            assert_eq!(inflated(&stored), None, "ISIZE {isize}");
            assert!(streamed(&stored).is_err());
        }
        // A first member whose trailer says nothing of the second's size.
        let mut stored = gzip(b"small");
        stored.extend(gzip(&text));
        assert_eq!(inflated(&stored).map(|o| o.len()), Some(5 + text.len()));
    }

    #[test]
    fn damage_truncation_and_trailing_bytes_are_refused() {
        let text: Vec<u8> =
            (0..20_000u32).flat_map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()).collect();
        let stored = gzip(&text);
        let mut flipped = stored.clone();
        flipped[stored.len() / 2] ^= 0x55;
        let mut bad_crc = stored.clone();
        let at = stored.len() - 8;
        bad_crc[at] ^= 1;
        let mut trailing = stored.clone();
        trailing.extend(b"garbage");
        for (what, bytes) in [
            ("flipped", &flipped[..]),
            ("bad CRC", &bad_crc[..]),
            ("truncated", &stored[..stored.len() - 3]),
            ("trailing", &trailing[..]),
            ("not gzip", b"{\"Records\":[]}"),
        ] {
            assert_eq!(inflated(bytes), None, "{what}");
            assert!(streamed(bytes).is_err(), "{what}: the streaming decoder refuses it too");
        }
    }

    #[test]
    fn more_than_the_cap_is_left_to_the_streaming_decoder() {
        let stored = gzip(&vec![0u8; WHOLE_DECODED_MAX + 1]);
        assert_eq!(inflated(&stored), None);
        let stored = gzip(&vec![0u8; WHOLE_DECODED_MAX]);
        assert_eq!(inflated(&stored).map(|o| o.len()), Some(WHOLE_DECODED_MAX));
    }
}
