//! Which events change a policy, and where each keeps its target and document: the table of
//! POLICY.md §6.1, checked against the API references of IAM, S3, KMS, Organizations, STS, SQS,
//! SNS, Secrets Manager, Lambda, ECR and EC2 (the request parameter names CloudTrail logs are the
//! API's, first letter lower-cased for IAM, STS and KMS, as-is for S3's XML-derived names).

use std::collections::HashMap;

use memchr::memmem::Finder;

use super::TargetType;
use crate::decode::prefilter::{EVENT_NAME, Keys, first_quote};

/// Where a value sits in the event.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// `requestParameters.a.b…`
    Request(&'static [&'static str]),
    /// `responseElements.a.b…`
    Response(&'static [&'static str]),
}

/// A condition an event must meet to be a policy change (SNS's SetTopicAttributes changes a
/// policy only when the attribute is `Policy`).
#[derive(Debug, Clone, Copy)]
pub enum Require {
    Always,
    /// One of these fields is present.
    AnyOf(&'static [Field]),
    /// The field holds exactly this text.
    Equals(Field, &'static str),
}

/// One kind of policy-changing event.
#[derive(Debug, Clone, Copy)]
pub struct ChangeEvent {
    pub source: &'static str,
    /// The event name; Lambda's carry an API version suffix (`AddPermission20150331v2`), matched
    /// with or without it when `versioned` is set ([`unversioned`]).
    pub name: &'static str,
    pub versioned: bool,
    pub target_type: TargetType,
    /// The first of these that is present names the target.
    pub target: &'static [Field],
    pub detail: &'static [Field],
    pub document: &'static [Field],
    pub require: Require,
    /// Bytes one of which a record must hold to be parsed: the byte-level shadow of `require`,
    /// so that the many plain AssumeRole calls of a trail are not parsed for nothing. Like the
    /// prefilter it belongs to, it only says "maybe"; the parsed fields decide. A successful
    /// `AssumeRole*` is tested by the [`super::assumption::AssumptionReader`] instead, which
    /// finds `requestParameters` anyway and looks there only.
    pub hint: &'static [&'static [u8]],
}

use Field::{Request as Q, Response as R};
use TargetType as T;

const fn change(
    source: &'static str,
    name: &'static str,
    target_type: TargetType,
    target: &'static [Field],
) -> ChangeEvent {
    ChangeEvent {
        source,
        name,
        versioned: false,
        target_type,
        target,
        detail: &[],
        document: &[],
        require: Require::Always,
        hint: &[],
    }
}

impl ChangeEvent {
    const fn detail(mut self, detail: &'static [Field]) -> Self {
        self.detail = detail;
        self
    }
    const fn document(mut self, document: &'static [Field]) -> Self {
        self.document = document;
        self
    }
    const fn require(mut self, require: Require) -> Self {
        self.require = require;
        self
    }
    const fn hint(mut self, hint: &'static [&'static [u8]]) -> Self {
        self.hint = hint;
        self
    }
    const fn versioned(mut self) -> Self {
        self.versioned = true;
        self
    }
}

const IAM: &str = "iam.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";
const ORG: &str = "organizations.amazonaws.com";
const STS: &str = "sts.amazonaws.com";

const USER: &[Field] = &[Q(&["userName"])];
const GROUP: &[Field] = &[Q(&["groupName"])];
const ROLE: &[Field] = &[Q(&["roleName"])];
const BUCKET: &[Field] = &[Q(&["bucketName"])];
const POLICY_ARN: &[Field] = &[Q(&["policyArn"])];
const POLICY_DOCUMENT: &[Field] = &[Q(&["policyDocument"])];
const POLICY_NAME: &[Field] = &[Q(&["policyName"])];
const BOUNDARY: &[Field] = &[Q(&["permissionsBoundary"])];
const TAGS: &[Field] = &[Q(&["tags"])];
const SESSION_PARTS: &[Field] = &[Q(&["policy"]), Q(&["policyArns"]), Q(&["tags"])];
/// The byte shadow of [`SESSION_PARTS`], all members of `requestParameters`: for the role
/// assumptions among these events, [`super::assumption::AssumptionReader`] looks for them in that
/// member only, not the whole record.
pub const SESSION_HINTS: &[&[u8]] = &[b"\"policy", b"\"tags\""];
const POLICY_BYTES: &[&[u8]] = &[b"olicy"];

