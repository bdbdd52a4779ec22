//! The summary as an aligned table for a terminal, at most [`WIDTH`] columns wide.
//!
//! Each group takes two lines: the facts that identify it (who, what, where, how often, which
//! policy) in columns, then when it was last seen and the hint, indented, so the hint (often a
//! command to copy) is never cut. DESIGN.md lists "last seen" as a column; it moved to the
//! second line because seven columns in 120 characters cut the principal and action, which
//! matter more. Every log-derived cell is escaped before it is measured.

use std::borrow::Cow;
use std::io::{self, Write};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::escape::for_terminal;
use super::{reason_label, rfc3339};
use crate::aggregate::{SummaryRow, Totals};

/// The width the fact lines fit in.
pub const WIDTH: usize = 120;
/// A column is never squeezed below this.
const MIN_COLUMN: usize = 10;
const GAP: &str = "  ";
const COLUMNS: usize = 6;

const HEADERS: [&str; COLUMNS] = ["#", "COUNT", "PRINCIPAL", "ACTION", "BUCKET", "DENIED BY"];
/// Columns that may be shortened (principal, bucket, action), most expendable last; the others
/// are short by construction.
const SHRINKABLE: [usize; 3] = [2, 4, 3];
const RIGHT_ALIGNED: [usize; 2] = [0, 1];

