//! Reading a CloudTrail `errorMessage` for *which mechanism* denied a request.
//!
//! AWS writes most access-denied messages in one shape (IAM User Guide, "Troubleshoot access denied
//! error messages"; Amazon S3 User Guide, "Troubleshoot access denied (403 Forbidden) errors"):
//!
//! ```text
//! [SDK prefix] User: <principal> is not authorized to perform: <action>[ on resource: <resource>] <context>
//! ```
//!
//! where `<context>` is `because no <policy type> allows the <action> action` (an implicit deny),
//! `with an explicit deny in a <policy type>[ transitively through a <policy type>][: <policy ARN>]`
//! (an explicit deny), or `because <reason>` (a service's own reason, such as S3 Block Public Access).
//! Everything else, from S3's bare `Access Denied` to EC2's encoded-only message, says nothing about
//! the mechanism and is classified [`DenyKind::Generic`]: still a denial, just an unexplained one.
//!
//! The wording is not stable across services or years (`a`/`an`/`the`, `sessions policy`, `due to an
//! explicit deny`, line breaks inside the sentence, lower-case actions), so the scanner matches
//! phrases ASCII-case-insensitively with any run of whitespace where the phrase has a space. It is
//! hand-written rather than a regular expression so it runs in time linear in the message (every
//! phrase is a short constant) and never panics, whatever the log holds. All text in a [`Diagnosis`]
//! borrows from the message, so diagnosing allocates nothing.

/// Whether a policy said no, nothing said yes, a service gave its own reason, or the message is silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DenyKind {
    /// A `Deny` statement matched (`with an explicit deny in …`).
    Explicit,
    /// No `Allow` statement matched (`because no … allows …`).
    Implicit,
    /// The service refused for a reason of its own (`because public policies are blocked …`).
    ServiceReason,
    /// A denial whose message names no cause (`Access Denied`, an encoded-only message, …).
    Generic,
}

impl DenyKind {
    /// Every variant, in declaration order.
    pub const ALL: &[Self] = &[Self::Explicit, Self::Implicit, Self::ServiceReason, Self::Generic];

    /// The stable snake_case name written to reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Explicit => "explicit",
            Self::Implicit => "implicit",
            Self::ServiceReason => "service_reason",
            Self::Generic => "generic",
        }
    }

    /// The inverse of [`DenyKind::as_str`], for reading reports back.
    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|kind| kind.as_str() == s)
    }
}

/// The policy types an access-denied message can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyType {
    IdentityBased,
    ResourceBased,
    PermissionsBoundary,
    ServiceControlPolicy,
    ResourceControlPolicy,
    SessionPolicy,
    VpcEndpointPolicy,
    RoleTrustPolicy,
}

impl PolicyType {
    /// Every variant, in declaration order.
    pub const ALL: &[Self] = &[
        Self::IdentityBased,
        Self::ResourceBased,
        Self::PermissionsBoundary,
        Self::ServiceControlPolicy,
        Self::ResourceControlPolicy,
        Self::SessionPolicy,
        Self::VpcEndpointPolicy,
        Self::RoleTrustPolicy,
    ];

    /// The stable snake_case name written to reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::IdentityBased => "identity_policy",
            Self::ResourceBased => "resource_policy",
            Self::PermissionsBoundary => "permissions_boundary",
            Self::ServiceControlPolicy => "scp",
            Self::ResourceControlPolicy => "rcp",
            Self::SessionPolicy => "session_policy",
            Self::VpcEndpointPolicy => "vpc_endpoint_policy",
            Self::RoleTrustPolicy => "role_trust_policy",
        }
    }
}

/// Which mechanism denied: a policy type, one of S3's own reasons, or not stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeniedBy {
    Policy(PolicyType),
    /// An S3 Block Public Access setting (BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy,
    /// RestrictPublicBuckets) at the account, bucket or access point.
    BlockPublicAccess,
    /// The bucket blocks server-side encryption with customer-provided keys (SSE-C).
    SseCBlocked,
    /// S3 has disabled all access to the object (`AllAccessDisabled`).
    ObjectAccessDisabled,
    /// The bucket's Object Ownership is "bucket owner enforced", so it accepts no ACLs.
    AclsDisabled,
    /// The message does not say.
    Unknown,
}