/// Every policy-changing event whydenied records.
pub static CHANGE_EVENTS: &[ChangeEvent] = &[
    // IAM identity policies, attachments, boundaries, tags and group membership.
    change(IAM, "PutUserPolicy", T::InlinePolicy, USER)
        .detail(POLICY_NAME)
        .document(POLICY_DOCUMENT),
    change(IAM, "PutGroupPolicy", T::InlinePolicy, GROUP)
        .detail(POLICY_NAME)
        .document(POLICY_DOCUMENT),
    change(IAM, "PutRolePolicy", T::InlinePolicy, ROLE)
        .detail(POLICY_NAME)
        .document(POLICY_DOCUMENT),
    change(IAM, "DeleteUserPolicy", T::InlinePolicy, USER).detail(POLICY_NAME),
    change(IAM, "DeleteGroupPolicy", T::InlinePolicy, GROUP).detail(POLICY_NAME),
    change(IAM, "DeleteRolePolicy", T::InlinePolicy, ROLE).detail(POLICY_NAME),
    change(IAM, "AttachUserPolicy", T::PolicyAttachment, USER).detail(POLICY_ARN),
    change(IAM, "AttachGroupPolicy", T::PolicyAttachment, GROUP).detail(POLICY_ARN),
    change(IAM, "AttachRolePolicy", T::PolicyAttachment, ROLE).detail(POLICY_ARN),
    change(IAM, "DetachUserPolicy", T::PolicyAttachment, USER).detail(POLICY_ARN),
    change(IAM, "DetachGroupPolicy", T::PolicyAttachment, GROUP).detail(POLICY_ARN),
    change(IAM, "DetachRolePolicy", T::PolicyAttachment, ROLE).detail(POLICY_ARN),
    change(
        IAM,
        "CreatePolicy",
        T::ManagedPolicyVersion,
        &[R(&["policy", "arn"]), Q(&["policyName"])],
    )
    .detail(&[R(&["policy", "defaultVersionId"])])
    .document(POLICY_DOCUMENT),
    change(IAM, "CreatePolicyVersion", T::ManagedPolicyVersion, POLICY_ARN)
        .detail(&[R(&["policyVersion", "versionId"])])
        .document(POLICY_DOCUMENT),
    change(IAM, "SetDefaultPolicyVersion", T::ManagedPolicyVersion, POLICY_ARN)
        .detail(&[Q(&["versionId"])]),
    change(IAM, "DeletePolicyVersion", T::ManagedPolicyVersion, POLICY_ARN)
        .detail(&[Q(&["versionId"])]),
    change(IAM, "DeletePolicy", T::ManagedPolicyVersion, POLICY_ARN),
    change(IAM, "CreateRole", T::RoleTrustPolicy, ROLE)
        .detail(BOUNDARY)
        .document(&[Q(&["assumeRolePolicyDocument"])]),
    change(IAM, "UpdateAssumeRolePolicy", T::RoleTrustPolicy, ROLE).document(POLICY_DOCUMENT),
    change(IAM, "PutUserPermissionsBoundary", T::PermissionsBoundary, USER).detail(BOUNDARY),
    change(IAM, "PutRolePermissionsBoundary", T::PermissionsBoundary, ROLE).detail(BOUNDARY),
    change(IAM, "DeleteUserPermissionsBoundary", T::PermissionsBoundary, USER),
    change(IAM, "DeleteRolePermissionsBoundary", T::PermissionsBoundary, ROLE),
    change(IAM, "TagUser", T::PrincipalTags, USER).document(TAGS),
    change(IAM, "TagRole", T::PrincipalTags, ROLE).document(TAGS),
    change(IAM, "UntagUser", T::PrincipalTags, USER).document(&[Q(&["tagKeys"])]),
    change(IAM, "UntagRole", T::PrincipalTags, ROLE).document(&[Q(&["tagKeys"])]),
    change(IAM, "AddUserToGroup", T::GroupMembership, USER).detail(GROUP),
    change(IAM, "RemoveUserFromGroup", T::GroupMembership, USER).detail(GROUP),
    // S3 bucket (and account) settings.
    change(S3, "PutBucketPolicy", T::BucketPolicy, BUCKET).document(&[Q(&["bucketPolicy"])]),
    change(S3, "DeleteBucketPolicy", T::BucketPolicy, BUCKET),
    change(S3, "PutBucketPublicAccessBlock", T::PublicAccessBlock, BUCKET)
        .document(&[Q(&["PublicAccessBlockConfiguration"])]),
    change(S3, "DeleteBucketPublicAccessBlock", T::PublicAccessBlock, BUCKET),
    change(S3, "PutAccountPublicAccessBlock", T::PublicAccessBlock, &[])
        .document(&[Q(&["PublicAccessBlockConfiguration"])]),
    change(S3, "DeleteAccountPublicAccessBlock", T::PublicAccessBlock, &[]),
    change(S3, "PutBucketOwnershipControls", T::OwnershipControls, BUCKET)
        .document(&[Q(&["OwnershipControls"])]),
    change(S3, "DeleteBucketOwnershipControls", T::OwnershipControls, BUCKET),
    change(S3, "PutBucketAcl", T::Acl, BUCKET).document(&[Q(&["AccessControlPolicy"])]),
    change(S3, "PutObjectAcl", T::Acl, BUCKET)
        .detail(&[Q(&["key"])])
        .document(&[Q(&["AccessControlPolicy"])]),
    // KMS key policies.
    change(KMS, "CreateKey", T::KeyPolicy, &[R(&["keyMetadata", "arn"])])
        .document(&[Q(&["policy"])]),
    change(KMS, "PutKeyPolicy", T::KeyPolicy, &[Q(&["keyId"])]).document(&[Q(&["policy"])]),
    // Organizations: SCPs and RCPs (type resolved from the request), attachments, the tree.
    change(ORG, "CreatePolicy", T::Scp, &[R(&["policy", "policySummary", "id"]), Q(&["name"])])
        .document(&[Q(&["content"])]),
    change(ORG, "UpdatePolicy", T::Scp, &[Q(&["policyId"])]).document(&[Q(&["content"])]),
    change(ORG, "DeletePolicy", T::Scp, &[Q(&["policyId"])]),
    change(ORG, "AttachPolicy", T::OrgPolicyAttachment, &[Q(&["targetId"])])
        .detail(&[Q(&["policyId"])]),
    change(ORG, "DetachPolicy", T::OrgPolicyAttachment, &[Q(&["targetId"])])
        .detail(&[Q(&["policyId"])]),
    change(ORG, "MoveAccount", T::OrgStructure, &[Q(&["accountId"])])
        .detail(&[Q(&["destinationParentId"])]),
    change(ORG, "EnablePolicyType", T::OrgStructure, &[Q(&["rootId"])])
        .detail(&[Q(&["policyType"])]),
    change(ORG, "DisablePolicyType", T::OrgStructure, &[Q(&["rootId"])])
        .detail(&[Q(&["policyType"])]),
    // STS sessions that carry permissions of their own (a session policy, policy ARNs, tags);
    // the issued access key joins them to the session's later calls.
    change(STS, "AssumeRole", T::Session, &[R(&["credentials", "accessKeyId"])])
        .detail(&[Q(&["roleArn"])])
        .document(SESSION_PARTS)
        .require(Require::AnyOf(SESSION_PARTS))
        .hint(SESSION_HINTS),
    change(STS, "AssumeRoleWithSAML", T::Session, &[R(&["credentials", "accessKeyId"])])
        .detail(&[Q(&["roleArn"])])
        .document(SESSION_PARTS)
        .require(Require::AnyOf(SESSION_PARTS))
        .hint(SESSION_HINTS),
    change(STS, "AssumeRoleWithWebIdentity", T::Session, &[R(&["credentials", "accessKeyId"])])
        .detail(&[Q(&["roleArn"])])
        .document(SESSION_PARTS)
        .require(Require::AnyOf(SESSION_PARTS))
        .hint(SESSION_HINTS),
    change(STS, "GetFederationToken", T::Session, &[R(&["credentials", "accessKeyId"])])
        .detail(&[Q(&["name"])])
        .document(SESSION_PARTS),
    // Other resource policies.
    change("sqs.amazonaws.com", "SetQueueAttributes", T::ResourcePolicy, &[Q(&["queueUrl"])])
        .document(&[Q(&["attributes", "Policy"])])
        .require(Require::AnyOf(&[Q(&["attributes", "Policy"])]))
        .hint(POLICY_BYTES),
    change("sns.amazonaws.com", "SetTopicAttributes", T::ResourcePolicy, &[Q(&["topicArn"])])
        .document(&[Q(&["attributeValue"])])
        .require(Require::Equals(Q(&["attributeName"]), "Policy"))
        .hint(POLICY_BYTES),
    change(
        "secretsmanager.amazonaws.com",
        "PutResourcePolicy",
        T::ResourcePolicy,
        &[Q(&["secretId"])],
    )
    .document(&[Q(&["resourcePolicy"])]),
    change(
        "secretsmanager.amazonaws.com",
        "DeleteResourcePolicy",
        T::ResourcePolicy,
        &[Q(&["secretId"])],
    ),
    change("lambda.amazonaws.com", "AddPermission", T::ResourcePolicy, &[Q(&["functionName"])])
        .detail(&[Q(&["statementId"])])
        .versioned(),
    change("lambda.amazonaws.com", "RemovePermission", T::ResourcePolicy, &[Q(&["functionName"])])
        .detail(&[Q(&["statementId"])])
        .versioned(),
    change(
        "ecr.amazonaws.com",
        "SetRepositoryPolicy",
        T::ResourcePolicy,
        &[Q(&["repositoryName"])],
    )
    .document(&[Q(&["policyText"])]),
    // VPC endpoint policies.
    change(
        "ec2.amazonaws.com",
        "CreateVpcEndpoint",
        T::EndpointPolicy,
        &[R(&["CreateVpcEndpointResponse", "vpcEndpoint", "vpcEndpointId"])],
    )
    .document(&[Q(&["CreateVpcEndpointRequest", "PolicyDocument"]), Q(&["policyDocument"])])
    .require(Require::AnyOf(&[
        Q(&["CreateVpcEndpointRequest", "PolicyDocument"]),
        Q(&["policyDocument"]),
    ]))
    .hint(POLICY_BYTES),
    change(
        "ec2.amazonaws.com",
        "ModifyVpcEndpoint",
        T::EndpointPolicy,
        &[Q(&["ModifyVpcEndpointRequest", "VpcEndpointId"]), Q(&["vpcEndpointId"])],
    )
    .document(&[Q(&["ModifyVpcEndpointRequest", "PolicyDocument"]), Q(&["policyDocument"])])
    .require(Require::AnyOf(&[
        Q(&["ModifyVpcEndpointRequest", "PolicyDocument"]),
        Q(&["policyDocument"]),
        Q(&["ModifyVpcEndpointRequest", "ResetPolicy"]),
    ]))
    .hint(POLICY_BYTES),
];

