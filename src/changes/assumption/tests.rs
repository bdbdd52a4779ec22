//! Role assumptions read from records in the shapes CloudTrail writes (IAM User Guide, "Logging
//! IAM and AWS STS API calls with AWS CloudTrail", the AssumeRole example), and in the shapes
//! whydenied accepts besides (EventBridge envelopes, key-sorted copies).

use std::sync::Arc;

use simd_json::prelude::*;

use super::*;
use crate::classify::{FailureFilter, classify};
use crate::record::RecordReader;

const ROLE: &str = "arn:aws:iam::111122223333:role/deploy-role";
/// 2026-11-05T09:00:20Z.
const AT: i64 = 1_793_869_220_000_000;

const USER_IDENTITY: &str = r#"{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::111122223333:user/ci-deployer","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"ci-deployer"}"#;

const SESSION_IDENTITY: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEID:build-17","arn":"arn:aws:sts::111122223333:assumed-role/ci-runner/build-17","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEKEY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::111122223333:role/ci-runner","accountId":"111122223333","userName":"ci-runner"},"attributes":{"creationDate":"2026-11-05T08:55:00Z","mfaAuthenticated":"false"}}}"#;

/// A successful AssumeRole as CloudTrail writes it; `user_agent` and `request` are inserted as
/// JSON text.
fn success(identity: &str, user_agent: &str, request: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{identity},"eventTime":"2026-11-05T09:00:20Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.10","userAgent":{user_agent},"requestParameters":{request},"responseElements":{{"credentials":{{"accessKeyId":"ASIAIOSFODNN7EXAMPLE","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKEN","expiration":"Nov 5, 2026, 10:00:20 AM"}},"assumedRoleUser":{{"assumedRoleId":"AROA3XFRBF535PLBIFPI4:ci-run-42","arn":"arn:aws:sts::111122223333:assumed-role/deploy-role/ci-run-42"}}}},"requestID":"c6104cbe-af31-11e0-8154-cbc7ccf896c7","eventID":"df9a1d4c-3b3e-4a8e-8f0e-5c7f8f4c2a11","readOnly":true,"resources":[{{"accountId":"111122223333","type":"AWS::IAM::Role","ARN":"{ROLE}"}}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"sts.amazonaws.com"}}}}"#
    )
}

const REQUEST: &str = r#"{"roleArn":"arn:aws:iam::111122223333:role/deploy-role","roleSessionName":"ci-run-42","durationSeconds":3600}"#;

/// The assumption in `record`, read by a fresh reader; checked against a second reading by the
/// same reader (the principal remembered) and against the members parsed as one object.
fn read(record: &str) -> Option<RoleAssumption> {
    let (mut reader, mut buffers) = (AssumptionReader::default(), simd_json::Buffers::default());
    let Assumed::Plain(first) = reader.read(record.as_bytes(), event_name(record), &mut buffers)
    else {
        panic!("not a plain assumption: {record}")
    };
    assert_eq!(
        reader.read(record.as_bytes(), event_name(record), &mut buffers),
        Assumed::Plain(first)
    );
    let first = first.map(|success| named(&reader, success));
    let parsed = reader.parse_members(members(record), &mut buffers);
    assert_eq!(parsed, first, "the members parsed as one object: {record}");
    first
}

/// `success` with its principal and role as text.
fn named(reader: &AssumptionReader, success: Success) -> RoleAssumption {
    RoleAssumption {
        time: success.time,
        principal: reader.principals.text(success.principal).into(),
        role_arn: reader.roles.text(success.role).into(),
    }
}

/// Where the first `"eventName"` key of `record` starts, as the scan's prefilter finds it.
fn event_name(record: &str) -> usize {
    let keys = crate::decode::prefilter::Prefilter::new(false).keys(record.as_bytes());
    keys.event_name.expect("the test's record names its event")
}

/// The member values of `record` as the reader cuts them out (the test's record has them all).
fn members(record: &str) -> [&[u8]; 5] {
    let bytes = record.as_bytes();
    MEMBERS.map(|key| {
        let at = memchr::memmem::find_iter(bytes, key)
            .find(|&at| value_after_key(&bytes[at + key.len()..]).is_some())
            .unwrap_or(0);
        value_after_key(&bytes[at + key.len()..]).unwrap_or(b"null")
    })
}

