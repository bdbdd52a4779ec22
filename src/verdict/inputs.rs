//! From one denial to the [`Request`] the engine evaluates: who (the caller, from the principal
//! columns), what and on which resource, the context (the row's columns plus its `eval_context`),
//! and every policy that applied as of the event (snapshot, then trail replay).
//!
//! Nothing is guessed. A policy the snapshot lacks, or one changed between the event and the
//! snapshot with no earlier document in the trail, becomes a *not-known* policy: one Allow and
//! one Deny, each under a condition on a key no request has. The engine then cannot decide that
//! layer either way, the verdict comes out `conditional` when it depends on it, and the gap is
//! named (`eval_gaps`), as POLICY.md §4.6 asks.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::history::{AsOf, History, Subject, key_id};
use crate::classify::Denial;
use crate::classify::reason::{DeniedBy, PolicyType};
use crate::policy::Request;
use crate::policy::decide::TRUST_ACTIONS;
use crate::policy::document::{Policy, scalars};
use crate::policy::request::{Caller, Context};
use crate::report::rfc3339;
use crate::snapshot::{Known, Snapshot};

/// A denial made ready for the engine, with what the verdict reports about its inputs.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub request: Request,
    pub gaps: Vec<String>,
    pub assumptions: Vec<String>,
    /// Policies that came from the trail: name → `trail@<time>`.
    pub as_of: HashMap<String, String>,
    /// `snapshot@<captured_at>` when a snapshot was given.
    pub default_as_of: Option<String>,
    /// Today's version of each policy that is not known as of the event because it changed
    /// after it (`None`: there is none today), for telling `allowed_now` apart.
    pub now: Vec<(String, Option<Policy>)>,
    /// Today's identity policies, when the user or role changed as a whole after the event:
    /// then, only a not-known policy stands for them (one attached later must not be named).
    pub now_identity: Option<Vec<Policy>>,
}

impl Prepared {
    /// The request with today's policies in place of those that changed after the event, and
    /// without those that are gone today (no boundary is not an empty boundary, which would
    /// refuse everything); `None` when none changed.
    pub fn as_now(&self) -> Option<Request> {
        if self.now.is_empty() && self.now_identity.is_none() {
            return None;
        }
        let today = |policy: Policy| match self.now.iter().find(|(name, _)| *name == policy.name) {
            Some((_, now)) => now.clone(),
            None => Some(policy),
        };
        let list = |policies: &mut Vec<Policy>| {
            *policies = std::mem::take(policies).into_iter().filter_map(today).collect();
        };
        let mut r = self.request.clone();
        if let Some(today) = &self.now_identity {
            r.identity_policies = today.clone();
        }
        list(&mut r.identity_policies);
        for level in r.scp.iter_mut().chain(r.rcp.iter_mut()).flatten() {
            list(level);
        }
        for slot in [
            &mut r.permissions_boundary,
            &mut r.session_policy,
            &mut r.resource_policy,
            &mut r.vpc_endpoint_policy,
        ] {
            *slot = slot.take().and_then(today);
        }
        Some(r)
    }

    /// The one policy of a single-policy layer, named for an implicit deny there.
    pub fn single_policy(&self, layer: DeniedBy) -> Option<String> {
        let r = &self.request;
        let policy = match layer {
            DeniedBy::Policy(PolicyType::ResourceBased | PolicyType::RoleTrustPolicy) => {
                r.resource_policy.as_ref()
            }
            DeniedBy::Policy(PolicyType::PermissionsBoundary) => r.permissions_boundary.as_ref(),
            DeniedBy::Policy(PolicyType::SessionPolicy) => r.session_policy.as_ref(),
            DeniedBy::Policy(PolicyType::VpcEndpointPolicy) => r.vpc_endpoint_policy.as_ref(),
            _ => None,
        };
        policy.map(|p| p.name.clone())
    }
}

/// The snapshot and the trail's history, with the snapshot's capture time in microseconds.
pub struct Inputs<'a> {
    snapshot: Option<&'a Snapshot>,
    history: History<'a>,
    snapshot_time: Option<i64>,
}

