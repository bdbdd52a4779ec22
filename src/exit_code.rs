//! The exit-code contract, in one place: every path of the binary ends in one of these, and
//! `--help`, the README's table and `tests/` (`exit_codes_follow_the_contract`) say the same.
//!
//! Cron and CI read the code without reading stderr, so each code has one meaning:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | finished, every input read |
//! | 1 | fatal: nothing was scanned or nothing written (bad arguments, a missing path, an unwritable output, rejected credentials) |
//! | 2 | finished and reports written, but some inputs (or parts) were skipped |
//! | 3 | finished, and a `--fail-on-…` threshold was reached |
//! | 128 + signal | stopped by SIGINT (130) or SIGTERM (143): nothing written |
//!
//! When a threshold is reached *and* inputs were skipped, 3 wins: a gate in CI must not pass
//! because a damaged object happened to be in the same run, and stderr says both (the skipped
//! inputs are listed either way). Argument errors are 1, not clap's usual 2, so that 2 keeps
//! meaning "read, but not everything".

use std::process::ExitCode;

/// How a run ended, as the process reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success,
    Fatal,
    InputsSkipped,
    ThresholdReached,
    /// Stopped by this signal number.
    Signal(i32),
}

/// The text `--help` prints under the commands; it names every code of [`Exit`].
pub const HELP: &str = "Exit codes: 0 success; 1 fatal error (bad arguments, a missing source, \
an unwritable output, rejected AWS credentials: nothing written); 2 finished, but some inputs were \
skipped or only partly read (listed on stderr); 3 a --fail-on-denials/--fail-on-new threshold was \
reached (3 wins over 2, stderr says both); 130/143 stopped by SIGINT/SIGTERM (nothing written).";

impl Exit {
    /// The outcome of a finished run: 3 over 2 over 0.
    pub fn finished(inputs_skipped: bool, threshold_reached: bool) -> Self {
        match (threshold_reached, inputs_skipped) {
            (true, _) => Exit::ThresholdReached,
            (false, true) => Exit::InputsSkipped,
            (false, false) => Exit::Success,
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Fatal => 1,
            Exit::InputsSkipped => 2,
            Exit::ThresholdReached => 3,
            Exit::Signal(signal) => u8::try_from(128 + signal).unwrap_or(130),
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_threshold_wins_over_skipped_inputs() {
        assert_eq!(Exit::finished(true, true), Exit::ThresholdReached);
        assert_eq!(Exit::finished(true, false), Exit::InputsSkipped);
        assert_eq!(Exit::finished(false, false).code(), 0);
        assert_eq!(Exit::Signal(2).code(), 130);
        assert_eq!(Exit::Signal(15).code(), 143);
    }

    /// The codes `HELP` explains: each `;`-separated clause starts with its codes (`130/143`).
    fn codes_in(help: &str) -> Vec<u8> {
        let text = help.split("Exit codes:").nth(1).unwrap_or_default();
        let codes = text
            .split(';')
            .flat_map(|clause| clause.split_whitespace().next().unwrap_or_default().split('/'));
        codes.filter_map(|code| code.parse().ok()).collect()
    }

    #[test]
    fn the_help_names_every_code() {
        let every = [
            Exit::Success,
            Exit::Fatal,
            Exit::InputsSkipped,
            Exit::ThresholdReached,
            Exit::Signal(2),
            Exit::Signal(15),
        ];
        assert_eq!(codes_in(HELP), every.map(Exit::code));
    }
}
