//! Every kind of bad input has a defined outcome: the broken input is named with what was wrong,
//! the rest is scanned, the exit code says so, and nothing panics.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use flate2::{Compression, write::GzEncoder};
use serde_json::{Value, json};

use crate::common::{stderr, stdout, whydenied};
use crate::summary_total;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

fn denial(id: &str) -> Value {
    json!({
        "eventVersion": "1.11", "eventTime": "2026-11-02T10:00:00Z", "eventID": id,
        "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "errorCode": "AccessDenied",
        "errorMessage": "Access Denied", "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
        "requestParameters": {"bucketName": "b", "key": "k"}, "sourceIPAddress": "192.0.2.1",
    })
}

fn trail(records: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({ "Records": records })).expect("serialisable")
}

/// Scans `dir` with `--format json` (and `extra` flags); returns exit code, parsed stdout, stderr.
fn scan(dir: &Path, extra: &[&str]) -> (Option<i32>, Value, String) {
    let out = dir.join("out");
    let mut args = vec![
        "scan",
        dir.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let output = whydenied(&args);
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    let json = serde_json::from_str(&stdout(&output)).unwrap_or(Value::Null);
    (output.status.code(), json, err)
}

fn problems(summary: &Value) -> Vec<(String, String)> {
    summary["scanned"]["problems"]
        .as_array()
        .expect("problems listed")
        .iter()
        .map(|p| {
            let origin = p["origin"].as_str().unwrap_or_default();
            let name = Path::new(origin).file_name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), p["what"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn broken_objects_are_named_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let many: Vec<Value> = (0..2000).map(|i| denial(&format!("t-{i}"))).collect();
    let whole = gzip(&trail(&many));
    fs::write(d.join("good.json.gz"), gzip(&trail(&[denial("good-1")]))).expect("write");
    fs::write(d.join("truncated.json.gz"), &whole[..whole.len() / 2]).expect("write");
    fs::write(d.join("binary.json.gz"), b"\x00\x01\x02\x03 not json at all").expect("write");
    fs::write(d.join("empty.json.gz"), b"").expect("write");
    fs::write(d.join("empty-object.json"), b"{}").expect("write");
    fs::write(d.join("null-records.json"), br#"{"Records":null}"#).expect("write");
    fs::write(d.join("zstd.json.gz"), [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]).expect("write");

    let (code, summary, err) = scan(d, &[]);
    assert_eq!(code, Some(2), "{err}");
    let problems = problems(&summary);
    let expect = |file: &str, phrase: &str| {
        assert!(
            problems.iter().any(|(f, what)| f == file && what.contains(phrase)),
            "{file}: no problem containing {phrase:?} in {problems:?}"
        );
    };
    expect("truncated.json.gz", "gzip data is corrupt or truncated after");
    expect("binary.json.gz", "not CloudTrail JSON");
    expect("empty.json.gz", "empty");
    expect("empty-object.json", "without CloudTrail event fields");
    expect("null-records.json", "\"Records\" is not an array");
    expect("zstd.json.gz", "zstd-compressed data is not supported");
    assert_eq!(problems.len(), 6, "{problems:?}");
    // The good file and the part of the truncated one before the damage are kept.
    let kept = summary["scanned"]["kept"].as_u64().expect("kept");
    assert!(kept > 1 && kept < 2001, "kept {kept}");
    assert!(err.contains("truncated.json.gz"), "the footer names the file: {err}");
}

#[test]
fn with_state_broken_objects_are_reported_and_never_counted_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path().join("logs");
    fs::create_dir(&d).expect("mkdir");
    let many: Vec<Value> = (0..2000).map(|i| denial(&format!("t-{i}"))).collect();
    let whole = gzip(&trail(&many));
    fs::write(d.join("truncated.json.gz"), &whole[..whole.len() / 2]).expect("write");
    let mut malformed = trail(&[denial("m-1"), denial("m-2")]);
    let at = malformed.windows(4).position(|w| w == b"m-2\"").expect("m-2");
    malformed.insert(at, 0); // a raw NUL in a string: that record is not valid JSON
    fs::write(d.join("malformed.json"), malformed).expect("write");
    fs::write(d.join("binary.json.gz"), b"\x00\x01 not json").expect("write");
    let state = dir.path().join("state.json");
    let state_arg = ["--state", state.to_str().expect("utf-8")];

    // First run: all three are reported; what could be read is kept.
    let (code, first, err) = scan(&d, &state_arg);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(problems(&first).len(), 3, "{:?}", problems(&first));
    let kept = first["scanned"]["kept"].as_u64().expect("kept");
    assert!(kept > 1 && kept < 2001, "kept {kept}");

    // Second run: the two read to the end are not read again (their problems were reported);
    // the truncated one is, past the records already in the reports, and fails again.
    let (code, second, err) = scan(&d, &state_arg);
    assert_eq!(code, Some(2), "{err}");
    let problems = problems(&second);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "truncated.json.gz");
    assert_eq!(second["scanned"]["already_scanned"], 2);
    assert_eq!(second["scanned"]["kept"], 0, "nothing new was readable");
    // Records of the truncated file read the first time (the malformed file had 2).
    let records = first["scanned"]["records"].as_u64().expect("records") - 2;
    assert_eq!(second["scanned"]["resumed_records"].as_u64(), Some(records));

    let out = d.join("out");
    let rebuilt = whydenied(&["report", out.to_str().expect("utf-8"), "--format", "json"]);
    let rebuilt: Value = serde_json::from_str(&stdout(&rebuilt)).expect("json");
    assert_eq!(summary_total(&rebuilt), kept, "every readable denial exactly once");
}

#[test]
fn a_file_growing_during_the_whole_run_is_read_as_listed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).expect("mkdir");
    let path = logs.join("growing.ndjson");
    let line = |i: usize| {
        let mut line = serde_json::to_vec(&denial(&format!("g-{i}"))).expect("json");
        line.push(b'\n');
        line
    };
    let initial = 20_000;
    let first: Vec<u8> = (0..initial).flat_map(line).collect();
    fs::write(&path, first).expect("write");
    // Appended to from before the run starts until after it ends.
    let stop = Arc::new(AtomicBool::new(false));
    let appender = {
        let (stop, path) = (Arc::clone(&stop), path.clone());
        thread::spawn(move || {
            let mut file = fs::OpenOptions::new().append(true).open(&path).expect("open");
            let mut written = initial;
            while !stop.load(Ordering::SeqCst) {
                let batch: Vec<u8> = (written..written + 100).flat_map(line).collect();
                file.write_all(&batch).expect("append");
                written += 100;
                thread::sleep(Duration::from_millis(1));
            }
            written
        })
    };
    thread::sleep(Duration::from_millis(20));
    let (code, summary, err) = scan(&logs, &[]);
    stop.store(true, Ordering::SeqCst);
    let written = appender.join().expect("appender") as u64;
    assert_eq!(code, Some(2), "{err}");
    let problems = problems(&summary);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].0, "growing.ndjson");
    assert!(problems[0].1.contains("the file changed while it was read"), "{problems:?}");
    let kept = summary["scanned"]["kept"].as_u64().expect("kept");
    assert!(
        kept >= initial as u64 && kept < written,
        "read as listed: {kept} of {written} written"
    );
}