/// Collects the gaps and provenance while one request is put together.
struct Builder<'i, 'a> {
    inputs: &'i Inputs<'a>,
    at: i64,
    gaps: Vec<String>,
    assumptions: Vec<String>,
    as_of: HashMap<String, String>,
    used_snapshot: bool,
    now: Vec<(String, Option<Policy>)>,
    now_identity: Option<Vec<Policy>>,
}

impl<'a> Inputs<'a> {
    pub fn new(snapshot: Option<&'a Snapshot>, history: History<'a>) -> Self {
        let snapshot_time = snapshot.and_then(Snapshot::captured_at).map(|t| t.timestamp_micros());
        Self { snapshot, history, snapshot_time }
    }

    /// The request for `denial`, or the gaps that keep it from being evaluated at all.
    pub fn prepare(&self, denial: &Denial) -> Result<Prepared, Vec<String>> {
        let Some(at) = denial.event_time else {
            return Err(vec!["event-time:missing".into()]);
        };
        let caller = caller_of(denial).ok_or_else(|| {
            vec![format!("principal:{}:not-evaluable", denial.principal.principal_type)]
        })?;
        if !denial.action.contains(':') {
            return Err(vec![format!("action:{}:unknown", denial.action)]);
        }
        if let Some(snapshot) = self.snapshot
            && let Some(partition) = caller_partition(denial)
            && partition != snapshot.partition()
        {
            return Err(vec![format!(
                "identity:{}:partition-{partition}-not-in-snapshot",
                denial.principal.principal
            )]);
        }
        if let (Some(snapshot), Some(account)) = (self.snapshot, caller.account())
            && caller.has_identity_policies()
            && !snapshot.accounts().any(|a| a == account)
        {
            return Err(vec![format!("identity:{account}:account-not-in-snapshot")]);
        }
        let mut b = Builder {
            inputs: self,
            at,
            gaps: Vec::new(),
            assumptions: Vec::new(),
            as_of: HashMap::new(),
            used_snapshot: false,
            now: Vec::new(),
            now_identity: None,
        };
        let action = denial.action.clone();
        let lower = action.to_lowercase();
        let trust = TRUST_ACTIONS.contains(&lower.as_str());
        let resource = resource_of(denial);

        // Identity policies, boundary and tags (users and roles; a session by its role).
        let mut identity_policies = Vec::new();
        let mut permissions_boundary = None;
        let mut tags = Vec::new();
        if caller.has_identity_policies() {
            let arn = denial.principal.principal.clone();
            match b.snapshot(|s| s.identity(&arn)) {
                Known::Present(identity) => {
                    let entity = entity_of(&arn);
                    for policy in identity.identity_policies {
                        identity_policies.extend(b.inline_as_of(policy, entity.as_ref()));
                    }
                    permissions_boundary = identity.permissions_boundary;
                    // Attachments, group membership, boundary, tags or the role itself changed
                    // after the event: what applied then is not in the trail.
                    if let Some((account, kind, name)) = entity {
                        let subject = Subject::Entity { account, kind, name };
                        if let AsOf::Unknown { changed_at } = b.history_as_of(&subject) {
                            let gap = format!(
                                "identity:{arn}:changed-after-event@{}",
                                rfc3339(Some(changed_at))
                            );
                            let placeholder = format!("{arn}#changed-after-event");
                            let then = vec![not_known(&placeholder, &gap, false)];
                            b.now_identity = Some(std::mem::replace(&mut identity_policies, then));
                            let boundary_name = format!("{arn}#permissions-boundary");
                            let today = permissions_boundary.take().map(|mut today| {
                                today.name = boundary_name.clone();
                                today
                            });
                            b.now.push((boundary_name.clone(), today));
                            permissions_boundary = Some(not_known(&boundary_name, &gap, false));
                            b.gaps.push(gap);
                        }
                    }
                    tags = identity.tags;
                }
                Known::Absent => {
                    let gap = format!("identity:{arn}:not-in-gaad");
                    identity_policies.push(not_known(&format!("{arn}#identity"), &gap, false));
                    b.gaps.push(gap);
                }
                Known::NotCaptured(gap) => {
                    identity_policies.push(not_known(&format!("{arn}#identity"), &gap.0, false));
                    b.gaps.push(gap.0);
                }
            }
        }

        // The session's own policy, joined through the access key its AssumeRole issued.
        let context_json =
            denial.eval_context.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok());
        let access_key = context_json
            .as_ref()
            .and_then(|c| c["context"]["whydenied:AccessKeyId"].as_str())
            .map(str::to_string);
        let mut session_policy = None;
        if matches!(caller, Caller::Session { .. } | Caller::FederatedUser { .. }) {
            match access_key.as_deref().and_then(|k| self.history.session(k)) {
                Some(parts) => {
                    session_policy = b.session_policy(&caller, parts);
                    // Session tags are principal tags of the session, over the role's own.
                    for (key, value) in session_tags(parts) {
                        tags.retain(|(k, _)| !k.eq_ignore_ascii_case(&key));
                        tags.push((key, value));
                    }
                }
                None => b.assumptions.push("A1 no session policy".into()),
            }
        }

