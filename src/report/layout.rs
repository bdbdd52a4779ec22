//! Where a run's reports go.
//!
//! A single run writes `denials.parquet` and `summary.parquet`. Incremental (`--state`), sharded
//! and long runs write Hive-style partitions instead, so that runs add files and never rewrite
//! them: `denials/date=YYYY-MM-DD/denials-<run-id>.parquet` (the UTC day of `event_time`;
//! `date=__invalid__` for events without a valid time) and `summary/summary-<run-id>.parquet`.
//! Partition values come from our own timestamps, never from log text, so no log content can
//! choose a path. Every file is written under a temporary name ([`DenialSink::finish`]) and renamed
//! into place with the run's other reports.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::DateTime;

use super::parquet::{
    DENIALS_FILE, FinishedReport, POLICY_CHANGES_FILE, ParquetReport, ReportError, SUMMARY_FILE,
};
use super::schema::DENIAL_COLUMNS;
use crate::classify::Denial;

/// How reports are laid out in the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `denials.parquet` and `summary.parquet`, replaced by each run.
    Single,
    /// Partitioned files named after the run, added by each run.
    Partitioned { run_id: String },
}

/// The partition of events without a valid time.
pub const INVALID_PARTITION: &str = "__invalid__";

impl Layout {
    /// Where the summary goes, and the directory to create for it.
    pub fn summary_path(&self, out_dir: &Path) -> (PathBuf, String) {
        match self {
            Layout::Single => (out_dir.to_path_buf(), SUMMARY_FILE.to_string()),
            Layout::Partitioned { run_id } => (out_dir.join("summary"), summary_name(run_id)),
        }
    }
}

impl Layout {
    /// Where the run's policy changes go: `policy_changes.parquet`, or
    /// `policy_changes/policy_changes-<run>.parquet` (few rows: one file per run, like the summary).
    pub fn policy_changes_path(&self, out_dir: &Path) -> (PathBuf, String) {
        match self {
            Layout::Single => (out_dir.to_path_buf(), POLICY_CHANGES_FILE.to_string()),
            Layout::Partitioned { run_id } => {
                (out_dir.join(POLICY_CHANGES_DIR), format!("{POLICY_CHANGES_DIR}-{run_id}.parquet"))
            }
        }
    }
}

/// The directory of partitioned policy-change files.
pub const POLICY_CHANGES_DIR: &str = "policy_changes";

/// The summary file of the partitioned run `run_id` in `out_dir`.
pub fn run_summary(out_dir: &Path, run_id: &str) -> PathBuf {
    out_dir.join("summary").join(summary_name(run_id))
}

fn summary_name(run_id: &str) -> String {
    format!("summary-{run_id}.parquet")
}

/// The files one run wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFiles {
    pub denials: Vec<PathBuf>,
    pub summary: PathBuf,
    pub policy_changes: PathBuf,
}

impl ReportFiles {
    /// The files of a [`Layout::Single`] run in `out_dir`.
    pub fn single(out_dir: &Path) -> Self {
        ReportFiles {
            denials: vec![out_dir.join(DENIALS_FILE)],
            summary: out_dir.join(SUMMARY_FILE),
            policy_changes: out_dir.join(POLICY_CHANGES_FILE),
        }
    }
}

