//! KMS, per region: `list-keys`, then each key's `describe-key` (which names the key and says
//! whether AWS or the customer manages it) and its policy (`get-key-policy --policy-name
//! default`: the only name a key policy has; moto refuses the call without it, POLICY.md §2.5).

use aws_sdk_kms::Client;
use aws_sdk_kms::types::KeyMetadata;
use futures_util::future::join_all;
use serde_json::Value;

use super::api::Api;
use super::record::Recorder;
use super::shape::{Field, list, object};

/// The one key policy name AWS has.
const POLICY_NAME: &str = "default";

pub(super) async fn fetch(client: &Client, recorder: &Recorder, region_dir: &str) {
    let file = format!("{region_dir}/list-keys");
    let request = client.list_keys().into_paginator().send().try_collect();
    let Some(pages) = recorder.call(&file, Api::ListKeys, request).await else { return };
    let ids = pages.iter().flat_map(|p| p.keys()).filter_map(|k| k.key_id());
    let ids = ids.filter_map(super::path_component);
    join_all(ids.map(|id| fetch_key(client, recorder, format!("{region_dir}/keys/{id}"), id)))
        .await;
}

async fn fetch_key(client: &Client, recorder: &Recorder, dir: String, id: &str) {
    let file = format!("{dir}/describe-key");
    let described = recorder.call(&file, Api::DescribeKey, client.describe_key().key_id(id).send());
    let policy_file = format!("{dir}/get-key-policy");
    let request = client.get_key_policy().key_id(id).policy_name(POLICY_NAME).send();
    let policy = recorder.call(&policy_file, Api::GetKeyPolicy, request);
    let (described, policy) = futures_util::future::join(described, policy).await;
    if let Some(output) = described {
        let metadata = output.key_metadata().map(key_metadata);
        recorder.json(&file, &object([("KeyMetadata", metadata)]));
    }
    if let Some(output) = policy {
        // A JSON string, as the CLI prints it.
        let shaped = object([
            ("Policy", output.policy().field()),
            ("PolicyName", output.policy_name().field()),
        ]);
        recorder.json(&policy_file, &shaped);
    }
}

fn key_metadata(m: &KeyMetadata) -> Value {
    object([
        ("AWSAccountId", m.aws_account_id().field()),
        ("KeyId", m.key_id().field()),
        ("Arn", m.arn().field()),
        ("CreationDate", m.creation_date().field()),
        ("Enabled", m.enabled().field()),
        ("Description", m.description().field()),
        ("KeyUsage", m.key_usage().map(|u| u.as_str()).field()),
        ("KeyState", m.key_state().map(|s| s.as_str()).field()),
        ("Origin", m.origin().map(|o| o.as_str()).field()),
        ("KeyManager", m.key_manager().map(|k| k.as_str()).field()),
        ("KeySpec", m.key_spec().map(|s| s.as_str()).field()),
        ("EncryptionAlgorithms", list(m.encryption_algorithms(), |a| Value::from(a.as_str()))),
        ("MultiRegion", m.multi_region().field()),
    ])
}
