//! The loader over `tests/fixtures/snapshot/`: a full tree of AWS CLI v2 outputs, shaped as
//! AWS documents them (two accounts, an organization root → OU → account with SCPs at the root
//! and the OU, RCPs not enabled). The expected values below are read off those files by hand.
//! Each damaged variant is a copy of the tree with one file changed.

use super::*;
use crate::policy::document::{Effect, Listed, PrincipalValue};
use std::fs;

const WORKLOADS: &str = "444455556666";
const MANAGEMENT: &str = "111122223333";
const ALICE: &str = "arn:aws:iam::444455556666:user/alice";
const ETL: &str = "arn:aws:iam::444455556666:role/service/etl-runner";
const KEY: &str = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/snapshot")
}

fn load_clean() -> Snapshot {
    let (snapshot, problems) = Snapshot::load(&fixture()).expect("the fixture loads");
    assert!(problems.is_empty(), "{problems:?}");
    snapshot
}

/// A copy of the fixture in a temporary directory, to damage.
fn copy() -> tempfile::TempDir {
    fn walk(from: &Path, to: &Path) {
        fs::create_dir_all(to).expect("mkdir");
        for entry in fs::read_dir(from).expect("list") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.path().is_dir() {
                walk(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), target).expect("copy");
            }
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    walk(&fixture(), dir.path());
    dir
}

fn names(policies: &[Policy]) -> Vec<&str> {
    policies.iter().map(|p| p.name.as_str()).collect()
}

fn labels(policy: &Policy) -> Vec<String> {
    policy.statements.iter().map(|s| s.label()).collect()
}

fn actions(policy: &Policy) -> Vec<String> {
    match &policy.statements[0].action {
        Listed::Is(list) => list.clone(),
        other => panic!("{other:?}"),
    }
}

fn gap<T: std::fmt::Debug>(known: Known<T>) -> String {
    match known {
        Known::NotCaptured(Gap(id)) => id,
        other => panic!("expected a gap, got {other:?}"),
    }
}

fn present<T: std::fmt::Debug>(known: Known<T>) -> T {
    match known {
        Known::Present(t) => t,
        other => panic!("expected present, got {other:?}"),
    }
}

#[test]
fn the_tree_loads_with_its_time_and_accounts() {
    let s = load_clean();
    assert_eq!(s.accounts().collect::<Vec<_>>(), [MANAGEMENT, WORKLOADS]);
    let at = DateTime::parse_from_rfc3339("2026-11-05T08:30:00Z").unwrap().with_timezone(&Utc);
    assert_eq!(
        (s.captured_at(), s.captured_at_source()),
        (Some(at), CapturedAtSource::SnapshotFile)
    );
    assert_eq!(s.partition(), "aws");
}

#[test]
fn a_user_has_its_own_its_groups_and_default_versions_only() {
    let s = load_clean();
    let alice = present(s.identity(ALICE));
    assert_eq!((alice.arn.as_str(), alice.account.as_str()), (ALICE, WORKLOADS));
    // Inline, attached, then the group's inline and attached; ReadOnlyAccess (attached to both
    // the user and the group) once.
    assert_eq!(
        names(&alice.identity_policies),
        [
            "arn:aws:iam::444455556666:user/alice#inline/ManageOwnKeys",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::444455556666:group/developers#inline/DenyProdDelete",
            "arn:aws:iam::444455556666:policy/DataLakeRead",
        ]
    );
    let p = &alice.identity_policies;
    // v3 of ReadOnlyAccess and v2 of DataLakeRead are the defaults; v2 / v1 are not in force.
    assert_eq!(actions(&p[1]), ["s3:Get*", "s3:List*", "kms:Describe*"]);
    assert_eq!(labels(&p[3]), ["ReadLake"]);
    assert_eq!(p[2].statements[0].effect, Effect::Deny);
    assert_eq!(alice.tags, [("team".into(), "data".into()), ("cost-center".into(), "4711".into())]);
    assert!(alice.permissions_boundary.is_none() && alice.trust_policy.is_none());
    // By unique id: the same user.
    assert_eq!(present(s.identity("AIDAJQABLZS4A3QDU576Q")).arn, ALICE);
}

