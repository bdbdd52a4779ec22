//! Policies as of a denial's `eventTime`, replayed from the trail's own changes (POLICY.md §6.2).
//!
//! A change whose request carries the whole new document (a bucket, key, trust, inline, SCP or
//! endpoint policy) says exactly what applied from its `eventTime` on. Before the first such
//! change the trail says nothing, and the snapshot is right only when no change happened between
//! the event and the snapshot's capture: otherwise the document as of the event is not known,
//! and the evaluation says so instead of judging with the later one.

use std::collections::HashMap;

use crate::changes::{PolicyChange, TargetType};

/// What one policy was at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsOf<'c> {
    /// The trail replaced (or deleted, `document: None`) it at `time`, the latest such change at
    /// or before the event.
    Trail { time: i64, event_id: Option<&'c str>, document: Option<&'c str> },
    /// The trail shows no change between the event and the snapshot: the snapshot's holds.
    Snapshot,
    /// Changed between the event and the snapshot, with no earlier document in the trail.
    Unknown { changed_at: i64 },
}

/// Which policy: its kind and the names the trail uses for it (lower-cased where IAM and S3
/// compare names case-insensitively they do not — names are kept exactly as logged).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    BucketPolicy {
        bucket: String,
    },
    /// A role's trust policy: (account, role name).
    TrustPolicy {
        account: String,
        role: String,
    },
    /// An inline policy: (account, entity kind `user`/`group`/`role`, entity name, policy name).
    Inline {
        account: String,
        kind: &'static str,
        entity: String,
        name: String,
    },
    /// A key policy by key id (the trail logs an id, an ARN or an alias; the id is the common part).
    KeyPolicy {
        key_id: String,
    },
    /// An SCP or RCP by policy id (`p-…`).
    OrgPolicy {
        id: String,
    },
    EndpointPolicy {
        vpce: String,
    },
    /// A user or role as a whole: its inline policies, attachments, group membership,
    /// boundary and tags, and the role itself (re-created). Only "changed at" is replayed.
    Entity {
        account: String,
        kind: &'static str,
        name: String,
    },
    /// Anything else whose change the trail records without replaying it (managed policy
    /// versions, Block Public Access, sessions): only "changed at" is known.
    Other {
        what: String,
    },
}

struct Entry<'c> {
    time: i64,
    event_id: Option<&'c str>,
    document: Option<&'c str>,
    /// The change carries the whole new document (or is a delete).
    replaces: bool,
}

/// The successful changes of the trail, by the policy they changed, each list in time order.
pub struct History<'c> {
    by_subject: HashMap<Subject, Vec<Entry<'c>>>,
}

impl<'c> History<'c> {
    pub fn new(changes: &'c [PolicyChange]) -> Self {
        let mut by_subject: HashMap<Subject, Vec<Entry<'c>>> = HashMap::new();
        for change in changes.iter().filter(|c| c.error_code.is_none()) {
            let Some(time) = change.event_time else { continue };
            for (subject, replaces) in subjects(change) {
                by_subject.entry(subject).or_default().push(Entry {
                    time,
                    event_id: change.event_id.as_deref(),
                    document: change.document.as_deref(),
                    replaces,
                });
            }
        }
        for entries in by_subject.values_mut() {
            entries.sort_by(|a, b| (a.time, a.event_id).cmp(&(b.time, b.event_id)));
        }
        Self { by_subject }
    }

    /// The policy `subject` as of `at`, given a snapshot captured at `snapshot_time` (`None`: no
    /// snapshot, and then only the trail can say).
    pub fn as_of(&self, subject: &Subject, at: i64, snapshot_time: Option<i64>) -> AsOf<'c> {
        let Some(entries) = self.by_subject.get(subject) else { return AsOf::Snapshot };
        // The latest change at or before the event decides, if the trail logged its document;
        // one without (a request the trail truncated) leaves the policy unknown from then on.
        match entries.iter().rev().find(|e| e.time <= at) {
            Some(latest) if latest.replaces => {
                return AsOf::Trail {
                    time: latest.time,
                    event_id: latest.event_id,
                    document: latest.document,
                };
            }
            Some(latest) if snapshot_time.is_none_or(|s| s <= latest.time) => {
                return AsOf::Unknown { changed_at: latest.time };
            }
            _ => {}
        }
        let (from, to) = match snapshot_time {
            Some(snapshot) if snapshot < at => (snapshot, at),
            Some(snapshot) => (at, snapshot),
            None => return AsOf::Snapshot,
        };
        match entries.iter().find(|e| e.time > from && e.time <= to) {
            Some(e) => AsOf::Unknown { changed_at: e.time },
            None => AsOf::Snapshot,
        }
    }

    /// Session parts (`{"policy": …, "policyArns": …, "tags": …}`) issued with `access_key`.
    pub fn session(&self, access_key: &str) -> Option<&'c str> {
        let subject = Subject::Other { what: format!("session:{access_key}") };
        self.by_subject.get(&subject)?.last()?.document
    }
}

