//! Whether one statement applies to the request: action, resource, principal and conditions,
//! each true, false or unknown (docs/EVALUATION.md §2), and — for resource-side policies — *how*
//! the principal was named, which decides whether a grant stands alone (§4).

use super::atoms::Atoms;
use super::condition;
use super::document::{ConditionEntry, Effect, Listed, Policy, PrincipalValue, Statement};
use super::glob::Pattern;
use super::request::{Caller, Identity, KeyState, Request};
use super::truth::Truth;
use super::variables::{Substituted, substitute};

/// How a resource-side statement named the caller; each is the truth of "the statement applies
/// and names the caller this way".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByKind {
    /// The caller's own ARN, or its service name.
    pub direct: Truth,
    /// A session's role ARN.
    pub role: Truth,
    pub account: Truth,
    /// `*`, or a `NotPrincipal` that does not exclude the caller.
    pub wildcard: Truth,
}

impl ByKind {
    pub const NONE: ByKind = ByKind {
        direct: Truth::False,
        role: Truth::False,
        account: Truth::False,
        wildcard: Truth::False,
    };

    pub fn any(&self) -> Truth {
        Truth::any([self.direct, self.role, self.account, self.wildcard])
    }

    pub fn or(self, other: ByKind) -> ByKind {
        ByKind {
            direct: self.direct.or(other.direct),
            role: self.role.or(other.role),
            account: self.account.or(other.account),
            wildcard: self.wildcard.or(other.wildcard),
        }
    }

    fn and(self, t: Truth) -> ByKind {
        ByKind {
            direct: self.direct.and(t),
            role: self.role.and(t),
            account: self.account.and(t),
            wildcard: self.wildcard.and(t),
        }
    }
}

/// The element that decided a statement's outcome, for the explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Every element matched.
    Applies,
    /// This element did not match: `Action`, `Resource`, `Principal` or a rendered condition.
    Failed(String),
    /// The outcome depends on these unknowns.
    Depends(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub applies: Truth,
    pub by_kind: ByKind,
    pub why: Why,
}

/// Evaluates `statement` of `policy`; `principals`: whether the layer reads `Principal` (resource
/// policies, RCPs, VPC endpoint policies).
pub fn evaluate(
    statement: &Statement,
    policy: &Policy,
    principals: bool,
    request: &Request,
    atoms: &mut Atoms,
) -> Outcome {
    let failed = |element: &str| Outcome {
        applies: Truth::False,
        by_kind: ByKind::NONE,
        why: Why::Failed(element.to_string()),
    };
    let mut unknowns = Vec::new();
    let mut note = |t: Truth, what: String| {
        if t == Truth::Unknown {
            unknowns.push(what);
        }
        t
    };

    let action = match &statement.action {
        Listed::Is(patterns) => action_matches(patterns, &request.action),
        Listed::Not(patterns) => !action_matches(patterns, &request.action),
        Listed::Absent => Truth::False,
    };
    if action.is_false() {
        return failed("Action");
    }

    let resource = match &statement.resource {
        Listed::Is(patterns) => resource_matches(patterns, policy.variables, request, atoms),
        Listed::Not(patterns) => !resource_matches(patterns, policy.variables, request, atoms),
        Listed::Absent => Truth::True,
    };
    if note(resource, "Resource".into()).is_false() {
        return failed("Resource");
    }

    let by_kind = if principals {
        principal_matches(statement, request, atoms)
    } else {
        ByKind { direct: Truth::True, ..ByKind::NONE }
    };
    if note(by_kind.any(), "Principal".into()).is_false() {
        return failed("Principal");
    }

    let mut conditions = Truth::True;
    for entry in &statement.conditions {
        let raw = condition::evaluate(entry, policy.variables, &request.context);
        let t = atoms.resolve(raw, || {
            condition::render(&ConditionEntry { key: entry.key.to_lowercase(), ..entry.clone() })
        });
        if note(t, condition::render(entry)).is_false() {
            return failed(&condition::render(entry));
        }
        conditions = conditions.and(t);
    }

    let rest = action.and(resource).and(conditions);
    let by_kind = by_kind.and(rest);
    let applies = by_kind.any();
    let why = if applies.is_true() { Why::Applies } else { Why::Depends(unknowns) };
    Outcome { applies, by_kind, why }
}

fn action_matches(patterns: &[String], action: &str) -> Truth {
    patterns.iter().any(|p| Pattern::wildcard(p).matches(action, true)).into()
}

/// OR over the patterns; an unknown resource matches only `*` for certain.
fn resource_matches(
    patterns: &[String],
    variables: bool,
    request: &Request,
    atoms: &mut Atoms,
) -> Truth {
    let mut result = Truth::False;
    for raw in patterns {
        let t = match substitute(raw, variables, &request.context) {
            Substituted::Pattern(p) if p.is_star() => Truth::True,
            Substituted::Pattern(p) => match &request.resource {
                Some(resource) => p.matches_arn(resource).into(),
                None => Truth::Unknown,
            },
            Substituted::Unknown => Truth::Unknown,
            Substituted::NoValue => Truth::False,
        };
        result = result.or(atoms.resolve(t, || format!("Resource {raw}")));
        if result.is_true() {
            break;
        }
    }
    result
}

