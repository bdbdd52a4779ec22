//! The evaluation context a record reveals: the condition keys of POLICY.md §3.2 that the record
//! states (and those it provably leaves unknown), so that a later offline run can evaluate the
//! denial against policies without the logs. Written as the `eval_context` column, in the shape
//! of `whydenied explain`'s `context` and `unknown_keys` fields.
//!
//! Compact, because it is written for every denial: a key whose value is a column of the same row
//! is not repeated, and the offline evaluation takes it from there — `aws:CurrentTime` and
//! `aws:EpochTime` from `event_time`, `aws:RequestedRegion` from `region`, `aws:SourceIp` from
//! `source_ip` when `vpc_endpoint_id` is null (else `aws:VpcSourceIp`, and `aws:SourceVpce` from
//! `vpc_endpoint_id`), `aws:UserAgent` from `user_agent`, `aws:PrincipalArn` from `principal` and
//! `aws:PrincipalAccount` from `principal_account` (for IAM users, roles and root). What the row
//! cannot tell — a source address that is not an address, an endpoint AWS's own services use —
//! is listed among the unknown keys here.

use std::borrow::Cow;

use crate::event::Event;

/// Past this many bytes the context is cut, and what was dropped becomes unknown.
pub const MAX_CONTEXT_BYTES: usize = 4096;

/// The context of `event` as compact JSON text, or `None` when the record says nothing usable.
pub fn eval_context<'v>(event: &'v Event<'v>) -> Option<String> {
    // Built as borrowed facts and written once: this runs for every denial of a scan.
    let mut keys: Vec<(Cow<'static, str>, Fact<'v>)> = Vec::with_capacity(24);
    let mut unknown: Vec<&str> = Vec::new();
    let mut put = |key: Cow<'static, str>, value: Fact<'v>| keys.push((key, value));
    let id = event.identity.as_ref();
    let id_type = id.and_then(|i| i.identity_type);

    // Time, region, address, endpoint, agent and principal are columns of the row (module doc).
    if event.source_ip.is_none_or(|ip| ip.parse::<std::net::IpAddr>().is_err()) {
        unknown.push("aws:SourceIp");
    }
    if event.vpc_endpoint_id.is_none() || id_type == Some("AWSService") {
        unknown.push("aws:SourceVpce");
    }
    if event.tls_version.is_some() || event.cipher_suite.is_some() {
        put("aws:SecureTransport".into(), Fact::Bool(true));
    } else {
        unknown.push("aws:SecureTransport");
    }

    if let Some(id) = id {
        if let Some(userid) = id.principal_id {
            put("aws:userid".into(), Fact::Text(userid));
        }
        if id_type == Some("IAMUser")
            && let Some(name) = id.user_name
        {
            put("aws:username".into(), Fact::Text(name));
        }
        let principal_type = match id_type {
            Some("IAMUser") => Some("User"),
            Some("Root") => Some("Account"),
            Some(t @ ("AssumedRole" | "FederatedUser")) => Some(t),
            _ => None,
        };
        if let Some(t) = principal_type {
            put("aws:PrincipalType".into(), Fact::Text(t));
        }
        let service = id_type == Some("AWSService");
        put("aws:PrincipalIsAWSService".into(), Fact::Bool(service));
        match (service, id.invoked_by) {
            (true, Some(name)) => put("aws:PrincipalServiceName".into(), Fact::Text(name)),
            (false, Some(_)) => put("aws:ViaAWSService".into(), Fact::Bool(true)),
            _ => unknown.push("aws:ViaAWSService"),
        }
        let key = id.access_key_id.unwrap_or_default();
        if key.starts_with("ASIA") {
            match id.mfa_authenticated {
                Some(mfa) => put("aws:MultiFactorAuthPresent".into(), Fact::Text(mfa)),
                None => unknown.push("aws:MultiFactorAuthPresent"),
            }
            if let Some(created) = id.session_created {
                put("aws:TokenIssueTime".into(), Fact::Text(created));
            }
        } else if !key.starts_with("AKIA") {
            // Long-term keys carry no MFA key at all (absent); without a key id, not known.
            unknown.push("aws:MultiFactorAuthPresent");
        }
        if let Some(source) = id.source_identity {
            put("aws:SourceIdentity".into(), Fact::Text(source));
        }
        if let Some(key) = id.access_key_id {
            put("whydenied:AccessKeyId".into(), Fact::Text(key));
        }
    }
    if let Some(account) = event.resources.iter().find_map(|r| r.account_id) {
        put("aws:ResourceAccount".into(), Fact::Text(account));
        if event.event_source == Some("s3.amazonaws.com") {
            put("s3:ResourceAccount".into(), Fact::Text(account));
        }
    }
    if event.event_source == Some("s3.amazonaws.com") {
        for (name, value) in &event.s3_parameters {
            put(format!("s3:{name}").into(), Fact::Text(value));
        }
        if let Some(method) = event.authentication_method {
            let auth = match method {
                "AuthHeader" => "REST-HEADER",
                "QueryString" => "REST-QUERY-STRING",
                other => other,
            };
            put("s3:authType".into(), Fact::Text(auth));
        }
        if let Some(version) = event.signature_version {
            let version = if version == "SigV4" { "AWS4-HMAC-SHA256" } else { version };
            put("s3:signatureversion".into(), Fact::Text(version));
        }
        if let Some(tls) = event.tls_version {
            put("s3:TlsVersion".into(), Fact::Text(tls.trim_start_matches("TLSv")));
        }
    }
    if !event.request_logged {
        unknown.extend(["aws:RequestTag/*", "aws:TagKeys"]);
    }
    if keys.is_empty() {
        return None;
    }
    Some(capped(keys, unknown))
}

