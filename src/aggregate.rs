//! Mergeable statistics per (principal, action, bucket): the summary report.
//!
//! Every worker folds its denials into its own [`Summary`]; summaries merge at the end. All
//! statistics merge exactly (counts add, first/last seen are min/max, sets unite) and every
//! choice among equals is made by a fixed order rather than by arrival, so the summary does not
//! depend on thread count or file order. That is also what lets shards be combined later.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::changes::link::ChangeLink;
use crate::classify::Denial;
use crate::classify::category::ErrorCategory;
use crate::classify::hint::{HintInput, hint};
use crate::classify::reason::{DeniedBy, DenyKind};

/// The grouping of the summary.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SummaryKey {
    pub principal: String,
    pub action: String,
    pub bucket: Option<String>,
}

/// The example event shown for a group: its earliest (by time, then event id).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Sample {
    event_time: Option<i64>,
    event_id: Option<String>,
    error_message: Option<String>,
    resource_arn: Option<String>,
    denying_policy_arn: Option<String>,
    vpc_endpoint_id: Option<String>,
}

impl Sample {
    fn of(denial: &Denial) -> Self {
        Self {
            event_time: denial.event_time,
            event_id: denial.event_id.clone(),
            error_message: denial.error_message.clone(),
            resource_arn: denial.target.resource_arn.clone(),
            denying_policy_arn: denial.denying_policy_arn.clone(),
            vpc_endpoint_id: denial.vpc_endpoint_id.clone(),
        }
    }

    /// Events without a time sort last.
    fn order_key(&self) -> (bool, Option<i64>, Option<&str>) {
        (self.event_time.is_none(), self.event_time, self.event_id.as_deref())
    }
}

/// Statistics of one group.
#[derive(Clone, Debug, Default)]
struct Group {
    count: u64,
    principal_types: BTreeSet<String>,
    first_seen: Option<i64>,
    last_seen: Option<i64>,
    source_ips: BTreeSet<String>,
    accounts: BTreeSet<String>,
    regions: BTreeSet<String>,
    error_codes: BTreeSet<String>,
    categories: BTreeMap<ErrorCategory, u64>,
    reasons: BTreeMap<(DeniedBy, DenyKind), u64>,
    sample: Option<Sample>,
}

impl Group {
    fn add(&mut self, d: &Denial) {
        self.count += 1;
        insert_ref(&mut self.principal_types, &d.principal.principal_type);
        self.first_seen = min_time(self.first_seen, d.event_time);
        self.last_seen = self.last_seen.max(d.event_time);
        for (set, value) in [
            (&mut self.source_ips, &d.source_ip),
            (&mut self.accounts, &d.account_id),
            (&mut self.regions, &d.region),
            (&mut self.error_codes, &d.error_code),
        ] {
            if let Some(value) = value {
                insert_ref(set, value);
            }
        }
        *self.categories.entry(d.category).or_default() += 1;
        *self.reasons.entry((d.denied_by, d.deny_kind)).or_default() += 1;
        let candidate = Sample::of(d);
        if self.sample.as_ref().is_none_or(|s| candidate.order_key() < s.order_key()) {
            self.sample = Some(candidate);
        }
    }

    fn merge(&mut self, other: Group) {
        self.count += other.count;
        self.principal_types.extend(other.principal_types);
        self.first_seen = min_time(self.first_seen, other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.source_ips.extend(other.source_ips);
        self.accounts.extend(other.accounts);
        self.regions.extend(other.regions);
        self.error_codes.extend(other.error_codes);
        for (k, n) in other.categories {
            *self.categories.entry(k).or_default() += n;
        }
        for (k, n) in other.reasons {
            *self.reasons.entry(k).or_default() += n;
        }
        self.sample = match (self.sample.take(), other.sample) {
            (Some(a), Some(b)) => Some(if b.order_key() < a.order_key() { b } else { a }),
            (a, b) => a.or(b),
        };
    }
}

fn insert_ref(set: &mut BTreeSet<String>, value: &str) {
    if !set.contains(value) {
        set.insert(value.to_string());
    }
}

fn min_time(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The most frequent entry; ties go to the smallest key.
fn most_frequent<K: Copy + Ord>(counts: &BTreeMap<K, u64>) -> Option<K> {
    // BTreeMap iterates in key order and max_by_key keeps the last maximum: reverse to keep the first.
    counts.iter().rev().max_by_key(|(_, n)| **n).map(|(k, _)| *k)
}

/// One row of the summary report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    pub principal: String,
    /// All types seen for this principal, joined with `|` (normally exactly one).
    pub principal_type: String,
    pub action: String,
    pub bucket: Option<String>,
    pub count: u64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub distinct_source_ips: u64,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub error_codes: Vec<String>,
    /// The most frequent category, policy and kind of denial in the group.
    pub category: ErrorCategory,
    pub denied_by: DeniedBy,
    pub deny_kind: DenyKind,
    pub denying_policy_arn: Option<String>,
    pub sample_event_id: Option<String>,
    pub sample_error_message: Option<String>,
    pub sample_resource_arn: Option<String>,
    pub hint: String,
    /// The policy change that most plausibly caused the group's denials
    /// ([`crate::changes::link`]).
    pub change: Option<ChangeLink>,
    /// A change to what governs the group came after its last denial (it may have been fixed).
    pub changed_after: bool,
    /// A permissions change the denied principal made itself right after its denials.
    pub self_change_event_id: Option<String>,
}

impl SummaryRow {
    /// The group this row summarises.
    pub fn key(&self) -> SummaryKey {
        SummaryKey {
            principal: self.principal.clone(),
            action: self.action.clone(),
            bucket: self.bucket.clone(),
        }
    }
}

/// Denials grouped by (principal, action, bucket).
#[derive(Clone, Debug, Default)]
pub struct Summary {
    groups: HashMap<SummaryKey, Group>,
}

impl Summary {
    pub fn add(&mut self, denial: &Denial) {
        let key = SummaryKey {
            principal: denial.principal.principal.clone(),
            action: denial.action.clone(),
            bucket: denial.target.bucket.clone(),
        };
        self.groups.entry(key).or_default().add(denial);
    }