impl DeniedBy {
    /// Every value: each policy type, then S3's reasons, then `Unknown`.
    pub const ALL: &[Self] = &[
        Self::Policy(PolicyType::IdentityBased),
        Self::Policy(PolicyType::ResourceBased),
        Self::Policy(PolicyType::PermissionsBoundary),
        Self::Policy(PolicyType::ServiceControlPolicy),
        Self::Policy(PolicyType::ResourceControlPolicy),
        Self::Policy(PolicyType::SessionPolicy),
        Self::Policy(PolicyType::VpcEndpointPolicy),
        Self::Policy(PolicyType::RoleTrustPolicy),
        Self::BlockPublicAccess,
        Self::SseCBlocked,
        Self::ObjectAccessDisabled,
        Self::AclsDisabled,
        Self::Unknown,
    ];

    /// The stable snake_case name written to reports; a policy answers with its type's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Policy(policy) => policy.as_str(),
            Self::BlockPublicAccess => "s3_block_public_access",
            Self::SseCBlocked => "s3_sse_c_blocked",
            Self::ObjectAccessDisabled => "s3_object_access_disabled",
            Self::AclsDisabled => "s3_acls_disabled",
            Self::Unknown => "unknown",
        }
    }

    /// The inverse of [`DeniedBy::as_str`], for reading reports back.
    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|by| by.as_str() == s)
    }
}

/// What an `errorMessage` says about a denial. Every string borrows from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Diagnosis<'m> {
    pub deny_kind: DenyKind,
    pub denied_by: DeniedBy,
    /// The second policy type of `… transitively through a <type>`.
    pub via_policy_type: Option<PolicyType>,
    /// The policy ARN after an explicit deny (`…service control policy: arn:aws:organizations::…`).
    pub denying_policy_arn: Option<&'m str>,
    /// The message carries an `Encoded authorization failure message` (decode it with
    /// `aws sts decode-authorization-message`).
    pub has_encoded_message: bool,
    /// The text after `User: `, as written.
    pub principal: Option<&'m str>,
    /// The IAM action the message names, as written (`s3:GetObject`, sometimes lower-case).
    pub action: Option<&'m str>,
    /// The resource as written with quotes stripped (`arn:aws:s3:::b/k`, `role Admin`,
    /// `this resource`); `None` when the message names none.
    pub resource: Option<&'m str>,
    /// The service's own reason, for [`DenyKind::ServiceReason`].
    pub service_reason: Option<&'m str>,
}

impl Diagnosis<'_> {
    const GENERIC: Self = Self {
        deny_kind: DenyKind::Generic,
        denied_by: DeniedBy::Unknown,
        via_policy_type: None,
        denying_policy_arn: None,
        has_encoded_message: false,
        principal: None,
        action: None,
        resource: None,
        service_reason: None,
    };
}

/// How each policy type is written after `explicit deny in a` / `because no`. Stems end in `polic`
/// and `boundar` so singular and plural both match. From the IAM User Guide, "Troubleshoot access
/// denied error messages" (which also spells session policies "sessions policy").
const POLICY_PHRASES: &[(&str, PolicyType)] = &[
    ("identity-based polic", PolicyType::IdentityBased),
    ("resource-based polic", PolicyType::ResourceBased),
    ("permissions boundar", PolicyType::PermissionsBoundary),
    ("permission boundar", PolicyType::PermissionsBoundary),
    ("service control polic", PolicyType::ServiceControlPolicy),
    ("resource control polic", PolicyType::ResourceControlPolicy),
    ("sessions polic", PolicyType::SessionPolicy),
    ("session polic", PolicyType::SessionPolicy),
    ("vpc endpoint polic", PolicyType::VpcEndpointPolicy),
    ("role trust polic", PolicyType::RoleTrustPolicy),
];

