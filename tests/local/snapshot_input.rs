//! A policy snapshot directory inside the input is not log input: `scan` leaves it out whole,
//! says so once per snapshot, and counts exactly what it counts without it.

use std::fs;
use std::path::Path;

use crate::common::{repo, sample_logs, scan_json, utf8};

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn a_snapshot_inside_the_input_is_left_out_and_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("input");
    let snapshot = repo().join("tests/fixtures/snapshot");
    // The trail, a snapshot as the fetcher writes it (with SNAPSHOT.json) and a hand-made one
    // (without), deeper down.
    let trail = sample_logs().join("AWSLogs");
    copy_tree(&trail, &input.join("trail"));
    let fetched = input.join("policies");
    copy_tree(&snapshot, &fetched);
    let hand_made = input.join("more/hand-made");
    copy_tree(&snapshot, &hand_made);
    fs::remove_file(hand_made.join("SNAPSHOT.json")).expect("remove");

    let (code, with, err) = scan_json(utf8(&input), &dir.path().join("out"), &[]);
    assert_eq!(code, Some(0), "{err}");
    let (code, without, plain_err) = scan_json(utf8(&trail), &dir.path().join("out2"), &[]);
    assert_eq!(code, Some(0), "{plain_err}");

    assert_eq!(with["scanned"]["kept"], crate::SAMPLE_DENIALS, "{err}");
    for key in
        ["objects", "records", "parsed", "kept", "problems", "skipped_by_design", "stored_bytes"]
    {
        assert_eq!(with["scanned"][key], without["scanned"][key], "{key}: {err}");
    }
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("policy snapshot ")).collect();
    assert_eq!(
        lines,
        [
            format!("policy snapshot {}: not log input, left out of the scan", hand_made.display()),
            format!("policy snapshot {}: not log input, left out of the scan", fetched.display()),
        ],
        "{err}"
    );
    assert!(!plain_err.contains("policy snapshot"), "{plain_err}");
}
