//! The request `whydenied explain` evaluates: who asked for which action on which resource, what
//! the request context says, and every policy that applies (docs/EVALUATION.md §1). Parsing
//! checks each field and names it when it is wrong: a typo must not silently drop a policy.

use super::document::{Policy, PolicyError, scalars};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A request that is not what `explain` accepts.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("request field `{field}`: {message}")]
    Field { field: String, message: String },
    #[error("request field `{field}`: {source}")]
    Policy { field: String, source: PolicyError },
}

fn field_error(field: &str, message: impl Into<String>) -> RequestError {
    RequestError::Field { field: field.to_string(), message: message.into() }
}

/// Who made the request, as its ARN (or name) says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    User {
        arn: String,
        account: String,
    },
    Role {
        arn: String,
        account: String,
    },
    /// An assumed-role session: its own ARN and its role's.
    Session {
        arn: String,
        role_arn: String,
        account: String,
    },
    FederatedUser {
        arn: String,
        account: String,
    },
    Root {
        account: String,
    },
    Service(String),
    Anonymous,
}

/// The caller's identities, each of which a `Principal` value may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity<'a> {
    /// The caller's own ARN (or service name).
    Own(&'a str),
    /// The role behind a session.
    Role(&'a str),
    Account(&'a str),
    /// What only `*` names: an anonymous caller.
    Nobody,
}

impl Caller {
    /// Reads the `principal` field; `principal_arn` is `aws:PrincipalArn` from the context, which
    /// carries a session's role ARN with its path.
    pub(crate) fn parse(text: &str, principal_arn: Option<&str>) -> Option<Caller> {
        if text == "anonymous" {
            return Some(Caller::Anonymous);
        }
        if !text.contains(':') {
            let service = text.ends_with(".amazonaws.com") || text.ends_with(".amazonaws.com.cn");
            return (service && !text.contains(char::is_whitespace))
                .then(|| Caller::Service(text.to_string()));
        }
        let parts: Vec<&str> = text.splitn(6, ':').collect();
        let [arn, partition, service, _region, account, resource] = parts.as_slice() else {
            return None;
        };
        if *arn != "arn" || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let account = account.to_string();
        let arn_text = text.to_string();
        match (*service, resource.split_once('/')) {
            ("iam", None) if *resource == "root" => Some(Caller::Root { account }),
            ("iam", Some(("user", _))) => Some(Caller::User { arn: arn_text, account }),
            ("iam", Some(("role", _))) => Some(Caller::Role { arn: arn_text, account }),
            ("sts", Some(("assumed-role", rest))) => {
                let (role, _session) = rest.split_once('/')?;
                let role_arn = principal_arn
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("arn:{partition}:iam::{account}:role/{role}"));
                Some(Caller::Session { arn: arn_text, role_arn, account })
            }
            ("sts", Some(("federated-user", _))) => {
                Some(Caller::FederatedUser { arn: arn_text, account })
            }
            _ => None,
        }
    }

    pub fn account(&self) -> Option<&str> {
        match self {
            Caller::User { account, .. }
            | Caller::Role { account, .. }
            | Caller::Session { account, .. }
            | Caller::FederatedUser { account, .. }
            | Caller::Root { account } => Some(account),
            Caller::Service(_) | Caller::Anonymous => None,
        }
    }

    /// Every identity a `Principal` element may name for this caller (EVALUATION.md §1 table).
    pub fn identities(&self) -> Vec<Identity<'_>> {
        match self {
            Caller::User { arn, account }
            | Caller::Role { arn, account }
            | Caller::FederatedUser { arn, account } => {
                vec![Identity::Own(arn), Identity::Account(account)]
            }
            Caller::Session { arn, role_arn, account } => {
                vec![Identity::Own(arn), Identity::Role(role_arn), Identity::Account(account)]
            }
            Caller::Root { account } => vec![Identity::Account(account)],
            Caller::Service(name) => vec![Identity::Own(name)],
            Caller::Anonymous => vec![Identity::Nobody],
        }
    }

    /// Service-linked roles (path `/aws-service-role/`) are outside SCPs.
    pub fn is_service_linked_role(&self) -> bool {
        let role_arn = match self {
            Caller::Role { arn, .. } => arn,
            Caller::Session { role_arn, .. } => role_arn,
            _ => return false,
        };
        role_arn.split_once(":role/").is_some_and(|(_, path)| path.starts_with("aws-service-role/"))
    }

    /// Callers that IAM identity policies govern: not services, anonymous callers or root.
    pub fn has_identity_policies(&self) -> bool {
        !matches!(self, Caller::Service(_) | Caller::Anonymous | Caller::Root { .. })
    }
}