#[test]
fn a_role_by_arn_with_or_without_path_by_session_and_by_unique_id() {
    let s = load_clean();
    for asked in [
        ETL,
        "arn:aws:iam::444455556666:role/etl-runner",
        "arn:aws:sts::444455556666:assumed-role/etl-runner/glue-job-7",
        "AROAJ52OTH4H7LEXAMPLE",
        "AROAJ52OTH4H7LEXAMPLE:glue-job-7",
    ] {
        assert_eq!(present(s.identity(asked)).arn, ETL, "{asked}");
    }
    let etl = present(s.identity(ETL));
    assert_eq!(
        names(&etl.identity_policies),
        [
            "arn:aws:iam::444455556666:role/service/etl-runner#inline/WriteCurated",
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        ]
    );
    // Not in the GAAD: from iam/policies/<url-encoded arn>/get-policy-version.json.
    assert!(actions(&etl.identity_policies[1]).contains(&"s3-object-lambda:List*".to_string()));
    let boundary = etl.permissions_boundary.expect("a boundary");
    assert_eq!(
        (boundary.name.as_str(), labels(&boundary)),
        ("arn:aws:iam::444455556666:policy/EtlBoundary", vec!["S3Only".into()])
    );
    let trust = etl.trust_policy.expect("a trust policy");
    assert_eq!(trust.name, format!("{ETL}#trust-policy"));
    assert_eq!(
        trust.statements[0].principal,
        Listed::Is(vec![PrincipalValue::Service("glue.amazonaws.com".into())])
    );
    assert_eq!(etl.tags, [("owner".into(), "etl".into())]);
    // A path that is not the role's is another role.
    let other = "arn:aws:iam::444455556666:role/other/etl-runner";
    assert_eq!(gap(s.identity(other)), format!("identity:{other}:not-in-gaad"));
}

#[test]
fn url_encoded_documents_as_the_api_returns_them() {
    let s = load_clean();
    let audit = present(s.identity("arn:aws:sts::111122223333:assumed-role/audit/ops"));
    assert_eq!(
        names(&audit.identity_policies),
        [
            "arn:aws:iam::111122223333:role/audit#inline/ReadTrail",
            "arn:aws:iam::aws:policy/ReadOnlyAccess"
        ]
    );
    assert_eq!(labels(&audit.identity_policies[0]), ["Trail"]);
    // AWS-managed policies are the same everywhere: this GAAD lacks it, the other has it.
    assert_eq!(actions(&audit.identity_policies[1]), ["s3:Get*", "s3:List*", "kms:Describe*"]);
    let trust = audit.trust_policy.expect("trust");
    let condition = &trust.statements[0].conditions[0];
    assert_eq!(
        (condition.key.as_str(), condition.values.clone()),
        ("aws:MultiFactorAuthPresent", vec!["true".into()])
    );
}

#[test]
fn identities_not_found_say_why() {
    let s = load_clean();
    assert_eq!(
        gap(s.identity("arn:aws:iam::999900001111:user/bob")),
        "account:999900001111:not-in-snapshot"
    );
    let bob = "arn:aws:iam::444455556666:user/bob";
    assert_eq!(gap(s.identity(bob)), format!("identity:{bob}:not-in-gaad"));
    assert_eq!(gap(s.identity("AIDAEXAMPLENOBODY")), "identity:AIDAEXAMPLENOBODY:not-in-gaad");
    assert_eq!(gap(s.identity("not an arn")), "identity:not an arn:not-in-gaad");
}

