//! What the page shows, read back from the Parquet reports.
//!
//! `summary.parquet` is small (one row per group) and read whole. `denials.parquet` can hold
//! millions of rows, so it is streamed once, batch by batch, with only the columns the page
//! uses, and reduced on the way: counts per hour and `denied_by` for the timeline, and for each
//! group shown in the table its few most recent events. Memory stays bounded by the table's
//! row limit and the number of distinct hours, whatever the size of the trail.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMicrosecondType};
use arrow_array::{
    Array, Int64Array, ListArray, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::HtmlError;
use crate::report::layout::ReportFiles;

/// Microseconds in an hour, the timeline's finest resolution.
const HOUR_MICROS: i64 = 3_600_000_000;

/// The columns of `summary.parquet` the page reads.
const SUMMARY_READ: &[&str] = &[
    "principal",
    "principal_type",
    "action",
    "bucket",
    "count",
    "first_seen",
    "last_seen",
    "distinct_source_ips",
    "accounts",
    "regions",
    "error_codes",
    "denied_by",
    "deny_kind",
    "hint",
];

/// The columns of `denials.parquet` the page reads.
const DENIALS_READ: &[&str] = &[
    "event_time",
    "event_id",
    "principal",
    "action",
    "bucket",
    "denied_by",
    "error_code",
    "error_message",
    "object_key",
    "source_ip",
    "user_agent",
];

/// One row of the summary report: a principal × action × bucket group.
#[derive(Debug)]
pub struct Group {
    pub principal: String,
    pub principal_type: String,
    pub action: String,
    pub bucket: Option<String>,
    pub count: u64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub distinct_source_ips: u64,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub error_codes: Vec<String>,
    pub denied_by: String,
    pub deny_kind: String,
    pub hint: String,
}

/// One denial, as listed under its table row.
#[derive(Debug)]
pub struct SampleEvent {
    pub event_time: Option<i64>,
    pub event_id: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub object_key: Option<String>,
}

/// Denials per hour, split by `denied_by`.
#[derive(Debug, Default)]
pub struct HourlyCounts {
    /// The `denied_by` values, in the order first met.
    pub series: Vec<String>,
    /// (hours since the epoch, index into `series`) → denials.
    pub counts: BTreeMap<(i64, usize), u64>,
}

impl HourlyCounts {
    fn add(&mut self, hour: i64, denied_by: &str) {
        let series = match self.series.iter().position(|s| s == denied_by) {
            Some(i) => i,
            None => {
                self.series.push(denied_by.to_string());
                self.series.len() - 1
            }
        };
        *self.counts.entry((hour, series)).or_default() += 1;
    }
}

/// Everything the page shows.
#[derive(Debug)]
pub struct ReportData {
    /// Every summary row, largest group first.
    pub groups: Vec<Group>,
    /// Sample events of the first `samples.len()` groups (the table's rows), most recent first.
    pub samples: Vec<Vec<SampleEvent>>,
    pub hourly: HourlyCounts,
    /// Rows of `denials.parquet`.
    pub denials: u64,
    /// Denials without an event time (not in the timeline).
    pub without_time: u64,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
}

impl ReportData {
    pub fn principal_count(&self) -> usize {
        let principals: HashSet<&str> = self.groups.iter().map(|g| g.principal.as_str()).collect();
        principals.len()
    }

    pub fn bucket_count(&self) -> usize {
        let buckets: HashSet<&str> = self
            .groups
            .iter()
            .filter_map(|g| g.bucket.as_deref())
            .collect();
        buckets.len()
    }

    /// The `n` principals with the most denials, most first (ties by name).
    pub fn top_principals(&self, n: usize) -> Vec<(&str, u64)> {
        top(
            self.groups.iter().map(|g| (g.principal.as_str(), g.count)),
            n,
        )
    }

    /// The `n` buckets with the most denials; denials naming no bucket are left out.
    pub fn top_buckets(&self, n: usize) -> Vec<(&str, u64)> {
        top(
            self.groups
                .iter()
                .filter_map(|g| Some((g.bucket.as_deref()?, g.count))),
            n,
        )
    }
}

fn top<'a>(counts: impl Iterator<Item = (&'a str, u64)>, n: usize) -> Vec<(&'a str, u64)> {
    let mut totals: HashMap<&str, u64> = HashMap::new();
    for (key, count) in counts {
        *totals.entry(key).or_default() += count;
    }
    let mut totals: Vec<_> = totals.into_iter().collect();
    totals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    totals.truncate(n);
    totals
}

