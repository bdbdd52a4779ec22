//! The organization: its management account (`describe-organization`), roots and the policy
//! types enabled on them (`list-roots`), the tree (`parents/<id>/list-*-for-parent`, whose
//! output does not name its parent: the directory does), and the SCPs and RCPs
//! (`list-policies-<TYPE>`; `policies/<id>/describe-policy`, which names its policy, and
//! `list-targets-for-policy`, which does not).
//!
//! An account's chain is its path from the root down to itself, with the policies of one type
//! attached at each node (POLICY.md §2.3). Any piece of it that is missing makes the whole chain
//! unknown: a chain with a level left out would read as a deny that is not there.

use super::files::Reader;
use super::{Gap, Known};
use crate::policy::document::Policy;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The two organization policy types that take part in an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Scp,
    Rcp,
}

impl Kind {
    /// The type as Organizations names it (`list-policies --filter`, `PolicyTypes[].Type`).
    fn policy_type(self) -> &'static str {
        match self {
            Kind::Scp => "SERVICE_CONTROL_POLICY",
            Kind::Rcp => "RESOURCE_CONTROL_POLICY",
        }
    }

    /// The piece in a chain's gap id.
    fn chain_piece(self) -> &'static str {
        match self {
            Kind::Scp => "scp-chain",
            Kind::Rcp => "rcp-chain",
        }
    }
}

pub(super) struct Organization {
    management_account: String,
    roots: Known<Vec<Root>>,
    /// Child (OU or account) id → parent id, from the parent listings.
    parent_of: HashMap<String, String>,
    /// Every root and OU named has both of its listings: an account not found is not in the
    /// organization (rather than under a listing that is missing).
    tree_complete: bool,
    scps: Known<Vec<OrgPolicy>>,
    rcps: Known<Vec<OrgPolicy>>,
}

struct Root {
    id: String,
    enabled: Vec<String>,
}

