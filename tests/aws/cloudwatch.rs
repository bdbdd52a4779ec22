//! `whydenied scan cwlogs://…` against a real CloudWatch Logs API over HTTP (the moto server
//! that scripts/test starts), driven by the real AWS SDK on both sides. The log group holds the
//! sample trail's records, one per event; the same records written to local files are the
//! reference.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::read::MultiGzDecoder;
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::common::{
    failures_kept, relative_files, require, run_checker, sample_failures_by_account_region,
    sample_logs, scan_json, stderr, utf8, venv,
};
use crate::{aws_endpoint, moto, scan_json_aws, whydenied_aws};

fn client() -> Client {
    let config = aws_sdk_cloudwatchlogs::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(aws_endpoint())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .build();
    Client::from_conf(config)
}

/// The sample trail's records per log stream (`<account>_CloudTrail_<region>`, as CloudTrail
/// names them), with every time moved to the last few days: CloudWatch refuses events older
/// than 14 days.
fn shifted_records() -> BTreeMap<String, Vec<(i64, String)>> {
    let root = sample_logs();
    let mut all: Vec<(String, Value)> = Vec::new();
    for rel in
        relative_files(&root).into_iter().filter(|p| p.to_string_lossy().contains("/CloudTrail/"))
    {
        let mut text = Vec::new();
        MultiGzDecoder::new(std::fs::File::open(root.join(&rel)).expect("open"))
            .read_to_end(&mut text)
            .expect("gunzip");
        let trail: Value = serde_json::from_slice(&text).expect("trail JSON");
        let name = rel.file_name().expect("file").to_string_lossy().into_owned();
        let stream = name.splitn(4, '_').take(3).collect::<Vec<_>>().join("_");
        for record in trail["Records"].as_array().expect("records") {
            all.push((stream.clone(), record.clone()));
        }
    }
    let time = |r: &Value| {
        DateTime::parse_from_rfc3339(r["eventTime"].as_str().expect("time"))
            .expect("rfc3339")
            .with_timezone(&Utc)
    };
    let latest = all.iter().map(|(_, r)| time(r)).max().expect("records");
    let shift = (Utc::now() - chrono::Duration::days(2)) - latest;
    let shift = chrono::Duration::seconds(shift.num_seconds());
    let mut streams: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for (stream, mut record) in all {
        let moved = time(&record) + shift;
        record["eventTime"] = Value::from(moved.to_rfc3339_opts(SecondsFormat::Secs, true));
        streams.entry(stream).or_default().push((moved.timestamp_millis(), record.to_string()));
    }
    for events in streams.values_mut() {
        events.sort();
    }
    streams
}

/// A log group with `streams`, plus one message that is not JSON; and the same lines in local
/// files named after the streams.
fn group_and_files(
    runtime: &Runtime,
    name: &str,
    dir: &Path,
) -> (String, BTreeMap<String, Vec<(i64, String)>>) {
    let group = format!("CloudTrail/{name}-{}", std::process::id());
    let mut streams = shifted_records();
    let (first_stream, first_events) = streams.iter_mut().next().expect("a stream");
    let not_json_at = first_events[0].0;
    first_events.insert(1, (not_json_at, "this message is not JSON".to_string()));
    let first_stream = first_stream.clone();
    let client = client();
    runtime.block_on(async {
        client.create_log_group().log_group_name(&group).send().await.expect("create group");
        for (stream, events) in &streams {
            client
                .create_log_stream()
                .log_group_name(&group)
                .log_stream_name(stream)
                .send()
                .await
                .expect("create stream");
            let mut batch = Vec::new();
            let mut bytes = 0;
            for (i, (at, message)) in events.iter().enumerate() {
                batch.push(
                    InputLogEvent::builder()
                        .timestamp(*at)
                        .message(message)
                        .build()
                        .expect("event"),
                );
                bytes += message.len() + 26;
                if bytes > 900_000 || batch.len() == 5000 || i + 1 == events.len() {
                    let put =
                        client.put_log_events().log_group_name(&group).log_stream_name(stream);
                    let result = put
                        .set_log_events(Some(std::mem::take(&mut batch)))
                        .send()
                        .await
                        .expect("put");
                    assert!(
                        result.rejected_log_events_info().is_none(),
                        "moto rejected events of {stream}"
                    );
                    bytes = 0;
                }
            }
        }
    });
    std::fs::create_dir_all(dir).expect("mkdir");
    for (stream, events) in &streams {
        let lines: String = events.iter().map(|(_, m)| format!("{m}\n")).collect();
        std::fs::write(dir.join(stream), lines).expect("write");
    }
    assert!(streams.contains_key(&first_stream));
    (group, streams)
}

