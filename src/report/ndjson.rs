//! `--format ndjson`: one compact JSON object per line, for alerting pipelines and `jq`.
//!
//! Where `--format json` is one document (the statistics, then every row), a stream of lines
//! can be filtered, tailed and shipped line by line: each line is one summary row with every
//! registered summary column, or with `--per-denial` one denial with every column of
//! `denials.parquet`. The statistics stay on stderr (the footer). Lines are written as they are
//! made, and what would act on a terminal is written as a `\u` escape, as in `json`.

use std::io::{self, Write};
use std::path::PathBuf;

use serde_json::Value;

use super::columns::ColumnDef;
use super::escape::json_for_terminal;
use super::read::{ReadError, read_denials};
use super::schema::{DENIAL_COLUMNS, SUMMARY_COLUMNS};
use crate::aggregate::SummaryRow;
use crate::window::{Placement, TimeWindow};

/// One line per summary row.
pub fn write_summary_lines(
    out: &mut dyn Write,
    rows: impl IntoIterator<Item = SummaryRow>,
) -> io::Result<()> {
    for row in rows {
        write_line(out, SUMMARY_COLUMNS, &row)?;
    }
    Ok(())
}

/// Why the denials could not be written as lines.
#[derive(Debug, thiserror::Error)]
pub enum DenialLinesError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Write(#[from] io::Error),
}

/// One line per denial of the `files` (a run's or a directory's `denials` reports) inside
/// `window`, suppressed ones included with their `suppressed_by` (`jq 'select(.suppressed_by
/// == null)'` leaves them out), in file order.
pub fn write_denial_lines(
    out: &mut dyn Write,
    files: &[PathBuf],
    window: &TimeWindow,
) -> Result<(), DenialLinesError> {
    for file in files {
        let mut failed = None;
        read_denials(file, |denial| {
            if failed.is_none() && window.place(denial.event_time) == Placement::Inside {
                failed = write_line(out, DENIAL_COLUMNS, &denial).err();
            }
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
    }
    Ok(())
}

fn write_line<T>(out: &mut dyn Write, columns: &[ColumnDef<T>], row: &T) -> io::Result<()> {
    let object = Value::Object(
        columns.iter().map(|c| (c.name.to_string(), c.cell(row).to_json())).collect(),
    );
    writeln!(out, "{}", json_for_terminal(&object.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Summary;
    use crate::classify::Denial;

    #[test]
    fn every_row_is_one_line_of_one_json_object_with_every_column() {
        let mut summary = Summary::default();
        let mut denial = Denial::example();
        denial.principal.principal = "line\nbreak \u{202e}rtl".into();
        summary.add(&denial);
        denial.target.bucket = Some("second".into());
        summary.add(&denial);
        summary.add(&denial);
        let rows = summary.into_rows();
        let mut out = Vec::new();
        write_summary_lines(&mut out, rows.iter()).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(!text.contains('\u{202e}'), "escaped for a terminal");
        let parsed: Vec<Value> =
            lines.iter().map(|l| serde_json::from_str(l).expect("one object per line")).collect();
        let counts: Vec<u64> = parsed.iter().map(|v| v["count"].as_u64().expect("count")).collect();
        assert_eq!(counts, [2, 1], "largest group first, as in the summary");
        assert_eq!(parsed[0]["bucket"], "second");
        assert_eq!(parsed[1]["principal"], "line\nbreak \u{202e}rtl");
        for value in &parsed {
            assert_eq!(value.as_object().map(|o| o.len()), Some(SUMMARY_COLUMNS.len()));
        }
    }
}
