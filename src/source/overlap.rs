//! The paths a run writes, checked against the paths it reads, before anything is read or
//! written.
//!
//! The walk of a scanned directory skips the output directory (a scan must not read its own
//! reports), so an output directory that is, or contains, a scanned directory would leave it
//! unread; and an HTML report written over an input log, a report file or the state file would
//! destroy it. Both are refused with a one-line error naming the paths. Paths are compared as
//! the file system resolves them (symbolic links and `..` included), and a file that already
//! exists also by identity (device and inode), so another name for the same file is caught.

use std::fs;
use std::os::unix::fs::MetadataExt;
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
    #[error("--html {html} {what}: writing the report would overwrite it; choose another path")]
    HtmlOverwrites { html: String, what: String },
    #[error("cannot write {html}: {source}")]
    HtmlUnwritable { html: String, source: std::io::Error },
}

/// Local inputs: not stdin, not a remote URL.
fn local_inputs(inputs: &[String]) -> impl Iterator<Item = &String> {
    inputs.iter().filter(|i| *i != "-" && !super::is_remote(i))
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

/// The files a run writes besides the HTML report, and the sources it reads.
pub struct RunPaths<'a> {
    pub inputs: &'a [String],
    /// The report directory (written by `scan`, read by `report`).
    pub out_dir: &'a Path,
    pub state: Option<&'a Path>,
}

/// Refuses an HTML report path that is one of the inputs, lies inside a scanned directory
/// (other than inside the output directory, which is never scanned), is a report file of the
/// output directory or is the state file, or where no file can be created: checked before the
/// run, so that a typo fails in a second, not after an hour of scanning.
pub fn check_html(run: &RunPaths<'_>, html: &Path) -> Result<(), OverlapError> {
    let refuse =
        |what: String| Err(OverlapError::HtmlOverwrites { html: html.display().to_string(), what });
    let target = resolved(html);
    let out = resolved(run.out_dir);
    let is_report = target == out
        || ["denials.parquet", "summary.parquet"].iter().any(|name| target == out.join(name))
        || ["denials", "summary"].iter().any(|dir| target.starts_with(out.join(dir)));
    if is_report {
        return refuse(format!("is a report file in {}", run.out_dir.display()));
    }
    if let Some(state) = run.state
        && same_file(html, &target, state)
    {
        return refuse(format!("is the --state file {}", state.display()));
    }
    for input in local_inputs(run.inputs) {
        let path = Path::new(input);
        if path.is_dir() {
            if target.starts_with(resolved(path)) && !target.starts_with(&out) {
                return refuse(format!(
                    "lies inside the scanned directory {input} (it would also be read as a log by the next scan)"
                ));
            }
        } else if same_file(html, &target, path) {
            return refuse(format!("is the input {input}"));
        }
    }
    writable(html, run.out_dir)
        .map_err(|source| OverlapError::HtmlUnwritable { html: html.display().to_string(), source })
}

/// Whether a file can be created at `path`, by creating (and removing) one beside it. A page
/// inside the output directory is fine before the scan creates that directory: then its
/// nearest existing ancestor must be writable.
fn writable(path: &Path, out_dir: &Path) -> std::io::Result<()> {
    let mut dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if dir == out_dir {
        dir = dir
            .ancestors()
            .find(|d| d.exists())
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
    }
    tempfile::Builder::new().prefix(".whydenied-check").tempfile_in(dir).map(drop)
}

/// Whether `path` (resolved: `resolved`) and `other` name the same file.
fn same_file(path: &Path, resolved_path: &Path, other: &Path) -> bool {
    if *resolved_path == resolved(other) {
        return true;
    }
    match (fs::metadata(path), fs::metadata(other)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => false,
    }
}

/// `path` as the file system resolves it: absolute, with symbolic links and `..` resolved as
/// far as it exists, and the rest (what does not exist yet) appended as written.
pub fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut missing = Vec::new();
    let mut existing = absolute.as_path();
    loop {
        if let Ok(real) = fs::canonicalize(existing) {
            return missing.iter().rev().fold(real, |path, name| path.join(name));
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
        assert!(err.to_string().contains(" is the scanned directory"), "{err}");
        let err = check_output_dir(&inputs, dir.path()).expect_err("parent");
        assert!(err.to_string().contains(" contains the scanned directory"), "{err}");
        let dotted = logs.join("sub/..");
        assert!(check_output_dir(&inputs, &dotted).is_err(), "the same, spelled otherwise");
        assert!(check_output_dir(&inputs, &logs.join("sub")).is_ok(), "inside: skipped, reported");
        assert!(check_output_dir(&inputs, &dir.path().join("new")).is_ok());
        let remote = ["s3://b/x".to_string(), "-".to_string()];
        assert!(check_output_dir(&remote, dir.path()).is_ok());
    }

    #[test]
    fn an_html_report_never_overwrites_what_the_run_reads_or_writes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let logs = d.join("logs");
        let out = logs.join("out");
        fs::create_dir_all(&out).expect("mkdir");
        let log = d.join("one.json");
        fs::write(&log, "{}").expect("write");
        std::os::unix::fs::symlink(&log, d.join("link.json")).expect("symlink");
        fs::hard_link(&log, d.join("hard.json")).expect("hard link");
        let inputs = [text(&logs), text(&log)];
        let state = d.join("state.json");
        let run = RunPaths { inputs: &inputs, out_dir: &out, state: Some(&state) };
        for (html, phrase) in [
            (log.clone(), "is the input"),
            (d.join("link.json"), "is the input"),
            (d.join("hard.json"), "is the input"),
            (logs.join("report.html"), "lies inside the scanned directory"),
            (out.join("denials.parquet"), "is a report file"),
            (out.join("summary/summary-1.parquet"), "is a report file"),
            (state.clone(), "is the --state file"),
        ] {
            let err = check_html(&run, &html).expect_err(&text(&html));
            assert!(err.to_string().contains(phrase), "{err}");
            assert!(err.to_string().starts_with(&format!("--html {}", text(&html))));
        }
        for html in [d.join("report.html"), out.join("report.html")] {
            assert!(check_html(&run, &html).is_ok(), "{}", text(&html));
        }
    }
}
