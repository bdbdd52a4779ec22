//! The policies of the sample's organization, written as the policy snapshot `sample-logs/policies/`
//! in the layout of POLICY.md §2.2 (verbatim AWS CLI v2 outputs), so that `whydenied scan
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

use super::{ACCOUNTS, BUCKETS, KMS_KEYS, ORG, REGIONS, STORY_BUCKET, STORY_SERVICE, VPC_ENDPOINT};

/// The management account: SCPs never apply to it.
pub(super) const MANAGEMENT: &str = "111122223333";
const ROOT_ID: &str = "r-a1b2";
const WORKLOADS_OU: &str = "ou-a1b2-wkld0001";
const SANDBOX_OU: &str = "ou-a1b2-sbox0001";
/// When the snapshot's policies were created: before the trail, so nothing in it is "new".
const CREATED: &str = "2026-01-15T09:00:00Z";
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

/// A customer-managed policy of `account`: name, document.
fn managed(account: &str) -> Vec<(String, Value)> {
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
const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

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
pub(super) fn group(
    account: &str,
    name: &str,
) -> Option<(Inline, Vec<String>)> {
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

/// A stable unique id for an IAM entity (`AIDA…`/`AROA…`/`ANPA…`), from its ARN.
fn unique_id(prefix: &str, arn: &str) -> String {
    format!("{prefix}{:016X}", super::fnv(arn))
}

fn inline_list(inline: &[(&'static str, Value)]) -> Vec<Value> {
    inline.iter().map(|(name, doc)| json!({"PolicyName": name, "PolicyDocument": doc})).collect()
}

fn attached_list(attached: &[String]) -> Vec<Value> {
    let name = |arn: &String| arn.rsplit('/').next().unwrap_or(arn).to_owned();
    attached.iter().map(|arn| json!({"PolicyName": name(arn), "PolicyArn": arn})).collect()
}

fn boundary(arn: &Option<String>) -> Value {
    arn.as_ref().map_or(
        Value::Null,
        |arn| json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}),
    )
}

/// `aws iam get-account-authorization-details` of `account`, documents decoded as the CLI does.
fn authorization_details(account: &str) -> Value {
    let users: Vec<Value> = users(account)
        .iter()
        .map(|u| {
            let name = u.arn.rsplit('/').next().unwrap_or_default();
            let mut v = json!({"Path": "/", "UserName": name, "UserId": unique_id("AIDA", &u.arn), "Arn": u.arn,
                "CreateDate": CREATED, "UserPolicyList": inline_list(&u.inline), "GroupList": u.groups,
                "AttachedManagedPolicies": attached_list(&u.attached), "Tags": []});
            if u.boundary.is_some() {
                v["PermissionsBoundary"] = boundary(&u.boundary);
            }
            v
        })
        .collect();
    let (group_inline, group_attached) = group(account, "developers").unwrap_or_default();
    let group_arn = format!("arn:aws:iam::{account}:group/developers");
    let groups = vec![
        json!({"Path": "/", "GroupName": "developers", "GroupId": unique_id("AGPA", &group_arn),
        "Arn": group_arn, "CreateDate": CREATED, "GroupPolicyList": inline_list(&group_inline),
        "AttachedManagedPolicies": attached_list(&group_attached)}),
    ];
    let roles: Vec<Value> = roles(account)
        .iter()
        .map(|(path, name, r)| {
            let mut v = json!({"Path": path, "RoleName": name, "RoleId": unique_id("AROA", &r.arn), "Arn": r.arn,
                "CreateDate": CREATED, "AssumeRolePolicyDocument": r.trust, "InstanceProfileList": [],
                "RolePolicyList": inline_list(&r.inline), "AttachedManagedPolicies": attached_list(&r.attached),
                "Tags": [], "RoleLastUsed": {}});
            if r.boundary.is_some() {
                v["PermissionsBoundary"] = boundary(&r.boundary);
            }
            v
        })
        .collect();
    let mut policies: Vec<(String, Value)> = managed(account);
    policies.push((ADMINISTRATOR_ACCESS.to_owned(), document(vec![allow(&["*"])])));
    let policies: Vec<Value> = policies
        .into_iter()
        .map(|(arn, doc)| {
            let name = arn.rsplit('/').next().unwrap_or_default().to_owned();
            let boundaries = usize::from(name.ends_with("Boundary"));
            json!({"PolicyName": name, "PolicyId": unique_id("ANPA", &arn), "Arn": arn, "Path": "/",
                "DefaultVersionId": "v1", "AttachmentCount": 1 - boundaries,
                "PermissionsBoundaryUsageCount": boundaries, "IsAttachable": true,
                "CreateDate": CREATED, "UpdateDate": CREATED,
                "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": CREATED}]})
        })
        .collect();
    json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies})
}

