//! From raw object bytes to records: detect the compression by its magic bytes (never by the
//! file name), decompress (a small gzip object whole, [`inflate`]; anything else as a stream),
//! split into records ([`split`]) and pick the few that can be failures ([`prefilter`]). Rows of
//! tables that already hold parsed events (Security Lake's OCSF in [`ocsf`], the Athena/Glue
//! CloudTrail table in [`athena`]) are rebuilt as the CloudTrail records they stand for, through
//! one mapping machinery ([`ocsf::mapping::Table`]), from the JSON form of an Arrow row ([`row`]).

pub mod athena;
pub mod bomb;
pub mod by_design;
pub mod envelope;
pub mod inflate;
pub mod ocsf;
pub mod prefilter;
pub mod row;
pub mod split;
pub mod structural;

use std::io::{self, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::bufread::MultiGzDecoder;

use bomb::{BombGuard, Counted};
use inflate::Inflater;
use split::{SplitLimits, SplitReport, split_decoded, split_records};

use crate::classify::FailureFilter;

/// Compressed input is read in chunks this large.
const READ_BUFFER: usize = 256 << 10;

/// How an object's bytes are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// gzip, possibly several members back to back (`cat a.gz b.gz` is valid gzip).
    Gzip,
    /// Anything else is read as text; the splitter decides whether it is JSON.
    Plain,
    /// Parquet (`PAR1`): passed through undecoded, for [`ocsf`] to read as Security Lake's
    /// OCSF, or to report as some other Parquet.
    Parquet,
}

/// A compression we recognise but do not read: named in the error instead of being
/// mistaken for garbage JSON.
#[derive(Debug, thiserror::Error)]
#[error("{0}-compressed data is not supported (CloudTrail delivers gzip); decompress it first")]
pub struct UnsupportedCompression(pub &'static str);

/// Sniffs the first bytes of `reader` and returns a reader of the decoded bytes: the streaming
/// path, whose memory does not grow with the object. [`Decoder`] adds whole-object inflation.
pub fn decoder<'r>(
    reader: impl Read + Send + 'r,
) -> io::Result<(Encoding, Box<dyn Read + Send + 'r>)> {
    let stored = Arc::new(AtomicU64::new(0));
    let (encoding, head, reader) = sniff(Counted { inner: reader, count: Arc::clone(&stored) })?;
    Ok((encoding, stream(encoding, io::Cursor::new(head).chain(reader), stored)))
}

/// An object's decoded bytes.
pub enum Decoded<'r> {
    /// `buf[..len]`, inflated in one call ([`inflate`]); give `buf` back with
    /// [`Decoder::reuse`].
    Whole { buf: Vec<u8>, len: usize },
    /// A reader of them.
    Stream(Box<dyn Read + Send + 'r>),
}

/// What reading one object gave ([`Decoder::read_records`]).
pub struct ObjectRecords {
    pub encoding: Encoding,
    /// Bytes read from the stored object.
    pub stored_bytes: u64,
    /// What the splitter saw.
    pub report: SplitReport,
    /// The error that ended reading early; the records before it were delivered.
    pub error: Option<io::Error>,
}

/// One worker's decoder: whole-object inflation for a gzip object of known, small stored size
/// ([`inflate`]), the streaming decoder for everything else and for whatever libdeflate refuses.
/// Keeps its buffers from object to object.
#[derive(Default)]
pub struct Decoder {
    /// Made at the first object that can use it (`Some`); `Some(None)` when libdeflate could
    /// not allocate one, and every object streams.
    inflater: Option<Option<Inflater>>,
    stored: Vec<u8>,
    decoded: Vec<u8>,
}

