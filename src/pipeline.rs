//! The scan, wired once: source → decode → split → prefilter → parse → classify → aggregate →
//! reports.
//!
//! Objects are spread over a rayon pool; each worker decodes and splits one object at a time
//! (bounded memory: one record plus buffers), parses only prefiltered records, folds denials
//! into its own [`Summary`] and sends rows in batches over a bounded channel to one writer
//! thread that owns `denials.parquet`. Summaries merge when all objects are done, then both
//! reports are committed (renamed into place).

use std::borrow::Borrow;
use std::fs;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::aggregate::{Summary, SummaryRows};
use crate::changes::PolicyChange;
use crate::changes::link::ChangeIndex;
use crate::changes::transient::RoleAssumptions;
use crate::classify::{Denial, FailureFilter};
use crate::decode::split::{ObjectKind, SplitLimits};
use crate::decode::{Decoder, Encoding, ObjectRecords};
use crate::interrupt;
use crate::lock::{LockError, RunLock, state_lock_path};
use crate::record::RecordReader;
use crate::report::columns::ColumnDef;
use crate::report::escape::for_terminal;
use crate::report::layout::{
    DenialSink, Layout, ReportFiles, partitioned_files, remove_stale_partials, run_summary,
};
use crate::report::parquet::{FinishedReport, ParquetReport, ReportError};
use crate::report::schema::{POLICY_CHANGE_COLUMNS, SUMMARY_COLUMNS};
use crate::report::upload::{Destination, UploadError};
use crate::snapshot::{Snapshot, SnapshotError};
use crate::source::local::{ChangedWhileRead, OutputDir};
use crate::source::overlap::{OverlapError, RunPaths, check_html, check_output_dir};
use crate::source::s3_layout::S3Url;
use crate::source::{self, LogObject, Selection, SourceError, SourceOptions};
use crate::state::{
    ObjectRead, RecordedSelection, RunSelection, Shard, State, StateError, canonical_input,
    new_run_id, selection_id, supersedes,
};
use crate::stats::ScanStats;
use crate::suppress::{Suppressions, noise_label};
use crate::verdict::Judge;
use crate::verdict::rewrite::{Judged, RewriteError, judge_finished};
use crate::verdict::tally::Tally;
use crate::window::{Placement, TimeWindow};

/// What to scan and how.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Paths, directories, `-`, or `s3://bucket/prefix` URLs.
    pub inputs: Vec<String>,
    /// How remote inputs are reached and pruned.
    pub sources: SourceOptions,
    pub out_dir: PathBuf,
    pub window: TimeWindow,
    pub filter: FailureFilter,
    pub limits: SplitLimits,
    /// Worker threads; all cores when `None`.
    pub threads: Option<usize>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Incremental runs: the checkpoint file.
    pub state: Option<PathBuf>,
    /// This run's share of the inputs.
    pub shard: Option<Shard>,
    /// Write partitioned reports even without `state`/`shard` (which imply it).
    pub partitioned: bool,
    /// Expected denials: kept in `denials.parquet` with `suppressed_by`, left out of the summary.
    pub suppressions: Suppressions,
    /// `--out s3://…`: `out_dir` is then a local staging directory whose reports are uploaded
    /// here once committed.
    pub upload: Option<S3Url>,
    /// Where the caller will write the HTML report: checked before the scan never to be a file
    /// the run reads or writes, and not reported as a stray file of `out_dir`.
    pub html: Option<PathBuf>,
    /// How far before a group's first denial a policy change is still linked to it (µs).
    pub change_lookback: i64,
    /// `--policies DIR`: judge every denial against this snapshot at the end of the scan.
    pub policies: Option<PathBuf>,
}