#[test]
fn buckets_present_known_absent_and_not_captured() {
    let s = load_clean();
    // data-lake: a policy (the empty .err beside it is ignored), BPA restricting.
    let policy = present(s.bucket_policy("data-lake"));
    assert_eq!(
        (policy.name.as_str(), labels(&policy)),
        ("arn:aws:s3:::data-lake#bucket-policy", vec!["DenyNoVpce".into()])
    );
    let bpa = present(s.block_public_access("data-lake"));
    assert_eq!(
        bpa,
        BlockPublicAccess { restrict_public_buckets: true, policy_is_public: Some(false) }
    );
    // logs-archive: NoSuchBucketPolicy, NoSuchPublicAccessBlockConfiguration (all off), and the
    // account's RestrictPublicBuckets is false.
    assert!(matches!(s.bucket_policy("logs-archive"), Known::Absent));
    let bpa = present(s.block_public_access("logs-archive"));
    assert_eq!(
        bpa,
        BlockPublicAccess { restrict_public_buckets: false, policy_is_public: Some(false) }
    );
    // secret-bucket: AccessDenied while fetching.
    assert_eq!(gap(s.bucket_policy("secret-bucket")), "bucket-policy:secret-bucket:not-captured");
    assert_eq!(
        gap(s.block_public_access("secret-bucket")),
        "block-public-access:secret-bucket:not-captured"
    );
    // unfetched-bucket: listed by list-buckets, no directory.
    assert_eq!(s.bucket_account("unfetched-bucket"), Some(WORKLOADS));
    assert_eq!(
        gap(s.bucket_policy("unfetched-bucket")),
        "bucket-policy:unfetched-bucket:not-captured"
    );
    assert_eq!(s.bucket_account("data-lake"), Some(WORKLOADS));
    assert_eq!(s.bucket_account("elsewhere"), None);
    assert_eq!(gap(s.bucket_policy("elsewhere")), "bucket-policy:elsewhere:not-in-snapshot");
}

#[test]
fn scp_chains_root_first_and_the_accounts_they_do_not_govern() {
    let s = load_clean();
    let full = "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess";
    let leave =
        "arn:aws:organizations::111122223333:policy/o-a1b2c3d4e5/service_control_policy/p-5e6f7a8b";
    let eu =
        "arn:aws:organizations::111122223333:policy/o-a1b2c3d4e5/service_control_policy/p-1a2b3c4d";
    let want = vec![vec![full, leave], vec![full, eu], vec![full]];
    for account in [WORKLOADS, "777788889999"] {
        // 777788889999 is in the organization without an account directory: its chain is known.
        let chain = present(s.scp_chain(account)).expect("governed");
        let got: Vec<Vec<&str>> = chain.iter().map(|level| names(level)).collect();
        assert_eq!(got, want, "{account}");
        assert_eq!(labels(&chain[1][1]), ["DenyOutsideEU"]);
    }
    assert!(present(s.scp_chain(MANAGEMENT)).is_none(), "the management account is not governed");
    assert!(present(s.rcp_chain(WORKLOADS)).is_none(), "RCPs are not enabled on the root");
    assert_eq!(
        gap(s.scp_chain("123456789012")),
        "scp-chain:123456789012:account-not-in-org-snapshot"
    );
    assert_eq!(s.organization_policy(eu), Some(("p-1a2b3c4d", "DenyOutsideEU")));
    assert_eq!(s.organization_policy(full), Some(("p-FullAWSAccess", "FullAWSAccess")));
    assert_eq!(s.organization_policy("arn:aws:iam::aws:policy/ReadOnlyAccess"), None);
}

#[test]
fn key_and_endpoint_policies() {
    let s = load_clean();
    for asked in [KEY, "1234abcd-12ab-34cd-56ef-1234567890ab"] {
        let policy = present(s.key_policy(asked));
        assert_eq!(policy.name, format!("{KEY}#key-policy"));
        assert_eq!(labels(&policy), ["Enable IAM User Permissions"]);
    }
    assert_eq!(gap(s.key_policy("0000")), "key-policy:0000:not-in-snapshot");
    let endpoint = present(s.endpoint_policy("vpce-0a1b2c3d4e5f60718"));
    assert_eq!(
        (endpoint.name.as_str(), labels(&endpoint)),
        ("vpce-0a1b2c3d4e5f60718#endpoint-policy", vec!["OnlyDataLake".into()])
    );
    assert!(
        matches!(s.endpoint_policy("vpce-0fedcba9876543210"), Known::Absent),
        "a GWLB endpoint has none"
    );
    assert_eq!(gap(s.endpoint_policy("vpce-0123")), "endpoint-policy:vpce-0123:not-in-snapshot");
}

