//! S3: each bucket's policy, Block Public Access and policy status
//! (`s3/buckets/<bucket>/…`: the outputs do not name their bucket, so the directory does), the
//! account's Block Public Access (`s3control/get-public-access-block`) and `list-buckets`,
//! which names the buckets the account owns.

use super::files::Reader;
use super::{Gap, Known};
use crate::policy::document::Policy;
use crate::policy::request::BlockPublicAccess;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// One account's buckets and its account-level Block Public Access.
pub(super) struct AccountS3 {
    buckets: BTreeMap<String, Bucket>,
    account_pab: Known<PublicAccessBlock>,
}

pub(super) struct Bucket {
    pub policy: Known<Policy>,
    pab: Known<PublicAccessBlock>,
    /// AWS's verdict (`get-bucket-policy-status`).
    policy_is_public: Known<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListBuckets {
    #[serde(default)]
    buckets: Vec<Named>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetBucketPolicy {
    policy: Value,
}

/// `get-public-access-block` of a bucket (s3api) or an account (s3control): the same shape.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetPublicAccessBlock {
    public_access_block_configuration: PublicAccessBlock,
}

/// The one setting that bears on a request's evaluation; the other three refuse writes of
/// public policies and ACLs, which the error message of those writes names.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "PascalCase")]
struct PublicAccessBlock {
    #[serde(default)]
    restrict_public_buckets: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetBucketPolicyStatus {
    policy_status: PolicyStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyStatus {
    is_public: bool,
}

pub(super) fn load(
    reader: &mut Reader,
    account_dir: &Path,
    account: &str,
    partition: &str,
) -> AccountS3 {
    let dir = account_dir.join("s3");
    let mut buckets = BTreeMap::new();
    for (name, bucket_dir) in reader.subdirs(&dir.join("buckets")) {
        let bucket = load_bucket(reader, &bucket_dir, &name, partition);
        buckets.insert(name, bucket);
    }
    let listed: Known<ListBuckets> =
        reader.output(&dir, "list-buckets", Gap::new("list-buckets", account, "not-captured"));
    for named in listed.present().map(|l| l.buckets).unwrap_or_default() {
        // Owned but not fetched: every piece unknown.
        buckets.entry(named.name.clone()).or_insert_with(|| {
            let gap = |piece| Gap::new(piece, &named.name, "not-captured");
            Bucket {
                policy: Known::NotCaptured(gap("bucket-policy")),
                pab: Known::NotCaptured(gap("block-public-access")),
                policy_is_public: Known::NotCaptured(gap("bucket-policy-status")),
            }
        });
    }
    let account_pab = reader
        .output::<GetPublicAccessBlock>(
            &account_dir.join("s3control"),
            "get-public-access-block",
            Gap::new("account-block-public-access", account, "not-captured"),
        )
        .map(|o| o.public_access_block_configuration);
    AccountS3 { buckets, account_pab }
}

fn load_bucket(reader: &mut Reader, dir: &Path, bucket: &str, partition: &str) -> Bucket {
    let gap = |piece| Gap::new(piece, bucket, "not-captured");
    let name = format!("arn:{partition}:s3:::{bucket}#bucket-policy");
    let policy = reader
        .output::<GetBucketPolicy>(dir, "get-bucket-policy", gap("bucket-policy"))
        .and_then(|output| {
            let file = dir.join("get-bucket-policy.json");
            reader.policy(&file, &name, &output.policy, gap("bucket-policy")).into()
        });
    let pab = reader
        .output::<GetPublicAccessBlock>(dir, "get-public-access-block", gap("block-public-access"))
        .map(|o| o.public_access_block_configuration);
    let policy_is_public = reader
        .output::<GetBucketPolicyStatus>(
            dir,
            "get-bucket-policy-status",
            gap("bucket-policy-status"),
        )
        .map(|o| o.policy_status.is_public);
    Bucket { policy, pab, policy_is_public }
}

impl AccountS3 {
    pub fn holds(&self, bucket: &str) -> bool {
        self.buckets.contains_key(bucket)
    }

    pub fn bucket(&self, bucket: &str) -> Option<&Bucket> {
        self.buckets.get(bucket)
    }

    /// The bucket's and the account's `RestrictPublicBuckets` combined: either one set
    /// restricts, so one known `true` decides even when the other is unknown; no configuration
    /// (`NoSuchPublicAccessBlockConfiguration`) means all settings off. The policy is public as
    /// AWS says; with no bucket policy at all, it is not.
    pub fn block_public_access(&self, bucket: &str) -> Known<BlockPublicAccess> {
        let Some(b) = self.buckets.get(bucket) else {
            return Known::NotCaptured(Gap::new("block-public-access", bucket, "not-in-snapshot"));
        };
        let restricts = |pab: &Known<PublicAccessBlock>| match pab {
            Known::Present(p) => Ok(p.restrict_public_buckets),
            Known::Absent => Ok(false),
            Known::NotCaptured(gap) => Err(gap.clone()),
        };
        let restrict_public_buckets = match (restricts(&b.pab), restricts(&self.account_pab)) {
            (Ok(true), _) | (_, Ok(true)) => true,
            (Ok(false), Ok(false)) => false,
            (Err(gap), _) | (_, Err(gap)) => return Known::NotCaptured(gap),
        };
        let policy_is_public = match b.policy_is_public {
            Known::Present(public) => Some(public),
            Known::Absent => Some(false),
            Known::NotCaptured(_) => None,
        };
        Known::Present(BlockPublicAccess { restrict_public_buckets, policy_is_public })
    }
}
