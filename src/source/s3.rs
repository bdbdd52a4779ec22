//! Trail objects straight from S3: layout-aware listing, bounded concurrent downloads, bodies
//! streamed into the same decode/split workers as local files.
//!
//! Under the root of a Security Lake source (`…/aws/CLOUD_TRAIL_MGMT/2.0/`), listing follows its
//! `region=/accountId=/eventDay=` partitions the same way ([`Lister::walk_lake`]).
//! Under a prefix that holds `AWSLogs/`, listing follows the CloudTrail layout with delimiter
//! requests (organisation ids, accounts, regions), keeps only the accounts and regions asked for,
//! and lists only the day directories inside the time window ([`super::s3_layout`]); digest and
//! Insights directories are not even listed. Anywhere else the prefix is listed whole, digests
//! and Insights are recognised by key and never downloaded. Either way the time in a delivered
//! file's name drops files outside the window.
//!
//! Listing runs in a tokio task and is lazy: each listed key becomes a download at most
//! `concurrency` at a time, and each started download is handed, as a [`LogObject`] whose body is
//! still streaming, through a bounded channel to the rayon workers, which read the body as a
//! plain `Read`. Memory is therefore bounded by the channel and the concurrency, whatever the
//! bucket holds.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use super::aws::{AwsError, cause_chain, credential_error, describe};
use super::s3_claims::Claims;
use super::s3_layout::{
    LayoutFilter, S3Url, day_prefixes, is_account_id, is_lake_source_root, is_org_id,
    may_hold_window, skipped_by_design,
};
use super::{LogObject, Selection, Wanted};

/// Prefixes and keys beside a followed `AWSLogs/` layout named in the report; the rest are
/// counted.
pub const NOT_LISTED_NAMED: usize = 100;

/// Days listed one by one before a window counts as "everything" (a year and a bit).
const MAX_DAY_PREFIXES: usize = 400;

/// What a bucket scan did, for the footer: `listed = fetched + pruned_by_time + skipped_by_design
/// + other_shard + already_scanned + duplicates`.
#[derive(Debug, Default)]
pub struct S3Counters {
    pub list_requests: AtomicU64,
    pub get_requests: AtomicU64,
    /// Keys listed under the chosen prefixes.
    pub listed: AtomicU64,
    /// Keys whose file-name time is outside the window: not downloaded.
    pub pruned_by_time: AtomicU64,
    /// Digest and Insights keys: not downloaded.
    pub skipped_by_design: AtomicU64,
    /// Keys of other shards: not downloaded.
    pub other_shard: AtomicU64,
    /// Keys whose version an earlier run scanned: not downloaded.
    pub already_scanned: AtomicU64,
    /// Keys another `s3://` input of the run listed first: not downloaded again.
    pub duplicates: AtomicU64,
    /// Prefixes and keys beside the `AWSLogs/` layout that was followed: not listed, and said
    /// so in the footer; the first few by `s3://` URI.
    pub not_listed: AtomicU64,
    pub not_listed_named: std::sync::Mutex<Vec<String>>,
}

impl S3Counters {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Why a bucket could not be scanned at all.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error(transparent)]
    Credentials(#[from] AwsError),
    #[error("cannot list {url}: {reason}")]
    List { url: String, reason: String },
}

/// A bucket scan in progress: objects arrive on `objects`; `finished` reports how listing ended.
pub struct S3Scan {
    pub objects: mpsc::Receiver<LogObject>,
    pub counters: Arc<S3Counters>,
    /// Listing problems that did not stop the scan (a later page failed): `(uri, reason)`.
    pub finished: tokio::task::JoinHandle<Result<Vec<(String, String)>, S3Error>>,
}

/// Which of the listed keys a bucket scan downloads, besides what the layout filter prunes.
pub struct ObjectChoice {
    /// The run's selection (shard, incremental state).
    pub selection: Arc<dyn Selection>,
    /// Keys the run's other `s3://` inputs may list too.
    pub claims: Arc<Claims>,
}

