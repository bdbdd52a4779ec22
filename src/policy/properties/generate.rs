//! Random small requests for the properties: a model (`Case`) that the properties edit — add a
//! statement, a policy or an SCP level, mask a context key — and that turns into the JSON request
//! `whydenied explain` reads, so that every case also goes through `Request::from_json`.
//!
//! The vocabulary is deliberately small (two accounts, a handful of actions, resources, condition
//! keys and values) so that patterns, principals and conditions often match: a random policy over
//! a large vocabulary would deny almost everything and the properties would say little.

use crate::classify::reason::{DeniedBy, PolicyType};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";

/// Who asks; each kind has its own row in the tables of EVALUATION.md §1 and §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    User,
    Role,
    Session,
    FederatedUser,
    Root,
    /// A user of another account.
    Stranger,
    /// A session of a service-linked role (outside SCPs).
    ServiceLinked,
    Service,
    Anonymous,
}

const WHO: &[Who] = &[
    Who::User,
    Who::Role,
    Who::Session,
    Who::FederatedUser,
    Who::Root,
    Who::Stranger,
    Who::ServiceLinked,
    Who::Service,
    Who::Anonymous,
];

const SERVICE_LINKED_ROLE: &str = "arn:aws:iam::111122223333:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport";

impl Who {
    fn principal(self) -> &'static str {
        match self {
            Who::User => "arn:aws:iam::111122223333:user/alice",
            Who::Role => "arn:aws:iam::111122223333:role/app",
            Who::Session => "arn:aws:sts::111122223333:assumed-role/app/s1",
            Who::FederatedUser => "arn:aws:sts::111122223333:federated-user/bob",
            Who::Root => "arn:aws:iam::111122223333:root",
            Who::Stranger => "arn:aws:iam::444455556666:user/carol",
            Who::ServiceLinked => {
                "arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForSupport/s"
            }
            Who::Service => "s3.amazonaws.com",
            Who::Anonymous => "anonymous",
        }
    }

    /// Identity policies, boundaries and session policies take part (§3).
    pub fn governed_by_iam(self) -> bool {
        !matches!(self, Who::Root | Who::Service | Who::Anonymous)
    }

    /// SCPs take part (§3).
    pub fn under_scps(self) -> bool {
        !matches!(self, Who::Service | Who::Anonymous | Who::ServiceLinked)
    }
}

pub const GET_CALLER_IDENTITY: &str = "sts:GetCallerIdentity";
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "kms:Decrypt",
    "kms:CreateKey",
    "sts:AssumeRole",
    "ec2:RunInstances",
    "lambda:InvokeFunction",
    GET_CALLER_IDENTITY,
];
/// Services RCPs cover, among those of [`ACTIONS`] (§3).
const RCP_SERVICES: &[&str] = &["s3", "sts", "kms"];
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:GetObject",
    "S3:PUTOBJECT",
    "kms:*",
    "kms:Decrypt",
    "sts:AssumeRole",
    "ec2:*",
    "lambda:Invoke?unction",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::b/alice/x",
    "arn:aws:s3:::other/k",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:lambda:us-east-1:444455556666:function:f",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:s3:::*",
    "arn:aws:kms:*:111122223333:key/*",
    "arn:aws:iam::*:role/app",
    "arn:aws:lambda:*:*:function:*",
    "arn:aws:s3:::other/k",
];

/// The condition keys a context may hold, in their documented case.
pub const KEYS: &[&str] = &[
    "aws:SourceIp",
    "aws:PrincipalTag/team",
    "aws:PrincipalOrgID",
    "s3:prefix",
    "aws:username",
    "aws:MultiFactorAuthAge",
    "aws:SecureTransport",
    "aws:CurrentTime",
    "aws:userid",
];

