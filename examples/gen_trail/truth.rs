//! What the generator *meant* each denial of the sample to be: reads the trail it wrote back,
//! evaluates every denial against the policies of [`super::world`] (as the trail left them at the
//! event's time) and writes one CSV row per denial: `event_id,verdict,layer,policy,statement,note`.
//!
//! The evaluation follows AWS's documented logic as POLICY.md §1.7 summarises it, for the small
//! policy language the world uses (actions and resources with `*`, `Principal` by account, ARN or
//! service, the three condition keys the world's policies test). It is written for these policies,
//! not as a general engine. It follows the rules of README "Every denial judged": a policy the
//! trail changes after the event without an earlier document, or a user or role it changes as a
//! whole, is not known at the event (`conditional` when the verdict hangs on it, `allowed_now` when
//! today's snapshot allows it). Only a denial it leaves out of its model (a service's own check, an
//! S3 setting) gets a `note` and stays out of the strict comparison
//! (tests/reference/check_verdicts.py). Vocabulary: issue 16 and POLICY.md §4.5; naming of
//! policies and statements: POLICY.md §2.3.

use std::fs::{self, File};
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde_json::Value;

use super::matching::{Caller, Doc, Layer, Request, Tri, Tri::*, layer};
use super::replay::History;
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
        (arn.clone(), world::managed_document(account, arn).map_or(Doc::Unknown, Doc::Known))
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
            let named = tail[..end.unwrap_or(tail.len())].trim().trim_matches('"');
            // IAM names its resources `role NAME` and `policy ARN`.
            let account = r["recipientAccountId"].as_str().unwrap_or_default();
            match (named.strip_prefix("policy "), named.strip_prefix("role ")) {
                (Some(arn), _) => arn.to_owned(),
                (_, Some(name)) => format!("arn:aws:iam::{account}:role/{name}"),
                _ => named.to_owned(),
            }
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
    // S3 checks another action for one version of an object: "To get a specific version … you
    // need s3:GetObjectVersion" (S3 API reference, GetObject; DeleteObject likewise).
    let versioned = !r["requestParameters"]["versionId"].is_null();
    let action = match action.as_deref() {
        Some("s3:GetObject") if versioned => Some("s3:GetObjectVersion".to_owned()),
        Some("s3:DeleteObject") if versioned => Some("s3:DeleteObjectVersion".to_owned()),
        _ => action,
    };
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
        Some("FederatedUser") if partition_ok(&text("arn")) => {
            Ok(Caller::FederatedUser { account: text("accountId"), arn: text("arn") })
        }
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
        vpce: r["vpcEndpointId"].as_str(),
        tls: !r["tlsDetails"].is_null() || !extra["CipherSuite"].is_null(),
        acl: p["x-amz-acl"].as_str(),
    };
    let verdict = evaluate(&req, history);
    // Rule 4 (README "Every denial judged"): undecided only for want of policies the trail
    // changed after the event, and today's (the snapshot's, an empty replay) allow it.
    if verdict.verdict == "conditional"
        && verdict.note.is_empty()
        && evaluate(&req, &History::default()).verdict == "allowed_now"
    {
        return Truth::plain("allowed_now", "");
    }
    verdict
}

