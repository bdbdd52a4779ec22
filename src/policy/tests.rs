//! The engine end to end, one request per rule of docs/EVALUATION.md §3–§4; expected values are
//! worked out by hand from that page. (The AWS documentation cases and the differential test
//! against the independent Python evaluator live in tests/local/explain.rs.)

use super::*;
use serde_json::{Value, json};

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/app/s1";
const ROLE: &str = "arn:aws:iam::111122223333:role/app";

fn allow(action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

fn deny(action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": action, "Resource": resource}]})
}

fn grant_to(principal: Value, action: &str, resource: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource}]})
}

fn eval(request: Value) -> (String, Vec<String>) {
    let request = Request::from_json(&request).unwrap();
    let e = evaluate(&request);
    (e.decision.as_str().to_string(), e.denied_by.iter().map(|d| d.as_str().to_string()).collect())
}

fn check(name: &str, request: Value, decision: &str, denied_by: &[&str]) {
    let (got, layers) = eval(request);
    assert_eq!(
        (got.as_str(), layers.iter().map(String::as_str).collect::<Vec<_>>()),
        (decision, denied_by.to_vec()),
        "{name}"
    );
}

#[test]
fn identity_policies() {
    let base =
        json!({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"});
    let mut r = base.clone();
    check("no policies", r.clone(), "implicit_deny", &["identity_policy"]);
    r["identity_policies"] = json!([allow("s3:Get*", "arn:aws:s3:::b/*")]);
    check("allowed", r.clone(), "allowed", &[]);
    r["identity_policies"] = json!([allow("S3:GETOBJECT", "arn:aws:s3:::b/*"), deny("s3:*", "*")]);
    check("deny wins", r.clone(), "explicit_deny", &["identity_policy"]);
    r["identity_policies"] = json!([allow("s3:GetObject", "arn:aws:s3:::other/*")]);
    check("wrong resource", r, "implicit_deny", &["identity_policy"]);
    let mut r = base;
    r["action"] = json!("sts:GetCallerIdentity");
    check("GetCallerIdentity", r, "allowed", &[]);
}

#[test]
fn boundary_and_session_intersect() {
    let mut r = json!({"principal": SESSION, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "identity_policies": [allow("s3:*", "*")], "permissions_boundary": allow("ec2:*", "*")});
    check("boundary lacks s3", r.clone(), "implicit_deny", &["permissions_boundary"]);
    r["permissions_boundary"] = allow("s3:GetObject", "*");
    r["session_policy"] = allow("s3:PutObject", "*");
    check("session lacks GetObject", r.clone(), "implicit_deny", &["session_policy"]);
    r["session_policy"] = allow("*", "*");
    check("all three allow", r, "allowed", &[]);
    let fed = json!({"principal": "arn:aws:sts::111122223333:federated-user/bob", "action": "s3:GetObject",
        "resource": "arn:aws:s3:::b/k", "identity_policies": [allow("*", "*")]});
    check("federated user without session policy", fed, "implicit_deny", &["session_policy"]);
}

#[test]
fn same_account_resource_policy_grants() {
    let base = json!({"principal": SESSION, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "resource_account": "111122223333", "permissions_boundary": allow("ec2:*", "*")});
    let with = |principal: Value| {
        let mut r = base.clone();
        r["resource_policy"] = grant_to(principal, "s3:GetObject", "arn:aws:s3:::b/*");
        r
    };
    // Naming the session grants despite the boundary's implicit deny.
    check("session ARN", with(json!({"AWS": SESSION})), "allowed", &[]);
    // Naming the role: the boundary's implicit deny still stops it.
    check(
        "role ARN",
        with(json!({"AWS": ROLE})),
        "implicit_deny",
        &["permissions_boundary", "identity_policy"],
    );
    // Naming the account delegates to IAM policies, which do not allow.
    check(
        "account",
        with(json!({"AWS": "111122223333"})),
        "implicit_deny",
        &["permissions_boundary", "identity_policy"],
    );
    check("wildcard", with(json!("*")), "allowed", &[]);
}

#[test]
fn cross_account_needs_both_sides() {
    let mut r = json!({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "resource_account": "444455556666", "identity_policies": [allow("s3:GetObject", "*")]});
    check("no bucket policy", r.clone(), "implicit_deny", &["resource_policy"]);
    r["resource_policy"] = grant_to(
        json!({"AWS": "arn:aws:iam::111122223333:root"}),
        "s3:GetObject",
        "arn:aws:s3:::b/*",
    );
    check("both allow", r.clone(), "allowed", &[]);
    r["identity_policies"] = json!([]);
    check("only the bucket allows", r, "implicit_deny", &["identity_policy"]);
}

#[test]
fn scp_levels() {
    let full = allow("*", "*");
    let mut r = json!({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "identity_policies": [allow("*", "*")], "scp": [[full.clone()], [full.clone()], [full.clone()]]});
    check("FullAWSAccess everywhere", r.clone(), "allowed", &[]);
    r["scp"] = json!([[full.clone()], [allow("ec2:*", "*")], [full.clone()]]);
    check("an OU without s3", r.clone(), "implicit_deny", &["scp"]);
    r["scp"] = json!([[full.clone(), deny("s3:*", "*")], [full.clone()]]);
    check("a Deny at the root", r.clone(), "explicit_deny", &["scp"]);
    r["principal"] = json!("arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForX/s");
    r["context"] = json!({"aws:PrincipalArn": "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"});
    check("service-linked role is exempt", r, "allowed", &[]);
}

#[test]
fn rcps_only_deny_and_only_for_their_services() {
    let outside_org = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*",
        "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}}]});
    let mut r = json!({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "identity_policies": [allow("*", "*")], "rcp": [[outside_org]], "context": {"aws:PrincipalOrgID": "o-other"}});
    check("outside the org", r.clone(), "explicit_deny", &["rcp"]);
    r["context"] = json!({"aws:PrincipalOrgID": "o-abc"});
    check("inside the org", r.clone(), "allowed", &[]);
    r["rcp"] = json!([[]]);
    check("an empty RCP level still has RCPFullAWSAccess", r.clone(), "allowed", &[]);
    r["action"] = json!("ec2:DescribeInstances");
    r["resource"] = json!("*");
    r["context"] = json!({"aws:PrincipalOrgID": "o-other"});
    r["rcp"] = json!([[deny("*", "*")]]);
    check("ec2 is not an RCP service", r, "allowed", &[]);
}

#[test]
fn trust_and_key_policies_must_allow() {
    let trust = grant_to(json!({"AWS": "111122223333"}), "sts:AssumeRole", "*");
    let mut r = json!({"principal": ALICE, "action": "sts:AssumeRole", "resource": "arn:aws:iam::111122223333:role/target",
        "identity_policies": [allow("*", "*")]});
    check("no trust policy", r.clone(), "implicit_deny", &["role_trust_policy"]);
    r["resource_policy"] = trust;
    check("trust names the account, identity allows", r.clone(), "allowed", &[]);
    r["identity_policies"] = json!([]);
    check(
        "trust names the account, identity does not",
        r.clone(),
        "implicit_deny",
        &["identity_policy"],
    );
    r["resource_policy"] = grant_to(json!({"AWS": ALICE}), "sts:AssumeRole", "*");
    check("trust names the user", r, "allowed", &[]);

    let key = "arn:aws:kms:us-east-1:111122223333:key/k1";
    let root_delegation = grant_to(json!({"AWS": "arn:aws:iam::111122223333:root"}), "kms:*", "*");
    let mut r = json!({"principal": ALICE, "action": "kms:Decrypt", "resource": key,
        "identity_policies": [allow("kms:Decrypt", "*")], "resource_policy": root_delegation});
    check("key policy delegates to IAM", r.clone(), "allowed", &[]);
    r["resource_policy"] =
        grant_to(json!({"AWS": "arn:aws:iam::111122223333:role/admin"}), "kms:*", "*");
    check("key policy without root delegation", r, "implicit_deny", &["resource_policy"]);
}

#[test]
fn services_anonymous_and_root() {
    let bucket = grant_to(
        json!({"Service": "logging.s3.amazonaws.com"}),
        "s3:PutObject",
        "arn:aws:s3:::logs/*",
    );
    let mut r = json!({"principal": "logging.s3.amazonaws.com", "action": "s3:PutObject", "resource": "arn:aws:s3:::logs/x",
        "resource_policy": bucket, "scp": [[deny("*", "*")]]});
    check("service named, SCPs do not apply", r.clone(), "allowed", &[]);
    r["principal"] = json!("delivery.logs.amazonaws.com");
    check("another service", r, "implicit_deny", &["resource_policy"]);

    let public = grant_to(json!("*"), "s3:GetObject", "arn:aws:s3:::site/*");
    let mut r = json!({"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::site/i.html",
        "resource_account": "111122223333", "resource_policy": public});
    check("public read", r.clone(), "allowed", &[]);
    r["s3_block_public_access"] = json!({"RestrictPublicBuckets": true});
    check("RestrictPublicBuckets", r, "implicit_deny", &["s3_block_public_access"]);

    let root = json!({"principal": "arn:aws:iam::111122223333:root", "action": "s3:DeleteBucket",
        "resource": "arn:aws:s3:::b", "resource_account": "111122223333", "identity_policies": [deny("*", "*")]});
    check("root ignores identity policies", root.clone(), "allowed", &[]);
    let mut root = root;
    root["scp"] = json!([[allow("ec2:*", "*")]]);
    check("but not SCPs", root, "implicit_deny", &["scp"]);
}

#[test]
fn vpc_endpoint_policy() {
    let endpoint = grant_to(json!("*"), "s3:GetObject", "arn:aws:s3:::allowed/*");
    let r = json!({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::other/k",
        "identity_policies": [allow("*", "*")], "vpc_endpoint_policy": endpoint});
    check(
        "endpoint policy allows another bucket only",
        r,
        "implicit_deny",
        &["vpc_endpoint_policy"],
    );
}

#[test]
fn unknowns_make_the_answer_conditional_only_when_it_depends_on_them() {
    let vpce_only = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b"}}}]});
    let mut r = json!({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "identity_policies": [allow("*", "*"), vpce_only], "unknown_keys": ["aws:SourceVpce"]});
    check("depends on the endpoint", r.clone(), "conditional", &["identity_policy"]);
    r["identity_policies"][0] = allow("ec2:*", "*");
    // Denied either way, but explicitly or implicitly depending on the endpoint: still conditional.
    check("denied either way", r.clone(), "conditional", &["identity_policy"]);
    // The same unknown atom on both sides: exact enumeration sees it cannot both hold.
    let same_atom = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}]});
    let mut r = json!({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "identity_policies": [same_atom], "unknown_keys": ["aws:SourceVpce"]});
    check("two independent atoms", r.clone(), "conditional", &["identity_policy"]);
    r["context"] = json!({"aws:SourceVpce": "vpce-9"});
    check("known", r, "allowed", &[]);
}

