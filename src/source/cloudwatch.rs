//! CloudTrail events from a CloudWatch Logs log group (`cwlogs://<log-group-name>`).
//!
//! Trails that deliver to CloudWatch Logs put one CloudTrail record in each log event's message.
//! This source walks `FilterLogEvents` page by page with a server-side filter pattern that keeps
//! only failures (built from the same error-code table as the local filter, so the server does
//! most of the work; the client-side filter still runs on every event, so a server that ignores
//! the pattern gives the same result). Each page becomes one [`LogObject`] per log stream, its
//! messages one per line, with origin `cwlogs://<group>/<stream>`.
//!
//! A window is cut into time slices walked concurrently, so a week of a busy group is not one
//! sequential page walk. Slices are disjoint in milliseconds (`FilterLogEvents` includes both
//! ends), so no event is read twice and none falls between two slices.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use tokio::runtime::Handle;
use tokio::sync::{Semaphore, mpsc};

use super::LogObject;
use super::aws::{ApiCounters, AwsError, cause_chain, credential_error};
use crate::classify::FailureFilter;
use crate::classify::category::{AUTHENTICATION_CODES, AUTHORIZATION_CODES};
use crate::window::TimeWindow;

/// `cwlogs://<log-group-name>` (group names may contain `/`).
pub fn parse_url(url: &str) -> Result<String, String> {
    let group =
        url.strip_prefix("cwlogs://").ok_or_else(|| format!("{url:?} is not a cwlogs:// URL"))?;
    if group.is_empty() {
        return Err(format!("{url:?} names no log group (use cwlogs://<log-group-name>)"));
    }
    Ok(group.to_string())
}

/// How to read a log group.
#[derive(Clone, Debug, Default)]
pub struct LogGroupOptions {
    pub window: TimeWindow,
    pub stream_prefix: Option<String>,
    pub filter: FailureFilter,
    /// Slices fetched at once.
    pub concurrency: usize,
}

/// Why a log group could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LogGroupError {
    #[error(transparent)]
    Credentials(#[from] AwsError),
    #[error("cannot read log group {group}: {reason}")]
    Read { group: String, reason: String },
}

/// A log group scan in progress (see [`super::s3::S3Scan`]).
pub struct LogGroupScan {
    pub objects: mpsc::Receiver<LogObject>,
    pub counters: Arc<ApiCounters>,
    pub finished: tokio::task::JoinHandle<Result<(), LogGroupError>>,
}

/// A slice is never shorter than this: finer slicing only multiplies requests.
const MIN_SLICE_MS: i64 = 3_600_000;
/// Slices per concurrent walker, so that uneven slices still keep every walker busy.
const SLICES_PER_WALKER: i64 = 4;

pub fn start(
    handle: &Handle,
    client: Client,
    group: String,
    options: LogGroupOptions,
    queue: usize,
) -> LogGroupScan {
    let (sender, objects) = mpsc::channel(queue.max(1));
    let counters = Arc::new(ApiCounters::default());
    let walker = Walker {
        client,
        group,
        pattern: filter_pattern(options.filter),
        stream_prefix: options.stream_prefix.clone(),
        counters: Arc::clone(&counters),
        sender,
    };
    let slices =
        slices(&options.window, chrono::Utc::now().timestamp_millis(), options.concurrency.max(1));
    let concurrency = options.concurrency.max(1);
    let finished = handle.spawn(async move {
        let limit = Arc::new(Semaphore::new(concurrency));
        let walker = Arc::new(walker);
        let mut tasks = Vec::new();
        for slice in slices {
            let (walker, limit) = (Arc::clone(&walker), Arc::clone(&limit));
            tasks.push(tokio::spawn(async move {
                let _slot = limit.acquire_owned().await;
                walker.walk(slice).await
            }));
        }
        for task in tasks {
            task.await.map_err(|e| LogGroupError::Read {
                group: walker.group.clone(),
                reason: e.to_string(),
            })??;
        }
        Ok(())
    });
    LogGroupScan { objects, counters, finished }
}

/// Inclusive `[start, end]` in milliseconds; `None` ends are open.
type Slice = (Option<i64>, Option<i64>);

