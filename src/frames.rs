//! The scan over Arrow record batches instead of files: what the Python wheel (`python/`) runs
//! inside Spark, Glue, Ray and Dask, where the engine reads the objects or the table and hands
//! over a batch at a time.
//!
//! - [`scan_objects`]: raw trail objects (`path`, `content`: what Spark's `binaryFile` source
//!   gives) → denial rows, decoded, split and classified as `whydenied scan` does each file;
//! - [`classify_rows`]: rows of the Athena/Glue CloudTrail table ([`crate::decode::athena`]) →
//!   denial rows;
//! - [`summarize`]: denial rows, or summary rows of parts, → summary rows (mergeable).
//!
//! Denial and summary rows have exactly the columns of `denials.parquet` and `summary.parquet`
//! ([`crate::report::schema`]), summary rows one more ([`MERGE_STATE`]); [`spark_ddl`] gives
//! them in Spark's DDL for `mapInArrow`.
//!
//! What a batch cannot carry is left out: there is no time window, account or region filter and
//! no suppression rule (filter the rows in the engine), and policy changes are not collected, so
//! a summary's `change_…`, `changed_after`, `self_change_event_id` and `transient_success_time`
//! stay empty and its hints do not mention a change (run `whydenied scan` or `report` over the
//! trail for those).

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use serde_json::Value;

use crate::aggregate::{MergeState, MergeStateError, Summary};
use crate::classify::{Denial, FailureFilter};
use crate::decode::split::SplitLimits;
use crate::decode::{Decoder, ObjectRecords, athena, row};
use crate::record::RecordReader;
use crate::report::columns::{BatchBuilder, read_batch, schema};
use crate::report::schema::{DENIAL_COLUMNS, SUMMARY_COLUMNS, blank_denial, blank_summary};
use crate::suppress::noise_label;
use crate::verdict::tally::Tally;

