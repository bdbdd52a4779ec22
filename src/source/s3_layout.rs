//! The CloudTrail key layout in S3, and what can be pruned from it without listing.
//!
//! CloudTrail delivers to `<prefix>/AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/`
//! files named `<account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<unique>.json.gz`, and digests and
//! Insights beside them under `CloudTrail-Digest/` and `CloudTrail-Insight/` (CloudTrail User
//! Guide, "Finding your CloudTrail log files"). Knowing that, a time window becomes a list of
//! day prefixes, `--account`/`--region` become choices among the listed directories, and the
//! time in a file's name drops files outside the window before they are downloaded.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::window::TimeWindow;

/// `s3://bucket/prefix`, split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// Without a leading `/`; may be empty.
    pub prefix: String,
}

impl S3Url {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest =
            url.strip_prefix("s3://").ok_or_else(|| format!("{url:?} is not an s3:// URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{url:?} names no bucket (use s3://bucket[/prefix])"));
        }
        Ok(Self { bucket: bucket.to_string(), prefix: prefix.to_string() })
    }

    /// The URI of one key in this bucket: the `origin` of its records.
    pub fn uri(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

/// Which part of the layout a trail-level filter keeps.
#[derive(Clone, Debug, Default)]
pub struct LayoutFilter {
    /// Account ids to keep; all when empty.
    pub accounts: Vec<String>,
    /// Regions to keep; all when empty.
    pub regions: Vec<String>,
    pub window: TimeWindow,
    /// List every key under an `s3://` prefix, even one that holds the `AWSLogs/` layout
    /// (`--s3-list flat`).
    pub list_flat: bool,
}

impl LayoutFilter {
    pub fn keeps_account(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|a| a == account)
    }

    pub fn keeps_region(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.iter().any(|r| r == region)
    }

    /// Whether a parsed record belongs to the `--account`s and `--region`s asked for, whatever
    /// source it came from. The account is the record's `recipientAccountId`, the account whose
    /// trail recorded it: the one `AWSLogs/<account>/` names, so that a record filter and a
    /// pruned listing agree (a cross-account caller's own account, `userIdentity.accountId`,
    /// is the `principal_account` column instead). The region is `awsRegion`. A record without
    /// the field is left out when that filter is set: it cannot be said to match.
    pub fn keeps_record(&self, account: Option<&str>, region: Option<&str>) -> bool {
        let account_ok = self.accounts.is_empty() || account.is_some_and(|a| self.keeps_account(a));
        let region_ok = self.regions.is_empty() || region.is_some_and(|r| self.keeps_region(r));
        account_ok && region_ok
    }

    /// Whether `--account` or `--region` was given.
    pub fn filters_records(&self) -> bool {
        !self.accounts.is_empty() || !self.regions.is_empty()
    }
}

/// CloudTrail may deliver a file up to about 15 minutes after its events, and the file-name
/// time is the delivery's; an hour each side keeps every event of the window.
pub const DELIVERY_SLACK_MICROS: i64 = 3_600_000_000;

/// `o-` followed by 10 to 32 lower-case letters or digits (AWS Organizations id format).
pub fn is_org_id(name: &str) -> bool {
    name.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Twelve digits.
pub fn is_account_id(name: &str) -> bool {
    name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit())
}

/// The day directories (`format`: `%Y/%m/%d/` for a trail, `eventDay=%Y%m%d/` for Security
/// Lake) that can hold files of `window`, or `None` when the window has no start (then every
/// day is listed). Capped at `max_days` so that `--since 10y` does not turn into thousands of
/// requests for empty days: beyond it, list everything.
pub fn day_prefixes(
    window: &TimeWindow,
    now_micros: i64,
    max_days: usize,
    format: &str,
) -> Option<Vec<String>> {
    let since = window.since? - DELIVERY_SLACK_MICROS;
    let until = window.until.unwrap_or(now_micros) + DELIVERY_SLACK_MICROS;
    let first = DateTime::from_timestamp_micros(since)?.date_naive();
    let last = DateTime::from_timestamp_micros(until)?.date_naive();
    let days: Vec<NaiveDate> =
        first.iter_days().take_while(|d| *d <= last).take(max_days + 1).collect();
    if days.len() > max_days {
        return None;
    }
    Some(days.iter().map(|d| d.format(format).to_string()).collect())
}

