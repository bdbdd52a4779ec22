//! What the page shows: the summary rows it is given, and what it reads from the denials
//! reports.
//!
//! `denials.parquet` can hold millions of rows, so it is streamed once, batch by batch, with
//! only the columns the page uses, and reduced on the way: counts per hour and `denied_by` for
//! the timeline, and for each group shown in the table its few most recent events. Memory stays
//! bounded by the table's row limit and the number of distinct hours, whatever the size of the
//! trail.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::{HtmlError, PageInput};
use crate::aggregate::{SummaryRow, SummaryRows};
use crate::window::Placement;

/// The timeline series of denials without a verdict, in a judged report.
pub const UNJUDGED: &str = "unjudged";

/// Microseconds in an hour, the timeline's finest resolution.
pub const HOUR_MICROS: i64 = 3_600_000_000;

/// The columns of `denials.parquet` the page reads.
const DENIALS_READ: &[&str] = &[
    "event_time",
    "event_id",
    "account_id",
    "principal",
    "session_name",
    "resource_arn",
    "action",
    "bucket",
    "denied_by",
    "error_code",
    "error_message",
    "object_key",
    "source_ip",
    "user_agent",
    "suppressed_by",
    // Judged runs only (`scan --policies`, `explain OUT`); older reports lack them.
    "eval_verdict",
    "eval_policy",
    "eval_statement",
];

/// One denial, as listed under its table row.
#[derive(Debug)]
pub struct SampleEvent {
    pub event_time: Option<i64>,
    pub event_id: Option<String>,
    /// The account the request was made to.
    pub account_id: Option<String>,
    /// The role session name: for an SSO role, the person.
    pub session_name: Option<String>,
    pub resource_arn: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub object_key: Option<String>,
    /// "explicit_deny data-lake#bucket-policy DenyX", when the denial was judged.
    pub verdict: Option<String>,
}

/// Denials per hour, split by `denied_by` (or, in [`HourlyCounts::by_verdict`], by verdict).
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
pub struct ReportData<'a> {
    /// Every group, largest first: the headline and the bar charts.
    pub groups: &'a SummaryRows,
    /// The rows of the table: the largest groups, made into rows only for them.
    pub shown: Vec<SummaryRow>,
    /// Sample events of each row of `shown`, most recent first.
    pub samples: Vec<Vec<SampleEvent>>,
    pub hourly: HourlyCounts,
    /// The same by `eval_verdict` (`unjudged` for denials without one); the timeline shows it
    /// instead when some denial was judged.
    pub by_verdict: HourlyCounts,
    /// Denials the rows count (the sum of their counts).
    pub denials: u64,
    /// Of those, the ones without an event time (not in the timeline).
    pub without_time: u64,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
}

