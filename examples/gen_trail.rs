//! Deterministic synthetic CloudTrail trail generator for `whydenied`.
//!
//! `sample DIR` writes the small trail committed as `sample-logs/` from a fixed seed, so every
//! run is byte-identical and tests can pin numbers computed independently from the same files,
//! and the policy snapshot of its organization as `DIR/policies/` ([`world`]); `--truth CSV`
//! also writes the verdict the generator meant for each denial ([`truth`]).
//! `bench DIR --size-mb N` writes GB-scale data in the same `AWSLogs/` layout for benchmarks.
//! `groups DIR --groups N` writes N S3 denials, each on a bucket of its own: N distinct
//! (principal, action, bucket) groups, the case that measures memory per group (failed requests
//! choose their bucket names, so a scanner probing names makes a group of every probe).
//!
//! ```text
//! rm -rf sample-logs && cargo run --release --example gen_trail -- sample sample-logs --truth tests/fixtures/sample-verdicts.csv
//! cargo run --release --example gen_trail -- bench bench-data --size-mb 1000 --failure-rate 0.01
//! cargo run --release --example gen_trail -- groups bench-groups --groups 1000000
//! ```
//!
//! Only std, `serde_json` (string escaping) and `flate2` are used, so the example builds with the
//! crate's own dependencies. Randomness is a seeded splitmix64, never the clock or hash order.
//! Records go through a tiny ordered JSON tree ([`J`]) rather than `serde_json::Value`, whose map
//! sorts keys: real CloudTrail keeps `eventVersion` first and `errorCode` mid-record, and the
//! scanner's byte-level prefilter must be measured on that shape.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Instant;
use std::{panic, thread};

use flate2::{Compression, GzBuilder, write::GzEncoder};

const USAGE: &str = "usage: gen_trail sample DIR [--truth CSV]
       gen_trail bench DIR --size-mb N [--failure-rate F] [--seed N]
       gen_trail groups DIR --groups N [--seed N]

  sample  the committed synthetic trail (fixed seed: byte-identical on every run) and its
          policy snapshot DIR/policies; --truth writes the verdict meant for each denial
  bench   about N MB of uncompressed CloudTrail JSON in 1-10 MB gzipped files
          (failure rate default 0.01, seed default 1)
  groups  N S3 denials, each on a bucket of its own (N distinct summary groups),
          in files of 100000 records (seed default 1)";

/// Seed of the committed sample: changing it rewrites every file of `sample-logs/`.
const SAMPLE_SEED: u64 = 0x5EED_2026_1102;
/// 2026-11-02T00:00:00Z, the first of the sample's three days (and the start of bench data).
const SAMPLE_START: i64 = 1_793_577_600;
const DAY: i64 = 86_400;
/// Share of random sample records that fail; the forced coverage records add about 0.5 %.
const SAMPLE_FAILURE_RATE: f64 = 0.03;
/// Log objects per account, region and day in the sample: one every four hours.
const FILES_PER_DAY: i64 = 6;
/// In the sample every n-th record is forced until the coverage plan is used up, which
/// spreads the rare cases over accounts and days.
const FORCE_EVERY: u64 = 150;
/// Bench files spread their event times evenly over this span.
const BENCH_SPAN: i64 = 30 * DAY;
const MB: u64 = 1 << 20;

const ORG: &str = "o-a1b2c3d4e5";
const ACCOUNTS: [&str; 3] = ["111122223333", "444455556666", "777788889999"];
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// The account of cross-account callers: outside the organization.
const FOREIGN_ACCOUNT: &str = "210987654321";
const TRAIL: &str = "org-trail";
const TRAIL_BUCKET: &str = "aws-cloudtrail-logs-o-a1b2c3d4e5";
const VPC_ENDPOINT: &str = "vpce-0a1b2c3d4e5f67890";

const HEX: &[u8] = b"0123456789abcdef";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";
/// IAM unique IDs (AIDA…, AROA…, AKIA…) are upper-case base32.
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Buckets and their owners; a few are read across accounts.
#[rustfmt::skip]
const BUCKETS: [(&str, &str); 8] = [
    ("prod-data-111122223333", "111122223333"), ("audit-logs-central", "111122223333"),
    ("terraform-state-shared", "111122223333"), ("ml-training-444455556666", "444455556666"),
    ("static-assets-web", "444455556666"), ("customer-uploads-eu", "444455556666"),
    ("backups-777788889999", "777788889999"), ("data-lake-raw", "777788889999"),
];
#[rustfmt::skip]
const KEY_PREFIXES: &[&str] = &[
    "reports/2026/11/", "raw/events/dt=2026-11-02/", "models/v3/checkpoints/", "img/products/",
    "exports/daily/", "tfstate/prod/",
];
const KEY_EXTS: &[&str] = &[".parquet", ".json.gz", ".csv", ".png", ".tfstate"];
/// An object key with spaces, a quote and non-ASCII: it ends up inside quoted ARNs in messages.
const AWKWARD_KEY: &str = "uploads/Q3 report \"final\" — résumé ✓.pdf";
#[rustfmt::skip]
const KMS_KEYS: &[&str] = &[
    "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9", "7c6b5a49-3827-4165-9f8e-7d6c5b4a3928",
    "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
];
const INSTANCES: &[&str] = &["i-0a1b2c3d4e5f60718", "i-0f9e8d7c6b5a49382", "i-07a6b5c4d3e2f1098"];
const TABLES: &[&str] = &["orders", "sessions", "inventory"];
const FUNCTIONS: &[&str] = &["order-processor", "thumbnailer", "nightly-report"];
const ROLES: &[&str] = &["deploy-role", "DataPipelineRole", "audit-reader", "eks-node-role"];
const POLICIES: &[&str] = &["AdministratorAccess", "ReadOnlyAccess", "AmazonS3FullAccess"];
const TOPICS: &[&str] = &["alerts", "order-events"];
const SECRETS: &[&str] = &["prod/db/password-Xy12Ab", "prod/api/stripe-Qw34Er"];
const IP_NETS: [&str; 3] = ["192.0.2", "198.51.100", "203.0.113"];
const IP_HOSTS: [u8; 13] = [7, 12, 25, 33, 48, 61, 77, 90, 104, 119, 142, 201, 230];
/// Weighted user agents of authenticated callers; the first six are SDKs and CLIs.
#[rustfmt::skip]
const USER_AGENTS: [(u32, &str); 11] = [
    (30, "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.167.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/s3.cp"),
    (25, "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.79 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69"),
    (15, "aws-sdk-java/2.25.16 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy"),
    (10, "aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.0"),
    (5, "aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10 lang/js md/nodejs#20.11.1 api/dynamodb#3.540.0"),
    (4, "Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.43.0 aws-sdk-go-v2/1.26.0"),
    (8, "[S3Console/0.4]"),
    (8, "AWS Internal"),
    (3, "console.amazonaws.com"),
    (6, BROWSER),
    (2, "curl/8.5.0"),
];
const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
/// Anonymous callers are scripts and scanners; one user agent carries an ANSI escape sequence.
const SCANNER_AGENTS: &[&str] =
    &["curl/8.5.0", "python-requests/2.31.0", "\u{1b}[31mcurl/8.5.0\u{1b}[0m"];

/// An ordered JSON value: keys stay in the order written, like CloudTrail's own output.
enum J {
    Null,
    /// An object field that is left out (CloudTrail omits absent fields; it does not write null).
    Skip,
    Bool(bool),
    Int(u64),
    Float(f64),
    Str(Cow<'static, str>),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
    /// JSON text written as it is (a bucket policy S3 logs as an object).
    Raw(String),
}

/// `From` impls, so `obj!` takes plain Rust values.
macro_rules! into_j {
    ($($t:ty => $make:expr),* $(,)?) => {
        $(impl From<$t> for J { fn from(v: $t) -> J { $make(v) } })*
    };
}
into_j!(bool => J::Bool, u64 => J::Int, f64 => J::Float, Vec<J> => J::Arr,
    &'static str => |s| J::Str(Cow::Borrowed(s)), String => |s| J::Str(Cow::Owned(s)));

impl<T: Into<J>> From<Option<T>> for J {
    fn from(v: Option<T>) -> J {
        v.map_or(J::Null, Into::into)
    }
}

/// A field written only when present.
fn opt<T: Into<J>>(v: Option<T>) -> J {
    v.map_or(J::Skip, Into::into)
}

/// `obj! {"key": value, ...}`: an ordered JSON object.
macro_rules! obj {
    ($($k:literal : $v:expr),* $(,)?) => { J::Obj(vec![$(($k, J::from($v))),*]) };
}

impl J {
    /// Compact JSON, as AWS delivers it. Keys are ASCII identifiers and need no escaping.
    fn write(&self, out: &mut Vec<u8>) -> io::Result<()> {
        match self {
            J::Null | J::Skip => out.extend_from_slice(b"null"),
            J::Bool(b) => out.extend_from_slice(if *b { &b"true"[..] } else { b"false" }),
            J::Int(n) => write!(out, "{n}")?,
            J::Float(x) => write!(out, "{x}")?,
            J::Str(s) => serde_json::to_writer(&mut *out, s.as_ref())?,
            J::Raw(text) => out.extend_from_slice(text.as_bytes()),
            J::Arr(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out)?;
                }
                out.push(b']');
            }
            J::Obj(fields) => {
                out.push(b'{');
                let present = fields.iter().filter(|(_, v)| !matches!(v, J::Skip));
                for (i, (key, value)) in present.enumerate() {
                    write!(out, "{}\"{key}\":", if i > 0 { "," } else { "" })?;
                    value.write(out)?;
                }
                out.push(b'}');
            }
        }
        Ok(())
    }
}

