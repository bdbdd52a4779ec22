//! What a policy statement says about one request of the sample, in three-valued logic (POLICY.md
//! §3.3): action, resource, principal and the condition keys the world's policies test, each as
//! the record makes it known (src/classify/context.rs). Written for the policies of
//! [`super::world`], not as a general engine; anything else it meets is `U`.

use serde_json::Value;

/// Kleene's three truth values.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Tri {
    T,
    F,
    U,
}
pub(super) use Tri::*;

impl Tri {
    pub fn of(b: bool) -> Tri {
        if b { T } else { F }
    }
    pub fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (F, _) | (_, F) => F,
            (T, T) => T,
            _ => U,
        }
    }
    pub fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (T, _) | (_, T) => T,
            (F, F) => F,
            _ => U,
        }
    }
}

/// Who made the request, as far as the evaluation needs it.
#[derive(Clone, PartialEq)]
pub(super) enum Caller {
    User {
        account: String,
        arn: String,
    },
    Role {
        account: String,
        arn: String,
    },
    Root {
        account: String,
    },
    /// A `GetFederationToken` session: its permissions are a session policy the trail does not
    /// give, within its IAM user's.
    FederatedUser {
        account: String,
        arn: String,
    },
    Service(String),
    Anonymous,
    /// A SAML or web identity caller of `AssumeRoleWith*`.
    Federation,
}

impl Caller {
    pub fn account(&self) -> Option<&str> {
        match self {
            Caller::User { account, .. }
            | Caller::Role { account, .. }
            | Caller::FederatedUser { account, .. }
            | Caller::Root { account } => Some(account),
            _ => None,
        }
    }
}

/// One denial as the evaluation sees it.
pub(super) struct Request<'r> {
    pub time: &'r str,
    pub caller: Caller,
    pub action: String,
    pub resource: String,
    pub region: &'r str,
    pub vpce: Option<&'r str>,
    pub tls: bool,
    pub acl: Option<&'r str>,
}

/// Case-insensitive (actions) or case-sensitive (resources) glob with `*` and `?`.
pub(super) fn glob(pattern: &str, text: &str, fold: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if fold {
        (pattern.to_lowercase().chars().collect(), text.to_lowercase().chars().collect())
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

pub(super) fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a `Principal` element names the caller (by account, its own ARN, or service).
pub(super) fn principal_matches(element: &Value, caller: &Caller) -> Tri {
    if element.as_str() == Some("*") {
        return T;
    }
    let mut result = F;
    for entry in strings(&element["AWS"]) {
        let hit = match caller {
            _ if entry == "*" => !matches!(caller, Caller::Service(_) | Caller::Federation),
            Caller::User { account, arn }
            | Caller::Role { account, arn }
            | Caller::FederatedUser { account, arn } => {
                entry == arn || entry == format!("arn:aws:iam::{account}:root") || entry == account
            }
            Caller::Root { account } => {
                entry == format!("arn:aws:iam::{account}:root") || entry == account
            }
            _ => false,
        };
        result = result.or(Tri::of(hit));
    }
    for entry in strings(&element["Service"]) {
        result = result.or(Tri::of(matches!(caller, Caller::Service(s) if s == entry)));
    }
    if !strings(&element["Federated"]).is_empty() && caller == &Caller::Federation {
        // The record does not say which identity provider issued the caller's token.
        result = result.or(U);
    }
    result
}

/// A condition block over the keys a record makes known (src/classify/context.rs).
pub(super) fn condition_holds(condition: &Value, req: &Request) -> Tri {
    let Some(ops) = condition.as_object() else { return T };
    let mut result = T;
    for (op, keys) in ops {
        let Some(keys) = keys.as_object() else { return U };
        for (key, wanted) in keys {
            let known: Option<String> = match key.to_ascii_lowercase().as_str() {
                "aws:requestedregion" => Some(req.region.to_owned()),
                "aws:securetransport" => req.tls.then(|| "true".to_owned()),
                "s3:x-amz-acl" => req.acl.map(str::to_owned),
                _ => None,
            };
            let Some(value) = known else {
                result = result.and(U);
                continue;
            };
            let values = strings(wanted);
            let one = match op.as_str() {
                "StringEquals" => values.contains(&value.as_str()),
                "StringNotEquals" => !values.contains(&value.as_str()),
                "Bool" => values.iter().any(|w| w.eq_ignore_ascii_case(&value)),
                _ => return U,
            };
            result = result.and(Tri::of(one));
        }
    }
    result
}

/// Whether a statement applies to the request; `resource_policy` checks its `Principal`.
pub(super) fn applies(statement: &Value, req: &Request, resource_policy: bool) -> Tri {
    let action = match (&statement["Action"], &statement["NotAction"]) {
        (a, _) if !a.is_null() => strings(a).iter().any(|p| glob(p, &req.action, true)),
        (_, n) => !strings(n).iter().any(|p| glob(p, &req.action, true)),
    };
    let resource = match strings(&statement["Resource"]) {
        patterns if patterns.contains(&"*") => T,
        _ if req.resource.is_empty() => U,
        patterns => Tri::of(patterns.iter().any(|p| glob(p, &req.resource, false))),
    };
    let principal =
        if resource_policy { principal_matches(&statement["Principal"], &req.caller) } else { T };
    Tri::of(action).and(resource).and(principal).and(condition_holds(&statement["Condition"], req))
}

/// A policy's state at the event: its document, known absent, or not known.
pub(super) enum Doc {
    Known(Value),
    Absent,
    Unknown,
}

/// What one layer says: its first definite Deny, whether some Deny may apply, whether it allows.
pub(super) struct Layer {
    pub name: &'static str,
    pub deny: Option<(String, String)>,
    pub maybe_deny: bool,
    pub allow: Tri,
    /// The policy named for an implicit deny by a single-policy layer.
    pub single: String,
}

pub(super) fn layer(
    name: &'static str,
    policies: &[(String, Doc)],
    req: &Request,
    resource: bool,
) -> Layer {
    let mut out = Layer { name, deny: None, maybe_deny: false, allow: F, single: String::new() };
    // A layer's one policy, when it has one: a known-absent policy is not named.
    if let [(policy, Doc::Known(_) | Doc::Unknown)] = policies {
        out.single = policy.clone();
    }
    for (policy, doc) in policies {
        let doc = match doc {
            Doc::Known(doc) => doc,
            Doc::Absent => continue,
            Doc::Unknown => {
                out.maybe_deny = true;
                out.allow = out.allow.or(U);
                continue;
            }
        };
        let statements = match &doc["Statement"] {
            Value::Array(list) => list.clone(),
            one => vec![one.clone()],
        };
        for (i, s) in statements.iter().enumerate() {
            let hit = applies(s, req, resource);
            if s["Effect"] == "Deny" {
                if hit == T && out.deny.is_none() {
                    let sid =
                        s["Sid"].as_str().map_or_else(|| format!("#{}", i + 1), str::to_owned);
                    out.deny = Some((policy.clone(), sid));
                }
                out.maybe_deny |= hit == U;
            } else if s["Effect"] == "Allow" {
                out.allow = out.allow.or(hit);
            }
        }
    }
    out
}