/// Phrases that name S3's own reasons for refusing, first match wins. From the Amazon S3 User Guide:
/// "Troubleshoot access denied (403 Forbidden) errors" (Block Public Access settings, both the
/// `…are blocked by the BlockPublicPolicy block public access setting` and the `…are prevented by the
/// BlockPublicAcls setting in S3 Block Public Access` wordings), "Troubleshooting" for Object
/// Ownership (`The bucket does not allow ACLs`) and the error-code list (`AllAccessDisabled`).
const S3_REASON_PHRASES: &[(&str, DeniedBy)] = &[
    ("BlockPublicPolicy", DeniedBy::BlockPublicAccess),
    ("BlockPublicAcls", DeniedBy::BlockPublicAccess),
    ("IgnorePublicAcls", DeniedBy::BlockPublicAccess),
    ("RestrictPublicBuckets", DeniedBy::BlockPublicAccess),
    ("block public access", DeniedBy::BlockPublicAccess),
    ("all access to this object has been disabled", DeniedBy::ObjectAccessDisabled),
    ("does not allow ACLs", DeniedBy::AclsDisabled),
    ("ACLs are disabled", DeniedBy::AclsDisabled),
    ("bucket owner enforced", DeniedBy::AclsDisabled),
];

/// SSE-C is named several ways; a message is about SSE-C being *blocked* only when it also says so,
/// which keeps S3's unrelated `InvalidArgument` about customer-provided keys out (Amazon S3 User
/// Guide, "Blocking or unblocking SSE-C for a general purpose bucket").
const SSE_C_PHRASES: &[&str] = &["SSE-C", "customer-provided key", "customer-provided encryption"];
const BLOCKED_PHRASES: &[&str] = &["block", "disabled", "not allowed", "not permitted"];

/// Read `message` (a CloudTrail `errorMessage`) for who was denied what, and which mechanism did it.
pub fn diagnose(message: &str) -> Diagnosis<'_> {
    let mut diagnosis = Diagnosis::GENERIC;
    let body = match find_phrase(message, "encoded authorization failure message") {
        Some((start, _)) => {
            diagnosis.has_encoded_message = true;
            slice(message, 0, start)
        }
        None => message,
    };
    if let Some(after_user) = after_user_label(body) {
        let after_user = after_user.trim_start();
        match find_phrase(after_user, "is not authorized to perform") {
            Some((start, end)) => {
                diagnosis.principal = non_empty(slice(after_user, 0, start));
                read_request(slice_from(after_user, end), &mut diagnosis);
            }
            None => diagnosis.principal = non_empty(split_token(after_user).0),
        }
    } else if let Some((_, end)) = find_phrase(body, "is not authorized to perform") {
        read_request(slice_from(body, end), &mut diagnosis);
    } else {
        let text = trim_reason(strip_sdk_prefix(body));
        if let Some(by) = s3_reason(text) {
            diagnosis.deny_kind = DenyKind::ServiceReason;
            diagnosis.denied_by = by;
            diagnosis.service_reason = non_empty(text);
        } else if find_phrase(text, "vpc endpoint polic").is_some() {
            // Network activity events: "The request was denied due to a VPC endpoint policy",
            // which says neither Deny nor missing Allow.
            diagnosis.denied_by = DeniedBy::Policy(PolicyType::VpcEndpointPolicy);
        } else if PASSED_ROLE_PHRASES.iter().any(|p| find_phrase(text, p).is_some()) {
            diagnosis.deny_kind = DenyKind::ServiceReason;
            diagnosis.denied_by = DeniedBy::Policy(PolicyType::RoleTrustPolicy);
            diagnosis.service_reason = non_empty(text);
        }
    }
    diagnosis
}