/// What the request context says about one condition key (EVALUATION.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState<'a> {
    Absent,
    Known(&'a [String]),
    /// In the request, value unknown.
    PresentUnknown,
    /// May be absent, may be anything.
    Unknown,
}

/// The request context: known values by lower-cased key, and the two lists of unknown keys.
#[derive(Debug, Clone, Default)]
pub struct Context {
    known: HashMap<String, Vec<String>>,
    unknown: Vec<String>,
    present_unknown: Vec<String>,
}

impl Context {
    /// Builds a context from `(key, values)` pairs; an empty value list means the key is absent.
    pub fn new(
        known: impl IntoIterator<Item = (String, Vec<String>)>,
        unknown: Vec<String>,
        present_unknown: Vec<String>,
    ) -> Context {
        Context {
            known: known
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, mut v)| {
                    // A multi-valued key is a set: a repeated value is one value.
                    let mut seen = std::collections::HashSet::new();
                    v.retain(|value| seen.insert(value.clone()));
                    (k.to_lowercase(), v)
                })
                .collect(),
            unknown: unknown.iter().map(|k| k.to_lowercase()).collect(),
            present_unknown: present_unknown.iter().map(|k| k.to_lowercase()).collect(),
        }
    }

    pub fn state(&self, key: &str) -> KeyState<'_> {
        let key = key.to_lowercase();
        if let Some(values) = self.known.get(&key) {
            return KeyState::Known(values);
        }
        let listed = |list: &[String]| {
            list.iter().any(|entry| match entry.strip_suffix('*') {
                Some(prefix) => key.starts_with(prefix),
                None => *entry == key,
            })
        };
        if listed(&self.present_unknown) {
            KeyState::PresentUnknown
        } else if listed(&self.unknown) {
            KeyState::Unknown
        } else {
            KeyState::Absent
        }
    }

    /// The key's one known value, if it has exactly one.
    pub fn single(&self, key: &str) -> Option<&str> {
        match self.state(key) {
            KeyState::Known([one]) => Some(one),
            _ => None,
        }
    }
}

/// A S3 Block Public Access setting as it bears on one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockPublicAccess {
    pub restrict_public_buckets: bool,
    /// AWS's verdict on the bucket policy (`get-bucket-policy-status`), when known.
    pub policy_is_public: Option<bool>,
}

/// Everything one evaluation needs.
#[derive(Debug, Clone)]
pub struct Request {
    pub caller: Caller,
    pub principal_account: Option<String>,
    pub action: String,
    /// `None`: the resource is not known.
    pub resource: Option<String>,
    pub resource_account: Option<String>,
    pub context: Context,
    pub identity_policies: Vec<Policy>,
    pub permissions_boundary: Option<Policy>,
    pub session_policy: Option<Policy>,
    /// One list per level, root first; `None`: the account is not governed by SCPs.
    pub scp: Option<Vec<Vec<Policy>>>,
    pub rcp: Option<Vec<Vec<Policy>>>,
    pub resource_policy: Option<Policy>,
    pub vpc_endpoint_policy: Option<Policy>,
    pub block_public_access: Option<BlockPublicAccess>,
}

const FIELDS: &[&str] = &[
    "principal",
    "principal_account",
    "action",
    "resource",
    "resource_account",
    "context",
    "unknown_keys",
    "present_unknown_keys",
    "identity_policies",
    "permissions_boundary",
    "session_policy",
    "scp",
    "rcp",
    "resource_policy",
    "vpc_endpoint_policy",
    "s3_block_public_access",
];