/// splitmix64: tiny, fast and plenty for test data; one seed gives one stream forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n`; the modulo bias is irrelevant for n this small.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    /// One item with probability proportional to its weight; `None` if all weights are zero.
    fn weighted<T>(&mut self, items: impl Iterator<Item = (u32, T)> + Clone) -> Option<T> {
        let total: u64 = items.clone().map(|(w, _)| u64::from(w)).sum();
        let mut x = self.next().checked_rem(total)?;
        for (w, item) in items {
            if x < u64::from(w) {
                return Some(item);
            }
            x -= u64::from(w);
        }
        None
    }
    fn chars(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n).map(|_| char::from(self.pick(alphabet))).collect()
    }
    fn uuid(&mut self) -> String {
        let h = self.chars(32, HEX);
        format!("{}-{}-4{}-{}-{}", &h[..8], &h[8..12], &h[13..16], &h[16..20], &h[20..])
    }
}

/// FNV-1a: seeds per-principal ID streams, so a principal keeps its IDs in every file.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// UTC `[year, month, day, hour, minute, second]` of a Unix time (Howard Hinnant's
/// days-to-civil algorithm), so the example needs no date crate.
fn civil(t: i64) -> [i64; 6] {
    let (days, secs) = (t.div_euclid(DAY), t.rem_euclid(DAY));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    [year, month, doy - (153 * mp + 2) / 5 + 1, secs / 3600, secs / 60 % 60, secs % 60]
}

