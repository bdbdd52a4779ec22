//! Where log bytes come from. A source yields [`LogObject`]s — a file, standard input, an S3
//! object — each with an `origin` used in error messages and in the `origin` column of every
//! denial it produced. Sources know nothing about JSON or denials.
//!
//! [`open`] turns the command line's inputs into one stream of objects: local files first (all
//! known up front), then the objects of each `s3://` and `cwlogs://` input as they arrive.

pub mod aws;
pub mod cloudwatch;
pub mod local;
pub mod overlap;
pub mod s3;
pub mod s3_claims;
pub mod s3_layout;

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::runtime::Runtime;

use crate::classify::FailureFilter;
use crate::stats::{LogGroupStats, Problem, RequestStats};
use aws::{AwsError, AwsOptions};
use cloudwatch::{LogGroupError, LogGroupOptions, LogGroupScan};
use local::{InputPathError, OutputDir};
use s3::{ObjectChoice, S3Error, S3Scan};
use s3_claims::Claims;
use s3_layout::{LayoutFilter, S3Url};

/// Opens an object's bytes when a worker is ready for them (not before: a dump may hold
/// thousands of files, and only as many are open as there are workers).
pub type Opener = Box<dyn FnOnce() -> io::Result<Box<dyn Read + Send>> + Send>;

/// One unit of input.
pub struct LogObject {
    /// A path, `-`, or a URI: shown in errors, stored with every denial.
    pub origin: Arc<str>,
    /// Stored size in bytes, when known in advance (for progress).
    pub size: Option<u64>,
    /// What identifies this version of the object (size and modification time of a file, the
    /// ETag of an S3 object), for incremental runs; `None` when there is nothing stable.
    pub version: Option<String>,
    pub open: Opener,
}

/// Whether this run reads an object, decided before it is opened or downloaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wanted {
    Yes,
    /// Another shard's object (`--shard i/N`).
    OtherShard,
    /// This version was scanned by an earlier run (`--state`).
    AlreadyScanned,
}

/// The run's choice of objects: shards and incremental state.
pub trait Selection: Send + Sync {
    fn wants(&self, origin: &str, version: Option<&str>) -> Wanted;
}

/// Every object.
pub struct Everything;

impl Selection for Everything {
    fn wants(&self, _origin: &str, _version: Option<&str>) -> Wanted {
        Wanted::Yes
    }
}

/// How remote sources are reached and pruned.
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    pub aws: AwsOptions,
    /// Accounts, regions and time window: prune the S3 layout.
    pub layout: LayoutFilter,
    /// Downloads in flight at once, per bucket.
    pub s3_concurrency: usize,
    /// Only log streams whose name starts with this (CloudWatch Logs).
    pub log_stream_prefix: Option<String>,
    /// Time slices of a log group fetched at once.
    pub log_concurrency: usize,
    /// Which failures are kept: decides the server-side filter pattern of log groups.
    pub filter: FailureFilter,
    /// Where each log group was read up to by an earlier run (ms): reading resumes there.
    pub log_group_resume: std::collections::BTreeMap<String, i64>,
    /// Read log groups only up to this time (ms, exclusive) when the window has no end.
    pub log_group_until: Option<i64>,
}

