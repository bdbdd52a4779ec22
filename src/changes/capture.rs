//! From a parsed event to a [`PolicyChange`], following the table in [`super::events`].

use std::sync::Arc;

use serde_json::Value;

use super::events::{ChangeEvent, Field, Require, change_event};
use super::{PolicyChange, TargetType};
use crate::classify::parse_event_time;
use crate::classify::principal::principal_of;
use crate::event::{Event, Parameters};

/// The change `event` records, or `None` when it is not one of the table's (or is, but changes
/// no permission: an SQS attribute other than `Policy`, an AssumeRole without session policy).
pub fn capture(
    event: &Event<'_>,
    parameters: &Parameters,
    origin: &Arc<str>,
) -> Option<PolicyChange> {
    let source = event.event_source?;
    let name = event.event_name?;
    let kind = change_event(source, name)?;
    let failed = event.error_code.is_some();
    // A failed attempt is kept whatever it carried (its parameters are often null).
    if !failed && !required(kind, parameters) {
        return None;
    }
    let target_type = match kind.target_type {
        TargetType::Scp => organizations_type(parameters)?,
        other => other,
    };
    let target = first_text(kind.target, parameters).or_else(|| {
        // The account-level Block Public Access setting belongs to the account itself.
        (kind.target.is_empty()).then(|| event.recipient_account_id.map(str::to_string)).flatten()
    });
    Some(PolicyChange {
        event_time: event.event_time.and_then(parse_event_time),
        event_id: event.event_id.map(str::to_string),
        account_id: event.recipient_account_id.map(str::to_string),
        region: event.aws_region.map(str::to_string),
        event_source: Some(source.to_string()),
        event_name: name.to_string(),
        actor: principal_of(event.identity.as_ref()).principal,
        target_type,
        target,
        detail: first_text(kind.detail, parameters),
        document: document(kind, parameters),
        error_code: event.error_code.as_deref().map(str::to_string),
        origin: Arc::clone(origin),
    })
}

fn required(kind: &ChangeEvent, parameters: &Parameters) -> bool {
    match kind.require {
        Require::Always => true,
        Require::AnyOf(fields) => {
            fields.iter().any(|f| lookup(*f, parameters).is_some_and(|v| !v.is_null()))
        }
        Require::Equals(field, text) => {
            lookup(field, parameters).and_then(Value::as_str) == Some(text)
        }
    }
}

/// SCP or RCP, from the request's `type` or the response's policy summary. Other policy types
/// (tag, backup, AI opt-out policies) grant or deny nothing. A failed `UpdatePolicy` logs
/// neither; it is kept as an SCP change attempt.
fn organizations_type(parameters: &Parameters) -> Option<TargetType> {
    let logged = [Field::Request(&["type"]), Field::Response(&["policy", "policySummary", "type"])]
        .into_iter()
        .find_map(|f| lookup(f, parameters).and_then(Value::as_str));
    match logged {
        None | Some("SERVICE_CONTROL_POLICY") => Some(TargetType::Scp),
        Some("RESOURCE_CONTROL_POLICY") => Some(TargetType::Rcp),
        Some(_) => None,
    }
}

fn lookup(field: Field, parameters: &Parameters) -> Option<&Value> {
    let (root, path) = match field {
        Field::Request(path) => (parameters.request.as_ref()?, path),
        Field::Response(path) => (parameters.response.as_ref()?, path),
    };
    path.iter().try_fold(root, |node, key| node.get(key))
}

/// The first of `fields` that holds a non-empty string (or a number, as its text).
fn first_text(fields: &[Field], parameters: &Parameters) -> Option<String> {
    fields.iter().find_map(|f| match lookup(*f, parameters)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// The policy document as text: a JSON string as it is (IAM, KMS and STS log documents as
/// strings), an object as its JSON (S3 logs `bucketPolicy` as an object). Session changes keep
/// all their parts together: `{"policy": …, "policyArns": …, "tags": …}`.
fn document(kind: &ChangeEvent, parameters: &Parameters) -> Option<String> {
    if kind.target_type == TargetType::Session {
        let parts: serde_json::Map<String, Value> = ["policy", "policyArns", "tags"]
            .into_iter()
            .filter_map(|key| {
                Some((key.to_string(), parameters.request.as_ref()?.get(key)?.clone()))
            })
            .filter(|(_, v)| !v.is_null())
            .collect();
        return (!parts.is_empty()).then(|| Value::Object(parts).to_string());
    }
    kind.document.iter().find_map(|f| match lookup(*f, parameters)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    })
}

#[cfg(test)]
mod tests;
