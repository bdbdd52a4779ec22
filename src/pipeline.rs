//! The scan, wired once: source → decode → split → prefilter → parse → classify → aggregate →
//! reports.
//!
//! Objects are spread over a rayon pool; each worker decodes and splits one object at a time
//! (bounded memory: one record plus buffers), parses only prefiltered records, folds denials
//! into its own [`Summary`] and sends rows in batches over a bounded channel to one writer
//! thread that owns `denials.parquet`. Summaries merge when all objects are done, then both
//! reports are committed (renamed into place).

use std::fs;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::aggregate::{Summary, SummaryRow};
use crate::classify::{Denial, FailureFilter};
use crate::decode::split::{ObjectKind, SplitLimits, split_records};
use crate::decode::{Encoding, decoder};
use crate::interrupt;
use crate::record::RecordReader;
use crate::report::parquet::{
    DENIAL_COLUMNS, DENIALS_FILE, ParquetReport, ReportError, SUMMARY_COLUMNS, SUMMARY_FILE,
};
use crate::source::{self, LogObject, SourceError, SourceOptions};
use crate::stats::ScanStats;
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
}

/// The result of a scan whose reports were written.
#[derive(Debug)]
pub struct ScanOutcome {
    pub rows: Vec<SummaryRow>,
    pub stats: ScanStats,
    pub denials_path: PathBuf,
    pub summary_path: PathBuf,
}