/// Each output file whose loss leaves exactly its piece unknown, with that piece's gap.
type Piece = (&'static str, &'static str, fn(&Snapshot) -> String);

const ORG: &str = "organization";
const PIECES: &[Piece] = &[
    (
        "accounts/444455556666/iam/get-account-authorization-details",
        "gaad:444455556666:not-captured",
        |s| gap(s.identity(ALICE)),
    ),
    (
        "accounts/444455556666/iam/policies/arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAmazonS3ReadOnlyAccess/get-policy-version",
        "managed-policy:arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess:not-captured",
        |s| gap(s.identity(ETL)),
    ),
    (
        "accounts/444455556666/s3/buckets/data-lake/get-bucket-policy",
        "bucket-policy:data-lake:not-captured",
        |s| gap(s.bucket_policy("data-lake")),
    ),
    (
        "accounts/444455556666/s3/buckets/data-lake/get-public-access-block",
        "block-public-access:data-lake:not-captured",
        |s| gap(s.block_public_access("data-lake")),
    ),
    (
        "accounts/444455556666/s3control/get-public-access-block",
        "account-block-public-access:444455556666:not-captured",
        |s| gap(s.block_public_access("logs-archive")),
    ),
    (
        "accounts/444455556666/kms/eu-west-1/keys/1234abcd-12ab-34cd-56ef-1234567890ab/get-key-policy",
        "key-policy:1234abcd-12ab-34cd-56ef-1234567890ab:not-captured",
        |s| gap(s.key_policy(KEY)),
    ),
    (
        "accounts/444455556666/ec2/eu-west-1/describe-vpc-endpoints",
        "endpoint-policy:vpce-0a1b2c3d4e5f60718:not-captured",
        |s| gap(s.endpoint_policy("vpce-0a1b2c3d4e5f60718")),
    ),
    (
        "organization/describe-organization",
        "scp-chain:444455556666:organization-not-captured",
        |s| gap(s.scp_chain(WORKLOADS)),
    ),
    ("organization/list-roots", "scp-chain:444455556666:roots-not-captured", |s| {
        gap(s.scp_chain(WORKLOADS))
    }),
    (
        "organization/parents/ou-a1b2-f6g7h8i9/list-accounts-for-parent",
        "scp-chain:444455556666:tree-not-captured",
        |s| gap(s.scp_chain(WORKLOADS)),
    ),
    (
        "organization/list-policies-SERVICE_CONTROL_POLICY",
        "scp-chain:444455556666:policy-list-not-captured",
        |s| gap(s.scp_chain(WORKLOADS)),
    ),
    (
        "organization/policies/p-1a2b3c4d/describe-policy",
        "scp-chain:444455556666:policy-p-1a2b3c4d-not-captured",
        |s| gap(s.scp_chain(WORKLOADS)),
    ),
    (
        "organization/policies/p-5e6f7a8b/list-targets-for-policy",
        "scp-chain:444455556666:targets-of-p-5e6f7a8b-not-captured",
        |s| gap(s.scp_chain(WORKLOADS)),
    ),
];

/// What stays known whichever one piece is lost (unless it is that piece).
fn the_rest_still_loads(s: &Snapshot, lost: &str) {
    if !lost.contains("iam/") {
        assert_eq!(present(s.identity(ETL)).arn, ETL, "{lost}");
    }
    if !lost.contains("s3") {
        assert!(matches!(s.bucket_policy("logs-archive"), Known::Absent), "{lost}");
    }
    if !lost.starts_with(ORG) {
        assert!(present(s.scp_chain(WORKLOADS)).is_some(), "{lost}");
    }
    if !lost.contains("kms/") {
        present(s.key_policy(KEY));
    }
}

