//! AWS's combination of the layers into one decision (docs/EVALUATION.md §3–§4): which layers take
//! part for this caller and action, explicit deny, the SCP guardrail, the grant rules for same- and
//! cross-account requests, trust and key policies, Block Public Access and VPC endpoint policies.
//! Everything is computed in Kleene logic, so one function serves both the three-valued pass and
//! each assignment of the exact enumeration.

use super::atoms::Atoms;
use super::document::{Listed, Policy, PrincipalValue};
use super::layer::{self, StatementReport, Verdict};
use super::request::{Caller, Request};
use super::statement::ByKind;
use super::truth::Truth;
use crate::classify::reason::{DeniedBy, PolicyType};

/// Actions whose resource policy is the role's trust policy.
pub const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
];

/// Services RCPs apply to, from
/// <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html>
/// as of 2026-12. The list grows; a service missing here makes RCPs skipped for it.
const RCP_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "kms",
    "sqs",
    "secretsmanager",
    "ecr",
    "aoss",
    "cognito-identity",
    "logs",
    "dynamodb",
];

/// The three-valued outcome of one evaluation pass.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub explicit: Truth,
    pub allowed: Truth,
    /// Each layer type and whether it holds an applying Deny.
    pub denies: Vec<(DeniedBy, Truth)>,
    /// Each layer type and whether it refuses for want of an Allow (or by a setting).
    pub refusals: Vec<(DeniedBy, Truth)>,
}

fn policy(t: PolicyType) -> DeniedBy {
    DeniedBy::Policy(t)
}

