//! Amazon Security Lake's CloudTrail: OCSF API Activity rows in Parquet, handed on as the
//! CloudTrail records they stand for.
//!
//! A Parquet object is recognised by its magic bytes (`PAR1`, see [`super::decoder`]) and read
//! as CloudTrail only when its schema has the OCSF columns of [`mapping::REQUIRED`]; any other
//! Parquet is reported as not understood. Only the columns of [`mapping`]'s table are decoded
//! (a projection), and a row filter on `api.response.error`, `api.service.name` and
//! `api.operation` first reads those three columns alone and decodes the rest only for the rows
//! that failed or may change a policy or assume a role: in a lake of mostly successful calls
//! the other columns of most pages are never decompressed.
//!
//! Each kept row becomes the JSON text of its CloudTrail record ([`mapping::cloudtrail_record`])
//! and goes through the same [`crate::record::RecordReader`] as a line of a trail: the
//! prefilters, the classifier, the policy-change capture (which reads `requestParameters` and
//! `responseElements` as JSON trees) and the role-assumption reader all apply unchanged, so a
//! denial from the lake is the very denial the trail gives. Rebuilding text costs a
//! serialisation per kept row, a few per thousand in a real lake; a second, Arrow-native
//! adapter to [`crate::event::Event`] would have had to duplicate the change capture too.
//!
//! Parquet keeps its index in a footer at the end of the file, so an object is read whole into
//! memory first (Security Lake writes objects of a few to a few hundred MB), up to
//! [`MAX_OBJECT_BYTES`].

mod guard;
pub mod mapping;

use std::io::{self, Read};

use arrow_array::cast::AsArray;
use arrow_array::{Array, BooleanArray, RecordBatch};
use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowPredicateFn, ParquetRecordBatchReaderBuilder, RowFilter};
use parquet::schema::types::SchemaDescriptor;
use serde_json::Value;

use crate::changes::events::change_event;
use crate::classify::FailureFilter;
use crate::decode::row;
use crate::decode::split::{ObjectKind, SplitReport};
use guard::guarded;

/// Parquet's magic bytes, at the start (and the end) of every Parquet file.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// The largest Parquet object read: it is held in memory whole while it is read.
pub const MAX_OBJECT_BYTES: u64 = 2 << 30;

/// Rows decoded at a time.
const BATCH_ROWS: usize = 1024;

/// Why a Parquet object was not read, or not to the end.
#[derive(Debug, thiserror::Error)]
pub enum OcsfError {
    #[error(
        "Parquet object larger than {} MiB: it would be held in memory whole; not read",
        MAX_OBJECT_BYTES >> 20
    )]
    TooLarge,
    #[error("not a readable Parquet file: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("Parquet rows could not be decoded: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("damaged Parquet data: the reader failed ({0})")]
    Damaged(String),
    #[error(
        "Parquet without the OCSF API Activity columns of Security Lake's CloudTrail (missing {0}): not understood, not read"
    )]
    NotOcsf(String),
}

impl From<OcsfError> for io::Error {
    fn from(error: OcsfError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, error)
    }
}

/// Reads the Parquet object in `reader` (whose first bytes were [`MAGIC`]) and calls
/// `on_record` with the CloudTrail record text of every row that `filter` may keep or that may
/// be a policy change or role assumption. As [`super::split::split_records`] does, returns what
/// was seen and the error that ended reading early, if any: rows before it were delivered.
pub fn split_rows(
    reader: impl Read,
    filter: FailureFilter,
    mut on_record: impl FnMut(&mut [u8]),
) -> (SplitReport, Option<io::Error>) {
    let mut report = SplitReport::new(ObjectKind::Ocsf);
    let error = read_rows(reader, filter, &mut report, &mut on_record).err();
    (report, error)
}

