//! The HTML report: one self-contained page (styles, script, charts and data inline, nothing
//! fetched) that a team opens from a file, a chat attachment or a static web server.
//!
//! It is made from the summary rows and the denials reports, read back from the output
//! directory, so `whydenied report` can make it again later without the logs. The parts:
//!
//! - `data` streams the denials files once, keeping only what the page shows: per-hour counts
//!   for the timeline and a few sample events per table row;
//! - `chart` draws the timeline and the bar charts as SVG;
//! - `page` is the page template (maud: every interpolated value is HTML-escaped, in text
//!   and in attributes alike), with `report.css` and `report.js` inlined.
//!
//! Log content is untrusted: the page carries a Content-Security-Policy that allows no
//! fetches at all and only its own inline script and style (by hash), so even a value that
//! escaped escaping could neither run nor call out.

mod chart;
mod data;
mod page;

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use arrow_schema::ArrowError;
use chrono::DateTime;
use parquet::errors::ParquetError;

use crate::aggregate::{SummaryKey, SummaryRows};
use crate::stats::ScanStats;
use crate::window::TimeWindow;

/// Summary rows shown in the table (the largest groups); the page says how many were left out.
pub const TABLE_ROW_LIMIT: usize = 2_000;

/// Sample events listed per table row (the most recent ones).
pub const SAMPLES_PER_ROW: usize = 5;

/// Why the HTML report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot read {path}: {source}")]
    Parquet { path: PathBuf, source: ParquetError },
    #[error("cannot read {path}: {source}")]
    Arrow { path: PathBuf, source: ArrowError },
    #[error("cannot read {path}: column `{column}` is missing or is not {expected}")]
    Column { path: PathBuf, column: &'static str, expected: &'static str },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// What a page is made of.
#[derive(Clone, Copy, Debug)]
pub struct PageInput<'a> {
    /// The summary rows: the table, the headline and the bar charts.
    pub rows: &'a SummaryRows,
    /// The denials reports the rows were made from: the timeline and the sample events.
    pub denials: &'a [PathBuf],
    /// Denials outside it are not counted by the rows (`report --since/--until`), nor shown.
    pub window: &'a TimeWindow,
    /// What was scanned and which inputs could not be read, when the page follows a scan.
    pub stats: Option<&'a ScanStats>,
    /// The groups that are new, when that is known.
    pub new: Option<NewGroups<'a>>,
}

/// The groups (principal × action × bucket) seen for the first time, and since when.
#[derive(Clone, Copy, Debug)]
pub struct NewGroups<'a> {
    pub keys: &'a HashSet<SummaryKey>,
    pub since: Since,
}

/// What "new" is measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// Not in any earlier run of the same `--state`.
    LastRun,
    /// First seen at or after this time, in all the reports (`report --new-since`).
    Time(i64),
}

/// Writes the HTML report to `html_path`: under a temporary name next to it first, renamed
/// when complete, so a web server never serves half a page.
pub fn write_html_report(page: &PageInput<'_>, html_path: &Path) -> Result<(), HtmlError> {
    let report = data::load(page, TABLE_ROW_LIMIT, SAMPLES_PER_ROW)?;
    let markup = page::render(&report, page);
    crate::partial::write_atomically(html_path, markup.as_bytes())
        .map_err(|source| HtmlError::Write { path: html_path.to_path_buf(), source })
}

