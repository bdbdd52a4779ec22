//! Stopping cleanly on Ctrl-C (SIGINT) or SIGTERM: the first signal asks the scan to stop —
//! workers stop reading, listings stop, no report is committed and partial files are removed —
//! and the process exits with 128 + the signal number, as shells expect. A second signal ends
//! the process at once.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::low_level;

/// The first signal received, or 0.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// Installs the handlers (once, at start-up).
pub fn install() -> io::Result<()> {
    for signal in [SIGINT, SIGTERM] {
        // SAFETY: the handler only does an atomic swap and, on a second signal, `_exit`; both
        // are async-signal-safe.
        unsafe {
            low_level::register(signal, move || {
                if RECEIVED.swap(signal, Ordering::SeqCst) != 0 {
                    low_level::exit(128 + signal);
                }
            })?;
        }
    }
    Ok(())
}

/// The signal that asked the scan to stop, if one did.
pub fn requested() -> Option<i32> {
    match RECEIVED.load(Ordering::Relaxed) {
        0 => None,
        signal => Some(signal),
    }
}

/// The error a reader returns once a stop was requested, so that reading ends promptly even in
/// the middle of a large object.
pub fn stopped_error() -> io::Error {
    io::Error::other("stopped by a signal")
}
