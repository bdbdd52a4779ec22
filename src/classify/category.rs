//! Which failures are denials: one table of error codes, in one place.
//!
//! Sources: the AWS IAM User Guide ("Troubleshoot access denied error messages"), the Amazon S3
//! User Guide ("Troubleshoot access denied (403 Forbidden) errors"), the Amazon EC2 API
//! reference ("Error codes for the Amazon EC2 API"), and the common errors of the AWS API
//! references ("Common Errors": AccessDeniedException, IncompleteSignature,
//! InvalidClientTokenId, MissingAuthenticationToken, ExpiredTokenException, …), and the
//! service-specific authorization codes named below, each from its service's API reference.

use super::reason::{DeniedBy, PolicyType};
use crate::event::Event;

/// What kind of failure a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCategory {
    /// The caller was known and the request was refused by policy: the denials this tool is for.
    Authorization,
    /// The caller could not be established (bad, expired or missing credentials; failed sign-in).
    Authentication,
    /// Any other error (`NoSuchKey`, throttling, validation, …), kept only with `--all-errors`.
    Other,
}

impl ErrorCategory {
    pub const ALL: &[Self] = &[Self::Authorization, Self::Authentication, Self::Other];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Authorization => "authorization",
            Self::Authentication => "authentication",
            Self::Other => "other",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

/// Error codes that mean "refused by policy". Compared ignoring ASCII case. Beside the common
/// ones: `AccessDeniedFault` (AWS DMS API reference, "Common errors" and e.g. CreateEndpoint:
/// "AWS DMS was denied access to the endpoint"), `InsufficientPrivilegesException` (AWS Elastic
/// Beanstalk API reference: "The specified account does not have sufficient privileges for one
/// or more AWS services"), `KMSAccessDeniedException` (Lambda API reference, Invoke: "Lambda
/// couldn't decrypt the environment variables because KMS access was denied"; Kinesis Data
/// Streams, PutRecord: the caller may not use the stream's key) and `VpceAccessDenied` (CloudTrail
/// User Guide, "Logging network activity events": a VPC endpoint policy refused the request).
pub const AUTHORIZATION_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "AccessDeniedFault",
    "AccessDeniedForDependencyException",
    "AuthorizationError",
    "AuthorizationErrorException",
    "Client.UnauthorizedOperation",
    "Forbidden",
    "ForbiddenException",
    "InsufficientPrivilegesException",
    "KMSAccessDeniedException",
    "UnauthorizedException",
    "UnauthorizedOperation",
    "VpceAccessDenied",
];

/// Error codes that name the mechanism that refused, when the message may not: a network
/// activity event's `VpceAccessDenied` is always the VPC endpoint policy (CloudTrail User Guide,
/// "Logging network activity events").
pub const MECHANISM_BY_CODE: &[(&str, DeniedBy)] =
    &[("VpceAccessDenied", DeniedBy::Policy(PolicyType::VpcEndpointPolicy))];

/// The mechanism `code` itself names, if any (see [`MECHANISM_BY_CODE`]).
pub fn mechanism_of_code(code: &str) -> Option<DeniedBy> {
    MECHANISM_BY_CODE.iter().find(|(c, _)| c.eq_ignore_ascii_case(code)).map(|&(_, by)| by)
}

/// Error codes that mean "who are you?": credentials missing, wrong, expired or unsigned.
pub const AUTHENTICATION_CODES: &[&str] = &[
    "AuthFailure",
    "Client.AuthFailure",
    "ExpiredToken",
    "ExpiredTokenException",
    "IncompleteSignature",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "MissingAuthenticationToken",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
];

/// Phrases IAM puts in the message of every policy denial, whatever the service called the
/// error code (some services use their own codes, e.g. `KMSInvalidStateException`-style names
/// or a bare `Client.` prefix). Lower case; matched against the lower-cased message.
const AUTHORIZATION_PHRASES: &[&str] = &["is not authorized to perform", "explicit deny"];

/// The category of a failed record, or `None` when the record is not a failure (no error code,
/// and not a failed console sign-in).
pub fn categorize(event: &Event<'_>) -> Option<ErrorCategory> {
    let Some(code) = event.error_code.as_deref() else {
        return is_failed_console_sign_in(event).then_some(ErrorCategory::Authentication);
    };
    let known = |table: &[&str]| table.iter().any(|c| c.eq_ignore_ascii_case(code));
    if known(AUTHORIZATION_CODES) || event.error_message.is_some_and(names_a_policy_denial) {
        Some(ErrorCategory::Authorization)
    } else if known(AUTHENTICATION_CODES) {
        Some(ErrorCategory::Authentication)
    } else {
        Some(ErrorCategory::Other)
    }
}

/// Failed console sign-ins have no `errorCode`; CloudTrail records them as `ConsoleLogin` with
/// `responseElements.ConsoleLogin = "Failure"` (and usually "Failed authentication").
pub fn is_failed_console_sign_in(event: &Event<'_>) -> bool {
    event.event_name == Some("ConsoleLogin") && event.console_login == Some("Failure")
}

/// Whether a message says a policy refused the request ("… because no identity-based policy
/// allows …", "… with an explicit deny …", "… is not authorized to perform …").
fn names_a_policy_denial(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    AUTHORIZATION_PHRASES.iter().any(|p| lower.contains(p))
        || lower.find("because no ").is_some_and(|at| lower[at..].contains(" allows the "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(json: &str) -> Option<ErrorCategory> {
        categorize(&crate::event::json::event_of(json))
    }

    #[test]
    fn every_listed_authorization_code_is_a_denial() {
        for code in AUTHORIZATION_CODES {
            let json = format!(r#"{{"errorCode":"{code}"}}"#);
            assert_eq!(category(&json), Some(ErrorCategory::Authorization), "{code}");
        }
        assert_eq!(category(r#"{"errorCode":"accessdenied"}"#), Some(ErrorCategory::Authorization));
    }

    #[test]
    fn every_listed_authentication_code_is_authentication() {
        for code in AUTHENTICATION_CODES {
            let json = format!(r#"{{"errorCode":"{code}"}}"#);
            assert_eq!(category(&json), Some(ErrorCategory::Authentication), "{code}");
        }
    }

    #[test]
    fn a_policy_message_makes_any_code_a_denial() {
        let cases = [
            "User: arn:aws:iam::1:user/a is not authorized to perform: sqs:SendMessage",
            "Request failed with an explicit deny in a service control policy",
            "because no identity-based policy allows the kms:Decrypt action",
        ];
        for message in cases {
            let json = format!(r#"{{"errorCode":"KMS.Custom","errorMessage":"{message}"}}"#);
            assert_eq!(category(&json), Some(ErrorCategory::Authorization), "{message}");
        }
        assert_eq!(
            category(r#"{"errorCode":"X","errorMessage":"failed because no retries are left"}"#),
            Some(ErrorCategory::Other)
        );
    }

    #[test]
    fn other_codes_and_successes() {
        assert_eq!(category(r#"{"errorCode":"NoSuchKey"}"#), Some(ErrorCategory::Other));
        assert_eq!(category(r#"{"errorCode":403}"#), Some(ErrorCategory::Other));
        assert_eq!(category(r#"{"eventName":"GetObject"}"#), None);
    }

    #[test]
    fn failed_console_sign_in_is_authentication() {
        let failed = r#"{"eventName":"ConsoleLogin","errorMessage":"Failed authentication",
                         "responseElements":{"ConsoleLogin":"Failure"}}"#;
        assert_eq!(category(failed), Some(ErrorCategory::Authentication));
        let ok = r#"{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"}}"#;
        assert_eq!(category(ok), None);
    }
}
