//! Judging denials against a snapshot, end to end on the bundled sample: `explain OUT` equals
//! `scan --policies` row for row, one denial explained names the statement the generator meant
//! (tests/fixtures/sample-verdicts.csv), and reports written before the `eval_` columns (and
//! `transient_success_time`) existed are still read.

use std::path::Path;
use std::process::Command;

use crate::common::{self, skip_without};

fn policies() -> std::path::PathBuf {
    common::sample_logs().join("policies")
}

fn scan(out: &Path, extra: &[&str]) {
    let sample = common::sample_logs();
    let mut args = vec!["scan", common::utf8(&sample), "--out", common::utf8(out), "-q"];
    args.extend_from_slice(&["--format", "json", "--top", "0"]);
    args.extend_from_slice(extra);
    let output = common::whydenied(&args);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
}

#[test]
fn explain_out_judges_an_earlier_scan_exactly_as_scan_with_policies() {
    if skip_without(&[common::venv()]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (judged, later) = (dir.path().join("judged"), dir.path().join("later"));
    let policies = policies();
    scan(&judged, &["--policies", common::utf8(&policies)]);
    scan(&later, &[]);
    let output = common::whydenied(&[
        "explain",
        common::utf8(&later),
        "--policies",
        common::utf8(&policies),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    assert!(common::stderr(&output).starts_with("judged "), "{}", common::stderr(&output));
    let sample = common::sample_logs();
    common::run_checker("check_same_denials.py", &[&judged, &later, &sample, &sample]);
}

#[test]
fn one_denial_explained_names_the_statement_the_generator_meant() {
    let truth = std::fs::read_to_string(common::repo().join("tests/fixtures/sample-verdicts.csv"))
        .expect("the generator's truth");
    // The first explicit deny the generator wrote, by event id.
    let (event_id, statement) = truth
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f.get(1) == Some(&"explicit_deny") && f.get(4).is_some_and(|s| !s.is_empty()))
        .map(|f| (f[0].to_string(), f[4].to_string()))
        .expect("an explicit deny in the truth");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    scan(&out, &[]);
    let policies = policies();
    let output = common::whydenied(&[
        "explain",
        common::utf8(&out),
        "--policies",
        common::utf8(&policies),
        "--event-id",
        &event_id,
    ]);
    let text = common::stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    assert!(text.starts_with("verdict: explicit_deny"), "{text}");
    assert!(text.contains(&statement), "expected statement {statement}:\n{text}");
    // An event id the reports do not hold is named, exit 1.
    let missing = common::whydenied(&["explain", common::utf8(&out), "--event-id", "no-such-id"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(common::stderr(&missing).contains("no-such-id"), "{}", common::stderr(&missing));
}

#[test]
fn reports_written_before_the_eval_columns_are_still_read() {
    if skip_without(&[common::venv()]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    scan(&out, &[]);
    // Rewrite both reports without any eval_ column, as an earlier version wrote them.
    let drop = r#"
import sys, pyarrow.parquet as pq
for name in ("denials.parquet", "summary.parquet"):
    path = sys.argv[1] + "/" + name
    t = pq.read_table(path)
    newer = [c for c in t.column_names if c.startswith("eval_") and c != "eval_context"]
    t = t.drop_columns(newer + [c for c in ["transient_success_time"] if c in t.column_names])
    pq.write_table(t, path, compression="zstd")
"#;
    let status =
        Command::new(common::python()).args(["-c", drop, common::utf8(&out)]).status().unwrap();
    assert!(status.success());
    let report = common::whydenied(&[
        "report",
        common::utf8(&out),
        "--format",
        "json",
        "--new-since",
        "2026-11-04",
    ]);
    assert_eq!(report.status.code(), Some(0), "{}", common::stderr(&report));
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).expect("json");
    assert_eq!(json["summary"][0]["eval_verdict"], serde_json::Value::Null);
    // And such reports can be judged afterwards.
    let policies = policies();
    let judged =
        common::whydenied(&["explain", common::utf8(&out), "--policies", common::utf8(&policies)]);
    assert_eq!(judged.status.code(), Some(0), "{}", common::stderr(&judged));
    let report = common::whydenied(&["report", common::utf8(&out), "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).expect("json");
    let judged_groups = json["summary"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| !row["eval_verdict"].is_null())
        .count();
    assert!(judged_groups > 0, "no group judged after explain OUT");
}

#[test]
fn the_html_drill_down_shows_each_judged_denials_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let (judged, plain) = (dir.path().join("judged.html"), dir.path().join("plain.html"));
    let policies = policies();
    scan(
        &dir.path().join("a"),
        &["--policies", common::utf8(&policies), "--html", common::utf8(&judged)],
    );
    scan(&dir.path().join("b"), &["--html", common::utf8(&plain)]);
    let judged = std::fs::read_to_string(judged).unwrap();
    let cells: Vec<&str> = judged
        .split("data-label=\"Verdict\">")
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap_or_default())
        .collect();
    assert!(!cells.is_empty(), "no verdict in the drill-downs");
    let verdicts =
        ["explicit_deny", "implicit_deny", "conditional", "allowed_now", "not_evaluated"];
    for cell in &cells {
        assert!(verdicts.iter().any(|v| cell.starts_with(v)), "not a verdict: {cell}");
    }
    let plain = std::fs::read_to_string(plain).unwrap();
    assert!(!plain.contains("data-label=\"Verdict\""));
    // The timeline: by verdict when judged (legend, segments and rows carry the verdict facet
    // the page's script filters by), by the message's policy type otherwise.
    assert!(judged.contains("by verdict"), "no verdict timeline");
    for verdict in verdicts {
        assert!(
            judged.contains(&format!("data-facet=\"verdict\" data-value=\"{verdict}\"")),
            "no legend entry for {verdict}"
        );
    }
    assert!(judged.contains("data-facet=\"verdict\" data-series="));
    assert!(!judged.contains("data-facet=\"denied_by\" data-series="));
    assert!(judged.contains("data-verdicts=\"explicit_deny"));
    assert!(plain.contains("data-facet=\"denied_by\" data-series="));
    assert!(!plain.contains("data-facet=\"verdict\""));
}