impl ReportData<'_> {
    pub fn principal_count(&self) -> usize {
        let principals: HashSet<&str> = self.groups.counts().map(|(g, _)| &*g.principal).collect();
        principals.len()
    }

    pub fn bucket_count(&self) -> usize {
        let buckets: HashSet<&str> =
            self.groups.counts().filter_map(|(g, _)| g.bucket.as_deref()).collect();
        buckets.len()
    }

    /// The `n` principals with the most denials, most first (ties by name).
    pub fn top_principals(&self, n: usize) -> Vec<(&str, u64)> {
        top(self.groups.counts().map(|(g, count)| (&*g.principal, count)), n)
    }

    /// The `n` buckets with the most denials; denials naming no bucket are left out.
    pub fn top_buckets(&self, n: usize) -> Vec<(&str, u64)> {
        top(self.groups.counts().filter_map(|(g, count)| Some((g.bucket.as_deref()?, count))), n)
    }

    /// The `n` actions with the most denials.
    pub fn top_actions(&self, n: usize) -> Vec<(&str, u64)> {
        top(self.groups.counts().map(|(g, count)| (&*g.action, count)), n)
    }

    /// The `n` accounts (requests were made to) with the most denials; a group seen in several
    /// accounts counts in each.
    pub fn top_accounts(&self, n: usize) -> Vec<(&str, u64)> {
        let facts = self.groups.facts();
        top(facts.flat_map(|g| g.accounts.iter().map(move |a| (&**a, g.count))), n)
    }

    /// The `n` denying policies (named by their ARN in the message) with the most denials;
    /// empty when no message names one.
    pub fn top_denying_policies(&self, n: usize) -> Vec<(&str, u64)> {
        top(self.groups.facts().filter_map(|g| Some((g.denying_policy_arn?, g.count))), n)
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

/// Makes the rows of the table, then reads the denials files once: the timeline, and samples for
/// the `table_rows` largest groups, at most `samples_per_row` each. Only the denials the rows
/// count are read: inside the window and not suppressed, as the summary was made.
pub fn load<'a>(
    page: &PageInput<'a>,
    table_rows: usize,
    samples_per_row: usize,
) -> Result<ReportData<'a>, HtmlError> {
    let groups = page.rows;
    let shown = groups.head(table_rows);
    let index: HashMap<GroupKey<'_>, usize> = (groups.counts().take(shown.len()))
        .enumerate()
        .map(|(i, (g, _))| ((&*g.principal, &*g.action, g.bucket.as_deref()), i))
        .collect();
    let mut reduction = DenialReduction {
        page,
        index,
        samples: (0..shown.len()).map(|_| Vec::new()).collect(),
        samples_per_row,
        hourly: HourlyCounts::default(),
        by_verdict: HourlyCounts::default(),
        without_time: 0,
        first_time: None,
        last_time: None,
    };
    for denials in page.denials {
        reduction.read(denials)?;
    }
    let DenialReduction {
        samples, hourly, by_verdict, without_time, first_time, last_time, ..
    } = reduction;
    Ok(ReportData {
        denials: groups.totals().denials,
        groups,
        shown,
        samples,
        hourly,
        by_verdict,
        without_time,
        first_time,
        last_time,
    })
}

/// principal, action, bucket: how a denial finds its summary row.
type GroupKey<'a> = (&'a str, &'a str, Option<&'a str>);

/// The single pass over `denials.parquet`.
struct DenialReduction<'p, 'g> {
    page: &'p PageInput<'g>,
    index: HashMap<GroupKey<'g>, usize>,
    samples: Vec<Vec<SampleEvent>>,
    samples_per_row: usize,
    hourly: HourlyCounts,
    by_verdict: HourlyCounts,
    without_time: u64,
    first_time: Option<i64>,
    last_time: Option<i64>,
}

impl DenialReduction<'_, '_> {
    fn read(&mut self, path: &Path) -> Result<(), HtmlError> {
        for batch in open(path, DENIALS_READ)? {
            let batch =
                batch.map_err(|source| HtmlError::Arrow { path: path.to_path_buf(), source })?;
            self.add_batch(&Columns { batch: &batch, path })?;
        }
        Ok(())
    }

