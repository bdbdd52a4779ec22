//! IAM: `get-account-authorization-details` (GAAD), every page merged into one output as the
//! CLI merges them, its documents decoded; then the default version of each managed policy
//! that is attached (or used as a boundary) but that GAAD does not list — AWS-managed ones,
//! which POLICY.md §2.1 could not confirm GAAD always lists.

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, GroupDetail, ManagedPolicyDetail, PolicyDetail,
    PolicyVersion, RoleDetail, UserDetail,
};
use serde_json::Value;
use std::collections::BTreeSet;

use super::api::Api;
use super::record::Recorder;
use super::shape::{Field, iam_document, list, object, tags};

/// The four lists of a GAAD output.
const LISTS: [&str; 4] = ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"];

pub(super) async fn fetch(client: &Client, recorder: &Recorder, account_dir: &str) {
    let file = format!("{account_dir}/iam/get-account-authorization-details");
    let request = client.get_account_authorization_details().into_paginator().send().try_collect();
    let Some(pages) = recorder.call(&file, Api::GetAccountAuthorizationDetails, request).await
    else {
        return;
    };
    let pages = pages.iter().map(|page| {
        object([
            ("UserDetailList", list(page.user_detail_list(), user)),
            ("GroupDetailList", list(page.group_detail_list(), group)),
            ("RoleDetailList", list(page.role_detail_list(), role)),
            ("Policies", list(page.policies(), managed_policy)),
        ])
    });
    let gaad = merge_pages(pages);
    recorder.json(&file, &gaad);
    for arn in attached_but_not_listed(&gaad) {
        fetch_default_version(client, recorder, account_dir, &arn).await;
    }
}

/// The pages of a GAAD as one output: each list the concatenation of the pages' (what the
/// CLI prints; `IsTruncated` and `Marker` are the pagination's, not the account's).
fn merge_pages(pages: impl IntoIterator<Item = Value>) -> Value {
    let mut merged: Vec<Vec<Value>> = vec![Vec::new(); LISTS.len()];
    for page in pages {
        for (name, into) in LISTS.iter().zip(merged.iter_mut()) {
            if let Some(Value::Array(items)) = page.get(*name) {
                into.extend(items.iter().cloned());
            }
        }
    }
    Value::Object(
        LISTS.iter().map(|n| n.to_string()).zip(merged.into_iter().map(Value::Array)).collect(),
    )
}

/// Managed policies attached to a user, group or role, or set as a boundary, that the GAAD's
/// `Policies` does not list, sorted.
fn attached_but_not_listed(gaad: &Value) -> Vec<String> {
    let entities = ["UserDetailList", "GroupDetailList", "RoleDetailList"]
        .iter()
        .filter_map(|name| gaad.get(*name)?.as_array())
        .flatten();
    let mut attached = BTreeSet::new();
    for entity in entities {
        let managed = entity.get("AttachedManagedPolicies").and_then(Value::as_array);
        attached.extend(managed.into_iter().flatten().filter_map(|a| a.get("PolicyArn")?.as_str()));
        let boundary =
            entity.get("PermissionsBoundary").and_then(|b| b.get("PermissionsBoundaryArn"));
        attached.extend(boundary.and_then(Value::as_str));
    }
    let listed: BTreeSet<&str> = (gaad.get("Policies").and_then(Value::as_array).into_iter())
        .flatten()
        .filter_map(|p| p.get("Arn")?.as_str())
        .collect();
    attached.difference(&listed).map(|arn| arn.to_string()).collect()
}