/// `2026-11-02`, the UTC day of an event, or [`INVALID_PARTITION`].
pub fn day_of(event_time: Option<i64>) -> String {
    event_time
        .and_then(DateTime::from_timestamp_micros)
        .map_or_else(|| INVALID_PARTITION.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

/// The destination of denial rows: one file, or one file per day.
pub enum DenialSink {
    Single(Box<ParquetReport<Denial>>),
    Partitioned { root: PathBuf, run_id: String, days: BTreeMap<String, ParquetReport<Denial>> },
}

impl DenialSink {
    pub fn create(out_dir: &Path, layout: &Layout) -> Result<Self, ReportError> {
        Ok(match layout {
            Layout::Single => DenialSink::Single(Box::new(ParquetReport::create(
                out_dir,
                DENIALS_FILE,
                DENIAL_COLUMNS,
            )?)),
            Layout::Partitioned { run_id } => DenialSink::Partitioned {
                root: out_dir.join("denials"),
                run_id: run_id.clone(),
                days: BTreeMap::new(),
            },
        })
    }

    pub fn push(&mut self, denial: &Denial) -> Result<(), ReportError> {
        match self {
            DenialSink::Single(report) => report.push(denial),
            DenialSink::Partitioned { root, run_id, days } => {
                let day = day_of(denial.event_time);
                if !days.contains_key(&day) {
                    let dir = root.join(format!("date={day}"));
                    fs::create_dir_all(&dir)
                        .map_err(|source| ReportError::Io { path: dir.clone(), source })?;
                    let report = ParquetReport::create(
                        &dir,
                        &format!("denials-{run_id}.parquet"),
                        DENIAL_COLUMNS,
                    )?;
                    days.insert(day.clone(), report);
                }
                match days.get_mut(&day) {
                    Some(report) => report.push(denial),
                    None => unreachable!("inserted above"),
                }
            }
        }
    }

    /// Finishes every file under its temporary name, to be published with the run's other
    /// reports.
    pub fn finish(self) -> Result<Vec<FinishedReport>, ReportError> {
        match self {
            DenialSink::Single(report) => Ok(vec![(*report).finish()?]),
            DenialSink::Partitioned { days, .. } => {
                days.into_values().map(ParquetReport::finish).collect()
            }
        }
    }
}

/// The run id in a partitioned report's file name (`denials-<run>.parquet`,
/// `summary-<run>.parquet`, `policy_changes-<run>.parquet`), used to find the files of runs that
/// never committed their state.
pub fn run_id_of(file_name: &str) -> Option<&str> {
    let stem = file_name.strip_suffix(".parquet")?;
    ["denials-", "summary-", "policy_changes-"].iter().find_map(|prefix| stem.strip_prefix(prefix))
}

/// The directories of partitioned reports under `out_dir`: `summary/`, `policy_changes/` and
/// `denials/date=*/`.
fn partition_dirs(out_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![out_dir.join("summary"), out_dir.join(POLICY_CHANGES_DIR)];
    if let Ok(days) = fs::read_dir(out_dir.join("denials")) {
        dirs.extend(days.flatten().map(|day| day.path()));
    }
    dirs
}

/// Every partitioned report file under `out_dir`, with its run id.
pub fn partitioned_files(out_dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found: Vec<_> = partition_dirs(out_dir).iter().flat_map(|d| run_files_in(d)).collect();
    found.sort();
    found
}

/// The summaries of the partitioned runs in `out_dir`, oldest run first (a run id starts with
/// its time).
pub fn run_summaries(out_dir: &Path) -> Vec<PathBuf> {
    let mut found = run_files_in(&out_dir.join("summary"));
    found.sort();
    found.into_iter().map(|(path, _)| path).collect()
}

/// Removes the temporary report files that runs killed mid-write left in `out_dir` and its
/// partitions ([`crate::partial::is_stale`]: only those of processes no longer running here);
/// returns how many.
pub fn remove_stale_partials(out_dir: &Path) -> usize {
    let dirs = std::iter::once(out_dir.to_path_buf()).chain(partition_dirs(out_dir));
    let stale = dirs
        .filter_map(|dir| fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .filter(|entry| crate::partial::is_stale(&entry.file_name().to_string_lossy()));
    stale.filter(|entry| fs::remove_file(entry.path()).is_ok()).count()
}

/// The report files named after a run in one directory, with their run ids; none when the
/// directory cannot be read.
fn run_files_in(dir: &Path) -> Vec<(PathBuf, String)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let run = run_id_of(&name)?.to_string();
            Some((entry.path(), run))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_of_dead_processes_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let day = dir.path().join("denials/date=2026-11-02");
        fs::create_dir_all(&day).expect("mkdir");
        fs::create_dir_all(dir.path().join("summary")).expect("mkdir");
        // A pid above the kernel's maximum (4194304) never runs.
        let dead = [
            dir.path().join(".denials.parquet.partial-99999999"),
            day.join(".denials-r1.parquet.partial-99999999"),
            dir.path().join("summary/.summary-r1.parquet.partial-99999999"),
        ];
        let live = dir.path().join(format!(".summary.parquet.partial-{}", std::process::id()));
        let report = dir.path().join("denials.parquet");
        for path in dead.iter().chain([&live, &report]) {
            fs::write(path, "x").expect("write");
        }
        assert_eq!(remove_stale_partials(dir.path()), 3);
        assert!(dead.iter().all(|p| !p.exists()));
        assert!(live.exists() && report.exists());
    }

    #[test]
    fn days_and_run_ids() {
        assert_eq!(day_of(Some(1_793_613_600_000_000)), "2026-11-02");
        assert_eq!(day_of(None), INVALID_PARTITION);
        assert_eq!(day_of(Some(i64::MAX)), INVALID_PARTITION);
        assert_eq!(run_id_of("denials-20261128T1953Z-1a2b.parquet"), Some("20261128T1953Z-1a2b"));
        assert_eq!(run_id_of("summary-r1.parquet"), Some("r1"));
        assert_eq!(run_id_of("policy_changes-r1.parquet"), Some("r1"));
        assert_eq!(run_id_of("denials.parquet"), None);
        assert_eq!(run_id_of(".denials-r1.parquet.partial-12"), None);
    }
}
