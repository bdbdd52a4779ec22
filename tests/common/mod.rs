//! Helpers shared by the integration tests: running the binary and the Python checkers.

#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample_logs() -> PathBuf {
    repo().join("sample-logs")
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