/// Starts listing and downloading `url` on the runtime behind `handle`.
pub fn start(
    handle: &Handle,
    client: Client,
    url: S3Url,
    filter: LayoutFilter,
    choice: ObjectChoice,
    concurrency: usize,
    queue: usize,
) -> S3Scan {
    let (sender, objects) = mpsc::channel(queue.max(1));
    let counters = Arc::new(S3Counters::default());
    let lister = Lister {
        client,
        url,
        filter,
        choice,
        counters: Arc::clone(&counters),
        downloads: Arc::new(Semaphore::new(concurrency.max(1))),
        sender,
        handle: handle.clone(),
        problems: Vec::new(),
        listed_anything: false,
    };
    let finished = handle.spawn(lister.run());
    S3Scan { objects, counters, finished }
}

struct Lister {
    client: Client,
    url: S3Url,
    filter: LayoutFilter,
    choice: ObjectChoice,
    counters: Arc<S3Counters>,
    downloads: Arc<Semaphore>,
    sender: mpsc::Sender<LogObject>,
    handle: Handle,
    problems: Vec<(String, String)>,
    /// Until one listing succeeded, a failure means the bucket cannot be read at all.
    listed_anything: bool,
}

impl Lister {
    async fn run(mut self) -> Result<Vec<(String, String)>, S3Error> {
        let prefix = self.url.prefix.clone();
        if !self.filter.list_flat && is_lake_source_root(&prefix) {
            let root = format!("{}/", prefix.trim_end_matches('/'));
            self.walk_lake(&root).await?;
            return Ok(self.problems);
        }
        let root = match self.filter.list_flat {
            true => None,
            false => self.layout_root(&prefix).await?,
        };
        match root {
            Some(root) => {
                self.walk_layout(&root).await?;
                // A prefix that merely holds AWSLogs/ may hold other logs beside it.
                if !prefix.trim_end_matches('/').ends_with("AWSLogs") {
                    self.note_beside_layout(&root).await?;
                }
            }
            None => self.fetch_all_under(&prefix).await?,
        }
        Ok(self.problems)
    }

    /// The `…/AWSLogs/` prefix under `prefix`, if there is one.
    async fn layout_root(&mut self, prefix: &str) -> Result<Option<String>, S3Error> {
        let trimmed = prefix.trim_end_matches('/');
        if trimmed == "AWSLogs" || trimmed.ends_with("/AWSLogs") {
            return Ok(Some(format!("{trimmed}/")));
        }
        if prefix.contains("AWSLogs/") {
            return Ok(None); // already inside the layout: list it whole, prune by file name
        }
        let base = if prefix.is_empty() || prefix.ends_with('/') {
            prefix.to_string()
        } else {
            format!("{prefix}/")
        };
        // One key is enough to know: a delimiter listing of the prefix could take many pages.
        let probe = format!("{base}AWSLogs/");
        let page = self
            .client
            .list_objects_v2()
            .bucket(&self.url.bucket)
            .prefix(&probe)
            .max_keys(1)
            .send()
            .await;
        S3Counters::add(&self.counters.list_requests, 1);
        match page {
            Ok(page) => {
                self.listed_anything = true;
                Ok((!page.contents().is_empty()).then_some(probe))
            }
            Err(e) => {
                self.listing_failed(&probe, e)?;
                Ok(None)
            }
        }
    }

    /// Organisation ids, accounts, regions, then days; only what the filter keeps.
    async fn walk_layout(&mut self, root: &str) -> Result<(), S3Error> {
        let top = self.directories(root).await?;
        let mut account_dirs = Vec::new();
        for dir in top {
            let name = last_component(&dir);
            if is_account_id(name) {
                account_dirs.push(dir);
            } else if is_org_id(name) {
                let accounts = self.directories(&dir).await?;
                account_dirs
                    .extend(accounts.into_iter().filter(|a| is_account_id(last_component(a))));
            }
        }
        let now = chrono::Utc::now().timestamp_micros();
        let days = day_prefixes(&self.filter.window, now, MAX_DAY_PREFIXES, "%Y/%m/%d/");
        for account_dir in account_dirs {
            if !self.filter.keeps_account(last_component(&account_dir)) {
                continue;
            }
            let regions_root = format!("{account_dir}CloudTrail/");
            let regions: Vec<String> = if self.filter.regions.is_empty() {
                self.directories(&regions_root).await?
            } else {
                // Asked-for regions need no listing: their prefixes are known.
                self.filter.regions.iter().map(|r| format!("{regions_root}{r}/")).collect()
            };
            for region_dir in regions {
                if !self.filter.keeps_region(last_component(&region_dir)) {
                    continue;
                }
                match &days {
                    Some(days) => {
                        for day in days {
                            self.fetch_all_under(&format!("{region_dir}{day}")).await?;
                        }
                    }
                    None => self.fetch_all_under(&region_dir).await?,
                }
            }
        }
        Ok(())
    }