/// The time slices of a window: one walk without a start or with one walker, else up to
/// `walkers × SLICES_PER_WALKER` slices of at least an hour.
fn slices(window: &TimeWindow, now_ms: i64, walkers: usize) -> Vec<Slice> {
    let Some(since) = window.since.map(|us| us.div_euclid(1000)) else {
        return vec![(None, window.until.map(|us| us.div_euclid(1000) - 1))];
    };
    let until = window.until.map_or(now_ms + 1, |us| us.div_euclid(1000));
    let span = (until - since).max(1);
    let most = if walkers == 1 { 1 } else { walkers as i64 * SLICES_PER_WALKER };
    let count = (span / MIN_SLICE_MS).clamp(1, most);
    let step = (span + count - 1) / count;
    (0..count)
        .map(|i| since + i * step)
        .take_while(|start| *start < until)
        .map(|start| (Some(start), Some((start + step).min(until) - 1)))
        .collect()
}

/// `{ ($.errorCode = "AccessDenied") || … }` from the same tables as the local filter; `None`
/// (no server-side filtering) with `--all-errors`. Patterns are case-sensitive, codes are
/// matched as AWS spells them. See the CloudWatch Logs User Guide, "Filter pattern syntax".
pub fn filter_pattern(filter: FailureFilter) -> Option<String> {
    if filter.all_errors {
        return None;
    }
    let code = |glob: String| format!("($.errorCode = \"{glob}\")");
    let mut terms: Vec<String> = code_globs(AUTHORIZATION_CODES).into_iter().map(code).collect();
    terms.extend(
        ["*is not authorized to perform*", "*explicit deny*", "*because no * allows the *"]
            .iter()
            .map(|p| format!("($.errorMessage = \"{p}\")")),
    );
    if filter.include_authn {
        terms.extend(code_globs(AUTHENTICATION_CODES).into_iter().map(code));
        terms.push("($.responseElements.ConsoleLogin = \"Failure\")".into());
    }
    Some(format!("{{ {} }}", terms.join(" || ")))
}

/// The fewest globs that match every code (patterns are capped at 1024 characters):
/// `Client.X` and `X` become `*X`, and a code that begins another (`AccessDenied`,
/// `AccessDeniedException`) becomes `AccessDenied*`. Matching more is harmless: the client-side
/// filter decides.
fn code_globs(codes: &[&str]) -> Vec<String> {
    let bases: std::collections::BTreeSet<&str> =
        codes.iter().map(|c| c.strip_prefix("Client.").unwrap_or(c)).collect();
    let mut globs = Vec::new();
    for base in &bases {
        if bases.iter().any(|other| other != base && base.starts_with(other)) {
            continue; // covered by the shorter code's trailing `*`
        }
        let lead =
            if codes.iter().any(|c| c.strip_prefix("Client.") == Some(base)) { "*" } else { "" };
        let trail = if bases.iter().any(|other| other != base && other.starts_with(base)) {
            "*"
        } else {
            ""
        };
        globs.push(format!("{lead}{base}{trail}"));
    }
    globs
}

struct Walker {
    client: Client,
    group: String,
    pattern: Option<String>,
    stream_prefix: Option<String>,
    counters: Arc<ApiCounters>,
    sender: mpsc::Sender<LogObject>,
}

impl Walker {
    async fn walk(&self, (start, end): Slice) -> Result<(), LogGroupError> {
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .filter_log_events()
                .log_group_name(&self.group)
                .set_start_time(start)
                .set_end_time(end)
                .set_log_stream_name_prefix(self.stream_prefix.clone())
                .set_filter_pattern(self.pattern.clone())
                .set_next_token(token.take())
                .send()
                .await;
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let page = page.map_err(|e| {
                if let Some(rejected) = credential_error(e.code()) {
                    return LogGroupError::Credentials(rejected);
                }
                let reason = match (e.code(), e.message()) {
                    (Some("ResourceNotFoundException"), _) => {
                        "no such log group (check the name and --aws-region)".to_string()
                    }
                    (Some(code), Some(message)) => format!("{code}: {message}"),
                    _ => cause_chain(&e),
                };
                LogGroupError::Read { group: self.group.clone(), reason }
            })?;
            let mut by_stream: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
            for event in page.events() {
                let Some(message) = event.message() else {
                    continue;
                };
                let lines = by_stream.entry(event.log_stream_name().unwrap_or("")).or_default();
                lines.extend_from_slice(message.trim_end().as_bytes());
                lines.push(b'\n');
            }
            self.counters.events.fetch_add(page.events().len() as u64, Ordering::Relaxed);
            for (stream, lines) in by_stream {
                let object = LogObject {
                    origin: Arc::from(format!("cwlogs://{}/{stream}", self.group).as_str()),
                    size: Some(lines.len() as u64),
                    version: None,
                    open: Box::new(
                        move || Ok(Box::new(Cursor::new(lines)) as Box<dyn Read + Send>),
                    ),
                };
                if self.sender.send(object).await.is_err() {
                    return Ok(()); // the workers are gone: the scan is stopping
                }
            }
            match page.next_token() {
                _ if crate::interrupt::requested().is_some() => return Ok(()),
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("cwlogs://CloudTrail/DefaultLogGroup"),
            Ok("CloudTrail/DefaultLogGroup".into())
        );
        assert!(parse_url("cwlogs://").is_err() && parse_url("s3://x").is_err());
    }