        // Organization guardrails: SCPs of the caller's account, RCPs of the resource's.
        let scp = match caller.account() {
            Some(account)
                if caller.has_identity_policies() || matches!(caller, Caller::Root { .. }) =>
            {
                b.org_chain(|s| s.scp_chain(account), &format!("scp-chain:{account}"))
            }
            _ => None,
        };

        // The resource's own policy, Block Public Access and account.
        let mut resource_policy = None;
        let mut resource_account = None;
        let mut block_public_access = None;
        let bucket = denial.target.bucket.as_deref().filter(|_| lower.starts_with("s3:"));
        if trust {
            if let Some(role_arn) = resource.as_deref().filter(|r| r.contains(":role/")) {
                resource_policy = b.trust_policy(role_arn);
            }
        } else if let Some(bucket) = bucket {
            resource_account =
                self.snapshot.and_then(|s| s.bucket_account(bucket)).map(str::to_string);
            let subject = Subject::BucketPolicy { bucket: bucket.to_string() };
            let name = format!("arn:aws:s3:::{bucket}#bucket-policy");
            resource_policy = b.replayed(&subject, &name, true, |s| s.bucket_policy(bucket));
            if let Some(Known::Present(bpa)) = self.snapshot.map(|s| s.block_public_access(bucket))
            {
                block_public_access = Some(bpa);
            }
        } else if lower.starts_with("kms:")
            && let Some(key) = resource.as_deref().filter(|r| r.contains(":key/"))
        {
            let subject = Subject::KeyPolicy { key_id: key_id(key).to_string() };
            resource_policy =
                b.replayed(&subject, &format!("{key}#key-policy"), true, |s| s.key_policy(key));
        }
        let rcp = resource_account
            .clone()
            .or_else(|| resource.as_deref().and_then(arn_account))
            .and_then(|account| {
                b.org_chain(|s| s.rcp_chain(&account), &format!("rcp-chain:{account}"))
            });

        // The VPC endpoint's policy, when the request came through one.
        let mut vpc_endpoint_policy = None;
        if let Some(vpce) = denial.vpc_endpoint_id.as_deref() {
            let subject = Subject::EndpointPolicy { vpce: vpce.to_string() };
            let name = format!("{vpce}#endpoint-policy");
            match b.snapshot(|s| s.endpoint_policy(vpce)) {
                Known::NotCaptured(_) if !b.trail_has(&subject) => {
                    b.assumptions.push("A2 no VPC endpoint policy restriction".into());
                }
                _ => {
                    vpc_endpoint_policy =
                        b.replayed(&subject, &name, true, |s| s.endpoint_policy(vpce))
                }
            }
        }

        let context = context_of(denial, context_json.as_ref(), &caller, &tags);
        let principal_account =
            denial.principal.account.clone().or_else(|| caller.account().map(str::to_string));
        if b.used_snapshot {
            b.assumptions.push("A5 policies as of the snapshot, unchanged since the event where the trail shows no change".into());
        }
        let default_as_of = self
            .snapshot
            .and_then(Snapshot::captured_at)
            .map(|t| format!("snapshot@{}", rfc3339(Some(t.timestamp_micros()))));
        let request = Request {
            caller,
            principal_account,
            action,
            resource: resource.clone(),
            resource_account: resource_account
                .or_else(|| resource.as_deref().and_then(arn_account)),
            context,
            identity_policies,
            permissions_boundary,
            session_policy,
            scp,
            rcp,
            resource_policy,
            vpc_endpoint_policy,
            block_public_access,
        };
        Ok(Prepared {
            request,
            gaps: b.gaps,
            assumptions: b.assumptions,
            as_of: b.as_of,
            default_as_of,
            now: b.now,
            now_identity: b.now_identity,
        })
    }
}

