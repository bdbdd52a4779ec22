//! The policies of the sample's organization, which [`super::snapshot`] writes as the policy
//! snapshot `sample-logs/policies/` (POLICY.md §2.2), so that `whydenied scan
//! sample-logs/ --policies sample-logs/policies` can name the statement behind the sample's
//! denials. The same documents feed the generator's own truth ([`super::truth`]), so the truth
//! and the snapshot cannot drift apart.
//!
//! The world, in short: account 111122223333 manages the organization `o-a1b2c3d4e5` (no SCPs
//! apply to it); 444455556666 sits in the `Workloads` OU under the `WorkloadGuardrails` SCP
//! (`p-abcd1234`, the policy the trail's messages name), 777788889999 in the `Sandbox` OU under
//! `RegionLock` (`DenyOutsideApprovedRegions`: nothing outside us-east-1 but global services).
//! Every account has the same users, groups and roles, each allowed a few actions on `*`; the
//! `developers` group denies DynamoDB writes, the SSO read-only role denies secret reads and
//! kms:Decrypt, `DataPipelineRole` and `ci-deployer` have permissions boundaries with denies.
//! Bucket policies grant cross-account pipelines and services and deny writes from the member
//! accounts, deletions of backups and of the data lake; one bucket has no policy
//! (`NoSuchBucketPolicy`), one was not captured (`AccessDenied`); key policies delegate to IAM,
//! none allows a service principal, one refuses new data keys. Nothing here is random: the trail's
//! RNG is not touched, so writing the snapshot leaves `AWSLogs/` byte-identical.

use serde_json::{Value, json};

use super::{ACCOUNTS, BUCKETS, KMS_KEYS, ORG, STORY_BUCKET, STORY_SERVICE};

/// The management account: SCPs never apply to it.
pub(super) const MANAGEMENT: &str = "111122223333";
pub(super) const ROOT_ID: &str = "r-a1b2";
pub(super) const WORKLOADS_OU: &str = "ou-a1b2-wkld0001";
pub(super) const SANDBOX_OU: &str = "ou-a1b2-sbox0001";
/// When the snapshot's policies were created: before the trail, so nothing in it is "new".
pub(super) const CREATED: &str = "2026-01-15T09:00:00Z";
/// The bucket without a policy (known absent) and the one whose policy could not be read.
pub(super) const BUCKET_WITHOUT_POLICY: &str = "static-assets-web";
pub(super) const BUCKET_NOT_CAPTURED: &str = "customer-uploads-eu";
/// Regions the `RegionLock` SCP leaves open.
const APPROVED_REGIONS: &[&str] = &["us-east-1"];
/// The account and region whose `describe-vpc-endpoints` holds [`VPC_ENDPOINT`].
pub(super) const ENDPOINT_HOME: (&str, &str) = ("111122223333", "us-east-1");

/// One service control policy: id, name, document, and the organization nodes it is attached to.
pub(super) struct Scp {
    pub id: &'static str,
    pub name: &'static str,
    pub doc: Value,
    pub targets: Vec<&'static str>,
}

impl Scp {
    /// The ARN POLICY.md §2.3 names it by (AWS-managed policies live in the `aws` account).
    pub fn arn(&self) -> String {
        if self.id == "p-FullAWSAccess" {
            "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess".to_owned()
        } else {
            format!(
                "arn:aws:organizations::{MANAGEMENT}:policy/{ORG}/service_control_policy/{}",
                self.id
            )
        }
    }
}