struct OrgPolicy {
    id: String,
    arn: String,
    name: String,
    content: Result<Policy, Gap>,
    targets: Result<Vec<String>, Gap>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeOrganization {
    organization: OrganizationInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OrganizationInfo {
    master_account_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRoots {
    roots: Vec<RootInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RootInfo {
    id: String,
    #[serde(default)]
    policy_types: Vec<PolicyTypeSummary>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyTypeSummary {
    #[serde(rename = "Type")]
    kind: String,
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListOus {
    organizational_units: Vec<IdOnly>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAccounts {
    accounts: Vec<IdOnly>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdOnly {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListPolicies {
    policies: Vec<PolicySummary>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct PolicySummary {
    id: String,
    arn: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribePolicy {
    policy: DescribedPolicy,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribedPolicy {
    policy_summary: PolicySummary,
    /// A JSON string.
    content: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTargets {
    targets: Vec<Target>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Target {
    target_id: String,
}

/// `describe-organization`'s `AWSOrganizationsNotInUseException` is known absent: no
/// organization, so no account is governed.
pub(super) fn load(reader: &mut Reader, dir: &Path) -> Known<Organization> {
    let gap = |piece: &str| Gap::new("organization", piece, "not-captured");
    let described: Known<DescribeOrganization> =
        reader.output(dir, "describe-organization", gap("describe-organization"));
    let management_account = match described {
        Known::Present(d) => d.organization.master_account_id,
        Known::Absent => return Known::Absent,
        Known::NotCaptured(gap) => return Known::NotCaptured(gap),
    };
    let roots = reader.output::<ListRoots>(dir, "list-roots", gap("list-roots")).map(|l| {
        (l.roots.into_iter())
            .map(|r| Root {
                id: r.id,
                enabled: (r.policy_types.into_iter())
                    .filter(|t| t.status == "ENABLED")
                    .map(|t| t.kind)
                    .collect(),
            })
            .collect::<Vec<_>>()
    });
    let (parent_of, tree_complete) = load_tree(reader, dir, &roots);
    let targets_and_content = load_policy_dirs(reader, dir);
    let mut policies = |kind: Kind| {
        let command = format!("list-policies-{}", kind.policy_type());
        let listed: Known<ListPolicies> = reader.output(dir, &command, gap(&command));
        listed.map(|l| {
            (l.policies.into_iter())
                .map(|summary| {
                    let (content, targets) = match targets_and_content.get(&summary.id) {
                        Some((content, targets)) => (content.clone(), targets.clone()),
                        None => {
                            let missing =
                                Gap::new("organization-policy", &summary.id, "not-captured");
                            (Err(missing.clone()), Err(missing))
                        }
                    };
                    OrgPolicy {
                        id: summary.id,
                        arn: summary.arn,
                        name: summary.name,
                        content,
                        targets,
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let scps = policies(Kind::Scp);
    let rcps = policies(Kind::Rcp);
    Known::Present(Organization { management_account, roots, parent_of, tree_complete, scps, rcps })
}

/// The parent listings found under `parents/` (the walk follows the directory, never an id
/// read from a file), and whether every root and OU they name has both of its listings.
fn load_tree(
    reader: &mut Reader,
    dir: &Path,
    roots: &Known<Vec<Root>>,
) -> (HashMap<String, String>, bool) {
    let mut parent_of = HashMap::new();
    let mut listed = HashSet::new();
    let mut complete = true;
    for (parent, parent_dir) in reader.subdirs(&dir.join("parents")) {
        let gap = Gap::new("organization-parent", &parent, "not-captured");
        let ous: Known<ListOus> =
            reader.output(&parent_dir, "list-organizational-units-for-parent", gap.clone());
        let accounts: Known<ListAccounts> =
            reader.output(&parent_dir, "list-accounts-for-parent", gap);
        let (Known::Present(ous), Known::Present(accounts)) = (ous, accounts) else {
            complete = false;
            continue;
        };
        for child in ous.organizational_units.into_iter().chain(accounts.accounts) {
            parent_of.insert(child.id, parent.clone());
        }
        listed.insert(parent);
    }
    let Known::Present(roots) = roots else { return (parent_of, false) };
    let ous = parent_of.keys().filter(|id| id.starts_with("ou-"));
    complete &= roots.iter().map(|r| &r.id).chain(ous).all(|id| listed.contains(id));
    (parent_of, complete)
}

/// `policies/<id>/`: each policy's content (by the id its `describe-policy` names, which must
/// be the directory's) and its targets (by the directory's id).
type PolicyDirs = BTreeMap<String, (Result<Policy, Gap>, Result<Vec<String>, Gap>)>;

fn load_policy_dirs(reader: &mut Reader, dir: &Path) -> PolicyDirs {
    let mut found = BTreeMap::new();
    for (id, policy_dir) in reader.subdirs(&dir.join("policies")) {
        let gap = Gap::new("organization-policy", &id, "not-captured");
        let file = policy_dir.join("describe-policy.json");
        let described: Known<DescribePolicy> =
            reader.output(&policy_dir, "describe-policy", gap.clone());
        let content = match described {
            Known::Present(d) if d.policy.policy_summary.id == id => {
                let arn = &d.policy.policy_summary.arn;
                reader.policy(&file, arn, &d.policy.content, gap.clone())
            }
            Known::Present(d) => {
                let named = &d.policy.policy_summary.id;
                reader.problem(&file, format!("describes policy {named}, not the directory's"));
                Err(gap.clone())
            }
            _ => Err(gap.clone()),
        };
        let targets: Known<ListTargets> =
            reader.output(&policy_dir, "list-targets-for-policy", gap.clone());
        let targets = match targets {
            Known::Present(t) => Ok(t.targets.into_iter().map(|t| t.target_id).collect()),
            _ => Err(gap),
        };
        found.insert(id, (content, targets));
    }
    found
}

impl Organization {
    pub fn policy_id_and_name(&self, arn: &str) -> Option<(&str, &str)> {
        [&self.scps, &self.rcps]
            .into_iter()
            .filter_map(|k| match k {
                Known::Present(list) => Some(list),
                _ => None,
            })
            .flatten()
            .find(|p| p.arn == arn)
            .map(|p| (p.id.as_str(), p.name.as_str()))
    }
}

/// The account's chain of `kind` policies, root first; `Present(None)` when the type does not
/// govern it.
pub(super) fn chain(
    organization: &Known<Organization>,
    kind: Kind,
    account: &str,
) -> Known<Option<Vec<Vec<Policy>>>> {
    let gap = |reason: &str| Known::NotCaptured(Gap::new(kind.chain_piece(), account, reason));
    let org = match organization {
        Known::Present(org) => org,
        Known::Absent => return Known::Present(None),
        Known::NotCaptured(_) => return gap("organization-not-captured"),
    };
    // SCPs and RCPs do not restrict the management account.
    if account == org.management_account {
        return Known::Present(None);
    }
    let Known::Present(roots) = &org.roots else { return gap("roots-not-captured") };
    let mut path = vec![account];
    while let Some(parent) = org.parent_of.get(*path.last().unwrap_or(&account)) {
        if path.contains(&parent.as_str()) {
            return gap("tree-not-captured"); // a cycle: the listings contradict each other
        }
        path.push(parent);
    }
    let top = path.last().copied().unwrap_or(account);
    let Some(root) = roots.iter().find(|r| r.id == top) else {
        return gap(match (org.tree_complete, path.len()) {
            (true, 1) => "account-not-in-org-snapshot",
            _ => "tree-not-captured",
        });
    };
    if !root.enabled.iter().any(|t| t == kind.policy_type()) {
        return Known::Present(None);
    }
    let policies = match kind {
        Kind::Scp => &org.scps,
        Kind::Rcp => &org.rcps,
    };
    let Known::Present(policies) = policies else { return gap("policy-list-not-captured") };
    let mut levels = Vec::with_capacity(path.len());
    for node in path.iter().rev() {
        let mut level = Vec::new();
        for p in policies {
            let targets = match &p.targets {
                Ok(targets) => targets,
                Err(_) => return gap(&format!("targets-of-{}-not-captured", p.id)),
            };
            if targets.iter().any(|t| t == node) {
                match &p.content {
                    Ok(policy) => level.push(policy.clone()),
                    Err(_) => return gap(&format!("policy-{}-not-captured", p.id)),
                }
            }
        }
        levels.push(level);
    }
    Known::Present(Some(levels))
}
