//! `whydenied policies fetch` against the moto server over HTTP: an account seeded with boto3
//! (`tests/reference/seed_fetch_account.py`, which prints what it seeded), fetched by the
//! binary, loaded by the snapshot loader, compared with the seed; then a scan of denials written
//! by hand for that account names the seeded Deny statements.

use std::path::Path;

use serde_json::Value;
use whydenied::snapshot::{Known, Snapshot};

use crate::common::{python, repo, require, run_checker, stderr, venv, whydenied};
use crate::{aws_endpoint, moto, whydenied_aws};

/// What the seed helper seeded.
fn seed(suffix: &str) -> Value {
    let output = std::process::Command::new(python())
        .arg(repo().join("tests/reference/seed_fetch_account.py"))
        .args([&aws_endpoint(), suffix])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("python runs");
    assert!(output.status.success(), "seeding failed: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("the seed's JSON")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

fn sids(policy: &whydenied::policy::document::Policy) -> Vec<String> {
    policy.statements.iter().map(|s| s.sid.clone().unwrap_or_default()).collect()
}

fn present<T: std::fmt::Debug>(known: Known<T>, what: &str) -> T {
    match known {
        Known::Present(value) => value,
        other => panic!("{what}: {other:?}"),
    }
}

#[test]
fn fetch_writes_what_the_loader_reads_and_the_scan_names_the_seeded_denies() {
    require!(moto(), venv());
    let suffix = format!("f{}", std::process::id());
    let seeded = seed(&suffix);
    let account = seeded["account"].as_str().expect("account");
    let (data, plain) = (
        seeded["buckets"]["data"].as_str().expect("data bucket"),
        seeded["buckets"]["plain"].as_str().expect("plain bucket"),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("policies");
    let buckets = format!("{data},{plain}");
    let fetched = whydenied_aws(&[
        "policies",
        "fetch",
        "--out",
        out.to_str().expect("utf-8"),
        "--buckets",
        &buckets,
    ]);
    let err = stderr(&fetched);
    assert_eq!(fetched.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("policy snapshot of account {account} (aws)")), "{err}");
    assert!(err.contains(", 0 not captured"), "{err}");
    // Nothing of the staging directory is left.
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("the snapshot")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    let marker: Value =
        serde_json::from_slice(&std::fs::read(out.join("SNAPSHOT.json")).expect("SNAPSHOT.json"))
            .expect("JSON");
    assert_eq!(
        (marker["account"].as_str(), marker["partition"].as_str()),
        (Some(account), Some("aws"))
    );

    let (snapshot, problems) = Snapshot::load(&out).expect("a snapshot");
    assert!(problems.is_empty(), "the loader reads every file the fetcher wrote: {problems:?}");
    assert_eq!(snapshot.accounts().collect::<Vec<_>>(), [account]);

    // IAM: the user's own, group and attached policies; the role's, its boundary and trust.
    let user = present(snapshot.identity(seeded["user"]["arn"].as_str().expect("arn")), "user");
    let mut names: Vec<String> = user.identity_policies.iter().map(|p| p.name.clone()).collect();
    names.sort();
    assert_eq!(names, strings(&seeded["user"]["policies"]));
    let inline = user.identity_policies.iter().find(|p| p.name.ends_with("#inline/AliceInline"));
    assert_eq!(sids(inline.expect("the user's inline policy")), ["AllowS3", "DenyBucketDeletion"]);
    assert_eq!(user.tags, [("team".to_string(), "data".to_string())]);
    let role = present(snapshot.identity(seeded["role"]["arn"].as_str().expect("arn")), "role");
    let mut names: Vec<String> = role.identity_policies.iter().map(|p| p.name.clone()).collect();
    names.sort();
    assert_eq!(names, strings(&seeded["role"]["policies"]));
    assert_eq!(
        role.permissions_boundary.map(|b| b.name),
        seeded["role"]["boundary"].as_str().map(str::to_string)
    );
    assert_eq!(
        sids(&role.trust_policy.expect("a trust policy")),
        strings(&seeded["role"]["trust_sids"])
    );
    assert_eq!(role.tags, [("env".to_string(), "prod".to_string())]);

    // Organization: the member account's chains, level by level, by policy name.
    let member = seeded["member"].as_str().expect("member");
    for (kind, chain) in [
        ("SERVICE_CONTROL_POLICY", snapshot.scp_chain(member)),
        ("RESOURCE_CONTROL_POLICY", snapshot.rcp_chain(member)),
    ] {
        let levels = present(chain, kind).expect("the member account is governed");
        let names: Vec<Vec<String>> = levels
            .iter()
            .map(|level| {
                let mut names: Vec<String> = level
                    .iter()
                    .map(|p| {
                        snapshot
                            .organization_policy(&p.name)
                            .expect("a listed policy")
                            .1
                            .to_string()
                    })
                    .collect();
                names.sort();
                names
            })
            .collect();
        let expected: Vec<Vec<String>> =
            seeded["chains"][kind].as_array().expect("levels").iter().map(strings).collect();
        assert_eq!(names, expected, "{kind}");
    }
    // The management account (the caller) is governed by neither.
    assert!(matches!(snapshot.scp_chain(account), Known::Present(None)));

    // S3: the data bucket's settings, and the plain one's known absence of each.
    let policy = present(snapshot.bucket_policy(data), "bucket policy");
    assert_eq!(sids(&policy), strings(&seeded["buckets"]["data_policy_sids"]));
    let bpa = present(snapshot.block_public_access(data), "block public access");
    assert!(bpa.restrict_public_buckets);
    assert!(matches!(snapshot.bucket_policy(plain), Known::Absent));
    let bpa = present(snapshot.block_public_access(plain), "plain bucket's block public access");
    assert!(!bpa.restrict_public_buckets, "no bucket setting, the account's all off");
    let bucket_dir = out.join(format!("accounts/{account}/s3/buckets/{data}"));
    let ownership = read_json(&bucket_dir.join("get-bucket-ownership-controls.json"));
    assert_eq!(
        ownership["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    let tagging = read_json(&bucket_dir.join("get-bucket-tagging.json"));
    assert_eq!(tagging["TagSet"], serde_json::json!([{"Key": "class", "Value": "data"}]));
    let plain_dir = out.join(format!("accounts/{account}/s3/buckets/{plain}"));
    for (command, code) in [
        ("get-bucket-policy", "NoSuchBucketPolicy"),
        ("get-public-access-block", "NoSuchPublicAccessBlockConfiguration"),
        ("get-bucket-ownership-controls", "OwnershipControlsNotFoundError"),
        ("get-bucket-tagging", "NoSuchTagSet"),
    ] {
        let text =
            std::fs::read_to_string(plain_dir.join(format!("{command}.err"))).expect(command);
        assert!(
            text.contains(&format!("An error occurred ({code}) when calling the ")),
            "{command}: {text}"
        );
    }

    // KMS and the VPC endpoint.
    let key =
        present(snapshot.key_policy(seeded["key"]["id"].as_str().expect("key")), "key policy");
    assert_eq!(key.name, format!("{}#key-policy", seeded["key"]["arn"].as_str().expect("arn")));
    assert_eq!(sids(&key), strings(&seeded["key"]["sids"]));
    let vpce = seeded["endpoint"]["id"].as_str().expect("endpoint");
    assert_eq!(
        sids(&present(snapshot.endpoint_policy(vpce), "endpoint policy")),
        strings(&seeded["endpoint"]["sids"])
    );

    // The scan names the seeded Deny statements.
    scan_names_the_denies(dir.path(), &out, &seeded);

    // Again into the same snapshot, without the organization: the account's directory is
    // replaced, the tree and the earlier capture time stay.
    let again = whydenied_aws(&[
        "policies",
        "fetch",
        "--out",
        out.to_str().expect("utf-8"),
        "--buckets",
        data,
        "--no-org",
    ]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let remarked = read_json(&out.join("SNAPSHOT.json"));
    assert_eq!(remarked["captured_at"], marker["captured_at"]);
    assert!(out.join("organization/list-roots.json").is_file());
    assert!(!out.join(format!("accounts/{account}/s3/buckets/{plain}")).exists(), "replaced");
    // A directory that holds anything else is refused, and left as it was.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("notes.txt"), "mine").expect("write");
    let refused = whydenied_aws(&["policies", "fetch", "--out", other.to_str().expect("utf-8")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("is neither empty nor a policy snapshot"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::read_dir(&other).expect("listed").count(), 1);
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .expect("JSON")
}

/// Two denials of the seeded account, written by hand as CloudTrail delivers them, and the
/// verdict each must get: the user's inline Deny, and the data bucket's policy's Deny.
fn scan_names_the_denies(dir: &Path, policies: &Path, seeded: &Value) {
    let account = seeded["account"].as_str().expect("account");
    let user_arn = seeded["user"]["arn"].as_str().expect("arn");
    let role_arn = seeded["role"]["arn"].as_str().expect("arn");
    let role_name = role_arn.rsplit('/').next().expect("a role name");
    let (data, plain) = (
        seeded["buckets"]["data"].as_str().expect("data"),
        seeded["buckets"]["plain"].as_str().expect("plain"),
    );
    // An hour before the capture, which the trail shows no change after.
    let at =
        (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let session_arn = format!("arn:aws:sts::{account}:assumed-role/{role_name}/ci");
    let records = serde_json::json!({"Records": [
        {
            "eventVersion": "1.11",
            "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE", "arn": user_arn,
                "accountId": account, "accessKeyId": "AKIAEXAMPLEALICE", "userName": user_arn.rsplit('/').next()},
            "eventTime": at, "eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket",
            "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.17.0",
            "errorCode": "AccessDenied",
            "errorMessage": format!("User: {user_arn} is not authorized to perform: s3:DeleteBucket on resource: \"arn:aws:s3:::{plain}\" with an explicit deny in an identity-based policy"),
            "requestParameters": {"bucketName": plain, "Host": format!("{plain}.s3.us-east-1.amazonaws.com")},
            "responseElements": null, "requestID": "FETCHTEST0000001", "eventID": "00000000-0000-4000-8000-000000000001",
            "readOnly": false, "resources": [{"accountId": account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{plain}")}],
            "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": account, "eventCategory": "Management"
        },
        {
            "eventVersion": "1.11",
            "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLEDEPLOY:ci", "arn": session_arn,
                "accountId": account, "accessKeyId": "ASIAEXAMPLEDEPLOY",
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEDEPLOY",
                    "arn": role_arn, "accountId": account, "userName": role_name},
                    "attributes": {"creationDate": at, "mfaAuthenticated": "false"}}},
            "eventTime": at, "eventSource": "s3.amazonaws.com", "eventName": "DeleteObject",
            "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.8", "userAgent": "aws-sdk-go-v2/1.30.0",
            "errorCode": "AccessDenied",
            "errorMessage": format!("User: {session_arn} is not authorized to perform: s3:DeleteObject on resource: \"arn:aws:s3:::{data}/exports/a.json\" with an explicit deny in a resource-based policy"),
            "requestParameters": {"bucketName": data, "Host": format!("{data}.s3.us-east-1.amazonaws.com"), "key": "exports/a.json"},
            "responseElements": null, "requestID": "FETCHTEST0000002", "eventID": "00000000-0000-4000-8000-000000000002",
            "readOnly": false, "resources": [{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{data}/exports/a.json")},
                {"accountId": account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{data}")}],
            "eventType": "AwsApiCall", "managementEvent": false, "recipientAccountId": account, "eventCategory": "Data"
        }
    ]});
    let trail = dir.join("trail.json");
    std::fs::write(&trail, records.to_string()).expect("write the trail");
    let reports = dir.join("reports");
    let scanned = whydenied(&[
        "scan",
        trail.to_str().expect("utf-8"),
        "--out",
        reports.to_str().expect("utf-8"),
        "--policies",
        policies.to_str().expect("utf-8"),
    ]);
    assert_eq!(scanned.status.code(), Some(0), "{}", stderr(&scanned));
    let truth = format!(
        "event_id,verdict,layer,policy,statement,note\n\
         00000000-0000-4000-8000-000000000001,explicit_deny,identity_policy,{user_arn}#inline/AliceInline,DenyBucketDeletion,\n\
         00000000-0000-4000-8000-000000000002,explicit_deny,resource_policy,arn:aws:s3:::{data}#bucket-policy,DenyObjectDeletion,\n"
    );
    let truth_path = dir.join("truth.csv");
    std::fs::write(&truth_path, truth).expect("write the truth");
    run_checker("check_verdicts.py", &[&reports, &truth_path]);
}
