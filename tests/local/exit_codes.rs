//! The exit-code contract (src/exit_code.rs): every case of the README's table run for real, the
//! table and `--help` naming the same codes, and "suppressed" meaning one thing in every place
//! a count is compared or printed.

use std::fs;
use std::path::Path;

use crate::common::{json_of, repo, sample_logs, scan_json, stderr, utf8, whydenied};
use crate::{SAMPLE_DENIALS, summary_total};

fn code_of(args: &[&str]) -> (Option<i32>, String) {
    let output = whydenied(args);
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    (output.status.code(), err)
}

#[test]
fn exit_codes_follow_the_contract() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let out = utf8(&out);
    let logs = sample_logs();
    let logs = utf8(&logs);

    // 1: usage errors of every kind, including clap's own, which would otherwise exit 2.
    for args in [
        &["--bogus"][..],
        &["scan"],
        &["scan", "/no/such/path", "--out", out],
        &["scan", logs, "--umask", "999", "--out", out],
        &["scan", logs, "--since", "last tuesday", "--out", out],
        &["scan", logs, "--top", "many", "--out", out],
        &["report", "/no/such/dir"],
        &["frobnicate"],
    ] {
        let (code, err) = code_of(args);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(!err.is_empty(), "{args:?} says what is wrong");
    }

    // 0: help, version and a clean scan.
    for args in
        [&["--help"][..], &["--version"], &["scan", "--help"], &["scan", logs, "--out", out]]
    {
        assert_eq!(code_of(args).0, Some(0), "{args:?}");
    }

    // 2: an input skipped.
    let broken = work.path().join("logs");
    fs::create_dir(&broken).expect("mkdir");
    fs::write(broken.join("empty.json"), "").expect("write");
    fs::write(
        broken.join("trail.json"),
        r#"{"Records":[{"eventTime":"2026-11-02T10:00:00Z","eventSource":"s3.amazonaws.com",
            "eventName":"GetObject","errorCode":"AccessDenied","errorMessage":"Access Denied",
            "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"}}]}"#,
    )
    .expect("write");
    let broken = utf8(&broken);
    assert_eq!(code_of(&["scan", broken, "--out", out]).0, Some(2));

    // 3: a threshold reached; and 3 over 2 when both apply, stderr saying both.
    let (code, err) = code_of(&["scan", logs, "--out", out, "--fail-on-denials", "1"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("--fail-on-denials 1 reached"), "{err}");
    let (code, err) = code_of(&["scan", broken, "--out", out, "--fail-on-denials", "1"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("empty: no data"), "the skipped input is still listed: {err}");
    assert!(err.contains("some inputs were skipped"), "{err}");
    assert!(err.contains("--fail-on-denials 1 reached"), "{err}");
}

#[test]
fn the_readme_and_help_name_every_exit_code() {
    let readme = fs::read_to_string(repo().join("README.md")).expect("README");
    let table = readme.split("### Exit codes").nth(1).expect("an exit-code section");
    let codes: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("| code"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|l| l.split('|').nth(1).unwrap_or_default().split(','))
        .map(str::trim)
        .collect();
    assert_eq!(codes, ["0", "1", "2", "3", "130", "143"]);
    // Each `;`-separated clause of the help's "Exit codes:" paragraph starts with its codes.
    let help = String::from_utf8(whydenied(&["--help"]).stdout).expect("utf-8");
    let explained = help.split("Exit codes:").nth(1).expect("an exit-code paragraph");
    let help_codes: Vec<&str> = explained
        .split(';')
        .flat_map(|clause| clause.split_whitespace().next().unwrap_or_default().split('/'))
        .collect();
    assert_eq!(help_codes, codes, "--help and the README name the same codes:\n{help}");
}

/// A rule suppressing the sample's anonymous denials, and the numbers a scan with it reports.
fn suppressed_scan(work: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let rules = work.join("expected.toml");
    fs::write(
        &rules,
        "[[rule]]\nname = \"scanners\"\nreason = \"unsigned probes are expected\"\nprincipal = \"anonymous\"\n",
    )
    .expect("write");
    let mut flags = vec!["--suppress", utf8(&rules)];
    flags.extend_from_slice(extra);
    let (code, json, err) = scan_json(utf8(&sample_logs()), &work.join("out"), &flags);
    assert!(code == Some(0) || code == Some(3), "{err}");
    (code, json)
}

#[test]
fn suppressed_denials_count_nowhere_but_in_their_own_number() {
    let work = tempfile::tempdir().expect("temp dir");
    let (_, json) = suppressed_scan(work.path(), &[]);
    let suppressed = json["scanned"]["suppressed"].as_u64().expect("a number");
    let counted = summary_total(&json);
    assert!(suppressed > 0, "the sample has anonymous denials");
    // Kept = every row of denials.parquet = the independent checker's count.
    assert_eq!(json["scanned"]["kept"].as_u64(), Some(SAMPLE_DENIALS));
    assert_eq!(counted + suppressed, SAMPLE_DENIALS);
    assert_eq!(json["scanned"]["counted"].as_u64(), Some(counted));

    // The threshold compares what the summary counts, not what was kept.
    let at = |n: u64| suppressed_scan(work.path(), &["--fail-on-denials", &n.to_string()]).0;
    assert_eq!(at(counted + 1), Some(0));
    assert_eq!(at(counted), Some(3));

    // `report` over the same files: the same numbers, and the same threshold.
    let out = work.path().join("out");
    let report = |extra: &[&str]| {
        let mut args = vec!["report", utf8(&out), "--format", "json"];
        args.extend_from_slice(extra);
        json_of(&args)
    };
    let (code, again, err) = report(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(again["scanned"]["suppressed"].as_u64(), Some(suppressed));
    assert_eq!(again["scanned"]["kept"].as_u64(), Some(SAMPLE_DENIALS));
    assert_eq!(summary_total(&again), counted);
    let (code, _, _) = report(&["--fail-on-denials", &(counted + 1).to_string()]);
    assert_eq!(code, Some(0));
    let (code, _, _) = report(&["--fail-on-denials", &counted.to_string()]);
    assert_eq!(code, Some(3));
}
