//! From raw object bytes to records: detect the compression by its magic bytes (never by the
//! file name), decompress as a stream, split into records ([`split`]) and pick the few that can
//! be failures ([`prefilter`]). Rows of tables that already hold parsed events (Security Lake's
//! OCSF in [`ocsf`], the Athena/Glue CloudTrail table in [`athena`]) are rebuilt as the CloudTrail
//! records they stand for, through one mapping machinery ([`ocsf::mapping::Table`]), from the
//! JSON form of an Arrow row ([`row`]).

pub mod athena;
pub mod by_design;
pub mod envelope;
pub mod ocsf;
pub mod prefilter;
pub mod row;
pub mod split;
pub mod structural;

use std::io::{self, BufReader, Read};

use flate2::bufread::MultiGzDecoder;

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

/// Sniffs the first bytes of `reader` and returns a reader of the decoded bytes.
pub fn decoder<'r>(
    mut reader: impl Read + Send + 'r,
) -> io::Result<(Encoding, Box<dyn Read + Send + 'r>)> {
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
    let whole = BufReader::with_capacity(READ_BUFFER, io::Cursor::new(head.to_vec()).chain(reader));
    Ok(match encoding {
        Encoding::Gzip => (encoding, Box::new(MultiGzDecoder::new(whole))),
        Encoding::Plain | Encoding::Parquet => (encoding, Box::new(whole)),
    })
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

    #[test]
    fn other_compressions_are_named() {
        let err = decode_all(&[0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0]).expect_err("zstd");
        assert!(err.to_string().contains("zstd"), "{err}");
        assert!(decode_all(b"BZh91AY&SY").expect_err("bzip2").to_string().contains("bzip2"));
    }
}