/// Phrases of a service saying it could not use a role the request passed to it: the caller was
/// allowed, the role's trust policy (or its permissions) did not let the service in. Services
/// report these as validation errors of the role parameter, e.g. CloudTrail's
/// `InvalidCloudWatchLogsRoleArnException` "Access denied. Check the trust relationships for your
/// role." (AWS CloudTrail API reference, CreateTrail/UpdateTrail errors).
const PASSED_ROLE_PHRASES: &[&str] = &[
    "trust relationship",
    "unable to assume role",
    "cannot assume role",
    "could not assume role",
    "not authorized to assume",
];

/// The bucket of an S3 bucket or object ARN (`arn:<partition>:s3:::bucket[/key]`), for any `aws*`
/// partition; `None` for anything else, including access point ARNs.
pub fn bucket_in_resource(resource: &str) -> Option<&str> {
    let mut parts = resource.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("s3"), Some(""), Some(""), Some(path)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if !partition.starts_with("aws") {
        return None;
    }
    let bucket = path.split('/').next().unwrap_or_default();
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    (!bucket.is_empty() && bucket.len() <= 255 && bucket.chars().all(valid)).then_some(bucket)
}

/// Fill in action, resource and cause from the text after `is not authorized to perform`.
fn read_request<'m>(text: &'m str, diagnosis: &mut Diagnosis<'m>) {
    let text = text.trim_start();
    let text = text.strip_prefix(':').unwrap_or(text).trim_start();
    let (action, rest) = split_token(text);
    diagnosis.action = iam_action_shaped(action);
    let rest = rest.trim_start();
    let context = if let Some(len) = match_phrase(rest, "on resource") {
        let after = slice_from(rest, len).trim_start();
        let (resource, context) = split_resource(after.strip_prefix(':').unwrap_or(after));
        diagnosis.resource = non_empty(resource);
        context
    } else if let Some(len) = match_phrase(rest, "on this resource") {
        diagnosis.resource = Some(slice(rest, 3, len).trim_start());
        slice_from(rest, len)
    } else {
        rest
    };
    read_context(context, diagnosis);
}

/// The action token as an IAM action, `prefix:Name`, without the quotes some services put around
/// it (SES: `` `ses:SendRawEmail' ``) or a closing period; `None` for anything else, such as the
/// `this` of "is not authorized to perform this action", so that the event names the action.
fn iam_action_shaped(token: &str) -> Option<&str> {
    let quotes: &[char] = &['`', '\'', '"'];
    let token = token.trim_end_matches('.').trim_matches(quotes);
    let (prefix, name) = token.split_once(':')?;
    let word = |s: &str| !s.is_empty() && !s.contains(quotes) && !s.contains(':');
    (word(prefix) && word(name)).then_some(token)
}

/// Split what follows `on resource:` into the resource and the context after it. A quoted resource
/// (S3 writes `"arn:aws:s3:::bucket/key"`) ends at its closing quote, so a key containing
/// ` because ` cannot end it early; an unquoted one ends where the context begins.
fn split_resource(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    // S3 quotes with `"…"`, SES with `` `…' ``.
    for (open, close) in [('"', '"'), ('`', '\'')] {
        if let Some(quoted) = text.strip_prefix(open) {
            if let Some(end) = quoted.find(close) {
                return (slice(quoted, 0, end), slice_from(quoted, end + 1));
            }
            return split_resource_unquoted(quoted);
        }
    }
    split_resource_unquoted(text)
}

fn split_resource_unquoted(text: &str) -> (&str, &str) {
    let context_start = ["because", "with an explicit deny", "due to an explicit deny"]
        .iter()
        .filter_map(|marker| find_phrase(text, marker).map(|(start, _)| start))
        .min();
    match context_start {
        Some(start) => (slice(text, 0, start).trim(), slice_from(text, start)),
        None => (trim_reason(text), ""),
    }
}

