//! Verdicts from the trail alone (no snapshot): what the trail's own documents decide, and what
//! they leave open. Expected values are read off the documents by hand.

use super::*;
use crate::changes::TargetType;
use crate::classify::principal::Principal;
use crate::classify::reason::{DenyKind, PolicyType};
use crate::report::schema::blank_policy_change;

const T0: i64 = 1_793_613_600_000_000; // 2026-11-02T10:00:00Z

fn bucket_policy_change(time: i64, bucket: &str, document: &str) -> PolicyChange {
    PolicyChange {
        event_time: Some(time),
        event_id: Some(format!("change-{time}")),
        account_id: Some("111122223333".into()),
        event_name: "PutBucketPolicy".into(),
        target_type: TargetType::BucketPolicy,
        target: Some(bucket.into()),
        document: Some(document.into()),
        ..blank_policy_change()
    }
}

const DENY_OUTSIDE_CORP: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"DenyOutsideCorp","Effect":"Deny","Principal":"*","Action":"s3:*",
   "Resource":["arn:aws:s3:::data-lake","arn:aws:s3:::data-lake/*"],
   "Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;

const ALLOW_CLOUDTRAIL_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"AllowCloudTrail","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},
   "Action":"s3:PutObject","Resource":"arn:aws:s3:::audit-logs/*"}]}"#;

fn user_denial(bucket: &str, time: i64) -> Denial {
    let mut d = Denial::example();
    d.event_time = Some(time);
    d.target.bucket = Some(bucket.into());
    d.target.object_key = Some("k".into());
    d.principal.caller_arn = Some(d.principal.principal.clone());
    d.principal.account = Some("111122223333".into());
    d
}

fn service_denial(bucket: &str, time: i64) -> Denial {
    let mut d = user_denial(bucket, time);
    d.action = "s3:PutObject".into();
    d.principal = Principal {
        principal: "delivery.logs.amazonaws.com".into(),
        principal_type: "AWSService".into(),
        ..Principal::default()
    };
    d
}

#[test]
fn a_deny_in_the_trails_bucket_policy_is_named_with_its_statement() {
    let changes = [bucket_policy_change(T0, "data-lake", DENY_OUTSIDE_CORP)];
    let judge = Judge::new(None, &changes);
    // From 192.0.2.1, outside 203.0.113.0/24: NotIpAddress on a known address holds.
    let v = judge.judge(&user_denial("data-lake", T0 + 60_000_000)).expect("judged");
    assert_eq!(v.kind, VerdictKind::ExplicitDeny);
    assert_eq!(v.layer, Some(DeniedBy::Policy(PolicyType::ResourceBased)));
    assert_eq!(v.policy.as_deref(), Some("arn:aws:s3:::data-lake#bucket-policy"));
    assert_eq!(v.statement.as_deref(), Some("DenyOutsideCorp"));
    assert_eq!(v.policies_as_of.as_deref(), Some("trail@2026-11-02T10:00:00Z"));
    // No snapshot: the identity policies are a gap, which an explicit deny does not need.
    assert!(v.gaps.contains(&"snapshot:none".to_string()), "{:?}", v.gaps);
}

#[test]
fn from_inside_the_deny_does_not_apply_and_the_identity_gap_decides() {
    let changes = [bucket_policy_change(T0, "data-lake", DENY_OUTSIDE_CORP)];
    let judge = Judge::new(None, &changes);
    let mut d = user_denial("data-lake", T0 + 1);
    d.source_ip = Some("203.0.113.7".into());
    let v = judge.judge(&d).expect("judged");
    // The bucket policy neither denies nor allows; the user's own policies are not known.
    assert_eq!(v.kind, VerdictKind::Conditional);
    assert!(v.unknown_keys.iter().any(|k| k.contains("snapshot:none")), "{:?}", v.unknown_keys);
    // Only the not-known policies are undecided: no statement is named as the cause.
    assert_eq!((v.policy, v.statement), (None, None));
}

