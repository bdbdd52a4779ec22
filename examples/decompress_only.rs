//! Decompress-only baseline for `scripts/bench`: the ceiling a scan can approach.
//!
//! Finds the inputs exactly as `whydenied scan` does (directories walked recursively in sorted
//! order, hidden entries skipped), decodes every object with the scanner's own
//! [`whydenied::decode::Decoder`] (a small gzip object inflated whole by libdeflate, anything
//! else streamed) on a rayon pool of all cores, one object per worker at a time, and throws the
//! bytes away. Prints the decoded bytes and the elapsed seconds.
//!
//! ```text
//! cargo run --release --example decompress_only -- bench-data
//! ```

use std::io;
use std::process::ExitCode;
use std::time::Instant;

use rayon::prelude::*;
use whydenied::decode::{Decoded, Decoder};
use whydenied::source::LogObject;
use whydenied::source::local::discover;

/// Decoded bytes of one object, or the error that stopped it.
fn decode(decoder: &mut Decoder, object: LogObject) -> io::Result<u64> {
    match decoder.decode((object.open)()?, object.size)?.1 {
        Decoded::Whole { buf, len } => {
            decoder.reuse(buf);
            Ok(len as u64)
        }
        Decoded::Stream(mut decoded) => io::copy(&mut decoded, &mut io::sink()),
    }
}

fn main() -> ExitCode {
    let inputs: Vec<String> = std::env::args().skip(1).collect();
    if inputs.is_empty() {
        eprintln!("usage: decompress_only PATH...");
        return ExitCode::from(2);
    }
    let started = Instant::now();
    let discovered = match discover(&inputs, None) {
        Ok(discovered) => discovered,
        Err(e) => {
            eprintln!("decompress_only: {e}");
            return ExitCode::FAILURE;
        }
    };
    let objects = discovered.objects.len();
    let decoded = discovered
        .objects
        .into_par_iter()
        .map_init(Decoder::default, |decoder, object| {
            let origin = object.origin.clone();
            decode(decoder, object).map_err(|e| format!("{origin}: {e}"))
        })
        .collect::<Result<Vec<u64>, String>>();
    let secs = started.elapsed().as_secs_f64();
    match decoded {
        Ok(sizes) => {
            let bytes: u64 = sizes.iter().sum();
            println!("{bytes} decoded bytes from {objects} objects in {secs:.3} s");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("decompress_only: {e}");
            ExitCode::FAILURE
        }
    }
}
