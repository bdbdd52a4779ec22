//! Situations a message, an action or a principal identifies, in which the mechanism-by-mechanism
//! step of [`super::hint`] would send people the wrong way: no policy can allow it (cross-account
//! pass role), no permission is involved (`sts:GetSessionToken`, billing access for IAM users),
//! the policy to change is somewhere else (the role's trust policy, the organization's delegation
//! policy, an IAM Identity Center permission set, the issuer of a federated session). Each rule
//! names the AWS page it comes from.

use std::borrow::Cow;

use super::{
    DeniedBy, EntityKind, HintInput, PolicyType, arn_account, arn_field, iam_entity, is_explicit,
    or_placeholder, policy_of_resource, principal_account, service_of, shell_quote, simulate,
};

/// IAM User Guide, "Grant a user permissions to pass a role to an AWS service": a role can only
/// be passed to a service in the same account. The message IAM writes for the attempt.
const CROSS_ACCOUNT_PASS_ROLE: &str = "cross-account pass role is not allowed";

/// AWS Billing User Guide, "Activating access to the Billing and Cost Management console": until
/// the root user activates "IAM user and role access to Billing information", every IAM
/// principal is refused whatever its policies say. The services' message for it.
const BILLING_ACCESS_NOT_ACTIVATED: [&str; 2] = ["iam user access", "not activated"];

/// The message prefix of EC2-style encoded authorization messages (IAM User Guide, "Troubleshoot
/// access denied error messages"; AWS STS API reference, DecodeAuthorizationMessage).
const ENCODED_MESSAGE: &str = "encoded authorization failure message";

/// The role-name prefix of roles IAM Identity Center creates for permission sets (IAM Identity
/// Center User Guide, "Permission sets" and "Referencing permission sets in resource policies").
const IDENTITY_CENTER_ROLE: &str = "AWSReservedSSO_";

/// A hint that replaces the mechanism's, when the row is one of these situations.
pub(super) fn known_situation(input: &HintInput<'_>) -> Option<String> {
    let action = input.action;
    if mentions(input.message, &[CROSS_ACCOUNT_PASS_ROLE]) {
        let account = or_placeholder(principal_account(input), "ACCOUNT_ID");
        return Some(format!(
            "a role can only be passed to a service in the caller's own account, and no policy \
             can allow passing one from another account: create (or choose) the role in account \
             {account} and pass that one"
        ));
    }
    if mentions(input.message, &BILLING_ACCESS_NOT_ACTIVATED) {
        let account = or_placeholder(input.account_id, "ACCOUNT_ID");
        return Some(format!(
            "IAM user and role access to Billing information is not activated in account \
             {account}: the root user must turn it on (Account page, \"IAM user and role access \
             to Billing information\"); no IAM policy change helps until then"
        ));
    }
    if action.eq_ignore_ascii_case("sts:GetSessionToken") && !is_explicit(input) {
        return Some(get_session_token(input));
    }
    if is_assume_role(action)
        && matches!(
            input.denied_by,
            DeniedBy::Unknown | DeniedBy::Policy(PolicyType::RoleTrustPolicy)
        )
    {
        return Some(trust_policy(input));
    }
    // Not when Organizations says what it lacked (AccessDeniedForDependencyException: "… do not
    // have permission to create the service-linked role …").
    let organizations = service_of(action).is_some_and(|s| s.eq_ignore_ascii_case("organizations"))
        && !mentions(input.message, &["service-linked role"]);
    if organizations
        && matches!(
            input.denied_by,
            DeniedBy::Unknown | DeniedBy::Policy(PolicyType::ResourceBased)
        )
    {
        return Some(delegated_administrator(input));
    }
    let federated = input.principal_type.split('|').any(|t| t == "FederatedUser");
    let in_session = matches!(
        input.denied_by,
        DeniedBy::Unknown | DeniedBy::Policy(PolicyType::IdentityBased | PolicyType::SessionPolicy)
    );
    if federated && in_session {
        return Some(federated_session(input));
    }
    None
}