/// Evaluates the request once; `reports` collects every statement's outcome.
pub fn judge(
    request: &Request,
    atoms: &mut Atoms,
    mut reports: Option<&mut Vec<StatementReport>>,
) -> Judgement {
    let action = request.action.to_lowercase();
    if action == "sts:getcalleridentity" {
        return Judgement {
            explicit: Truth::False,
            allowed: Truth::True,
            denies: Vec::new(),
            refusals: Vec::new(),
        };
    }
    let caller = &request.caller;
    let outside_iam = matches!(caller, Caller::Service(_) | Caller::Anonymous);
    let trust = TRUST_ACTIONS.contains(&action.as_str());
    let service = action.split(':').next().unwrap_or_default();
    // Every key has a key policy, and it must allow: required for an action on a key, and for
    // any kms: action whose key policy the request gives.
    let on_a_key = request.resource.as_deref().is_some_and(|r| {
        let parts: Vec<&str> = r.splitn(6, ':').collect();
        matches!(parts.as_slice(), ["arn", _, "kms", _, _, rest] if rest.starts_with("key/"))
    });
    let key_policy = service == "kms" && (request.resource_policy.is_some() || on_a_key);
    let resource_layer =
        if trust { policy(PolicyType::RoleTrustPolicy) } else { policy(PolicyType::ResourceBased) };
    let governed_by_iam = caller.has_identity_policies();

    let mut run = |layer: DeniedBy, policies: &[&Policy], principals: bool, atoms: &mut Atoms| {
        layer::evaluate(layer, policies, principals, request, atoms, reports.as_deref_mut())
    };

    let scp: Vec<Verdict> =
        if request.scp.is_some() && !outside_iam && !caller.is_service_linked_role() {
            levels(&request.scp)
                .iter()
                .map(|level| run(policy(PolicyType::ServiceControlPolicy), level, false, atoms))
                .collect()
        } else {
            Vec::new()
        };
    // RCPFullAWSAccess sits at every level, so an RCP level never lacks an Allow: only its Denies count.
    let rcp: Vec<Verdict> = if RCP_SERVICES.contains(&service) {
        levels(&request.rcp)
            .iter()
            .map(|level| run(policy(PolicyType::ResourceControlPolicy), level, true, atoms))
            .collect()
    } else {
        Vec::new()
    };
    let identity = governed_by_iam.then(|| {
        run(
            policy(PolicyType::IdentityBased),
            &request.identity_policies.iter().collect::<Vec<_>>(),
            false,
            atoms,
        )
    });
    let boundary = (governed_by_iam && request.permissions_boundary.is_some()).then(|| {
        run(
            policy(PolicyType::PermissionsBoundary),
            &optional(&request.permissions_boundary),
            false,
            atoms,
        )
    });
    let session = (governed_by_iam && request.session_policy.is_some()).then(|| {
        run(policy(PolicyType::SessionPolicy), &optional(&request.session_policy), false, atoms)
    });
    let resource = request
        .resource_policy
        .is_some()
        .then(|| run(resource_layer, &optional(&request.resource_policy), true, atoms));
    let endpoint = request.vpc_endpoint_policy.is_some().then(|| {
        run(
            policy(PolicyType::VpcEndpointPolicy),
            &optional(&request.vpc_endpoint_policy),
            true,
            atoms,
        )
    });

    let deny_of = |v: &Option<Verdict>| v.map_or(Truth::False, |v| v.deny);
    let denies = vec![
        (policy(PolicyType::ServiceControlPolicy), Truth::any(scp.iter().map(|v| v.deny))),
        (policy(PolicyType::ResourceControlPolicy), Truth::any(rcp.iter().map(|v| v.deny))),
        (policy(PolicyType::PermissionsBoundary), deny_of(&boundary)),
        (policy(PolicyType::IdentityBased), deny_of(&identity)),
        (resource_layer, deny_of(&resource)),
        (policy(PolicyType::SessionPolicy), deny_of(&session)),
        (policy(PolicyType::VpcEndpointPolicy), deny_of(&endpoint)),
    ];
    let explicit = Truth::any(denies.iter().map(|(_, t)| *t));

    let scp_ok = Truth::all(scp.iter().map(Verdict::allows));
    let identity_allows = identity.map_or(Truth::False, |v| v.allows());
    let boundary_ok = boundary.map_or(Truth::True, |v| v.allows());
    // A federated user's permissions are its session policy's: without one it has none.
    let session_needed = session.is_some() || matches!(caller, Caller::FederatedUser { .. });
    let session_ok = session.map_or((!session_needed).into(), |v| v.allows());
    let identity_ok = identity_allows.and(boundary_ok).and(session_ok);
    let granted = resource.map_or(ByKind::NONE, |v| v.allow);

    let same_account = match (&request.principal_account, &request.resource_account) {
        (_, None) if request.resource_policy.is_none() => Truth::True,
        (_, None) => atoms.resolve(Truth::Unknown, || "the resource's account".into()),
        (Some(p), Some(r)) => (p == r).into(),
        (None, Some(_)) => Truth::False,
    };
    let cross_account = !same_account;

    let grant = match caller {
        Caller::Service(_) | Caller::Anonymous => granted.any(),
        Caller::Root { .. } if trust || key_policy => granted.any(),
        Caller::Root { .. } => same_account.or(granted.any()),
        _ if trust || key_policy => {
            let alone = granted.direct.or(granted.role);
            let delegated = granted.account.or(granted.wildcard).and(identity_ok);
            same_account
                .and(alone.or(delegated))
                .or(cross_account.and(granted.any()).and(identity_ok))
        }
        _ => {
            let alone = Truth::any([
                identity_ok,
                granted.direct,
                granted.wildcard,
                granted.role.and(boundary_ok).and(session_ok),
            ]);
            same_account.and(alone).or(cross_account.and(granted.any()).and(identity_ok))
        }
    };

    let block_public_access = request.block_public_access.as_ref().map_or(Truth::False, |bpa| {
        let public = bpa
            .policy_is_public
            .unwrap_or_else(|| request.resource_policy.as_ref().is_some_and(is_public));
        let outsider = match caller {
            Caller::Anonymous => Truth::True,
            Caller::Service(_) => Truth::False,
            _ => cross_account,
        };
        Truth::from(bpa.restrict_public_buckets && public && service == "s3").and(outsider)
    });
    let endpoint_ok = endpoint.map_or(Truth::True, |v| v.allows());

    let allowed = Truth::all([!explicit, scp_ok, grant, !block_public_access, endpoint_ok]);

    let no_grant = !grant;
    let resource_required =
        Truth::any([outside_iam.into(), trust.into(), key_policy.into(), cross_account]);
    let mut refusals = vec![(policy(PolicyType::ServiceControlPolicy), !scp_ok)];
    if governed_by_iam {
        refusals.push((policy(PolicyType::PermissionsBoundary), no_grant.and(!boundary_ok)));
        refusals.push((policy(PolicyType::IdentityBased), no_grant.and(!identity_allows)));
    }
    let resource_listed = resource_required.or(request.resource_policy.is_some().into());
    refusals.push((resource_layer, Truth::all([no_grant, !granted.any(), resource_listed])));
    if governed_by_iam {
        refusals.push((policy(PolicyType::SessionPolicy), no_grant.and(!session_ok)));
    }
    refusals.push((policy(PolicyType::VpcEndpointPolicy), !endpoint_ok));
    refusals.push((DeniedBy::BlockPublicAccess, block_public_access));

    Judgement { explicit, allowed, denies, refusals }
}

/// Whether a bucket policy is public when AWS's own verdict is not given: some Allow names
/// anyone and has no condition at all (EVALUATION.md §4 step 5, a stated simplification).
fn is_public(policy: &Policy) -> bool {
    policy.statements.iter().any(|s| {
        s.effect == super::document::Effect::Allow
            && s.conditions.is_empty()
            && matches!(&s.principal, Listed::Is(values) if values.contains(&PrincipalValue::Anyone))
    })
}

/// Each level's policies, root first.
fn levels(levels: &Option<Vec<Vec<Policy>>>) -> Vec<Vec<&Policy>> {
    levels.iter().flatten().map(|level| level.iter().collect()).collect()
}

fn optional(policy: &Option<Policy>) -> Vec<&Policy> {
    policy.iter().collect()
}
