//! The gzip-bomb limit: a stream that decompresses to absurdly more than it stores is stopped,
//! so a hostile object costs a bounded amount of time (memory is bounded anyway by streaming).
//! Every stream a [`super::Decoder`] gives is guarded; a whole-object inflation stops at
//! [`super::inflate::WHOLE_DECODED_MAX`], defined as [`BOMB_FLOOR`].

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Decompressing more than this many times the stored size is refused as a gzip bomb, once at
/// least [`BOMB_FLOOR`] bytes came out. CloudTrail objects compress 10 to 20 times; deflate
/// cannot exceed about 1032 times.
pub const MAX_DECOMPRESSION_RATIO: u64 = 200;
/// Below this many decoded bytes the ratio is not checked (tiny, very repetitive files are fine).
pub const BOMB_FLOOR: u64 = 64 << 20;

/// Ends reading with an error when an object decompresses to absurdly more than it stores, so a
/// hostile object costs a bounded amount of time (memory is bounded anyway by streaming).
pub(super) struct BombGuard<R> {
    pub(super) inner: R,
    pub(super) stored: Arc<AtomicU64>,
    pub(super) decoded: u64,
}

impl<R: Read> Read for BombGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.decoded += n as u64;
        let stored = self.stored.load(Ordering::Relaxed).max(1);
        if self.decoded > BOMB_FLOOR && self.decoded / stored > MAX_DECOMPRESSION_RATIO {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "decompresses to more than {MAX_DECOMPRESSION_RATIO} times its stored size (a gzip bomb?); stopped after {} MB",
                    self.decoded >> 20
                ),
            ));
        }
        Ok(n)
    }
}

/// Counts the bytes read from the stored object, for [`BombGuard`].
pub(super) struct Counted<R> {
    pub(super) inner: R,
    pub(super) count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
