//! Reading `denials` reports back into [`Denial`]s, so that `whydenied report` re-aggregates
//! with exactly the code a scan uses: the summary of the files equals the summary of the scan.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::parquet::{DENIAL_COLUMNS, DENIALS_FILE};
use crate::aggregate::SummaryKey;
use crate::classify::Denial;
use crate::classify::category::ErrorCategory;
use crate::classify::principal::Principal;
use crate::classify::reason::{DeniedBy, DenyKind};
use crate::classify::resource::Target;
use crate::suppress::noise_label_named;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error(
        "{path} is not a whydenied denials report: column `{column}` is missing or of another type"
    )]
    Column { path: PathBuf, column: &'static str },
    #[error(
        "no denials reports under {0} (expected denials.parquet or denials/date=*/denials-*.parquet)"
    )]
    Nothing(PathBuf),
}

/// Every denials file under `dir`, in both layouts, sorted.
pub fn denial_files(dir: &Path) -> Result<Vec<PathBuf>, ReadError> {
    let mut files = Vec::new();
    if dir.join(DENIALS_FILE).is_file() {
        files.push(dir.join(DENIALS_FILE));
    }
    if let Ok(days) = fs::read_dir(dir.join("denials")) {
        for day in days
            .flatten()
            .filter(|d| d.file_name().to_string_lossy().starts_with("date="))
        {
            let Ok(entries) = fs::read_dir(day.path()) else {
                continue;
            };
            files.extend(entries.flatten().map(|e| e.path()).filter(|p| {
                p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with("denials-") && n.ends_with(".parquet")
                })
            }));
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(ReadError::Nothing(dir.to_path_buf()));
    }
    Ok(files)
}

/// Calls `each` with every denial of the file at `path`.
pub fn read_denials(path: &Path, mut each: impl FnMut(Denial)) -> Result<(), ReadError> {
    let reader = batches(path)?;
    let schema = arrow_array::RecordBatchReader::schema(&reader);
    if let Some(column) = DENIAL_COLUMNS
        .iter()
        .find(|c| schema.field_with_name(c.name).is_err())
    {
        return Err(ReadError::Column {
            path: path.to_path_buf(),
            column: column.name,
        });
    }
    for batch in reader {
        let batch = batch.map_err(|e| file_error(path, e.to_string()))?;
        let columns = Columns {
            batch: &batch,
            path,
        };
        for row in 0..batch.num_rows() {
            each(columns.denial(row)?);
        }
    }
    Ok(())
}

/// Adds the groups (principal, action, bucket) of the summary report at `path` to `seen`.
pub fn read_summary_keys(path: &Path, seen: &mut HashSet<SummaryKey>) -> Result<(), ReadError> {
    for batch in batches(path)? {
        let batch = batch.map_err(|e| file_error(path, e.to_string()))?;
        let columns = Columns {
            batch: &batch,
            path,
        };
        for row in 0..batch.num_rows() {
            seen.insert(SummaryKey {
                principal: columns.required("principal", row)?,
                action: columns.required("action", row)?,
                bucket: columns.text("bucket", row)?,
            });
        }
    }
    Ok(())
}

fn file_error(path: &Path, reason: String) -> ReadError {
    ReadError::File {
        path: path.to_path_buf(),
        reason,
    }
}

fn batches(path: &Path) -> Result<ParquetRecordBatchReader, ReadError> {
    let file = File::open(path).map_err(|e| file_error(path, e.to_string()))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| file_error(path, e.to_string()))
}

struct Columns<'a> {
    batch: &'a RecordBatch,
    path: &'a Path,
}

