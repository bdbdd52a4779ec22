//! Each call's outcome as a file of the snapshot: its output as `<command>.json`, or AWS's
//! refusal as `<command>.err` in the AWS CLI's words (`An error occurred (Code) when calling the
//! Op operation: message`), which is what the loader classifies — *known absent* for
//! `NoSuchBucketPolicy` and the like, *not captured* for anything else. Partial permission is
//! normal: a refused call is recorded and the fetch goes on. Every call also waits its turn
//! here, so that the whole fetch keeps a bounded number of requests in flight.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use indicatif::ProgressBar;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::api::Api;
use crate::source::aws::cause_chain;

/// A piece that was not captured, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotCaptured {
    /// The `.err` file, relative to the snapshot directory.
    pub file: String,
    /// AWS's error code (or the SDK's kind of failure) and message.
    pub reason: String,
}

/// What the fetch wrote, counted.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Outputs written (`.json`).
    pub captured: usize,
    /// Calls AWS answered with "there is none" (`NoSuchBucketPolicy`, no organization, …).
    pub absent: usize,
    pub not_captured: Vec<NotCaptured>,
}

pub(super) struct Recorder {
    root: PathBuf,
    permits: Semaphore,
    tally: Mutex<Tally>,
    /// The first file that could not be written: the fetch fails with it.
    write_error: Mutex<Option<String>>,
    progress: ProgressBar,
}

impl Recorder {
    pub fn new(root: PathBuf, concurrency: usize, progress: ProgressBar) -> Recorder {
        Recorder {
            root,
            permits: Semaphore::new(concurrency.max(1)),
            tally: Mutex::default(),
            write_error: Mutex::default(),
            progress,
        }
    }

    /// Runs one request under the concurrency bound. Its failure is written as `<file>.err`
    /// and gives `None`; so does a stop requested by a signal (then nothing is written).
    pub async fn call<T, E, R>(
        &self,
        file: &str,
        api: Api,
        request: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Option<T>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let _permit = self.permits.acquire().await.ok()?;
        if crate::interrupt::requested().is_some() {
            return None;
        }
        let result = request.await;
        self.progress.inc(1);
        match result {
            Ok(output) => Some(output),
            Err(error) => {
                self.failed(file, api, &error);
                None
            }
        }
    }

    /// Writes `<file>.json` as the CLI prints it (four-space indentation).
    pub fn json(&self, file: &str, value: &Value) {
        let mut bytes = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
        if value.serialize(&mut serializer).is_ok() {
            bytes.push(b'\n');
            if self.write(&format!("{file}.json"), &bytes) {
                self.with_tally(|t| t.captured += 1);
            }
        }
    }

    /// Records a failed call as `<file>.err`.
    fn failed<E, R>(&self, file: &str, api: Api, error: &SdkError<E, R>)
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let (code, message) = code_and_message(error);
        self.error(file, api, &code, &message);
    }

    /// Records `<file>.err` for `api` failing with `code`.
    pub fn error(&self, file: &str, api: Api, code: &str, message: &str) {
        let text = cli_error_text(api, code, message);
        if !self.write(&format!("{file}.err"), text.as_bytes()) {
            return;
        }
        if crate::snapshot::is_known_absent(code) {
            self.with_tally(|t| t.absent += 1);
        } else {
            let reason = format!("{code}: {message}");
            let not_captured = NotCaptured { file: format!("{file}.err"), reason };
            self.with_tally(|t| t.not_captured.push(not_captured));
        }
    }

    /// Writes `relative` under the staging root; false (and the fetch fails) when it cannot.
    fn write(&self, relative: &str, bytes: &[u8]) -> bool {
        let path = self.root.join(relative);
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::File::create(&path))
            .and_then(|mut f| f.write_all(bytes));
        if let Err(e) = written {
            let mut first = self.write_error.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert_with(|| format!("cannot write {}: {e}", path.display()));
            return false;
        }
        true
    }

    fn with_tally(&self, change: impl FnOnce(&mut Tally)) {
        let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut tally);
        let missing = tally.not_captured.len();
        self.progress.set_message(format!("{} written, {missing} not captured", tally.captured));
    }

    /// The counts, and the first write error if any.
    pub fn finish(self) -> (Tally, Option<String>) {
        self.progress.finish_and_clear();
        let tally = self.tally.into_inner().unwrap_or_else(|p| p.into_inner());
        let error = self.write_error.into_inner().unwrap_or_else(|p| p.into_inner());
        (tally, error)
    }
}

/// AWS's code and message; for a request that got no answer, the SDK's kind of failure
/// (`DispatchFailure`, `TimeoutError`, …) and its chain of causes.
fn code_and_message<E, R>(error: &SdkError<E, R>) -> (String, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let kind = match error {
        SdkError::ConstructionFailure(_) => "ConstructionFailure",
        SdkError::TimeoutError(_) => "TimeoutError",
        SdkError::DispatchFailure(_) => "DispatchFailure",
        SdkError::ResponseError(_) => "ResponseError",
        _ => "Unknown",
    };
    let code = error.code().unwrap_or(kind).to_string();
    let message = error.message().map_or_else(|| cause_chain(error), str::to_string);
    (code, message)
}

/// The AWS CLI's error output for a failed call, which the loader reads the code from.
fn cli_error_text(api: Api, code: &str, message: &str) -> String {
    let operation = api.facts().operation;
    // Codes come from AWS; one that is not a plain word would not be read back as one.
    let code: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').collect::<String>();
    let message = message.replace(['\n', '\r'], " ");
    format!("\nAn error occurred ({code}) when calling the {operation} operation: {message}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_written_in_the_cli_words_the_loader_reads() {
        let text = cli_error_text(
            Api::GetBucketPolicy,
            "NoSuchBucketPolicy",
            "The bucket policy does not exist",
        );
        assert_eq!(
            text,
            "\nAn error occurred (NoSuchBucketPolicy) when calling the GetBucketPolicy operation: The bucket policy does not exist\n"
        );
        let text = cli_error_text(Api::GetAccountPublicAccessBlock, "Access(Denied)", "a\nb");
        assert!(
            text.contains("(AccessDenied) when calling the GetPublicAccessBlock operation: a b")
        );
    }
}
