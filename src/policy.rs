//! Naming the denying statement: an offline evaluation of one request against every policy that
//! applies to it, the way IAM does it, honest about what is unknown. The rules are written down in
//! `docs/EVALUATION.md`; the layers of this module follow its sections:
//!
//! ```text
//! request    the request, its context keys (absent / known / present-unknown / unknown)
//! document   policy JSON -> statements (errors name the policy and the element)
//! glob, variables, condition
//!            wildcards and ARN segments, ${…} substitution, every condition operator
//! statement  does one statement apply? (action, resource, principal, conditions)
//! layer      one policy layer: some Allow? some Deny?
//! decide     AWS's combination of the layers into allowed / explicit / implicit deny
//! atoms      exact enumeration over the unknowns that the decision depends on
//! ```
//!
//! [`evaluate`] is the entry point; `whydenied explain` prints what it returns.

pub mod atoms;
pub mod condition;
pub mod decide;
pub mod document;
pub mod glob;
pub mod layer;
pub mod request;
pub mod statement;
pub mod truth;
pub mod variables;

use crate::classify::reason::{DeniedBy, PolicyType};
use atoms::{Atoms, EXACT_LIMIT};
use document::Effect;
use layer::StatementReport;
use std::collections::BTreeSet;
use truth::Truth;

pub use request::{Request, RequestError};

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
    /// It depends on unknowns: some completions allow, some deny (or deny differently).
    Conditional,
}

impl Decision {
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ExplicitDeny => "explicit_deny",
            Decision::ImplicitDeny => "implicit_deny",
            Decision::Conditional => "conditional",
        }
    }
}

/// How the decision was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Every assignment of the unknowns was tried (or there were none).
    Exact,
    /// Too many unknowns: three-valued logic, sound but possibly `conditional` where an exact
    /// answer exists.
    Kleene,
}

/// The order `denied_by` lists layer types in (EVALUATION.md §4).
pub const DENIED_BY_ORDER: &[DeniedBy] = &[
    DeniedBy::Policy(PolicyType::ServiceControlPolicy),
    DeniedBy::Policy(PolicyType::ResourceControlPolicy),
    DeniedBy::Policy(PolicyType::PermissionsBoundary),
    DeniedBy::Policy(PolicyType::IdentityBased),
    DeniedBy::Policy(PolicyType::ResourceBased),
    DeniedBy::Policy(PolicyType::SessionPolicy),
    DeniedBy::Policy(PolicyType::VpcEndpointPolicy),
    DeniedBy::Policy(PolicyType::RoleTrustPolicy),
    DeniedBy::BlockPublicAccess,
];

/// The outcome of one evaluation, with what the explanation needs.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub decision: Decision,
    /// Every layer type that by itself refuses (in [`DENIED_BY_ORDER`]); empty when allowed.
    pub denied_by: Vec<DeniedBy>,
    pub method: Method,
    /// The unknown facts the evaluation met (condition entries, resource or principal
    /// comparisons, the resource's account).
    pub unknowns: Vec<String>,
    /// Every statement considered, with its three-valued outcome.
    pub statements: Vec<StatementReport>,
}

impl Evaluation {
    /// The statements that decide: the applying Denies of an explicit deny, the Allows that grant
    /// an allowed request, and every statement whose outcome is unknown in a conditional one.
    pub fn deciding(&self) -> Vec<&StatementReport> {
        let wanted = |s: &&StatementReport| match self.decision {
            Decision::ExplicitDeny => s.effect == Effect::Deny && s.applies.is_true(),
            Decision::Allowed => s.effect == Effect::Allow && s.applies.is_true(),
            Decision::Conditional => s.applies == Truth::Unknown,
            Decision::ImplicitDeny => false,
        };
        self.statements.iter().filter(wanted).collect()
    }

    /// Allows that matched the action but not the resource, principal or a condition, in the
    /// layers that refused: what someone fixing the policy wants to see first.
    pub fn near_misses(&self) -> Vec<&StatementReport> {
        if self.decision == Decision::Allowed {
            return Vec::new();
        }
        self.statements
            .iter()
            .filter(|s| s.effect == Effect::Allow && self.denied_by.contains(&s.layer))
            .filter(|s| matches!(&s.why, statement::Why::Failed(element) if element != "Action"))
            .collect()
    }
}

/// Evaluates the request.
pub fn evaluate(request: &Request) -> Evaluation {
    let mut atoms = Atoms::default();
    let mut statements = Vec::new();
    let kleene = decide::judge(request, &mut atoms, Some(&mut statements));
    let unknowns = atoms.ids().to_vec();
    let (decision, denied_by, method) = if unknowns.is_empty() || unknowns.len() > EXACT_LIMIT {
        let (decision, denied_by) = three_valued(&kleene);
        let method = if unknowns.is_empty() { Method::Exact } else { Method::Kleene };
        (decision, denied_by, method)
    } else {
        let mut decisions = BTreeSet::new();
        let mut some = BTreeSet::new();
        let mut every: Option<BTreeSet<DeniedBy>> = None;
        for bits in 0..1u32 << unknowns.len() {
            atoms.assign(Some(bits));
            let (decision, layers) = three_valued(&decide::judge(request, &mut atoms, None));
            decisions.insert(decision);
            if decision != Decision::Allowed {
                let layers: BTreeSet<DeniedBy> = layers.into_iter().collect();
                every = Some(match every {
                    Some(every) => every.intersection(&layers).copied().collect(),
                    None => layers.clone(),
                });
                some.extend(layers);
            }
        }
        let decision = match decisions.iter().collect::<Vec<_>>().as_slice() {
            [one] => **one,
            _ => Decision::Conditional,
        };
        // A definite answer names the layers that refuse in every case (if any do); a
        // conditional one, every layer that may refuse.
        let denied_by = match every {
            Some(every) if decision != Decision::Conditional && !every.is_empty() => every,
            _ => some,
        };
        (decision, denied_by.into_iter().collect(), Method::Exact)
    };
    Evaluation { decision, denied_by: in_order(denied_by), method, unknowns, statements }
}

/// The decision of a pass and the layers that deny in it: definite when the pass is, else
/// `Conditional` with every layer that may deny.
fn three_valued(j: &decide::Judgement) -> (Decision, Vec<DeniedBy>) {
    let layers = |list: &[(DeniedBy, Truth)], certain: bool| -> Vec<DeniedBy> {
        list.iter()
            .filter(|(_, t)| t.is_true() || (!certain && *t == Truth::Unknown))
            .map(|(l, _)| *l)
            .collect()
    };
    match (j.explicit, j.allowed) {
        (Truth::True, _) => (Decision::ExplicitDeny, layers(&j.denies, true)),
        (Truth::False, Truth::True) => (Decision::Allowed, Vec::new()),
        (Truth::False, Truth::False) => (Decision::ImplicitDeny, layers(&j.refusals, true)),
        _ => {
            let mut all = layers(&j.denies, false);
            all.extend(layers(&j.refusals, false));
            (Decision::Conditional, all)
        }
    }
}

fn in_order(layers: Vec<DeniedBy>) -> Vec<DeniedBy> {
    DENIED_BY_ORDER.iter().copied().filter(|l| layers.contains(l)).collect()
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
