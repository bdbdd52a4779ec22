//! Condition operators: every one IAM documents, with `…IfExists`, `ForAnyValue:` and
//! `ForAllValues:`, evaluated against a key that may be absent, known (one or several values),
//! present with an unknown value, or unknown (docs/EVALUATION.md §2.1, the table there is the
//! contract of [`evaluate`]).

use super::document::ConditionEntry;
use super::glob::Pattern;
use super::request::{Context, KeyState};
use super::truth::Truth;
use super::variables::{Substituted, substitute};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Compare),
    Date(Compare),
    Bool,
    Binary,
    IpAddress,
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOperator {
    AnyValue,
    AllValues,
}

/// A parsed operator name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    base: Base,
    /// `StringNotEquals`, `NotIpAddress`, …: the positive twin, inverted per value.
    negated: bool,
    if_exists: bool,
    set: Option<SetOperator>,
}

/// Base operators by name: (name, base, negated). The list of
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>.
const OPERATORS: &[(&str, Base, bool)] = &[
    ("StringEquals", Base::StringEquals, false),
    ("StringNotEquals", Base::StringEquals, true),
    ("StringEqualsIgnoreCase", Base::StringEqualsIgnoreCase, false),
    ("StringNotEqualsIgnoreCase", Base::StringEqualsIgnoreCase, true),
    ("StringLike", Base::StringLike, false),
    ("StringNotLike", Base::StringLike, true),
    ("NumericEquals", Base::Numeric(Compare::Equal), false),
    ("NumericNotEquals", Base::Numeric(Compare::Equal), true),
    ("NumericLessThan", Base::Numeric(Compare::Less), false),
    ("NumericLessThanEquals", Base::Numeric(Compare::LessOrEqual), false),
    ("NumericGreaterThan", Base::Numeric(Compare::Greater), false),
    ("NumericGreaterThanEquals", Base::Numeric(Compare::GreaterOrEqual), false),
    ("DateEquals", Base::Date(Compare::Equal), false),
    ("DateNotEquals", Base::Date(Compare::Equal), true),
    ("DateLessThan", Base::Date(Compare::Less), false),
    ("DateLessThanEquals", Base::Date(Compare::LessOrEqual), false),
    ("DateGreaterThan", Base::Date(Compare::Greater), false),
    ("DateGreaterThanEquals", Base::Date(Compare::GreaterOrEqual), false),
    ("Bool", Base::Bool, false),
    ("BinaryEquals", Base::Binary, false),
    ("IpAddress", Base::IpAddress, false),
    ("NotIpAddress", Base::IpAddress, true),
    ("ArnEquals", Base::Arn, false),
    ("ArnLike", Base::Arn, false),
    ("ArnNotEquals", Base::Arn, true),
    ("ArnNotLike", Base::Arn, true),
];

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetOperator::AnyValue), rest)
        } else if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetOperator::AllValues), rest)
        } else {
            (None, name)
        };
        if rest == "Null" {
            return set.is_none().then_some(Operator {
                base: Base::Null,
                negated: false,
                if_exists: false,
                set,
            });
        }
        let (if_exists, base_name) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let &(_, base, negated) = OPERATORS.iter().find(|(n, _, _)| *n == base_name)?;
        Some(Operator { base, negated, if_exists, set })
    }
}

/// Whether an operator name is one IAM knows (the rest make their statement unknown, never false).
pub fn is_known_operator(name: &str) -> bool {
    Operator::parse(name).is_some()
}

/// The truth of one condition entry for this request.
pub fn evaluate(entry: &ConditionEntry, variables: bool, context: &Context) -> Truth {
    let Some(op) = Operator::parse(&entry.operator) else { return Truth::Unknown };
    let state = context.state(&entry.key);
    if op.base == Base::Null {
        return null(&entry.values, state);
    }
    let values: Vec<Substituted> =
        entry.values.iter().map(|w| substitute(w, variables, context)).collect();
    match state {
        KeyState::Absent => match op.set {
            Some(SetOperator::AllValues) => Truth::True,
            _ if op.if_exists => Truth::True,
            Some(SetOperator::AnyValue) => Truth::False,
            None => op.negated.into(),
        },
        KeyState::PresentUnknown | KeyState::Unknown => Truth::Unknown,
        KeyState::Known(present) => {
            let one = |v: &str| {
                let matched = Truth::any(values.iter().map(|w| matches(op.base, v, w)));
                if op.negated { !matched } else { matched }
            };
            match (op.set, present) {
                (Some(SetOperator::AnyValue), _) => Truth::any(present.iter().map(|v| one(v))),
                (Some(SetOperator::AllValues), _) => Truth::all(present.iter().map(|v| one(v))),
                (None, [single]) => one(single),
                // A single-valued operator on a multi-valued key: AWS calls the result unpredictable;
                // EVALUATION.md chooses "does not hold", for positive and negated operators alike.
                (None, _) => Truth::False,
            }
        }
    }
}

