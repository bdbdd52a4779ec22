//! Every denial judged against the policies that applied (POLICY.md §4.5–4.7): the snapshot,
//! replayed forward or backward with the trail's own changes to the event's time, turned into a
//! [`policy::Request`](crate::policy::Request) per denial and evaluated by the offline engine.
//!
//! ```text
//! history   policies as of the event, from policy_changes          (trail replay)
//! inputs    denial + snapshot + history -> Request, with its gaps  (what applied)
//! verdict   Evaluation -> the eval_ columns of denials.parquet      (this file)
//! tally     per summary group: the usual verdict, policy, statement (summary.parquet)
//! rewrite   denials files re-written with their verdicts           (scan --policies, explain OUT)
//! ```
//!
//! It runs after the scan, over the denials already written, because a change may sit in any
//! file of any order: every change must be known before the first denial is judged. The scan's
//! hot path is untouched, and `explain OUT --policies DIR` runs the very same code on an earlier
//! scan's reports (they carry each denial's evaluation context).

pub mod history;
pub mod inputs;
pub mod output;
pub mod rewrite;
pub mod tally;

use crate::changes::PolicyChange;
use crate::classify::Denial;
use crate::classify::category::ErrorCategory;
use crate::classify::reason::DeniedBy;
use crate::policy::document::Effect;
use crate::policy::{Decision, Evaluation, evaluate, statement::Why};
use crate::snapshot::Snapshot;
use history::History;
use inputs::{Inputs, Prepared};

/// The answer for one denial: the `eval_verdict` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VerdictKind {
    ExplicitDeny,
    ImplicitDeny,
    /// Denied or allowed depending on facts the record and snapshot do not give.
    Conditional,
    /// The policies at hand allow the request: they changed since, or the evaluation lacks a
    /// layer that denied (see `eval_mismatch` and `eval_assumptions`).
    AllowedNow,
    /// Not enough to evaluate: no snapshot of the principal's account, no usable principal.
    NotEvaluated,
}

impl VerdictKind {
    pub const ALL: &[VerdictKind] = &[
        VerdictKind::ExplicitDeny,
        VerdictKind::ImplicitDeny,
        VerdictKind::Conditional,
        VerdictKind::AllowedNow,
        VerdictKind::NotEvaluated,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            VerdictKind::ExplicitDeny => "explicit_deny",
            VerdictKind::ImplicitDeny => "implicit_deny",
            VerdictKind::Conditional => "conditional",
            VerdictKind::AllowedNow => "allowed_now",
            VerdictKind::NotEvaluated => "not_evaluated",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Its place in [`VerdictKind::ALL`], where per-verdict counts keep it.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// The `eval_…` columns of one denial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub kind: VerdictKind,
    /// The first refusing layer, in AWS's order (the `denied_by` vocabulary).
    pub layer: Option<DeniedBy>,
    /// The deciding policy: the applying Deny's for an explicit deny, the one policy of a
    /// refusing single-policy layer (resource, trust, boundary, session, endpoint) otherwise.
    pub policy: Option<String>,
    /// The deciding statement's Sid, or `#N`.
    pub statement: Option<String>,
    /// For a conditional verdict: what the deciding statements depend on, rendered.
    pub condition: Option<String>,
    pub unknown_keys: Vec<String>,
    /// POLICY.md §3.3's named assumptions the verdict rests on (`A1 no session policy`, …).
    pub assumptions: Vec<String>,
    /// `snapshot@<captured_at>` or `trail@<eventTime of the change>`: where the deciding policy
    /// (or, with none, the policies) came from.
    pub policies_as_of: Option<String>,
    /// The error message names a layer the evaluation does not refuse in (or the evaluation
    /// allows a request the message says was denied by a stated policy): the strongest sign the
    /// policies at hand are not the ones that applied.
    pub mismatch: bool,
    /// What was missing, as stable ids (`bucket-policy:B:not-captured`, …).
    pub gaps: Vec<String>,
}

impl Verdict {
    pub fn not_evaluated(gaps: Vec<String>) -> Verdict {
        Verdict {
            kind: VerdictKind::NotEvaluated,
            layer: None,
            policy: None,
            statement: None,
            condition: None,
            unknown_keys: Vec::new(),
            assumptions: Vec::new(),
            policies_as_of: None,
            mismatch: false,
            gaps,
        }
    }

    /// "bucket-policy DenyNoVpce", "scp p-1a2b DenyOutsideEU": the terminal's short form.
    pub fn short(&self) -> String {
        let layer = self.layer.map(|l| l.as_str()).unwrap_or("");
        let policy = self.policy.as_deref().map(short_policy).unwrap_or_default();
        let statement = self.statement.as_deref().unwrap_or("");
        let parts: Vec<&str> = [self.kind.as_str(), layer, &policy, statement]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
        parts.join(" ")
    }
}

/// A policy name as a person reads it in a narrow column: an SCP by its id, an inline policy
/// by its entity and name, a synthetic id without the ARN's prefix.
pub(crate) fn short_policy(name: &str) -> String {
    let name = name.strip_prefix("arn:aws:s3:::").unwrap_or(name);
    match name.rsplit_once('/') {
        Some((_, id)) if name.contains(":policy/o-") => id.to_string(),
        _ => name.rsplit(':').next().unwrap_or(name).to_string(),
    }
}

/// Judges denials: one snapshot (optional: the trail alone is a valid input) and the run's changes.
pub struct Judge<'a> {
    inputs: Inputs<'a>,
}

