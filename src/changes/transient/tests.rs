//! The transient rule on hand-made groups and successes whose expected outcome is read off the
//! times written here.

use std::sync::Arc;

use super::*;
use crate::aggregate::Summary;
use crate::changes::{PolicyChange, TargetType};
use crate::classify::Denial;

const S: i64 = 1_000_000;
/// 2026-11-05T09:00:00Z.
const T0: i64 = 1_793_869_200_000_000;
const USER: &str = "arn:aws:iam::111122223333:user/ci-deployer";
const ROLE: &str = "arn:aws:iam::111122223333:role/deploy-role";

fn assumption(principal: &str, role: &str, time: i64) -> RoleAssumption {
    RoleAssumption { time, principal: principal.into(), role_arn: role.into() }
}

fn successes(list: &[RoleAssumption]) -> RoleAssumptions {
    let mut all = RoleAssumptions::default();
    for a in list {
        all.add(a);
    }
    all
}

/// The summary row of `ci-deployer`'s AssumeRole denials of `deploy-role` at these times.
fn denied_at(times: &[i64]) -> SummaryRow {
    let mut d = Denial::example();
    d.principal.principal = USER.into();
    d.action = "sts:AssumeRole".into();
    d.target.bucket = None;
    d.target.resource_arn = Some(ROLE.into());
    let mut summary = Summary::default();
    for &t in times {
        summary.add(&Denial { event_time: Some(t), ..d.clone() });
    }
    summary.into_rows().head(1).remove(0)
}

fn marked(list: &[RoleAssumption], changes: &[PolicyChange], row: &mut SummaryRow) -> bool {
    successes(list).mark(row, &ChangeIndex::new(changes, 7 * 86_400 * S))
}

#[test]
fn a_success_seconds_after_the_last_denial_makes_the_group_transient() {
    let mut row = denied_at(&[T0, T0 + 5 * S]);
    let before = row.hint.clone();
    assert!(before.contains("trust policy"), "{before}");
    assert!(marked(&[assumption(USER, ROLE, T0 + 25 * S)], &[], &mut row));
    assert_eq!(row.transient_success_time, Some(T0 + 25 * S));
    assert_eq!(
        row.hint,
        "transient: the same principal assumed role deploy-role successfully 20 s later (IAM \
         propagation after a fresh CreateRole or policy change); retry with backoff rather than \
         changing the trust policy"
    );
    // The first success after the last denial is the one named.
    let mut row = denied_at(&[T0, T0 + 5 * S]);
    let list = [assumption(USER, ROLE, T0 + 200 * S), assumption(USER, ROLE, T0 + 7 * S)];
    assert!(marked(&list, &[], &mut row));
    assert_eq!(row.transient_success_time, Some(T0 + 7 * S));
}

#[test]
fn other_principals_other_roles_earlier_or_much_later_successes_are_not_transient() {
    for (success, why) in [
        (assumption("arn:aws:iam::111122223333:user/bob", ROLE, T0 + 20 * S), "another principal"),
        (assumption(USER, "arn:aws:iam::111122223333:role/other", T0 + 20 * S), "another role"),
        (assumption(USER, ROLE, T0 - 10 * S), "before the denial"),
        (assumption(USER, ROLE, T0 + 2 * 3600 * S), "hours later"),
        (assumption(USER, ROLE, T0 + 301 * S), "past the window"),
    ] {
        let mut row = denied_at(&[T0]);
        let hint = row.hint.clone();
        assert!(!marked(std::slice::from_ref(&success), &[], &mut row), "{why}");
        assert_eq!((row.transient_success_time, &row.hint), (None, &hint), "{why}");
    }
    // Denied again after a success: not waiting for propagation.
    let mut row = denied_at(&[T0, T0 + 60 * S]);
    assert!(!marked(&[assumption(USER, ROLE, T0 + 20 * S)], &[], &mut row));
    // Exactly at the window's end still counts.
    let mut row = denied_at(&[T0]);
    assert!(marked(&[assumption(USER, ROLE, T0 + 300 * S)], &[], &mut row));
}

#[test]
fn a_success_after_the_trust_policy_was_rewritten_is_a_fix_not_propagation() {
    let rewrite = |at: i64| PolicyChange {
        event_time: Some(at),
        event_id: Some("e1".into()),
        account_id: Some("111122223333".into()),
        region: Some("us-east-1".into()),
        event_source: Some("iam.amazonaws.com".into()),
        event_name: "UpdateAssumeRolePolicy".into(),
        actor: "arn:aws:iam::111122223333:user/admin".into(),
        target_type: TargetType::RoleTrustPolicy,
        target: Some("deploy-role".into()),
        detail: None,
        document: None,
        error_code: None,
        origin: Arc::from("t"),
    };
    let success = [assumption(USER, ROLE, T0 + 30 * S)];
    let mut row = denied_at(&[T0]);
    assert!(!marked(&success, &[rewrite(T0 + 10 * S)], &mut row));
    // A rewrite before the denials is what propagation follows.
    let mut row = denied_at(&[T0]);
    assert!(marked(&success, &[rewrite(T0 - 10 * S)], &mut row));
}

