//! Nothing lost, nothing counted twice: every input named on the command line is read exactly
//! once, whatever its wrapper, whatever its records say, however often it is named; and the
//! files a run writes never overlap the files it reads.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::common::{json_of, stderr, whydenied};
use flate2::{Compression, write::GzEncoder};
use serde_json::{Value, json};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

/// A denied `GetObject`, with `extra` fields merged in.
fn denial(id: &str, extra: Value) -> Value {
    let mut event = json!({
        "eventVersion": "1.11", "eventTime": "2026-11-02T10:00:00Z", "eventID": id,
        "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "errorCode": "AccessDenied",
        "errorMessage": "Access Denied", "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
        "requestParameters": {"bucketName": "b", "key": "k"}, "sourceIPAddress": "192.0.2.1",
    });
    if let (Some(event), Value::Object(extra)) = (event.as_object_mut(), extra) {
        event.extend(extra);
    }
    event
}

fn line(value: &Value) -> String {
    format!("{}\n", serde_json::to_string(value).expect("serialisable"))
}

/// `whydenied ARGS… --format json`: exit code, parsed stdout, stderr (which holds no panic).
fn run(args: &[&str]) -> (Option<i32>, Value, String) {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    json_of(&args)
}

/// `whydenied ARGS… --out OUT`; see [`run`].
fn run_args(args: &[&str], out: &Path) -> (Option<i32>, Value, String) {
    let mut args = args.to_vec();
    args.extend(["--out", out.to_str().expect("utf-8")]);
    run(&args)
}

/// Scans `sources` into `out`; see [`run`].
fn scan(sources: &[&Path], out: &Path) -> (Option<i32>, Value, String) {
    let mut args = vec!["scan"];
    args.extend(sources.iter().map(|p| p.to_str().expect("utf-8")));
    run_args(&args, out)
}

fn kept(json: &Value) -> u64 {
    json["scanned"]["kept"].as_u64().expect("kept")
}

fn problems(json: &Value) -> Vec<String> {
    (json["scanned"]["problems"].as_array().expect("problems").iter())
        .map(|p| {
            let (origin, what) = (p["origin"].as_str(), p["what"].as_str());
            format!("{}: {}", origin.unwrap_or(""), what.unwrap_or(""))
        })
        .collect()
}

#[test]
fn attacker_chosen_strings_never_hide_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).expect("mkdir");
    // The user agent, the S3 key and the keys of requestParameters are the caller's choice.
    let insight_agent = denial("1", json!({"userAgent": "AwsCloudTrailInsight"}));
    let digest_key =
        denial("2", json!({"requestParameters": {"bucketName": "b", "key": "digestStartTime"}}));
    let digest_keys = denial(
        "3",
        json!({"requestParameters": {"bucketName": "b", "digestStartTime": "x", "digestSignatureAlgorithm": "y", "logFiles": []}}),
    );
    let plain = denial("4", json!({}));
    let trail = json!({"Records": [insight_agent, plain]});
    fs::write(logs.join("trail.json.gz"), gzip(&serde_json::to_vec(&trail).expect("json")))
        .expect("write");
    fs::write(logs.join("lines.json"), line(&digest_keys) + &line(&plain)).expect("write");
    let export = format!("2026-11-02T10:00:00.000Z {}", line(&digest_key));
    fs::write(logs.join("export.txt"), export + &line(&plain)).expect("write");
    let (code, json, err) = scan(&[&logs], &dir.path().join("out"));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(kept(&json), 6, "{err}");
    assert_eq!(json["scanned"]["skipped_by_design"], json!({}), "{err}");
}

/// An EventBridge envelope around one event, as a rule that forwards CloudTrail events writes it.
fn eventbridge(event: &Value) -> Value {
    json!({
        "version": "0", "id": "6f8a7c1e-0000-4000-8000-000000000001",
        "detail-type": "AWS API Call via CloudTrail", "source": "aws.s3",
        "account": "111122223333", "time": "2026-11-02T10:00:00Z", "region": "eu-west-1",
        "resources": [], "detail": event,
    })
}

