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

use std::collections::HashMap;
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
    Syntax {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: rule {rule} ({name:?}) has no reason: every suppression must say why")]
    NoReason {
        file: PathBuf,
        rule: usize,
        name: String,
    },
    #[error(
        "{file}: rule {rule} ({name:?}) has no matcher: give at least one of principal, action, bucket, error_code, user_agent, source, account"
    )]
    NoMatcher {
        file: PathBuf,
        rule: usize,
        name: String,
    },
    #[error(
        "{file}: rule {rule} ({name:?}) has an empty {key} pattern: use \"*\" to match any value"
    )]
    EmptyPattern {
        file: PathBuf,
        rule: usize,
        name: String,
        key: &'static str,
    },
    #[error("{file}: rule {rule} has an empty name: leave `name` out to get \"rule-{rule}\"")]
    EmptyName { file: PathBuf, rule: usize },
    #[error("{file}: rules {first} and {second} are both named {name:?}: names must be unique")]
    DuplicateName {
        file: PathBuf,
        first: usize,
        second: usize,
        name: String,
    },
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
        let text = fs::read_to_string(path).map_err(|source| SuppressError::Read {
            file: path.to_path_buf(),
            source,
        })?;
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
        self.rules
            .iter()
            .map(|rule| (rule.name.as_str(), rule.reason.as_str()))
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
                return Err(SuppressError::EmptyName {
                    file: file.to_path_buf(),
                    rule: number,
                });
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
            return Err(SuppressError::NoMatcher {
                file: file.to_path_buf(),
                rule: number,
                name,
            });
        }
        Ok(Rule {
            name,
            reason,
            matchers,
        })
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
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
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

/// The built-in noise label of `d` (see [`NOISE_LABELS`]), or `None` for ordinary denials.
/// The label of [`NOISE_LABELS`] spelled `name` (reports store labels as text).
pub fn noise_label_named(name: &str) -> Option<&'static str> {
    NOISE_LABELS
        .iter()
        .map(|n| n.label)
        .find(|label| *label == name)
}

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
mod tests {
    use super::*;
    use crate::classify::principal::Principal;
    use crate::classify::resource::Target;
    use std::sync::Arc;

    const ORIGIN: &str =
        "s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/04/111122223333_x.json.gz";

    /// A denial of the backup role reading a bucket policy, through the AWS CLI.
    fn denial() -> Denial {
        Denial {
            event_name: Some("GetBucketPolicy".into()),
            action: "s3:GetBucketPolicy".into(),
            principal: Principal {
                principal: "arn:aws:iam::111122223333:role/backup-nightly".into(),
                principal_type: "AssumedRole".into(),
                session_name: Some("veeam".into()),
                ..Principal::default()
            },
            target: Target {
                bucket: Some("logs".into()),
                ..Target::default()
            },
            user_agent: Some("APN/1.0 Veeam/1.0 Backup/12.1".into()),
            origin: Arc::from(ORIGIN),
            ..Denial::example()
        }
    }

    fn with_type(principal: &str, principal_type: &str, agent: Option<&str>) -> Denial {
        let mut d = denial();
        d.principal.principal = principal.into();
        d.principal.principal_type = principal_type.into();
        d.user_agent = agent.map(str::to_string);
        d
    }

    fn error_of(text: &str) -> String {
        Suppressions::parse(text)
            .expect_err("the rules are invalid")
            .to_string()
    }

    fn matches(pattern: &str, value: &str) -> bool {
        Glob::new(pattern).matches(value)
    }

    /// The example of the module documentation, verbatim.
    const EXAMPLE: &str = r#"
[[rule]]
name = "backup-probe"            # optional; defaults to "rule-<n>" (1-based, in file order)
reason = "the backup role probes every bucket nightly; expected"   # required, non-empty
principal = "arn:aws:iam::*:role/backup-*"
action = "s3:GetBucket*"
bucket = "*"
error_code = "AccessDenied"
user_agent = "*Veeam*"
source = "s3://trail/AWSLogs/*"   # where the record came from (file path, s3:// URI, log stream)
account = "111122223333"          # the account the request was made to (recipientAccountId)

[[rule]]
reason = "anonymous scanners probing the public website bucket"
principal = "anonymous"
bucket = "www.example.com"
"#;

