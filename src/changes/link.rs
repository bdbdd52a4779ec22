//! Linking each summary group to the policy change that most plausibly caused it.
//!
//! A change *governs* a group when it changed something AWS consults for that request:
//! - S3 groups: the bucket's policy, Block Public Access (bucket, or the account's), Object
//!   Ownership and ACL;
//! - user and role principals (and role sessions, grouped by role): their inline policies,
//!   attachments, permissions boundary and tags, the groups the trail shows them joining
//!   (`AddUserToGroup`; and those groups' policies), and new versions of the managed policies the
//!   trail shows attached (`Attach…Policy`) to them or those groups;
//! - `sts:AssumeRole*`: the trust policy of the role assumed (the group's resource);
//! - `kms:*` on a key: the key's policy;
//! - other resources (SQS, SNS, Secrets Manager, Lambda, ECR): their own resource policy (same
//!   service and name; a secret named by name or by its suffixed ARN);
//! - requests through a VPC endpoint: that endpoint's policy (the endpoint of the group's earliest
//!   request, `sample_vpc_endpoint_id`);
//! - SCP and RCP changes, attachments and account moves: groups whose message names an SCP or RCP,
//!   or names nothing (the organization tree is not in the trail, so an OU or root attachment
//!   counts for every account; an account attachment or move for the principals of that account,
//!   its root user included).
//!
//! The link is the latest *successful* governing change at or before the group's first denial,
//! no more than the look-back (default 7 days) earlier; changes in the same second are ordered by
//! event id, so the choice does not depend on file order. `changed_after` marks a group with a
//! governing change after its last denial (it may have been fixed); `self_change_event_id` names
//! the first change (other than a session) the denied principal made itself between its first
//! denial and an hour after its last (a possible privilege escalation). A group of an AWS service
//! principal linked to a change of the resource's own policy or settings loses its
//! `service_principal` noise label: that lockout is what the operator needs to see.
//!
//! Not linked: session policies. The summary groups sessions by role, and one group holds the
//! requests of many sessions, each with its own session policy; `policy_changes.parquet` keeps
//! them with the access key they were issued to, which the evaluation of each denial joins.

use std::collections::{BTreeSet, HashMap};

use chrono::DateTime;

use super::{PolicyChange, TargetType};
use crate::aggregate::SummaryRow;
use crate::classify::reason::{DeniedBy, PolicyType};

/// The default look-back: a change older than this before the first denial is not linked.
pub const DEFAULT_LOOKBACK: &str = "7d";

/// How long after a group's last denial a change by the denied principal still counts as its own
/// reaction to the denials.
const SELF_CHANGE_AFTER_MICROS: i64 = 3600 * 1_000_000;

/// The change a group is linked to: the summary's `change_…` columns.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ChangeLink {
    pub event_id: Option<String>,
    pub time: Option<i64>,
    pub actor: String,
    pub event_name: String,
    pub target_type: Option<TargetType>,
    pub target: Option<String>,
}

/// IAM identities as changes name them: (account, kind, name).
type Subject = (String, IamKind, String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum IamKind {
    User,
    Role,
    Group,
}

/// The successful changes of a run, indexed by what they govern.
pub struct ChangeIndex<'c> {
    lookback: i64,
    by_bucket: HashMap<&'c str, Vec<&'c PolicyChange>>,
    by_account_setting: HashMap<&'c str, Vec<&'c PolicyChange>>,
    by_subject: HashMap<Subject, Vec<&'c PolicyChange>>,
    memberships: HashMap<Subject, BTreeSet<String>>,
    attachments: HashMap<Subject, BTreeSet<&'c str>>,
    by_managed_policy: HashMap<&'c str, Vec<&'c PolicyChange>>,
    by_trust: HashMap<(String, String), Vec<&'c PolicyChange>>,
    by_key: HashMap<&'c str, Vec<&'c PolicyChange>>,
    /// (service, resource name) → changes of that resource's policy.
    by_resource: HashMap<(String, String), Vec<&'c PolicyChange>>,
    by_endpoint: HashMap<&'c str, Vec<&'c PolicyChange>>,
    organization: Vec<&'c PolicyChange>,
    by_actor: HashMap<&'c str, Vec<&'c PolicyChange>>,
}