/// Reads a run's reports: all summary rows, and samples for the `table_rows` largest groups,
/// at most `samples_per_row` each.
pub fn load(
    reports: &ReportFiles,
    table_rows: usize,
    samples_per_row: usize,
) -> Result<ReportData, HtmlError> {
    let mut groups = read_summary(&reports.summary)?;
    groups.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| {
            (&a.principal, &a.action, &a.bucket).cmp(&(&b.principal, &b.action, &b.bucket))
        })
    });
    let shown = groups.len().min(table_rows);
    let index: HashMap<GroupKey<'_>, usize> = groups[..shown]
        .iter()
        .enumerate()
        .map(|(i, g)| {
            (
                (g.principal.as_str(), g.action.as_str(), g.bucket.as_deref()),
                i,
            )
        })
        .collect();
    let mut reduction = DenialReduction {
        index,
        samples: (0..shown).map(|_| Vec::new()).collect(),
        samples_per_row,
        hourly: HourlyCounts::default(),
        denials: 0,
        without_time: 0,
        first_time: None,
        last_time: None,
    };
    for denials in &reports.denials {
        reduction.read(denials)?;
    }
    let DenialReduction {
        samples,
        hourly,
        denials,
        without_time,
        first_time,
        last_time,
        ..
    } = reduction;
    Ok(ReportData {
        groups,
        samples,
        hourly,
        denials,
        without_time,
        first_time,
        last_time,
    })
}

/// principal, action, bucket: how a denial finds its summary row.
type GroupKey<'a> = (&'a str, &'a str, Option<&'a str>);

fn read_summary(path: &Path) -> Result<Vec<Group>, HtmlError> {
    let mut groups = Vec::new();
    for batch in open(path, SUMMARY_READ)? {
        let batch = batch.map_err(|source| HtmlError::Arrow {
            path: path.to_path_buf(),
            source,
        })?;
        let c = Columns {
            batch: &batch,
            path,
        };
        let (principal, principal_type, action, bucket) = (
            c.text("principal")?,
            c.text("principal_type")?,
            c.text("action")?,
            c.text("bucket")?,
        );
        let (count, distinct_source_ips) = (c.int("count")?, c.int("distinct_source_ips")?);
        let (first_seen, last_seen) = (c.time("first_seen")?, c.time("last_seen")?);
        let (accounts, regions, error_codes) = (
            c.list("accounts")?,
            c.list("regions")?,
            c.list("error_codes")?,
        );
        let (denied_by, deny_kind, hint) =
            (c.text("denied_by")?, c.text("deny_kind")?, c.text("hint")?);
        for i in 0..batch.num_rows() {
            let owned = |a: &StringArray| text(a, i).unwrap_or_default().to_string();
            groups.push(Group {
                principal: owned(principal),
                principal_type: owned(principal_type),
                action: owned(action),
                bucket: text(bucket, i).map(str::to_string),
                count: natural(count, i),
                first_seen: time(first_seen, i),
                last_seen: time(last_seen, i),
                distinct_source_ips: natural(distinct_source_ips, i),
                accounts: strings(accounts, i),
                regions: strings(regions, i),
                error_codes: strings(error_codes, i),
                denied_by: owned(denied_by),
                deny_kind: owned(deny_kind),
                hint: owned(hint),
            });
        }
    }
    Ok(groups)
}

/// The single pass over `denials.parquet`.
struct DenialReduction<'g> {
    index: HashMap<GroupKey<'g>, usize>,
    samples: Vec<Vec<SampleEvent>>,
    samples_per_row: usize,
    hourly: HourlyCounts,
    denials: u64,
    without_time: u64,
    first_time: Option<i64>,
    last_time: Option<i64>,
}

impl DenialReduction<'_> {
    fn read(&mut self, path: &Path) -> Result<(), HtmlError> {
        for batch in open(path, DENIALS_READ)? {
            let batch = batch.map_err(|source| HtmlError::Arrow {
                path: path.to_path_buf(),
                source,
            })?;
            self.add_batch(&Columns {
                batch: &batch,
                path,
            })?;
        }
        Ok(())
    }

    fn add_batch(&mut self, c: &Columns<'_>) -> Result<(), HtmlError> {
        let event_time = c.time("event_time")?;
        let (principal, action, bucket, denied_by) = (
            c.text("principal")?,
            c.text("action")?,
            c.text("bucket")?,
            c.text("denied_by")?,
        );
        let sample_columns = SampleColumns {
            event_id: c.text("event_id")?,
            source_ip: c.text("source_ip")?,
            user_agent: c.text("user_agent")?,
            error_code: c.text("error_code")?,
            error_message: c.text("error_message")?,
            object_key: c.text("object_key")?,
        };
        for i in 0..c.batch.num_rows() {
            self.denials += 1;
            let when = time(event_time, i);
            match when {
                Some(t) => {
                    self.first_time = Some(self.first_time.map_or(t, |f| f.min(t)));
                    self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
                    let by = text(denied_by, i).unwrap_or("unknown");
                    self.hourly.add(t.div_euclid(HOUR_MICROS), by);
                }
                None => self.without_time += 1,
            }
            let key = (
                text(principal, i).unwrap_or_default(),
                text(action, i).unwrap_or_default(),
                text(bucket, i),
            );
            if let Some(&row) = self.index.get(&key) {
                let kept = &mut self.samples[row];
                sample_columns.offer(kept, self.samples_per_row, when, i);
            }
        }
        Ok(())
    }
}

