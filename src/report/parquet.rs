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

use super::columns::{BatchBuilder, ColumnDef, Getter};
use crate::aggregate::SummaryRow;
use crate::classify::Denial;

pub const DENIALS_FILE: &str = "denials.parquet";
pub const SUMMARY_FILE: &str = "summary.parquet";

/// Rows buffered before they are handed to the Parquet writer as one batch.
const BATCH_ROWS: usize = 8192;

/// The columns of `denials.parquet`, in order.
pub static DENIAL_COLUMNS: &[ColumnDef<Denial>] = &[
    ColumnDef {
        name: "event_time",
        get: Getter::Time(|d| d.event_time),
        dictionary: false,
    },
    ColumnDef {
        name: "event_id",
        get: Getter::Text(|d| d.event_id.as_deref()),
        dictionary: false,
    },
    ColumnDef {
        name: "request_id",
        get: Getter::Text(|d| d.request_id.as_deref()),
        dictionary: false,
    },
    ColumnDef {
        name: "account_id",
        get: Getter::Text(|d| d.account_id.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "region",
        get: Getter::Text(|d| d.region.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "event_source",
        get: Getter::Text(|d| d.event_source.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "event_name",
        get: Getter::Text(|d| d.event_name.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "action",
        get: Getter::Text(|d| Some(&d.action)),
        dictionary: true,
    },
    ColumnDef {
        name: "error_category",
        get: Getter::Text(|d| Some(d.category.as_str())),
        dictionary: true,
    },
    ColumnDef {
        name: "error_code",
        get: Getter::Text(|d| d.error_code.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "error_message",
        get: Getter::Text(|d| d.error_message.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "denied_by",
        get: Getter::Text(|d| Some(d.denied_by.as_str())),
        dictionary: true,
    },
    ColumnDef {
        name: "deny_kind",
        get: Getter::Text(|d| Some(d.deny_kind.as_str())),
        dictionary: true,
    },
    ColumnDef {
        name: "via_policy_type",
        get: Getter::Text(|d| d.via_policy_type.map(|p| p.as_str())),
        dictionary: true,
    },
    ColumnDef {
        name: "denying_policy_arn",
        get: Getter::Text(|d| d.denying_policy_arn.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "has_encoded_message",
        get: Getter::Flag(|d| d.has_encoded_message),
        dictionary: false,
    },
    ColumnDef {
        name: "principal",
        get: Getter::Text(|d| Some(&d.principal.principal)),
        dictionary: true,
    },
    ColumnDef {
        name: "principal_type",
        get: Getter::Text(|d| Some(&d.principal.principal_type)),
        dictionary: true,
    },
    ColumnDef {
        name: "caller_arn",
        get: Getter::Text(|d| d.principal.caller_arn.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "session_name",
        get: Getter::Text(|d| d.principal.session_name.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "principal_account",
        get: Getter::Text(|d| d.principal.account.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "invoked_by",
        get: Getter::Text(|d| d.principal.invoked_by.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "bucket",
        get: Getter::Text(|d| d.target.bucket.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "object_key",
        get: Getter::Text(|d| d.target.object_key.as_deref()),
        dictionary: false,
    },
    ColumnDef {
        name: "resource_arn",
        get: Getter::Text(|d| d.target.resource_arn.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "source_ip",
        get: Getter::Text(|d| d.source_ip.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "user_agent",
        get: Getter::Text(|d| d.user_agent.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "vpc_endpoint_id",
        get: Getter::Text(|d| d.vpc_endpoint_id.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "origin",
        get: Getter::Text(|d| Some(&d.origin)),
        dictionary: true,
    },
    ColumnDef {
        name: "suppressed_by",
        get: Getter::Text(|d| d.suppressed_by.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "noise",
        get: Getter::Text(|d| d.noise),
        dictionary: true,
    },
];

/// The columns of `summary.parquet`, in order.
pub static SUMMARY_COLUMNS: &[ColumnDef<SummaryRow>] = &[
    ColumnDef {
        name: "principal",
        get: Getter::Text(|r| Some(&r.principal)),
        dictionary: true,
    },
    ColumnDef {
        name: "principal_type",
        get: Getter::Text(|r| Some(&r.principal_type)),
        dictionary: true,
    },
    ColumnDef {
        name: "action",
        get: Getter::Text(|r| Some(&r.action)),
        dictionary: true,
    },
    ColumnDef {
        name: "bucket",
        get: Getter::Text(|r| r.bucket.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "count",
        get: Getter::Count(|r| r.count),
        dictionary: false,
    },
    ColumnDef {
        name: "first_seen",
        get: Getter::Time(|r| r.first_seen),
        dictionary: false,
    },
    ColumnDef {
        name: "last_seen",
        get: Getter::Time(|r| r.last_seen),
        dictionary: false,
    },
    ColumnDef {
        name: "distinct_source_ips",
        get: Getter::Count(|r| r.distinct_source_ips),
        dictionary: false,
    },
    ColumnDef {
        name: "accounts",
        get: Getter::TextList(|r| &r.accounts),
        dictionary: true,
    },
    ColumnDef {
        name: "regions",
        get: Getter::TextList(|r| &r.regions),
        dictionary: true,
    },
    ColumnDef {
        name: "error_codes",
        get: Getter::TextList(|r| &r.error_codes),
        dictionary: true,
    },
    ColumnDef {
        name: "error_category",
        get: Getter::Text(|r| Some(r.category.as_str())),
        dictionary: true,
    },
    ColumnDef {
        name: "denied_by",
        get: Getter::Text(|r| Some(r.denied_by.as_str())),
        dictionary: true,
    },
    ColumnDef {
        name: "deny_kind",
        get: Getter::Text(|r| Some(r.deny_kind.as_str())),
        dictionary: true,
    },
    ColumnDef {
        name: "denying_policy_arn",
        get: Getter::Text(|r| r.denying_policy_arn.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "sample_event_id",
        get: Getter::Text(|r| r.sample_event_id.as_deref()),
        dictionary: false,
    },
    ColumnDef {
        name: "sample_error_message",
        get: Getter::Text(|r| r.sample_error_message.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "sample_resource_arn",
        get: Getter::Text(|r| r.sample_resource_arn.as_deref()),
        dictionary: true,
    },
    ColumnDef {
        name: "hint",
        get: Getter::Text(|r| Some(&r.hint)),
        dictionary: true,
    },
];

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
        let temp_path = dir.join(format!(".{name}.partial-{}", std::process::id()));
        let io_err = |source| ReportError::Io {
            path: temp_path.clone(),
            source,
        };
        let file = File::create(&temp_path).map_err(io_err)?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .set_created_by(concat!("whydenied ", env!("CARGO_PKG_VERSION")).into());
        for column in columns.iter().filter(|c| !c.dictionary) {
            props = props.set_column_dictionary_enabled(ColumnPath::from(column.name), false);
        }
        let batch = BatchBuilder::new(columns);
        let writer =
            ArrowWriter::try_new(BufWriter::new(file), batch.schema(), Some(props.build()))
                .map_err(|source| ReportError::Parquet {
                    path: temp_path.clone(),
                    source,
                })?;
        Ok(Self {
            batch,
            writer: Some(writer),
            temp_path,
            final_path,
        })
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
        writer.write(&batch).map_err(|source| ReportError::Parquet {
            path: self.temp_path.clone(),
            source,
        })
    }

    /// Finishes the file, makes it durable and renames it to its final name.
    pub fn commit(mut self) -> Result<PathBuf, ReportError> {
        self.flush()?;
        let writer = self.writer.take().expect("the writer lives until commit");
        let buffered = writer.into_inner().map_err(|source| ReportError::Parquet {
            path: self.temp_path.clone(),
            source,
        })?;
        let file = buffered.into_inner().map_err(|e| ReportError::Io {
            path: self.temp_path.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(|source| ReportError::Io {
            path: self.temp_path.clone(),
            source,
        })?;
        fs::rename(&self.temp_path, &self.final_path).map_err(|source| ReportError::Io {
            path: self.final_path.clone(),
            source,
        })?;
        Ok(self.final_path.clone())
    }
}

impl<T> Drop for ParquetReport<T> {
    /// An abandoned report leaves no file behind (after a commit the temporary name is gone).
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.temp_path);
    }
}