/// The SCPs of the organization; FullAWSAccess is attached to every node, as AWS does.
pub(super) fn scps() -> Vec<Scp> {
    let global = [
        "iam:*",
        "sts:*",
        "organizations:*",
        "account:*",
        "support:*",
        "cloudfront:*",
        "route53:*",
        "budgets:*",
        "ce:*",
        "health:*",
        "s3:ListAllMyBuckets",
    ];
    vec![
        Scp {
            id: "p-FullAWSAccess",
            name: "FullAWSAccess",
            doc: json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
            targets: [ROOT_ID, WORKLOADS_OU, SANDBOX_OU].into_iter().chain(ACCOUNTS).collect(),
        },
        Scp {
            id: "p-abcd1234",
            name: "WorkloadGuardrails",
            doc: json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "DenyObjectDeletion", "Effect": "Deny", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": "*"},
                {"Sid": "DenyIamRoleWrites", "Effect": "Deny", "Action": ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"], "Resource": "*"},
                {"Sid": "DenyInstanceLifecycle", "Effect": "Deny", "Action": ["ec2:RunInstances", "ec2:TerminateInstances"], "Resource": "*"},
            ]}),
            targets: vec![WORKLOADS_OU],
        },
        Scp {
            id: "p-5ca1ab1e",
            name: "RegionLock",
            doc: json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "DenyOutsideApprovedRegions", "Effect": "Deny", "NotAction": global, "Resource": "*",
                 "Condition": {"StringNotEquals": {"aws:RequestedRegion": APPROVED_REGIONS}}},
            ]}),
            targets: vec![SANDBOX_OU],
        },
    ]
}

/// The organization node each account hangs under.
pub(super) fn parent_of(account: &str) -> &'static str {
    match account {
        "444455556666" => WORKLOADS_OU,
        "777788889999" => SANDBOX_OU,
        _ => ROOT_ID,
    }
}

/// The SCPs that govern a principal of `account`, root first (none for the management account).
pub(super) fn scp_chain(account: &str) -> Vec<Scp> {
    if account == MANAGEMENT || !ACCOUNTS.contains(&account) {
        return Vec::new();
    }
    let nodes = [ROOT_ID, parent_of(account), account];
    scps().into_iter().filter(|p| p.targets.iter().any(|t| nodes.contains(t))).collect()
}

fn allow(actions: &[&str]) -> Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": "*"})
}

fn deny(sid: &str, actions: &[&str]) -> Value {
    json!({"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": "*"})
}