    #[test]
    fn globs_match_the_whole_value_case_sensitively() {
        assert!(matches("AccessDenied", "AccessDenied"));
        assert!(!matches("AccessDenied", "accessdenied"));
        assert!(!matches("Access", "AccessDenied"), "a prefix is not enough");
        assert!(!matches("Denied", "AccessDenied"), "a suffix is not enough");
        assert!(matches("*", ""));
        assert!(matches("*", "arn:aws:iam::1:role/a/b"));
        assert!(matches(
            "arn:aws:iam::*:role/backup-*",
            "arn:aws:iam::111122223333:role/backup-x"
        ));
        assert!(matches(
            "s3://trail/*",
            "s3://trail/AWSLogs/1/CloudTrail/x.json.gz"
        ));
        assert!(matches("a*b*c", "abc"));
        assert!(matches("a*b*c", "a-b-b-c"));
        assert!(!matches("a*b*c", "a-c-b"));
        assert!(matches("*.json.gz", "x.json.gz.json.gz"));
        assert!(!matches("", "x"));
        assert!(matches("", ""));
    }

    #[test]
    fn a_question_mark_is_exactly_one_character_even_beyond_ascii() {
        assert!(matches("s3:Get?bject", "s3:GetObject"));
        assert!(
            !matches("s3:Get?Object", "s3:GetObject"),
            "? is not zero characters"
        );
        assert!(
            !matches("s3:Get?bject", "s3:GetObbject"),
            "? is not two characters"
        );
        assert!(matches("caf?", "café"));
        assert!(matches("??", "éé"));
        assert!(!matches("???", "éé"));
        assert!(matches("*é", "ééé"));
        assert!(matches("*?é", "xé"));
        assert!(matches("?", "🦀"));
        assert!(matches("*🦀*", "a🦀b"));
    }

    #[test]
    fn runs_of_stars_collapse_to_one() {
        assert_eq!(Glob::new("a***b**"), Glob::new("a*b*"));
        assert_eq!(Glob::new("*?*"), Glob::new("*?*"));
        assert!(matches("***", ""));
        assert!(matches("a**b", "ab"));
    }

    #[test]
    fn ten_kilobytes_of_stars_match_anything_in_linear_steps() {
        let stars = "*".repeat(10 * 1024);
        let value = "x".repeat(4096);
        // Collapsed, the pattern is one `*`: one step for it and one per character taken.
        assert_eq!(Glob::new(&stars).0, "*");
        assert!(matches(&stars, &value));
        assert!(matches(&stars, ""));
        // Even uncollapsed, every `*` is one step, then the last one takes the value, one
        // character per step (a mismatch and its retry are one step): 10240 + 4096.
        assert_eq!(glob_steps(&stars, &value), (true, 10_240 + 4096));
    }

    #[test]
    fn alternating_stars_that_cannot_match_fail_in_linear_steps() {
        // `*a*a*…*a*b` against `aaa…a`: a backtracking matcher tries every way of splitting the
        // a's between the stars (exponential); this one only ever retries the last star.
        let pattern = format!("{}*b", "*a".repeat(2000));
        let value = "a".repeat(4096);
        let (matched, steps) = glob_steps(&pattern, &value);
        assert!(!matched);
        // 4000 steps take the first 2000 a's pairwise, 1 for the last `*`, then each mismatch
        // against `b` moves that star one a on (2096 steps), and the last step finds no a left.
        assert_eq!(steps, 4000 + 1 + 2096 + 1);
        assert!(matches(&pattern, &format!("{value}b")));
    }