impl ScanConfig {
    /// Scan `inputs` into `out_dir` with every default: denials only, no time window, a single
    /// report, all cores, no progress bar.
    pub fn new(inputs: Vec<String>, out_dir: PathBuf) -> Self {
        ScanConfig {
            inputs,
            sources: SourceOptions {
                s3_concurrency: 8,
                log_concurrency: 4,
                ..SourceOptions::default()
            },
            out_dir,
            window: TimeWindow::default(),
            filter: FailureFilter::default(),
            limits: SplitLimits::default(),
            threads: None,
            progress: false,
            state: None,
            shard: None,
            partitioned: false,
            suppressions: Suppressions::default(),
            upload: None,
            html: None,
            change_lookback: 7 * 86_400 * 1_000_000,
            policies: None,
        }
    }
}

/// The result of a scan whose reports were written.
#[derive(Debug)]
pub struct ScanOutcome {
    /// Save it after the outputs: see [`PendingState`].
    pub pending: PendingState,
    pub rows: SummaryRows,
    pub stats: ScanStats,
    /// The files written: denials (one, or one per day when partitioned) and the summary.
    pub reports: ReportFiles,
    /// Report files of earlier, interrupted runs that were removed (see [`crate::state`]).
    pub removed_orphans: usize,
    /// Report files of earlier attempts of this run (same selection, no state) it replaced.
    pub replaced: usize,
    /// With `--out s3://…`: the URIs of the report objects uploaded.
    pub uploaded: Vec<String>,
    /// The summaries of the runs committed before this one, to tell which groups are new since
    /// the last run. `None` when that is not known here: no `--state`, no earlier run, or the
    /// reports are uploaded rather than kept in `out_dir`.
    pub earlier_summaries: Option<Vec<PathBuf>>,
    /// With `--policies`: how the denials were judged.
    pub judged: Option<Judged>,
}

