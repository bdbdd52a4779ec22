//! The next step a human should take for one row of the report.
//!
//! A count of denials says something is wrong; the hint says where to look. Each mechanism that can
//! deny (see [`DeniedBy`]) is inspected with a different AWS CLI command, and the command needs the
//! principal, action, bucket or account from the row, so a hint is mostly that command filled in.
//! Where the message named no mechanism the hint follows the principal instead: an unsigned request
//! needs credentials, an IAM user or role can be simulated, a cross-account caller needs the
//! resource's policy.
//!
//! Hints read like shell commands and embed strings from the logs, which anyone able to make a
//! request can influence (an object key, a session name). Every embedded value is therefore quoted
//! for POSIX shells when it holds anything beyond `[A-Za-z0-9_./:@=+,-]` (see [`shell_quote`]), so a
//! hint pasted into a terminal runs the command shown and nothing else. Values are otherwise kept
//! verbatim, control characters included: escaping for the screen is the printer's job.

use std::borrow::Cow;

use super::reason::{DeniedBy, DenyKind, PolicyType, bucket_in_resource};

mod group;
mod s3_scope;
mod situations;

pub use group::group_hint;

use s3_scope::{S3Scope, s3_scope};

/// One aggregate row's facts, as the hint needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HintInput<'a> {
    pub denied_by: DeniedBy,
    pub deny_kind: DenyKind,
    /// Normalised principal: an IAM user or role ARN, `anonymous`, an account id, a service name,
    /// `unknown`, …
    pub principal: &'a str,
    /// IAMUser, AssumedRole, Root, AWSService, AWSAccount, Anonymous, FederatedUser, SAMLUser,
    /// WebIdentityUser, IdentityCenterUser or Unknown.
    pub principal_type: &'a str,
    /// The IAM action, e.g. `s3:GetObject`.
    pub action: &'a str,
    pub resource_arn: Option<&'a str>,
    pub bucket: Option<&'a str>,
    /// The account the request was made to (`recipientAccountId`).
    pub account_id: Option<&'a str>,
    /// `authorization`, `authentication` or `other`.
    pub error_category: &'a str,
    pub denying_policy_arn: Option<&'a str>,
    /// The VPC endpoint the request came through (`vpcEndpointId`), when recorded.
    pub vpc_endpoint_id: Option<&'a str>,
    /// The `errorMessage` of the row's sample event: some services' reasons are only there.
    pub message: Option<&'a str>,
}

/// Which S3 Block Public Access setting refuses which call, for naming it in the hint (the message
/// is not part of the row). From the Amazon S3 User Guide, "Troubleshoot access denied (403
/// Forbidden) errors", section "S3 Block Public Access settings". Any other call was refused by
/// IgnorePublicAcls or RestrictPublicBuckets.
const BPA_SETTING_BY_ACTION: &[(&str, &str)] = &[
    ("s3:CreateBucket", "BlockPublicAcls"),
    ("s3:PutAccessPointPolicy", "BlockPublicPolicy"),
    ("s3:PutBucketAcl", "BlockPublicAcls"),
    ("s3:PutBucketPolicy", "BlockPublicPolicy"),
    ("s3:PutObject", "BlockPublicAcls"),
    ("s3:PutObjectAcl", "BlockPublicAcls"),
];

/// The CLI command that prints a resource-based policy, by IAM service prefix, for services whose
/// command takes the resource's ARN. From the AWS CLI Command Reference pages of each command.
const RESOURCE_POLICY_COMMANDS: &[(&str, &str)] = &[
    ("acm-pca", "aws acm-pca get-policy --resource-arn"),
    ("lambda", "aws lambda get-policy --function-name"),
    ("secretsmanager", "aws secretsmanager get-resource-policy --secret-id"),
    ("sns", "aws sns get-topic-attributes --topic-arn"),
];

const AUTHENTICATION: &str = "the request failed authentication, not authorization: check the \
     caller's credentials (expired session token, wrong secret key, clock skew) with aws sts \
     get-caller-identity";
const NOT_A_DENIAL: &str = "not an access denial: read the event's errorCode and errorMessage";
const OBJECT_ACCESS_DISABLED: &str = "S3 has disabled all access to this object \
     (AllAccessDisabled) and no policy change restores it: contact AWS Support with the request id";
