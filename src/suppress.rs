//! Expected denials: user-written suppression rules, and built-in labels for well-known noise.
//!
//! **Suppressions** (`--suppress FILE`) name denials an operator already knows about and has
//! accepted. A suppressed denial is still a row of `denials.parquet` (its `suppressed_by` column
//! names the rule); it is only left out of the summary. Every rule must say *why* it exists, so
//! that a year-old file can still be reviewed:
//!
//! ```toml
//! [[rule]]
//! name = "backup-probe"            # optional; defaults to "rule-<n>" (1-based, in file order)
//! reason = "the backup role probes every bucket nightly; expected"   # required, non-empty
//! principal = "arn:aws:iam::*:role/backup-*"
//! action = "s3:GetBucket*"
//! bucket = "*"
//! error_code = "AccessDenied"
//! user_agent = "*Veeam*"
//! source = "s3://trail/AWSLogs/*"   # where the record came from (file path, s3:// URI, log stream)
//! account = "111122223333"          # the account the request was made to (recipientAccountId)
//!
//! [[rule]]
//! reason = "anonymous scanners probing the public website bucket"
//! principal = "anonymous"
//! bucket = "www.example.com"
//! ```
//!
//! Every matcher is optional, but a rule needs at least one. A matcher is a glob over the whole
//! value, case-sensitive: `*` is any run of characters (`/` and `:` included), `?` exactly one
//! character, everything else itself. A matcher on a field the denial does not have (no bucket, no
//! user agent) does not match, not even `*`. A rule matches when all its matchers do; the first
//! matching rule in file order wins. `principal` is the normalised principal of the summary (for a
//! role session, the role's ARN), not the session ARN.
//!
//! **Noise labels** ([`noise_label`]) are not suppression: they fill a `noise` column so that a
//! query can filter well-known noise (console calls, AWS services, anonymous requests) without the
//! tool deciding for anyone. See [`NOISE_LABELS`] for the table and its order.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::classify::Denial;

/// Why a suppression file cannot be used; each names the file and says what is wrong, on one line.
#[derive(Debug, thiserror::Error)]
pub enum SuppressError {
    #[error("cannot read suppression rules {file}: {source}")]
    Read { file: PathBuf, source: io::Error },
    #[error("{file}, line {line}, column {column}: {message}")]
    Syntax { file: PathBuf, line: usize, column: usize, message: String },
    #[error("{file}: rule {rule} ({name:?}) has no reason: every suppression must say why")]
    NoReason { file: PathBuf, rule: usize, name: String },
    #[error(
        "{file}: rule {rule} ({name:?}) has no matcher: give at least one of principal, action, bucket, error_code, user_agent, source, account"
    )]
    NoMatcher { file: PathBuf, rule: usize, name: String },
    #[error(
        "{file}: rule {rule} ({name:?}) has an empty {key} pattern: use \"*\" to match any value"
    )]
    EmptyPattern { file: PathBuf, rule: usize, name: String, key: &'static str },
    #[error("{file}: rule {rule} has an empty name: leave `name` out to get \"rule-{rule}\"")]
    EmptyName { file: PathBuf, rule: usize },
    #[error("{file}: rules {first} and {second} are both named {name:?}: names must be unique")]
    DuplicateName { file: PathBuf, first: usize, second: usize, name: String },
}

/// The rules of one suppression file, in file order.
#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    rules: Vec<Rule>,
}

#[derive(Clone, Debug)]
struct Rule {
    name: String,
    reason: String,
    matchers: Vec<(Field, Glob)>,
}

/// The file as written; checked and turned into [`Rule`]s by [`Suppressions::parse`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<RuleText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleText {
    name: Option<String>,
    reason: Option<String>,
    principal: Option<String>,
    action: Option<String>,
    bucket: Option<String>,
    error_code: Option<String>,
    user_agent: Option<String>,
    source: Option<String>,
    account: Option<String>,
}

/// A field of a [`Denial`] that a rule can match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Principal,
    Action,
    Bucket,
    ErrorCode,
    UserAgent,
    Source,
    Account,
}

impl Field {
    /// The key in the rules file.
    fn key(self) -> &'static str {
        match self {
            Field::Principal => "principal",
            Field::Action => "action",
            Field::Bucket => "bucket",
            Field::ErrorCode => "error_code",
            Field::UserAgent => "user_agent",
            Field::Source => "source",
            Field::Account => "account",
        }
    }

    fn value_in(self, d: &Denial) -> Option<&str> {
        match self {
            Field::Principal => Some(&d.principal.principal),
            Field::Action => Some(&d.action),
            Field::Bucket => d.target.bucket.as_deref(),
            Field::ErrorCode => d.error_code.as_deref(),
            Field::UserAgent => d.user_agent.as_deref(),
            Field::Source => Some(&d.origin),
            Field::Account => d.account_id.as_deref(),
        }
    }
}

