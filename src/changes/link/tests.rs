//! Linking, on hand-made changes and groups whose expected links are read off the fixtures.

use super::*;
use crate::aggregate::Summary;
use crate::classify::Denial;
use std::sync::Arc;

const MIN: i64 = 60 * 1_000_000;
const T0: i64 = 1_793_613_600_000_000; // 2026-11-02T10:00:00Z

fn change(
    id: &str,
    at: i64,
    event_name: &str,
    target_type: TargetType,
    target: &str,
) -> PolicyChange {
    PolicyChange {
        event_time: Some(at),
        event_id: Some(id.into()),
        account_id: Some("111122223333".into()),
        region: Some("us-east-1".into()),
        event_source: None,
        event_name: event_name.into(),
        actor: "arn:aws:iam::111122223333:root".into(),
        target_type,
        target: Some(target.into()),
        detail: None,
        document: None,
        error_code: None,
        origin: Arc::from("t"),
    }
}

/// One summary row of denials `d` at the given times.
fn group(d: Denial, times: &[i64]) -> SummaryRow {
    let mut summary = Summary::default();
    for &t in times {
        summary.add(&Denial { event_time: Some(t), ..d.clone() });
    }
    summary.into_rows().head(1).remove(0)
}

fn s3_denial(principal: &str, bucket: &str) -> Denial {
    let mut d = Denial::example();
    d.principal.principal = principal.into();
    d.target.bucket = Some(bucket.into());
    d
}

fn linked(changes: &[PolicyChange], mut row: SummaryRow) -> SummaryRow {
    ChangeIndex::new(changes, 7 * 24 * 60 * MIN).link(&mut row);
    row
}

fn link_id(row: &SummaryRow) -> Option<&str> {
    row.change.as_ref().and_then(|c| c.event_id.as_deref())
}

#[test]
fn the_latest_change_to_this_bucket_not_the_latest_overall() {
    let changes = [
        change("e-own", T0 - 5 * MIN, "PutBucketPolicy", TargetType::BucketPolicy, "logs"),
        change("e-other", T0 - MIN, "PutBucketPolicy", TargetType::BucketPolicy, "other"),
        change("e-older", T0 - 60 * MIN, "PutBucketPolicy", TargetType::BucketPolicy, "logs"),
    ];
    let row =
        linked(&changes, group(s3_denial("delivery.logs.amazonaws.com", "logs"), &[T0, T0 + MIN]));
    assert_eq!(link_id(&row), Some("e-own"));
    let link = row.change.as_ref().unwrap();
    assert_eq!(
        (link.time, link.event_name.as_str(), link.target.as_deref()),
        (Some(T0 - 5 * MIN), "PutBucketPolicy", Some("logs"))
    );
    assert!(row.hint.starts_with("denials began 5 min after arn:aws:iam::111122223333:root changed the bucket policy of logs (PutBucketPolicy at 2026-11-02 09:55:00 UTC, event e-own)"), "{}", row.hint);
    assert!(!row.changed_after);
}

#[test]
fn same_second_changes_are_ordered_by_event_id() {
    let changes = [
        change("b-2", T0 - MIN, "PutBucketPolicy", TargetType::BucketPolicy, "logs"),
        change(
            "a-1",
            T0 - MIN,
            "PutBucketPublicAccessBlock",
            TargetType::PublicAccessBlock,
            "logs",
        ),
    ];
    let row = linked(&changes, group(s3_denial("u", "logs"), &[T0]));
    assert_eq!(link_id(&row), Some("b-2"));
    let mut reversed = changes.clone();
    reversed.reverse();
    assert_eq!(link_id(&linked(&reversed, group(s3_denial("u", "logs"), &[T0]))), Some("b-2"));
}

#[test]
fn a_change_after_the_first_denial_is_no_cause_and_one_after_the_last_may_be_a_fix() {
    let during = [change("e1", T0 + MIN, "PutBucketPolicy", TargetType::BucketPolicy, "logs")];
    let row = linked(&during, group(s3_denial("u", "logs"), &[T0, T0 + 10 * MIN]));
    assert_eq!((link_id(&row), row.changed_after), (None, false));
    let after =
        [change("e2", T0 + 11 * MIN, "DeleteBucketPolicy", TargetType::BucketPolicy, "logs")];
    let row = linked(&after, group(s3_denial("u", "logs"), &[T0, T0 + 10 * MIN]));
    assert_eq!((link_id(&row), row.changed_after), (None, true));
}

#[test]
fn failed_attempts_and_changes_past_the_lookback_are_not_linked() {
    let mut failed = change("e1", T0 - MIN, "PutBucketPolicy", TargetType::BucketPolicy, "logs");
    failed.error_code = Some("AccessDenied".into());
    let old =
        change("e2", T0 - 8 * 24 * 60 * MIN, "PutBucketPolicy", TargetType::BucketPolicy, "logs");
    let row = linked(&[failed, old], group(s3_denial("u", "logs"), &[T0]));
    assert_eq!(link_id(&row), None);
}

