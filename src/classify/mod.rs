//! From a parsed record to a [`Denial`]: is it a failure we keep, who was refused what, on which
//! resource, and which policy said no.
//!
//! Each question has its own module and its own table of facts: [`category`] (error codes),
//! [`principal`] (userIdentity), [`action`] (eventSource/eventName → IAM action), [`resource`]
//! (bucket, key, ARN), [`reason`] (errorMessage → which policy), and [`hint`] (what to check
//! next, per aggregate row).

pub mod action;
pub mod category;
pub mod context;
pub mod hint;
pub mod principal;
pub mod reason;
pub mod resource;

use std::sync::Arc;

use chrono::DateTime;

use crate::event::Event;
use crate::verdict::Verdict;
use category::{ErrorCategory, categorize};
use principal::{Principal, principal_of};
use reason::{DeniedBy, DenyKind, PolicyType, diagnose};
use resource::{Target, target_of};

/// Which failures to keep.
#[derive(Clone, Copy, Debug, Default)]
pub struct FailureFilter {
    /// Keep authentication failures (bad or expired credentials, failed console sign-ins).
    pub include_authn: bool,
    /// Keep every failure, whatever its error code.
    pub all_errors: bool,
}

impl FailureFilter {
    pub fn keeps(self, category: ErrorCategory) -> bool {
        match category {
            ErrorCategory::Authorization => true,
            ErrorCategory::Authentication => self.include_authn || self.all_errors,
            ErrorCategory::Other => self.all_errors,
        }
    }

    /// Whether records without an `errorCode` (failed console sign-ins) must be parsed too.
    pub fn needs_console_sign_ins(self) -> bool {
        self.include_authn || self.all_errors
    }
}

/// One failed request that the filter keeps: a row of `denials.parquet`. Most are policy
/// denials; with `--include-authn`/`--all-errors`, `category` tells the other kinds apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// `eventTime` in microseconds since the Unix epoch (UTC); `None` when missing or invalid.
    pub event_time: Option<i64>,
    pub event_id: Option<String>,
    pub request_id: Option<String>,
    /// The account the request was made to (`recipientAccountId`).
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub event_source: Option<String>,
    pub event_name: Option<String>,
    /// The IAM action: the one named in the message, else derived from the event.
    pub action: String,
    pub category: ErrorCategory,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub deny_kind: DenyKind,
    pub denied_by: DeniedBy,
    pub via_policy_type: Option<PolicyType>,
    pub denying_policy_arn: Option<String>,
    pub has_encoded_message: bool,
    pub principal: Principal,
    pub target: Target,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub vpc_endpoint_id: Option<String>,
    /// Where the record came from: a file path, `-`, an `s3://` URI, a log stream.
    pub origin: Arc<str>,
    /// The suppression rule that matched (`--suppress`): the row stays, the summary leaves it out.
    pub suppressed_by: Option<String>,
    /// A label for well-known noise (console calls, AWS services, anonymous requests).
    pub noise: Option<&'static str>,
    /// The request facts policy evaluation needs, as `{"context": …, "unknown_keys": …}` JSON
    /// ([`context::eval_context`]).
    pub eval_context: Option<String>,
    /// Its verdict against the policies that applied, once judged ([`crate::verdict`]).
    pub verdict: Option<Box<Verdict>>,
}

#[cfg(test)]
impl Denial {
    /// A plain denial for tests to start from, changing what they are about: an IAM user's
    /// `s3:GetObject` on bucket `b`, `AccessDenied` without a stated policy.
    pub(crate) fn example() -> Denial {
        Denial {
            event_time: Some(1_793_613_600_000_000),
            event_id: Some("e1".into()),
            request_id: None,
            account_id: Some("111122223333".into()),
            region: Some("us-east-1".into()),
            event_source: Some("s3.amazonaws.com".into()),
            event_name: Some("GetObject".into()),
            action: "s3:GetObject".into(),
            category: ErrorCategory::Authorization,
            error_code: Some("AccessDenied".into()),
            error_message: Some("Access Denied".into()),
            deny_kind: DenyKind::Generic,
            denied_by: DeniedBy::Unknown,
            via_policy_type: None,
            denying_policy_arn: None,
            has_encoded_message: false,
            principal: Principal {
                principal: "arn:aws:iam::111122223333:user/alice".into(),
                principal_type: "IAMUser".into(),
                ..Principal::default()
            },
            target: Target { bucket: Some("b".into()), ..Target::default() },
            source_ip: Some("192.0.2.1".into()),
            user_agent: None,
            vpc_endpoint_id: None,
            origin: Arc::from("example.json"),
            suppressed_by: None,
            noise: None,
            eval_context: None,
            verdict: None,
        }
    }
}