/// `iam/policies/<url-encoded arn>/get-policy-version.json`: `get-policy` for the default
/// version's id, then that version.
async fn fetch_default_version(client: &Client, recorder: &Recorder, account_dir: &str, arn: &str) {
    let dir = format!("{account_dir}/iam/policies/{}", uri_component(arn));
    let request = client.get_policy().policy_arn(arn).send();
    let Some(policy) = recorder.call(&format!("{dir}/get-policy"), Api::GetPolicy, request).await
    else {
        return;
    };
    let Some(version_id) = policy.policy().and_then(|p| p.default_version_id()) else {
        let file = format!("{dir}/get-policy-version");
        let message = "get-policy named no default version";
        recorder.error(&file, Api::GetPolicyVersion, "NoDefaultVersion", message);
        return;
    };
    let file = format!("{dir}/get-policy-version");
    let request = client.get_policy_version().policy_arn(arn).version_id(version_id).send();
    if let Some(output) = recorder.call(&file, Api::GetPolicyVersion, request).await {
        let version = output.policy_version().map(policy_version);
        recorder.json(&file, &object([("PolicyVersion", version)]));
    }
}

/// A name as `jq @uri` writes it (the recipe's directory names): RFC 3986 unreserved
/// characters stay, every other byte is `%XX`.
fn uri_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn inline(p: &PolicyDetail) -> Value {
    object([
        ("PolicyName", p.policy_name().field()),
        ("PolicyDocument", iam_document(p.policy_document())),
    ])
}

fn attached(p: &AttachedPolicy) -> Value {
    object([("PolicyName", p.policy_name().field()), ("PolicyArn", p.policy_arn().field())])
}

fn boundary(b: &AttachedPermissionsBoundary) -> Value {
    object([
        ("PermissionsBoundaryType", b.permissions_boundary_type().map(|t| t.as_str()).field()),
        ("PermissionsBoundaryArn", b.permissions_boundary_arn().field()),
    ])
}

fn user(u: &UserDetail) -> Value {
    object([
        ("Path", u.path().field()),
        ("UserName", u.user_name().field()),
        ("UserId", u.user_id().field()),
        ("Arn", u.arn().field()),
        ("CreateDate", u.create_date().field()),
        ("UserPolicyList", list(u.user_policy_list(), inline)),
        ("GroupList", list(u.group_list(), |g| Value::String(g.clone()))),
        ("AttachedManagedPolicies", list(u.attached_managed_policies(), attached)),
        ("PermissionsBoundary", u.permissions_boundary().map(boundary)),
        ("Tags", tags(u.tags(), |t| Some(t.key()), |t| Some(t.value()))),
    ])
}

fn group(g: &GroupDetail) -> Value {
    object([
        ("Path", g.path().field()),
        ("GroupName", g.group_name().field()),
        ("GroupId", g.group_id().field()),
        ("Arn", g.arn().field()),
        ("CreateDate", g.create_date().field()),
        ("GroupPolicyList", list(g.group_policy_list(), inline)),
        ("AttachedManagedPolicies", list(g.attached_managed_policies(), attached)),
    ])
}

fn role(r: &RoleDetail) -> Value {
    object([
        ("Path", r.path().field()),
        ("RoleName", r.role_name().field()),
        ("RoleId", r.role_id().field()),
        ("Arn", r.arn().field()),
        ("CreateDate", r.create_date().field()),
        ("AssumeRolePolicyDocument", iam_document(r.assume_role_policy_document())),
        ("RolePolicyList", list(r.role_policy_list(), inline)),
        ("AttachedManagedPolicies", list(r.attached_managed_policies(), attached)),
        ("PermissionsBoundary", r.permissions_boundary().map(boundary)),
        ("Tags", tags(r.tags(), |t| Some(t.key()), |t| Some(t.value()))),
    ])
}

fn policy_version(v: &PolicyVersion) -> Value {
    object([
        ("Document", iam_document(v.document())),
        ("VersionId", v.version_id().field()),
        ("IsDefaultVersion", v.is_default_version().field()),
        ("CreateDate", v.create_date().field()),
    ])
}