const UNKNOWN_CALLER: &str = "the caller is not identified in the log: look the event up by its requestID and read its userIdentity";

/// One short, concrete next step for a row: usually an AWS CLI command with the row's values filled in.
pub fn hint(input: &HintInput<'_>) -> String {
    match input.error_category {
        "authentication" => return AUTHENTICATION.to_owned(),
        "other" if input.denied_by == DeniedBy::Policy(PolicyType::RoleTrustPolicy) => {
            return situations::passed_role(input);
        }
        "other" => return NOT_A_DENIAL.to_owned(),
        _ => {}
    }
    if let Some(situation) = situations::known_situation(input) {
        return situation;
    }
    let step = by_mechanism(input);
    situations::with_notes(input, step)
}

/// The step for the mechanism the message named.
fn by_mechanism(input: &HintInput<'_>) -> String {
    match input.denied_by {
        DeniedBy::BlockPublicAccess => block_public_access(input),
        DeniedBy::SseCBlocked => {
            let bucket = bucket_or_placeholder(input);
            format!(
                "bucket {bucket} blocks SSE-C (customer-provided key) uploads: use SSE-KMS or \
                 SSE-S3 instead, or see BlockedEncryptionTypes in aws s3api get-bucket-encryption \
                 --bucket {bucket}"
            )
        }
        DeniedBy::ObjectAccessDisabled => OBJECT_ACCESS_DISABLED.to_owned(),
        DeniedBy::AclsDisabled => {
            let bucket = bucket_or_placeholder(input);
            format!(
                "bucket {bucket} has ACLs disabled (Object Ownership is bucket owner enforced): send \
                 the request without an ACL and grant access in the bucket policy; see aws s3api \
                 get-bucket-ownership-controls --bucket {bucket}"
            )
        }
        DeniedBy::Policy(PolicyType::ServiceControlPolicy) => {
            let account = principal_account(input).or(input.account_id);
            organizations_policy(input, "SCP", "SERVICE_CONTROL_POLICY", account)
        }
        DeniedBy::Policy(PolicyType::ResourceControlPolicy) => {
            let account = input.resource_arn.and_then(arn_account).or(input.account_id);
            organizations_policy(input, "RCP", "RESOURCE_CONTROL_POLICY", account)
        }
        DeniedBy::Policy(PolicyType::ResourceBased) => resource_policy(input),
        DeniedBy::Policy(PolicyType::PermissionsBoundary) => permissions_boundary(input),
        DeniedBy::Policy(PolicyType::SessionPolicy) => format!(
            "the session policy passed when {principal}'s session was created (AssumeRole, \
             AssumeRoleWithSAML, AssumeRoleWithWebIdentity or GetFederationToken) {verb} {action}: \
             find that call in CloudTrail and read its policy and policyArns parameters",
            principal = shell_quote(input.principal),
            verb = deny_verb(input),
            action = shell_quote(input.action),
        ),
        DeniedBy::Policy(PolicyType::VpcEndpointPolicy) => match input.vpc_endpoint_id {
            Some(endpoint) => format!(
                "the policy of VPC endpoint {endpoint} {verb} {action}: aws ec2 \
                 describe-vpc-endpoints --vpc-endpoint-ids {endpoint} --query \
                 'VpcEndpoints[].PolicyDocument'",
                endpoint = shell_quote(endpoint),
                verb = deny_verb(input),
                action = shell_quote(input.action),
            ),
            None => format!(
                "the policy of the VPC endpoint the request went through {verb} {action}: aws ec2 \
                 describe-vpc-endpoints --query \
                 'VpcEndpoints[].[VpcEndpointId,ServiceName,PolicyDocument]'",
                verb = deny_verb(input),
                action = shell_quote(input.action),
            ),
        },
        DeniedBy::Policy(PolicyType::RoleTrustPolicy) => situations::trust_policy(input),
        DeniedBy::Policy(PolicyType::IdentityBased) => identity_policy(input),
        DeniedBy::Unknown => unexplained(input),
    }
}

/// `value` as one POSIX shell word: unchanged when every character is in `[A-Za-z0-9_./:@=+,-]`,
/// otherwise in single quotes with each `'` written `'\''`.
pub fn shell_quote(value: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:@=+,-".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(format!("'{}'", value.replace('\'', r"'\''")))
    }
}