/// The table entry for an event, if it is a policy change.
pub fn change_event(source: &str, name: &str) -> Option<&'static ChangeEvent> {
    CHANGE_EVENTS.iter().find(|e| {
        e.source == source
            && (e.name == name || e.versioned && e.name.as_bytes() == unversioned(name.as_bytes()))
    })
}

/// What the scan's second prefilter makes of a record's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    None,
    /// It may be a policy change (or a failed attempt at one): parse it.
    Change,
    /// A successful `AssumeRole*`: a role assumption, which
    /// [`super::assumption::AssumptionReader`] reads without parsing it whole, unless its request
    /// carries a session policy or tags (then it is a change after all).
    RoleAssumption,
}

/// The byte test of the scan's second prefilter: whether the record's `"eventName"` names an
/// event of the table (as the whole value, or without the API version of Lambda's names) and, for
/// the events that need it, holds one of its [`ChangeEvent::hint`]s. Like the failure prefilter
/// it may say yes wrongly; the parser decides.
///
/// Only the first `"eventName"` key is read: CloudTrail writes it before `requestParameters` and
/// `responseElements` (and so does any key-sorted copy, `e` sorting before `r`), the only places
/// where a requester's data could hold a key of that name, and an EventBridge envelope has it
/// only in its `detail`. Reading every occurrence scanned the whole of every record again and
/// cost the scan a third of its speed. Where that key is comes from the failure prefilter's pass
/// ([`Keys::event_name`]), which finds both keys at once.
pub struct ChangePrefilter {
    /// Table indices of the exactly named events, by name. Every record asks, so the hash is
    /// foldhash's (a dozen bytes hash in a few instructions): measured with callgrind, the
    /// lengths-then-byte-compares it replaces cost three `memcmp` calls a record.
    by_name: HashMap<&'static [u8], Vec<usize>, foldhash::fast::FixedState>,
    /// Asked first, before the name's end is looked for: 82 % of the 254,086 records of the
    /// 60-object callgrind run name an event whose first eight bytes no table entry has.
    prefixes: Prefixes,
    /// Asked before `by_name`: 92 % of 127,043 bench-trail records name an event whose length,
    /// first and last letter no table entry has, and this answers for them without hashing.
    shapes: Shapes,
    /// The compiled hints of each table entry.
    hints: Vec<Vec<Finder<'static>>>,
    /// Per table entry: a success is a role assumption, whose hints the
    /// [`super::assumption::AssumptionReader`] tests.
    assumes_role: Vec<bool>,
}