const NO_SUCH_BUCKET_POLICY: &str = "\nAn error occurred (NoSuchBucketPolicy) when calling the GetBucketPolicy operation: The bucket policy does not exist\n";
const BUCKET_POLICY_DENIED: &str = "\nAn error occurred (AccessDenied) when calling the GetBucketPolicy operation: Access Denied\n";

/// The files of the snapshot, as (path under `policies/`, content): written by the caller.
pub(super) fn snapshot_files(captured_at: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, Value)> = Vec::new();
    let mut errors: Vec<(String, &str)> = Vec::new();
    files.push((
        "SNAPSHOT.json".into(),
        json!({"captured_at": captured_at, "tool": "gen_trail", "partition": "aws"}),
    ));
    let all_blocked = json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}});
    for account in ACCOUNTS {
        let dir = format!("accounts/{account}");
        files.push((format!("{dir}/sts-get-caller-identity.json"), json!({
            "UserId": "AROAAUDITSNAPSHOT0001:snapshot", "Account": account,
            "Arn": format!("arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/snapshot")})));
        files.push((
            format!("{dir}/iam/get-account-authorization-details.json"),
            authorization_details(account),
        ));
        files.push((format!("{dir}/s3control/get-public-access-block.json"), all_blocked.clone()));
        let owned: Vec<&str> =
            BUCKETS.iter().filter(|(_, o)| *o == account).map(|(b, _)| *b).collect();
        let listed: Vec<Value> =
            owned.iter().map(|b| json!({"Name": b, "CreationDate": CREATED})).collect();
        files.push((format!("{dir}/s3/list-buckets.json"), json!({"Buckets": listed,
            "Owner": {"DisplayName": format!("aws-{account}"), "ID": format!("{:016x}{:016x}{:016x}{:016x}", super::fnv(account), super::fnv(account) ^ 1, super::fnv(account) ^ 2, super::fnv(account) ^ 3)}})));
        for bucket in owned {
            let b = format!("{dir}/s3/buckets/{bucket}");
            match bucket_policy(bucket) {
                Some(doc) => files.push((
                    format!("{b}/get-bucket-policy.json"),
                    json!({"Policy": doc.to_string()}),
                )),
                None if bucket == BUCKET_NOT_CAPTURED => {
                    errors.push((format!("{b}/get-bucket-policy.err"), BUCKET_POLICY_DENIED))
                }
                None => errors.push((format!("{b}/get-bucket-policy.err"), NO_SUCH_BUCKET_POLICY)),
            }
            files.push((format!("{b}/get-public-access-block.json"), all_blocked.clone()));
            files.push((
                format!("{b}/get-bucket-policy-status.json"),
                json!({"PolicyStatus": {"IsPublic": false}}),
            ));
            files.push((format!("{b}/get-bucket-ownership-controls.json"),
                json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}})));
        }
        for region in REGIONS {
            for key in KMS_KEYS {
                let k = format!("{dir}/kms/{region}/keys/{key}");
                let arn = format!("arn:aws:kms:{region}:{account}:key/{key}");
                files.push((format!("{k}/describe-key.json"), json!({"KeyMetadata": {
                    "AWSAccountId": account, "KeyId": key, "Arn": arn, "CreationDate": CREATED,
                    "Enabled": true, "Description": "", "KeyUsage": "ENCRYPT_DECRYPT", "KeyState": "Enabled",
                    "Origin": "AWS_KMS", "KeyManager": "CUSTOMER", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
                    "KeySpec": "SYMMETRIC_DEFAULT", "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"], "MultiRegion": false}})));
                files.push((format!("{k}/get-key-policy.json"),
                    json!({"Policy": key_policy(account, key).to_string(), "PolicyName": "default"})));
            }
        }
        if account == ENDPOINT_HOME.0 {
            let region = ENDPOINT_HOME.1;
            files.push((format!("{dir}/ec2/{region}/describe-vpc-endpoints.json"), json!({"VpcEndpoints": [{
                "VpcEndpointId": VPC_ENDPOINT, "VpcEndpointType": "Gateway", "VpcId": "vpc-0c1d2e3f4a5b6c7d8",
                "ServiceName": format!("com.amazonaws.{region}.s3"), "State": "available",
                "PolicyDocument": endpoint_policy().to_string(), "RouteTableIds": ["rtb-0a1b2c3d4e5f60718"],
                "SubnetIds": [], "Groups": [], "PrivateDnsEnabled": false, "RequesterManaged": false,
                "NetworkInterfaceIds": [], "DnsEntries": [], "CreationTimestamp": CREATED, "Tags": [],
                "OwnerId": account}]})));
        }
    }
    organization(&mut files);
    let mut out: Vec<(String, String)> = files
        .into_iter()
        .map(|(path, v)| (path, serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"))
        .collect();
    out.extend(errors.into_iter().map(|(path, text)| (path, text.to_owned())));
    out.sort();
    out
}

/// The `organization/` tree of POLICY.md §2.2.
fn organization(files: &mut Vec<(String, Value)>) {
    let org_arn =
        |kind: &str, id: &str| format!("arn:aws:organizations::{MANAGEMENT}:{kind}/{ORG}/{id}");
    let scp_enabled = json!([{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]);
    files.push(("organization/describe-organization.json".into(), json!({"Organization": {
        "Id": ORG, "Arn": format!("arn:aws:organizations::{MANAGEMENT}:organization/{ORG}"), "FeatureSet": "ALL",
        "MasterAccountArn": org_arn("account", MANAGEMENT), "MasterAccountId": MANAGEMENT,
        "MasterAccountEmail": "aws-management@example.com", "AvailablePolicyTypes": scp_enabled}})));
    files.push(("organization/list-roots.json".into(), json!({"Roots": [{
        "Id": ROOT_ID, "Arn": org_arn("root", ROOT_ID), "Name": "Root", "PolicyTypes": scp_enabled}]})));
    let ou = |id: &str, name: &str| json!({"Id": id, "Arn": org_arn("ou", id), "Name": name});
    let account = |id: &str| {
        json!({"Id": id, "Arn": org_arn("account", id), "Email": format!("aws-{id}@example.com"),
        "Name": format!("account-{id}"), "Status": "ACTIVE", "JoinedMethod": "CREATED", "JoinedTimestamp": CREATED})
    };
    for (node, ous) in [
        (ROOT_ID, vec![ou(WORKLOADS_OU, "Workloads"), ou(SANDBOX_OU, "Sandbox")]),
        (WORKLOADS_OU, vec![]),
        (SANDBOX_OU, vec![]),
    ] {
        let accounts: Vec<Value> =
            ACCOUNTS.iter().filter(|a| parent_of(a) == node).map(|a| account(a)).collect();
        files.push((
            format!("organization/parents/{node}/list-organizational-units-for-parent.json"),
            json!({"OrganizationalUnits": ous}),
        ));
        files.push((
            format!("organization/parents/{node}/list-accounts-for-parent.json"),
            json!({"Accounts": accounts}),
        ));
    }
    let summary = |p: &Scp| {
        json!({"Id": p.id, "Arn": p.arn(), "Name": p.name,
        "Description": if p.id == "p-FullAWSAccess" { "Allows access to every operation" } else { "" },
        "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": p.id == "p-FullAWSAccess"})
    };
    let all = scps();
    files.push((
        "organization/list-policies-SERVICE_CONTROL_POLICY.json".into(),
        json!({"Policies": all.iter().map(summary).collect::<Vec<_>>()}),
    ));
    for p in &all {
        let dir = format!("organization/policies/{}", p.id);
        files.push((
            format!("{dir}/describe-policy.json"),
            json!({"Policy": {"PolicySummary": summary(p), "Content": p.doc.to_string()}}),
        ));
        let targets: Vec<Value> = p
            .targets
            .iter()
            .map(|t| {
                let (kind, name, arn) = match *t {
                    ROOT_ID => ("ROOT", "Root".to_owned(), org_arn("root", t)),
                    WORKLOADS_OU => {
                        ("ORGANIZATIONAL_UNIT", "Workloads".to_owned(), org_arn("ou", t))
                    }
                    SANDBOX_OU => ("ORGANIZATIONAL_UNIT", "Sandbox".to_owned(), org_arn("ou", t)),
                    _ => ("ACCOUNT", format!("account-{t}"), org_arn("account", t)),
                };
                json!({"TargetId": t, "Arn": arn, "Name": name, "Type": kind})
            })
            .collect();
        files.push((format!("{dir}/list-targets-for-policy.json"), json!({"Targets": targets})));
    }
}