/// Notes added after the mechanism's step: where an Identity Center role's policies really live,
/// and how to read an encoded authorization message.
pub(super) fn with_notes(input: &HintInput<'_>, step: String) -> String {
    let mut hint = step;
    let governs_identity = matches!(
        input.denied_by,
        DeniedBy::Unknown
            | DeniedBy::Policy(PolicyType::IdentityBased | PolicyType::PermissionsBoundary)
    );
    if governs_identity && let Some(set) = permission_set(input.principal) {
        let set = shell_quote(set);
        hint.push_str(&format!(
            "; this role belongs to IAM Identity Center permission set {set}: change the \
             permission set, not the role (aws sso-admin list-permission-sets --instance-arn \
             INSTANCE_ARN, then put-inline-policy-to-permission-set or \
             attach-managed-policy-to-permission-set) and re-provision it with aws sso-admin \
             provision-permission-set; edits to the role itself are overwritten"
        ));
    }
    if mentions(input.message, &[ENCODED_MESSAGE]) {
        hint.push_str(
            "; the encoded message in the event's errorMessage names the policy and statement: \
             aws sts decode-authorization-message --encoded-message ENCODED_MESSAGE --query \
             DecodedMessage --output text (ENCODED_MESSAGE is the text after \"Encoded \
             authorization failure message:\"; the caller needs sts:DecodeAuthorizationMessage)",
        );
    }
    hint
}

/// `sts:AssumeRole*` refused: the role's trust policy, with the role from the request. For SAML
/// and web identity the caller is an IdP subject, so the hint names the role and the provider's
/// conditions instead. IAM User Guide, "Troubleshoot IAM roles" ("I can't assume a role").
pub(super) fn trust_policy(input: &HintInput<'_>) -> String {
    let role = role_name(input);
    let command =
        format!("aws iam get-role --role-name {role} --query Role.AssumeRolePolicyDocument");
    let action = input.action.to_ascii_lowercase();
    let explicit = is_explicit(input);
    if action == "sts:assumerolewithsaml" || action == "sts:assumerolewithwebidentity" {
        let (provider, keys) = if action == "sts:assumerolewithsaml" {
            ("SAML provider", "SAML:aud and any SAML:sub conditions")
        } else {
            ("OIDC provider", "the provider's :aud and :sub conditions")
        };
        let verdict = if explicit { "has a Deny that matches" } else { "does not admit" };
        return format!(
            "the trust policy of role {role} {verdict} this federated identity: its Federated \
             principal must be the {provider} the token came from and {keys} must match the \
             token's claims: {command}"
        );
    }
    let principal = shell_quote(input.principal);
    let verdict = if explicit {
        format!("has a Deny for {principal}")
    } else {
        format!("does not let {principal} assume it")
    };
    let mut hint = format!("the trust policy of role {role} {verdict}: {command}");
    let caller_account = principal_account(input);
    let role_account = input.resource_arn.and_then(arn_account);
    if iam_entity(input.principal).is_some()
        && role_account.is_some()
        && caller_account != role_account
    {
        hint.push_str(&format!(
            "; the role is in another account, so {principal}'s own policies must also allow \
             {action}: {}",
            simulate(input),
            action = shell_quote(input.action),
        ));
    }
    hint
}

/// A service could not use the role a request passed to it (a validation error such as
/// CloudTrail's `InvalidCloudWatchLogsRoleArnException`).
pub(super) fn passed_role(input: &HintInput<'_>) -> String {
    let role = role_name(input);
    format!(
        "not a denial of the caller: the service could not use the role passed in the request; \
         its trust policy must let the service's principal assume it, and it needs the \
         permissions the service uses: aws iam get-role --role-name {role} --query \
         Role.AssumeRolePolicyDocument (the role is named in the event's requestParameters)"
    )
}

/// The non-S3 resource side for an IAM principal whose denial the message did not explain: a
/// resource in another account must allow the caller in its own policy as well (IAM User Guide,
/// "Cross-account policy evaluation logic").
pub(super) fn resource_side(input: &HintInput<'_>) -> String {
    let resource_account = input.resource_arn.and_then(arn_account);
    let cross_account = resource_account.is_some() && resource_account != principal_account(input);
    match (cross_account, policy_of_resource(input)) {
        (true, Some((what, command))) => format!(
            "the resource is in account {account}, so both the caller's policies and {what} must \
             allow it: {command}; then the SCPs and any permissions boundary",
            account = resource_account.unwrap_or_default(),
        ),
        (true, None) => format!(
            "the resource is in account {account}, so both the caller's policies and the \
             resource's own policy must allow it; then the SCPs and any permissions boundary",
            account = resource_account.unwrap_or_default(),
        ),
        (false, _) => {
            "check the resource's own policy, the SCPs and any permissions boundary".to_owned()
        }
    }
}