impl<'c> ChangeIndex<'c> {
    /// Indexes the successful changes among `changes`; `lookback` in microseconds.
    pub fn new(changes: &'c [PolicyChange], lookback: i64) -> Self {
        let mut index = ChangeIndex {
            lookback,
            by_bucket: HashMap::new(),
            by_account_setting: HashMap::new(),
            by_subject: HashMap::new(),
            memberships: HashMap::new(),
            attachments: HashMap::new(),
            by_managed_policy: HashMap::new(),
            by_trust: HashMap::new(),
            by_key: HashMap::new(),
            by_resource: HashMap::new(),
            by_endpoint: HashMap::new(),
            organization: Vec::new(),
            by_actor: HashMap::new(),
        };
        for c in changes.iter().filter(|c| c.error_code.is_none() && c.event_time.is_some()) {
            index.add(c);
        }
        index
    }

    fn add(&mut self, c: &'c PolicyChange) {
        if c.target_type != TargetType::Session {
            self.by_actor.entry(&c.actor).or_default().push(c);
        }
        let Some(target) = c.target.as_deref() else { return };
        let account = c.account_id.clone().unwrap_or_default();
        match c.target_type {
            TargetType::PublicAccessBlock if c.event_name.contains("Account") => {
                self.by_account_setting.entry(target).or_default().push(c)
            }
            TargetType::BucketPolicy
            | TargetType::PublicAccessBlock
            | TargetType::OwnershipControls
            | TargetType::Acl => self.by_bucket.entry(target).or_default().push(c),
            TargetType::InlinePolicy
            | TargetType::PolicyAttachment
            | TargetType::PermissionsBoundary
            | TargetType::PrincipalTags => {
                let Some(kind) = iam_kind(&c.event_name) else { return };
                let subject = (account, kind, target.to_string());
                // A detached policy's later versions no longer govern; the detachment itself does.
                if c.target_type == TargetType::PolicyAttachment
                    && c.event_name.starts_with("Attach")
                    && let Some(policy) = c.detail.as_deref()
                {
                    self.attachments.entry(subject.clone()).or_default().insert(policy);
                }
                self.by_subject.entry(subject).or_default().push(c);
            }
            TargetType::GroupMembership => {
                let subject = (account.clone(), IamKind::User, target.to_string());
                if c.event_name == "AddUserToGroup"
                    && let Some(group) = &c.detail
                {
                    self.memberships.entry(subject.clone()).or_default().insert(group.clone());
                }
                self.by_subject.entry(subject).or_default().push(c);
            }
            TargetType::ManagedPolicyVersion => {
                self.by_managed_policy.entry(target).or_default().push(c)
            }
            TargetType::RoleTrustPolicy => {
                self.by_trust.entry((account, target.to_string())).or_default().push(c)
            }
            TargetType::KeyPolicy => self.by_key.entry(key_id(target)).or_default().push(c),
            TargetType::ResourcePolicy => {
                let service =
                    c.event_source.as_deref().and_then(|s| s.split('.').next()).unwrap_or_default();
                let key = (service.to_string(), resource_name(service, target).to_string());
                self.by_resource.entry(key).or_default().push(c)
            }
            TargetType::Scp
            | TargetType::Rcp
            | TargetType::OrgPolicyAttachment
            | TargetType::OrgStructure => self.organization.push(c),
            TargetType::EndpointPolicy => self.by_endpoint.entry(target).or_default().push(c),
            TargetType::Session => {}
        }
    }