#[test]
fn an_empty_output_without_error_text_is_a_problem_and_only_its_piece_is_lost() {
    for (file, want, piece) in PIECES {
        let dir = copy();
        let path = dir.path().join(format!("{file}.json"));
        fs::write(&path, "").expect("truncate");
        let (s, problems) = Snapshot::load(dir.path()).expect("loads");
        assert_eq!(piece(&s), *want, "{file}");
        assert_eq!(problems.len(), 1, "{file}: {problems:?}");
        assert_eq!(problems[0].path, path);
        assert!(problems[0].message.contains("empty"), "{}", problems[0]);
        the_rest_still_loads(&s, file);
    }
}

#[test]
fn access_denied_while_fetching_is_not_captured_and_no_problem() {
    for (file, want, piece) in PIECES {
        let dir = copy();
        fs::write(dir.path().join(format!("{file}.json")), "").expect("truncate");
        let denied = "\nAn error occurred (AccessDenied) when calling the Get operation: User: arn:aws:sts::444455556666:assumed-role/audit/ops is not authorized\n";
        fs::write(dir.path().join(format!("{file}.err")), denied).expect("err");
        let (s, problems) = Snapshot::load(dir.path()).expect("loads");
        assert_eq!(piece(&s), *want, "{file}");
        assert!(problems.is_empty(), "{file}: {problems:?}");
        the_rest_still_loads(&s, file);
    }
}

#[test]
fn a_missing_file_is_not_captured_and_no_problem() {
    for (file, want, piece) in PIECES {
        let dir = copy();
        fs::remove_file(dir.path().join(format!("{file}.json"))).expect("remove");
        let (s, problems) = Snapshot::load(dir.path()).expect("loads");
        assert_eq!(piece(&s), *want, "{file}");
        assert!(problems.is_empty(), "{file}: {problems:?}");
    }
}

#[test]
fn malformed_json_names_the_file_and_only_its_piece_is_lost() {
    for (file, want, piece) in PIECES {
        let dir = copy();
        let path = dir.path().join(format!("{file}.json"));
        let text = fs::read_to_string(&path).expect("read");
        fs::write(&path, &text[..text.len() / 2]).expect("cut");
        let (s, problems) = Snapshot::load(dir.path()).expect("loads");
        assert_eq!(piece(&s), *want, "{file}");
        assert_eq!(problems.len(), 1, "{file}: {problems:?}");
        assert_eq!(problems[0].path, path);
        let command = Path::new(file).file_name().unwrap().to_str().unwrap();
        assert!(
            problems[0].message.starts_with(&format!("not the output of aws … {command}: EOF")),
            "{}",
            problems[0]
        );
        the_rest_still_loads(&s, file);
    }
}

#[test]
fn a_policy_string_that_is_not_json_is_a_problem_naming_file_and_policy() {
    let dir = copy();
    let path = dir.path().join("accounts/444455556666/s3/buckets/data-lake/get-bucket-policy.json");
    fs::write(&path, r#"{"Policy": "{\"Version\": \"2012-10-17\", \"Statement\": ["}"#)
        .expect("write");
    let (s, problems) = Snapshot::load(dir.path()).expect("loads");
    assert_eq!(gap(s.bucket_policy("data-lake")), "bucket-policy:data-lake:not-captured");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, path);
    assert!(
        problems[0]
            .message
            .starts_with("policy arn:aws:s3:::data-lake#bucket-policy: the document is not JSON"),
        "{}",
        problems[0]
    );
    // The rest of the bucket is still known.
    assert!(present(s.block_public_access("data-lake")).restrict_public_buckets);
}