/// The subjects a change changed, and whether it carries the whole new document.
fn subjects(change: &PolicyChange) -> Vec<(Subject, bool)> {
    let account = change.account_id.clone().unwrap_or_default();
    let Some(target) = change.target.clone() else { return Vec::new() };
    let deletes = change.event_name.starts_with("Delete");
    let full = deletes || change.document.is_some();
    let mut found = Vec::new();
    let kind = entity_kind(&change.event_name);
    let names_an_entity = matches!(
        change.target_type,
        TargetType::InlinePolicy
            | TargetType::PolicyAttachment
            | TargetType::PermissionsBoundary
            | TargetType::PrincipalTags
            | TargetType::GroupMembership
    ) || change.event_name == "CreateRole";
    if names_an_entity && kind != "group" {
        // Group membership changes name the user; the rest the user or role they change.
        let kind = if change.target_type == TargetType::GroupMembership { "user" } else { kind };
        let entity = Subject::Entity { account: account.clone(), kind, name: target.clone() };
        found.push((entity, false));
    }
    let subject = match change.target_type {
        TargetType::BucketPolicy => Subject::BucketPolicy { bucket: target },
        TargetType::RoleTrustPolicy => Subject::TrustPolicy { account, role: target },
        TargetType::InlinePolicy => {
            let Some(name) = change.detail.clone() else { return found };
            Subject::Inline { account, kind, entity: target, name }
        }
        TargetType::KeyPolicy => Subject::KeyPolicy { key_id: key_id(&target).to_string() },
        TargetType::Scp | TargetType::Rcp => Subject::OrgPolicy { id: target },
        TargetType::EndpointPolicy => Subject::EndpointPolicy { vpce: target },
        TargetType::Session => Subject::Other { what: format!("session:{target}") },
        TargetType::PolicyAttachment
        | TargetType::PermissionsBoundary
        | TargetType::PrincipalTags
        | TargetType::GroupMembership => return found,
        other => Subject::Other { what: format!("{}:{target}", other.as_str()) },
    };
    let full = full && !matches!(subject, Subject::Other { .. });
    found.push((subject, full));
    found
}

/// Which kind of IAM entity an event names: `user`, `group` or `role`.
fn entity_kind(event_name: &str) -> &'static str {
    if event_name.contains("User") {
        "user"
    } else if event_name.contains("Group") {
        "group"
    } else {
        "role"
    }
}

/// The key id in a key ARN (`arn:…:key/ID`) or the id itself.
pub fn key_id(key: &str) -> &str {
    key.rsplit_once(":key/").map_or(key, |(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::schema::blank_policy_change;

    fn change(time: i64, name: &str, bucket: &str, document: Option<&str>) -> PolicyChange {
        PolicyChange {
            event_time: Some(time),
            event_id: Some(format!("e{time}")),
            event_name: name.into(),
            target_type: TargetType::BucketPolicy,
            target: Some(bucket.into()),
            document: document.map(str::to_string),
            ..blank_policy_change()
        }
    }

    fn bucket(b: &str) -> Subject {
        Subject::BucketPolicy { bucket: b.into() }
    }

    #[test]
    fn the_latest_replacement_at_or_before_the_event_decides() {
        let changes = [
            change(10, "PutBucketPolicy", "b", Some("one")),
            change(20, "PutBucketPolicy", "b", Some("two")),
            change(15, "PutBucketPolicy", "other", Some("x")),
        ];
        let history = History::new(&changes);
        let doc = |at| match history.as_of(&bucket("b"), at, Some(100)) {
            AsOf::Trail { document, .. } => document,
            other => panic!("{other:?}"),
        };
        assert_eq!(doc(10), Some("one"));
        assert_eq!(doc(19), Some("one"));
        assert_eq!(doc(20), Some("two"));
        assert_eq!(doc(99), Some("two"));
    }

    #[test]
    fn before_any_change_the_snapshot_holds_only_if_nothing_changed_since() {
        let changes = [change(50, "DeleteBucketPolicy", "b", None)];
        let history = History::new(&changes);
        // Event at 10, snapshot at 100: the delete at 50 lies between, so 10's policy is unknown.
        assert_eq!(history.as_of(&bucket("b"), 10, Some(100)), AsOf::Unknown { changed_at: 50 });
        // Snapshot at 40, before the delete: the event at 10 sees the snapshot's policy.
        assert_eq!(history.as_of(&bucket("b"), 10, Some(40)), AsOf::Snapshot);
        // After the delete: no policy.
        assert!(matches!(
            history.as_of(&bucket("b"), 60, Some(40)),
            AsOf::Trail { document: None, time: 50, .. }
        ));
        // A bucket the trail never touched.
        assert_eq!(history.as_of(&bucket("c"), 10, Some(100)), AsOf::Snapshot);
    }

    #[test]
    fn a_change_without_its_document_hides_what_came_before() {
        let changes = [
            change(10, "PutBucketPolicy", "b", Some("one")),
            change(20, "PutBucketPolicy", "b", None),
        ];
        let history = History::new(&changes);
        assert!(matches!(history.as_of(&bucket("b"), 15, Some(100)), AsOf::Trail { time: 10, .. }));
        // After the undocumented change, with a snapshot from before it: not known.
        assert_eq!(history.as_of(&bucket("b"), 25, Some(18)), AsOf::Unknown { changed_at: 20 });
        // Nor without a snapshot.
        assert_eq!(history.as_of(&bucket("b"), 25, None), AsOf::Unknown { changed_at: 20 });
        // A snapshot taken after it, with no change since, is what applied: before or after
        // the event.
        assert_eq!(history.as_of(&bucket("b"), 25, Some(100)), AsOf::Snapshot);
        assert_eq!(history.as_of(&bucket("b"), 25, Some(22)), AsOf::Snapshot);
    }

    #[test]
    fn failed_attempts_change_nothing() {
        let mut failed = change(5, "PutBucketPolicy", "b", Some("evil"));
        failed.error_code = Some("AccessDenied".into());
        let changes = [failed];
        assert_eq!(History::new(&changes).as_of(&bucket("b"), 10, Some(1)), AsOf::Snapshot);
    }

    #[test]
    fn key_ids_from_arns() {
        assert_eq!(key_id("arn:aws:kms:us-east-1:111122223333:key/abc-1"), "abc-1");
        assert_eq!(key_id("abc-1"), "abc-1");
    }
}
