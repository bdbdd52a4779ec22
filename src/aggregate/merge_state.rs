//! What a summary row needs besides its own columns to be merged exactly with another row of
//! the same group: the engines the Python wheel runs in (Spark, Dask, Ray) summarise each
//! partition apart and combine the partial summaries, and the combination must equal one
//! summary of all the denials.
//!
//! Most columns merge as they stand: counts add, first/last seen are min/max, the account,
//! region, error-code and principal-type lists unite, the session names keep their smallest
//! few, and the sample is the earlier of the two (its time is the row's `first_seen`, its id
//! `sample_event_id`). Four things a row shows only as a result do not: `distinct_source_ips`
//! (which addresses), `category`, `denied_by`/`deny_kind` and `noise` (the most frequent
//! choice, which needs every count), and the `eval_…` verdict (idem). [`MergeState`] carries
//! those, as one JSON text per row, so the wheel's summary rows stay flat for every engine.

use serde::{Deserialize, Serialize};

use super::{Group, SESSION_NAMES, Sample, Summary, SummaryKey, SummaryRow};
use crate::classify::category::ErrorCategory;
use crate::classify::reason::{DeniedBy, DenyKind};
use crate::suppress::noise_label_named;
use crate::verdict::VerdictKind;

/// The version written; a state of another version is refused rather than guessed at.
const VERSION: u32 = 1;

/// A group's statistics that its summary row does not show whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeState {
    pub version: u32,
    /// Every distinct source address, sorted.
    pub source_ips: Vec<String>,
    /// Denials per error category.
    pub categories: Vec<(String, u64)>,
    /// Denials per (`denied_by`, `deny_kind`).
    pub reasons: Vec<(String, String, u64)>,
    /// Denials per built-in noise label (the unlabelled ones are the rest of the count).
    pub noise: Vec<(String, u64)>,
    /// Judged denials per (verdict, policy, statement), when the denials were judged.
    pub verdicts: Vec<(String, Option<String>, Option<String>, u64)>,
}

/// Why a row and its state cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeStateError {
    #[error("merge_state is not a state this version writes: {0}")]
    Unreadable(String),
    #[error("merge_state of the group ({principal}, {action}) {what}")]
    Inconsistent { principal: String, action: String, what: &'static str },
}

impl MergeState {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, MergeStateError> {
        let unreadable = |e: serde_json::Error| MergeStateError::Unreadable(e.to_string());
        let value: serde_json::Value = serde_json::from_str(text).map_err(unreadable)?;
        // The version first: a later version's state may lack or rename the other fields.
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(version) if version == u64::from(VERSION) => {}
            found => {
                let found = found.map_or("no version".into(), |v| format!("version {v}"));
                return Err(MergeStateError::Unreadable(format!("{found} (expected {VERSION})")));
            }
        }
        serde_json::from_value(value).map_err(unreadable)
    }

    /// The judged denials of the state, as (verdict, policy, statement) counts.
    pub fn judged(&self, row: &SummaryRow) -> Result<Vec<Judged>, MergeStateError> {
        let judged = self.verdicts.iter().map(|(kind, policy, statement, n)| {
            let kind =
                VerdictKind::from_str_opt(kind).ok_or_else(|| MergeStateError::Inconsistent {
                    principal: row.principal.clone(),
                    action: row.action.clone(),
                    what: "names an unknown verdict",
                })?;
            Ok((kind, policy.clone(), statement.clone(), *n))
        });
        let judged: Vec<Judged> = judged.collect::<Result<_, _>>()?;
        if total(judged.iter().map(|j| j.3)).is_none_or(|n| n > row.count) {
            return Err(MergeStateError::Inconsistent {
                principal: row.principal.clone(),
                action: row.action.clone(),
                what: "judges more denials than the row counts",
            });
        }
        Ok(judged)
    }

    /// Sets the judged denials (tallied apart from the summary, see [`crate::verdict::tally`]).
    pub fn set_judged(&mut self, judged: Vec<Judged>) {
        let named = judged.into_iter().map(|(kind, p, s, n)| (kind.as_str().to_string(), p, s, n));
        self.verdicts = named.collect();
    }
}

/// Judged denials of a group: a verdict, its policy and statement, and how many.
pub type Judged = (VerdictKind, Option<String>, Option<String>, u64);

/// The sum of `counts`; `None` when it overflows (a state written by hand, say), so that a
/// forged count is refused rather than wrapped or a panic.
fn total(counts: impl IntoIterator<Item = u64>) -> Option<u64> {
    counts.into_iter().try_fold(0, u64::checked_add)
}

