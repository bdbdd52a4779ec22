//! The [`Event`] of a CloudTrail JSON record parsed by simd-json (borrowed, no copies).

use std::borrow::Cow;

use simd_json::BorrowedValue;
use simd_json::prelude::*;

use super::{Event, Identity, Parameters, Resource};

impl<'v> Event<'v> {
    /// The view of `record`, or `None` when the record is not a JSON object.
    pub fn from_json(record: &'v BorrowedValue<'v>) -> Option<Self> {
        record.as_object()?;
        let object = |key: &str| record.get(key).filter(|v| v.is_object());
        let request = object("requestParameters");
        Some(Self {
            event_time: text(record, "eventTime"),
            event_id: text(record, "eventID"),
            request_id: text(record, "requestID"),
            recipient_account_id: text(record, "recipientAccountId"),
            aws_region: text(record, "awsRegion"),
            event_source: text(record, "eventSource"),
            event_name: text(record, "eventName"),
            event_type: text(record, "eventType"),
            error_code: scalar_text(record.get("errorCode")),
            error_message: text(record, "errorMessage"),
            source_ip: text(record, "sourceIPAddress"),
            user_agent: text(record, "userAgent"),
            vpc_endpoint_id: text(record, "vpcEndpointId"),
            identity: object("userIdentity").map(identity),
            request_bucket: request.and_then(|p| text(p, "bucketName")),
            request_key: request.and_then(|p| text(p, "key")),
            request_version_id: request.and_then(|p| text(p, "versionId")),
            request_role_arn: request.and_then(|p| text(p, "roleArn")),
            console_login: object("responseElements").and_then(|r| text(r, "ConsoleLogin")),
            resources: record.get("resources").and_then(|v| v.as_array()).map_or_else(
                Vec::new,
                |resources| {
                    resources
                        .iter()
                        .map(|r| Resource {
                            resource_type: text(r, "type"),
                            arn: text(r, "ARN"),
                            account_id: text(r, "accountId"),
                        })
                        .collect()
                },
            ),
            tls_version: text_at(record, &["tlsDetails", "tlsVersion"]),
            cipher_suite: text_at(record, &["tlsDetails", "cipherSuite"])
                .or_else(|| text_at(record, &["additionalEventData", "CipherSuite"])),
            signature_version: text_at(record, &["additionalEventData", "SignatureVersion"]),
            authentication_method: text_at(
                record,
                &["additionalEventData", "AuthenticationMethod"],
            ),
            request_logged: request.is_some(),
            s3_parameters: request.map_or_else(Vec::new, s3_parameters),
        })
    }
}

/// The S3 condition-key inputs among the request parameters.
fn s3_parameters<'v>(request: &'v BorrowedValue<'v>) -> Vec<(&'v str, Cow<'v, str>)> {
    let Some(fields) = request.as_object() else { return Vec::new() };
    fields
        .iter()
        .filter(|(k, _)| {
            matches!(k.as_ref(), "prefix" | "delimiter" | "max-keys") || k.starts_with("x-amz-")
        })
        .filter_map(|(k, v)| Some((k.as_ref(), scalar_text(Some(v))?)))
        .collect()
}

/// The [`Parameters`] of `record` (objects only; anything else reads as absent).
pub fn parameters(record: &BorrowedValue<'_>) -> Parameters {
    let object = |key: &str| record.get(key).filter(|v| v.is_object()).map(owned);
    Parameters { request: object("requestParameters"), response: object("responseElements") }
}

/// A borrowed simd-json value as a serde_json tree.
fn owned(value: &BorrowedValue<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        BorrowedValue::Static(simd_json::StaticNode::Null) => J::Null,
        BorrowedValue::Static(simd_json::StaticNode::Bool(b)) => J::Bool(*b),
        BorrowedValue::Static(simd_json::StaticNode::I64(n)) => J::from(*n),
        BorrowedValue::Static(simd_json::StaticNode::U64(n)) => J::from(*n),
        BorrowedValue::Static(simd_json::StaticNode::F64(n)) => J::from(*n),
        BorrowedValue::String(s) => J::String(s.to_string()),
        BorrowedValue::Array(items) => J::Array(items.iter().map(owned).collect()),
        BorrowedValue::Object(fields) => {
            J::Object(fields.iter().map(|(k, v)| (k.to_string(), owned(v))).collect())
        }
    }
}

