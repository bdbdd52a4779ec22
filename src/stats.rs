//! Counters every scan reports, so that nothing is lost silently: what was read, what was
//! parsed, what was kept, and every input that could not be used, with where and why.

use std::collections::BTreeMap;
use std::time::Duration;

/// An input, or part of one, that could not be used.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file, `-`, object URI or stream it concerns.
    pub origin: String,
    /// What was wrong, for a human.
    pub what: String,
}

/// What a remote source did: `listed = get_requests + pruned_by_time + skipped_by_design +
/// unselected + duplicates`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestStats {
    pub list_requests: u64,
    pub get_requests: u64,
    pub listed: u64,
    /// Objects whose file-name time is outside the window: not downloaded.
    pub pruned_by_time: u64,
    /// Digest and Insights objects: not downloaded.
    pub skipped_by_design: u64,
    /// Objects of other shards, or already scanned by an earlier run: not downloaded.
    pub unselected: u64,
    /// Objects another input of the run listed first: not downloaded again.
    pub duplicates: u64,
}

/// What reading an API page by page did (CloudWatch Logs groups, CloudTrail's event history).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApiStats {
    /// Pages asked for (`FilterLogEvents`, `LookupEvents` calls; SDK retries not counted).
    pub requests: u64,
    /// Events received (after any server-side filter).
    pub events: u64,
}

/// Scan statistics; workers keep their own and [`ScanStats::merge`] adds them up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Inputs opened (files, stdin, objects), including those skipped by design.
    pub objects: u64,
    /// Inputs recognised and deliberately not scanned, by kind (`digest`, `insight`).
    pub skipped_by_design: BTreeMap<&'static str, u64>,
    /// Bytes as stored (compressed).
    pub stored_bytes: u64,
    /// Bytes after decompression.
    pub decoded_bytes: u64,
    /// Records found.
    pub records: u64,
    /// Records that passed the prefilter and were parsed.
    pub parsed: u64,
    /// Parsed records that failed to parse as JSON objects.
    pub malformed_records: u64,
    /// Records with invalid UTF-8 that were read with the bad bytes replaced.
    pub repaired_utf8: u64,
    /// Failures the filter kept and that fell inside the time window: rows of the report.
    pub kept: u64,
    /// Policy changes (and failed attempts) inside the time window: rows of `policy_changes.parquet`.
    pub policy_changes: u64,
    /// Kept failures a `--suppress` rule matched: in `denials.parquet`, not in the summary.
    pub suppressed: u64,
    /// The same, per rule name: a rule absent here matched nothing.
    pub suppressed_by_rule: BTreeMap<String, u64>,
    /// The `--suppress` rules that matched no denial (likely typos), in file order.
    pub unused_rules: Vec<String>,
    /// Kept failures outside `--since/--until`.
    pub outside_window: u64,
    /// Kept failures without a valid `eventTime` while a time window was set (left out).
    pub without_time: u64,
    /// Kept failures of other accounts or regions than `--account`/`--region` asked for (left
    /// out): the filters hold for every source, not only for a pruned S3 listing.
    pub other_account_region: u64,
    /// Inputs or parts of inputs that could not be used.
    pub problems: Vec<Problem>,
    /// Prefixes and keys beside a followed `AWSLogs/` layout, not listed (`--s3-list flat` lists
    /// them), and the `s3://` URIs of the first of them.
    pub not_listed: u64,
    pub not_listed_named: Vec<String>,
    /// Objects of other shards (`--shard`): not read.
    pub other_shard: u64,
    /// Objects scanned by an earlier run (`--state`): not read again.
    pub already_scanned: u64,
    /// Leading records of objects an earlier run read part-way (`--state`): skipped.
    pub resumed_records: u64,
    /// Inputs named more than once (the same file by another name, an object under
    /// overlapping prefixes): read once; not an error.
    pub duplicates: u64,
    /// Policy snapshot directories inside the input: not log input, left out and named.
    pub policy_snapshots: Vec<String>,
    /// Requests made to S3, when there were any.
    pub requests: Option<RequestStats>,
    /// Requests made to CloudWatch Logs, when there were any.
    pub log_groups: Option<ApiStats>,
    pub lookup_events: Option<ApiStats>,
    pub elapsed: Duration,
}

impl ScanStats {
    /// The denials the summary counts and the `--fail-on-denials` threshold compares: the kept
    /// ones less those a `--suppress` rule matched.
    pub fn counted(&self) -> u64 {
        self.kept.saturating_sub(self.suppressed)
    }

    pub fn problem(&mut self, origin: &str, what: impl Into<String>) {
        self.problems.push(Problem { origin: origin.to_string(), what: what.into() });
    }

    pub fn merge(mut self, other: ScanStats) -> ScanStats {
        self.objects += other.objects;
        for (kind, n) in other.skipped_by_design {
            *self.skipped_by_design.entry(kind).or_default() += n;
        }
        self.stored_bytes += other.stored_bytes;
        self.decoded_bytes += other.decoded_bytes;
        self.records += other.records;
        self.parsed += other.parsed;
        self.malformed_records += other.malformed_records;
        self.repaired_utf8 += other.repaired_utf8;
        self.kept += other.kept;
        self.suppressed += other.suppressed;
        for (rule, n) in other.suppressed_by_rule {
            *self.suppressed_by_rule.entry(rule).or_default() += n;
        }
        self.unused_rules.extend(other.unused_rules);
        self.policy_changes += other.policy_changes;
        self.outside_window += other.outside_window;
        self.without_time += other.without_time;
        self.other_account_region += other.other_account_region;
        self.problems.extend(other.problems);
        self.other_shard += other.other_shard;
        self.already_scanned += other.already_scanned;
        self.resumed_records += other.resumed_records;
        self.duplicates += other.duplicates;
        self.policy_snapshots.extend(other.policy_snapshots);
        self.requests = match (self.requests, other.requests) {
            (Some(a), Some(b)) => Some(RequestStats {
                list_requests: a.list_requests + b.list_requests,
                get_requests: a.get_requests + b.get_requests,
                listed: a.listed + b.listed,
                pruned_by_time: a.pruned_by_time + b.pruned_by_time,
                skipped_by_design: a.skipped_by_design + b.skipped_by_design,
                unselected: a.unselected + b.unselected,
                duplicates: a.duplicates + b.duplicates,
            }),
            (a, b) => a.or(b),
        };
        self.elapsed = self.elapsed.max(other.elapsed);
        self
    }

    /// Whether anything was skipped as unreadable or malformed (exit code 2).
    pub fn incomplete(&self) -> bool {
        !self.problems.is_empty()
    }

    pub fn records_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.records as f64 / secs } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_everything() {
        let mut a = ScanStats { objects: 2, records: 10, kept: 1, ..ScanStats::default() };
        a.skipped_by_design.insert("digest", 1);
        let mut b = ScanStats { objects: 3, records: 5, parsed: 4, ..ScanStats::default() };
        b.skipped_by_design.insert("digest", 2);
        b.problem("x.json.gz", "truncated");
        let m = a.merge(b);
        assert_eq!((m.objects, m.records, m.parsed, m.kept), (5, 15, 4, 1));
        assert_eq!(m.skipped_by_design["digest"], 3);
        assert!(m.incomplete());
    }
}
