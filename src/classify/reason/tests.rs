//! Tests of `reason`, kept in their own file so that the module reads as its rules alone.

use super::*;

const ROLE: &str = "arn:aws:sts::111122223333:assumed-role/app/session-1";
const USER: &str = "arn:aws:iam::123456789012:user/JohnDoe";

fn policy(kind: DenyKind, by: PolicyType, diagnosis: &Diagnosis<'_>) {
    assert_eq!(diagnosis.deny_kind, kind, "{diagnosis:?}");
    assert_eq!(diagnosis.denied_by, DeniedBy::Policy(by), "{diagnosis:?}");
}

// --- Vocabulary -------------------------------------------------------------------------------

#[test]
fn deny_kind_names_round_trip() {
    let names: Vec<_> = DenyKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(names, ["explicit", "implicit", "service_reason", "generic"]);
    for kind in DenyKind::ALL {
        assert_eq!(DenyKind::from_str_opt(kind.as_str()), Some(*kind));
    }
    assert_eq!(DenyKind::from_str_opt("Explicit"), None);
    assert_eq!(DenyKind::from_str_opt(""), None);
}

#[test]
fn denied_by_names_round_trip() {
    let names: Vec<_> = DeniedBy::ALL.iter().map(|b| b.as_str()).collect();
    assert_eq!(
        names,
        [
            "identity_policy",
            "resource_policy",
            "permissions_boundary",
            "scp",
            "rcp",
            "session_policy",
            "vpc_endpoint_policy",
            "role_trust_policy",
            "s3_block_public_access",
            "s3_sse_c_blocked",
            "s3_object_access_disabled",
            "s3_acls_disabled",
            "unknown",
        ]
    );
    for by in DeniedBy::ALL {
        assert_eq!(DeniedBy::from_str_opt(by.as_str()), Some(*by));
    }
    assert_eq!(DeniedBy::from_str_opt("SCP"), None);
}

#[test]
fn denied_by_all_lists_every_policy_type() {
    for policy in PolicyType::ALL {
        assert!(DeniedBy::ALL.contains(&DeniedBy::Policy(*policy)), "{policy:?}");
    }
    assert_eq!(PolicyType::ALL.len(), 8);
}

// --- Implicit denies, one per policy type -----------------------------------------------------

#[test]
fn implicit_identity_policy_with_s3_quoted_resource() {
    let d = diagnose(
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject \
         on resource: \"arn:aws:s3:::amzn-s3-demo-bucket/reports/q1.csv\" because no \
         identity-based policy allows the s3:GetObject action",
    );
    policy(DenyKind::Implicit, PolicyType::IdentityBased, &d);
    assert_eq!(d.principal, Some("arn:aws:iam::123456789012:user/alice"));
    assert_eq!(d.action, Some("s3:GetObject"));
    assert_eq!(d.resource, Some("arn:aws:s3:::amzn-s3-demo-bucket/reports/q1.csv"));
    assert_eq!(d.via_policy_type, None);
    assert_eq!(d.denying_policy_arn, None);
    assert_eq!(d.service_reason, None);
    assert!(!d.has_encoded_message);
}

#[test]
fn implicit_resource_policy_without_resource() {
    let message = format!(
        "User: {USER} is not authorized to perform: secretsmanager:GetSecretValue because no \
         resource-based policy allows the secretsmanager:GetSecretValue action"
    );
    let d = diagnose(&message);
    policy(DenyKind::Implicit, PolicyType::ResourceBased, &d);
    assert_eq!(d.action, Some("secretsmanager:GetSecretValue"));
    assert_eq!(d.resource, None);
}

#[test]
fn implicit_permissions_boundary() {
    let message = format!(
        "User: {USER} is not authorized to perform: codedeploy:ListDeployments on resource: \
         arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:* because no permissions \
         boundary allows the codedeploy:ListDeployments action"
    );
    let d = diagnose(&message);
    policy(DenyKind::Implicit, PolicyType::PermissionsBoundary, &d);
    assert_eq!(d.resource, Some("arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:*"));
}

#[test]
fn implicit_service_control_policy() {
    let message = format!(
        "User: {ROLE} is not authorized to perform: ec2:RunInstances because no service \
         control policy allows the ec2:RunInstances action"
    );
    let d = diagnose(&message);
    policy(DenyKind::Implicit, PolicyType::ServiceControlPolicy, &d);
    assert_eq!(d.principal, Some(ROLE));
}