#[test]
fn a_principal_that_changes_its_own_permissions_after_its_denials() {
    let alice = "arn:aws:iam::111122223333:user/alice";
    let mut own =
        change("e-self", T0 + 20 * MIN, "PutUserPolicy", TargetType::InlinePolicy, "alice");
    own.actor = alice.into();
    let mut d = s3_denial(alice, "logs");
    d.target.bucket = None;
    d.action = "iam:ListRoles".into();
    let row = linked(&[own.clone()], group(d.clone(), &[T0, T0 + 5 * MIN]));
    assert_eq!(row.self_change_event_id.as_deref(), Some("e-self"));
    // Its own policy changed after the last denial, too.
    assert!(row.changed_after);
    assert!(
        row.hint.starts_with(
            "arn:aws:iam::111122223333:user/alice itself made a permissions change after these denials (PutUserPolicy on alice, event e-self)"
        ),
        "{}",
        row.hint
    );
    // More than an hour after the last denial: no longer its reaction.
    own.event_time = Some(T0 + 5 * MIN + 61 * MIN);
    assert_eq!(linked(&[own], group(d, &[T0, T0 + 5 * MIN])).self_change_event_id, None);
}

#[test]
fn identity_policies_groups_and_managed_policy_versions() {
    let alice = "arn:aws:iam::111122223333:user/team/alice";
    let mut joined =
        change("e-join", T0 - 30 * MIN, "AddUserToGroup", TargetType::GroupMembership, "alice");
    joined.detail = Some("devs".into());
    let mut attached = change(
        "e-attach",
        T0 - 20 * MIN,
        "AttachGroupPolicy",
        TargetType::PolicyAttachment,
        "devs",
    );
    attached.detail = Some("arn:aws:iam::111122223333:policy/dev".into());
    let version = change(
        "e-version",
        T0 - 10 * MIN,
        "CreatePolicyVersion",
        TargetType::ManagedPolicyVersion,
        "arn:aws:iam::111122223333:policy/dev",
    );
    let other_role =
        change("e-role", T0 - 5 * MIN, "PutRolePolicy", TargetType::InlinePolicy, "alice");
    let mut d = s3_denial(alice, "b");
    d.target.bucket = None;
    let row = linked(&[joined, attached, version, other_role], group(d, &[T0]));
    // A role that happens to be called alice is not the user alice.
    assert_eq!(link_id(&row), Some("e-version"));
}

#[test]
fn trust_and_key_policies() {
    let mut d = s3_denial("arn:aws:iam::111122223333:user/alice", "b");
    d.target.bucket = None;
    d.action = "sts:AssumeRole".into();
    d.target.resource_arn = Some("arn:aws:iam::111122223333:role/deploy".into());
    let trust = change(
        "e-trust",
        T0 - MIN,
        "UpdateAssumeRolePolicy",
        TargetType::RoleTrustPolicy,
        "deploy",
    );
    assert_eq!(link_id(&linked(&[trust], group(d.clone(), &[T0]))), Some("e-trust"));

    d.action = "kms:Decrypt".into();
    d.target.resource_arn = Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd".into());
    let key = change("e-key", T0 - MIN, "PutKeyPolicy", TargetType::KeyPolicy, "1234abcd");
    assert_eq!(link_id(&linked(&[key], group(d, &[T0]))), Some("e-key"));
}

#[test]
fn organization_changes_govern_groups_the_message_leaves_open_or_blames_on_them() {
    let attach_ou = change(
        "e-scp",
        T0 - MIN,
        "AttachPolicy",
        TargetType::OrgPolicyAttachment,
        "ou-ab12-cdefgh34",
    );
    let mut d = s3_denial("arn:aws:iam::111122223333:user/alice", "b");
    assert_eq!(
        link_id(&linked(std::slice::from_ref(&attach_ou), group(d.clone(), &[T0]))),
        Some("e-scp")
    );
    d.denied_by = DeniedBy::Policy(PolicyType::IdentityBased);
    assert_eq!(link_id(&linked(&[attach_ou], group(d.clone(), &[T0]))), None);
    let other_account =
        change("e-acct", T0 - MIN, "AttachPolicy", TargetType::OrgPolicyAttachment, "999999999999");
    d.denied_by = DeniedBy::Policy(PolicyType::ServiceControlPolicy);
    assert_eq!(link_id(&linked(&[other_account], group(d, &[T0]))), None);
}

#[test]
fn groups_left_and_policies_detached_no_longer_bring_in_their_changes() {
    let mut d = s3_denial("arn:aws:iam::111122223333:user/ua", "b");
    d.target.bucket = None;
    let mut left =
        change("e-left", T0 - 30 * MIN, "RemoveUserFromGroup", TargetType::GroupMembership, "ua");
    left.detail = Some("g".into());
    let group_policy =
        change("e-group", T0 - 10 * MIN, "PutGroupPolicy", TargetType::InlinePolicy, "g");
    assert_eq!(link_id(&linked(&[left, group_policy], group(d.clone(), &[T0]))), Some("e-left"));
    let mut detached =
        change("e-detach", T0 - 30 * MIN, "DetachUserPolicy", TargetType::PolicyAttachment, "ua");
    detached.detail = Some("arn:aws:iam::111122223333:policy/p".into());
    let version = change(
        "e-version",
        T0 - 10 * MIN,
        "CreatePolicyVersion",
        TargetType::ManagedPolicyVersion,
        "arn:aws:iam::111122223333:policy/p",
    );
    assert_eq!(link_id(&linked(&[detached, version], group(d, &[T0]))), Some("e-detach"));
}

