//! Helpers shared by the integration test binaries (`tests/local/`, `tests/aws/`): running the
//! binary and the Python checkers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample_logs() -> PathBuf {
    repo().join("sample-logs")
}

/// The Python with pyarrow and DuckDB that `scripts/test` provisions (or `WHYDENIED_PYTHON`).
pub fn python() -> PathBuf {
    let python = std::env::var_os("WHYDENIED_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "{} not found: run the tests with scripts/test (it creates .venv with pyarrow and duckdb), \
         or set WHYDENIED_PYTHON to a Python that has them",
        python.display()
    );
    python
}

/// Runs `whydenied` with `args`.
pub fn whydenied(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args(args)
        .output()
        .expect("the binary runs")
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

/// Files under `dir`, sorted, as paths relative to it.
pub fn relative_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
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

/// Runs `whydenied` with `args`, see [`json_outcome`].
pub fn json_of(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    json_outcome(&whydenied(args))
}

/// `scan SOURCE --out OUT --format json EXTRA…`
pub fn scan_args<'a>(source: &'a str, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "scan",
        source,
        "--out",
        out.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ];
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