#[test]
fn implicit_resource_control_policy() {
    let message = format!(
        "User: {ROLE} is not authorized to perform: sqs:SendMessage on resource: \
         arn:aws:sqs:eu-west-1:111122223333:jobs because no resource control policy allows \
         the sqs:SendMessage action"
    );
    let d = diagnose(&message);
    policy(DenyKind::Implicit, PolicyType::ResourceControlPolicy, &d);
    assert_eq!(d.resource, Some("arn:aws:sqs:eu-west-1:111122223333:jobs"));
}

#[test]
fn implicit_session_policy() {
    let message = format!(
        "User: {USER} is not authorized to perform: codecommit:ListRepositories because no \
         session policy allows the codecommit:ListRepositories action"
    );
    let d = diagnose(&message);
    policy(DenyKind::Implicit, PolicyType::SessionPolicy, &d);
}

#[test]
fn implicit_vpc_endpoint_policy() {
    let message = format!(
        "User: {USER} is not authorized to perform: codecommit:ListRepositories because no VPC \
         endpoint policy allows the codecommit:ListRepositories action"
    );
    let d = diagnose(&message);
    policy(DenyKind::Implicit, PolicyType::VpcEndpointPolicy, &d);
}

#[test]
fn implicit_role_trust_policy_including_the_iam_guide_wording() {
    // The IAM guide's example drops the "no": "because the role trust policy allows …".
    for context in ["because no role trust policy allows", "because the role trust policy allows"] {
        let message = format!(
            "User: {USER} is not authorized to perform: sts:AssumeRole on resource: \
             arn:aws:iam::123456789012:role/Deploy {context} the sts:AssumeRole action"
        );
        let d = diagnose(&message);
        policy(DenyKind::Implicit, PolicyType::RoleTrustPolicy, &d);
        assert_eq!(d.resource, Some("arn:aws:iam::123456789012:role/Deploy"));
    }
}

// --- Explicit denies ----------------------------------------------------------------------------

#[test]
fn explicit_deny_in_each_policy_type() {
    let cases = [
        ("an identity-based policy", PolicyType::IdentityBased),
        ("a resource-based policy", PolicyType::ResourceBased),
        ("a permissions boundary", PolicyType::PermissionsBoundary),
        ("a service control policy", PolicyType::ServiceControlPolicy),
        ("a resource control policy", PolicyType::ResourceControlPolicy),
        ("a session policy", PolicyType::SessionPolicy),
        ("a sessions policy", PolicyType::SessionPolicy),
        ("a VPC endpoint policy", PolicyType::VpcEndpointPolicy),
        ("the role trust policy", PolicyType::RoleTrustPolicy),
    ];
    for (phrase, expected) in cases {
        let message = format!(
            "User: {USER} is not authorized to perform: sagemaker:ListModels with an explicit \
             deny in {phrase}"
        );
        let d = diagnose(&message);
        policy(DenyKind::Explicit, expected, &d);
        assert_eq!(d.action, Some("sagemaker:ListModels"), "{message}");
        assert_eq!(d.resource, None, "{message}");
        assert_eq!(d.denying_policy_arn, None, "{message}");
    }
}

#[test]
fn explicit_scp_with_policy_arn_and_s3_resource() {
    let d = diagnose(
        "User: arn:aws:sts::111122223333:assumed-role/voclabs/user1=Ana is not authorized to \
         perform: s3:GetBucketObjectLockConfiguration on resource: \"arn:aws:s3:::tf-state\" \
         with an explicit deny in a service control policy: \
         arn:aws:organizations::999988887777:policy/o-abcd1234ef/service_control_policy/p-wg5dv83d",
    );
    policy(DenyKind::Explicit, PolicyType::ServiceControlPolicy, &d);
    assert_eq!(d.principal, Some("arn:aws:sts::111122223333:assumed-role/voclabs/user1=Ana"));
    assert_eq!(d.action, Some("s3:GetBucketObjectLockConfiguration"));
    assert_eq!(d.resource, Some("arn:aws:s3:::tf-state"));
    assert_eq!(
        d.denying_policy_arn,
        Some(
            "arn:aws:organizations::999988887777:policy/o-abcd1234ef/service_control_policy/p-wg5dv83d"
        )
    );
}

