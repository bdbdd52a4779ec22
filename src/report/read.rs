//! Reading `denials` reports back into [`Denial`]s, so that `whydenied report` re-aggregates
//! with exactly the code a scan uses: the summary of the files equals the summary of the scan.

use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::columns::{ColumnDef, read_batch};
use super::layout::{POLICY_CHANGES_DIR, run_summaries};
use super::parquet::{DENIALS_FILE, POLICY_CHANGES_FILE, SUMMARY_FILE};
use super::schema::{
    DENIAL_COLUMNS, POLICY_CHANGE_COLUMNS, SUMMARY_COLUMNS, blank_denial, blank_policy_change,
    blank_summary,
};
use crate::aggregate::{SummaryKey, SummaryRow};
use crate::changes::PolicyChange;
use crate::changes::assumption::RoleAssumption;
use crate::classify::Denial;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error(
        "{path} is not a whydenied report of this kind: column `{column}` is missing, of another type or holds an invalid value"
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
        for day in days.flatten().filter(|d| d.file_name().to_string_lossy().starts_with("date=")) {
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
    read_denial_batches(path, |rows| rows.into_iter().for_each(&mut each))
}

/// Calls `each_batch` with the denials of the file at `path`, a batch (of bounded size) at a time.
pub fn read_denial_batches(
    path: &Path,
    each_batch: impl FnMut(Vec<Denial>),
) -> Result<(), ReadError> {
    read_rows(path, DENIAL_COLUMNS, blank_denial, each_batch)
}

/// Every policy-changes file under `dir`, in both layouts, sorted; none for reports written
/// before whydenied recorded changes.
pub fn policy_change_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if dir.join(POLICY_CHANGES_FILE).is_file() {
        files.push(dir.join(POLICY_CHANGES_FILE));
    }
    if let Ok(entries) = fs::read_dir(dir.join(POLICY_CHANGES_DIR)) {
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with("policy_changes-") && n.ends_with(".parquet")
            })
        }));
    }
    files.sort();
    files
}

/// Every policy change in the files `files`.
pub fn read_policy_changes(files: &[PathBuf]) -> Result<Vec<PolicyChange>, ReadError> {
    let mut changes = Vec::new();
    for file in files {
        read_rows(file, POLICY_CHANGE_COLUMNS, blank_policy_change, |rows| changes.extend(rows))?;
    }
    Ok(changes)
}

/// Every summary file under `dir`, in both layouts: the single run's, then the partitioned
/// runs', oldest first.
pub fn summary_files(dir: &Path) -> Vec<PathBuf> {
    let single = Some(dir.join(SUMMARY_FILE)).filter(|path| path.is_file());
    single.into_iter().chain(run_summaries(dir)).collect()
}

/// The successful role assumptions that made a group of the summary reports `files` transient
/// (its principal, its sample role and `transient_success_time`): the successes the scans saw
/// that `whydenied report` can still use, since the reports keep no other.
pub fn read_transient_successes(files: &[PathBuf]) -> Result<Vec<RoleAssumption>, ReadError> {
    let mut found = Vec::new();
    for file in files {
        let read = read_rows(file, SUMMARY_COLUMNS, blank_summary, |rows| {
            found.extend(rows.into_iter().filter_map(|row| {
                Some(RoleAssumption {
                    time: row.transient_success_time?,
                    principal: row.principal.into(),
                    role_arn: row.sample_resource_arn?,
                })
            }))
        });
        // A summary written by an older whydenied lacks the column (or others added since): it
        // remembers no success, and `report` works from the denials as it always did.
        match read {
            Err(ReadError::Column { .. }) => {}
            other => other?,
        }
    }
    Ok(found)
}

/// Adds the groups (principal, action, bucket) of the summary report at `path` to `seen`.
pub fn read_summary_keys(path: &Path, seen: &mut HashSet<SummaryKey>) -> Result<(), ReadError> {
    read_rows(path, SUMMARY_COLUMNS, blank_summary, |rows| {
        seen.extend(rows.iter().map(SummaryRow::key))
    })
}

/// Calls `each` with every row of the summary report at `path`.
pub fn read_summaries(path: &Path, mut each: impl FnMut(SummaryRow)) -> Result<(), ReadError> {
    read_rows(path, SUMMARY_COLUMNS, blank_summary, |rows| rows.into_iter().for_each(&mut each))
}

/// Reads the report at `path` batch by batch into rows of the registered `columns`.
fn read_rows<T>(
    path: &Path,
    columns: &[ColumnDef<T>],
    blank: fn() -> T,
    mut each_batch: impl FnMut(Vec<T>),
) -> Result<(), ReadError> {
    let file = File::open(path).map_err(|e| file_error(path, e.to_string()))?;
    let reader: ParquetRecordBatchReader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| file_error(path, e.to_string()))?;
    // A file without our columns is refused by name even when it has no rows.
    let schema = arrow_array::RecordBatchReader::schema(&reader);
    let missing = |c: &&ColumnDef<T>| !c.added_later && schema.field_with_name(c.name).is_err();
    if let Some(column) = columns.iter().find(missing) {
        return Err(ReadError::Column { path: path.to_path_buf(), column: column.name });
    }
    for batch in reader {
        let batch = batch.map_err(|e| file_error(path, e.to_string()))?;
        let rows = read_batch(&batch, columns, blank)
            .map_err(|column| ReadError::Column { path: path.to_path_buf(), column })?;
        each_batch(rows);
    }
    Ok(())
}

fn file_error(path: &Path, reason: String) -> ReadError {
    ReadError::File { path: path.to_path_buf(), reason }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::classify::category::ErrorCategory;
    use crate::classify::principal::Principal;
    use crate::classify::reason::{DeniedBy, DenyKind, PolicyType};
    use crate::classify::resource::Target;
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
            eval_context: Some(r#"{"context":{"aws:SourceIp":"192.0.2.1"},"unknown_keys":[]}"#.into()),
            verdict: None,
        }
    }

    /// Only what every row has, the optional fields absent.
    fn sparse() -> Denial {
        Denial {
            action: "unknown".into(),
            principal: Principal {
                principal: "unknown".into(),
                principal_type: "Unknown".into(),
                ..Principal::default()
            },
            origin: Arc::from("-"),
            ..crate::report::schema::blank_denial()
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
        assert!(matches!(denial_files(dir.path()), Err(ReadError::Nothing(_))));
        let summary = dir.path().join("not-denials.parquet");
        let report = ParquetReport::create(
            dir.path(),
            "not-denials.parquet",
            crate::report::schema::SUMMARY_COLUMNS,
        )
        .expect("create");
        report.commit().expect("commit");
        let err = read_denials(&summary, |_| {}).expect_err("a summary is not a denials report");
        assert!(
            err.to_string().contains("is not a whydenied report of this kind: column `event_time`"),
            "{err}"
        );
    }
}