/// The values a context may give `key`: one value, or a set of them (an array).
pub fn values_of(key: &str) -> Vec<Value> {
    match key {
        "aws:SourceIp" => vec![json!("10.1.2.3"), json!("203.0.113.9"), json!("2001:db8::1")],
        "aws:PrincipalTag/team" => vec![json!("red"), json!("blue"), json!("alice")],
        "aws:PrincipalOrgID" => vec![json!("o-1"), json!("o-2")],
        "s3:prefix" => vec![json!("a/"), json!(["a/", "b/"]), json!(["red", "blue"])],
        "aws:username" => vec![json!("alice"), json!("bob")],
        "aws:MultiFactorAuthAge" => vec![json!(30), json!("5000")],
        "aws:SecureTransport" => vec![json!(true), json!("false")],
        "aws:CurrentTime" => vec![json!("2026-01-02T03:04:05Z"), json!("2025-06-01")],
        "aws:userid" => vec![json!("AROAEXAMPLE:s1"), json!("AIDAOTHER")],
        other => unreachable!("{other} is not in KEYS"),
    }
}

const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIgnoreCase",
    "StringEqualsIfExists",
    "ForAnyValue:StringLike",
    "ForAllValues:StringEquals",
    "IpAddress",
    "NotIpAddress",
    "NumericLessThan",
    "DateGreaterThan",
    "Bool",
    "Null",
    "ArnLike",
    "StringMaybe",
];

fn condition_values() -> Vec<Value> {
    vec![
        json!("red"),
        json!("blue"),
        json!("alice"),
        json!("a/*"),
        json!("10.0.0.0/8"),
        json!("203.0.113.0/24"),
        json!("2001:db8::/32"),
        json!(3600),
        json!("true"),
        json!(false),
        json!("2026-01-01T00:00:00Z"),
        json!("o-1"),
        json!("${aws:username}"),
        json!("AROAEXAMPLE:*"),
    ]
}

fn principal_values() -> Vec<Value> {
    vec![
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": ACCOUNT}),
        json!({"AWS": "arn:aws:iam::111122223333:root"}),
        json!({"AWS": OTHER_ACCOUNT}),
        json!({"AWS": "arn:aws:iam::111122223333:user/alice"}),
        json!({"AWS": "arn:aws:iam::111122223333:role/app"}),
        json!({"AWS": ["arn:aws:sts::111122223333:assumed-role/app/s1", "arn:aws:iam::444455556666:user/carol"]}),
        json!({"AWS": "AROAEXAMPLE"}),
        json!({"Service": "s3.amazonaws.com"}),
        json!({"Federated": "cognito-identity.amazonaws.com"}),
    ]
}

/// The policy layers of §3, as far as where a policy goes in the request is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Identity,
    Boundary,
    Session,
    Scp,
    Rcp,
    Resource,
    Endpoint,
}

pub const LAYERS: &[Layer] = &[
    Layer::Identity,
    Layer::Boundary,
    Layer::Session,
    Layer::Scp,
    Layer::Rcp,
    Layer::Resource,
    Layer::Endpoint,
];

impl Layer {
    /// Resource-side layers read `Principal` (§2), so their statements name one.
    pub fn resource_side(self) -> bool {
        matches!(self, Layer::Rcp | Layer::Resource | Layer::Endpoint)
    }

    /// Layers that hold at most one policy.
    fn single(self) -> bool {
        matches!(self, Layer::Boundary | Layer::Session | Layer::Resource | Layer::Endpoint)
    }

    fn levelled(self) -> bool {
        matches!(self, Layer::Scp | Layer::Rcp)
    }

    /// The layer type `denied_by` names for it (§4).
    pub fn denied_by(self, action: &str) -> DeniedBy {
        DeniedBy::Policy(match self {
            Layer::Identity => PolicyType::IdentityBased,
            Layer::Boundary => PolicyType::PermissionsBoundary,
            Layer::Session => PolicyType::SessionPolicy,
            Layer::Scp => PolicyType::ServiceControlPolicy,
            Layer::Rcp => PolicyType::ResourceControlPolicy,
            Layer::Resource if action == "sts:AssumeRole" => PolicyType::RoleTrustPolicy,
            Layer::Resource => PolicyType::ResourceBased,
            Layer::Endpoint => PolicyType::VpcEndpointPolicy,
        })
    }
}

/// One policy document: its Version and statements (JSON objects).
#[derive(Debug, Clone)]
pub struct Doc {
    pub version: Option<&'static str>,
    pub statements: Vec<Value>,
}

impl Doc {
    pub fn of(statements: Vec<Value>) -> Doc {
        Doc { version: Some("2012-10-17"), statements }
    }

