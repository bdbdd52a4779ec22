//! One CLI command's output in the snapshot: `<command>.json` (its stdout) and `<command>.err`
//! (its stderr). "Errors are data" (POLICY.md §2.2): the error code in the CLI's
//! `An error occurred (Code) when calling …` says whether AWS answered "there is none" or the
//! fetch failed, and the two must not be confused.

use super::{Gap, Known, LoadProblem};
use crate::policy::document::Policy;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Error codes that are AWS's answer "this does not exist", from the S3 API reference's error
/// lists (GetBucketPolicy, GetPublicAccessBlock, GetBucketOwnershipControls, GetBucketTagging)
/// and Organizations' DescribeOrganization (the account is in no organization).
const KNOWN_ABSENT: &[&str] = &[
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "NoSuchTagSet",
    "AWSOrganizationsNotInUseException",
];

/// Whether an AWS error code means "this does not exist" (known absent) rather than a failed
/// fetch: the fetcher's summary counts by it, the loader reads by it.
pub fn is_known_absent(code: &str) -> bool {
    KNOWN_ABSENT.contains(&code)
}

/// Reads files, collecting the problems and the newest modification time on the way.
#[derive(Default)]
pub(super) struct Reader {
    pub problems: Vec<LoadProblem>,
    pub newest: Option<SystemTime>,
}

/// What `SNAPSHOT.json` says.
#[derive(Default)]
pub(super) struct Marker {
    pub captured_at: Option<DateTime<Utc>>,
    pub partition: Option<String>,
}

impl Reader {
    pub fn problem(&mut self, path: &Path, message: impl Into<String>) {
        self.problems.push(LoadProblem { path: path.to_path_buf(), message: message.into() });
    }

    /// The subdirectories of `dir` (none when it does not exist), sorted, hidden ones left out;
    /// a name that is not UTF-8 is a problem (ids and bucket names are ASCII).
    pub fn subdirs(&mut self, dir: &Path) -> Vec<(String, PathBuf)> {
        let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
        let mut found = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    self.problem(dir, format!("cannot list: {e}"));
                    continue;
                }
            };
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            match entry.file_name().into_string() {
                Ok(name) if !name.starts_with('.') => found.push((name, path)),
                Ok(_) => {}
                Err(_) => self.problem(&path, "the name is not UTF-8: not read"),
            }
        }
        found.sort();
        found
    }

    /// The output of `command` in `dir`, deserialised into `T`:
    /// a non-empty `.json` → present (or, unparsable, a problem and not captured);
    /// else the `.err`'s code → known absent or not captured; no file → not captured.
    /// `gap` names the piece when it is not captured.
    pub fn output<T: DeserializeOwned>(&mut self, dir: &Path, command: &str, gap: Gap) -> Known<T> {
        let json_path = dir.join(format!("{command}.json"));
        let err_path = dir.join(format!("{command}.err"));
        let json = self.read(&json_path);
        if let Some(bytes) = &json
            && !bytes.iter().all(u8::is_ascii_whitespace)
        {
            return match serde_json::from_slice::<T>(bytes) {
                Ok(value) => Known::Present(value),
                Err(e) => {
                    self.problem(&json_path, format!("not the output of aws … {command}: {e}"));
                    Known::NotCaptured(gap)
                }
            };
        }
        let stderr = self.read(&err_path);
        match stderr.as_deref().map(String::from_utf8_lossy) {
            Some(text) if !text.trim().is_empty() => match error_code(&text) {
                Some(code) if is_known_absent(code) => Known::Absent,
                Some(_) => Known::NotCaptured(gap),
                None => {
                    let first =
                        text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
                    self.problem(
                        &err_path,
                        format!("no `An error occurred (Code)` in the CLI's error output: {first}"),
                    );
                    Known::NotCaptured(gap)
                }
            },
            _ => {
                if json.is_some() {
                    self.problem(&json_path, "empty, and no error output beside it: not captured");
                }
                Known::NotCaptured(gap)
            }
        }
    }

    /// A policy document from `file`, named `name`; one that is not a policy is a problem naming
    /// the file and the policy, and its piece is not captured.
    pub fn policy(
        &mut self,
        file: &Path,
        name: &str,
        document: &Value,
        gap: Gap,
    ) -> Result<Policy, Gap> {
        Policy::parse(name, document).map_err(|e| {
            self.problem(file, e.to_string());
            gap
        })
    }

    /// The file's bytes; `None` when it does not exist. An unreadable file is a problem.
    fn read(&mut self, path: &Path) -> Option<Vec<u8>> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
                self.newest = self.newest.max(modified);
                Some(bytes)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                self.problem(path, format!("cannot read: {e}"));
                None
            }
        }
    }

    /// `SNAPSHOT.json`, which is optional; a broken one is a problem and the capture time
    /// falls back to the newest file.
    pub fn marker(&mut self, path: &Path) -> Marker {
        let Some(bytes) = self.read(path) else { return Marker::default() };
        let value = match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(fields)) => fields,
            Ok(_) => {
                self.problem(path, "not a JSON object");
                return Marker::default();
            }
            Err(e) => {
                self.problem(path, format!("not JSON: {e}"));
                return Marker::default();
            }
        };
        let captured_at = match value.get("captured_at") {
            Some(Value::String(text)) => match DateTime::parse_from_rfc3339(text) {
                Ok(at) => Some(at.with_timezone(&Utc)),
                Err(e) => {
                    self.problem(
                        path,
                        format!("captured_at {text:?} is not an RFC 3339 time: {e}"),
                    );
                    None
                }
            },
            Some(other) => {
                self.problem(path, format!("captured_at {other} is not a string"));
                None
            }
            None => None,
        };
        let partition = value.get("partition").and_then(Value::as_str).map(str::to_string);
        Marker { captured_at, partition }
    }
}

/// Whether `SNAPSHOT.json` at `path` is an object with a `captured_at` string.
pub(super) fn marker_has_captured_at(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .is_some_and(|v| v.get("captured_at").is_some_and(Value::is_string))
}

/// The code in the AWS CLI's `An error occurred (Code) when calling the Op operation: …`.
fn error_code(stderr: &str) -> Option<&str> {
    let (_, rest) = stderr.split_once("An error occurred (")?;
    let (code, _) = rest.split_once(')')?;
    (!code.is_empty() && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'))
        .then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_read_from_the_cli_error_text() {
        let text = "\nAn error occurred (NoSuchBucketPolicy) when calling the GetBucketPolicy operation: The bucket policy does not exist\n";
        assert_eq!(error_code(text), Some("NoSuchBucketPolicy"));
        assert_eq!(
            error_code("An error occurred (AccessDenied) when calling"),
            Some("AccessDenied")
        );
        assert_eq!(error_code("Unable to locate credentials."), None);
        assert_eq!(error_code("An error occurred () when"), None);
        assert_eq!(error_code("An error occurred (No Such) when"), None);
    }
}