#[test]
fn odd_records_are_kept_with_what_can_be_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut wrong_types = denial("wrong-types");
    wrong_types["userIdentity"] = json!("root");
    wrong_types["readOnly"] = json!("yes");
    wrong_types["eventTime"] = json!("last tuesday");
    let mut no_time = denial("no-time");
    no_time.as_object_mut().expect("object").remove("eventTime");
    let mut numeric_code = denial("numeric-code");
    numeric_code["errorCode"] = json!(403);
    numeric_code["requestParameters"]["bucketName"] = json!("numeric");
    let mut text = trail(&[wrong_types, no_time, numeric_code, denial("bad-utf8")]);
    // An invalid UTF-8 byte inside the last record's key.
    let at = text.windows(3).rposition(|w| w == b"\"k\"").expect("key present");
    text[at + 1] = 0xff;
    fs::write(dir.path().join("odd.json"), &text).expect("write");

    let (code, summary, err) = scan(dir.path(), &["--all-errors"]);
    assert_eq!(code, Some(0), "{err}");
    let scanned = &summary["scanned"];
    assert_eq!(scanned["kept"], 4);
    assert_eq!(scanned["repaired_utf8"], 1);
    let rows = summary["summary"].as_array().expect("rows");
    let unknown =
        rows.iter().find(|r| r["principal"] == "unknown").expect("string userIdentity → unknown");
    assert_eq!(unknown["count"], 1);
    let other = rows.iter().find(|r| r["bucket"] == "numeric").expect("numeric code kept");
    assert_eq!(other["error_codes"], json!(["403"]));
    assert_eq!(other["error_category"], "other");

    // With a time window, records without a valid time are left out and counted.
    let (code, summary, _) = scan(dir.path(), &["--all-errors", "--since", "2026-11-01"]);
    assert_eq!(code, Some(0));
    assert_eq!(summary["scanned"]["kept"], 2);
    assert_eq!(summary["scanned"]["without_time"], 2);
}

