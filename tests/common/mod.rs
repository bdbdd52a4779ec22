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

/// The moto server that `scripts/test` starts (`WHYDENIED_AWS_ENDPOINT`).
pub fn aws_endpoint() -> String {
    std::env::var("WHYDENIED_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!("WHYDENIED_AWS_ENDPOINT is not set: run the tests with scripts/test, which starts a local moto server")
    })
}

/// `whydenied` with fake credentials for the emulator, isolated from the user's AWS setup.
pub fn whydenied_aws(args: &[&str]) -> Output {
    whydenied_aws_at(&aws_endpoint(), args)
        .output()
        .expect("the binary runs")
}

/// The `whydenied` command for the emulator at `endpoint`, as [`whydenied_aws`] runs it.
pub fn whydenied_aws_at(endpoint: &str, args: &[&str]) -> Command {
    let empty = repo().join("target/empty-aws-config");
    std::fs::write(&empty, "").expect("write an empty AWS config");
    let mut command = Command::new(env!("CARGO_BIN_EXE_whydenied"));
    command
        .args(args)
        .args(["--endpoint-url", endpoint])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
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

/// Runs `whydenied` (with the emulator's environment when `aws`) and returns its exit code, its
/// stdout parsed as JSON (`Null` when it is not), and its stderr, which must hold no panic.
pub fn json_of(aws: bool, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let output = if aws {
        whydenied_aws(args)
    } else {
        whydenied(args)
    };
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    let json = serde_json::from_str(&stdout(&output)).unwrap_or(serde_json::Value::Null);
    (output.status.code(), json, err)
}

/// Denials in sample-logs/ as tests/reference/check_scan.py counts them from the raw logs with
/// plain Python; `sample_logs::scan_agrees_with_the_independent_reference` checks this number
/// against the checker's count, so other tests may use it.
pub const SAMPLE_DENIALS: u64 = 558;

/// Files in sample-logs/ (trail objects, digests, Insights): the objects a scan of it opens.
pub fn sample_objects() -> u64 {
    relative_files(&sample_logs()).len() as u64
}

/// Denials counted by the rows of a `--format json` summary.
pub fn summary_total(json: &serde_json::Value) -> u64 {
    (json["summary"].as_array().expect("summary rows").iter())
        .map(|row| row["count"].as_u64().unwrap_or(0))
        .sum()
}

/// Runs `whydenied` and asserts that it fails with exit 1 and a message containing `phrase`.
pub fn fails_with(args: &[&str], phrase: &str) {
    let output = whydenied(args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains(phrase), "{}", stderr(&output));
}

/// `scan SOURCE --out OUT --format json EXTRA…`, see [`json_of`].
pub fn scan_json(
    aws: bool,
    source: &str,
    out: &Path,
    extra: &[&str],
) -> (Option<i32>, serde_json::Value, String) {
    let mut args = vec![
        "scan",
        source,
        "--out",
        out.to_str().expect("utf-8 path"),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    json_of(aws, &args)
}
