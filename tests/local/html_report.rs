//! The HTML report in a real browser: the library scans sample-logs/, writes the report, and
//! tests/browser/check_report.mjs opens it in headless Chromium (Debian's package, driven by
//! playwright-core) to check what a person would do with it: no console or page errors, no
//! network requests, every row there, sorting, filtering, the "only new" and "hide noise" boxes,
//! chart bars, legend and timeline segments that filter the table, the timeline's two scales and
//! the drill-down (with account, session and resource) working. The page and the screenshot are
//! left in target/html-report/ for CI to keep.
//!
//! Needs /usr/bin/chromium and tests/browser/node_modules: `scripts/setup-browser` installs both.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use whydenied::aggregate::SummaryKey;
use whydenied::pipeline::{ScanConfig, scan};
use whydenied::report::html::{NewGroups, PageInput, Since, TABLE_ROW_LIMIT, write_html_report};
use whydenied::window::TimeWindow;

use crate::common::{Service, repo, require, sample_logs, stderr, stdout};

/// 2026-11-04T00:00:00Z: the sample's groups first seen on its last day are "new".
const LAST_DAY: i64 = 1_793_750_400_000_000;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium and playwright-core, which `scripts/setup-browser` installs.
fn chromium() -> Service {
    let playwright = repo().join("tests/browser/node_modules/playwright-core");
    Service {
        needs: format!(
            "{CHROMIUM} and {}: run scripts/setup-browser (it installs Debian's chromium and runs \
             npm ci in tests/browser)",
            playwright.display()
        ),
        available: Path::new(CHROMIUM).exists() && playwright.is_dir(),
    }
}

#[test]
fn the_report_works_in_a_real_browser() {
    require!(chromium());
    let browser = repo().join("tests/browser");
    let out = tempfile::tempdir().expect("temp dir");
    let config = ScanConfig {
        threads: Some(2),
        ..ScanConfig::new(vec![sample_logs().display().to_string()], out.path().to_path_buf())
    };
    let outcome = scan(&config).expect("the sample scans");
    let html = out.path().join("report.html");
    let new: HashSet<SummaryKey> = (outcome.rows.iter())
        .filter(|r| r.first_seen.is_some_and(|t| t >= LAST_DAY))
        .map(|r| r.key())
        .collect();
    assert!(
        !new.is_empty() && new.len() < outcome.rows.len(),
        "some groups of the sample are new on its last day"
    );
    let page = PageInput {
        rows: &outcome.rows,
        denials: &outcome.reports.denials,
        window: &TimeWindow::default(),
        stats: Some(&outcome.stats),
        new: Some(NewGroups { keys: &new, since: Since::Time(LAST_DAY) }),
    };
    write_html_report(&page, &html).expect("the report is written");

    // Every summary row is a table row, up to the limit.
    let expected_rows = outcome.rows.len().min(TABLE_ROW_LIMIT);
    let noise = outcome.rows.iter().take(expected_rows).filter(|r| r.noise.is_some()).count();
    assert!(expected_rows > 2, "the sample has groups to sort");
    let artifacts = repo().join("target/html-report");
    std::fs::create_dir_all(&artifacts).expect("create target/html-report");
    std::fs::copy(&html, artifacts.join("report.html")).expect("keep the page");
    let output = Command::new("node")
        .arg(browser.join("check_report.mjs"))
        .arg(&html)
        .arg(artifacts.join("report.png"))
        .arg(expected_rows.to_string())
        .arg(format!("--new={}", new.len()))
        .arg(format!("--noise={noise}"))
        .current_dir(&browser)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node (is Node.js installed?): {e}"));
    println!("{}", stdout(&output));
    assert!(
        output.status.success(),
        "the report failed in Chromium:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
}