    fn json(&self) -> Value {
        let mut doc = Map::new();
        if let Some(version) = self.version {
            doc.insert("Version".into(), version.into());
        }
        doc.insert("Statement".into(), self.statements.clone().into());
        doc.into()
    }
}

/// A policy and where it sits: its layer and, for SCPs and RCPs, its level.
#[derive(Debug, Clone)]
pub struct Placed {
    pub layer: Layer,
    pub level: usize,
    pub doc: Doc,
}

/// One request. Policies are one flat list, named `p<index>` in the JSON, so that a statement the
/// evaluation reports can be found again (`policy_index`).
#[derive(Debug, Clone)]
pub struct Case {
    pub who: Who,
    pub action: &'static str,
    pub resource: Option<&'static str>,
    pub resource_account: Option<&'static str>,
    pub context: BTreeMap<&'static str, Value>,
    pub unknown: Vec<&'static str>,
    pub present_unknown: Vec<&'static str>,
    /// `RestrictPublicBuckets`, and `PolicyIsPublic` when given.
    pub block_public_access: Option<(bool, Option<bool>)>,
    /// How many SCP (RCP) levels there are; `None`: the request has no `scp` (`rcp`) field.
    pub scp_levels: Option<usize>,
    pub rcp_levels: Option<usize>,
    pub policies: Vec<Placed>,
}

impl Case {
    /// The JSON request `whydenied explain` reads.
    pub fn json(&self) -> Value {
        let mut request = Map::new();
        request.insert("principal".into(), self.who.principal().into());
        request.insert("action".into(), self.action.into());
        if let Some(resource) = self.resource {
            request.insert("resource".into(), resource.into());
        }
        if let Some(account) = self.resource_account {
            request.insert("resource_account".into(), account.into());
        }
        let mut context: Map<String, Value> =
            self.context.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        if self.who == Who::ServiceLinked {
            context.insert("aws:PrincipalArn".into(), SERVICE_LINKED_ROLE.into());
        }
        request.insert("context".into(), context.into());
        request.insert("unknown_keys".into(), self.unknown.clone().into());
        request.insert("present_unknown_keys".into(), self.present_unknown.clone().into());
        if let Some((restrict, public)) = self.block_public_access {
            let mut bpa = Map::new();
            bpa.insert("RestrictPublicBuckets".into(), restrict.into());
            if let Some(public) = public {
                bpa.insert("PolicyIsPublic".into(), public.into());
            }
            request.insert("s3_block_public_access".into(), bpa.into());
        }
        let named =
            |layer: Layer| {
                self.policies.iter().enumerate().filter(move |(_, p)| p.layer == layer).map(
                    |(i, p)| (p.level, json!({"name": format!("p{i}"), "document": p.doc.json()})),
                )
            };
        let fields = [
            (Layer::Identity, "identity_policies"),
            (Layer::Boundary, "permissions_boundary"),
            (Layer::Session, "session_policy"),
            (Layer::Scp, "scp"),
            (Layer::Rcp, "rcp"),
            (Layer::Resource, "resource_policy"),
            (Layer::Endpoint, "vpc_endpoint_policy"),
        ];
        for (layer, field) in fields {
            let value = match layer {
                Layer::Identity => Some(named(layer).map(|(_, p)| p).collect::<Vec<_>>().into()),
                _ if layer.levelled() => self.levels(layer).map(|levels| {
                    let mut out = vec![Vec::new(); levels];
                    for (level, policy) in named(layer) {
                        out[level].push(policy);
                    }
                    out.into()
                }),
                _ => named(layer).next().map(|(_, p)| p),
            };
            if let Some(value) = value {
                request.insert(field.into(), value);
            }
        }
        request.into()
    }

    fn levels(&self, layer: Layer) -> Option<usize> {
        match layer {
            Layer::Scp => self.scp_levels,
            Layer::Rcp => self.rcp_levels,
            _ => None,
        }
    }

    fn levels_mut(&mut self, layer: Layer) -> &mut Option<usize> {
        match layer {
            Layer::Scp => &mut self.scp_levels,
            Layer::Rcp => &mut self.rcp_levels,
            _ => unreachable!("{layer:?} has no levels"),
        }
    }

    /// The index of the policy a report names (`p<index>`).
    pub fn policy_index(name: &str) -> usize {
        name.strip_prefix('p').and_then(|i| i.parse().ok()).expect("a generated policy name")
    }