#[test]
fn only_assume_role_groups_are_looked_at() {
    let mut row = denied_at(&[T0]);
    row.action = "s3:GetObject".into();
    assert!(!marked(&[assumption(USER, ROLE, T0 + 20 * S)], &[], &mut row));
    let mut row = denied_at(&[T0]);
    row.action = "sts:AssumeRoleWithWebIdentity".into();
    assert!(marked(&[assumption(USER, ROLE, T0 + 20 * S)], &[], &mut row));
}

#[test]
fn merging_in_any_order_and_split_gives_the_same_answers_even_past_the_cap() {
    // A pair assumed at 3 × the cap distinct seconds, every 7 s, and a sparse one.
    let dense: Vec<RoleAssumption> = (0..3 * TIMES_PER_PAIR as i64)
        .map(|i| assumption(USER, ROLE, T0 + 7 * i * S + (i % 3) * 200_000))
        .collect();
    let sparse = [assumption("arn:aws:iam::111122223333:user/bob", ROLE, T0 + 40 * S)];
    let all: Vec<RoleAssumption> = dense.iter().chain(&sparse).cloned().collect();
    let whole = successes(&all);
    let reversed: Vec<RoleAssumption> = all.iter().rev().cloned().collect();
    let mut halves = reversed.chunks(1000).map(successes).collect::<Vec<_>>();
    halves.reverse();
    let merged = halves.into_iter().fold(RoleAssumptions::default(), RoleAssumptions::merge);
    let times = |a: &RoleAssumptions| {
        let t = &a.by_principal[USER][ROLE];
        (t.stride, t.slots.clone())
    };
    assert_eq!(times(&whole), times(&merged));
    assert!(whole.by_principal[USER][ROLE].slots.len() <= TIMES_PER_PAIR);
    // Coarse slots still find a success within their stride.
    let stride = whole.by_principal[USER][ROLE].stride;
    assert!(stride > 1);
    for from in [T0 - S, T0 + 1000 * S + 1, T0 + 20_000 * S] {
        let found = whole.first_success(USER, ROLE, from).expect("found");
        let exact = all
            .iter()
            .filter(|a| &*a.principal == USER && a.time >= from)
            .map(|a| a.time)
            .min()
            .expect("exact");
        assert!(found >= from - S && found <= exact, "{found} {exact}");
        assert!(exact - found < stride * S, "{found} {exact}");
        assert_eq!(merged.first_success(USER, ROLE, from), Some(found));
    }
    let bob = "arn:aws:iam::111122223333:user/bob";
    assert_eq!(merged.first_success(bob, ROLE, T0), Some(T0 + 40 * S));
    assert_eq!(merged.first_success(bob, ROLE, T0 + 41 * S), None);
    // The same successes through a reader's log, in an order that jumps back and forth (its
    // waiting seconds are sorted in a cap at a time), named: the same slots.
    let mut log = AssumptionLog::default();
    let order = (0..all.len()).map(|i| (i * 7919) % all.len());
    for a in order.map(|i| &all[i]) {
        log.add(u32::from(&*a.principal != USER), 0, a.time);
    }
    let logged = log.named(|p| [USER, bob][p as usize], |_| ROLE);
    assert_eq!(times(&logged), times(&whole));
    assert_eq!(logged.first_success(bob, ROLE, T0), Some(T0 + 40 * S));
}

#[test]
fn a_log_by_numbers_names_its_pairs_and_merges_numbers_of_one_name() {
    let mut log = AssumptionLog::default();
    // Principals 0 and 1 are one principal seen through two identities; 2 is another.
    log.add(0, 0, T0);
    log.add(1, 0, T0 + 30 * S);
    log.add(2, 1, T0 + 60 * S);
    let principals = [USER, USER, "arn:aws:iam::111122223333:user/bob"];
    let roles = [ROLE, "arn:aws:iam::111122223333:role/other"];
    let named = log.named(|p| principals[p as usize], |r| roles[r as usize]);
    assert_eq!(named.first_success(USER, ROLE, T0 + S), Some(T0 + 30 * S));
    assert_eq!(named.first_success(USER, roles[1], T0), None);
    assert_eq!(named.first_success(principals[2], roles[1], T0), Some(T0 + 60 * S));
    assert_eq!(named.first_success(principals[2], ROLE, T0), None);
}
