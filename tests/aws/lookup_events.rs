//! `whydenied scan cloudtrail://…` against a stand-in for CloudTrail's `LookupEvents` API
//! (tests/reference/lookup_events_server.py, over real HTTP, driven by the real AWS SDK): moto's
//! CloudTrail has no `LookupEvents` at all (5.2.5). The stand-in serves the records of
//! sample-logs/AWSLogs and logs every request it receives; a scan of the same trail files is the
//! reference.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use chrono::DateTime;
use serde_json::Value;

use crate::common::{
    json_outcome, python, repo, require, run_checker, sample_logs, scan_args, scan_json, stderr,
    utf8, venv,
};
use crate::whydenied_aws_at;

/// Two hours of us-east-1 in the sample: 265 records (6 pages of 50), 33 denials, 13 of S3.
const SINCE: &str = "2026-11-03T14:00:00Z";
const UNTIL: &str = "2026-11-03T16:00:00Z";
const HISTORY: &str = "cloudtrail://us-east-1";

/// The stand-in, running until dropped.
struct StandIn {
    child: Child,
    endpoint: String,
    log: PathBuf,
}

impl StandIn {
    /// Starts the stand-in with `options` (see the script's usage), logging into `dir`.
    fn start(dir: &Path, options: &[&str]) -> Self {
        let log = dir.join("requests.jsonl");
        let mut child = Command::new(python())
            .arg(repo().join("tests/reference/lookup_events_server.py"))
            .arg(sample_logs().join("AWSLogs"))
            .arg(&log)
            .args(options)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the stand-in starts");
        let mut port = String::new();
        let stdout = child.stdout.take().expect("its stdout");
        BufReader::new(stdout).read_line(&mut port).expect("the stand-in prints its port");
        let port: u16 = port.trim().parse().unwrap_or_else(|_| panic!("a port, not {port:?}"));
        StandIn { child, endpoint: format!("http://127.0.0.1:{port}"), log }
    }

    /// Runs `whydenied` against the stand-in.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = whydenied_aws_at(&self.endpoint, args);
        command.envs(env.iter().copied());
        command.output().expect("the binary runs")
    }

    /// `scan HISTORY --out OUT --format json EXTRA…`, see `common::json_outcome`.
    fn scan(&self, out: &Path, extra: &[&str]) -> (Option<i32>, Value, String) {
        json_outcome(&self.run(&scan_args(HISTORY, out, extra), &[]))
    }

    /// The requests received so far, in order; the log is emptied.
    fn take_requests(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        std::fs::remove_file(&self.log).ok();
        text.lines().map(|l| serde_json::from_str(l).expect("a JSON log line")).collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn epoch(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).expect("a time").timestamp()
}

fn served(requests: &[Value]) -> Vec<&Value> {
    requests.iter().filter(|r| r["status"] == 200).collect()
}

/// The window's denials, from the trail files of the same region: the reference.
fn reference(out: &Path, window: &[&str]) {
    let args = [window, &["--region", "us-east-1"]].concat();
    let (code, json, err) = scan_json(utf8(&sample_logs()), out, &args);
    assert!(code == Some(0) && json["scanned"]["kept"].as_u64() > Some(10), "{err}");
}

