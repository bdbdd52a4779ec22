//! The binary and the library on this machine alone: local files and stdin, the reports they
//! make, and the documentation that must stay true. Tests that need a service (the Python
//! checkers, Chromium, root) skip without it unless `WHYDENIED_REQUIRE_ALL=1`; see
//! `common::skip_without`.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod cron;
mod differential;
mod docs;
mod exit_codes;
mod explain;
mod filters;
mod hostile;
mod html_report;
mod iam_prefixes;
mod incremental;
mod inputs;
mod judging;
mod messages;
mod nightly;
mod nothing_lost;
mod sample_logs;
mod security_lake;
mod signals;
mod snapshot_input;
mod terminal;
mod transient;
mod verdicts;

/// Denials in sample-logs/ as tests/reference/check_scan.py counts them from the raw logs with
/// plain Python; `sample_logs::scan_agrees_with_the_independent_reference` checks this number
/// against the checker's count, so other tests may use it.
pub const SAMPLE_DENIALS: u64 = 630;

/// Files in sample-logs/ (trail objects, digests, Insights): the objects a scan of it opens.
pub fn sample_objects() -> u64 {
    common::relative_files(&common::sample_logs()).len() as u64
}

/// Denials counted by the rows of a `--format json` summary.
pub fn summary_total(json: &serde_json::Value) -> u64 {
    (json["summary"].as_array().expect("summary rows").iter())
        .map(|row| row["count"].as_u64().unwrap_or(0))
        .sum()
}

/// `scan sample-logs/ --out OUT EXTRA…`; the run must succeed.
pub fn scan_sample(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let logs = common::sample_logs();
    let mut args = vec![
        "scan",
        logs.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let output = common::whydenied(&args);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    output
}