#[test]
fn resource_policies_match_their_own_service_and_name() {
    let mut queue = change(
        "e-queue",
        T0 - MIN,
        "SetQueueAttributes",
        TargetType::ResourcePolicy,
        "https://sqs.us-east-1.amazonaws.com/111122223333/orders",
    );
    queue.event_source = Some("sqs.amazonaws.com".into());
    let mut secret =
        change("e-secret", T0 - MIN, "PutResourcePolicy", TargetType::ResourcePolicy, "prod/db");
    secret.event_source = Some("secretsmanager.amazonaws.com".into());
    let mut d = s3_denial("arn:aws:iam::111122223333:role/app", "b");
    d.target.bucket = None;
    d.action = "dynamodb:GetItem".into();
    d.target.resource_arn = Some("arn:aws:dynamodb:us-east-1:111122223333:table/orders".into());
    assert_eq!(link_id(&linked(&[queue.clone(), secret.clone()], group(d.clone(), &[T0]))), None);
    d.action = "sqs:SendMessage".into();
    d.target.resource_arn = Some("arn:aws:sqs:us-east-1:111122223333:orders".into());
    assert_eq!(
        link_id(&linked(&[queue.clone(), secret.clone()], group(d.clone(), &[T0]))),
        Some("e-queue")
    );
    d.action = "secretsmanager:GetSecretValue".into();
    d.target.resource_arn =
        Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbC123".into());
    assert_eq!(link_id(&linked(&[queue, secret], group(d, &[T0]))), Some("e-secret"));
}

#[test]
fn an_account_attachment_governs_the_accounts_root_user_too() {
    let attach =
        change("e-acct", T0 - MIN, "AttachPolicy", TargetType::OrgPolicyAttachment, "111122223333");
    let mut d = s3_denial("arn:aws:iam::111122223333:root", "b");
    d.target.bucket = None;
    d.action = "ec2:RunInstances".into();
    assert_eq!(link_id(&linked(&[attach], group(d, &[T0]))), Some("e-acct"));
}

#[test]
fn an_endpoint_policy_governs_the_requests_that_came_through_that_endpoint() {
    let endpoint = change(
        "e-vpce",
        T0 - 2 * MIN,
        "ModifyVpcEndpoint",
        TargetType::EndpointPolicy,
        "vpce-1a2b",
    );
    let other =
        change("e-other", T0 - MIN, "ModifyVpcEndpoint", TargetType::EndpointPolicy, "vpce-9z");
    let changes = [endpoint, other];
    let mut d = s3_denial("arn:aws:iam::111122223333:role/app", "data");
    assert_eq!(
        link_id(&linked(&changes, group(d.clone(), &[T0]))),
        None,
        "not through an endpoint"
    );
    d.vpc_endpoint_id = Some("vpce-1a2b".into());
    let row = linked(&changes, group(d, &[T0]));
    assert_eq!(row.sample_vpc_endpoint_id.as_deref(), Some("vpce-1a2b"));
    assert_eq!(link_id(&row), Some("e-vpce"));
    assert!(row.hint.contains("changed the endpoint policy of vpce-1a2b"), "{}", row.hint);
}

#[test]
fn a_service_locked_out_by_a_resource_policy_change_is_not_noise() {
    let policy =
        change("e-policy", T0 - 5 * MIN, "PutBucketPolicy", TargetType::BucketPolicy, "logs");
    let mut d = s3_denial("delivery.logs.amazonaws.com", "logs");
    d.principal.principal_type = "AWSService".into();
    d.noise = Some("service_principal");
    let unlinked = linked(&[], group(d.clone(), &[T0]));
    assert_eq!(unlinked.noise, Some("service_principal"), "no change: still noise");
    assert_eq!(linked(&[policy], group(d.clone(), &[T0])).noise, None);
    // A change of the caller's side leaves the label: the service's own permissions are not the
    // operator's, and an anonymous prober stays noise whatever changed.
    let org = change("e-scp", T0 - MIN, "UpdatePolicy", TargetType::Scp, "p-1");
    assert_eq!(linked(&[org], group(d.clone(), &[T0])).noise, Some("service_principal"));
    d.noise = Some("anonymous");
    let policy =
        change("e-policy", T0 - 5 * MIN, "PutBucketPolicy", TargetType::BucketPolicy, "logs");
    assert_eq!(linked(&[policy], group(d, &[T0])).noise, Some("anonymous"));
}