/// The delivery time in a CloudTrail file name, if the name has one.
pub fn delivery_time(key: &str) -> Option<i64> {
    let name = key.rsplit('/').next()?;
    let stamp = name
        .split('_')
        .find(|part| part.len() == 14 && part.as_bytes()[8] == b'T' && part.ends_with('Z'))?;
    NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%MZ")
        .ok()
        .map(|t| t.and_utc().timestamp_micros())
}

/// The day of the events under a Security Lake `eventDay=YYYYMMDD/` partition in `key`.
pub fn event_day(key: &str) -> Option<NaiveDate> {
    let day = key.split('/').find_map(|part| part.strip_prefix("eventDay="))?;
    NaiveDate::parse_from_str(day, "%Y%m%d").ok()
}

/// Whether a delivered file can hold events of the window: by the delivery time in a trail
/// file's name, or the day of a Security Lake partition (files with neither are always kept).
pub fn may_hold_window(key: &str, window: &TimeWindow) -> bool {
    if let Some(day) = event_day(key) {
        let micros = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_micros());
        let (Some(start), Some(end)) = (micros(day), day.succ_opt().and_then(micros)) else {
            return true;
        };
        return window.since.is_none_or(|s| end > s) && window.until.is_none_or(|u| start < u);
    }
    let Some(time) = delivery_time(key) else {
        return true;
    };
    window.since.is_none_or(|s| time >= s - DELIVERY_SLACK_MICROS)
        && window.until.is_none_or(|u| time < u + DELIVERY_SLACK_MICROS)
}