impl<'a> Judge<'a> {
    pub fn new(snapshot: Option<&'a Snapshot>, changes: &'a [PolicyChange]) -> Self {
        Self { inputs: Inputs::new(snapshot, History::new(changes)) }
    }

    /// The verdict for `denial`; `None` for failures that are not authorization denials.
    pub fn judge(&self, denial: &Denial) -> Option<Verdict> {
        if denial.category != ErrorCategory::Authorization {
            return None;
        }
        let prepared = match self.inputs.prepare(denial) {
            Ok(prepared) => prepared,
            Err(gaps) => return Some(Verdict::not_evaluated(gaps)),
        };
        let evaluation = evaluate(&prepared.request);
        let mut verdict = verdict_of(&evaluation, &prepared, denial);
        // Undecided only for want of policies that changed after the event: today's allow it.
        if verdict.kind == VerdictKind::Conditional
            && let Some(now) = prepared.as_now()
            && evaluate(&now).decision == Decision::Allowed
        {
            verdict.kind = VerdictKind::AllowedNow;
            verdict.layer = None;
            verdict.policy = None;
            verdict.statement = None;
            verdict.condition = None;
            verdict.unknown_keys.clear();
            verdict.policies_as_of = prepared.default_as_of.clone();
        }
        Some(verdict)
    }

    /// The request and evaluation of one denial, for `explain --event-id`.
    pub fn explain(&self, denial: &Denial) -> Result<(Prepared, Evaluation), Vec<String>> {
        let prepared = self.inputs.prepare(denial)?;
        let evaluation = evaluate(&prepared.request);
        Ok((prepared, evaluation))
    }
}

/// The columns from an evaluation.
fn verdict_of(e: &Evaluation, prepared: &Prepared, denial: &Denial) -> Verdict {
    let kind = match e.decision {
        Decision::ExplicitDeny => VerdictKind::ExplicitDeny,
        Decision::ImplicitDeny => VerdictKind::ImplicitDeny,
        Decision::Conditional => VerdictKind::Conditional,
        Decision::Allowed => VerdictKind::AllowedNow,
    };
    let layer = e.denied_by.first().copied();
    // A not-known policy's statements are not causes to name: its gap is reported instead.
    let deciding: Vec<_> =
        e.deciding().into_iter().filter(|s| s.statement != inputs::NOT_KNOWN_SID).collect();
    // The statement that decides, in the first refusing layer: an applying Deny, or for a
    // conditional verdict a Deny that may apply (an Allow that may apply only narrows it).
    let statement = match e.decision {
        Decision::ExplicitDeny => {
            deciding.iter().find(|s| Some(s.layer) == layer && s.effect == Effect::Deny).copied()
        }
        Decision::Conditional => deciding
            .iter()
            .find(|s| Some(s.layer) == layer && s.effect == Effect::Deny)
            .or_else(|| deciding.iter().find(|s| s.effect == Effect::Deny))
            .copied(),
        _ => None,
    };
    let policy = match (statement, layer) {
        (Some(s), _) => Some(s.policy.clone()),
        (None, Some(layer)) if e.decision != Decision::Allowed => prepared.single_policy(layer),
        _ => None,
    };
    let condition = (e.decision == Decision::Conditional).then(|| {
        let mut parts: Vec<String> = Vec::new();
        for s in &deciding {
            if let Why::Depends(unknowns) = &s.why {
                for u in unknowns {
                    if !parts.contains(u) {
                        parts.push(u.clone());
                    }
                }
            }
        }
        parts.join("; ")
    });
    let policies_as_of = policy
        .as_deref()
        .and_then(|p| prepared.as_of.get(p).cloned())
        .or_else(|| prepared.default_as_of.clone());
    let stated = match denial.denied_by {
        DeniedBy::Policy(_) => Some(denial.denied_by),
        _ => None,
    };
    let mismatch = match (stated, e.decision) {
        (Some(_), Decision::Allowed) => true,
        (Some(stated), _) => !e.denied_by.contains(&stated),
        (None, _) => false,
    };
    let mut assumptions = prepared.assumptions.clone();
    assumptions.sort();
    assumptions.dedup();
    Verdict {
        kind,
        layer,
        policy,
        statement: statement.map(|s| s.statement.clone()),
        condition: condition.filter(|c| !c.is_empty()),
        unknown_keys: if e.decision == Decision::Conditional {
            e.unknowns.clone()
        } else {
            Vec::new()
        },
        assumptions,
        policies_as_of,
        mismatch,
        gaps: prepared.gaps.clone(),
    }
}

#[cfg(test)]
mod tests;
