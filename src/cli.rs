//! Command-line definitions (clap derive) and their translation into a [`ScanConfig`].

mod policies;

pub use policies::{FetchArgs, PoliciesCommand};

use std::io::IsTerminal;
use std::path::PathBuf;

use chrono::Utc;
use clap::{Args, Parser, Subcommand, ValueEnum};

use whydenied::classify::FailureFilter;
use whydenied::decode::split::SplitLimits;
use whydenied::pipeline::ScanConfig;
use whydenied::report::Format;
use whydenied::source::lookup::{self, LookupAttribute};
use whydenied::source::s3_layout::{LayoutFilter, S3Url, is_account_id};
use whydenied::source::{AwsOptions, SourceOptions};
use whydenied::state::Shard;
use whydenied::suppress::Suppressions;
use whydenied::window::{TimeWindow, parse_span, parse_time};

#[derive(Debug, Parser)]
#[command(
    name = "whydenied",
    version,
    about = "Who was denied what, on which bucket, how often, and which policy did it: AWS CloudTrail AccessDenied analysis",
    after_help = crate::exit_code::HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan CloudTrail logs for denied requests and write reports.
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(Box<ScanArgs>),
    /// Re-aggregate the summary from reports already written (runs, incremental runs, shards).
    #[command(after_help = REPORT_EXAMPLES)]
    Report(ReportArgs),
    /// Evaluate one request against its policies offline, the way IAM does, and name the
    /// statements that decide.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
    /// The policy snapshot that `scan --policies` and `explain` judge denials against.
    Policies {
        #[command(subcommand)]
        command: PoliciesCommand,
    },
    /// Print the shell completion script for SHELL on stdout.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (whydenied.1 and one per command) into DIR.
    #[command(
        after_help = "Example:\n  whydenied man ~/.local/share/man/man1 && man whydenied-scan"
    )]
    Man {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  whydenied completions bash \\
      > ~/.local/share/bash-completion/completions/whydenied
  whydenied completions zsh > ~/.zfunc/_whydenied   # with fpath+=~/.zfunc
  whydenied completions fish > ~/.config/fish/completions/whydenied.fish";

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  # judge an earlier scan's denials (adds the eval_ columns in place)
  whydenied explain whydenied-out --policies snapshot/
  # one denial, every statement considered
  whydenied explain whydenied-out --policies snapshot/ --event-id EVENT-ID
  whydenied explain --request request.json
  whydenied explain --request - --format json < request.json | jq -r .decision

OUT is the --out directory of an earlier scan: its reports carry what the
evaluation needs (eval_context, policy_changes.parquet), so the verdicts equal
those of scan --policies over the same logs. Without --policies, only the
trail's own policy changes are known.

The request is one JSON document: principal, action, resource, context, and
every policy that applies (identity_policies, permissions_boundary,
session_policy, scp, rcp, resource_policy, vpc_endpoint_policy,
s3_block_public_access). Its fields and the evaluation rules are in
docs/EVALUATION.md. Exit 0 when the request was evaluated (whatever the
decision), 1 when it could not be read.";

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The --out directory of an earlier scan, whose denials to judge.
    #[arg(value_name = "OUT", required_unless_present = "request", conflicts_with = "request")]
    pub out: Option<PathBuf>,

    /// The policy snapshot to judge OUT's denials against.
    #[arg(long, value_name = "DIR", requires = "out")]
    pub policies: Option<PathBuf>,

    /// Explain this one denial of OUT (its event_id) instead of judging them all.
    #[arg(long, value_name = "ID", requires = "out")]
    pub event_id: Option<String>,

    /// The request and its policies as one JSON document (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,

    /// `text` for a person, `json` for scripts and CI.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

const REPORT_EXAMPLES: &str = "\
Examples:
  whydenied report whydenied-out          # every run written there
  whydenied report ./reports --since 7d --top 50
  # exit 3 when something new appeared
  whydenied report ./reports --new-since 24h --fail-on-new
  whydenied report ./reports --since 30d --html /var/www/denials/index.html
  whydenied report ./reports --suppress rules.toml   # rules added later

Reads denials.parquet and denials/date=*/denials-*.parquet under DIR; the
summary equals the one a single scan of the same input prints.";

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The --out directory of earlier scans.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    #[command(flatten)]
    pub summary: SummaryArgs,

    /// Only (principal, action, bucket) combinations never seen before this time, in all the data.
    #[arg(long, value_name = "TIME")]
    pub new_since: Option<String>,

    /// Exit 3 when --new-since finds a new combination.
    #[arg(long, requires = "new_since")]
    pub fail_on_new: bool,

    /// Exit 3 when the summary counts at least N denials.
    #[arg(long, value_name = "N")]
    pub fail_on_denials: Option<u64>,

    /// Also write the HTML report to FILE: every group of the window, the new ones (since
    /// --new-since, or else added by the latest of several partitioned runs) counted and marked.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Suppression rules (TOML, as for scan) applied again to the reports, in place of those
    /// the scans applied; a rule that matched no denial is named on stderr.
    #[arg(long, value_name = "FILE")]
    pub suppress: Option<PathBuf>,
}