/// One known value.
#[derive(Clone, Copy)]
enum Fact<'v> {
    Text(&'v str),
    Bool(bool),
}

/// `{"context": …, "unknown_keys": …}`; past [`MAX_CONTEXT_BYTES`] the longest values go first,
/// each becoming an unknown key, so what is left stays true.
fn capped(mut keys: Vec<(Cow<'static, str>, Fact<'_>)>, unknown: Vec<&str>) -> String {
    let mut unknown: Vec<Cow<'_, str>> = unknown.into_iter().map(Cow::Borrowed).collect();
    loop {
        let text = render(&keys, &unknown);
        if text.len() <= MAX_CONTEXT_BYTES {
            return text;
        }
        let width = |(k, v): &(Cow<'static, str>, Fact<'_>)| {
            k.len() + if let Fact::Text(t) = v { t.len() } else { 5 }
        };
        let Some(longest) = (0..keys.len()).max_by_key(|&i| width(&keys[i])) else {
            return r#"{"context":{},"unknown_keys":["*"]}"#.to_string();
        };
        let (key, _) = keys.remove(longest);
        unknown.push(Cow::Owned(key.into_owned()));
    }
}

fn render(keys: &[(Cow<'static, str>, Fact<'_>)], unknown: &[Cow<'_, str>]) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(r#"{"context":{"#);
    for (i, (key, value)) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        quoted(&mut out, key);
        out.push(':');
        match value {
            Fact::Text(text) => quoted(&mut out, text),

            Fact::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        }
    }
    out.push_str(r#"},"unknown_keys":["#);
    for (i, key) in unknown.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        quoted(&mut out, key);
    }
    out.push_str("]}");
    out
}