#[test]
fn explicit_rcp_with_policy_arn_and_trailing_period() {
    let message = format!(
        "User: {ROLE} is not authorized to perform: s3:PutObject on resource: \
         \"arn:aws:s3:::vault/a.txt\" with an explicit deny in a resource control policy: \
         arn:aws:organizations::999988887777:policy/o-abcd1234ef/resource_control_policy/p-1a2b3c4d."
    );
    let d = diagnose(&message);
    policy(DenyKind::Explicit, PolicyType::ResourceControlPolicy, &d);
    assert_eq!(
        d.denying_policy_arn,
        Some(
            "arn:aws:organizations::999988887777:policy/o-abcd1234ef/resource_control_policy/p-1a2b3c4d"
        )
    );
}

#[test]
fn explicit_deny_transitively_through_another_policy() {
    let d = diagnose(
        "User: arn:aws:sts::111122223333:assumed-role/role-name/role-session-name is not \
         authorized to perform: SNS:Publish on resource: \
         arn:aws:sns:us-east-1:444455556666:role-name-2 \nwith an explicit deny in a VPC \
         endpoint policy transitively through a service control policy",
    );
    policy(DenyKind::Explicit, PolicyType::VpcEndpointPolicy, &d);
    assert_eq!(d.via_policy_type, Some(PolicyType::ServiceControlPolicy));
    assert_eq!(d.action, Some("SNS:Publish"));
    assert_eq!(d.resource, Some("arn:aws:sns:us-east-1:444455556666:role-name-2"));
    assert_eq!(d.denying_policy_arn, None);
}

#[test]
fn policy_arn_after_the_transitive_clause() {
    let message = format!(
        "User: {ROLE} is not authorized to perform: s3:GetObject with an explicit deny in a \
         resource-based policy transitively through an identity-based policy: \
         arn:aws:iam::111122223333:policy/DenyAll"
    );
    let d = diagnose(&message);
    policy(DenyKind::Explicit, PolicyType::ResourceBased, &d);
    assert_eq!(d.via_policy_type, Some(PolicyType::IdentityBased));
    assert_eq!(d.denying_policy_arn, Some("arn:aws:iam::111122223333:policy/DenyAll"));
}

#[test]
fn due_to_an_explicit_deny_wording() {
    // The IAM guide: SCP denials read "due to an explicit deny in a Service Control Policy".
    let message = format!(
        "User: {USER} is not authorized to perform: codecommit:ListRepositories due to an \
         explicit deny in a Service Control Policy"
    );
    let d = diagnose(&message);
    policy(DenyKind::Explicit, PolicyType::ServiceControlPolicy, &d);
}

#[test]
fn explicit_deny_without_a_policy_type() {
    let message = format!(
        "User: {USER} is not authorized to perform: s3:GetObject on resource: \
         arn:aws:s3:::b/config.json with an explicit deny"
    );
    let d = diagnose(&message);
    assert_eq!(d.deny_kind, DenyKind::Explicit);
    assert_eq!(d.denied_by, DeniedBy::Unknown);
    assert_eq!(d.resource, Some("arn:aws:s3:::b/config.json"));
}

#[test]
fn explicit_deny_with_unrecognised_policy_type() {
    let message = format!(
        "User: {USER} is not authorized to perform: s3:GetObject with an explicit deny in a \
         declarative policy"
    );
    let d = diagnose(&message);
    assert_eq!(d.deny_kind, DenyKind::Explicit);
    assert_eq!(d.denied_by, DeniedBy::Unknown);
}

// --- Prefixes, resources, whitespace and case -------------------------------------------------

#[test]
fn sdk_prefix_is_skipped() {
    let d = diagnose(
        "An error occurred (AccessDenied) when calling the GetObject operation: User: \
         arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:GetObject on \
         resource: \"arn:aws:s3:::logs/2024/01/01.gz\" because no identity-based policy allows \
         the s3:GetObject action",
    );
    policy(DenyKind::Implicit, PolicyType::IdentityBased, &d);
    assert_eq!(d.principal, Some("arn:aws:iam::123456789012:user/bob"));
    assert_eq!(d.resource, Some("arn:aws:s3:::logs/2024/01/01.gz"));
}