#[test]
fn a_denial_before_the_change_is_not_judged_by_it() {
    let changes = [bucket_policy_change(T0, "data-lake", DENY_OUTSIDE_CORP)];
    let judge = Judge::new(None, &changes);
    let v = judge.judge(&user_denial("data-lake", T0 - 1)).expect("judged");
    // Without a snapshot, what applied before the first change is not known.
    assert_ne!(v.kind, VerdictKind::ExplicitDeny);
    assert_eq!(v.statement, None);
}

#[test]
fn a_service_the_replaced_policy_no_longer_admits_is_an_implicit_deny_by_that_policy() {
    let changes = [bucket_policy_change(T0, "audit-logs", ALLOW_CLOUDTRAIL_ONLY)];
    let judge = Judge::new(None, &changes);
    let v = judge.judge(&service_denial("audit-logs", T0 + 300_000_000)).expect("judged");
    assert_eq!(v.kind, VerdictKind::ImplicitDeny);
    assert_eq!(v.layer, Some(DeniedBy::Policy(PolicyType::ResourceBased)));
    assert_eq!(v.policy.as_deref(), Some("arn:aws:s3:::audit-logs#bucket-policy"));
    assert_eq!(v.statement, None);
    // The same request from CloudTrail is allowed by the document: allowed_now, no guess.
    let mut allowed = service_denial("audit-logs", T0 + 1);
    allowed.principal.principal = "cloudtrail.amazonaws.com".into();
    assert_eq!(judge.judge(&allowed).expect("judged").kind, VerdictKind::AllowedNow);
}

#[test]
fn a_message_naming_another_layer_is_a_mismatch() {
    let changes = [bucket_policy_change(T0, "data-lake", DENY_OUTSIDE_CORP)];
    let judge = Judge::new(None, &changes);
    let mut d = user_denial("data-lake", T0 + 1);
    d.deny_kind = DenyKind::Explicit;
    d.denied_by = DeniedBy::Policy(PolicyType::ServiceControlPolicy);
    let v = judge.judge(&d).expect("judged");
    assert_eq!(v.kind, VerdictKind::ExplicitDeny);
    assert!(v.mismatch, "the message says SCP, the evaluation a bucket policy");
    d.denied_by = DeniedBy::Policy(PolicyType::ResourceBased);
    assert!(!judge.judge(&d).expect("judged").mismatch);
}

#[test]
fn what_cannot_be_evaluated_says_why() {
    let judge = Judge::new(None, &[]);
    let mut d = user_denial("b", T0);
    d.principal.principal_type = "Unknown".into();
    let v = judge.judge(&d).expect("judged");
    assert_eq!(v.kind, VerdictKind::NotEvaluated);
    assert_eq!(v.gaps, vec!["principal:Unknown:not-evaluable".to_string()]);
    let mut no_time = user_denial("b", T0);
    no_time.event_time = None;
    assert_eq!(judge.judge(&no_time).expect("judged").gaps, vec!["event-time:missing".to_string()]);
    // Failures that are not denials get no verdict.
    let mut authn = user_denial("b", T0);
    authn.category = ErrorCategory::Authentication;
    assert_eq!(judge.judge(&authn), None);
}

#[test]
fn a_trail_document_that_is_not_a_policy_is_a_gap_not_an_empty_policy() {
    let changes = [bucket_policy_change(T0, "data-lake", "{not json")];
    let judge = Judge::new(None, &changes);
    let v = judge.judge(&service_denial("data-lake", T0 + 1)).expect("judged");
    assert_eq!(v.kind, VerdictKind::Conditional);
    assert!(
        v.gaps.contains(&"arn:aws:s3:::data-lake#bucket-policy:trail-document-not-a-policy".into()),
        "{:?}",
        v.gaps
    );
}