/// The `shown` rows (the first of all), under a line that counts all of them (`totals`).
pub fn write_table(out: &mut dyn Write, shown: &[SummaryRow], totals: Totals) -> io::Result<()> {
    let Totals { groups, denials } = totals;
    writeln!(
        out,
        "{denials} denied request{} in {groups} group{} (principal × action × bucket){}",
        plural(denials as usize),
        plural(groups),
        if shown.len() < groups { format!(", top {} shown", shown.len()) } else { String::new() },
    )?;
    if groups == 0 {
        return Ok(());
    }
    let cells: Vec<[String; COLUMNS]> =
        shown.iter().enumerate().map(|(i, r)| cells_of(i, r)).collect();
    let widths = fit_widths(&cells);
    let indent = " ".repeat(widths[0] + GAP.len());
    writeln!(out)?;
    write_line(out, &HEADERS.map(String::from), &widths)?;
    for (cell_row, row) in cells.iter().zip(shown) {
        write_line(out, cell_row, &widths)?;
        let last_seen = rfc3339(row.last_seen).replace('T', " ").replace('Z', " UTC");
        let last_seen = if last_seen.is_empty() { "no time".to_string() } else { last_seen };
        writeln!(out, "{indent}last {last_seen} · {}", for_terminal(&row.hint))?;
    }
    if shown.len() < groups {
        let more = groups - shown.len();
        writeln!(
            out,
            "\n… {more} more group{}: use --top, or query summary.parquet",
            plural(more)
        )?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn cells_of(index: usize, row: &SummaryRow) -> [String; COLUMNS] {
    [
        (index + 1).to_string(),
        row.count.to_string(),
        for_terminal(short_principal(&row.principal)).into_owned(),
        for_terminal(&row.action).into_owned(),
        row.bucket.as_deref().map_or(Cow::Borrowed("-"), for_terminal).into_owned(),
        reason_label(row),
    ]
}

/// ARNs of IAM and STS principals without the constant `arn:aws:iam::` part.
fn short_principal(principal: &str) -> &str {
    ["arn:aws:iam::", "arn:aws:sts::"]
        .iter()
        .find_map(|prefix| principal.strip_prefix(prefix))
        .unwrap_or(principal)
}

/// Natural widths, then the widest shrinkable column loses a column at a time until the line fits.
fn fit_widths(cells: &[[String; COLUMNS]]) -> [usize; COLUMNS] {
    let mut widths = HEADERS.map(UnicodeWidthStr::width);
    for row in cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let line = |w: &[usize; COLUMNS]| w.iter().sum::<usize>() + GAP.len() * (w.len() - 1);
    while line(&widths) > WIDTH {
        // The widest loses; among equals, the one listed first in SHRINKABLE.
        let Some(widest) = SHRINKABLE
            .into_iter()
            .filter(|&c| widths[c] > MIN_COLUMN)
            .reduce(|a, b| if widths[b] > widths[a] { b } else { a })
        else {
            break;
        };
        widths[widest] -= 1;
    }
    widths
}

fn write_line(
    out: &mut dyn Write,
    cells: &[String; COLUMNS],
    widths: &[usize; COLUMNS],
) -> io::Result<()> {
    let mut line = String::new();
    for (column, (cell, &width)) in cells.iter().zip(widths).enumerate() {
        if column > 0 {
            line.push_str(GAP);
        }
        let cell = truncate_left(cell, width);
        let pad = " ".repeat(width.saturating_sub(cell.width()));
        if RIGHT_ALIGNED.contains(&column) {
            line.push_str(&pad);
            line.push_str(&cell);
        } else {
            line.push_str(&cell);
            if column + 1 < cells.len() {
                line.push_str(&pad);
            }
        }
    }
    writeln!(out, "{line}")
}

/// Cuts from the left, keeping the informative tail of ARNs and keys: `…role/deploy`.
fn truncate_left(cell: &str, width: usize) -> Cow<'_, str> {
    if cell.width() <= width {
        return Cow::Borrowed(cell);
    }
    let mut kept = 0;
    let mut start = cell.len();
    for (i, c) in cell.char_indices().rev() {
        let w = c.width().unwrap_or(0);
        if kept + w + 1 > width {
            break;
        }
        kept += w;
        start = i;
    }
    Cow::Owned(format!("…{}", &cell[start..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::category::ErrorCategory;
    use crate::classify::reason::{DeniedBy, DenyKind, PolicyType};

    fn row(principal: &str, bucket: &str, count: u64) -> SummaryRow {
        SummaryRow {
            principal: principal.into(),
            principal_type: "AssumedRole".into(),
            action: "s3:GetObject".into(),
            bucket: Some(bucket.into()),
            count,
            first_seen: Some(1_793_613_600_000_000),
            last_seen: Some(1_793_613_600_000_000),
            distinct_source_ips: 1,
            accounts: vec!["111122223333".into()],
            regions: vec![],
            error_codes: vec!["AccessDenied".into()],
            category: ErrorCategory::Authorization,
            denied_by: DeniedBy::Policy(PolicyType::ResourceBased),
            deny_kind: DenyKind::Implicit,
            denying_policy_arn: None,
            sample_event_id: None,
            sample_error_message: None,
            sample_resource_arn: None,
            sample_vpc_endpoint_id: None,
            hint: "aws s3api get-bucket-policy --bucket b".into(),
            change: None,
            changed_after: false,
            self_change_event_id: None,
        }
    }

    fn render(rows: &[SummaryRow], shown: usize) -> String {
        let mut out = Vec::new();
        let totals = Totals { groups: rows.len(), denials: rows.iter().map(|r| r.count).sum() };
        write_table(&mut out, &rows[..shown], totals).expect("in memory");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn rows_fit_the_width_and_keep_the_tail_of_long_names() {
        let long = format!("arn:aws:iam::111122223333:role/{}/deploy", "nested/".repeat(20));
        let text = render(&[row(&long, &"b".repeat(80), 7), row("anonymous", "x", 1)], 2);
        for line in text.lines().filter(|l| !l.contains(" · ")) {
            assert!(line.width() <= WIDTH, "{line:?}");
        }
        assert!(text.contains("…") && text.contains("/deploy"), "{text}");
        assert!(text.contains("last 2026-11-02 10:00:00 UTC · aws s3api"), "{text}");
        assert!(text.contains("resource_policy (implicit)"), "{text}");
        assert!(text.starts_with("8 denied requests in 2 groups"));
    }

    #[test]
    fn hostile_cells_are_escaped_and_top_limits_rows() {
        let text = render(&[row("a", "evil\u{1b}]0;owned\u{7}", 2), row("b", "c", 1)], 1);
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
        assert!(text.contains("\\u{1b}"));
        assert!(text.contains("top 1 shown") && text.contains("1 more group"));
        assert_eq!(render(&[], 0), "0 denied requests in 0 groups (principal × action × bucket)\n");
    }
}