/// `19531` as `19,531`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A time as shown on the page (always UTC, which CloudTrail records): `2026-11-04 21:00`, in
/// the given chrono format; empty for no time.
fn utc(micros: Option<i64>, format: &str) -> String {
    micros
        .and_then(DateTime::from_timestamp_micros)
        .map(|t| t.format(format).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::sync::Arc;

    use super::*;
    use crate::aggregate::Summary;
    use crate::classify::Denial;
    use crate::classify::principal::Principal;
    use crate::classify::reason::{DeniedBy, DenyKind, PolicyType};
    use crate::classify::resource::Target;
    use crate::report::parquet::{DENIALS_FILE, ParquetReport};
    use crate::report::schema::DENIAL_COLUMNS;

    const SCRIPT: &str = "<script>alert(1)</script>";
    const ATTRIBUTE_BREAKOUT: &str = "\"><img src=x onerror=alert(1)>";

    fn denial(hostile: &str, seconds: i64) -> Denial {
        Denial {
            event_time: Some(1_793_000_000_000_000 + seconds * 1_000_000),
            event_id: Some(format!("{hostile}-{seconds}")),
            error_message: Some(format!("denied {hostile}")),
            deny_kind: DenyKind::Explicit,
            denied_by: DeniedBy::Policy(PolicyType::ServiceControlPolicy),
            principal: Principal {
                principal: format!("arn:aws:iam::111122223333:user/{hostile}"),
                principal_type: "IAMUser".into(),
                account: Some("111122223333".into()),
                ..Principal::default()
            },
            target: Target {
                bucket: Some(format!("bucket{hostile}")),
                object_key: Some(format!("key/{hostile}")),
                resource_arn: None,
            },
            user_agent: Some(format!("agent {hostile}")),
            origin: Arc::from("hostile.json"),
            ..Denial::example()
        }
    }

    /// The denials report of `denials` in a temporary directory, and the summary rows (the
    /// suppressed denials left out, as a scan leaves them out).
    fn reports_for(denials: &[Denial]) -> (tempfile::TempDir, Vec<PathBuf>, SummaryRows) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut summary = Summary::default();
        let mut report =
            ParquetReport::create(dir.path(), DENIALS_FILE, DENIAL_COLUMNS).expect("create");
        for d in denials {
            if d.suppressed_by.is_none() {
                summary.add(d);
            }
            report.push(d).expect("push");
        }
        let file = report.commit().expect("commit");
        (dir, vec![file], summary.into_rows())
    }

    fn input<'a>(rows: &'a SummaryRows, denials: &'a [PathBuf]) -> PageInput<'a> {
        PageInput { rows, denials, window: &UNBOUNDED, stats: None, new: None }
    }

    const UNBOUNDED: TimeWindow = TimeWindow { since: None, until: None };

    /// The page for `denials`.
    fn page_for(denials: &[Denial]) -> String {
        let (dir, files, rows) = reports_for(denials);
        let html = dir.path().join("report.html");
        write_html_report(&input(&rows, &files), &html).expect("report written");
        fs::read_to_string(html).expect("read back")
    }

    #[test]
    fn a_linked_change_is_on_the_timeline_and_under_its_row() {
        let (dir, files, mut rows) = reports_for(&[denial("x", 0), denial("x", 7200)]);
        rows.amend(|row| {
            let first = row.first_seen.expect("timed");
            row.change = Some(crate::changes::link::ChangeLink {
                event_id: Some("ev-<change>".into()),
                time: Some(first - 3_600_000_000),
                actor: "arn:aws:iam::111122223333:root".into(),
                event_name: "PutBucketPolicy".into(),
                target_type: Some(crate::changes::TargetType::BucketPolicy),
                target: Some("b".into()),
            });
            true
        });
        let html = dir.path().join("report.html");
        write_html_report(&input(&rows, &files), &html).expect("report written");
        let page = fs::read_to_string(html).expect("read back");
        // Out of the denials' span: not drawn. One hour earlier than the first denial is.
        assert!(page.contains("<line class=\"change\""), "no marker");
        assert!(page.contains(
            "PutBucketPolicy by arn:aws:iam::111122223333:root on b (event ev-&lt;change&gt;)"
        ));
        assert!(page.contains("data-column=\"change_event_id\""));
        let (dir, files, mut rows) = reports_for(&[denial("x", 0)]);
        rows.amend(|row| {
            row.change =
                Some(crate::changes::link::ChangeLink { time: Some(1), ..Default::default() });
            true
        });
        let html = dir.path().join("report.html");
        write_html_report(&input(&rows, &files), &html).expect("report written");
        assert!(!fs::read_to_string(html).expect("read back").contains("<line class=\"change\""));
    }

    #[test]
    fn every_registered_summary_column_is_on_the_page() {
        let page = page_for(&[denial("x", 0)]);
        let shown: std::collections::BTreeSet<&str> = page
            .split("data-column=\"")
            .skip(1)
            .flat_map(|rest| rest.split('"').next().unwrap_or_default().split(' '))
            .collect();
        for column in crate::report::schema::SUMMARY_COLUMNS {
            assert!(shown.contains(column.name), "{} is not on the page", column.name);
        }
    }

    #[test]
    fn hostile_strings_appear_only_as_escaped_text() {
        for hostile in [SCRIPT, ATTRIBUTE_BREAKOUT] {
            let page = page_for(&[denial(hostile, 0), denial(hostile, 60)]);
            assert!(!page.contains(hostile), "raw {hostile:?} in the page");
            let escaped = hostile
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;");
            for shown in [
                format!("user/{escaped}"),
                format!("bucket{escaped}"),
                format!("key/{escaped}"),
                format!("agent {escaped}"),
                format!("denied {escaped}"),
            ] {
                assert!(page.contains(&shown), "{shown:?} not shown as text");
            }
            assert_eq!(page.matches("<script").count(), 1, "only the page's script");
            assert!(!page.contains("<img"));
            assert!(!page.contains("onerror=alert(1)>"));
        }
    }

    #[test]
    fn the_table_is_capped_and_says_so() {
        // Five groups of 1 to 5 denials; the table keeps the 3 largest, 2 samples each.
        let denials: Vec<Denial> =
            (0..5).flat_map(|p| (0..=p).map(move |k| denial(&format!("p{p}"), k * 60))).collect();
        let (_dir, files, rows) = reports_for(&denials);
        let page = input(&rows, &files);
        let report = data::load(&page, 3, 2).expect("loaded");
        assert_eq!(report.groups.len(), 5);
        assert_eq!(report.denials, 15);
        let ids: Vec<Vec<&str>> = report
            .samples
            .iter()
            .map(|s| s.iter().filter_map(|e| e.event_id.as_deref()).collect())
            .collect();
        assert_eq!(ids, [["p4-240", "p4-180"], ["p3-180", "p3-120"], ["p2-120", "p2-60"]]);
        let page = page::render(&report, &page);
        assert_eq!(page.matches("<tr class=\"group\"").count(), 3);
        assert_eq!(page.matches("<tr class=\"drill\">").count(), 3);
        assert!(page.contains("the top 3 of 5 rows are shown"));
    }

    #[test]
    fn suppressed_and_out_of_window_denials_are_not_drawn() {
        let hour = 3_600;
        let mut suppressed = denial("alice", 5 * hour);
        suppressed.suppressed_by = Some("known".into());
        let denials =
            [denial("alice", 0), denial("alice", 60), suppressed, denial("alice", 48 * hour)];
        let (_dir, files, rows) = reports_for(&denials);
        let start = denials[0].event_time.expect("time");
        let window = TimeWindow { since: None, until: Some(start + 24 * hour * 1_000_000) };
        let page = PageInput { window: &window, ..input(&rows, &files) };
        let report = data::load(&page, 10, 10).expect("loaded");
        let drawn: u64 = report.hourly.counts.values().sum();
        assert_eq!(drawn, 2, "{:?}", report.hourly);
        assert_eq!(report.last_time, Some(start + 60_000_000));
        let samples: Vec<_> =
            report.samples[0].iter().filter_map(|e| e.event_id.as_deref()).collect();
        assert_eq!(samples, ["alice-60", "alice-0"]);
    }

    #[test]
    fn new_groups_are_counted_and_marked() {
        let denials: Vec<Denial> = ["p0", "p1", "p1", "p2"]
            .iter()
            .enumerate()
            .map(|(i, p)| denial(p, i as i64 * 60))
            .collect();
        let (dir, files, rows) = reports_for(&denials);
        let new: HashSet<SummaryKey> =
            rows.iter().filter(|r| r.principal.ends_with("/p1")).map(|r| r.key()).collect();
        assert_eq!(new.len(), 1);
        let html = dir.path().join("report.html");
        for (since, label) in [
            (Since::LastRun, "new groups since the last run"),
            (Since::Time(0), "new groups since 1970-01-01 00:00 UTC"),
        ] {
            let page =
                PageInput { new: Some(NewGroups { keys: &new, since }), ..input(&rows, &files) };
            write_html_report(&page, &html).expect("written");
            let page = fs::read_to_string(&html).expect("read back");
            assert!(
                page.contains(&format!(
                    "<li class=\"new\"><span class=\"value\">1</span><span class=\"label\">{label}</span>"
                )),
                "headline: {label}"
            );
            assert_eq!(page.matches("<tr class=\"group new\"").count(), 1);
            assert_eq!(page.matches("<tr class=\"group\"").count(), 2);
            assert!(page.contains("id=\"only-new\""));
        }
        let unknown = page_for(&denials);
        assert!(!unknown.contains("new groups"));
        assert!(!unknown.contains("id=\"only-new\""));
    }

    #[test]
    fn noise_is_marked_or_left_out_and_counted() {
        let mut anonymous = denial("x", 120);
        anonymous.principal.principal = "anonymous".into();
        anonymous.noise = Some("anonymous");
        let denials = [denial("alice", 0), denial("alice", 60), anonymous.clone(), anonymous];
        let page = page_for(&denials);
        assert_eq!(page.matches("class=\"badge noise-badge\"").count(), 1);
        assert!(page.contains("id=\"hide-noise\""));
        assert!(page.contains("of them labelled noise (1 group)"));

        let (_dir, files, rows) = reports_for(&denials);
        let quiet = rows.without_noise();
        let input = input(&quiet, &files);
        let report = data::load(&input, 10, 10).expect("loaded");
        let drawn: u64 = report.hourly.counts.values().sum();
        assert_eq!(drawn, 2, "the hidden group's denials are not drawn");
        let page = page::render(&report, &input);
        assert!(page.contains("noise left out by --hide-noise (1 group)"), "headline");
        assert!(
            !page.contains("class=\"badge noise-badge\"") && !page.contains("id=\"hide-noise\"")
        );
    }

    #[test]
    fn rows_carry_what_the_charts_filter_by() {
        let page = page_for(&[denial("x", 0)]);
        for attribute in [
            "data-principal=\"arn:aws:iam::111122223333:user/x\"",
            "data-action=\"s3:GetObject\"",
            "data-bucket=\"bucketx\"",
            "data-accounts=\"111122223333\"",
            "data-denied-by=\"scp\"",
            "data-facet=\"principal\" data-value=\"arn:aws:iam::111122223333:user/x\"",
            "data-facet=\"account\" data-value=\"111122223333\"",
            "data-facet=\"denied_by\" data-value=\"scp\"",
        ] {
            assert!(page.contains(attribute), "{attribute}");
        }
        for column in ["<th>Account</th>", "<th>Session</th>", "<th>Resource</th>"] {
            assert!(page.contains(column), "{column}");
        }
    }

    #[test]
    fn page_is_self_contained() {
        let page = page_for(&[denial("alice", 0)]);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("default-src 'none'"));
        for fetching in ["src=", "href=\"http", "@import", "url("] {
            assert!(!page.contains(fetching), "{fetching} in the page");
        }
    }

    #[test]
    fn numbers_and_times_read_well() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(19_531_000), "19,531,000");
        assert_eq!(utc(Some(0), "%Y-%m-%d %H:%M"), "1970-01-01 00:00");
        assert_eq!(utc(None, "%Y"), "");
    }

    #[test]
    fn no_partial_file_is_left_behind() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("index.html");
        crate::partial::write_atomically(&path, b"<p>hi</p>").expect("written");
        assert_eq!(fs::read(&path).expect("read"), b"<p>hi</p>");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["index.html"]);
        let denials = [dir.path().join(DENIALS_FILE)];
        let missing = write_html_report(&input(&SummaryRows::default(), &denials), &path)
            .expect_err("no reports");
        assert!(missing.to_string().contains("denials.parquet"), "{missing}");
    }
}