#[test]
fn the_history_gives_the_denials_of_the_same_trail_files() {
    require!(venv());
    let work = tempfile::tempdir().expect("temp dir");
    let stand_in = StandIn::start(work.path(), &["--throttle-every", "3"]);
    let window = ["--since", SINCE, "--until", UNTIL];
    let (code, json, err) = stand_in.scan(&work.path().join("history"), &window);
    assert_eq!(code, Some(0), "{err}");
    let requests = stand_in.take_requests();
    let pages = served(&requests);

    // Paged: each request after the first carries the NextToken of the page before; the last
    // page has none.
    assert!(pages.len() > 2, "{requests:?}");
    for pair in pages.windows(2) {
        assert!(pair[0]["next_token"].is_string());
        assert_eq!(pair[1]["token"], pair[0]["next_token"], "the token is followed");
    }
    assert!(pages.last().is_some_and(|p| p["next_token"].is_null()));
    let history = &json["scanned"]["lookup_events"];
    assert_eq!(history["requests"], pages.len(), "{history}");
    let sent: u64 = pages.iter().filter_map(|p| p["events"].as_u64()).sum();
    assert_eq!(history["events"], sent, "every event served was received");

    // Throttled requests were retried: the next request asks for the same page.
    let throttled: Vec<usize> =
        (0..requests.len()).filter(|&i| requests[i]["throttled"] == true).collect();
    assert!(!throttled.is_empty(), "{requests:?}");
    for &i in &throttled {
        let retry = requests.get(i + 1).expect("a retry");
        assert_eq!(
            (retry["token"].clone(), retry["status"].clone()),
            (requests[i]["token"].clone(), 200.into())
        );
    }

    // At most 2 requests per second: a request follows an answered one by 500 ms (less a
    // little for the clock); only the SDK's retry of a throttled request has its own backoff.
    for pair in requests.windows(2) {
        let gap = pair[1]["time"].as_f64().unwrap_or(0.0) - pair[0]["time"].as_f64().unwrap_or(0.0);
        if pair[0]["throttled"] == false {
            assert!(gap >= 0.45, "{gap:.3} s between {} and {}", pair[0], pair[1]);
        }
    }

    // The window, as inclusive whole seconds, and the region of the URL.
    for request in &requests {
        assert_eq!(request["start"], epoch(SINCE));
        assert_eq!(request["end"], epoch(UNTIL) - 1);
        assert_eq!(request["region"], "us-east-1");
        assert_eq!(request["max_results"], 50);
        assert!(request["attributes"].is_null());
    }

    reference(&work.path().join("files"), &window);
    run_checker(
        "check_same_event_ids.py",
        &[&work.path().join("files"), &work.path().join("history")],
    );
}

#[test]
fn a_lookup_attribute_is_sent_and_gives_the_denials_of_that_subset() {
    require!(venv());
    let work = tempfile::tempdir().expect("temp dir");
    let stand_in = StandIn::start(work.path(), &[]);
    let window = ["--since", SINCE, "--until", UNTIL];
    let args = [&window[..], &["--lookup-attribute", "EventSource=s3.amazonaws.com"]].concat();
    let (code, json, err) = stand_in.scan(&work.path().join("history"), &args);
    assert_eq!(code, Some(0), "{err}");
    let requests = stand_in.take_requests();
    let attribute =
        serde_json::json!([{"AttributeKey": "EventSource", "AttributeValue": "s3.amazonaws.com"}]);
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request["attributes"], attribute);
    }
    assert!(json["scanned"]["lookup_events"]["events"].as_u64() < Some(265), "narrowed: {json}");
    reference(&work.path().join("files"), &window);
    run_checker(
        "check_same_event_ids.py",
        &[
            &work.path().join("files"),
            &work.path().join("history"),
            Path::new("--event-source"),
            Path::new("s3.amazonaws.com"),
        ],
    );
}

#[test]
fn an_incremental_run_reads_on_from_where_the_last_one_stopped() {
    require!(venv());
    let work = tempfile::tempdir().expect("temp dir");
    // The sample ends before 2026-11-05: moved to end an hour ago, its last hours are recent
    // enough for a run without --until (which reads up to 15 minutes ago).
    let sample_end = epoch("2026-11-05T00:00:00Z");
    let shift = chrono::Utc::now().timestamp() - 3600 - sample_end;
    let stand_in = StandIn::start(work.path(), &["--shift", &shift.to_string()]);
    let since = "2026-11-04T20:00:00Z";
    let shifted_since =
        DateTime::from_timestamp(epoch(since) + shift, 0).expect("time").to_rfc3339();
    let state = work.path().join("state.json");
    let out = work.path().join("history");
    let args = ["--since", shifted_since.as_str(), "--state", utf8(&state)];

    let (code, first, err) = stand_in.scan(&out, &args);
    assert_eq!(code, Some(0), "{err}");
    let first_requests = stand_in.take_requests();
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&state).expect("the state")).expect("JSON");
    let until_ms = saved["log_groups"][HISTORY].as_i64().expect("the history's end, by input");
    let before_run = chrono::Utc::now().timestamp_millis();
    assert!(
        (before_run - 15 * 60_000 - 60_000..before_run - 15 * 60_000).contains(&until_ms),
        "{until_ms}"
    );
    assert_eq!(first_requests[0]["start"], epoch(since) + shift);
    assert_eq!(first_requests[0]["end"], (until_ms - 1).div_euclid(1000));
    assert!(first["scanned"]["kept"].as_u64() > Some(10), "{first}");

    let (code, second, err) = stand_in.scan(&out, &args);
    assert_eq!(code, Some(0), "{err}");
    let second_requests = stand_in.take_requests();
    assert_eq!(second_requests.len(), 1, "{second_requests:?}");
    assert_eq!(second_requests[0]["start"], (until_ms + 999).div_euclid(1000), "resumed");
    assert_eq!(second["scanned"]["lookup_events"]["events"], 0);
    assert_eq!(second["scanned"]["kept"], 0, "nothing counted twice");

    // Both runs' reports together hold the denials of the files since then, each once.
    reference(&work.path().join("files"), &["--since", since]);
    run_checker(
        "check_same_event_ids.py",
        &[&work.path().join("files"), &out, Path::new("--ids-only")],
    );
}

