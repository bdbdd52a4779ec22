//! Denials files re-written with their verdicts: at the end of `scan --policies` (the files
//! just finished, not yet published) and by `explain OUT --policies DIR` (an earlier run's
//! files, replaced atomically). Both read a batch at a time and judge it in parallel, so memory
//! stays bounded by the batch whatever the number of denials.

use std::path::Path;

use rayon::prelude::*;

use super::tally::Tally;
use super::{Judge, Verdict, VerdictKind};
use crate::classify::Denial;
use crate::report::parquet::{FinishedReport, ParquetReport, ReportError};
use crate::report::read::{ReadError, read_denial_batches};
use crate::report::schema::DENIAL_COLUMNS;

#[derive(Debug, thiserror::Error)]
pub enum RewriteError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Write(#[from] ReportError),
}

/// What the judging found, for the footer.
#[derive(Debug, Default, Clone)]
pub struct Judged {
    pub counts: [u64; 5],
    /// Gap id → how many denials it left undecided.
    pub gaps: std::collections::BTreeMap<String, u64>,
    pub mismatches: u64,
}

impl Judged {
    fn add(&mut self, verdict: &Verdict) {
        self.counts[verdict.kind.index()] += 1;
        for gap in &verdict.gaps {
            *self.gaps.entry(gap.clone()).or_default() += 1;
        }
        self.mismatches += u64::from(verdict.mismatch);
    }

    pub fn count(&self, kind: VerdictKind) -> u64 {
        self.counts[kind.index()]
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The gaps that left the most denials undecided, most first (ties by name).
    pub fn top_gaps(&self, n: usize) -> Vec<(&str, u64)> {
        let mut gaps: Vec<(&str, u64)> = self.gaps.iter().map(|(g, n)| (g.as_str(), *n)).collect();
        gaps.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        gaps.truncate(n);
        gaps
    }
}

/// Judges every denial of `source` into a new report at `dir/name`, returned finished (not
/// yet published).
fn rewrite(
    source: &Path,
    dir: &Path,
    name: &str,
    judge: &Judge<'_>,
    tally: &mut Tally,
    judged: &mut Judged,
) -> Result<FinishedReport, RewriteError> {
    let mut out = ParquetReport::create(dir, name, DENIAL_COLUMNS)?;
    let mut failed: Option<ReportError> = None;
    read_denial_batches(source, |mut batch: Vec<Denial>| {
        if failed.is_some() {
            return;
        }
        batch.par_iter_mut().for_each(|d| d.verdict = judge.judge(d).map(Box::new));
        for denial in &batch {
            if let Some(verdict) = &denial.verdict {
                tally.add(denial, verdict);
                judged.add(verdict);
            }
            if let Err(e) = out.push(denial) {
                failed = Some(e);
                return;
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(out.finish()?)
}

/// Judges the denials of a scan's finished reports; the judged reports replace them.
pub fn judge_finished(
    finished: Vec<FinishedReport>,
    judge: &Judge<'_>,
    tally: &mut Tally,
    judged: &mut Judged,
) -> Result<Vec<FinishedReport>, RewriteError> {
    finished
        .into_iter()
        .map(|report| {
            let source = report.set_aside("unjudged")?;
            let final_path = source.final_path().to_path_buf();
            let (dir, name) = split(&final_path);
            rewrite(source.temp_path(), dir, &name, judge, tally, judged)
        })
        .collect()
}

/// Judges the denials of published files (an earlier run's), each replaced atomically once all
/// are written.
pub fn judge_published(
    files: &[std::path::PathBuf],
    judge: &Judge<'_>,
    tally: &mut Tally,
    judged: &mut Judged,
) -> Result<Vec<FinishedReport>, RewriteError> {
    files
        .iter()
        .map(|file| {
            let (dir, name) = split(file);
            rewrite(file, dir, &name, judge, tally, judged)
        })
        .collect()
}

fn split(path: &Path) -> (&Path, String) {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
    (dir, name)
}