impl Default for ChangePrefilter {
    fn default() -> Self {
        let mut by_name = HashMap::<_, Vec<usize>, _>::default();
        for (i, e) in CHANGE_EVENTS.iter().enumerate() {
            by_name.entry(e.name.as_bytes()).or_default().push(i);
        }
        let hints =
            CHANGE_EVENTS.iter().map(|e| e.hint.iter().map(Finder::new).collect()).collect();
        let assumes_role = CHANGE_EVENTS
            .iter()
            .map(|e| e.source == STS && e.name.starts_with("AssumeRole"))
            .collect();
        let shapes = Shapes::of(CHANGE_EVENTS.iter().map(|e| e.name.as_bytes()));
        let prefixes = Prefixes::of(CHANGE_EVENTS.iter().map(|e| e.name.as_bytes()));
        Self { by_name, prefixes, shapes, hints, assumes_role }
    }
}

/// The lengths of some names by their first byte and by their last, as bits: a name passes
/// when both its bits are set.
struct Shapes {
    by_first: [u64; 128],
    by_last: [u64; 128],
}

impl Shapes {
    fn of<'a>(names: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut shapes = Shapes { by_first: [0; 128], by_last: [0; 128] };
        for name in names {
            let (Some(&first), Some(&last)) = (name.first(), name.last()) else { continue };
            assert!(
                first.is_ascii() && last.is_ascii() && name.len() < 64,
                "table names are short ASCII"
            );
            shapes.by_first[usize::from(first)] |= 1 << name.len();
            shapes.by_last[usize::from(last)] |= 1 << name.len();
        }
        shapes
    }

    /// Whether `name` may be one of the names (never `false` for one of them).
    fn may_hold(&self, name: &[u8]) -> bool {
        let (Some(&first), Some(&last)) = (name.first(), name.last()) else { return false };
        let bit = |table: &[u64; 128], byte: u8| {
            table.get(usize::from(byte)).is_some_and(|lengths| lengths >> name.len() & 1 == 1)
        };
        name.len() < 64 && bit(&self.by_first, first) && bit(&self.by_last, last)
    }
}