#[test]
fn short_forms_for_the_terminal() {
    assert_eq!(short_policy("arn:aws:s3:::data-lake#bucket-policy"), "data-lake#bucket-policy");
    assert_eq!(
        short_policy(
            "arn:aws:organizations::111122223333:policy/o-abc/service_control_policy/p-1a2b"
        ),
        "p-1a2b"
    );
    assert_eq!(
        short_policy("arn:aws:iam::111122223333:role/r#trust-policy"),
        "role/r#trust-policy"
    );
}

/// alice of tests/fixtures/snapshot (captured 2026-11-05) has no permissions boundary and reads
/// any object through `ReadOnlyAccess`; logs-archive, of her account, has no bucket policy.
fn alice_reads_logs_archive(time: i64) -> Denial {
    let mut d = user_denial("logs-archive", time);
    d.account_id = Some("444455556666".into());
    d.region = Some("eu-west-1".into());
    d.principal.principal = "arn:aws:iam::444455556666:user/alice".into();
    d.principal.caller_arn = Some(d.principal.principal.clone());
    d.principal.account = Some("444455556666".into());
    d
}

#[test]
fn a_user_without_a_boundary_today_is_allowed_now_once_changed_after_the_event() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshot");
    let (snapshot, problems) = Snapshot::load(&dir).expect("the fixture loads");
    assert!(problems.is_empty(), "{problems:?}");
    // An attachment an hour after the denial: her policies and boundary then are not known.
    let attached = PolicyChange {
        event_time: Some(T0 + 3_600_000_000),
        event_id: Some("attach".into()),
        account_id: Some("444455556666".into()),
        event_name: "AttachUserPolicy".into(),
        target_type: TargetType::PolicyAttachment,
        target: Some("alice".into()),
        ..blank_policy_change()
    };
    let changes = [attached];
    let judge = Judge::new(Some(&snapshot), &changes);
    let v = judge.judge(&alice_reads_logs_archive(T0)).expect("judged");
    assert!(
        v.gaps.iter().any(|g| g.starts_with("identity:arn:aws:iam::444455556666:user/alice:")),
        "{:?}",
        v.gaps
    );
    // Today she has no boundary at all (not an empty one, which would refuse everything), and
    // ReadOnlyAccess allows s3:Get* on any resource.
    assert_eq!(v.kind, VerdictKind::AllowedNow, "{v:?}");
    // After the change, everything is the snapshot's: allowed, with nothing unknown.
    let later = judge.judge(&alice_reads_logs_archive(T0 + 7_200_000_000)).expect("judged");
    assert_eq!((later.kind, later.gaps), (VerdictKind::AllowedNow, Vec::<String>::new()));
}

#[test]
fn a_deny_that_may_have_come_later_is_not_named_as_the_cause() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshot");
    let (snapshot, _) = Snapshot::load(&dir).expect("the fixture loads");
    // alice deletes under data-lake/prod/: her group `developers` denies it (NoProdDelete).
    let mut delete = alice_reads_logs_archive(T0);
    delete.action = "s3:DeleteObject".into();
    delete.target.bucket = Some("data-lake".into());
    delete.target.object_key = Some("prod/q3.csv".into());
    let judge = Judge::new(Some(&snapshot), &[]);
    let v = judge.judge(&delete).expect("judged");
    assert_eq!(v.kind, VerdictKind::ExplicitDeny, "{v:?}");
    assert_eq!(v.statement.as_deref(), Some("NoProdDelete"));
    // The trail shows her joining the group an hour after the denial: then the group's Deny may
    // not have applied, and is not named.
    let joined = PolicyChange {
        event_time: Some(T0 + 3_600_000_000),
        event_id: Some("join".into()),
        account_id: Some("444455556666".into()),
        event_name: "AddUserToGroup".into(),
        target_type: TargetType::GroupMembership,
        target: Some("alice".into()),
        detail: Some("developers".into()),
        ..blank_policy_change()
    };
    let changes = [joined];
    let judge = Judge::new(Some(&snapshot), &changes);
    let v = judge.judge(&delete).expect("judged");
    assert_eq!(v.kind, VerdictKind::Conditional, "{v:?}");
    // (data-lake's own DenyNoVpce, on an endpoint the record does not give, may be named.)
    assert_ne!(v.statement.as_deref(), Some("NoProdDelete"), "{v:?}");
}

