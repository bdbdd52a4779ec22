//! The cheap test that decides which records are worth parsing.
//!
//! A failed call is the only kind of record with an `"errorCode"` key, and failures are a few
//! percent of a trail, so searching each record's bytes for that key (SIMD `memmem`, many GB/s)
//! lets the parser skip the rest. The test may say yes wrongly (the text can also appear inside
//! a string value); it never says no to a record that has the key, so the parser that follows
//! makes the real decision.

use memchr::memmem::Finder;

/// Which records may be failures.
pub struct Prefilter {
    error_code: Finder<'static>,
    /// Failed console sign-ins carry no `errorCode`, only an `errorMessage`.
    error_message: Option<Finder<'static>>,
}

impl Prefilter {
    /// `with_console_sign_in`: also pass records that only have an `"errorMessage"`, so that
    /// failed `ConsoleLogin` events reach the authentication filter.
    pub fn new(with_console_sign_in: bool) -> Self {
        Self {
            error_code: Finder::new(b"\"errorCode\""),
            error_message: with_console_sign_in.then(|| Finder::new(b"\"errorMessage\"")),
        }
    }

    pub fn may_be_failure(&self, record: &[u8]) -> bool {
        self.error_code.find(record).is_some()
            || self.error_message.as_ref().is_some_and(|f| f.find(record).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_records_with_an_error_code_key() {
        let filter = Prefilter::new(false);
        assert!(filter.may_be_failure(br#"{"eventName":"GetObject","errorCode":"AccessDenied"}"#));
        assert!(!filter.may_be_failure(br#"{"eventName":"GetObject","errorcode":1}"#));
        assert!(!filter.may_be_failure(br#"{"errorMessage":"Failed authentication"}"#));
    }

    #[test]
    fn console_sign_in_mode_also_passes_error_messages() {
        let filter = Prefilter::new(true);
        assert!(filter.may_be_failure(br#"{"errorMessage":"Failed authentication"}"#));
        assert!(!filter.may_be_failure(br#"{"eventName":"ConsoleLogin"}"#));
    }
}