/// Read the cause: `… explicit deny in a <type> …`, `because no <type> allows …`, `because <reason>`.
fn read_context<'m>(context: &'m str, diagnosis: &mut Diagnosis<'m>) {
    if let Some((_, end)) = find_phrase(context, "explicit deny") {
        diagnosis.deny_kind = DenyKind::Explicit;
        read_explicit(slice_from(context, end), diagnosis);
    } else if let Some((_, end)) = find_phrase(context, "because") {
        let reason = trim_reason(slice_from(context, end));
        if let Some(policy) = implicit_policy(reason) {
            diagnosis.deny_kind = DenyKind::Implicit;
            diagnosis.denied_by = DeniedBy::Policy(policy);
        } else if let Some(by) = s3_reason(reason) {
            diagnosis.deny_kind = DenyKind::ServiceReason;
            diagnosis.denied_by = by;
            diagnosis.service_reason = Some(reason);
        } else if find_phrase(reason, "no resource-based polic").is_some() {
            // KMS: "because the resource does not exist in this Region, no resource-based policies
            // allow access, or a resource-based policy explicitly denies access". One of three,
            // and the message does not say which: a missing key, a missing Allow or a Deny. The
            // resource is named, the kind is not (the hint asks for the key's Region first).
            diagnosis.deny_kind = DenyKind::Generic;
            diagnosis.denied_by = DeniedBy::Policy(PolicyType::ResourceBased);
        } else if !reason.is_empty() {
            diagnosis.deny_kind = DenyKind::ServiceReason;
            diagnosis.service_reason = Some(reason);
        }
    }
}

/// After `explicit deny`: ` in a <type>[: <arn>][ transitively through a <type>][: <arn>]`.
fn read_explicit<'m>(text: &'m str, diagnosis: &mut Diagnosis<'m>) {
    let text = text.trim_start();
    let Some(len) = match_phrase(text, "in ") else {
        return;
    };
    let Some((policy, rest)) = policy_after_article(slice_from(text, len)) else {
        return;
    };
    diagnosis.denied_by = DeniedBy::Policy(policy);
    let mut rest = rest;
    if let Some((arn, after)) = colon_token(rest) {
        diagnosis.denying_policy_arn = Some(arn);
        rest = after;
    }
    let trimmed = rest.trim_start();
    if let Some(len) = match_phrase(trimmed, "transitively through ")
        && let Some((via, after)) = policy_after_article(slice_from(trimmed, len))
    {
        diagnosis.via_policy_type = Some(via);
        if diagnosis.denying_policy_arn.is_none() {
            diagnosis.denying_policy_arn = colon_token(after).map(|(arn, _)| arn);
        }
    }
}

/// After `because`: `no <type> …` (or, in one IAM example, `the <type> …`).
fn implicit_policy(reason: &str) -> Option<PolicyType> {
    let rest = ["no ", "the "]
        .iter()
        .find_map(|word| match_phrase(reason, word))
        .map_or(reason, |len| slice_from(reason, len));
    policy_at(rest).map(|(policy, _)| policy)
}

/// An optional `a`/`an`/`the`, then a policy type; returns the type and the text after its word.
fn policy_after_article(text: &str) -> Option<(PolicyType, &str)> {
    let text = text.trim_start();
    let text = ["an ", "a ", "the "]
        .iter()
        .find_map(|article| match_phrase(text, article))
        .map_or(text, |len| slice_from(text, len));
    policy_at(text)
}

fn policy_at(text: &str) -> Option<(PolicyType, &str)> {
    POLICY_PHRASES.iter().find_map(|&(phrase, policy)| {
        let len = match_phrase(text, phrase)?;
        let rest = slice_from(text, len);
        let word_end = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        Some((policy, slice_from(rest, word_end)))
    })
}

/// `: <token>` at the start of `text` (after whitespace): a policy ARN, trailing period removed.
fn colon_token(text: &str) -> Option<(&str, &str)> {
    let after = text.trim_start().strip_prefix(':')?;
    let (token, rest) = split_token(after.trim_start());
    non_empty(token.strip_suffix('.').unwrap_or(token)).map(|token| (token, rest))
}

