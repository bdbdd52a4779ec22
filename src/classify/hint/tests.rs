//! Tests of `hint`, kept in their own file so that the module reads as its rules alone.

use super::*;

const ROLE: &str = "arn:aws:iam::111122223333:role/app";
const USER: &str = "arn:aws:iam::111122223333:user/alice";

fn input(denied_by: DeniedBy, deny_kind: DenyKind) -> HintInput<'static> {
    HintInput {
        denied_by,
        deny_kind,
        principal: ROLE,
        principal_type: "AssumedRole",
        action: "s3:GetObject",
        resource_arn: Some("arn:aws:s3:::reports/q1.csv"),
        bucket: Some("reports"),
        account_id: Some("111122223333"),
        error_category: "authorization",
        denying_policy_arn: None,
        vpc_endpoint_id: None,
        message: None,
    }
}

fn policy(policy: PolicyType, kind: DenyKind) -> HintInput<'static> {
    input(DeniedBy::Policy(policy), kind)
}

// --- Quoting ------------------------------------------------------------------------------------

#[test]
fn shell_quote_leaves_plain_words_alone() {
    for word in ["reports", "arn:aws:iam::1:role/a-b_c.d", "user@example.com", "k=v,x+y"] {
        assert_eq!(shell_quote(word), word);
    }
}

#[test]
fn shell_quote_quotes_everything_else() {
    assert_eq!(shell_quote(""), "''");
    assert_eq!(shell_quote("x; rm -rf /"), "'x; rm -rf /'");
    assert_eq!(shell_quote("it's"), r"'it'\''s'");
    assert_eq!(shell_quote("$(id)"), "'$(id)'");
    assert_eq!(shell_quote("a*"), "'a*'");
    assert_eq!(shell_quote("ключ"), "'ключ'");
    assert_eq!(shell_quote("a\nb"), "'a\nb'");
}

#[test]
fn hostile_bucket_is_quoted_in_the_command() {
    let row = HintInput {
        bucket: Some("x; rm -rf /"),
        resource_arn: None,
        ..policy(PolicyType::ResourceBased, DenyKind::Implicit)
    };
    assert_eq!(
        hint(&row),
        "check the bucket policy of 'x; rm -rf /' for an Allow that covers \
         arn:aws:iam::111122223333:role/app and s3:GetObject: aws s3api get-bucket-policy \
         --bucket 'x; rm -rf /'"
    );
}

#[test]
fn hostile_principal_with_quote_is_quoted() {
    let row = HintInput {
        principal: "arn:aws:iam::111122223333:role/a'b",
        ..policy(PolicyType::IdentityBased, DenyKind::Implicit)
    };
    assert_eq!(
        hint(&row),
        r"no identity-based policy of 'arn:aws:iam::111122223333:role/a'\''b' allows s3:GetObject; add an Allow, then confirm with: aws iam simulate-principal-policy --policy-source-arn 'arn:aws:iam::111122223333:role/a'\''b' --action-names s3:GetObject --resource-arns arn:aws:s3:::reports/q1.csv"
    );
}

// --- Categories ---------------------------------------------------------------------------------

#[test]
fn authentication_failure() {
    let row = HintInput {
        error_category: "authentication",
        ..input(DeniedBy::Unknown, DenyKind::Generic)
    };
    assert_eq!(
        hint(&row),
        "the request failed authentication, not authorization: check the caller's credentials \
         (expired session token, wrong secret key, clock skew) with aws sts get-caller-identity"
    );
}

#[test]
fn other_error() {
    let row = HintInput { error_category: "other", ..input(DeniedBy::Unknown, DenyKind::Generic) };
    assert_eq!(hint(&row), "not an access denial: read the event's errorCode and errorMessage");
}

// --- S3's own reasons ---------------------------------------------------------------------------

#[test]
fn block_public_access_names_the_setting() {
    let row = HintInput {
        action: "s3:PutBucketPolicy",
        ..input(DeniedBy::BlockPublicAccess, DenyKind::ServiceReason)
    };
    assert_eq!(
        hint(&row),
        "S3 Block Public Access (BlockPublicPolicy) refused it; see the bucket's and the \
         account's settings: aws s3api get-public-access-block --bucket reports; aws s3control \
         get-public-access-block --account-id 111122223333"
    );
    let row = HintInput { action: "s3:PutObjectAcl", ..row };
    assert!(hint(&row).starts_with("S3 Block Public Access (BlockPublicAcls) refused it;"));
}

