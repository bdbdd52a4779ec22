//! A policy snapshot: the policies of one or more accounts (and of their organization) as the
//! AWS CLI printed them at one moment, kept in a directory (`--policies DIR`, layout in
//! `POLICY.md` §2.2 and the README's "Policy snapshot"). It turns that directory into the
//! inputs of [`crate::policy::Request`]: a principal's identity policies, boundary and trust
//! policy, a bucket's policy and Block Public Access, the SCP and RCP chains of an account, key
//! and VPC endpoint policies.
//!
//! Every piece is in one of three knowledge states ([`Known`]): *present*, *known absent*
//! (AWS said there is none: `NoSuchBucketPolicy`, an account outside any organization) or
//! *not captured* (no file, an `AccessDenied` while fetching, a broken file). The evaluation
//! treats the last as unknown and lists its [`Gap`]; it must never read "not captured" as
//! "none", which would turn a missing file into a guessed implicit deny.
//!
//! The files are the CLI's own JSON, unchanged, so that a user can build the tree with a shell
//! loop. What a file is about comes from its content wherever the content says it (GAAD names
//! every user and role, `describe-policy` its policy, `describe-key` its key); the path is used
//! only where the content is silent (a bucket policy does not name its bucket, nor
//! `list-targets-for-policy` its policy, nor a parent listing its parent). So a file copied to
//! the wrong place cannot make one account's policy pass for another's where the content
//! could have told them apart. Names found in files are never turned into paths to open: the
//! loader only walks the directory.
//!
//! ```text
//! files         reading one command's .json / .err pair, and the three states
//! iam           get-account-authorization-details: users, groups, roles, managed policies
//! organization  the tree, the SCPs and RCPs and where they are attached
//! s3            bucket policies, Block Public Access (bucket and account), policy status
//! kms           key policies
//! ec2           VPC endpoint policies
//! ```

mod ec2;
mod files;
mod iam;
mod kms;
mod organization;
mod s3;

use crate::policy::document::Policy;
use crate::policy::request::BlockPublicAccess;
use crate::report::escape::for_terminal;
use chrono::{DateTime, Utc};
use files::Reader;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use files::is_known_absent;
pub use iam::Identity;
#[cfg(feature = "fetch")]
pub(crate) use iam::percent_decode;

/// What the snapshot knows about one piece.
#[derive(Debug, Clone, PartialEq)]
pub enum Known<T> {
    Present(T),
    /// Known not to exist (e.g. `NoSuchBucketPolicy`).
    Absent,
    /// Not in the snapshot, or unreadable: unknown.
    NotCaptured(Gap),
}

impl<T> Known<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Known<U> {
        match self {
            Known::Present(t) => Known::Present(f(t)),
            Known::Absent => Known::Absent,
            Known::NotCaptured(gap) => Known::NotCaptured(gap),
        }
    }

    pub fn and_then<U>(self, f: impl FnOnce(T) -> Known<U>) -> Known<U> {
        match self {
            Known::Present(t) => f(t),
            Known::Absent => Known::Absent,
            Known::NotCaptured(gap) => Known::NotCaptured(gap),
        }
    }

    /// The value, if present.
    pub fn present(self) -> Option<T> {
        match self {
            Known::Present(t) => Some(t),
            _ => None,
        }
    }
}

impl<T> From<Result<T, Gap>> for Known<T> {
    fn from(result: Result<T, Gap>) -> Known<T> {
        match result {
            Ok(t) => Known::Present(t),
            Err(gap) => Known::NotCaptured(gap),
        }
    }
}

/// What the snapshot lacks, as a stable id `<piece>:<subject>:<reason>` (POLICY.md §4.6), e.g.
/// `bucket-policy:data-lake:not-captured`, `scp-chain:444455556666:account-not-in-org-snapshot`,
/// `identity:arn:aws:iam::111122223333:role/x:not-in-gaad`. Ids are counted and shown in the
/// footer; the subject may come from a log (a bucket name), so it is escaped when shown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gap(pub String);

impl Gap {
    fn new(piece: &str, subject: &str, reason: &str) -> Gap {
        Gap(format!("{piece}:{subject}:{reason}"))
    }
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&for_terminal(&self.0))
    }
}

/// A file that could not be used: its piece is not captured, the rest loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for LoadProblem {
    /// `<path>: <message>`, escaped: both may quote file names and file content.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display().to_string();
        write!(f, "{}: {}", for_terminal(&path), for_terminal(&self.message))
    }
}

