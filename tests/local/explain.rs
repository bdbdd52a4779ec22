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

fn explain(args: &[&str]) -> (Option<i32>, String, String) {
    let out = common::whydenied(&[&["explain"], args].concat());
    (out.status.code(), common::stdout(&out), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn fixture(name: &str) -> String {
    common::repo().join("tests/policy/explain").join(name).display().to_string()
}

#[test]
fn explain_names_the_deciding_statement() {
    let (code, text, _) = explain(&["--request", &fixture("scp_denies_outside_eu.json")]);
    assert_eq!(code, Some(0));
    assert!(
        text.starts_with(
            "DENIED (explicit deny): arn:aws:sts::111122223333:assumed-role/app/i-0abc s3:GetObject"
        ),
        "{text}"
    );
    assert!(text.contains("denied by: scp\n"), "{text}");
    assert!(
        text.contains("scp p-eu-only statement DenyOutsideEU (Deny): every element matches"),
        "{text}"
    );

    let (code, json, _) =
        explain(&["--request", &fixture("scp_denies_outside_eu.json"), "--format", "json"]);
    assert_eq!(code, Some(0));
    let json: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["decision"], "explicit_deny");
    assert_eq!(json["denied_by"], serde_json::json!(["scp"]));
    let deciding = json["deciding"].as_array().unwrap();
    assert_eq!(deciding.len(), 1);
    assert_eq!(
        (deciding[0]["policy"].as_str(), deciding[0]["statement"].as_str()),
        (Some("p-eu-only"), Some("DenyOutsideEU"))
    );
    // Every statement of the request is listed, each with its outcome.
    assert_eq!(json["statements"].as_array().unwrap().len(), 5);
}

#[test]
fn explain_shows_nearest_misses_and_conditions_on_unknowns() {
    let (_, text, _) = explain(&["--request", &fixture("identity_policy_misses_the_prefix.json")]);
    assert!(text.starts_with("DENIED (implicit deny"), "{text}");
    assert!(text.contains("AppRead statement ReadReports (Allow): arn:aws:s3:::data-lake/reports/q3.csv is outside its Resource"), "{text}");

    let (code, text, _) = explain(&["--request", &fixture("vpce_unknown_is_conditional.json")]);
    assert_eq!(code, Some(0));
    assert!(text.starts_with("DEPENDS"), "{text}");
    assert!(text.contains("DenyOutsideVpce (Deny): denies if StringNotEquals aws:SourceVpce [\"vpce-1a2b\"] holds (unknown)"), "{text}");
}

#[test]
fn explain_reads_stdin() {
    let request = std::fs::read(fixture("scp_denies_outside_eu.json")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args(["explain", "--request", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &request).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["decision"], "explicit_deny");
}

#[test]
fn bad_requests_are_one_line_errors_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let good: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("scp_denies_outside_eu.json")).unwrap(),
    )
    .unwrap();
    let mut typo = good.clone();
    typo["identity_polices"] = typo["identity_policies"].take();
    typo.as_object_mut().unwrap().remove("identity_policies");
    let mut operator = good.clone();
    operator["identity_policies"][0]["document"]["Statement"][0]["Condition"] =
        serde_json::json!({"StringEqual": {"aws:SourceIp": "x"}});
    let mut wrong_type = good.clone();
    wrong_type["scp"][1] = serde_json::json!({"Statement": []});
    let mut hostile = good;
    hostile["principal"] = Value::String("\u{1b}]0;owned\u{7}".into());
    let cases = [
        ("not json {", "is not JSON"),
        (&typo.to_string(), "request field `identity_polices`: not a request field"),
        (
            &operator.to_string(),
            "policy AppRead: statement ReadReports: Condition operator \"StringEqual\" is not one IAM knows",
        ),
        (&wrong_type.to_string(), "request field `scp[1]`"),
        (&hostile.to_string(), "request field `principal`: \"\\u{1b}]0;owned\\u{7}\""),
    ];
    for (i, (request, want)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("r{i}.json"));
        std::fs::write(&path, request).unwrap();
        let (code, stdout, stderr) = explain(&["--request", path.to_str().unwrap()]);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(want), "{want} not in {stderr}");
        assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    }
    let (code, _, stderr) = explain(&["--request", "/nonexistent/request.json"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("cannot read the request /nonexistent/request.json"), "{stderr}");
}