impl Decoder {
    /// Decodes `reader`, whose stored size is `stored_size` when known in advance.
    pub fn decode<'r>(
        &mut self,
        reader: impl Read + Send + 'r,
        stored_size: Option<u64>,
    ) -> io::Result<(Encoding, Decoded<'r>)> {
        self.decode_counted(reader, stored_size, Arc::default())
    }

    /// [`Self::decode`], counting the stored bytes read in `stored_bytes`.
    fn decode_counted<'r>(
        &mut self,
        reader: impl Read + Send + 'r,
        stored_size: Option<u64>,
        stored_bytes: Arc<AtomicU64>,
    ) -> io::Result<(Encoding, Decoded<'r>)> {
        let counted = Counted { inner: reader, count: Arc::clone(&stored_bytes) };
        let (encoding, head, mut reader) = sniff(counted)?;
        let small = stored_size.is_some_and(|size| size <= inflate::WHOLE_STORED_MAX);
        let whole = encoding == Encoding::Gzip && small;
        let inflater = whole.then(|| self.inflater.get_or_insert_with(Inflater::new).as_mut());
        let Some(inflater) = inflater.flatten() else {
            let whole = io::Cursor::new(head).chain(reader);
            return Ok((encoding, Decoded::Stream(stream(encoding, whole, stored_bytes))));
        };
        let mut stored = std::mem::take(&mut self.stored);
        stored.clear();
        stored.extend_from_slice(&head);
        let limit = inflate::WHOLE_STORED_MAX + 1 - head.len() as u64;
        let read = (&mut reader).take(limit).read_to_end(&mut stored);
        let streamed = |rest: Box<dyn Read + Send + 'r>, stored: Vec<u8>| {
            let whole = io::Cursor::new(stored).chain(rest);
            Ok((encoding, Decoded::Stream(stream(encoding, whole, stored_bytes))))
        };
        match read {
            // What was read is decoded as far as it goes, then the error is the stream's.
            Err(e) => return streamed(Box::new(Failed(Some(e))), stored),
            // Longer than its size said (a file still being written): streamed on.
            Ok(_) if stored.len() as u64 > inflate::WHOLE_STORED_MAX => {
                return streamed(Box::new(reader), stored);
            }
            Ok(_) => {}
        }
        match inflater.inflate(&stored, &mut self.decoded) {
            Some(len) => {
                self.stored = stored;
                Ok((encoding, Decoded::Whole { buf: std::mem::take(&mut self.decoded), len }))
            }
            // Damaged or too large: the streaming decoder says how far it reads.
            None => streamed(Box::new(io::empty()), stored),
        }
    }

    /// Decodes `reader` (stored size `stored_size`, when known) and hands its records to
    /// `on_record`, rows of a Security Lake object rebuilt as records ([`ocsf`]; `filter` picks
    /// its rows). `Err` when not even the first bytes could be read.
    pub fn read_records(
        &mut self,
        reader: impl Read + Send,
        stored_size: Option<u64>,
        limits: SplitLimits,
        filter: FailureFilter,
        on_record: impl FnMut(&mut [u8]),
    ) -> io::Result<ObjectRecords> {
        let stored_bytes = Arc::default();
        let (encoding, decoded) =
            self.decode_counted(reader, stored_size, Arc::clone(&stored_bytes))?;
        let (report, error) = match decoded {
            Decoded::Whole { buf, len } => {
                let (report, error, buf) = split_decoded(buf, len, limits, on_record);
                self.reuse(buf);
                (report, error)
            }
            Decoded::Stream(decoded) => match encoding {
                Encoding::Parquet => ocsf::split_rows(decoded, filter, on_record),
                Encoding::Gzip | Encoding::Plain => split_records(decoded, limits, on_record),
            },
        };
        let stored_bytes = stored_bytes.load(Ordering::Relaxed);
        Ok(ObjectRecords { encoding, stored_bytes, report, error })
    }

    /// Takes back the buffer of a [`Decoded::Whole`], for the next object.
    pub fn reuse(&mut self, buf: Vec<u8>) {
        self.decoded = buf;
    }
}

/// The encoding `reader` starts with, the bytes read to tell, and the rest of `reader`.
fn sniff<R: Read>(mut reader: R) -> io::Result<(Encoding, Vec<u8>, R)> {
    let mut head = [0u8; 6];
    let got = read_up_to(&mut reader, &mut head)?;
    let head = &head[..got];
    let unsupported =
        |name| Err(io::Error::new(io::ErrorKind::InvalidData, UnsupportedCompression(name)));
    let encoding = match head {
        [0x1f, 0x8b, ..] => Encoding::Gzip,
        [b'P', b'A', b'R', b'1', ..] => Encoding::Parquet,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => return unsupported("zstd"),
        [b'B', b'Z', b'h', ..] => return unsupported("bzip2"),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00] => return unsupported("xz"),
        [b'P', b'K', 0x03, 0x04, ..] => return unsupported("zip"),
        _ => Encoding::Plain,
    };
    Ok((encoding, head.to_vec(), reader))
}

/// The streaming decoder of `encoding` over all of an object's bytes, stopped as a gzip bomb
/// when it gives far more than `stored` counts ([`bomb`]).
fn stream<'r>(
    encoding: Encoding,
    whole: impl Read + Send + 'r,
    stored: Arc<AtomicU64>,
) -> Box<dyn Read + Send + 'r> {
    let whole = BufReader::with_capacity(READ_BUFFER, whole);
    match encoding {
        Encoding::Gzip => {
            Box::new(BombGuard { inner: MultiGzDecoder::new(whole), stored, decoded: 0 })
        }
        Encoding::Plain | Encoding::Parquet => Box::new(whole),
    }
}