    #[test]
    fn the_worst_case_is_bounded_by_pattern_times_value() {
        // Each retry of the star re-reads the literal run: quadratic, the algorithm's worst case.
        let pattern = format!("*{}b", "a".repeat(1000));
        let value = "a".repeat(4096);
        let (matched, steps) = glob_steps(&pattern, &value);
        assert!(!matched);
        assert!(steps <= (pattern.len() + 1) * (value.len() + 1));
        let many = "?".repeat(10 * 1024);
        assert_eq!(glob_steps(&many, "abc"), (false, 4));
    }

    #[test]
    fn the_documented_example_parses_and_matches() {
        let rules = Suppressions::parse(EXAMPLE).expect("valid");
        assert_eq!(rules.len(), 2);
        assert!(!rules.is_empty());
        assert_eq!(
            rules.rules().collect::<Vec<_>>(),
            [
                (
                    "backup-probe",
                    "the backup role probes every bucket nightly; expected"
                ),
                (
                    "rule-2",
                    "anonymous scanners probing the public website bucket"
                ),
            ]
        );
        assert_eq!(rules.matching(&denial()), Some("backup-probe"));
        let mut website = with_type("anonymous", "Anonymous", None);
        website.target.bucket = Some("www.example.com".into());
        assert_eq!(rules.matching(&website), Some("rule-2"));
        website.target.bucket = Some("www.example.org".into());
        assert_eq!(rules.matching(&website), None);
    }

    #[test]
    fn every_matcher_of_a_rule_must_match() {
        let rules = Suppressions::parse(
            r#"[[rule]]
            reason = "r"
            principal = "arn:aws:iam::*:role/backup-*"
            action = "s3:PutObject""#,
        )
        .expect("valid");
        assert_eq!(rules.matching(&denial()), None, "the action differs");
        let mut put = denial();
        put.action = "s3:PutObject".into();
        assert_eq!(rules.matching(&put), Some("rule-1"));
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let rules = Suppressions::parse(
            r#"
            [[rule]]
            reason = "not this one"
            action = "kms:*"
            [[rule]]
            name = "broad"
            reason = "first that matches"
            action = "s3:*"
            [[rule]]
            name = "narrow"
            reason = "also matches, but comes later"
            action = "s3:GetBucketPolicy"
            "#,
        )
        .expect("valid");
        assert_eq!(rules.matching(&denial()), Some("broad"));
    }

    #[test]
    fn each_key_matches_its_own_field() {
        let d = denial();
        let cases = [
            ("principal", "arn:aws:iam::111122223333:role/backup-nightly"),
            ("action", "s3:GetBucketPolicy"),
            ("bucket", "logs"),
            ("error_code", "AccessDenied"),
            ("user_agent", "APN/1.0 Veeam/1.0 Backup/12.1"),
            ("source", ORIGIN),
            ("account", "111122223333"),
        ];
        for (key, value) in cases {
            let exact = format!("[[rule]]\nreason = \"r\"\n{key} = \"{value}\"\n");
            let rules = Suppressions::parse(&exact).expect("valid");
            assert_eq!(rules.matching(&d), Some("rule-1"), "{key} = {value}");
            // Any other field's value would not match this key.
            let other = format!("[[rule]]\nreason = \"r\"\n{key} = \"us-east-1\"\n");
            let rules = Suppressions::parse(&other).expect("valid");
            assert_eq!(rules.matching(&d), None, "{key} = us-east-1");
        }
    }

    #[test]
    fn a_matcher_on_a_missing_field_does_not_match_even_a_star() {
        let rules = Suppressions::parse(
            "[[rule]]\nreason = \"r\"\nbucket = \"*\"\n[[rule]]\nreason = \"r\"\nuser_agent = \"*\"\n[[rule]]\nreason = \"r\"\naccount = \"*\"\n[[rule]]\nreason = \"r\"\nerror_code = \"*\"\n",
        )
        .expect("valid");
        let mut d = denial();
        d.target.bucket = None;
        assert_eq!(rules.matching(&d), Some("rule-2"));
        d.user_agent = None;
        assert_eq!(rules.matching(&d), Some("rule-3"));
        d.account_id = None;
        assert_eq!(rules.matching(&d), Some("rule-4"));
        d.error_code = None;
        assert_eq!(rules.matching(&d), None);
    }

