//! `iam get-account-authorization-details` (GAAD): every user, group and role of an account
//! with its inline and attached policies, boundary, trust policy, tags and unique id, and every
//! managed policy with all its versions. Content names its subjects (each entity carries its
//! ARN), so the account directory only says where to look.
//!
//! Policy documents: the CLI decodes them into JSON objects (botocore's `json_decode_policies`);
//! the raw API and the SDKs return RFC 3986 URL-encoded strings. Both are accepted, and a string
//! holding plain JSON too (moto leaves trust policies that way).

use super::files::Reader;
use super::{Gap, Known};
use crate::policy::document::Policy;
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A user or role as the evaluation needs it (POLICY.md §2.3).
#[derive(Debug, Clone)]
pub struct Identity {
    pub arn: String,
    pub account: String,
    /// Inline (`<arn>#inline/<PolicyName>`), attached managed (by ARN, default version) and,
    /// for a user, each group's inline (`<group-arn>#inline/<PolicyName>`) and attached ones;
    /// a managed policy attached twice is listed once.
    pub identity_policies: Vec<Policy>,
    /// Named by its ARN.
    pub permissions_boundary: Option<Policy>,
    /// Roles only: `<role-arn>#trust-policy`.
    pub trust_policy: Option<Policy>,
    pub tags: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Gaad {
    #[serde(default)]
    user_detail_list: Vec<GaadUser>,
    #[serde(default)]
    group_detail_list: Vec<GaadGroup>,
    #[serde(default)]
    role_detail_list: Vec<GaadRole>,
    #[serde(default)]
    policies: Vec<GaadPolicy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Inline {
    policy_name: String,
    policy_document: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Attached {
    policy_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Boundary {
    permissions_boundary_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GaadUser {
    user_name: String,
    user_id: String,
    arn: String,
    #[serde(default)]
    user_policy_list: Vec<Inline>,
    #[serde(default)]
    group_list: Vec<String>,
    #[serde(default)]
    attached_managed_policies: Vec<Attached>,
    permissions_boundary: Option<Boundary>,
    #[serde(default)]
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GaadGroup {
    group_name: String,
    arn: String,
    #[serde(default)]
    group_policy_list: Vec<Inline>,
    #[serde(default)]
    attached_managed_policies: Vec<Attached>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GaadRole {
    role_name: String,
    role_id: String,
    arn: String,
    assume_role_policy_document: Option<Value>,
    #[serde(default)]
    role_policy_list: Vec<Inline>,
    #[serde(default)]
    attached_managed_policies: Vec<Attached>,
    permissions_boundary: Option<Boundary>,
    #[serde(default)]
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GaadPolicy {
    arn: String,
    #[serde(default)]
    policy_version_list: Vec<PolicyVersion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyVersion {
    document: Option<Value>,
    #[serde(default)]
    is_default_version: bool,
}

/// `iam get-policy-version`: the one version asked for.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetPolicyVersion {
    policy_version: PolicyVersion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    User,
    Role,
}

/// A parsed policy, or the gap its unreadable document leaves.
type Parsed = Result<Policy, Gap>;

/// A user or role of the GAAD, its policies parsed.
pub(in crate::snapshot) struct Entity {
    kind: Kind,
    name: String,
    unique_id: String,
    arn: String,
    inline: Vec<Parsed>,
    attached: Vec<String>,
    boundary: Option<String>,
    trust: Option<Parsed>,
    groups: Vec<String>,
    tags: Vec<(String, String)>,
}

struct Group {
    inline: Vec<Parsed>,
    attached: Vec<String>,
}

/// One account's IAM.
pub(in crate::snapshot) struct AccountIam {
    entities: Vec<Entity>,
    /// Indexes into `entities`: by kind and name (unique per account), by unique id. A scan
    /// looks up one principal per denial.
    by_name: HashMap<(Kind, String), usize>,
    by_id: HashMap<String, usize>,
    groups: HashMap<String, Group>,
    /// Managed policies by ARN: the default version.
    managed: HashMap<String, Parsed>,
}

/// What an ARN asks for: a user or role by name in an account; `arn` when the ARN carries the
/// path, which must then match too.
pub(in crate::snapshot) struct Wanted<'a> {
    pub account: &'a str,
    kind: Kind,
    name: &'a str,
    full_arn: Option<&'a str>,
}

impl<'a> Wanted<'a> {
    /// A user or role ARN, or an assumed-role session ARN (which names its role without path).
    pub fn from_arn(arn: &'a str) -> Option<Wanted<'a>> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", _partition, service, "", account, resource] = parts.as_slice() else {
            return None;
        };
        let (kind, rest) = match (*service, resource.split_once('/')?) {
            ("iam", ("user", rest)) => (Kind::User, rest),
            ("iam", ("role", rest)) => (Kind::Role, rest),
            ("sts", ("assumed-role", rest)) => {
                let (role, _session) = rest.split_once('/')?;
                return Some(Wanted { account, kind: Kind::Role, name: role, full_arn: None });
            }
            _ => return None,
        };
        let (name, full_arn) = match rest.rsplit_once('/') {
            Some((_path, name)) => (name, Some(arn)),
            None => (rest, None),
        };
        Some(Wanted { account, kind, name, full_arn })
    }
}

pub(super) fn load(reader: &mut Reader, account_dir: &Path, account: &str) -> Known<AccountIam> {
    let dir = account_dir.join("iam");
    let file = dir.join("get-account-authorization-details.json");
    let gap = Gap::new("gaad", account, "not-captured");
    let gaad: Gaad = match reader.output(&dir, "get-account-authorization-details", gap) {
        Known::Present(gaad) => gaad,
        Known::Absent => return Known::Absent,
        Known::NotCaptured(gap) => return Known::NotCaptured(gap),
    };
    let mut parse = Parser { reader, file: &file };
    let mut entities = Vec::new();
    for u in &gaad.user_detail_list {
        entities.push(Entity {
            kind: Kind::User,
            name: u.user_name.clone(),
            unique_id: u.user_id.clone(),
            arn: u.arn.clone(),
            inline: parse.inline(&u.arn, &u.user_policy_list),
            attached: arns(&u.attached_managed_policies),
            boundary: u.permissions_boundary.as_ref().map(|b| b.permissions_boundary_arn.clone()),
            trust: None,
            groups: u.group_list.clone(),
            tags: tags(&u.tags),
        });
    }
    for r in &gaad.role_detail_list {
        let trust = (r.assume_role_policy_document.as_ref())
            .map(|d| parse.one(format!("{}#trust-policy", r.arn), d));
        entities.push(Entity {
            kind: Kind::Role,
            name: r.role_name.clone(),
            unique_id: r.role_id.clone(),
            arn: r.arn.clone(),
            inline: parse.inline(&r.arn, &r.role_policy_list),
            attached: arns(&r.attached_managed_policies),
            boundary: r.permissions_boundary.as_ref().map(|b| b.permissions_boundary_arn.clone()),
            trust,
            groups: Vec::new(),
            tags: tags(&r.tags),
        });
    }
    let mut groups = HashMap::new();
    for g in &gaad.group_detail_list {
        let group = Group {
            inline: parse.inline(&g.arn, &g.group_policy_list),
            attached: arns(&g.attached_managed_policies),
        };
        groups.insert(g.group_name.clone(), group);
    }
    let mut managed = HashMap::new();
    for p in &gaad.policies {
        // Only the default version is in force; the others are kept history.
        let default = p.policy_version_list.iter().find(|v| v.is_default_version);
        let policy = match default.and_then(|v| v.document.as_ref()) {
            Some(document) => parse.one(p.arn.clone(), document),
            None => {
                parse
                    .reader
                    .problem(&file, format!("managed policy {} has no default version", p.arn));
                Err(Gap::new("managed-policy", &p.arn, "not-captured"))
            }
        };
        managed.insert(p.arn.clone(), policy);
    }
    load_fetched_versions(reader, &dir, &mut managed);
    // The content names the account (in every ARN): a GAAD in another account's directory
    // must not make that account's users and roles pass for this one's.
    let elsewhere = entities.iter().filter(|e| e.arn.split(':').nth(4) != Some(account)).count();
    if elsewhere > 0 {
        let message =
            format!("{elsewhere} users and roles of another account than {account}: left out");
        reader.problem(&file, message);
        entities.retain(|e| e.arn.split(':').nth(4) == Some(account));
    }
    let by_name =
        (entities.iter().enumerate()).map(|(i, e)| ((e.kind, e.name.clone()), i)).collect();
    let by_id = (entities.iter().enumerate()).map(|(i, e)| (e.unique_id.clone(), i)).collect();
    Known::Present(AccountIam { entities, by_name, by_id, groups, managed })
}

/// Parses the documents of one file; an unreadable one is a problem naming the file and the
/// policy, and a gap for whoever it applies to.
struct Parser<'a> {
    reader: &'a mut Reader,
    file: &'a Path,
}

impl Parser<'_> {
    fn one(&mut self, name: String, document: &Value) -> Parsed {
        let gap = Gap::new("policy", &name, "not-captured");
        self.reader.policy(self.file, &name, &decoded(document), gap)
    }

    fn inline(&mut self, owner: &str, list: &[Inline]) -> Vec<Parsed> {
        (list.iter())
            .map(|p| self.one(format!("{owner}#inline/{}", p.policy_name), &p.policy_document))
            .collect()
    }
}

/// `iam/policies/<url-encoded-arn>/get-policy-version.json`: attached (AWS-managed) policies
/// the GAAD did not list. The output does not name its policy, so the directory does.
fn load_fetched_versions(
    reader: &mut Reader,
    iam_dir: &Path,
    managed: &mut HashMap<String, Parsed>,
) {
    for (encoded, dir) in reader.subdirs(&iam_dir.join("policies")) {
        let arn = percent_decode(&encoded);
        if !(arn.starts_with("arn:") && arn.contains(":policy/")) {
            reader.problem(&dir, "the directory name is not a URL-encoded policy ARN: not read");
            continue;
        }
        if managed.contains_key(&arn) {
            continue; // the GAAD's own copy wins: it was read in the same pass as the attachments
        }
        let gap = Gap::new("managed-policy", &arn, "not-captured");
        let version: Known<GetPolicyVersion> =
            reader.output(&dir, "get-policy-version", gap.clone());
        let file = dir.join("get-policy-version.json");
        let parsed = match version.present().and_then(|v| v.policy_version.document) {
            Some(document) => Parser { reader, file: &file }.one(arn.clone(), &document),
            None => Err(gap),
        };
        managed.insert(arn, parsed);
    }
}

impl AccountIam {
    pub fn find(&self, wanted: &Wanted<'_>) -> Option<&Entity> {
        let entity = &self.entities[*self.by_name.get(&(wanted.kind, wanted.name.to_string()))?];
        wanted.full_arn.is_none_or(|arn| arn == entity.arn).then_some(entity)
    }

    /// By unique id (`AIDA…`, `AROA…`); a role session's principal id `AROA…:session` too.
    pub fn by_unique_id(&self, id: &str) -> Option<&Entity> {
        let id = id.split_once(':').map_or(id, |(id, _session)| id);
        self.by_id.get(id).map(|&i| &self.entities[i])
    }

    pub fn managed(&self, arn: &str) -> Option<&Parsed> {
        self.managed.get(arn)
    }

    /// The entity's policies gathered; not captured when any of them is.
    pub fn identity(
        &self,
        entity: &Entity,
        account: &str,
        managed: impl Fn(&str) -> Parsed,
    ) -> Known<Identity> {
        let gather = || -> Result<Identity, Gap> {
            let mut policies: Vec<Policy> = Vec::new();
            let mut seen = HashSet::new();
            let mut add = |policy: Policy| {
                if seen.insert(policy.name.clone()) {
                    policies.push(policy);
                }
            };
            for p in &entity.inline {
                add(p.clone()?);
            }
            for arn in &entity.attached {
                add(managed(arn)?);
            }
            for name in &entity.groups {
                let subject = format!("{account}/{name}");
                let group =
                    self.groups.get(name).ok_or(Gap::new("group", &subject, "not-in-gaad"))?;
                for p in &group.inline {
                    add(p.clone()?);
                }
                for arn in &group.attached {
                    add(managed(arn)?);
                }
            }
            let permissions_boundary = entity.boundary.as_deref().map(&managed).transpose()?;
            let trust_policy = entity.trust.clone().transpose()?;
            Ok(Identity {
                arn: entity.arn.clone(),
                account: account.to_string(),
                identity_policies: policies,
                permissions_boundary,
                trust_policy,
                tags: entity.tags.clone(),
            })
        };
        gather().into()
    }
}

/// AWS-managed policies (`arn:aws:iam::aws:policy/…`) are the same in every account.
pub(super) fn is_aws_managed(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws")
}

fn arns(list: &[Attached]) -> Vec<String> {
    list.iter().map(|a| a.policy_arn.clone()).collect()
}

fn tags(list: &[Tag]) -> Vec<(String, String)> {
    list.iter().map(|t| (t.key.clone(), t.value.clone())).collect()
}

/// A policy document as GAAD gives it: a JSON object (the CLI), a string of JSON, or a
/// URL-encoded string (the API, the SDKs), the last decoded into a string of JSON.
fn decoded(document: &Value) -> Cow<'_, Value> {
    match document {
        Value::String(text) if !text.trim_start().starts_with('{') => {
            Cow::Owned(Value::String(percent_decode(text)))
        }
        other => Cow::Borrowed(other),
    }
}

/// RFC 3986 percent-decoding (as Python's `urllib.parse.unquote`, which botocore uses): `%XX`
/// becomes its byte, anything else stays, and bytes that are not UTF-8 become U+FFFD.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).and_then(|&b| hex(b)),
            bytes.get(i + 2).and_then(|&b| hex(b)),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_as_urllib_unquote() {
        assert_eq!(percent_decode("%7B%22a%22%3A%20%22b%2Fc%22%7D"), r#"{"a": "b/c"}"#);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("a+b"), "a+b");
        assert_eq!(percent_decode("%E2%98%83"), "☃");
    }

    #[test]
    fn arns_say_what_they_ask_for() {
        let w = Wanted::from_arn("arn:aws:sts::111122223333:assumed-role/Deploy/ci-42").unwrap();
        assert_eq!(
            (w.account, w.kind, w.name, w.full_arn),
            ("111122223333", Kind::Role, "Deploy", None)
        );
        let arn = "arn:aws:iam::111122223333:role/service/Deploy";
        let w = Wanted::from_arn(arn).unwrap();
        assert_eq!((w.name, w.full_arn), ("Deploy", Some(arn)));
        let w = Wanted::from_arn("arn:aws:iam::111122223333:user/alice").unwrap();
        assert_eq!((w.kind, w.name, w.full_arn), (Kind::User, "alice", None));
        assert!(Wanted::from_arn("arn:aws:iam::111122223333:group/admins").is_none());
        assert!(Wanted::from_arn("arn:aws:s3:::bucket").is_none());
    }
}