#[test]
fn go_sdk_prefix_with_api_error_label() {
    let d = diagnose(
        "operation error S3: PutBucketPolicy, https response error StatusCode: 403, RequestID: \
         TKE79, api error AccessDenied: User: arn:aws:iam::442042538773:user/tf-user is not \
         authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::site\" because \
         public policies are blocked by the BlockPublicPolicy block public access setting.",
    );
    assert_eq!(d.deny_kind, DenyKind::ServiceReason);
    assert_eq!(d.denied_by, DeniedBy::BlockPublicAccess);
    assert_eq!(d.principal, Some("arn:aws:iam::442042538773:user/tf-user"));
    assert_eq!(d.resource, Some("arn:aws:s3:::site"));
    assert_eq!(
        d.service_reason,
        Some("public policies are blocked by the BlockPublicPolicy block public access setting")
    );
}

#[test]
fn ec2_message_with_operation_lead_in_and_encoded_blob() {
    let d = diagnose(
        "You are not authorized to perform this operation. User: \
         arn:aws:sts::111122223333:assumed-role/ci/run-7 is not authorized to perform: \
         ec2:RunInstances on resource: arn:aws:ec2:us-east-1:111122223333:instance/* because \
         no identity-based policy allows the ec2:RunInstances action. Encoded authorization \
         failure message: 4Gb8xZ-because no session policy allows-Q9",
    );
    policy(DenyKind::Implicit, PolicyType::IdentityBased, &d);
    assert!(d.has_encoded_message);
    assert_eq!(d.principal, Some("arn:aws:sts::111122223333:assumed-role/ci/run-7"));
    assert_eq!(d.resource, Some("arn:aws:ec2:us-east-1:111122223333:instance/*"));
}

#[test]
fn encoded_only_message_is_generic() {
    let d = diagnose(
        "You are not authorized to perform this operation. Encoded authorization failure \
         message: kN3x-aBcD_ef",
    );
    assert_eq!(d, Diagnosis { has_encoded_message: true, ..Diagnosis::GENERIC });
}

#[test]
fn iam_resources_are_kept_as_written() {
    let cases = [
        ("role Admin", "role Admin"),
        ("user JohnDoe", "user JohnDoe"),
        (
            "policy arn:aws:iam::123456789012:policy/Boundary",
            "policy arn:aws:iam::123456789012:policy/Boundary",
        ),
    ];
    for (written, expected) in cases {
        let message = format!(
            "User: {USER} is not authorized to perform: iam:DeleteRole on resource: {written} \
             with an explicit deny in an identity-based policy"
        );
        let d = diagnose(&message);
        assert_eq!(d.resource, Some(expected));
        policy(DenyKind::Explicit, PolicyType::IdentityBased, &d);
    }
}

#[test]
fn this_resource_is_a_resource() {
    let message = format!(
        "User: {ROLE} is not authorized to perform: kms:GenerateDataKey on this resource \
         because no identity-based policy allows the kms:GenerateDataKey action\""
    );
    let d = diagnose(&message);
    assert_eq!(d.resource, Some("this resource"));
    assert_eq!(d.action, Some("kms:GenerateDataKey"));
    policy(DenyKind::Implicit, PolicyType::IdentityBased, &d);
}

#[test]
fn kms_one_of_three_wording_names_the_key_policy_but_no_kind() {
    let message = format!(
        "User: {ROLE} is not authorized to perform: kms:Decrypt on this resource because the \
         resource does not exist in this Region, no resource-based policies allow access, or a \
         resource-based policy explicitly denies access"
    );
    let d = diagnose(&message);
    // A missing key, a missing Allow or a Deny: the message does not say which.
    policy(DenyKind::Generic, PolicyType::ResourceBased, &d);
    assert_eq!(d.service_reason, None);
}

#[test]
fn a_message_without_an_action_leaves_it_to_the_event() {
    for message in [
        "User is not authorized to perform this action",
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform this action.",
    ] {
        let d = diagnose(message);
        assert_eq!(d.action, None, "{message}");
    }
}

#[test]
fn ses_backquoted_action_and_resource_lose_their_quotes() {
    let d = diagnose(
        "User `arn:aws:iam::123456789012:user/app' is not authorized to perform \
         `ses:SendRawEmail' on resource `arn:aws:ses:us-east-1:123456789012:identity/example.com'",
    );
    assert_eq!(d.action, Some("ses:SendRawEmail"));
    assert_eq!(d.resource, Some("arn:aws:ses:us-east-1:123456789012:identity/example.com"));
}