#[test]
fn block_public_access_on_a_read_without_bucket_or_account() {
    let row = HintInput {
        bucket: None,
        resource_arn: None,
        account_id: None,
        ..input(DeniedBy::BlockPublicAccess, DenyKind::ServiceReason)
    };
    assert_eq!(
        hint(&row),
        "S3 Block Public Access (IgnorePublicAcls or RestrictPublicBuckets) refused it; see the \
         bucket's and the account's settings: aws s3api get-public-access-block --bucket BUCKET; \
         aws s3control get-public-access-block --account-id ACCOUNT_ID"
    );
}

#[test]
fn sse_c_blocked() {
    let row = HintInput {
        action: "s3:PutObject",
        ..input(DeniedBy::SseCBlocked, DenyKind::ServiceReason)
    };
    assert_eq!(
        hint(&row),
        "bucket reports blocks SSE-C (customer-provided key) uploads: use SSE-KMS or SSE-S3 \
         instead, or see BlockedEncryptionTypes in aws s3api get-bucket-encryption --bucket reports"
    );
}

#[test]
fn object_access_disabled() {
    let row = input(DeniedBy::ObjectAccessDisabled, DenyKind::ServiceReason);
    assert_eq!(
        hint(&row),
        "S3 has disabled all access to this object (AllAccessDisabled) and no policy change \
         restores it: contact AWS Support with the request id"
    );
}

#[test]
fn acls_disabled_takes_the_bucket_from_the_resource() {
    let row = HintInput {
        bucket: None,
        action: "s3:PutObject",
        ..input(DeniedBy::AclsDisabled, DenyKind::ServiceReason)
    };
    assert_eq!(
        hint(&row),
        "bucket reports has ACLs disabled (Object Ownership is bucket owner enforced): send the \
         request without an ACL and grant access in the bucket policy; see aws s3api \
         get-bucket-ownership-controls --bucket reports"
    );
}

// --- Organizations policies ---------------------------------------------------------------------

#[test]
fn scp_without_policy_arn_uses_the_principals_account() {
    for kind in [DenyKind::Explicit, DenyKind::Implicit] {
        let row = HintInput {
            principal: "arn:aws:iam::444455556666:role/ci",
            account_id: Some("111122223333"),
            ..policy(PolicyType::ServiceControlPolicy, kind)
        };
        assert_eq!(
            hint(&row),
            "list the SCPs that apply to account 444455556666: aws organizations \
             list-policies-for-target --target-id 444455556666 --filter SERVICE_CONTROL_POLICY \
             (and for each parent from aws organizations list-parents --child-id 444455556666)"
        );
    }
}

#[test]
fn scp_falls_back_to_the_recipient_account_then_a_placeholder() {
    let row = HintInput {
        principal: "unknown",
        ..policy(PolicyType::ServiceControlPolicy, DenyKind::Explicit)
    };
    assert!(hint(&row).starts_with("list the SCPs that apply to account 111122223333: "));
    let row = HintInput { account_id: None, ..row };
    assert!(hint(&row).starts_with("list the SCPs that apply to account ACCOUNT_ID: "));
}

#[test]
fn scp_with_policy_arn() {
    let row = HintInput {
        denying_policy_arn: Some(
            "arn:aws:organizations::999988887777:policy/o-abcd1234ef/service_control_policy/p-wg5dv83d",
        ),
        ..policy(PolicyType::ServiceControlPolicy, DenyKind::Explicit)
    };
    assert_eq!(
        hint(&row),
        "SCP arn:aws:organizations::999988887777:policy/o-abcd1234ef/service_control_policy/p-wg5dv83d \
         denied s3:GetObject: read it with aws organizations describe-policy --policy-id p-wg5dv83d"
    );
}

#[test]
fn rcp_without_policy_arn() {
    let row = policy(PolicyType::ResourceControlPolicy, DenyKind::Explicit);
    assert_eq!(
        hint(&row),
        "list the RCPs that apply to account 111122223333: aws organizations \
         list-policies-for-target --target-id 111122223333 --filter RESOURCE_CONTROL_POLICY (and \
         for each parent from aws organizations list-parents --child-id 111122223333)"
    );
}

