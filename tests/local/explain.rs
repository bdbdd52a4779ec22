//! The policy engine against the AWS documentation cases (tests/policy/aws_doc_cases.json, written
//! by hand from the pages each row names) and against the independent Python evaluator
//! (tests/reference/iam_eval.py) on a seeded random corpus — both written from docs/EVALUATION.md.

use crate::common::{self, require};
use serde_json::Value;
use std::process::Command;
use whydenied::policy::{self, Request};

/// The engine's answer in the shape the Python evaluator prints: decision and denied_by, or an error.
fn answer(request: &Value) -> Value {
    match Request::from_json(request) {
        Ok(request) => {
            let e = policy::evaluate(&request);
            let layers: Vec<&str> = e.denied_by.iter().map(|d| d.as_str()).collect();
            serde_json::json!({"decision": e.decision.as_str(), "denied_by": layers})
        }
        Err(error) => serde_json::json!({"error": error.to_string()}),
    }
}

#[test]
fn aws_documentation_cases() {
    let text =
        std::fs::read_to_string(common::repo().join("tests/policy/aws_doc_cases.json")).unwrap();
    let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let got = answer(&case["request"]);
        if got != case["expect"] {
            wrong.push(format!(
                "{} ({}): expected {}, got {got}",
                case["name"], case["url"], case["expect"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

/// Seed 7 and 3,000 requests by default; `WHYDENIED_POLICY_SEED=S WHYDENIED_POLICY_COUNT=K` runs
/// another corpus (a longer differential run before a release).
#[test]
fn agrees_with_the_independent_python_evaluator() {
    require!(common::venv());
    let seed = std::env::var("WHYDENIED_POLICY_SEED").unwrap_or_else(|_| "7".into());
    let count = std::env::var("WHYDENIED_POLICY_COUNT").unwrap_or_else(|_| "3000".into());
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    let reference = common::repo().join("tests/reference");
    let generated = Command::new(common::python())
        .arg(reference.join("gen_policy_corpus.py"))
        .args(["--seed", &seed, "--count", &count])
        .output()
        .unwrap();
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    std::fs::write(&corpus, &generated.stdout).unwrap();
    let expected = Command::new(common::python())
        .arg(reference.join("iam_eval.py"))
        .arg(&corpus)
        .output()
        .unwrap();
    assert!(expected.status.success(), "{}", String::from_utf8_lossy(&expected.stderr));

    let requests: Vec<Value> = generated
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let answers: Vec<Value> = expected
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(requests.len(), answers.len());
    assert!(requests.len() >= 2500, "{} requests", requests.len());
    let mut wrong = Vec::new();
    for (case, want) in requests.iter().zip(&answers) {
        assert_eq!(case["id"], want["id"]);
        let got = answer(&case["request"]);
        let same = match (want.get("error"), got.get("error")) {
            (Some(_), Some(_)) => true,
            (None, None) => {
                got["decision"] == want["decision"] && got["denied_by"] == want["denied_by"]
            }
            _ => false,
        };
        if !same {
            wrong.push(format!(
                "id {}: python {want}, engine {got}\n  request {}",
                case["id"], case["request"]
            ));
        }
    }
    let decisions = |d: &str| answers.iter().filter(|a| a["decision"] == d).count();
    for d in ["allowed", "explicit_deny", "implicit_deny", "conditional"] {
        assert!(decisions(d) >= 100, "the corpus has only {} {d} answers", decisions(d));
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ; first ones:\n{}",
        wrong.len(),
        requests.len(),
        wrong[..wrong.len().min(8)].join("\n")
    );
}