/// Why a batch could not be read at all (one object's bad bytes are a [`Problem`] instead).
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("the batch has no `{0}` column")]
    Missing(&'static str),
    #[error("column `{column}` is {found}, expected {expected}")]
    Type { column: &'static str, found: DataType, expected: &'static str },
    #[error("not denial rows: column `{0}` is missing, of another type or holds an invalid value")]
    NotDenials(&'static str),
    #[error("not summary rows: column `{0}` is missing, of another type or holds an invalid value")]
    NotSummary(&'static str),
    #[error(
        "summary rows without a `merge_state` column (summary.parquet's) do not merge exactly: \
         summarize their denials, or merge the rows `summarize` returned"
    )]
    SummaryWithoutState,
    #[error(transparent)]
    MergeState(#[from] MergeStateError),
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

/// An object that was not read, or not to the end: its path and what went wrong. Denials read
/// before the problem are kept, as the scan keeps them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// Denial rows, and the objects that could not be read whole.
#[derive(Debug)]
pub struct Denials {
    pub rows: RecordBatch,
    pub problems: Vec<Problem>,
}

/// The schema of `denials.parquet`.
pub fn denials_schema() -> SchemaRef {
    schema(DENIAL_COLUMNS)
}

/// The column [`summarize`] adds to `summary.parquet`'s: what merging needs besides the row.
pub const MERGE_STATE: &str = "merge_state";

/// The schema of [`summarize`]'s rows: `summary.parquet`'s, then [`MERGE_STATE`] (a JSON text).
pub fn summary_schema() -> SchemaRef {
    let mut fields = schema(SUMMARY_COLUMNS).fields().to_vec();
    fields.push(Arc::new(Field::new(MERGE_STATE, DataType::Utf8, false)));
    Arc::new(Schema::new(fields))
}

/// The denials of the raw trail objects in `batch`: column `path` (any string type) names the
/// object, column `content` (any binary type) holds its bytes, gzip or plain, in every
/// shape the scan reads (trail objects, bare events, Security Lake's OCSF Parquet); other
/// columns are ignored. `path` becomes each denial's `origin`.
pub fn scan_objects(batch: &RecordBatch) -> Result<Denials, FrameError> {
    let paths = batch.column_by_name("path").ok_or(FrameError::Missing("path"))?;
    let contents = batch.column_by_name("content").ok_or(FrameError::Missing("content"))?;
    if !matches!(
        contents.data_type(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView
    ) {
        let found = contents.data_type().clone();
        return Err(FrameError::Type { column: "content", found, expected: "binary" });
    }
    let mut rows = Rows::default();
    for i in 0..batch.num_rows() {
        let Some(path) = row::text_at(paths.as_ref(), i) else {
            let found = paths.data_type().clone();
            return Err(FrameError::Type { column: "path", found, expected: "non-null text" });
        };
        match binary_at(contents.as_ref(), i) {
            Some(content) => rows.scan_object(path, content),
            None => rows.problem(path, "no content (null)".to_string()),
        }
    }
    rows.finish()
}

/// The bytes at `row` of a column of any of Arrow's three binary types.
fn binary_at(array: &dyn Array, row: usize) -> Option<&[u8]> {
    if array.is_null(row) {
        return None;
    }
    let small = array.as_binary_opt::<i32>().map(|a| a.value(row));
    let large = || array.as_binary_opt::<i64>().map(|a| a.value(row));
    small.or_else(large).or_else(|| array.as_binary_view_opt().map(|a| a.value(row)))
}

/// The denials of the rows of the Athena/Glue CloudTrail table in `batch` (see
/// [`crate::decode::athena`] for its columns). A `path` column, when there is one (Athena's
/// `"$path"`, Spark's `input_file_name()`), becomes each denial's `origin`; else it is empty.
pub fn classify_rows(batch: &RecordBatch) -> Result<RecordBatch, FrameError> {
    let paths = batch.column_by_name("path");
    // Most rows of a trail succeeded: a null `errorcode` is no failure, and the row is not
    // rebuilt at all (the scan's prefilter, by column; rows would otherwise cost a JSON tree each).
    let schema = batch.schema();
    let error_code =
        schema.fields().iter().position(|f| f.name().eq_ignore_ascii_case("errorcode"));
    let error_code = error_code.map(|i| batch.column(i));
    let mut rows = Rows::default();
    let mut origin: Arc<str> = Arc::from("");
    for i in 0..batch.num_rows() {
        if error_code.is_some_and(|codes| codes.is_null(i)) {
            continue;
        }
        let path = paths.and_then(|p| row::text_at(p.as_ref(), i)).unwrap_or_default();
        if *origin != *path {
            origin = Arc::from(path);
        }
        let record = athena::cloudtrail_record(row::row_json(batch, i));
        let mut text = serde_json::to_vec(&Value::Object(record)).unwrap_or_default();
        rows.read(&mut text, &origin);
    }
    Ok(rows.finish()?.rows)
}

/// The summary of the rows in `batches`, most frequent group first, as `summary.parquet` has
/// it, with one more column, [`MERGE_STATE`]. A batch holds denial rows (the columns of
/// `denials.parquet`; rows with a `suppressed_by` are left out, as the scan leaves them out) or
/// summary rows this function returned (recognised by their `merge_state` column).
///
/// Summaries merge: the summary of a whole job is `summarize` of every part's summary, as it
/// is `summarize` of every part's denials, whatever the order or split of the rows. The
/// `merge_state` column carries what a row shows only as a result (see
/// [`crate::aggregate::MergeState`]); without it the rows are exactly `summary.parquet`'s.
pub fn summarize(batches: &[RecordBatch]) -> Result<RecordBatch, FrameError> {
    let (mut summary, mut verdicts) = (Summary::default(), Tally::default());
    for batch in batches {
        match batch.column_by_name(MERGE_STATE) {
            Some(states) => add_summary_rows(batch, states, &mut summary, &mut verdicts)?,
            // `summary.parquet`'s rows, say: they cannot tell which addresses they counted.
            None if batch.column_by_name("distinct_source_ips").is_some() => {
                return Err(FrameError::SummaryWithoutState);
            }
            None => {
                let denials = read_batch(batch, DENIAL_COLUMNS, blank_denial)
                    .map_err(FrameError::NotDenials)?;
                for denial in denials.iter().filter(|d| d.suppressed_by.is_none()) {
                    summary.add(denial);
                    if let Some(verdict) = &denial.verdict {
                        verdicts.add(denial, verdict);
                    }
                }
            }
        }
    }
    let mut rows = summary.into_rows();
    rows.amend(|row| verdicts.amend(row));
    let mut builder = BatchBuilder::new(SUMMARY_COLUMNS);
    let mut states = StringBuilder::new();
    for (row, mut state) in rows.iter().zip(rows.merge_states()) {
        state.set_judged(verdicts.judged(&row));
        states.append_value(state.to_json());
        builder.push(&row);
    }
    let mut columns = builder.finish()?.columns().to_vec();
    columns.push(Arc::new(states.finish()));
    Ok(RecordBatch::try_new(summary_schema(), columns)?)
}

/// Merges summary rows that [`summarize`] returned, each with its state.
fn add_summary_rows(
    batch: &RecordBatch,
    states: &dyn Array,
    summary: &mut Summary,
    verdicts: &mut Tally,
) -> Result<(), FrameError> {
    let rows = read_batch(batch, SUMMARY_COLUMNS, blank_summary).map_err(FrameError::NotSummary)?;
    for (i, row) in rows.iter().enumerate() {
        let text = row::text_at(states, i).ok_or(FrameError::NotSummary(MERGE_STATE))?;
        let state = MergeState::from_json(text)?;
        summary.add_row(row, &state)?;
        for judged in state.judged(row)? {
            verdicts.add_judged(row, judged);
        }
    }
    Ok(())
}

/// `schema` as Spark SQL DDL (`` `event_time` TIMESTAMP, `event_id` STRING, … ``): the schema
/// argument of `mapInArrow`.
pub fn spark_ddl(schema: &Schema) -> String {
    let fields = schema.fields().iter().map(|field| {
        let name = field.name().replace('`', "``");
        format!("`{name}` {}", spark_type(field.data_type()))
    });
    fields.collect::<Vec<_>>().join(", ")
}

/// The Spark SQL type of the Arrow types the reports use.
fn spark_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Timestamp(..) => "TIMESTAMP".into(),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::List(item) => format!("ARRAY<{}>", spark_type(item.data_type())),
        _ => "STRING".into(),
    }
}

/// The denials found so far, as the scan's worker keeps them.
struct Rows {
    reader: RecordReader,
    /// Whole-object inflation and the streaming decoder, as the scan uses them ([`Decoder`]).
    decoder: Decoder,
    denials: BatchBuilder<Denial>,
    problems: Vec<Problem>,
}

impl Default for Rows {
    fn default() -> Self {
        Self {
            reader: RecordReader::new(FailureFilter::default()),
            decoder: Decoder::default(),
            denials: BatchBuilder::new(DENIAL_COLUMNS),
            problems: Vec::new(),
        }
    }
}

impl Rows {
    fn read(&mut self, record: &mut [u8], origin: &Arc<str>) {
        if let Some(mut denial) = self.reader.read(record, origin).denial {
            denial.noise = noise_label(&denial);
            self.denials.push(&denial);
        }
    }

    fn problem(&mut self, path: &str, message: String) {
        self.problems.push(Problem { path: path.to_string(), message });
    }

    /// Decodes, splits and classifies one object, noting what could not be read.
    fn scan_object(&mut self, path: &str, content: &[u8]) {
        let origin: Arc<str> = Arc::from(path);
        let (malformed, not_understood) = (self.reader.malformed, self.reader.not_understood);
        // Out of `self` while `on_record` borrows it.
        let mut decoder = std::mem::take(&mut self.decoder);
        let on_record = |record: &mut [u8]| self.read(record, &origin);
        let (limits, filter) = (SplitLimits::default(), FailureFilter::default());
        let size = Some(content.len() as u64);
        let read = decoder.read_records(content, size, limits, filter, on_record);
        self.decoder = decoder;
        let ObjectRecords { report, error, .. } = match read {
            Ok(read) => read,
            Err(e) => return self.problem(path, format!("cannot read: {e}")),
        };
        let mut messages = report.problems(error.is_some());
        for (count, what) in [
            (self.reader.malformed - malformed, "record is not a valid JSON object"),
            (
                self.reader.not_understood - not_understood,
                "JSON object that is not a CloudTrail event",
            ),
        ] {
            if count > 0 {
                messages.push(format!("{count} × {what}"));
            }
        }
        if let Some(e) = error {
            messages.push(format!("read failed after {} records: {e}", report.records));
        }
        for message in messages {
            self.problem(path, message);
        }
    }

    fn finish(mut self) -> Result<Denials, FrameError> {
        Ok(Denials { rows: self.denials.finish()?, problems: self.problems })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, BinaryArray, StringArray};

    use super::*;

    const DENIED: &str = r#"{"Records":[{"eventTime":"2026-11-02T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied","errorMessage":"Access Denied","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/bob","accountId":"1"},"requestParameters":{"bucketName":"b","key":"k"},"eventID":"e1"}]}"#;

    fn objects(rows: &[(&str, &[u8])]) -> RecordBatch {
        let paths: ArrayRef = Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0)));
        let contents: ArrayRef = Arc::new(BinaryArray::from_iter_values(rows.iter().map(|r| r.1)));
        RecordBatch::try_from_iter([("path", paths), ("content", contents)]).expect("a batch")
    }

    #[test]
    fn objects_become_denial_rows_and_bad_ones_problems_naming_them() {
        let scanned = scan_objects(&objects(&[
            ("a.json", DENIED.as_bytes()),
            ("b.json", b"not json at all"),
            ("c.json.gz", b"\x1f\x8b\x08\x00truncated"),
        ]))
        .expect("a batch of objects");
        assert_eq!(scanned.rows.schema(), denials_schema());
        assert_eq!(scanned.rows.num_rows(), 1);
        let origin = scanned.rows.column_by_name("origin").expect("origin");
        assert_eq!(origin.as_string::<i32>().value(0), "a.json");
        let paths: Vec<&str> = scanned.problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["b.json", "c.json.gz"], "{:?}", scanned.problems);
    }

    #[test]
    fn a_batch_without_content_is_refused() {
        let paths: ArrayRef = Arc::new(StringArray::from(vec!["a"]));
        let batch = RecordBatch::try_from_iter([("path", paths)]).expect("a batch");
        assert!(matches!(scan_objects(&batch), Err(FrameError::Missing("content"))));
    }

    #[test]
    fn summaries_of_split_denials_equal_the_summary_of_all() {
        let one = scan_objects(&objects(&[("a", DENIED.as_bytes())])).expect("scanned").rows;
        let whole = summarize(&[one.clone(), one.clone()]).expect("summary");
        assert_eq!(whole.schema(), summary_schema());
        assert_eq!(whole.num_rows(), 1);
        let count = whole.column_by_name("count").expect("count");
        assert_eq!(count.as_primitive::<arrow_array::types::Int64Type>().value(0), 2);
        // Summary rows merge with others through their state.
        let merged = summarize(&[whole.clone(), whole.clone()]).expect("merged");
        let count = merged.column_by_name("count").expect("count");
        assert_eq!(count.as_primitive::<arrow_array::types::Int64Type>().value(0), 4);
        // Without it (summary.parquet's rows) they are refused.
        let without = whole.project(&(0..SUMMARY_COLUMNS.len()).collect::<Vec<_>>()).expect("");
        assert!(matches!(summarize(&[without]), Err(FrameError::SummaryWithoutState)));
    }

    #[test]
    fn spark_ddl_names_every_column_with_its_type() {
        let ddl = spark_ddl(&summary_schema());
        assert!(ddl.starts_with("`principal` STRING, "), "{ddl}");
        assert!(ddl.contains("`count` BIGINT, `first_seen` TIMESTAMP"), "{ddl}");
        assert!(ddl.contains("`accounts` ARRAY<STRING>"), "{ddl}");
        assert_eq!(ddl.matches(", `").count() + 1, SUMMARY_COLUMNS.len() + 1);
        assert!(ddl.ends_with("`merge_state` STRING"), "{ddl}");
    }
}