/// A directory that cannot be used as a snapshot at all.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("cannot read the policy snapshot {}: {source}", .path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error(
        "{} is not a policy snapshot: it holds none of SNAPSHOT.json, accounts/, organization/",
        .0.display()
    )]
    NotASnapshot(PathBuf),
    #[error(
        "the policy snapshot holds two organization trees, {} and {}: one snapshot describes one organization",
        .0.display(), .1.display()
    )]
    TwoOrganizations(PathBuf, PathBuf),
}

/// Where [`Snapshot::captured_at`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapturedAtSource {
    /// `captured_at` in `SNAPSHOT.json`, as the fetcher writes it.
    SnapshotFile,
    /// The newest modification time of the files read: a hand-made tree.
    NewestFile,
    /// Neither (no file had a usable time).
    Unknown,
}

/// One account's pieces.
struct Account {
    iam: Known<iam::AccountIam>,
    s3: s3::AccountS3,
    kms: kms::AccountKeys,
    ec2: ec2::AccountEndpoints,
}

impl Account {
    fn managed_policy(&self, arn: &str) -> Option<&Result<Policy, Gap>> {
        match &self.iam {
            Known::Present(account_iam) => account_iam.managed(arn),
            _ => None,
        }
    }
}

/// A loaded snapshot.
pub struct Snapshot {
    captured_at: Option<DateTime<Utc>>,
    captured_at_source: CapturedAtSource,
    partition: String,
    accounts: BTreeMap<String, Account>,
    organization: Known<organization::Organization>,
}

impl Snapshot {
    /// Reads the snapshot in `dir`. Fatal errors only for the directory as a whole (missing,
    /// unreadable, not a snapshot, two organization trees); every broken file is a
    /// [`LoadProblem`] and makes only its own piece not captured.
    pub fn load(dir: &Path) -> Result<(Snapshot, Vec<LoadProblem>), SnapshotError> {
        let meta = std::fs::metadata(dir)
            .map_err(|source| SnapshotError::Unreadable { path: dir.to_path_buf(), source })?;
        if !meta.is_dir() {
            let source = std::io::Error::other("not a directory");
            return Err(SnapshotError::Unreadable { path: dir.to_path_buf(), source });
        }
        std::fs::read_dir(dir)
            .map_err(|source| SnapshotError::Unreadable { path: dir.to_path_buf(), source })?;
        let (marker, accounts_dir, org_dir) =
            (dir.join(SNAPSHOT_FILE), dir.join("accounts"), dir.join("organization"));
        if !marker.is_file() && !accounts_dir.is_dir() && !org_dir.is_dir() {
            return Err(SnapshotError::NotASnapshot(dir.to_path_buf()));
        }
        let mut reader = Reader::default();
        let marker = reader.marker(&marker);
        let partition = marker.partition.unwrap_or_else(|| "aws".to_string());

        let account_dirs = reader.subdirs(&accounts_dir);
        // One snapshot, one organization: its tree at the top, or (fetched from the management
        // account's directory) under that account. Checked before anything is read.
        let org_trees: Vec<PathBuf> = (org_dir.is_dir().then_some(org_dir).into_iter())
            .chain(
                account_dirs
                    .iter()
                    .map(|(_, path)| path.join("organization"))
                    .filter(|p| p.is_dir()),
            )
            .collect();
        if let [first, second, ..] = org_trees.as_slice() {
            return Err(SnapshotError::TwoOrganizations(first.clone(), second.clone()));
        }
        let mut accounts = BTreeMap::new();
        for (id, path) in account_dirs {
            if !is_account_id(&id) {
                reader.problem(&path, "not a 12-digit account id: not read");
                continue;
            }
            let account = Account {
                iam: iam::load(&mut reader, &path, &id),
                s3: s3::load(&mut reader, &path, &id, &partition),
                kms: kms::load(&mut reader, &path, &id, &partition),
                ec2: ec2::load(&mut reader, &path),
            };
            accounts.insert(id, account);
        }
        let organization = match org_trees.first() {
            Some(tree) => organization::load(&mut reader, tree),
            None => Known::NotCaptured(Gap("organization:-:not-captured".into())),
        };
        let (captured_at, captured_at_source) = match (marker.captured_at, reader.newest) {
            (Some(at), _) => (Some(at), CapturedAtSource::SnapshotFile),
            (None, Some(newest)) => {
                (Some(DateTime::<Utc>::from(newest)), CapturedAtSource::NewestFile)
            }
            (None, None) => (None, CapturedAtSource::Unknown),
        };
        let snapshot =
            Snapshot { captured_at, captured_at_source, partition, accounts, organization };
        Ok((snapshot, reader.problems))
    }