impl Request {
    /// Reads the JSON request of `whydenied explain`.
    pub fn from_json(value: &Value) -> Result<Request, RequestError> {
        let Value::Object(fields) = value else {
            return Err(field_error("(top level)", "not a JSON object"));
        };
        if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(field_error(
                unknown,
                format!("not a request field (expected one of {})", FIELDS.join(", ")),
            ));
        }
        let context = context(fields)?;
        let principal = required_string(fields, "principal")?;
        let caller = Caller::parse(&principal, context.single("aws:PrincipalArn")).ok_or_else(|| {
            field_error(
                "principal",
                format!("{principal:?} is not a user, role, assumed-role, federated-user or root ARN, a service principal, or \"anonymous\""),
            )
        })?;
        let action = required_string(fields, "action")?;
        if !action.contains(':') {
            return Err(field_error("action", format!("{action:?} is not service:Action")));
        }
        let resource = optional_string(fields, "resource")?;
        let principal_account = optional_string(fields, "principal_account")?
            .or_else(|| caller.account().map(str::to_string));
        let resource_account = optional_string(fields, "resource_account")?.or_else(|| {
            let account = resource.as_deref()?.split(':').nth(4)?;
            (!account.is_empty()).then(|| account.to_string())
        });
        Ok(Request {
            caller,
            principal_account,
            action,
            resource,
            resource_account,
            context,
            identity_policies: policy_list(fields, "identity_policies")?,
            permissions_boundary: optional_policy(fields, "permissions_boundary")?,
            session_policy: optional_policy(fields, "session_policy")?,
            scp: levels(fields, "scp")?,
            rcp: levels(fields, "rcp")?,
            resource_policy: optional_policy(fields, "resource_policy")?,
            vpc_endpoint_policy: optional_policy(fields, "vpc_endpoint_policy")?,
            block_public_access: block_public_access(fields)?,
        })
    }
}

impl Request {
    /// Every policy of the request, for checks that look at all of them.
    pub fn policies(&self) -> impl Iterator<Item = &Policy> {
        self.identity_policies
            .iter()
            .chain(&self.permissions_boundary)
            .chain(&self.session_policy)
            .chain(self.scp.iter().flatten().flatten())
            .chain(self.rcp.iter().flatten().flatten())
            .chain(&self.resource_policy)
            .chain(&self.vpc_endpoint_policy)
    }

    /// The strict reading `whydenied explain` applies to a request someone wrote by hand: a
    /// condition operator IAM does not know is a mistake to point at, not an unknown to reason
    /// about (the engine itself evaluates it as unknown, for policies read from a snapshot).
    pub fn check_operators(&self) -> Result<(), PolicyError> {
        for policy in self.policies() {
            for statement in &policy.statements {
                if let Some(entry) = statement
                    .conditions
                    .iter()
                    .find(|c| !super::condition::is_known_operator(&c.operator))
                {
                    return Err(PolicyError {
                        policy: policy.name.clone(),
                        message: format!(
                            "statement {}: Condition operator {:?} is not one IAM knows",
                            statement.label(),
                            entry.operator
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

fn required_string(fields: &Map<String, Value>, field: &str) -> Result<String, RequestError> {
    optional_string(fields, field)?.ok_or_else(|| field_error(field, "missing"))
}

fn optional_string(
    fields: &Map<String, Value>,
    field: &str,
) -> Result<Option<String>, RequestError> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(field_error(field, format!("{other} is not a string"))),
    }
}

fn string_list(fields: &Map<String, Value>, field: &str) -> Result<Vec<String>, RequestError> {
    match fields.get(field) {
        None => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| field_error(field, format!("{v} is not a string")))
            })
            .collect(),
        Some(other) => Err(field_error(field, format!("{other} is not a list of key names"))),
    }
}

fn context(fields: &Map<String, Value>) -> Result<Context, RequestError> {
    let empty = Map::new();
    let known = match fields.get("context") {
        None => &empty,
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(field_error(
                "context",
                format!("{other} is not an object of condition keys"),
            ));
        }
    };
    let known = known
        .iter()
        .map(|(key, value)| {
            let values = scalars(value).map_err(|e| field_error(&format!("context.{key}"), e))?;
            Ok((key.clone(), values))
        })
        .collect::<Result<Vec<(String, Vec<String>)>, RequestError>>()?;
    let mut seen = std::collections::HashSet::new();
    if let Some((key, _)) = known.iter().find(|(key, _)| !seen.insert(key.to_lowercase())) {
        return Err(field_error(
            &format!("context.{key}"),
            "given twice (condition keys are case-insensitive)",
        ));
    }
    Ok(Context::new(
        known,
        string_list(fields, "unknown_keys")?,
        string_list(fields, "present_unknown_keys")?,
    ))
}

/// A DOC: a document, a JSON string of one, or `{"name": …, "document": DOC}`.
fn policy(value: &Value, field: &str, default_name: String) -> Result<Policy, RequestError> {
    let (name, document) = match value {
        Value::Object(map) if map.contains_key("document") => {
            let name = match map.get("name") {
                None => default_name,
                Some(Value::String(n)) => n.clone(),
                Some(other) => {
                    return Err(field_error(field, format!("name {other} is not a string")));
                }
            };
            (name, &map["document"])
        }
        other => (default_name, other),
    };
    Policy::parse(&name, document)
        .map_err(|source| RequestError::Policy { field: field.to_string(), source })
}

fn optional_policy(
    fields: &Map<String, Value>,
    field: &str,
) -> Result<Option<Policy>, RequestError> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => policy(value, field, field.to_string()).map(Some),
    }
}

