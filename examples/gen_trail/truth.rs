//! What the generator *meant* each denial of the sample to be: reads the trail it wrote back,
//! evaluates every denial against the policies of [`super::world`] (as the trail left them at the
//! event's time) and writes one CSV row per denial: `event_id,verdict,layer,policy,statement,note`.
//!
//! The evaluation follows AWS's documented logic as POLICY.md §1.7 summarises it, for the small
//! policy language the world uses (actions and resources with `*`, `Principal` by account, ARN or
//! service, the three condition keys the world's policies test). It is written for these policies,
//! not as a general engine: whatever it cannot decide with confidence gets a `note` and stays out
//! of the strict comparison (tests/reference/check_verdicts.py). Vocabulary: issue 16 and POLICY.md
//! §4.5; naming of policies and statements: POLICY.md §2.3.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde_json::Value;

use super::world::{self, Entity};
use super::{ACCOUNTS, APIS, KMS_KEYS, VPC_ENDPOINT};

/// Error codes that make a record a denial, as the README's "What counts as a denial" lists them
/// (and tests/reference/check_scan.py recomputes them).
const DENIAL_CODES: &[&str] = &[
    "accessdenied",
    "accessdeniedexception",
    "accessdeniedfault",
    "accessdeniedfordependencyexception",
    "authorizationerror",
    "authorizationerrorexception",
    "client.unauthorizedoperation",
    "forbidden",
    "forbiddenexception",
    "insufficientprivilegesexception",
    "kmsaccessdeniedexception",
    "unauthorizedexception",
    "unauthorizedoperation",
    "vpceaccessdenied",
];

/// Services whose own resource policies (topics, functions, secrets, tables…) the snapshot does
/// not hold: an implicit deny there could be lifted by such a policy.
const UNMODELLED_RESOURCE_POLICIES: &[&str] =
    &["sns", "lambda", "secretsmanager", "dynamodb", "sqs", "ecr", "acm-pca", "ses"];

fn is_denial(r: &Value) -> bool {
    let code = r["errorCode"].as_str().unwrap_or_default();
    if code.is_empty() {
        return false;
    }
    if DENIAL_CODES.contains(&code.to_ascii_lowercase().as_str()) {
        return true;
    }
    let message = r["errorMessage"].as_str().unwrap_or_default().to_ascii_lowercase();
    message.contains("is not authorized to perform")
        || message.contains("explicit deny")
        || message.find("because no ").is_some_and(|at| message[at..].contains(" allows the "))
}

/// Kleene's three truth values.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Tri {
    T,
    F,
    U,
}
use Tri::*;

impl Tri {
    fn of(b: bool) -> Tri {
        if b { T } else { F }
    }
    fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (F, _) | (_, F) => F,
            (T, T) => T,
            _ => U,
        }
    }
    fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (T, _) | (_, T) => T,
            (F, F) => F,
            _ => U,
        }
    }
}

/// Who made the request, as far as the evaluation needs it.
#[derive(Clone, PartialEq)]
enum Caller {
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
    Service(String),
    Anonymous,
    /// A SAML or web identity caller of `AssumeRoleWith*`.
    Federation,
}

impl Caller {
    fn account(&self) -> Option<&str> {
        match self {
            Caller::User { account, .. }
            | Caller::Role { account, .. }
            | Caller::Root { account } => Some(account),
            _ => None,
        }
    }
}

/// One denial as the evaluation sees it.
struct Request<'r> {
    time: &'r str,
    caller: Caller,
    action: String,
    resource: String,
    region: &'r str,
    account: &'r str,
    vpce: Option<&'r str>,
    tls: bool,
    acl: Option<&'r str>,
}

/// The generator's verdict on one denial.
struct Truth {
    verdict: &'static str,
    layer: &'static str,
    policy: String,
    statement: String,
    note: String,
}

impl Truth {
    fn plain(verdict: &'static str, note: &str) -> Truth {
        Truth {
            verdict,
            layer: "",
            policy: String::new(),
            statement: String::new(),
            note: note.to_owned(),
        }
    }
}