#[test]
fn a_refused_lookup_is_one_line_that_names_the_permission() {
    require!(venv());
    let work = tempfile::tempdir().expect("temp dir");
    let stand_in = StandIn::start(work.path(), &["--error", "AccessDeniedException"]);
    let output = stand_in.run(&["scan", HISTORY, "--out", utf8(&work.path().join("out"))], &[]);
    assert_eq!(output.status.code(), Some(1), "unreadable, as a missing log group");
    let text = stderr(&output);
    assert!(
        text.starts_with("whydenied: cannot read the CloudTrail event history of us-east-1: AccessDeniedException")
            && text.contains("cloudtrail:LookupEvents"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn a_page_that_fails_after_its_retries_is_reported_and_never_resumed_past() {
    require!(venv());
    let work = tempfile::tempdir().expect("temp dir");
    // Pages 1 and 2 are served, then every attempt fails: two attempts per call.
    let stand_in = StandIn::start(work.path(), &["--error", "InternalFailure:3"]);
    let retries = [("AWS_MAX_ATTEMPTS", "2")];
    let window = ["--since", SINCE, "--until", UNTIL];
    let out = work.path().join("out");
    let (code, json, err) =
        json_outcome(&stand_in.run(&scan_args(HISTORY, &out, &window), &retries));
    assert_eq!(code, Some(2), "read part-way: {err}");
    let requests = stand_in.take_requests();
    assert_eq!(served(&requests).len(), 2);
    assert_eq!(requests.len(), 4, "the failing call was tried twice: {requests:?}");
    let problems = json["scanned"]["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["origin"], HISTORY);
    let what = problems[0]["what"].as_str().unwrap_or_default();
    assert!(
        what.starts_with("LookupEvents failed part-way (InternalFailure")
            && what.contains(&format!("events from {SINCE} to 2026-11-03T")),
        "{what}"
    );
    assert_eq!(json["scanned"]["lookup_events"]["events"], 100);

    // With --state the run commits nothing, so the next one reads the same window again.
    let stand_in = StandIn::start(work.path(), &["--error", "InternalFailure:3"]);
    let state = work.path().join("state.json");
    let args = [&window[..], &["--state", utf8(&state)]].concat();
    let output =
        stand_in.run(&scan_args(HISTORY, &work.path().join("incremental"), &args), &retries);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(text.contains("no report was written and the state is unchanged"), "{text}");
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&state).expect("the state")).expect("JSON");
    assert!(saved["log_groups"].get(HISTORY).is_none(), "{saved}");
    let written = crate::common::relative_files(&work.path().join("incremental"));
    assert!(!written.iter().any(|f| f.extension().is_some_and(|e| e == "parquet")), "{written:?}");
}

#[test]
fn an_endpoint_that_does_not_answer_is_one_line() {
    let work = tempfile::tempdir().expect("temp dir");
    // Nothing listens on port 1: the connection fails, as for a region name AWS does not have;
    // with a custom endpoint, that endpoint is what the line asks about.
    let output =
        whydenied_aws_at("http://127.0.0.1:1", &["scan", HISTORY, "--out", utf8(work.path())])
            .env("AWS_MAX_ATTEMPTS", "1")
            .output()
            .expect("the binary runs");
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.starts_with(
            "whydenied: cannot reach CloudTrail in region us-east-1 (is the custom endpoint \
             (--endpoint-url, AWS_ENDPOINT_URL) right?): "
        ),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
}
