//! Each situation from a realistic CloudTrail record (the shapes of the AWS CloudTrail User
//! Guide's examples and of public attack-simulation trails), taken the whole way: classified,
//! grouped into a summary row, and hinted as the report would.

use std::sync::Arc;

use crate::aggregate::Summary;
use crate::classify::{FailureFilter, classify};

/// The hint of the one summary group `records` make.
fn hint_of(records: &[&str]) -> String {
    hint_with(records, FailureFilter::default())
}

fn hint_with(records: &[&str], filter: FailureFilter) -> String {
    let mut summary = Summary::default();
    for json in records {
        let event = crate::event::json::event_of(json);
        let denial = classify(&event, filter, &Arc::from("test.json")).expect("a kept failure");
        summary.add(&denial);
    }
    let rows = summary.into_rows().head(2);
    assert_eq!(rows.len(), 1, "the records make one group");
    rows[0].hint.clone()
}

const ALICE: &str = r#"{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"}"#;

fn record(
    identity: &str,
    source: &str,
    name: &str,
    code: &str,
    message: &str,
    params: &str,
) -> String {
    format!(
        r#"{{"eventVersion":"1.11","userIdentity":{identity},"eventTime":"2026-11-02T10:00:00Z",
            "eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1",
            "sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.22.4","errorCode":"{code}",
            "errorMessage":"{message}","requestParameters":{params},"responseElements":null,
            "requestID":"r-1","eventID":"e-{name}","eventType":"AwsApiCall",
            "recipientAccountId":"111122223333"}}"#
    )
}

