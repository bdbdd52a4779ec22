//! The IAM action a CloudTrail event stands for.
//!
//! A denial is fixed in a policy, and policies name IAM actions (`s3:GetObject`), not the API call
//! CloudTrail records (`eventSource` `s3.amazonaws.com`, `eventName` `HeadObject`). Usually the action
//! is the service prefix plus the event name; this module knows where it is not:
//!
//! - the service prefix is not always the endpoint name (`monitoring` is `cloudwatch`);
//! - some services version their event names (Lambda's `GetFunction20150331v2`, CloudFront's
//!   `CreateDistribution2020_05_31`);
//! - some API calls are authorised by a differently named action (S3's `HeadObject` needs
//!   `s3:GetObject`, SQS's `SendMessageBatch` needs `sqs:SendMessage`).
//!
//! - a request for one version of an S3 object needs the `…Version…` action (`GetObject` with a
//!   `versionId` is `s3:GetObjectVersion`);
//! - API Gateway's management calls are authorised by their HTTP verb (`CreateRestApi` is
//!   `apigateway:POST`).
//!
//! Each of those facts is a table below naming the AWS page it comes from. The prefix of an action
//! named in a message is lower-cased ([`normalize_named`]): IAM compares prefixes ignoring case,
//! grouping and suppression globs do not.

/// Endpoint names whose IAM service prefix differs. From the Service Authorization Reference,
/// "Actions, resources, and condition keys for AWS services" (each service's page states its prefix),
/// against the `eventSource` values in the services' "Logging … calls with AWS CloudTrail" pages.
/// Every target is checked against the list of real prefixes in `action/iam_prefixes.txt`.
const PREFIX_RENAMES: &[(&str, &str)] = &[
    ("amazonmq", "mq"),
    ("cloudcontrolapi", "cloudformation"),
    ("email", "ses"),
    ("models.lex", "lex"),
    ("monitoring", "cloudwatch"),
    ("runtime.lex", "lex"),
    ("runtime.sagemaker", "sagemaker"),
    ("streams.dynamodb", "dynamodb"),
    ("tagging", "tag"),
];