fn document(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The customer-managed policies of `account`: (ARN, document).
pub(super) fn managed(account: &str) -> Vec<(String, Value)> {
    let arn = |name: &str| format!("arn:aws:iam::{account}:policy/{name}");
    vec![
        (
            arn("DeveloperAccess"),
            document(vec![allow(&[
                "sts:AssumeRole",
                "s3:ListAllMyBuckets",
                "s3:GetBucketLocation",
                "ec2:Describe*",
                "cloudwatch:GetMetricData",
                "cloudwatch:ListMetrics",
                "dynamodb:DescribeTable",
                "dynamodb:PutItem",
                "lambda:GetFunction",
                "logs:Get*",
            ])]),
        ),
        (
            arn("CiDeployerBoundary"),
            document(vec![
                allow(&[
                    "s3:*",
                    "lambda:*",
                    "cloudformation:*",
                    "iam:GetRole",
                    "iam:PassRole",
                    "sts:AssumeRole",
                ]),
                deny("DenyIamWrites", &["iam:Create*", "iam:Put*", "iam:Attach*", "iam:Delete*"]),
            ]),
        ),
        (
            arn("DataPipelineBoundary"),
            document(vec![
                allow(&[
                    "s3:*",
                    "glue:*",
                    "kms:Decrypt",
                    "kms:GenerateDataKey",
                    "kms:DescribeKey",
                    "logs:*",
                    "sts:AssumeRole",
                ]),
                deny("DenyDynamoDb", &["dynamodb:*"]),
            ]),
        ),
        (
            arn("EksNodeAccess"),
            document(vec![allow(&[
                "ec2:Describe*",
                "ecr:GetAuthorizationToken",
                "ecr:BatchGetImage",
                "s3:GetObject",
                "kms:Decrypt",
                "sts:AssumeRole",
            ])]),
        ),
    ]
}

/// The AWS-managed policy the break-glass role carries.
pub(super) const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// Inline policies: `(name, document)`.
pub(super) type Inline = Vec<(&'static str, Value)>;
/// A role as written: path, name, inline policies, attached ARNs, boundary, trust policy.
type RoleRow = (&'static str, &'static str, Inline, Vec<String>, Option<String>, Value);

/// A user or role as the evaluation needs it: its ARN, inline and attached policies, boundary.
pub(super) struct Entity {
    pub arn: String,
    /// `(name, document)` of each inline policy.
    pub inline: Inline,
    pub attached: Vec<String>,
    pub groups: Vec<&'static str>,
    pub boundary: Option<String>,
    /// Roles only.
    pub trust: Option<Value>,
}

/// Every document of a managed policy of `account` (customer-managed or the AWS-managed one).
pub(super) fn managed_document(account: &str, arn: &str) -> Option<Value> {
    if arn == ADMINISTRATOR_ACCESS {
        return Some(document(vec![allow(&["*"])]));
    }
    managed(account).into_iter().find(|(a, _)| a == arn).map(|(_, doc)| doc)
}

/// The `developers` group: (inline policies, attached policies).
pub(super) fn group(account: &str, name: &str) -> Option<(Inline, Vec<String>)> {
    (name == "developers").then(|| {
        let inline = vec![(
            "deny-table-writes",
            document(vec![deny(
                "DenyTableWrites",
                &["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"],
            )]),
        )];
        (inline, vec![format!("arn:aws:iam::{account}:policy/DeveloperAccess")])
    })
}

fn user(account: &str, name: &'static str) -> Entity {
    let policy = |n: &str| format!("arn:aws:iam::{account}:policy/{n}");
    let (inline, groups, boundary) = match name {
        "alice" | "bob" => (vec![], vec!["developers"], None),
        "ci-deployer" => (
            vec![(
                "deploy",
                document(vec![allow(&[
                    "sts:AssumeRole",
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:ListBucket",
                    "lambda:UpdateFunctionCode",
                    "lambda:CreateFunction",
                    "iam:PassRole",
                    "iam:GetRole",
                    "cloudformation:*",
                ])]),
            )],
            vec![],
            Some(policy("CiDeployerBoundary")),
        ),
        "federation-broker" => {
            (vec![("federate", document(vec![allow(&["sts:GetFederationToken"])]))], vec![], None)
        }
        // The second story's user after it granted itself everything (the snapshot is taken later).
        _ => (vec![("admin-now", document(vec![allow(&["*"])]))], vec![], None),
    };
    let arn = format!("arn:aws:iam::{account}:user/{name}");
    Entity { arn, inline, attached: vec![], groups, boundary, trust: None }
}

/// Users of `account`: the sample's callers, the federated users' broker and the story's intern.
pub(super) fn users(account: &str) -> Vec<Entity> {
    let mut names = vec!["alice", "bob", "ci-deployer", "federation-broker"];
    if account == "111122223333" {
        names.push(super::STORY_USER);
    }
    names.into_iter().map(|n| user(account, n)).collect()
}

/// A trust policy admitting one kind of principal to `sts:AssumeRole`.
fn trust(principal: Value) -> Value {
    document(vec![json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})])
}

