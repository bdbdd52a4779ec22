//! One layer of the evaluation — the identity policies, a boundary, an SCP level, a resource
//! policy, … — folded from its statements into "some Allow applies" and "some Deny applies"
//! (docs/EVALUATION.md §3), keeping each statement's outcome for the explanation.

use super::atoms::Atoms;
use super::document::{Effect, Policy};
use super::request::Request;
use super::statement::{self, ByKind, Why};
use super::truth::Truth;
use crate::classify::reason::DeniedBy;

/// One statement's outcome, as the explanation reports it.
#[derive(Debug, Clone)]
pub struct StatementReport {
    pub layer: DeniedBy,
    pub policy: String,
    pub statement: String,
    pub effect: Effect,
    pub applies: Truth,
    pub why: Why,
}

/// A layer's verdict.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub allow: ByKind,
    pub deny: Truth,
}

impl Verdict {
    pub fn allows(&self) -> Truth {
        self.allow.any()
    }
}

/// Folds `policies` into one verdict; `principals`: whether the layer reads `Principal`.
/// Statement reports are collected only when `reports` is given (the first, Kleene pass).
pub fn evaluate(
    layer: DeniedBy,
    policies: &[&Policy],
    principals: bool,
    request: &Request,
    atoms: &mut Atoms,
    mut reports: Option<&mut Vec<StatementReport>>,
) -> Verdict {
    let mut verdict = Verdict { allow: ByKind::NONE, deny: Truth::False };
    for policy in policies {
        for s in &policy.statements {
            let outcome = statement::evaluate(s, policy, principals, request, atoms);
            match s.effect {
                Effect::Allow => verdict.allow = verdict.allow.or(outcome.by_kind),
                Effect::Deny => verdict.deny = verdict.deny.or(outcome.applies),
            }
            if let Some(reports) = reports.as_deref_mut() {
                reports.push(StatementReport {
                    layer,
                    policy: policy.name.clone(),
                    statement: s.label(),
                    effect: s.effect,
                    applies: outcome.applies,
                    why: outcome.why,
                });
            }
        }
    }
    verdict
}
