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
    let expected = BTreeSet::from([
        "s3:ListBucket",
        "s3:GetObject",
        "kms:Decrypt",
        "logs:FilterLogEvents",
        "cloudtrail:LookupEvents",
    ]);
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

/// The README's DuckDB lines about the two stories of sample-logs, run as written (DuckDB's
/// Python module, from the directory that holds whydenied-out/) against a fresh scan; the
/// expected rows are read off the stories as gen_trail.rs writes them: four groups of
/// dev-intern's twelve denials, all followed by its own change, and that one PutUserPolicy.
#[test]
fn the_readme_policy_change_queries_show_the_stories() {
    use crate::common::{self, require};
    require!(common::venv());
    let readme = repo_file("README.md");
    let section =
        readme.split("### What changed before the denials started").nth(1).expect("the section");
    let queries: Vec<String> = section
        .split("$ duckdb -c \"")
        .skip(1)
        .map(|rest| {
            rest.split("\"\n")
                .next()
                .expect("a closing quote")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(queries.len(), 2, "{queries:?}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("whydenied-out");
    crate::scan_sample(&out, &["-q", "--format", "json", "--top", "0"]);
    let run = |sql: &str| -> Vec<Vec<String>> {
        let script = "import duckdb, sys, json\nrows = duckdb.sql(sys.argv[1]).fetchall()\nprint(json.dumps([[str(v) for v in r] for r in rows]))";
        let out = std::process::Command::new(common::python())
            .arg("-c")
            .arg(script)
            .arg(sql)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let groups = run(&queries[0]);
    let summary: Vec<(&str, &str, &str)> =
        groups.iter().map(|r| (r[1].as_str(), r[2].as_str(), r[3].as_str())).collect();
    assert_eq!(
        summary,
        [
            ("ec2:DescribeInstances", "3", "True"),
            ("iam:ListAttachedUserPolicies", "3", "True"),
            ("iam:ListRoles", "3", "True"),
            ("iam:ListUsers", "3", "True")
        ]
    );
    let changes = run(&queries[1]);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!((changes[0][1].as_str(), changes[0][3].as_str()), ("PutUserPolicy", "dev-intern"));
    let document: Value = serde_json::from_str(&changes[0][4]).unwrap();
    assert_eq!(
        document["Statement"][0],
        serde_json::json!({"Effect": "Allow", "Action": "*", "Resource": "*"})
    );
}

/// The README's "Policy snapshot" recipe: every `aws SERVICE COMMAND` it runs, as IAM actions.
fn snapshot_recipe_actions() -> BTreeSet<String> {
    let readme = repo_file("README.md");
    let section = readme.split("\n## Policy snapshot").nth(1).expect("a Policy snapshot section");
    let recipe =
        section.split("```bash\n").nth(1).and_then(|r| r.split("```").next()).expect("bash");
    let mut commands: Vec<(String, String)> = Vec::new();
    for line in recipe.lines() {
        // `aws SERVICE COMMAND`, also inside `$(…)` and `${X:-$(…)}`.
        for (at, _) in line.match_indices("aws ") {
            if line[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-') {
                continue;
            }
            let words: Vec<&str> = line[at..].split_whitespace().take(3).collect();
            let [_, service, command] = words.as_slice() else { continue };
            if *command == "\"$c\"" {
                // `for c in get-… get-…; do … aws s3api "$c"`: the loop's list, a line above.
                let list =
                    recipe.lines().find(|l| l.trim_start().starts_with("for c in")).expect("for c");
                let names = list
                    .trim()
                    .trim_start_matches("for c in")
                    .trim_end_matches("do")
                    .trim_end_matches("; ");
                commands
                    .extend(names.split_whitespace().map(|c| (service.to_string(), c.to_string())));
            } else {
                commands.push((service.to_string(), command.to_string()));
            }
        }
    }
    let camel = |command: &str| -> String {
        let mut out = String::new();
        for word in command.split('-') {
            let mut chars = word.chars();
            out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            out.push_str(chars.as_str());
        }
        out
    };
    commands
        .into_iter()
        .filter_map(|(service, command)| {
            // Where the IAM action is not the operation's name (Service Authorization Reference).
            let action = match (service.as_str(), command.as_str()) {
                ("sts", "get-caller-identity") => return None, // needs no permission
                ("s3api", "list-buckets") => "s3:ListAllMyBuckets".to_string(),
                ("s3api", "get-public-access-block") => "s3:GetBucketPublicAccessBlock".to_string(),
                ("s3control", "get-public-access-block") => {
                    "s3:GetAccountPublicAccessBlock".to_string()
                }
                ("s3api" | "s3control", other) => format!("s3:{}", camel(other)),
                (service, other) => format!("{service}:{}", camel(other)),
            };
            Some(action)
        })
        .collect()
}

#[test]
fn the_snapshot_policy_is_valid_and_grants_exactly_what_the_recipe_and_the_fetcher_call() {
    let policy: Value =
        serde_json::from_str(&repo_file("docs/snapshot-policy.json")).expect("valid JSON");
    assert_eq!(policy["Version"], "2012-10-17");
    let mut granted = BTreeSet::new();
    for statement in policy["Statement"].as_array().expect("statements") {
        assert_eq!(statement["Effect"], "Allow");
        assert_eq!(statement["Resource"], "*", "reads across the account");
        for action in statement["Action"].as_array().expect("a list of actions") {
            granted.insert(action.as_str().expect("a string").to_string());
        }
    }
    let mut called = snapshot_recipe_actions();
    assert!(called.len() >= 20, "{called:?}");
    // `policies fetch` calls what the recipe calls (and GetBucketLocation, where the CLI
    // follows redirects instead): the one table of its calls, whydenied::fetch::Api.
    #[cfg(feature = "fetch")]
    {
        let fetcher: BTreeSet<String> =
            whydenied::fetch::required_actions().into_iter().map(str::to_string).collect();
        let only_fetcher: Vec<&String> = fetcher.difference(&called).collect();
        assert_eq!(only_fetcher, ["s3:GetBucketLocation"]);
        let only_recipe: Vec<&String> = called.difference(&fetcher).collect();
        assert_eq!(
            only_recipe,
            Vec::<&String>::new(),
            "the recipe calls what the fetcher does not"
        );
        called.extend(fetcher);
    }
    assert_eq!(granted, called);
}

/// The (OCSF, CloudTrail) pairs of a Markdown table whose cells name columns in backticks.
fn mapping_pairs<'t>(lines: impl Iterator<Item = &'t str>) -> BTreeSet<(String, String)> {
    let ticked = |cell: &str| -> Vec<String> {
        cell.split('`').skip(1).step_by(2).map(|name| name.to_string()).collect()
    };
    let mut pairs = BTreeSet::new();
    for line in lines {
        let cells: Vec<&str> = line.split('|').collect();
        if cells.len() < 4 {
            continue;
        }
        for ocsf in ticked(cells[1]) {
            for cloudtrail in ticked(cells[2]) {
                pairs.insert((ocsf.clone(), cloudtrail));
            }
        }
    }
    pairs
}

#[test]
fn the_security_lake_mapping_tables_are_the_code_s() {
    use whydenied::decode::ocsf::mapping::{COLUMNS, RESOURCE_FIELDS, RESOURCES, UNMAPPED};
    let mut expected: BTreeSet<(String, String)> =
        COLUMNS.iter().map(|c| (c.ocsf.to_string(), c.cloudtrail.to_string())).collect();
    for field in RESOURCE_FIELDS {
        expected.insert((
            format!("{RESOURCES}[].{}", field.ocsf),
            format!("resources[].{}", field.cloudtrail),
        ));
    }
    let readme = repo_file("README.md");
    let section = readme
        .split("### Amazon Security Lake (OCSF Parquet)")
        .nth(1)
        .and_then(|rest| rest.split("\n### ").next())
        .expect("the README has a Security Lake section");
    let module = repo_file("src/decode/ocsf/mapping.rs");
    let doc_table = module.lines().filter_map(|l| l.strip_prefix("//! ")).collect::<Vec<_>>();
    for (name, lines) in [
        ("README.md", section.lines().collect::<Vec<_>>()),
        ("src/decode/ocsf/mapping.rs", doc_table),
    ] {
        let table: Vec<&str> = lines.into_iter().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(mapping_pairs(table.iter().copied()), expected, "{name}");
        let unmapped = format!("| `{UNMAPPED}[path]`");
        assert!(table.iter().any(|l| l.starts_with(&unmapped)), "{name}: no {unmapped} row");
    }
}