fn managed_policy(p: &ManagedPolicyDetail) -> Value {
    object([
        ("PolicyName", p.policy_name().field()),
        ("PolicyId", p.policy_id().field()),
        ("Arn", p.arn().field()),
        ("Path", p.path().field()),
        ("DefaultVersionId", p.default_version_id().field()),
        ("AttachmentCount", p.attachment_count().field()),
        ("PermissionsBoundaryUsageCount", p.permissions_boundary_usage_count().field()),
        ("IsAttachable", p.is_attachable().field()),
        ("Description", p.description().field()),
        ("CreateDate", p.create_date().field()),
        ("UpdateDate", p.update_date().field()),
        ("PolicyVersionList", list(p.policy_version_list(), policy_version)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Two pages as the API reference shows a truncated GAAD (`IsTruncated`, `Marker`).
    #[test]
    fn pages_are_merged_list_by_list() {
        let first = json!({
            "UserDetailList": [{"UserName": "alice", "UserId": "AIDAEXAMPLE1", "Arn": "arn:aws:iam::111122223333:user/alice"}],
            "GroupDetailList": [],
            "RoleDetailList": [{"RoleName": "deploy", "RoleId": "AROAEXAMPLE1", "Arn": "arn:aws:iam::111122223333:role/deploy"}],
            "Policies": [],
            "IsTruncated": true,
            "Marker": "EXAMPLEMARKER"
        });
        let second = json!({
            "UserDetailList": [{"UserName": "bob", "UserId": "AIDAEXAMPLE2", "Arn": "arn:aws:iam::111122223333:user/bob"}],
            "GroupDetailList": [{"GroupName": "admins", "GroupId": "AGPAEXAMPLE1", "Arn": "arn:aws:iam::111122223333:group/admins"}],
            "RoleDetailList": [],
            "Policies": [{"PolicyName": "ReadLogs", "Arn": "arn:aws:iam::111122223333:policy/ReadLogs"}],
            "IsTruncated": false
        });
        let merged = merge_pages([first, second]);
        let names = |list: &str, key: &str| -> Vec<String> {
            merged[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e[key].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names("UserDetailList", "UserName"), ["alice", "bob"]);
        assert_eq!(names("GroupDetailList", "GroupName"), ["admins"]);
        assert_eq!(names("RoleDetailList", "RoleName"), ["deploy"]);
        assert_eq!(names("Policies", "PolicyName"), ["ReadLogs"]);
        assert_eq!(merged.as_object().unwrap().len(), 4, "no IsTruncated, no Marker: {merged}");
    }

    #[test]
    fn attached_policies_missing_from_the_gaad_are_found() {
        let gaad = json!({
            "UserDetailList": [{
                "UserName": "alice",
                "AttachedManagedPolicies": [
                    {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                    {"PolicyName": "ReadLogs", "PolicyArn": "arn:aws:iam::111122223333:policy/ReadLogs"}
                ],
                "PermissionsBoundary": {"PermissionsBoundaryType": "Policy",
                    "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/PowerUserAccess"}
            }],
            "GroupDetailList": [{"GroupName": "ops", "AttachedManagedPolicies": [
                {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}],
            "RoleDetailList": [{"RoleName": "r", "AttachedManagedPolicies": [
                {"PolicyName": "AWSLambdaBasicExecutionRole",
                 "PolicyArn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}]}],
            "Policies": [{"PolicyName": "ReadLogs", "Arn": "arn:aws:iam::111122223333:policy/ReadLogs"}]
        });
        assert_eq!(
            attached_but_not_listed(&gaad),
            [
                "arn:aws:iam::aws:policy/PowerUserAccess",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            ]
        );
    }

    #[test]
    fn directory_names_are_encoded_as_jq_uri_encodes_them() {
        // `jq -rn --arg a 'arn:aws:iam::aws:policy/service-role/X_y.z~1' '$a | @uri'`
        assert_eq!(
            uri_component("arn:aws:iam::aws:policy/service-role/X_y.z~1"),
            "arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Fservice-role%2FX_y.z~1"
        );
        let arn = "arn:aws:iam::111122223333:policy/a b+c";
        assert_eq!(crate::snapshot::percent_decode(&uri_component(arn)), arn);
    }
}