    pub fn merge(mut self, other: Summary) -> Summary {
        if self.groups.len() < other.groups.len() {
            return other.merge(self);
        }
        for (key, group) in other.groups {
            self.groups.entry(key).or_default().merge(group);
        }
        self
    }

    /// Number of denials summarised.
    pub fn total(&self) -> u64 {
        self.groups.values().map(|g| g.count).sum()
    }

    /// The rows, most frequent first (ties in key order).
    pub fn rows(&self) -> Vec<SummaryRow> {
        let mut rows: Vec<SummaryRow> = self.groups.iter().map(|(k, g)| row(k, g)).collect();
        rows.sort_by(|a, b| {
            b.count.cmp(&a.count).then_with(|| {
                (&a.principal, &a.action, &a.bucket).cmp(&(&b.principal, &b.action, &b.bucket))
            })
        });
        rows
    }
}

fn row(key: &SummaryKey, g: &Group) -> SummaryRow {
    let (denied_by, deny_kind) =
        most_frequent(&g.reasons).unwrap_or((DeniedBy::Unknown, DenyKind::Generic));
    let category = most_frequent(&g.categories).unwrap_or(ErrorCategory::Authorization);
    let sample = g.sample.clone().unwrap_or_default();
    let principal_type = g.principal_types.iter().cloned().collect::<Vec<_>>().join("|");
    let accounts: Vec<String> = g.accounts.iter().cloned().collect();
    let hint = hint(&HintInput {
        denied_by,
        deny_kind,
        principal: &key.principal,
        principal_type: &principal_type,
        action: &key.action,
        resource_arn: sample.resource_arn.as_deref(),
        bucket: key.bucket.as_deref(),
        account_id: accounts.first().map(String::as_str),
        error_category: category.as_str(),
        denying_policy_arn: sample.denying_policy_arn.as_deref(),
        vpc_endpoint_id: sample.vpc_endpoint_id.as_deref(),
    });
    SummaryRow {
        principal: key.principal.clone(),
        principal_type,
        action: key.action.clone(),
        bucket: key.bucket.clone(),
        count: g.count,
        first_seen: g.first_seen,
        last_seen: g.last_seen,
        distinct_source_ips: g.source_ips.len() as u64,
        accounts,
        regions: g.regions.iter().cloned().collect(),
        error_codes: g.error_codes.iter().cloned().collect(),
        category,
        denied_by,
        deny_kind,
        denying_policy_arn: sample.denying_policy_arn,
        sample_event_id: sample.event_id,
        sample_error_message: sample.error_message,
        sample_resource_arn: sample.resource_arn,
        hint,
        change: None,
        changed_after: false,
        self_change_event_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::principal::Principal;
    use crate::classify::reason::PolicyType;
    use std::sync::Arc;

    fn denial(principal: &str, time: i64, ip: &str, by: DeniedBy) -> Denial {
        Denial {
            event_time: Some(time),
            event_id: Some(format!("id-{time}")),
            error_message: Some(format!("message {time}")),
            deny_kind: if by == DeniedBy::Unknown { DenyKind::Generic } else { DenyKind::Implicit },
            denied_by: by,
            principal: Principal {
                principal: principal.into(),
                principal_type: "IAMUser".into(),
                ..Principal::default()
            },
            source_ip: Some(ip.into()),
            origin: Arc::from("f"),
            ..Denial::example()
        }
    }

    #[test]
    fn groups_count_and_pick_the_most_frequent_reason() {
        let bucket_policy = DeniedBy::Policy(PolicyType::ResourceBased);
        let mut summary = Summary::default();
        for d in [
            denial("alice", 30, "192.0.2.1", bucket_policy),
            denial("alice", 10, "192.0.2.2", DeniedBy::Unknown),
            denial("alice", 20, "192.0.2.1", bucket_policy),
            denial("bob", 5, "192.0.2.9", DeniedBy::Unknown),
        ] {
            summary.add(&d);
        }
        let rows = summary.rows();
        assert_eq!(rows.len(), 2);
        let alice = &rows[0];
        assert_eq!((alice.principal.as_str(), alice.count), ("alice", 3));
        assert_eq!((alice.first_seen, alice.last_seen), (Some(10), Some(30)));
        assert_eq!(alice.distinct_source_ips, 2);
        assert_eq!((alice.denied_by, alice.deny_kind), (bucket_policy, DenyKind::Implicit));
        assert_eq!(alice.sample_event_id.as_deref(), Some("id-10"));
        assert!(!alice.hint.is_empty());
        assert_eq!(summary.total(), 4);
    }

    #[test]
    fn merging_in_any_split_gives_the_same_rows() {
        let all: Vec<Denial> = (0..20)
            .map(|i| {
                denial(
                    ["a", "b", "c"][i % 3],
                    (i as i64 * 7) % 11,
                    &format!("192.0.2.{}", i % 4),
                    DeniedBy::Unknown,
                )
            })
            .collect();
        let mut whole = Summary::default();
        all.iter().for_each(|d| whole.add(d));
        for split in [1, 7, 13] {
            let (mut left, mut right) = (Summary::default(), Summary::default());
            all[..split].iter().rev().for_each(|d| left.add(d));
            all[split..].iter().for_each(|d| right.add(d));
            assert_eq!(right.merge(left).rows(), whole.rows(), "split at {split}");
        }
    }
}
