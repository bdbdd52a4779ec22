//! `whydenied scan s3://…` against a real S3 API over HTTP: the moto server that scripts/test
//! starts, driven by the real AWS SDK on both sides (the test uploads with aws-sdk-s3).

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::common::{
    failures_kept, json_outcome, python, relative_files, require, run_checker,
    sample_failures_by_account_region, sample_logs, scan_json, stderr, stdout, utf8, venv,
    whydenied,
};
use crate::{aws_endpoint, moto, scan_json_aws, whydenied_aws, whydenied_aws_at};

const ORG_ACCOUNT: &str = "111122223333";

fn client() -> Client {
    client_at(&aws_endpoint())
}

fn client_at(endpoint: &str) -> Client {
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .force_path_style(true)
        .build();
    Client::from_conf(config)
}

/// A fresh bucket holding `files` (key, bytes).
pub(crate) fn bucket_with(runtime: &Runtime, name: &str, files: Vec<(String, Vec<u8>)>) -> String {
    let bucket = format!("{name}-{}", std::process::id());
    fill_bucket(runtime, &client(), &bucket, files);
    bucket
}

/// Creates `bucket` and puts `files` (key, bytes) into it.
fn fill_bucket(runtime: &Runtime, client: &Client, bucket: &str, files: Vec<(String, Vec<u8>)>) {
    runtime.block_on(async {
        client.create_bucket().bucket(bucket).send().await.expect("create bucket");
        for (key, body) in files {
            client
                .put_object()
                .bucket(bucket)
                .key(&key)
                .body(ByteStream::from(body))
                .send()
                .await
                .expect("put");
        }
    });
}

fn sample_files() -> Vec<(String, Vec<u8>)> {
    let root = sample_logs();
    relative_files(&root)
        .into_iter()
        .map(|rel| {
            (rel.to_string_lossy().into_owned(), std::fs::read(root.join(&rel)).expect("read"))
        })
        .collect()
}