#[test]
fn a_vpc_endpoint_network_activity_message_names_the_endpoint_policy() {
    let d = diagnose("The request was denied due to a VPC endpoint policy");
    assert_eq!(d.denied_by, DeniedBy::Policy(PolicyType::VpcEndpointPolicy));
    assert_eq!(d.deny_kind, DenyKind::Generic, "neither a Deny nor a missing Allow is stated");
}

#[test]
fn a_role_passed_to_a_service_is_labelled_its_trust_policy() {
    let d = diagnose("Access denied. Check the trust relationships for your role.");
    policy(DenyKind::ServiceReason, PolicyType::RoleTrustPolicy, &d);
    assert_eq!(
        d.service_reason,
        Some("Access denied. Check the trust relationships for your role")
    );
}

#[test]
fn case_and_whitespace_are_tolerated() {
    let d = diagnose(
        "  user:   arn:aws:iam::123456789012:user/JohnDoe   IS NOT AUTHORIZED\n TO PERFORM:\n\
         sqs:receivemessage   ON RESOURCE:\tarn:aws:sqs:us-east-2:765425735388:q\r\n WITH AN \
         EXPLICIT DENY IN A  service\ncontrol   policy :  p-kfhxcsd9",
    );
    policy(DenyKind::Explicit, PolicyType::ServiceControlPolicy, &d);
    assert_eq!(d.principal, Some("arn:aws:iam::123456789012:user/JohnDoe"));
    assert_eq!(d.action, Some("sqs:receivemessage"));
    assert_eq!(d.resource, Some("arn:aws:sqs:us-east-2:765425735388:q"));
    assert_eq!(d.denying_policy_arn, Some("p-kfhxcsd9"));
}

#[test]
fn hyphen_may_be_written_as_a_space() {
    let message = format!(
        "User: {USER} is not authorized to perform: s3:ListBucket because no identity based \
         policies allow the s3:ListBucket action"
    );
    let d = diagnose(&message);
    policy(DenyKind::Implicit, PolicyType::IdentityBased, &d);
}

#[test]
fn quoted_resource_may_contain_context_words() {
    let message = format!(
        "User: {USER} is not authorized to perform: s3:GetObject on resource: \
         \"arn:aws:s3:::b/because no session policy allows/x\" with an explicit deny in a \
         resource-based policy"
    );
    let d = diagnose(&message);
    assert_eq!(d.resource, Some("arn:aws:s3:::b/because no session policy allows/x"));
    policy(DenyKind::Explicit, PolicyType::ResourceBased, &d);
}

#[test]
fn unterminated_quote_still_yields_resource_and_context() {
    let message = format!(
        "User: {USER} is not authorized to perform: s3:GetObject on resource: \
         \"arn:aws:s3:::b/k because no identity-based policy allows the s3:GetObject action"
    );
    let d = diagnose(&message);
    assert_eq!(d.resource, Some("arn:aws:s3:::b/k"));
    policy(DenyKind::Implicit, PolicyType::IdentityBased, &d);
}

#[test]
fn message_without_context_is_generic_but_keeps_the_parts() {
    let d = diagnose(
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject \
         on resource: arn:aws:s3:::my-bucket/file.txt.",
    );
    assert_eq!(d.deny_kind, DenyKind::Generic);
    assert_eq!(d.denied_by, DeniedBy::Unknown);
    assert_eq!(d.principal, Some("arn:aws:iam::123456789012:user/alice"));
    assert_eq!(d.action, Some("s3:GetObject"));
    assert_eq!(d.resource, Some("arn:aws:s3:::my-bucket/file.txt"));
}

#[test]
fn missing_user_label_still_reads_action_and_cause() {
    let d = diagnose(
        "arn:aws:iam::123456789012:user/x is not authorized to perform: logs:PutLogEvents \
         because no identity-based policy allows the logs:PutLogEvents action",
    );
    policy(DenyKind::Implicit, PolicyType::IdentityBased, &d);
    assert_eq!(d.principal, None);
    assert_eq!(d.action, Some("logs:PutLogEvents"));
}