/// `2026-11-02T13:04:05Z`: CloudTrail's eventTime has no fractional seconds.
fn iso(t: i64) -> String {
    let [y, mo, d, h, mi, s] = civil(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `20261102T1304Z` in log file names, `20261102T130405Z` (with seconds) in digest names.
fn stamp(t: i64, seconds: bool) -> String {
    let [y, mo, d, h, mi, s] = civil(t);
    let secs = if seconds { format!("{s:02}") } else { String::new() };
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{secs}Z")
}

/// `2026/11/02`, the date part of an S3 key.
fn day_path(t: i64) -> String {
    let [y, mo, d, ..] = civil(t);
    format!("{y:04}/{mo:02}/{d:02}")
}

/// The `userIdentity.type` of a caller; `Missing` writes no `userIdentity` at all.
#[derive(Clone, Copy, PartialEq)]
enum Who {
    User,
    Role,
    Root,
    Service,
    CrossAccount,
    Anonymous,
    Federated,
    Saml,
    WebIdentity,
    IdentityCenter,
    Unknown,
    Missing,
}
use Who::*;

/// A caller, instantiated in the account of each trail that logs it (`CrossAccount` excepted).
struct Principal {
    who: Who,
    partition: &'static str,
    /// User, role path and name, service principal, e-mail, web identity subject...
    name: &'static str,
    /// Session of a role, issuing user of a federated user, provider of a SAML or web identity.
    detail: &'static str,
    /// Relative frequency among successful and among failed calls.
    ok: u32,
    fail: u32,
    /// If not empty, the only APIs this caller makes (an anonymous caller only reads S3).
    apis: &'static [&'static str],
}

const ANY: &[&str] = &[];

const fn who(who: Who, name: &'static str, detail: &'static str, ok: u32, fail: u32) -> Principal {
    Principal { who, partition: "aws", name, detail, ok, fail, apis: ANY }
}

/// Every caller type, with successes and failures; four callers live in `aws-cn`/`aws-us-gov`.
#[rustfmt::skip]
const PRINCIPALS: &[Principal] = &[
    who(User, "alice", "", 6, 6),
    who(User, "bob", "", 4, 4),
    who(User, "ci-deployer", "", 6, 3),
    Principal { partition: "aws-cn", ..who(User, "legacy-etl", "", 1, 1) },
    Principal { partition: "aws-us-gov", ..who(User, "govcloud-auditor", "", 1, 1) },
    who(Role, "aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b", "alice@example.com", 6, 3),
    who(Role, "aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_9f8e7d6c5b4a3f2e", "maria@example.com", 5, 6),
    who(Role, "service-role/lambda-exec", "order-processor", 14, 6),
    who(Role, "DataPipelineRole", "glue-job-nightly", 12, 6),
    who(Role, "eks-node-role", "i-0a1b2c3d4e5f60718", 12, 4),
    who(Role, "analytics/AthenaQueryRole", "athena-session", 6, 3),
    who(Role, "OrganizationAccountAccessRole", "break-glass", 1, 1),
    Principal { partition: "aws-cn", ..who(Role, "cn-batch-role", "cn-nightly", 1, 1) },
    Principal { partition: "aws-us-gov", ..who(Role, "gov-reader", "compliance-scan", 1, 1) },
    who(Root, "root", "", 1, 1),
    Principal { apis: &["Decrypt", "GenerateDataKey"], ..who(Service, "s3.amazonaws.com", "", 6, 1) },
    Principal { apis: &["PutObject", "GetBucketAcl"], ..who(Service, "cloudtrail.amazonaws.com", "", 3, 1) },
    Principal { apis: &["AssumeRole"], ..who(Service, "lambda.amazonaws.com", "", 2, 0) },
    Principal { apis: &["RotateKey"], ..who(Service, "kms.amazonaws.com", "", 1, 0) },
    Principal { apis: &["GetObject", "HeadObject", "PutObject", "ListObjectsV2", "Decrypt"],
        ..who(CrossAccount, "partner-analytics", "", 3, 3) },
    Principal { apis: &["GetObject", "HeadObject", "ListObjects"], ..who(Anonymous, "anonymous", "", 1, 3) },
    who(Federated, "partner-sync", "federation-broker", 2, 1),
    Principal { apis: &["AssumeRoleWithSAML"], ..who(Saml, "maria@example.com", "Xk2p9QmZr7Lw4Yd1Fh8sNc3Vb0E=", 1, 1) },
    Principal { apis: &["AssumeRoleWithWebIdentity"],
        ..who(WebIdentity, "112233445566778899001", "1234567890-mobile.apps.googleusercontent.com", 1, 1) },
    Principal { apis: &["ListAccounts", "ListAccountRoles", "GetRoleCredentials"],
        ..who(IdentityCenter, "94482488-3041-7026-18f3-be45837cd0e4", "", 1, 1) },
    Principal { apis: &["GetCallerIdentity", "ConsoleLogin"], ..who(Unknown, "jdoe-contractor", "", 1, 1) },
    Principal { apis: &["GetCallerIdentity", "ListObjectsV2", "PutObject", "DescribeInstances", "ListUsers"],
        ..who(Missing, "", "", 0, 1) },
];

impl Principal {
    fn has_arn(&self) -> bool {
        matches!(self.who, User | Role | Root | Federated)
    }
    /// The ARN the caller is known by in `User: <arn> is not authorized...` messages.
    fn arn(&self, acct: &str) -> Option<String> {
        let (part, name) = (self.partition, self.name);
        Some(match self.who {
            User => format!("arn:{part}:iam::{acct}:user/{name}"),
            Role => format!("arn:{part}:sts::{acct}:assumed-role/{}/{}", leaf(name), self.detail),
            Root => format!("arn:{part}:iam::{acct}:root"),
            Federated => format!("arn:{part}:sts::{acct}:federated-user/{name}"),
            _ => return None,
        })
    }
    /// How often the caller makes `api` among its successful calls: a restricted caller only
    /// makes its own (even those of weight 0, which mark the calls of special callers).
    fn weight_of(&self, api: &Api) -> u32 {
        match self.apis {
            [] => api.weight,
            apis if apis.contains(&api.name) => api.weight.max(1),
            _ => 0,
        }
    }
}

/// A role's name without its path.
fn leaf(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The kind of event: eventType, eventCategory and managementEvent follow from it.
#[derive(Clone, Copy, PartialEq)]
enum Cat {
    Management,
    Data,
    SignIn,
    ServiceEvent,
}
use Cat::*;

/// What an API acts on: decides requestParameters, resources[] and the ARN in messages.
#[derive(Clone, Copy, PartialEq)]
enum Res {
    Object,
    Bucket,
    Key,
    Instance,
    Table,
    Function,
    IamRole,
    AssumeRole,
    Policy,
    Topic,
    Secret,
    Nothing,
}
use Res::*;

/// A resource pattern: ARN with `<region>`, `<acct>` and `<name>`, the names to pick from, the
/// requestParameters key and the resources[] type.
type Pattern = (&'static str, &'static [&'static str], &'static str, Option<&'static str>);

impl Res {
    /// The pattern of the targets that are not S3; `None` when the call names no resource.
    #[rustfmt::skip]
    fn pattern(self) -> Option<Pattern> {
        Some(match self {
            Key => ("arn:aws:kms:<region>:<acct>:key/<name>", KMS_KEYS, "keyId", Some("AWS::KMS::Key")),
            Instance => ("arn:aws:ec2:<region>:<acct>:instance/<name>", INSTANCES, "instanceId", None),
            Table => ("arn:aws:dynamodb:<region>:<acct>:table/<name>", TABLES, "tableName", Some("AWS::DynamoDB::Table")),
            Function => ("arn:aws:lambda:<region>:<acct>:function:<name>", FUNCTIONS, "functionName", Some("AWS::Lambda::Function")),
            IamRole => ("arn:aws:iam::<acct>:role/<name>", ROLES, "roleName", None),
            AssumeRole => ("arn:aws:iam::<acct>:role/<name>", ROLES, "roleArn", Some("AWS::IAM::Role")),
            Policy => ("arn:aws:iam::aws:policy/<name>", POLICIES, "policyArn", None),
            Topic => ("arn:aws:sns:<region>:<acct>:<name>", TOPICS, "topicArn", None),
            Secret => ("arn:aws:secretsmanager:<region>:<acct>:secret:<name>", SECRETS, "secretId", None),
            Object | Bucket | Nothing => return None,
        })
    }
}

struct Api {
    source: &'static str,
    name: &'static str,
    /// The IAM action named in messages; it differs from the event name for some calls.
    action: &'static str,
    read_only: bool,
    cat: Cat,
    res: Res,
    /// Relative frequency among successful calls; 0: only callers that list it make it.
    weight: u32,
}

const fn api(
    source: &'static str,
    name: &'static str,
    action: &'static str,
    read_only: bool,
    cat: Cat,
    res: Res,
    weight: u32,
) -> Api {
    Api { source, name, action, read_only, cat, res, weight }
}

const S3: &str = "s3.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";
const STS: &str = "sts.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";
const DDB: &str = "dynamodb.amazonaws.com";
const CW: &str = "monitoring.amazonaws.com";
const SSO: &str = "sso.amazonaws.com";
/// Event names are unique in this table: failure rows refer to APIs by name.
#[rustfmt::skip]
const APIS: &[Api] = &[
    api(S3, "GetObject", "s3:GetObject", true, Data, Object, 300),
    api(S3, "HeadObject", "s3:GetObject", true, Data, Object, 120),
    api(S3, "PutObject", "s3:PutObject", false, Data, Object, 120),
    api(S3, "CreateMultipartUpload", "s3:PutObject", false, Data, Object, 10),
    api(S3, "DeleteObject", "s3:DeleteObject", false, Data, Object, 20),
    api(S3, "ListObjects", "s3:ListBucket", true, Data, Bucket, 40),
    api(S3, "ListObjectsV2", "s3:ListBucket", true, Data, Bucket, 80),
    api(S3, "HeadBucket", "s3:ListBucket", true, Management, Bucket, 40),
    api(S3, "GetBucketAcl", "s3:GetBucketAcl", true, Management, Bucket, 20),
    api(S3, "GetBucketLocation", "s3:GetBucketLocation", true, Management, Bucket, 20),
    api(S3, "GetBucketEncryption", "s3:GetEncryptionConfiguration", true, Management, Bucket, 5),
    api(S3, "GetBucketPolicy", "s3:GetBucketPolicy", true, Management, Bucket, 5),
    api(S3, "PutBucketPolicy", "s3:PutBucketPolicy", false, Management, Bucket, 1),
    api(S3, "ListBuckets", "s3:ListAllMyBuckets", true, Management, Nothing, 10),
    api("s3express.amazonaws.com", "CreateSession", "s3express:CreateSession", true, Data, Bucket, 5),
    api(KMS, "Decrypt", "kms:Decrypt", true, Management, Key, 100),
    api(KMS, "GenerateDataKey", "kms:GenerateDataKey", true, Management, Key, 60),
    api(KMS, "Encrypt", "kms:Encrypt", true, Management, Key, 10),
    api(KMS, "DescribeKey", "kms:DescribeKey", true, Management, Key, 10),
    api(KMS, "RotateKey", "kms:RotateKeyOnDemand", false, ServiceEvent, Key, 0),
    api(STS, "AssumeRole", "sts:AssumeRole", true, Management, AssumeRole, 60),
    api(STS, "GetCallerIdentity", "sts:GetCallerIdentity", true, Management, Nothing, 30),
    api(STS, "AssumeRoleWithSAML", "sts:AssumeRoleWithSAML", true, Management, AssumeRole, 0),
    api(STS, "AssumeRoleWithWebIdentity", "sts:AssumeRoleWithWebIdentity", true, Management, AssumeRole, 0),
    api(EC2, "DescribeInstances", "ec2:DescribeInstances", true, Management, Instance, 40),
    api(EC2, "DescribeSecurityGroups", "ec2:DescribeSecurityGroups", true, Management, Nothing, 10),
    api(EC2, "RunInstances", "ec2:RunInstances", false, Management, Instance, 3),
    api(EC2, "TerminateInstances", "ec2:TerminateInstances", false, Management, Instance, 1),
    api(IAM, "GetRole", "iam:GetRole", true, Management, IamRole, 10),
    api(IAM, "CreateRole", "iam:CreateRole", false, Management, IamRole, 1),
    api(IAM, "PutRolePolicy", "iam:PutRolePolicy", false, Management, IamRole, 1),
    api(IAM, "GetPolicy", "iam:GetPolicy", true, Management, Policy, 5),
    api(IAM, "ListUsers", "iam:ListUsers", true, Management, Nothing, 5),
    api(LAMBDA, "Invoke", "lambda:InvokeFunction", false, Data, Function, 40),
    api(LAMBDA, "GetFunction20150331v2", "lambda:GetFunction", true, Management, Function, 10),
    api(LAMBDA, "CreateFunction20150331", "lambda:CreateFunction", false, Management, Function, 1),
    api(LAMBDA, "UpdateFunctionCode20150331v2", "lambda:UpdateFunctionCode", false, Management, Function, 2),
    api(DDB, "GetItem", "dynamodb:GetItem", true, Data, Table, 40),
    api(DDB, "PutItem", "dynamodb:PutItem", false, Data, Table, 25),
    api(DDB, "Query", "dynamodb:Query", true, Data, Table, 25),
    api(DDB, "DescribeTable", "dynamodb:DescribeTable", true, Management, Table, 10),
    api(CW, "PutMetricData", "cloudwatch:PutMetricData", false, Management, Nothing, 40),
    api(CW, "GetMetricData", "cloudwatch:GetMetricData", true, Management, Nothing, 10),
    api("sns.amazonaws.com", "Publish", "SNS:Publish", false, Data, Topic, 10),
    api("secretsmanager.amazonaws.com", "GetSecretValue", "secretsmanager:GetSecretValue", true, Management, Secret, 15),
    api("organizations.amazonaws.com", "EnableAWSServiceAccess", "organizations:EnableAWSServiceAccess", false, Management, Nothing, 1),
    api(SSO, "ListAccounts", "sso:ListAccounts", true, Management, Nothing, 0),
    api(SSO, "ListAccountRoles", "sso:ListAccountRoles", true, Management, Nothing, 0),
    api(SSO, "GetRoleCredentials", "sso:GetRoleCredentials", true, Management, Nothing, 0),
    api("signin.amazonaws.com", "ConsoleLogin", "signin:ConsoleLogin", false, SignIn, Nothing, 5),
];

/// The errorMessage grammar of a failure row.
#[derive(Clone, Copy)]
enum Msg {
    /// Literal text; `<arn>` is replaced by the target's ARN.
    Fixed(&'static str),
    /// `User: A is not authorized to perform: X on resource: R because no P allows the X action`
    NoAllow(&'static str),
    /// `User: A is not authorized to perform: X on resource: R with an explicit deny in P`
    Explicit(&'static str),
    /// `User: A is not authorized to perform: X on resource: R` (STS trust policies say no more)
    NoReason,
    /// `User: ... on resource: R because <reason>` (S3 settings that are not policies)
    Because(&'static str),
    /// An S3 read denied by the object's KMS key: the message names kms:Decrypt on the key.
    KmsDecrypt,
    /// A create call denied iam:PassRole on the role it tried to pass.
    PassRole,
    /// EC2's decoded denial in front of the encoded authorization message.
    Ec2Explicit,
    /// EC2 with only the encoded authorization message.
    Ec2Encoded,
}
use Msg::*;

/// One kind of failed call. `code` is empty for failed console sign-ins, which have none.
struct Failure {
    weight: u32,
    api: &'static str,
    code: &'static str,
    msg: Msg,
}

const fn fail(weight: u32, api: &'static str, code: &'static str, msg: Msg) -> Failure {
    Failure { weight, api, code, msg }
}

const AD: &str = "AccessDenied";
const ADE: &str = "AccessDeniedException";
const SCP_WITH_ARN: &str = "a service control policy: \
    arn:aws:organizations::111122223333:policy/o-a1b2c3d4e5/service_control_policy/p-abcd1234";
const BAD_TOKEN: &str = "The security token included in the request is invalid.";
const NO_CREDENTIALS: &str = "AWS was not able to validate the provided access credentials";
/// Every failure the trail shows, weighted: S3 "Access Denied" and identity-based implicit
/// denies dominate, as in real trails; each row still appears at least once in the sample.
#[rustfmt::skip]
const FAILURES: &[Failure] = &[
    fail(16, "GetObject", AD, Fixed("Access Denied")),
    fail(5, "PutObject", AD, Fixed("Access Denied")),
    fail(4, "ListObjectsV2", AD, Fixed("Access Denied")),
    fail(3, "HeadObject", AD, Fixed("Access Denied")),
    fail(6, "GetObject", AD, NoAllow("identity-based policy")),
    fail(4, "ListObjects", AD, NoAllow("identity-based policy")),
    fail(4, "GetObject", AD, NoAllow("resource-based policy")),
    fail(2, "PutObject", AD, Explicit("a resource-based policy")),
    fail(2, "GetObject", AD, NoAllow("permissions boundary")),
    fail(2, "PutObject", AD, NoAllow("session policy")),
    fail(1, "DeleteObject", AD, Explicit("a session policy")),
    fail(2, "GetObject", AD, NoAllow("VPC endpoint policy")),
    fail(2, "PutObject", AD, Explicit("a VPC endpoint policy")),
    fail(2, "GetObject", AD, Explicit("a resource control policy")),
    fail(1, "ListObjectsV2", AD, NoAllow("resource control policy")),
    fail(2, "DeleteObject", AD, Explicit("a service control policy")),
    fail(1, "GetBucketAcl", AD, NoAllow("service control policy")),
    fail(1, "HeadBucket", AD, Explicit("an identity-based policy")),
    fail(3, "GetObject", AD, KmsDecrypt),
    fail(1, "PutBucketPolicy", AD, Because("public policies are blocked by the BlockPublicPolicy block public access setting.")),
    fail(1, "PutObject", AD, Because("requests that use SSE-C are blocked by the bucket's BlockedEncryptionTypes setting.")),
    fail(1, "GetObject", AD, Fixed("All access to this object has been disabled")),
    fail(1, "CreateSession", "Forbidden", Fixed("Forbidden")),
    fail(3, "Decrypt", ADE, NoAllow("identity-based policy")),
    fail(1, "GenerateDataKey", ADE, Explicit("a resource-based policy")),
    fail(1, "Decrypt", ADE, Fixed("The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.")),
    fail(5, "GetItem", ADE, NoAllow("identity-based policy")),
    fail(2, "PutItem", ADE, Explicit("an identity-based policy")),
    fail(1, "Query", ADE, Explicit("a permissions boundary")),
    fail(1, "DescribeTable", ADE, NoAllow("service control policy")),
    fail(2, "Invoke", ADE, NoAllow("resource-based policy")),
    fail(1, "GetFunction20150331v2", ADE, NoAllow("permissions boundary")),
    fail(1, "CreateFunction20150331", ADE, PassRole),
    fail(2, "GetSecretValue", ADE, Explicit("a resource-based policy")),
    fail(1, "GetSecretValue", ADE, NoAllow("session policy")),
    fail(3, "AssumeRole", AD, NoReason),
    fail(1, "AssumeRole", AD, NoAllow("role trust policy")),
    fail(1, "AssumeRoleWithSAML", AD, Fixed("Not authorized to perform sts:AssumeRoleWithSAML")),
    fail(1, "AssumeRoleWithWebIdentity", AD, Fixed("Not authorized to perform sts:AssumeRoleWithWebIdentity")),
    fail(2, "RunInstances", "UnauthorizedOperation", Ec2Explicit),
    fail(1, "TerminateInstances", "Client.UnauthorizedOperation", Ec2Explicit),
    fail(2, "RunInstances", "UnauthorizedOperation", Ec2Encoded),
    fail(2, "DescribeInstances", "Client.UnauthorizedOperation", Ec2Encoded),
    fail(1, "GetRole", AD, NoAllow("identity-based policy")),
    fail(1, "CreateRole", AD, Explicit(SCP_WITH_ARN)),
    fail(1, "PutRolePolicy", AD, Explicit("an identity-based policy transitively through a service control policy")),
    fail(1, "GetPolicy", AD, NoAllow("identity-based policy")),
    fail(2, "PutMetricData", AD, NoAllow("identity-based policy")),
    fail(1, "GetMetricData", AD, Explicit("a service control policy")),
    fail(1, "ListBuckets", AD, NoAllow("identity-based policy")),
    fail(1, "Publish", "AuthorizationError", NoAllow("identity-based policy")),
    fail(1, "ListAccountRoles", "ForbiddenException", Fixed("No access")),
    fail(1, "GetRoleCredentials", "UnauthorizedException", Fixed("Session token not found or invalid")),
    fail(1, "EnableAWSServiceAccess", "AccessDeniedForDependencyException", Fixed("The request failed because your credentials do not have permission to create the service-linked role required by AWS Organizations.")),
    fail(2, "GetCallerIdentity", "InvalidClientTokenId", Fixed(BAD_TOKEN)),
    fail(1, "ListObjectsV2", "SignatureDoesNotMatch", Fixed("The request signature we calculated does not match the signature you provided. Check your key and signing method.")),
    fail(1, "GetObject", "ExpiredToken", Fixed("The provided token has expired.")),
    fail(1, "Query", "ExpiredTokenException", Fixed("The security token included in the request is expired")),
    fail(1, "PutObject", "InvalidAccessKeyId", Fixed("The AWS Access Key Id you provided does not exist in our records.")),
    fail(1, "DescribeInstances", "AuthFailure", Fixed(NO_CREDENTIALS)),
    fail(1, "DescribeSecurityGroups", "Client.AuthFailure", Fixed(NO_CREDENTIALS)),
    fail(1, "AssumeRole", "IncompleteSignature", Fixed("Authorization header requires 'Credential' parameter.")),
    fail(1, "ListUsers", "MissingAuthenticationToken", Fixed("Request is missing Authentication Token")),
    fail(1, "Decrypt", "UnrecognizedClientException", Fixed(BAD_TOKEN)),
    fail(3, "ConsoleLogin", "", Fixed("Failed authentication")),
    fail(4, "GetObject", "NoSuchKey", Fixed("The specified key does not exist.")),
    fail(1, "PutObject", "AccessControlListNotSupported", Fixed("The bucket does not allow ACLs")),
    fail(1, "ListObjects", "NoSuchBucket", Fixed("The specified bucket does not exist")),
    fail(2, "GenerateDataKey", "ThrottlingException", Fixed("Rate exceeded")),
    fail(1, "Query", "ValidationException", Fixed("One or more parameter values were invalid: Condition parameter type does not match schema type")),
    fail(1, "GetFunction20150331v2", "ResourceNotFoundException", Fixed("Function not found: <arn>")),
    fail(1, "RunInstances", "Client.InvalidParameterValue", Fixed("Value () for parameter groupId is invalid. The value cannot be empty")),
];

impl Failure {
    fn api(&self) -> &'static Api {
        APIS.iter().find(|a| a.name == self.api).expect("failure rows name APIs of the table")
    }
    /// Whether `p` can fail this way: it makes the call, has an ARN if the message names one,
    /// and has credentials unless the error is one an anonymous request can get.
    fn fits(&self, p: &Principal) -> bool {
        let needs_arn = !matches!(self.msg, Fixed(_) | Ec2Encoded);
        let anonymous_ok = self.code == AD || self.code.starts_with("NoSuch");
        p.weight_of(self.api()) > 0
            && (p.has_arn() || !needs_arn)
            && (p.who != Anonymous || anonymous_ok)
    }
}

/// How to choose a record: at random, or forced so that the sample covers every case.
enum Pick {
    Random(f64),
    Row(usize),
    Fail(usize),
    Succeed(usize),
}

/// Every failure row, every principal that can fail and every one that can succeed, once.
fn coverage_plan() -> Vec<Pick> {
    let rows = (0..FAILURES.len()).map(Pick::Row);
    let all = 0..PRINCIPALS.len();
    let failing = all.clone().filter(|&i| PRINCIPALS[i].fail > 0).map(Pick::Fail);
    let succeeding = all.filter(|&i| PRINCIPALS[i].ok > 0).map(Pick::Succeed);
    rows.chain(failing).chain(succeeding).collect()
}

type Choice = (&'static Principal, &'static Api, Option<&'static Failure>);

fn choose(rng: &mut Rng, pick: Pick) -> Choice {
    const INVARIANT: &str = "the tables give every weighted caller a call and a failure row";
    let (failing, row, forced) = match pick {
        Pick::Random(rate) => (rng.chance(rate), None, None),
        Pick::Row(i) => (true, Some(&FAILURES[i]), None),
        Pick::Fail(i) => (true, None, Some(&PRINCIPALS[i])),
        Pick::Succeed(i) => (false, None, Some(&PRINCIPALS[i])),
    };
    let p = forced.unwrap_or_else(|| {
        let fitting = PRINCIPALS.iter().filter(|p| row.is_none_or(|f| f.fits(p)));
        let weights = fitting.map(|p| (if failing { p.fail } else { p.ok }, p));
        rng.weighted(weights).expect(INVARIANT)
    });
    if !failing {
        let api = rng.weighted(APIS.iter().map(|a| (p.weight_of(a), a)));
        return (p, api.expect(INVARIANT), None);
    }
    let f = row.unwrap_or_else(|| {
        let rows = FAILURES.iter().filter(|f| f.fits(p)).map(|f| (f.weight, f));
        rng.weighted(rows).expect(INVARIANT)
    });
    (p, f.api(), Some(f))
}

/// Where and when a record was logged.
struct Ctx<'a> {
    acct: &'static str,
    region: &'static str,
    time: i64,
    /// The bucket S3 calls name instead of one of [`BUCKETS`] (owned by `acct`): `groups` mode.
    bucket: Option<&'a str>,
}

/// What a call acted on.
struct Target {
    arn: String,
    /// How messages name the target: S3 quotes the ARN, IAM says `role NAME`; empty: nothing.
    named: String,
    params: J,
    resources: Option<J>,
    host: String,
}

fn target(rng: &mut Rng, ctx: &Ctx, api: &Api) -> Target {
    if matches!(api.res, Object | Bucket) {
        return s3_target(rng, ctx, api);
    }
    let host = match api.source.trim_end_matches(".amazonaws.com") {
        "iam" => "iam.amazonaws.com".to_owned(),
        "signin" => "signin.aws.amazon.com".to_owned(),
        service => format!("{service}.{}.amazonaws.com", ctx.region),
    };
    let Some((pattern, names, key, kind)) = api.res.pattern() else {
        let (arn, named) = (String::new(), String::new());
        return Target { arn, named, params: J::Null, resources: None, host };
    };
    // RunInstances creates instances: its denials name `instance/*` and it asks for a type.
    let creates = api.name == "RunInstances";
    let name = if creates { "*" } else { rng.pick(names) };
    let arn =
        pattern.replace("<region>", ctx.region).replace("<acct>", ctx.acct).replace("<name>", name);
    let named = match api.res {
        IamRole => format!("role {name}"),
        Policy => format!("policy {arn}"),
        _ => arn.clone(),
    };
    let param = match key {
        _ if creates => ("instanceType", J::from("t3.micro")),
        // Names go in `*Name` keys and instanceId, the other keys take the ARN.
        _ if key.ends_with("Name") || key == "instanceId" => (key, J::from(name)),
        _ => (key, J::from(arn.clone())),
    };
    let entry = |kind: &'static str| obj! {"accountId": ctx.acct, "type": kind, "ARN": arn.clone()};
    let resources = kind.map(|kind| J::Arr(vec![entry(kind)]));
    Target { params: J::Obj(vec![param]), resources, named, arn, host }
}

/// S3 targets: buckets mostly of the logging account, resources[] as S3 data events carry it.
fn s3_target(rng: &mut Rng, ctx: &Ctx, api: &Api) -> Target {
    let (bucket, owner) = match ctx.bucket {
        Some(bucket) => (bucket, ctx.acct),
        None => {
            let weights = BUCKETS.iter().map(|b| (if b.1 == ctx.acct { 17 } else { 1 }, b));
            *rng.weighted(weights).unwrap_or(&BUCKETS[0])
        }
    };
    let host = format!("{bucket}.s3.{}.amazonaws.com", ctx.region);
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let mut resources =
        vec![obj! {"accountId": owner, "type": "AWS::S3::Bucket", "ARN": bucket_arn.clone()}];
    let mut params =
        vec![("bucketName", J::from(bucket.to_owned())), ("Host", J::from(host.clone()))];
    let arn = if api.res == Bucket {
        if api.name.starts_with("ListObjects") {
            params.push(("prefix", J::from(rng.pick(KEY_PREFIXES))));
        }
        bucket_arn
    } else {
        let key = if rng.chance(0.01) {
            AWKWARD_KEY.to_owned()
        } else {
            let (prefix, ext) = (rng.pick(KEY_PREFIXES), rng.pick(KEY_EXTS));
            format!("{prefix}part-{:05}{ext}", rng.below(2000))
        };
        let arn = format!("{bucket_arn}/{key}");
        params.push(("key", J::from(key)));
        resources.insert(0, obj! {"type": "AWS::S3::Object", "ARN": arn.clone()});
        arn
    };
    let named = format!("\"{arn}\"");
    Target { arn, named, params: J::Obj(params), resources: Some(J::Arr(resources)), host }
}

fn identity(p: &Principal, acct: &'static str, time: i64) -> Option<J> {
    let mut ids = Rng(fnv(p.name) ^ fnv(acct));
    let (unique, key) = (ids.chars(17, BASE32), ids.chars(16, BASE32));
    let (part, arn, name, detail) = (p.partition, p.arn(acct), p.name, p.detail);
    let session = |kind: &'static str, id: String, issuer: String, name: &'static str| {
        let issuer = obj! {
            "type": kind, "principalId": id, "arn": issuer, "accountId": acct, "userName": name,
        };
        // Sessions start on the hour: less noise for gzip, and the same for every call.
        let created = iso(time - time.rem_euclid(3600));
        let attributes = obj! {"creationDate": created, "mfaAuthenticated": "false"};
        obj! {"sessionIssuer": issuer, "attributes": attributes}
    };
    Some(match p.who {
        User => obj! {
            "type": "IAMUser", "principalId": format!("AIDA{unique}"), "arn": arn,
            "accountId": acct, "accessKeyId": format!("AKIA{key}"), "userName": name,
        },
        Role => {
            let issuer = format!("arn:{part}:iam::{acct}:role/{name}");
            let context = session("Role", format!("AROA{unique}"), issuer, leaf(name));
            obj! {
                "type": "AssumedRole", "principalId": format!("AROA{unique}:{detail}"), "arn": arn,
                "accountId": acct, "accessKeyId": format!("ASIA{key}"), "sessionContext": context,
            }
        }
        Root => obj! {
            "type": "Root", "principalId": acct, "arn": arn, "accountId": acct,
            "accessKeyId": format!("ASIA{key}"),
        },
        Service => obj! {"type": "AWSService", "invokedBy": name},
        CrossAccount => obj! {
            "type": "AWSAccount", "principalId": format!("AIDA{unique}"),
            "accountId": FOREIGN_ACCOUNT,
        },
        Anonymous => {
            obj! {"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}
        }
        Federated => {
            let issuer = format!("arn:{part}:iam::{acct}:user/{detail}");
            let context = session("IAMUser", format!("AIDA{unique}"), issuer, detail);
            obj! {
                "type": "FederatedUser", "principalId": format!("{acct}:{name}"), "arn": arn,
                "accountId": acct, "accessKeyId": format!("ASIA{key}"), "sessionContext": context,
            }
        }
        Saml => obj! {
            "type": "SAMLUser", "principalId": format!("{detail}:{name}"), "userName": name,
            "identityProvider": detail,
        },
        WebIdentity => obj! {
            "type": "WebIdentityUser",
            "principalId": format!("accounts.google.com:{detail}:{name}"), "userName": name,
            "identityProvider": "accounts.google.com",
        },
        IdentityCenter => {
            let store = format!("arn:aws:identitystore::{acct}:identitystore/d-1234567890");
            obj! {
                "type": "IdentityCenterUser", "accountId": acct,
                "onBehalfOf": obj! {"userId": name, "identityStoreArn": store},
                "credentialId": format!("{unique}{key}"),
            }
        }
        Unknown => obj! {
            "type": "Unknown", "principalId": format!("AIDA{unique}"), "accountId": acct,
            "userName": name,
        },
        Missing => return None,
    })
}

/// Each caller mostly uses three "home" addresses out of 39 documentation-range IPs.
fn source_ip(rng: &mut Rng, p: &Principal) -> String {
    if p.who == Service {
        return p.name.to_owned();
    }
    let count = (IP_NETS.len() * IP_HOSTS.len()) as u64;
    let i = if rng.chance(0.9) { fnv(p.name) % count + rng.below(3) } else { rng.below(count) };
    let i = (i % count) as usize;
    format!("{}.{}", IP_NETS[i % 3], IP_HOSTS[i / 3])
}

/// Callers mostly stick to one SDK or CLI and sometimes use another; services name themselves
/// and console sign-ins come from a browser.
fn user_agent(rng: &mut Rng, p: &Principal, api: &Api) -> &'static str {
    match p.who {
        Service => p.name,
        _ if api.cat == SignIn => BROWSER,
        Anonymous => rng.pick(SCANNER_AGENTS),
        _ if rng.chance(0.75) => USER_AGENTS[fnv(p.name) as usize % 6].1,
        _ => rng.weighted(USER_AGENTS.iter().copied()).unwrap_or("AWS Internal"),
    }
}

fn message(rng: &mut Rng, f: &Failure, caller: &str, api: &Api, t: &Target, ctx: &Ctx) -> String {
    let denied = |action: &str, named: &str| {
        let on = if named.is_empty() { String::new() } else { format!(" on resource: {named}") };
        format!("User: {caller} is not authorized to perform: {action}{on}")
    };
    let (action, named) = (api.action, t.named.as_str());
    let ec2 = "You are not authorized to perform this operation.";
    let encoded = |rng: &mut Rng| {
        let len = 300 + rng.below(400) as usize;
        format!("Encoded authorization failure message: {}", rng.chars(len, ALNUM))
    };
    let policy_allows = "because no identity-based policy allows the";
    match f.msg {
        Fixed(text) => text.replace("<arn>", &t.arn),
        NoAllow(policy) => {
            format!("{} because no {policy} allows the {action} action", denied(action, named))
        }
        Explicit(policy) => format!("{} with an explicit deny in {policy}", denied(action, named)),
        NoReason => denied(action, named),
        Because(reason) => format!("{} because {reason}", denied(action, named)),
        KmsDecrypt => {
            let key = format!("arn:aws:kms:{}:{}:key/{}", ctx.region, ctx.acct, rng.pick(KMS_KEYS));
            format!("{} {policy_allows} kms:Decrypt action", denied("kms:Decrypt", &key))
        }
        PassRole => {
            let role = format!("arn:aws:iam::{}:role/service-role/lambda-exec", ctx.acct);
            format!("{} {policy_allows} iam:PassRole action", denied("iam:PassRole", &role))
        }
        Ec2Explicit => {
            let denial = denied(action, named);
            format!(
                "{ec2} {denial} with an explicit deny in a service control policy. {}",
                encoded(rng)
            )
        }
        Ec2Encoded => format!("{ec2} {}", encoded(rng)),
    }
}

/// One CloudTrail record, its fields in the order AWS writes them.
fn record(rng: &mut Rng, ctx: &Ctx, (p, api, failure): Choice) -> J {
    let acct = if p.who == CrossAccount { FOREIGN_ACCOUNT } else { ctx.acct };
    let t = target(rng, ctx, api);
    let s3 = api.source == S3;
    let agent = user_agent(rng, p, api);
    let console =
        agent.starts_with(['[', 'M']) || agent == "AWS Internal" || agent.starts_with("console");
    let text = failure.map(|f| message(rng, f, &p.arn(acct).unwrap_or_default(), api, &t, ctx));
    let (mut params, mut resources) = (t.params, t.resources);
    if let (true, Some(text)) = (s3, &text) {
        // Some S3 denials lack requestParameters; a few name their bucket only in the message.
        match rng.below(16) {
            0 => params = J::Null,
            1 if text.contains("arn:aws:s3:::") => (params, resources) = (J::Null, None),
            _ => {}
        }
    }
    let vpce = text.as_ref().is_some_and(|m| m.contains("VPC endpoint"))
        || s3 && p.who == Role && rng.chance(0.2);
    let response = match (api.name, failure.is_some()) {
        ("ConsoleLogin", failed) => {
            obj! {"ConsoleLogin": if failed { "Failure" } else { "Success" }}
        }
        ("AssumeRole", false) => {
            let key = format!("ASIA{}", rng.chars(16, BASE32));
            obj! {"credentials": obj! {"accessKeyId": key, "expiration": iso(ctx.time + 3600)}}
        }
        _ => J::Null,
    };
    let extra = if s3 {
        // Objects keep their size; x-amz-id-2 names the S3 front end, from a small pool.
        let size = fnv(&t.arn) % (5 << 20);
        let (bytes_in, bytes_out) = match (failure, api.read_only) {
            (Some(_), _) => (0, 243),
            (None, true) => (0, size),
            (None, false) => (size, 0),
        };
        let host_id = format!("{}=", Rng(rng.below(8)).chars(75, BASE64));
        Some(obj! {
            "SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": bytes_in, "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": host_id, "bytesTransferredOut": bytes_out,
        })
    } else {
        (api.cat == SignIn).then(|| {
            obj! {
                "LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No",
                "MFAUsed": "No",
            }
        })
    };
    let request_id = match (api.cat, s3) {
        (SignIn, _) => None,
        (_, true) => Some(rng.chars(16, HEX_UPPER)),
        _ => Some(rng.uuid()),
    };
    let event_type = match api.cat {
        SignIn => "AwsConsoleSignIn",
        ServiceEvent => "AwsServiceEvent",
        _ => "AwsApiCall",
    };
    let tls = (p.who != Service).then(|| {
        let version = if rng.chance(0.85) { "TLSv1.3" } else { "TLSv1.2" };
        obj! {
            "tlsVersion": version, "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": t.host,
        }
    });
    obj! {
        "eventVersion": "1.11",
        "userIdentity": opt(identity(p, acct, ctx.time)),
        "eventTime": iso(ctx.time),
        "eventSource": api.source,
        "eventName": api.name,
        "awsRegion": ctx.region,
        "sourceIPAddress": source_ip(rng, p),
        "userAgent": agent,
        "errorCode": opt(failure.map(|f| f.code).filter(|code| !code.is_empty())),
        "errorMessage": opt(text),
        "requestParameters": params,
        "responseElements": response,
        "additionalEventData": opt(extra),
        "requestID": opt(request_id),
        "eventID": rng.uuid(),
        "readOnly": api.read_only,
        "resources": opt(resources),
        "eventType": event_type,
        "managementEvent": api.cat != Data,
        "recipientAccountId": ctx.acct,
        "vpcEndpointId": opt(vpce.then_some(VPC_ENDPOINT)),
        "vpcEndpointAccountId": opt(vpce.then_some(ctx.acct)),
        "eventCategory": if api.cat == Data { "Data" } else { "Management" },
        "tlsDetails": opt(tls),
        "sessionCredentialFromConsole": opt((console && p.who != Service).then_some("true")),
    }
}

fn with_context(e: io::Error, what: &dyn std::fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// Creates `path` and its parents as a gzip stream with mtime 0 and no file name in the
/// header, so the bytes depend only on the content.
fn create_gz(path: &Path, level: Compression) -> io::Result<GzEncoder<BufWriter<File>>> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| with_context(e, &dir.display()))?;
    }
    let file = File::create(path).map_err(|e| with_context(e, &path.display()))?;
    Ok(GzBuilder::new().mtime(0).write(BufWriter::with_capacity(1 << 16, file), level))
}

/// Digests and Insights objects: small, one JSON document each.
fn write_json_gz(out: &Path, key: &str, doc: &J) -> io::Result<()> {
    let mut buf = Vec::new();
    doc.write(&mut buf)?;
    let mut gz = create_gz(&out.join(key), Compression::best())?;
    gz.write_all(&buf).and_then(|()| gz.finish()?.flush()).map_err(|e| with_context(e, &key))
}

fn log_key(rng: &mut Rng, acct: &str, region: &str, at: i64) -> String {
    let (day, stamp, unique) = (day_path(at), stamp(at, false), rng.chars(16, ALNUM));
    format!(
        "AWSLogs/{ORG}/{acct}/CloudTrail/{region}/{day}/{acct}_CloudTrail_{region}_{stamp}_{unique}.json.gz"
    )
}

/// A log object being written as `{"Records":[...]}`, one record at a time through a reused
/// buffer: memory stays at one record whatever the size of the file.
struct LogWriter {
    gz: GzEncoder<BufWriter<File>>,
    buf: Vec<u8>,
    meta: LogMeta,
}

/// What a digest (or the bench summary) needs to know about a written log object.
struct LogMeta {
    key: String,
    records: u64,
    json_bytes: u64,
    oldest: i64,
    newest: i64,
}

impl LogWriter {
    fn create(out: &Path, key: String, level: Compression) -> io::Result<Self> {
        let gz = create_gz(&out.join(&key), level)?;
        let meta = LogMeta { key, records: 0, json_bytes: 0, oldest: i64::MAX, newest: i64::MIN };
        let mut writer = LogWriter { gz, buf: b"{\"Records\":[".to_vec(), meta };
        writer.flush_buf()?;
        Ok(writer)
    }
    fn flush_buf(&mut self) -> io::Result<()> {
        self.meta.json_bytes += self.buf.len() as u64;
        self.gz.write_all(&self.buf).map_err(|e| with_context(e, &self.meta.key))
    }
    fn push(&mut self, record: &J, time: i64) -> io::Result<()> {
        self.buf.clear();
        if self.meta.records > 0 {
            self.buf.push(b',');
        }
        record.write(&mut self.buf)?;
        self.flush_buf()?;
        self.meta.records += 1;
        self.meta.oldest = self.meta.oldest.min(time);
        self.meta.newest = self.meta.newest.max(time);
        Ok(())
    }
    fn finish(mut self) -> io::Result<LogMeta> {
        self.buf.clear();
        self.buf.extend_from_slice(b"]}");
        self.flush_buf()?;
        let finished = self.gz.finish().and_then(|mut file| file.flush());
        finished.map_err(|e| with_context(e, &self.meta.key))?;
        Ok(self.meta)
    }
}

/// The digest a trail/region chain wrote last: the next one links back to it.
struct DigestLink {
    key: String,
    end: i64,
    signature: String,
}

/// One digest per account, region and day (real trails write one an hour: fewer keep the
/// sample small), with the real field set; hashes and signatures are random hex.
fn write_digest(
    rng: &mut Rng,
    out: &Path,
    (acct, region): (&'static str, &'static str),
    logs: &[LogMeta],
    prev: Option<DigestLink>,
) -> io::Result<DigestLink> {
    let oldest = logs.iter().map(|l| l.oldest).min().unwrap_or(SAMPLE_START);
    let newest = logs.iter().map(|l| l.newest).max().unwrap_or(SAMPLE_START);
    let (start, end) =
        (prev.as_ref().map_or(oldest - 60, |p| p.end), newest + 900 + rng.below(60) as i64);
    let (day, stamp) = (day_path(end), stamp(end, true));
    let key = format!(
        "AWSLogs/{ORG}/{acct}/CloudTrail-Digest/{region}/{day}/{acct}_CloudTrail-Digest_{region}_{TRAIL}_{region}_{stamp}.json.gz"
    );
    let files: Vec<J> = logs
        .iter()
        .map(|l| obj! {
            "s3Bucket": TRAIL_BUCKET, "s3Object": l.key.clone(), "hashValue": rng.chars(64, HEX),
            "hashAlgorithm": "SHA-256", "newestEventTime": iso(l.newest),
            "oldestEventTime": iso(l.oldest),
        })
        .collect();
    let chained = prev.is_some();
    let (prev_key, prev_signature) = prev.map(|p| (p.key, p.signature)).unzip();
    let doc = obj! {
        "awsAccountId": acct, "digestStartTime": iso(start), "digestEndTime": iso(end),
        "digestS3Bucket": TRAIL_BUCKET, "digestS3Object": key.clone(),
        "digestPublicKeyFingerprint": rng.chars(32, HEX),
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": iso(newest), "oldestEventTime": iso(oldest),
        "previousDigestS3Bucket": chained.then_some(TRAIL_BUCKET),
        "previousDigestS3Object": prev_key,
        "previousDigestHashValue": chained.then(|| rng.chars(64, HEX)),
        "previousDigestHashAlgorithm": chained.then_some("SHA-256"),
        "previousDigestSignature": prev_signature, "logFiles": files,
    };
    write_json_gz(out, &key, &doc)?;
    Ok(DigestLink { key, end, signature: rng.chars(512, HEX) })
}

/// The Start/End pair of one ApiErrorRateInsight on kms:Decrypt, as CloudTrail delivers it.
fn write_insight(rng: &mut Rng, out: &Path) -> io::Result<()> {
    let acct = ACCOUNTS[0];
    let at = SAMPLE_START + DAY + 12 * 3600;
    let (day, stamp, unique) = (day_path(at), stamp(at, false), rng.chars(16, ALNUM));
    let key = format!(
        "AWSLogs/{ORG}/{acct}/CloudTrail-Insight/us-east-1/{day}/{acct}_CloudTrail-Insight_us-east-1_{stamp}_{unique}.json.gz"
    );
    let shared = rng.uuid();
    let caller = format!("arn:aws:sts::{acct}:assumed-role/lambda-exec/order-processor");
    let attributions = |average: f64| {
        let values = [
            ("userIdentityArn", caller.clone(), 0.0125),
            ("userAgent", USER_AGENTS[1].1.to_owned(), 0.0125),
            ("errorCode", "AccessDeniedException".to_owned(), 0.0208),
        ];
        let one = |value: String, average: f64| vec![obj! {"value": value, "average": average}];
        let attributions = values.map(|(attribute, value, baseline)| {
            obj! {
                "attribute": attribute, "insight": one(value.clone(), average),
                "baseline": one(value, baseline),
            }
        });
        Vec::from(attributions)
    };
    let mut event = |state: &'static str, time: i64, minutes: u64, average: f64| {
        let statistics = obj! {
            "baseline": obj! {"average": 0.0208}, "insight": obj! {"average": average},
            "insightDuration": minutes, "baselineDuration": 10_080u64,
        };
        let context = obj! {"statistics": statistics, "attributions": attributions(average)};
        let details = obj! {
            "state": state, "eventSource": KMS, "eventName": "Decrypt",
            "insightType": "ApiErrorRateInsight", "errorCode": "AccessDeniedException",
            "insightContext": context,
        };
        obj! {
            "eventVersion": "1.08", "eventTime": iso(time), "awsRegion": "us-east-1",
            "eventID": rng.uuid(), "eventType": "AwsCloudTrailInsight", "recipientAccountId": acct,
            "sharedEventID": shared.clone(), "insightDetails": details, "eventCategory": "Insight",
        }
    };
    let records = vec![event("Start", at - 25 * 60, 1, 6.0), event("End", at - 9 * 60, 16, 4.75)];
    write_json_gz(out, &key, &obj! {"Records": records})
}

/// Refuses to write into an existing trail: objects of an older run would survive and make
/// the tree differ from what the seed produces.
fn fresh(out: &Path) -> io::Result<()> {
    for dir in ["AWSLogs", "policies"] {
        let dir = out.join(dir);
        if dir.exists() {
            let msg = format!("{} exists; remove it first", dir.display());
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, msg));
        }
    }
    Ok(())
}

// Declared after `obj!` so that the module sees the macro.
#[path = "gen_trail/cases.rs"]
mod cases;
#[path = "gen_trail/matching.rs"]
mod matching;
#[path = "gen_trail/replay.rs"]
mod replay;
#[path = "gen_trail/snapshot.rs"]
mod snapshot;
#[path = "gen_trail/truth.rs"]
mod truth;
#[path = "gen_trail/world.rs"]
mod world;

/// Counts for the summary `sample` prints.
#[derive(Default)]
struct Tally {
    records: u64,
    failures: BTreeMap<&'static str, u64>,
}

fn sample(out: &Path, truth_csv: Option<&Path>) -> io::Result<()> {
    fresh(out)?;
    let (mut rng, mut plan, mut tally) = (Rng(SAMPLE_SEED), coverage_plan(), Tally::default());
    let (mut files, mut digests) = (0, 0);
    for (acct, region) in ACCOUNTS.into_iter().flat_map(|a| REGIONS.map(|r| (a, r))) {
        let mut link = None;
        for day in 0..3 {
            let mut logs = Vec::new();
            for slot in 0..FILES_PER_DAY {
                // Delivered 0:30 to 3:00 into a four-hour slot, so never across midnight.
                let minute = 30 + rng.below(150) as i64;
                let at = SAMPLE_START + day * DAY + slot * 4 * 3600 + minute * 60;
                let log = sample_log(&mut rng, out, (acct, region, at), &mut plan, &mut tally)?;
                logs.push(log);
            }
            files += logs.len();
            link = Some(write_digest(&mut rng, out, (acct, region), &logs, link)?);
            digests += 1;
        }
    }
    write_insight(&mut rng, out)?;
    // Last, so that every file above stays the same: the two patterns of POLICY.md §6.3.
    write_stories(&mut rng, out, &mut tally)?;
    // After the stories, for the same reason: the cases of issue 17, one record each.
    cases::write_cases(&mut rng, out, &mut tally)?;
    cases::write_transient(&mut rng, out, &mut tally)?;
    files += 4;
    let (records, failed) = (tally.records, tally.failures.values().sum::<u64>());
    println!(
        "{files} log files, {digests} digests, 1 Insights object; {records} records, {failed} failures:"
    );
    for (code, n) in tally.failures {
        println!("  {code:<36} {n:>5}");
    }
    // The snapshot and the truth read the trail back: they draw nothing from its RNG.
    let records = truth::records(out)?;
    write_snapshot(out, &records)?;
    if let Some(path) = truth_csv {
        let (rows, noted) = truth::write_truth(&records, path)?;
        println!(
            "{}: {rows} denials, {noted} with a note (left out of the strict comparison)",
            path.display()
        );
    }
    Ok(())
}

/// Writes `out/policies/`, captured at the trail's last event: the policies as they are after it.
fn write_snapshot(out: &Path, records: &[serde_json::Value]) -> io::Result<()> {
    let last = records.iter().filter_map(|r| r["eventTime"].as_str()).max().unwrap_or_default();
    let files = snapshot::snapshot_files(last);
    for (path, text) in &files {
        let path = out.join("policies").join(path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| with_context(e, &dir.display()))?;
        }
        fs::write(&path, text).map_err(|e| with_context(e, &path.display()))?;
    }
    println!(
        "{} snapshot files in {}, captured at {last}",
        files.len(),
        out.join("policies").display()
    );
    Ok(())
}

/// The bucket whose policy is replaced in the first story, and the service it locks out.
const STORY_BUCKET: &str = "audit-logs-central";
const STORY_SERVICE: &str = "delivery.logs.amazonaws.com";
/// The user of the second story, who is denied and then grants itself everything.
const STORY_USER: &str = "dev-intern";

/// Two short logs that tell the stories real trails show (POLICY.md §6.3), in account
/// 111122223333, us-east-1: (1) the root user replaces the bucket policy of [`STORY_BUCKET`] with
/// CloudTrail's own two statements, and five minutes later the log delivery service starts failing
/// to write into it, with a bare `Access Denied`, for a day; (2) the user [`STORY_USER`] is denied
/// a burst of List/Describe calls and, six minutes later, attaches `Allow * on *` to itself.
fn write_stories(rng: &mut Rng, out: &Path, tally: &mut Tally) -> io::Result<()> {
    let (acct, region) = ("111122223333", "us-east-1");
    let replaced_at = SAMPLE_START + DAY + 10 * 3600;
    let story = |rng: &mut Rng,
                 time: i64,
                 (source, name): (&'static str, &'static str),
                 who: J,
                 denied: Option<String>,
                 params: J| {
        obj! {
            "eventVersion": "1.11", "userIdentity": who, "eventTime": iso(time), "eventSource": source,
            "eventName": name, "awsRegion": region, "sourceIPAddress": "203.0.113.77",
            "userAgent": "aws-cli/2.22.4 md/Botocore#1.35.70 os/linux",
            "errorCode": opt(denied.as_ref().map(|_| AD)), "errorMessage": opt(denied),
            "requestParameters": params, "responseElements": J::Null, "requestID": rng.uuid(),
            "eventID": rng.uuid(), "readOnly": false, "eventType": "AwsApiCall",
            "managementEvent": name != "PutObject", "recipientAccountId": acct,
            "eventCategory": if name == "PutObject" { "Data" } else { "Management" },
        }
    };
    let root = || obj! {"type": "Root", "principalId": acct, "arn": "arn:aws:iam::111122223333:root", "accountId": acct, "accessKeyId": "ASIAROOTSTORY0000001"};
    let cloudtrail_only = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::{STORY_BUCKET}"}},{{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::{STORY_BUCKET}/AWSLogs/{acct}/*","Condition":{{"StringEquals":{{"s3:x-amz-acl":"bucket-owner-full-control"}}}}}}]}}"#
    );
    let mut writer = LogWriter::create(
        out,
        log_key(rng, acct, region, replaced_at + 1800),
        Compression::best(),
    )?;
    let put = story(
        rng,
        replaced_at,
        (S3, "PutBucketPolicy"),
        root(),
        None,
        obj! {"bucketName": STORY_BUCKET, "bucketPolicy": J::Raw(cloudtrail_only), "Host": "s3.amazonaws.com", "policy": ""},
    );
    writer.push(&put, replaced_at)?;
    tally.records += 1;
    let service = || obj! {"type": "AWSService", "invokedBy": STORY_SERVICE};
    for i in 0..40 {
        // Every 40 minutes from five minutes after the change, for a day and a bit.
        let time = replaced_at + 300 + i * 2400;
        let key =
            format!("AWSLogs/{acct}/elasticloadbalancing/{region}/2026/11/02/alb-{i:03}.log.gz");
        let params = obj! {"bucketName": STORY_BUCKET, "key": key.clone(), "x-amz-acl": "bucket-owner-full-control"};
        let mut record =
            story(rng, time, (S3, "PutObject"), service(), Some("Access Denied".into()), params);
        if let J::Obj(fields) = &mut record {
            let arn = format!("arn:aws:s3:::{STORY_BUCKET}/{key}");
            let resources = vec![
                obj! {"type": "AWS::S3::Object", "ARN": arn},
                obj! {"accountId": acct, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{STORY_BUCKET}")},
            ];
            fields.push(("resources", J::Arr(resources)));
        }
        writer.push(&record, time)?;
        tally.records += 1;
        *tally.failures.entry(AD).or_default() += 1;
    }
    writer.finish()?;

    let denied_at = SAMPLE_START + 2 * DAY + 14 * 3600;
    let user_arn = format!("arn:aws:iam::{acct}:user/{STORY_USER}");
    let user = || obj! {"type": "IAMUser", "principalId": "AIDASTORYDEVINTERN01", "arn": format!("arn:aws:iam::111122223333:user/{STORY_USER}"), "accountId": acct, "accessKeyId": "AKIASTORYDEVINTERN01", "userName": STORY_USER};
    let mut writer =
        LogWriter::create(out, log_key(rng, acct, region, denied_at + 1800), Compression::best())?;
    let burst: [(&str, &str, &str, &str); 4] = [
        (IAM, "ListRoles", "iam:ListRoles", "arn:aws:iam::111122223333:role/"),
        (IAM, "ListUsers", "iam:ListUsers", "arn:aws:iam::111122223333:user/"),
        (EC2, "DescribeInstances", "ec2:DescribeInstances", "*"),
        (
            IAM,
            "ListAttachedUserPolicies",
            "iam:ListAttachedUserPolicies",
            "arn:aws:iam::111122223333:user/dev-intern",
        ),
    ];
    for i in 0..12_i64 {
        let (source, name, action, resource) = burst[i as usize % burst.len()];
        let time = denied_at + i * 15;
        let message = format!(
            "User: {user_arn} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
        );
        let record = story(rng, time, (source, name), user(), Some(message), J::Null);
        let record = match record {
            J::Obj(mut fields) => {
                for (k, v) in fields.iter_mut() {
                    if *k == "errorCode" {
                        *v = if source == EC2 {
                            "Client.UnauthorizedOperation".into()
                        } else {
                            "AccessDenied".into()
                        };
                    }
                }
                J::Obj(fields)
            }
            other => other,
        };
        writer.push(&record, time)?;
        tally.records += 1;
        *tally
            .failures
            .entry(if source == EC2 { "Client.UnauthorizedOperation" } else { AD })
            .or_default() += 1;
    }
    let granted_at = denied_at + 12 * 15 + 360;
    let allow_all =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let grant = story(
        rng,
        granted_at,
        (IAM, "PutUserPolicy"),
        user(),
        None,
        obj! {"userName": STORY_USER, "policyName": "admin-now", "policyDocument": allow_all},
    );
    writer.push(&grant, granted_at)?;
    tally.records += 1;
    writer.finish()?;
    Ok(())
}