/// `Null`: `true` holds when the key is absent, `false` when it is present; several values OR.
fn null(values: &[String], state: KeyState<'_>) -> Truth {
    let present = match state {
        KeyState::Absent => Truth::False,
        KeyState::Known(_) | KeyState::PresentUnknown => Truth::True,
        KeyState::Unknown => Truth::Unknown,
    };
    Truth::any(
        values.iter().map(|w| if w.eq_ignore_ascii_case("true") { !present } else { present }),
    )
}

/// Whether the request value `v` matches one policy value under the positive base operator.
fn matches(base: Base, v: &str, w: &Substituted) -> Truth {
    let w = match w {
        Substituted::Pattern(p) => p,
        Substituted::Unknown => return Truth::Unknown,
        Substituted::NoValue => return Truth::False,
    };
    let text = || w.literal_text();
    let result = match base {
        Base::StringEquals | Base::Binary => v == text(),
        Base::StringEqualsIgnoreCase => v.to_lowercase() == text().to_lowercase(),
        Base::StringLike => w.matches(v, false),
        Base::Numeric(cmp) => match (number(v), number(&text())) {
            (Some(a), Some(b)) => compare(cmp, a.partial_cmp(&b)),
            _ => false,
        },
        Base::Date(cmp) => match (instant(v), instant(&text())) {
            (Some(a), Some(b)) => compare(cmp, Some(a.cmp(&b))),
            _ => false,
        },
        Base::Bool => match (boolean(v), boolean(&text())) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        Base::IpAddress => in_range(v, &text()),
        Base::Arn => Pattern::is_arn_shaped(v) && w.matches_arn(v),
        Base::Null => false,
    };
    result.into()
}

/// A plain decimal number (sign, digits, fraction): not `1e3`, `inf` or `NaN`, which Rust's
/// float parser would take.
fn number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit());
    plain.then(|| text.parse().ok()).flatten()
}

/// `true` or `false`, in any case.
fn boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn compare(cmp: Compare, order: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    matches!(
        (cmp, order),
        (Compare::Equal, Some(Equal))
            | (Compare::Less, Some(Less))
            | (Compare::LessOrEqual, Some(Less | Equal))
            | (Compare::Greater, Some(Greater))
            | (Compare::GreaterOrEqual, Some(Greater | Equal))
    )
}

/// An instant as (seconds, nanoseconds) since the epoch: ISO 8601 (a date alone is its midnight
/// UTC; no offset means UTC) or integer epoch seconds.
fn instant(text: &str) -> Option<(i64, u32)> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    if let Ok(seconds) = text.parse::<i64>() {
        return Some((seconds, 0));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some((t.timestamp(), t.timestamp_subsec_nanos()));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        let t = t.and_utc();
        return Some((t.timestamp(), t.timestamp_subsec_nanos()));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some((date.and_hms_opt(0, 0, 0)?.and_utc().timestamp(), 0))
}

/// Whether address `v` lies in `range` (a CIDR, or one address); IPv4 never matches IPv6.
fn in_range(v: &str, range: &str) -> bool {
    let Ok(address) = v.parse::<IpAddr>() else { return false };
    let (network, bits) = match range.split_once('/') {
        Some((network, bits)) => match bits.parse::<u32>() {
            Ok(bits) => (network, Some(bits)),
            Err(_) => return false,
        },
        None => (range, None),
    };
    let Ok(network) = network.parse::<IpAddr>() else { return false };
    let (a, n, width) = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(u32::from(a)), u128::from(u32::from(n)), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        _ => return false,
    };
    let bits = bits.unwrap_or(width);
    if bits > width {
        return false;
    }
    let shift = width - bits;
    let mask = if shift >= 128 { 0 } else { (u128::MAX << shift) & (u128::MAX >> (128 - width)) };
    a & mask == n & mask
}

/// A condition entry as a person reads it, values as a JSON list so that two entries never read
/// alike: `StringEquals aws:SourceVpce ["vpce-1a2b"]`.
pub fn render(entry: &ConditionEntry) -> String {
    format!("{} {} {}", entry.operator, entry.key, serde_json::Value::from(entry.values.clone()))
}

#[cfg(test)]
mod tests;