#[test]
fn rcp_uses_the_resources_account_when_its_arn_has_one() {
    let row = HintInput {
        action: "sqs:SendMessage",
        resource_arn: Some("arn:aws:sqs:eu-west-1:777788889999:jobs"),
        bucket: None,
        ..policy(PolicyType::ResourceControlPolicy, DenyKind::Explicit)
    };
    assert!(hint(&row).starts_with("list the RCPs that apply to account 777788889999: "));
}

#[test]
fn rcp_with_bare_policy_id() {
    let row = HintInput {
        denying_policy_arn: Some("p-1a2b3c4d"),
        ..policy(PolicyType::ResourceControlPolicy, DenyKind::Explicit)
    };
    assert_eq!(
        hint(&row),
        "RCP p-1a2b3c4d denied s3:GetObject: read it with aws organizations describe-policy \
         --policy-id p-1a2b3c4d"
    );
}

// --- Resource-based policies --------------------------------------------------------------------

#[test]
fn s3_bucket_policy_implicit_and_explicit() {
    let row = policy(PolicyType::ResourceBased, DenyKind::Implicit);
    assert_eq!(
        hint(&row),
        "check the bucket policy of reports for an Allow that covers \
         arn:aws:iam::111122223333:role/app and s3:GetObject: aws s3api get-bucket-policy \
         --bucket reports"
    );
    let row = policy(PolicyType::ResourceBased, DenyKind::Explicit);
    assert_eq!(
        hint(&row),
        "find the Deny statement that matches arn:aws:iam::111122223333:role/app and \
         s3:GetObject in the bucket policy of reports: aws s3api get-bucket-policy --bucket reports"
    );
}

#[test]
fn kms_key_policy_implicit_and_explicit() {
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let row = HintInput {
        action: "kms:Decrypt",
        resource_arn: Some(key),
        bucket: None,
        ..policy(PolicyType::ResourceBased, DenyKind::Implicit)
    };
    assert_eq!(
        hint(&row),
        "check the key policy of arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab \
         for an Allow that covers arn:aws:iam::111122223333:role/app and kms:Decrypt: aws kms \
         get-key-policy --key-id arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab \
         --policy-name default"
    );
    let row = HintInput { deny_kind: DenyKind::Explicit, resource_arn: None, ..row };
    assert_eq!(
        hint(&row),
        "find the Deny statement that matches arn:aws:iam::111122223333:role/app and kms:Decrypt \
         in the key policy of KEY_ARN: aws kms get-key-policy --key-id KEY_ARN --policy-name default"
    );
}

#[test]
fn other_services_with_a_policy_command() {
    let row = HintInput {
        action: "secretsmanager:GetSecretValue",
        resource_arn: Some("arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"),
        bucket: None,
        ..policy(PolicyType::ResourceBased, DenyKind::Implicit)
    };
    assert_eq!(
        hint(&row),
        "check the resource-based policy of \
         arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf for an Allow that covers \
         arn:aws:iam::111122223333:role/app and secretsmanager:GetSecretValue: aws secretsmanager \
         get-resource-policy --secret-id arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"
    );
    let row = HintInput {
        action: "lambda:InvokeFunction",
        resource_arn: None,
        deny_kind: DenyKind::Explicit,
        ..row
    };
    assert_eq!(
        hint(&row),
        "find the Deny statement that matches arn:aws:iam::111122223333:role/app and \
         lambda:InvokeFunction in the resource-based policy of RESOURCE_ARN: aws lambda \
         get-policy --function-name RESOURCE_ARN"
    );
}

#[test]
fn other_services_without_a_policy_command() {
    let row = HintInput {
        action: "sqs:SendMessage",
        resource_arn: Some("arn:aws:sqs:us-east-1:111122223333:jobs"),
        bucket: None,
        ..policy(PolicyType::ResourceBased, DenyKind::Implicit)
    };
    assert_eq!(
        hint(&row),
        "add an Allow for arn:aws:iam::111122223333:role/app and sqs:SendMessage to the \
         resource-based policy of arn:aws:sqs:us-east-1:111122223333:jobs"
    );
    let row = HintInput { resource_arn: None, deny_kind: DenyKind::Explicit, ..row };
    assert_eq!(
        hint(&row),
        "find the Deny statement that matches arn:aws:iam::111122223333:role/app and \
         sqs:SendMessage in the resource-based policy of the resource"
    );
}

// --- Principal-side policies --------------------------------------------------------------------

