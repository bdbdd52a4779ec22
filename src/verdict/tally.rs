//! The verdicts of a summary group: how many of each, and the usual one (with its policy and
//! statement), for the `eval_…` columns of `summary.parquet`.

use std::collections::HashMap;

use super::{Verdict, VerdictKind};
use crate::aggregate::{Judged, SummaryRow};
use crate::classify::Denial;

/// What a group's denials were judged, as the summary shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupVerdict {
    /// The most frequent verdict (ties: the first in [`VerdictKind::ALL`], the more definite).
    pub verdict: Option<VerdictKind>,
    /// The most frequent (policy, statement) among the denials with that verdict.
    pub policy: Option<String>,
    pub statement: Option<String>,
    /// Per verdict, in [`VerdictKind::ALL`] order.
    pub counts: [u64; 5],
}

impl GroupVerdict {
    pub fn count(&self, kind: VerdictKind) -> u64 {
        self.counts[kind.index()]
    }

    /// "explicit_deny data-lake#bucket-policy DenyNoVpce: narrow or remove that statement …": the
    /// usual verdict as people read it, with what to change where;
    /// `None` when nothing was judged (`not_evaluated` says nothing about the policies).
    pub fn label(&self) -> Option<String> {
        let verdict = self.verdict.filter(|v| *v != VerdictKind::NotEvaluated)?;
        let parts: Vec<String> = [
            Some(verdict.as_str().to_string()),
            self.policy.as_deref().map(super::short_policy),
            self.statement.clone(),
        ]
        .into_iter()
        .flatten()
        .collect();
        Some(format!("{}: {}", parts.join(" "), self.next_step(verdict)))
    }

    /// What to change, and where, for the usual verdict.
    fn next_step(&self, verdict: VerdictKind) -> &'static str {
        match (verdict, &self.policy, &self.statement) {
            (VerdictKind::ExplicitDeny, _, Some(_)) => {
                "narrow or remove that statement (no Allow overrides an explicit deny)"
            }
            (VerdictKind::ExplicitDeny, _, None) => "find the Deny in eval_policy",
            (VerdictKind::ImplicitDeny, Some(_), _) => "add an Allow to that policy",
            (VerdictKind::ImplicitDeny, None, _) => {
                "add an Allow to the principal's identity policies"
            }
            (VerdictKind::AllowedNow, _, _) => {
                "today's policies allow it: they changed since (see policy_changes.parquet)"
            }
            (VerdictKind::Conditional, _, _) => {
                "depends on what eval_condition and eval_gaps in denials.parquet name"
            }
            (VerdictKind::NotEvaluated, _, _) => "",
        }
    }

    pub fn set_count(&mut self, kind: VerdictKind, n: u64) {
        self.counts[kind.index()] = n;
    }
}

type Key = (String, String, Option<String>);
type Answer = (VerdictKind, Option<String>, Option<String>);

fn key_of(row: &SummaryRow) -> Key {
    (row.principal.clone(), row.action.clone(), row.bucket.clone())
}

/// Tallies verdicts by summary group while the denials are re-written.
#[derive(Default)]
pub struct Tally {
    groups: HashMap<Key, HashMap<Answer, u64>>,
}

impl Tally {
    /// Counts `denial` (judged `verdict`) in its group; suppressed denials are not in the summary.
    pub fn add(&mut self, denial: &Denial, verdict: &Verdict) {
        if denial.suppressed_by.is_some() {
            return;
        }
        let key = (
            denial.principal.principal.clone(),
            denial.action.clone(),
            denial.target.bucket.clone(),
        );
        let answer = (verdict.kind, verdict.policy.clone(), verdict.statement.clone());
        *self.groups.entry(key).or_default().entry(answer).or_default() += 1;
    }

    /// Counts `n` judged denials of the group of `row` (a partial summary's, being merged).
    pub fn add_judged(&mut self, row: &SummaryRow, (kind, policy, statement, n): Judged) {
        let answers = self.groups.entry(key_of(row)).or_default();
        *answers.entry((kind, policy, statement)).or_default() += n;
    }

    /// The judged denials of the group of `row`, in a fixed order (what a partial summary
    /// carries, see [`crate::aggregate::MergeState`]).
    pub fn judged(&self, row: &SummaryRow) -> Vec<Judged> {
        let answers = self.groups.get(&key_of(row)).into_iter().flatten();
        let mut judged: Vec<Judged> =
            answers.map(|((kind, p, s), n)| (*kind, p.clone(), s.clone(), *n)).collect();
        judged.sort_by(|a, b| (a.0.index(), &a.1, &a.2).cmp(&(b.0.index(), &b.1, &b.2)));
        judged
    }

    /// Sets the row's verdict columns; `false` when the group had no judged denial.
    pub fn amend(&self, row: &mut SummaryRow) -> bool {
        let Some(answers) = self.groups.get(&key_of(row)) else { return false };
        let mut group = GroupVerdict::default();
        for ((kind, _, _), n) in answers {
            group.counts[kind.index()] += n;
        }
        let verdict = VerdictKind::ALL
            .iter()
            .copied()
            .max_by_key(|k| (group.count(*k), std::cmp::Reverse(k.index())))
            .filter(|k| group.count(*k) > 0);
        if let Some(verdict) = verdict {
            // The usual policy and statement of that verdict; ties by name, so the choice does
            // not depend on the order the denials were read in.
            let best = answers
                .iter()
                .filter(|((kind, _, _), _)| *kind == verdict)
                .max_by(|(a, n), (b, m)| n.cmp(m).then_with(|| (&b.1, &b.2).cmp(&(&a.1, &a.2))));
            if let Some(((_, policy, statement), _)) = best {
                group.policy = policy.clone();
                group.statement = statement.clone();
            }
        }
        group.verdict = verdict;
        row.eval = Some(group);
        true
    }
}