/// S3 API calls authorised by a differently named action, by CloudTrail `eventName` (both the API
/// name and, where CloudTrail logs another, that one: `GetBucketLifecycle`, `DeleteBucketPublicAccessBlock`).
/// From the Amazon S3 User Guide, "Required permissions for Amazon S3 API operations", and "Amazon S3
/// CloudTrail events" for the logged names. Sorted by event name.
///
/// Not here because the action *is* the name: `DeleteBucketWebsite` (the API reference: "requires the
/// `S3:DeleteBucketWebsite` permission"), `DeleteBucketPolicy`, `AbortMultipartUpload`,
/// `RestoreObject`, `GetObjectTagging`, and `GetObjectAttributes`, which needs both `s3:GetObject` and
/// `s3:GetObjectAttributes`; we report the latter because it is the one a reader of objects usually
/// lacks.
const S3_ACTIONS: &[(&str, &str)] = &[
    ("CompleteMultipartUpload", "PutObject"),
    ("CopyObject", "PutObject"),
    ("CreateMultipartUpload", "PutObject"),
    ("DeleteAccountPublicAccessBlock", "PutAccountPublicAccessBlock"),
    ("DeleteBucketAnalyticsConfiguration", "PutAnalyticsConfiguration"),
    ("DeleteBucketCors", "PutBucketCORS"),
    ("DeleteBucketEncryption", "PutEncryptionConfiguration"),
    ("DeleteBucketIntelligentTieringConfiguration", "PutIntelligentTieringConfiguration"),
    ("DeleteBucketInventoryConfiguration", "PutInventoryConfiguration"),
    ("DeleteBucketLifecycle", "PutLifecycleConfiguration"),
    ("DeleteBucketMetricsConfiguration", "PutMetricsConfiguration"),
    ("DeleteBucketOwnershipControls", "PutBucketOwnershipControls"),
    ("DeleteBucketPublicAccessBlock", "PutBucketPublicAccessBlock"),
    ("DeleteBucketReplication", "PutReplicationConfiguration"),
    ("DeleteBucketTagging", "PutBucketTagging"),
    ("DeleteObjects", "DeleteObject"),
    ("DeletePublicAccessBlock", "PutBucketPublicAccessBlock"),
    ("GetBucketAccelerateConfiguration", "GetAccelerateConfiguration"),
    ("GetBucketAnalyticsConfiguration", "GetAnalyticsConfiguration"),
    ("GetBucketCors", "GetBucketCORS"),
    ("GetBucketEncryption", "GetEncryptionConfiguration"),
    ("GetBucketIntelligentTieringConfiguration", "GetIntelligentTieringConfiguration"),
    ("GetBucketInventoryConfiguration", "GetInventoryConfiguration"),
    ("GetBucketLifecycle", "GetLifecycleConfiguration"),
    ("GetBucketLifecycleConfiguration", "GetLifecycleConfiguration"),
    ("GetBucketMetricsConfiguration", "GetMetricsConfiguration"),
    ("GetBucketNotificationConfiguration", "GetBucketNotification"),
    ("GetBucketReplication", "GetReplicationConfiguration"),
    ("GetObjectLockConfiguration", "GetBucketObjectLockConfiguration"),
    ("GetPublicAccessBlock", "GetBucketPublicAccessBlock"),
    ("HeadBucket", "ListBucket"),
    ("HeadObject", "GetObject"),
    ("ListBucketAnalyticsConfigurations", "GetAnalyticsConfiguration"),
    ("ListBucketIntelligentTieringConfigurations", "GetIntelligentTieringConfiguration"),
    ("ListBucketInventoryConfigurations", "GetInventoryConfiguration"),
    ("ListBucketMetricsConfigurations", "GetMetricsConfiguration"),
    ("ListBuckets", "ListAllMyBuckets"),
    ("ListMultipartUploads", "ListBucketMultipartUploads"),
    ("ListObjectVersions", "ListBucketVersions"),
    ("ListObjects", "ListBucket"),
    ("ListObjectsV2", "ListBucket"),
    ("ListParts", "ListMultipartUploadParts"),
    ("PostObject", "PutObject"),
    ("PutBucketAccelerateConfiguration", "PutAccelerateConfiguration"),
    ("PutBucketAnalyticsConfiguration", "PutAnalyticsConfiguration"),
    ("PutBucketCors", "PutBucketCORS"),
    ("PutBucketEncryption", "PutEncryptionConfiguration"),
    ("PutBucketIntelligentTieringConfiguration", "PutIntelligentTieringConfiguration"),
    ("PutBucketInventoryConfiguration", "PutInventoryConfiguration"),
    ("PutBucketLifecycle", "PutLifecycleConfiguration"),
    ("PutBucketLifecycleConfiguration", "PutLifecycleConfiguration"),
    ("PutBucketMetricsConfiguration", "PutMetricsConfiguration"),
    ("PutBucketNotificationConfiguration", "PutBucketNotification"),
    ("PutBucketReplication", "PutReplicationConfiguration"),
    ("PutObjectLockConfiguration", "PutBucketObjectLockConfiguration"),
    ("PutPublicAccessBlock", "PutBucketPublicAccessBlock"),
    ("SelectObjectContent", "GetObject"),
    ("UploadPart", "PutObject"),
    ("UploadPartCopy", "PutObject"),
];

/// S3 calls on one version of an object (`requestParameters.versionId` set) and the action that
/// authorises them. From the Amazon S3 User Guide, "Required permissions for Amazon S3 API
/// operations" (GetObject: "To get a specific version … you need s3:GetObjectVersion"; the same
/// for HeadObject, DeleteObject, the ACL, tagging and attributes calls). Sorted by event name.
const S3_VERSION_ACTIONS: &[(&str, &str)] = &[
    ("DeleteObject", "DeleteObjectVersion"),
    ("DeleteObjectTagging", "DeleteObjectVersionTagging"),
    ("GetObject", "GetObjectVersion"),
    ("GetObjectAcl", "GetObjectVersionAcl"),
    ("GetObjectAttributes", "GetObjectVersionAttributes"),
    ("GetObjectTagging", "GetObjectVersionTagging"),
    ("GetObjectTorrent", "GetObjectVersionTorrent"),
    ("HeadObject", "GetObjectVersion"),
    ("PutObjectAcl", "PutObjectVersionAcl"),
    ("PutObjectTagging", "PutObjectVersionTagging"),
];

