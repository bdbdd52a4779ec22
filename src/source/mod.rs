//! Where log bytes come from. A source yields [`LogObject`]s — a file, standard input, an S3
//! object — each with an `origin` used in error messages and in the `origin` column of every
//! denial it produced. Sources know nothing about JSON or denials.
//!
//! [`open`] turns the command line's inputs into one stream of objects: local files first (all
//! known up front), then the objects of each `s3://` input as its listing finds them.

pub mod aws;
pub mod local;
pub mod s3;
pub mod s3_layout;

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::runtime::Runtime;

use crate::stats::{Problem, RequestStats};
use aws::{AwsError, AwsOptions};
use local::InputPathError;
use s3::{S3Error, S3Scan};
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
    pub open: Opener,
}

/// How remote sources are reached and pruned.
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    pub aws: AwsOptions,
    /// Accounts, regions and time window: prune the S3 layout.
    pub layout: LayoutFilter,
    /// Downloads in flight at once, per bucket.
    pub s3_concurrency: usize,
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
    #[error("cannot start the AWS client runtime: {0}")]
    Runtime(io::Error),
}

/// The inputs of a run, opened.
pub struct Inputs {
    /// Local objects, known up front.
    pub local: Vec<LogObject>,
    /// Problems met while finding local inputs.
    pub problems: Vec<Problem>,
    remote: Vec<S3Scan>,
    runtime: Option<Runtime>,
}

impl Inputs {
    /// Stored bytes of all inputs, when all sizes are known in advance (no remote inputs).
    pub fn total_bytes(&self) -> Option<u64> {
        if !self.remote.is_empty() {
            return None;
        }
        self.local.iter().map(|o| o.size).sum()
    }

    /// Every object: local ones, then remote ones as they arrive. Remote objects wait in
    /// bounded queues, so this iterator is what applies back-pressure to the downloads.
    pub fn objects(&mut self) -> impl Iterator<Item = LogObject> + Send + use<> {
        let local = std::mem::take(&mut self.local);
        let receivers: Vec<_> = self
            .remote
            .iter_mut()
            .map(|scan| std::mem::replace(&mut scan.objects, closed_receiver()))
            .collect();
        local.into_iter().chain(
            receivers
                .into_iter()
                .flat_map(|mut rx| std::iter::from_fn(move || rx.blocking_recv())),
        )
    }

    /// Waits for the listings to end; returns their problems and request counts, or the error
    /// that made a bucket unreadable.
    pub fn finish(self) -> Result<(Vec<Problem>, Option<RequestStats>), SourceError> {
        let mut problems = self.problems;
        let Some(runtime) = self.runtime else {
            return Ok((problems, None));
        };
        let mut requests = RequestStats::default();
        for scan in self.remote {
            let listing = runtime
                .block_on(scan.finished)
                .map_err(|e| SourceError::Runtime(io::Error::other(e)))??;
            problems.extend(
                listing
                    .into_iter()
                    .map(|(origin, what)| Problem { origin, what }),
            );
            let c = &scan.counters;
            requests.list_requests += c.list_requests.load(Ordering::Relaxed);
            requests.get_requests += c.get_requests.load(Ordering::Relaxed);
            requests.listed += c.listed.load(Ordering::Relaxed);
            requests.pruned_by_time += c.pruned_by_time.load(Ordering::Relaxed);
            requests.skipped_by_design += c.skipped_by_design.load(Ordering::Relaxed);
        }
        Ok((problems, Some(requests)))
    }
}

fn closed_receiver() -> tokio::sync::mpsc::Receiver<LogObject> {
    tokio::sync::mpsc::channel(1).1
}

/// Opens every input: walks local paths (never descending into `skip_dir`), and starts
/// listing each `s3://` URL. Fails before any work when an input cannot be read at all.
pub fn open(
    inputs: &[String],
    options: &SourceOptions,
    skip_dir: Option<&Path>,
    queue: usize,
) -> Result<Inputs, SourceError> {
    let (urls, paths): (Vec<&String>, Vec<&String>) =
        inputs.iter().partition(|i| i.starts_with("s3://"));
    let paths: Vec<String> = paths.into_iter().cloned().collect();
    let found = if paths.is_empty() {
        local::Discovered::default()
    } else {
        local::discover(&paths, skip_dir)?
    };
    let mut opened = Inputs {
        local: found.objects,
        problems: found.problems,
        remote: Vec::new(),
        runtime: None,
    };
    if urls.is_empty() {
        return Ok(opened);
    }
    let urls = urls
        .into_iter()
        .map(|u| S3Url::parse(u).map_err(SourceError::Url))
        .collect::<Result<Vec<_>, _>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(SourceError::Runtime)?;
    let config = runtime.block_on(aws::load(&options.aws))?;
    let mut s3_config = aws_sdk_s3::config::Builder::from(&config);
    if aws::has_custom_endpoint(&config) {
        s3_config = s3_config.force_path_style(true);
    }
    let client = aws_sdk_s3::Client::from_conf(s3_config.build());
    for url in urls {
        let scan = s3::start(
            runtime.handle(),
            client.clone(),
            url,
            options.layout.clone(),
            options.s3_concurrency,
            queue,
        );
        opened.remote.push(scan);
    }
    opened.runtime = Some(runtime);
    Ok(opened)
}