    /// Security Lake's partitions under one source's `root` (`…/aws/CLOUD_TRAIL_MGMT/2.0/`):
    /// `region=`, `accountId=` and `eventDay=` directories, only those the filter keeps; asked-for
    /// regions and accounts and the days of a window need no listing, their prefixes are known.
    async fn walk_lake(&mut self, root: &str) -> Result<(), S3Error> {
        let regions = self.partitions(root, "region=", &self.filter.regions.clone()).await?;
        let now = chrono::Utc::now().timestamp_micros();
        let days = day_prefixes(&self.filter.window, now, MAX_DAY_PREFIXES, "eventDay=%Y%m%d/");
        for region_dir in regions {
            let accounts = self.filter.accounts.clone();
            for account_dir in self.partitions(&region_dir, "accountId=", &accounts).await? {
                match &days {
                    Some(days) => {
                        for day in days {
                            self.fetch_all_under(&format!("{account_dir}{day}")).await?;
                        }
                    }
                    None => self.fetch_all_under(&account_dir).await?,
                }
            }
        }
        Ok(())
    }

    /// The `<key>=<value>/` partition directories under `prefix`: the `wanted` values' (no
    /// request), or, when none are asked for, every one listed there.
    async fn partitions(
        &mut self,
        prefix: &str,
        key: &str,
        wanted: &[String],
    ) -> Result<Vec<String>, S3Error> {
        if !wanted.is_empty() {
            return Ok(wanted.iter().map(|value| format!("{prefix}{key}{value}/")).collect());
        }
        let listed = self.directories(prefix).await?;
        Ok(listed.into_iter().filter(|dir| last_component(dir).starts_with(key)).collect())
    }

    /// Records the prefixes and keys beside the layout `root` (`<base>/AWSLogs/`), which the
    /// walk of the layout did not list: one stray `AWSLogs/` key must not hide a flat bucket.
    /// All are counted, the first [`NOT_LISTED_NAMED`] named: a flat bucket may hold millions.
    async fn note_beside_layout(&mut self, root: &str) -> Result<(), S3Error> {
        let base = root.strip_suffix("AWSLogs/").unwrap_or_default();
        let bucket = self.url.bucket.clone();
        let (mut count, mut named) = (0, Vec::new());
        self.entries(base, |entry, _| {
            if entry != root {
                count += 1;
                if named.len() < NOT_LISTED_NAMED {
                    named.push(format!("s3://{bucket}/{entry}"));
                }
            }
        })
        .await?;
        S3Counters::add(&self.counters.not_listed, count);
        if let Ok(mut names) = self.counters.not_listed_named.lock() {
            names.extend(named);
        }
        Ok(())
    }

    /// The "directories" directly under `prefix` (delimiter listing, all pages).
    async fn directories(&mut self, prefix: &str) -> Result<Vec<String>, S3Error> {
        let mut dirs = Vec::new();
        self.entries(prefix, |entry, is_dir| {
            if is_dir {
                dirs.push(entry.to_string());
            }
        })
        .await?;
        Ok(dirs)
    }