#[test]
fn permissions_boundary_of_a_role_and_a_user() {
    let row = HintInput {
        principal: "arn:aws:iam::111122223333:role/service-role/etl",
        ..policy(PolicyType::PermissionsBoundary, DenyKind::Implicit)
    };
    assert_eq!(
        hint(&row),
        "the permissions boundary of role etl does not allow s3:GetObject: aws iam get-role \
         --role-name etl --query Role.PermissionsBoundary"
    );
    let row = HintInput { principal: USER, deny_kind: DenyKind::Explicit, ..row };
    assert_eq!(
        hint(&row),
        "the permissions boundary of user alice has a Deny for s3:GetObject: aws iam get-user \
         --user-name alice --query User.PermissionsBoundary"
    );
}

#[test]
fn permissions_boundary_of_a_principal_without_an_iam_arn() {
    let row = HintInput {
        principal: "arn:aws:sts::111122223333:federated-user/bob",
        ..policy(PolicyType::PermissionsBoundary, DenyKind::Implicit)
    };
    assert_eq!(
        hint(&row),
        "the permissions boundary of arn:aws:sts::111122223333:federated-user/bob does not allow \
         s3:GetObject: find it in the IAM console under the user or role's Permissions tab"
    );
}

#[test]
fn session_policy() {
    let row = policy(PolicyType::SessionPolicy, DenyKind::Implicit);
    assert_eq!(
        hint(&row),
        "the session policy passed when arn:aws:iam::111122223333:role/app's session was created \
         (AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity or GetFederationToken) does \
         not allow s3:GetObject: find that call in CloudTrail and read its policy and policyArns \
         parameters"
    );
    let row = policy(PolicyType::SessionPolicy, DenyKind::Explicit);
    assert!(hint(&row).contains("GetFederationToken) denies s3:GetObject: "));
}

#[test]
fn vpc_endpoint_policy() {
    let row = policy(PolicyType::VpcEndpointPolicy, DenyKind::Explicit);
    assert_eq!(
        hint(&row),
        "the policy of the VPC endpoint the request went through denies s3:GetObject: aws ec2 \
         describe-vpc-endpoints --query 'VpcEndpoints[].[VpcEndpointId,ServiceName,PolicyDocument]'"
    );
    let through = HintInput { vpc_endpoint_id: Some("vpce-0a1b2c3d"), ..row };
    assert_eq!(
        hint(&through),
        "the policy of VPC endpoint vpce-0a1b2c3d denies s3:GetObject: aws ec2 \
         describe-vpc-endpoints --vpc-endpoint-ids vpce-0a1b2c3d --query \
         'VpcEndpoints[].PolicyDocument'"
    );
}

#[test]
fn role_trust_policy_names_the_target_role() {
    let row = HintInput {
        principal: USER,
        action: "sts:AssumeRole",
        resource_arn: Some("arn:aws:iam::111122223333:role/Deploy"),
        bucket: None,
        ..policy(PolicyType::RoleTrustPolicy, DenyKind::Implicit)
    };
    assert_eq!(
        hint(&row),
        "the trust policy of role Deploy does not let arn:aws:iam::111122223333:user/alice \
         assume it: aws iam get-role --role-name Deploy --query Role.AssumeRolePolicyDocument"
    );
    let row = HintInput { resource_arn: None, deny_kind: DenyKind::Explicit, ..row };
    assert_eq!(
        hint(&row),
        "the trust policy of role ROLE_NAME has a Deny for arn:aws:iam::111122223333:user/alice: \
         aws iam get-role --role-name ROLE_NAME --query Role.AssumeRolePolicyDocument"
    );
}

#[test]
fn identity_policy_implicit_simulates() {
    let row = policy(PolicyType::IdentityBased, DenyKind::Implicit);
    assert_eq!(
        hint(&row),
        "no identity-based policy of arn:aws:iam::111122223333:role/app allows s3:GetObject; add \
         an Allow, then confirm with: aws iam simulate-principal-policy --policy-source-arn \
         arn:aws:iam::111122223333:role/app --action-names s3:GetObject --resource-arns \
         arn:aws:s3:::reports/q1.csv"
    );
}