impl Builder<'_, '_> {
    fn snapshot<T>(&mut self, get: impl FnOnce(&Snapshot) -> Known<T>) -> Known<T> {
        match self.inputs.snapshot {
            Some(snapshot) => {
                self.used_snapshot = true;
                get(snapshot)
            }
            None => Known::NotCaptured(crate::snapshot::Gap("snapshot:none".into())),
        }
    }

    fn history_as_of(&self, subject: &Subject) -> AsOf<'_> {
        self.inputs.history.as_of(subject, self.at, self.inputs.snapshot_time)
    }

    fn trail_has(&self, subject: &Subject) -> bool {
        matches!(self.history_as_of(subject), AsOf::Trail { .. })
    }

    /// A whole-document policy as of the event: the trail's latest replacement, else the
    /// snapshot's when nothing changed since, else not known. `None`: known to be absent.
    fn replayed(
        &mut self,
        subject: &Subject,
        name: &str,
        principals: bool,
        from_snapshot: impl FnOnce(&Snapshot) -> Known<Policy>,
    ) -> Option<Policy> {
        match self.inputs.history.as_of(subject, self.at, self.inputs.snapshot_time) {
            AsOf::Trail { time, document, .. } => {
                self.as_of.insert(name.to_string(), format!("trail@{}", rfc3339(Some(time))));
                document.and_then(|d| self.parse_trail(name, d, principals))
            }
            AsOf::Unknown { changed_at } => {
                let gap = format!("{name}:changed-after-event@{}", rfc3339(Some(changed_at)));
                self.gaps.push(gap.clone());
                match self.snapshot(from_snapshot) {
                    Known::Present(policy) => self.now.push((name.to_string(), Some(policy))),
                    // Deleted since: today there is none.
                    Known::Absent => self.now.push((name.to_string(), None)),
                    Known::NotCaptured(_) => {}
                }
                Some(not_known(name, &gap, principals))
            }
            AsOf::Snapshot => match self.snapshot(from_snapshot) {
                Known::Present(policy) => Some(policy),
                Known::Absent => None,
                Known::NotCaptured(gap) => {
                    self.gaps.push(gap.0.clone());
                    Some(not_known(name, &gap.0, principals))
                }
            },
        }
    }

    /// A trail document; one that does not parse is a gap, never a silently empty policy.
    fn parse_trail(&mut self, name: &str, document: &str, principals: bool) -> Option<Policy> {
        let value = Value::String(document.to_string());
        match Policy::parse(name, &value) {
            Ok(policy) => Some(policy),
            Err(_) => {
                let gap = format!("{name}:trail-document-not-a-policy");
                self.gaps.push(gap.clone());
                Some(not_known(name, &gap, principals))
            }
        }
    }

    /// An identity policy as of the event: inline policies are replayed by name.
    fn inline_as_of(
        &mut self,
        policy: Policy,
        entity: Option<&(String, &'static str, String)>,
    ) -> Option<Policy> {
        let (Some((account, kind, entity)), Some((_, name))) =
            (entity, policy.name.split_once("#inline/"))
        else {
            return Some(policy);
        };
        let subject = Subject::Inline {
            account: account.clone(),
            kind,
            entity: entity.clone(),
            name: name.to_string(),
        };
        let policy_name = policy.name.clone();
        self.replayed(&subject, &policy_name, false, |_| Known::Present(policy))
    }

    fn trust_policy(&mut self, role_arn: &str) -> Option<Policy> {
        let name = format!("{role_arn}#trust-policy");
        let (account, role) = match entity_of(role_arn) {
            Some((account, _, role)) => (account, role),
            None => return None,
        };
        let subject = Subject::TrustPolicy { account, role };
        self.replayed(&subject, &name, true, |s| match s.identity(role_arn) {
            Known::Present(identity) => match identity.trust_policy {
                Some(policy) => Known::Present(policy),
                None => Known::Absent,
            },
            Known::Absent => {
                Known::NotCaptured(crate::snapshot::Gap(format!("identity:{role_arn}:not-in-gaad")))
            }
            Known::NotCaptured(gap) => Known::NotCaptured(gap),
        })
    }

    fn session_policy(&mut self, caller: &Caller, parts: &str) -> Option<Policy> {
        let parts: Value = serde_json::from_str(parts).ok()?;
        let name = match caller {
            Caller::Session { arn, .. } | Caller::FederatedUser { arn, .. } => {
                format!("{arn}#session-policy")
            }
            _ => return None,
        };
        if parts.get("policyArns").is_some_and(|a| a.as_array().is_some_and(|a| !a.is_empty())) {
            // Managed session policies: their documents are not in the trail.
            let gap = format!("{name}:policy-arns");
            self.gaps.push(gap.clone());
            return Some(not_known(&name, &gap, false));
        }
        let document = parts.get("policy")?.as_str()?;
        self.parse_trail(&name, document, false)
    }

    /// An SCP or RCP chain, each policy's content replayed by its id.
    fn org_chain(
        &mut self,
        get: impl FnOnce(&Snapshot) -> Known<Option<Vec<Vec<Policy>>>>,
        gap_prefix: &str,
    ) -> Option<Vec<Vec<Policy>>> {
        match self.snapshot(get) {
            Known::Present(Some(levels)) => Some(
                levels
                    .into_iter()
                    .map(|level| {
                        level
                            .into_iter()
                            .filter_map(|policy| {
                                let id = org_policy_id(&policy.name).to_string();
                                let name = policy.name.clone();
                                self.replayed(&Subject::OrgPolicy { id }, &name, false, |_| {
                                    Known::Present(policy)
                                })
                            })
                            .collect()
                    })
                    .collect(),
            ),
            Known::Present(None) | Known::Absent => None,
            Known::NotCaptured(gap) => {
                let gap =
                    if gap.0.is_empty() { format!("{gap_prefix}:not-captured") } else { gap.0 };
                self.gaps.push(gap.clone());
                Some(vec![vec![not_known(gap_prefix, &gap, false)]])
            }
        }
    }
}