/// Roles of `account`: (path, name, entity). The path is part of the ARN CloudTrail logs.
pub(super) fn roles(account: &str) -> Vec<(&'static str, &'static str, Entity)> {
    let policy = |n: &str| format!("arn:aws:iam::{account}:policy/{n}");
    let sso = json!({"Federated": format!("arn:aws:iam::{account}:saml-provider/AWSSSO_5f1e2d3c4b5a6978_DO_NOT_DELETE")});
    let sso_trust = document(vec![
        json!({"Effect": "Allow", "Principal": sso, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"], "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}),
    ]);
    let read_only = document(vec![
        allow(&[
            "sts:AssumeRole",
            "s3:Get*",
            "s3:List*",
            "ec2:Describe*",
            "iam:Get*",
            "iam:List*",
            "dynamodb:Describe*",
            "cloudwatch:Get*",
            "cloudwatch:List*",
            "kms:Describe*",
            "kms:List*",
            "lambda:Get*",
            "lambda:List*",
        ]),
        deny("DenyDataPlaneSecrets", &["secretsmanager:GetSecretValue", "kms:Decrypt"]),
    ]);
    let service = |s: &str| trust(json!({"Service": s}));
    let mut roles: Vec<RoleRow> = vec![
        (
            "/aws-reserved/sso.amazonaws.com/",
            "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b",
            vec![("AwsSSOInlinePolicy", document(vec![allow(&["*"])]))],
            vec![],
            None,
            sso_trust.clone(),
        ),
        (
            "/aws-reserved/sso.amazonaws.com/",
            "AWSReservedSSO_ReadOnly_9f8e7d6c5b4a3f2e",
            vec![("AwsSSOInlinePolicy", read_only)],
            vec![],
            None,
            sso_trust,
        ),
        (
            "/service-role/",
            "lambda-exec",
            vec![(
                "lambda-basic",
                document(vec![allow(&[
                    "sts:AssumeRole",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "xray:PutTraceSegments",
                ])]),
            )],
            vec![],
            None,
            service("lambda.amazonaws.com"),
        ),
        (
            "/",
            "DataPipelineRole",
            vec![(
                "pipeline-access",
                document(vec![allow(&[
                    "s3:GetObject",
                    "s3:ListBucket",
                    "s3:PutObject",
                    "glue:*",
                    "kms:Decrypt",
                    "kms:GenerateDataKey",
                    "sts:AssumeRole",
                ])]),
            )],
            vec![],
            Some(policy("DataPipelineBoundary")),
            service("glue.amazonaws.com"),
        ),
        (
            "/",
            "eks-node-role",
            vec![],
            vec![policy("EksNodeAccess")],
            None,
            service("ec2.amazonaws.com"),
        ),
        (
            "/analytics/",
            "AthenaQueryRole",
            vec![(
                "athena",
                document(vec![allow(&[
                    "sts:AssumeRole",
                    "athena:*",
                    "glue:Get*",
                    "s3:GetObject",
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                ])]),
            )],
            vec![],
            None,
            service("athena.amazonaws.com"),
        ),
        (
            "/",
            "OrganizationAccountAccessRole",
            vec![],
            vec![ADMINISTRATOR_ACCESS.to_owned()],
            None,
            trust(json!({"AWS": format!("arn:aws:iam::{MANAGEMENT}:root")})),
        ),
        (
            "/",
            "deploy-role",
            vec![("deploy", document(vec![allow(&["cloudformation:*"])]))],
            vec![],
            None,
            trust(json!({"AWS": format!("arn:aws:iam::{account}:user/ci-deployer")})),
        ),
        (
            "/",
            "audit-reader",
            vec![("audit", document(vec![allow(&["iam:Get*", "iam:List*"])]))],
            vec![],
            None,
            trust(json!({"AWS": format!("arn:aws:iam::{MANAGEMENT}:role/SecurityAudit")})),
        ),
    ];
    if account == MANAGEMENT {
        roles.push((
            "/",
            "SecurityAudit",
            vec![(
                "audit",
                document(vec![allow(&[
                    "iam:Get*",
                    "iam:List*",
                    "organizations:Describe*",
                    "account:GetAccountInformation",
                ])]),
            )],
            vec![],
            None,
            trust(json!({"AWS": format!("arn:aws:iam::{MANAGEMENT}:root")})),
        ));
        roles.push((
            "/",
            "app",
            vec![("app", document(vec![allow(&["dynamodb:GetItem", "s3:GetObject"])]))],
            vec![],
            None,
            service("ec2.amazonaws.com"),
        ));
    }
    roles
        .into_iter()
        .map(|(path, name, inline, attached, boundary, trust)| {
            let arn = format!("arn:aws:iam::{account}:role{path}{name}");
            (
                path,
                name,
                Entity { arn, inline, attached, groups: vec![], boundary, trust: Some(trust) },
            )
        })
        .collect()
}

/// The owner of a bucket of the sample.
pub(super) fn bucket_owner(bucket: &str) -> Option<&'static str> {
    BUCKETS.iter().find(|(b, _)| *b == bucket).map(|(_, owner)| *owner)
}

