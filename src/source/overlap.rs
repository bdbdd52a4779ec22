//! The paths a run writes, checked against the paths it reads, before anything is read or
//! written.
//!
//! The walk of a scanned directory skips the output directory (a scan must not read its own
//! reports), so an output directory that is, or contains, a scanned directory would leave it
//! unread: refused with a one-line error naming both. Paths are compared as the file system
//! resolves them (symbolic links and `..` included).

use std::fs;
use std::path::{Path, PathBuf};

/// An output path that overlaps an input.
#[derive(Debug, thiserror::Error)]
pub enum OverlapError {
    #[error(
        "--out {out} {relation} the scanned directory {input}: the output directory is never scanned, so its logs would be skipped; choose another --out"
    )]
    OutputHoldsInput {
        out: String,
        /// `is` or `contains`.
        relation: &'static str,
        input: String,
    },
}

/// Local inputs: not stdin, not a remote URL.
fn local_inputs(inputs: &[String]) -> impl Iterator<Item = &String> {
    inputs
        .iter()
        .filter(|i| *i != "-" && !i.starts_with("s3://") && !i.starts_with("cwlogs://"))
}

/// Refuses an output directory that is, or contains, a directory named as a source.
pub fn check_output_dir(inputs: &[String], out_dir: &Path) -> Result<(), OverlapError> {
    let out = resolved(out_dir);
    for input in local_inputs(inputs) {
        if !Path::new(input).is_dir() {
            continue;
        }
        let dir = resolved(Path::new(input));
        if dir.starts_with(&out) {
            return Err(OverlapError::OutputHoldsInput {
                out: out_dir.display().to_string(),
                relation: if dir == out { "is" } else { "contains" },
                input: input.clone(),
            });
        }
    }
    Ok(())
}

/// `path` as the file system resolves it: absolute, with symbolic links and `..` resolved as
/// far as it exists, and the rest (what does not exist yet) appended as written.
pub fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut missing = Vec::new();
    let mut existing = absolute.as_path();
    loop {
        if let Ok(real) = fs::canonicalize(existing) {
            return missing
                .iter()
                .rev()
                .fold(real, |path, name| path.join(name));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(path: &Path) -> String {
        path.display().to_string()
    }

    #[test]
    fn an_output_directory_holding_a_source_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let logs = dir.path().join("logs");
        fs::create_dir_all(logs.join("sub")).expect("mkdir");
        let inputs = [text(&logs)];
        let err = check_output_dir(&inputs, &logs).expect_err("same directory");
        assert!(
            err.to_string().contains(" is the scanned directory"),
            "{err}"
        );
        let err = check_output_dir(&inputs, dir.path()).expect_err("parent");
        assert!(
            err.to_string().contains(" contains the scanned directory"),
            "{err}"
        );
        let dotted = logs.join("sub/..");
        assert!(
            check_output_dir(&inputs, &dotted).is_err(),
            "the same, spelled otherwise"
        );
        assert!(
            check_output_dir(&inputs, &logs.join("sub")).is_ok(),
            "inside: skipped, reported"
        );
        assert!(check_output_dir(&inputs, &dir.path().join("new")).is_ok());
        let remote = ["s3://b/x".to_string(), "-".to_string()];
        assert!(check_output_dir(&remote, dir.path()).is_ok());
    }
}
