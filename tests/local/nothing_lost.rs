//! Setups the README invites that used to lose or double-count denials with exit 0: two state
//! files sharing one output directory, a later run widening what an earlier run kept, and two
//! runs overlapping on one output.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use crate::common::{json_of, scan_json, utf8};
use crate::summary_total;
use serde_json::{Value, json};

/// A trail object of `n` denials of `user` on 2026-11-0`day`.
fn trail(dir: &Path, name: &str, user: &str, day: u32, n: usize) {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "eventTime": format!("2026-11-0{day}T10:{:02}:00Z", i % 60),
                "eventID": format!("{user}-{day}-{i}"),
                "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
                "errorCode": "AccessDenied", "errorMessage": "Access Denied",
                "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{user}")},
                "requestParameters": {"bucketName": "b"},
            })
        })
        .collect();
    fs::create_dir_all(dir).expect("mkdir");
    fs::write(dir.join(name), serde_json::to_vec(&json!({"Records": records})).expect("json"))
        .expect("write");
}

fn scan(source: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, Value, String) {
    scan_json(utf8(source), out, extra)
}

fn report_total(out: &Path) -> u64 {
    let (code, json, err) = json_of(&["report", utf8(out), "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    summary_total(&json)
}

#[test]
fn two_state_files_sharing_one_output_keep_each_others_reports() {
    let work = tempfile::tempdir().expect("temp dir");
    let (a, b, out) = (work.path().join("a"), work.path().join("b"), work.path().join("out"));
    trail(&a, "a1.json", "alice", 2, 5);
    trail(&b, "b1.json", "bob", 2, 7);
    let state_a = work.path().join("a.state");
    let state_b = work.path().join("b.state");
    for (source, state) in [(&a, &state_a), (&b, &state_b), (&a, &state_a), (&b, &state_b)] {
        let (code, _, err) = scan(source, &out, &["--state", utf8(state)]);
        assert_eq!(code, Some(0), "{err}");
        assert!(!err.contains("removed"), "nothing of the other trail is an orphan: {err}");
    }
    assert_eq!(report_total(&out), 5 + 7, "both trails' denials, once each");
    // New data on each side is added, still once.
    trail(&a, "a2.json", "alice", 3, 2);
    let (code, json, err) = scan(&a, &out, &["--state", utf8(&state_a)]);
    assert_eq!((code, summary_total(&json)), (Some(0), 2), "{err}");
    assert_eq!(report_total(&out), 5 + 7 + 2);
}

#[test]
fn a_run_that_widens_what_its_state_kept_is_refused() {
    let work = tempfile::tempdir().expect("temp dir");
    let (logs, out) = (work.path().join("logs"), work.path().join("out"));
    trail(&logs, "day2.json", "alice", 2, 4);
    trail(&logs, "day3.json", "alice", 3, 3);
    let state = work.path().join("state.json");
    let state = utf8(&state);
    let (code, json, err) = scan(&logs, &out, &["--state", state, "--since", "2026-11-03"]);
    assert_eq!((code, summary_total(&json)), (Some(0), 3), "{err}");
    // Day 2's object was read and marked scanned, its denials left out by the window: a wider
    // run would never read them, so it is refused instead of reporting 0 new denials.
    for wider in [&["--since", "2026-11-01"][..], &[], &["--since", "2026-11-03", "--all-errors"]] {
        let mut args = vec!["--state", state];
        args.extend_from_slice(wider);
        let (code, _, err) = scan(&logs, &out, &args);
        assert_eq!(code, Some(1), "{wider:?}: {err}");
        assert!(err.contains("Use a new state file"), "{err}");
    }
    let (code, _, err) = scan(&logs, &out, &["--state", state, "--since", "2026-11-04"]);
    assert_eq!(code, Some(0), "a narrower window is fine: {err}");
    assert_eq!(report_total(&out), 3);
}

#[test]
fn a_second_run_on_the_same_output_is_refused_while_the_first_runs() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let mut first = Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args(["scan", "-", "--out", utf8(&out), "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = first.stdin.take().expect("stdin");
    let line = br#"{"eventID":"x","eventTime":"2026-11-02T10:00:00Z","errorCode":"AccessDenied"}"#;
    stdin.write_all(line).and_then(|()| stdin.write_all(b"\n")).expect("write");
    stdin.flush().expect("flush");
    // The first run holds the output while it waits for more input.
    let logs = work.path().join("logs");
    trail(&logs, "t.json", "bob", 2, 1);
    let mut second = None;
    for _ in 0..50 {
        sleep(Duration::from_millis(100));
        let (code, _, err) = scan(&logs, &out, &[]);
        if code == Some(1) {
            second = Some(err);
            break;
        }
    }
    let err = second.expect("the second run is refused while the first holds the output");
    assert!(err.contains("another whydenied run is using"), "{err}");
    drop(stdin);
    let output = first.wait_with_output().expect("the first run ends");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(summary_total(&json), 1);
}

#[test]
fn a_run_whose_outputs_fail_is_not_recorded_in_its_state() {
    let work = tempfile::tempdir().expect("temp dir");
    let (logs, out) = (work.path().join("logs"), work.path().join("out"));
    trail(&logs, "t.json", "alice", 2, 6);
    let state = work.path().join("state.json");
    let args = |extra: &[&str]| {
        let mut args = vec!["scan", utf8(&logs), "--out", utf8(&out), "--state", utf8(&state)];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    // An --html path that cannot be written fails before anything is scanned.
    let missing_dir = work.path().join("no/such/dir/report.html");
    let (code, _, err) = json_of(
        &args(&["--html", utf8(&missing_dir)]).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(!state.exists() && !out.exists(), "nothing scanned, nothing recorded");
    // stdout failing after the reports were committed (a full disk under `> file`): exit 1, and
    // the state is not advanced, so the next run reads the logs again and counts them once.
    let full = fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let output = Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args(args(&["--format", "json"]))
        .stdout(full)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let recorded: Value = serde_json::from_slice(&fs::read(&state).expect("state")).expect("json");
    assert_eq!(recorded["runs"], json!([]), "the failed run is not recorded");
    let (code, json, err) =
        json_of(&args(&["--format", "json"]).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!((code, summary_total(&json)), (Some(0), 6), "{err}");
    assert!(err.contains("removed"), "the failed run's reports are orphans: {err}");
    assert_eq!(report_total(&out), 6, "once, not twice");
}

#[test]
fn a_retried_partitioned_or_sharded_run_without_state_replaces_its_first_attempt() {
    let work = tempfile::tempdir().expect("temp dir");
    let (logs, out) = (work.path().join("logs"), work.path().join("out"));
    for (i, user) in ["alice", "bob", "carol", "dave"].iter().enumerate() {
        trail(&logs, &format!("{user}.json"), user, 2 + (i as u32 % 2), 3 + i);
    }
    let all = 3 + 4 + 5 + 6;
    // A batch system retries a child that failed after committing: the same command again.
    for attempt in 0..2 {
        let (code, _, err) = scan(&logs, &out, &["--partitioned", "--since", "2026-11-01"]);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(err.contains("replaced"), attempt == 1, "{err}");
        assert_eq!(report_total(&out), all, "attempt {attempt}: once, not twice");
    }
    let sharded = work.path().join("sharded");
    for shard in ["1/2", "2/2", "1/2"] {
        let (code, _, err) = scan(&logs, &sharded, &["--shard", shard]);
        assert_eq!(code, Some(0), "{err}");
    }
    assert_eq!(report_total(&sharded), all, "shard 1 retried, still once");
    // Another selection is another run: both stay.
    let (code, _, err) = scan(&logs, &out, &["--partitioned", "--since", "2026-11-03"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("replaced"), "{err}");
    assert_eq!(report_total(&out), all + 4 + 6);
}

#[test]
fn a_state_kept_inside_the_output_directory_is_not_a_stray_file() {
    let work = tempfile::tempdir().expect("temp dir");
    let (logs, out) = (work.path().join("logs"), work.path().join("out"));
    trail(&logs, "t.json", "alice", 2, 2);
    let state = out.join("state.json");
    for _ in 0..2 {
        let (code, _, err) = scan(&logs, &out, &["--state", utf8(&state)]);
        assert_eq!(code, Some(0), "the state and its lock are the run's own files: {err}");
    }
}
