//! The organization, as the management account (or a delegated administrator) sees it:
//! `describe-organization`, the roots and their enabled policy types, the tree walked from each
//! root through `list-organizational-units-for-parent` and `list-accounts-for-parent`, and every
//! SCP and RCP with its content and targets. An account in no organization gets
//! `AWSOrganizationsNotInUseException` (known absent: no SCP or RCP applies); a member account
//! gets AccessDenied on the listings, recorded, and the rest of the snapshot is fetched.

use aws_sdk_organizations::Client;
use aws_sdk_organizations::types::{
    Account, OrganizationalUnit, PolicySummary, PolicyType, PolicyTypeSummary,
};
use futures_util::future::join_all;
use serde_json::Value;

use super::api::Api;
use super::record::Recorder;
use super::shape::{Field, list, object};

const DIR: &str = "organization";

pub(super) async fn fetch(client: &Client, recorder: &Recorder) {
    let file = format!("{DIR}/describe-organization");
    let request = client.describe_organization().send();
    let Some(described) = recorder.call(&file, Api::DescribeOrganization, request).await else {
        return;
    };
    let organization = described.organization().map(|o| {
        object([
            ("Id", o.id().field()),
            ("Arn", o.arn().field()),
            ("FeatureSet", o.feature_set().map(|f| f.as_str()).field()),
            ("MasterAccountArn", o.master_account_arn().field()),
            ("MasterAccountId", o.master_account_id().field()),
            ("MasterAccountEmail", o.master_account_email().field()),
            ("AvailablePolicyTypes", list(o.available_policy_types(), policy_type)),
        ])
    });
    recorder.json(&file, &object([("Organization", organization)]));

    let file = format!("{DIR}/list-roots");
    let request = client.list_roots().into_paginator().send().try_collect();
    let roots = recorder.call(&file, Api::ListRoots, request).await.unwrap_or_default();
    let roots: Vec<_> = roots.iter().flat_map(|page| page.roots()).collect();
    if !roots.is_empty() {
        let shaped = roots.iter().map(|r| {
            object([
                ("Id", r.id().field()),
                ("Arn", r.arn().field()),
                ("Name", r.name().field()),
                ("PolicyTypes", list(r.policy_types(), policy_type)),
            ])
        });
        recorder.json(&file, &object([("Roots", Some(Value::Array(shaped.collect())))]));
    }
    let policies = [PolicyType::ServiceControlPolicy, PolicyType::ResourceControlPolicy]
        .map(|kind| fetch_policies(client, recorder, kind));
    let root_ids: Vec<String> = roots.iter().filter_map(|r| r.id()).map(str::to_string).collect();
    let (_, ()) =
        futures_util::future::join(join_all(policies), walk(client, recorder, root_ids)).await;
}

/// `list-policies-<TYPE>.json`, then each policy's `describe-policy` and targets.
async fn fetch_policies(client: &Client, recorder: &Recorder, kind: PolicyType) {
    let file = format!("{DIR}/list-policies-{}", kind.as_str());
    let request = client.list_policies().filter(kind.clone()).into_paginator().send().try_collect();
    let Some(pages) = recorder.call(&file, Api::ListPolicies, request).await else { return };
    let summaries: Vec<&PolicySummary> = pages.iter().flat_map(|p| p.policies()).collect();
    let shaped: Vec<Value> = summaries.iter().map(|s| policy_summary(s)).collect();
    recorder.json(&file, &object([("Policies", Some(Value::Array(shaped)))]));
    let ids = summaries.iter().filter_map(|s| s.id()).filter_map(super::path_component);
    join_all(ids.map(|id| fetch_policy(client, recorder, id))).await;
}

