//! The trail's own policy changes, replayed (POLICY.md §6.2): a change with its document replaces
//! the snapshot's from its time on; a change without one makes the policy unknown from then on;
//! a failed change changes nothing.

use std::collections::BTreeMap;

use serde_json::Value;

use super::matching::Doc;
use super::world;

/// Changes of policies the trail made, by what they changed: the as-of-event replay.
#[derive(Default)]
pub(super) struct History {
    /// Bucket → (time, document after the change).
    pub buckets: BTreeMap<String, Vec<(String, Option<Value>)>>,
    /// `account/user-or-role name` → times of changes whose effect the trail does not spell out.
    pub entities: BTreeMap<String, Vec<String>>,
    /// `account/role name` → times of changes of its trust policy.
    pub trusts: BTreeMap<String, Vec<String>>,
    /// `account/user-or-role name` → times of changes of its permissions boundary.
    pub boundaries: BTreeMap<String, Vec<String>>,
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
            "CreateRole"
            | "DeleteRole"
            | "UpdateAssumeRolePolicy"
            | "PutRolePolicy"
            | "DeleteRolePolicy"
            | "AttachRolePolicy"
            | "DetachRolePolicy"
            | "PutRolePermissionsBoundary"
            | "DeleteRolePermissionsBoundary" => {
                let role = params["roleName"].as_str().unwrap_or("?");
                let key = format!("{account}/{role}");
                if matches!(name, "CreateRole" | "DeleteRole" | "UpdateAssumeRolePolicy") {
                    self.trusts.entry(key.clone()).or_default().push(time.clone());
                }
                if !name.contains("RolePolic") {
                    self.boundaries.entry(key.clone()).or_default().push(time.clone());
                }
                self.entities.entry(key).or_default().push(time);
            }
            "PutUserPolicy"
            | "DeleteUserPolicy"
            | "AttachUserPolicy"
            | "DetachUserPolicy"
            | "AddUserToGroup"
            | "RemoveUserFromGroup"
            | "PutUserPermissionsBoundary" => {
                let key = format!("{account}/{}", params["userName"].as_str().unwrap_or("?"));
                if name == "PutUserPermissionsBoundary" {
                    self.boundaries.entry(key.clone()).or_default().push(time.clone());
                }
                self.entities.entry(key).or_default().push(time);
            }
            _ => {}
        }
    }

    /// The bucket policy as of `time`: the trail's last change at or before it, else the snapshot.
    pub fn bucket(&self, bucket: &str, time: &str) -> Doc {
        let last = self.buckets.get(bucket).and_then(|changes| {
            changes.iter().filter(|(t, _)| t.as_str() <= time).max_by(|a, b| a.0.cmp(&b.0))
        });
        match last {
            Some((_, Some(Value::Null))) => Doc::Absent,
            Some((_, Some(doc))) => Doc::Known(doc.clone()),
            Some((t, None)) => Doc::Unknown(format!(
                "bucket policy of {bucket} set at {t} without its document in the trail"
            )),
            None => match world::bucket_policy(bucket) {
                Some(doc) => Doc::Known(doc),
                None if bucket == world::BUCKET_NOT_CAPTURED => {
                    Doc::Unknown(format!("bucket policy of {bucket} not captured"))
                }
                None if world::bucket_owner(bucket).is_some() => Doc::Absent,
                None => Doc::Unknown(format!("bucket {bucket} not in the snapshot")),
            },
        }
    }

    pub fn changed(map: &BTreeMap<String, Vec<String>>, key: &str, time: &str) -> Option<String> {
        map.get(key)?.iter().filter(|t| t.as_str() <= time).max().cloned()
    }
}