#[test]
fn an_oversized_record_is_skipped_and_its_neighbours_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut huge = denial("huge");
    huge["requestParameters"]["key"] = json!("k".repeat(50 << 20));
    fs::write(dir.path().join("big.json"), trail(&[denial("before"), huge, denial("after")]))
        .expect("write");
    let (code, summary, _) = scan(dir.path(), &[]);
    assert_eq!(code, Some(2));
    assert_eq!(summary["scanned"]["kept"], 2);
    assert!(problems(&summary)[0].1.contains("record larger than the size limit"));
    // Raising the limit reads it.
    let (code, summary, _) = scan(dir.path(), &["--max-record-mib", "64"]);
    assert_eq!(
        (code, summary["scanned"]["kept"].as_u64()),
        (Some(0), Some(3)),
        "{:?}",
        problems(&summary)
    );
}

#[test]
fn hostile_strings_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut evil = denial("evil");
    evil["requestParameters"]["bucketName"] = json!("b\u{1b}]0;pwned\u{7}\u{202e}");
    evil["userIdentity"]["arn"] = json!("arn:aws:iam::1:user/\u{1b}[2J");
    fs::write(dir.path().join("evil.json"), trail(&[evil])).expect("write");
    let out = dir.path().join("out");
    let output = whydenied(&[
        "scan",
        dir.path().join("evil.json").to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0));
    for raw in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!all.contains(raw), "raw {raw:?} in output: {all:?}");
    }
    assert!(all.contains("\\u{1b}]0;pwned"), "{all}");
}

#[test]
fn stdin_a_missing_path_and_an_unwritable_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args(["scan", "-", "--out", out.to_str().expect("utf-8"), "--format", "csv"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = gzip(&trail(&[denial("from-stdin")]));
    input.extend(b"");
    child.stdin.take().expect("stdin").write_all(&input).expect("write stdin");
    let output = child.wait_with_output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("arn:aws:iam::111122223333:user/alice,IAMUser,s3:GetObject,b,1,")
    );

    let missing = whydenied(&["scan", "/no/such/dump"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("cannot read input /no/such/dump"));

    let blocker = dir.path().join("file");
    fs::write(&blocker, b"").expect("write");
    let unwritable =
        whydenied(&["scan", "-", "--out", blocker.join("sub").to_str().expect("utf-8")]);
    assert_eq!(unwritable.status.code(), Some(1));
    assert!(
        stderr(&unwritable).contains("cannot create the output directory"),
        "{}",
        stderr(&unwritable)
    );
}

#[test]
fn a_closed_stdout_is_a_quiet_end() {
    let dir = tempfile::tempdir().expect("temp dir");
    let many: Vec<Value> = (0..3000)
        .map(|i| {
            let mut d = denial(&format!("id-{i}"));
            d["requestParameters"]["bucketName"] = json!(format!("bucket-{i}"));
            d
        })
        .collect();
    fs::write(dir.path().join("many.json"), trail(&many)).expect("write");
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args([
            "scan",
            dir.path().join("many.json").to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
            "--format",
            "csv",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 16];
    child.stdout.take().expect("stdout").read_exact(&mut first).expect("some output");
    // Dropping the read end closes the pipe, like `| head -c 16`.
    let output = child.wait_with_output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"));
}