    /// When the snapshot was taken: `SNAPSHOT.json`'s `captured_at`, else the newest file's
    /// modification time ([`Self::captured_at_source`] says which).
    pub fn captured_at(&self) -> Option<DateTime<Utc>> {
        self.captured_at
    }

    pub fn captured_at_source(&self) -> CapturedAtSource {
        self.captured_at_source
    }

    /// The accounts with a directory in the snapshot, in order.
    pub fn accounts(&self) -> impl Iterator<Item = &str> {
        self.accounts.keys().map(String::as_str)
    }

    /// A user or role by ARN (a role with or without its path: CloudTrail's session ARNs lose
    /// it), the role of an assumed-role session ARN, or a unique id (`AIDA…`, `AROA…`).
    pub fn identity(&self, arn_or_id: &str) -> Known<Identity> {
        match self.find_entity(arn_or_id) {
            Some((account, account_iam, entity)) => {
                account_iam.identity(entity, account, |arn| self.managed_policy(account, arn))
            }
            None => self.identity_gap(arn_or_id),
        }
    }

    /// The account, its IAM and the user or role asked for.
    fn find_entity(&self, arn_or_id: &str) -> Option<(&str, &iam::AccountIam, &iam::Entity)> {
        if arn_or_id.starts_with("arn:") {
            let wanted = iam::Wanted::from_arn(arn_or_id)?;
            let (account, account_iam) = with_iam(self.accounts.get_key_value(wanted.account)?)?;
            Some((account, account_iam, account_iam.find(&wanted)?))
        } else {
            let mut accounts = self.accounts.iter().filter_map(with_iam);
            accounts.find_map(|(account, account_iam)| {
                Some((account, account_iam, account_iam.by_unique_id(arn_or_id)?))
            })
        }
    }

    /// Why an identity was not found: its account is not in the snapshot, its GAAD was not
    /// captured, or the GAAD does not have it.
    fn identity_gap(&self, arn_or_id: &str) -> Known<Identity> {
        let account = iam::Wanted::from_arn(arn_or_id).map(|w| w.account);
        let gap = match account.map(|a| (a, self.accounts.get(a))) {
            Some((account, None)) => Gap::new("account", account, "not-in-snapshot"),
            Some((_, Some(Account { iam: Known::NotCaptured(gap), .. }))) => gap.clone(),
            _ => Gap::new("identity", arn_or_id, "not-in-gaad"),
        };
        Known::NotCaptured(gap)
    }

    /// A managed policy's default version: from the account's GAAD or its
    /// `iam/policies/<arn>/get-policy-version.json`; an AWS-managed policy from any account.
    fn managed_policy(&self, account: &str, arn: &str) -> Result<Policy, Gap> {
        let in_account = |a: &Account| a.managed_policy(arn).cloned();
        let found = self.accounts.get(account).and_then(in_account).or_else(|| {
            iam::is_aws_managed(arn).then(|| self.accounts.values().find_map(in_account)).flatten()
        });
        found.unwrap_or_else(|| Err(Gap::new("managed-policy", arn, "not-captured")))
    }

    /// The bucket's policy, named `arn:aws:s3:::B#bucket-policy`.
    pub fn bucket_policy(&self, bucket: &str) -> Known<Policy> {
        match self.bucket(bucket) {
            Some(b) => b.policy.clone(),
            None => Known::NotCaptured(Gap::new("bucket-policy", bucket, "not-in-snapshot")),
        }
    }

    /// Block Public Access as it bears on a request to the bucket: the bucket's and its
    /// account's `RestrictPublicBuckets` combined (either one set restricts), and AWS's own
    /// verdict on whether the bucket policy is public.
    pub fn block_public_access(&self, bucket: &str) -> Known<BlockPublicAccess> {
        let Some(account) = self.bucket_account(bucket) else {
            return Known::NotCaptured(Gap::new("block-public-access", bucket, "not-in-snapshot"));
        };
        let s3 = &self.accounts[account].s3;
        s3.block_public_access(bucket)
    }

