//! CloudTrail's event history (`cloudtrail://<region>`), read through `LookupEvents`.
//!
//! Every account has the last 90 days of its management events there, trail or no trail: the
//! first place to look for a fresh 403. The API is slow by design: at most 2 requests per
//! second per account and region, 50 events each (CloudTrail API Reference, `LookupEvents`).
//! So each region is walked by one walker, each request sent [`SPACING`] after the answer to the
//! one before (the first is not delayed); throttling that still happens is retried with backoff
//! by the SDK's standard strategy (see [`super::aws::load`]). There is no server-side filter by error code: the
//! optional lookup attribute is the only narrowing the API offers.
//!
//! `StartTime` and `EndTime` both include their second, and event times are whole seconds:
//! the run's window `[since, until)` is sent as the first and last whole second inside it.
//! Pages come newest first; each becomes one [`LogObject`] holding its `CloudTrailEvent`
//! documents one per line, with origin `cloudtrail://<region>`.
//!
//! A first request that fails means the history cannot be read at all (credentials, the
//! `cloudtrail:LookupEvents` permission, a region that does not answer): the run stops. A
//! later page that fails after the retries ends the walk with a problem naming the time span
//! not read.

use std::io::{Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{LookupAttribute as ApiAttribute, LookupAttributeKey};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::LogObject;
use super::aws::{ApiCounters, AwsError, credential_error, describe};
use super::lookup::{LookupAttribute, SCHEME};
use crate::window::TimeWindow;

/// Requests to one region are at least this far apart: CloudTrail allows 2 per second.
pub const SPACING: Duration = Duration::from_millis(500);

/// Events per page: the most `LookupEvents` returns.
const PAGE_EVENTS: i32 = 50;

/// How to read one region's event history.
#[derive(Clone, Debug, Default)]
pub struct LookupOptions {
    pub window: TimeWindow,
    pub attribute: Option<LookupAttribute>,
    /// An endpoint given with `--endpoint-url` or `AWS_ENDPOINT_URL`: the first suspect when
    /// nothing answers, before the region.
    pub custom_endpoint: bool,
}

/// Why a region's event history could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Credentials(#[from] AwsError),
    #[error(
        "cannot read the CloudTrail event history of {region}: {reason}: the credentials need the IAM permission cloudtrail:LookupEvents"
    )]
    Denied { region: String, reason: String },
    #[error("cannot reach CloudTrail in region {region} ({suspect}): {reason}")]
    Unreachable { region: String, suspect: &'static str, reason: String },
    #[error("cannot read the CloudTrail event history of {region}: {reason}")]
    Read { region: String, reason: String },
}

/// A region's event history being read (see [`super::s3::S3Scan`]).
pub struct LookupScan {
    pub objects: mpsc::Receiver<LogObject>,
    pub counters: Arc<ApiCounters>,
    pub finished: tokio::task::JoinHandle<Result<Walked, LookupError>>,
}

/// How a walk that could begin ended.
#[derive(Debug, Default)]
pub struct Walked {
    /// `cloudtrail://<region>`.
    pub origin: Arc<str>,
    /// Why it stopped before the start of the window, and what it did not read.
    pub gap: Option<String>,
    /// Events that came without their record (`CloudTrailEvent` absent or empty): not read.
    pub without_document: u64,
}

/// Starts walking `region`'s history on the runtime behind `handle`; `client` is configured
/// for that region.
pub fn start(
    handle: &Handle,
    client: Client,
    region: String,
    options: LookupOptions,
    queue: usize,
) -> LookupScan {
    let (sender, objects) = mpsc::channel(queue.max(1));
    let counters = Arc::new(ApiCounters::default());
    let walker = Walker {
        client,
        origin: Arc::from(format!("{SCHEME}{region}").as_str()),
        region,
        options,
        counters: Arc::clone(&counters),
        sender,
    };
    let finished = handle.spawn(async move { walker.walk().await });
    LookupScan { objects, counters, finished }
}

/// The whole seconds of `[since, until)` as `LookupEvents`' inclusive `StartTime` and
/// `EndTime`; `None` when no whole second lies inside.
fn api_range(window: &TimeWindow) -> Option<(Option<i64>, Option<i64>)> {
    const SECOND: i64 = 1_000_000;
    let start = window.since.map(|us| us.div_euclid(SECOND) + i64::from(us % SECOND != 0));
    let end = window.until.map(|us| (us - 1).div_euclid(SECOND));
    match (start, end) {
        (Some(start), Some(end)) if start > end => None,
        range => Some(range),
    }
}

struct Walker {
    client: Client,
    region: String,
    origin: Arc<str>,
    options: LookupOptions,
    counters: Arc<ApiCounters>,
    sender: mpsc::Sender<LogObject>,
}