impl Group {
    /// The state its row leaves out (the verdicts are the caller's: they are tallied apart).
    fn merge_state(&self) -> MergeState {
        MergeState {
            version: VERSION,
            source_ips: self.source_ips.to_strings(),
            categories: self
                .categories
                .as_slice()
                .iter()
                .map(|(c, n)| (c.as_str().into(), *n))
                .collect(),
            reasons: (self.reasons.as_slice().iter())
                .map(|((by, kind), n)| (by.as_str().into(), kind.as_str().into(), *n))
                .collect(),
            noise: self.noise.as_slice().iter().map(|(label, n)| (label.to_string(), *n)).collect(),
            verdicts: Vec::new(),
        }
    }
}

impl super::SummaryRows {
    /// The merge state of every row, in the order of [`super::SummaryRows::iter`].
    pub fn merge_states(&self) -> impl ExactSizeIterator<Item = MergeState> + '_ {
        self.groups.values().map(Group::merge_state)
    }
}

impl Summary {
    /// Merges a summary row, with the state it was written with, into its group: as if the
    /// denials it summarises were added one by one.
    pub fn add_row(&mut self, row: &SummaryRow, state: &MergeState) -> Result<(), MergeStateError> {
        let inconsistent = |what| MergeStateError::Inconsistent {
            principal: row.principal.clone(),
            action: row.action.clone(),
            what,
        };
        let mut group = Group {
            count: row.count,
            first_seen: row.first_seen,
            last_seen: row.last_seen,
            ..Group::default()
        };
        let strings = &mut self.strings;
        for text in row.principal_type.split('|').filter(|t| !t.is_empty()) {
            group.principal_types.insert(text, strings);
        }
        for (set, texts) in [
            (&mut group.source_ips, &state.source_ips),
            (&mut group.accounts, &row.accounts),
            (&mut group.regions, &row.regions),
            (&mut group.error_codes, &row.error_codes),
        ] {
            for text in texts {
                set.insert(text, strings);
            }
        }
        if group.source_ips.as_slice().len() as u64 != row.distinct_source_ips {
            return Err(inconsistent("does not hold distinct_source_ips addresses"));
        }
        // Each count the state splits the row's into adds up to it (checked before anything is
        // added, so no sum can overflow), and the group stays countable once merged.
        let categories = total(state.categories.iter().map(|c| c.1));
        let reasons = total(state.reasons.iter().map(|r| r.2));
        let labelled = total(state.noise.iter().map(|l| l.1));
        if categories != Some(row.count)
            || reasons != Some(row.count)
            || labelled.is_none_or(|n| n > row.count)
        {
            return Err(inconsistent("does not count the row's denials"));
        }
        let key = SummaryKey {
            principal: strings.get(&row.principal),
            action: strings.get(&row.action),
            bucket: row.bucket.as_deref().map(|b| strings.get(b)),
        };
        let merged = self.groups.get(&key).map_or(0, |g| g.count);
        if merged.checked_add(row.count).is_none() {
            return Err(inconsistent("makes its group's count overflow"));
        }
        for (name, n) in &state.categories {
            let category = ErrorCategory::from_str_opt(name)
                .ok_or_else(|| inconsistent("names an unknown category"))?;
            group.categories.add(category, *n);
        }
        for (by, kind, n) in &state.reasons {
            let by = DeniedBy::from_str_opt(by);
            let kind = DenyKind::from_str_opt(kind);
            let reason = by.zip(kind).ok_or_else(|| inconsistent("names an unknown reason"))?;
            group.reasons.add(reason, *n);
        }
        for (name, n) in &state.noise {
            let label = noise_label_named(name)
                .ok_or_else(|| inconsistent("names an unknown noise label"))?;
            group.noise.add(label, *n);
        }
        for session in &row.session_names {
            group.sessions.insert_capped(session, SESSION_NAMES);
        }
        group.sample = Some(Sample {
            texts: self.samples.put(
                row.sample_event_id.as_deref(),
                row.sample_error_message.as_deref(),
                row.sample_resource_arn.as_deref(),
                None,
            ),
            denying_policy_arn: row.denying_policy_arn.as_deref().map(|s| strings.get(s)),
            vpc_endpoint_id: row.sample_vpc_endpoint_id.as_deref().map(|s| strings.get(s)),
        });
        self.groups.entry(key).or_default().merge(group, &mut self.samples);
        self.compact_samples();
        Ok(())
    }
}