/// The error code recorded for failed console sign-ins, which have none of their own.
pub const CONSOLE_SIGN_IN_FAILURE: &str = "ConsoleLoginFailure";

/// The denial `event` describes, or `None` when it is not a failure the filter keeps.
pub fn classify(event: &Event<'_>, filter: FailureFilter, origin: &Arc<str>) -> Option<Denial> {
    if event.event_type == Some("AwsCloudTrailInsight") {
        return None;
    }
    let category = categorize(event)?;
    if !filter.keeps(category) {
        return None;
    }
    let mut diagnosis = diagnose(event.error_message.unwrap_or(""));
    if diagnosis.denied_by == DeniedBy::Unknown
        && let Some(by) = event.error_code.as_deref().and_then(category::mechanism_of_code)
    {
        diagnosis.denied_by = by;
    }
    let owned = |s: Option<&str>| s.map(str::to_string);
    let action = match diagnosis.action {
        Some(named) => action::normalize_named(named),
        None => action::request_action(
            event.event_source.unwrap_or(""),
            event.event_name.unwrap_or(""),
            event.request_version_id.is_some(),
        ),
    };
    let error_code = match &event.error_code {
        Some(code) => Some(code.to_string()),
        None => Some(CONSOLE_SIGN_IN_FAILURE.to_string()),
    };
    Some(Denial {
        event_time: event.event_time.and_then(parse_event_time),
        event_id: owned(event.event_id),
        request_id: owned(event.request_id),
        account_id: owned(event.recipient_account_id),
        region: owned(event.aws_region),
        event_source: owned(event.event_source),
        event_name: owned(event.event_name),
        action,
        category,
        error_code,
        error_message: owned(event.error_message),
        deny_kind: diagnosis.deny_kind,
        denied_by: diagnosis.denied_by,
        via_policy_type: diagnosis.via_policy_type,
        denying_policy_arn: owned(diagnosis.denying_policy_arn),
        has_encoded_message: diagnosis.has_encoded_message,
        principal: principal_of(event.identity.as_ref()),
        target: target_of(event, diagnosis.resource),
        source_ip: owned(event.source_ip),
        user_agent: owned(event.user_agent),
        vpc_endpoint_id: owned(event.vpc_endpoint_id),
        origin: Arc::clone(origin),
        suppressed_by: None,
        noise: None,
        eval_context: context::eval_context(event),
        verdict: None,
    })
}

/// CloudTrail writes `2026-11-02T10:00:00Z`; any RFC 3339 time is accepted.
pub fn parse_event_time(text: &str) -> Option<i64> {
    parse_event_time_bytes(text.as_bytes())
}

/// [`parse_event_time`] of a time's bytes, checked as UTF-8 only when they are not
/// CloudTrail's own shape.
pub fn parse_event_time_bytes(text: &[u8]) -> Option<i64> {
    if let Some(seconds) = utc_seconds(text) {
        return Some(seconds * 1_000_000);
    }
    let text = str::from_utf8(text).ok()?;
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_micros())
}