impl Walker {
    async fn walk(&self) -> Result<Walked, LookupError> {
        let mut walked = Walked { origin: Arc::clone(&self.origin), ..Walked::default() };
        let Some((start, end)) = api_range(&self.options.window) else {
            return Ok(walked); // an incremental run resumed at the end of its window
        };
        let attribute = match &self.options.attribute {
            Some(a) => Some(vec![
                ApiAttribute::builder()
                    .attribute_key(LookupAttributeKey::from(a.key))
                    .attribute_value(&a.value)
                    .build()
                    .map_err(|e| self.read_error(e.to_string()))?,
            ]),
            None => None,
        };
        let mut token: Option<String> = None;
        let mut last_request: Option<Instant> = None;
        // The oldest event received so far: the walk goes back in time.
        let mut oldest: Option<DateTime> = None;
        loop {
            if let Some(at) = last_request {
                tokio::time::sleep_until(at + SPACING).await;
            }
            let sent = self
                .client
                .lookup_events()
                .set_start_time(start.map(DateTime::from_secs))
                .set_end_time(end.map(DateTime::from_secs))
                .set_lookup_attributes(attribute.clone())
                .max_results(PAGE_EVENTS)
                .set_next_token(token.take())
                .send()
                .await;
            // Counted from the answer: the SDK's retries of this call (their backoff is its
            // own) are then never followed closer than SPACING by the next call.
            last_request = Some(Instant::now());
            let first = self.counters.requests.fetch_add(1, Ordering::Relaxed) == 0;
            let page = match sent {
                Ok(page) => page,
                Err(e) if first => return Err(self.unreadable(&e)),
                Err(e) => {
                    let from = start.map_or_else(
                        || "the start of the history".to_string(),
                        |s| DateTime::from_secs(s).to_string(),
                    );
                    let to = oldest.map_or_else(|| "the end".to_string(), |t| t.to_string());
                    walked.gap = Some(format!(
                        "LookupEvents failed part-way ({}): events from {from} to {to} were not read",
                        describe(&e)
                    ));
                    return Ok(walked);
                }
            };
            let mut lines = Vec::new();
            for event in page.events() {
                oldest = match (oldest, event.event_time()) {
                    (Some(o), Some(t)) if o.secs() <= t.secs() => Some(o),
                    (o, t) => t.copied().or(o),
                };
                let document = event.cloud_trail_event().filter(|d| !d.trim().is_empty());
                let Some(document) = document else {
                    walked.without_document += 1;
                    continue;
                };
                // A document without a line break of its own: JSON only allows one between
                // tokens, where a space means the same.
                lines.extend(document.trim().bytes().map(|b| match b {
                    b'\n' | b'\r' => b' ',
                    b => b,
                }));
                lines.push(b'\n');
            }
            self.counters.events.fetch_add(page.events().len() as u64, Ordering::Relaxed);
            if !lines.is_empty() {
                let object = LogObject {
                    origin: Arc::clone(&self.origin),
                    size: Some(lines.len() as u64),
                    version: None,
                    open: Box::new(
                        move || Ok(Box::new(Cursor::new(lines)) as Box<dyn Read + Send>),
                    ),
                };
                if self.sender.send(object).await.is_err() {
                    return Ok(walked); // the workers are gone: the scan is stopping
                }
            }
            match page.next_token() {
                _ if crate::interrupt::requested().is_some() => return Ok(walked),
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(walked),
            }
        }
    }

    /// Why the first request failed, as one line that says what to do.
    fn unreadable<R>(
        &self,
        e: &SdkError<impl ProvideErrorMetadata + std::error::Error + 'static, R>,
    ) -> LookupError
    where
        R: std::fmt::Debug + 'static,
    {
        if let Some(rejected) = credential_error(e.code()) {
            return LookupError::Credentials(rejected);
        }
        let region = self.region.clone();
        let reason = describe(e);
        match e {
            _ if e.code().is_some_and(|c| c.starts_with("AccessDenied")) => {
                LookupError::Denied { region, reason }
            }
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                let suspect = if self.options.custom_endpoint {
                    "is the custom endpoint (--endpoint-url, AWS_ENDPOINT_URL) right?"
                } else {
                    "is the region right?"
                };
                LookupError::Unreachable { region, suspect, reason }
            }
            _ => LookupError::Read { region, reason },
        }
    }

    fn read_error(&self, reason: String) -> LookupError {
        LookupError::Read { region: self.region.clone(), reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_becomes_whole_inclusive_seconds() {
        let s = 1_000_000;
        let window = TimeWindow { since: Some(100 * s), until: Some(200 * s) };
        assert_eq!(api_range(&window), Some((Some(100), Some(199))));
        let ragged = TimeWindow { since: Some(100 * s + 1), until: Some(200 * s + 1) };
        assert_eq!(api_range(&ragged), Some((Some(101), Some(200))));
        assert_eq!(api_range(&TimeWindow::default()), Some((None, None)));
        let empty = TimeWindow { since: Some(200 * s), until: Some(200 * s) };
        assert_eq!(api_range(&empty), None, "a resumed run at the end of its window");
        let inside_one_second = TimeWindow { since: Some(100 * s + 1), until: Some(101 * s - 1) };
        assert_eq!(api_range(&inside_one_second), None);
    }
}
