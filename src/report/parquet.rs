//! The Parquet reports: `denials.parquet` (one row per kept failure) and `summary.parquet`
//! (one row per principal × action × bucket), zstd-compressed, readable by DuckDB, pyarrow,
//! Spark and Athena.
//!
//! A report is written under a temporary name in the output directory and renamed into place
//! only when complete, so a crash or a full disk never leaves a half-written report behind.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::columns::{BatchBuilder, ColumnDef};

pub const DENIALS_FILE: &str = "denials.parquet";
pub const SUMMARY_FILE: &str = "summary.parquet";
pub const POLICY_CHANGES_FILE: &str = "policy_changes.parquet";

/// Rows buffered before they are handed to the Parquet writer as one batch.
const BATCH_ROWS: usize = 8192;

/// Rows per Parquet row group. The writer holds a whole row group's encoded columns in memory
/// until it is complete; the library's default (about a million rows) made that tens of MB per
/// report at a million denials or groups. 128 Ki rows keeps it a few MB and is about the row
/// group size DuckDB writes.
const ROW_GROUP_ROWS: usize = 16 * BATCH_ROWS;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot write {path}: {source}")]
    Parquet { path: PathBuf, source: ParquetError },
}

/// A Parquet report being written: rows go in, [`ParquetReport::commit`] renames it into place.
pub struct ParquetReport<T: 'static> {
    batch: BatchBuilder<T>,
    /// `None` only after [`ParquetReport::commit`] took it.
    writer: Option<ArrowWriter<BufWriter<File>>>,
    temp_path: PathBuf,
    final_path: PathBuf,
}

impl<T> ParquetReport<T> {
    pub fn create(
        dir: &Path,
        name: &str,
        columns: &'static [ColumnDef<T>],
    ) -> Result<Self, ReportError> {
        let final_path = dir.join(name);
        let temp_path = crate::partial::path_for(&final_path);
        let io_err = |source| ReportError::Io { path: temp_path.clone(), source };
        let file = File::create(&temp_path).map_err(io_err)?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(concat!("whydenied ", env!("CARGO_PKG_VERSION")).into());
        for column in columns.iter().filter(|c| !c.dictionary) {
            props = props.set_column_dictionary_enabled(ColumnPath::from(column.name), false);
        }
        let batch = BatchBuilder::new(columns);
        let writer =
            ArrowWriter::try_new(BufWriter::new(file), batch.schema(), Some(props.build()))
                .map_err(|source| ReportError::Parquet { path: temp_path.clone(), source })?;
        Ok(Self { batch, writer: Some(writer), temp_path, final_path })
    }

    pub fn push(&mut self, row: &T) -> Result<(), ReportError> {
        self.batch.push(row);
        if self.batch.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ReportError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = self.batch.finish().map_err(|e| ReportError::Parquet {
            path: self.temp_path.clone(),
            source: ParquetError::from(e),
        })?;
        let writer = self.writer.as_mut().expect("the writer lives until commit");
        writer
            .write(&batch)
            .map_err(|source| ReportError::Parquet { path: self.temp_path.clone(), source })
    }

    /// Finishes the file, makes it durable and renames it to its final name.
    pub fn commit(self) -> Result<PathBuf, ReportError> {
        self.finish()?.publish()
    }

    /// Finishes the file and makes it durable under its temporary name: the first half of a
    /// commit, so that several reports can be finished and then published together.
    pub fn finish(mut self) -> Result<FinishedReport, ReportError> {
        self.flush()?;
        let writer = self.writer.take().expect("the writer lives until commit");
        let buffered = writer
            .into_inner()
            .map_err(|source| ReportError::Parquet { path: self.temp_path.clone(), source })?;
        let file = buffered.into_inner().map_err(|e| ReportError::Io {
            path: self.temp_path.clone(),
            source: e.into_error(),
        })?;
        file.sync_all()
            .map_err(|source| ReportError::Io { path: self.temp_path.clone(), source })?;
        Ok(FinishedReport {
            temp_path: std::mem::take(&mut self.temp_path),
            final_path: std::mem::take(&mut self.final_path),
        })
    }
}

/// A complete report under its temporary name; dropped unpublished, it is removed.
#[derive(Debug)]
pub struct FinishedReport {
    temp_path: PathBuf,
    final_path: PathBuf,
}

impl FinishedReport {
    /// The name it will be published under.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// The complete file under its temporary name, to read back before publishing.
    pub fn temp_path(&self) -> &Path {
        &self.temp_path
    }

    /// Moves the temporary file aside (`.<name>.<tag>.partial-<pid>`), so that a new report of
    /// the same final name can be written while this one is read; still removed when dropped.
    pub fn set_aside(mut self, tag: &str) -> Result<FinishedReport, ReportError> {
        let name = self.final_path.file_name().unwrap_or_default().to_string_lossy();
        let aside =
            crate::partial::path_for(&self.final_path.with_file_name(format!("{name}.{tag}")));
        fs::rename(&self.temp_path, &aside)
            .map_err(|source| ReportError::Io { path: aside.clone(), source })?;
        self.temp_path = aside;
        Ok(self)
    }

    /// Renames the report to its final name: one `rename(2)`, atomic.
    pub fn publish(mut self) -> Result<PathBuf, ReportError> {
        fs::rename(&self.temp_path, &self.final_path)
            .map_err(|source| ReportError::Io { path: self.final_path.clone(), source })?;
        self.temp_path = PathBuf::new();
        Ok(std::mem::take(&mut self.final_path))
    }
}

impl Drop for FinishedReport {
    fn drop(&mut self) {
        if !self.temp_path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}

impl<T> Drop for ParquetReport<T> {
    /// An abandoned report leaves no file behind (once finished, the temporary file belongs to
    /// the [`FinishedReport`]).
    fn drop(&mut self) {
        if !self.temp_path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}
