//! The sample's third log: one hand-shaped record (or a few) per case real trails showed the
//! classifier and the hints getting wrong (issue 17), written in AWS's documented shapes, so
//! that `sample-logs/` exercises every branch: a VPC endpoint's network activity denial,
//! service-specific authorization codes, a role a service could not use, actions a message
//! names in upper case, not at all or in SES's quotes, API Gateway verbs, object versions, the
//! KMS "one of three" message, cross-account pass role, GetSessionToken, billing access, an
//! Organizations delegated administrator, a cross-account private CA, and a group that mixes an
//! explicit deny with missing Allows.

use super::*;

/// Account, region and start of the cases: the sample's second day, 15:00 UTC.
const ACCT: &str = "111122223333";
const REGION: &str = "us-east-1";

/// One case: who, what, and how it failed.
struct Case {
    who: fn() -> J,
    source: &'static str,
    name: &'static str,
    code: &'static str,
    /// `None`: the record has no errorMessage (some services write none).
    message: Option<&'static str>,
    params: fn() -> J,
    /// Written as a network activity event through [`VPC_ENDPOINT`].
    network: bool,
}

fn alice() -> J {
    obj! {"type": "IAMUser", "principalId": "AIDACASESALICE000001", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": ACCT, "accessKeyId": "AKIACASESALICE000001", "userName": "alice"}
}

fn assumed(role: &'static str, session: &'static str) -> J {
    let name = role.rsplit('/').next().unwrap_or(role);
    obj! {
        "type": "AssumedRole", "principalId": format!("AROA{:016X}:{session}", fnv(name)),
        "arn": format!("arn:aws:sts::{ACCT}:assumed-role/{name}/{session}"), "accountId": ACCT,
        "accessKeyId": "ASIACASESROLE0000001",
        "sessionContext": obj! {
            "sessionIssuer": obj! {"type": "Role", "principalId": format!("AROA{:016X}", fnv(name)), "arn": format!("arn:aws:iam::{ACCT}:role/{role}"), "accountId": ACCT, "userName": name},
            "attributes": obj! {"creationDate": "2026-11-03T14:50:00Z", "mfaAuthenticated": "false"},
        },
    }
}

fn pipeline() -> J {
    assumed("DataPipelineRole", "etl")
}
fn audit() -> J {
    assumed("SecurityAudit", "audit")
}
fn app() -> J {
    assumed("app", "i-0abc1234def567890")
}
fn no_params() -> J {
    J::Null
}

const PCA: &str = "arn:aws:acm-pca:us-east-1:444455556666:certificate-authority/11223344-1234-1122-2233-112233445566";
const ONE_OF_THREE: &str = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab because the resource does not exist in this Region, no resource-based policies allow access, or a resource-based policy explicitly denies access";
const PUT_ITEM_NO_ALLOW: &str = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/orders because no identity-based policy allows the dynamodb:PutItem action";
const PUT_ITEM_SCP: &str = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:111122223333:table/orders with an explicit deny in a service control policy";

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { who: pipeline, source: KMS, name: "Decrypt", code: "VpceAccessDenied", message: Some("The request was denied due to a VPC endpoint policy"), params: no_params, network: true },
    Case { who: pipeline, source: KMS, name: "GenerateDataKey", code: "VpceAccessDenied", message: Some("The request was denied due to a VPC endpoint policy"), params: no_params, network: true },
    Case { who: app, source: LAMBDA, name: "Invoke", code: "KMSAccessDeniedException", message: Some("Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's AWS KMS key settings."), params: || obj! {"functionName": "order-processor"}, network: false },
    Case { who: alice, source: "dms.amazonaws.com", name: "CreateEndpoint", code: "AccessDeniedFault", message: Some("AWS DMS was denied access to the endpoint. Check that the role is correctly configured."), params: || obj! {"endpointIdentifier": "orders-src", "endpointType": "source"}, network: false },
    Case { who: alice, source: "cloudtrail.amazonaws.com", name: "CreateTrail", code: "InvalidCloudWatchLogsRoleArnException", message: Some("Access denied. Check the trust relationships for your role."), params: || obj! {"name": "audit-trail", "cloudWatchLogsRoleArn": "arn:aws:iam::111122223333:role/CloudTrail_CloudWatchLogs_Role"}, network: false },
    Case { who: alice, source: "sns.amazonaws.com", name: "ListTopics", code: "AuthorizationError", message: Some("User: arn:aws:iam::111122223333:user/alice is not authorized to perform: SNS:ListTopics on resource: arn:aws:sns:us-east-1:111122223333:* because no identity-based policy allows the SNS:ListTopics action"), params: no_params, network: false },
    Case { who: audit, source: "account.amazonaws.com", name: "ListRegions", code: "AccessDeniedException", message: Some("User is not authorized to perform this action"), params: no_params, network: false },
    Case { who: app, source: "email.amazonaws.com", name: "SendRawEmail", code: "AccessDenied", message: Some("User `arn:aws:sts::111122223333:assumed-role/app/i-0abc1234def567890' is not authorized to perform `ses:SendRawEmail' on resource `arn:aws:ses:us-east-1:111122223333:identity/example.com'"), params: || obj! {"source": "noreply@example.com"}, network: false },
    Case { who: alice, source: "apigateway.amazonaws.com", name: "CreateRestApi", code: "AccessDeniedException", message: None, params: || obj! {"name": "orders-api"}, network: false },
    Case { who: pipeline, source: S3, name: "GetObject", code: "AccessDenied", message: Some("Access Denied"), params: || obj! {"bucketName": "data-lake-raw", "key": "orders/2026/11/02.parquet", "versionId": "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"}, network: false },
    Case { who: pipeline, source: S3, name: "DeleteObject", code: "AccessDenied", message: Some("Access Denied"), params: || obj! {"bucketName": "data-lake-raw", "key": "orders/2026/11/01.parquet", "versionId": "UIORUnfndfiufdisojhr398493jfdkjFJjk"}, network: false },
    Case { who: alice, source: KMS, name: "Decrypt", code: "AccessDeniedException", message: Some(ONE_OF_THREE), params: || obj! {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}, network: false },
    Case { who: alice, source: LAMBDA, name: "CreateFunction20150331", code: "AccessDeniedException", message: Some("Cross-account pass role is not allowed."), params: || obj! {"functionName": "etl", "role": "arn:aws:iam::444455556666:role/etl-exec"}, network: false },
    Case { who: alice, source: STS, name: "GetSessionToken", code: "AccessDenied", message: Some("MultiFactorAuthentication failed with invalid MFA one time pass code."), params: || obj! {"durationSeconds": 43200_u64, "serialNumber": "arn:aws:iam::111122223333:mfa/alice"}, network: false },
    Case { who: alice, source: "ce.amazonaws.com", name: "GetCostAndUsage", code: "AccessDeniedException", message: Some("IAM user access not activated"), params: || obj! {"granularity": "MONTHLY"}, network: false },
    Case { who: audit, source: "organizations.amazonaws.com", name: "ListAccounts", code: "AccessDeniedException", message: Some("You don't have permissions to access this resource."), params: no_params, network: false },
    Case { who: app, source: "acm-pca.amazonaws.com", name: "IssueCertificate", code: "AccessDeniedException", message: Some("User: arn:aws:sts::111122223333:assumed-role/app/i-0abc1234def567890 is not authorized to perform: acm-pca:IssueCertificate on resource: arn:aws:acm-pca:us-east-1:444455556666:certificate-authority/11223344-1234-1122-2233-112233445566"), params: || obj! {"certificateAuthorityArn": PCA, "signingAlgorithm": "SHA256WITHRSA"}, network: false },
    Case { who: alice, source: DDB, name: "PutItem", code: "AccessDeniedException", message: Some(PUT_ITEM_NO_ALLOW), params: || obj! {"tableName": "orders"}, network: false },
    Case { who: alice, source: DDB, name: "PutItem", code: "AccessDeniedException", message: Some(PUT_ITEM_NO_ALLOW), params: || obj! {"tableName": "orders"}, network: false },
    Case { who: alice, source: DDB, name: "PutItem", code: "AccessDeniedException", message: Some(PUT_ITEM_SCP), params: || obj! {"tableName": "orders"}, network: false },
];

