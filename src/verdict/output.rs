//! `whydenied explain OUT --policies DIR`: judging the reports of an earlier scan offline. The
//! reports hold what the evaluation needs — each denial's row and `eval_context`, the trail's
//! changes in `policy_changes.parquet` — so this is the code `scan --policies` runs, fed from
//! files instead of from the scan; the verdicts are the same.
//!
//! Every denials file and summary is written beside its original and renamed over it only once
//! all are complete, under the directory's run lock: a scan never commits into it meanwhile, and
//! an interrupted judging leaves the reports as they were.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Judge;
use super::rewrite::{Judged, RewriteError, judge_published};
use super::tally::Tally;
use crate::aggregate::SummaryRow;
use crate::classify::Denial;
use crate::interrupt;
use crate::lock::{LockError, RunLock};
use crate::report::layout::{run_id_of, run_summaries};
use crate::report::parquet::{FinishedReport, ParquetReport, ReportError, SUMMARY_FILE};
use crate::report::read::{
    ReadError, denial_files, policy_change_files, read_denials, read_policy_changes, read_summaries,
};
use crate::report::schema::SUMMARY_COLUMNS;
use crate::snapshot::Snapshot;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Rewrite(#[from] RewriteError),
    #[error(transparent)]
    Write(#[from] ReportError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("no denial with event_id {0:?} in the reports")]
    NoSuchEvent(String),
    #[error("stopped by signal {0}: the reports are as they were")]
    Interrupted(i32),
}

/// Judges every denial under `out` and re-writes the denials files and summaries with the
/// verdicts.
pub fn judge_output(out: &Path, snapshot: Option<&Snapshot>) -> Result<Judged, OutputError> {
    let _lock = RunLock::directory(out)?;
    let changes = changes_of(out)?;
    let judge = Judge::new(snapshot, &changes);
    let files = denial_files(out)?;
    // A partitioned directory holds several runs: each run's summary counts its own denials.
    let mut tallies: HashMap<Option<String>, Tally> = HashMap::new();
    let mut judged = Judged::default();
    let mut finished = Vec::new();
    for file in &files {
        let run =
            file.file_name().and_then(|n| run_id_of(&n.to_string_lossy()).map(str::to_string));
        let tally = tallies.entry(run).or_default();
        finished.extend(judge_published(std::slice::from_ref(file), &judge, tally, &mut judged)?);
    }
    let mut summaries = Vec::new();
    let single = out.join(SUMMARY_FILE);
    if single.is_file() {
        summaries.push((single, tallies.remove(&None).unwrap_or_default()));
    }
    for path in run_summaries(out) {
        let run =
            path.file_name().and_then(|n| run_id_of(&n.to_string_lossy()).map(str::to_string));
        let tally = tallies.remove(&run).unwrap_or_default();
        summaries.push((path, tally));
    }
    for (path, tally) in &summaries {
        finished.push(amended_summary(path, tally)?);
    }
    if let Some(signal) = interrupt::requested() {
        return Err(OutputError::Interrupted(signal));
    }
    interrupt::while_committing(|| {
        finished.into_iter().map(FinishedReport::publish).collect::<Result<Vec<PathBuf>, _>>()
    })?;
    Ok(judged)
}

/// The summary at `path` with its rows' verdict columns set from `tally`, finished beside it.
fn amended_summary(path: &Path, tally: &Tally) -> Result<FinishedReport, OutputError> {
    let mut rows: Vec<SummaryRow> = Vec::new();
    read_summaries(path, |row| rows.push(row))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let mut report = ParquetReport::create(dir, &name, SUMMARY_COLUMNS)?;
    for mut row in rows {
        row.eval = None;
        tally.amend(&mut row);
        report.push(&row)?;
    }
    Ok(report.finish()?)
}

/// The denial of `out` with this event id.
pub fn find_denial(out: &Path, event_id: &str) -> Result<Denial, OutputError> {
    let mut found = None;
    for file in denial_files(out)? {
        read_denials(&file, |d| {
            if found.is_none() && d.event_id.as_deref() == Some(event_id) {
                found = Some(d);
            }
        })?;
        if found.is_some() {
            break;
        }
    }
    found.ok_or_else(|| OutputError::NoSuchEvent(event_id.to_string()))
}

/// The trail's changes recorded under `out`.
pub fn changes_of(out: &Path) -> Result<Vec<crate::changes::PolicyChange>, OutputError> {
    Ok(read_policy_changes(&policy_change_files(out))?)
}