fn identity<'v>(id: &'v BorrowedValue<'v>) -> Identity<'v> {
    Identity {
        identity_type: text(id, "type"),
        arn: text(id, "arn"),
        account_id: text(id, "accountId"),
        principal_id: text(id, "principalId"),
        user_name: text(id, "userName"),
        invoked_by: text(id, "invokedBy"),
        session_issuer_arn: text_at(id, &["sessionContext", "sessionIssuer", "arn"]),
        identity_store_arn: text_at(id, &["onBehalfOf", "identityStoreArn"]),
        on_behalf_of_user_id: text_at(id, &["onBehalfOf", "userId"]),
        access_key_id: text(id, "accessKeyId"),
        mfa_authenticated: text_at(id, &["sessionContext", "attributes", "mfaAuthenticated"]),
        session_created: text_at(id, &["sessionContext", "attributes", "creationDate"]),
        source_identity: text_at(id, &["sessionContext", "sourceIdentity"]),
    }
}

/// `value[key]` when it is a non-empty string.
fn text<'v>(value: &'v BorrowedValue<'v>, key: &str) -> Option<&'v str> {
    value.get(key)?.as_str().filter(|s| !s.is_empty())
}

/// `value[k0][k1]…` when it is a non-empty string.
fn text_at<'v>(value: &'v BorrowedValue<'v>, path: &[&str]) -> Option<&'v str> {
    let (last, parents) = path.split_last()?;
    let mut node = value;
    for key in parents {
        node = node.get(*key)?;
    }
    text(node, last)
}

/// A string as itself; a number or boolean as its JSON text; anything else as absent.
fn scalar_text<'v>(value: Option<&'v BorrowedValue<'v>>) -> Option<Cow<'v, str>> {
    let value = value?;
    if let Some(s) = value.as_str() {
        return (!s.is_empty()).then_some(Cow::Borrowed(s));
    }
    match value {
        BorrowedValue::Static(node) if !value.is_null() => Some(Cow::Owned(node.to_string())),
        _ => None,
    }
}

/// Test helper for the classifier's unit tests: the event of a JSON text (leaked, so that the
/// borrowed view can outlive the call).
#[cfg(test)]
pub(crate) fn event_of(json: &str) -> Event<'static> {
    let bytes = json.as_bytes().to_vec().leak();
    let value = Box::leak(Box::new(simd_json::to_borrowed_value(bytes).expect("valid test JSON")));
    Event::from_json(value).expect("a JSON object")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_it_knows() {
        let event = event_of(
            r#"{"eventTime":"2026-11-02T10:00:00Z","eventSource":"s3.amazonaws.com",
                "errorCode":"AccessDenied","userIdentity":{"type":"AssumedRole",
                "sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/r"}}},
                "resources":[{"ARN":"arn:aws:s3:::b","type":"AWS::S3::Bucket"},{"x":1}],
                "requestParameters":{"bucketName":"b","key":"k"},
                "responseElements":{"ConsoleLogin":"Failure"}}"#,
        );
        assert_eq!(event.event_time, Some("2026-11-02T10:00:00Z"));
        assert_eq!(event.error_code.as_deref(), Some("AccessDenied"));
        assert_eq!(
            event.resources,
            [
                Resource {
                    resource_type: Some("AWS::S3::Bucket"),
                    arn: Some("arn:aws:s3:::b"),
                    account_id: None
                },
                Resource::default()
            ]
        );
        assert_eq!((event.request_bucket, event.request_key), (Some("b"), Some("k")));
        assert_eq!(event.console_login, Some("Failure"));
        let identity = event.identity.expect("an identity");
        assert_eq!(identity.identity_type, Some("AssumedRole"));
        assert_eq!(identity.session_issuer_arn, Some("arn:aws:iam::1:role/r"));
    }

    #[test]
    fn parameters_are_copied_as_json_trees() {
        let bytes = br#"{"requestParameters":{"policyDocument":"{}","n":[1,-2,2.5,true,null]},"responseElements":"x"}"#;
        let value = simd_json::to_borrowed_value(bytes.to_vec().leak()).expect("valid");
        let p = parameters(&value);
        assert_eq!(
            p.request,
            Some(serde_json::json!({"policyDocument": "{}", "n": [1, -2, 2.5, true, null]}))
        );
        assert_eq!(p.response, None);
    }

    #[test]
    fn wrong_types_read_as_absent_except_the_error_code() {
        let event = event_of(
            r#"{"errorCode":403,"userIdentity":"root","eventTime":17,"resources":{"a":1},
                "errorMessage":null,"requestParameters":"b","responseElements":[1]}"#,
        );
        assert_eq!(event.error_code.as_deref(), Some("403"));
        assert!(event.identity.is_none() && event.event_time.is_none());
        assert!(event.resources.is_empty() && event.error_message.is_none());
        assert!(event.request_bucket.is_none() && event.console_login.is_none());
        let value = simd_json::to_borrowed_value(b"[1]".to_vec().leak()).expect("valid");
        assert!(Event::from_json(&value).is_none());
    }
}