/// What stops a scan as a whole (as opposed to one bad input, which is a [`crate::stats::Problem`]).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("cannot create the output directory {path}: {source}")]
    OutputDir { path: PathBuf, source: io::Error },
    #[error(
        "--out {0} is a file, not a directory: reports are written into a directory; name a new or existing directory"
    )]
    OutputNotDir(PathBuf),
    #[error(
        "{dir} already holds {theirs} reports; a {ours} run there would have `whydenied report` and the queries count the same denials twice. Use another --out for {ours} runs{hint}"
    )]
    MixedLayouts { dir: PathBuf, theirs: &'static str, ours: &'static str, hint: &'static str },
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("cannot start worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    #[error("stopped by signal {0}: no report was written")]
    Interrupted(i32),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Upload(#[from] UploadError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Overlap(#[from] OverlapError),
    #[error("--policies: {0}")]
    Snapshot(#[from] SnapshotError),
    #[error("judging the denials: {0}")]
    Judge(#[from] RewriteError),
    #[error(
        "{input}: {reason}. With --state a run commits nothing when an API input was read only part-way: no report was written and the state is unchanged, so the next run reads the same window again"
    )]
    ApiGap { input: String, reason: String },
}

/// Denials per message to the writer thread, and messages in flight: bounds the memory held
/// between the workers and the writer.
const BATCH: usize = 1024;
const QUEUE: usize = 16;

/// Objects opened ahead of the workers (remote downloads started and waiting).
const OBJECT_QUEUE: usize = 8;

/// CloudWatch Logs can take minutes to receive an event, and CloudTrail delivers events about
/// five minutes after the call on average, without a guarantee: an incremental run reads API
/// inputs only up to this long ago, and the next run starts there. An event that arrives
/// later than this after its time is never read by an incremental run, so the margin is three
/// times the average; a nightly run loses nothing to the wait.
const API_INGESTION_DELAY_MS: i64 = 15 * 60 * 1000;

/// Scans the inputs and writes the reports into `config.out_dir`. The reports are committed
/// only when every source could be read to the end (single inputs may still be reported as
/// problems), and the state, if any, only after the reports.
pub fn scan(config: &ScanConfig) -> Result<ScanOutcome, ScanError> {
    let started = Instant::now();
    check_output_dir(&config.inputs, &config.out_dir)?;
    if let Some(html) = &config.html {
        let run = RunPaths {
            inputs: &config.inputs,
            out_dir: &config.out_dir,
            state: config.state.as_deref(),
        };
        check_html(&run, html)?;
    }
    if config.out_dir.exists() && !config.out_dir.is_dir() {
        return Err(ScanError::OutputNotDir(config.out_dir.clone()));
    }
    // Before any log is read: a snapshot that cannot be loaded at all stops the run early.
    let snapshot = match &config.policies {
        Some(dir) => Some(load_snapshot(dir)?),
        None => None,
    };
    fs::create_dir_all(&config.out_dir)
        .map_err(|source| ScanError::OutputDir { path: config.out_dir.clone(), source })?;
    // Held until the scan returns: no other run commits into this directory or state meanwhile.
    // Shards of one run share the directory by design (each with its own state, locked below).
    let mut locks = Vec::new();
    if config.shard.is_none() {
        locks.push(RunLock::directory(&config.out_dir)?);
        // Left by a run killed while it wrote (a second Ctrl-C, SIGKILL, a power cut).
        let stale = remove_stale_partials(&config.out_dir);
        if stale > 0 {
            tracing::info!(stale, "removed temporary files of killed runs");
        }
    }
    if let Some(path) = &config.state {
        locks.push(RunLock::file(&state_lock_path(path))?);
    }
    let partitioned = config.state.is_some() || config.shard.is_some() || config.partitioned;
    // Before the state is loaded: a refused run leaves no new state behind.
    check_one_layout(&config.out_dir, partitioned)?;
    let shard_text = config.shard.map(|s| s.to_string());
    let selection = RecordedSelection {
        since: config.window.since,
        until: config.window.until,
        include_authn: config.filter.include_authn,
        all_errors: config.filter.all_errors,
        accounts: config.sources.layout.accounts.clone(),
        regions: config.sources.layout.regions.clone(),
    };
    // With a state, local inputs are named by their canonical paths: the state's keys (and
    // the origins of its reports) stay the same however the path is typed night after night.
    let inputs: Vec<String> = match &config.state {
        Some(_) => config.inputs.iter().map(|i| canonical_input(i)).collect(),
        None => config.inputs.clone(),
    };
    let mut state = match &config.state {
        Some(path) => {
            let out = match &config.upload {
                Some(url) => format!("s3://{}/{}", url.bucket, url.prefix),
                None => canonical_input(&config.out_dir.to_string_lossy()),
            };
            Some(State::load(path, &inputs, shard_text.as_deref(), &selection, &out)?)
        }
        None => None,
    };
    let layout = if partitioned {
        // Without a state, the run id names the selection, so that a retry replaces.
        let selection_id =
            state.is_none().then(|| selection_id(&config.inputs, config.shard, &selection));
        Layout::Partitioned {
            run_id: new_run_id(
                config.shard,
                state.as_ref().and_then(|s| s.id.as_deref()),
                selection_id.as_deref(),
            ),
        }
    } else {
        Layout::Single
    };
    // With --out s3://, the prefix's lock object keeps runs on other machines out until this
    // scan returns (the local locks above only see this machine).
    let destination = match &config.upload {
        Some(url) => {
            let mut destination = Destination::connect(url.clone(), &config.sources.aws)?;
            destination.lock()?;
            Some(destination)
        }
        None => None,
    };
    let removed_orphans = match (&state, &destination) {
        (Some(state), Some(destination)) => destination.remove_runs(|run| state.is_orphan(run))?,
        (Some(state), None) => remove_runs(&config.out_dir, |run| state.is_orphan(run))?,
        (None, _) => 0,
    };
    let earlier_summaries = match (&state, &destination) {
        (Some(state), None) if !state.runs.is_empty() => {
            Some(state.runs.iter().map(|run| run_summary(&config.out_dir, run)).collect())
        }
        _ => None,
    };
    let mut sources = config.sources.clone();
    let mut api_until = None;
    if let Some(state) = &state {
        sources.api_resume = state.api_resume(&config.inputs);
        if sources.layout.window.until.is_none() {
            let until_ms = chrono::Utc::now().timestamp_millis() - API_INGESTION_DELAY_MS;
            sources.api_until = Some(until_ms);
            api_until = Some(until_ms);
        }
    }
    let selection = Arc::new(RunSelection::new(config.shard, state.as_ref()));
    tracing::info!(inputs = config.inputs.len(), layout = ?layout, "scan starts");
    // The run's own files may sit in --out: not logs left there by mistake.
    let state_lock = config.state.as_deref().map(state_lock_path);
    let own_files: Vec<PathBuf> =
        config.state.iter().chain(&state_lock).chain(&config.html).cloned().collect();
    let output = OutputDir { path: &config.out_dir, own_files: &own_files };
    let mut inputs = source::open(
        &inputs,
        &sources,
        Arc::clone(&selection) as Arc<dyn Selection>,
        Some(&output),
        OBJECT_QUEUE,
    )?;
    let progress = progress_bar(config.progress, inputs.total_bytes());
    let sink = DenialSink::create(&config.out_dir, &layout)?;
    let scanned = scan_objects(inputs.objects().par_bridge(), config, &selection, sink, &progress)?;
    progress.finish_and_clear();
    if let Some(signal) = interrupt::requested() {
        // Dropping the uncommitted reports removes their partial files.
        return Err(ScanError::Interrupted(signal));
    }
    let WorkersDone { summary, mut stats, sink, read, mut changes, assumptions } = scanned;
    let finished = inputs.finish()?;
    if config.state.is_some()
        && let Some((input, reason)) = finished.api_gaps.into_iter().next()
    {
        // Its newest events are in this run's reports, its oldest were not read: the next run
        // could neither resume after the gap nor read it again without counting twice.
        return Err(ScanError::ApiGap { input, reason });
    }
    stats.problems.extend(finished.problems);
    stats.problems.sort();
    stats.other_shard += finished.unselected.other_shard;
    stats.already_scanned += finished.unselected.already_scanned;
    stats.duplicates += finished.duplicates;
    stats.policy_snapshots = (finished.snapshots.iter()).map(|p| p.display().to_string()).collect();
    stats.not_listed = finished.not_listed;
    stats.not_listed_named = finished.not_listed_named;
    stats.requests = finished.s3;
    stats.log_groups = finished.log_groups;
    stats.lookup_events = finished.lookup_events;
    stats.unused_rules = config
        .suppressions
        .unused(&stats.suppressed_by_rule)
        .into_iter()
        .map(String::from)
        .collect();
    // Workers finish objects in any order: sorted, the file is the same for the same input
    // (the origin last: one event copied into two objects is two rows, in a fixed order).
    changes.sort_by(|a, b| {
        (a.event_time, &a.event_id, &a.event_name, &a.origin).cmp(&(
            b.event_time,
            &b.event_id,
            &b.event_name,
            &b.origin,
        ))
    });
    let mut rows = summary.into_rows();
    let changes_index = ChangeIndex::new(&changes, config.change_lookback);
    // Single-threaded work after the workers are done, none of which needs the others: the
    // groups are linked to changes and, without a snapshot to judge by, the summary written,
    // while the denials file is finished and the changes file written beside them (callgrind on
    // the bench trail: linking its 1,558 groups 68 M instructions, the changes file 15 M,
    // finishing the denials file 100 M, the summary file 65 M, about 10 ms of wall).
    let (denials_finished, changes_finished, summary_finished) = thread::scope(|scope| {
        let denials = scope.spawn(|| sink.finish());
        let changes = scope.spawn(|| {
            let at = layout.policy_changes_path(&config.out_dir);
            write_report(at, POLICY_CHANGE_COLUMNS, changes.iter())
        });
        if !changes_index.is_empty() || !assumptions.is_empty() {
            // Transient first: a linked change then leads the transient hint.
            rows.amend(|row| assumptions.mark(row, &changes_index) | changes_index.link(row));
        }
        let at = layout.summary_path(&config.out_dir);
        let summary = snapshot.is_none().then(|| write_report(at, SUMMARY_COLUMNS, rows.iter()));
        (joined(denials), joined(changes), summary)
    });
    let (mut denials_finished, changes_finished) = (denials_finished?, changes_finished?);
    let mut judged = None;
    let summary_finished = match summary_finished {
        Some(summary_finished) => summary_finished?,
        // With a snapshot: every change is known now, so the denials just written are judged
        // before they are published, and the summary is written with the verdicts' tallies.
        None => {
            let judge = Judge::new(snapshot.as_ref(), &changes);
            let (mut tally, mut counts) = (Tally::default(), Judged::default());
            denials_finished = judge_finished(denials_finished, &judge, &mut tally, &mut counts)?;
            rows.amend(|row| tally.amend(row));
            judged = Some(counts);
            write_report(layout.summary_path(&config.out_dir), SUMMARY_COLUMNS, rows.iter())?
        }
    };
    // Every report is complete on disk before any is renamed into place, and the renames run
    // with a second Ctrl-C held back: a run commits all its reports or none.
    let (denials_paths, summary_path, changes_path) = interrupt::while_committing(|| {
        let denials: Vec<PathBuf> = (denials_finished.into_iter().map(FinishedReport::publish))
            .collect::<Result<_, _>>()?;
        Ok::<_, ReportError>((denials, summary_finished.publish()?, changes_finished.publish()?))
    })?;
    let mut uploaded = Vec::new();
    if let Some(destination) = &destination {
        let files: Vec<PathBuf> =
            denials_paths.iter().chain([&summary_path, &changes_path]).cloned().collect();
        uploaded = destination.upload(&config.out_dir, &files)?;
    }
    // The reports of earlier attempts of this very run (a retried batch job) are superseded.
    let replaced = match (&layout, &state, &destination) {
        (Layout::Partitioned { run_id }, None, Some(destination)) => {
            destination.remove_runs(|run| supersedes(run_id, run))?
        }
        (Layout::Partitioned { run_id }, None, None) => {
            remove_runs(&config.out_dir, |run| supersedes(run_id, run))?
        }
        _ => 0,
    };
    if let (Some(state), Some(_), Layout::Partitioned { run_id }) =
        (state.as_mut(), &config.state, &layout)
    {
        state.runs.push(run_id.clone());
        for object in read {
            state.record(object);
        }
        if let Some(until_ms) = api_until.or(config.sources.layout.window.until.map(|us| us / 1000))
        {
            for input in config.inputs.iter().filter(|i| source::is_api(i)) {
                state.api_read_up_to(input, until_ms);
            }
        }
    }
    let pending = PendingState { state: state.zip(config.state.clone()), _locks: locks };
    stats.elapsed = started.elapsed();
    tracing::info!(
        objects = stats.objects,
        records = stats.records,
        kept = stats.kept,
        problems = stats.problems.len(),
        "reports committed"
    );
    let reports =
        ReportFiles { denials: denials_paths, summary: summary_path, policy_changes: changes_path };
    Ok(ScanOutcome {
        rows,
        stats,
        reports,
        removed_orphans,
        replaced,
        uploaded,
        earlier_summaries,
        pending,
        judged,
    })
}

/// Loads the `--policies` snapshot; a broken file makes only its piece unknown, and is named.
pub fn load_snapshot(dir: &std::path::Path) -> Result<Snapshot, ScanError> {
    let (snapshot, problems) = Snapshot::load(dir)?;
    for problem in &problems {
        tracing::warn!("{problem}");
    }
    Ok(snapshot)
}

/// The last step of a run, left to the caller: recording it in the `--state` file once every
/// output the user asked for (the HTML page, the summary on stdout) was written. A run whose
/// outputs failed is not recorded, so the next run removes its reports as orphans and reads its
/// objects again, rather than reporting nothing new. Holds the run's locks until then.
#[derive(Debug)]
pub struct PendingState {
    state: Option<(State, PathBuf)>,
    _locks: Vec<RunLock>,
}

impl PendingState {
    /// Writes the state (atomically), then releases the locks.
    pub fn save(self) -> Result<(), StateError> {
        match &self.state {
            Some((state, path)) => state.save(path),
            None => Ok(()),
        }
    }
}

/// Refuses to write one layout of reports next to the other: `whydenied report` and the
/// queries read every denials file under the directory, so a single `denials.parquet` beside
/// the `denials/` partitions of nightly runs over the same logs would count each denial twice.
fn check_one_layout(out_dir: &std::path::Path, partitioned: bool) -> Result<(), ScanError> {
    let dir = out_dir.to_path_buf();
    match partitioned {
        false if !partitioned_files(out_dir).is_empty() => Err(ScanError::MixedLayouts {
            dir,
            theirs: "partitioned (--state, --shard or --partitioned)",
            ours: "single-report",
            hint: "",
        }),
        true if out_dir.join("denials.parquet").exists() => Err(ScanError::MixedLayouts {
            dir,
            theirs: "single-report (a plain scan's denials.parquet)",
            ours: "partitioned",
            hint: ", or move the single reports away if this run replaces them",
        }),
        _ => Ok(()),
    }
}

/// Deletes the report files in `out_dir` of the runs `remove` names: orphans of the state
/// (runs killed after writing reports but before committing the state, whose objects are about
/// to be scanned again), or earlier attempts of a retried run. Returns how many.
fn remove_runs(
    out_dir: &std::path::Path,
    remove: impl Fn(&str) -> bool,
) -> Result<usize, ScanError> {
    let mut removed = 0;
    for (path, run) in partitioned_files(out_dir) {
        if remove(&run) {
            fs::remove_file(&path)
                .map_err(|source| ReportError::Io { path: path.clone(), source })?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// What a scoped thread returned; its panic goes on in the caller.
fn joined<T>(thread: thread::ScopedJoinHandle<'_, T>) -> T {
    thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// A report of `rows` in the directory and under the name `at` gives (from the run's
/// [`Layout`]), complete but not committed.
fn write_report<T, R: Borrow<T>>(
    (dir, name): (PathBuf, String),
    columns: &'static [ColumnDef<T>],
    rows: impl Iterator<Item = R>,
) -> Result<FinishedReport, ReportError> {
    fs::create_dir_all(&dir).map_err(|source| ReportError::Io { path: dir.clone(), source })?;
    let mut report = ParquetReport::create(&dir, &name, columns)?;
    for row in rows {
        report.push(row.borrow())?;
    }
    report.finish()
}

/// What the workers produced: the merged summary and statistics, the denial files complete but
/// not committed, and how far each object with a version was read, for the state.
struct WorkersDone {
    summary: Summary,
    stats: ScanStats,
    sink: DenialSink,
    read: Vec<ObjectRead>,
    changes: Vec<PolicyChange>,
    assumptions: RoleAssumptions,
}

/// Runs the workers over `objects`, feeding `sink` from one writer thread.
fn scan_objects(
    objects: impl ParallelIterator<Item = LogObject>,
    config: &ScanConfig,
    selection: &RunSelection,
    mut report: DenialSink,
    progress: &ProgressBar,
) -> Result<WorkersDone, ScanError> {
    let (sender, receiver) = sync_channel::<Vec<Denial>>(QUEUE);
    let writer_failed = Arc::new(AtomicBool::new(false));
    let writer = {
        let writer_failed = Arc::clone(&writer_failed);
        thread::spawn(move || -> Result<DenialSink, ReportError> {
            for batch in receiver {
                for denial in &batch {
                    if let Err(e) = report.push(denial) {
                        writer_failed.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
            Ok(report)
        })
    };
    let threads =
        config.threads.unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let (summary, stats, read, changes, assumptions) = pool.install(|| {
        objects
            .fold(
                || Worker::new(config, selection, sender.clone(), &writer_failed, progress),
                |mut worker, object| {
                    worker.scan_object(object);
                    worker
                },
            )
            .map(Worker::finish)
            .reduce(Done::default, |(s1, t1, mut d1, mut c1, a1), (s2, t2, d2, c2, a2)| {
                d1.extend(d2);
                c1.extend(c2);
                (s1.merge(s2), t1.merge(t2), d1, c1, a1.merge(a2))
            })
    });
    drop(sender);
    let report = writer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    Ok(WorkersDone { summary, stats, sink: report, read, changes, assumptions })
}

/// What one worker produced, as [`WorkersDone`] holds it merged.
type Done = (Summary, ScanStats, Vec<ObjectRead>, Vec<PolicyChange>, RoleAssumptions);

/// Per-thread scanning state: reusable parse buffers, the local summary and statistics, and
/// the batch of rows not yet sent to the writer.
struct Worker<'a> {
    config: &'a ScanConfig,
    selection: &'a RunSelection,
    records: RecordReader,
    decoder: Decoder,
    summary: Summary,
    /// How far each object with a version was read: what the state records.
    read: Vec<ObjectRead>,
    stats: ScanStats,
    batch: Vec<Denial>,
    /// Policy changes seen (few: they stay here until the end of the run).
    changes: Vec<PolicyChange>,
    sender: SyncSender<Vec<Denial>>,
    writer_failed: &'a AtomicBool,
    progress: &'a ProgressBar,
}

impl<'a> Worker<'a> {
    fn new(
        config: &'a ScanConfig,
        selection: &'a RunSelection,
        sender: SyncSender<Vec<Denial>>,
        writer_failed: &'a AtomicBool,
        progress: &'a ProgressBar,
    ) -> Self {
        Self {
            config,
            selection,
            records: RecordReader::new(config.filter),
            decoder: Decoder::default(),
            read: Vec::new(),
            summary: Summary::default(),
            stats: ScanStats::default(),
            batch: Vec::with_capacity(BATCH),
            changes: Vec::new(),
            sender,
            writer_failed,
            progress,
        }
    }

    fn scan_object(&mut self, object: LogObject) {
        if self.writer_failed.load(Ordering::Relaxed) || interrupt::requested().is_some() {
            return; // the run is failing or stopping anyway; that is what gets reported
        }
        let origin = object.origin;
        let problems_before = self.stats.problems.len();
        self.stats.objects += 1;
        let raw = match (object.open)() {
            Ok(raw) => raw,
            Err(e) => return self.stats.problem(&origin, format!("cannot open: {e}")),
        };
        let watched = Watched { inner: raw, progress: self.progress.clone() };
        let malformed_before = self.records.malformed;
        let not_understood_before = self.records.not_understood;
        // Records an earlier run read before this object failed it: already in the reports.
        let skip = object
            .version
            .as_deref()
            .map_or(0, |version| self.selection.records_done(&origin, version));
        let (filter, limits) = (self.config.filter, self.config.limits);
        // Out of `self` while `on_record` borrows it.
        let mut decoder = std::mem::take(&mut self.decoder);
        let mut handed = 0;
        let on_record = |record: &mut [u8]| {
            handed += 1;
            if handed > skip {
                self.on_record(record, &origin);
            }
        };
        let read = decoder.read_records(watched, object.size, limits, filter, on_record);
        self.decoder = decoder;
        let ObjectRecords { encoding, stored_bytes, report, error } = match read {
            Ok(read) => read,
            Err(e) => return self.stats.problem(&origin, format!("cannot read: {e}")),
        };
        self.stats.resumed_records += handed.min(skip);
        self.stats.stored_bytes += stored_bytes;
        self.stats.decoded_bytes += report.decoded_bytes;
        self.stats.records += report.records;
        match report.kind {
            ObjectKind::Digest => *self.stats.skipped_by_design.entry("digest").or_default() += 1,
            ObjectKind::Insight => *self.stats.skipped_by_design.entry("insight").or_default() += 1,
            _ => {}
        }
        for problem in report.problems(error.is_some()) {
            self.stats.problem(&origin, problem);
        }
        let malformed = self.records.malformed - malformed_before;
        if malformed > 0 {
            let what = format!("{malformed} × record is not a valid JSON object");
            self.stats.problem(&origin, what);
        }
        let not_understood = self.records.not_understood - not_understood_before;
        if not_understood > 0 {
            let what = format!(
                "{not_understood} × JSON object that may hold failures but is neither a CloudTrail event nor a known wrapper of one (not read)"
            );
            self.stats.problem(&origin, what);
        }
        let changed = error.as_ref().and_then(ChangedWhileRead::behind);
        if let Some(e) = &error {
            let records = report.records;
            let what = match (changed, encoding) {
                (Some(_), _) => format!("{e} ({records} records)"),
                (None, Encoding::Gzip) => {
                    format!("gzip data is corrupt or truncated after {records} records: {e}")
                }
                (None, Encoding::Plain) => format!("read failed after {records} records: {e}"),
                (None, Encoding::Parquet) => e.to_string(),
            };
            self.stats.problem(&origin, what);
        }
        tracing::debug!(
            origin = %for_terminal(&origin),
            records = report.records,
            decoded_bytes = report.decoded_bytes,
            problems = self.stats.problems.len() - problems_before,
            "object read"
        );
        if let Some(version) = object.version {
            let origin = origin.to_string();
            let partial = |version: String| ObjectRead::Partial {
                origin: origin.clone(),
                version,
                records: handed,
            };
            self.read.extend(match (&error, changed) {
                (None, _) => Some(ObjectRead::Complete { origin: origin.clone(), version }),
                (Some(_), None) => Some(partial(version)),
                // A file that grew is read on from here when it is next seen as it is now.
                (Some(_), Some(change)) => change.resumable_version().map(|v| partial(v.into())),
            });
        }
    }

    fn on_record(&mut self, record: &mut [u8], origin: &Arc<str>) {
        let found = self.records.read(record, origin);
        let scope = &self.config.sources.layout;
        if let Some(change) = found.change
            && self.config.window.place(change.event_time) == Placement::Inside
            && scope.keeps_record(change.account_id.as_deref(), change.region.as_deref())
        {
            self.stats.policy_changes += 1;
            self.changes.push(change);
        }
        let Some(mut denial) = found.denial else {
            return;
        };
        match self.config.window.place(denial.event_time) {
            Placement::Inside => {}
            Placement::Outside => return self.stats.outside_window += 1,
            Placement::Unknown => return self.stats.without_time += 1,
        }
        if !scope.keeps_record(denial.account_id.as_deref(), denial.region.as_deref()) {
            return self.stats.other_account_region += 1;
        }
        self.stats.kept += 1;
        denial.noise = noise_label(&denial);
        denial.suppressed_by = self.config.suppressions.matching(&denial).map(str::to_string);
        if let Some(rule) = &denial.suppressed_by {
            self.stats.suppressed += 1;
            match self.stats.suppressed_by_rule.get_mut(rule) {
                Some(n) => *n += 1,
                None => {
                    self.stats.suppressed_by_rule.insert(rule.clone(), 1);
                }
            }
        } else {
            self.summary.add(&denial);
        }
        self.batch.push(denial);
        if self.batch.len() >= BATCH {
            self.send_batch();
        }
    }

    fn send_batch(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        if self.sender.send(batch).is_err() {
            // The writer stopped on an error it reports itself; stop feeding it.
            self.writer_failed.store(true, Ordering::Relaxed);
        }
    }

    fn finish(mut self) -> Done {
        if !self.batch.is_empty() {
            self.send_batch();
        }
        self.stats.parsed = self.records.parsed;
        self.stats.repaired_utf8 = self.records.repaired_utf8;
        self.stats.malformed_records = self.records.malformed;
        let assumptions = self.records.successes();
        (self.summary, self.stats, self.read, self.changes, assumptions)
    }
}

/// Moves the progress bar by the stored (compressed) bytes read, and ends reading when a stop
/// was requested.
struct Watched<R> {
    inner: R,
    progress: ProgressBar,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if interrupt::requested().is_some() {
            return Err(interrupt::stopped_error());
        }
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

fn progress_bar(enabled: bool, total_bytes: Option<u64>) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = match total_bytes {
        Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template(
                    "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {binary_bytes} {binary_bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
