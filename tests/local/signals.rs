//! SIGINT and SIGTERM mid-run: the scan stops, exits 128 + signal, and leaves no report and no
//! partial file behind.

use std::io::Write;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use crate::common;

fn interrupted_by(signal: &str) -> (Option<i32>, Vec<String>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args(["scan", "-", "--out", out.to_str().expect("utf-8")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let line = br#"{"eventVersion":"1.11","eventID":"x","errorCode":"AccessDenied","eventName":"GetObject"}"#;
    for _ in 0..1000 {
        stdin.write_all(line).and_then(|()| stdin.write_all(b"\n")).expect("write");
    }
    stdin.flush().expect("flush");
    sleep(Duration::from_millis(300)); // the scan is running and waiting for more input
    let status =
        Command::new("kill").args([signal, &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    sleep(Duration::from_millis(100));
    let _ = stdin.write_all(line); // wakes the blocked read, which then sees the stop
    drop(stdin);
    let output = child.wait_with_output().expect("exits");
    let left: Vec<String> = std::fs::read_dir(&out)
        .map(|entries| {
            entries.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect()
        })
        .unwrap_or_default();
    (output.status.code(), left, common::stderr(&output))
}

#[test]
fn sigint_stops_without_a_report() {
    let (code, left, err) = interrupted_by("-INT");
    assert_eq!(code, Some(130), "{err}");
    assert!(left.is_empty(), "files left: {left:?}");
    assert!(err.contains("stopped by signal 2: no report was written"), "{err}");
}

#[test]
fn sigterm_stops_without_a_report() {
    let (code, left, err) = interrupted_by("-TERM");
    assert_eq!(code, Some(143), "{err}");
    assert!(left.is_empty(), "files left: {left:?}");
}