/// Which of S3's own reasons `text` states, if any.
fn s3_reason(text: &str) -> Option<DeniedBy> {
    let has = |phrases: &[&str]| phrases.iter().any(|p| find_phrase(text, p).is_some());
    if has(SSE_C_PHRASES) && has(BLOCKED_PHRASES) {
        return Some(DeniedBy::SseCBlocked);
    }
    S3_REASON_PHRASES
        .iter()
        .find(|(phrase, _)| find_phrase(text, phrase).is_some())
        .map(|&(_, by)| by)
}

/// The text after the first `User:` that starts a word (`superuser:` and `x-user:` do not count):
/// whatever comes before it is an SDK's or a service's lead-in.
fn after_user_label(text: &str) -> Option<&str> {
    let mut from = 0;
    while let Some((start, end)) = find_phrase(slice_from(text, from), "user:") {
        let (start, end) = (from + start, from + end);
        let at_word_start = start == 0
            || text
                .as_bytes()
                .get(start - 1)
                .is_some_and(|b| !b.is_ascii_alphanumeric() && !matches!(b, b'_' | b'-' | b'/'));
        if at_word_start {
            return Some(slice_from(text, end));
        }
        from = end;
    }
    None
}

/// Drop an SDK's `An error occurred (Code) when calling the Op operation: ` lead-in.
fn strip_sdk_prefix(text: &str) -> &str {
    let trimmed = text.trim_start();
    if match_phrase(trimmed, "an error occurred").is_none() {
        return text;
    }
    find_phrase(trimmed, "operation:").map_or(text, |(_, end)| slice_from(trimmed, end))
}

/// Trim whitespace and one trailing period.
fn trim_reason(text: &str) -> &str {
    let text = text.trim();
    text.strip_suffix('.').unwrap_or(text).trim_end()
}

/// The first whitespace-delimited token of `text` and what follows it.
fn split_token(text: &str) -> (&str, &str) {
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (slice(text, 0, end), slice_from(text, end))
}

fn non_empty(text: &str) -> Option<&str> {
    let text = text.trim();
    (!text.is_empty()).then_some(text)
}

/// `text[start..end]`, or `""` if that is not a valid slice; the scanner only produces indices at
/// ASCII bytes, so the fallback is a guard, never a path.
fn slice(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or_default()
}

fn slice_from(text: &str, start: usize) -> &str {
    text.get(start..).unwrap_or_default()
}

/// Where `phrase` first occurs in `text` as `(start, end)` byte offsets (see [`match_phrase`]).
/// Phrases are short constants, so this is linear in `text`.
fn find_phrase(text: &str, phrase: &str) -> Option<(usize, usize)> {
    let first = *phrase.as_bytes().first()?;
    text.bytes().enumerate().filter(|(_, byte)| byte.eq_ignore_ascii_case(&first)).find_map(
        |(start, _)| {
            let len = match_phrase(text.get(start..)?, phrase)?;
            Some((start, start + len))
        },
    )
}

/// The byte length of `phrase` at the start of `text`, if it is there: ASCII letters match either
/// case, a space matches any run of ASCII whitespace, and `-` matches `-` or such a run. The phrase
/// is ASCII, so the match ends on a character boundary.
fn match_phrase(text: &str, phrase: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let whitespace_at = |at: usize| {
        bytes.get(at..).unwrap_or_default().iter().take_while(|b| b.is_ascii_whitespace()).count()
    };
    let mut at = 0;
    for &want in phrase.as_bytes() {
        at += match want {
            b'-' if bytes.get(at) == Some(&b'-') => 1,
            b' ' | b'-' => match whitespace_at(at) {
                0 => return None,
                run => run,
            },
            _ if bytes.get(at)?.eq_ignore_ascii_case(&want) => 1,
            _ => return None,
        };
    }
    Some(at)
}

#[cfg(test)]
mod tests;