fn read_rows(
    reader: impl Read,
    filter: FailureFilter,
    report: &mut SplitReport,
    on_record: &mut impl FnMut(&mut [u8]),
) -> io::Result<()> {
    let mut whole = Vec::new();
    reader.take(MAX_OBJECT_BYTES + 1).read_to_end(&mut whole)?;
    if whole.len() as u64 > MAX_OBJECT_BYTES {
        return Err(OcsfError::TooLarge.into());
    }
    let whole = Bytes::from(whole);
    let builder = guarded(|| ParquetRecordBatchReaderBuilder::try_new(whole))
        .map_err(OcsfError::Damaged)?
        .map_err(OcsfError::from)?;
    let schema = builder.parquet_schema();
    let leaves = logical_leaves(schema);
    let has = |path: &str| leaves.iter().any(|leaf| under(leaf, path));
    let missing: Vec<&str> = mapping::REQUIRED.iter().copied().filter(|p| !has(p)).collect();
    if !missing.is_empty() {
        return Err(OcsfError::NotOcsf(missing.join(", ")).into());
    }
    let metadata = builder.metadata();
    let rows = u64::try_from(metadata.file_metadata().num_rows()).unwrap_or(0);
    // Sizes from the footer, which a damaged file may make absurd: saturated, never overflowed.
    let sizes = metadata.row_groups().iter().map(|g| u64::try_from(g.total_byte_size()));
    report.decoded_bytes = sizes.fold(0, |sum, size| sum.saturating_add(size.unwrap_or(0)));
    let projection = mask(schema, &leaves, &projected_columns());
    let tested = mask(schema, &leaves, &[ERROR, SERVICE, OPERATION]);
    let predicate = ArrowPredicateFn::new(tested, move |batch| Ok(may_matter(&batch, filter)));
    let builder = builder
        .with_projection(projection)
        .with_row_filter(RowFilter::new(vec![Box::new(predicate)]))
        .with_batch_size(BATCH_ROWS);
    let mut batches =
        guarded(|| builder.build()).map_err(OcsfError::Damaged)?.map_err(OcsfError::from)?;
    // Only the decoding is guarded: a panic of whydenied's own code below stays a bug.
    while let Some(batch) = guarded(|| batches.next()).map_err(OcsfError::Damaged)? {
        let batch = batch.map_err(OcsfError::from)?;
        for i in 0..batch.num_rows() {
            let record = mapping::cloudtrail_record(&row::row_json(&batch, i));
            let mut text = serde_json::to_vec(&Value::Object(record)).unwrap_or_default();
            on_record(&mut text);
            report.records += 1;
        }
    }
    // Every row was read, kept or not: the file's count (until then, the rows handed on).
    report.records = rows;
    Ok(())
}

const ERROR: &str = "api.response.error";
const SERVICE: &str = "api.service.name";
const OPERATION: &str = "api.operation";

/// The columns the table reads.
fn projected_columns() -> Vec<String> {
    let scalars = mapping::COLUMNS.iter().map(|c| c.ocsf.to_string());
    let resources =
        mapping::RESOURCE_FIELDS.iter().map(|f| format!("{}.{}", mapping::RESOURCES, f.ocsf));
    scalars.chain(resources).chain([mapping::UNMAPPED.to_string()]).collect()
}

/// Whether a row may be kept: it failed, or it may change a policy or assume a role (read for
/// the change history even when it succeeded), or it is a console sign-in the filter keeps.
fn may_matter(batch: &RecordBatch, filter: FailureFilter) -> BooleanArray {
    let error = Leaf::find(batch, ERROR);
    let service = Leaf::find(batch, SERVICE);
    let operation = Leaf::find(batch, OPERATION);
    (0..batch.num_rows())
        .map(|row| {
            if Leaf::text_of(&error, row).is_some_and(|e| !e.is_empty()) {
                return Some(true);
            }
            let name = Leaf::text_of(&operation, row);
            let change = name
                .zip(Leaf::text_of(&service, row))
                .is_some_and(|(n, s)| change_event(s, n).is_some());
            Some(change || filter.needs_console_sign_ins() && name == Some("ConsoleLogin"))
        })
        .collect()
}

/// A string column inside nested structs, with the structs above it: a row's value is absent
/// when any of them is null there.
struct Leaf<'b> {
    chain: Vec<&'b dyn Array>,
}

impl<'b> Leaf<'b> {
    fn find(batch: &'b RecordBatch, path: &str) -> Option<Self> {
        let mut parts = path.split('.');
        let mut array: &dyn Array = batch.column_by_name(parts.next()?)?.as_ref();
        let mut chain = vec![array];
        for part in parts {
            array = array.as_struct_opt()?.column_by_name(part)?.as_ref();
            chain.push(array);
        }
        Some(Self { chain })
    }

    fn text_of(leaf: &Option<Self>, row: usize) -> Option<&'b str> {
        let (leaf, above) = leaf.as_ref()?.chain.split_last()?;
        if above.iter().any(|a| a.is_null(row)) {
            return None;
        }
        row::text_at(*leaf, row)
    }
}

/// Each leaf column's path without the groups Parquet adds for lists and maps (`list.element`,
/// legacy `array` and `bag.array_element`, `key_value`): the OCSF path a reader names.
fn logical_leaves(schema: &SchemaDescriptor) -> Vec<String> {
    const WRAPPERS: &[&str] =
        &["list", "element", "item", "array", "bag", "array_element", "key_value"];
    schema
        .columns()
        .iter()
        .map(|column| {
            let parts = column.path().parts().iter().map(String::as_str);
            parts.filter(|p| !WRAPPERS.contains(p)).collect::<Vec<_>>().join(".")
        })
        .collect()
}

/// Whether `leaf` is the column `path` or lies under it.
fn under(leaf: &str, path: &str) -> bool {
    leaf.strip_prefix(path).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// The leaves at or under any of `paths`.
fn mask(schema: &SchemaDescriptor, leaves: &[String], paths: &[impl AsRef<str>]) -> ProjectionMask {
    let chosen = leaves
        .iter()
        .enumerate()
        .filter(|(_, leaf)| paths.iter().any(|p| under(leaf, p.as_ref())))
        .map(|(i, _)| i);
    ProjectionMask::leaves(schema, chosen)
}
