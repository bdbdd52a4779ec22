//! The column registry: each report column is declared once, as a [`ColumnDef`] that names it,
//! says its kind and how to read it from a row and set it on a row. Everything else is driven
//! from that one declaration:
//!
//! - the Arrow schema, the builders and the Parquet writer settings ([`BatchBuilder`]);
//! - reading a report back into rows, for `whydenied report` ([`read_batch`]);
//! - the text forms of a value: JSON ([`Cell::to_json`]) and CSV/HTML text ([`Cell::to_text`]).
//!
//! Adding a column is one entry in [`super::schema`] plus the field it reads; a test there fails
//! when an output format misses a registered column. The terminal table and Markdown are views
//! for people that show a chosen few (see `table.rs`); every column is in Parquet, JSON, CSV and
//! the HTML page.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int64Builder, ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};

use super::rfc3339;

/// How a column is read from and written to a row of type `T`. The kind and both directions
/// are one variant, so a getter and a setter can never disagree about the type.
pub enum Access<T> {
    /// Microseconds since the epoch, UTC.
    Time {
        get: fn(&T) -> Option<i64>,
        set: fn(&mut T, Option<i64>),
    },
    /// `set` returns `None` when the text is not a valid value (a required column is null, an
    /// enum column holds a name we do not know): the file is then not one of our reports.
    Text {
        get: fn(&T) -> Option<&str>,
        set: fn(&mut T, Option<String>) -> Option<()>,
    },
    Flag {
        get: fn(&T) -> bool,
        set: fn(&mut T, bool),
    },
    Count {
        get: fn(&T) -> u64,
        set: fn(&mut T, u64),
    },
    TextList {
        get: fn(&T) -> &[String],
        set: fn(&mut T, Vec<String>),
    },
}

/// One column of a report.
pub struct ColumnDef<T> {
    pub name: &'static str,
    pub access: Access<T>,
    /// Whether Parquet should dictionary-encode it: yes for the low-cardinality columns
    /// (accounts, actions, policy types), no for ids that are unique per row.
    pub dictionary: bool,
    /// Added after reports were already in use: a report written before it lacks the column,
    /// and is read with the row's default there instead of being refused (nightly runs keep
    /// their earlier days' files across an upgrade).
    pub added_later: bool,
}

impl<T> ColumnDef<T> {
    pub const fn time(
        name: &'static str,
        get: fn(&T) -> Option<i64>,
        set: fn(&mut T, Option<i64>),
    ) -> Self {
        Self { name, access: Access::Time { get, set }, dictionary: false, added_later: false }
    }

    pub const fn text(
        name: &'static str,
        get: fn(&T) -> Option<&str>,
        set: fn(&mut T, Option<String>) -> Option<()>,
    ) -> Self {
        Self { name, access: Access::Text { get, set }, dictionary: true, added_later: false }
    }

    pub const fn flag(name: &'static str, get: fn(&T) -> bool, set: fn(&mut T, bool)) -> Self {
        Self { name, access: Access::Flag { get, set }, dictionary: false, added_later: false }
    }

    pub const fn count(name: &'static str, get: fn(&T) -> u64, set: fn(&mut T, u64)) -> Self {
        Self { name, access: Access::Count { get, set }, dictionary: false, added_later: false }
    }

    pub const fn text_list(
        name: &'static str,
        get: fn(&T) -> &[String],
        set: fn(&mut T, Vec<String>),
    ) -> Self {
        Self { name, access: Access::TextList { get, set }, dictionary: true, added_later: false }
    }

    /// A column that reports written by earlier versions lack (see [`ColumnDef::added_later`]).
    pub const fn added_later(mut self) -> Self {
        self.added_later = true;
        self
    }

    /// A text column whose values are (nearly) unique per row: no dictionary.
    pub const fn unique(mut self) -> Self {
        self.dictionary = false;
        self
    }

    /// The value of this column in `row`.
    pub fn cell<'a>(&self, row: &'a T) -> Cell<'a> {
        match &self.access {
            Access::Time { get, .. } => Cell::Time(get(row)),
            Access::Text { get, .. } => Cell::Text(get(row)),
            Access::Flag { get, .. } => Cell::Flag(get(row)),
            Access::Count { get, .. } => Cell::Count(get(row)),
            Access::TextList { get, .. } => Cell::TextList(get(row)),
        }
    }

    fn field(&self) -> Field {
        let (data_type, nullable) = match self.access {
            Access::Time { .. } => {
                (DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())), true)
            }
            Access::Text { .. } => (DataType::Utf8, true),
            Access::Flag { .. } => (DataType::Boolean, false),
            Access::Count { .. } => (DataType::Int64, false),
            Access::TextList { .. } => {
                (DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))), false)
            }
        };
        Field::new(self.name, data_type, nullable)
    }
}

/// Setters for the common text fields, so that a column entry stays one line.
pub mod set {
    /// An optional text field.
    pub fn optional(slot: &mut Option<String>, value: Option<String>) -> Option<()> {
        *slot = value;
        Some(())
    }

    /// A text field that every row has: a null is invalid.
    pub fn required(slot: &mut String, value: Option<String>) -> Option<()> {
        *slot = value?;
        Some(())
    }

    /// A field stored as its name (an enum): a null or an unknown name is invalid.
    pub fn named<E>(
        slot: &mut E,
        value: Option<String>,
        parse: fn(&str) -> Option<E>,
    ) -> Option<()> {
        *slot = parse(value.as_deref()?)?;
        Some(())
    }
}