fn block_public_access(input: &HintInput<'_>) -> String {
    let setting = BPA_SETTING_BY_ACTION
        .iter()
        .find(|(action, _)| *action == input.action)
        .map_or("IgnorePublicAcls or RestrictPublicBuckets", |&(_, setting)| setting);
    format!(
        "S3 Block Public Access ({setting}) refused it; see the bucket's and the account's settings: \
         aws s3api get-public-access-block --bucket {bucket}; aws s3control get-public-access-block \
         --account-id {account}",
        bucket = bucket_or_placeholder(input),
        account = or_placeholder(input.account_id, "ACCOUNT_ID"),
    )
}

/// SCPs and RCPs: read the named policy, or list those attached to the account and its parents
/// (`list-policies-for-target` shows only direct attachments, not those inherited from OUs).
fn organizations_policy(
    input: &HintInput<'_>,
    short: &str,
    filter: &str,
    account: Option<&str>,
) -> String {
    if let Some(arn) = input.denying_policy_arn {
        let id = arn.rsplit('/').next().filter(|id| !id.is_empty()).unwrap_or(arn);
        return format!(
            "{short} {arn} denied {action}: read it with aws organizations describe-policy --policy-id {id}",
            arn = shell_quote(arn),
            action = shell_quote(input.action),
            id = shell_quote(id),
        );
    }
    let account = or_placeholder(account, "ACCOUNT_ID");
    format!(
        "list the {short}s that apply to account {account}: aws organizations \
         list-policies-for-target --target-id {account} --filter {filter} (and for each parent \
         from aws organizations list-parents --child-id {account})"
    )
}

fn resource_policy(input: &HintInput<'_>) -> String {
    let principal = shell_quote(input.principal);
    let action = shell_quote(input.action);
    let explicit = is_explicit(input);
    let Some((what, command)) = policy_of_resource(input) else {
        let resource = input.resource_arn.map_or(Cow::Borrowed("the resource"), shell_quote);
        let what = format!("the resource-based policy of {resource}");
        return if explicit {
            format!("find the Deny statement that matches {principal} and {action} in {what}")
        } else {
            format!("add an Allow for {principal} and {action} to {what}")
        };
    };
    if input.deny_kind == DenyKind::Generic {
        // KMS's "the resource does not exist in this Region, no resource-based policies allow
        // access, or a resource-based policy explicitly denies access": one of three, and the
        // first is the quickest to rule out.
        let resource = resource_or_placeholder(input, "RESOURCE_ARN");
        let exists = if service_of(input.action).is_some_and(|s| s.eq_ignore_ascii_case("kms")) {
            format!("aws kms describe-key --key-id {resource}")
        } else {
            format!("look {resource} up in the Region of the request")
        };
        format!(
            "one of three, the message does not say which: first check that the resource exists \
             in the Region the request went to ({exists}); then {what} may lack an Allow for \
             {principal} and {action}, or have a Deny for them: {command}"
        )
    } else if explicit {
        format!(
            "find the Deny statement that matches {principal} and {action} in {what}: {command}"
        )
    } else {
        format!("check {what} for an Allow that covers {principal} and {action}: {command}")
    }
}

/// What the resource's policy is called and the command that prints it, for the services whose
/// command we know: S3 buckets, KMS keys and [`RESOURCE_POLICY_COMMANDS`].
fn policy_of_resource(input: &HintInput<'_>) -> Option<(String, String)> {
    let service = service_of(input.action)
        .or_else(|| input.resource_arn.and_then(|arn| arn_field(arn, 2)))
        .unwrap_or_default();
    if service.eq_ignore_ascii_case("s3") || input.bucket.is_some() {
        let bucket = bucket_or_placeholder(input);
        Some((
            format!("the bucket policy of {bucket}"),
            format!("aws s3api get-bucket-policy --bucket {bucket}"),
        ))
    } else if service.eq_ignore_ascii_case("kms") {
        let key = resource_or_placeholder(input, "KEY_ARN");
        Some((
            format!("the key policy of {key}"),
            format!("aws kms get-key-policy --key-id {key} --policy-name default"),
        ))
    } else {
        let &(_, command) = RESOURCE_POLICY_COMMANDS
            .iter()
            .find(|(prefix, _)| prefix.eq_ignore_ascii_case(service))?;
        let resource = resource_or_placeholder(input, "RESOURCE_ARN");
        Some((format!("the resource-based policy of {resource}"), format!("{command} {resource}")))
    }
}

