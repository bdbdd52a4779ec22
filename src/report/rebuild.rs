//! `whydenied report DIR`: the summary again, from the denials reports already written (one run,
//! many incremental runs, or many shards), without rescanning any log.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::layout::run_summaries;
use super::read::{
    ReadError, denial_files, policy_change_files, read_denials, read_policy_changes,
    read_summary_keys, read_transient_successes, summary_files,
};
use crate::aggregate::{Summary, SummaryKey, SummaryRows};
use crate::changes::link::ChangeIndex;
use crate::changes::transient::RoleAssumptions;
use crate::suppress::Suppressions;
use crate::verdict::tally::Tally;
use crate::window::{Placement, TimeWindow};

/// The re-aggregated summary.
#[derive(Debug)]
pub struct Rebuilt {
    /// Groups of the denials inside the window, most frequent first.
    pub rows: SummaryRows,
    /// With `new_since`: the groups never seen before that time (in all the data, not only the
    /// window), the "what is new tonight" view.
    pub new: HashSet<SummaryKey>,
    /// The denials files read.
    pub files: Vec<PathBuf>,
    /// Denials read, and those outside the window.
    pub denials: u64,
    pub outside_window: u64,
    /// Denials inside the window, as a scan counts `kept`: suppressed ones included.
    pub kept: u64,
    /// Of those, the ones a suppression rule matched (left out of `rows`): the rules given to
    /// `rebuild`, or else the rules of the scan that wrote them (`suppressed_by`).
    pub suppressed: u64,
    /// With rules given: those that matched no denial inside the window, in file order.
    pub unused_rules: Vec<String>,
}

/// Reads every denials file under `dir` and summarises the denials inside `window`, each group
/// linked to the policy change that most plausibly caused it among every change recorded under
/// `dir` (`change_lookback` in microseconds). `rules`, when given, decide again which denials
/// are suppressed, in place of the rules the scans applied: a rule added or fixed later applies
/// to reports already written.
pub fn rebuild(
    dir: &Path,
    window: &TimeWindow,
    new_since: Option<i64>,
    change_lookback: i64,
    rules: Option<&Suppressions>,
) -> Result<Rebuilt, ReadError> {
    let files = denial_files(dir)?;
    let (mut all, mut windowed) = (Summary::default(), Summary::default());
    let (mut denials, mut outside_window, mut kept, mut suppressed) = (0, 0, 0, 0);
    let mut matched: BTreeMap<String, u64> = BTreeMap::new();
    let mut verdicts = Tally::default();
    for file in &files {
        read_denials(file, |mut d| {
            denials += 1;
            if let Some(rules) = rules {
                d.suppressed_by = rules.matching(&d).map(str::to_string);
            }
            let inside = window.place(d.event_time) == Placement::Inside;
            if inside {
                kept += 1;
            } else {
                outside_window += 1;
            }
            if let Some(rule) = d.suppressed_by {
                // Left out of the summary and of "new", as the scan did.
                suppressed += u64::from(inside);
                if inside {
                    *matched.entry(rule).or_default() += 1;
                }
                return;
            }
            if inside {
                windowed.add(&d);
                if let Some(verdict) = &d.verdict {
                    verdicts.add(&d, verdict);
                }
            }
            if new_since.is_some() {
                all.add(&d);
            }
        })?;
    }
    let new = match new_since {
        None => HashSet::new(),
        Some(since) => all.first_seen_since(since),
    };
    let changes = read_policy_changes(&policy_change_files(dir))?;
    let index = ChangeIndex::new(&changes, change_lookback);
    // The successes the scans' summaries remember, judged again by the same rule: a group that
    // merged denials of later runs is transient only if a success followed its new last denial.
    let mut successes = RoleAssumptions::default();
    for success in read_transient_successes(&summary_files(dir))? {
        successes.add(&success);
    }
    let mut rows = windowed.into_rows();
    if !index.is_empty() || !successes.is_empty() {
        rows.amend(|row| successes.mark(row, &index) | index.link(row));
    }
    rows.amend(|row| verdicts.amend(row));
    let unused_rules = rules.map_or_else(Vec::new, |rules| {
        rules.unused(&matched).into_iter().map(String::from).collect()
    });
    Ok(Rebuilt { rows, new, files, denials, outside_window, kept, suppressed, unused_rules })
}

/// The groups of `rows` that none of the `earlier` summary reports has: new since the last run.
pub fn new_since_runs(
    rows: &SummaryRows,
    earlier: &[PathBuf],
) -> Result<HashSet<SummaryKey>, ReadError> {
    let seen = keys_in(earlier)?;
    Ok(rows.counts().map(|(key, _)| key).filter(|key| !seen.contains(*key)).cloned().collect())
}

/// With partitioned reports of two runs or more: the groups of the latest run (by run id, which
/// starts with its time) that no earlier run's summary has. `None` when there is no earlier run
/// to compare with. Shards each count as a run: with sharded runs, `--new-since` says it better.
pub fn new_in_last_run(dir: &Path) -> Result<Option<HashSet<SummaryKey>>, ReadError> {
    let summaries = run_summaries(dir);
    let Some((latest, earlier)) = summaries.split_last().filter(|(_, e)| !e.is_empty()) else {
        return Ok(None);
    };
    let mut keys = keys_in(std::slice::from_ref(latest))?;
    let seen = keys_in(earlier)?;
    keys.retain(|key| !seen.contains(key));
    Ok(Some(keys))
}

/// Every group in the summary reports `summaries`.
fn keys_in(summaries: &[PathBuf]) -> Result<HashSet<SummaryKey>, ReadError> {
    let mut keys = HashSet::new();
    for summary in summaries {
        read_summary_keys(summary, &mut keys)?;
    }
    Ok(keys)
}
