//! `whydenied explain` output: the decision first, then the statements that decided it and the
//! nearest misses, as text for a person at a terminal or as JSON for CI to assert on. Policy
//! names, Sids and values come from the user's files (and, later, from logs): text output escapes
//! them like every other untrusted string.

use crate::policy::document::Effect;
use crate::policy::layer::StatementReport;
use crate::policy::statement::Why;
use crate::policy::truth::Truth;
use crate::policy::{Decision, Evaluation, Method, Request};
use crate::report::escape::for_terminal;
use serde_json::{Value, json};
use std::fmt::Write;

/// What a statement's outcome was, in words.
fn why(statement: &StatementReport, request: &Request) -> String {
    match &statement.why {
        Why::Applies => "every element matches".into(),
        Why::Failed(element) => match element.as_str() {
            "Action" => format!("{} is outside its Action/NotAction", request.action),
            "Resource" => match &request.resource {
                Some(resource) => format!("{resource} is outside its Resource/NotResource"),
                None => "its Resource does not match".into(),
            },
            "Principal" => "its Principal/NotPrincipal does not name the caller".into(),
            condition => format!("condition {condition} does not hold"),
        },
        Why::Depends(unknowns) if unknowns.is_empty() => "depends on an unknown".into(),
        Why::Depends(unknowns) => {
            let verb = if statement.effect == Effect::Deny { "denies" } else { "allows" };
            format!("{verb} if {} holds (unknown)", unknowns.join(" and "))
        }
    }
}

fn effect(e: Effect) -> &'static str {
    match e {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    }
}

fn applies(t: Truth) -> Value {
    match t {
        Truth::True => Value::Bool(true),
        Truth::False => Value::Bool(false),
        Truth::Unknown => Value::String("unknown".into()),
    }
}

fn method(m: Method) -> &'static str {
    match m {
        Method::Exact => "exact",
        Method::Kleene => "kleene",
    }
}

/// The JSON document `--format json` prints.
pub fn to_json(e: &Evaluation, request: &Request) -> Value {
    let statement = |s: &StatementReport| {
        json!({
            "policy_type": s.layer.as_str(),
            "policy": s.policy,
            "statement": s.statement,
            "effect": effect(s.effect),
            "applies": applies(s.applies),
            "why": why(s, request),
        })
    };
    json!({
        "decision": e.decision.as_str(),
        "denied_by": e.denied_by.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "method": method(e.method),
        "unknowns": e.unknowns,
        "deciding": e.deciding().into_iter().map(statement).collect::<Vec<_>>(),
        "near_misses": e.near_misses().into_iter().map(statement).collect::<Vec<_>>(),
        "statements": e.statements.iter().map(statement).collect::<Vec<_>>(),
    })
}

/// The text a person reads: decision, the layers that refuse, the deciding statements, the
/// nearest misses.
pub fn to_text(e: &Evaluation, request: &Request) -> String {
    let mut out = String::new();
    let subject = format!(
        "{} {} {}",
        request_principal(request),
        request.action,
        request.resource.as_deref().unwrap_or("(resource unknown)")
    );
    let headline = match e.decision {
        Decision::Allowed => "ALLOWED",
        Decision::ExplicitDeny => "DENIED (explicit deny)",
        Decision::ImplicitDeny => "DENIED (implicit deny: no statement allows it)",
        Decision::Conditional => "DEPENDS on facts the request does not give",
    };
    let _ = writeln!(out, "{headline}: {}", for_terminal(&subject));
    if !e.denied_by.is_empty() {
        let layers: Vec<&str> = e.denied_by.iter().map(|d| d.as_str()).collect();
        let verb =
            if e.decision == Decision::Conditional { "may be denied by" } else { "denied by" };
        let _ = writeln!(out, "{verb}: {}", layers.join(", "));
    }
    if !e.unknowns.is_empty() {
        let how = match e.method {
            Method::Exact => "every combination tried",
            Method::Kleene => {
                "too many to try each combination: three-valued logic, may be less precise"
            }
        };
        let _ = writeln!(
            out,
            "unknowns ({}, {how}): {}",
            e.unknowns.len(),
            for_terminal(&e.unknowns.join("; "))
        );
    }
    let mut section = |title: &str, statements: Vec<&StatementReport>| {
        if statements.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{title}");
        for s in statements {
            let _ = writeln!(
                out,
                "  {} {} statement {} ({}): {}",
                s.layer.as_str(),
                for_terminal(&s.policy),
                for_terminal(&s.statement),
                effect(s.effect),
                for_terminal(&why(s, request))
            );
        }
    };
    let deciding_title = match e.decision {
        Decision::ExplicitDeny => "Denied by these statements:",
        Decision::Allowed => "Allowed by these statements:",
        Decision::Conditional => "The answer depends on these statements:",
        Decision::ImplicitDeny => "",
    };
    let near_misses = e.near_misses();
    let none_near = near_misses.is_empty();
    section(deciding_title, e.deciding());
    section("Nearest misses (Allows that match the action, but not all else):", near_misses);
    if e.decision == Decision::ImplicitDeny && none_near {
        let _ = writeln!(
            out,
            "\nNo Allow statement in those policies matches {}.",
            for_terminal(&request.action)
        );
    }
    out
}

fn request_principal(request: &Request) -> String {
    use crate::policy::request::Caller;
    match &request.caller {
        Caller::User { arn, .. }
        | Caller::Role { arn, .. }
        | Caller::Session { arn, .. }
        | Caller::FederatedUser { arn, .. } => arn.clone(),
        Caller::Root { account } => format!("root of {account}"),
        Caller::Service(name) => name.clone(),
        Caller::Anonymous => "anonymous".into(),
    }
}