#[test]
fn a_bucket_gives_the_same_reports_as_the_local_directory() {
    require!(moto(), venv());
    let runtime = Runtime::new().expect("runtime");
    let bucket = bucket_with(&runtime, "same", sample_files());
    let dir = tempfile::tempdir().expect("temp dir");
    let (local_out, s3_out) = (dir.path().join("local"), dir.path().join("s3"));
    let logs = sample_logs();
    let (code, local, err) = scan_json(utf8(&logs), &local_out, &[]);
    assert_eq!(code, Some(0), "{err}");
    let (code, remote, err) = scan_json_aws(&format!("s3://{bucket}"), &s3_out, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(remote["summary"], local["summary"]);
    // (Not decoded_bytes: locally the digests are read to be recognised, from S3 never.)
    for key in ["records", "parsed", "kept"] {
        assert_eq!(remote["scanned"][key], local["scanned"][key], "{key}");
    }
    // The layout walk lists only CloudTrail/ directories: digests and Insights are not even listed.
    let requests = &remote["scanned"]["requests"];
    let trail_files =
        sample_files().iter().filter(|(k, _)| k.contains("/CloudTrail/")).count() as u64;
    assert!(trail_files < sample_files().len() as u64);
    assert_eq!(requests["listed"], trail_files, "{requests}");
    assert_eq!(requests["get"], trail_files, "{requests}");
    assert!(
        err.contains(&format!(
            "s3: {} LIST and {} GET requests",
            requests["list"], requests["get"]
        )),
        "{err}"
    );
    // Row by row (pyarrow), with every origin the s3:// URI of the same file.
    run_checker(
        "check_same_denials.py",
        &[&local_out, &s3_out, &logs, Path::new(&format!("s3://{bucket}"))],
    );
}

#[test]
fn account_region_and_time_prune_the_listing() {
    require!(moto());
    let runtime = Runtime::new().expect("runtime");
    let bucket = bucket_with(&runtime, "prune", sample_files());
    let dir = tempfile::tempdir().expect("temp dir");
    let window = ["--since", "2026-11-03T06:00:00Z", "--until", "2026-11-03T18:00:00Z"];
    let mut args = vec!["--account", ORG_ACCOUNT, "--region", "eu-west-1"];
    args.extend_from_slice(&window);
    let (code, remote, err) =
        scan_json_aws(&format!("s3://{bucket}"), &dir.path().join("s3"), &args);
    assert_eq!(code, Some(0), "{err}");

    // The same trail directory scanned locally with the same window.
    let trail =
        sample_logs().join(format!("AWSLogs/o-a1b2c3d4e5/{ORG_ACCOUNT}/CloudTrail/eu-west-1"));
    let (code, local, err) = scan_json(utf8(&trail), &dir.path().join("local"), &window);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(remote["summary"], local["summary"]);
    assert!(remote["scanned"]["kept"].as_u64() > Some(0));

    // Requests: a probe for AWSLogs/, AWSLogs/ (the org), the org (its accounts),
    // then only the day directory of the window with its hour of slack (2026/11/03); nothing of
    // the other accounts or regions; and one delimiter listing of the bucket's top, to name
    // anything beside AWSLogs/ that the layout walk did not list.
    let requests = &remote["scanned"]["requests"];
    let day: Vec<String> = relative_files(&trail.join("2026/11/03"))
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(!day.is_empty());
    assert_eq!(requests["listed"], day.len() as u64, "{requests}");
    assert_eq!(requests["list"], 5, "{requests}");
    assert_eq!(
        remote["scanned"]["not_listed"],
        serde_json::json!([]),
        "the bucket holds only AWSLogs/"
    );
    let in_window = day.iter().filter(|name| {
        let stamp = name.split('_').nth(3).expect("delivered name");
        ("20261103T0500Z"..="20261103T1859Z").contains(&stamp)
    });
    assert_eq!(requests["get"], in_window.count() as u64, "{requests}");
}

#[test]
fn broken_objects_are_reported_by_uri_and_a_flat_prefix_is_paginated() {
    require!(moto());
    let runtime = Runtime::new().expect("runtime");
    let event = |i: usize| {
        format!(
            r#"{{"eventVersion":"1.11","eventID":"e{i}","eventTime":"2026-11-02T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied","errorMessage":"Access Denied","userIdentity":{{"type":"Root","arn":"arn:aws:iam::{ORG_ACCOUNT}:root"}}}}"#
        )
    };
    let mut files: Vec<(String, Vec<u8>)> =
        (0..1050).map(|i| (format!("flat/part-{i:05}.json"), event(i).into_bytes())).collect();
    files.push((
        "flat/zz-corrupt.json.gz".into(),
        vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef],
    ));
    let bucket = bucket_with(&runtime, "flat", files);
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, summary, err) = scan_json_aws(&format!("s3://{bucket}/flat/"), dir.path(), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(summary["scanned"]["kept"], 1050);
    let requests = &summary["scanned"]["requests"];
    assert_eq!((requests["listed"].as_u64(), requests["get"].as_u64()), (Some(1051), Some(1051)));
    assert_eq!(requests["list"], 3, "a probe for AWSLogs/, then two pages of 1000: {requests}");
    let problems = summary["scanned"]["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["origin"], format!("s3://{bucket}/flat/zz-corrupt.json.gz"));
    assert!(problems[0]["what"].as_str().is_some_and(|w| w.contains("gzip")), "{problems:?}");
}

#[test]
fn unreadable_buckets_and_missing_credentials_are_one_clear_line() {
    require!(moto());
    let dir = tempfile::tempdir().expect("temp dir");
    let out = utf8(dir.path());
    let missing = whydenied_aws(&["scan", "s3://no-such-bucket-whydenied", "--out", out]);
    assert_eq!(missing.status.code(), Some(1));
    let text = stderr(&missing);
    assert!(
        text.starts_with("whydenied: cannot list s3://no-such-bucket-whydenied/: NoSuchBucket"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");

    let no_credentials = std::process::Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args(["scan", "s3://any-bucket", "--out", out, "--endpoint-url", &aws_endpoint()])
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("runs");
    assert_eq!(no_credentials.status.code(), Some(1));
    let text = stderr(&no_credentials);
    assert!(text.starts_with("whydenied: no AWS credentials found"), "{text}");
    assert!(text.contains("--no-sign-request") && text.lines().count() == 1, "{text}");
}

#[test]
fn credentials_never_appear_in_output_even_verbose() {
    const SECRET: &str = "WhyDeniedFakeSecretKey0123456789abcdefXYZ";
    const TOKEN: &str = "WhyDeniedFakeSessionToken9876543210";
    require!(moto());
    let runtime = Runtime::new().expect("runtime");
    let bucket = bucket_with(
        &runtime,
        "secrets",
        vec![(
            "x/a.json".into(),
            br#"{"eventTime":"2026-11-02T10:00:00Z","errorCode":"AccessDenied"}"#.to_vec(),
        )],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").expect("write");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[leaky]\naws_access_key_id = AKIAWHYDENIEDFAKE\naws_secret_access_key = {SECRET}\naws_session_token = {TOKEN}\n"
        ),
    )
    .expect("write");
    // Every target that signs, sends or logs requests, named specifically: a directive for
    // `aws_sigv4::http_request` wins over a cap on `aws_sigv4`, so only the sink can stop it.
    let targets = [
        "trace",
        "aws_sigv4=trace,aws_sigv4::http_request=trace,aws_sigv4::http_request::sign=trace",
        "aws_smithy_runtime::client=trace,aws_smithy_runtime::client::orchestrator=trace",
        "aws_smithy_runtime_api=trace,aws_smithy_http_client=trace,aws_smithy_types=trace",
        "aws_config=trace,aws_credential_types=trace,aws_runtime=trace,aws_sdk_s3=trace",
        "hyper=trace,hyper_util=trace,h2=trace,rustls=trace,tower=trace",
    ];
    let mut runs = Vec::new();
    for rust_log in targets {
        for (profile, log_format) in [(false, "text"), (true, "json")] {
            runs.push((format!("s3://{bucket}"), rust_log, profile, log_format));
        }
    }
    runs.push(("s3://no-such-bucket-secrets".to_string(), "trace", false, "text"));
    for (source, rust_log, profile, log_format) in runs {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_whydenied"));
        command
            .args(["scan", &source, "--out", utf8(dir.path()), "-vv"])
            .args(["--format", "json", "--log-format", log_format])
            .args(["--endpoint-url", &aws_endpoint()])
            .env_clear()
            .env("RUST_LOG", rust_log)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", &empty)
            .env("HOME", dir.path());
        if profile {
            // Credentials the process environment never holds: only the sink's key rules apply.
            command.args(["--profile", "leaky"]).env("AWS_SHARED_CREDENTIALS_FILE", &credentials);
        } else {
            command
                .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
                .env("AWS_ACCESS_KEY_ID", "AKIAWHYDENIEDFAKE")
                .env("AWS_SECRET_ACCESS_KEY", SECRET)
                .env("AWS_SESSION_TOKEN", TOKEN);
        }
        let output = command.output().expect("runs");
        let all = format!("{}{}", stdout(&output), stderr(&output));
        assert!(
            !all.contains(SECRET) && !all.contains(TOKEN),
            "a credential leaked into the output of {source} with RUST_LOG={rust_log}, profile {profile}, {log_format} logs"
        );
        assert!(!all.is_empty());
        if !source.contains("no-such-bucket") {
            assert!(
                output.status.success(),
                "the run worked ({rust_log}, profile {profile}): {}",
                stderr(&output).lines().rev().take(5).collect::<Vec<_>>().join("\n")
            );
        }
    }
}

fn keys_under(runtime: &Runtime, bucket: &str, prefix: &str) -> Vec<String> {
    let client = client();
    runtime.block_on(async {
        let page =
            client.list_objects_v2().bucket(bucket).prefix(prefix).send().await.expect("list");
        page.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect()
    })
}

#[test]
fn reports_go_to_s3_and_objects_of_interrupted_runs_are_removed() {
    require!(moto());
    let runtime = Runtime::new().expect("runtime");
    // A run of this state killed before it committed, and a run of no state (--partitioned):
    // only the first is this run's orphan.
    let orphan = "reports/denials/date=2026-11-02/denials-interrupted-state0000beef.parquet";
    let other = "reports/denials/date=2026-11-02/denials-other-run.parquet";
    let bucket = bucket_with(
        &runtime,
        "out",
        vec![
            (orphan.to_string(), b"left by a killed run".to_vec()),
            (other.to_string(), b"another run's".to_vec()),
        ],
    );
    let work = tempfile::tempdir().expect("temp dir");
    let state = work.path().join("state.json");
    let logs = sample_logs();
    std::fs::write(
        &state,
        serde_json::json!({
            "version": 1, "inputs": [utf8(&logs)], "shard": null, "runs": [],
            "objects": {}, "log_groups": {}, "id": "0000beef",
        })
        .to_string(),
    )
    .expect("write the state of the killed run");
    let out = format!("s3://{bucket}/reports");
    let output = whydenied_aws(&[
        "scan",
        utf8(&logs),
        "--out",
        &out,
        "--state",
        utf8(&state),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let scanned: Value = serde_json::from_str(&stdout(&output)).expect("json");
    let keys = keys_under(&runtime, &bucket, "reports/");
    assert!(!keys.iter().any(|k| k == orphan), "the orphan is removed: {keys:?}");
    assert!(keys.iter().any(|k| k == other), "another run's report is kept: {keys:?}");
    let keys: Vec<String> = keys.into_iter().filter(|k| k != other).collect();
    assert!(
        stderr(&output).contains(&format!("uploaded {} objects to {out}", keys.len())),
        "{}",
        stderr(&output)
    );
    assert!(keys.iter().any(|k| k.starts_with("reports/summary/summary-")));
    assert!(keys.iter().any(|k| k.starts_with("reports/policy_changes/policy_changes-")));
    // Downloaded, the objects re-aggregate (and re-link) to what the scan printed.
    let local = work.path().join("downloaded");
    let client = client();
    runtime.block_on(async {
        for key in &keys {
            let body = client
                .get_object()
                .bucket(&bucket)
                .key(key)
                .send()
                .await
                .expect("get")
                .body
                .collect()
                .await
                .expect("body");
            let path = local.join(key.strip_prefix("reports/").expect("under the prefix"));
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, body.into_bytes()).expect("write");
        }
    });
    let report = whydenied(&["report", utf8(&local), "--format", "json"]);
    let rebuilt: Value = serde_json::from_str(&stdout(&report)).expect("json");
    assert_eq!(rebuilt["summary"], scanned["summary"]);
}

#[test]
fn large_reports_are_uploaded_in_parts() {
    use whydenied::report::upload::{Destination, MULTIPART_BYTES};
    use whydenied::source::aws::AwsOptions;
    use whydenied::source::s3_layout::S3Url;
    require!(moto());
    let runtime = Runtime::new().expect("runtime");
    let bucket = bucket_with(&runtime, "parts", vec![]);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("denials").join("big.parquet");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    let content: Vec<u8> = (0..MULTIPART_BYTES + 5_000_000).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&file, &content).expect("write");
    let options = AwsOptions { endpoint_url: Some(aws_endpoint()), ..AwsOptions::default() };
    let url = S3Url::parse(&format!("s3://{bucket}/p")).expect("url");
    let destination = Destination::connect(url, &options)
        .expect("connects with the test credentials of scripts/test");
    let uris = destination.upload(dir.path(), std::slice::from_ref(&file)).expect("uploaded");
    assert_eq!(uris, [format!("s3://{bucket}/p/denials/big.parquet")]);
    let downloaded = runtime.block_on(async {
        let object = client()
            .get_object()
            .bucket(&bucket)
            .key("p/denials/big.parquet")
            .send()
            .await
            .expect("get");
        assert!(
            object.e_tag().is_some_and(|t| t.contains('-')),
            "a multipart ETag ends in -<parts>"
        );
        object.body.collect().await.expect("body").into_bytes()
    });
    assert!(downloaded.as_ref() == content.as_slice(), "the object is the file, byte for byte");
}

/// A moto server of this test's own, so that it can be killed and started again at the same
/// address. It counts the GetObject requests it logs.
struct OwnMoto {
    child: Child,
    gets: Arc<AtomicUsize>,
}

impl OwnMoto {
    fn start(port: u16) -> Self {
        let mut child = Command::new(python())
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("moto starts");
        let gets = Arc::new(AtomicUsize::new(0));
        let log = BufReader::new(child.stderr.take().expect("stderr"));
        let counter = Arc::clone(&gets);
        thread::spawn(move || {
            for line in log.lines().map_while(Result::ok) {
                if line.contains("x-id=GetObject") {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "moto did not start");
            thread::sleep(Duration::from_millis(50));
        }
        OwnMoto { child, gets }
    }
}

/// Kills the server (SIGKILL: no clean shutdown) and reaps it.
impl Drop for OwnMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_server_killed_mid_run_fails_objects_that_a_rerun_with_state_completes() {
    require!(venv()); // it starts a moto server of its own
    let runtime = Runtime::new().expect("runtime");
    let port =
        TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let endpoint = format!("http://127.0.0.1:{port}");
    // A flat prefix: one LIST returns every key, so the server dies during the downloads.
    let files: Vec<(String, Vec<u8>)> = (sample_files().into_iter())
        .filter(|(key, _)| !key.contains("Digest"))
        .map(|(key, body)| (format!("flat/{}", key.replace('/', "_")), body))
        .collect();
    let objects = files.len();
    let moto = OwnMoto::start(port);
    fill_bucket(&runtime, &client_at(&endpoint), "trail", files.clone());

    let work = tempfile::tempdir().expect("temp dir");
    let (out, state) = (work.path().join("out"), work.path().join("state.json"));
    let args = [
        "scan",
        "s3://trail/flat/",
        "--out",
        utf8(&out),
        "--state",
        utf8(&state),
        "--format",
        "json",
        "--s3-concurrency",
        "1",
        "--threads",
        "1",
    ];
    // One attempt per request: without retries the objects after the kill fail at once.
    let run = whydenied_aws_at(&endpoint, &args)
        .env("AWS_MAX_ATTEMPTS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // Kill the server for good once a fifth of the objects were downloaded.
    let started = Instant::now();
    while moto.gets.load(Ordering::SeqCst) < objects / 5 {
        assert!(started.elapsed() < Duration::from_secs(120), "the run does not download");
        thread::sleep(Duration::from_millis(2));
    }
    drop(moto); // killed: see Drop
    let output = run.wait_with_output().expect("the run ends");
    let (first, err) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(2), "{err}");
    let first: Value = serde_json::from_str(&first).expect("json summary");
    let problems = first["scanned"]["problems"].as_array().expect("problems");
    assert!(!problems.is_empty(), "objects failed: {err}");
    for problem in problems {
        let origin = problem["origin"].as_str().unwrap_or_default();
        assert!(origin.starts_with("s3://trail/flat/"), "{problem}");
        let what = problem["what"].as_str().unwrap_or_default();
        assert!(
            what.starts_with("cannot open: ") || what.contains("download failed: "),
            "{problem}"
        );
    }
    let named = problems[0]["origin"].as_str().unwrap_or_default();
    assert!(err.contains(named), "the footer names {named}: {err}");
    assert!(problems.len() < objects, "some objects were read before the server died");

    // The server comes back with the same objects (same bytes, so the same ETags).
    let moto = OwnMoto::start(port);
    fill_bucket(&runtime, &client_at(&endpoint), "trail", files);
    let output = whydenied_aws_at(&endpoint, &args).output().expect("the binary runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let second: Value = serde_json::from_str(&stdout(&output)).expect("json summary");
    let scanned = &second["scanned"];
    assert_eq!(
        scanned["already_scanned"].as_u64().unwrap_or(0) + scanned["objects"].as_u64().unwrap_or(0),
        objects as u64,
        "{scanned}"
    );
    assert!(
        scanned["objects"].as_u64().unwrap_or(0) as usize >= problems.len(),
        "the failed objects are read again: {scanned}"
    );
    drop(moto);

    // Both runs together hold every denial exactly once: the same rows as a local scan.
    let local = tempfile::tempdir().expect("temp dir");
    let (code, reference, err) = scan_json(utf8(&sample_logs()), local.path(), &[]);
    assert_eq!(code, Some(0), "{err}");
    let output = whydenied(&["report", utf8(&out), "--format", "json"]);
    let rebuilt: Value = serde_json::from_str(&stdout(&output)).expect("json summary");
    assert_eq!(rebuilt["summary"], reference["summary"]);
}

#[test]
fn an_object_under_overlapping_s3_prefixes_is_read_once() {
    require!(moto());
    let bucket = format!("overlap-{}", std::process::id());
    let key = |account: &str| {
        format!(
            "AWSLogs/{account}/CloudTrail/eu-west-1/2026/11/02/{account}_CloudTrail_eu-west-1_20261102T1000Z_x.json.gz"
        )
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = client();
    runtime.block_on(async {
        client
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create bucket");
        for account in ["111122223333", "444455556666"] {
            let trail = serde_json::json!({"Records": [{
                "eventTime": "2026-11-02T10:00:00Z", "eventID": account, "recipientAccountId": account,
                "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "errorCode": "AccessDenied",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"},
            }]});
            let body = serde_json::to_vec(&trail).expect("json");
            client
                .put_object()
                .bucket(&bucket)
                .key(key(account))
                .body(ByteStream::from(body))
                .send()
                .await
                .expect("put");
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let (wide, narrow) =
        (format!("s3://{bucket}/AWSLogs/"), format!("s3://{bucket}/AWSLogs/111122223333/"));
    let (code, json, err) = json_outcome(&whydenied_aws(&[
        "scan",
        &wide,
        &narrow,
        &narrow,
        "--out",
        utf8(&out),
        "--format",
        "json",
    ]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        (json["scanned"]["kept"].as_u64().unwrap_or(0), json["scanned"]["objects"].as_u64()),
        (2, Some(2)),
        "{err}"
    );
    assert_eq!(json["scanned"]["duplicates"], 2, "{err}");
    let requests = &json["scanned"]["requests"];
    assert_eq!(
        (requests["listed"].as_u64(), requests["get"].as_u64(), requests["duplicates"].as_u64()),
        (Some(4), Some(2), Some(2)),
        "{requests}"
    );
    assert!(err.contains("+ 2 named twice"), "{err}");
}

#[test]
fn keys_beside_the_awslogs_layout_are_named_and_listed_flat_on_request() {
    require!(moto());
    let runtime = Runtime::new().expect("runtime");
    let denial = |id: &str| {
        serde_json::to_vec(&serde_json::json!({"Records": [{
            "eventTime": "2026-11-02T10:00:00Z", "eventID": id, "errorCode": "AccessDenied",
            "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
        }]}))
        .expect("json")
    };
    // A flat dump of trail files, and one stray AWSLogs/ tree beside it.
    let bucket = bucket_with(
        &runtime,
        "beside",
        vec![
            (
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02/111122223333_CloudTrail_us-east-1_20261102T1000Z_a.json".into(),
                denial("in-layout"),
            ),
            ("dump/2026-11-02.json".into(), denial("in-dump")),
            ("top.json".into(), denial("at-top")),
        ],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let source = format!("s3://{bucket}");
    let scan = |extra: &[&str]| scan_json_aws(&source, dir.path(), extra);
    let (code, json, err) = scan(&[]);
    assert_eq!((code, json["scanned"]["kept"].as_u64()), (Some(0), Some(1)), "{err}");
    assert_eq!(
        json["scanned"]["not_listed"],
        serde_json::json!([format!("s3://{bucket}/dump/"), format!("s3://{bucket}/top.json")]),
        "what the layout walk left out is named"
    );
    assert_eq!(json["scanned"]["not_listed_count"], 2);
    assert!(err.contains("not listed: 2 prefixes or keys beside the AWSLogs/ layout"), "{err}");
    assert!(err.contains("--s3-list flat"), "{err}");
    let (code, json, err) = scan(&["--s3-list", "flat"]);
    assert_eq!((code, json["scanned"]["kept"].as_u64()), (Some(0), Some(3)), "{err}");
    assert_eq!(json["scanned"]["not_listed"], serde_json::json!([]));

    // A big flat bucket beside one stray AWSLogs/ key: every key counted, a hundred named.
    let mut files: Vec<(String, Vec<u8>)> =
        (0..150).map(|i| (format!("n{i:03}.txt"), vec![])).collect();
    files.push(("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02/x.json".into(), denial("x")));
    let many = bucket_with(&runtime, "beside-many", files);
    let (code, json, err) = scan_json_aws(&format!("s3://{many}"), dir.path(), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["scanned"]["not_listed_count"], 150);
    assert_eq!(json["scanned"]["not_listed"].as_array().map(Vec::len), Some(100));
    assert!(err.contains("not listed: 150 prefixes or keys") && err.contains("+147 more"), "{err}");
}

#[test]
fn a_second_writer_of_an_s3_prefix_is_refused_and_the_lock_is_released() {
    require!(moto());
    let runtime = Runtime::new().expect("runtime");
    // A run on another machine holds the prefix.
    let holder = r#"{"host":"batch-7","pid":4242,"started":"2026-12-02T03:00:00Z"}"#;
    let bucket = bucket_with(
        &runtime,
        "locked",
        vec![("reports/.whydenied-lock.json".to_string(), holder.as_bytes().to_vec())],
    );
    let logs = sample_logs();
    let out = format!("s3://{bucket}/reports");
    let output = whydenied_aws(&["scan", utf8(&logs), "--out", &out, "-q"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("another run is writing to"), "{message}");
    assert!(message.contains("batch-7") && message.contains("aws s3 rm s3://"), "{message}");
    assert_eq!(
        keys_under(&runtime, &bucket, "reports/"),
        ["reports/.whydenied-lock.json"],
        "nothing written"
    );
    // Elsewhere in the bucket the run goes ahead, and leaves no lock behind.
    let free = format!("s3://{bucket}/other");
    let output = whydenied_aws(&["scan", utf8(&logs), "--out", &free, "-q"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let keys = keys_under(&runtime, &bucket, "other/");
    assert!(keys.iter().any(|k| k.ends_with("summary.parquet")), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains("whydenied-lock")), "{keys:?}");
}

#[test]
fn account_and_region_filter_the_records_of_a_flat_prefix() {
    require!(moto(), venv());
    let runtime = Runtime::new().expect("runtime");
    // The sample's files under a prefix without the AWSLogs/ layout: nothing to prune by.
    let flat = sample_files()
        .into_iter()
        .map(|(key, body)| (format!("dump/{}", key.replace('/', "_")), body))
        .collect();
    let bucket = bucket_with(&runtime, "flat-filter", flat);
    let dir = tempfile::tempdir().expect("temp dir");
    let counts = sample_failures_by_account_region();
    let expected = failures_kept(&counts, &["444455556666"], &["us-east-1"]);
    let filters = ["--account", "444455556666", "--region", "us-east-1"];
    let (code, json, err) =
        scan_json_aws(&format!("s3://{bucket}/dump/"), &dir.path().join("out"), &filters);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["scanned"]["kept"], expected);
    assert_eq!(
        json["scanned"]["other_account_region"],
        failures_kept(&counts, &[], &[]) - expected
    );
}
