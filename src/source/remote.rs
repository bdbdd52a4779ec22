//! The remote inputs of a run, `s3://` buckets, `cwlogs://` log groups and `cloudtrail://` event
//! histories: started together on one tokio runtime, their objects handed over through bounded
//! queues, their counters and problems collected at the end. Only in builds with the `aws`
//! feature.

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::runtime::Runtime;
use tokio::sync::mpsc::Receiver;

use super::aws::{self, AwsError};
use super::cloudtrail::{self, LookupError, LookupOptions, LookupScan};
use super::cloudwatch::{self, LogGroupError, LogGroupOptions, LogGroupScan};
use super::lookup;
use super::s3::{self, ObjectChoice, S3Error, S3Scan};
use super::s3_claims::Claims;
use super::s3_layout::S3Url;
use super::{Finished, LogObject, Selection, SourceOptions, Wanted};
use crate::stats::{Problem, RequestStats};

/// Why a remote input cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("{0}")]
    Url(String),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    S3(#[from] S3Error),
    #[error(transparent)]
    LogGroup(#[from] LogGroupError),
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error("cannot start the AWS client runtime: {0}")]
    Runtime(io::Error),
}

/// The buckets, log groups and event histories being read.
pub struct Remote {
    buckets: Vec<S3Scan>,
    log_groups: Vec<LogGroupScan>,
    /// Each with its input as written.
    histories: Vec<(String, LookupScan)>,
    /// Log groups and regions named more than once: read once.
    duplicate_apis: u64,
    runtime: Runtime,
}

impl Remote {
    /// Checks every URL, then starts listing each bucket and reading each log group.
    pub fn start(
        inputs: &[&String],
        options: &SourceOptions,
        selection: Arc<dyn Selection>,
        queue: usize,
    ) -> Result<Self, RemoteError> {
        let (urls, apis): (Vec<&String>, Vec<&String>) =
            inputs.iter().partition(|i| i.starts_with("s3://"));
        let (histories, groups): (Vec<&String>, Vec<&String>) =
            apis.into_iter().partition(|i| i.starts_with(lookup::SCHEME));
        let histories = histories
            .into_iter()
            .map(|h| Ok((h.to_string(), lookup::parse_url(h)?)))
            .collect::<Result<Vec<_>, String>>()
            .map_err(RemoteError::Url)?;
        let urls = urls
            .into_iter()
            .map(|u| S3Url::parse(u))
            .collect::<Result<Vec<_>, _>>()
            .map_err(RemoteError::Url)?;
        let mut groups = groups
            .into_iter()
            .map(|g| cloudwatch::parse_url(g))
            .collect::<Result<Vec<_>, _>>()
            .map_err(RemoteError::Url)?;
        let named = groups.len();
        let mut seen = std::collections::HashSet::new();
        groups.retain(|g| seen.insert(g.clone()));
        let mut duplicate_apis = (named - groups.len()) as u64;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(RemoteError::Runtime)?;
        let config = runtime.block_on(aws::load(&options.aws))?;
        let mut buckets = Vec::new();
        if !urls.is_empty() {
            let mut s3_config = aws_sdk_s3::config::Builder::from(&config);
            if aws::has_custom_endpoint(&config) {
                s3_config = s3_config.force_path_style(true);
            }
            let client = aws_sdk_s3::Client::from_conf(s3_config.build());
            // An object under two of the prefixes given is read once.
            let claims = Arc::new(Claims::new(&urls));
            for url in urls {
                buckets.push(s3::start(
                    runtime.handle(),
                    client.clone(),
                    url,
                    options.layout.clone(),
                    ObjectChoice { selection: Arc::clone(&selection), claims: Arc::clone(&claims) },
                    options.s3_concurrency,
                    queue,
                ));
            }
        }
        let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
        let mut log_groups = Vec::new();
        for group in groups {
            let group_options = LogGroupOptions {
                window: options.api_window(&format!("cwlogs://{group}")),
                stream_prefix: options.log_stream_prefix.clone(),
                filter: options.filter,
                concurrency: options.log_concurrency,
            };
            log_groups.push(cloudwatch::start(
                runtime.handle(),
                logs.clone(),
                group,
                group_options,
                queue,
            ));
        }
        // `cloudtrail://` alone is the clients' region: the same history as naming it.
        let mut regions = std::collections::HashSet::new();
        let mut lookups = Vec::new();
        for (input, region) in histories {
            let region =
                region.or_else(|| config.region().map(|r| r.to_string())).unwrap_or_default();
            if !regions.insert(region.clone()) {
                duplicate_apis += 1;
                continue;
            }
            let client_config = aws_sdk_cloudtrail::config::Builder::from(&config)
                .region(aws_config::Region::new(region.clone()))
                .build();
            let lookup_options = LookupOptions {
                window: options.api_window(&input),
                attribute: options.lookup_attribute.clone(),
                custom_endpoint: aws::has_custom_endpoint(&config),
            };
            let scan = cloudtrail::start(
                runtime.handle(),
                aws_sdk_cloudtrail::Client::from_conf(client_config),
                region,
                lookup_options,
                queue,
            );
            lookups.push((input, scan));
        }
        Ok(Remote { buckets, log_groups, histories: lookups, duplicate_apis, runtime })
    }

