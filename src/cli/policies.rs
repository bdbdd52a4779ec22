//! `whydenied policies …`: the policy snapshot's commands.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// Take a policy snapshot of the account (and its organization) through the AWS API, in
    /// the layout `scan --policies DIR` reads.
    #[command(after_help = FETCH_EXAMPLES)]
    Fetch(FetchArgs),
}

const FETCH_EXAMPLES: &str = "\
Examples:
  whydenied policies fetch --out policies/
  whydenied policies fetch --out policies/ --profile prod --regions all
  # another account, into the same snapshot
  whydenied policies fetch --out policies/ --profile staging --no-org
  whydenied scan s3://trail-bucket/AWSLogs/ --policies policies/

Writes what the README's AWS CLI recipe writes (SNAPSHOT.json, accounts/<id>/,
organization/): the CLI's JSON, and AWS's refusals as .err files. A call that
AWS refuses is recorded and the fetch goes on; the summary names what was not
captured and why. The permissions needed are in docs/snapshot-policy.json.
Exit 0 when every piece was captured (or AWS said there is none), 2 when some
were not, 1 when no snapshot was written (no credentials, --out unusable),
130/143 when stopped by a signal (nothing written).";

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The snapshot directory: new, empty, or an earlier snapshot to add this account to.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Regions to read KMS keys and VPC endpoints in: a comma-separated list, or `all` (every
    /// region enabled for the account) [default: the clients' region].
    #[arg(long, value_name = "r1,r2|all", value_delimiter = ',')]
    pub regions: Vec<String>,

    /// Only these buckets (comma-separated) [default: every bucket the account owns].
    #[arg(long, value_name = "b1,b2", value_delimiter = ',')]
    pub buckets: Vec<String>,

    /// Leave the organization out (a member account, or one whose tree is taken elsewhere).
    #[arg(long)]
    pub no_org: bool,

    /// AWS requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    /// AWS profile (as AWS_PROFILE; SSO and credential_process profiles work).
    #[arg(long, value_name = "NAME", help_heading = "AWS")]
    pub profile: Option<String>,

    /// Region of the AWS clients [default: AWS_REGION, the profile's, or us-east-1].
    #[arg(long, value_name = "REGION", help_heading = "AWS")]
    pub aws_region: Option<String>,

    /// Custom endpoint for every service (AWS_ENDPOINT_URL works too), e.g. an emulator.
    #[arg(long, value_name = "URL", help_heading = "AWS")]
    pub endpoint_url: Option<String>,

    /// No progress line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}