    /// Whether `layer` takes part in this request (§3).
    pub fn takes_part(&self, layer: Layer) -> bool {
        let service = self.action.split(':').next().unwrap_or_default();
        match layer {
            Layer::Identity | Layer::Boundary | Layer::Session => self.who.governed_by_iam(),
            Layer::Scp => self.who.under_scps(),
            Layer::Rcp => RCP_SERVICES.contains(&service),
            Layer::Resource | Layer::Endpoint => true,
        }
    }

    /// Adds `doc` as a policy of its own in `layer`: a new identity policy, a new SCP/RCP level
    /// (at `at` modulo the number of places among the levels), or the layer's one policy when it
    /// has none yet. Returns false (and changes nothing) for a one-policy layer that already has
    /// its policy.
    pub fn add_policy(&mut self, layer: Layer, at: usize, doc: Doc) -> bool {
        if layer.single() && self.policies.iter().any(|p| p.layer == layer) {
            return false;
        }
        let mut level = 0;
        if layer.levelled() {
            let levels = self.levels(layer).unwrap_or(0);
            level = at % (levels + 1);
            for p in self.policies.iter_mut().filter(|p| p.layer == layer && p.level >= level) {
                p.level += 1;
            }
            *self.levels_mut(layer) = Some(levels + 1);
        }
        self.policies.push(Placed { layer, level, doc });
        true
    }

    /// Removes SCP or RCP level `level` and its policies.
    pub fn remove_level(&mut self, layer: Layer, level: usize) {
        self.policies.retain(|p| !(p.layer == layer && p.level == level));
        for p in self.policies.iter_mut().filter(|p| p.layer == layer && p.level > level) {
            p.level -= 1;
        }
        let levels = self.levels_mut(layer);
        *levels = levels.map(|n| n - 1);
    }

    /// The policies of one SCP/RCP level.
    pub fn level(&self, layer: Layer, level: usize) -> impl Iterator<Item = &Doc> {
        self.policies.iter().filter(move |p| p.layer == layer && p.level == level).map(|p| &p.doc)
    }
}

/// FullAWSAccess, the SCP AWS attaches by default.
pub fn full_aws_access() -> Doc {
    Doc::of(vec![json!({"Effect": "Allow", "Action": "*", "Resource": "*"})])
}

/// RCPFullAWSAccess, the RCP AWS attaches at every level.
pub fn rcp_full_aws_access() -> Doc {
    Doc::of(vec![json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})])
}

/// A list element as IAM accepts it: one string, or a list of one or two.
fn strings(pool: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![select(pool).prop_map(Value::from), vec(select(pool), 1..=2).prop_map(Value::from),]
}

fn condition() -> impl Strategy<Value = Value> {
    let values = prop_oneof![
        select(condition_values()),
        vec(select(condition_values()), 1..=2).prop_map(Value::from),
    ];
    vec((select(OPERATORS), select(KEYS), values), 0..=2).prop_map(|entries| {
        let mut operators = Map::new();
        for (operator, key, values) in entries {
            let keys = operators.entry(operator).or_insert_with(|| Value::Object(Map::new()));
            keys.as_object_mut().expect("an operator block").insert(key.into(), values);
        }
        operators.into()
    })
}

/// One statement of the given effect; resource-side statements name a principal (mostly).
pub fn statement(effect: &'static str, resource_side: bool) -> impl Strategy<Value = Value> {
    let principal = if resource_side {
        prop_oneof![
            6 => select(principal_values()).prop_map(|p| Some(("Principal", p))),
            1 => select(principal_values()).prop_map(|p| Some(("NotPrincipal", p))),
            1 => Just(None),
        ]
        .boxed()
    } else {
        Just(None).boxed()
    };
    let action =
        (prop_oneof![5 => Just("Action"), 1 => Just("NotAction")], strings(ACTION_PATTERNS));
    let resource = prop_oneof![
        6 => Just("Resource"),
        1 => Just("NotResource"),
    ];
    (action, (resource, strings(RESOURCE_PATTERNS)), principal, condition()).prop_map(
        move |((a, actions), (r, resources), principal, condition)| {
            let mut s = Map::new();
            s.insert("Effect".into(), effect.into());
            s.insert(a.into(), actions);
            s.insert(r.into(), resources);
            if let Some((p, value)) = principal {
                s.insert(p.into(), value);
            }
            if condition.as_object().is_some_and(|c| !c.is_empty()) {
                s.insert("Condition".into(), condition);
            }
            s.into()
        },
    )
}