    /// The objects of every bucket and log group, as they arrive. They wait in bounded queues,
    /// so this iterator is what applies back-pressure to the downloads.
    pub fn objects(
        &mut self,
        selection: Arc<dyn Selection>,
    ) -> Box<dyn Iterator<Item = LogObject> + Send> {
        let take = |queue: &mut Receiver<LogObject>| {
            std::mem::replace(queue, tokio::sync::mpsc::channel(1).1)
        };
        let mut queues: Vec<_> =
            self.buckets.iter_mut().map(|scan| take(&mut scan.objects)).collect();
        queues.extend(self.log_groups.iter_mut().map(|scan| take(&mut scan.objects)));
        queues.extend(self.histories.iter_mut().map(|(_, scan)| take(&mut scan.objects)));
        // Log group pages are selected here (by stream, for shards); buckets select before
        // download.
        Box::new(
            queues
                .into_iter()
                .flat_map(|mut rx| std::iter::from_fn(move || rx.blocking_recv()))
                .filter(move |o| selection.wants(&o.origin, o.version.as_deref()) == Wanted::Yes),
        )
    }

    /// Waits for every bucket and log group to end; adds their problems and request counts to
    /// `finished`, or returns the error that made one unreadable.
    pub fn finish(self, finished: &mut Finished) -> Result<(), RemoteError> {
        let runtime = self.runtime;
        finished.duplicates += self.duplicate_apis;
        let join = |e: tokio::task::JoinError| RemoteError::Runtime(io::Error::other(e));
        for scan in self.buckets {
            let listing = runtime.block_on(scan.finished).map_err(join)??;
            finished
                .problems
                .extend(listing.into_iter().map(|(origin, what)| Problem { origin, what }));
            let c = &scan.counters;
            let total = finished.s3.get_or_insert_with(RequestStats::default);
            total.list_requests += c.list_requests.load(Ordering::Relaxed);
            total.get_requests += c.get_requests.load(Ordering::Relaxed);
            total.listed += c.listed.load(Ordering::Relaxed);
            total.pruned_by_time += c.pruned_by_time.load(Ordering::Relaxed);
            total.skipped_by_design += c.skipped_by_design.load(Ordering::Relaxed);
            total.unselected +=
                c.other_shard.load(Ordering::Relaxed) + c.already_scanned.load(Ordering::Relaxed);
            total.duplicates += c.duplicates.load(Ordering::Relaxed);
            finished.not_listed += c.not_listed.load(Ordering::Relaxed);
            if let Ok(mut named) = c.not_listed_named.lock() {
                finished.not_listed_named.append(&mut named);
            }
            finished.duplicates += c.duplicates.load(Ordering::Relaxed);
            finished.unselected.other_shard += c.other_shard.load(Ordering::Relaxed);
            finished.unselected.already_scanned += c.already_scanned.load(Ordering::Relaxed);
        }
        for scan in self.log_groups {
            runtime.block_on(scan.finished).map_err(join)??;
            scan.counters.add_to(&mut finished.log_groups);
        }
        for (input, scan) in self.histories {
            let walk = runtime.block_on(scan.finished).map_err(join)??;
            scan.counters.add_to(&mut finished.lookup_events);
            if walk.without_document > 0 {
                let what =
                    format!("{} × event without a CloudTrailEvent document", walk.without_document);
                finished.problems.push(Problem { origin: walk.origin.to_string(), what });
            }
            if let Some(gap) = walk.gap {
                finished
                    .problems
                    .push(Problem { origin: walk.origin.to_string(), what: gap.clone() });
                finished.api_gaps.push((input, gap));
            }
        }
        Ok(())
    }
}