/// Why the inputs cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Path(#[from] InputPathError),
    #[error("{0}")]
    Url(String),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    S3(#[from] S3Error),
    #[error(transparent)]
    LogGroup(#[from] LogGroupError),
    #[error("cannot start the AWS client runtime: {0}")]
    Runtime(io::Error),
}

/// The inputs of a run, opened.
pub struct Inputs {
    /// Local objects, known up front.
    pub local: Vec<LogObject>,
    /// Problems met while finding local inputs.
    pub problems: Vec<Problem>,
    /// Local objects this run does not read.
    unselected: Unselected,
    /// Inputs named more than once so far (local files, stdin, log groups).
    duplicates: u64,
    selection: Arc<dyn Selection>,
    buckets: Vec<S3Scan>,
    log_groups: Vec<LogGroupScan>,
    runtime: Option<Runtime>,
}

impl Inputs {
    /// Stored bytes of all inputs, when all sizes are known in advance (no remote inputs).
    pub fn total_bytes(&self) -> Option<u64> {
        if self.runtime.is_some() {
            return None;
        }
        self.local.iter().map(|o| o.size).sum()
    }

    /// Every object: local ones, then remote ones as they arrive. Remote objects wait in
    /// bounded queues, so this iterator is what applies back-pressure to the downloads.
    pub fn objects(&mut self) -> impl Iterator<Item = LogObject> + Send + use<> {
        let local = std::mem::take(&mut self.local);
        let selection = Arc::clone(&self.selection);
        let take = |queue: &mut tokio::sync::mpsc::Receiver<LogObject>| {
            std::mem::replace(queue, closed_receiver())
        };
        let mut queues: Vec<_> = self
            .buckets
            .iter_mut()
            .map(|scan| take(&mut scan.objects))
            .collect();
        queues.extend(
            self.log_groups
                .iter_mut()
                .map(|scan| take(&mut scan.objects)),
        );
        // Log group pages are selected here (by stream, for shards); buckets select before
        // download.
        let remote = queues
            .into_iter()
            .flat_map(|mut rx| std::iter::from_fn(move || rx.blocking_recv()))
            .filter(move |o| selection.wants(&o.origin, o.version.as_deref()) == Wanted::Yes);
        local.into_iter().chain(remote)
    }

    /// Waits for the remote sources to end; returns their problems and request counts, or the
    /// error that made one unreadable.
    pub fn finish(self) -> Result<Finished, SourceError> {
        let mut finished = Finished {
            problems: self.problems,
            unselected: self.unselected,
            duplicates: self.duplicates,
            s3: None,
            log_groups: None,
        };
        let Some(runtime) = self.runtime else {
            return Ok(finished);
        };
        let join = |e: tokio::task::JoinError| SourceError::Runtime(io::Error::other(e));
        for scan in self.buckets {
            let listing = runtime.block_on(scan.finished).map_err(join)??;
            finished.problems.extend(
                listing
                    .into_iter()
                    .map(|(origin, what)| Problem { origin, what }),
            );
            let c = &scan.counters;
            let total = finished.s3.get_or_insert_with(RequestStats::default);
            total.list_requests += c.list_requests.load(Ordering::Relaxed);
            total.get_requests += c.get_requests.load(Ordering::Relaxed);
            total.listed += c.listed.load(Ordering::Relaxed);
            total.pruned_by_time += c.pruned_by_time.load(Ordering::Relaxed);
            total.skipped_by_design += c.skipped_by_design.load(Ordering::Relaxed);
            total.unselected +=
                c.other_shard.load(Ordering::Relaxed) + c.already_scanned.load(Ordering::Relaxed);
            total.duplicates += c.duplicates.load(Ordering::Relaxed);
            finished.duplicates += c.duplicates.load(Ordering::Relaxed);
            finished.unselected.other_shard += c.other_shard.load(Ordering::Relaxed);
            finished.unselected.already_scanned += c.already_scanned.load(Ordering::Relaxed);
        }
        for scan in self.log_groups {
            runtime.block_on(scan.finished).map_err(join)??;
            let total = finished
                .log_groups
                .get_or_insert_with(LogGroupStats::default);
            total.requests += scan.counters.requests.load(Ordering::Relaxed);
            total.events += scan.counters.events.load(Ordering::Relaxed);
        }
        Ok(finished)
    }
}

/// Objects a run did not read because of its selection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unselected {
    pub other_shard: u64,
    pub already_scanned: u64,
}

impl Unselected {
    /// Counts a decision; true when the object is wanted.
    fn count(&mut self, wanted: Wanted) -> bool {
        match wanted {
            Wanted::Yes => return true,
            Wanted::OtherShard => self.other_shard += 1,
            Wanted::AlreadyScanned => self.already_scanned += 1,
        }
        false
    }
}