/// The `tags` of an `AssumeRole*`/`GetFederationToken` request (`[{"key": …, "value": …}]`).
fn session_tags(parts: &str) -> Vec<(String, String)> {
    let Ok(parts) = serde_json::from_str::<Value>(parts) else { return Vec::new() };
    let Some(tags) = parts.get("tags").and_then(Value::as_array) else { return Vec::new() };
    tags.iter()
        .filter_map(|t| {
            let key = t.get("key").or_else(|| t.get("Key"))?.as_str()?;
            let value = t.get("value").or_else(|| t.get("Value"))?.as_str()?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

/// `p-…` from an SCP/RCP ARN (`arn:aws:organizations::M:policy/o-…/service_control_policy/p-…`)
/// or name.
fn org_policy_id(name: &str) -> &str {
    let base = name.split(['#', ' ']).next().unwrap_or(name);
    base.rsplit('/').next().unwrap_or(base)
}

/// The Sid of the statements of a not-known policy: a real Sid holds only letters and digits,
/// so this one is never a policy's own.
pub const NOT_KNOWN_SID: &str = "whydenied:NotKnown";

/// A policy whose content is not known: it may allow and may deny, each under a condition on a
/// key no request carries, so the engine keeps the layer undecided and names the gap.
pub fn not_known(name: &str, gap: &str, principals: bool) -> Policy {
    let statement = |effect: &str, key: String| {
        let mut s = json!({
            "Sid": NOT_KNOWN_SID,
            "Effect": effect,
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {key: "true"}},
        });
        if principals {
            s["Principal"] = json!("*");
        }
        s
    };
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [
            statement("Allow", format!("whydenied:NotKnown/{gap}/allows")),
            statement("Deny", format!("whydenied:NotKnown/{gap}/denies")),
        ],
    });
    Policy::parse(name, &document).expect("a well-formed placeholder")
}

