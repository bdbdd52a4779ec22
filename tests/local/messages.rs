//! What a person reads when they get something slightly wrong, and the help and README they
//! read before: each mistake gets a message that names it and says what to type instead, and
//! every flag the help offers is in the README.

use std::collections::BTreeSet;
use std::process::Command;

use crate::common::{json_of, repo, sample_logs, stderr, stdout, utf8, whydenied};

/// Runs a command that must fail with exit 1 and returns its one-line stderr.
fn refused(args: &[&str]) -> String {
    let output = whydenied(args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
    err
}

#[test]
fn slips_get_a_message_that_says_what_to_type() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("out");
    let out = utf8(&out);
    let err = refused(&["scan", "S3://trail-bucket/AWSLogs", "--out", out]);
    assert!(err.contains("write s3://trail-bucket/AWSLogs"), "{err}");
    let err = refused(&["scan", "s3:/trail-bucket", "--out", out]);
    assert!(err.contains("write s3://trail-bucket"), "{err}");
    let err = refused(&["scan", utf8(&sample_logs()), "--top", "0", "--out", out]);
    assert!(err.contains("give 1 or more, or `all`"), "{err}");

    let afile = work.path().join("afile");
    std::fs::write(&afile, "notes").expect("write");
    let err = refused(&["scan", utf8(&sample_logs()), "--out", utf8(&afile)]);
    assert!(err.contains("is a file, not a directory"), "{err}");
    assert_eq!(std::fs::read_to_string(&afile).expect("kept"), "notes");

    // `--top all` is every row, in every format.
    let output = whydenied(&[
        "scan",
        utf8(&sample_logs()),
        "--out",
        out,
        "--top",
        "all",
        "--format",
        "markdown",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let rows =
        stdout(&output).lines().filter(|l| l.starts_with("| ") && !l.starts_with("| #")).count();
    let (_, json, _) = json_of(&["report", out, "--top", "all", "--format", "json"]);
    assert_eq!(rows, json["summary"].as_array().expect("rows").len());
    assert!(!stdout(&output).contains("more groups not shown"));
}

#[test]
fn a_profile_that_gives_no_credentials_is_named() {
    if !cfg!(feature = "aws") {
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let config = work.path().join("config");
    std::fs::write(&config, "[profile audit]\nregion = eu-west-1\n").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args(["scan", "s3://trail-bucket", "--profile", "nosuch", "--out"])
        .arg(work.path().join("out"))
        .env_clear()
        .env("HOME", work.path())
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", work.path().join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("profile \"nosuch\""), "{err}");
    assert!(err.contains("aws configure list-profiles"), "{err}");
}

/// `--flag` names in `text`.
fn long_flags(text: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for (at, _) in text.match_indices("--") {
        let rest = &text[at + 2..];
        let name: String =
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        let before = text[..at].chars().next_back();
        if name.len() > 1 && before.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '-') {
            flags.insert(format!("--{name}"));
        }
    }
    flags
}

/// The long options a `--help` lists (as `  -x, --name …` or `      --name …`), but `--help`
/// and `--version`.
fn options_in(help: &str) -> BTreeSet<String> {
    help.lines()
        .filter(|l| l.trim_start().starts_with('-'))
        .flat_map(|l| long_flags(l.split("  ").find(|p| !p.trim().is_empty()).unwrap_or("")))
        .filter(|f| f != "--help" && f != "--version")
        .collect()
}

#[test]
fn help_and_readme_agree_and_examples_fit_80_columns() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let in_readme = long_flags(&readme);
    for command in [
        &["--help"][..],
        &["scan", "--help"],
        &["report", "--help"],
        &["explain", "--help"],
        &["policies", "fetch", "--help"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_whydenied"))
            .args(command)
            .env("COLUMNS", "80")
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0));
        let help = String::from_utf8_lossy(&output.stdout).into_owned();
        let options = options_in(&help);
        let missing: Vec<&String> = options.difference(&in_readme).collect();
        assert!(missing.is_empty(), "{command:?}: in --help, not in the README: {missing:?}");
        for line in help.lines() {
            assert!(line.chars().count() <= 80, "{command:?}: wider than 80 columns: {line:?}");
        }
        // An example is one line: one that ends with a shell continuation goes on in the next.
        let examples = help.split("Examples:").nth(1).unwrap_or("");
        for line in examples.lines().skip(1).take_while(|l| !l.trim().is_empty()) {
            let text = line.trim_start();
            assert!(
                ["whydenied ", "aws ", "AWS_", "# "].iter().any(|s| text.starts_with(s))
                    || line.starts_with("      "),
                "{command:?}: an example cut mid-command: {line:?}"
            );
        }
    }
    // The README says which command has which flag.
    let report_only = ["--new-since", "--fail-on-new"];
    let scan = Command::new(env!("CARGO_BIN_EXE_whydenied")).args(["scan", "--help"]).output();
    let scan = String::from_utf8_lossy(&scan.expect("runs").stdout).into_owned();
    for flag in report_only {
        assert!(!long_flags(&scan).contains(flag), "{flag} is report's");
    }
    assert!(!readme.contains("scan --fail-on-new"), "the README offers a flag scan does not have");
}

#[test]
fn completions_and_man_pages_come_from_the_same_definitions_as_help() {
    let scan_help = stdout(&whydenied(&["scan", "--help"]));
    let scan_flags = options_in(&scan_help);
    assert!(scan_flags.contains("--per-denial") && scan_flags.len() > 20, "{scan_flags:?}");
    for (shell, marker) in
        [("bash", "_whydenied()"), ("zsh", "#compdef whydenied"), ("fish", "complete -c whydenied")]
    {
        let output = whydenied(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = stdout(&output);
        assert!(script.contains(marker), "{shell}: {}", &script[..script.len().min(200)]);
        for flag in &scan_flags {
            // bash and zsh spell flags as typed; fish as `-l name`.
            let name = &flag[2..];
            let offered = script.contains(flag.as_str()) || script.contains(&format!("-l {name}"));
            assert!(offered, "{shell} completion lacks {flag}");
        }
    }
    let work = tempfile::tempdir().expect("temp dir");
    let pages = work.path().join("man1");
    let output = whydenied(&["man", utf8(&pages)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut written: Vec<String> = std::fs::read_dir(&pages)
        .expect("written")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    for page in ["whydenied.1", "whydenied-scan.1", "whydenied-report.1", "whydenied-explain.1"] {
        assert!(written.iter().any(|w| w == page), "{page} in {written:?}");
    }
    let scan_page = std::fs::read_to_string(pages.join("whydenied-scan.1")).expect("page");
    assert!(scan_page.starts_with(".ie") || scan_page.contains(".TH"), "roff");
    for flag in &scan_flags {
        // roff writes `-` as `\-`.
        assert!(scan_page.contains(&flag.replace('-', "\\-")), "man page lacks {flag}");
    }
}