#[test]
fn a_plain_assume_role_gives_time_caller_and_role() {
    let found = read(&success(USER_IDENTITY, r#""aws-cli/2.15.0""#, REQUEST));
    assert_eq!(
        found,
        Some(RoleAssumption {
            time: AT,
            principal: "arn:aws:iam::111122223333:user/ci-deployer".into(),
            role_arn: ROLE.into(),
        })
    );
}

#[test]
fn a_role_session_is_its_role_as_in_the_principal_column() {
    let record = success(SESSION_IDENTITY, r#""Boto3/1.34.0""#, REQUEST);
    let found = read(&record).expect("an assumption");
    assert_eq!(&*found.principal, "arn:aws:iam::111122223333:role/ci-runner");
    // The same caller denied: the classifier's principal is the same text.
    let denied = record.replace(
        r#""eventName":"AssumeRole","#,
        r#""eventName":"AssumeRole","errorCode":"AccessDenied","#,
    );
    let mut value = denied.into_bytes();
    let parsed = simd_json::to_borrowed_value(&mut value).expect("json");
    let event = Event::from_json(&parsed).expect("event");
    let denial = classify(&event, FailureFilter::default(), &Arc::from("t")).expect("denial");
    assert_eq!(denial.principal.principal, &*found.principal);
}

#[test]
fn envelopes_sorted_keys_and_escaped_slashes_read_the_same() {
    let plain = success(USER_IDENTITY, r#""aws-cli/2.15.0""#, REQUEST);
    let expected = read(&plain);
    assert!(expected.is_some());
    let envelope = format!(
        r#"{{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"AWS API Call via CloudTrail","source":"aws.sts","account":"111122223333","time":"2026-11-05T09:00:20Z","region":"us-east-1","resources":[],"detail":{plain}}}"#
    );
    assert_eq!(read(&envelope), expected);
    let mut value: serde_json::Value = serde_json::from_str(&plain).expect("json");
    value.sort_all_objects();
    assert_eq!(read(&value.to_string()), expected, "jq -S order");
    let escaped = REQUEST.replace(":role/", r":role\/");
    assert_eq!(read(&success(USER_IDENTITY, r#""aws-cli/2.15.0""#, &escaped)), expected);
}

#[test]
fn a_requester_chosen_user_agent_cannot_stand_in_for_the_request() {
    let hostile =
        r#""x\"requestParameters\":{\"roleArn\":\"arn:aws:iam::111122223333:role/evil\"}""#;
    let found = read(&success(USER_IDENTITY, hostile, REQUEST)).expect("an assumption");
    assert_eq!(found.role_arn, ROLE);
    // A user agent that ends in a member's quoted name: its closing quote is real.
    for name in ["requestParameters", "userIdentity"] {
        let hostile = format!(r#""x\"{name}""#);
        let found = read(&success(USER_IDENTITY, &hostile, REQUEST)).expect("an assumption");
        assert_eq!(found.role_arn, ROLE);
        assert_eq!(&*found.principal, "arn:aws:iam::111122223333:user/ci-deployer");
    }
}

#[test]
fn records_that_are_no_clean_success_give_nothing() {
    let agent = r#""aws-cli/2.15.0""#;
    assert_eq!(read(&success(USER_IDENTITY, agent, r#"{"roleSessionName":"s"}"#)), None);
    assert_eq!(read(&success(USER_IDENTITY, agent, "null")), None);
    let other_service = success(USER_IDENTITY, agent, REQUEST).replace(
        r#""eventSource":"sts.amazonaws.com""#,
        r#""eventSource":"example.amazonaws.com""#,
    );
    assert_eq!(read(&other_service), None);
    let no_time = success(USER_IDENTITY, agent, REQUEST).replace("2026-11-05T09:00:20Z", "soon");
    assert_eq!(read(&no_time), None);
    let cut = success(USER_IDENTITY, agent, REQUEST);
    assert_eq!(read(&cut[..cut.find("\"requestParameters\"").expect("key") + 30]), None);
}

#[test]
fn the_record_reader_reads_plain_successes_without_parsing_and_session_ones_with_their_change() {
    let mut reader = RecordReader::new(FailureFilter::default());
    let plain = success(USER_IDENTITY, r#""aws-cli/2.15.0""#, REQUEST);
    let found = reader.read(&mut plain.into_bytes(), &Arc::from("t"));
    assert!(found.denial.is_none() && found.change.is_none());
    assert_eq!(reader.parsed, 0, "not parsed whole");
    let user = "arn:aws:iam::111122223333:user/ci-deployer";
    assert_eq!(reader.successes().first_success(user, ROLE, AT), Some(AT));
    let with_policy = REQUEST.replace(
        r#""durationSeconds":3600"#,
        r#""durationSeconds":3600,"policyArns":[{"arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}]"#,
    );
    let session = success(USER_IDENTITY, r#""aws-cli/2.15.0""#, &with_policy);
    let session = session.replace("09:00:20Z", "09:00:30Z");
    let found = reader.read(&mut session.into_bytes(), &Arc::from("t"));
    assert!(found.change.is_some());
    assert_eq!(reader.parsed, 1);
    // The log started again after the plain one was taken: only the session one is in it.
    let successes = reader.successes();
    assert_eq!(successes.first_success(user, ROLE, AT), Some(AT + 10_000_000));
}

#[test]
fn the_role_and_the_session_parts_are_the_requests_own_members() {
    use Request::{Plain, WithSession};
    let requests = [
        (r#"{"roleArn":"a","roleSessionName":"s"}"#, Some(Plain(Some(&b"a"[..])))),
        (r#"{ "durationSeconds" : 900 , "roleArn" : "a" }"#, Some(Plain(Some(b"a")))),
        (
            r#"{"providedContexts":[{"roleArn":"nested"}],"x":{"roleArn":"deeper"},"roleArn":"a"}"#,
            Some(Plain(Some(b"a"))),
        ),
        (r#"{"externalId":"roleArn","serialNumber":null,"roleArn":"a"}"#, Some(Plain(Some(b"a")))),
        (r#"{"providedContexts":[{"roleArn":"nested"}]}"#, Some(Plain(None))),
        (r#"{"roleArn":7}"#, Some(Plain(None))),
        ("{}", Some(Plain(None))),
        // Session parts, before or after the role; in a nested value they are not the request's.
        (r#"{"roleArn":"a","policy":"{}"}"#, Some(WithSession)),
        (r#"{"policyArns":[{"arn":"p"}],"roleArn":"a"}"#, Some(WithSession)),
        (r#"{"roleArn":"a","tags":[{"key":"k","value":"v"}]}"#, Some(WithSession)),
        (r#"{"roleArn":"a","tagsX":1}"#, Some(Plain(Some(b"a")))),
        (
            r#"{"roleArn":"a","providedContexts":[{"policy":"p","tags":1}]}"#,
            Some(Plain(Some(b"a"))),
        ),
        (r#"{"roleSessionName":"policy","roleArn":"tags"}"#, Some(Plain(Some(b"tags")))),
        // Escapes in the request's own strings, and what is not a whole object: the slow way.
        (r#"{"roleArn":"arn:aws:iam::1:role\/r"}"#, None),
        (r#"{"roleSessionName":"a\"b","roleArn":"a"}"#, None),
        (r#"{"roleArn":"a""#, None),
        (r#"{"roleArn":"a" "x":1}"#, None),
        ("[]", None),
    ];
    for (request, read) in requests {
        assert_eq!(request_members(request.as_bytes()), read, "{request}");
    }
    // An escape inside a nested value leaves the request's own members readable.
    let nested = r#"{"providedContexts":[{"contextAssertion":"a\"b"}],"roleArn":"a"}"#;
    assert_eq!(request_members(nested.as_bytes()), Some(Plain(Some(b"a"))));
}

#[test]
fn remembered_principals_stay_with_their_own_identity() {
    let (mut reader, mut buffers) = (AssumptionReader::default(), simd_json::Buffers::default());
    let agent = r#""aws-cli/2.15.0""#;
    for _ in 0..2 {
        for (identity, principal) in [
            (USER_IDENTITY, "arn:aws:iam::111122223333:user/ci-deployer"),
            (SESSION_IDENTITY, "arn:aws:iam::111122223333:role/ci-runner"),
        ] {
            let record = success(identity, agent, REQUEST);
            let Assumed::Plain(Some(found)) =
                reader.read(record.as_bytes(), event_name(&record), &mut buffers)
            else {
                panic!("an assumption")
            };
            assert_eq!(&*named(&reader, found).principal, principal);
        }
    }
    assert_eq!(reader.identities.len(), 2);
    // Taken from the log by text: each principal assumed the role (at the same second, kept
    // once).
    let successes = reader.successes();
    assert_eq!(
        successes.first_success("arn:aws:iam::111122223333:user/ci-deployer", ROLE, AT),
        Some(AT)
    );
    assert_eq!(
        successes.first_success("arn:aws:iam::111122223333:role/ci-runner", ROLE, AT),
        Some(AT)
    );
    assert!(reader.successes().is_empty(), "taking the successes starts the log again");
}

#[test]
fn session_hints_count_in_the_request_only() {
    let (mut reader, mut buffers) = (AssumptionReader::default(), simd_json::Buffers::default());
    let tagged = REQUEST.replace('}', r#","tags":[{"key":"team","value":"ci"}]}"#);
    let record = success(USER_IDENTITY, r#""aws-cli/2.15.0""#, &tagged);
    assert_eq!(
        reader.read(record.as_bytes(), event_name(&record), &mut buffers),
        Assumed::WithSession
    );
    // The same words in a requester-chosen user agent leave it a plain assumption.
    let record = success(USER_IDENTITY, r#""x \"tags\" \"policy""#, REQUEST);
    assert!(matches!(
        reader.read(record.as_bytes(), event_name(&record), &mut buffers),
        Assumed::Plain(Some(_))
    ));
}

#[test]
fn the_members_before_the_event_name_are_read_backwards_or_searched() {
    let next = |record: &str| record.find("\"next\"").expect("a next key");
    let at = |record: &str, key: &[u8]| key_before(record.as_bytes(), next(record), key);
    assert_eq!(at(r#"{"a":1,"eventSource":"s","next":1}"#, EVENT_SOURCE), Some(7));
    assert_eq!(at(r#"{"eventSource" : "s" ,  "next":1}"#, EVENT_SOURCE), Some(1));
    // Not this member, not a string, or not read backwards with certainty: searched instead.
    for record in [
        r#"{"eventTime":"s","next":1}"#,
        r#"{"eventSource":7,"next":1}"#,
        r#"{"eventSource":"a\"b","next":1}"#,
        r#"{"eventSource":"a\\","next":1}"#,
        r#"{"eventSource":"s" "next":1}"#,
        r#"{"x":"y\"eventSource":"s","next":1}"#,
        r#"{"next":1}"#,
    ] {
        assert_eq!(at(record, EVENT_SOURCE), None, "{record}");
    }
    // Whichever way they are found, the record reads the same.
    let plain = success(USER_IDENTITY, r#""aws-cli/2.15.0""#, REQUEST);
    let spaced = plain.replace(r#""eventSource":"#, r#""eventSource" :  "#);
    // Another member between the source and the event name: the source is searched for.
    let moved = plain.replace(r#","awsRegion":"us-east-1""#, "").replace(
        r#","eventName":"AssumeRole""#,
        r#","awsRegion":"us-east-1","eventName":"AssumeRole""#,
    );
    assert_ne!(moved, plain);
    assert_eq!(read(&spaced), read(&plain));
    assert_eq!(read(&moved), read(&plain));
}

#[test]
fn a_record_laid_out_as_cloudtrail_writes_it_is_read_in_place_and_others_searched() {
    let agent = r#""aws-cli/2.15.0""#;
    let plain = success(USER_IDENTITY, agent, REQUEST);
    let at = event_name(&plain);
    let (time, identity) = as_written(plain.as_bytes(), at).expect("CloudTrail's own layout");
    assert_eq!((time, identity), (AT, USER_IDENTITY.as_bytes()));
    // Each variant is read by a reader that already remembers the identity from `plain`, so a
    // wrong reading in place would show as the remembered principal or the plain time.
    let other = r#"{"type":"IAMUser","principalId":"AIDAOTHER","arn":"arn:aws:iam::111122223333:user/other","accountId":"111122223333","userName":"other"}"#;
    let variants = [
        // A member between the identity and the time: in place it would be one with it.
        (plain.replace(r#","eventTime""#, r#","extra":{"a":1},"eventTime""#), "ci-deployer", AT),
        (
            plain.replace(USER_IDENTITY, &format!(r#"{USER_IDENTITY},"userIdentity":{other}"#)),
            "ci-deployer",
            AT,
        ),
        // The remembered bytes, but another object stands after them (not JSON): not looked
        // up in place, and the search reads the first object, as it would without the memory.
        (plain.replace(USER_IDENTITY, &format!("{USER_IDENTITY},{other}")), "ci-deployer", AT),
        (plain.replace(r#""1.08""#, r#""1.0\"8""#), "ci-deployer", AT),
        (plain.replace("09:00:20Z", "09:00:20.5Z"), "ci-deployer", AT + 500_000),
        (plain.replace(r#","eventSource""#, r#", "eventSource""#), "ci-deployer", AT),
        (plain.replace(USER_IDENTITY, other), "other", AT),
    ];
    for (record, user, time) in variants {
        let (mut reader, mut buffers) =
            (AssumptionReader::default(), simd_json::Buffers::default());
        assert!(matches!(reader.read(plain.as_bytes(), at, &mut buffers), Assumed::Plain(Some(_))));
        let Assumed::Plain(Some(found)) =
            reader.read(record.as_bytes(), event_name(&record), &mut buffers)
        else {
            panic!("an assumption: {record}")
        };
        let expected = RoleAssumption {
            time,
            principal: format!("arn:aws:iam::111122223333:user/{user}").into(),
            role_arn: ROLE.into(),
        };
        assert_eq!(named(&reader, found), expected, "{record}");
    }
}

proptest::proptest! {
    /// Pieces of the hints, quotes and other bytes: the quote walk finds a hint exactly where a
    /// search for each hint does.
    #[test]
    fn session_hints_are_found_as_a_search_finds_them(
        parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just(&b"\"policy"[..]),
                proptest::strategy::Just(&b"\"tags\""[..]),
                proptest::strategy::Just(&b"\"tags"[..]),
                proptest::strategy::Just(&b"policy"[..]),
                proptest::strategy::Just(&b"\""[..]),
                proptest::strategy::Just(&b"\\"[..]),
                proptest::strategy::Just(&b"roleArn:{}"[..]),
            ],
            0..16,
        ),
    ) {
        let request = parts.concat();
        let searched =
            SESSION_HINTS.iter().any(|hint| memchr::memmem::find(&request, hint).is_some());
        proptest::prop_assert_eq!(session_hinted(&request), searched);
    }

    /// Requests made of members a real one may hold (and hints nested in values): the one pass
    /// reads what a JSON parser reads. Every object without an escape is read; what it gives is
    /// the parsed object's: a session part among its own keys, else its `roleArn` string.
    #[test]
    fn the_request_is_read_as_a_parser_reads_it(
        members in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "roleArn", "roleSessionName", "policy", "policyArns", "tags", "tagsX",
                    "durationSeconds", "providedContexts", "policyX",
                ]),
                proptest::sample::select(vec![
                    r#""arn:aws:iam::1:role/r""#, r#""policy""#, "3600", "null", "true",
                    r#"[{"policy":"p"}]"#, r#"{"tags":{"roleArn":"x"}}"#, r#""a\/b""#,
                    r#""a\"b""#, "[]",
                ]),
            ),
            0..6,
        ),
        spaced in proptest::bool::ANY,
    ) {
        let separator = if spaced { " , " } else { "," };
        let joined: Vec<String> =
            members.iter().map(|(key, value)| format!(r#""{key}":{value}"#)).collect();
        let request = format!("{{{}}}", joined.join(separator));
        let read = request_members(request.as_bytes());
        let mut bytes = request.clone().into_bytes();
        let parsed = simd_json::to_owned_value(&mut bytes).expect("the test writes JSON");
        let object = parsed.as_object().expect("an object");
        let hinted = |key: &str| key.starts_with("policy") || key == "tags";
        let own_escape =
            members.iter().any(|(_, value)| value.starts_with('"') && value.contains('\\'));
        match read {
            None => proptest::prop_assert!(own_escape, "{}", request),
            Some(Request::WithSession) => {
                proptest::prop_assert!(object.keys().any(|key| hinted(key)), "{}", request)
            }
            Some(Request::Plain(role)) => {
                proptest::prop_assert!(!object.keys().any(|key| hinted(key)), "{}", request);
                let parsed_role = object.get("roleArn").and_then(|v| v.as_str());
                proptest::prop_assert_eq!(role, parsed_role.map(str::as_bytes), "{}", request);
            }
        }
    }
}

#[test]
fn every_session_hint_starts_with_a_quote() {
    assert!(SESSION_HINTS.iter().all(|hint| hint.first() == Some(&b'"')));
}