#[test]
fn unusual_wrappers_are_read_or_reported_never_silently_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).expect("mkdir");
    let (a, b) = (denial("a", json!({})), denial("b", json!({})));
    // Read: EventBridge envelopes one per line and in an array; Records not first.
    fs::write(logs.join("eventbridge.jsonl"), line(&eventbridge(&a)) + &line(&eventbridge(&b)))
        .expect("write");
    fs::write(
        logs.join("eventbridge-array.json"),
        line(&json!([eventbridge(&a), eventbridge(&b)])),
    )
    .expect("write");
    let later = format!(r#"{{"source":"export","count":2,"Records":{}}}"#, json!([a, b]));
    fs::write(logs.join("records-later.json.gz"), gzip(later.as_bytes())).expect("write");
    let (code, json, err) = scan(&[&logs], &dir.path().join("out"));
    assert_eq!((code, kept(&json)), (Some(0), 6), "{err}");

    // Not understood: reported by file, exit 2.
    let odd = dir.path().join("odd");
    fs::create_dir(&odd).expect("mkdir");
    fs::write(odd.join("lowercase.json"), line(&json!({"records": [a, b]}))).expect("write");
    fs::write(odd.join("nested.json"), line(&json!({"data": {"Records": [a, b]}}))).expect("write");
    let (code, json, err) = scan(&[&odd], &dir.path().join("out2"));
    assert_eq!((code, kept(&json)), (Some(2), 0), "{err}");
    let problems = problems(&json);
    assert_eq!(problems.len(), 2, "{problems:?}");
    for (problem, file) in problems.iter().zip(["lowercase.json", "nested.json"]) {
        assert!(
            problem.contains(file)
                && problem.contains("neither a CloudTrail event nor a known wrapper"),
            "{problem}"
        );
    }
}

#[test]
fn an_output_directory_never_hides_logs_silently() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    fs::create_dir_all(logs.join("sub")).expect("mkdir");
    fs::write(logs.join("sub/a.json"), line(&denial("a", json!({})))).expect("write");
    let (code, _, err) = scan(&[&logs], &logs);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.starts_with(&format!("whydenied: --out {} is the scanned directory", logs.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, err) = scan(&[&logs.join("sub")], &logs);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(" contains the scanned directory"), "{err}");
    assert_eq!(fs::read_dir(&logs).expect("list").count(), 1, "nothing written");

    // Logs kept under the output directory are named, every run; the reports there are not.
    let out = logs.join("reports");
    fs::create_dir_all(out.join("2026")).expect("mkdir");
    fs::write(out.join("2026/b.json"), line(&denial("b", json!({})))).expect("write");
    for _ in 0..2 {
        let (code, json, err) = scan(&[&logs], &out);
        assert_eq!((code, kept(&json)), (Some(2), 1), "{err}");
        let problems = problems(&json);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("b.json: not scanned: it lies inside the output directory"),
            "{problems:?}"
        );
    }
}

#[test]
fn a_file_named_twice_is_read_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    fs::create_dir_all(logs.join("sub")).expect("mkdir");
    fs::write(logs.join("a.json"), line(&denial("a", json!({})))).expect("write");
    let b = gzip(line(&denial("b", json!({}))).as_bytes());
    fs::write(logs.join("sub/b.json.gz"), b).expect("write");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(logs.join("a.json"), &link).expect("symlink");
    // a.json again, sub/ (b again), the link (a again), logs/ again (a and b again).
    let (a, sub) = (logs.join("a.json"), logs.join("sub"));
    let sources: [&Path; 5] = [&logs, &a, &sub, &link, &logs];
    let (code, json, err) = scan(&sources, &dir.path().join("out"));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!((kept(&json), json["scanned"]["objects"].as_u64()), (2, Some(2)), "{err}");
    assert_eq!(json["scanned"]["duplicates"], 5, "{err}");
    let footer = whydenied(&[
        "scan",
        logs.to_str().expect("utf-8"),
        link.to_str().expect("utf-8"),
        "--out",
        dir.path().join("out").to_str().expect("utf-8"),
    ]);
    assert!(
        stderr(&footer).contains("1 input named more than once was read once"),
        "{}",
        stderr(&footer)
    );
}

