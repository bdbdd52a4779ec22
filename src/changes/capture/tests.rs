//! One realistic record per event of the table (shapes as CloudTrail logs them: IAM documents as
//! JSON strings, S3's as objects, KMS's usually strings), plus failed attempts with
//! `requestParameters: null` and the events that change no permission.

use super::*;
use crate::event::json::{event_of, parameters};
use serde_json::json;

const ROOT: &str =
    r#"{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}"#;

/// Captures the change in a record built from its parts.
fn captured(
    source: &str,
    name: &str,
    request: Value,
    response: Value,
    error: Option<&str>,
) -> Option<PolicyChange> {
    let mut record = json!({
        "eventVersion": "1.09", "eventTime": "2026-11-03T09:00:00Z", "eventID": "ev-1",
        "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333", "userIdentity": serde_json::from_str::<Value>(ROOT).unwrap(),
        "requestParameters": request, "responseElements": response,
    });
    if let Some(code) = error {
        record["errorCode"] = json!(code);
        record["errorMessage"] = json!("User is not authorized");
    }
    let text = record.to_string();
    let event = event_of(&text);
    let bytes = text.into_bytes().leak();
    let value = Box::leak(Box::new(simd_json::to_borrowed_value(bytes).unwrap()));
    capture(&event, &parameters(value), &Arc::from("t.json"))
}

fn ok(source: &str, name: &str, request: Value, response: Value) -> PolicyChange {
    captured(source, name, request, response, None).unwrap_or_else(|| panic!("{name} is a change"))
}

/// (source, name, requestParameters, responseElements, target_type, target, detail, has document)
type Row = (
    &'static str,
    &'static str,
    Value,
    Value,
    TargetType,
    Option<&'static str>,
    Option<&'static str>,
    bool,
);

const DOC: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