impl Columns<'_> {
    fn missing(&self, column: &'static str) -> ReadError {
        ReadError::Column {
            path: self.path.to_path_buf(),
            column,
        }
    }

    fn text(&self, column: &'static str, row: usize) -> Result<Option<String>, ReadError> {
        let array = self
            .batch
            .column_by_name(column)
            .ok_or_else(|| self.missing(column))?;
        let strings = array
            .as_string_opt::<i32>()
            .ok_or_else(|| self.missing(column))?;
        Ok((!strings.is_null(row)).then(|| strings.value(row).to_string()))
    }

    fn required(&self, column: &'static str, row: usize) -> Result<String, ReadError> {
        self.text(column, row)?.ok_or_else(|| self.missing(column))
    }

    fn parsed<T>(
        &self,
        column: &'static str,
        row: usize,
        parse: fn(&str) -> Option<T>,
    ) -> Result<T, ReadError> {
        parse(&self.required(column, row)?).ok_or_else(|| self.missing(column))
    }

    fn denial(&self, row: usize) -> Result<Denial, ReadError> {
        let times = self
            .batch
            .column_by_name("event_time")
            .and_then(|a| a.as_primitive_opt::<TimestampMicrosecondType>())
            .ok_or_else(|| self.missing("event_time"))?;
        let flags = self
            .batch
            .column_by_name("has_encoded_message")
            .and_then(|a| a.as_boolean_opt())
            .ok_or_else(|| self.missing("has_encoded_message"))?;
        let via = self.text("via_policy_type", row)?;
        Ok(Denial {
            event_time: (!times.is_null(row)).then(|| times.value(row)),
            event_id: self.text("event_id", row)?,
            request_id: self.text("request_id", row)?,
            account_id: self.text("account_id", row)?,
            region: self.text("region", row)?,
            event_source: self.text("event_source", row)?,
            event_name: self.text("event_name", row)?,
            action: self.required("action", row)?,
            category: self.parsed("error_category", row, ErrorCategory::from_str_opt)?,
            error_code: self.text("error_code", row)?,
            error_message: self.text("error_message", row)?,
            deny_kind: self.parsed("deny_kind", row, DenyKind::from_str_opt)?,
            denied_by: self.parsed("denied_by", row, DeniedBy::from_str_opt)?,
            via_policy_type: match via.as_deref().and_then(DeniedBy::from_str_opt) {
                Some(DeniedBy::Policy(policy)) => Some(policy),
                _ => None,
            },
            denying_policy_arn: self.text("denying_policy_arn", row)?,
            has_encoded_message: flags.value(row),
            principal: Principal {
                principal: self.required("principal", row)?,
                principal_type: self.required("principal_type", row)?,
                caller_arn: self.text("caller_arn", row)?,
                session_name: self.text("session_name", row)?,
                account: self.text("principal_account", row)?,
                invoked_by: self.text("invoked_by", row)?,
            },
            target: Target {
                bucket: self.text("bucket", row)?,
                object_key: self.text("object_key", row)?,
                resource_arn: self.text("resource_arn", row)?,
            },
            source_ip: self.text("source_ip", row)?,
            user_agent: self.text("user_agent", row)?,
            vpc_endpoint_id: self.text("vpc_endpoint_id", row)?,
            origin: Arc::from(self.required("origin", row)?.as_str()),
            suppressed_by: self.text("suppressed_by", row)?,
            noise: self
                .text("noise", row)?
                .and_then(|label| noise_label_named(&label)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::reason::PolicyType;
    use crate::report::parquet::ParquetReport;

    /// Every field set and spelled out (not `..Denial::example()`): a new field must be given
    /// a value here, so the round trip covers it.
    fn full() -> Denial {
        Denial {
            event_time: Some(1_793_613_600_000_000),
            event_id: Some("e1".into()),
            request_id: Some("r1".into()),
            account_id: Some("111122223333".into()),
            region: Some("us-east-1".into()),
            event_source: Some("s3.amazonaws.com".into()),
            event_name: Some("GetObject".into()),
            action: "kms:Decrypt".into(),
            category: ErrorCategory::Authorization,
            error_code: Some("AccessDenied".into()),
            error_message: Some("… with an explicit deny in an identity-based policy transitively through a service control policy".into()),
            deny_kind: DenyKind::Explicit,
            denied_by: DeniedBy::Policy(PolicyType::IdentityBased),
            via_policy_type: Some(PolicyType::ServiceControlPolicy),
            denying_policy_arn: Some("arn:aws:organizations::1:policy/o-1/service_control_policy/p-1".into()),
            has_encoded_message: true,
            principal: Principal {
                principal: "arn:aws:iam::111122223333:role/r".into(),
                principal_type: "AssumedRole".into(),
                caller_arn: Some("arn:aws:sts::111122223333:assumed-role/r/s".into()),
                session_name: Some("s".into()),
                account: Some("111122223333".into()),
                invoked_by: Some("athena.amazonaws.com".into()),
            },
            target: Target {
                bucket: Some("b".into()),
                object_key: Some("k é/\"x\"".into()),
                resource_arn: Some("arn:aws:kms:us-east-1:111122223333:key/k".into()),
            },
            source_ip: Some("192.0.2.1".into()),
            user_agent: Some("ua\u{1b}[31m".into()),
            vpc_endpoint_id: Some("vpce-1".into()),
            origin: Arc::from("s3://trail/x.json.gz"),
            suppressed_by: Some("backup-probe".into()),
            noise: Some("console_internal"),
        }
    }

    fn sparse() -> Denial {
        Denial {
            event_time: None,
            event_id: None,
            request_id: None,
            account_id: None,
            region: None,
            event_source: None,
            event_name: None,
            action: "unknown".into(),
            category: ErrorCategory::Other,
            error_code: None,
            error_message: None,
            deny_kind: DenyKind::Generic,
            denied_by: DeniedBy::Unknown,
            via_policy_type: None,
            denying_policy_arn: None,
            has_encoded_message: false,
            principal: Principal {
                principal: "unknown".into(),
                principal_type: "Unknown".into(),
                ..Principal::default()
            },
            target: Target::default(),
            source_ip: None,
            user_agent: None,
            vpc_endpoint_id: None,
            origin: Arc::from("-"),
            suppressed_by: None,
            noise: None,
        }
    }

    #[test]
    fn denials_round_trip_through_parquet() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut report =
            ParquetReport::create(dir.path(), DENIALS_FILE, DENIAL_COLUMNS).expect("create");
        for d in [full(), sparse()] {
            report.push(&d).expect("push");
        }
        let path = report.commit().expect("commit");
        let mut back = Vec::new();
        read_denials(&path, |d| back.push(d)).expect("read");
        assert_eq!(back, [full(), sparse()]);
        assert_eq!(denial_files(dir.path()).expect("found"), [path]);
    }

    #[test]
    fn other_files_are_refused_by_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(matches!(
            denial_files(dir.path()),
            Err(ReadError::Nothing(_))
        ));
        let summary = dir.path().join("not-denials.parquet");
        let report = ParquetReport::create(
            dir.path(),
            "not-denials.parquet",
            crate::report::parquet::SUMMARY_COLUMNS,
        )
        .expect("create");
        report.commit().expect("commit");
        let err = read_denials(&summary, |_| {}).expect_err("a summary is not a denials report");
        assert!(
            err.to_string()
                .contains("is not a whydenied denials report"),
            "{err}"
        );
    }
}
