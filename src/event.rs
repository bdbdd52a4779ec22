//! The fields of one CloudTrail event that classification reads, borrowed from wherever the
//! record lives, with no parser type in sight: `classify` depends on this struct only, so a
//! source whose records are not JSON text (Arrow batches from Spark) can fill it in its own
//! adapter and reuse the classifier unchanged. [`json`] is the adapter for CloudTrail's own
//! JSON (the hot path, from simd-json's borrowed values). Security Lake's OCSF rows do not take
//! that route: the policy-change capture reads `requestParameters` as JSON trees too, so
//! `decode::ocsf` rebuilds each kept row as CloudTrail JSON text instead.
//!
//! Field names and meanings follow the AWS CloudTrail User Guide, "CloudTrail record contents
//! for management, data, and network activity events". Every field is optional; an adapter
//! reads a field of the wrong type as absent (except `errorCode`, whose scalar text is kept so
//! that the failure is still counted) and never stores an empty string.

pub mod json;

use std::borrow::Cow;

/// One event, as classification sees it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Event<'v> {
    pub event_time: Option<&'v str>,
    pub event_id: Option<&'v str>,
    pub request_id: Option<&'v str>,
    pub recipient_account_id: Option<&'v str>,
    pub aws_region: Option<&'v str>,
    pub event_source: Option<&'v str>,
    pub event_name: Option<&'v str>,
    pub event_type: Option<&'v str>,
    pub error_code: Option<Cow<'v, str>>,
    pub error_message: Option<&'v str>,
    pub source_ip: Option<&'v str>,
    pub user_agent: Option<&'v str>,
    pub vpc_endpoint_id: Option<&'v str>,
    /// `userIdentity`, when the record has one (as an object).
    pub identity: Option<Identity<'v>>,
    /// `requestParameters.bucketName`.
    pub request_bucket: Option<&'v str>,
    /// `requestParameters.key`.
    pub request_key: Option<&'v str>,
    /// `requestParameters.versionId`: the request named one version of an S3 object.
    pub request_version_id: Option<&'v str>,
    /// `requestParameters.roleArn`: the role an `sts:AssumeRole*` call asked for.
    pub request_role_arn: Option<&'v str>,
    /// `responseElements.ConsoleLogin`: `Success` or `Failure` for console sign-ins.
    pub console_login: Option<&'v str>,
    /// `resources[]`, in order.
    pub resources: Vec<Resource<'v>>,
    /// `tlsDetails.tlsVersion`.
    pub tls_version: Option<&'v str>,
    /// `tlsDetails.cipherSuite`, else `additionalEventData.CipherSuite` (S3).
    pub cipher_suite: Option<&'v str>,
    /// `additionalEventData.SignatureVersion` and `.AuthenticationMethod` (S3).
    pub signature_version: Option<&'v str>,
    pub authentication_method: Option<&'v str>,
    /// Whether `requestParameters` was logged (as an object): without it, request tags are unknown.
    pub request_logged: bool,
    /// The request parameters S3 condition keys read (`prefix`, `delimiter`, `max-keys`, the
    /// `x-amz-…` headers S3 copies into `requestParameters`), as text.
    pub s3_parameters: Vec<(&'v str, Cow<'v, str>)>,
}

/// The parts of `userIdentity` that say who the caller was.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Identity<'v> {
    /// `type`: `IAMUser`, `AssumedRole`, `AWSService`, …
    pub identity_type: Option<&'v str>,
    pub arn: Option<&'v str>,
    pub account_id: Option<&'v str>,
    pub principal_id: Option<&'v str>,
    pub user_name: Option<&'v str>,
    pub invoked_by: Option<&'v str>,
    /// `sessionContext.sessionIssuer.arn`: the role behind a role session.
    pub session_issuer_arn: Option<&'v str>,
    /// `onBehalfOf.identityStoreArn` and `onBehalfOf.userId`: IAM Identity Center users.
    pub identity_store_arn: Option<&'v str>,
    pub on_behalf_of_user_id: Option<&'v str>,
    /// `accessKeyId`: `AKIA…` for long-term keys, `ASIA…` for temporary credentials.
    pub access_key_id: Option<&'v str>,
    /// `sessionContext.attributes.mfaAuthenticated` and `.creationDate`.
    pub mfa_authenticated: Option<&'v str>,
    pub session_created: Option<&'v str>,
    /// `sessionContext.sourceIdentity`.
    pub source_identity: Option<&'v str>,
}

/// One entry of `resources[]`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resource<'v> {
    /// `type`, e.g. `AWS::S3::Object`.
    pub resource_type: Option<&'v str>,
    /// `ARN`.
    pub arn: Option<&'v str>,
    /// `accountId`: the resource's account (S3 bucket entries carry it).
    pub account_id: Option<&'v str>,
}

/// `requestParameters` and `responseElements` as owned JSON trees: what a policy change carries
/// (documents, names, issued keys). Built only for the few records that are policy changes, so
/// the denial hot path never copies them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parameters {
    pub request: Option<serde_json::Value>,
    pub response: Option<serde_json::Value>,
}