#[test]
fn a_broken_document_inside_the_gaad_loses_only_the_identities_that_use_it() {
    let dir = copy();
    let path = dir.path().join("accounts/444455556666/iam/get-account-authorization-details.json");
    let mut gaad: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    gaad["GroupDetailList"][0]["GroupPolicyList"][0]["PolicyDocument"] =
        "%7B%22Statement%22%3A%20%5B".into();
    fs::write(&path, serde_json::to_string(&gaad).unwrap()).unwrap();
    let (s, problems) = Snapshot::load(dir.path()).expect("loads");
    let name = "arn:aws:iam::444455556666:group/developers#inline/DenyProdDelete";
    assert_eq!(gap(s.identity(ALICE)), format!("policy:{name}:not-captured"));
    assert_eq!(present(s.identity(ETL)).arn, ETL);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, path);
    assert!(
        problems[0].message.starts_with(&format!("policy {name}: the document is not JSON")),
        "{}",
        problems[0]
    );
}

#[test]
fn the_policy_status_and_describe_key_fall_back_as_they_should() {
    let dir = copy();
    let bucket = dir.path().join("accounts/444455556666/s3/buckets/data-lake");
    fs::remove_file(bucket.join("get-bucket-policy-status.json")).unwrap();
    let key = dir
        .path()
        .join("accounts/444455556666/kms/eu-west-1/keys/1234abcd-12ab-34cd-56ef-1234567890ab");
    fs::remove_file(key.join("describe-key.json")).unwrap();
    let (s, problems) = Snapshot::load(dir.path()).expect("loads");
    assert!(problems.is_empty(), "{problems:?}");
    // Unknown whether public; the restriction is still known.
    let bpa = present(s.block_public_access("data-lake"));
    assert_eq!(bpa, BlockPublicAccess { restrict_public_buckets: true, policy_is_public: None });
    // Without describe-key the ARN comes from the path: region, account and key id.
    assert_eq!(present(s.key_policy(KEY)).name, format!("{KEY}#key-policy"));
}

#[test]
fn known_absent_codes_and_the_account_outside_any_organization() {
    let dir = copy();
    let org = dir.path().join(ORG);
    fs::write(org.join("describe-organization.json"), "").unwrap();
    fs::write(
        org.join("describe-organization.err"),
        "\nAn error occurred (AWSOrganizationsNotInUseException) when calling the DescribeOrganization operation: Your account is not a member of an organization.\n",
    )
    .unwrap();
    let (s, problems) = Snapshot::load(dir.path()).expect("loads");
    assert!(problems.is_empty(), "{problems:?}");
    for account in [WORKLOADS, MANAGEMENT, "123456789012"] {
        assert!(present(s.scp_chain(account)).is_none(), "no organization: not governed");
        assert!(present(s.rcp_chain(account)).is_none());
    }
}

#[test]
fn error_text_without_a_code_is_a_problem() {
    let dir = copy();
    let bucket = dir.path().join("accounts/444455556666/s3/buckets/logs-archive");
    fs::write(bucket.join("get-bucket-policy.err"), "\nUnable to locate credentials. You can configure credentials by running \"aws configure\".\n").unwrap();
    let (s, problems) = Snapshot::load(dir.path()).expect("loads");
    assert_eq!(gap(s.bucket_policy("logs-archive")), "bucket-policy:logs-archive:not-captured");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, bucket.join("get-bucket-policy.err"));
    assert!(problems[0].message.contains("Unable to locate credentials"), "{}", problems[0]);
}

#[test]
fn two_organization_trees_are_an_error() {
    let dir = copy();
    let nested = dir.path().join("accounts/444455556666/organization");
    fs::create_dir_all(&nested).unwrap();
    fs::copy(
        dir.path().join("organization/describe-organization.json"),
        nested.join("describe-organization.json"),
    )
    .unwrap();
    match Snapshot::load(dir.path()) {
        Err(SnapshotError::TwoOrganizations(a, b)) => {
            assert_eq!((a, b), (dir.path().join(ORG), nested));
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("two organization trees must not load"),
    }
}

#[test]
fn a_directory_that_is_not_a_snapshot_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let Err(e) = Snapshot::load(dir.path()) else { panic!("an empty directory is not a snapshot") };
    assert!(e.to_string().contains("is not a policy snapshot"), "{e}");
    let missing = dir.path().join("nope");
    let Err(e) = Snapshot::load(&missing) else { panic!("missing") };
    assert!(
        e.to_string()
            .starts_with(&format!("cannot read the policy snapshot {}", missing.display())),
        "{e}"
    );
}