#[test]
fn every_event_of_the_table() {
    let iam = "iam.amazonaws.com";
    let rows: Vec<Row> = vec![
        (
            iam,
            "PutUserPolicy",
            json!({"userName": "alice", "policyName": "p", "policyDocument": DOC}),
            Value::Null,
            TargetType::InlinePolicy,
            Some("alice"),
            Some("p"),
            true,
        ),
        (
            iam,
            "PutGroupPolicy",
            json!({"groupName": "devs", "policyName": "p", "policyDocument": DOC}),
            Value::Null,
            TargetType::InlinePolicy,
            Some("devs"),
            Some("p"),
            true,
        ),
        (
            iam,
            "PutRolePolicy",
            json!({"roleName": "app", "policyName": "p", "policyDocument": DOC}),
            Value::Null,
            TargetType::InlinePolicy,
            Some("app"),
            Some("p"),
            true,
        ),
        (
            iam,
            "DeleteRolePolicy",
            json!({"roleName": "app", "policyName": "p"}),
            Value::Null,
            TargetType::InlinePolicy,
            Some("app"),
            Some("p"),
            false,
        ),
        (
            iam,
            "AttachUserPolicy",
            json!({"userName": "alice", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            Value::Null,
            TargetType::PolicyAttachment,
            Some("alice"),
            Some("arn:aws:iam::aws:policy/AdministratorAccess"),
            false,
        ),
        (
            iam,
            "DetachRolePolicy",
            json!({"roleName": "app", "policyArn": "arn:aws:iam::111122223333:policy/x"}),
            Value::Null,
            TargetType::PolicyAttachment,
            Some("app"),
            Some("arn:aws:iam::111122223333:policy/x"),
            false,
        ),
        (
            iam,
            "AttachGroupPolicy",
            json!({"groupName": "devs", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
            Value::Null,
            TargetType::PolicyAttachment,
            Some("devs"),
            Some("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            false,
        ),
        (
            iam,
            "CreatePolicy",
            json!({"policyName": "x", "path": "/", "policyDocument": DOC}),
            json!({"policy": {"arn": "arn:aws:iam::111122223333:policy/x", "defaultVersionId": "v1"}}),
            TargetType::ManagedPolicyVersion,
            Some("arn:aws:iam::111122223333:policy/x"),
            Some("v1"),
            true,
        ),
        (
            iam,
            "CreatePolicyVersion",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/x", "policyDocument": DOC, "setAsDefault": true}),
            json!({"policyVersion": {"versionId": "v2", "isDefaultVersion": true}}),
            TargetType::ManagedPolicyVersion,
            Some("arn:aws:iam::111122223333:policy/x"),
            Some("v2"),
            true,
        ),
        (
            iam,
            "SetDefaultPolicyVersion",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/x", "versionId": "v1"}),
            Value::Null,
            TargetType::ManagedPolicyVersion,
            Some("arn:aws:iam::111122223333:policy/x"),
            Some("v1"),
            false,
        ),
        (
            iam,
            "DeletePolicyVersion",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/x", "versionId": "v2"}),
            Value::Null,
            TargetType::ManagedPolicyVersion,
            Some("arn:aws:iam::111122223333:policy/x"),
            Some("v2"),
            false,
        ),
        (
            iam,
            "DeletePolicy",
            json!({"policyArn": "arn:aws:iam::111122223333:policy/x"}),
            Value::Null,
            TargetType::ManagedPolicyVersion,
            Some("arn:aws:iam::111122223333:policy/x"),
            None,
            false,
        ),
        (
            iam,
            "CreateRole",
            json!({"roleName": "app", "assumeRolePolicyDocument": DOC, "permissionsBoundary": "arn:aws:iam::111122223333:policy/b"}),
            json!({"role": {"arn": "arn:aws:iam::111122223333:role/app"}}),
            TargetType::RoleTrustPolicy,
            Some("app"),
            Some("arn:aws:iam::111122223333:policy/b"),
            true,
        ),
        (
            iam,
            "UpdateAssumeRolePolicy",
            json!({"roleName": "app", "policyDocument": DOC}),
            Value::Null,
            TargetType::RoleTrustPolicy,
            Some("app"),
            None,
            true,
        ),
        (
            iam,
            "PutRolePermissionsBoundary",
            json!({"roleName": "app", "permissionsBoundary": "arn:aws:iam::111122223333:policy/b"}),
            Value::Null,
            TargetType::PermissionsBoundary,
            Some("app"),
            Some("arn:aws:iam::111122223333:policy/b"),
            false,
        ),
        (
            iam,
            "DeleteUserPermissionsBoundary",
            json!({"userName": "alice"}),
            Value::Null,
            TargetType::PermissionsBoundary,
            Some("alice"),
            None,
            false,
        ),
        (
            iam,
            "TagRole",
            json!({"roleName": "app", "tags": [{"key": "team", "value": "data"}]}),
            Value::Null,
            TargetType::PrincipalTags,
            Some("app"),
            None,
            true,
        ),
        (
            iam,
            "UntagUser",
            json!({"userName": "alice", "tagKeys": ["team"]}),
            Value::Null,
            TargetType::PrincipalTags,
            Some("alice"),
            None,
            true,
        ),
        (
            iam,
            "AddUserToGroup",
            json!({"userName": "alice", "groupName": "admins"}),
            Value::Null,
            TargetType::GroupMembership,
            Some("alice"),
            Some("admins"),
            false,
        ),
        (
            iam,
            "RemoveUserFromGroup",
            json!({"userName": "alice", "groupName": "admins"}),
            Value::Null,
            TargetType::GroupMembership,
            Some("alice"),
            Some("admins"),
            false,
        ),
        (
            "s3.amazonaws.com",
            "PutBucketPolicy",
            json!({"bucketName": "logs", "bucketPolicy": serde_json::from_str::<Value>(DOC).unwrap(), "policy": ""}),
            Value::Null,
            TargetType::BucketPolicy,
            Some("logs"),
            None,
            true,
        ),
        (
            "s3.amazonaws.com",
            "DeleteBucketPolicy",
            json!({"bucketName": "logs", "policy": ""}),
            Value::Null,
            TargetType::BucketPolicy,
            Some("logs"),
            None,
            false,
        ),
        (
            "s3.amazonaws.com",
            "PutBucketPublicAccessBlock",
            json!({"bucketName": "logs", "PublicAccessBlockConfiguration": {"RestrictPublicBuckets": true}}),
            Value::Null,
            TargetType::PublicAccessBlock,
            Some("logs"),
            None,
            true,
        ),
        (
            "s3.amazonaws.com",
            "PutAccountPublicAccessBlock",
            json!({"PublicAccessBlockConfiguration": {"BlockPublicPolicy": true}}),
            Value::Null,
            TargetType::PublicAccessBlock,
            Some("111122223333"),
            None,
            true,
        ),
        (
            "s3.amazonaws.com",
            "PutBucketOwnershipControls",
            json!({"bucketName": "logs", "OwnershipControls": {"Rule": {"ObjectOwnership": "BucketOwnerEnforced"}}}),
            Value::Null,
            TargetType::OwnershipControls,
            Some("logs"),
            None,
            true,
        ),
        (
            "s3.amazonaws.com",
            "PutBucketAcl",
            json!({"bucketName": "logs", "AccessControlPolicy": {"Owner": {"ID": "abc"}}}),
            Value::Null,
            TargetType::Acl,
            Some("logs"),
            None,
            true,
        ),
        (
            "s3.amazonaws.com",
            "PutObjectAcl",
            json!({"bucketName": "logs", "key": "a/b", "x-amz-acl": "public-read"}),
            Value::Null,
            TargetType::Acl,
            Some("logs"),
            Some("a/b"),
            false,
        ),
        (
            "kms.amazonaws.com",
            "CreateKey",
            json!({"policy": DOC, "keyUsage": "ENCRYPT_DECRYPT"}),
            json!({"keyMetadata": {"arn": "arn:aws:kms:us-east-1:111122223333:key/k1"}}),
            TargetType::KeyPolicy,
            Some("arn:aws:kms:us-east-1:111122223333:key/k1"),
            None,
            true,
        ),
        // One real PutKeyPolicy logged its policy as an object.
        (
            "kms.amazonaws.com",
            "PutKeyPolicy",
            json!({"keyId": "k1", "policyName": "default", "policy": serde_json::from_str::<Value>(DOC).unwrap()}),
            Value::Null,
            TargetType::KeyPolicy,
            Some("k1"),
            None,
            true,
        ),
        (
            "organizations.amazonaws.com",
            "CreatePolicy",
            json!({"name": "deny-regions", "type": "SERVICE_CONTROL_POLICY", "content": DOC}),
            json!({"policy": {"policySummary": {"id": "p-abc1234", "type": "SERVICE_CONTROL_POLICY"}}}),
            TargetType::Scp,
            Some("p-abc1234"),
            None,
            true,
        ),
        (
            "organizations.amazonaws.com",
            "CreatePolicy",
            json!({"name": "rcp", "type": "RESOURCE_CONTROL_POLICY", "content": DOC}),
            json!({"policy": {"policySummary": {"id": "p-rcp0001"}}}),
            TargetType::Rcp,
            Some("p-rcp0001"),
            None,
            true,
        ),
        (
            "organizations.amazonaws.com",
            "UpdatePolicy",
            json!({"policyId": "p-abc1234", "content": DOC}),
            json!({"policy": {"policySummary": {"type": "SERVICE_CONTROL_POLICY"}}}),
            TargetType::Scp,
            Some("p-abc1234"),
            None,
            true,
        ),
        (
            "organizations.amazonaws.com",
            "AttachPolicy",
            json!({"policyId": "p-abc1234", "targetId": "ou-ab12-cdefgh34"}),
            Value::Null,
            TargetType::OrgPolicyAttachment,
            Some("ou-ab12-cdefgh34"),
            Some("p-abc1234"),
            false,
        ),
        (
            "organizations.amazonaws.com",
            "MoveAccount",
            json!({"accountId": "444455556666", "sourceParentId": "r-ab12", "destinationParentId": "ou-ab12-cdefgh34"}),
            Value::Null,
            TargetType::OrgStructure,
            Some("444455556666"),
            Some("ou-ab12-cdefgh34"),
            false,
        ),
        (
            "organizations.amazonaws.com",
            "EnablePolicyType",
            json!({"rootId": "r-ab12", "policyType": "RESOURCE_CONTROL_POLICY"}),
            Value::Null,
            TargetType::OrgStructure,
            Some("r-ab12"),
            Some("RESOURCE_CONTROL_POLICY"),
            false,
        ),
        (
            "sts.amazonaws.com",
            "AssumeRole",
            json!({"roleArn": "arn:aws:iam::111122223333:role/app", "roleSessionName": "s", "policy": DOC}),
            json!({"credentials": {"accessKeyId": "ASIAEXAMPLE1"}}),
            TargetType::Session,
            Some("ASIAEXAMPLE1"),
            Some("arn:aws:iam::111122223333:role/app"),
            true,
        ),
        (
            "sts.amazonaws.com",
            "GetFederationToken",
            json!({"name": "bob"}),
            json!({"credentials": {"accessKeyId": "ASIAEXAMPLE2"}}),
            TargetType::Session,
            Some("ASIAEXAMPLE2"),
            Some("bob"),
            false,
        ),
        (
            "sqs.amazonaws.com",
            "SetQueueAttributes",
            json!({"queueUrl": "https://sqs.us-east-1.amazonaws.com/111122223333/q", "attributes": {"Policy": DOC}}),
            Value::Null,
            TargetType::ResourcePolicy,
            Some("https://sqs.us-east-1.amazonaws.com/111122223333/q"),
            None,
            true,
        ),
        (
            "sns.amazonaws.com",
            "SetTopicAttributes",
            json!({"topicArn": "arn:aws:sns:us-east-1:111122223333:t", "attributeName": "Policy", "attributeValue": DOC}),
            Value::Null,
            TargetType::ResourcePolicy,
            Some("arn:aws:sns:us-east-1:111122223333:t"),
            None,
            true,
        ),
        (
            "secretsmanager.amazonaws.com",
            "PutResourcePolicy",
            json!({"secretId": "s1", "resourcePolicy": DOC}),
            Value::Null,
            TargetType::ResourcePolicy,
            Some("s1"),
            None,
            true,
        ),
        (
            "lambda.amazonaws.com",
            "AddPermission20150331v2",
            json!({"functionName": "f", "statementId": "sid1", "principal": "s3.amazonaws.com"}),
            Value::Null,
            TargetType::ResourcePolicy,
            Some("f"),
            Some("sid1"),
            false,
        ),
        (
            "ecr.amazonaws.com",
            "SetRepositoryPolicy",
            json!({"repositoryName": "r", "policyText": DOC}),
            Value::Null,
            TargetType::ResourcePolicy,
            Some("r"),
            None,
            true,
        ),
        (
            "ec2.amazonaws.com",
            "ModifyVpcEndpoint",
            json!({"ModifyVpcEndpointRequest": {"VpcEndpointId": "vpce-1a2b", "PolicyDocument": DOC}}),
            Value::Null,
            TargetType::EndpointPolicy,
            Some("vpce-1a2b"),
            None,
            true,
        ),
    ];
    for (source, name, request, response, target_type, target, detail, has_document) in rows {
        let c = ok(source, name, request, response);
        assert_eq!(
            (c.target_type, c.target.as_deref(), c.detail.as_deref()),
            (target_type, target, detail),
            "{name}"
        );
        assert_eq!(c.document.is_some(), has_document, "{name}: {:?}", c.document);
        assert_eq!(
            (c.actor.as_str(), c.error_code.as_deref()),
            ("arn:aws:iam::111122223333:root", None),
            "{name}"
        );
        assert_eq!(
            (c.event_id.as_deref(), c.account_id.as_deref(), c.event_time),
            (Some("ev-1"), Some("111122223333"), Some(1_793_696_400_000_000))
        );
    }
}

#[test]
fn documents_keep_their_text_or_become_json() {
    let c = ok(
        "iam.amazonaws.com",
        "PutUserPolicy",
        json!({"userName": "a", "policyDocument": DOC}),
        Value::Null,
    );
    assert_eq!(c.document.as_deref(), Some(DOC));
    let c = ok(
        "s3.amazonaws.com",
        "PutBucketPolicy",
        json!({"bucketName": "b", "bucketPolicy": {"Statement": []}}),
        Value::Null,
    );
    assert_eq!(c.document.as_deref(), Some(r#"{"Statement":[]}"#));
    let c = ok(
        "sts.amazonaws.com",
        "AssumeRole",
        json!({"roleArn": "r", "policyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}], "tags": null}),
        json!({"credentials": {"accessKeyId": "ASIA1"}}),
    );
    assert_eq!(
        c.document.as_deref(),
        Some(r#"{"policyArns":[{"arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}]}"#)
    );
}

#[test]
fn failed_attempts_are_kept_with_their_error() {
    let c = captured(
        "s3.amazonaws.com",
        "PutBucketPolicy",
        Value::Null,
        Value::Null,
        Some("AccessDenied"),
    )
    .unwrap();
    assert_eq!(
        (c.target_type, c.target, c.document, c.error_code.as_deref()),
        (TargetType::BucketPolicy, None, None, Some("AccessDenied"))
    );
    let c = captured(
        "sts.amazonaws.com",
        "AssumeRole",
        json!({"roleArn": "r"}),
        Value::Null,
        Some("AccessDenied"),
    )
    .unwrap();
    assert_eq!(c.error_code.as_deref(), Some("AccessDenied"));
}

#[test]
fn events_that_change_no_permission_are_not_changes() {
    let none = [
        ("sts.amazonaws.com", "AssumeRole", json!({"roleArn": "r", "roleSessionName": "s"})),
        (
            "sqs.amazonaws.com",
            "SetQueueAttributes",
            json!({"queueUrl": "q", "attributes": {"VisibilityTimeout": "30"}}),
        ),
        (
            "sns.amazonaws.com",
            "SetTopicAttributes",
            json!({"topicArn": "t", "attributeName": "DisplayName", "attributeValue": "x"}),
        ),
        (
            "organizations.amazonaws.com",
            "CreatePolicy",
            json!({"name": "tags", "type": "TAG_POLICY", "content": "{}"}),
        ),
        (
            "ec2.amazonaws.com",
            "ModifyVpcEndpoint",
            json!({"ModifyVpcEndpointRequest": {"VpcEndpointId": "vpce-1", "AddRouteTableId": "rtb-1"}}),
        ),
        ("s3.amazonaws.com", "GetBucketPolicy", json!({"bucketName": "b"})),
        ("iot.amazonaws.com", "CreatePolicy", json!({"policyName": "p"})),
    ];
    for (source, name, request) in none {
        assert!(
            captured(source, name, request, json!({"credentials": {"accessKeyId": "ASIA1"}}), None)
                .is_none(),
            "{source} {name}"
        );
    }
}