/// Gives `error` at the first read, then the end of input: where a read that failed left off.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// Reads until `buf` is full or the input ends (a pipe may return a few bytes at a time).
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(data).expect("in memory");
        encoder.finish().expect("in memory")
    }

    fn decode_all(bytes: &[u8]) -> io::Result<(Encoding, Vec<u8>)> {
        let (encoding, mut reader) = decoder(bytes)?;
        let mut out = Vec::new();
        reader.read_to_end(&mut out)?;
        Ok((encoding, out))
    }

    #[test]
    fn gzip_is_detected_by_content_and_members_are_concatenated() {
        let mut two_members = gzip(b"{\"a\":1}\n");
        two_members.extend(gzip(b"{\"b\":2}\n"));
        let (encoding, out) = decode_all(&two_members).expect("valid gzip");
        assert_eq!(encoding, Encoding::Gzip);
        assert_eq!(out, b"{\"a\":1}\n{\"b\":2}\n");
    }

    #[test]
    fn plain_text_passes_through_even_when_shorter_than_the_sniff() {
        assert_eq!(decode_all(b"{}").expect("plain").1, b"{}");
        assert_eq!(decode_all(b"").expect("empty").1, b"");
    }

    #[test]
    fn truncated_gzip_is_an_error_after_the_bytes_it_had() {
        let whole = gzip(&b"x".repeat(100_000));
        let err = decode_all(&whole[..whole.len() / 2]).expect_err("truncated");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    /// What [`Decoder::decode`] gives for `bytes` said to be `size` long: whole or streamed,
    /// the bytes, and the error that ended a stream.
    fn decode_with(
        decoder: &mut Decoder,
        bytes: impl Read + Send,
        size: Option<u64>,
    ) -> (bool, Vec<u8>, Option<io::ErrorKind>) {
        match decoder.decode(bytes, size).expect("sniffed").1 {
            Decoded::Whole { buf, len } => {
                let out = buf[..len].to_vec();
                decoder.reuse(buf);
                (true, out, None)
            }
            Decoded::Stream(mut reader) => {
                let mut out = Vec::new();
                let error = reader.read_to_end(&mut out).err().map(|e| e.kind());
                (false, out, error)
            }
        }
    }

    #[test]
    fn small_gzip_of_known_size_is_inflated_whole_and_everything_else_streamed() {
        let text: Vec<u8> = (0..50_000u32).flat_map(|i| i.to_string().into_bytes()).collect();
        let stored = gzip(&text);
        let size = Some(stored.len() as u64);
        let mut decoder = Decoder::default();
        for _ in 0..2 {
            assert_eq!(decode_with(&mut decoder, &stored[..], size), (true, text.clone(), None));
        }
        assert_eq!(decode_with(&mut decoder, &stored[..], None), (false, text.clone(), None));
        let big = Some(inflate::WHOLE_STORED_MAX + 1);
        assert_eq!(decode_with(&mut decoder, &stored[..], big), (false, text.clone(), None));
        assert_eq!(decode_with(&mut decoder, &text[..], size), (false, text.clone(), None));
        // Said to be small but longer than the limit (still being written): streamed to the end.
        let mut long = gzip(&text);
        while long.len() as u64 <= inflate::WHOLE_STORED_MAX {
            long.extend_from_slice(&stored);
        }
        let (whole, out, error) = decode_with(&mut decoder, &long[..], size);
        assert!(!whole && error.is_none());
        assert_eq!(out.len() % text.len(), 0);
        assert_eq!(out.len() / text.len(), long.len() / stored.len());
    }

    #[test]
    fn damaged_or_failing_input_streams_what_it_can_then_the_error() {
        let text = b"{\"a\":1}\n".repeat(100_000);
        let stored = gzip(&text);
        let size = Some(stored.len() as u64);
        let mut decoder = Decoder::default();
        let cut = &stored[..stored.len() / 2];
        let (whole, out, error) = decode_with(&mut decoder, cut, size);
        assert!(!whole && !out.is_empty() && text.starts_with(&out));
        assert_eq!(error, Some(io::ErrorKind::UnexpectedEof));
        // A read that fails half way: the bytes before it are decoded, then its error.
        let failing = io::Cursor::new(cut.to_vec())
            .chain(Failed(Some(io::Error::new(io::ErrorKind::ConnectionReset, "reset"))));
        let (whole, out, error) = decode_with(&mut decoder, failing, size);
        assert!(!whole && !out.is_empty() && text.starts_with(&out));
        assert_eq!(error, Some(io::ErrorKind::ConnectionReset));
        // The decoder is not spoilt for the next object.
        assert_eq!(decode_with(&mut decoder, &stored[..], size), (true, text, None));
    }

    #[test]
    fn every_stream_stops_a_gzip_bomb_whole_objects_and_streams_alike() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&vec![0u8; (bomb::BOMB_FLOOR + (8 << 20)) as usize]).expect("in memory");
        let bomb = encoder.finish().expect("in memory");
        assert!(bomb.len() < 100 << 10, "about 1000 to 1: {}", bomb.len());
        let size = Some(bomb.len() as u64);
        let (whole, out, error) = decode_with(&mut Decoder::default(), &bomb[..], size);
        assert!(!whole, "past the whole-object cap it streams");
        assert_eq!(error, Some(io::ErrorKind::InvalidData));
        assert!(out.len() as u64 <= bomb::BOMB_FLOOR + (READ_BUFFER as u64) * 4);
        let mut stream = decoder(&bomb[..]).expect("gzip").1;
        let error = io::copy(&mut stream, &mut io::sink()).expect_err("stopped");
        assert!(error.to_string().contains("gzip bomb"), "{error}");
    }

    #[test]
    fn other_compressions_are_named() {
        let err = decode_all(&[0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0]).expect_err("zstd");
        assert!(err.to_string().contains("zstd"), "{err}");
        assert!(decode_all(b"BZh91AY&SY").expect_err("bzip2").to_string().contains("bzip2"));
    }
}
