//! Tests of `suppress`, kept in their own file so that the module reads as its rules alone.

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
        target: Target { bucket: Some("logs".into()), ..Target::default() },
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
    Suppressions::parse(text).expect_err("the rules are invalid").to_string()
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
    assert!(matches("arn:aws:iam::*:role/backup-*", "arn:aws:iam::111122223333:role/backup-x"));
    assert!(matches("s3://trail/*", "s3://trail/AWSLogs/1/CloudTrail/x.json.gz"));
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
    assert!(!matches("s3:Get?Object", "s3:GetObject"), "? is not zero characters");
    assert!(!matches("s3:Get?bject", "s3:GetObbject"), "? is not two characters");
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
            ("backup-probe", "the backup role probes every bucket nightly; expected"),
            ("rule-2", "anonymous scanners probing the public website bucket"),
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
    assert!(message.starts_with("<inline suppression rules>, line 3, column 15: "), "{message}");
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
    assert_eq!(line_column("é = 1", 3), (1, 3), "é is two bytes, one column");
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
        error
            .to_string()
            .starts_with(&format!("cannot read suppression rules {}: ", missing.display())),
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
    assert_eq!(labels, ["anonymous", "service_principal", "console_internal"]);
}
