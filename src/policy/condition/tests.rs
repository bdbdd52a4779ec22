//! Every operator family × key state × modifier, against docs/EVALUATION.md §2.1, values worked
//! out by hand from the table there.

use super::*;
use crate::policy::truth::Truth::{False as F, True as T, Unknown as U};

/// A context where `one` has one value, `many` two, `pu` is present-unknown, `unk` unknown and
/// every other key absent.
fn context(one: &str) -> Context {
    Context::new(
        [
            ("one".to_string(), vec![one.to_string()]),
            ("many".to_string(), vec!["a".to_string(), "b".to_string()]),
            ("aws:username".to_string(), vec!["alice".to_string()]),
        ],
        vec!["unk".into()],
        vec!["pu".into()],
    )
}

fn check(operator: &str, key: &str, values: &[&str], one: &str, want: Truth) {
    let entry = ConditionEntry {
        operator: operator.into(),
        key: key.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    assert_eq!(
        evaluate(&entry, true, &context(one)),
        want,
        "{operator} {key} {values:?} with one={one}"
    );
}

#[test]
fn key_states_for_each_modifier() {
    // (operator, absent, one matching, one not matching, many (a, b) with W = [a], present-unknown, unknown)
    let rows = [
        ("StringEquals", F, T, F, F, U, U),
        ("StringNotEquals", T, F, T, F, U, U),
        ("StringEqualsIfExists", T, T, F, F, U, U),
        ("StringNotEqualsIfExists", T, F, T, F, U, U),
        ("ForAnyValue:StringEquals", F, T, F, T, U, U),
        ("ForAllValues:StringEquals", T, T, F, F, U, U),
        ("ForAnyValue:StringNotEquals", F, F, T, T, U, U),
        ("ForAllValues:StringNotEquals", T, F, T, F, U, U),
        ("ForAnyValue:StringEqualsIfExists", T, T, F, T, U, U),
    ];
    for (op, absent, hit, miss, many, present_unknown, unknown) in rows {
        check(op, "absent", &["a"], "a", absent);
        check(op, "one", &["a"], "a", hit);
        check(op, "ONE", &["a"], "z", miss);
        check(op, "many", &["a"], "a", many);
        check(op, "pu", &["a"], "a", present_unknown);
        check(op, "unk", &["a"], "a", unknown);
    }
}

#[test]
fn all_values_is_true_when_every_value_is_listed() {
    check("ForAllValues:StringEquals", "many", &["a", "b", "c"], "", T);
    check("ForAnyValue:StringLike", "many", &["x*", "b*"], "", T);
}

#[test]
fn null() {
    for (values, absent, known, pu, unk) in [(["true"], T, F, F, U), (["false"], F, T, T, U)] {
        check("Null", "absent", &values, "x", absent);
        check("Null", "one", &values, "x", known);
        check("Null", "pu", &values, "x", pu);
        check("Null", "unk", &values, "x", unk);
    }
    check("Null", "unk", &["true", "false"], "x", U);
    check("Null", "absent", &["false", "true"], "x", T);
}

#[test]
fn operators_on_one_value() {
    let cases: &[(&str, &[&str], &str, Truth)] = &[
        ("StringEquals", &["Alice"], "alice", F),
        ("StringEqualsIgnoreCase", &["ALICE"], "alice", T),
        ("StringNotEqualsIgnoreCase", &["ALICE"], "alice", F),
        ("StringLike", &["a*e"], "alice", T),
        ("StringLike", &["a?"], "alice", F),
        ("StringNotLike", &["b*", "c*"], "alice", T),
        ("StringEquals", &["a*"], "alice", F),
        ("StringEquals", &["a*"], "a*", T),
        ("NumericEquals", &["10"], "10.0", T),
        ("NumericNotEquals", &["10"], "11", T),
        ("NumericLessThan", &["10"], "9.5", T),
        ("NumericLessThan", &["10"], "10", F),
        ("NumericLessThanEquals", &["10"], "10", T),
        ("NumericGreaterThan", &["10"], "10", F),
        ("NumericGreaterThanEquals", &["10"], "10", T),
        ("NumericEquals", &["ten"], "10", F),
        ("NumericEquals", &["10"], "ten", F),
        ("NumericEquals", &["1000"], "1e3", F),
        ("NumericEquals", &[".5"], "0.50", T),
        ("NumericGreaterThan", &["1"], "inf", F),
        ("Bool", &["yes"], "yes", F),
        ("DateLessThan", &["2026-01-01T00:00:00Z"], "2025-12-31T23:59:59Z", T),
        ("DateLessThan", &["2026-01-01"], "1767225600", F),
        ("DateEquals", &["2026-01-01"], "1767225600", T),
        ("DateEquals", &["2026-01-01T01:00:00+01:00"], "2026-01-01T00:00:00Z", T),
        ("DateGreaterThan", &["1767225600"], "2026-01-01T00:00:00.5Z", T),
        ("DateGreaterThanEquals", &["2026-01-01T00:00:00Z"], "2026-01-01", T),
        ("DateNotEquals", &["2026-01-01"], "2026-01-02", T),
        ("DateEquals", &["soon"], "2026-01-02", F),
        ("Bool", &["true"], "True", T),
        ("Bool", &["false"], "true", F),
        ("BinaryEquals", &["QmluYXJ5"], "QmluYXJ5", T),
        ("IpAddress", &["203.0.113.0/24"], "203.0.113.9", T),
        ("IpAddress", &["203.0.113.0/24"], "203.0.114.9", F),
        ("IpAddress", &["203.0.113.9"], "203.0.113.9", T),
        ("IpAddress", &["0.0.0.0/0"], "198.51.100.1", T),
        ("IpAddress", &["2001:db8::/32"], "2001:db8:1::5", T),
        ("IpAddress", &["2001:db8::/32"], "2001:db9::5", F),
        ("IpAddress", &["::/0"], "203.0.113.9", F),
        ("IpAddress", &["203.0.113.0/24"], "not-an-ip", F),
        ("IpAddress", &["203.0.113.0/33"], "203.0.113.9", F),
        ("NotIpAddress", &["10.0.0.0/8"], "203.0.113.9", T),
        ("NotIpAddress", &["10.0.0.0/8"], "10.1.2.3", F),
        ("ArnLike", &["arn:aws:iam::*:role/app-*"], "arn:aws:iam::111122223333:role/app-1", T),
        ("ArnEquals", &["arn:aws:iam::*:role/app-*"], "arn:aws:iam::111122223333:role/app-1", T),
        ("ArnLike", &["arn:aws:iam::*:role/app-*"], "role/app-1", F),
        ("ArnNotLike", &["arn:aws:sns:*:*:topic"], "arn:aws:sqs:us-east-1:111122223333:q", T),
        ("ArnNotEquals", &["arn:aws:sqs:*:*:q"], "arn:aws:sqs:us-east-1:111122223333:q", F),
        ("StringEqualsIfNotExists", &["x"], "x", U),
        ("ForSomeValues:StringEquals", &["x"], "x", U),
        ("NullIfExists", &["true"], "x", U),
    ];
    for &(op, values, one, want) in cases {
        check(op, "one", values, one, want);
    }
}

#[test]
fn variables_in_values() {
    check("StringEquals", "one", &["${aws:username}"], "alice", T);
    check("StringLike", "one", &["home/${aws:username}/*"], "home/alice/x", T);
    check("StringLike", "one", &["${*}"], "x", F);
    check("StringLike", "one", &["${*}"], "*", T);
    // An unknown variable makes the value unknown; a known match elsewhere still decides.
    check("StringEquals", "one", &["${unk}"], "x", U);
    check("StringEquals", "one", &["${unk}", "x"], "x", T);
    check("StringNotEquals", "one", &["${unk}"], "x", U);
    // An absent variable without default matches nothing.
    check("StringEquals", "one", &["${absent}"], "", F);
    check("StringNotEquals", "one", &["${absent}"], "", T);
    check("StringEquals", "one", &["${absent, 'dflt'}"], "dflt", T);
}

#[test]
fn version_2008_takes_variables_literally() {
    let entry = ConditionEntry {
        operator: "StringEquals".into(),
        key: "one".into(),
        values: vec!["${aws:username}".into()],
    };
    assert_eq!(evaluate(&entry, false, &context("${aws:username}")), T);
    assert_eq!(evaluate(&entry, false, &context("alice")), F);
}

#[test]
fn operator_names() {
    for name in [
        "StringEquals",
        "ForAnyValue:ArnLikeIfExists",
        "ForAllValues:NumericLessThan",
        "Null",
        "NotIpAddressIfExists",
    ] {
        assert!(is_known_operator(name), "{name}");
    }
    for name in ["stringequals", "ForAnyValue:Null", "NullIfExists", "StringEqual", "ForAnyValue:"]
    {
        assert!(!is_known_operator(name), "{name}");
    }
}