/// One sample log object delivered at `at`; every [`FORCE_EVERY`]th record comes from `plan`.
fn sample_log(
    rng: &mut Rng,
    out: &Path,
    (acct, region, at): (&'static str, &'static str, i64),
    plan: &mut Vec<Pick>,
    tally: &mut Tally,
) -> io::Result<LogMeta> {
    let key = log_key(rng, acct, region, at);
    let mut writer = LogWriter::create(out, key, Compression::best())?;
    for _ in 0..120 + rng.below(130) {
        let time = at - 1 - rng.below(899) as i64;
        let forced = tally.records.is_multiple_of(FORCE_EVERY).then(|| plan.pop()).flatten();
        let choice = choose(rng, forced.unwrap_or(Pick::Random(SAMPLE_FAILURE_RATE)));
        if let Some(f) = choice.2 {
            let code = Some(f.code).filter(|c| !c.is_empty());
            *tally.failures.entry(code.unwrap_or("(none: failed ConsoleLogin)")).or_default() += 1;
        }
        writer.push(&record(rng, &Ctx { acct, region, time, bucket: None }, choice), time)?;
        tally.records += 1;
    }
    writer.finish()
}

/// `bench` arguments.
struct BenchArgs {
    dir: String,
    size_mb: u64,
    rate: f64,
    seed: u64,
}

