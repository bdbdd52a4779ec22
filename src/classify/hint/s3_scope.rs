//! Which S3 policies can govern a request: an object's bucket policy and key policy, a bucket's
//! policy, or none for an account-level call. The hint for an unexplained S3 denial names only
//! those (a `ListAllMyBuckets` has no bucket policy to check).

use super::HintInput;

/// What an S3 request acted on, which decides the policies that can apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum S3Scope {
    /// An object: the bucket policy and, for SSE-KMS objects, the key policy.
    Object,
    /// A bucket or its configuration: the bucket policy.
    Bucket,
    /// The account (`ListAllMyBuckets`, account-level Block Public Access, …): no bucket policy.
    Account,
}

/// S3 actions on the account rather than a bucket: their resource is `*` or the account, so no
/// bucket policy takes part. From the Service Authorization Reference, "Actions defined by Amazon
/// S3" (the actions without a bucket or object resource type). `CreateBucket` names a bucket
/// that has no policy yet.
const S3_ACCOUNT_ACTIONS: &[&str] = &[
    "CreateBucket",
    "CreateJob",
    "GetAccountPublicAccessBlock",
    "ListAccessGrantsInstances",
    "ListAccessPoints",
    "ListAccessPointsForObjectLambda",
    "ListAllMyBuckets",
    "ListJobs",
    "ListMultiRegionAccessPoints",
    "ListStorageLensConfigurations",
    "PutAccountPublicAccessBlock",
];

/// S3 actions on objects whose name does not say `Object`.
const S3_OBJECT_ACTIONS: &[&str] =
    &["AbortMultipartUpload", "BypassGovernanceRetention", "ListMultipartUploadParts"];

/// Whether the row is an S3 request, and on what. A non-S3 action with a bucket (an S3
/// `GetObject` refused for `kms:Decrypt`) is an object request.
pub(super) fn s3_scope(input: &HintInput<'_>) -> Option<S3Scope> {
    let (service, name) = input.action.split_once(':').unwrap_or(("", input.action));
    if !service.eq_ignore_ascii_case("s3") {
        return input.bucket.is_some().then_some(S3Scope::Object);
    }
    if S3_ACCOUNT_ACTIONS.contains(&name) {
        Some(S3Scope::Account)
    } else if (name.contains("Object") && !name.contains("Bucket"))
        || S3_OBJECT_ACTIONS.contains(&name)
    {
        Some(S3Scope::Object)
    } else {
        Some(S3Scope::Bucket)
    }
}