fn principal_matches(statement: &Statement, request: &Request, atoms: &mut Atoms) -> ByKind {
    let caller = &request.caller;
    match &statement.principal {
        Listed::Absent => ByKind::NONE,
        Listed::Is(values) => {
            let mut kinds = ByKind::NONE;
            for value in values {
                let named = names(value, caller, request, atoms);
                kinds = kinds.or(named);
            }
            kinds
        }
        Listed::Not(values) => {
            // A boundary makes a NotPrincipal Deny apply whatever it lists (AWS boundary page).
            if statement.effect == Effect::Deny && request.permissions_boundary.is_some() {
                return ByKind { wildcard: Truth::True, ..ByKind::NONE };
            }
            let excluded = Truth::all(caller.identities().iter().map(|identity| {
                Truth::any(values.iter().map(|value| lists(value, identity, request, atoms)))
            }));
            ByKind { wildcard: !excluded, ..ByKind::NONE }
        }
    }
}

/// How `value` names the caller, if it does.
fn names(value: &PrincipalValue, caller: &Caller, request: &Request, atoms: &mut Atoms) -> ByKind {
    let mut kinds = ByKind::NONE;
    for identity in caller.identities() {
        let t = lists(value, &identity, request, atoms);
        match (value, &identity) {
            (PrincipalValue::Anyone, _) => kinds.wildcard = kinds.wildcard.or(t),
            (_, Identity::Own(_) | Identity::Nobody) => kinds.direct = kinds.direct.or(t),
            (_, Identity::Role(_)) => kinds.role = kinds.role.or(t),
            (_, Identity::Account(_)) => kinds.account = kinds.account.or(t),
        }
    }
    kinds
}

/// Whether principal `value` names this one identity of the caller.
fn lists(
    value: &PrincipalValue,
    identity: &Identity<'_>,
    request: &Request,
    atoms: &mut Atoms,
) -> Truth {
    let t = match (value, identity) {
        (PrincipalValue::Anyone, _) => Truth::True,
        // Not resolvable offline, for any caller (EVALUATION.md §2).
        (PrincipalValue::Federated(_) | PrincipalValue::CanonicalUser(_), _) => Truth::Unknown,
        (_, Identity::Nobody) => Truth::False,
        (PrincipalValue::Aws(text), identity) => aws_names(text, identity, request),
        (PrincipalValue::Service(name), Identity::Own(own)) => {
            (matches!(request.caller, Caller::Service(_)) && name.eq_ignore_ascii_case(own)).into()
        }
        (PrincipalValue::Service(_), _) => Truth::False,
    };
    atoms.resolve(t, || match value {
        PrincipalValue::Anyone => "Principal *".to_string(),
        PrincipalValue::Aws(v) => format!("Principal AWS {v}"),
        PrincipalValue::Service(v) => format!("Principal Service {v}"),
        PrincipalValue::Federated(v) => format!("Principal Federated {v}"),
        PrincipalValue::CanonicalUser(v) => format!("Principal CanonicalUser {v}"),
    })
}

fn aws_names(text: &str, identity: &Identity<'_>, request: &Request) -> Truth {
    if matches!(request.caller, Caller::Service(_)) {
        return Truth::False;
    }
    if let Some(account) = account_of(text) {
        return matches!(identity, Identity::Account(a) if *a == account).into();
    }
    if is_unique_id(text) {
        // The id of a session's role, or of the user or role itself.
        let names_this = match request.caller {
            Caller::Session { .. } => matches!(identity, Identity::Role(_)),
            _ => matches!(identity, Identity::Own(_)),
        };
        if !names_this {
            return Truth::False;
        }
        return match request.context.state("aws:userid") {
            KeyState::Known([userid]) => (userid.split(':').next() == Some(text)).into(),
            KeyState::Known(_) | KeyState::Absent => Truth::False,
            KeyState::Unknown | KeyState::PresentUnknown => Truth::Unknown,
        };
    }
    match identity {
        Identity::Own(arn) | Identity::Role(arn) => (*arn == text).into(),
        Identity::Account(_) | Identity::Nobody => Truth::False,
    }
}

/// The account a `Principal` value names as a whole: a 12-digit id or `arn:…:iam::ID:root`.
fn account_of(text: &str) -> Option<&str> {
    let is_id = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if is_id(text) {
        return Some(text);
    }
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", account, "root"] if is_id(account) => Some(account),
        _ => None,
    }
}

/// IAM unique ids of the principals a policy can name: `AIDA…` (users) and `AROA…` (roles), left
/// in a policy when the principal was deleted.
fn is_unique_id(text: &str) -> bool {
    (text.starts_with("AIDA") || text.starts_with("AROA")) && !text.contains(':')
}