async fn fetch_policy(client: &Client, recorder: &Recorder, id: &str) {
    let dir = format!("{DIR}/policies/{id}");
    let file = format!("{dir}/describe-policy");
    let request = client.describe_policy().policy_id(id).send();
    if let Some(described) = recorder.call(&file, Api::DescribePolicy, request).await {
        let policy = described.policy().map(|p| {
            object([
                ("PolicySummary", p.policy_summary().map(policy_summary)),
                // A JSON string, as the CLI prints it.
                ("Content", p.content().field()),
            ])
        });
        recorder.json(&file, &object([("Policy", policy)]));
    }
    let file = format!("{dir}/list-targets-for-policy");
    let request =
        client.list_targets_for_policy().policy_id(id).into_paginator().send().try_collect();
    if let Some(pages) = recorder.call(&file, Api::ListTargetsForPolicy, request).await {
        let targets = pages.iter().flat_map(|p| p.targets()).map(|t| {
            object([
                ("TargetId", t.target_id().field()),
                ("Arn", t.arn().field()),
                ("Name", t.name().field()),
                ("Type", t.r#type().map(|t| t.as_str()).field()),
            ])
        });
        recorder.json(&file, &object([("Targets", Some(Value::Array(targets.collect())))]));
    }
}

/// The tree, one level at a time: every parent of a level listed at once.
async fn walk(client: &Client, recorder: &Recorder, roots: Vec<String>) {
    let mut level = roots;
    while !level.is_empty() {
        let listed =
            join_all(level.iter().map(|parent| list_children(client, recorder, parent))).await;
        level = listed.into_iter().flatten().collect();
    }
}

/// Both listings of one parent; the OUs under it, to list next.
async fn list_children(client: &Client, recorder: &Recorder, parent: &str) -> Vec<String> {
    let Some(parent) = super::path_component(parent) else { return Vec::new() };
    let dir = format!("{DIR}/parents/{parent}");
    let file = format!("{dir}/list-organizational-units-for-parent");
    let request = client
        .list_organizational_units_for_parent()
        .parent_id(parent)
        .into_paginator()
        .send()
        .try_collect();
    let ous: Option<Vec<OrganizationalUnit>> = recorder
        .call(&file, Api::ListOrganizationalUnitsForParent, request)
        .await
        .map(|pages| pages.iter().flat_map(|p| p.organizational_units().to_vec()).collect());
    if let Some(ous) = &ous {
        let shaped = ous.iter().map(|ou| {
            object([
                ("Id", ou.id().field()),
                ("Arn", ou.arn().field()),
                ("Name", ou.name().field()),
            ])
        });
        let listed = Value::Array(shaped.collect());
        recorder.json(&file, &object([("OrganizationalUnits", Some(listed))]));
    }
    let file = format!("{dir}/list-accounts-for-parent");
    let request =
        client.list_accounts_for_parent().parent_id(parent).into_paginator().send().try_collect();
    if let Some(pages) = recorder.call(&file, Api::ListAccountsForParent, request).await {
        let accounts: Vec<Value> = pages.iter().flat_map(|p| p.accounts()).map(account).collect();
        recorder.json(&file, &object([("Accounts", Some(Value::Array(accounts)))]));
    }
    ous.unwrap_or_default().iter().filter_map(|ou| ou.id()).map(str::to_string).collect()
}

fn policy_type(t: &PolicyTypeSummary) -> Value {
    object([
        ("Type", t.r#type().map(|t| t.as_str()).field()),
        ("Status", t.status().map(|s| s.as_str()).field()),
    ])
}

fn policy_summary(s: &PolicySummary) -> Value {
    object([
        ("Id", s.id().field()),
        ("Arn", s.arn().field()),
        ("Name", s.name().field()),
        ("Description", s.description().field()),
        ("Type", s.r#type().map(|t| t.as_str()).field()),
        ("AwsManaged", s.aws_managed().field()),
    ])
}

fn account(a: &Account) -> Value {
    object([
        ("Id", a.id().field()),
        ("Arn", a.arn().field()),
        ("Email", a.email().field()),
        ("Name", a.name().field()),
        ("Status", a.status().map(|s| s.as_str()).field()),
        ("JoinedMethod", a.joined_method().map(|m| m.as_str()).field()),
        ("JoinedTimestamp", a.joined_timestamp().field()),
    ])
}
