//! Nightly runs as people set them up by hand: the same directory typed three ways is one
//! source, a state belongs to one `--out`, one output directory holds one layout of reports,
//! and suppression rules can be applied again to reports already written.

use std::fs;
use std::path::Path;

use crate::common::{json_of, sample_logs, scan_json, stderr, utf8, whydenied};
use crate::{SAMPLE_DENIALS, summary_total};

/// `sample-logs` copied to `<dir>/logs`, so that runs can name it relative to `dir`.
fn logs_in(dir: &Path) {
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(sample_logs())
        .arg(dir.join("logs"))
        .status()
        .expect("cp runs");
    assert!(status.success());
}

/// `whydenied ARGS…` run in `dir`: exit code and stderr.
fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs");
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code(), out, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn the_state_names_a_directory_however_it_is_typed() {
    let work = tempfile::tempdir().expect("temp dir");
    logs_in(work.path());
    let mut kept = Vec::new();
    let absolute = format!("{}/logs", work.path().display());
    for typed in ["logs", "logs/", "./logs", absolute.as_str()] {
        let args = ["scan", typed, "--state", "state.json", "--out", "out", "--format", "json"];
        let (code, out, err) = run_in(work.path(), &args);
        assert_eq!(code, Some(0), "{typed}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        kept.push(json["scanned"]["kept"].as_u64().expect("kept"));
    }
    assert_eq!(kept, [SAMPLE_DENIALS, 0, 0, 0], "read once, then nothing new");
    // From another directory, with the reports it wrote: still the same source.
    let elsewhere = work.path().join("elsewhere");
    fs::create_dir(&elsewhere).expect("mkdir");
    let args = ["scan", "../logs", "--state", "../state.json", "--out", "../out", "-q"];
    let (code, _, err) = run_in(&elsewhere, &args);
    assert_eq!(code, Some(0), "{err}");
    let (code, report, err) = run_in(work.path(), &["report", "out", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let json: serde_json::Value = serde_json::from_str(&report).expect("JSON");
    assert_eq!(summary_total(&json), SAMPLE_DENIALS, "every denial once");
}

#[test]
fn a_state_is_refused_with_another_out_and_layouts_are_never_mixed() {
    let work = tempfile::tempdir().expect("temp dir");
    let logs = utf8(&sample_logs()).to_string();
    let state = work.path().join("state.json");
    let (out, other) = (work.path().join("out"), work.path().join("other"));
    let with_state = ["--state", utf8(&state)];
    let (code, _, err) = scan_json(&logs, &out, &with_state);
    assert_eq!(code, Some(0), "{err}");
    // The same state into another directory would find nothing new and report nothing.
    let (code, _, err) = scan_json(&logs, &other, &with_state);
    assert_eq!(code, Some(1));
    assert!(
        err.contains(&format!(
            "belongs to --out {}",
            fs::canonicalize(&out).expect("out").display()
        )),
        "{err}"
    );
    assert!(err.contains("Use --out"), "{err}");

    // A plain scan into the nightly directory would have every denial counted twice.
    let (code, _, err) = scan_json(&logs, &out, &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("already holds partitioned"), "{err}");
    assert!(err.contains("count the same denials twice"), "{err}");
    // And the other way round.
    let plain = work.path().join("plain");
    let (code, _, _) = scan_json(&logs, &plain, &[]);
    assert_eq!(code, Some(0));
    let state2 = work.path().join("state2.json");
    let (code, _, err) = scan_json(&logs, &plain, &["--state", utf8(&state2)]);
    assert_eq!(code, Some(1));
    assert!(err.contains("already holds single-report"), "{err}");
    let (code, json, err) = json_of(&["report", utf8(&out), "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(summary_total(&json), SAMPLE_DENIALS, "nothing was added twice");
}

#[test]
fn a_state_that_filtered_accounts_refuses_a_run_that_keeps_more() {
    let work = tempfile::tempdir().expect("temp dir");
    let logs = utf8(&sample_logs()).to_string();
    let state = work.path().join("state.json");
    let out = work.path().join("out");
    let account = ["--state", utf8(&state), "--account", "111122223333"];
    let (code, _, err) = scan_json(&logs, &out, &account);
    assert_eq!(code, Some(0), "{err}");
    // The other accounts' records in the files now marked scanned were left out.
    let (code, _, err) = scan_json(&logs, &out, &["--state", utf8(&state)]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no --account keeps more than --account 111122223333"), "{err}");
    let (code, _, err) = scan_json(&logs, &out, &account);
    assert_eq!(code, Some(0), "the same filter again: {err}");
}

#[test]
fn report_applies_suppression_rules_again_and_names_rules_that_matched_nothing() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let (code, scanned, err) = scan_json(utf8(&sample_logs()), &out, &[]);
    assert_eq!(code, Some(0), "{err}");
    // The denials of one principal, counted from the scan's summary rows.
    let principal = scanned["summary"][0]["principal"].as_str().expect("principal").to_string();
    let of_principal: u64 = (scanned["summary"].as_array().expect("rows").iter())
        .filter(|row| row["principal"] == principal.as_str())
        .map(|row| row["count"].as_u64().unwrap_or(0))
        .sum();
    let rules = work.path().join("rules.toml");
    fs::write(
        &rules,
        format!(
            "[[rule]]\nname = \"known\"\nreason = \"accepted\"\nprincipal = {principal:?}\n\n\
             [[rule]]\nname = \"typo\"\nreason = \"misspelt\"\nprincipal = \"arn:aws:iam::*:role/bakcup\"\n"
        ),
    )
    .expect("write");
    let output = whydenied(&["report", utf8(&out), "--suppress", utf8(&rules), "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(summary_total(&json), SAMPLE_DENIALS - of_principal);
    assert_eq!(json["scanned"]["suppressed"], of_principal);
    let err = stderr(&output);
    assert!(err.contains("--suppress rule \"typo\" matched no denial"), "{err}");
    assert!(!err.contains("\"known\" matched no"), "{err}");
    // Without --suppress the scan's own (no) rules decide again.
    let (_, json, _) = json_of(&["report", utf8(&out), "--format", "json"]);
    assert_eq!(summary_total(&json), SAMPLE_DENIALS);
    // The scan names an unused rule too, in the footer and in JSON.
    let (code, json, err) =
        scan_json(utf8(&sample_logs()), &work.path().join("again"), &["--suppress", utf8(&rules)]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["scanned"]["unused_suppress_rules"], serde_json::json!(["typo"]));
}