/// A JSON string literal, escaped as serde_json escapes (without a temporary allocation for
/// the common text that needs no escape).
fn quoted(out: &mut String, text: &str) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&serde_json::Value::from(text).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::json::event_of;
    use serde_json::{Value, json};

    fn context(json: &str) -> Value {
        serde_json::from_str(&eval_context(&event_of(json)).expect("a context")).expect("JSON")
    }

    #[test]
    fn an_s3_data_event_through_an_endpoint() {
        let c = context(
            r#"{"eventTime":"2026-11-02T10:00:00Z","eventSource":"s3.amazonaws.com","awsRegion":"eu-west-1",
            "sourceIPAddress":"10.0.1.5","vpcEndpointId":"vpce-1a2b","userAgent":"aws-cli/2",
            "userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:s","accountId":"111122223333",
              "accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/app"},
              "attributes":{"mfaAuthenticated":"false","creationDate":"2026-11-02T09:00:00Z"}}},
            "requestParameters":{"bucketName":"b","prefix":"logs/","max-keys":100,"x-amz-acl":"bucket-owner-full-control"},
            "additionalEventData":{"SignatureVersion":"SigV4","AuthenticationMethod":"AuthHeader","CipherSuite":"TLS_AES_128_GCM_SHA256"},
            "tlsDetails":{"tlsVersion":"TLSv1.3"},
            "resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b","accountId":"444455556666"}]}"#,
        );
        let k = &c["context"];
        // Address, endpoint, agent, time, region and principal are the row's own columns.
        for column_key in [
            "aws:SourceIp",
            "aws:VpcSourceIp",
            "aws:SourceVpce",
            "aws:UserAgent",
            "aws:CurrentTime",
            "aws:RequestedRegion",
            "aws:PrincipalArn",
        ] {
            assert!(k.get(column_key).is_none(), "{column_key} repeated");
        }
        assert_eq!(k["aws:SecureTransport"].as_bool(), Some(true));
        assert_eq!(
            (k["aws:MultiFactorAuthPresent"].as_str(), k["aws:TokenIssueTime"].as_str()),
            (Some("false"), Some("2026-11-02T09:00:00Z"))
        );

        assert_eq!(
            (k["s3:prefix"].as_str(), k["s3:max-keys"].as_str(), k["s3:x-amz-acl"].as_str()),
            (Some("logs/"), Some("100"), Some("bucket-owner-full-control"))
        );
        assert_eq!(
            (
                k["s3:authType"].as_str(),
                k["s3:signatureversion"].as_str(),
                k["s3:TlsVersion"].as_str()
            ),
            (Some("REST-HEADER"), Some("AWS4-HMAC-SHA256"), Some("1.3"))
        );
        assert_eq!(
            (k["aws:ResourceAccount"].as_str(), k["s3:ResourceAccount"].as_str()),
            (Some("444455556666"), Some("444455556666"))
        );
        assert_eq!(c["unknown_keys"], json!(["aws:ViaAWSService"]));
    }

    #[test]
    fn what_a_management_event_leaves_unknown() {
        let c = context(
            r#"{"eventTime":"2026-11-02T10:00:00Z","eventSource":"kms.amazonaws.com","sourceIPAddress":"AWS Internal",
            "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","userName":"alice","accessKeyId":"AKIAEXAMPLE"},
            "requestParameters":null}"#,
        );
        assert_eq!(c["context"]["aws:username"], "alice");
        assert_eq!(c["context"]["aws:PrincipalType"], "User");
        let unknown: Vec<&str> =
            c["unknown_keys"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(
            unknown,
            [
                "aws:SourceIp",
                "aws:SourceVpce",
                "aws:SecureTransport",
                "aws:ViaAWSService",
                "aws:RequestTag/*",
                "aws:TagKeys"
            ]
        );
        // A long-term key: MFA is absent from the context, not unknown.
        assert!(c["context"].get("aws:MultiFactorAuthPresent").is_none());
    }

    #[test]
    fn a_huge_record_is_cut_to_the_cap_and_the_cut_keys_become_unknown() {
        let header = "x".repeat(10_000);
        let json = format!(
            r#"{{"eventSource":"s3.amazonaws.com","requestParameters":{{"x-amz-meta-big":"{header}","prefix":"logs/"}},"tlsDetails":{{"tlsVersion":"TLSv1.3"}}}}"#
        );
        let text = eval_context(&event_of(&json)).unwrap();
        assert!(text.len() <= MAX_CONTEXT_BYTES);
        let c: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(c["context"]["s3:prefix"], "logs/");
        assert!(c["unknown_keys"].as_array().unwrap().contains(&json!("s3:x-amz-meta-big")));
    }
}
