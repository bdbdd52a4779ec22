//! Transient `sts:AssumeRole` denials on a fixture trail (tests/fixtures/assume-role-transient/,
//! records in the shape of the IAM User Guide's AssumeRole CloudTrail example). Its two files hold
//! each case's later records in the file read first, newest first inside each file, so that a
//! link depending on reading order would show. The cases, with the times written in the files:
//!
//! - `ci-deployer` denied `deploy-role` at 09:00:00 and 09:00:05, assumes it at 09:00:25:
//!   transient, 20 s after the last denial;
//! - a session `build-17` of role `ci-runner` denied `deploy-role` at 14:00:00, another session
//!   `build-18` of the same role assumes it at 14:00:30: the principal is the role, transient, 30 s;
//! - `alice` denied `data-role` at 10:00:00, `bob` assumes it at 10:00:10: not transient;
//! - `carol` denied `build-role` at 11:00:00, assumes `other-role` at 11:00:10: not transient;
//! - `dave` assumes `ops-role` at 11:59:50 and is denied it at 12:00:00: not transient;
//! - `erin` denied `audit-role` at 13:00:00, assumes it at 15:00:00: not transient;
//! - `frank` denied `release-role` at 16:00:00, `admin` rewrites its trust policy
//!   (`UpdateAssumeRolePolicy`) at 16:00:10, `frank` assumes it at 16:00:20: a fix, not transient.
//!
//! tests/reference/check_links.py recomputes the same from the raw records.

use serde_json::Value;

use crate::common::{json_of, repo, require, run_checker, stdout, utf8, venv, whydenied};

const ACCOUNT: &str = "arn:aws:iam::111122223333";

fn fixture(name: &str) -> String {
    let path = repo().join("tests/fixtures/assume-role-transient").join(name);
    path.to_str().expect("utf-8 path").to_string()
}

/// (principal, transient_success_time) of every summary row, sorted.
fn transient_times(summary: &Value) -> Vec<(String, Option<String>)> {
    let rows = summary["summary"].as_array().expect("summary rows");
    let mut times: Vec<(String, Option<String>)> = rows
        .iter()
        .map(|row| {
            let principal = row["principal"].as_str().expect("principal");
            let time = row["transient_success_time"].as_str().map(str::to_string);
            (principal.trim_start_matches(ACCOUNT).to_string(), time)
        })
        .collect();
    times.sort();
    times
}

#[test]
fn a_success_seconds_after_an_assume_role_denial_makes_it_transient_whatever_the_file_order() {
    let expected: Vec<(String, Option<String>)> = [
        (":role/ci-runner", Some("2026-11-05T14:00:30Z")),
        (":user/alice", None),
        (":user/carol", None),
        (":user/ci-deployer", Some("2026-11-05T09:00:25Z")),
        (":user/dave", None),
        (":user/erin", None),
        (":user/frank", None),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_string(), t.map(str::to_string)))
    .collect();
    let work = tempfile::tempdir().expect("temporary directory");
    let later = fixture("1-later.json");
    let earlier = fixture("2-earlier.json");
    for (n, inputs) in
        [vec![later.clone(), earlier.clone()], vec![earlier, later]].into_iter().enumerate()
    {
        let out = work.path().join(format!("out-{n}"));
        let mut args = vec!["scan"];
        args.extend(inputs.iter().map(String::as_str));
        args.extend(["--out", utf8(&out), "--format", "json", "--threads", "1", "-q"]);
        let (code, summary, stderr) = json_of(&args);
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(transient_times(&summary), expected, "inputs {inputs:?}");
    }
}