fn policy_list(fields: &Map<String, Value>, field: &str) -> Result<Vec<Policy>, RequestError> {
    match fields.get(field) {
        None => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, v)| policy(v, &format!("{field}[{i}]"), format!("{field}[{i}]")))
            .collect(),
        Some(other) => Err(field_error(field, format!("{other} is not a list of policies"))),
    }
}

fn levels(
    fields: &Map<String, Value>,
    field: &str,
) -> Result<Option<Vec<Vec<Policy>>>, RequestError> {
    match fields.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(levels)) => levels
            .iter()
            .enumerate()
            .map(|(level, policies)| match policies {
                Value::Array(list) => list
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let place = format!("{field}[{level}][{i}]");
                        policy(v, &place, place.clone())
                    })
                    .collect(),
                other => Err(field_error(
                    &format!("{field}[{level}]"),
                    format!("{other} is not a list of policies"),
                )),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(other) => {
            Err(field_error(field, format!("{other} is not a list of levels (lists of policies)")))
        }
    }
}

fn block_public_access(
    fields: &Map<String, Value>,
) -> Result<Option<BlockPublicAccess>, RequestError> {
    const FIELD: &str = "s3_block_public_access";
    let Some(value) = fields.get(FIELD) else { return Ok(None) };
    let Value::Object(map) = value else {
        return Err(field_error(FIELD, format!("{value} is not an object")));
    };
    let mut setting = BlockPublicAccess::default();
    for (key, v) in map {
        let flag = v.as_bool().ok_or_else(|| {
            field_error(&format!("{FIELD}.{key}"), format!("{v} is not true or false"))
        })?;
        match key.as_str() {
            "RestrictPublicBuckets" => setting.restrict_public_buckets = flag,
            "PolicyIsPublic" => setting.policy_is_public = Some(flag),
            // The other three settings refuse writes of policies and ACLs; the errorMessage names them.
            "BlockPublicAcls" | "IgnorePublicAcls" | "BlockPublicPolicy" => {}
            other => {
                return Err(field_error(
                    &format!("{FIELD}.{other}"),
                    "not a Block Public Access setting",
                ));
            }
        }
    }
    Ok(Some(setting))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn callers_from_their_arns() {
        let role = "arn:aws:iam::111122223333:role/app".to_string();
        let cases = [
            (
                "arn:aws:iam::111122223333:user/ops/alice",
                Some(Caller::User {
                    arn: "arn:aws:iam::111122223333:user/ops/alice".into(),
                    account: "111122223333".into(),
                }),
            ),
            (
                "arn:aws:iam::111122223333:role/app",
                Some(Caller::Role { arn: role.clone(), account: "111122223333".into() }),
            ),
            (
                "arn:aws:sts::111122223333:assumed-role/app/s1",
                Some(Caller::Session {
                    arn: "arn:aws:sts::111122223333:assumed-role/app/s1".into(),
                    role_arn: role,
                    account: "111122223333".into(),
                }),
            ),
            (
                "arn:aws:iam::111122223333:root",
                Some(Caller::Root { account: "111122223333".into() }),
            ),
            ("s3.amazonaws.com", Some(Caller::Service("s3.amazonaws.com".into()))),
            ("anonymous", Some(Caller::Anonymous)),
            ("arn:aws:iam::1111:user/x", None),
            ("arn:aws:s3:::bucket", None),
            ("alice", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(Caller::parse(text, None), want, "{text}");
        }
        let with_path = Caller::parse(
            "arn:aws:sts::111122223333:assumed-role/app/s1",
            Some("arn:aws:iam::111122223333:role/team/app"),
        );
        assert!(
            matches!(with_path, Some(Caller::Session { role_arn, .. }) if role_arn.ends_with("role/team/app"))
        );
        let slr = Caller::parse(
            "arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForX/s",
            Some(
                "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX",
            ),
        );
        assert!(slr.unwrap().is_service_linked_role());
    }

    #[test]
    fn key_states() {
        let ctx = Context::new(
            [("aws:SourceIp".to_string(), vec!["1.2.3.4".to_string()]), ("empty".into(), vec![])],
            vec!["aws:RequestTag/*".into(), "aws:SourceIp".into()],
            vec!["aws:PrincipalTag/team".into()],
        );
        assert_eq!(ctx.state("AWS:sourceip"), KeyState::Known(&["1.2.3.4".to_string()]));
        assert_eq!(ctx.state("aws:requesttag/env"), KeyState::Unknown);
        assert_eq!(ctx.state("aws:PrincipalTag/Team"), KeyState::PresentUnknown);
        assert_eq!(ctx.state("empty"), KeyState::Absent);
        assert_eq!(ctx.state("aws:username"), KeyState::Absent);
    }

    #[test]
    fn bad_requests_name_the_field() {
        let base =
            json!({"principal": "arn:aws:iam::111122223333:user/a", "action": "s3:GetObject"});
        assert!(Request::from_json(&base).is_ok());
        let cases = [
            (json!({"action": "s3:GetObject"}), "`principal`: missing"),
            (json!({"principal": "bob", "action": "s3:GetObject"}), "`principal`"),
            (json!({"principal": "anonymous", "action": "GetObject"}), "`action`"),
            (
                json!({"principal": "anonymous", "action": "s3:X", "identity_polices": []}),
                "`identity_polices`",
            ),
            (
                json!({"principal": "anonymous", "action": "s3:X", "context": {"k": {"a": 1}}}),
                "`context.k`",
            ),
            (
                json!({"principal": "anonymous", "action": "s3:X", "context": {"k": "a", "K": "b"}}),
                "given twice",
            ),
            (
                json!({"principal": "anonymous", "action": "s3:X", "scp": [{"Statement": []}]}),
                "`scp[0]`",
            ),
            (
                json!({"principal": "anonymous", "action": "s3:X", "identity_policies": [{"Statement": 1}]}),
                "`identity_policies[0]`",
            ),
            (
                json!({"principal": "anonymous", "action": "s3:X", "s3_block_public_access": {"Restrict": true}}),
                "`s3_block_public_access.Restrict`",
            ),
        ];
        for (request, want) in cases {
            let error = Request::from_json(&request).expect_err(&request.to_string()).to_string();
            assert!(error.contains(want), "{error}");
        }
    }

    #[test]
    fn resource_account_comes_from_the_arn_when_not_given() {
        let r = Request::from_json(&json!({"principal": "anonymous", "action": "sqs:SendMessage", "resource": "arn:aws:sqs:us-east-1:444455556666:q"})).unwrap();
        assert_eq!(r.resource_account.as_deref(), Some("444455556666"));
        let r = Request::from_json(&json!({"principal": "anonymous", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"})).unwrap();
        assert_eq!(r.resource_account, None);
    }
}