/// Seconds since the epoch of a time written exactly as CloudTrail writes it
/// (`YYYY-MM-DDTHH:MM:SSZ`, a valid date, no leap second); `None` for anything else, which
/// chrono then reads. Every successful role assumption has its time read, and chrono's general
/// RFC 3339 parser took about 300 instructions a time (callgrind, 60 bench objects).
fn utc_seconds(text: &[u8]) -> Option<i64> {
    const SHAPE: &[u8; 20] = b"0000-00-00T00:00:00Z";
    let text: &[u8; 20] = text.try_into().ok()?;
    // Each byte xor what the shape has there: a digit becomes its value, a separator zero: one
    // pass over the twenty bytes checks them all.
    let mut value = [0u8; 20];
    let mut wrong = false;
    for ((value, &byte), &shape) in value.iter_mut().zip(text).zip(SHAPE) {
        *value = byte ^ shape;
        wrong |= if shape == b'0' { *value > 9 } else { *value != 0 };
    }
    if wrong {
        return None;
    }
    let two = |at: usize| i64::from(value[at] * 10 + value[at + 1]);
    let year = two(0) * 100 + two(2);
    let (month, day) = (two(5), two(8));
    let (hour, minute, second) = (two(11), two(14), two(17));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1..=month_days).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days from 1970-01-01 to the date (the proleptic Gregorian calendar, in 400-year eras
    // that start on 1 March, so that the leap day is the last of its year).
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;

    use super::*;

    fn classify_json(json: &str, filter: FailureFilter) -> Option<Denial> {
        classify(&crate::event::json::event_of(json), filter, &Arc::from("test"))
    }

    const S3_DENIAL: &str = r#"{"eventTime":"2026-11-02T10:00:00Z","eventSource":"s3.amazonaws.com",
        "eventName":"HeadObject","errorCode":"AccessDenied","errorMessage":"Access Denied",
        "recipientAccountId":"111122223333","requestParameters":{"bucketName":"b","key":"k"},
        "userIdentity":{"type":"AWSAccount","principalId":"","accountId":"ANONYMOUS_PRINCIPAL"}}"#;

    #[test]
    fn an_s3_denial_is_kept_with_its_fields() {
        let denial = classify_json(S3_DENIAL, FailureFilter::default()).expect("a denial");
        assert_eq!(denial.category, ErrorCategory::Authorization);
        assert_eq!(denial.event_time, Some(1_793_613_600_000_000));
        assert_eq!(denial.action, "s3:GetObject");
        assert_eq!(denial.principal.principal, "anonymous");
        assert_eq!(denial.target.bucket.as_deref(), Some("b"));
        assert_eq!(denial.deny_kind, DenyKind::Generic);
        assert_eq!(&*denial.origin, "test");
    }

    #[test]
    fn the_action_named_in_the_message_wins() {
        let json = r#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied",
            "errorMessage":"User: arn:aws:iam::111122223333:user/a is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/k because no identity-based policy allows the kms:Decrypt action"}"#;
        let denial = classify_json(json, FailureFilter::default()).expect("a denial");
        assert_eq!(denial.action, "kms:Decrypt");
        assert_eq!(denial.deny_kind, DenyKind::Implicit);
        assert_eq!(
            denial.target.resource_arn.as_deref(),
            Some("arn:aws:kms:us-east-1:111122223333:key/k")
        );
    }

    #[test]
    fn the_filter_decides_authentication_and_other_errors() {
        let expired = r#"{"errorCode":"ExpiredToken","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity"}"#;
        let missing = r#"{"errorCode":"NoSuchKey"}"#;
        let console =
            r#"{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"}}"#;
        let authn = FailureFilter { include_authn: true, all_errors: false };
        let all = FailureFilter { include_authn: false, all_errors: true };
        assert!(classify_json(expired, FailureFilter::default()).is_none());
        assert!(classify_json(expired, authn).is_some());
        assert!(classify_json(missing, authn).is_none());
        assert_eq!(classify_json(missing, all).map(|d| d.category), Some(ErrorCategory::Other));
        let console = classify_json(console, authn).expect("failed sign-in");
        assert_eq!(console.error_code.as_deref(), Some(CONSOLE_SIGN_IN_FAILURE));
    }

    #[test]
    fn a_vpc_endpoint_network_activity_event_is_a_vpc_endpoint_policy_denial() {
        // CloudTrail User Guide, "Logging network activity events": eventType AwsVpceEvent,
        // eventCategory NetworkActivity, errorCode VpceAccessDenied.
        let json = r#"{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole",
            "principalId":"AROAEXAMPLEPIPE00001:etl","arn":"arn:aws:sts::777788889999:assumed-role/DataPipelineRole/etl",
            "accountId":"777788889999","sessionContext":{"sessionIssuer":{"type":"Role",
            "arn":"arn:aws:iam::777788889999:role/DataPipelineRole","accountId":"777788889999"}}},
            "eventTime":"2026-11-02T10:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt",
            "awsRegion":"us-east-1","sourceIPAddress":"10.0.141.54","requestID":"r","eventID":"e",
            "eventType":"AwsVpceEvent","recipientAccountId":"777788889999","sharedEventID":"s",
            "vpcEndpointId":"vpce-0a1b2c3d4e5f67890","vpcEndpointAccountId":"777788889999",
            "eventCategory":"NetworkActivity","errorCode":"VpceAccessDenied",
            "errorMessage":"The request was denied due to a VPC endpoint policy"}"#;
        let denial = classify_json(json, FailureFilter::default()).expect("kept by default");
        assert_eq!(denial.category, ErrorCategory::Authorization);
        assert_eq!(denial.denied_by, DeniedBy::Policy(PolicyType::VpcEndpointPolicy));
        assert_eq!(denial.action, "kms:Decrypt");
        let no_message = json.replace(
            r#","errorMessage":"The request was denied due to a VPC endpoint policy""#,
            "",
        );
        let denial = classify_json(&no_message, FailureFilter::default()).expect("kept");
        assert_eq!(
            denial.denied_by,
            DeniedBy::Policy(PolicyType::VpcEndpointPolicy),
            "by its code"
        );
    }

    #[test]
    fn service_specific_authorization_codes_are_denials() {
        for (source, name, code, message) in [
            (
                "lambda.amazonaws.com",
                "Invoke",
                "KMSAccessDeniedException",
                "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's AWS KMS key settings.",
            ),
            (
                "dms.amazonaws.com",
                "CreateEndpoint",
                "AccessDeniedFault",
                "AWS DMS was denied access to the endpoint. Check that the role is correctly configured.",
            ),
        ] {
            let json = format!(
                r#"{{"eventSource":"{source}","eventName":"{name}","errorCode":"{code}","errorMessage":"{message}"}}"#
            );
            let denial = classify_json(&json, FailureFilter::default()).expect(code);
            assert_eq!(denial.category, ErrorCategory::Authorization, "{code}");
        }
    }

    #[test]
    fn named_actions_are_normalised_and_unnamed_ones_come_from_the_event() {
        let json = |source: &str, name: &str, message: &str, params: &str| {
            format!(
                r#"{{"eventSource":"{source}","eventName":"{name}","errorCode":"AccessDenied",
                "errorMessage":"{message}","requestParameters":{params}}}"#
            )
        };
        let upper = json(
            "sns.amazonaws.com",
            "ListTopics",
            "User: arn:aws:iam::111122223333:user/a is not authorized to perform: SNS:ListTopics on resource: arn:aws:sns:us-east-1:111122223333:* because no identity-based policy allows the SNS:ListTopics action",
            "{}",
        );
        let this = json(
            "ec2.amazonaws.com",
            "CreateVpc",
            "User is not authorized to perform this action",
            "{}",
        );
        let ses = json(
            "email.amazonaws.com",
            "SendRawEmail",
            "User `arn:aws:iam::111122223333:user/a' is not authorized to perform `ses:SendRawEmail' on resource `arn:aws:ses:us-east-1:111122223333:identity/example.com'",
            "{}",
        );
        let versioned = json(
            "s3.amazonaws.com",
            "GetObject",
            "Access Denied",
            r#"{"bucketName":"reports","key":"q1.csv","versionId":"3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"}"#,
        );
        let api = json(
            "apigateway.amazonaws.com",
            "CreateRestApi",
            "Access Denied",
            r#"{"name":"orders"}"#,
        );
        for (record, expected) in [
            (upper, "sns:ListTopics"),
            (this, "ec2:CreateVpc"),
            (ses, "ses:SendRawEmail"),
            (versioned, "s3:GetObjectVersion"),
            (api, "apigateway:POST"),
        ] {
            let denial = classify_json(&record, FailureFilter::default()).expect("a denial");
            assert_eq!(denial.action, expected);
        }
    }

    #[test]
    fn an_assume_role_denial_takes_its_role_from_the_request() {
        let json = r#"{"eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithWebIdentity",
            "errorCode":"AccessDenied","errorMessage":"Not authorized to perform sts:AssumeRoleWithWebIdentity",
            "userIdentity":{"type":"WebIdentityUser","principalId":"accounts.google.com:1234","userName":"1234"},
            "requestParameters":{"roleArn":"arn:aws:iam::777788889999:role/gha-deploy","roleSessionName":"s"}}"#;
        let denial = classify_json(json, FailureFilter::default()).expect("a denial");
        assert_eq!(denial.action, "sts:AssumeRoleWithWebIdentity");
        assert_eq!(
            denial.target.resource_arn.as_deref(),
            Some("arn:aws:iam::777788889999:role/gha-deploy")
        );
    }

    #[test]
    fn insight_events_and_bad_times() {
        let insight = r#"{"eventType":"AwsCloudTrailInsight","errorCode":"AccessDenied"}"#;
        assert!(classify_json(insight, FailureFilter::default()).is_none());
        let bad_time = r#"{"errorCode":"AccessDenied","eventTime":"yesterday"}"#;
        let denial = classify_json(bad_time, FailureFilter::default()).expect("still a denial");
        assert_eq!(denial.event_time, None);
        assert_eq!(denial.principal.principal, "unknown");
        assert_eq!(parse_event_time("2026-11-02T12:00:00.5+02:00"), Some(1_793_613_600_500_000));
    }

    fn by_chrono(text: &str) -> Option<i64> {
        DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp())
    }

    #[test]
    fn cloudtrail_times_are_read_as_chrono_reads_them() {
        // Every day from 1899 to 2101 (leap years, centuries, 2000), at two times of day.
        let mut day = chrono::NaiveDate::from_ymd_opt(1899, 1, 1).expect("a date");
        while day.year() < 2102 {
            for time in ["00:00:00", "23:59:59"] {
                let text = format!("{}T{time}Z", day.format("%Y-%m-%d"));
                assert_eq!(utc_seconds(text.as_bytes()), by_chrono(&text), "{text}");
            }
            day = day.succ_opt().expect("a next day");
        }
        // What the fast path leaves to chrono (which may still read it).
        for text in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-11-02T24:00:00Z",
            "2026-11-02T12:60:00Z",
            "2026-11-02T12:00:60Z",
            "2026-11-02t12:00:00Z",
            "2026-11-02T12:00:00z",
            "2026-11-02T12:00:00.5Z",
            "2026-11-02T12:00:00+00:00",
            "+026-11-02T12:00:00Z",
            "2026-1102T12:00:00Z",
        ] {
            assert_eq!(utc_seconds(text.as_bytes()), None, "{text}");
        }
        assert_eq!(parse_event_time("2026-11-02t12:00:00z"), Some(1_793_620_800_000_000));
    }

    proptest::proptest! {
        #[test]
        fn any_cloudtrail_shaped_time_is_read_as_chrono_reads_it(
            year in 0..10_000u32, month in 0..14u32, day in 0..33u32,
            hour in 0..26u32, minute in 0..62u32, second in 0..62u32,
        ) {
            let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z");
            let fast = utc_seconds(text.as_bytes());
            // chrono reads a leap second (:60) that the fast path leaves to it.
            if second < 60 {
                proptest::prop_assert_eq!(fast, by_chrono(&text), "{}", text);
            } else {
                proptest::prop_assert_eq!(fast, None);
            }
        }
    }
}