#[test]
fn user_label_must_start_a_word() {
    let d = diagnose("superuser: root, x-user: y, a_user: z, arn:aws:iam::1:user/w");
    assert_eq!(d, Diagnosis::GENERIC);
    let d = diagnose("api error AccessDenied:User: arn:aws:iam::1:user/w is not authorized");
    assert_eq!(d.principal, Some("arn:aws:iam::1:user/w"));
}

#[test]
fn anonymous_principal() {
    let d = diagnose(
        "User: anonymous is not authorized to perform: s3:GetObject on resource: \
         \"arn:aws:s3:::public-site/index.html\" because no resource-based policy allows the \
         s3:GetObject action",
    );
    assert_eq!(d.principal, Some("anonymous"));
    policy(DenyKind::Implicit, PolicyType::ResourceBased, &d);
}

// --- S3's own reasons -------------------------------------------------------------------------

#[test]
fn block_public_access_reasons() {
    let reasons = [
        "public policies are blocked by the BlockPublicPolicy block public access setting",
        "public ACLs are blocked by the BlockPublicAcls block public access setting",
        "public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access",
        "public policies are prevented by the BlockPublicPolicy setting in S3 Block Public Access",
        "public ACLs are ignored by the IgnorePublicAcls block public access setting",
        "public buckets are restricted by the RestrictPublicBuckets block public access setting",
    ];
    for reason in reasons {
        let message = format!(
            "User: {USER} is not authorized to perform: s3:PutBucketAcl on resource: \
             \"arn:aws:s3:::b\" because {reason}."
        );
        let d = diagnose(&message);
        assert_eq!(d.deny_kind, DenyKind::ServiceReason, "{reason}");
        assert_eq!(d.denied_by, DeniedBy::BlockPublicAccess, "{reason}");
        assert_eq!(d.service_reason, Some(reason));
    }
}

#[test]
fn sse_c_blocked_reason() {
    let message = format!(
        "User: {USER} is not authorized to perform: s3:PutObject on resource: \
         \"arn:aws:s3:::b/k\" because SSE-C encryption is blocked for this bucket"
    );
    let d = diagnose(&message);
    assert_eq!(d.deny_kind, DenyKind::ServiceReason);
    assert_eq!(d.denied_by, DeniedBy::SseCBlocked);
    assert_eq!(d.service_reason, Some("SSE-C encryption is blocked for this bucket"));
}

#[test]
fn sse_c_blocked_standalone_and_the_unrelated_invalid_argument() {
    let d = diagnose(
        "Requests specifying Server Side Encryption with Customer provided keys must be made \
         over a secure connection; customer-provided key uploads are not allowed for this bucket",
    );
    assert_eq!(d.denied_by, DeniedBy::SseCBlocked);
    // S3's InvalidArgument about SSE-C names no blocking: not a service reason.
    let d = diagnose(
        "Server Side Encryption with Customer provided key is incompatible with the encryption \
         method specified",
    );
    assert_eq!(d, Diagnosis::GENERIC);
}

#[test]
fn object_access_disabled_standalone() {
    let d = diagnose("All access to this object has been disabled");
    assert_eq!(d.deny_kind, DenyKind::ServiceReason);
    assert_eq!(d.denied_by, DeniedBy::ObjectAccessDisabled);
    assert_eq!(d.service_reason, Some("All access to this object has been disabled"));
    assert_eq!(d.principal, None);
}

#[test]
fn acls_disabled_with_sdk_prefix() {
    let d = diagnose(
        "An error occurred (AccessControlListNotSupported) when calling the PutObject \
         operation: The bucket does not allow ACLs",
    );
    assert_eq!(d.deny_kind, DenyKind::ServiceReason);
    assert_eq!(d.denied_by, DeniedBy::AclsDisabled);
    assert_eq!(d.service_reason, Some("The bucket does not allow ACLs"));
}

#[test]
fn unrecognised_because_reason_is_kept() {
    let message = format!(
        "User: {USER} is not authorized to perform: s3:PutObject on resource: \
         \"arn:aws:s3:::b/k\" because the requester pays setting requires x-amz-request-payer."
    );
    let d = diagnose(&message);
    assert_eq!(d.deny_kind, DenyKind::ServiceReason);
    assert_eq!(d.denied_by, DeniedBy::Unknown);
    assert_eq!(d.service_reason, Some("the requester pays setting requires x-amz-request-payer"));
}