fn permissions_boundary(input: &HintInput<'_>) -> String {
    let action = shell_quote(input.action);
    let verb = if is_explicit(input) { "has a Deny for" } else { "does not allow" };
    match iam_entity(input.principal) {
        Some(entity) => {
            let (noun, get, field) = match entity.kind {
                EntityKind::Role => ("role", "get-role --role-name", "Role"),
                EntityKind::User => ("user", "get-user --user-name", "User"),
            };
            let name = shell_quote(entity.name);
            format!(
                "the permissions boundary of {noun} {name} {verb} {action}: aws iam {get} {name} \
                 --query {field}.PermissionsBoundary"
            )
        }
        None => format!(
            "the permissions boundary of {principal} {verb} {action}: find it in the IAM console \
             under the user or role's Permissions tab",
            principal = shell_quote(input.principal),
        ),
    }
}

fn identity_policy(input: &HintInput<'_>) -> String {
    let principal = shell_quote(input.principal);
    let action = shell_quote(input.action);
    let step = if is_explicit(input) {
        let place = input.denying_policy_arn.map_or_else(
            || format!("the identity-based policies of {principal}"),
            |arn| shell_quote(arn).into_owned(),
        );
        format!("find the Deny statement for {action} in {place}")
    } else {
        format!("no identity-based policy of {principal} allows {action}; add an Allow")
    };
    match iam_entity(input.principal) {
        Some(_) => format!("{step}, then confirm with: {}", simulate(input)),
        None => step,
    }
}

/// The message named no mechanism: go by who was denied.
fn unexplained(input: &HintInput<'_>) -> String {
    let lead = if is_explicit(input) {
        "a Deny statement matched but the message does not say where; "
    } else {
        ""
    };
    format!("{lead}{}", by_principal(input))
}

fn by_principal(input: &HintInput<'_>) -> String {
    let scope = s3_scope(input);
    let is_s3 = matches!(scope, Some(S3Scope::Object | S3Scope::Bucket));
    let bucket = bucket_or_placeholder(input);
    let action = shell_quote(input.action);
    let principal = shell_quote(input.principal);
    if has_type(input, "Anonymous") || input.principal.eq_ignore_ascii_case("anonymous") {
        return if is_s3 {
            format!(
                "the request was unsigned (anonymous): make sure the client sends credentials, or, if \
                 bucket {bucket} should be public, check its bucket policy and Block Public Access: \
                 aws s3api get-public-access-block --bucket {bucket}"
            )
        } else {
            "the request was unsigned (anonymous): make sure the client sends credentials"
                .to_owned()
        };
    }
    if iam_entity(input.principal).is_some() {
        let rest = match scope {
            Some(S3Scope::Object) => format!(
                "check the bucket policy (aws s3api get-bucket-policy --bucket {bucket}) and, for an \
                 SSE-KMS object, the KMS key policy"
            ),
            Some(S3Scope::Bucket) => {
                format!("check the bucket policy: aws s3api get-bucket-policy --bucket {bucket}")
            }
            Some(S3Scope::Account) => "this is an account-level S3 call, which no bucket policy \
                 governs: check the SCPs and any permissions boundary"
                .to_owned(),
            None => situations::resource_side(input),
        };
        return format!("{}; if that allows it, {rest}", simulate(input));
    }
    if has_type(input, "Unknown")
        || input.principal.trim().is_empty()
        || input.principal.eq_ignore_ascii_case("unknown")
    {
        return UNKNOWN_CALLER.to_owned();
    }
    let tail = if is_s3 {
        format!("; see aws s3api get-bucket-policy --bucket {bucket}")
    } else {
        String::new()
    };
    if has_type(input, "Root") {
        let account = or_placeholder(principal_account(input).or(input.account_id), "ACCOUNT_ID");
        format!(
            "only an SCP, an RCP or a resource-based policy can deny the root user {action}: aws \
             organizations list-policies-for-target --target-id {account} --filter \
             SERVICE_CONTROL_POLICY{tail}"
        )
    } else if has_type(input, "AWSAccount") {
        let account = principal_account(input).map_or(principal, shell_quote);
        format!(
            "account {account} was denied {action}: the resource's policy must grant that account \
             access{tail}"
        )
    } else if has_type(input, "AWSService") {
        format!(
            "AWS service {principal} was denied {action}: the resource's policy must allow that \
             service principal{tail}"
        )
    } else {
        format!("review the policies that apply to {principal} for {action}{tail}")
    }
}