/// The first eight bytes of some names (a seven-letter name with its closing quote), each
/// hashed to one bit of 4,096. A text whose first eight bytes hit no set bit starts with none of
/// the names; most other event names of a trail fail here, for a multiply and a bit test
/// (finding a name's end, to know its length, cost more than the rest of the prefilter).
///
/// Eight bytes rather than four: with the first four hashed to 256 bits, `List…`, `PutO…` and
/// `PutM…` shared bits with table names, and 32 % of the 254,086 records of the 60-object
/// callgrind run went on to the name lookup; with eight, 18 % do, most of them role assumptions
/// (which go on by design) and `PutObject`, whose first eight bytes are `PutObjectAcl`'s.
struct Prefixes([u64; 64]);

/// Bytes a prefix holds. A table name needs at least one fewer (its closing quote completes the
/// prefix): a shorter one would need bytes after its quote, which a record may write as it likes.
const PREFIX_BYTES: usize = 8;

impl Prefixes {
    fn of<'a>(names: impl Iterator<Item = &'a [u8]>) -> Self {
        let mut prefixes = Prefixes([0; 64]);
        for name in names {
            assert!(name.len() >= PREFIX_BYTES - 1, "table names have at least seven bytes");
            let mut prefix = [b'"'; PREFIX_BYTES];
            let known = name.len().min(PREFIX_BYTES);
            prefix[..known].copy_from_slice(&name[..known]);
            let (word, bit) = Self::bit(&prefix);
            prefixes.0[word] |= bit;
        }
        prefixes
    }

    fn bit(prefix: &[u8; PREFIX_BYTES]) -> (usize, u64) {
        let hash = u64::from_le_bytes(*prefix).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52;
        ((hash >> 6) as usize, 1 << (hash & 63))
    }

    /// Whether `text` may start with one of the names (never `false` when it does).
    fn may_start(&self, text: &[u8]) -> bool {
        text.first_chunk().is_none_or(|prefix| {
            let (word, bit) = Self::bit(prefix);
            self.0[word] & bit != 0
        })
    }
}

