//! The inputs people already have and the filters they reach for: `--account` and `--region`
//! keep only the records of those accounts and regions whatever the source (not only a pruned
//! S3 listing), and the output of `aws cloudtrail lookup-events` and `aws logs
//! filter-log-events`/`get-log-events` reads as the events it holds.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{
    failures_kept, json_outcome, relative_files, repo, require, sample_failures_by_account_region,
    sample_logs, scan_json, utf8, venv,
};
use crate::{SAMPLE_DENIALS, summary_total};

/// The filters of one case, and how many failures they keep by the reference's count.
fn cases(counts: &[(String, String, u64)]) -> Vec<(Vec<&'static str>, u64)> {
    let keep = |accounts: &[&str], regions: &[&str]| failures_kept(counts, accounts, regions);
    vec![
        (vec!["--account", "444455556666"], keep(&["444455556666"], &[])),
        (vec!["--region", "eu-west-1"], keep(&[], &["eu-west-1"])),
        (
            vec!["--account", "111122223333", "--account", "777788889999", "--region", "us-east-1"],
            keep(&["111122223333", "777788889999"], &["us-east-1"]),
        ),
        (vec!["--account", "999999999999"], 0),
    ]
}

fn check(label: &str, json: &Value, expected: u64) {
    let scanned = &json["scanned"];
    assert_eq!(scanned["kept"], expected, "{label}: {scanned}");
    assert_eq!(summary_total(json), expected, "{label}");
    assert_eq!(scanned["other_account_region"], SAMPLE_DENIALS - expected, "{label}: {scanned}");
}

#[test]
fn account_and_region_filter_records_of_directories_and_stdin() {
    require!(venv());
    let counts = sample_failures_by_account_region();
    assert_eq!(failures_kept(&counts, &[], &[]), SAMPLE_DENIALS);
    let work = tempfile::tempdir().expect("temp dir");
    // Every sample file, one after another, as one stream on stdin.
    let mut stream = Vec::new();
    for rel in relative_files(&sample_logs()) {
        stream.extend(std::fs::read(sample_logs().join(rel)).expect("read"));
    }
    for (i, (filters, expected)) in cases(&counts).into_iter().enumerate() {
        assert!(expected < SAMPLE_DENIALS);
        let out = work.path().join(format!("dir-{i}"));
        let (code, json, err) = scan_json(utf8(&sample_logs()), &out, &filters);
        assert_eq!(code, Some(0), "{err}");
        check(&format!("directory {filters:?}"), &json, expected);

        let out = work.path().join(format!("stdin-{i}"));
        let mut args = vec!["scan", "-", "--out", utf8(&out), "--format", "json"];
        args.extend(&filters);
        let mut child = Command::new(env!("CARGO_BIN_EXE_whydenied"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        child.stdin.take().expect("stdin").write_all(&stream).expect("write stdin");
        let (code, json, err) = json_outcome(&child.wait_with_output().expect("finishes"));
        assert_eq!(code, Some(0), "{err}");
        check(&format!("stdin {filters:?}"), &json, expected);
    }
}

fn fixture(name: &str) -> std::path::PathBuf {
    repo().join("tests/fixtures/aws-cli").join(name)
}

/// The events of an AWS CLI output file, read here with serde_json (every document of the
/// file, each list element's text parsed) and written one per line: what the tool must read.
fn embedded_events(path: &Path, list: &str, field: &str) -> String {
    let text = std::fs::read_to_string(path).expect("fixture");
    let mut lines = String::new();
    for document in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
        let document = document.expect("a JSON document");
        for element in document[list].as_array().expect("the list") {
            let event: Value =
                serde_json::from_str(element[field].as_str().expect("text")).expect("event JSON");
            lines.push_str(&format!("{event}\n"));
        }
    }
    lines
}

#[test]
fn aws_cli_outputs_read_as_the_events_they_hold() {
    let work = tempfile::tempdir().expect("temp dir");
    // (fixture, its list, the element's text, failures in it counted by hand from the file)
    for (name, list, field, failures) in [
        ("lookup_events_two_pages.json", "Events", "CloudTrailEvent", 3),
        ("filter_log_events.json", "events", "message", 3),
        ("get_log_events.json", "events", "message", 1),
    ] {
        let path = fixture(name);
        let plain = work.path().join(format!("{name}.ndjson"));
        std::fs::write(&plain, embedded_events(&path, list, field)).expect("write");
        let (code, cli, err) = scan_json(utf8(&path), &work.path().join(name), &[]);
        assert_eq!(code, Some(0), "{name}: {err}");
        assert_eq!(cli["scanned"]["kept"], failures, "{name}");
        let (code, reference, _) = scan_json(utf8(&plain), &work.path().join("plain"), &[]);
        assert_eq!(code, Some(0));
        assert_eq!(cli["summary"], reference["summary"], "{name}");
        assert_eq!(cli["scanned"]["records"], reference["scanned"]["records"], "{name}");
    }
    // The filters hold here too: the second page's kms:Decrypt is the one failure of
    // 444455556666, and eu-west-1 has two.
    let lookup = fixture("lookup_events_two_pages.json");
    let (_, json, _) =
        scan_json(utf8(&lookup), &work.path().join("b"), &["--account", "444455556666"]);
    assert_eq!(json["scanned"]["kept"], 1);
    assert_eq!(json["summary"][0]["action"], "kms:Decrypt");
    let (_, json, _) =
        scan_json(utf8(&lookup), &work.path().join("eu"), &["--region", "eu-west-1"]);
    assert_eq!(json["scanned"]["kept"], 2);
}

#[test]
fn log_messages_that_are_not_events_are_counted_and_the_rest_read() {
    let work = tempfile::tempdir().expect("temp dir");
    let mut output: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("get_log_events.json")).expect("fixture"),
    )
    .expect("JSON");
    let events = output["events"].as_array_mut().expect("events");
    events.push(
        serde_json::json!({"timestamp": 1, "message": "START RequestId: 42", "ingestionTime": 2}),
    );
    events.push(serde_json::json!({"timestamp": 3, "ingestionTime": 4}));
    let path = work.path().join("mixed.json");
    std::fs::write(&path, output.to_string()).expect("write");
    let (code, json, err) = scan_json(utf8(&path), &work.path().join("out"), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(json["scanned"]["kept"], 1);
    let problems: Vec<&str> = (json["scanned"]["problems"].as_array().expect("problems").iter())
        .filter_map(|p| p["what"].as_str())
        .collect();
    assert_eq!(
        problems,
        [
            "1 × element of log \"events\" without a \"message\" string",
            "1 × log event \"message\" is not a JSON object"
        ]
    );
}