    /// Every change that governs the group of `row`.
    fn governing(&self, row: &SummaryRow) -> Vec<&'c PolicyChange> {
        let mut found: Vec<&'c PolicyChange> = Vec::new();
        let mut extend =
            |list: Option<&Vec<&'c PolicyChange>>| found.extend(list.into_iter().flatten());
        if let Some(bucket) = row.bucket.as_deref() {
            extend(self.by_bucket.get(bucket));
            for account in &row.accounts {
                extend(self.by_account_setting.get(account.as_str()));
            }
        }
        if let Some(subject) = iam_subject(&row.principal) {
            extend(self.by_subject.get(&subject));
            let account = &subject.0;
            let groups = self.memberships.get(&subject).into_iter().flatten();
            let group_subjects: Vec<Subject> =
                groups.map(|g| (account.clone(), IamKind::Group, g.clone())).collect();
            for group in &group_subjects {
                extend(self.by_subject.get(group));
            }
            let attached = std::iter::once(&subject)
                .chain(&group_subjects)
                .filter_map(|s| self.attachments.get(s))
                .flatten();
            for policy in attached {
                extend(self.by_managed_policy.get(policy));
            }
        }
        let resource = row.sample_resource_arn.as_deref();
        if row.action.to_ascii_lowercase().starts_with("sts:assumerole")
            && let Some(subject) = resource.and_then(iam_subject).filter(|s| s.1 == IamKind::Role)
        {
            extend(self.by_trust.get(&(subject.0, subject.2)));
        }
        if let Some(resource) = resource {
            if row.action.starts_with("kms:") && resource.contains(":key/") {
                extend(self.by_key.get(key_id(resource)));
            } else if let Some(service) = resource.split(':').nth(2) {
                let key = (service.to_string(), resource_name(service, resource).to_string());
                extend(self.by_resource.get(&key));
            }
        }
        if let Some(endpoint) = row.sample_vpc_endpoint_id.as_deref() {
            extend(self.by_endpoint.get(endpoint));
        }
        let org_named = matches!(
            row.denied_by,
            DeniedBy::Policy(PolicyType::ServiceControlPolicy | PolicyType::ResourceControlPolicy)
                | DeniedBy::Unknown
        );
        if org_named {
            let account = principal_account(&row.principal);
            found.extend(self.organization.iter().filter(|c| governs_account(c, account)));
        }
        found
    }

    /// Whether a change that governs the group of `row` took effect after `after` and at or
    /// before `until` (microseconds).
    pub fn changed_between(&self, row: &SummaryRow, after: i64, until: i64) -> bool {
        let within = |c: &&PolicyChange| c.event_time.is_some_and(|t| t > after && t <= until);
        self.governing(row).iter().any(within)
    }

    /// Whether no change can be linked (then rows need not be looked at).
    pub fn is_empty(&self) -> bool {
        // Every change another index holds is also indexed by its actor (sessions are in none).
        self.by_actor.is_empty()
    }

    /// Sets the row's link, `changed_after` and `self_change_event_id`; whether any was set.
    pub fn link(&self, row: &mut SummaryRow) -> bool {
        let (Some(first), Some(last)) = (row.first_seen, row.last_seen) else { return false };
        let governing = self.governing(row);
        let time = |c: &&PolicyChange| c.event_time.unwrap_or(i64::MIN);
        let cause = governing
            .iter()
            .filter(|c| (first - self.lookback..=first).contains(&time(c)))
            .max_by(|a, b| (time(a), &a.event_id).cmp(&(time(b), &b.event_id)));
        row.change = cause.map(|c| ChangeLink {
            event_id: c.event_id.clone(),
            time: c.event_time,
            actor: c.actor.clone(),
            event_name: c.event_name.clone(),
            target_type: Some(c.target_type),
            target: c.target.clone(),
        });
        row.changed_after = governing.iter().any(|c| time(c) > last);
        let own = self.by_actor.get(row.principal.as_str()).into_iter().flatten();
        let own = own
            .filter(|c| (first..=last.saturating_add(SELF_CHANGE_AFTER_MICROS)).contains(&time(c)))
            .min_by(|a, b| (time(a), &a.event_id).cmp(&(time(b), &b.event_id)))
            .copied();
        row.self_change_event_id = own.and_then(|c| c.event_id.clone());
        // A service locked out by a change to the resource's policy is the story, not noise.
        if row.noise == Some("service_principal")
            && row.change.as_ref().is_some_and(|c| c.target_type.is_some_and(is_resource_side))
        {
            row.noise = None;
        }
        match describe(row, own) {
            Some(lead) => {
                row.hint = format!("{lead}; then: {}", row.hint);
                true
            }
            None => row.changed_after,
        }
    }
}

/// Whether a change of this kind is to the policy or settings of the resource a request named
/// (not to the caller's own permissions or the organization's).
fn is_resource_side(target: TargetType) -> bool {
    matches!(
        target,
        TargetType::BucketPolicy
            | TargetType::PublicAccessBlock
            | TargetType::OwnershipControls
            | TargetType::Acl
            | TargetType::KeyPolicy
            | TargetType::ResourcePolicy
            | TargetType::EndpointPolicy
    )
}