fn any_statement(resource_side: bool) -> impl Strategy<Value = Value> {
    prop_oneof![3 => statement("Allow", resource_side), 1 => statement("Deny", resource_side)]
}

pub fn doc(resource_side: bool) -> impl Strategy<Value = Doc> {
    let version =
        prop_oneof![8 => Just(Some("2012-10-17")), 1 => Just(Some("2008-10-17")), 1 => Just(None)];
    (version, vec(any_statement(resource_side), 1..=4))
        .prop_map(|(version, statements)| Doc { version, statements })
}

/// SCP levels: FullAWSAccess or a random policy, one or two per level.
fn scp_levels() -> impl Strategy<Value = Vec<Vec<Doc>>> {
    let policy = prop_oneof![Just(full_aws_access()), doc(false)];
    vec(vec(policy, 1..=2), 1..=3)
}

fn context() -> impl Strategy<Value = BTreeMap<&'static str, Value>> {
    let entries: Vec<_> = KEYS
        .iter()
        .map(|&key| {
            proptest::option::weighted(0.4, select(values_of(key))).prop_map(move |v| (key, v))
        })
        .collect();
    entries.prop_map(|entries| entries.into_iter().filter_map(|(k, v)| Some((k, v?))).collect())
}

/// A request: a caller, an action, a resource (sometimes unknown), a context with a few unknown
/// keys, and a small random set of policies in every layer.
pub fn case() -> impl Strategy<Value = Case> {
    let who = select(WHO);
    let target = (
        select(ACTIONS),
        proptest::option::weighted(0.9, select(RESOURCES)),
        proptest::option::weighted(0.2, select(&[ACCOUNT, OTHER_ACCOUNT][..])),
    );
    let keys = (
        context(),
        proptest::sample::subsequence(KEYS, 0..=3),
        proptest::sample::subsequence(KEYS, 0..=1),
        proptest::option::weighted(0.15, (any::<bool>(), proptest::option::of(any::<bool>()))),
    );
    let identity_side = (
        vec(doc(false), 0..=3),
        proptest::option::weighted(0.3, doc(false)),
        proptest::option::weighted(0.2, doc(false)),
        proptest::option::weighted(0.4, scp_levels()),
    );
    let resource_side = (
        proptest::option::weighted(0.3, vec(vec(doc(true), 1..=1), 1..=2)),
        proptest::option::weighted(0.6, doc(true)),
        proptest::option::weighted(0.15, doc(true)),
    );
    (who, target, keys, identity_side, resource_side).prop_map(
        |(who, (action, resource, resource_account), keys, identity_side, resource_side)| {
            let (context, unknown, present_unknown, block_public_access) = keys;
            let (identity, boundary, session, scp) = identity_side;
            let (rcp, resource_policy, endpoint) = resource_side;
            let mut policies = Vec::new();
            let mut place = |layer: Layer, level: usize, doc: Doc| {
                policies.push(Placed { layer, level, doc });
            };
            identity.into_iter().for_each(|d| place(Layer::Identity, 0, d));
            boundary.into_iter().for_each(|d| place(Layer::Boundary, 0, d));
            session.into_iter().for_each(|d| place(Layer::Session, 0, d));
            resource_policy.into_iter().for_each(|d| place(Layer::Resource, 0, d));
            endpoint.into_iter().for_each(|d| place(Layer::Endpoint, 0, d));
            let mut levels = |layer: Layer, levels: &Option<Vec<Vec<Doc>>>| {
                levels.as_ref().map(|levels| {
                    for (level, docs) in levels.iter().enumerate() {
                        docs.iter().for_each(|d| place(layer, level, d.clone()));
                    }
                    levels.len()
                })
            };
            let scp_levels = levels(Layer::Scp, &scp);
            let rcp_levels = levels(Layer::Rcp, &rcp);
            Case {
                who,
                action,
                resource,
                resource_account,
                context,
                unknown,
                present_unknown,
                block_public_access,
                scp_levels,
                rcp_levels,
                policies,
            }
        },
    )
}
