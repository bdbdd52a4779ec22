//! The Parquet reader may panic on damaged data (an `unwrap` on a page header that a flipped
//! byte made impossible, found by mutating the sample lake's objects). A damaged object is one
//! bad input, not the end of the run: [`guarded`] turns such a panic into an error that names
//! the object, and keeps the panic's own message off stderr.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Whether this thread is inside [`guarded`]: its panics are reported as errors, not printed.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

static QUIET_HOOK: Once = Once::new();

/// Runs `decode` (which calls into the Parquet crate only); a panic inside becomes
/// `Err(message)`. Anything else that panics keeps the usual behaviour.
pub fn guarded<T>(decode: impl FnOnce() -> T) -> Result<T, String> {
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(decode));
    GUARDED.with(|g| g.set(false));
    outcome.map_err(|payload| {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        text.unwrap_or_else(|| "the Parquet reader failed".to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_is_an_error_and_the_guard_is_lifted_after() {
        let failed: Result<(), String> = guarded(|| panic!("page header: {}", 3));
        assert_eq!(failed, Err("page header: 3".to_string()));
        assert_eq!(guarded(|| 7), Ok(7));
        assert!(!GUARDED.with(Cell::get));
    }
}