/// API Gateway management calls whose HTTP verb does not follow from the first word of their
/// name, by event name. From the API Gateway REST API (v1) and HTTP/WebSocket API (v2)
/// references, each operation's request line (`ImportRestApi` is `POST /restapis?mode=import`,
/// v2's `ImportApi` is `PUT /v2/apis`, `FlushStageCache` is `DELETE …/cache/data`). Sorted.
/// `TagResource` is `PUT` in v1 and `POST` in v2, so it is left as CloudTrail wrote it.
const APIGATEWAY_VERBS: &[(&str, &str)] = &[
    ("ExportApi", "GET"),
    ("FlushStageAuthorizersCache", "DELETE"),
    ("FlushStageCache", "DELETE"),
    ("GenerateClientCertificate", "POST"),
    ("ImportApi", "PUT"),
    ("ImportApiKeys", "POST"),
    ("ImportDocumentationParts", "PUT"),
    ("ImportRestApi", "POST"),
    ("ReimportApi", "PUT"),
    ("ResetAuthorizersCache", "DELETE"),
    ("TestInvokeAuthorizer", "POST"),
    ("TestInvokeMethod", "POST"),
    ("UntagResource", "DELETE"),
];

/// The HTTP verb of an API Gateway call by the first word of its name: the v1 and v2 references
/// map `Create…` to POST, `Get…` to GET, `Update…` to PATCH, `Put…` to PUT and `Delete…` to
/// DELETE. The Service Authorization Reference ("Manage Amazon API Gateway") names the actions
/// `apigateway:DELETE`, `GET`, `PATCH`, `POST` and `PUT`.
const APIGATEWAY_VERB_BY_WORD: &[(&str, &str)] = &[
    ("Create", "POST"),
    ("Delete", "DELETE"),
    ("Get", "GET"),
    ("Put", "PUT"),
    ("Update", "PATCH"),
];

/// Lambda invocations are authorised by `lambda:InvokeFunction`. From the Lambda API reference,
/// "Invoke" and "InvokeWithResponseStream" (section "Permissions"). Sorted by event name.
const LAMBDA_ACTIONS: &[(&str, &str)] =
    &[("Invoke", "InvokeFunction"), ("InvokeWithResponseStream", "InvokeFunction")];

/// SNS batch publishing is authorised by `sns:Publish`. From the Amazon SNS API reference,
/// "PublishBatch". Sorted by event name.
const SNS_ACTIONS: &[(&str, &str)] = &[("PublishBatch", "Publish")];

/// SQS batch calls are authorised by their single-message action. From the Amazon SQS Developer
/// Guide, "Amazon SQS API permissions: Actions and resource reference". Sorted by event name.
const SQS_ACTIONS: &[(&str, &str)] = &[
    ("ChangeMessageVisibilityBatch", "ChangeMessageVisibility"),
    ("DeleteMessageBatch", "DeleteMessage"),
    ("SendMessageBatch", "SendMessage"),
];

/// Which table applies to which IAM service prefix.
const ACTION_TABLES: &[(&str, &[(&str, &str)])] =
    &[("lambda", LAMBDA_ACTIONS), ("s3", S3_ACTIONS), ("sns", SNS_ACTIONS), ("sqs", SQS_ACTIONS)];

const ENDPOINT_SUFFIX: &str = ".amazonaws.com";

/// The IAM action for a CloudTrail event: `s3.amazonaws.com` + `HeadObject` is `s3:GetObject`.
/// An empty `eventName` becomes `unknown`, so the result always has the `prefix:Name` shape.
pub fn iam_action(event_source: &str, event_name: &str) -> String {
    request_action(event_source, event_name, false)
}

/// [`iam_action`] for a request that may name one version of an S3 object: with
/// `object_version`, `GetObject` is `s3:GetObjectVersion`.
pub fn request_action(event_source: &str, event_name: &str, object_version: bool) -> String {
    let prefix = service_prefix(event_source).to_ascii_lowercase();
    let name = strip_api_version(event_name.trim());
    let name = if name.is_empty() { "unknown" } else { name };
    let versioned =
        (object_version && prefix == "s3").then(|| lookup(S3_VERSION_ACTIONS, name)).flatten();
    let name = versioned
        .or_else(|| (prefix == "apigateway").then(|| apigateway_verb(name)).flatten())
        .or_else(|| {
            ACTION_TABLES
                .iter()
                .find(|(table_prefix, _)| *table_prefix == prefix)
                .and_then(|(_, table)| lookup(table, name))
        })
        .unwrap_or(name);
    format!("{prefix}:{name}")
}