/// The columns a [`SampleEvent`] is made of, in one batch.
struct SampleColumns<'a> {
    event_id: &'a StringArray,
    source_ip: &'a StringArray,
    user_agent: &'a StringArray,
    error_code: &'a StringArray,
    error_message: &'a StringArray,
    object_key: &'a StringArray,
}

impl SampleColumns<'_> {
    /// Keeps the denial at `i` in `kept` (most recent first, at most `limit`) if it is one of
    /// the most recent: later time first, then larger event id; events without a time last.
    fn offer(&self, kept: &mut Vec<SampleEvent>, limit: usize, when: Option<i64>, i: usize) {
        let candidate = (when, text(self.event_id, i));
        let position = kept
            .iter()
            .position(|s| candidate > (s.event_time, s.event_id.as_deref()))
            .unwrap_or(kept.len());
        if position >= limit {
            return;
        }
        let owned = |array: &StringArray| text(array, i).map(str::to_string);
        kept.insert(
            position,
            SampleEvent {
                event_time: when,
                event_id: owned(self.event_id),
                source_ip: owned(self.source_ip),
                user_agent: owned(self.user_agent),
                error_code: owned(self.error_code),
                error_message: owned(self.error_message),
                object_key: owned(self.object_key),
            },
        );
        kept.truncate(limit);
    }
}

fn open(path: &Path, columns: &[&str]) -> Result<ParquetRecordBatchReader, HtmlError> {
    let parquet_error = |source| HtmlError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(|source| HtmlError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error)?;
    let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
    builder.with_projection(mask).build().map_err(parquet_error)
}

/// Typed access to a batch's columns by name, with an error naming the file and column.
struct Columns<'a> {
    batch: &'a RecordBatch,
    path: &'a Path,
}

impl<'a> Columns<'a> {
    fn column<T: ?Sized>(
        &self,
        name: &'static str,
        expected: &'static str,
        cast: impl FnOnce(&'a dyn Array) -> Option<&'a T>,
    ) -> Result<&'a T, HtmlError> {
        self.batch
            .column_by_name(name)
            .and_then(|c| cast(c.as_ref()))
            .ok_or_else(|| HtmlError::Column {
                path: self.path.to_path_buf(),
                column: name,
                expected,
            })
    }

    fn text(&self, name: &'static str) -> Result<&'a StringArray, HtmlError> {
        self.column(name, "text", |c| c.as_string_opt::<i32>())
    }

    fn int(&self, name: &'static str) -> Result<&'a Int64Array, HtmlError> {
        self.column(name, "a 64-bit integer", |c| {
            c.as_primitive_opt::<Int64Type>()
        })
    }

    fn time(&self, name: &'static str) -> Result<&'a TimestampMicrosecondArray, HtmlError> {
        self.column(name, "a timestamp in microseconds", |c| {
            c.as_primitive_opt::<TimestampMicrosecondType>()
        })
    }

    fn list(&self, name: &'static str) -> Result<&'a ListArray, HtmlError> {
        self.column(name, "a list", |c| c.as_list_opt::<i32>())
    }
}

fn text(array: &StringArray, i: usize) -> Option<&str> {
    array.is_valid(i).then(|| array.value(i))
}

fn time(array: &TimestampMicrosecondArray, i: usize) -> Option<i64> {
    array.is_valid(i).then(|| array.value(i))
}

fn natural(array: &Int64Array, i: usize) -> u64 {
    if array.is_valid(i) {
        u64::try_from(array.value(i)).unwrap_or(0)
    } else {
        0
    }
}

fn strings(array: &ListArray, i: usize) -> Vec<String> {
    if array.is_null(i) {
        return Vec::new();
    }
    let values = array.value(i);
    values
        .as_string_opt::<i32>()
        .map(|s| s.iter().flatten().map(str::to_string).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::parquet::{DENIAL_COLUMNS, SUMMARY_COLUMNS};

    #[test]
    fn every_column_read_is_written() {
        for name in SUMMARY_READ {
            assert!(SUMMARY_COLUMNS.iter().any(|c| c.name == *name), "{name}");
        }
        for name in DENIALS_READ {
            assert!(DENIAL_COLUMNS.iter().any(|c| c.name == *name), "{name}");
        }
    }

    #[test]
    fn top_adds_up_and_orders_ties_by_name() {
        let counts = [("b", 2), ("a", 1), ("c", 3), ("a", 2)];
        assert_eq!(top(counts.into_iter(), 2), [("a", 3), ("c", 3)]);
    }
}
