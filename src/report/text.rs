//! The summary as JSON, CSV or Markdown, for scripts, spreadsheets and chat or wiki pages.
//!
//! Each format escapes by its own rules: JSON by serde_json; CSV quotes every field that needs
//! it and neutralises cells a spreadsheet would run as a formula; Markdown escapes the
//! characters that would break a table or start markup.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::escape::for_terminal;
use super::{reason_label, rfc3339};
use crate::aggregate::SummaryRow;
use crate::stats::ScanStats;

fn row_json(row: &SummaryRow) -> Value {
    json!({
        "principal": row.principal,
        "principal_type": row.principal_type,
        "action": row.action,
        "bucket": row.bucket,
        "count": row.count,
        "first_seen": row.first_seen.map(|t| rfc3339(Some(t))),
        "last_seen": row.last_seen.map(|t| rfc3339(Some(t))),
        "distinct_source_ips": row.distinct_source_ips,
        "accounts": row.accounts,
        "regions": row.regions,
        "error_codes": row.error_codes,
        "error_category": row.category.as_str(),
        "denied_by": row.denied_by.as_str(),
        "deny_kind": row.deny_kind.as_str(),
        "denying_policy_arn": row.denying_policy_arn,
        "sample_event_id": row.sample_event_id,
        "sample_error_message": row.sample_error_message,
        "sample_resource_arn": row.sample_resource_arn,
        "hint": row.hint,
    })
}

/// The statistics as JSON: the same numbers as the footer.
pub fn stats_json(stats: &ScanStats) -> Value {
    json!({
        "objects": stats.objects,
        "skipped_by_design": stats.skipped_by_design,
        "other_shard": stats.other_shard,
        "already_scanned": stats.already_scanned,
        "resumed_records": stats.resumed_records,
        "duplicates": stats.duplicates,
        "stored_bytes": stats.stored_bytes,
        "decoded_bytes": stats.decoded_bytes,
        "records": stats.records,
        "parsed": stats.parsed,
        "malformed_records": stats.malformed_records,
        "repaired_utf8": stats.repaired_utf8,
        "kept": stats.kept,
        "suppressed": stats.suppressed,
        "outside_window": stats.outside_window,
        "without_time": stats.without_time,
        "requests": stats.requests.map(|r| json!({
            "list": r.list_requests,
            "get": r.get_requests,
            "listed": r.listed,
            "pruned_by_time": r.pruned_by_time,
            "skipped_by_design": r.skipped_by_design,
            "unselected": r.unselected,
            "duplicates": r.duplicates,
        })),
        "log_groups": stats.log_groups.map(|g| json!({"requests": g.requests, "events": g.events})),
        "problems": stats.problems.iter().map(|p| json!({"origin": p.origin, "what": p.what})).collect::<Vec<_>>(),
        "elapsed_seconds": stats.elapsed.as_secs_f64(),
        "records_per_second": stats.records_per_second(),
    })
}

pub fn write_json(
    out: &mut dyn Write,
    rows: &[SummaryRow],
    groups: usize,
    stats: &ScanStats,
) -> io::Result<()> {
    let document = json!({
        "groups": groups,
        "summary": rows.iter().map(row_json).collect::<Vec<_>>(),
        "scanned": stats_json(stats),
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

const CSV_HEADER: [&str; 12] = [
    "principal",
    "principal_type",
    "action",
    "bucket",
    "count",
    "first_seen",
    "last_seen",
    "distinct_source_ips",
    "accounts",
    "denied_by",
    "deny_kind",
    "hint",
];

pub fn write_csv(out: &mut dyn Write, rows: &[SummaryRow]) -> io::Result<()> {
    writeln!(out, "{}", CSV_HEADER.join(","))?;
    for row in rows {
        let fields = [
            row.principal.clone(),
            row.principal_type.clone(),
            row.action.clone(),
            row.bucket.clone().unwrap_or_default(),
            row.count.to_string(),
            rfc3339(row.first_seen),
            rfc3339(row.last_seen),
            row.distinct_source_ips.to_string(),
            row.accounts.join(";"),
            row.denied_by.as_str().to_string(),
            row.deny_kind.as_str().to_string(),
            row.hint.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

/// One CSV field (RFC 4180), with spreadsheet formula triggers defused by a leading `'`
/// (OWASP, "CSV Injection").
fn csv_field(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) || defused != value {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

pub fn write_markdown(out: &mut dyn Write, rows: &[SummaryRow], shown: usize) -> io::Result<()> {
    let total: u64 = rows.iter().map(|r| r.count).sum();
    writeln!(
        out,
        "**{total} denied requests** in {} groups (principal × action × bucket)\n",
        rows.len()
    )?;
    writeln!(
        out,
        "| # | Principal | Action | Bucket | Count | Last seen (UTC) | Denied by | Next step |"
    )?;
    writeln!(out, "|--:|---|---|---|--:|---|---|---|")?;
    for (i, row) in rows[..shown].iter().enumerate() {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            markdown_cell(&row.principal),
            markdown_cell(&row.action),
            markdown_cell(row.bucket.as_deref().unwrap_or("-")),
            row.count,
            rfc3339(row.last_seen),
            markdown_cell(&reason_label(row)),
            markdown_cell(&row.hint),
        )?;
    }
    if shown < rows.len() {
        writeln!(out, "\n_{} more groups not shown._", rows.len() - shown)?;
    }
    Ok(())
}

/// Escapes what would end a cell, start markup or act on a terminal the page is printed to.
fn markdown_cell(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in for_terminal(value).chars() {
        if matches!(
            c,
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "\"'-1\"");
        assert_eq!(csv_field("@SUM(A1)"), "\"'@SUM(A1)\"");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(markdown_cell("a|b"), "a\\|b");
        assert_eq!(markdown_cell("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(markdown_cell("line\nbreak"), "line\\\\nbreak");
        assert_eq!(markdown_cell("[x](http://e)"), "\\[x\\](http://e)");
    }
}