/// What `scan` and `report` both print, and the time window it covers.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// How the summary is printed on stdout.
    #[arg(long, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,

    /// With --format ndjson: one line per denial (every column of denials.parquet, suppressed
    /// ones with suppressed_by) instead of one per summary row.
    #[arg(long)]
    pub per_denial: bool,

    /// Rows in the summary, or `all` [default: 20 for table and markdown, all for json and csv].
    #[arg(long, value_name = "N", value_parser = parse_top)]
    pub top: Option<usize>,

    /// Leave the groups labelled noise (console, AWS service and anonymous calls) out of the
    /// summary and the HTML report; the Parquet reports keep them.
    #[arg(long)]
    pub hide_noise: bool,

    /// Only events at or after this time: RFC 3339, a date (UTC midnight), or a span back from now (36h, 7d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only events before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// How long before a group's first denial a policy change may lie and still be named as
    /// its likely cause (90m, 36h, 7d, 2w).
    #[arg(long, value_name = "SPAN", default_value = whydenied::changes::link::DEFAULT_LOOKBACK)]
    pub change_lookback: String,
}

impl SummaryArgs {
    /// `--per-denial` is an ndjson output; `--top 0` is for the formats that still say
    /// something without rows (json's counts), not a table of a header alone.
    pub fn check_format(&self) -> Result<(), String> {
        if self.per_denial && !matches!(self.format, FormatArg::Ndjson) {
            return Err("--per-denial prints denials as --format ndjson; add it".into());
        }
        if self.top == Some(0) && matches!(self.format, FormatArg::Table | FormatArg::Markdown) {
            return Err("--top 0 would print a table without rows: give 1 or more, or `all` \
                 (--format json --top 0 prints the counts alone)"
                .into());
        }
        Ok(())
    }

    /// `--change-lookback` in microseconds.
    pub fn change_lookback(&self) -> Result<i64, String> {
        parse_span(&self.change_lookback).map_err(|e| format!("--change-lookback: {e}"))
    }

    /// The `--since/--until` window, checked.
    pub fn window(&self) -> Result<TimeWindow, String> {
        let now = Utc::now();
        let window = TimeWindow {
            since: parse_flag_time("since", &self.since, now)?,
            until: parse_flag_time("until", &self.until, now)?,
        };
        if let (Some(since), Some(until)) = (window.since, window.until)
            && since >= until
        {
            return Err("--since must be earlier than --until".into());
        }
        Ok(window)
    }
}

impl ReportArgs {
    pub fn new_since(&self) -> Result<Option<i64>, String> {
        parse_flag_time("new-since", &self.new_since, Utc::now())
    }
}

/// `--top N` or `--top all` (every row, as `usize::MAX`).
fn parse_top(text: &str) -> Result<usize, String> {
    if text.eq_ignore_ascii_case("all") {
        return Ok(usize::MAX);
    }
    text.parse::<usize>().map_err(|_| format!("{text:?} is not a number of rows: give N or `all`"))
}

