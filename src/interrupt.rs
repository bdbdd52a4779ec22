//! Stopping cleanly on Ctrl-C (SIGINT) or SIGTERM: the first signal asks the scan to stop —
//! workers stop reading, listings stop, no report is committed and partial files are removed —
//! and the process exits with 128 + the signal number, as shells expect. A second signal ends
//! the process at once, except while a run renames its finished reports into place
//! ([`while_committing`], microseconds): then it ends the process right after, so that a run
//! never leaves a new `denials.parquet` next to an old `summary.parquet`.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::low_level;

/// What the handlers have seen; one static instance, separate ones in tests.
struct Signals {
    /// The first signal received, or 0.
    received: AtomicI32,
    /// A second signal held back by a commit in progress, or 0.
    deferred: AtomicI32,
    committing: AtomicBool,
}

impl Signals {
    const fn new() -> Self {
        Signals {
            received: AtomicI32::new(0),
            deferred: AtomicI32::new(0),
            committing: AtomicBool::new(false),
        }
    }

    /// Records `signal`; true when the process must end now. Async-signal-safe: atomics only.
    fn on_signal(&self, signal: i32) -> bool {
        if self.received.swap(signal, Ordering::SeqCst) == 0 {
            return false;
        }
        if self.committing.load(Ordering::SeqCst) {
            self.deferred.store(signal, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Runs `commit` with a second signal held back; returns the held-back signal, if any.
    fn committing<T>(&self, commit: impl FnOnce() -> T) -> (T, Option<i32>) {
        self.committing.store(true, Ordering::SeqCst);
        let result = commit();
        self.committing.store(false, Ordering::SeqCst);
        let deferred = self.deferred.swap(0, Ordering::SeqCst);
        (result, (deferred != 0).then_some(deferred))
    }
}

static SIGNALS: Signals = Signals::new();

/// Installs the handlers (once, at start-up).
pub fn install() -> io::Result<()> {
    for signal in [SIGINT, SIGTERM] {
        // SAFETY: the handler only touches atomics and, to end the process, calls `_exit`; all
        // are async-signal-safe.
        unsafe {
            low_level::register(signal, move || {
                if SIGNALS.on_signal(signal) {
                    low_level::exit(128 + signal);
                }
            })?;
        }
    }
    Ok(())
}

/// Runs `commit` (renames of finished reports) so that a second signal cannot cut it in half;
/// if one arrived meanwhile, the process ends as soon as `commit` is done.
pub fn while_committing<T>(commit: impl FnOnce() -> T) -> T {
    let (result, deferred) = SIGNALS.committing(commit);
    if let Some(signal) = deferred {
        low_level::exit(128 + signal);
    }
    result
}

/// The signal that asked the scan to stop, if one did.
pub fn requested() -> Option<i32> {
    match SIGNALS.received.load(Ordering::Relaxed) {
        0 => None,
        signal => Some(signal),
    }
}

/// The error a reader returns once a stop was requested, so that reading ends promptly even in
/// the middle of a large object.
pub fn stopped_error() -> io::Error {
    io::Error::other("stopped by a signal")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_signal_waits_for_a_commit_in_progress() {
        let signals = Signals::new();
        assert!(!signals.on_signal(SIGINT), "the first signal asks to stop");
        assert!(signals.on_signal(SIGINT), "a second one ends the process at once");
        let (done, deferred) = signals.committing(|| {
            assert!(!signals.on_signal(SIGTERM), "held back while renaming");
            "both renamed"
        });
        assert_eq!((done, deferred), ("both renamed", Some(SIGTERM)));
        assert!(signals.on_signal(SIGINT), "and at once again afterwards");
        let (_, none) = signals.committing(|| ());
        assert_eq!(none, None);
    }
}
