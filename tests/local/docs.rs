//! Documentation that must stay true: the README's first two commands, the least-privilege
//! IAM policy it points to, and the Reliability table's link from each case to its test.

use std::collections::BTreeSet;

use serde_json::Value;

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect(path)
}

#[test]
fn the_readme_starts_with_the_two_commands() {
    let readme = repo_file("README.md");
    let first_block: Vec<&str> =
        readme.split("```").nth(1).expect("a code block").lines().skip(1).collect();
    assert!(
        first_block[0].starts_with("cargo run --release -- scan sample-logs/"),
        "{first_block:?}"
    );
    assert!(first_block[1].starts_with("scripts/test"), "{first_block:?}");
    assert_eq!(
        repo_file(".ci/run").lines().last(),
        Some("scripts/test"),
        ".ci/run runs the README's test command"
    );
}

#[test]
fn the_iam_policy_is_valid_and_grants_exactly_what_the_tool_calls() {
    let policy: Value =
        serde_json::from_str(&repo_file("docs/iam-policy.json")).expect("valid JSON");
    assert_eq!(policy["Version"], "2012-10-17");
    let statements = policy["Statement"].as_array().expect("statements");
    let mut actions = BTreeSet::new();
    for statement in statements {
        assert_eq!(statement["Effect"], "Allow");
        assert!(statement["Resource"].is_string(), "every grant names its resource");
        actions.insert(statement["Action"].as_str().expect("one action per statement"));
    }
    let expected =
        BTreeSet::from(["s3:ListBucket", "s3:GetObject", "kms:Decrypt", "logs:FilterLogEvents"]);
    assert_eq!(actions, expected);
}

#[test]
fn every_reliability_case_names_a_test_that_exists() {
    let readme = repo_file("README.md");
    let section = readme
        .split("\n## Reliability")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Reliability section");
    let rows: Vec<&str> =
        section.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| case")).collect();
    assert!(rows.len() >= 25, "{} cases", rows.len());
    for row in rows {
        let checked_by = row.trim_end_matches('|').rsplit(" | ").next().expect("a last column");
        let tests: Vec<&str> = checked_by.split("; ").collect();
        assert!(!tests.is_empty(), "{row}");
        for test in tests {
            let (file, name) = test
                .trim()
                .trim_matches('`')
                .split_once(": ")
                .unwrap_or_else(|| panic!("`file: test` expected in {row}"));
            let source = repo_file(file);
            let at = source
                .find(&format!("fn {name}("))
                .unwrap_or_else(|| panic!("no fn {name} in {file} (row: {row})"));
            // `#[test]` right above it (only other attributes in between).
            let before = &source[..at];
            let is_test = before.rfind("#[test]").is_some_and(|attribute| {
                let gap = before[attribute + "#[test]".len()..].trim();
                gap.is_empty() || (gap.starts_with("#[") && !gap.contains("fn "))
            });
            assert!(is_test, "{file}: {name} is not a #[test]");
        }
    }
}