/// A SOURCE that was meant as a remote URL but is not spelled as one (`S3://b`, `s3:/b`,
/// `cwlogs:/g`, `cloudtrail:us-east-1`) and does not exist as a local path: without this it
/// would be "no such file".
fn misspelled_url(source: &str) -> Option<String> {
    let (scheme, rest) = source.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    if !["s3", "cwlogs", "cloudtrail"].contains(&scheme.as_str()) {
        return None;
    }
    if whydenied::source::is_remote(source) || std::path::Path::new(source).exists() {
        return None;
    }
    let target = rest.trim_start_matches('/');
    Some(format!(
        "{source:?} is not a {scheme}:// URL (nor a local path): write {scheme}://{target}"
    ))
}

/// `077`, `022`, `0o027`: an octal permission mask.
fn parse_umask(text: &str) -> Result<u32, String> {
    let digits = text.trim_start_matches("0o");
    u32::from_str_radix(digits, 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| format!("{text:?} is not an octal mask like 077 or 022"))
}

/// `--flag TIME`, parsed against `now`.
fn parse_flag_time(
    flag: &str,
    value: &Option<String>,
    now: chrono::DateTime<Utc>,
) -> Result<Option<i64>, String> {
    value.as_deref().map(|v| parse_time(v, now).map_err(|e| format!("--{flag}: {e}"))).transpose()
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Ndjson => Format::Ndjson,
        }
    }
}

const SCAN_EXAMPLES: &str = "\
Examples:
  # a dumped trail directory (AWSLogs/... layout or any tree)
  whydenied scan sample-logs/
  whydenied scan ~/dump --since 7d --top 50        # the last week, 50 rows
  whydenied scan sample-logs/ --html report.html   # and an HTML report
  # which statement denied each request
  whydenied scan sample-logs/ --policies sample-logs/policies
  whydenied scan trail.json.gz other.json --format json > denials.json
  whydenied scan ~/dump --format ndjson --per-denial | jq -r .principal
  # what the AWS CLI prints, as it prints it
  aws cloudtrail lookup-events --max-results 50 > events.json
  whydenied scan events.json
  aws logs filter-log-events --log-group-name trail | whydenied scan -
  whydenied scan ~/dump --all-errors --out /tmp/reports   # every error
  whydenied scan s3://org-trail --since 2026-01-01 --until 2026-02-01 \\
      --account 111122223333 --region eu-west-1
  # any S3-compatible store
  AWS_ENDPOINT_URL=http://127.0.0.1:9000 whydenied scan s3://trail
  whydenied scan cwlogs://CloudTrail/DefaultLogGroup --since 24h \\
      --aws-region us-east-1
  # CloudTrail's event history, no trail needed (2 requests/s: narrow it)
  whydenied scan cloudtrail://eu-west-1 --since 6h
  whydenied scan cloudtrail://us-east-1 --since 2d \\
      --lookup-attribute EventSource=s3.amazonaws.com