/// Whether `prefix` is the root of one Security Lake source's partitions,
/// `…aws/<SOURCE>/<version>[/]` (`aws/CLOUD_TRAIL_MGMT/2.0/`), under which Security Lake writes
/// `region=<region>/accountId=<account>/eventDay=<YYYYMMDD>/` (Security Lake User Guide,
/// "Collecting data from AWS services"; the layout of its S3 bucket).
pub fn is_lake_source_root(prefix: &str) -> bool {
    let parts: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    let [.., aws, source, version] = parts[..] else {
        return false;
    };
    aws == "aws"
        && !source.is_empty()
        && source.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !version.is_empty()
        && version.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Digest and Insights objects, recognised by their directory: never downloaded.
pub fn skipped_by_design(key: &str) -> Option<&'static str> {
    if key.contains("/CloudTrail-Digest/") {
        Some("digest")
    } else if key.contains("/CloudTrail-Insight/") {
        Some("insight")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text).expect("valid").timestamp_micros()
    }

    #[test]
    fn urls() {
        assert_eq!(
            S3Url::parse("s3://trail/AWSLogs/o-1"),
            Ok(S3Url { bucket: "trail".into(), prefix: "AWSLogs/o-1".into() })
        );
        assert_eq!(S3Url::parse("s3://trail").map(|u| u.prefix), Ok(String::new()));
        assert!(S3Url::parse("s3:///x").is_err() && S3Url::parse("trail/x").is_err());
        assert_eq!(S3Url::parse("s3://b/p").expect("valid").uri("p/k.gz"), "s3://b/p/k.gz");
    }

    #[test]
    fn layout_names() {
        assert!(is_org_id("o-a1b2c3d4e5") && !is_org_id("o-short") && !is_org_id("o-A1B2C3D4E5"));
        assert!(
            is_account_id("111122223333")
                && !is_account_id("11112222333")
                && !is_account_id("CloudTrail")
        );
    }

    #[test]
    fn a_window_lists_its_days_with_slack() {
        let window = TimeWindow {
            since: Some(micros("2026-11-02T00:30:00Z")),
            until: Some(micros("2026-11-03T12:00:00Z")),
        };
        let days = day_prefixes(&window, 0, 400, "%Y/%m/%d/").expect("bounded");
        assert_eq!(days, ["2026/11/01/", "2026/11/02/", "2026/11/03/"]);
        let open_ended = TimeWindow { since: Some(micros("2026-11-27T12:00:00Z")), until: None };
        let now = micros("2026-11-28T08:00:00Z");
        assert_eq!(
            day_prefixes(&open_ended, now, 400, "%Y/%m/%d/").expect("bounded"),
            ["2026/11/27/", "2026/11/28/"]
        );
        assert_eq!(day_prefixes(&TimeWindow::default(), now, 400, "%Y/%m/%d/"), None);
        let decade = TimeWindow { since: Some(micros("2016-11-27T12:00:00Z")), until: None };
        assert_eq!(day_prefixes(&decade, now, 400, "%Y/%m/%d/"), None);
        let lake = day_prefixes(&window, 0, 400, "eventDay=%Y%m%d/").expect("bounded");
        assert_eq!(lake, ["eventDay=20261101/", "eventDay=20261102/", "eventDay=20261103/"]);
    }

    #[test]
    fn file_names_carry_their_delivery_time() {
        let key = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2026/11/02/111122223333_CloudTrail_us-east-1_20261102T1005Z_AbCdEf0123456789.json.gz";
        assert_eq!(delivery_time(key), Some(micros("2026-11-02T10:05:00Z")));
        assert_eq!(delivery_time("dump/whatever.json.gz"), None);
        let window = TimeWindow {
            since: Some(micros("2026-11-02T11:00:00Z")),
            until: Some(micros("2026-11-02T12:00:00Z")),
        };
        assert!(may_hold_window(key, &window), "within the hour of slack");
        let later = TimeWindow { since: Some(micros("2026-11-02T11:06:00Z")), until: None };
        assert!(!may_hold_window(key, &later));
        assert!(may_hold_window("no-time.json", &later));
    }

    #[test]
    fn security_lake_partitions() {
        assert!(is_lake_source_root("aws/CLOUD_TRAIL_MGMT/2.0/"));
        assert!(is_lake_source_root("lake/aws/S3_DATA/2.0"));
        assert!(!is_lake_source_root("aws/CLOUD_TRAIL_MGMT/"));
        assert!(!is_lake_source_root("aws/cloudtrail/2.0/") && !is_lake_source_root("2.0"));
        let key = "aws/CLOUD_TRAIL_MGMT/2.0/region=us-east-1/accountId=111122223333/eventDay=20261103/a.gz.parquet";
        assert_eq!(event_day(key), NaiveDate::from_ymd_opt(2026, 11, 3));
        let window = |since: &str, until: &str| TimeWindow {
            since: Some(micros(since)),
            until: Some(micros(until)),
        };
        assert!(may_hold_window(key, &window("2026-11-03T23:00:00Z", "2026-11-05T00:00:00Z")));
        assert!(may_hold_window(key, &window("2026-11-01T00:00:00Z", "2026-11-03T00:00:01Z")));
        assert!(!may_hold_window(key, &window("2026-11-04T00:00:00Z", "2026-11-05T00:00:00Z")));
        assert!(!may_hold_window(key, &window("2026-11-01T00:00:00Z", "2026-11-03T00:00:00Z")));
        assert!(may_hold_window(
            "aws/X/2.0/eventDay=2026-11-03/a",
            &window("2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z")
        ));
    }

    #[test]
    fn digests_and_insights_are_recognised_by_directory() {
        assert_eq!(
            skipped_by_design("AWSLogs/1/CloudTrail-Digest/us-east-1/2026/11/02/x.json.gz"),
            Some("digest")
        );
        assert_eq!(
            skipped_by_design("AWSLogs/1/CloudTrail-Insight/us-east-1/x.json.gz"),
            Some("insight")
        );
        assert_eq!(skipped_by_design("AWSLogs/1/CloudTrail/us-east-1/x.json.gz"), None);
    }
}