fn evaluate(req: &Request, history: &History) -> Truth {
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
    // A user or role the trail changes as a whole after the event: its identity policies and
    // its boundary are unknown at the event (their earlier documents are not replayed).
    let unknown = |kind: &'static str| layer(kind, &[(String::new(), Doc::Unknown)], req, false);
    let (boundary, identity) = match &entity {
        // A federated user's session policy is not in the trail (no GetFederationToken there).
        None if matches!(req.caller, Caller::FederatedUser { .. }) => {
            (None, Some(unknown("identity_policy")))
        }
        Some(e) => {
            let (account, name) = account_and_name(&e.arn);
            let key = format!("{account}/{name}");
            let changed = History::changed_after(&history.entities, &key, req.time);
            if changed {
                (Some(unknown("permissions_boundary")), Some(unknown("identity_policy")))
            } else {
                let boundary = e.boundary.as_ref().map(|arn| {
                    let doc = world::managed_document(account, arn).map_or(Doc::Absent, Doc::Known);
                    layer("permissions_boundary", &[(arn.clone(), doc)], req, false)
                });
                (
                    boundary,
                    Some(layer("identity_policy", &identity_policies(e, account), req, false)),
                )
            }
        }
        None => (None, None),
    };

    // The resource's policy: bucket, key or trust policy.
    let mut resource_account: Option<String> = None;
    let resource = if service == "s3" && req.resource.starts_with("arn:aws:s3:::") {
        let bucket =
            req.resource["arn:aws:s3:::".len()..].split('/').next().unwrap_or_default().to_owned();
        resource_account = world::bucket_owner(&bucket).map(str::to_owned);
        let name = format!("arn:aws:s3:::{bucket}#bucket-policy");
        Some(layer("resource_policy", &[(name, history.bucket(&bucket, req.time))], req, true))
    } else if service == "kms" && req.resource.starts_with("arn:aws:kms:") {
        let (account, key) = account_and_name(&req.resource);
        resource_account = Some(account.to_owned());
        let doc = if ACCOUNTS.contains(&account) && KMS_KEYS.contains(&key) {
            Doc::Known(world::key_policy(account, key))
        } else {
            Doc::Unknown // a key the snapshot does not hold
        };
        Some(layer("resource_policy", &[(format!("{}#key-policy", req.resource), doc)], req, true))
    } else if req.action.to_ascii_lowercase().starts_with("sts:assumerole") {
        let (account, name) = account_and_name(&req.resource);
        resource_account = Some(account.to_owned());
        let role = world::roles(account).into_iter().find(|(_, _, e)| e.arn == req.resource);
        let doc = match (
            role,
            History::changed_after(&history.trusts, &format!("{account}/{name}"), req.time),
        ) {
            // Changed after the event: its trust policy then is not in the trail.
            (_, true) => Doc::Unknown,
            (Some((_, _, e)), false) => e.trust.map_or(Doc::Absent, Doc::Known),
            // A role the snapshot does not hold.
            (None, false) => Doc::Unknown,
        };
        Some(layer(
            "role_trust_policy",
            &[(format!("{}#trust-policy", req.resource), doc)],
            req,
            true,
        ))
    } else {
        // Other services' resource policies (topics, secrets, tables…) are not in the snapshot,
        // neither side evaluates them: the identity side decides.
        None
    };

    // The VPC endpoint's policy, when the request came through the sample's endpoint.
    let endpoint = (req.vpce == Some(VPC_ENDPOINT)).then(|| {
        let name = format!("{VPC_ENDPOINT}#endpoint-policy");
        layer("vpc_endpoint_policy", &[(name, Doc::Known(world::endpoint_policy()))], req, true)
    });

    let order: Vec<&Layer> =
        [&scp, &boundary, &identity, &resource, &endpoint].into_iter().flatten().collect();
    // The first Deny that applies for certain decides, whatever may apply besides.
    for l in &order {
        if let Some((policy, statement)) = &l.deny {
            return Truth {
                verdict: "explicit_deny",
                layer: l.name,
                policy: policy.clone(),
                statement: statement.clone(),
                note: String::new(),
            };
        }
    }
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
    let layer_allow = |l: &Layer| {
        if l.name == "identity_policy" { identity_ok } else { l.allow }
    };
    match allowed {
        T if !maybe_deny => Truth::plain("allowed_now", ""),
        // Allowed perhaps, or denied for certain but explicitly or implicitly as a Deny that
        // may apply decides: a different verdict for different values of the unknown.
        T | U => Truth::plain("conditional", ""),
        F if maybe_deny => Truth::plain("conditional", ""),
        F => {
            let Some(first) = required.iter().find(|l| layer_allow(l) == F) else {
                return Truth::plain("conditional", "no single refusing layer");
            };
            let single = matches!(
                first.name,
                "permissions_boundary"
                    | "resource_policy"
                    | "role_trust_policy"
                    | "vpc_endpoint_policy"
            );
            let policy = if single { first.single.clone() } else { String::new() };
            Truth {
                verdict: "implicit_deny",
                layer: first.name,
                policy,
                statement: String::new(),
                note: String::new(),
            }
        }
    }
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
