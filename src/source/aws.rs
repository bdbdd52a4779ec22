//! One way to configure AWS clients, shared by every AWS source: the SDK's default chain
//! (environment, shared config and credentials files, profiles, SSO, web identity, IMDS), with
//! the command line's `--profile`, `--aws-region`, `--endpoint-url` and `--no-sign-request` on
//! top, and credential problems turned into one line that says what to do.

use std::sync::atomic::{AtomicU64, Ordering};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
// The smithy error types every SDK crate re-exports: one and the same for all services.
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

pub use super::AwsOptions;
use crate::stats::ApiStats;

/// Why AWS could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error(
        "no AWS credentials found ({0}): set AWS_PROFILE or --profile, export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`; for a public bucket use --no-sign-request"
    )]
    NoCredentials(String),
    #[error(
        "no AWS credentials from profile {profile:?} ({reason}): is it defined in ~/.aws/config or ~/.aws/credentials (`aws configure list-profiles`)? For an SSO profile run `aws sso login --profile {profile}`"
    )]
    ProfileCredentials { profile: String, reason: String },
    #[error(
        "AWS rejected the credentials ({0}): refresh them (for SSO profiles: `aws sso login`) and run again"
    )]
    RejectedCredentials(String),
}

/// What an API source walked page by page did, counted as it happens (see [`ApiStats`]).
#[derive(Debug, Default)]
pub struct ApiCounters {
    pub requests: AtomicU64,
    pub events: AtomicU64,
}

impl ApiCounters {
    /// Adds these counts to `total`.
    pub fn add_to(&self, total: &mut Option<ApiStats>) {
        let total = total.get_or_insert_with(ApiStats::default);
        total.requests += self.requests.load(Ordering::Relaxed);
        total.events += self.events.load(Ordering::Relaxed);
    }
}

/// Attempts per request, the first included, unless `AWS_MAX_ATTEMPTS` says otherwise.
const MAX_ATTEMPTS: u32 = 5;

/// Region used when nothing configures one: where CloudTrail's global events and most
/// organisation trails live.
const FALLBACK_REGION: &str = "us-east-1";

/// Loads the shared configuration and checks that credentials can be had (unless unsigned).
pub async fn load(options: &AwsOptions) -> Result<SdkConfig, AwsError> {
    // Throttling (S3 SlowDown, CloudWatch ThrottlingException and LimitExceededException) and
    // transient errors are retried with backoff by the SDK's standard strategy.
    // More attempts than the SDK's default 3: a nightly run should ride out a short outage.
    // `AWS_MAX_ATTEMPTS`, which the SDK reads itself, still decides when it is set.
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if std::env::var_os("AWS_MAX_ATTEMPTS").is_none() {
        loader = loader.retry_config(
            aws_config::retry::RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS),
        );
    }
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if options.no_sign_request {
        loader = loader.no_credentials();
    }
    let mut config = loader.load().await;
    if config.region().is_none() {
        config = config.into_builder().region(aws_config::Region::new(FALLBACK_REGION)).build();
    }
    if !options.no_sign_request {
        let provider = config
            .credentials_provider()
            .ok_or_else(|| AwsError::NoCredentials("no provider configured".into()))?;
        provider.provide_credentials().await.map_err(|e| {
            let reason = first_line(&e.to_string());
            match &options.profile {
                // The SDK's message need not name the profile it looked for.
                Some(profile) => AwsError::ProfileCredentials { profile: profile.clone(), reason },
                None => AwsError::NoCredentials(reason),
            }
        })?;
    }
    Ok(config)
}

/// Whether a custom endpoint is in use (then S3 needs path-style addressing).
pub fn has_custom_endpoint(config: &SdkConfig) -> bool {
    config.endpoint_url().is_some()
}

/// Error codes with which AWS refuses the credentials themselves (not a permission).
const CREDENTIAL_ERROR_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "InvalidToken",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
];

/// The error for a service error code, if the code means the credentials are bad.
pub fn credential_error(code: Option<&str>) -> Option<AwsError> {
    let code = code?;
    CREDENTIAL_ERROR_CODES.contains(&code).then(|| AwsError::RejectedCredentials(code.to_string()))
}

/// `AccessDenied: Access Denied`, or the transport error, in one line.
pub fn describe<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => cause_chain(error),
    }
}

/// SDK errors carry long chains; a message for people needs the first line of the useful part.
pub fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_string()
}

/// An error without a service code (a refused connection, a cut download) as its chain of
/// causes, `dispatch failure: io error: … Connection refused (os error 111)`: the SDK's own
/// context display appends a Debug dump of the whole error, which no one should have to read.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = first_line(&e.to_string());
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_codes_are_recognised() {
        assert!(
            matches!(credential_error(Some("ExpiredToken")), Some(AwsError::RejectedCredentials(c)) if c == "ExpiredToken")
        );
        assert!(credential_error(Some("AccessDenied")).is_none());
        assert!(credential_error(None).is_none());
    }

    #[test]
    fn messages_say_what_to_do() {
        let text = AwsError::NoCredentials("no provider".into()).to_string();
        assert!(text.contains("aws sso login") && text.contains("--no-sign-request"), "{text}");
        assert_eq!(first_line("a\nb"), "a");
    }

    #[test]
    fn causes_are_chained_once_each() {
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure")]
        struct Outer(#[source] std::io::Error);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let text = cause_chain(&Outer(refused));
        assert_eq!(text, "dispatch failure: connection refused");
    }
}
