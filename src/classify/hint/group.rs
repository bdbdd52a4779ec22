//! The hint of a summary group that holds more than one kind of denial: an explicit deny among
//! missing Allows is not lifted by the Allow the implicit ones ask for, so each kind gets its own
//! step, explicit first (IAM User Guide, "Policy evaluation logic": an explicit deny overrides
//! any allow).

use super::{DeniedBy, DenyKind, HintInput, hint};

/// The hint for a summary group whose denials were refused in `reasons` (each with its count, in
/// any order). One kind of denial gets [`hint`]; a group that mixes them gets a step per kind,
/// explicit denies first (an Allow added for the implicit ones does not lift a Deny), then by
/// count. At most [`MAX_KINDS`] are spelled out.
pub fn group_hint(input: &HintInput<'_>, reasons: &[((DeniedBy, DenyKind), u64)]) -> String {
    if reasons.len() <= 1 {
        return hint(input);
    }
    let mut ordered = reasons.to_vec();
    ordered.sort_by(|((by_a, kind_a), n_a), ((by_b, kind_b), n_b)| {
        let explicit = |kind: &DenyKind| *kind != DenyKind::Explicit;
        (explicit(kind_a), std::cmp::Reverse(*n_a), by_a, kind_a).cmp(&(
            explicit(kind_b),
            std::cmp::Reverse(*n_b),
            by_b,
            kind_b,
        ))
    });
    let total: u64 = reasons.iter().map(|(_, n)| n).sum();
    let mut parts: Vec<String> = Vec::new();
    for &((denied_by, deny_kind), n) in ordered.iter().take(MAX_KINDS) {
        let step = hint(&HintInput { denied_by, deny_kind, ..*input });
        parts.push(format!(
            "{n} of {total} {kind} ({by}): {step}",
            kind = kind_label(deny_kind),
            by = denied_by.as_str(),
        ));
    }
    if ordered.len() > MAX_KINDS {
        parts.push(format!(
            "{} more kinds: see denied_by and deny_kind in denials.parquet",
            ordered.len() - MAX_KINDS
        ));
    }
    parts.join(" | ")
}

/// How many kinds of denial [`group_hint`] spells out.
const MAX_KINDS: usize = 3;

fn kind_label(kind: DenyKind) -> &'static str {
    match kind {
        DenyKind::Explicit => "explicit deny",
        DenyKind::Implicit => "no Allow",
        DenyKind::ServiceReason => "refused by the service",
        DenyKind::Generic => "cause not stated",
    }
}