#[test]
fn a_log_group_gives_the_same_reports_as_the_same_records_on_disk() {
    require!(moto(), venv());
    let runtime = Runtime::new().expect("runtime");
    let work = tempfile::tempdir().expect("temp dir");
    let files = work.path().join("streams");
    let (group, streams) = group_and_files(&runtime, "same", &files);
    let events: usize = streams.values().map(Vec::len).sum();

    let (code, local, err) = scan_json(utf8(&files), &work.path().join("local"), &[]);
    assert_eq!(code, Some(2), "the message that is not JSON is reported: {err}");
    let (code, remote, err) =
        scan_json_aws(&format!("cwlogs://{group}"), &work.path().join("cw"), &[]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(remote["summary"], local["summary"]);
    assert!(remote["scanned"]["kept"].as_u64() > Some(100));
    let problems = remote["scanned"]["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]["origin"]
            .as_str()
            .is_some_and(|o| o.starts_with(&format!("cwlogs://{group}/")))
    );
    assert_eq!(problems[0]["what"], "1 × line is not JSON");
    // moto does not evaluate filter patterns: every event comes back, in pages of 10,000.
    let log_groups = &remote["scanned"]["log_groups"];
    assert!(log_groups["events"].as_u64() <= Some(events as u64), "{log_groups}");
    assert!(log_groups["requests"].as_u64() >= Some(2), "more than one page: {log_groups}");
    run_checker(
        "check_same_denials.py",
        &[
            &work.path().join("local"),
            &work.path().join("cw"),
            &files,
            Path::new(&format!("cwlogs://{group}")),
        ],
    );
}

#[test]
fn a_sliced_window_equals_one_walk_and_the_local_window() {
    require!(moto());
    let runtime = Runtime::new().expect("runtime");
    let work = tempfile::tempdir().expect("temp dir");
    let files = work.path().join("streams");
    let (group, streams) = group_and_files(&runtime, "window", &files);
    let times: Vec<i64> = streams.values().flatten().map(|(t, _)| *t).collect();
    let (first, last) = (times.iter().min().expect("events"), times.iter().max().expect("events"));
    let at = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .expect("time")
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    };
    let since = at(first + (last - first) / 4);
    let until = at(first + (last - first) * 3 / 4);
    let window = ["--since", since.as_str(), "--until", until.as_str()];
    let url = format!("cwlogs://{group}");

    let sliced_args = [&window[..], &["--log-concurrency", "4"]].concat();
    let (_, sliced, err) = scan_json_aws(&url, &work.path().join("sliced"), &sliced_args);
    let one_walk_args = [&window[..], &["--log-concurrency", "1"]].concat();
    let (_, one_walk, _) = scan_json_aws(&url, &work.path().join("one"), &one_walk_args);
    let (_, local, _) = scan_json(utf8(&files), &work.path().join("local"), &window);
    assert!(sliced["scanned"]["kept"].as_u64() > Some(10), "{err}");
    assert_eq!(sliced["summary"], one_walk["summary"]);
    assert_eq!(sliced["summary"], local["summary"]);
    let requests = |v: &Value| v["scanned"]["log_groups"]["requests"].as_u64().unwrap_or(0);
    assert!(requests(&sliced) > requests(&one_walk), "slices make more, smaller requests");
    // Every event inside the window arrived exactly once: the sliced walk received as many as one walk.
    assert_eq!(
        sliced["scanned"]["log_groups"]["events"],
        one_walk["scanned"]["log_groups"]["events"]
    );
}

#[test]
fn a_missing_log_group_is_one_clear_line() {
    require!(moto());
    let work = tempfile::tempdir().expect("temp dir");
    let output = whydenied_aws(&["scan", "cwlogs://no/such/group", "--out", utf8(work.path())]);
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.starts_with("whydenied: cannot read log group no/such/group: no such log group"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
}

#[test]
fn account_and_region_filter_the_records_of_a_log_group() {
    require!(moto(), venv());
    let runtime = Runtime::new().expect("runtime");
    let work = tempfile::tempdir().expect("temp dir");
    let (group, _) = group_and_files(&runtime, "filters", &work.path().join("streams"));
    let counts = sample_failures_by_account_region();
    let url = format!("cwlogs://{group}");
    for (filters, accounts, regions) in [
        (&["--account", "444455556666"][..], &["444455556666"][..], &[][..]),
        (
            &["--account", "777788889999", "--region", "eu-west-1"],
            &["777788889999"],
            &["eu-west-1"],
        ),
    ] {
        let expected = failures_kept(&counts, accounts, regions);
        let (code, json, err) = scan_json_aws(&url, &work.path().join(filters.join("")), filters);
        assert_eq!(code, Some(2), "the message that is not JSON is reported: {err}");
        assert_eq!(json["scanned"]["kept"], expected, "{filters:?}");
        assert_eq!(
            json["scanned"]["other_account_region"],
            failures_kept(&counts, &[], &[]) - expected
        );
    }
}

#[test]
fn an_incremental_run_reads_a_log_group_on_from_where_the_last_one_stopped() {
    require!(moto());
    let runtime = Runtime::new().expect("runtime");
    let work = tempfile::tempdir().expect("temp dir");
    let (group, _) = group_and_files(&runtime, "state", &work.path().join("streams"));
    let state = work.path().join("state.json");
    let args = ["--state", utf8(&state)];
    let url = format!("cwlogs://{group}");
    let out = work.path().join("out");
    let (_, first, err) = scan_json_aws(&url, &out, &args);
    assert!(first["scanned"]["kept"].as_u64() > Some(100), "{err}");
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&state).expect("state")).expect("JSON");
    // Keyed by the group's name, as state files written before other API sources were.
    assert!(saved["log_groups"][&group].is_i64(), "{saved}");
    let (_, second, err) = scan_json_aws(&url, &out, &args);
    assert_eq!(second["scanned"]["kept"], 0, "nothing counted twice: {err}");
    assert_eq!(
        second["scanned"]["log_groups"]["events"], 0,
        "the window starts where the first ended"
    );
}
