//! What changed before the denials started: the policy changes a trail records about itself
//! (POLICY.md §6). The scan picks them out with a second prefilter on event names
//! ([`events::ChangePrefilter`]), [`capture`] turns each into a [`PolicyChange`] — the row of
//! `policy_changes.parquet` — and [`link`] ties each summary group to the change that most
//! plausibly caused it. Successful role assumptions are read on the side ([`assumption`]), to
//! tell a transient `sts:AssumeRole*` denial from one that needs a fix ([`transient`]).

pub mod assumption;
pub mod capture;
pub mod events;
pub mod link;
pub mod transient;

use std::sync::Arc;

/// What kind of thing a change changed: the `target_type` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetType {
    BucketPolicy,
    PublicAccessBlock,
    OwnershipControls,
    Acl,
    InlinePolicy,
    PolicyAttachment,
    ManagedPolicyVersion,
    PermissionsBoundary,
    RoleTrustPolicy,
    PrincipalTags,
    GroupMembership,
    KeyPolicy,
    Scp,
    Rcp,
    OrgPolicyAttachment,
    OrgStructure,
    Session,
    EndpointPolicy,
    ResourcePolicy,
}

impl TargetType {
    pub const ALL: &[TargetType] = &[
        TargetType::BucketPolicy,
        TargetType::PublicAccessBlock,
        TargetType::OwnershipControls,
        TargetType::Acl,
        TargetType::InlinePolicy,
        TargetType::PolicyAttachment,
        TargetType::ManagedPolicyVersion,
        TargetType::PermissionsBoundary,
        TargetType::RoleTrustPolicy,
        TargetType::PrincipalTags,
        TargetType::GroupMembership,
        TargetType::KeyPolicy,
        TargetType::Scp,
        TargetType::Rcp,
        TargetType::OrgPolicyAttachment,
        TargetType::OrgStructure,
        TargetType::Session,
        TargetType::EndpointPolicy,
        TargetType::ResourcePolicy,
    ];

    /// The stable name written to `policy_changes.parquet`.
    pub const fn as_str(self) -> &'static str {
        match self {
            TargetType::BucketPolicy => "bucket_policy",
            TargetType::PublicAccessBlock => "public_access_block",
            TargetType::OwnershipControls => "ownership_controls",
            TargetType::Acl => "acl",
            TargetType::InlinePolicy => "inline_policy",
            TargetType::PolicyAttachment => "policy_attachment",
            TargetType::ManagedPolicyVersion => "managed_policy_version",
            TargetType::PermissionsBoundary => "permissions_boundary",
            TargetType::RoleTrustPolicy => "role_trust_policy",
            TargetType::PrincipalTags => "principal_tags",
            TargetType::GroupMembership => "group_membership",
            TargetType::KeyPolicy => "key_policy",
            TargetType::Scp => "scp",
            TargetType::Rcp => "rcp",
            TargetType::OrgPolicyAttachment => "org_policy_attachment",
            TargetType::OrgStructure => "org_structure",
            TargetType::Session => "session",
            TargetType::EndpointPolicy => "endpoint_policy",
            TargetType::ResourcePolicy => "resource_policy",
        }
    }

    /// The inverse of [`TargetType::as_str`], for reading reports back.
    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == s)
    }
}

/// One change a trail records: a row of `policy_changes.parquet`. Failed attempts are kept with
/// their error code, for the record; only successful changes are linked to denials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChange {
    /// `eventTime` in microseconds since the Unix epoch (UTC).
    pub event_time: Option<i64>,
    pub event_id: Option<String>,
    /// `recipientAccountId`: the account whose policy changed.
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub event_source: Option<String>,
    pub event_name: String,
    /// Who made the change, normalised like the `principal` column.
    pub actor: String,
    pub target_type: TargetType,
    /// What changed: a bucket, a user/role/group name, a policy or key ARN, an issued access key.
    pub target: Option<String>,
    /// The second name a change carries: the attached policy ARN, the group of a membership,
    /// the role of a session, the version id.
    pub detail: Option<String>,
    /// The policy JSON as text when the event carries it.
    pub document: Option<String>,
    /// `None` for a change that took effect.
    pub error_code: Option<String>,
    pub origin: Arc<str>,
}