#[test]
fn identity_policy_explicit_with_and_without_policy_arn() {
    let row =
        HintInput { resource_arn: None, ..policy(PolicyType::IdentityBased, DenyKind::Explicit) };
    assert_eq!(
        hint(&row),
        "find the Deny statement for s3:GetObject in the identity-based policies of \
         arn:aws:iam::111122223333:role/app, then confirm with: aws iam simulate-principal-policy \
         --policy-source-arn arn:aws:iam::111122223333:role/app --action-names s3:GetObject \
         --resource-arns arn:aws:s3:::reports"
    );
    let row = HintInput {
        denying_policy_arn: Some("arn:aws:iam::111122223333:policy/DenyS3"),
        bucket: None,
        ..row
    };
    assert_eq!(
        hint(&row),
        "find the Deny statement for s3:GetObject in arn:aws:iam::111122223333:policy/DenyS3, \
         then confirm with: aws iam simulate-principal-policy --policy-source-arn \
         arn:aws:iam::111122223333:role/app --action-names s3:GetObject"
    );
}

#[test]
fn identity_policy_for_a_principal_that_cannot_be_simulated() {
    let row = HintInput {
        principal: "arn:aws:sts::111122223333:assumed-role/app/session",
        principal_type: "AssumedRole",
        ..policy(PolicyType::IdentityBased, DenyKind::Implicit)
    };
    assert_eq!(
        hint(&row),
        "no identity-based policy of arn:aws:sts::111122223333:assumed-role/app/session allows \
         s3:GetObject; add an Allow"
    );
}

#[test]
fn simulated_bucket_arn_uses_the_principals_partition() {
    let row = HintInput {
        principal: "arn:aws-cn:iam::111122223333:role/app",
        resource_arn: Some("this resource"),
        ..policy(PolicyType::IdentityBased, DenyKind::Implicit)
    };
    assert!(
        hint(&row).ends_with("--action-names s3:GetObject --resource-arns arn:aws-cn:s3:::reports")
    );
}

// --- Unexplained denials, by principal ----------------------------------------------------------

#[test]
fn anonymous_s3_request() {
    let row = HintInput {
        principal: "anonymous",
        principal_type: "Anonymous",
        ..input(DeniedBy::Unknown, DenyKind::Generic)
    };
    assert_eq!(
        hint(&row),
        "the request was unsigned (anonymous): make sure the client sends credentials, or, if \
         bucket reports should be public, check its bucket policy and Block Public Access: aws \
         s3api get-public-access-block --bucket reports"
    );
}

#[test]
fn anonymous_request_elsewhere() {
    let row = HintInput {
        principal: "anonymous",
        principal_type: "Unknown",
        action: "execute-api:Invoke",
        bucket: None,
        resource_arn: None,
        ..input(DeniedBy::Unknown, DenyKind::Generic)
    };
    assert_eq!(
        hint(&row),
        "the request was unsigned (anonymous): make sure the client sends credentials"
    );
}

#[test]
fn unknown_principal() {
    for (principal, principal_type) in
        [("unknown", "Unknown"), ("", "IAMUser"), ("Unknown", "AssumedRole")]
    {
        let row =
            HintInput { principal, principal_type, ..input(DeniedBy::Unknown, DenyKind::Generic) };
        assert_eq!(
            hint(&row),
            "the caller is not identified in the log: look the event up by its requestID and read \
             its userIdentity"
        );
    }
}

#[test]
fn iam_principal_on_s3() {
    let row = input(DeniedBy::Unknown, DenyKind::Generic);
    assert_eq!(
        hint(&row),
        "aws iam simulate-principal-policy --policy-source-arn arn:aws:iam::111122223333:role/app \
         --action-names s3:GetObject --resource-arns arn:aws:s3:::reports/q1.csv; if that allows \
         it, check the bucket policy (aws s3api get-bucket-policy --bucket reports) and, for an \
         SSE-KMS object, the KMS key policy"
    );
}

#[test]
fn iam_principal_elsewhere_with_an_explicit_deny() {
    let row = HintInput {
        principal: USER,
        action: "dynamodb:PutItem",
        resource_arn: Some("arn:aws:dynamodb:us-east-1:111122223333:table/orders"),
        bucket: None,
        ..input(DeniedBy::Unknown, DenyKind::Explicit)
    };
    assert_eq!(
        hint(&row),
        "a Deny statement matched but the message does not say where; aws iam \
         simulate-principal-policy --policy-source-arn arn:aws:iam::111122223333:user/alice \
         --action-names dynamodb:PutItem --resource-arns \
         arn:aws:dynamodb:us-east-1:111122223333:table/orders; if that allows it, check the \
         resource's own policy, the SCPs and any permissions boundary"
    );
}

