//! The binary over the bundled sample-logs/, checked against an independent computation
//! (tests/reference/check_scan.py: plain Python over the raw logs, pyarrow and DuckDB over the
//! reports; tests/reference/check_links.py: the policy changes and each group's link to one,
//! recomputed from the raw logs by the rules of src/changes/link.rs) and the SQL in queries/ run
//! by DuckDB.

use crate::common::{self, require, run_checker, sample_logs, stdout, venv, whydenied};
use crate::{SAMPLE_DENIALS, scan_sample};

#[test]
fn scan_agrees_with_the_independent_reference() {
    require!(venv());
    let (out, logs) = (tempfile::tempdir().expect("temp dir"), sample_logs());
    let output = scan_sample(out.path(), &["--format", "json"]);
    std::fs::write(out.path().join("stdout.json"), stdout(&output)).expect("write");
    let report = run_checker("check_scan.py", &[&logs, out.path()]);
    println!("{report}");
    assert!(
        report.contains(&format!(" {SAMPLE_DENIALS} denials, ")),
        "the checker counts SAMPLE_DENIALS denials in the raw logs: {report}"
    );
}

/// Each summary group's `change_…` columns, `changed_after` and `self_change_event_id`, and the
/// successful rows of policy_changes.parquet, as an independent reading of the raw logs finds
/// them; including the two stories sample-logs/ tells (a replaced bucket policy, a self-grant).
#[test]
fn change_links_agree_with_the_independent_checker() {
    require!(venv());
    let (out, logs) = (tempfile::tempdir().expect("temp dir"), sample_logs());
    scan_sample(out.path(), &["-q"]);
    let report = run_checker("check_links.py", &[&logs, out.path()]);
    println!("{report}");
    assert!(report.contains(", 2 stories agree"), "both sample-logs stories are checked: {report}");
}

/// A fresh scan of sample-logs/ into `<work>/whydenied-out/`, where the queries expect it.
fn scan_into_work_dir() -> tempfile::TempDir {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("whydenied-out");
    let logs = sample_logs();
    let output = whydenied(&[
        "scan",
        logs.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    work
}

/// Every queries/*.sql runs in DuckDB over the single-run and the partitioned layout and agrees
/// with Python over denials.parquet and with the tool's own summary.parquet.
#[test]
fn every_duckdb_query_agrees_with_python_and_the_summary_in_both_layouts() {
    require!(venv());
    let work = scan_into_work_dir();
    let report = run_checker("check_queries.py", &[&common::repo().join("queries"), work.path()]);
    println!("{report}");
}

/// queries/athena/ and queries/spark/ parse with sqlglot, the Athena DDL matches denials.parquet,
/// and every Athena/Spark query, translated to DuckDB, gives its DuckDB twin's result.
#[test]
fn athena_and_spark_queries_parse_and_agree_with_duckdb() {
    require!(venv());
    let work = scan_into_work_dir();
    let report = run_checker("check_dialects.py", &[&common::repo().join("queries"), work.path()]);
    println!("{report}");
}
