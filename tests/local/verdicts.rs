//! `scan sample-logs --policies sample-logs/policies` against the generator's own truth: the
//! verdict, layer, policy and statement examples/gen_trail meant for each denial of the sample
//! (tests/fixtures/sample-verdicts.csv, decided from the policies it wrote, never from
//! whydenied's output), compared row by row by tests/reference/check_verdicts.py.

use crate::common::{self, require, run_checker, sample_logs, venv, whydenied};

#[test]
fn sample_verdicts_agree_with_the_generators_truth() {
    require!(venv());
    let (out, logs) = (tempfile::tempdir().expect("temp dir"), sample_logs());
    let policies = logs.join("policies");
    let output = whydenied(&[
        "scan",
        common::utf8(&logs),
        "--policies",
        common::utf8(&policies),
        "--out",
        common::utf8(out.path()),
        "--format",
        "json",
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", common::stderr(&output));
    let truth = common::repo().join("tests/fixtures/sample-verdicts.csv");
    let report = run_checker("check_verdicts.py", &[out.path(), &truth]);
    println!("{report}");
    assert!(report.contains(" 0 mismatches"), "{report}");
}

/// The checker itself: one agreeing row, a wrong statement and a denial missing on either side.
#[test]
fn the_verdict_checker_catches_each_kind_of_mismatch() {
    require!(venv());
    let output = std::process::Command::new(common::python())
        .arg(common::repo().join("tests/reference/check_verdicts.py"))
        .arg("--self-test")
        .output()
        .expect("python runs");
    assert!(output.status.success(), "{}", common::stderr(&output));
}
