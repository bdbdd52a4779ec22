//! The trail's own policy changes, replayed (POLICY.md §6.2). The snapshot is taken at the
//! trail's end, so a policy the trail does not change after an event is, at the event, what the
//! snapshot holds. One it changes after the event is, at the event, the document of its latest
//! change at or before the event when the trail logged it, and unknown otherwise. A failed
//! change changes nothing.

use std::collections::BTreeMap;

use serde_json::Value;

use super::matching::Doc;
use super::world;

/// Changes of policies the trail made, by what they changed: the as-of-event replay.
#[derive(Default)]
pub(super) struct History {
    /// Bucket → (time, document after the change).
    pub buckets: BTreeMap<String, Vec<(String, Option<Value>)>>,
    /// `account/user-or-role name` → times of changes of it as a whole (its identity policies
    /// and boundary), whose effect the generator does not replay.
    pub entities: BTreeMap<String, Vec<String>>,
    /// `account/role name` → times of changes of its trust policy.
    pub trusts: BTreeMap<String, Vec<String>>,
}

impl History {
    pub fn record(&mut self, r: &Value) {
        if !r["errorCode"].is_null() {
            return; // A failed change changes nothing (POLICY.md §6.2).
        }
        let (time, params) =
            (r["eventTime"].as_str().unwrap_or_default().to_owned(), &r["requestParameters"]);
        let account = r["recipientAccountId"].as_str().unwrap_or_default();
        let name = r["eventName"].as_str().unwrap_or_default();
        match name {
            "PutBucketPolicy" | "DeleteBucketPolicy" => {
                let Some(bucket) = params["bucketName"].as_str() else { return };
                let doc =
                    params["bucketPolicy"].is_object().then(|| params["bucketPolicy"].clone());
                let doc = if name == "DeleteBucketPolicy" { Some(Value::Null) } else { doc };
                self.buckets.entry(bucket.to_owned()).or_default().push((time, doc));
            }
            "CreateRole" | "DeleteRole" | "UpdateAssumeRolePolicy" => {
                let key = format!("{account}/{}", params["roleName"].as_str().unwrap_or("?"));
                self.trusts.entry(key.clone()).or_default().push(time.clone());
                // A re-created role is changed as a whole (README "Every denial judged", rule 2).
                if name == "CreateRole" {
                    self.entities.entry(key).or_default().push(time);
                }
            }
            // Changes of a user or role as a whole: its identity policies and its boundary at an
            // earlier event are not known (rule 2), whatever the change was.
            "PutRolePolicy"
            | "DeleteRolePolicy"
            | "AttachRolePolicy"
            | "DetachRolePolicy"
            | "PutRolePermissionsBoundary"
            | "DeleteRolePermissionsBoundary"
            | "TagRole"
            | "UntagRole" => {
                let key = format!("{account}/{}", params["roleName"].as_str().unwrap_or("?"));
                self.entities.entry(key).or_default().push(time);
            }
            "PutUserPolicy"
            | "DeleteUserPolicy"
            | "AttachUserPolicy"
            | "DetachUserPolicy"
            | "AddUserToGroup"
            | "RemoveUserFromGroup"
            | "PutUserPermissionsBoundary"
            | "DeleteUserPermissionsBoundary"
            | "TagUser"
            | "UntagUser" => {
                let key = format!("{account}/{}", params["userName"].as_str().unwrap_or("?"));
                self.entities.entry(key).or_default().push(time);
            }
            _ => {}
        }
    }

    /// The bucket policy as of `time`: the snapshot's when the trail does not change it later,
    /// else the document of the trail's last change at or before `time`, else unknown.
    pub fn bucket(&self, bucket: &str, time: &str) -> Doc {
        let changes = self.buckets.get(bucket).map_or(&[][..], Vec::as_slice);
        let later = changes.iter().filter(|(t, _)| t.as_str() > time).map(|(t, _)| t).min();
        let last = changes.iter().filter(|(t, _)| t.as_str() <= time).max_by(|a, b| a.0.cmp(&b.0));
        match (later, last) {
            (Some(_), Some((_, Some(Value::Null)))) => Doc::Absent,
            (Some(_), Some((_, Some(doc)))) => Doc::Known(doc.clone()),
            // Changed after the event, and the trail has no earlier document.
            (Some(_), _) => Doc::Unknown,
            (None, _) => match world::bucket_policy(bucket) {
                Some(doc) => Doc::Known(doc),
                None if bucket == world::BUCKET_NOT_CAPTURED => Doc::Unknown,
                None if world::bucket_owner(bucket).is_some() => Doc::Absent,
                // A bucket the snapshot does not hold.
                None => Doc::Unknown,
            },
        }
    }

    /// Whether the trail changes `key` after `time`: if so, it does not say what applied at
    /// `time` (these changes' documents are not replayed); if not, the snapshot does.
    pub fn changed_after(map: &BTreeMap<String, Vec<String>>, key: &str, time: &str) -> bool {
        map.get(key).is_some_and(|times| times.iter().any(|t| t.as_str() > time))
    }
}
