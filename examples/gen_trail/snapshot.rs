//! The policy snapshot of [`super::world`] as files: each one what `aws <service> <command>
//! --output json` prints (CLI v2 shapes, IAM documents decoded as the CLI decodes them), laid out as
//! POLICY.md §2.2 says, with `.err` files holding the CLI's error text where a command fails.

use serde_json::{Value, json};

use super::world::{
    ADMINISTRATOR_ACCESS, BUCKET_NOT_CAPTURED, CREATED, ENDPOINT_HOME, MANAGEMENT, ROOT_ID,
    SANDBOX_OU, Scp, WORKLOADS_OU, bucket_policy, endpoint_policy, group, key_policy, managed,
    managed_document, parent_of, roles, scps, users,
};
use super::{ACCOUNTS, BUCKETS, KMS_KEYS, ORG, REGIONS, VPC_ENDPOINT};

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
    let admin = managed_document(account, ADMINISTRATOR_ACCESS).unwrap_or_default();
    policies.push((ADMINISTRATOR_ACCESS.to_owned(), admin));
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