#[test]
fn a_groups_label_says_what_to_change_where() {
    use tally::GroupVerdict;
    let scp =
        "arn:aws:organizations::111122223333:policy/o-a1b2c3d4e5/service_control_policy/p-1a2b";
    let explicit = GroupVerdict {
        verdict: Some(VerdictKind::ExplicitDeny),
        policy: Some(scp.into()),
        statement: Some("DenyOutsideEU".into()),
        counts: [3, 0, 0, 0, 0],
    };
    assert_eq!(
        explicit.label().as_deref(),
        Some(
            "explicit_deny p-1a2b DenyOutsideEU: narrow or remove that statement (no Allow overrides an explicit deny)"
        )
    );
    let implicit = GroupVerdict {
        verdict: Some(VerdictKind::ImplicitDeny),
        policy: Some("arn:aws:s3:::logs#bucket-policy".into()),
        statement: None,
        counts: [0, 2, 0, 0, 0],
    };
    assert_eq!(
        implicit.label().as_deref(),
        Some("implicit_deny logs#bucket-policy: add an Allow to that policy")
    );
    let unjudged =
        GroupVerdict { verdict: Some(VerdictKind::NotEvaluated), ..GroupVerdict::default() };
    assert_eq!(unjudged.label(), None);
}

#[test]
fn session_tags_from_the_issuing_assume_role_are_the_sessions_principal_tags() {
    const DENY_OTHER_TEAMS: &str = r#"{"Version":"2012-10-17","Statement":[
      {"Sid":"OnlyTeamBlue","Effect":"Deny","Principal":"*","Action":"s3:*",
       "Resource":"arn:aws:s3:::data-lake/*",
       "Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"blue"}}}]}"#;
    let session = |team: &str| PolicyChange {
        event_time: Some(T0 - 60_000_000),
        event_id: Some(format!("assume-{team}")),
        event_name: "AssumeRole".into(),
        target_type: TargetType::Session,
        target: Some(format!("ASIA{}", team.to_uppercase())),
        document: Some(format!(r#"{{"tags":[{{"key":"team","value":"{team}"}}]}}"#)),
        ..blank_policy_change()
    };
    let changes = [
        bucket_policy_change(T0 - 120_000_000, "data-lake", DENY_OTHER_TEAMS),
        session("red"),
        session("blue"),
    ];
    let judge = Judge::new(None, &changes);
    let denial = |key: &str| {
        let mut d = user_denial("data-lake", T0);
        d.principal.principal = "arn:aws:iam::111122223333:role/app".into();
        d.principal.principal_type = "AssumedRole".into();
        d.principal.caller_arn = Some("arn:aws:sts::111122223333:assumed-role/app/s1".into());
        d.eval_context =
            Some(format!(r#"{{"context":{{"whydenied:AccessKeyId":"{key}"}},"unknown_keys":[]}}"#));
        d
    };
    let red = judge.judge(&denial("ASIARED")).expect("judged");
    assert_eq!(
        (red.kind, red.statement.as_deref()),
        (VerdictKind::ExplicitDeny, Some("OnlyTeamBlue"))
    );
    let blue = judge.judge(&denial("ASIABLUE")).expect("judged");
    assert_ne!(blue.kind, VerdictKind::ExplicitDeny, "{blue:?}");
    // A session the trail did not issue: its tags are not known, and nothing is assumed of them.
    let unknown = judge.judge(&denial("ASIAOTHER")).expect("judged");
    assert_eq!(unknown.kind, VerdictKind::Conditional, "{unknown:?}");
    assert!(unknown.assumptions.iter().any(|a| a.starts_with("A1")));
}

#[test]
fn a_verdicts_index_is_its_place_in_the_list() {
    for (i, kind) in VerdictKind::ALL.iter().enumerate() {
        assert_eq!(kind.index(), i, "{kind:?}");
    }
}
