//! `whydenied policies fetch`: takes a policy snapshot of one account through the AWS SDK, so
//! that no one needs a shell loop over twenty AWS CLI commands. It writes exactly the layout and
//! the files that loop writes (README "Policy snapshot", POLICY.md §2.2) — the CLI's JSON shapes,
//! IAM documents decoded, AWS's refusals as `.err` in the CLI's words — so that the snapshot
//! loader has one parser for both, and a user can compare, diff or hand-edit either.
//!
//! Partial permission is normal: a call AWS refuses is recorded and the fetch goes on; the
//! outcome counts what was captured and lists what was not, and why. Only what makes the whole
//! snapshot meaningless is fatal: no credentials, no account id, an unusable `--out`.
//!
//! ```text
//! api           the table of every call: operation, CLI command (the file's name), IAM action
//! record        one call's outcome as <command>.json or .err; the concurrency bound; counts
//! shape         SDK values in the CLI's JSON shape
//! staging       a hidden directory moved into place when complete; SNAPSHOT.json last
//! iam           get-account-authorization-details, missing managed policy versions
//! organization  the tree, SCPs and RCPs and their targets
//! s3            buckets and their settings; the account's Block Public Access (S3 Control)
//! kms           keys and key policies, per region
//! ec2           VPC endpoints, per region; the enabled regions
//! ```

mod api;
mod ec2;
mod iam;
mod kms;
mod organization;
mod record;
mod s3;
mod shape;
mod staging;

use std::path::PathBuf;

use aws_sdk_sts::error::ProvideErrorMetadata;
use chrono::Utc;
use futures_util::future::join_all;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub use api::{Api, required_actions};
pub use record::{NotCaptured, Tally};
pub use staging::OrganizationPlaced;

use crate::source::AwsOptions;
use crate::source::aws::{self, AwsError, credential_error};
use record::Recorder;
use shape::{Field, object};
use staging::{Marker, Staging};

/// Which regions to read KMS keys and VPC endpoints in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// The clients' region (`--aws-region`, the profile's, or us-east-1).
    Configured,
    These(Vec<String>),
    /// Every region enabled for the account (`ec2 describe-regions`).
    All,
}

#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub out: PathBuf,
    pub aws: AwsOptions,
    pub regions: Regions,
    /// Only these buckets; every bucket the account owns when `None`.
    pub buckets: Option<Vec<String>>,
    /// Also the organization (`--no-org` leaves it out).
    pub organization: bool,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub progress: bool,
}

/// A finished fetch.
#[derive(Debug)]
pub struct Fetched {
    pub account: String,
    pub partition: String,
    pub regions: Vec<String>,
    pub tally: Tally,
    pub organization: OrganizationPlaced,
}

/// Why no snapshot was written.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("cannot start the AWS client runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot tell whose account this is (sts GetCallerIdentity): {0}")]
    Identity(String),
    #[error("--out: {0}")]
    Out(String),
    #[error("{0}")]
    Write(String),
    #[error("stopped by signal {0}: no snapshot was written")]
    Interrupted(i32),
}

/// Takes the snapshot into `options.out`.
pub fn fetch(options: &FetchOptions) -> Result<Fetched, FetchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(FetchError::Runtime)?;
    runtime.block_on(run(options))
}

async fn run(options: &FetchOptions) -> Result<Fetched, FetchError> {
    let config = aws::load(&options.aws).await?;
    let (account, identity) = caller(&config).await?;
    let partition =
        identity.arn().and_then(|arn| arn.split(':').nth(1)).unwrap_or("aws").to_string();
    let staging = Staging::prepare(&options.out)?;
    let captured_at = Utc::now();
    let recorder = Recorder::new(
        staging.root().to_path_buf(),
        options.concurrency,
        progress_bar(options.progress),
    );
    let account_dir = format!("accounts/{account}");
    let caller_identity = object([
        ("UserId", identity.user_id().field()),
        ("Account", identity.account().field()),
        ("Arn", identity.arn().field()),
    ]);
    recorder.json(&format!("{account_dir}/sts-get-caller-identity"), &caller_identity);

    let ec2_home = aws_sdk_ec2::Client::new(&config);
    let home_region = config.region().map_or_else(|| "us-east-1".to_string(), |r| r.to_string());
    let regions = match &options.regions {
        Regions::Configured => vec![home_region],
        Regions::These(regions) => regions.clone(),
        Regions::All => {
            ec2::enabled_regions(&ec2_home, &recorder, &account_dir).await.unwrap_or_default()
        }
    };
    let regions: Vec<String> =
        regions.iter().filter_map(|r| path_component(r)).map(str::to_string).collect();

    let iam_client = aws_sdk_iam::Client::new(&config);
    let iam = iam::fetch(&iam_client, &recorder, &account_dir);
    let buckets = s3::Buckets { only: options.buckets.as_deref() };
    let s3 = s3::fetch(&config, &recorder, &account, &account_dir, buckets);
    let organization = async {
        if options.organization {
            organization::fetch(&aws_sdk_organizations::Client::new(&config), &recorder).await;
        }
    };
    let regional = join_all(regions.iter().map(|region| {
        let regional = config.to_builder().region(aws_config::Region::new(region.clone())).build();
        let recorder = &recorder;
        let account_dir = &account_dir;
        async move {
            let kms = aws_sdk_kms::Client::new(&regional);
            let ec2 = aws_sdk_ec2::Client::new(&regional);
            futures_util::future::join(
                kms::fetch(&kms, recorder, &format!("{account_dir}/kms/{region}")),
                ec2::fetch(&ec2, recorder, &format!("{account_dir}/ec2/{region}")),
            )
            .await;
        }
    }));
    futures_util::future::join4(iam, s3, organization, regional).await;

    let (tally, write_error) = recorder.finish();
    if let Some(signal) = crate::interrupt::requested() {
        return Err(FetchError::Interrupted(signal));
    }
    if let Some(error) = write_error {
        return Err(FetchError::Write(error));
    }
    let marker = Marker { captured_at, account: &account, partition: &partition };
    let organization = staging.commit(&marker, options.organization)?;
    Ok(Fetched { account, partition, regions, tally, organization })
}

/// The account the credentials belong to, and the caller's identity.
async fn caller(
    config: &aws_config::SdkConfig,
) -> Result<
    (String, aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput),
    FetchError,
> {
    let identity =
        aws_sdk_sts::Client::new(config).get_caller_identity().send().await.map_err(|e| {
            match credential_error(e.code()) {
                Some(rejected) => FetchError::Aws(rejected),
                None => FetchError::Identity(crate::source::aws::describe(&e)),
            }
        })?;
    match identity.account() {
        Some(account) if crate::source::s3_layout::is_account_id(account) => {
            Ok((account.to_string(), identity))
        }
        other => {
            Err(FetchError::Identity(format!("the answer names no 12-digit account: {other:?}")))
        }
    }
}

/// A spinner with the count of calls made, on a terminal only.
fn progress_bar(shown: bool) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} fetching policies: {pos} calls, {msg}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// A name AWS gave (a bucket, key id, policy id, region) used as one path component: never
/// empty, `.` or `..`, never holding a separator or a NUL; `None` (and the entry is skipped)
/// otherwise. AWS's own rules already exclude these; the check keeps a path inside `--out`
/// whatever an endpoint answers.
fn path_component(name: &str) -> Option<&str> {
    let bad = name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']);
    (!bad).then_some(name)
}

#[cfg(test)]
mod tests;
