//! Nightly and scale-out runs: `report` re-aggregates what scans wrote, shards cover the input
//! exactly once, `--state` reads only what is new, and a run killed at any point leaves, after
//! a rerun, every denial exactly once.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use serde_json::Value;

use crate::common::{
    json_of, relative_files, require, run_checker, sample_logs, scan_json, stderr, utf8, venv,
    whydenied,
};
use crate::{sample_objects, summary_total};

/// The summary a single plain scan of `logs` prints.
fn single_scan(logs: &Path, out: &Path) -> Value {
    let (code, json, err) = json_of(&["scan", utf8(logs), "--out", utf8(out), "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    json
}

/// `report DIR --format json`, which must succeed.
fn report(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["report", utf8(dir), "--format", "json"];
    args.extend_from_slice(extra);
    let (code, json, err) = json_of(&args);
    assert_eq!(code, Some(0), "{err}");
    json
}

/// Runs `whydenied` and asserts that it fails with exit 1 and a message containing `phrase`.
fn fails_with(args: &[&str], phrase: &str) {
    let output = whydenied(args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains(phrase), "{}", stderr(&output));
}

/// A copy of some of the sample trail's files (every `step`-th, and all digests), to change.
fn copy_sample(to: &Path, keep: impl Fn(usize, &Path) -> bool) -> Vec<PathBuf> {
    let root = sample_logs();
    let mut copied = Vec::new();
    for (i, rel) in relative_files(&root).into_iter().enumerate() {
        if keep(i, &rel) {
            let target = to.join(&rel);
            fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            fs::copy(root.join(&rel), &target).expect("copy");
            copied.push(rel);
        }
    }
    copied
}

#[test]
fn report_re_aggregates_exactly_what_the_scan_printed() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let scanned = single_scan(&sample_logs(), &out);
    let rebuilt = report(&out, &[]);
    assert_eq!(rebuilt["summary"], scanned["summary"]);
    let html = work.path().join("report.html");
    report(&out, &["--html", utf8(&html)]);
    let page = fs::read_to_string(&html).expect("the HTML report is written");
    let groups = scanned["summary"].as_array().expect("rows").len();
    // `group`, `group new`, `group noise`, …
    assert_eq!(page.matches("<tr class=\"group").count(), groups, "one table row per group");
    let week = report(&out, &["--since", "2026-11-03", "--until", "2026-11-04"]);
    assert!(
        summary_total(&week) > 0 && summary_total(&week) < summary_total(&scanned),
        "the window keeps one day"
    );
}

#[test]
fn four_shards_cover_the_input_exactly_once() {
    let work = tempfile::tempdir().expect("temp dir");
    let logs = sample_logs();
    let single_out = work.path().join("single");
    let scanned = single_scan(&logs, &single_out);
    let shared = work.path().join("shards");
    let mut objects = 0;
    for i in 1..=4 {
        let shard = format!("{i}/4");
        let (code, json, err) = json_of(&[
            "scan",
            utf8(&logs),
            "--out",
            utf8(&shared),
            "--format",
            "json",
            "--shard",
            &shard,
        ]);
        assert_eq!(code, Some(0), "{err}");
        objects += json["scanned"]["objects"].as_u64().expect("objects");
        assert_eq!(
            json["scanned"]["objects"].as_u64().unwrap_or(0)
                + json["scanned"]["other_shard"].as_u64().unwrap_or(0),
            sample_objects()
        );
    }
    assert_eq!(objects, sample_objects(), "every object in exactly one shard");
    assert_eq!(report(&shared, &[])["summary"], scanned["summary"]);
    // Row by row, which needs the Python checkers; the shards' own checks above do not.
    require!(venv());
    run_checker("check_same_denials.py", &[&single_out, &shared, &logs, &logs]);
}

#[test]
fn state_reads_only_what_is_new_and_refuses_another_source() {
    let work = tempfile::tempdir().expect("temp dir");
    let logs = work.path().join("logs");
    let (out, state) = (work.path().join("out"), work.path().join("state.json"));
    let first_day = |_: usize, rel: &Path| rel.to_string_lossy().contains("/2026/11/02/");
    let copied = copy_sample(&logs, first_day).len() as u64;
    let scan = |extra: &[&str]| {
        let mut with_state = vec!["--state", utf8(&state)];
        with_state.extend_from_slice(extra);
        scan_json(utf8(&logs), &out, &with_state)
    };
    let (code, first, err) = scan(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(first["scanned"]["objects"].as_u64(), Some(copied));

    let (code, again, err) = scan(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(again["scanned"]["objects"], 0, "nothing new");
    assert_eq!(again["scanned"]["already_scanned"].as_u64(), Some(copied));

    // A new day arrives: only its files are read, and the reports cover both days once.
    let added =
        copy_sample(&logs, |_, rel| rel.to_string_lossy().contains("/2026/11/03/")).len() as u64;
    let html = work.path().join("nightly.html");
    let (code, third, err) = scan(&["--html", utf8(&html)]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(third["scanned"]["objects"].as_u64(), Some(added));
    let reference = single_scan(&logs, &work.path().join("single"));
    assert_eq!(report(&out, &[])["summary"], reference["summary"]);

    // The page of the third run counts the groups no earlier run had: those of the new day
    // whose (principal, action, bucket) the first day did not have.
    let keys = |v: &Value| -> HashSet<(Value, Value, Value)> {
        (v["summary"].as_array().expect("rows").iter())
            .map(|r| (r["principal"].clone(), r["action"].clone(), r["bucket"].clone()))
            .collect()
    };
    let new = keys(&third).difference(&keys(&first)).count();
    assert!(new > 0 && new < keys(&third).len(), "{new} new groups");
    let page = fs::read_to_string(&html).expect("the HTML report is written");
    let headline = format!(
        "<li class=\"new\"><span class=\"value\">{new}</span><span class=\"label\">new groups since the last run</span>"
    );
    assert!(page.contains(&headline), "{headline} not in the page");
    assert_eq!(page.matches("<tr class=\"group new").count(), new);
    // The same groups by time: first seen on the new day, in all the reports.
    let by_time = report(&out, &["--new-since", "2026-11-03"]);
    assert_eq!(by_time["summary"].as_array().expect("rows").len(), new);
    // And `report --html` over the runs' reports marks the same groups as new in the last run.
    let again = work.path().join("report.html");
    report(&out, &["--html", utf8(&again)]);
    let page = fs::read_to_string(&again).expect("the HTML report is written");
    assert!(page.contains(&headline), "{headline} not in the report's page");
    assert_eq!(page.matches("<tr class=\"group new").count(), new);

    fails_with(
        &["scan", utf8(&sample_logs()), "--out", utf8(&out), "--state", utf8(&state)],
        "use one state file per source",
    );
}

#[test]
fn sharded_nightly_runs_share_one_directory() {
    // Two shards, each with its own state, write into one directory night after night: neither
    // takes the other's reports for orphans of its own.
    let work = tempfile::tempdir().expect("temp dir");
    let logs = work.path().join("logs");
    let out = work.path().join("out");
    copy_sample(&logs, |_, rel| rel.to_string_lossy().contains("/2026/11/02/"));
    let night = || {
        for shard in ["1/2", "2/2"] {
            let state = work.path().join(format!("state-{}.json", &shard[..1]));
            let run = whydenied(&[
                "scan",
                utf8(&logs),
                "--out",
                utf8(&out),
                "--state",
                utf8(&state),
                "--shard",
                shard,
                "-q",
            ]);
            assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
            assert!(!stderr(&run).contains("removed"), "shard {shard}: {}", stderr(&run));
        }
    };
    night();
    copy_sample(&logs, |_, rel| rel.to_string_lossy().contains("/2026/11/03/"));
    night();
    let reference = single_scan(&logs, &work.path().join("single"));
    assert_eq!(report(&out, &[])["summary"], reference["summary"]);
}

#[test]
fn a_run_killed_at_any_point_leaves_every_denial_once_after_a_rerun() {
    let work = tempfile::tempdir().expect("temp dir");
    let logs = sample_logs();
    let reference = single_scan(&logs, &work.path().join("single"));
    let expected: u64 = reference["scanned"]["kept"].as_u64().expect("kept");
    for (attempt, delay_ms) in [0u64, 20, 50, 100, 150, 250, 400].into_iter().enumerate() {
        let out = work.path().join(format!("out-{attempt}"));
        let state = work.path().join(format!("state-{attempt}.json"));
        let args = [
            "scan",
            utf8(&logs),
            "--out",
            utf8(&out),
            "--state",
            utf8(&state),
            "-q",
            "--threads",
            "1",
        ];
        let mut child = Command::new(env!("CARGO_BIN_EXE_whydenied"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no handler runs
        let _ = child.wait();
        let rerun = whydenied(&args);
        assert_eq!(rerun.status.code(), Some(0), "{}", stderr(&rerun));
        let rebuilt = report(&out, &[]);
        assert_eq!(
            summary_total(&rebuilt),
            expected,
            "killed after {delay_ms} ms: every denial exactly once"
        );
        assert_eq!(rebuilt["summary"], reference["summary"], "killed after {delay_ms} ms");
    }
}

#[test]
fn new_combinations_and_thresholds_set_the_exit_code() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    single_scan(&sample_logs(), &out);
    let none_new = report(&out, &["--new-since", "2026-11-05"]);
    assert_eq!(none_new["summary"], Value::Array(vec![]));
    let all_new = whydenied(&[
        "report",
        utf8(&out),
        "--new-since",
        "2026-11-01",
        "--fail-on-new",
        "--format",
        "csv",
    ]);
    assert_eq!(all_new.status.code(), Some(3));
    let late = report(&out, &["--new-since", "2026-11-04T12:00:00Z"]);
    for row in late["summary"].as_array().expect("rows") {
        assert!(row["first_seen"].as_str() >= Some("2026-11-04T12:00:00Z"), "{row}");
    }
    let (code, _, _) = json_of(&[
        "scan",
        utf8(&sample_logs()),
        "--out",
        utf8(&work.path().join("o2")),
        "--fail-on-denials",
        "10",
    ]);
    assert_eq!(code, Some(3));
}

#[test]
fn suppressed_denials_stay_in_the_rows_and_leave_the_summary() {
    let work = tempfile::tempdir().expect("temp dir");
    let logs = sample_logs();
    let rules = work.path().join("expected.toml");
    fs::write(
        &rules,
        "[[rule]]\nname = \"scanners\"\nreason = \"unsigned probes of our buckets are expected\"\nprincipal = \"anonymous\"\n",
    )
    .expect("write");
    let plain = single_scan(&logs, &work.path().join("plain"));
    let out = work.path().join("suppressed");
    let (code, json, err) = scan_json(utf8(&logs), &out, &["--suppress", utf8(&rules)]);
    assert_eq!(code, Some(0), "{err}");
    let anonymous = |v: &Value| -> u64 {
        v["summary"]
            .as_array()
            .expect("rows")
            .iter()
            .filter(|r| r["principal"] == "anonymous")
            .map(|r| r["count"].as_u64().unwrap_or(0))
            .sum()
    };
    let expected = anonymous(&plain);
    assert!(expected > 0, "the sample has anonymous denials");
    assert_eq!(anonymous(&json), 0);
    assert_eq!(json["scanned"]["suppressed"].as_u64(), Some(expected));
    assert_eq!(json["scanned"]["kept"], plain["scanned"]["kept"], "suppressed rows are still kept");
    assert!(err.contains(&format!("{expected} denials suppressed by --suppress rules")), "{err}");
    assert_eq!(report(&out, &[])["summary"], json["summary"], "report leaves them out too");

    fs::write(&rules, "[[rule]]\nprincipal = \"anonymous\"\n").expect("write");
    fails_with(
        &["scan", utf8(&logs), "--out", utf8(&out), "--suppress", utf8(&rules)],
        "has no reason: every suppression must say why",
    );
}