#[test]
fn cross_account_pass_role_asks_for_a_role_in_the_callers_account() {
    let json = record(
        ALICE,
        "lambda.amazonaws.com",
        "CreateFunction20150331",
        "AccessDeniedException",
        "Cross-account pass role is not allowed.",
        r#"{"functionName":"etl","role":"arn:aws:iam::444455556666:role/etl-exec"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.starts_with("a role can only be passed to a service in the caller's own account, and no policy can allow passing one from another account: create (or choose) the role in account 111122223333"), "{hint}");
    assert!(!hint.contains("simulate-principal-policy"), "{hint}");
}

#[test]
fn get_session_token_is_an_mfa_problem() {
    let json = record(
        ALICE,
        "sts.amazonaws.com",
        "GetSessionToken",
        "AccessDenied",
        "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        r#"{"durationSeconds":43200,"serialNumber":"arn:aws:iam::111122223333:mfa/alice"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.starts_with("sts:GetSessionToken needs no IAM permission"), "{hint}");
    assert!(hint.contains("aws iam list-mfa-devices --user-name alice"), "{hint}");
}

#[test]
fn billing_access_not_activated_is_an_account_setting() {
    let json = record(
        ALICE,
        "ce.amazonaws.com",
        "GetCostAndUsage",
        "AccessDeniedException",
        "IAM user access not activated",
        r#"{"granularity":"MONTHLY"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.starts_with("IAM user and role access to Billing information is not activated in account 111122223333: the root user must turn it on"), "{hint}");
}

#[test]
fn encoded_ec2_messages_get_the_decode_command() {
    let message = "You are not authorized to perform this operation. Encoded authorization failure message: 4GIOHlTkIaWHQD0Q0m6XSnuUMCm-abcdef";
    let json = record(
        ALICE,
        "ec2.amazonaws.com",
        "RunInstances",
        "Client.UnauthorizedOperation",
        message,
        r#"{"instanceType":"t3.micro"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(
        hint.contains("aws sts decode-authorization-message --encoded-message ENCODED_MESSAGE"),
        "{hint}"
    );
    assert!(hint.contains("the caller needs sts:DecodeAuthorizationMessage"), "{hint}");
    assert!(hint.contains("--action-names ec2:RunInstances"), "the event names the action: {hint}");
}

#[test]
fn assume_role_names_the_role_from_the_message_and_both_accounts() {
    let json = record(
        ALICE,
        "sts.amazonaws.com",
        "AssumeRole",
        "AccessDenied",
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/deploy",
        r#"{"roleArn":"arn:aws:iam::444455556666:role/deploy","roleSessionName":"alice"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.starts_with("the trust policy of role deploy does not let arn:aws:iam::111122223333:user/alice assume it: aws iam get-role --role-name deploy --query Role.AssumeRolePolicyDocument; the role is in another account"), "{hint}");
}

#[test]
fn web_identity_names_the_role_from_request_parameters_not_the_subject() {
    let identity = r#"{"type":"WebIdentityUser","principalId":"arn:aws:iam::777788889999:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:example/app:ref:refs/heads/main","userName":"repo:example/app:ref:refs/heads/main","identityProvider":"arn:aws:iam::777788889999:oidc-provider/token.actions.githubusercontent.com"}"#;
    let json = record(
        identity,
        "sts.amazonaws.com",
        "AssumeRoleWithWebIdentity",
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        r#"{"roleArn":"arn:aws:iam::777788889999:role/gha-deploy","roleSessionName":"GitHubActions"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.starts_with("the trust policy of role gha-deploy does not admit this federated identity: its Federated principal must be the OIDC provider"), "{hint}");
    assert!(
        hint.ends_with(
            "aws iam get-role --role-name gha-deploy --query Role.AssumeRolePolicyDocument"
        ),
        "{hint}"
    );
    assert!(!hint.contains("repo:example"), "the subject is not the thing to fix: {hint}");
}

#[test]
fn saml_names_the_role_and_the_saml_conditions() {
    let identity = r#"{"type":"SAMLUser","principalId":"SJ4kT0bSampleIdPSubject=:maria@example.com","userName":"maria@example.com","identityProvider":"SJ4kT0bSampleIdPSubject="}"#;
    let json = record(
        identity,
        "sts.amazonaws.com",
        "AssumeRoleWithSAML",
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithSAML",
        r#"{"roleArn":"arn:aws:iam::777788889999:role/analyst","principalArn":"arn:aws:iam::777788889999:saml-provider/okta"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.starts_with("the trust policy of role analyst does not admit this federated identity: its Federated principal must be the SAML provider"), "{hint}");
}

#[test]
fn account_level_s3_calls_get_no_bucket_or_key_policy_half() {
    let json = record(
        ALICE,
        "s3.amazonaws.com",
        "ListBuckets",
        "AccessDenied",
        "Access Denied",
        r#"{"Host":"s3.us-east-1.amazonaws.com"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.contains("--action-names s3:ListAllMyBuckets"), "{hint}");
    assert!(hint.ends_with("this is an account-level S3 call, which no bucket policy governs: check the SCPs and any permissions boundary"), "{hint}");
    assert!(!hint.contains("KMS"), "{hint}");
}

#[test]
fn bucket_configuration_calls_get_the_bucket_policy_but_no_kms_key() {
    let json = record(
        ALICE,
        "s3.amazonaws.com",
        "GetBucketPolicy",
        "AccessDenied",
        "Access Denied",
        r#"{"bucketName":"reports","policy":""}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.ends_with("if that allows it, check the bucket policy: aws s3api get-bucket-policy --bucket reports"), "{hint}");
}

#[test]
fn identity_center_roles_point_at_the_permission_set() {
    let identity = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLESSO000001:maria@example.com","arn":"arn:aws:sts::777788889999:assumed-role/AWSReservedSSO_ReadOnly_9f8e7d6c5b4a3f2e/maria@example.com","accountId":"777788889999","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLESSO000001","arn":"arn:aws:iam::777788889999:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_9f8e7d6c5b4a3f2e","accountId":"777788889999","userName":"AWSReservedSSO_ReadOnly_9f8e7d6c5b4a3f2e"}}}"#;
    let json = record(
        identity,
        "lambda.amazonaws.com",
        "UpdateFunctionCode20150331v2",
        "AccessDeniedException",
        "User: arn:aws:sts::777788889999:assumed-role/AWSReservedSSO_ReadOnly_9f8e7d6c5b4a3f2e/maria@example.com is not authorized to perform: lambda:UpdateFunctionCode on resource: arn:aws:lambda:us-east-1:777788889999:function:etl because no identity-based policy allows the lambda:UpdateFunctionCode action",
        r#"{"functionName":"etl"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.contains("this role belongs to IAM Identity Center permission set ReadOnly: change the permission set, not the role"), "{hint}");
    assert!(hint.contains("aws sso-admin provision-permission-set"), "{hint}");
}

#[test]
fn organizations_denials_point_at_the_delegation_policy() {
    let identity = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLESEC000001:audit","arn":"arn:aws:sts::444455556666:assumed-role/SecurityAudit/audit","accountId":"444455556666","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLESEC000001","arn":"arn:aws:iam::444455556666:role/SecurityAudit","accountId":"444455556666","userName":"SecurityAudit"}}}"#;
    let json = record(
        identity,
        "organizations.amazonaws.com",
        "ListAccounts",
        "AccessDeniedException",
        "You don't have permissions to access this resource.",
        "null",
    );
    let hint = hint_of(&[&json]);
    assert!(hint.starts_with("if account 444455556666 is a delegated administrator, the organization's resource-based delegation policy must allow organizations:ListAccounts: read it in the management account with aws organizations describe-resource-policy"), "{hint}");
}

#[test]
fn cross_account_private_ca_names_its_policy_and_both_sides() {
    let identity = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLEAPP000001:i-0abc","arn":"arn:aws:sts::111122223333:assumed-role/app/i-0abc","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEAPP000001","arn":"arn:aws:iam::111122223333:role/app","accountId":"111122223333","userName":"app"}}}"#;
    let ca = "arn:aws:acm-pca:us-east-1:444455556666:certificate-authority/11223344-1234-1122-2233-112233445566";
    let json = record(
        identity,
        "acm-pca.amazonaws.com",
        "IssueCertificate",
        "AccessDeniedException",
        &format!(
            "User: arn:aws:sts::111122223333:assumed-role/app/i-0abc is not authorized to perform: acm-pca:IssueCertificate on resource: {ca}"
        ),
        &format!(r#"{{"certificateAuthorityArn":"{ca}"}}"#),
    );
    let hint = hint_of(&[&json]);
    assert!(hint.ends_with(&format!("the resource is in account 444455556666, so both the caller's policies and the resource-based policy of {ca} must allow it: aws acm-pca get-policy --resource-arn {ca}; then the SCPs and any permissions boundary")), "{hint}");
}

#[test]
fn federated_users_are_sent_to_the_issuing_call() {
    let identity = r#"{"type":"FederatedUser","principalId":"111122223333:build-bot","arn":"arn:aws:sts::111122223333:federated-user/build-bot","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLECI0000001","arn":"arn:aws:iam::111122223333:user/ci","accountId":"111122223333","userName":"ci"}}}"#;
    let json = record(
        identity,
        "sqs.amazonaws.com",
        "SendMessage",
        "AccessDenied",
        "User: arn:aws:sts::111122223333:federated-user/build-bot is not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:us-east-1:111122223333:jobs because no identity-based policy allows the sqs:sendmessage action",
        r#"{"queueUrl":"https://sqs.us-east-1.amazonaws.com/111122223333/jobs"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.starts_with("federated user build-bot's session allows only what both the IAM user that issued it and the session policy passed to GetFederationToken allow"), "{hint}");
}

#[test]
fn kms_one_of_three_asks_for_the_keys_region_first() {
    let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let json = record(
        ALICE,
        "kms.amazonaws.com",
        "Decrypt",
        "AccessDeniedException",
        &format!(
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:Decrypt on resource: {key} because the resource does not exist in this Region, no resource-based policies allow access, or a resource-based policy explicitly denies access"
        ),
        r#"{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}"#,
    );
    let hint = hint_of(&[&json]);
    assert!(hint.starts_with(&format!("one of three, the message does not say which: first check that the resource exists in the Region the request went to (aws kms describe-key --key-id {key})")), "{hint}");
}

#[test]
fn a_group_mixing_an_explicit_deny_with_missing_allows_leads_with_the_deny() {
    let message = |context: &str| {
        format!(
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/orders {context}"
        )
    };
    let implicit = record(
        ALICE,
        "dynamodb.amazonaws.com",
        "PutItem",
        "AccessDeniedException",
        &message("because no identity-based policy allows the dynamodb:PutItem action"),
        r#"{"tableName":"orders"}"#,
    );
    let explicit = record(
        ALICE,
        "dynamodb.amazonaws.com",
        "PutItem",
        "AccessDeniedException",
        &message("with an explicit deny in a service control policy"),
        r#"{"tableName":"orders"}"#,
    );
    let hint = hint_of(&[
        &implicit,
        &implicit.replace("e-PutItem", "e-PutItem-2"),
        &explicit.replace("e-PutItem", "e-PutItem-3"),
    ]);
    assert!(
        hint.starts_with(
            "1 of 3 explicit deny (scp): list the SCPs that apply to account 111122223333"
        ),
        "{hint}"
    );
    assert!(hint.contains(" | 2 of 3 no Allow (identity_policy): no identity-based policy of arn:aws:iam::111122223333:user/alice allows dynamodb:PutItem; add an Allow"), "{hint}");
}

#[test]
fn a_role_a_service_could_not_use_is_labelled_and_hinted_with_all_errors() {
    let json = record(
        ALICE,
        "cloudtrail.amazonaws.com",
        "CreateTrail",
        "InvalidCloudWatchLogsRoleArnException",
        "Access denied. Check the trust relationships for your role.",
        r#"{"name":"org-trail","cloudWatchLogsRoleArn":"arn:aws:iam::111122223333:role/CloudTrail_CloudWatchLogs_Role"}"#,
    );
    let event = crate::event::json::event_of(&json);
    assert!(
        classify(&event, FailureFilter::default(), &Arc::from("t")).is_none(),
        "not a denial of the caller"
    );
    let all = FailureFilter { include_authn: false, all_errors: true };
    let hint = hint_with(&[&json], all);
    assert!(
        hint.starts_with(
            "not a denial of the caller: the service could not use the role passed in the request"
        ),
        "{hint}"
    );
}