    #[test]
    fn an_empty_file_suppresses_nothing() {
        for text in ["", "# no rules yet\n"] {
            let rules = Suppressions::parse(text).expect("valid");
            assert!(rules.is_empty());
            assert_eq!(rules.len(), 0);
            assert_eq!(rules.matching(&denial()), None);
        }
        assert!(Suppressions::default().is_empty());
    }

    #[test]
    fn a_rule_without_a_reason_is_refused() {
        let missing = "[[rule]]\nreason = \"ok\"\naction = \"*\"\n[[rule]]\nreason = \"ok\"\naction = \"*\"\n[[rule]]\nname = \"backup-probe\"\naction = \"s3:*\"\n";
        assert_eq!(
            error_of(missing),
            r#"<inline suppression rules>: rule 3 ("backup-probe") has no reason: every suppression must say why"#
        );
        assert_eq!(
            error_of("[[rule]]\nreason = \"  \\t\"\naction = \"*\"\n"),
            r#"<inline suppression rules>: rule 1 ("rule-1") has no reason: every suppression must say why"#
        );
    }

    #[test]
    fn a_rule_without_a_matcher_is_refused() {
        assert_eq!(
            error_of("[[rule]]\nname = \"all\"\nreason = \"everything is fine\"\n"),
            r#"<inline suppression rules>: rule 1 ("all") has no matcher: give at least one of principal, action, bucket, error_code, user_agent, source, account"#
        );
    }

    #[test]
    fn an_empty_pattern_or_name_is_refused() {
        assert_eq!(
            error_of("[[rule]]\nreason = \"r\"\nbucket = \"\"\n"),
            r#"<inline suppression rules>: rule 1 ("rule-1") has an empty bucket pattern: use "*" to match any value"#
        );
        assert_eq!(
            error_of("[[rule]]\nname = \" \"\nreason = \"r\"\nbucket = \"b\"\n"),
            r#"<inline suppression rules>: rule 1 has an empty name: leave `name` out to get "rule-1""#
        );
    }

