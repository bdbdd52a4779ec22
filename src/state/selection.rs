//! What a state's runs kept, and how a state names its inputs.
//!
//! An object read under a narrow selection (a time window, some failures, some accounts or
//! regions) is marked scanned although the records outside the selection were left out, so a
//! later run that widens it would never see them: the state records the narrowest selection of
//! its runs and refuses a wider one.
//!
//! Local inputs are named by their canonical absolute path: `logs`, `logs/`, `./logs` and
//! `/srv/logs` are one source, whatever directory cron starts in.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::source::is_remote;

/// What a run kept: its time window (microseconds), which failures, which accounts and regions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedSelection {
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub include_authn: bool,
    pub all_errors: bool,
    /// `--account`s (all when empty). Absent from files written before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    /// `--region`s (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
}

impl RecordedSelection {
    /// What `self` keeps that `narrowest` did not, or `None` when it keeps no more.
    pub(super) fn widens(&self, narrowest: &RecordedSelection) -> Option<String> {
        let time = |t: Option<i64>| {
            t.map_or_else(|| "no bound".to_string(), |t| crate::report::rfc3339(Some(t)))
        };
        let earlier = match (self.since, narrowest.since) {
            (None, Some(_)) => true,
            (Some(ours), Some(theirs)) => ours < theirs,
            (_, None) => false,
        };
        let later = match (self.until, narrowest.until) {
            (None, Some(_)) => true,
            (Some(ours), Some(theirs)) => ours > theirs,
            (_, None) => false,
        };
        if earlier {
            Some(format!("--since {} is earlier than {}", time(self.since), time(narrowest.since)))
        } else if later {
            Some(format!("--until {} is later than {}", time(self.until), time(narrowest.until)))
        } else if self.include_authn && !narrowest.include_authn {
            Some("--include-authn keeps failures earlier runs left out".into())
        } else if self.all_errors && !narrowest.all_errors {
            Some("--all-errors keeps failures earlier runs left out".into())
        } else {
            widened_set("--account", &self.accounts, &narrowest.accounts)
                .or_else(|| widened_set("--region", &self.regions, &narrowest.regions))
        }
    }

    /// The selection both `self` and `other` keep.
    pub(super) fn narrowed(&self, other: &RecordedSelection) -> RecordedSelection {
        let bound = |a: Option<i64>, b: Option<i64>, pick: fn(i64, i64) -> i64| match (a, b) {
            (Some(a), Some(b)) => Some(pick(a, b)),
            (a, b) => a.or(b),
        };
        RecordedSelection {
            since: bound(self.since, other.since, i64::max),
            until: bound(self.until, other.until, i64::min),
            include_authn: self.include_authn && other.include_authn,
            all_errors: self.all_errors && other.all_errors,
            accounts: narrower_set(&self.accounts, &other.accounts),
            regions: narrower_set(&self.regions, &other.regions),
        }
    }
}

/// What a `flag` set (empty: everything) keeps that `narrowest` did not.
fn widened_set(flag: &str, ours: &[String], narrowest: &[String]) -> Option<String> {
    if narrowest.is_empty() {
        return None;
    }
    if ours.is_empty() {
        return Some(format!("no {flag} keeps more than {flag} {}", narrowest.join(",")));
    }
    let more: Vec<&str> =
        ours.iter().filter(|v| !narrowest.contains(v)).map(String::as_str).collect();
    (!more.is_empty()).then(|| format!("{flag} {} was left out by earlier runs", more.join(",")))
}

/// The values both sets keep (empty: everything).
fn narrower_set(a: &[String], b: &[String]) -> Vec<String> {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_vec(),
        (_, true) => a.to_vec(),
        _ => a.iter().filter(|v| b.contains(v)).cloned().collect(),
    }
}

/// How a state names an input: a local path as its canonical absolute path (when it exists),
/// `-` and `s3://`/`cwlogs://` URLs as written (an S3 prefix `logs` and `logs/` select
/// different keys).
pub fn canonical_input(input: &str) -> String {
    if input == "-" || is_remote(input) {
        return input.to_string();
    }
    std::fs::canonicalize(Path::new(input))
        .map_or_else(|_| input.to_string(), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_and_region_sets_only_narrow() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let a = RecordedSelection { accounts: set(&["111122223333"]), ..Default::default() };
        let ab = RecordedSelection {
            accounts: set(&["111122223333", "444455556666"]),
            ..Default::default()
        };
        let all = RecordedSelection::default();
        assert_eq!(a.widens(&a), None);
        assert_eq!(a.widens(&ab), None, "one of the two accounts is narrower");
        let more = ab.widens(&a).expect("a second account widens");
        assert!(more.contains("--account 444455556666"), "{more}");
        assert!(all.widens(&a).expect("no filter widens").contains("no --account"));
        assert_eq!(a.narrowed(&ab).accounts, set(&["111122223333"]));
        assert_eq!(all.narrowed(&ab).accounts, ab.accounts);
        let eu = RecordedSelection { regions: set(&["eu-west-1"]), ..Default::default() };
        assert!(all.widens(&eu).expect("no region filter widens").contains("--region"));
    }

    #[test]
    fn local_paths_are_named_canonically_and_urls_as_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let logs = dir.path().join("logs");
        std::fs::create_dir(&logs).expect("mkdir");
        let canonical = std::fs::canonicalize(&logs).expect("exists").display().to_string();
        let spelled = [
            logs.display().to_string(),
            format!("{}/", logs.display()),
            format!("{}/./", logs.display()),
            format!("{}/../logs", logs.display()),
        ];
        for input in spelled {
            assert_eq!(canonical_input(&input), canonical, "{input}");
        }
        for as_written in ["-", "s3://b/logs/", "s3://b/logs", "cwlogs://g", "no/such/path"] {
            assert_eq!(canonical_input(as_written), as_written);
        }
    }
}
