//! Policy documents as IAM accepts them: `Statement` as one object or a list, every element as a
//! string or a list, `Principal` in each of its forms, condition values as strings, numbers,
//! booleans or lists. A document that does not have this shape is an error naming the policy and
//! the element — never a panic, never a silently empty policy.

use serde_json::Value;

/// A document that is not a policy.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("policy {policy}: {message}")]
pub struct PolicyError {
    pub policy: String,
    pub message: String,
}

/// One policy: its name (as the request named it, or its place in the request) and statements.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    /// `"Version": "2012-10-17"`: policy variables are substituted. In `2008-10-17` documents and
    /// those without a Version, `${…}` is literal text.
    pub variables: bool,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list element that may be given positively (`Action`) or negated (`NotAction`), or be absent.
#[derive(Debug, Clone, PartialEq)]
pub enum Listed<T> {
    Is(Vec<T>),
    Not(Vec<T>),
    Absent,
}

/// One value of a `Principal`/`NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalValue {
    /// `"*"` or `{"AWS": "*"}`.
    Anyone,
    /// `{"AWS": …}`: account id, `:root` ARN, user/role/session ARN or unique id.
    Aws(String),
    Service(String),
    Federated(String),
    CanonicalUser(String),
}

/// One condition entry: `"Operator": {"key": values}` gives one entry per key.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionEntry {
    /// The operator as written, e.g. `ForAnyValue:StringLikeIfExists`.
    pub operator: String,
    pub key: String,
    /// Values as text: numbers as written, booleans as `true`/`false`.
    pub values: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Statement {
    /// `Sid`, when the statement has one.
    pub sid: Option<String>,
    /// 1-based place in the policy, for statements without a Sid (`#2`).
    pub number: usize,
    pub effect: Effect,
    pub action: Listed<String>,
    pub resource: Listed<String>,
    pub principal: Listed<PrincipalValue>,
    pub conditions: Vec<ConditionEntry>,
}

impl Statement {
    /// How the explanation names the statement: its Sid, else `#N`.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => sid.clone(),
            _ => format!("#{}", self.number),
        }
    }
}

impl Policy {
    /// Parses a document (a JSON object, or a JSON string holding one, as CloudTrail logs them).
    pub fn parse(name: &str, document: &Value) -> Result<Policy, PolicyError> {
        let error = |message: String| PolicyError { policy: name.to_string(), message };
        let parsed;
        let document = match document {
            Value::String(text) => {
                parsed = serde_json::from_str::<Value>(text)
                    .map_err(|e| error(format!("the document is not JSON: {e}")))?;
                &parsed
            }
            other => other,
        };
        let Value::Object(fields) = document else {
            return Err(error("the document is not a JSON object".into()));
        };
        let variables = match fields.get("Version") {
            None => false,
            Some(Value::String(v)) if v == "2012-10-17" => true,
            Some(Value::String(v)) if v == "2008-10-17" => false,
            Some(other) => {
                return Err(error(format!("Version {other} is neither 2012-10-17 nor 2008-10-17")));
            }
        };
        let statements = match fields.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => return Err(error("Statement is neither an object nor a list".into())),
            None => return Err(error("the document has no Statement".into())),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                parse_statement(s, i + 1).map_err(|m| error(format!("statement #{}: {m}", i + 1)))
            })
            .collect::<Result<_, _>>()?;
        Ok(Policy { name: name.to_string(), variables, statements })
    }
}

fn parse_statement(statement: &Value, number: usize) -> Result<Statement, String> {
    let Value::Object(fields) = statement else { return Err("not a JSON object".into()) };
    for key in fields.keys() {
        if !matches!(
            key.as_str(),
            "Sid"
                | "Effect"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Principal"
                | "NotPrincipal"
                | "Condition"
        ) {
            return Err(format!("unknown element {key:?}"));
        }
    }
    let sid = match fields.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("Sid is not a string".into()),
    };
    let effect = match fields.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err("Effect must be \"Allow\" or \"Deny\"".into()),
    };
    let action = listed(fields.get("Action"), fields.get("NotAction"), "Action", strings)?;
    let resource = listed(fields.get("Resource"), fields.get("NotResource"), "Resource", strings)?;
    let principal =
        listed(fields.get("Principal"), fields.get("NotPrincipal"), "Principal", principals)?;
    let conditions = match fields.get("Condition") {
        None => Vec::new(),
        Some(value) => conditions(value)?,
    };
    Ok(Statement { sid, number, effect, action, resource, principal, conditions })
}

/// `X` or `NotX` (not both), parsed by `parse`.
fn listed<T>(
    positive: Option<&Value>,
    negative: Option<&Value>,
    element: &str,
    parse: fn(&Value, &str) -> Result<Vec<T>, String>,
) -> Result<Listed<T>, String> {
    match (positive, negative) {
        (Some(_), Some(_)) => Err(format!("both {element} and Not{element}")),
        (Some(v), None) => Ok(Listed::Is(parse(v, element)?)),
        (None, Some(v)) => Ok(Listed::Not(parse(v, &format!("Not{element}"))?)),
        (None, None) => Ok(Listed::Absent),
    }
}