    fn add_batch(&mut self, c: &Columns<'_>) -> Result<(), HtmlError> {
        let event_time = c.time("event_time")?;
        let (principal, action, bucket, denied_by) =
            (c.text("principal")?, c.text("action")?, c.text("bucket")?, c.text("denied_by")?);
        let sample_columns = SampleColumns {
            event_id: c.text("event_id")?,
            source_ip: c.text("source_ip")?,
            user_agent: c.text("user_agent")?,
            error_code: c.text("error_code")?,
            error_message: c.text("error_message")?,
            object_key: c.text("object_key")?,
            account_id: c.text("account_id")?,
            session_name: c.text("session_name")?,
            resource_arn: c.text("resource_arn")?,
            verdict: [
                c.optional_text("eval_verdict")?,
                c.optional_text("eval_policy")?,
                c.optional_text("eval_statement")?,
            ],
        };
        // With noise hidden, the rows are a subset of the groups: only their denials are drawn.
        let subset = self.page.rows.hidden_noise().is_some();
        let suppressed_by = c.text("suppressed_by")?;
        let verdict = c.optional_text("eval_verdict")?;
        for i in 0..c.batch.num_rows() {
            let when = time(event_time, i);
            if suppressed_by.is_valid(i) || self.page.window.place(when) != Placement::Inside {
                continue;
            }
            let key = (
                text(principal, i).unwrap_or_default(),
                text(action, i).unwrap_or_default(),
                text(bucket, i),
            );
            if subset && !self.page.rows.contains(key.0, key.1, key.2) {
                continue;
            }
            match when {
                Some(t) => {
                    self.first_time = Some(self.first_time.map_or(t, |f| f.min(t)));
                    self.last_time = Some(self.last_time.map_or(t, |l| l.max(t)));
                    let by = text(denied_by, i).unwrap_or("unknown");
                    self.hourly.add(t.div_euclid(HOUR_MICROS), by);
                    let judged = verdict.and_then(|v| text(v, i)).unwrap_or(UNJUDGED);
                    self.by_verdict.add(t.div_euclid(HOUR_MICROS), judged);
                }
                None => self.without_time += 1,
            }
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
    account_id: &'a StringArray,
    session_name: &'a StringArray,
    resource_arn: &'a StringArray,
    source_ip: &'a StringArray,
    user_agent: &'a StringArray,
    error_code: &'a StringArray,
    error_message: &'a StringArray,
    object_key: &'a StringArray,
    /// Verdict, policy and statement; absent in reports of unjudged runs.
    verdict: [Option<&'a StringArray>; 3],
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
                account_id: owned(self.account_id),
                session_name: owned(self.session_name),
                resource_arn: owned(self.resource_arn),
                source_ip: owned(self.source_ip),
                user_agent: owned(self.user_agent),
                error_code: owned(self.error_code),
                error_message: owned(self.error_message),
                object_key: owned(self.object_key),
                verdict: self.verdict(i),
            },
        );
        kept.truncate(limit);
    }
}

impl SampleColumns<'_> {
    fn verdict(&self, i: usize) -> Option<String> {
        let [verdict, policy, statement] = self.verdict.map(|a| a.and_then(|a| text(a, i)));
        let policy = policy.map(crate::verdict::short_policy);
        let parts: Vec<&str> =
            [verdict, policy.as_deref(), statement].into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

fn open(path: &Path, columns: &[&str]) -> Result<ParquetRecordBatchReader, HtmlError> {
    let parquet_error = |source| HtmlError::Parquet { path: path.to_path_buf(), source };
    let file =
        File::open(path).map_err(|source| HtmlError::Read { path: path.to_path_buf(), source })?;
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
        self.batch.column_by_name(name).and_then(|c| cast(c.as_ref())).ok_or_else(|| {
            HtmlError::Column { path: self.path.to_path_buf(), column: name, expected }
        })
    }

    fn text(&self, name: &'static str) -> Result<&'a StringArray, HtmlError> {
        self.column(name, "text", |c| c.as_string_opt::<i32>())
    }

    /// A text column that reports of older versions lack: `None` then.
    fn optional_text(&self, name: &'static str) -> Result<Option<&'a StringArray>, HtmlError> {
        match self.batch.column_by_name(name) {
            None => Ok(None),
            Some(_) => self.text(name).map(Some),
        }
    }

    fn time(&self, name: &'static str) -> Result<&'a TimestampMicrosecondArray, HtmlError> {
        self.column(name, "a timestamp in microseconds", |c| {
            c.as_primitive_opt::<TimestampMicrosecondType>()
        })
    }
}

fn text(array: &StringArray, i: usize) -> Option<&str> {
    array.is_valid(i).then(|| array.value(i))
}

fn time(array: &TimestampMicrosecondArray, i: usize) -> Option<i64> {
    array.is_valid(i).then(|| array.value(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::schema::DENIAL_COLUMNS;

    #[test]
    fn every_column_read_is_written() {
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
