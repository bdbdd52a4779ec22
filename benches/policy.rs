//! Evaluations per second of the offline IAM engine (`policy::evaluate`) on typical policy sets,
//! the request parsed once outside the loop:
//! - `user`: a user with 3 identity policies of 10 statements each, nothing unknown;
//! - `session`: an assumed-role session with identity policies, a permissions boundary, 3 SCP
//!   levels and a bucket policy with conditions, nothing unknown;
//! - `session-3-unknown`: the same with 3 condition keys unknown, each in one condition, so the
//!   exact enumeration runs 2³ = 8 passes after the Kleene pass.
//!
//! `cargo bench --no-default-features --bench policy` (the AWS SDK plays no part here).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use whydenied::policy::{Decision, Method, Request, evaluate};

const BUCKET: &str = "arn:aws:s3:::example-reports";

/// An identity policy of ten statements in the shape real ones have: read and write grants on
/// prefixes and tables, a few service-wide reads, a condition or two, one Deny.
fn identity_policy(team: &str) -> Value {
    let mut statements = vec![
        json!({"Sid": "ListBuckets", "Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "Resource": "*"}),
        json!({"Sid": "DenyDeleteReports", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": format!("{BUCKET}/{team}/archive/*")}),
        json!({"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": format!("arn:aws:logs:*:111122223333:log-group:/{team}/*")}),
        json!({"Sid": "Describe", "Effect": "Allow", "Action": ["ec2:Describe*", "cloudwatch:Get*", "cloudwatch:List*"], "Resource": "*"}),
        json!({"Sid": "Queue", "Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": format!("arn:aws:sqs:us-east-1:111122223333:{team}-*")}),
        json!({"Sid": "Table", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"], "Resource": format!("arn:aws:dynamodb:us-east-1:111122223333:table/{team}-*"),
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:Attributes": ["id", "state", "owner"]}}}),
        json!({"Sid": "Secrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": format!("arn:aws:secretsmanager:us-east-1:111122223333:secret:{team}/*"),
            "Condition": {"StringEquals": {"aws:ResourceTag/team": team}}}),
        json!({"Sid": "Keys", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "arn:aws:kms:us-east-1:111122223333:key/*",
            "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}}),
        json!({"Sid": "Functions", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": format!("arn:aws:lambda:us-east-1:111122223333:function:{team}-*")}),
    ];
    statements.push(json!({"Sid": "Reports", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("{BUCKET}/{team}/*"),
        "Condition": {"Bool": {"aws:SecureTransport": "true"}}}));
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Case (a): alice reads a report of the third team whose policy she holds.
fn user() -> Value {
    json!({
        "principal": "arn:aws:iam::111122223333:user/alice",
        "action": "s3:GetObject",
        "resource": format!("{BUCKET}/analytics/2026/q1.csv"),
        "context": {"aws:SecureTransport": true, "aws:SourceIp": "203.0.113.9", "aws:username": "alice"},
        "identity_policies": [identity_policy("billing"), identity_policy("platform"), identity_policy("analytics")],
    })
}

/// Case (b): a session of the analytics role under a boundary, three SCP levels (FullAWSAccess at
/// the root, a region guard at the OU, a network guard on the account) and a bucket policy that
/// requires TLS and the organisation and grants the role.
fn session() -> Value {
    let full_aws_access = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    json!({
        "principal": "arn:aws:sts::111122223333:assumed-role/analytics/job-42",
        "action": "s3:GetObject",
        "resource": format!("{BUCKET}/analytics/2026/q1.csv"),
        "resource_account": "111122223333",
        "context": {
            "aws:SecureTransport": true,
            "aws:SourceIp": "10.20.30.40",
            "aws:PrincipalOrgID": "o-example",
            "aws:RequestedRegion": "us-east-1",
            "aws:PrincipalTag/team": "analytics",
            "aws:MultiFactorAuthPresent": false,
        },
        "identity_policies": [identity_policy("analytics"), identity_policy("shared")],
        "permissions_boundary": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "logs:*", "sqs:*", "dynamodb:*", "kms:Decrypt"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["ec2:Describe*", "cloudwatch:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": ["iam:*", "organizations:*"], "Resource": "*"},
            {"Effect": "Deny", "NotAction": ["s3:*", "logs:*"], "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}, "StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("{BUCKET}/*"), "Condition": {"StringEquals": {"aws:PrincipalTag/team": "analytics"}}},
        ]},
        "scp": [
            [full_aws_access.clone()],
            [full_aws_access.clone(), {"Version": "2012-10-17", "Statement": [
                {"Sid": "Regions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "support:*"], "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
                {"Sid": "KeepTrail", "Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"], "Resource": "*"},
            ]}],
            [full_aws_access, {"Version": "2012-10-17", "Statement": [
                {"Sid": "Network", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                    "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}}},
            ]}],
        ],
        "resource_policy": {"Version": "2012-10-17", "Statement": [
            {"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [BUCKET, format!("{BUCKET}/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "Org", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [BUCKET, format!("{BUCKET}/*")],
                "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-example"}}},
            {"Sid": "Analytics", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/analytics"},
                "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [BUCKET, format!("{BUCKET}/analytics/*")]},
        ]},
    })
}

/// Case (c): case (b) with the organisation, the source address and the team tag unknown.
fn session_with_unknowns() -> Value {
    let mut request = session();
    let context = request["context"].as_object_mut().expect("an object");
    let unknown = ["aws:PrincipalOrgID", "aws:SourceIp", "aws:PrincipalTag/team"];
    for key in unknown {
        context.remove(key);
    }
    request["unknown_keys"] = json!(unknown);
    request
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("user", user(), Decision::Allowed, 0),
        ("session", session(), Decision::Allowed, 0),
        ("session-3-unknown", session_with_unknowns(), Decision::Conditional, 3),
    ];
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(1));
    for (name, json, decision, unknowns) in cases {
        let request = Request::from_json(&json).expect("a valid request");
        // The workload is what its name says: a change to the policies above that alters the
        // decision or the enumeration would make the numbers mean something else.
        let e = evaluate(&request);
        assert_eq!(
            (e.decision, e.method, e.unknowns.len()),
            (decision, Method::Exact, unknowns),
            "{name}"
        );
        group.bench_function(name, |b| b.iter(|| evaluate(black_box(&request))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