/// The sentence the hint leads with when a change is linked (or the principal changed its own
/// permissions): "denials began 5 min after …".
fn describe(row: &SummaryRow, own: Option<&PolicyChange>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(link) = &row.change {
        let after = match (row.first_seen, link.time) {
            (Some(first), Some(at)) => format!("{} after", span((first - at).max(0))),
            _ => "after".into(),
        };
        let what = match (link.target_type, link.target.as_deref()) {
            (Some(t), Some(target)) => {
                format!("changed the {} of {target}", t.as_str().replace('_', " "))
            }
            (Some(t), None) => format!("changed a {}", t.as_str().replace('_', " ")),
            _ => "made a change".into(),
        };
        let when = link
            .time
            .and_then(DateTime::from_timestamp_micros)
            .map(|t| t.format(" at %Y-%m-%d %H:%M:%S UTC").to_string());
        parts.push(format!(
            "denials began {after} {} {what} ({}{}, event {}); see policy_changes.parquet",
            link.actor,
            link.event_name,
            when.unwrap_or_default(),
            link.event_id.as_deref().unwrap_or("without id")
        ));
    }
    if let Some(own) = own {
        parts.push(format!(
            "{} itself made a permissions change after these denials ({} on {}, event {}): check it was intended",
            row.principal,
            own.event_name,
            own.target.as_deref().unwrap_or("–"),
            own.event_id.as_deref().unwrap_or("without id")
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `5 min`, `3 h`, `2 d`, `40 s`.
fn span(micros: i64) -> String {
    let s = micros / 1_000_000;
    match s {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

/// Which IAM identity an IAM event's name is about.
fn iam_kind(event_name: &str) -> Option<IamKind> {
    if matches!(event_name, "AddUserToGroup" | "RemoveUserFromGroup") || event_name.contains("User")
    {
        Some(IamKind::User)
    } else if event_name.contains("Role") {
        Some(IamKind::Role)
    } else if event_name.contains("Group") {
        Some(IamKind::Group)
    } else {
        None
    }
}

/// `arn:…:iam::A:user/path/name` → (A, user, name); roles likewise.
fn iam_subject(arn: &str) -> Option<Subject> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ["arn", _, "iam", _, account, resource] = parts.as_slice() else { return None };
    let (kind, path) = resource.split_once('/')?;
    let kind = match kind {
        "user" => IamKind::User,
        "role" => IamKind::Role,
        _ => return None,
    };
    let name = path.rsplit('/').next()?;
    Some((account.to_string(), kind, name.to_string()))
}

/// A key's id, from its ARN or the id itself.
fn key_id(key: &str) -> &str {
    key.rsplit_once(":key/").map_or(key, |(_, id)| id)
}

/// The queue, topic, secret, function or repository that a change's target (a name, URL or ARN)
/// or a denial's resource ARN names, so that the two compare: a queue URL's last part, a
/// secret's name without the six-character suffix its ARN carries, a function's name without
/// version or alias.
fn resource_name<'t>(service: &str, text: &'t str) -> &'t str {
    match service {
        "sqs" => text.trim_end_matches('/').rsplit(['/', ':']).next().unwrap_or(text),
        "ecr" => text.split_once(":repository/").map_or(text, |(_, name)| name),
        "lambda" => text
            .split_once("function:")
            .map_or(text, |(_, rest)| rest.split(':').next().unwrap_or(rest)),
        "secretsmanager" => match text.split_once(":secret:") {
            Some((_, name)) => match name.rsplit_once('-') {
                Some((base, suffix))
                    if suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                {
                    base
                }
                _ => name,
            },
            None => text,
        },
        _ => text.rsplit(':').next().unwrap_or(text),
    }
}

/// The account of an IAM principal ARN (users, roles, the root user).
fn principal_account(principal: &str) -> Option<&str> {
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", _, account, _] => Some(account),
        _ => None,
    }
}

/// Whether an organization change can govern the principal's account.
fn governs_account(change: &PolicyChange, account: Option<&str>) -> bool {
    match change.target_type {
        TargetType::OrgPolicyAttachment | TargetType::OrgStructure => {
            match change.target.as_deref() {
                Some(target) if target.starts_with("ou-") || target.starts_with("r-") => true,
                Some(target) => Some(target) == account,
                None => false,
            }
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests;