/// Bench file `k` of `sizes.len()`: its own RNG stream (the output does not depend on which
/// thread writes it), a delivery time spread over [`BENCH_SPAN`], and records until it holds
/// `sizes[k]` bytes of JSON. Returns the file's metadata and its number of failures.
fn bench_file(args: &BenchArgs, k: usize, sizes: &[u64]) -> io::Result<(LogMeta, u64)> {
    let mut rng = Rng(args.seed ^ (k as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let at = SAMPLE_START + 900 + BENCH_SPAN * k as i64 / sizes.len() as i64 / 60 * 60;
    let (acct, region) = (ACCOUNTS[k % 3], REGIONS[k / 3 % 2]);
    let key = log_key(&mut rng, acct, region, at);
    // The default level keeps real-world ratios (~10x) and still runs well above 100 MB/s.
    let mut writer = LogWriter::create(Path::new(&args.dir), key, Compression::default())?;
    let mut failures = 0;
    while writer.meta.json_bytes < sizes[k] {
        let time = at - 1 - rng.below(899) as i64;
        let choice = choose(&mut rng, Pick::Random(args.rate));
        failures += u64::from(choice.2.is_some());
        writer.push(&record(&mut rng, &Ctx { acct, region, time, bucket: None }, choice), time)?;
    }
    Ok((writer.finish()?, failures))
}

fn bench(args: &BenchArgs) -> io::Result<()> {
    fresh(Path::new(&args.dir))?;
    // Sizes are planned first so that file k is the same whichever thread writes it.
    let (mut rng, mut sizes, mut left) = (Rng(args.seed), Vec::new(), args.size_mb * MB);
    while left > 0 {
        let size = (MB + rng.below(9 * MB)).min(left.max(MB));
        sizes.push(size);
        left = left.saturating_sub(size);
    }
    write_files(sizes.len(), |k| bench_file(args, k, &sizes))
}

/// `groups` arguments.
struct GroupsArgs {
    dir: String,
    groups: u64,
    seed: u64,
}

/// Records per `groups` file: ten files for a million groups, so the scan has objects to spread
/// over its workers.
const GROUPS_PER_FILE: u64 = 100_000;

/// `groups` file `k`: records `k * GROUPS_PER_FILE..` of `args.groups`, each an S3 denial (an
/// `AccessDenied` row of [`FAILURES`], by weight) on the bucket `probe-<record number>`.
fn groups_file(args: &GroupsArgs, k: usize) -> io::Result<(LogMeta, u64)> {
    let mut rng = Rng(args.seed ^ (k as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    let at = SAMPLE_START + 900 + 3600 * k as i64;
    let (acct, region) = (ACCOUNTS[k % 3], REGIONS[k / 3 % 2]);
    let key = log_key(&mut rng, acct, region, at);
    let mut writer = LogWriter::create(Path::new(&args.dir), key, Compression::default())?;
    let s3_denials = FAILURES.iter().enumerate().filter(|(_, f)| {
        let api = f.api();
        f.code == AD && api.source == S3 && matches!(api.res, Object | Bucket)
    });
    let first = k as u64 * GROUPS_PER_FILE;
    for n in first..(first + GROUPS_PER_FILE).min(args.groups) {
        let time = at - 1 - rng.below(899) as i64;
        let row = rng.weighted(s3_denials.clone().map(|(i, f)| (f.weight, i)));
        let choice = choose(&mut rng, Pick::Row(row.expect("the table has S3 denials")));
        let bucket = format!("probe-{n:08}");
        let ctx = Ctx { acct, region, time, bucket: Some(&bucket) };
        writer.push(&record(&mut rng, &ctx, choice), time)?;
    }
    let records = writer.meta.records;
    Ok((writer.finish()?, records))
}

fn groups(args: &GroupsArgs) -> io::Result<()> {
    fresh(Path::new(&args.dir))?;
    write_files(args.groups.div_ceil(GROUPS_PER_FILE) as usize, |k| groups_file(args, k))
}

/// Writes files `0..count` with `file` on all cores (file `k` returns its metadata and its
/// number of failures) and prints what was written.
fn write_files(
    count: usize,
    file: impl Fn(usize) -> io::Result<(LogMeta, u64)> + Sync,
) -> io::Result<()> {
    let next = AtomicUsize::new(0);
    let [bytes, records, failures] = [(); 3].map(|()| AtomicU64::new(0));
    let workers = thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    thread::scope(|scope| {
        let work = || -> io::Result<()> {
            loop {
                let k = next.fetch_add(1, Relaxed);
                if k >= count {
                    return Ok(());
                }
                let (meta, failed) = file(k)?;
                bytes.fetch_add(meta.json_bytes, Relaxed);
                records.fetch_add(meta.records, Relaxed);
                failures.fetch_add(failed, Relaxed);
            }
        };
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
        let mut joined =
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| panic::resume_unwind(e)));
        joined.try_for_each(|result| result)
    })?;
    let secs = started.elapsed().as_secs_f64();
    let mb = bytes.into_inner() as f64 / MB as f64;
    let (records, failures) = (records.into_inner(), failures.into_inner());
    println!(
        "{count} files, {mb:.1} MB of JSON, {records} records, {failures} failures, {secs:.2} s on {workers} threads: {:.0} MB/s",
        mb / secs
    );
    Ok(())
}

enum Mode {
    Sample(String, Option<String>),
    Bench(BenchArgs),
    Groups(GroupsArgs),
}

fn parse(args: &[String]) -> Option<Mode> {
    match args {
        [mode, dir] if mode == "sample" => Some(Mode::Sample(dir.clone(), None)),
        [mode, dir, flag, csv] if mode == "sample" && flag == "--truth" => {
            Some(Mode::Sample(dir.clone(), Some(csv.clone())))
        }
        [mode, dir, flags @ ..] if mode == "bench" => {
            let (mut size_mb, mut rate, mut seed) = (None, 0.01, 1);
            for pair in flags.chunks(2) {
                let [flag, value] = pair else { return None };
                match flag.as_str() {
                    "--size-mb" => size_mb = Some(value.parse().ok().filter(|&n: &u64| n > 0)?),
                    "--failure-rate" => {
                        rate = value.parse().ok().filter(|r| (0.0..=1.0).contains(r))?
                    }
                    "--seed" => seed = value.parse().ok()?,
                    _ => return None,
                }
            }
            Some(Mode::Bench(BenchArgs { dir: dir.clone(), size_mb: size_mb?, rate, seed }))
        }
        [mode, dir, flags @ ..] if mode == "groups" => {
            let (mut groups, mut seed) = (None, 1);
            for pair in flags.chunks(2) {
                let [flag, value] = pair else { return None };
                match flag.as_str() {
                    "--groups" => groups = Some(value.parse().ok().filter(|&n: &u64| n > 0)?),
                    "--seed" => seed = value.parse().ok()?,
                    _ => return None,
                }
            }
            Some(Mode::Groups(GroupsArgs { dir: dir.clone(), groups: groups?, seed }))
        }
        _ => None,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match mode {
        Mode::Sample(dir, truth) => sample(Path::new(&dir), truth.as_deref().map(Path::new)),
        Mode::Bench(args) => bench(&args),
        Mode::Groups(args) => groups(&args),
    };
    if let Err(e) = result {
        eprintln!("gen_trail: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