Inputs are recognised by content: gzip or plain; {\"Records\":[...]} trail
files, JSON arrays, one event per line (also CloudWatch Logs exports), the
output of aws cloudtrail lookup-events and aws logs filter-log-events or
get-log-events. Digest and Insight files are skipped by design.
--account and --region filter the records of every source.
Reports: <out>/denials.parquet (one row per denied request) and
<out>/summary.parquet (one row per principal x action x bucket).
AWS requests are tried 5 times with backoff (AWS_MAX_ATTEMPTS overrides); an
object that still fails is reported (exit 2), and with --state the next run
reads it again.";

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, directories (scanned recursively), `-` for standard input, s3://bucket[/prefix],
    /// cwlogs://<log-group>, or cloudtrail://<region> (CloudTrail's event history: the last 90
    /// days of management events, no trail needed; cloudtrail:// alone for --aws-region).
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,

    /// Directory for denials.parquet and summary.parquet, or s3://bucket/prefix (reports are
    /// staged locally and uploaded once complete).
    #[arg(long, default_value = "whydenied-out", value_name = "DIR")]
    pub out: PathBuf,

    /// Also write a self-contained HTML report (charts, sortable table, sample events) to FILE;
    /// with --state it counts and marks the groups no earlier run saw.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Judge every denial against the policies in DIR (a snapshot in the layout the README's
    /// "Policy snapshot" section builds with the AWS CLI), replayed to each event's time with
    /// the trail's own policy changes: adds the eval_ columns.
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,

    #[command(flatten)]
    pub summary: SummaryArgs,

    /// Only records of this account, its recipientAccountId (repeatable), from every source;
    /// also prunes the listing of an S3 AWSLogs/ layout.
    #[arg(long = "account", value_name = "ID")]
    pub accounts: Vec<String>,

    /// Only records of this region, their awsRegion (repeatable), from every source; also
    /// prunes the listing of an S3 AWSLogs/ layout.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,

    /// AWS profile for S3 (as AWS_PROFILE; SSO and credential_process profiles work).
    #[arg(long, value_name = "NAME", help_heading = "AWS")]
    pub profile: Option<String>,

    /// Region of the AWS clients [default: AWS_REGION, the profile's, or us-east-1].
    #[arg(long, value_name = "REGION", help_heading = "AWS")]
    pub aws_region: Option<String>,

    /// Custom endpoint, e.g. an S3-compatible store (AWS_ENDPOINT_URL works too); implies path-style addressing.
    #[arg(long, value_name = "URL", help_heading = "AWS")]
    pub endpoint_url: Option<String>,

    /// Send unsigned requests (public buckets).
    #[arg(long, help_heading = "AWS")]
    pub no_sign_request: bool,

    /// S3 downloads in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "AWS")]
    pub s3_concurrency: u16,

    /// How an s3:// prefix is listed: auto follows the CloudTrail AWSLogs/ layout when the prefix
    /// holds one (pruning by account, region and day) and names what lies beside it unlisted;
    /// flat lists every key under the prefix.
    #[arg(long, value_enum, default_value_t = S3ListArg::Auto, help_heading = "AWS")]
    pub s3_list: S3ListArg,

    /// CloudWatch Logs: only log streams whose name starts with this.
    #[arg(long, value_name = "PREFIX", help_heading = "AWS")]
    pub log_stream_prefix: Option<String>,

    /// CloudTrail event history (cloudtrail://): only events with this attribute, KEY=VALUE, KEY
    /// one of AccessKeyId, EventId, EventName, EventSource, ReadOnly, ResourceName,
    /// ResourceType, Username (LookupEvents takes one). Narrows the requests, so fewer are
    /// needed at 2 per second; the records are still filtered as usual.
    #[arg(long, value_name = "KEY=VALUE", value_parser = LookupAttribute::parse, help_heading = "AWS")]
    pub lookup_attribute: Option<LookupAttribute>,

    /// CloudWatch Logs: time slices of the window fetched at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64), help_heading = "AWS")]
    pub log_concurrency: u16,

    /// Incremental runs: scan only what this checkpoint file has not seen, and record what was
    /// scanned (reports become partitioned, one set of files per run).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Scan only shard i of N (1-based), a deterministic share of the objects; run N of them for
    /// everything. Implies partitioned reports. `auto` takes the shard from an AWS Batch array
    /// job (AWS_BATCH_JOB_ARRAY_INDEX and _SIZE); `auto/N` also from a Kubernetes Indexed Job
    /// (JOB_COMPLETION_INDEX), whose count N is not in its environment.
    #[arg(long, value_name = "i/N|auto|auto/N")]
    pub shard: Option<String>,

    /// Write partitioned reports (denials/date=YYYY-MM-DD/denials-<run>.parquet,
    /// summary/summary-<run>.parquet) that later runs add to instead of replace.
    #[arg(long)]
    pub partitioned: bool,

    /// Exit 3 when at least N denials are kept (suppressed ones excluded).
    #[arg(long, value_name = "N")]
    pub fail_on_denials: Option<u64>,

    /// Expected denials (TOML rules, each with a reason): kept in the denials report with
    /// `suppressed_by`, left out of the summary. See the README, "Suppressions".
    #[arg(long, value_name = "FILE")]
    pub suppress: Option<PathBuf>,

    /// Permission bits removed from the files and directories written (octal). Reports name
    /// principals and resources: by default only their owner may read them.
    #[arg(long, value_name = "OCTAL", default_value = "077", value_parser = parse_umask)]
    pub umask: u32,

    /// Also keep authentication failures (invalid or expired credentials, failed console sign-ins).
    #[arg(long)]
    pub include_authn: bool,

    /// Keep every failed request, whatever its error code (NoSuchKey, throttling, ...).
    #[arg(long)]
    pub all_errors: bool,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,

    /// Largest single record read, in MiB; bigger records are skipped and reported.
    #[arg(long, value_name = "MIB", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_record_mib: u32,

    /// Progress bar on stderr.
    #[arg(long, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,

    /// Print only the summary: no progress bar, no statistics footer (problems still go to stderr).
    #[arg(short, long)]
    pub quiet: bool,

    /// More diagnostics on stderr (-v: what is read and written, -vv: every object).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Diagnostics as text, or as one JSON object per line for log shippers.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Csv,
    Markdown,
    /// One JSON object per line: a summary row, or with --per-denial a denial.
    Ndjson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum S3ListArg {
    Auto,
    Flat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ProgressArg {
    Auto,
    Always,
    Never,
}

impl ScanArgs {
    /// The scan configuration, or a message saying which argument is wrong. With `--out s3://…`
    /// also the local staging directory, which must live until the scan is done.
    pub fn config(&self) -> Result<(ScanConfig, Option<tempfile::TempDir>), String> {
        self.summary.check_format()?;
        let out = self.out.to_string_lossy();
        let (out_dir, upload, staging) = if out.starts_with("s3://") {
            let url = S3Url::parse(&out)?;
            let staging = tempfile::tempdir()
                .map_err(|e| format!("cannot create a staging directory: {e}"))?;
            (staging.path().to_path_buf(), Some(url), Some(staging))
        } else {
            (self.out.clone(), None, None)
        };
        let window = self.summary.window()?;
        let shard = self.shard.as_deref().map(|s| Shard::parse(s, |v| std::env::var(v).ok()));
        let shard = shard.transpose()?;
        let progress = match self.progress {
            ProgressArg::Always => true,
            ProgressArg::Never => false,
            ProgressArg::Auto => !self.quiet && std::io::stderr().is_terminal(),
        };
        let filter =
            FailureFilter { include_authn: self.include_authn, all_errors: self.all_errors };
        if let Some(message) = self.sources.iter().find_map(|s| misspelled_url(s)) {
            return Err(message);
        }
        if let Some(bad) = self.accounts.iter().find(|a| !is_account_id(a)) {
            return Err(format!("--account {bad:?}: an account id is 12 digits"));
        }
        self.check_event_history()?;
        let config = ScanConfig {
            inputs: self.sources.clone(),
            sources: SourceOptions {
                aws: AwsOptions {
                    profile: self.profile.clone(),
                    region: self.aws_region.clone(),
                    endpoint_url: self.endpoint_url.clone(),
                    no_sign_request: self.no_sign_request,
                },
                layout: LayoutFilter {
                    accounts: self.accounts.clone(),
                    regions: self.regions.clone(),
                    window,
                    list_flat: self.s3_list == S3ListArg::Flat,
                },
                s3_concurrency: usize::from(self.s3_concurrency),
                log_stream_prefix: self.log_stream_prefix.clone(),
                log_concurrency: usize::from(self.log_concurrency),
                filter,
                lookup_attribute: self.lookup_attribute.clone(),
                ..SourceOptions::default()
            },
            out_dir,
            window,
            filter,
            limits: SplitLimits { max_record_bytes: (self.max_record_mib as usize) << 20 },
            threads: self.threads.map(usize::from),
            progress,
            state: self.state.clone(),
            shard,
            partitioned: self.partitioned,
            suppressions: match &self.suppress {
                Some(path) => Suppressions::load(path).map_err(|e| e.to_string())?,
                None => Suppressions::default(),
            },
            upload,
            html: self.html.clone(),
            change_lookback: self.summary.change_lookback()?,
            policies: self.policies.clone(),
        };
        Ok((config, staging))
    }
}

impl ScanArgs {
    /// `--lookup-attribute` needs a `cloudtrail://` input; a `cloudtrail://<region>` input with
    /// `--region` filters that leave that region out would read its history for nothing.
    fn check_event_history(&self) -> Result<(), String> {
        let histories: Vec<&String> =
            self.sources.iter().filter(|s| s.starts_with(lookup::SCHEME)).collect();
        if let Some(attribute) = &self.lookup_attribute
            && histories.is_empty()
        {
            return Err(format!(
                "--lookup-attribute {}={}: only a cloudtrail://<region> input is read through LookupEvents",
                attribute.key, attribute.value
            ));
        }
        for input in histories {
            if let Some(region) = lookup::parse_url(input)?
                && !self.regions.is_empty()
                && !self.regions.contains(&region)
            {
                return Err(format!(
                    "{input} holds the events of {region} only, and --region {} keeps none of them",
                    self.regions.join(" --region ")
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bad_windows_are_refused() {
        let parse = |args: &[&str]| {
            let Command::Scan(scan) = Cli::try_parse_from(args).expect("parses").command else {
                panic!("a scan command")
            };
            scan.config().map(|(config, _)| config)
        };
        assert!(
            parse(&["whydenied", "scan", "x", "--since", "2026-11-02", "--until", "2026-11-01"])
                .is_err()
        );
        let err =
            parse(&["whydenied", "scan", "x", "--since", "last tuesday"]).expect_err("bad time");
        assert!(err.starts_with("--since: "), "{err}");
        let config =
            parse(&["whydenied", "scan", "x", "--since", "2026-11-01", "--max-record-mib", "2"])
                .expect("valid");
        assert_eq!(config.window.since, Some(1_793_491_200_000_000));
        assert_eq!(config.limits.max_record_bytes, 2 << 20);
    }

    #[test]
    fn event_history_flags_must_fit_the_inputs() {
        let config = |args: &[&str]| {
            let argv = [&["whydenied", "scan"], args].concat();
            let Command::Scan(scan) = Cli::try_parse_from(argv).expect("parses").command else {
                panic!("a scan command")
            };
            scan.config().map(|(config, _)| config)
        };
        let attribute = ["--lookup-attribute", "EventName=PutObject"];
        let err = config(&[&["logs/"][..], &attribute].concat()).expect_err("no history");
        assert!(err.contains("only a cloudtrail://<region> input"), "{err}");
        let narrowed =
            config(&[&["cloudtrail://eu-west-1"][..], &attribute].concat()).expect("valid");
        assert_eq!(
            narrowed.sources.lookup_attribute,
            Some(LookupAttribute { key: "EventName", value: "PutObject".into() })
        );
        let err = config(&["cloudtrail://eu-west-1", "--region", "us-east-1"]).expect_err("empty");
        assert!(err.contains("keeps none of them"), "{err}");
        assert!(config(&["cloudtrail://eu-west-1", "--region", "eu-west-1"]).is_ok());
        assert!(
            config(&["cloudtrail://", "--region", "eu-west-1"]).is_ok(),
            "its region is the clients'"
        );
        assert!(
            Cli::try_parse_from([
                "whydenied",
                "scan",
                "cloudtrail://",
                "--lookup-attribute",
                "Bucket=b"
            ])
            .is_err()
        );
    }

    #[test]
    fn top_takes_a_count_or_all_and_urls_must_be_spelled_as_urls() {
        let top = |value: &str| {
            Cli::try_parse_from(["whydenied", "report", "d", "--top", value]).map(|cli| {
                let Command::Report(report) = cli.command else { panic!("a report command") };
                report.summary.top
            })
        };
        assert_eq!(top("5").expect("a count"), Some(5));
        assert_eq!(top("all").expect("all rows"), Some(usize::MAX));
        assert_eq!(top("0").expect("the counts alone, in json"), Some(0));
        assert!(top("many").is_err());
        for (typed, says) in [
            ("S3://trail/AWSLogs", "write s3://trail/AWSLogs"),
            ("s3:/trail", "write s3://trail"),
            ("CWLOGS://group", "write cwlogs://group"),
        ] {
            assert_eq!(
                misspelled_url(typed).as_deref(),
                Some(&*format!("{typed:?} is not a {}:// URL (nor a local path): {says}", {
                    typed.split(':').next().unwrap_or_default().to_ascii_lowercase()
                })),
            );
        }
        assert_eq!(
            misspelled_url("cloudtrail:/eu-west-1").as_deref(),
            Some(
                "\"cloudtrail:/eu-west-1\" is not a cloudtrail:// URL (nor a local path): write cloudtrail://eu-west-1"
            )
        );
        for fine in ["s3://trail", "cwlogs://g", "cloudtrail://", "logs/", "-", "C:/logs"] {
            assert_eq!(misspelled_url(fine), None, "{fine}");
        }
    }
}