    #[test]
    fn duplicate_names_are_refused_including_default_ones() {
        let twice = "[[rule]]\nname = \"a\"\nreason = \"r\"\naction = \"*\"\n[[rule]]\nname = \"b\"\nreason = \"r\"\naction = \"*\"\n[[rule]]\nname = \"a\"\nreason = \"r\"\naction = \"*\"\n";
        assert_eq!(
            error_of(twice),
            r#"<inline suppression rules>: rules 1 and 3 are both named "a": names must be unique"#
        );
        let default_taken = "[[rule]]\nreason = \"r\"\naction = \"*\"\n[[rule]]\nname = \"rule-1\"\nreason = \"r\"\naction = \"*\"\n";
        assert_eq!(
            error_of(default_taken),
            r#"<inline suppression rules>: rules 1 and 2 are both named "rule-1": names must be unique"#
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_their_position() {
        let typo = "[[rule]]\nreason = \"r\"\nprincipl = \"x\"\n";
        let message = error_of(typo);
        assert!(
            message.starts_with(
                "<inline suppression rules>, line 3, column 1: unknown field `principl`, expected one of"
            ),
            "{message}"
        );
        assert!(!message.contains('\n'), "one line: {message}");
        let plural = "[[rules]]\nreason = \"r\"\naction = \"*\"\n";
        assert!(
            error_of(plural).starts_with(
                "<inline suppression rules>, line 1, column 3: unknown field `rules`, expected `rule`"
            ),
            "{}",
            error_of(plural)
        );
    }

    #[test]
    fn toml_errors_say_line_and_column() {
        // `action = "s3:*` is 14 characters: the closing quote is missing at column 15.
        let unclosed = "[[rule]]\nreason = \"r\"\naction = \"s3:*\n";
        let message = error_of(unclosed);
        assert!(
            message.starts_with("<inline suppression rules>, line 3, column 15: "),
            "{message}"
        );
        assert!(!message.contains('\n'), "one line: {message}");
        let wrong_type = "[[rule]]\nreason = \"r\"\naction = [\"s3:*\"]\n";
        assert!(
            error_of(wrong_type).starts_with("<inline suppression rules>, line 3, column 10: "),
            "{}",
            error_of(wrong_type)
        );
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column("", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(
            line_column("é = 1", 3),
            (1, 3),
            "é is two bytes, one column"
        );
        assert_eq!(line_column("é", 1), (1, 1), "inside a character: its start");
        assert_eq!(line_column("ab", 99), (1, 3), "past the end: the end");
    }

    #[test]
    fn load_reads_a_file_and_names_it_in_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        let good = dir.path().join("expected.toml");
        fs::write(&good, EXAMPLE).expect("write");
        assert_eq!(Suppressions::load(&good).expect("valid").len(), 2);

        let bad = dir.path().join("bad.toml");
        fs::write(&bad, "[[rule]]\naction = \"*\"\n").expect("write");
        assert_eq!(
            Suppressions::load(&bad).expect_err("no reason").to_string(),
            format!(
                "{}: rule 1 (\"rule-1\") has no reason: every suppression must say why",
                bad.display()
            )
        );

        let missing = dir.path().join("missing.toml");
        let error = Suppressions::load(&missing).expect_err("no such file");
        assert!(matches!(error, SuppressError::Read { .. }));
        assert!(
            error.to_string().starts_with(&format!(
                "cannot read suppression rules {}: ",
                missing.display()
            )),
            "{error}"
        );
    }

    #[test]
    fn anonymous_requests_are_labelled() {
        let d = with_type("anonymous", "Anonymous", Some("curl/8.5.0"));
        assert_eq!(noise_label(&d), Some("anonymous"));
    }

    #[test]
    fn aws_service_principals_are_labelled() {
        let d = with_type("s3.amazonaws.com", "AWSService", Some("s3.amazonaws.com"));
        assert_eq!(noise_label(&d), Some("service_principal"));
    }

    #[test]
    fn console_and_aws_internal_user_agents_are_labelled() {
        let agents = [
            "AWS Internal",
            "console.amazonaws.com",
            "signin.amazonaws.com",
            "console.ec2.amazonaws.com",
            "[S3Console/0.4]",
            "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.224-190.876.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b09 java/1.8.0_412 vendor/Oracle_Corporation cfg/retry-mode/standard]",
            "S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.477",
            "[AWS-Support-TrustedAdvisor, aws-internal/3 aws-sdk-java/1.11.728]",
            "aws-internal/3 aws-sdk-java/1.11.706 Linux/4.9.184",
        ];
        for agent in agents {
            let d = with_type("arn:aws:iam::111122223333:user/a", "IAMUser", Some(agent));
            assert_eq!(noise_label(&d), Some("console_internal"), "{agent}");
        }
    }

    #[test]
    fn ordinary_denials_have_no_label() {
        let agents = [
            Some("aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023"),
            Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0.0.0"),
            Some("aws internal"),
            Some("AWS Internal "),
            Some("my-console.amazonaws.com.example"),
            None,
        ];
        for agent in agents {
            let d = with_type("arn:aws:iam::111122223333:user/a", "IAMUser", agent);
            assert_eq!(noise_label(&d), None, "{agent:?}");
        }
        assert_eq!(noise_label(&denial()), None);
    }

    #[test]
    fn principal_types_take_precedence_over_the_user_agent() {
        let anonymous = with_type("anonymous", "Anonymous", Some("AWS Internal"));
        assert_eq!(noise_label(&anonymous), Some("anonymous"));
        let service = with_type("s3.amazonaws.com", "AWSService", Some("[S3Console/0.4]"));
        assert_eq!(noise_label(&service), Some("service_principal"));
        let labels: Vec<_> = NOISE_LABELS.iter().map(|row| row.label).collect();
        assert_eq!(
            labels,
            ["anonymous", "service_principal", "console_internal"]
        );
    }
}