fn on_bucket(bucket: &str) -> Value {
    json!([format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")])
}

fn deny_insecure_transport(bucket: &str) -> Value {
    json!({"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
           "Resource": on_bucket(bucket), "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
}

/// The pipeline roles of the organization's other accounts, which read each other's data.
fn pipelines_except(owner: &str) -> Vec<String> {
    ACCOUNTS
        .iter()
        .filter(|a| **a != owner)
        .map(|a| format!("arn:aws:iam::{a}:role/DataPipelineRole"))
        .collect()
}

/// CloudTrail's two statements: the document the first story's `PutBucketPolicy` writes.
pub(super) fn cloudtrail_statements(bucket: &str, account: &str) -> Vec<Value> {
    vec![
        json!({"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
               "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{bucket}")}),
        json!({"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
               "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/AWSLogs/{account}/*"),
               "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}),
    ]
}

/// The bucket policy in the snapshot: `None` for a bucket without one (and the uncaptured one).
pub(super) fn bucket_policy(bucket: &str) -> Option<Value> {
    let objects = format!("arn:aws:s3:::{bucket}/*");
    let read = json!(["s3:GetObject", "s3:ListBucket"]);
    let statements = match bucket {
        "prod-data-111122223333" => vec![
            deny_insecure_transport(bucket),
            json!({"Sid": "AllowPipelineRead", "Effect": "Allow", "Principal": {"AWS": pipelines_except("111122223333")},
                   "Action": read, "Resource": on_bucket(bucket)}),
            json!({"Sid": "DenyWritesFromMemberAccounts", "Effect": "Deny",
                   "Principal": {"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::777788889999:root"]},
                   "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": objects}),
        ],
        STORY_BUCKET => {
            // Fixed after the first story: log delivery may write again.
            let mut fixed = cloudtrail_statements(bucket, "111122223333");
            fixed.push(json!({"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": {"Service": STORY_SERVICE},
                "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/AWSLogs/111122223333/*"),
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}));
            fixed
        }
        "terraform-state-shared" => vec![
            deny_insecure_transport(bucket),
            json!({"Sid": "AllowMemberDeployers", "Effect": "Allow",
                   "Principal": {"AWS": ["arn:aws:iam::444455556666:user/ci-deployer", "arn:aws:iam::777788889999:user/ci-deployer"]},
                   "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": on_bucket(bucket)}),
        ],
        "ml-training-444455556666" => vec![
            json!({"Sid": "AllowPipelineRead", "Effect": "Allow", "Principal": {"AWS": pipelines_except("444455556666")},
                   "Action": read, "Resource": on_bucket(bucket)}),
        ],
        "backups-777788889999" => {
            vec![json!({"Sid": "DenyBackupDeletion", "Effect": "Deny", "Principal": "*",
                   "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": objects})]
        }
        "data-lake-raw" => vec![
            json!({"Sid": "AllowPipelineRead", "Effect": "Allow", "Principal": {"AWS": pipelines_except("777788889999")},
                   "Action": read, "Resource": on_bucket(bucket)}),
            json!({"Sid": "AllowPartnerRead", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:root", super::FOREIGN_ACCOUNT)},
                   "Action": read, "Resource": on_bucket(bucket)}),
            json!({"Sid": "DenyObjectDeletion", "Effect": "Deny", "Principal": "*",
                   "Action": "s3:DeleteObject*", "Resource": objects}),
        ],
        _ => return None,
    };
    Some(document(statements))
}

/// The key policy of a sample key: IAM decides for the account; no service principal is
/// admitted; the third key is kept for decrypting old data only.
pub(super) fn key_policy(account: &str, key_id: &str) -> Value {
    let mut statements = vec![json!({"Sid": "EnableIamUserPermissions", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "kms:*", "Resource": "*"})];
    if key_id == KMS_KEYS[2] {
        statements.push(json!({"Sid": "DenyNewDataKeys", "Effect": "Deny", "Principal": "*",
            "Action": ["kms:Encrypt", "kms:GenerateDataKey*"], "Resource": "*"}));
    }
    document(statements)
}

/// The policy of the sample's S3 gateway endpoint: S3 only, and no writes to the public bucket.
pub(super) fn endpoint_policy() -> Value {
    json!({"Version": "2008-10-17", "Statement": [
        {"Sid": "AllowS3", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        {"Sid": "DenyPublicBucketWrites", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": format!("arn:aws:s3:::{BUCKET_WITHOUT_POLICY}/*")},
    ]})
}
