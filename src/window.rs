//! The `--since/--until` time window: absolute (RFC 3339 or a date) or relative to now.

use chrono::{DateTime, NaiveDate, Utc};

/// A half-open window `[since, until)` in microseconds since the epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// Where an event falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Inside,
    Outside,
    /// A window is set but the event has no valid time.
    Unknown,
}

impl TimeWindow {
    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    pub fn place(&self, time: Option<i64>) -> Placement {
        if self.is_unbounded() {
            return Placement::Inside;
        }
        let Some(t) = time else {
            return Placement::Unknown;
        };
        let after_since = self.since.is_none_or(|s| t >= s);
        let before_until = self.until.is_none_or(|u| t < u);
        if after_since && before_until { Placement::Inside } else { Placement::Outside }
    }
}

/// Parses `2026-11-01T00:00:00Z` (any RFC 3339), `2026-11-01` (midnight UTC), or a span back
/// from `now`: `90s`, `30m`, `36h`, `7d`, `2w`.
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp_micros()));
    }
    let span = parse_span(text).map_err(|_| {
        format!(
            "{text:?} is not a time: use RFC 3339 (2026-11-01T00:00:00Z), a date (2026-11-01) \
             or a span back from now (90m, 36h, 7d, 2w)"
        )
    })?;
    now.timestamp_micros().checked_sub(span).ok_or_else(|| format!("{text:?} reaches too far back"))
}

/// A span, `90s`, `30m`, `36h`, `7d` or `2w`, in microseconds.
pub fn parse_span(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let unit_at = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(unit_at);
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => 0,
    };
    let amount: i64 = digits.parse().unwrap_or(-1);
    if seconds_per_unit == 0 || amount < 0 {
        return Err(format!("{text:?} is not a span: use 90s, 30m, 36h, 7d or 2w"));
    }
    amount.checked_mul(seconds_per_unit * 1_000_000).ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z").expect("valid").with_timezone(&Utc)
    }

    #[test]
    fn absolute_and_relative_times() {
        let micros = |s: &str| parse_time(s, now()).expect(s);
        assert_eq!(micros("2026-11-28T12:00:00Z"), now().timestamp_micros());
        assert_eq!(micros("2026-11-28T13:00:00+01:00"), now().timestamp_micros());
        assert_eq!(micros("2026-11-28"), now().timestamp_micros() - 12 * 3_600_000_000);
        assert_eq!(micros("36h"), now().timestamp_micros() - 36 * 3_600_000_000);
        assert_eq!(micros("7d"), micros("1w"));
        assert_eq!(micros("90s"), now().timestamp_micros() - 90_000_000);
    }

    #[test]
    fn nonsense_is_refused_with_the_accepted_forms() {
        for bad in ["", "yesterday", "7y", "-3d", "d", "99999999999999999999d"] {
            let err = parse_time(bad, now()).expect_err(bad);
            assert!(err.contains("not a time") || err.contains("too far"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_window_is_half_open() {
        let w = TimeWindow { since: Some(10), until: Some(20) };
        assert_eq!(w.place(Some(10)), Placement::Inside);
        assert_eq!(w.place(Some(20)), Placement::Outside);
        assert_eq!(w.place(None), Placement::Unknown);
        assert_eq!(TimeWindow::default().place(None), Placement::Inside);
    }
}