#[test]
fn the_table_hint_says_transient_and_names_the_delay() {
    let work = tempfile::tempdir().expect("temporary directory");
    let out = work.path().join("out");
    let dir = repo().join("tests/fixtures/assume-role-transient");
    let output = whydenied(&["scan", utf8(&dir), "--out", utf8(&out), "--top", "all"]);
    let table = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{table}");
    // Each row with the lines under it, which start with spaces.
    let mut rows: Vec<String> = Vec::new();
    for line in table.lines() {
        match (line.starts_with(' '), rows.last_mut()) {
            (true, Some(row)) => {
                row.push_str(line.trim_start());
                row.push(' ');
            }
            _ => rows.push(format!("{line} ")),
        }
    }
    let hint = |principal: &str| {
        rows.iter()
            .find(|row| row.contains(principal))
            .unwrap_or_else(|| panic!("{principal} in {table}"))
            .clone()
    };
    let deployer = hint("user/ci-deployer");
    assert!(
        deployer.contains(
            "transient: the same principal assumed role deploy-role successfully 20 s later"
        ),
        "{deployer}"
    );
    assert!(deployer.contains("retry with backoff rather than changing the trust policy"));
    assert!(hint("role/ci-runner").contains("successfully 30 s later"), "{table}");
    for principal in ["user/alice", "user/carol", "user/dave", "user/erin", "user/frank"] {
        let text = hint(principal);
        assert!(!text.contains("transient"), "{text}");
        assert!(text.contains("--query Role.AssumeRolePolicyDocument"), "{text}");
    }
}

#[test]
fn transient_groups_agree_with_the_independent_checker() {
    require!(venv());
    let work = tempfile::tempdir().expect("temporary directory");
    let dir = repo().join("tests/fixtures/assume-role-transient");
    let output = whydenied(&["scan", utf8(&dir), "--out", utf8(work.path()), "-q"]);
    assert_eq!(output.status.code(), Some(0), "{}", crate::common::stderr(&output));
    let report = run_checker("check_links.py", &[&dir, work.path()]);
    assert!(report.contains("7 groups") && report.contains("2 transient"), "{report}");
}

/// `whydenied report` has only the reports: it takes the successes from the scans' summaries and
/// judges them again, so a denial a later run adds after the success ends the transience.
#[test]
fn report_keeps_transient_groups_until_a_later_run_is_denied_again() {
    let work = tempfile::tempdir().expect("temporary directory");
    let out = work.path().join("out");
    let dir = repo().join("tests/fixtures/assume-role-transient");
    let scan = |input: &str| {
        let output = whydenied(&["scan", input, "--out", utf8(&out), "--partitioned", "-q"]);
        assert_eq!(output.status.code(), Some(0), "{}", crate::common::stderr(&output));
    };
    let report = || {
        let (code, summary, stderr) = json_of(&["report", utf8(&out), "--format", "json"]);
        assert_eq!(code, Some(0), "{stderr}");
        transient_times(&summary)
    };
    scan(utf8(&dir));
    let transient = |times: &[(String, Option<String>)], who: &str| {
        times.iter().find(|(p, _)| p == who).and_then(|(_, t)| t.clone())
    };
    let first = report();
    assert_eq!(transient(&first, ":user/ci-deployer").as_deref(), Some("2026-11-05T09:00:25Z"));
    assert_eq!(transient(&first, ":role/ci-runner").as_deref(), Some("2026-11-05T14:00:30Z"));
    // ci-deployer denied again at 09:10:00, five minutes after its success, in another file.
    let earlier: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("2-earlier.json")).expect("read"))
            .expect("json");
    let mut again = (earlier["Records"].as_array().expect("records").iter())
        .find(|r| r["eventTime"] == "2026-11-05T09:00:05Z")
        .expect("the 09:00:05 denial")
        .clone();
    again["eventTime"] = "2026-11-05T09:10:00Z".into();
    again["eventID"] = "0b7c5e1a-9d2f-4c3e-8a6b-1f2e3d4c5b6a".into();
    let file = work.path().join("later-run.json");
    std::fs::write(&file, serde_json::json!({ "Records": [again] }).to_string()).expect("write");
    scan(utf8(&file));
    let second = report();
    assert_eq!(transient(&second, ":user/ci-deployer"), None);
    assert_eq!(transient(&second, ":role/ci-runner").as_deref(), Some("2026-11-05T14:00:30Z"));
}
