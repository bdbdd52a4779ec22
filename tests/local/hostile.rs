//! Hostile input and faults (issue "Hostile input and faults"): each case has an asserted outcome
//! and none panics. The README's "Reliability" table lists the same cases.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use flate2::{Compression, write::GzEncoder};
use serde_json::Value;

use crate::common::{self, Service, require, scan_json, stderr, stdout, utf8};

const DENIAL: &str = r#"{"eventID":"ok","errorCode":"AccessDenied","eventName":"GetObject","eventTime":"2026-11-02T10:00:00Z"}"#;

#[test]
fn odd_json_inside_records_has_a_defined_outcome() {
    let dir = tempfile::tempdir().expect("temp dir");
    let records = [
        // Duplicate keys: the first occurrence is the one read.
        r#"{"eventID":"dup","errorCode":"NoSuchKey","errorCode":"AccessDenied","eventTime":"2026-11-02T10:00:00Z"}"#.to_string(),
        // An escaped NUL is a character like any other (and is escaped again on output).
        r#"{"eventID":"nul","errorCode":"AccessDenied","userAgent":"a\u0000b","eventTime":"2026-11-02T10:00:00Z"}"#.to_string(),
        // A surrogate pair is one character; a lone surrogate or a raw NUL is not JSON.
        r#"{"eventID":"pair","errorCode":"AccessDenied","userAgent":"\ud83d\ude00","eventTime":"2026-11-02T10:00:00Z"}"#.to_string(),
        r#"{"eventID":"lone","errorCode":"AccessDenied","userAgent":"a\ud800b","eventTime":"2026-11-02T10:00:00Z"}"#.to_string(),
        "{\"eventID\":\"raw-nul\",\"errorCode\":\"AccessDenied\",\"userAgent\":\"a\u{0}b\",\"eventTime\":\"2026-11-02T10:00:00Z\"}".to_string(),
        // 100,000 levels of nesting: refused by the parser's depth limit, not by a stack overflow.
        format!(
            r#"{{"eventID":"deep","eventTime":"2026-11-02T10:00:00Z","errorCode":"AccessDenied","x":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        DENIAL.to_string(),
    ];
    let input = dir.path().join("odd.json");
    fs::write(&input, records.join("\n")).expect("write");
    let (code, json, err) = scan_json(utf8(&input), &dir.path().join("out"), &["--all-errors"]);
    assert_eq!(code, Some(2), "{err}");
    let scanned = &json["scanned"];
    assert_eq!(scanned["kept"], 4, "dup, nul, pair, ok: {scanned}");
    assert_eq!(scanned["malformed_records"], 3, "lone surrogate, raw NUL, deep nesting: {scanned}");
    let rows = json["summary"].as_array().expect("rows");
    let codes: Vec<&str> = rows
        .iter()
        .flat_map(|r| r["error_codes"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    assert!(codes.contains(&"NoSuchKey"), "the first of two errorCode keys is read: {codes:?}");
}

#[test]
fn a_gzip_bomb_is_stopped_by_the_ratio_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bomb = dir.path().join("bomb.json.gz");
    let mut encoder = GzEncoder::new(fs::File::create(&bomb).expect("create"), Compression::best());
    encoder.write_all(b"[").expect("write");
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..2048 {
        encoder.write_all(&spaces).expect("write"); // 2 GiB of whitespace
    }
    encoder.finish().expect("finish");
    assert!(fs::metadata(&bomb).expect("meta").len() < 4 << 20, "a few MB on disk");
    let (code, json, err) = scan_json(utf8(&bomb), &dir.path().join("out"), &[]);
    assert_eq!(code, Some(2), "{err}");
    let what = json["scanned"]["problems"][0]["what"].as_str().unwrap_or_default().to_string();
    assert!(what.contains("times its stored size (a gzip bomb?)"), "{what}");
    assert!(json["scanned"]["decoded_bytes"].as_u64() < Some(1 << 30), "stopped early");
}

/// Whether the tests run as root, as CI does: root may mount, and reads every file.
fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Root, to mount the small tmpfs of the fault tests.
fn root() -> Service {
    Service {
        needs: "root, to mount a tmpfs: run the tests as root, as CI does".to_string(),
        available: running_as_root(),
    }
}

/// A tmpfs of `size` mounted at a new directory (the test must have required [`root`]).
struct Mount(tempfile::TempDir);

impl Mount {
    fn tmpfs(options: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs", utf8(dir.path())])
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "mount -t tmpfs failed: the fault tests need root"
        );
        Mount(dir)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_disk_or_read_only_output_is_a_clear_error_with_nothing_left_behind() {
    require!(root());
    let work = tempfile::tempdir().expect("temp dir");
    let state = work.path().join("state.json");
    let logs = common::sample_logs();
    let full = Mount::tmpfs("size=16k");
    let (code, _, err) = scan_json(utf8(&logs), full.0.path(), &["--state", utf8(&state)]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    let left: Vec<_> = walk(full.0.path());
    assert!(left.is_empty(), "nothing half-written: {left:?}");
    // A new state is written at once (its id must outlive a failed first run), but it
    // records no run and no object: nothing counts as scanned.
    let recorded: serde_json::Value =
        serde_json::from_slice(&fs::read(&state).expect("the state")).expect("json");
    assert_eq!(recorded["runs"], serde_json::json!([]), "the state is not advanced");
    assert_eq!(recorded["objects"], serde_json::json!({}), "the state is not advanced");

    let read_only = Mount::tmpfs("ro,size=1m");
    let (code, _, err) = scan_json(utf8(&logs), &read_only.0.path().join("out"), &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("readable").flatten() {
        if entry.path().is_dir() {
            files.extend(walk(&entry.path()));
        } else {
            files.push(entry.path().display().to_string());
        }
    }
    files
}

#[test]
fn reports_are_private_by_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("one.json");
    fs::write(&input, DENIAL).expect("write");
    let mode = |out: &Path| {
        fs::metadata(out.join("denials.parquet")).expect("written").permissions().mode() & 0o777
    };
    let (code, _, _) = scan_json(utf8(&input), &dir.path().join("private"), &[]);
    assert_eq!((code, mode(&dir.path().join("private"))), (Some(0), 0o600));
    let (code, _, _) = scan_json(utf8(&input), &dir.path().join("shared"), &["--umask", "022"]);
    assert_eq!((code, mode(&dir.path().join("shared"))), (Some(0), 0o644));
}

#[test]
fn an_unreadable_file_is_reported_and_the_rest_scanned() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).expect("mkdir");
    fs::write(logs.join("a-readable.json"), DENIAL).expect("write");
    fs::write(logs.join("b-secret.json"), DENIAL).expect("write");
    fs::set_permissions(logs.join("b-secret.json"), fs::Permissions::from_mode(0o000))
        .expect("chmod");
    let out = dir.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    fs::set_permissions(&out, fs::Permissions::from_mode(0o777)).expect("chmod");
    // Root reads everything: as root, run as nobody to meet a real permission error.
    let mut command = if running_as_root() {
        let mut setpriv = Command::new("setpriv");
        setpriv
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_whydenied"));
        setpriv
    } else {
        Command::new(env!("CARGO_BIN_EXE_whydenied"))
    };
    let output = command
        .args(["scan", utf8(&logs), "--out", utf8(&out), "--format", "json"])
        .output()
        .expect("the binary runs");
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap_or(Value::Null);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(json["scanned"]["kept"], 1);
    let problem = &json["scanned"]["problems"][0];
    assert!(problem["origin"].as_str().is_some_and(|o| o.ends_with("b-secret.json")), "{problem}");
    assert!(problem["what"].as_str().is_some_and(|w| w.contains("Permission denied")), "{problem}");
}
