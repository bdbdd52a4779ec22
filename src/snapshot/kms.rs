//! KMS key policies: `kms/<region>/keys/<key-id>/get-key-policy.json`, which does not name its
//! key (the directory does), beside `describe-key.json`, which does and gives the key's ARN.

use super::files::Reader;
use super::{Gap, Known};
use crate::policy::document::Policy;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

/// One account's keys, in every region captured.
pub(super) struct AccountKeys {
    keys: Vec<Key>,
}

struct Key {
    id: String,
    arn: String,
    policy: Known<Policy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeKey {
    key_metadata: KeyMetadata,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyMetadata {
    key_id: String,
    arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetKeyPolicy {
    policy: Value,
}

pub(super) fn load(
    reader: &mut Reader,
    account_dir: &Path,
    account: &str,
    partition: &str,
) -> AccountKeys {
    let mut keys = Vec::new();
    for (region, region_dir) in reader.subdirs(&account_dir.join("kms")) {
        for (id, dir) in reader.subdirs(&region_dir.join("keys")) {
            let gap = |piece| Gap::new(piece, &id, "not-captured");
            let described: Known<DescribeKey> =
                reader.output(&dir, "describe-key", gap("describe-key"));
            // The content names the key; the path only where it is silent, or contradicts it
            // (then the policy beside it is the directory's key's, and the problem is said).
            let arn = match described {
                Known::Present(d) if d.key_metadata.key_id == id => d.key_metadata.arn,
                Known::Present(d) => {
                    reader.problem(
                        &dir.join("describe-key.json"),
                        format!("describes key {}, not the directory's key", d.key_metadata.key_id),
                    );
                    format!("arn:{partition}:kms:{region}:{account}:key/{id}")
                }
                _ => format!("arn:{partition}:kms:{region}:{account}:key/{id}"),
            };
            let name = format!("{arn}#key-policy");
            let policy = reader
                .output::<GetKeyPolicy>(&dir, "get-key-policy", gap("key-policy"))
                .and_then(|output| {
                    let file = dir.join("get-key-policy.json");
                    reader.policy(&file, &name, &output.policy, gap("key-policy")).into()
                });
            keys.push(Key { id, arn, policy });
        }
    }
    AccountKeys { keys }
}

impl AccountKeys {
    /// The key's policy, when the key is this account's.
    pub fn key_policy(&self, key_arn_or_id: &str) -> Option<Known<Policy>> {
        (self.keys.iter())
            .find(|k| k.arn == key_arn_or_id || k.id == key_arn_or_id)
            .map(|k| k.policy.clone())
    }
}
