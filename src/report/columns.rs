//! Rows to Arrow record batches, driven by a table of column definitions.
//!
//! Each report declares its schema once, as a list of [`ColumnDef`]s that name the column, its
//! kind and how to read it from a row; the same table builds the Arrow schema, the builders and
//! the Parquet writer settings. Adding a column is one line.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Int64Builder, ListBuilder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};

/// How to read one column's value from a row of type `T`.
pub enum Getter<T> {
    /// Microseconds since the epoch, UTC.
    Time(fn(&T) -> Option<i64>),
    Text(fn(&T) -> Option<&str>),
    Flag(fn(&T) -> bool),
    Count(fn(&T) -> u64),
    TextList(fn(&T) -> &[String]),
}

/// One column of a report.
pub struct ColumnDef<T> {
    pub name: &'static str,
    pub get: Getter<T>,
    /// Whether Parquet should dictionary-encode it: yes for the low-cardinality columns
    /// (accounts, actions, policy types), no for ids that are unique per row.
    pub dictionary: bool,
}

/// The timezone stored with every timestamp column, so readers show UTC times as UTC.
pub const UTC: &str = "UTC";

pub fn schema<T>(columns: &[ColumnDef<T>]) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .map(|c| {
            let (data_type, nullable) = match c.get {
                Getter::Time(_) => (
                    DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
                    true,
                ),
                Getter::Text(_) => (DataType::Utf8, true),
                Getter::Flag(_) => (DataType::Boolean, false),
                Getter::Count(_) => (DataType::Int64, false),
                Getter::TextList(_) => (
                    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
                    false,
                ),
            };
            Field::new(c.name, data_type, nullable)
        })
        .collect();
    Arc::new(Schema::new(fields))
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
            .map(|c| match c.get {
                Getter::Time(_) => {
                    Builder::Time(TimestampMicrosecondBuilder::new().with_timezone(UTC))
                }
                Getter::Text(_) => Builder::Text(StringBuilder::new()),
                Getter::Flag(_) => Builder::Flag(BooleanBuilder::new()),
                Getter::Count(_) => Builder::Count(Int64Builder::new()),
                Getter::TextList(_) => Builder::TextList(ListBuilder::new(StringBuilder::new())),
            })
            .collect();
        Self {
            columns,
            schema: schema(columns),
            builders,
            rows: 0,
        }
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
            match (&column.get, builder) {
                (Getter::Time(get), Builder::Time(b)) => b.append_option(get(row)),
                (Getter::Text(get), Builder::Text(b)) => b.append_option(get(row)),
                (Getter::Flag(get), Builder::Flag(b)) => b.append_value(get(row)),
                (Getter::Count(get), Builder::Count(b)) => {
                    b.append_value(i64::try_from(get(row)).unwrap_or(i64::MAX))
                }
                (Getter::TextList(get), Builder::TextList(b)) => {
                    for item in get(row) {
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
