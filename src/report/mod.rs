//! Everything a scan hands to people and tools: the Parquet reports ([`parquet`]), the summary
//! on stdout in one of several formats ([`table`], [`text`]), and the statistics footer
//! ([`footer`]). Reports only read aggregates and rows; they never look at raw records.

pub mod columns;
pub mod escape;
pub mod explanation;
pub mod footer;
pub mod html;
pub mod layout;
pub mod ndjson;
pub mod parquet;
pub mod read;
pub mod rebuild;
pub mod schema;
pub mod table;
pub mod text;
#[cfg(feature = "aws")]
pub mod upload;
#[cfg(not(feature = "aws"))]
#[path = "upload_disabled.rs"]
pub mod upload;

use std::io::{self, Write};

use chrono::DateTime;

use crate::aggregate::{SummaryRow, SummaryRows, Totals};
use crate::classify::category::ErrorCategory;
use crate::classify::reason::{DeniedBy, DenyKind};
use crate::stats::ScanStats;

/// How the summary is printed on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
    /// One JSON object per line and summary row ([`ndjson`]).
    Ndjson,
}

/// Rows shown by the human formats when `--top` is not given; json, csv and ndjson show all.
pub const DEFAULT_TOP: usize = 20;

/// Writes the summary of `rows` in `format`; `top` limits the rows shown. Rows are made as they
/// are written: the human formats make only the ones they show.
/// `terminal`: `out` is a terminal, so every format escapes what would act on it.
pub fn write_summary(
    out: &mut dyn Write,
    format: Format,
    rows: &SummaryRows,
    stats: &ScanStats,
    top: Option<usize>,
    terminal: bool,
) -> io::Result<()> {
    let limit = |default: usize| top.unwrap_or(default).min(rows.len());
    match format {
        Format::Table => {
            let shown = rows.head(limit(DEFAULT_TOP));
            table::write_table(out, &shown, rows.totals(), table::width(terminal))
        }
        Format::Markdown => {
            text::write_markdown(out, &rows.head(limit(DEFAULT_TOP)), rows.totals())
        }
        Format::Json => {
            text::write_json(out, rows.iter().take(limit(usize::MAX)), rows.len(), stats)
        }
        Format::Csv => text::write_csv(out, rows.iter().take(limit(usize::MAX)), terminal),
        Format::Ndjson => ndjson::write_summary_lines(out, rows.iter().take(limit(usize::MAX))),
    }
}

/// `2026-11-02T10:00:00Z`, or empty for no time.
pub fn rfc3339(micros: Option<i64>) -> String {
    micros
        .and_then(DateTime::from_timestamp_micros)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// What people are shown when a denial's message names no policy; the reports' `denied_by`
/// column holds `unknown` for it. One name everywhere a person reads it (table, Markdown,
/// HTML table and timeline).
pub const NOT_STATED: &str = "not stated";

/// Which policy denied, as shown to people: `scp (explicit)`, `s3_block_public_access`, or
/// `not stated` when the message does not say. A failure that is not a denial (kept by
/// `--include-authn` or `--all-errors`) shows its error code instead: `error NoSuchKey`.
pub fn reason_label(row: &SummaryRow) -> String {
    if row.category != ErrorCategory::Authorization {
        let code = row.error_codes.first().map_or("code not recorded", String::as_str);
        return format!("error {code}");
    }
    let stated = stated_reason(row);
    match row.eval.as_ref().and_then(|e| e.label()) {
        Some(judged) if stated == NOT_STATED => format!("judged {judged}"),
        Some(judged) => format!("{stated}; judged {judged}"),
        None => stated,
    }
}

/// What the error messages of the group say.
fn stated_reason(row: &SummaryRow) -> String {
    match row.deny_kind {
        DenyKind::Explicit | DenyKind::Implicit => {
            format!("{} ({})", denied_by_label(row.denied_by.as_str()), row.deny_kind.as_str())
        }
        DenyKind::ServiceReason if row.denied_by != DeniedBy::Unknown => {
            row.denied_by.as_str().to_string()
        }
        DenyKind::ServiceReason => "service reason".to_string(),
        DenyKind::Generic => NOT_STATED.to_string(),
    }
}

/// A `denied_by` value as shown to people: `unknown` is [`NOT_STATED`], the rest as stored.
pub fn denied_by_label(denied_by: &str) -> &str {
    if denied_by == DeniedBy::Unknown.as_str() { NOT_STATED } else { denied_by }
}

/// What the counted failures are called: `denied requests`, or `failed requests` when some are
/// not denials (`--include-authn`, `--all-errors`).
pub fn failure_noun(totals: &Totals) -> &'static str {
    if totals.not_denials() == 0 { "denied requests" } else { "failed requests" }
}

/// `558 denied requests`, or `600 failed requests (558 denied, 30 authentication failures, 12
/// other errors)`.
pub fn failures_headline(totals: &Totals) -> String {
    let noun = failure_noun(totals);
    if totals.not_denials() == 0 {
        return format!("{} {noun}", totals.denials);
    }
    let parts: Vec<String> = [
        (ErrorCategory::Authorization, "denied", "denied"),
        (ErrorCategory::Authentication, "authentication failure", "authentication failures"),
        (ErrorCategory::Other, "other error", "other errors"),
    ]
    .into_iter()
    .filter_map(|(category, one, many)| {
        let n = totals.of_category(category);
        (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
    })
    .collect();
    format!("{} {noun} ({})", totals.denials, parts.join(", "))
}