/// What [`Suppressions::parse`] calls the text in its errors.
const INLINE: &str = "<inline suppression rules>";

impl Suppressions {
    /// Reads and checks the suppression file at `path`.
    pub fn load(path: &Path) -> Result<Self, SuppressError> {
        let text = fs::read_to_string(path)
            .map_err(|source| SuppressError::Read { file: path.to_path_buf(), source })?;
        Self::parse_named(&text, path)
    }

    /// Checks suppression rules given as text (errors name the file `<inline suppression rules>`).
    pub fn parse(text: &str) -> Result<Self, SuppressError> {
        Self::parse_named(text, Path::new(INLINE))
    }

    fn parse_named(text: &str, file: &Path) -> Result<Self, SuppressError> {
        let written: RulesFile = toml::from_str(text).map_err(|e| {
            let (line, column) = line_column(text, e.span().map_or(0, |s| s.start));
            SuppressError::Syntax {
                file: file.to_path_buf(),
                line,
                column,
                message: e.message().trim().replace('\n', " "),
            }
        })?;
        let mut rules = Vec::with_capacity(written.rule.len());
        let mut numbers: HashMap<String, usize> = HashMap::new();
        for (index, text) in written.rule.into_iter().enumerate() {
            let rule = Rule::checked(text, index + 1, file)?;
            if let Some(&first) = numbers.get(&rule.name) {
                return Err(SuppressError::DuplicateName {
                    file: file.to_path_buf(),
                    first,
                    second: index + 1,
                    name: rule.name,
                });
            }
            numbers.insert(rule.name.clone(), index + 1);
            rules.push(rule);
        }
        Ok(Suppressions { rules })
    }

    /// The name of the first rule that matches `d`, or `None` when no rule does.
    pub fn matching(&self, d: &Denial) -> Option<&str> {
        self.rules
            .iter()
            .find(|rule| {
                rule.matchers
                    .iter()
                    .all(|(field, glob)| field.value_in(d).is_some_and(|v| glob.matches(v)))
            })
            .map(|rule| rule.name.as_str())
    }

    /// Each rule's name and reason, in file order: for reports that say what was suppressed and why.
    pub fn rules(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.rules.iter().map(|rule| (rule.name.as_str(), rule.reason.as_str()))
    }

    /// The names of the rules, in file order, that `matched` (rule name → denials) does not
    /// name: a rule that matched no denial is most likely a typo, or no longer needed.
    pub fn unused<'a>(&'a self, matched: &BTreeMap<String, u64>) -> Vec<&'a str> {
        let names = self.rules.iter().map(|rule| rule.name.as_str());
        names.filter(|name| !matched.contains_key(*name)).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }
}

impl Rule {
    /// Rule number `number` (1-based) as written, once it has a name, a reason and a matcher.
    fn checked(text: RuleText, number: usize, file: &Path) -> Result<Rule, SuppressError> {
        let name = match text.name {
            Some(name) if name.trim().is_empty() => {
                return Err(SuppressError::EmptyName { file: file.to_path_buf(), rule: number });
            }
            Some(name) => name,
            None => format!("rule-{number}"),
        };
        let reason = match text.reason {
            Some(reason) if !reason.trim().is_empty() => reason,
            _ => {
                return Err(SuppressError::NoReason {
                    file: file.to_path_buf(),
                    rule: number,
                    name,
                });
            }
        };
        let written = [
            (Field::Principal, text.principal),
            (Field::Action, text.action),
            (Field::Bucket, text.bucket),
            (Field::ErrorCode, text.error_code),
            (Field::UserAgent, text.user_agent),
            (Field::Source, text.source),
            (Field::Account, text.account),
        ];
        let mut matchers = Vec::new();
        for (field, pattern) in written {
            let Some(pattern) = pattern else { continue };
            if pattern.is_empty() {
                return Err(SuppressError::EmptyPattern {
                    file: file.to_path_buf(),
                    rule: number,
                    name,
                    key: field.key(),
                });
            }
            matchers.push((field, Glob::new(&pattern)));
        }
        if matchers.is_empty() {
            return Err(SuppressError::NoMatcher { file: file.to_path_buf(), rule: number, name });
        }
        Ok(Rule { name, reason, matchers })
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

/// A `*`/`?` glob over a whole value, with runs of `*` collapsed (they mean the same as one).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Glob(String);

impl Glob {
    fn new(pattern: &str) -> Glob {
        let mut collapsed = String::with_capacity(pattern.len());
        for c in pattern.chars() {
            if !(c == '*' && collapsed.ends_with('*')) {
                collapsed.push(c);
            }
        }
        Glob(collapsed)
    }

    fn matches(&self, value: &str) -> bool {
        glob_steps(&self.0, value).0
    }
}

/// Whether glob `pattern` matches all of `value`, and how many steps that took.
///
/// Russ Cox, "Glob Matching Can Be Simple And Fast Too" (research.swtch.com/glob): with only `*`
/// and `?`, a mismatch needs to retry only the most recent `*`, one character longer; earlier
/// stars never need to give back what they took. A retry moves that star's end one character on,
/// so the work is bounded by (pattern length + 1) × (value length + 1) steps, never exponential.
/// Works on bytes and keeps to character boundaries: `?` and a retried `*` take a whole UTF-8
/// character, and a literal matches only a whole character (its first byte is never a
/// continuation byte).
fn glob_steps(pattern: &str, value: &str) -> (bool, usize) {
    let (p, v) = (pattern.as_bytes(), value.as_bytes());
    let (mut pi, mut vi) = (0, 0);
    // The most recent `*`: its index in the pattern and where its match ends in the value.
    let mut star: Option<(usize, usize)> = None;
    let mut steps = 0;
    while pi < p.len() || vi < v.len() {
        steps += 1;
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, vi));
                pi += 1;
                continue;
            }
            Some(b'?') if vi < v.len() => {
                vi += utf8_width(v[vi]);
                pi += 1;
                continue;
            }
            Some(&c) if c != b'?' && v.get(vi) == Some(&c) => {
                pi += 1;
                vi += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((star_pi, star_end)) if star_end < v.len() => {
                let star_end = star_end + utf8_width(v[star_end]);
                star = Some((star_pi, star_end));
                pi = star_pi + 1;
                vi = star_end;
            }
            _ => return (false, steps),
        }
    }
    (true, steps)
}