/// The caller as the engine names it, from the principal columns.
fn caller_of(d: &Denial) -> Option<Caller> {
    let p = &d.principal;
    match p.principal_type.as_str() {
        // A SAML or web identity asking to assume a role is nobody IAM knows yet: only a
        // Principal "*" names it, and a Federated element (whose provider the row does not
        // give) stays unknown in the engine.
        "SAMLUser" | "WebIdentityUser"
            if TRUST_ACTIONS.contains(&d.action.to_lowercase().as_str()) =>
        {
            Some(Caller::Anonymous)
        }
        "AssumedRole" => Caller::parse(p.caller_arn.as_deref()?, Some(&p.principal)),
        "IAMUser" | "Root" | "FederatedUser" => {
            Caller::parse(p.caller_arn.as_deref().unwrap_or(&p.principal), None)
        }
        "AWSService" => Some(Caller::Service(p.principal.clone())),
        "Anonymous" => Some(Caller::Anonymous),
        _ => None,
    }
}

/// The partition of an IAM principal's ARN (`aws`, `aws-us-gov`, `aws-cn`).
fn caller_partition(d: &Denial) -> Option<&str> {
    let arn = d.principal.caller_arn.as_deref().unwrap_or(&d.principal.principal);
    let mut parts = arn.split(':');
    (parts.next()? == "arn").then_some(())?;
    parts.next()
}

/// The resource ARN: as the row has it, else built from the bucket and key of an S3 request.
fn resource_of(d: &Denial) -> Option<String> {
    if let Some(arn) = &d.target.resource_arn {
        return Some(arn.clone());
    }
    let bucket = d.target.bucket.as_deref()?;
    Some(match d.target.object_key.as_deref() {
        Some(key) => format!("arn:aws:s3:::{bucket}/{key}"),
        None => format!("arn:aws:s3:::{bucket}"),
    })
}

/// (account, kind, name) of an IAM user or role ARN (paths dropped: the trail names by name).
fn entity_of(arn: &str) -> Option<(String, &'static str, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, "iam", _, account, resource] = parts.as_slice() else { return None };
    let (kind, rest) = resource.split_once('/')?;
    let kind = match kind {
        "user" => "user",
        "role" => "role",
        "group" => "group",
        _ => return None,
    };
    let name = rest.rsplit('/').next()?;
    Some((account.to_string(), kind, name.to_string()))
}

/// The account of an ARN, when it names one.
fn arn_account(arn: &str) -> Option<String> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then(|| account.to_string())
}

/// The request context: the row's columns (which `eval_context` leaves out so as not to repeat
/// them), its `eval_context`, the principal's tags from the snapshot; every other key unknown.
fn context_of(
    d: &Denial,
    eval_context: Option<&Value>,
    caller: &Caller,
    tags: &[(String, String)],
) -> Context {
    let mut known: Vec<(String, Vec<String>)> = Vec::new();
    let mut put = |key: &str, value: String| known.push((key.to_string(), vec![value]));
    if let Some(t) = d.event_time {
        put("aws:CurrentTime", rfc3339(Some(t)));
        put("aws:EpochTime", (t.div_euclid(1_000_000)).to_string());
    }
    if let Some(region) = &d.region {
        put("aws:RequestedRegion", region.clone());
    }
    let ip = d.source_ip.as_deref().filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
    match (&d.vpc_endpoint_id, ip) {
        (Some(vpce), ip) => {
            put("aws:SourceVpce", vpce.clone());
            if let Some(ip) = ip {
                put("aws:VpcSourceIp", ip.to_string());
            }
        }
        (None, Some(ip)) => put("aws:SourceIp", ip.to_string()),
        (None, None) => {}
    }
    if let Some(agent) = &d.user_agent {
        put("aws:UserAgent", agent.clone());
    }
    if caller.has_identity_policies() || matches!(caller, Caller::Root { .. }) {
        put("aws:PrincipalArn", d.principal.principal.clone());
        if let Some(account) = &d.principal.account {
            put("aws:PrincipalAccount", account.clone());
        }
    }
    for (key, value) in tags {
        put(&format!("aws:PrincipalTag/{key}"), value.clone());
    }
    let mut unknown = Vec::new();
    if let Some(c) = eval_context {
        if let Some(map) = c["context"].as_object() {
            for (key, value) in map {
                if let Ok(values) = scalars(value) {
                    known.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
                    known.push((key.clone(), values));
                }
            }
        }
        if let Some(list) = c["unknown_keys"].as_array() {
            unknown.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
        }
    }
    // The record gives what it gives; any other key may be present with any value.
    unknown.push("*".into());
    Context::new(known, unknown, Vec::new())
}