    /// Calls `each` with every "directory" (`true`) and key directly under `prefix`, page by
    /// page (delimiter listing, all pages).
    async fn entries(
        &mut self,
        prefix: &str,
        mut each: impl FnMut(&str, bool) + Send,
    ) -> Result<(), S3Error> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.url.bucket)
            .prefix(prefix)
            .delimiter("/")
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            S3Counters::add(&self.counters.list_requests, 1);
            match page {
                Ok(page) => {
                    self.listed_anything = true;
                    for dir in page.common_prefixes().iter().filter_map(|p| p.prefix()) {
                        each(dir, true);
                    }
                    for key in page.contents().iter().filter_map(|o| o.key()) {
                        each(key, false);
                    }
                }
                Err(e) => {
                    self.listing_failed(prefix, e)?;
                    break;
                }
            }
        }
        Ok(())
    }

    /// Every key under `prefix` (no delimiter), fetched as it is listed.
    async fn fetch_all_under(&mut self, prefix: &str) -> Result<(), S3Error> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.url.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            S3Counters::add(&self.counters.list_requests, 1);
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    self.listing_failed(prefix, e)?;
                    break;
                }
            };
            self.listed_anything = true;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                if key.ends_with('/') {
                    continue; // a "folder" marker made by consoles
                }
                S3Counters::add(&self.counters.listed, 1);
                if skipped_by_design(key).is_some() {
                    S3Counters::add(&self.counters.skipped_by_design, 1);
                } else if !may_hold_window(key, &self.filter.window) {
                    S3Counters::add(&self.counters.pruned_by_time, 1);
                } else if !self.choice.claims.claim(&self.url.bucket, key) {
                    S3Counters::add(&self.counters.duplicates, 1);
                } else {
                    let uri = self.url.uri(key);
                    // The ETag changes whenever the object is rewritten.
                    let version =
                        object.e_tag().map(|tag| format!("{}-{tag}", object.size().unwrap_or(0)));
                    match self.choice.selection.wants(&uri, version.as_deref()) {
                        Wanted::Yes => {
                            if !self.fetch(key.to_string(), object.size(), version).await {
                                return Ok(()); // the workers are gone: the scan is stopping
                            }
                        }
                        Wanted::OtherShard => S3Counters::add(&self.counters.other_shard, 1),
                        Wanted::AlreadyScanned => {
                            S3Counters::add(&self.counters.already_scanned, 1)
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// A listing error: fatal before anything was listed (wrong bucket, credentials, no
    /// permission), a reported problem afterwards.
    fn listing_failed<E, R>(&mut self, prefix: &str, error: SdkError<E, R>) -> Result<(), S3Error>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let uri = self.url.uri(prefix);
        if let Some(rejected) = credential_error(error.code()) {
            return Err(rejected.into());
        }
        let reason = describe(&error);
        if !self.listed_anything {
            // Nothing could be listed: name what the user asked for, not our first prefix.
            return Err(S3Error::List { url: self.url.uri(&self.url.prefix), reason });
        }
        self.problems
            .push((uri, format!("listing failed, objects under it were not scanned: {reason}")));
        Ok(())
    }

    /// Starts one download as soon as a slot is free; the download queues itself for the
    /// workers once S3 answered. Returns false when the workers are gone.
    async fn fetch(&mut self, key: String, size: Option<i64>, version: Option<String>) -> bool {
        if self.sender.is_closed() || crate::interrupt::requested().is_some() {
            return false;
        }
        let Ok(permit) = Arc::clone(&self.downloads).acquire_owned().await else {
            return false;
        };
        S3Counters::add(&self.counters.get_requests, 1);
        let request = self.client.get_object().bucket(&self.url.bucket).key(&key);
        let origin: Arc<str> = Arc::from(self.url.uri(&key).as_str());
        let handle = self.handle.clone();
        let sender = self.sender.clone();
        self.handle.spawn(async move {
            let body = request.send().await.map(|r| r.body).map_err(|e| describe(&e));
            let object = LogObject {
                origin,
                size: size.and_then(|s| u64::try_from(s).ok()),
                version,
                open: Box::new(move || match body {
                    Ok(body) => {
                        let reader =
                            BodyReader { body, chunk: Bytes::new(), handle, _permit: permit };
                        Ok(Box::new(reader) as Box<dyn Read + Send>)
                    }
                    Err(reason) => Err(io::Error::other(reason)),
                }),
            };
            // A closed queue means the scan is stopping; the object is simply not read.
            let _ = sender.send(object).await;
        });
        true
    }
}

/// `AWSLogs/o-1/111122223333/` → `111122223333`.
fn last_component(prefix: &str) -> &str {
    prefix.trim_end_matches('/').rsplit('/').next().unwrap_or_default()
}

/// An object body being downloaded, read synchronously by a worker thread. Holds its download
/// slot until it is dropped.
struct BodyReader {
    body: ByteStream,
    chunk: Bytes,
    handle: Handle,
    _permit: OwnedSemaphorePermit,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.handle.block_on(self.body.next()) {
                None => return Ok(0),
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => {
                    return Err(io::Error::other(format!("download failed: {}", cause_chain(&e))));
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_components() {
        assert_eq!(last_component("AWSLogs/o-abcdefghij/111122223333/"), "111122223333");
        assert_eq!(last_component("AWSLogs/"), "AWSLogs");
        assert_eq!(last_component(""), "");
    }
}