/// Whether the row's principal type is `kind`; a row that merged several (`IAMUser|Unknown`)
/// counts as each of them.
fn has_type(input: &HintInput<'_>, kind: &str) -> bool {
    input.principal_type.split('|').any(|t| t == kind)
}

/// `aws iam simulate-principal-policy` for the row, with the resource ARN, else the bucket's ARN.
fn simulate(input: &HintInput<'_>) -> String {
    let mut command = format!(
        "aws iam simulate-principal-policy --policy-source-arn {} --action-names {}",
        shell_quote(input.principal),
        shell_quote(input.action),
    );
    let resource = match (input.resource_arn.filter(|arn| arn.starts_with("arn:")), input.bucket) {
        (Some(arn), _) => Some(Cow::Borrowed(arn)),
        (None, Some(bucket)) => {
            let partition = arn_field(input.principal, 1).unwrap_or("aws");
            Some(Cow::Owned(format!("arn:{partition}:s3:::{bucket}")))
        }
        (None, None) => None,
    };
    if let Some(resource) = resource {
        command.push_str(" --resource-arns ");
        command.push_str(&shell_quote(&resource));
    }
    command
}

fn is_explicit(input: &HintInput<'_>) -> bool {
    input.deny_kind == DenyKind::Explicit
}

fn deny_verb(input: &HintInput<'_>) -> &'static str {
    if is_explicit(input) { "denies" } else { "does not allow" }
}

fn bucket_or_placeholder<'a>(input: &HintInput<'a>) -> Cow<'a, str> {
    let bucket = input.bucket.or_else(|| input.resource_arn.and_then(bucket_in_resource));
    or_placeholder(bucket, "BUCKET")
}

fn resource_or_placeholder<'a>(input: &HintInput<'a>, placeholder: &'static str) -> Cow<'a, str> {
    or_placeholder(input.resource_arn, placeholder)
}

fn or_placeholder<'a>(value: Option<&'a str>, placeholder: &'static str) -> Cow<'a, str> {
    value.filter(|v| !v.is_empty()).map_or(Cow::Borrowed(placeholder), shell_quote)
}

/// The account a principal belongs to: from its ARN, or the principal itself when it is an account id.
fn principal_account<'a>(input: &HintInput<'a>) -> Option<&'a str> {
    arn_account(input.principal).or_else(|| Some(input.principal).filter(|p| is_account_id(p)))
}

fn arn_account(arn: &str) -> Option<&str> {
    arn_field(arn, 4).filter(|account| is_account_id(account))
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Field `index` of `arn:partition:service:region:account:resource`, if present and non-empty.
fn arn_field(arn: &str, index: usize) -> Option<&str> {
    let mut fields = arn.splitn(6, ':');
    (fields.next() == Some("arn")).then_some(())?;
    fields.nth(index.checked_sub(1)?).filter(|field| !field.is_empty())
}

/// The service prefix of an IAM action (`s3` of `s3:GetObject`).
fn service_of(action: &str) -> Option<&str> {
    action.split_once(':').map(|(service, _)| service)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntityKind {
    User,
    Role,
}

struct IamEntity<'a> {
    kind: EntityKind,
    name: &'a str,
}

/// An IAM user or role ARN (`arn:aws:iam::123456789012:role/path/Name`): what
/// `simulate-principal-policy` accepts and `get-user`/`get-role` can name.
fn iam_entity(arn: &str) -> Option<IamEntity<'_>> {
    if arn_field(arn, 2) != Some("iam") {
        return None;
    }
    let resource = arn_field(arn, 5)?;
    let (kind, path) = if let Some(path) = resource.strip_prefix("user/") {
        (EntityKind::User, path)
    } else {
        (EntityKind::Role, resource.strip_prefix("role/")?)
    };
    let name = path.rsplit('/').next().filter(|name| !name.is_empty())?;
    Some(IamEntity { kind, name })
}

#[cfg(test)]
mod tests;