/// The length of the UTF-8 character that starts with byte `first`.
fn utf8_width(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// How a built-in noise label recognises a denial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoiseSign {
    /// The normalised `principal_type` is exactly this. CloudTrail derives it from the
    /// credentials, so the caller cannot choose it.
    PrincipalType(&'static str),
    /// The user agent matches one of these globs. The caller's client writes the user agent, so
    /// this is a hint, never proof: one more reason labels only mark denials and drop none.
    UserAgent(&'static [&'static str]),
}

/// One row of [`NOISE_LABELS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoiseLabel {
    /// The value of the `noise` column.
    pub label: &'static str,
    pub sign: NoiseSign,
    /// What the label means, for documentation.
    pub meaning: &'static str,
}

/// Built-in labels for well-known noise, in order of precedence: the first row that applies
/// labels the denial. Facts from the credentials (principal type) come before the user agent,
/// which any caller can set: an anonymous request claiming `AWS Internal` is `anonymous`.
///
/// User agents are from the AWS CloudTrail User Guide, "CloudTrail record contents", `userAgent`
/// (`signin.amazonaws.com`, `console.amazonaws.com`, and `AWS Internal`, which CloudTrail writes in
/// place of the real agent for calls made through the console's proxy), and from the events the
/// S3 and EC2 consoles leave (`[S3Console/0.4, aws-internal/3 aws-sdk-java/…]`,
/// `console.ec2.amazonaws.com`); `aws-internal/` marks AWS's own SDK builds, which console back
/// ends and AWS features such as Trusted Advisor use.
pub const NOISE_LABELS: &[NoiseLabel] = &[
    NoiseLabel {
        label: "anonymous",
        sign: NoiseSign::PrincipalType("Anonymous"),
        meaning: "an unsigned request (S3 ANONYMOUS_PRINCIPAL): scanners and public-bucket probes",
    },
    NoiseLabel {
        label: "service_principal",
        sign: NoiseSign::PrincipalType("AWSService"),
        meaning: "an AWS service acting on its own (userIdentity type AWSService), e.g. probing a bucket",
    },
    NoiseLabel {
        label: "console_internal",
        sign: NoiseSign::UserAgent(&[
            "AWS Internal",
            "console.amazonaws.com",
            "signin.amazonaws.com",
            "console.*.amazonaws.com",
            "[S3Console/*",
            "S3Console/*",
            "*aws-internal/*",
        ]),
        meaning: "a call the AWS Management Console or another AWS-internal client made, often just to render a page",
    },
];

/// The label of [`NOISE_LABELS`] spelled `name` (reports store labels as text).
pub fn noise_label_named(name: &str) -> Option<&'static str> {
    NOISE_LABELS.iter().map(|n| n.label).find(|label| *label == name)
}

/// The built-in noise label of `d` (see [`NOISE_LABELS`]), or `None` for ordinary denials.
pub fn noise_label(d: &Denial) -> Option<&'static str> {
    NOISE_LABELS
        .iter()
        .find(|row| match row.sign {
            NoiseSign::PrincipalType(kind) => d.principal.principal_type == kind,
            NoiseSign::UserAgent(globs) => d
                .user_agent
                .as_deref()
                .is_some_and(|agent| globs.iter().any(|g| glob_steps(g, agent).0)),
        })
        .map(|row| row.label)
}

#[cfg(test)]
mod tests;