/// AWS STS API reference, GetSessionToken, and IAM User Guide, "Permissions for GetSessionToken":
/// no permission is needed to call it, so a refusal is about MFA or the credentials used.
fn get_session_token(input: &HintInput<'_>) -> String {
    let user = iam_entity(input.principal)
        .filter(|entity| entity.kind == EntityKind::User)
        .map_or(Cow::Borrowed("USER_NAME"), |entity| shell_quote(entity.name));
    format!(
        "sts:GetSessionToken needs no IAM permission, so this is not a missing Allow: check the MFA \
         device passed as --serial-number (aws iam list-mfa-devices --user-name {user}) and that \
         --token-code is the current code; GetSessionToken also refuses calls made with \
         temporary (session) credentials"
    )
}

/// AWS Organizations User Guide, "Delegated administrator for AWS Organizations": a member
/// account calls Organizations APIs only as far as the organization's resource-based delegation
/// policy allows, which only the management account can read.
fn delegated_administrator(input: &HintInput<'_>) -> String {
    let account = or_placeholder(principal_account(input).or(input.account_id), "ACCOUNT_ID");
    let action = shell_quote(input.action);
    let mut hint = format!(
        "if account {account} is a delegated administrator, the organization's resource-based \
         delegation policy must allow {action}: read it in the management account with aws \
         organizations describe-resource-policy; otherwise make the call from the management \
         account"
    );
    if iam_entity(input.principal).is_some() {
        hint.push_str(&format!(
            "; the caller's own policies must allow it too: {}",
            simulate(input)
        ));
    }
    hint
}

/// IAM User Guide, "Permissions for GetFederationToken": a federated user's session has the
/// permissions both the issuing IAM user's policies and the session policy passed to
/// GetFederationToken allow, the intersection of the two.
fn federated_session(input: &HintInput<'_>) -> String {
    let name = arn_field(input.principal, 5)
        .and_then(|resource| resource.strip_prefix("federated-user/"))
        .map_or(Cow::Borrowed("NAME"), shell_quote);
    let account = or_placeholder(principal_account(input), "ACCOUNT_ID");
    format!(
        "federated user {name}'s session allows only what both the IAM user that issued it and \
         the session policy passed to GetFederationToken allow: find that GetFederationToken call \
         in CloudTrail (account {account}, requestParameters.name {name}) and check {action} in \
         its policy and policyArns and in the issuing user's policies",
        action = shell_quote(input.action),
    )
}

/// The name of the role the row's resource is, shell-quoted, or `ROLE_NAME`.
fn role_name<'a>(input: &HintInput<'a>) -> Cow<'a, str> {
    input
        .resource_arn
        .and_then(iam_entity)
        .filter(|entity| entity.kind == EntityKind::Role)
        .map_or(Cow::Borrowed("ROLE_NAME"), |entity| shell_quote(entity.name))
}

fn is_assume_role(action: &str) -> bool {
    action.get(..14).is_some_and(|head| head.eq_ignore_ascii_case("sts:AssumeRole"))
}

/// The permission set behind an IAM Identity Center role
/// (`…:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_<set>_<16 hex>`).
fn permission_set(principal: &str) -> Option<&str> {
    let name = iam_entity(principal).filter(|e| e.kind == EntityKind::Role)?.name;
    let rest = name.strip_prefix(IDENTITY_CENTER_ROLE)?;
    let (set, suffix) = rest.rsplit_once('_')?;
    (!set.is_empty() && !suffix.is_empty()).then_some(set)
}

/// Whether `message` contains every one of `phrases` (lower case), ignoring ASCII case.
fn mentions(message: Option<&str>, phrases: &[&str]) -> bool {
    message.is_some_and(|message| {
        let lower = message.to_ascii_lowercase();
        phrases.iter().all(|phrase| lower.contains(phrase))
    })
}

#[cfg(test)]
mod tests;