/// What the sources report once every object was read.
pub struct Finished {
    pub problems: Vec<Problem>,
    /// Local and S3 objects not read (log group pages of other shards are not counted: they
    /// were fetched anyway).
    pub unselected: Unselected,
    /// Inputs named more than once (a file by another name, an object under overlapping
    /// prefixes, a log group twice): read once, counted here.
    pub duplicates: u64,
    pub s3: Option<RequestStats>,
    pub log_groups: Option<LogGroupStats>,
}

fn closed_receiver() -> tokio::sync::mpsc::Receiver<LogObject> {
    tokio::sync::mpsc::channel(1).1
}

/// Opens every input: walks local paths (never descending into `output`), starts listing each
/// `s3://` URL and reading each `cwlogs://` log group. Fails before any work when an input
/// cannot be read at all.
pub fn open(
    inputs: &[String],
    options: &SourceOptions,
    selection: Arc<dyn Selection>,
    output: Option<&OutputDir<'_>>,
    queue: usize,
) -> Result<Inputs, SourceError> {
    let is_remote = |i: &&String| i.starts_with("s3://") || i.starts_with("cwlogs://");
    let (remote, paths): (Vec<&String>, Vec<&String>) = inputs.iter().partition(is_remote);
    let paths: Vec<String> = paths.into_iter().cloned().collect();
    let found = if paths.is_empty() {
        local::Discovered::default()
    } else {
        local::discover(&paths, output)?
    };
    let mut unselected = Unselected::default();
    let local = found
        .objects
        .into_iter()
        .filter(|o| unselected.count(selection.wants(&o.origin, o.version.as_deref())))
        .collect();
    let mut opened = Inputs {
        local,
        problems: found.problems,
        unselected,
        duplicates: found.duplicates,
        selection: Arc::clone(&selection),
        buckets: Vec::new(),
        log_groups: Vec::new(),
        runtime: None,
    };
    if remote.is_empty() {
        return Ok(opened);
    }
    // Every URL is checked before anything starts.
    let (urls, groups): (Vec<&String>, Vec<&String>) =
        remote.into_iter().partition(|i| i.starts_with("s3://"));
    let urls = urls
        .into_iter()
        .map(|u| S3Url::parse(u))
        .collect::<Result<Vec<_>, _>>()
        .map_err(SourceError::Url)?;
    let mut groups = groups
        .into_iter()
        .map(|g| cloudwatch::parse_url(g))
        .collect::<Result<Vec<_>, _>>()
        .map_err(SourceError::Url)?;
    let named = groups.len();
    let mut seen = std::collections::HashSet::new();
    groups.retain(|g| seen.insert(g.clone()));
    opened.duplicates += (named - groups.len()) as u64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(SourceError::Runtime)?;
    let config = runtime.block_on(aws::load(&options.aws))?;
    if !urls.is_empty() {
        let mut s3_config = aws_sdk_s3::config::Builder::from(&config);
        if aws::has_custom_endpoint(&config) {
            s3_config = s3_config.force_path_style(true);
        }
        let client = aws_sdk_s3::Client::from_conf(s3_config.build());
        let claims = Arc::new(Claims::new(&urls));
        for url in urls {
            let scan = s3::start(
                runtime.handle(),
                client.clone(),
                url,
                options.layout.clone(),
                ObjectChoice {
                    selection: Arc::clone(&selection),
                    claims: Arc::clone(&claims),
                },
                options.s3_concurrency,
                queue,
            );
            opened.buckets.push(scan);
        }
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    for group in groups {
        let mut window = options.layout.window;
        if window.until.is_none() {
            window.until = options.log_group_until.map(|ms| ms.saturating_mul(1000));
        }
        if let Some(&resume_ms) = options.log_group_resume.get(&group) {
            window.since = Some(
                window
                    .since
                    .unwrap_or(i64::MIN)
                    .max(resume_ms.saturating_mul(1000)),
            );
        }
        let group_options = LogGroupOptions {
            window,
            stream_prefix: options.log_stream_prefix.clone(),
            filter: options.filter,
            concurrency: options.log_concurrency,
        };
        opened.log_groups.push(cloudwatch::start(
            runtime.handle(),
            logs.clone(),
            group,
            group_options,
            queue,
        ));
    }
    opened.runtime = Some(runtime);
    Ok(opened)
}