impl ChangePrefilter {
    /// Whether the record may be a policy change, or else a plain role assumption. A failed
    /// attempt is kept whatever it carried, so a record that may be a failure skips the
    /// [`ChangeEvent::hint`] test.
    ///
    /// The prefix test is inlined into the caller and the rest is not: most records stop at the
    /// test, and as one function they paid for the rest's register saves (16 instructions).
    #[inline]
    pub fn interest(&self, record: &[u8], keys: Keys) -> Interest {
        let Some(at) = keys.event_name else { return Interest::None };
        let after_key = &record[at + EVENT_NAME.len()..];
        // A name written as CloudTrail writes it (`:"Name"`) is tested by its first bytes before
        // its end is looked for; a table name (or its versioned form) has a table prefix.
        if let Some(text) = after_key.strip_prefix(b":\"")
            && !self.prefixes.may_start(text)
        {
            return Interest::None;
        }
        self.named_interest(record, after_key, keys.failure)
    }

    /// [`Self::interest`] of a record whose name passed the prefix test; `after_key` is what
    /// follows its `"eventName"` key.
    #[inline(never)]
    fn named_interest(&self, record: &[u8], after_key: &[u8], failure: bool) -> Interest {
        let Some(name) = value_after_key(after_key) else { return Interest::None };
        let hinted = |i: usize| {
            let hints = &self.hints[i];
            failure || hints.is_empty() || hints.iter().any(|h| h.find(record).is_some())
        };
        let exact = if self.shapes.may_hold(name) { self.by_name.get(name) } else { None };
        for &i in exact.into_iter().flatten() {
            if self.assumes_role[i] && !failure {
                return Interest::RoleAssumption;
            }
            if hinted(i) {
                return Interest::Change;
            }
        }
        // Only names that end in a digit can carry a version: most records stop here.
        if !name.last().is_some_and(u8::is_ascii_digit) {
            return Interest::None;
        }
        let same = self.by_name.get(unversioned(name)).into_iter().flatten().copied();
        let versioned = same.filter(|&i| CHANGE_EVENTS[i].versioned).any(hinted);
        if versioned { Interest::Change } else { Interest::None }
    }
}