    /// The account whose directory holds the bucket (or lists it in `list-buckets`).
    pub fn bucket_account(&self, bucket: &str) -> Option<&str> {
        (self.accounts.iter()).find(|(_, a)| a.s3.holds(bucket)).map(|(id, _)| id.as_str())
    }

    fn bucket(&self, bucket: &str) -> Option<&s3::Bucket> {
        self.accounts.values().find_map(|a| a.s3.bucket(bucket))
    }

    /// The SCPs that govern the account, one list per level from the root down to the account;
    /// `Present(None)`: not governed (the management account, an account outside any
    /// organization, or SCPs not enabled on the root). Policies are named by their ARN; see
    /// [`Self::organization_policy`] for their id and name.
    pub fn scp_chain(&self, account: &str) -> Known<Option<Vec<Vec<Policy>>>> {
        organization::chain(&self.organization, organization::Kind::Scp, account)
    }

    /// The RCPs that govern the account's resources, as [`Self::scp_chain`].
    pub fn rcp_chain(&self, account: &str) -> Known<Option<Vec<Vec<Policy>>>> {
        organization::chain(&self.organization, organization::Kind::Rcp, account)
    }

    /// An SCP's or RCP's id and name (`p-1a2b3c4d`, `DenyOutsideEU`) by its ARN, for the
    /// explanation: the policy itself is named by its ARN, which is what trail events about it
    /// can be matched with.
    pub fn organization_policy(&self, arn: &str) -> Option<(&str, &str)> {
        match &self.organization {
            Known::Present(org) => org.policy_id_and_name(arn),
            _ => None,
        }
    }

    /// A key's policy by key ARN or key id, named `<key-arn>#key-policy`.
    pub fn key_policy(&self, key_arn_or_id: &str) -> Known<Policy> {
        (self.accounts.values()).find_map(|a| a.kms.key_policy(key_arn_or_id)).unwrap_or_else(
            || Known::NotCaptured(Gap::new("key-policy", key_arn_or_id, "not-in-snapshot")),
        )
    }

    /// A VPC endpoint's policy, named `vpce-…#endpoint-policy`; `Absent` for an endpoint type
    /// that has none.
    pub fn endpoint_policy(&self, vpce_id: &str) -> Known<Policy> {
        if let Some(found) = self.accounts.values().find_map(|a| a.ec2.endpoint_policy(vpce_id)) {
            return found;
        }
        // Not found: unknown whether it is in a region whose listing failed.
        let listing_missing = self.accounts.values().find_map(|a| a.ec2.missing_region());
        let reason = if listing_missing.is_some() { "not-captured" } else { "not-in-snapshot" };
        Known::NotCaptured(Gap::new("endpoint-policy", vpce_id, reason))
    }

    /// The partition of the snapshot's ARNs (`SNAPSHOT.json` `partition`, default `aws`).
    pub fn partition(&self) -> &str {
        &self.partition
    }
}

/// The file whose presence (with a `captured_at` string) marks a directory as a snapshot.
pub const SNAPSHOT_FILE: &str = "SNAPSHOT.json";

/// An account with its IAM, when its GAAD was captured.
fn with_iam<'a>(
    (id, account): (&'a String, &'a Account),
) -> Option<(&'a str, &'a iam::AccountIam)> {
    match &account.iam {
        Known::Present(account_iam) => Some((id.as_str(), account_iam)),
        _ => None,
    }
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `dir` is a policy snapshot rather than log input: its `SNAPSHOT.json` is an object
/// with a `captured_at` string (what the fetcher writes), or it has `accounts/<12 digits>/iam/
/// get-account-authorization-details.json` (the one file every hand-made tree has, the
/// recipe's first). Either is far from anything a CloudTrail dump holds, and both are cheap:
/// a look at two names the walker has already listed, a read only when `SNAPSHOT.json` exists.
pub fn is_snapshot_dir(dir: &Path) -> bool {
    let marker = dir.join(SNAPSHOT_FILE);
    if marker.is_file() && files::marker_has_captured_at(&marker) {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(dir.join("accounts")) else { return false };
    entries.flatten().any(|entry| {
        entry.file_name().to_str().is_some_and(is_account_id)
            && entry.path().join("iam/get-account-authorization-details.json").is_file()
    })
}

#[cfg(test)]
mod tests;