/// One value of one row, borrowed from the row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    Time(Option<i64>),
    Text(Option<&'a str>),
    Flag(bool),
    Count(u64),
    TextList(&'a [String]),
}

impl Cell<'_> {
    /// The JSON value: times as RFC 3339 strings, absent values as `null`.
    pub fn to_json(self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Cell::Time(t) => t.map_or(Value::Null, |t| Value::String(rfc3339(Some(t)))),
            Cell::Text(s) => s.map_or(Value::Null, |s| Value::String(s.to_string())),
            Cell::Flag(b) => Value::Bool(b),
            Cell::Count(n) => Value::from(n),
            Cell::TextList(items) => Value::from(items.to_vec()),
        }
    }

    /// The value as one piece of text (CSV, HTML): absent as empty, lists joined with `;`.
    /// Not escaped: each format escapes by its own rules.
    pub fn to_text(self) -> String {
        match self {
            Cell::Time(t) => rfc3339(t),
            Cell::Text(s) => s.unwrap_or_default().to_string(),
            Cell::Flag(b) => b.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::TextList(items) => items.join(";"),
        }
    }
}

/// The timezone stored with every timestamp column, so readers show UTC times as UTC.
pub const UTC: &str = "UTC";

pub fn schema<T>(columns: &[ColumnDef<T>]) -> SchemaRef {
    Arc::new(Schema::new(columns.iter().map(ColumnDef::field).collect::<Vec<_>>()))
}

enum Builder {
    Time(TimestampMicrosecondBuilder),
    Text(StringBuilder),
    Flag(BooleanBuilder),
    Count(Int64Builder),
    TextList(ListBuilder<StringBuilder>),
}

/// Accumulates rows column by column until [`BatchBuilder::finish`].
pub struct BatchBuilder<T: 'static> {
    columns: &'static [ColumnDef<T>],
    schema: SchemaRef,
    builders: Vec<Builder>,
    rows: usize,
}

impl<T> BatchBuilder<T> {
    pub fn new(columns: &'static [ColumnDef<T>]) -> Self {
        let builders = columns
            .iter()
            .map(|c| match c.access {
                Access::Time { .. } => {
                    Builder::Time(TimestampMicrosecondBuilder::new().with_timezone(UTC))
                }
                Access::Text { .. } => Builder::Text(StringBuilder::new()),
                Access::Flag { .. } => Builder::Flag(BooleanBuilder::new()),
                Access::Count { .. } => Builder::Count(Int64Builder::new()),
                Access::TextList { .. } => {
                    Builder::TextList(ListBuilder::new(StringBuilder::new()))
                }
            })
            .collect();
        Self { columns, schema: schema(columns), builders, rows: 0 }
    }

    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn push(&mut self, row: &T) {
        for (column, builder) in self.columns.iter().zip(&mut self.builders) {
            match (column.cell(row), builder) {
                (Cell::Time(t), Builder::Time(b)) => b.append_option(t),
                (Cell::Text(s), Builder::Text(b)) => b.append_option(s),
                (Cell::Flag(f), Builder::Flag(b)) => b.append_value(f),
                (Cell::Count(n), Builder::Count(b)) => {
                    b.append_value(i64::try_from(n).unwrap_or(i64::MAX))
                }
                (Cell::TextList(items), Builder::TextList(b)) => {
                    for item in items {
                        b.values().append_value(item);
                    }
                    b.append(true);
                }
                _ => unreachable!("builders are made from the same column table"),
            }
        }
        self.rows += 1;
    }

    /// The rows pushed so far as one batch; the builder is empty afterwards.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Time(b) => Arc::new(b.finish()),
                    Builder::Text(b) => Arc::new(b.finish()),
                    Builder::Flag(b) => Arc::new(b.finish()),
                    Builder::Count(b) => Arc::new(b.finish()),
                    Builder::TextList(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema(), arrays)
    }
}

/// The name of the first registered column that `batch` lacks, holds with another type, or
/// holds an invalid value in: the batch is then not one of our reports.
pub type BadColumn = &'static str;

/// The rows of `batch`, each started from `blank()` and set column by column.
pub fn read_batch<T>(
    batch: &RecordBatch,
    columns: &[ColumnDef<T>],
    blank: fn() -> T,
) -> Result<Vec<T>, BadColumn> {
    let mut rows: Vec<T> = (0..batch.num_rows()).map(|_| blank()).collect();
    for column in columns {
        let array = match batch.column_by_name(column.name) {
            Some(array) => array,
            None if column.added_later => continue,
            None => return Err(column.name),
        };
        set_column(column, array.as_ref(), &mut rows).ok_or(column.name)?;
    }
    Ok(rows)
}

fn set_column<T>(column: &ColumnDef<T>, array: &dyn Array, rows: &mut [T]) -> Option<()> {
    match &column.access {
        Access::Time { set, .. } => {
            let times = array.as_primitive_opt::<TimestampMicrosecondType>()?;
            for (row, value) in rows.iter_mut().zip(times) {
                set(row, value);
            }
        }
        Access::Text { set, .. } => {
            let strings = array.as_string_opt::<i32>()?;
            for (row, value) in rows.iter_mut().zip(strings) {
                set(row, value.map(str::to_string))?;
            }
        }
        Access::Flag { set, .. } => {
            let flags = array.as_boolean_opt()?;
            for (row, value) in rows.iter_mut().zip(flags) {
                set(row, value?);
            }
        }
        Access::Count { set, .. } => {
            let counts = array.as_primitive_opt::<Int64Type>()?;
            for (row, value) in rows.iter_mut().zip(counts) {
                set(row, u64::try_from(value?).ok()?);
            }
        }
        Access::TextList { set, .. } => {
            let lists = array.as_list_opt::<i32>()?;
            for (row, list) in rows.iter_mut().zip(lists.iter()) {
                let strings = list?;
                let items = strings.as_string_opt::<i32>()?;
                set(row, items.iter().map(|s| s.unwrap_or_default().to_string()).collect());
            }
        }
    }
    Some(())
}
