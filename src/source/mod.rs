//! Where log bytes come from. A source yields [`LogObject`]s — a file, standard input, an S3
//! object — each with an `origin` used in error messages and in the `origin` column of every
//! denial it produced. Sources know nothing about JSON or denials.
//!
//! [`open`] turns the command line's inputs into one stream of objects: local files first (all
//! known up front), then the objects of each `s3://`, `cwlogs://` and `cloudtrail://` input as
//! they arrive.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod cloudtrail;
#[cfg(feature = "aws")]
pub mod cloudwatch;
pub mod local;
pub mod lookup;
pub mod overlap;
#[cfg(feature = "aws")]
#[path = "remote.rs"]
mod remote;
#[cfg(not(feature = "aws"))]
#[path = "remote_disabled.rs"]
mod remote;
#[cfg(feature = "aws")]
pub mod s3;
#[cfg(feature = "aws")]
pub mod s3_claims;
pub mod s3_layout;

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use crate::classify::FailureFilter;
use crate::stats::{ApiStats, Problem, RequestStats};
use crate::window::TimeWindow;
use local::{InputPathError, OutputDir};
use lookup::LookupAttribute;
pub use remote::RemoteError;
use s3_layout::LayoutFilter;

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

/// The AWS options of the command line.
#[derive(Clone, Debug, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    /// The region of the clients (not the trail-region filter).
    pub region: Option<String>,
    /// A custom endpoint (an S3-compatible store, a local emulator); `AWS_ENDPOINT_URL` works too.
    pub endpoint_url: Option<String>,
    /// Send unsigned requests, for public buckets.
    pub no_sign_request: bool,
}

/// Whether an input names a remote source (`s3://`, `cwlogs://`, `cloudtrail://`) rather than
/// a local path.
pub fn is_remote(input: &str) -> bool {
    input.starts_with("s3://") || is_api(input)
}

/// Whether an input is read from an API over a time window (`cwlogs://`, `cloudtrail://`)
/// rather than as objects: an incremental run resumes it where the last one stopped.
pub fn is_api(input: &str) -> bool {
    input.starts_with("cwlogs://") || input.starts_with(lookup::SCHEME)
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
    /// CloudTrail's event history: the one attribute `LookupEvents` narrows by.
    pub lookup_attribute: Option<LookupAttribute>,
    /// Where each API input (`cwlogs://`, `cloudtrail://`, as written) was read up to by an
    /// earlier run (ms): reading resumes there.
    pub api_resume: std::collections::BTreeMap<String, i64>,
    /// Read API inputs only up to this time (ms, exclusive) when the window has no end.
    pub api_until: Option<i64>,
}

impl SourceOptions {
    /// The window an API input is read over: the run's, ended by [`Self::api_until`] when it
    /// has no end, and started no earlier than where an earlier run stopped reading `input`.
    pub fn api_window(&self, input: &str) -> TimeWindow {
        let mut window = self.layout.window;
        if window.until.is_none() {
            window.until = self.api_until.map(|ms| ms.saturating_mul(1000));
        }
        if let Some(&resume_ms) = self.api_resume.get(input) {
            window.since =
                Some(window.since.unwrap_or(i64::MIN).max(resume_ms.saturating_mul(1000)));
        }
        window
    }
}

/// Why the inputs cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Path(#[from] InputPathError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
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
    /// Policy snapshot directories inside local inputs: not read.
    snapshots: Vec<PathBuf>,
    selection: Arc<dyn Selection>,
    /// The `s3://`, `cwlogs://` and `cloudtrail://` inputs being listed and read.
    remote: Option<remote::Remote>,
}

impl Inputs {
    /// Stored bytes of all inputs, when all sizes are known in advance (no remote inputs).
    pub fn total_bytes(&self) -> Option<u64> {
        if self.remote.is_some() {
            return None;
        }
        self.local.iter().map(|o| o.size).sum()
    }

    /// Every object: local ones, then remote ones as they arrive. Remote objects wait in
    /// bounded queues, so this iterator is what applies back-pressure to the downloads.
    pub fn objects(&mut self) -> impl Iterator<Item = LogObject> + Send + use<> {
        let local = std::mem::take(&mut self.local);
        let remote = self.remote.as_mut().map(|r| r.objects(Arc::clone(&self.selection)));
        let remote = remote.into_iter().flatten();
        local.into_iter().chain(remote)
    }

    /// Waits for the remote sources to end; returns their problems and request counts, or the
    /// error that made one unreadable.
    pub fn finish(self) -> Result<Finished, SourceError> {
        let mut finished = Finished {
            problems: self.problems,
            unselected: self.unselected,
            duplicates: self.duplicates,
            snapshots: self.snapshots,
            not_listed: 0,
            not_listed_named: Vec::new(),
            s3: None,
            log_groups: None,
            lookup_events: None,
            api_gaps: Vec::new(),
        };
        if let Some(remote) = self.remote {
            remote.finish(&mut finished)?;
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
    pub(crate) fn count(&mut self, wanted: Wanted) -> bool {
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
    /// Policy snapshot directories inside local inputs: not log input, not read.
    pub snapshots: Vec<PathBuf>,
    /// Prefixes and keys beside a followed `AWSLogs/` layout: not listed; the first few named.
    pub not_listed: u64,
    pub not_listed_named: Vec<String>,
    pub s3: Option<RequestStats>,
    pub log_groups: Option<ApiStats>,
    /// CloudTrail event history (`cloudtrail://`) read.
    pub lookup_events: Option<ApiStats>,
    /// API inputs (as written) whose reading stopped part-way: a gap an incremental run must
    /// not step over.
    /// `(input, what)`.
    pub api_gaps: Vec<(String, String)>,
}

/// Opens every input: walks local paths (never descending into `output`), starts listing each
/// `s3://` URL and reading each `cwlogs://` log group and `cloudtrail://` event history. Fails before any work when an input
/// cannot be read at all.
pub fn open(
    inputs: &[String],
    options: &SourceOptions,
    selection: Arc<dyn Selection>,
    output: Option<&OutputDir<'_>>,
    queue: usize,
) -> Result<Inputs, SourceError> {
    let (remote, paths): (Vec<&String>, Vec<&String>) = inputs.iter().partition(|i| is_remote(i));
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
        snapshots: found.snapshots,
        selection: Arc::clone(&selection),
        remote: None,
    };
    if remote.is_empty() {
        return Ok(opened);
    }
    opened.remote = Some(remote::Remote::start(&remote, options, selection, queue)?);
    Ok(opened)
}