/// Writes [`CASES`] into one log object of account [`ACCT`], a minute apart.
pub(super) fn write_cases(rng: &mut Rng, out: &Path, tally: &mut Tally) -> io::Result<()> {
    let start = SAMPLE_START + DAY + 15 * 3600;
    let last = start + 60 * CASES.len() as i64;
    let mut writer =
        LogWriter::create(out, log_key(rng, ACCT, REGION, last + 600), Compression::best())?;
    for (i, case) in CASES.iter().enumerate() {
        let time = start + 60 * i as i64;
        let (event_type, category) = if case.network {
            ("AwsVpceEvent", "NetworkActivity")
        } else {
            ("AwsApiCall", "Management")
        };
        let host = case.source.replace(".amazonaws.com", &format!(".{REGION}.amazonaws.com"));
        let (source_ip, agent) = if case.network {
            ("10.0.141.54".to_owned(), "aws-sdk-java/2.29.2 Linux/5.10")
        } else {
            ("203.0.113.77".to_owned(), "aws-cli/2.22.4 md/Botocore#1.35.70 os/linux")
        };
        let record = obj! {
            "eventVersion": "1.11", "userIdentity": (case.who)(), "eventTime": iso(time),
            "eventSource": case.source, "eventName": case.name, "awsRegion": REGION,
            "sourceIPAddress": source_ip, "userAgent": agent,
            "errorCode": case.code, "errorMessage": opt(case.message),
            "requestParameters": if case.network { J::Skip } else { (case.params)() },
            "responseElements": if case.network { J::Skip } else { J::Null },
            "requestID": rng.uuid(), "eventID": rng.uuid(),
            "readOnly": case.name.starts_with("Get") || case.name.starts_with("List"),
            "eventType": event_type, "managementEvent": !case.network,
            "recipientAccountId": ACCT, "sharedEventID": opt(case.network.then(|| rng.uuid())),
            "vpcEndpointId": opt(case.network.then_some(VPC_ENDPOINT)),
            "vpcEndpointAccountId": opt(case.network.then_some(ACCT)),
            "eventCategory": category,
            "tlsDetails": if case.network { J::Skip } else { obj! {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": host} },
        };
        writer.push(&record, time)?;
        tally.records += 1;
        *tally.failures.entry(case.code).or_default() += 1;
    }
    writer.finish()?;
    Ok(())
}

/// The role [`write_transient`]'s session is first refused, then allowed, to assume.
const TRANSIENT_ROLE: &str = "arn:aws:iam::111122223333:role/deploy-role";

/// Issue 17's transient case, in a log object of its own after [`write_cases`] (so that every
/// object before it stays the same): the DataPipelineRole session is refused `sts:AssumeRole` on
/// [`TRANSIENT_ROLE`] with a bare message, and assumes it successfully 20 seconds later — IAM
/// propagation after a change, not a policy to fix.
pub(super) fn write_transient(rng: &mut Rng, out: &Path, tally: &mut Tally) -> io::Result<()> {
    let denied_at = SAMPLE_START + DAY + 16 * 3600;
    let assumed_at = denied_at + 20;
    let mut writer =
        LogWriter::create(out, log_key(rng, ACCT, REGION, assumed_at + 600), Compression::best())?;
    let message = format!(
        "User: arn:aws:sts::{ACCT}:assumed-role/DataPipelineRole/etl is not authorized to perform: sts:AssumeRole on resource: {TRANSIENT_ROLE}"
    );
    for (time, denied) in [(denied_at, true), (assumed_at, false)] {
        let response = obj! {
            "credentials": obj! {"accessKeyId": "ASIATRANSIENT0000001", "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "expiration": iso(time + 3600)},
            "assumedRoleUser": obj! {"assumedRoleId": "AROATRANSIENTDEPLOY1:deploy", "arn": format!("arn:aws:sts::{ACCT}:assumed-role/deploy-role/deploy")},
        };
        let record = obj! {
            "eventVersion": "1.11", "userIdentity": pipeline(), "eventTime": iso(time),
            "eventSource": STS, "eventName": "AssumeRole", "awsRegion": REGION,
            "sourceIPAddress": "203.0.113.77", "userAgent": "aws-cli/2.22.4 md/Botocore#1.35.70 os/linux",
            "errorCode": opt(denied.then_some(AD)), "errorMessage": opt(denied.then(|| message.clone())),
            "requestParameters": obj! {"roleArn": TRANSIENT_ROLE, "roleSessionName": "deploy"},
            "responseElements": if denied { J::Null } else { response },
            "requestID": rng.uuid(), "eventID": rng.uuid(), "readOnly": true,
            "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": ACCT,
            "eventCategory": "Management",
        };
        writer.push(&record, time)?;
        tally.records += 1;
        if denied {
            *tally.failures.entry(AD).or_default() += 1;
        }
    }
    writer.finish()?;
    Ok(())
}