#[test]
fn without_snapshot_json_the_newest_file_gives_the_time() {
    let dir = copy();
    fs::remove_file(dir.path().join(SNAPSHOT_FILE)).unwrap();
    let newest = fs::File::options()
        .write(true)
        .open(dir.path().join("organization/list-roots.json"))
        .unwrap();
    let when = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(4_102_444_800); // 2100-01-01
    newest.set_modified(when).unwrap();
    let (s, problems) = Snapshot::load(dir.path()).expect("loads");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(s.captured_at_source(), CapturedAtSource::NewestFile);
    assert_eq!(s.captured_at().map(|t| t.to_rfc3339()), Some("2100-01-01T00:00:00+00:00".into()));
}

#[test]
fn problems_quoting_file_content_are_escaped() {
    let dir = copy();
    let bucket = dir.path().join("accounts/444455556666/s3/buckets/logs-archive");
    fs::write(bucket.join("get-bucket-policy.err"), "\u{1b}]0;pwned\u{7}\n").unwrap();
    let (_, problems) = Snapshot::load(dir.path()).expect("loads");
    let shown = problems[0].to_string();
    assert!(!shown.contains('\u{1b}') && shown.contains("\\u{1b}]0;pwned\\u{7}"), "{shown}");
}

#[test]
fn a_snapshot_directory_is_recognised_and_a_log_directory_is_not() {
    assert!(is_snapshot_dir(&fixture()));
    let dir = copy();
    fs::remove_file(dir.path().join(SNAPSHOT_FILE)).unwrap();
    assert!(is_snapshot_dir(dir.path()), "a hand-made tree: by its GAAD");
    let other = tempfile::tempdir().unwrap();
    let trail = other.path().join("AWSLogs/444455556666/CloudTrail/eu-west-1/2026/11/04");
    fs::create_dir_all(&trail).unwrap();
    assert!(!is_snapshot_dir(other.path()));
    // A SNAPSHOT.json that is not the fetcher's, and an accounts/ dir without a GAAD.
    fs::write(other.path().join(SNAPSHOT_FILE), r#"{"Records": []}"#).unwrap();
    fs::create_dir_all(other.path().join("accounts/444455556666/iam")).unwrap();
    assert!(!is_snapshot_dir(other.path()));
    fs::write(other.path().join(SNAPSHOT_FILE), r#"{"captured_at": "2026-11-05T08:30:00Z"}"#)
        .unwrap();
    assert!(is_snapshot_dir(other.path()));
}

#[test]
fn a_gaad_in_another_accounts_directory_does_not_pass_for_it() {
    let dir = copy();
    let moved = dir.path().join("accounts/999988887777/iam");
    fs::create_dir_all(&moved).unwrap();
    let gaad = "iam/get-account-authorization-details.json";
    fs::rename(
        dir.path().join("accounts/444455556666").join(gaad),
        moved.join("get-account-authorization-details.json"),
    )
    .unwrap();
    let (s, problems) = Snapshot::load(dir.path()).expect("loads");
    assert_eq!(
        gap(s.identity("arn:aws:iam::999988887777:user/alice")),
        "identity:arn:aws:iam::999988887777:user/alice:not-in-gaad"
    );
    assert_eq!(gap(s.identity(ALICE)), "gaad:444455556666:not-captured");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, moved.join("get-account-authorization-details.json"));
    assert_eq!(
        problems[0].message,
        "2 users and roles of another account than 999988887777: left out"
    );
}