/// One object copied under eight names (a bucket re-synced, a dump taken twice): its change is
/// eight rows, and the workers' order does not decide theirs, so runs write the same file.
#[test]
fn one_change_in_many_copies_is_written_in_the_same_order_every_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    fs::create_dir_all(&logs).expect("mkdir");
    let change = json!({
        "eventVersion": "1.11", "eventTime": "2026-11-02T09:55:00Z", "eventID": "c1",
        "eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
        "recipientAccountId": "111122223333", "awsRegion": "eu-west-1",
        "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
        "requestParameters": {"bucketName": "b", "bucketPolicy": {"Version": "2012-10-17"}},
    });
    let object = gzip(line(&json!({"Records": [change, denial("d", json!({}))]})).as_bytes());
    for copy in 0..8 {
        fs::write(logs.join(format!("copy-{copy}.json.gz")), &object).expect("write");
    }
    let runs: Vec<Vec<u8>> = ["1", "2", "2", "2"]
        .iter()
        .enumerate()
        .map(|(run, threads)| {
            let out = dir.path().join(format!("out-{run}"));
            let (code, _, err) =
                run_args(&["scan", logs.to_str().expect("utf-8"), "--threads", threads], &out);
            assert_eq!(code, Some(0), "{err}");
            fs::read(out.join("policy_changes.parquet")).expect("written")
        })
        .collect();
    assert!(runs.iter().all(|run| run == &runs[0]), "a run wrote its changes in another order");
}

#[test]
fn an_html_report_never_overwrites_an_input_or_a_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let logs = d.join("logs");
    fs::create_dir(&logs).expect("mkdir");
    let log = logs.join("a.json");
    fs::write(&log, line(&denial("a", json!({})))).expect("write");
    let single = d.join("single.json");
    fs::write(&single, line(&denial("s", json!({})))).expect("write");
    std::os::unix::fs::symlink(&single, d.join("link.json")).expect("symlink");
    let out = logs.join("out");
    let utf8 = |p: &Path| p.to_str().expect("utf-8").to_string();
    let scan_html = |sources: &[&Path], html: &Path, extra: &[&str]| {
        let mut args = vec!["scan".to_string()];
        args.extend(sources.iter().map(|p| utf8(p)));
        args.extend(["--out".into(), utf8(&out), "--html".into(), utf8(html)]);
        args.extend(extra.iter().map(|a| a.to_string()));
        whydenied(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    // A report in --out (inside the scanned directory, never scanned) is fine, run after run.
    for _ in 0..2 {
        let output = scan_html(&[&logs], &out.join("report.html"), &[]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let reports = fs::read(out.join("denials.parquet")).expect("a report");
    let state = d.join("state.json");
    let state_arg = ["--state", state.to_str().expect("utf-8")];
    fs::write(&state, "{}").expect("write");
    let refused = [
        (vec![logs.as_path()], log.clone(), "lies inside the scanned directory"),
        (vec![logs.as_path(), single.as_path()], d.join("link.json"), "is the input"),
        (vec![logs.as_path()], out.join("denials.parquet"), "is a report file in"),
        (vec![logs.as_path()], state.clone(), "is the --state file"),
    ];
    for (sources, html, phrase) in refused {
        let before = fs::read(&html).expect("exists");
        let extra: &[&str] = if html == state { &state_arg } else { &[] };
        let output = scan_html(&sources, &html, extra);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{err}");
        assert!(err.starts_with(&format!("whydenied: --html {}", html.display())), "{err}");
        assert!(err.contains(phrase) && err.lines().count() == 1, "{err}");
        assert_eq!(fs::read(&html).expect("still there"), before, "{}", html.display());
    }
    let summary = out.join("summary.parquet");
    let report = whydenied(&["report", &utf8(&out), "--html", &utf8(&summary)]);
    assert_eq!(report.status.code(), Some(1), "{}", stderr(&report));
    assert!(stderr(&report).contains("is a report file in"), "{}", stderr(&report));
    assert_eq!(fs::read(out.join("denials.parquet")).expect("kept"), reports);
}