/// `name` without the API version Lambda appends to some event names (`AddPermission20150331`,
/// `AddPermission20150331v2`): trailing digits, and before a `v` and digits, digits again.
pub fn unversioned(name: &[u8]) -> &[u8] {
    let digits = |n: &[u8]| n.len() - n.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let end = digits(name);
    match name[..end].strip_suffix(b"v") {
        Some(before) if end < name.len() && before.last().is_some_and(u8::is_ascii_digit) => {
            &before[..digits(before)]
        }
        _ => &name[..end],
    }
}

/// The raw bytes of a string value after `: ` (no escapes: event names have none). CloudTrail
/// writes `:"` with no space, taken as it stands before trying to trim.
fn value_after_key(rest: &[u8]) -> Option<&[u8]> {
    let text = match rest.strip_prefix(b":\"") {
        Some(text) => text,
        None => {
            rest.trim_ascii_start().strip_prefix(b":")?.trim_ascii_start().strip_prefix(b"\"")?
        }
    };
    Some(&text[..first_quote(text)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The interest of `record`, with the failure prefilter's answer replaced by `failure`.
    fn interest(p: &ChangePrefilter, record: &[u8], failure: bool) -> Interest {
        let keys = crate::decode::prefilter::Prefilter::new(false).keys(record);
        p.interest(record, Keys { failure, ..keys })
    }

    #[test]
    fn the_prefilter_passes_change_events_only() {
        let p = ChangePrefilter::default();
        let may_be_change =
            |record: &[u8], failure| interest(&p, record, failure) == Interest::Change;
        assert!(may_be_change(br#"{"eventName":"PutBucketPolicy"}"#, false));
        assert!(may_be_change(br#"{"eventName" :  "AttachRolePolicy","x":1}"#, false));
        assert!(may_be_change(br#"{"eventName":"AddPermission20150331v2"}"#, false));
        assert!(!may_be_change(br#"{"eventName":"GetObject"}"#, false));
        assert!(!may_be_change(br#"{"eventName":"PutBucketPolicyX"}"#, false));
        assert!(!may_be_change(br#"{"eventname":"PutBucketPolicy"}"#, false));
        // Only the first key is read (CloudTrail writes it before anything a requester chose).
        assert!(may_be_change(
            br#"{"eventName":"PutRolePolicy","requestParameters":{"eventName":"x"}}"#,
            false
        ));
        assert!(!may_be_change(
            br#"{"eventName":"GetObject","requestParameters":{"eventName":"PutRolePolicy"}}"#,
            false
        ));
        // A successful AssumeRole goes to the role-assumption reader (which tells one with a
        // session policy apart); a failed one is parsed.
        let plain = br#"{"eventName":"AssumeRole","requestParameters":{"roleArn":"r"}}"#;
        assert_eq!(interest(&p, plain, false), Interest::RoleAssumption);
        assert!(may_be_change(plain, true));
        let session = br#"{"eventName":"AssumeRole","requestParameters":{"policyArns":[]}}"#;
        assert_eq!(interest(&p, session, false), Interest::RoleAssumption);
        for name in ["AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"] {
            let plain =
                format!(r#"{{"eventName":"{name}","requestParameters":{{"roleArn":"r"}}}}"#);
            assert_eq!(interest(&p, plain.as_bytes(), false), Interest::RoleAssumption);
        }
        let other = br#"{"eventName":"GetCallerIdentity","requestParameters":null}"#;
        assert_eq!(interest(&p, other, false), Interest::None);
    }

    #[test]
    fn shapes_pass_every_table_name_and_few_others() {
        let p = ChangePrefilter::default();
        for e in CHANGE_EVENTS {
            assert!(p.shapes.may_hold(e.name.as_bytes()), "{}", e.name);
        }
        for other in
            ["GetObject", "Decrypt", "HeadObject", "ListObjectsV2", "", "é", &"A".repeat(70)]
        {
            assert!(!p.shapes.may_hold(other.as_bytes()), "{other}");
        }
    }

    #[test]
    fn prefixes_pass_every_table_name_and_most_others_fail() {
        let p = ChangePrefilter::default();
        for e in CHANGE_EVENTS {
            let written = format!("{}\",\"awsRegion\"", e.name);
            assert!(p.prefixes.may_start(written.as_bytes()), "{}", e.name);
            // A version follows the name's first eight bytes, which the prefix holds.
            let versioned = format!("{}20150331v2\",", e.name);
            assert!(!e.versioned || p.prefixes.may_start(versioned.as_bytes()), "{}", e.name);
        }
        // The commonest other names of the bench trail, as CloudTrail writes them: only
        // `PutObject` passes (its first eight bytes are `PutObjectAcl`'s).
        let others = [
            "GetObject",
            "PutObject",
            "Decrypt",
            "HeadObject",
            "GenerateDataKey",
            "ListObjectsV2",
            "GetCallerIdentity",
            "ListObjects",
            "GetItem",
            "Invoke",
            "HeadBucket",
            "PutMetricData",
            "DescribeInstances",
            "GetBucketAcl",
            "PutItem",
            "Query",
            "DeleteObject",
            "GetBucketLocation",
            "RotateKey",
            "GetSecretValue",
            "CreateMultipartUpload",
            "GetFunction20150331v2",
            "ListBuckets",
            "ListAccountRoles",
            "ListUsers",
            "GetPolicy",
            "CreateSession",
        ];
        let passed: Vec<_> = others
            .iter()
            .filter(|name| p.prefixes.may_start(format!("{name}\",\"awsRegion\"").as_bytes()))
            .collect();
        assert_eq!(passed, [&"PutObject"]);
        // A seven-letter table name is tested with its quote; shorter than a prefix: passed on.
        assert!(p.prefixes.may_start(b"TagRole\"}"));
        assert!(!p.prefixes.may_start(b"TagRoles\""));
        assert!(p.prefixes.may_start(b"TagRol"));
    }

    #[test]
    fn lambda_api_versions_are_stripped_and_nothing_else() {
        for (name, bare) in [
            ("AddPermission20150331v2", "AddPermission"),
            ("AddPermission20150331", "AddPermission"),
            ("AddPermission", "AddPermission"),
            ("RemovePermission20150331v12", "RemovePermission"),
            ("PutObject", "PutObject"),
            ("Create2v", "Create2v"),
            ("v2", "v"),
            ("2026", ""),
        ] {
            assert_eq!(unversioned(name.as_bytes()), bare.as_bytes(), "{name}");
        }
        let lambda = "lambda.amazonaws.com";
        assert!(change_event(lambda, "AddPermission20150331v2").is_some());
        assert!(change_event(lambda, "AddPermission").is_some());
        assert!(change_event(lambda, "AddPermissionSomething").is_none());
        assert!(change_event(lambda, "RemovePermission20150331").is_some());
        let p = ChangePrefilter::default();
        let record = br#"{"eventName":"RemovePermission20150331v2"}"#;
        assert_eq!(interest(&p, record, false), Interest::Change);
        assert_eq!(interest(&p, br#"{"eventName":"PutObject2"}"#, false), Interest::None);
    }

    #[test]
    fn events_are_found_by_source_and_name() {
        assert_eq!(
            change_event(IAM, "PutRolePolicy").map(|e| e.target_type),
            Some(T::InlinePolicy)
        );
        assert_eq!(change_event(ORG, "CreatePolicy").map(|e| e.target_type), Some(T::Scp));
        assert_eq!(
            change_event(IAM, "CreatePolicy").map(|e| e.target_type),
            Some(T::ManagedPolicyVersion)
        );
        assert!(change_event("iot.amazonaws.com", "CreatePolicy").is_none());
        assert!(change_event("lambda.amazonaws.com", "AddPermission20150331v2").is_some());
    }
}