// --- Generic and hostile input ----------------------------------------------------------------

#[test]
fn generic_messages() {
    for message in [
        "Access Denied",
        "Forbidden",
        "",
        "An error occurred (AccessDenied) when calling the ListBuckets operation: Access Denied",
        "You are not authorized to perform this operation.",
    ] {
        assert_eq!(diagnose(message), Diagnosis::GENERIC, "{message:?}");
    }
}

#[test]
fn odd_strings_never_panic() {
    let big = "because no explicit deny User: ".repeat(100 * 1024 / 31 + 1);
    let odd = [
        "".to_string(),
        "User:".to_string(),
        "User: ".to_string(),
        "User:x".to_string(),
        "User: a is not authorized to perform:".to_string(),
        "User: a is not authorized to perform: ".to_string(),
        "User: a is not authorized to perform: s3:GetObject on resource:".to_string(),
        "User: a is not authorized to perform: s3:GetObject on resource: \"".to_string(),
        "User: a is not authorized to perform: x with an explicit deny in a".to_string(),
        "User: a is not authorized to perform: x with an explicit deny in a service control policy:".to_string(),
        "User: a is not authorized to perform: x because".to_string(),
        "User: ünïcødé 👩‍💻 is not authorized to perform: s3:Get🙂 on resource: \"arn:aws:s3:::b/ключ\" because no session policy allows".to_string(),
        "ÜSER: é is not authorized to perform: é".to_string(),
        "Encoded authorization failure message:".to_string(),
        "\u{0}\u{1}User:\u{7f}".to_string(),
        "x".repeat(100 * 1024),
        " ".repeat(100 * 1024),
        big,
    ];
    for message in &odd {
        let d = diagnose(message);
        for text in [d.principal, d.action, d.resource, d.service_reason, d.denying_policy_arn]
            .into_iter()
            .flatten()
        {
            assert!(message.contains(text), "{text:?} not borrowed from message");
        }
    }
    let d = diagnose(&odd[11]);
    assert_eq!(d.principal, Some("ünïcødé 👩‍💻"));
    assert_eq!(d.action, Some("s3:Get🙂"));
    assert_eq!(d.resource, Some("arn:aws:s3:::b/ключ"));
    policy(DenyKind::Implicit, PolicyType::SessionPolicy, &d);
    let d = diagnose(&odd[4]);
    assert_eq!((d.principal, d.action, d.deny_kind), (Some("a"), None, DenyKind::Generic));
    let d = diagnose(&odd[1]);
    assert_eq!(d, Diagnosis::GENERIC);
}

#[test]
fn large_message_is_read_in_linear_time() {
    let filler = "no ".repeat(200_000);
    let message = format!(
        "User: {USER} is not authorized to perform: s3:GetObject on resource: {filler} because \
         no identity-based policy allows it"
    );
    let started = std::time::Instant::now();
    let d = diagnose(&message);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    policy(DenyKind::Implicit, PolicyType::IdentityBased, &d);
}

// --- bucket_in_resource -----------------------------------------------------------------------

#[test]
fn bucket_from_s3_arns() {
    assert_eq!(bucket_in_resource("arn:aws:s3:::amzn-s3-demo-bucket"), Some("amzn-s3-demo-bucket"));
    assert_eq!(bucket_in_resource("arn:aws:s3:::logs.example/2024/a:b.gz"), Some("logs.example"));
    assert_eq!(bucket_in_resource("arn:aws-cn:s3:::cn-bucket/k"), Some("cn-bucket"));
    assert_eq!(bucket_in_resource("arn:aws-us-gov:s3:::gov_Legacy/k"), Some("gov_Legacy"));
    assert_eq!(bucket_in_resource("arn:aws:s3:::b/"), Some("b"));
}

#[test]
fn no_bucket_from_other_resources() {
    for resource in [
        "",
        "arn:aws:s3:::",
        "arn:aws:s3:::/key",
        "arn:aws:s3:us-east-1:123456789012:accesspoint/ap",
        "arn:aws:sqs:us-east-1:123456789012:q",
        "arn:other:s3:::b",
        "arn:aws:s3:::b; rm -rf /",
        "s3://b/k",
        "role Admin",
        "this resource",
        "arn:aws:s3",
    ] {
        assert_eq!(bucket_in_resource(resource), None, "{resource:?}");
    }
}