    #[test]
    fn slices_cover_the_window_without_overlap() {
        let hour = 3_600_000i64;
        let window = TimeWindow { since: Some(0), until: Some(100 * hour * 1000) };
        let cut = slices(&window, 0, 4);
        assert_eq!(cut.len(), 16);
        assert_eq!(cut[0].0, Some(0));
        assert_eq!(cut.last().and_then(|s| s.1), Some(100 * hour - 1));
        for pair in cut.windows(2) {
            assert_eq!(pair[0].1.map(|end| end + 1), pair[1].0, "adjacent, disjoint");
        }
        let short = TimeWindow { since: Some(0), until: Some(10 * 60_000 * 1000) };
        assert_eq!(slices(&short, 0, 4), [(Some(0), Some(10 * 60_000 - 1))]);
        assert_eq!(slices(&TimeWindow::default(), 0, 4), [(None, None)]);
        let open_end = TimeWindow { since: Some(0), until: None };
        assert_eq!(slices(&open_end, 2 * hour, 2).last().and_then(|s| s.1), Some(2 * hour));
        assert_eq!(
            slices(&window, 0, 1),
            [(Some(0), Some(100 * hour - 1))],
            "one walker, one walk"
        );
    }

    /// CloudWatch's `*` wildcard, for checking the globs.
    fn glob_matches(glob: &str, text: &str) -> bool {
        match glob.split_once('*') {
            None => glob == text,
            Some((head, rest)) => {
                text.starts_with(head)
                    && (head.len()..=text.len()).any(|i| glob_matches(rest, &text[i..]))
            }
        }
    }

    #[test]
    fn every_code_of_the_tables_is_matched_by_a_glob() {
        for table in [AUTHORIZATION_CODES, AUTHENTICATION_CODES] {
            let globs = code_globs(table);
            assert!(globs.len() < table.len(), "{globs:?}");
            for code in table {
                assert!(
                    globs.iter().any(|g| glob_matches(g, code)),
                    "{code} not matched by {globs:?}"
                );
            }
        }
        let authorization = code_globs(AUTHORIZATION_CODES);
        assert!(authorization.contains(&"*UnauthorizedOperation".to_string()), "{authorization:?}");
        assert!(authorization.contains(&"AccessDenied*".to_string()), "{authorization:?}");
        assert!(!glob_matches("AccessDenied*", "NoSuchKey"));
    }

    #[test]
    fn the_pattern_follows_the_filter() {
        let denials = filter_pattern(FailureFilter::default()).expect("a pattern");
        assert!(denials.starts_with("{ ($.errorCode = \"AccessDenied*\") || "), "{denials}");
        assert!(denials.contains("\"*explicit deny*\"") && !denials.contains("ExpiredToken"));
        assert!(denials.len() < 1024, "CloudWatch caps filter patterns at 1024 characters");
        let authn = filter_pattern(FailureFilter { include_authn: true, all_errors: false })
            .expect("a pattern");
        assert!(authn.contains("ExpiredToken") && authn.contains("ConsoleLogin = \"Failure\""));
        assert!(authn.len() < 1024, "{}", authn.len());
        assert_eq!(filter_pattern(FailureFilter { include_authn: false, all_errors: true }), None);
    }
}