/// What stops a scan as a whole (as opposed to one bad input, which is a [`crate::stats::Problem`]).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("cannot create the output directory {path}: {source}")]
    OutputDir { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("cannot start worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    #[error("stopped by signal {0}: no report was written")]
    Interrupted(i32),
}

/// Denials per message to the writer thread, and messages in flight: bounds the memory held
/// between the workers and the writer.
const BATCH: usize = 1024;
const QUEUE: usize = 16;

/// Objects opened ahead of the workers (remote downloads started and waiting).
const OBJECT_QUEUE: usize = 8;

/// Scans the inputs and writes the reports into `config.out_dir`. The reports are committed
/// only when every source could be read to the end (single inputs may still be reported as
/// problems).
pub fn scan(config: &ScanConfig) -> Result<ScanOutcome, ScanError> {
    let started = Instant::now();
    fs::create_dir_all(&config.out_dir).map_err(|source| ScanError::OutputDir {
        path: config.out_dir.clone(),
        source,
    })?;
    let mut inputs = source::open(
        &config.inputs,
        &config.sources,
        Some(&config.out_dir),
        OBJECT_QUEUE,
    )?;
    let progress = progress_bar(config.progress, inputs.total_bytes());
    let (summary, mut stats, denials) =
        scan_objects(inputs.objects().par_bridge(), config, &progress)?;
    progress.finish_and_clear();
    if let Some(signal) = interrupt::requested() {
        // Dropping the uncommitted report removes its partial file.
        return Err(ScanError::Interrupted(signal));
    }
    let finished = inputs.finish()?;
    stats.problems.extend(finished.problems);
    stats.problems.sort();
    stats.requests = finished.s3;
    stats.log_groups = finished.log_groups;
    denials.commit()?;
    let rows = summary.rows();
    let mut summary_report = ParquetReport::create(&config.out_dir, SUMMARY_FILE, SUMMARY_COLUMNS)?;
    for row in &rows {
        summary_report.push(row)?;
    }
    let summary_path = summary_report.commit()?;
    stats.elapsed = started.elapsed();
    Ok(ScanOutcome {
        rows,
        stats,
        denials_path: config.out_dir.join(DENIALS_FILE),
        summary_path,
    })
}

/// Runs the workers over `objects`; returns `denials.parquet` complete but not yet committed.
fn scan_objects(
    objects: impl ParallelIterator<Item = LogObject>,
    config: &ScanConfig,
    progress: &ProgressBar,
) -> Result<(Summary, ScanStats, ParquetReport<Denial>), ScanError> {
    let mut report = ParquetReport::create(&config.out_dir, DENIALS_FILE, DENIAL_COLUMNS)?;
    let (sender, receiver) = sync_channel::<Vec<Denial>>(QUEUE);
    let writer_failed = Arc::new(AtomicBool::new(false));
    let writer = {
        let writer_failed = Arc::clone(&writer_failed);
        thread::spawn(move || -> Result<ParquetReport<Denial>, ReportError> {
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
    let threads = config
        .threads
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let (summary, stats) = pool.install(|| {
        objects
            .fold(
                || Worker::new(config, sender.clone(), &writer_failed, progress),
                |mut worker, object| {
                    worker.scan_object(object);
                    worker
                },
            )
            .map(Worker::finish)
            .reduce(
                || (Summary::default(), ScanStats::default()),
                |(s1, t1), (s2, t2)| (s1.merge(s2), t1.merge(t2)),
            )
    });
    drop(sender);
    let report = writer
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    Ok((summary, stats, report))
}

/// Per-thread scanning state: reusable parse buffers, the local summary and statistics, and
/// the batch of rows not yet sent to the writer.
struct Worker<'a> {
    config: &'a ScanConfig,
    records: RecordReader,
    summary: Summary,
    stats: ScanStats,
    batch: Vec<Denial>,
    sender: SyncSender<Vec<Denial>>,
    writer_failed: &'a AtomicBool,
    progress: &'a ProgressBar,
}

impl<'a> Worker<'a> {
    fn new(
        config: &'a ScanConfig,
        sender: SyncSender<Vec<Denial>>,
        writer_failed: &'a AtomicBool,
        progress: &'a ProgressBar,
    ) -> Self {
        Self {
            config,
            records: RecordReader::new(config.filter),
            summary: Summary::default(),
            stats: ScanStats::default(),
            batch: Vec::with_capacity(BATCH),
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
        self.stats.objects += 1;
        let raw = match (object.open)() {
            Ok(raw) => raw,
            Err(e) => return self.stats.problem(&origin, format!("cannot open: {e}")),
        };
        let stored = Arc::new(AtomicU64::new(0));
        let counted = CountingReader {
            inner: raw,
            count: Arc::clone(&stored),
            progress: self.progress.clone(),
        };
        let (encoding, decoded) = match decoder(counted) {
            Ok(decoded) => decoded,
            Err(e) => return self.stats.problem(&origin, format!("cannot read: {e}")),
        };
        let malformed_before = self.records.malformed;
        let (report, error) = split_records(decoded, self.config.limits, |record| {
            self.on_record(record, &origin)
        });
        self.stats.stored_bytes += stored.load(Ordering::Relaxed);
        self.stats.decoded_bytes += report.decoded_bytes;
        self.stats.records += report.records;
        match report.kind {
            ObjectKind::Digest => *self.stats.skipped_by_design.entry("digest").or_default() += 1,
            ObjectKind::Insight => *self.stats.skipped_by_design.entry("insight").or_default() += 1,
            ObjectKind::Empty if error.is_none() && report.malformed.is_empty() => {
                self.stats.problem(&origin, "empty: no data")
            }
            ObjectKind::Unrecognised => self.stats.problem(
                &origin,
                format!(
                    "not CloudTrail JSON (starts with {:?})",
                    String::from_utf8_lossy(&report.preview)
                ),
            ),
            _ => {}
        }
        for (what, count) in &report.malformed {
            self.stats
                .problem(&origin, format!("{count} × {}", what.describe()));
        }
        let malformed = self.records.malformed - malformed_before;
        if malformed > 0 {
            let what = format!("{malformed} × record is not a valid JSON object");
            self.stats.problem(&origin, what);
        }
        if let Some(e) = error {
            let what = match encoding {
                Encoding::Gzip => "gzip data is corrupt or truncated",
                Encoding::Plain => "read failed",
            };
            self.stats.problem(
                &origin,
                format!("{what} after {} records: {e}", report.records),
            );
        }
    }

    fn on_record(&mut self, record: &mut [u8], origin: &Arc<str>) {
        let Some(denial) = self.records.read(record, origin) else {
            return;
        };
        match self.config.window.place(denial.event_time) {
            Placement::Inside => {}
            Placement::Outside => return self.stats.outside_window += 1,
            Placement::Unknown => return self.stats.without_time += 1,
        }
        self.stats.kept += 1;
        self.summary.add(&denial);
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

    fn finish(mut self) -> (Summary, ScanStats) {
        if !self.batch.is_empty() {
            self.send_batch();
        }
        self.stats.parsed = self.records.parsed;
        self.stats.repaired_utf8 = self.records.repaired_utf8;
        self.stats.malformed_records = self.records.malformed;
        (self.summary, self.stats)
    }
}

/// Counts the stored (compressed) bytes read, moves the progress bar by them, and ends reading
/// when a stop was requested.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
    progress: ProgressBar,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if interrupt::requested().is_some() {
            return Err(interrupt::stopped_error());
        }
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
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
