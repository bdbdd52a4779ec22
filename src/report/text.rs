//! The summary as JSON, CSV or Markdown, for scripts, spreadsheets and chat or wiki pages.
//!
//! Each format escapes by its own rules: JSON by serde_json; CSV quotes every field that needs
//! it and neutralises cells a spreadsheet would run as a formula; Markdown escapes the
//! characters that would break a table or start markup.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::escape::{for_terminal, json_for_terminal};
use super::schema::SUMMARY_COLUMNS;
use super::table::noise_line;
use super::{failures_headline, reason_label, rfc3339};
use crate::aggregate::{SummaryRow, Totals};
use crate::stats::ScanStats;

/// One summary row as a JSON object with every registered column.
fn row_json(row: &SummaryRow) -> Value {
    Value::Object(
        SUMMARY_COLUMNS.iter().map(|c| (c.name.to_string(), c.cell(row).to_json())).collect(),
    )
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
        "unused_suppress_rules": stats.unused_rules,
        "policy_changes": stats.policy_changes,
        "counted": stats.counted(),
        "outside_window": stats.outside_window,
        "without_time": stats.without_time,
        "other_account_region": stats.other_account_region,
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
        "lookup_events": stats.lookup_events.map(|h| json!({"requests": h.requests, "events": h.events})),
        "not_listed": stats.not_listed_named,
        "not_listed_count": stats.not_listed,
        "problems": stats.problems.iter().map(|p| json!({"origin": p.origin, "what": p.what})).collect::<Vec<_>>(),
        "elapsed_seconds": stats.elapsed.as_secs_f64(),
        "records_per_second": stats.records_per_second(),
    })
}

/// `{"groups": N, "scanned": {…}, "summary": [rows]}`, pretty-printed with its keys sorted,
/// exactly as serde_json prints that document, but written row by row: a million groups never
/// become one JSON tree and one string.
pub fn write_json(
    out: &mut dyn Write,
    rows: impl IntoIterator<Item = SummaryRow>,
    groups: usize,
    stats: &ScanStats,
) -> io::Result<()> {
    let scanned = pretty(&stats_json(stats), "  ")?;
    write!(out, "{{\n  \"groups\": {groups},\n  \"scanned\": {scanned},\n  \"summary\": [")?;
    let mut empty = true;
    for row in rows {
        let separator = if empty { "" } else { "," };
        write!(out, "{separator}\n    {}", pretty(&row_json(&row), "    ")?)?;
        empty = false;
    }
    writeln!(out, "{}]\n}}", if empty { "" } else { "\n  " })
}

/// `value` pretty-printed as it would be `indent` deep in a document (a JSON text has no raw
/// line breaks but those between its tokens), escaped for a terminal.
fn pretty(value: &Value, indent: &str) -> io::Result<String> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    Ok(json_for_terminal(&text.replace('\n', &format!("\n{indent}"))).into_owned())
}

/// Every registered summary column, in order; lists are joined with `;`. On a terminal the
/// cells are also escaped for it (ESC, BEL, CR, BS and C1 would act on it); in a file they keep
/// their text, spreadsheet-safe.
pub fn write_csv(
    out: &mut dyn Write,
    rows: impl IntoIterator<Item = SummaryRow>,
    terminal: bool,
) -> io::Result<()> {
    let header: Vec<&str> = SUMMARY_COLUMNS.iter().map(|c| c.name).collect();
    writeln!(out, "{}", header.join(","))?;
    for row in rows {
        let line: Vec<String> = SUMMARY_COLUMNS
            .iter()
            .map(|c| {
                let text = c.cell(&row).to_text();
                csv_field(&if terminal { for_terminal(&text) } else { text.into() })
            })
            .collect();
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

/// The `shown` rows (the first of all), under a line that counts all of them (`totals`).
pub fn write_markdown(out: &mut dyn Write, shown: &[SummaryRow], totals: Totals) -> io::Result<()> {
    let groups = totals.groups;
    writeln!(
        out,
        "**{}** in {groups} groups (principal × action × bucket)\n",
        failures_headline(&totals)
    )?;
    writeln!(
        out,
        "| # | Principal | Action | Bucket | Count | Last seen (UTC) | Denied by | Noise | Next step |"
    )?;
    writeln!(out, "|--:|---|---|---|--:|---|---|---|---|")?;
    for (i, row) in shown.iter().enumerate() {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            markdown_cell(&row.principal),
            markdown_cell(&row.action),
            markdown_cell(row.bucket.as_deref().unwrap_or("-")),
            row.count,
            rfc3339(row.last_seen),
            markdown_cell(&reason_label(row)),
            markdown_cell(row.noise.unwrap_or("")),
            markdown_cell(&row.hint),
        )?;
    }
    if shown.len() < groups {
        writeln!(out, "\n_{} more groups not shown._", groups - shown.len())?;
    }
    if let Some(line) = noise_line(&totals) {
        writeln!(out, "\n_{}_", markdown_cell(&line))?;
    }
    Ok(())
}

/// Escapes what would end a cell, start markup or act on a terminal the page is printed to.
fn markdown_cell(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in for_terminal(value).chars() {
        if matches!(c, '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' | '!') {
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
    fn csv_on_a_terminal_has_no_raw_controls_and_in_a_file_keeps_its_text() {
        let mut summary = crate::aggregate::Summary::default();
        let mut denial = crate::classify::Denial::example();
        denial.principal.principal = "u\u{1b}]52;c;aGk=\u{7}\r\u{8}\u{9b}2J".into();
        summary.add(&denial);
        let rows = summary.into_rows();
        let csv = |terminal| {
            let mut out = Vec::new();
            write_csv(&mut out, rows.iter(), terminal).expect("csv");
            String::from_utf8(out).expect("utf-8")
        };
        let shown = csv(true);
        assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "{shown:?}");
        assert!(shown.contains("u\\u{1b}]52;c;aGk=\\u{7}\\r\\u{8}\\u{9b}2J"), "{shown}");
        assert!(csv(false).contains(&rows.head(1)[0].principal), "files keep the text");
    }

    #[test]
    fn json_written_row_by_row_is_the_document_serde_prints() {
        let mut summary = crate::aggregate::Summary::default();
        let mut denial = crate::classify::Denial::example();
        denial.principal.principal = "a\u{1b}[31m\"quoted\"".into();
        summary.add(&denial);
        denial.target.bucket = Some("other".into());
        summary.add(&denial);
        let rows = summary.into_rows();
        let stats = ScanStats::default();
        for shown in [0, 1, 2] {
            let mut out = Vec::new();
            write_json(&mut out, rows.iter().take(shown), rows.len(), &stats).expect("json");
            let document = json!({
                "groups": rows.len(),
                "summary": rows.iter().take(shown).map(|r| row_json(&r)).collect::<Vec<_>>(),
                "scanned": stats_json(&stats),
            });
            let whole = serde_json::to_string_pretty(&document).expect("serialised");
            let expected = format!("{}\n", json_for_terminal(&whole));
            assert_eq!(String::from_utf8(out).expect("utf-8"), expected, "{shown} rows");
        }
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(markdown_cell("a|b"), "a\\|b");
        assert_eq!(markdown_cell("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(markdown_cell("line\nbreak"), "line\\\\nbreak");
        assert_eq!(markdown_cell("[x](http://e)"), "\\[x\\](http://e)");
    }
}