#[test]
fn an_unknown_resource_matches_only_a_star() {
    let mut r = json!({"principal": ALICE, "action": "s3:GetObject", "identity_policies": [allow("s3:*", "arn:aws:s3:::b/*")]});
    check("pattern", r.clone(), "conditional", &["identity_policy"]);
    r["identity_policies"] = json!([allow("s3:*", "*")]);
    check("star", r, "allowed", &[]);
}

#[test]
fn not_principal_needs_every_identity_listed() {
    let deny_others = |listed: Value| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": listed}, "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})
    };
    let mut r = json!({"principal": SESSION, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "resource_account": "111122223333", "resource_policy": deny_others(json!([ROLE]))});
    check("role only", r.clone(), "explicit_deny", &["resource_policy"]);
    r["resource_policy"] = deny_others(json!([ROLE, SESSION, "111122223333"]));
    check("role, session and account", r.clone(), "allowed", &[]);
    r["permissions_boundary"] = allow("*", "*");
    check("a boundary makes NotPrincipal Deny apply", r, "explicit_deny", &["resource_policy"]);
}

#[test]
fn statements_are_reported_with_their_sid_or_number() {
    let policy = json!({"name": "team", "document": {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadOnly", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::other/*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}});
    let request = Request::from_json(
        &json!({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "identity_policies": [policy], "context": {"aws:SecureTransport": false}}),
    )
    .unwrap();
    let e = evaluate(&request);
    assert_eq!(e.decision, Decision::ExplicitDeny);
    let seen: Vec<_> =
        e.statements.iter().map(|s| (s.policy.as_str(), s.statement.as_str(), s.applies)).collect();
    assert_eq!(seen, [("team", "ReadOnly", Truth::False), ("team", "#2", Truth::True)]);
    assert_eq!(e.statements[0].why, statement::Why::Failed("Resource".into()));
}

#[test]
fn beyond_twelve_unknowns_three_valued_logic_stays_sound() {
    // 13 Allow statements, each on its own unknown key: too many to enumerate.
    let statements: Vec<Value> = (0..13)
        .map(|i| {
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringEquals": {format!("aws:PrincipalTag/k{i}"): "v"}}})
        })
        .collect();
    let many = json!({"Version": "2012-10-17", "Statement": statements});
    let mut r = json!({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
        "identity_policies": [many], "unknown_keys": ["aws:PrincipalTag/*"]});
    let e = evaluate(&Request::from_json(&r).unwrap());
    assert_eq!(
        (e.method, e.decision, e.unknowns.len()),
        (Method::Kleene, Decision::Conditional, 13)
    );
    // A certain Deny decides whatever the unknowns are.
    r["identity_policies"].as_array_mut().unwrap().push(deny("s3:*", "*"));
    let e = evaluate(&Request::from_json(&r).unwrap());
    assert_eq!((e.method, e.decision), (Method::Kleene, Decision::ExplicitDeny));
    assert_eq!(e.denied_by, [DeniedBy::Policy(PolicyType::IdentityBased)]);
}

#[test]
fn a_definite_answer_names_the_layers_that_refuse_in_every_case() {
    // The SCP denies for certain; the bucket policy only if the endpoint is not vpce-1.
    let bucket = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}]});
    let r = json!({"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resource_account": "111122223333",
        "identity_policies": [allow("*", "*")], "scp": [[allow("*", "*"), deny("s3:*", "*")]], "resource_policy": bucket,
        "unknown_keys": ["aws:SourceVpce"]});
    check("SCP certain, bucket policy possible", r, "explicit_deny", &["scp"]);
}