fn strings(value: &Value, element: &str) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) => list
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{element} holds a non-string value {v}"))
            })
            .collect(),
        other => Err(format!("{element} is {other}, not a string or a list of strings")),
    }
}

fn principals(value: &Value, element: &str) -> Result<Vec<PrincipalValue>, String> {
    match value {
        Value::String(s) if s == "*" => Ok(vec![PrincipalValue::Anyone]),
        Value::Object(kinds) => {
            let mut out = Vec::new();
            for (kind, values) in kinds {
                let make: fn(String) -> PrincipalValue = match kind.as_str() {
                    "AWS" => {
                        |v| if v == "*" { PrincipalValue::Anyone } else { PrincipalValue::Aws(v) }
                    }
                    "Service" => PrincipalValue::Service,
                    "Federated" => PrincipalValue::Federated,
                    "CanonicalUser" => PrincipalValue::CanonicalUser,
                    other => return Err(format!("{element} has unknown principal type {other:?}")),
                };
                out.extend(strings(values, &format!("{element}.{kind}"))?.into_iter().map(make));
            }
            Ok(out)
        }
        other => Err(format!("{element} is {other}, not \"*\" or an object")),
    }
}

fn conditions(value: &Value) -> Result<Vec<ConditionEntry>, String> {
    let Value::Object(operators) = value else { return Err("Condition is not an object".into()) };
    let mut entries = Vec::new();
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else {
            return Err(format!("Condition operator {operator} does not hold an object"));
        };
        for (key, values) in keys {
            let values = scalars(values).map_err(|e| format!("Condition {operator} {key}: {e}"))?;
            entries.push(ConditionEntry { operator: operator.clone(), key: key.clone(), values });
        }
    }
    Ok(entries)
}

/// Condition values, and the values of a request's context keys: a string, number or boolean
/// (as text: numbers as written), or a list of them.
pub(crate) fn scalars(value: &Value) -> Result<Vec<String>, String> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("value {other} is not a string, number or boolean")),
    };
    match value {
        Value::Array(list) => list.iter().map(one).collect(),
        other => Ok(vec![one(other)?]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_accepted_form() {
        let doc = json!({
            "Version": "2012-10-17",
            "Statement": {
                "Sid": "One",
                "Effect": "Allow",
                "Principal": {"AWS": ["111122223333", "*"], "Service": "s3.amazonaws.com"},
                "NotAction": "iam:*",
                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                "Condition": {"NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": [true]}}
            }
        });
        let policy = Policy::parse("p", &doc).unwrap();
        assert!(policy.variables);
        let s = &policy.statements[0];
        assert_eq!(s.label(), "One");
        assert_eq!(s.action, Listed::Not(vec!["iam:*".into()]));
        assert_eq!(
            s.principal,
            Listed::Is(vec![
                PrincipalValue::Aws("111122223333".into()),
                PrincipalValue::Anyone,
                PrincipalValue::Service("s3.amazonaws.com".into())
            ])
        );
        let values: Vec<_> =
            s.conditions.iter().map(|c| (c.operator.as_str(), c.values.clone())).collect();
        // Operators in name order (the JSON object's order carries no meaning).
        assert_eq!(
            values,
            [("Bool", vec!["true".to_string()]), ("NumericLessThan", vec!["10".to_string()])]
        );
    }

    #[test]
    fn a_document_in_a_string_and_the_old_version() {
        let doc = json!(
            r#"{"Version":"2008-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#
        );
        let policy = Policy::parse("p", &doc).unwrap();
        assert!(!policy.variables);
        assert_eq!(policy.statements[0].label(), "#1");
    }

    #[test]
    fn malformed_documents_name_the_policy_and_the_element() {
        let cases = [
            (json!("not json"), "the document is not JSON"),
            (json!([1]), "not a JSON object"),
            (json!({"Statement": []}), ""),
            (json!({}), "no Statement"),
            (json!({"Version": "2020", "Statement": []}), "Version"),
            (json!({"Statement": [{"Effect": "allow", "Action": "*"}]}), "statement #1: Effect"),
            (json!({"Statement": [{"Effect": "Allow", "Action": 3}]}), "Action is 3"),
            (
                json!({"Statement": [{"Effect": "Allow", "Action": "*", "NotAction": "*"}]}),
                "both Action and NotAction",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Principal": {"Bogus": "x"}}]}),
                "unknown principal type",
            ),
            (json!({"Statement": [{"Effect": "Allow", "Principal": "someone"}]}), "Principal is"),
            (
                json!({"Statement": [{"Effect": "Allow", "Condition": {"StringEquals": {"k": {"a": 1}}}}]}),
                "k: value",
            ),
            (
                json!({"Statement": [{"Effect": "Allow", "Actions": "*"}]}),
                "unknown element \"Actions\"",
            ),
        ];
        for (doc, want) in cases {
            match Policy::parse("bucket policy of b", &doc) {
                Ok(p) => assert!(want.is_empty() && p.statements.is_empty(), "{doc} parsed"),
                Err(e) => {
                    let text = e.to_string();
                    assert!(text.starts_with("policy bucket policy of b: "), "{text}");
                    assert!(!want.is_empty() && text.contains(want), "{doc}: {text}");
                }
            }
        }
    }
}