/// Case-insensitive (actions) or case-sensitive (resources) glob with `*` and `?`.
fn glob(pattern: &str, text: &str, fold: bool) -> bool {
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

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a `Principal` element names the caller: `Some(direct)` (by its own ARN) or `None`.
fn principal_matches(element: &Value, caller: &Caller) -> Tri {
    if element.as_str() == Some("*") {
        return T;
    }
    let mut result = F;
    for entry in strings(&element["AWS"]) {
        let hit = match caller {
            _ if entry == "*" => !matches!(caller, Caller::Service(_) | Caller::Federation),
            Caller::User { account, arn } | Caller::Role { account, arn } => {
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
fn condition_holds(condition: &Value, req: &Request) -> Tri {
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
fn applies(statement: &Value, req: &Request, resource_policy: bool) -> Tri {
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
enum Doc {
    Known(Value),
    Absent,
    Unknown(String),
}

/// What one layer says: its first definite Deny, whether some Deny may apply, whether it allows.
struct Layer {
    name: &'static str,
    deny: Option<(String, String)>,
    maybe_deny: bool,
    allow: Tri,
    /// The policy named for an implicit deny by a single-policy layer.
    single: String,
    gap: Option<String>,
}

fn layer(name: &'static str, policies: &[(String, Doc)], req: &Request, resource: bool) -> Layer {
    let mut out =
        Layer { name, deny: None, maybe_deny: false, allow: F, single: String::new(), gap: None };
    if let [(policy, _)] = policies {
        out.single = policy.clone();
    }
    for (policy, doc) in policies {
        let doc = match doc {
            Doc::Known(doc) => doc,
            Doc::Absent => continue,
            Doc::Unknown(why) => {
                out.maybe_deny = true;
                out.allow = out.allow.or(U);
                out.gap = Some(why.clone());
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

/// Changes of policies the trail made, by what they changed: the as-of-event replay.
#[derive(Default)]
struct History {
    /// Bucket → (time, document after the change).
    buckets: BTreeMap<String, Vec<(String, Option<Value>)>>,
    /// `account/user-or-role name` → times of changes whose effect the trail does not spell out.
    entities: BTreeMap<String, Vec<String>>,
    /// `account/role name` → times of changes of its trust policy.
    trusts: BTreeMap<String, Vec<String>>,
}

impl History {
    fn record(&mut self, r: &Value) {
        if !r["errorCode"].is_null() {
            return; // A failed change changes nothing (POLICY.md §6.2).
        }
        let (time, params) =
            (r["eventTime"].as_str().unwrap_or_default().to_owned(), &r["requestParameters"]);
        let account = r["recipientAccountId"].as_str().unwrap_or_default();
        let name = r["eventName"].as_str().unwrap_or_default();
        match name {
            "PutBucketPolicy" | "DeleteBucketPolicy" => {
                let Some(bucket) = params["bucketName"].as_str() else { return };
                let doc =
                    params["bucketPolicy"].is_object().then(|| params["bucketPolicy"].clone());
                let doc = if name == "DeleteBucketPolicy" { Some(Value::Null) } else { doc };
                self.buckets.entry(bucket.to_owned()).or_default().push((time, doc));
            }
            "CreateRole"
            | "DeleteRole"
            | "UpdateAssumeRolePolicy"
            | "PutRolePolicy"
            | "DeleteRolePolicy"
            | "AttachRolePolicy"
            | "DetachRolePolicy"
            | "PutRolePermissionsBoundary"
            | "DeleteRolePermissionsBoundary" => {
                let role = params["roleName"].as_str().unwrap_or("?");
                let key = format!("{account}/{role}");
                if matches!(name, "CreateRole" | "DeleteRole" | "UpdateAssumeRolePolicy") {
                    self.trusts.entry(key.clone()).or_default().push(time.clone());
                }
                self.entities.entry(key).or_default().push(time);
            }
            "PutUserPolicy"
            | "DeleteUserPolicy"
            | "AttachUserPolicy"
            | "DetachUserPolicy"
            | "AddUserToGroup"
            | "RemoveUserFromGroup"
            | "PutUserPermissionsBoundary" => {
                let user = params["userName"].as_str().unwrap_or("?");
                self.entities.entry(format!("{account}/{user}")).or_default().push(time);
            }
            _ => {}
        }
    }

    /// The bucket policy as of `time`: the trail's last change at or before it, else the snapshot.
    fn bucket(&self, bucket: &str, time: &str) -> Doc {
        let last = self.buckets.get(bucket).and_then(|changes| {
            changes.iter().filter(|(t, _)| t.as_str() <= time).max_by(|a, b| a.0.cmp(&b.0))
        });
        match last {
            Some((_, Some(Value::Null))) => Doc::Absent,
            Some((_, Some(doc))) => Doc::Known(doc.clone()),
            Some((t, None)) => Doc::Unknown(format!(
                "bucket policy of {bucket} set at {t} without its document in the trail"
            )),
            None => match world::bucket_policy(bucket) {
                Some(doc) => Doc::Known(doc),
                None if bucket == world::BUCKET_NOT_CAPTURED => {
                    Doc::Unknown(format!("bucket policy of {bucket} not captured"))
                }
                None if world::bucket_owner(bucket).is_some() => Doc::Absent,
                None => Doc::Unknown(format!("bucket {bucket} not in the snapshot")),
            },
        }
    }

    fn changed(map: &BTreeMap<String, Vec<String>>, key: &str, time: &str) -> Option<String> {
        map.get(key)?.iter().filter(|t| t.as_str() <= time).max().cloned()
    }
}

/// The account and name of an IAM ARN (`arn:aws:iam::A:role/path/name` → (A, name)).
fn account_and_name(arn: &str) -> (&str, &str) {
    let account = arn.split(':').nth(4).unwrap_or_default();
    (account, arn.rsplit('/').next().unwrap_or_default())
}

/// The identity policies and boundary of a user or role, by ARN.
fn entity(arn: &str) -> Option<Entity> {
    let (account, _) = account_and_name(arn);
    let users = world::users(account).into_iter();
    let roles = world::roles(account).into_iter().map(|(_, _, e)| e);
    users.chain(roles).find(|e| e.arn == arn)
}

fn identity_policies(e: &Entity, account: &str) -> Vec<(String, Doc)> {
    let mut out: Vec<(String, Doc)> = e
        .inline
        .iter()
        .map(|(name, doc)| (format!("{}#inline/{name}", e.arn), Doc::Known(doc.clone())))
        .collect();
    let managed = |arn: &String| {
        (
            arn.clone(),
            world::managed_document(account, arn)
                .map_or(Doc::Unknown(format!("{arn} not in the snapshot")), Doc::Known),
        )
    };
    out.extend(e.attached.iter().map(managed));
    for g in &e.groups {
        let group_arn = format!("arn:aws:iam::{account}:group/{g}");
        if let Some((inline, attached)) = world::group(account, g) {
            out.extend(
                inline.into_iter().map(|(n, d)| (format!("{group_arn}#inline/{n}"), Doc::Known(d))),
            );
            out.extend(attached.iter().map(managed));
        }
    }
    out
}

/// The action and resource a denial is about: the message's, else the event's.
fn action_and_resource(r: &Value) -> (Option<String>, String) {
    let message = r["errorMessage"].as_str().unwrap_or_default();
    if let Some(at) = message.find("is not authorized to perform: ") {
        let rest = &message[at + "is not authorized to perform: ".len()..];
        let action = rest.split_whitespace().next().unwrap_or_default().to_owned();
        let resource = rest.find(" on resource: ").map(|on| {
            let tail = &rest[on + " on resource: ".len()..];
            let end =
                [" because ", " with an explicit deny"].iter().filter_map(|m| tail.find(m)).min();
            tail[..end.unwrap_or(tail.len())].trim().trim_matches('"').to_owned()
        });
        if let Some(resource) = resource {
            return (Some(action), resource);
        }
        return (Some(action), resource_of(r));
    }
    let name = r["eventName"].as_str().unwrap_or_default();
    let source = r["eventSource"].as_str().unwrap_or_default();
    let action =
        APIS.iter().find(|a| a.name == name && a.source == source).map(|a| a.action.to_owned());
    (action, resource_of(r))
}

fn resource_of(r: &Value) -> String {
    if let Some(arn) =
        r["resources"].as_array().and_then(|l| l.first()).and_then(|x| x["ARN"].as_str())
    {
        return arn.to_owned();
    }
    let p = &r["requestParameters"];
    match (p["bucketName"].as_str(), p["key"].as_str()) {
        (Some(b), Some(k)) => return format!("arn:aws:s3:::{b}/{k}"),
        (Some(b), None) => return format!("arn:aws:s3:::{b}"),
        _ => {}
    }
    ["roleArn", "keyId", "topicArn", "secretId"]
        .iter()
        .find_map(|k| p[*k].as_str().filter(|v| v.starts_with("arn:")))
        .unwrap_or_default()
        .to_owned()
}

/// Messages of a service's own check (not a policy decision) and records the generator does not
/// model, with why.
fn out_of_model(r: &Value) -> Option<&'static str> {
    let code = r["errorCode"].as_str().unwrap_or_default();
    let message = r["errorMessage"].as_str().unwrap_or_default();
    // KMS gives the "does not exist … or you are not allowed to access" text for a key policy
    // that refuses, too; STS says "Not authorized" for a trust policy that refuses a federation.
    let policy_shaped = message.contains("is not authorized to perform: ")
        || message == "Access Denied"
        || message.starts_with("You are not authorized to perform this operation.")
        || message.starts_with("The ciphertext refers to a customer master key")
        || message.starts_with("Not authorized to perform sts:AssumeRoleWith");
    if message.contains("block public access setting") || message.contains("BlockedEncryptionTypes")
    {
        return Some("the message names an S3 setting, not a policy");
    }
    if message.contains("SNS:") || message.contains("on resource `") {
        return Some("the message names the action in a form the generator does not model");
    }
    (!policy_shaped
        || !matches!(
            code,
            "AccessDenied"
                | "AccessDeniedException"
                | "AuthorizationError"
                | "UnauthorizedOperation"
                | "Client.UnauthorizedOperation"
        ))
    .then_some("the denial is a service's own check (error code or message), not a policy decision")
}

fn caller_of(r: &Value) -> Result<Caller, Truth> {
    let id = &r["userIdentity"];
    let text = |k: &str| id[k].as_str().unwrap_or_default().to_owned();
    let partition_ok = |arn: &str| arn.starts_with("arn:aws:");
    let not_in_snapshot = || Err(Truth::plain("not_evaluated", ""));
    match id["type"].as_str() {
        // The snapshot is of partition `aws`: an account of aws-cn or aws-us-gov is another
        // account, whatever its number.
        Some("IAMUser") if partition_ok(&text("arn")) => {
            Ok(Caller::User { account: text("accountId"), arn: text("arn") })
        }
        Some("AssumedRole") => {
            let role = id["sessionContext"]["sessionIssuer"]["arn"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if !partition_ok(&role) {
                return not_in_snapshot();
            }
            Ok(Caller::Role { account: text("accountId"), arn: role })
        }
        Some("IAMUser") => not_in_snapshot(),
        Some("Root") => Ok(Caller::Root { account: text("accountId") }),
        Some("AWSService") => Ok(Caller::Service(text("invokedBy"))),
        Some("AWSAccount") if text("accountId") == "ANONYMOUS_PRINCIPAL" => Ok(Caller::Anonymous),
        Some("AWSAccount") if !ACCOUNTS.contains(&text("accountId").as_str()) => not_in_snapshot(),
        Some("SAMLUser" | "WebIdentityUser") => Ok(Caller::Federation),
        Some("FederatedUser") => Err(Truth::plain(
            "conditional",
            "a federated user's permissions are its session policy, which no GetFederationToken in the trail gives",
        )),
        _ => not_in_snapshot(),
    }
}

/// The verdict the generator meant for one denial.
fn judge(r: &Value, history: &History) -> Truth {
    let caller = match caller_of(r) {
        Ok(c) => c,
        Err(t) => return t,
    };
    if let Some(why) = out_of_model(r) {
        return Truth::plain("", why);
    }
    let (Some(action), resource) = action_and_resource(r) else {
        return Truth::plain(
            "not_evaluated",
            "no IAM action for this event in the generator's table",
        );
    };
    let p = &r["requestParameters"];
    let extra = &r["additionalEventData"];
    let req = Request {
        time: r["eventTime"].as_str().unwrap_or_default(),
        caller,
        action,
        resource,
        region: r["awsRegion"].as_str().unwrap_or_default(),
        account: r["recipientAccountId"].as_str().unwrap_or_default(),
        vpce: r["vpcEndpointId"].as_str(),
        tls: !r["tlsDetails"].is_null() || !extra["CipherSuite"].is_null(),
        acl: p["x-amz-acl"].as_str(),
    };
    evaluate(&req, history)
}

fn evaluate(req: &Request, history: &History) -> Truth {
    let mut notes: Vec<String> = Vec::new();
    let service = req.action.split(':').next().unwrap_or_default().to_owned();
    let principal_account = req.caller.account().map(str::to_owned);

    // SCPs of the principal's account (never for service principals, anonymous or federation).
    let scp = principal_account.as_deref().map(|account| {
        let chain = world::scp_chain(account);
        let docs: Vec<(String, Doc)> =
            chain.iter().map(|p| (p.arn(), Doc::Known(p.doc.clone()))).collect();
        let mut l = layer("scp", &docs, req, false);
        // FullAWSAccess is attached to every node of the chain, so some Allow holds at each.
        if !chain.is_empty() {
            l.allow = Tri::of(chain.iter().any(|p| p.id == "p-FullAWSAccess")).and(l.allow);
        } else {
            l.allow = T;
        }
        l
    });

    // The principal's own policies, unless the trail changed them without saying how.
    let entity = match &req.caller {
        Caller::User { arn, .. } | Caller::Role { arn, .. } => match entity(arn) {
            Some(e) => Some(e),
            None => return Truth::plain("not_evaluated", "principal not in the snapshot"),
        },
        _ => None,
    };
    let changed = entity.as_ref().and_then(|e| {
        let (account, name) = account_and_name(&e.arn);
        History::changed(&history.entities, &format!("{account}/{name}"), req.time)
    });
    let (boundary, identity) = match (&entity, &changed) {
        (Some(e), None) => {
            let account = account_and_name(&e.arn).0;
            let boundary = e.boundary.as_ref().map(|arn| {
                let doc = world::managed_document(account, arn).map_or(Doc::Absent, Doc::Known);
                layer("permissions_boundary", &[(arn.clone(), doc)], req, false)
            });
            (boundary, Some(layer("identity_policy", &identity_policies(e, account), req, false)))
        }
        (Some(e), Some(t)) => {
            let why = format!("{} changed at {t} in the trail without the whole document", e.arn);
            let unknown =
                layer("identity_policy", &[(String::new(), Doc::Unknown(why.clone()))], req, false);
            let boundary = (e.boundary.is_some()).then(|| {
                layer("permissions_boundary", &[(String::new(), Doc::Unknown(why))], req, false)
            });
            (boundary, Some(unknown))
        }
        (None, _) => (None, None),
    };

    // The resource's policy: bucket, key or trust policy.
    let mut resource_account: Option<String> = None;
    let resource = if service == "s3" && req.resource.starts_with("arn:aws:s3:::") {
        let bucket =
            req.resource["arn:aws:s3:::".len()..].split('/').next().unwrap_or_default().to_owned();
        resource_account = world::bucket_owner(&bucket).map(str::to_owned);
        let name = format!("arn:aws:s3:::{bucket}#bucket-policy");
        if matches!(history.bucket(&bucket, req.time), Doc::Absent) {
            notes.push(format!("{bucket} has no bucket policy (NoSuchBucketPolicy)"));
        }
        Some(layer("resource_policy", &[(name, history.bucket(&bucket, req.time))], req, true))
    } else if service == "kms" && req.resource.starts_with("arn:aws:kms:") {
        let (account, key) = account_and_name(&req.resource);
        resource_account = Some(account.to_owned());
        let doc = if ACCOUNTS.contains(&account) && KMS_KEYS.contains(&key) {
            Doc::Known(world::key_policy(account, key))
        } else {
            Doc::Unknown(format!("key {} not in the snapshot", req.resource))
        };
        Some(layer("resource_policy", &[(format!("{}#key-policy", req.resource), doc)], req, true))
    } else if req.action.to_ascii_lowercase().starts_with("sts:assumerole") {
        let (account, name) = account_and_name(&req.resource);
        resource_account = Some(account.to_owned());
        let role = world::roles(account).into_iter().find(|(_, _, e)| e.arn == req.resource);
        let doc = match (
            role,
            History::changed(&history.trusts, &format!("{account}/{name}"), req.time),
        ) {
            (_, Some(t)) => Doc::Unknown(format!(
                "role {name} of {account} re-created at {t}: its trust policy is not in the trail"
            )),
            (Some((_, _, e)), None) => e.trust.map_or(Doc::Absent, Doc::Known),
            (None, None) => Doc::Unknown(format!("role {} not in the snapshot", req.resource)),
        };
        Some(layer(
            "role_trust_policy",
            &[(format!("{}#trust-policy", req.resource), doc)],
            req,
            true,
        ))
    } else {
        if UNMODELLED_RESOURCE_POLICIES.contains(&service.as_str()) {
            notes.push(format!("{service} resource policies are not in the snapshot"));
        }
        None
    };

    // The VPC endpoint's policy, when the request came through the sample's endpoint.
    let elsewhere = (req.account, req.region) != world::ENDPOINT_HOME;
    let elsewhere = elsewhere
        .then_some("the endpoint is logged in another account or region than the snapshot has it");
    let endpoint = (req.vpce == Some(VPC_ENDPOINT)).then(|| {
        let name = format!("{VPC_ENDPOINT}#endpoint-policy");
        layer("vpc_endpoint_policy", &[(name, Doc::Known(world::endpoint_policy()))], req, true)
    });

    let order: Vec<&Layer> =
        [&scp, &boundary, &identity, &resource, &endpoint].into_iter().flatten().collect();
    for (i, l) in order.iter().enumerate() {
        if let Some((policy, statement)) = &l.deny {
            let mut note = Vec::new();
            if l.name == "vpc_endpoint_policy" {
                note.extend(elsewhere);
            }
            if order[..i].iter().any(|earlier| earlier.maybe_deny) {
                note.push("an earlier layer may deny too");
            }
            let note = note.join("; ");
            return Truth {
                verdict: "explicit_deny",
                layer: l.name,
                policy: policy.clone(),
                statement: statement.clone(),
                note,
            };
        }
    }
    notes.extend(order.iter().filter_map(|l| l.gap.clone()));
    let maybe_deny = order.iter().any(|l| l.maybe_deny);

    // Which layers must allow, and whether the whole request is allowed.
    let is_root = matches!(req.caller, Caller::Root { .. });
    let boundary_ok = boundary.as_ref().map_or(T, |l| l.allow);
    let identity_ok = if is_root { T } else { identity.as_ref().map_or(F, |l| l.allow) };
    let iam_ok = boundary_ok.and(identity_ok);
    let same_account = match (&resource_account, &principal_account) {
        (Some(r), Some(p)) => r == p,
        _ => true,
    };
    let mut required: Vec<&Layer> = Vec::new();
    let allowed = match (&req.caller, &resource) {
        (Caller::Service(_) | Caller::Anonymous | Caller::Federation, Some(res)) => {
            required.push(res);
            res.allow
        }
        (Caller::Service(_) | Caller::Anonymous | Caller::Federation, None) => {
            return Truth::plain(
                "conditional",
                "a caller without identity policies on a resource the snapshot has no policy for",
            );
        }
        (_, None) => {
            required.extend(boundary.iter().chain(identity.iter()));
            iam_ok
        }
        (_, Some(res)) if res.name == "role_trust_policy" && is_root => {
            return Truth::plain(
                "",
                "the root user calling AssumeRole: AWS refuses it before any policy",
            );
        }
        (_, Some(res)) if res.name == "resource_policy" && service == "s3" && same_account => {
            if res.allow == T {
                notes.push("a same-account bucket policy grant: its bypass of IAM depends on whom it names".into());
            }
            required.extend(boundary.iter().chain(identity.iter()));
            iam_ok.or(res.allow)
        }
        (_, Some(res)) => {
            // Key policies and trust policies must allow, as must a cross-account resource policy.
            required.extend(boundary.iter().chain(identity.iter()));
            required.push(res);
            iam_ok.and(res.allow)
        }
    };
    let allowed = match &endpoint {
        Some(e) => {
            required.push(e);
            allowed.and(e.allow)
        }
        None => allowed,
    };
    notes.dedup();
    let gaps_only = notes.iter().all(|n| is_gap(n));
    let layer_allow = |l: &Layer| {
        if l.name == "identity_policy" { identity_ok } else { l.allow }
    };
    let note = |extra: &str| {
        let mut all = notes.clone();
        if !extra.is_empty() {
            all.push(extra.to_owned());
        }
        all.join("; ")
    };
    match allowed {
        T if !maybe_deny => Truth::plain("allowed_now", &note("")),
        // A verdict that hangs on a policy the snapshot or the trail does not hold is
        // `conditional` for certain; on anything else, only perhaps.
        T | U if gaps_only && !notes.is_empty() => Truth::plain("conditional", ""),
        T | U => Truth::plain(
            "conditional",
            &note("depends on what the record or the snapshot does not say"),
        ),
        F => {
            let Some(first) = required.iter().find(|l| layer_allow(l) == F) else {
                return Truth::plain("conditional", &note("no single refusing layer"));
            };
            let extra = if maybe_deny {
                "a Deny may also apply (explicit or implicit is not known)"
            } else {
                ""
            };
            let single = matches!(
                first.name,
                "permissions_boundary"
                    | "resource_policy"
                    | "role_trust_policy"
                    | "vpc_endpoint_policy"
            );
            let policy = if single { first.single.clone() } else { String::new() };
            // Notes that do not change an implicit deny by the layer that refuses first.
            let keep: Vec<String> = notes
                .iter()
                .filter(|n| {
                    n.contains("resource policies are not in the snapshot")
                        || n.contains("no bucket policy") && first.name == "resource_policy"
                        || is_gap(n)
                })
                .cloned()
                .collect();
            let mut all = keep;
            if first.name == "vpc_endpoint_policy" {
                all.extend(elsewhere.map(str::to_owned));
            }
            if !extra.is_empty() {
                all.push(extra.to_owned());
            }
            Truth {
                verdict: "implicit_deny",
                layer: first.name,
                policy,
                statement: String::new(),
                note: all.join("; "),
            }
        }
    }
}

/// A note that names a policy the evaluation lacks (not captured, or changed by the trail without
/// its document): the verdict is `conditional` because of it.
fn is_gap(note: &str) -> bool {
    [
        "not captured",
        "without its document",
        "without the whole document",
        "trust policy is not in the trail",
        "not in the snapshot",
    ]
    .iter()
    .any(|g| note.contains(g))
        && !note.contains("resource policies are not in the snapshot")
}

fn trail_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            trail_files(&path, out)?;
        } else if path.to_string_lossy().contains("/CloudTrail/") {
            out.push(path);
        }
    }
    Ok(())
}

/// Every record of the trail under `out/AWSLogs`, in file order.
pub(super) fn records(out: &Path) -> io::Result<Vec<Value>> {
    let mut files = Vec::new();
    trail_files(&out.join("AWSLogs"), &mut files)?;
    files.sort();
    let mut all = Vec::new();
    for path in files {
        let reader = BufReader::new(GzDecoder::new(File::open(&path)?));
        let doc: Value = serde_json::from_reader(reader).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display()))
        })?;
        if let Value::Array(list) = &doc["Records"] {
            all.extend(list.iter().cloned());
        }
    }
    Ok(all)
}

/// A CSV field, quoted when it needs to be.
fn csv(field: &str) -> String {
    if field.contains([',', '"', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Writes the truth CSV for the trail's `records`; returns (rows, rows with a note).
pub(super) fn write_truth(records: &[Value], path: &Path) -> io::Result<(usize, usize)> {
    let mut history = History::default();
    records.iter().for_each(|r| history.record(r));
    let mut rows: Vec<(String, Truth)> = records
        .iter()
        .filter(|r| is_denial(r))
        .map(|r| (r["eventID"].as_str().unwrap_or_default().to_owned(), judge(r, &history)))
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::from("event_id,verdict,layer,policy,statement,note\n");
    for (id, t) in &rows {
        let fields = [id.as_str(), t.verdict, t.layer, &t.policy, &t.statement, &t.note];
        text.push_str(&fields.map(csv).join(","));
        text.push('\n');
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir)?;
    }
    File::create(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    Ok((rows.len(), rows.iter().filter(|(_, t)| !t.note.is_empty()).count()))
}