#[test]
fn root_principal() {
    let row = HintInput {
        principal: "111122223333",
        principal_type: "Root",
        ..input(DeniedBy::Unknown, DenyKind::Generic)
    };
    assert_eq!(
        hint(&row),
        "only an SCP, an RCP or a resource-based policy can deny the root user s3:GetObject: aws \
         organizations list-policies-for-target --target-id 111122223333 --filter \
         SERVICE_CONTROL_POLICY; see aws s3api get-bucket-policy --bucket reports"
    );
}

#[test]
fn cross_account_principal() {
    let row = HintInput {
        principal: "444455556666",
        principal_type: "AWSAccount",
        ..input(DeniedBy::Unknown, DenyKind::Generic)
    };
    assert_eq!(
        hint(&row),
        "account 444455556666 was denied s3:GetObject: the resource's policy must grant that \
         account access; see aws s3api get-bucket-policy --bucket reports"
    );
    let row = HintInput {
        principal: "AIDAEXAMPLE:bob",
        action: "sns:Publish",
        bucket: None,
        resource_arn: None,
        ..row
    };
    assert_eq!(
        hint(&row),
        "account AIDAEXAMPLE:bob was denied sns:Publish: the resource's policy must grant that \
         account access"
    );
}

#[test]
fn aws_service_principal() {
    let row = HintInput {
        principal: "cloudtrail.amazonaws.com",
        principal_type: "AWSService",
        action: "s3:PutObject",
        ..input(DeniedBy::Unknown, DenyKind::Generic)
    };
    assert_eq!(
        hint(&row),
        "AWS service cloudtrail.amazonaws.com was denied s3:PutObject: the resource's policy must \
         allow that service principal; see aws s3api get-bucket-policy --bucket reports"
    );
}

#[test]
fn other_principal() {
    let row = HintInput {
        principal: "maria@example.com",
        principal_type: "SAMLUser",
        action: "ec2:RunInstances",
        bucket: None,
        resource_arn: None,
        ..input(DeniedBy::Unknown, DenyKind::ServiceReason)
    };
    assert_eq!(
        hint(&row),
        "review the policies that apply to maria@example.com for ec2:RunInstances"
    );
}

#[test]
fn merged_principal_types() {
    let row = HintInput {
        principal: "anonymous",
        principal_type: "Unknown|Anonymous",
        bucket: None,
        resource_arn: None,
        action: "sqs:SendMessage",
        ..input(DeniedBy::Unknown, DenyKind::Generic)
    };
    assert_eq!(
        hint(&row),
        "the request was unsigned (anonymous): make sure the client sends credentials"
    );
    let row = HintInput { principal: USER, principal_type: "IAMUser|Unknown", ..row };
    assert_eq!(
        hint(&row),
        "aws iam simulate-principal-policy --policy-source-arn \
         arn:aws:iam::111122223333:user/alice --action-names sqs:SendMessage; if that allows \
         it, check the resource's own policy, the SCPs and any permissions boundary"
    );
    let row = HintInput { principal: "444455556666", principal_type: "AWSAccount|Root", ..row };
    assert_eq!(
        hint(&row),
        "only an SCP, an RCP or a resource-based policy can deny the root user sqs:SendMessage: \
         aws organizations list-policies-for-target --target-id 444455556666 --filter \
         SERVICE_CONTROL_POLICY"
    );
}

#[test]
fn odd_values_never_panic() {
    let odd = [
        "",
        ":",
        "arn:",
        "arn:aws:iam::",
        "arn:aws:iam::1:role/",
        "'",
        "ключ 👩‍💻",
        "arn:aws:iam::1:user/a/b/",
    ];
    for value in odd {
        for by in DeniedBy::ALL {
            for kind in DenyKind::ALL {
                let row = HintInput {
                    denied_by: *by,
                    deny_kind: *kind,
                    principal: value,
                    principal_type: value,
                    action: value,
                    resource_arn: Some(value),
                    bucket: Some(value),
                    account_id: Some(value),
                    error_category: value,
                    denying_policy_arn: Some(value),
                    vpc_endpoint_id: Some(value),
                    message: Some(value),
                };
                assert!(!hint(&row).is_empty());
            }
        }
    }
}