/// An action as a message names it, with its service prefix in lower case (`SNS:ListTopics` is
/// `sns:ListTopics`): IAM ignores the prefix's case, but grouping and suppression globs compare
/// text.
pub fn normalize_named(action: &str) -> String {
    match action.split_once(':') {
        Some((prefix, name)) => format!("{}:{name}", prefix.to_ascii_lowercase()),
        None => action.to_owned(),
    }
}

/// The HTTP verb that authorises an API Gateway management call, if its name tells.
fn apigateway_verb(name: &str) -> Option<&'static str> {
    lookup(APIGATEWAY_VERBS, name).or_else(|| {
        APIGATEWAY_VERB_BY_WORD.iter().find_map(|&(word, verb)| {
            let rest = name.strip_prefix(word)?;
            rest.starts_with(|c: char| c.is_ascii_uppercase()).then_some(verb)
        })
    })
}

/// The IAM service prefix for an `eventSource`: the host up to `.amazonaws.com` (any case, any
/// suffix after it such as `.cn`), renamed where IAM uses another prefix. A dotted host that no table
/// names keeps its last label (`data.mediastore` is `mediastore`), a source without `.amazonaws.com`
/// is used whole, and an empty one is `unknown`.
pub fn service_prefix(event_source: &str) -> &str {
    let source = event_source.trim();
    let host = find_ascii_ci(source, ENDPOINT_SUFFIX)
        .map_or(source, |at| source.get(..at).unwrap_or_default());
    if let Some(&(_, prefix)) =
        PREFIX_RENAMES.iter().find(|(from, _)| from.eq_ignore_ascii_case(host))
    {
        return prefix;
    }
    let last_label = host.rsplit('.').next().unwrap_or_default();
    if last_label.is_empty() { "unknown" } else { last_label }
}

/// `eventName` without an API-version suffix: Lambda's `YYYYMMDD` with an optional `vN`
/// (`GetFunction20150331v2`) and CloudFront's `YYYY_MM_DD` (`GetDistribution2020_05_31`). A name
/// that is nothing but such a suffix is returned unchanged.
pub fn strip_api_version(event_name: &str) -> &str {
    let bytes = event_name.as_bytes();
    let cut = underscore_date_start(bytes).or_else(|| compact_date_start(bytes));
    match cut.and_then(|cut| event_name.get(..cut)) {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => event_name,
    }
}

/// Where a trailing `YYYY_MM_DD` starts.
fn underscore_date_start(bytes: &[u8]) -> Option<usize> {
    let start = bytes.len().checked_sub(10)?;
    let is_date = bytes.get(start..)?.iter().enumerate().all(|(i, b)| match i {
        4 | 7 => *b == b'_',
        _ => b.is_ascii_digit(),
    });
    is_date.then_some(start)
}

/// Where a trailing `YYYYMMDD`, optionally followed by `v` and digits, starts.
fn compact_date_start(bytes: &[u8]) -> Option<usize> {
    let digits_ending_at = |end: usize| {
        let before = bytes.get(..end).unwrap_or_default();
        before.iter().rev().take_while(|b| b.is_ascii_digit()).count()
    };
    let date_at = |end: usize| (digits_ending_at(end) == 8).then(|| end - 8);
    let version_digits = digits_ending_at(bytes.len());
    let versioned = bytes
        .len()
        .checked_sub(version_digits + 1)
        .filter(|&v| version_digits > 0 && bytes.get(v) == Some(&b'v'))
        .and_then(date_at);
    versioned.or_else(|| date_at(bytes.len()))
}

fn lookup(table: &'static [(&'static str, &'static str)], name: &str) -> Option<&'static str> {
    table
        .binary_search_by(|(event_name, _)| (*event_name).cmp(name))
        .ok()
        .and_then(|at| table.get(at))
        .map(|&(_, action)| action)
}

/// Byte offset of the first ASCII-case-insensitive occurrence of the ASCII `needle`.
fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests;
