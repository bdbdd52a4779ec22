//! `--out s3://bucket/prefix`: reports are written and committed locally in a staging
//! directory, then uploaded, each file as one object (multipart above [`MULTIPART_BYTES`]).
//! S3 makes an object visible only when its upload completed, so readers never see half a file.
//!
//! Incremental runs keep the exactly-once rule of [`crate::state`] on S3 too: report objects of
//! runs the state does not cover (a run killed after some uploads but before its state) are
//! deleted at the start of the next run, which scans their logs again.

use std::path::{Path, PathBuf};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tokio::runtime::Runtime;

use super::layout::run_id_of;
use crate::source::aws::describe;
use crate::source::aws::{self, AwsError, AwsOptions};
use crate::source::s3_layout::S3Url;

/// Files above this size go up in parts (S3 allows single PUTs to 5 GB, but parts retry cheaply).
pub const MULTIPART_BYTES: u64 = 64 << 20;
const PART_BYTES: usize = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Credentials(#[from] AwsError),
    #[error("cannot upload {file} to {uri}: {reason}")]
    Put { file: PathBuf, uri: String, reason: String },
    #[error("cannot list or delete under {uri}: {reason}")]
    Clean { uri: String, reason: String },
    #[error("cannot start the AWS client runtime: {0}")]
    Runtime(std::io::Error),
    #[error(
        "another run is writing to {uri} (its lock object: {holder}); if no run is active there, \
         remove the lock with: aws s3 rm {uri}"
    )]
    Locked { uri: String, holder: String },
    #[error("cannot take the lock {uri}: {reason}")]
    Lock { uri: String, reason: String },
}

/// The object that marks a prefix as being written by a run (`--out s3://bucket/prefix/`).
pub const LOCK_OBJECT: &str = ".whydenied-lock.json";

/// An S3 destination for reports.
pub struct Destination {
    runtime: Runtime,
    client: Client,
    url: S3Url,
    /// The lock object this run created, deleted when the destination is dropped.
    lock: Option<String>,
}

impl Destination {
    pub fn connect(url: S3Url, options: &AwsOptions) -> Result<Self, UploadError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(UploadError::Runtime)?;
        let config = runtime.block_on(aws::load(options))?;
        let mut s3 = aws_sdk_s3::config::Builder::from(&config);
        if aws::has_custom_endpoint(&config) {
            s3 = s3.force_path_style(true);
        }
        Ok(Destination { runtime, client: Client::from_conf(s3.build()), url, lock: None })
    }

    /// Makes this run the only writer of the prefix until the destination is dropped: a lock
    /// object created with a conditional write (`If-None-Match: *`), which S3 lets exactly one
    /// of two racing runs create, whatever machine they run on. A second run stops with the
    /// first's host, process and start time; a lock left by a killed run is named with the
    /// command that removes it.
    pub fn lock(&mut self) -> Result<(), UploadError> {
        let key = self.key(Path::new(LOCK_OBJECT));
        let uri = self.url.uri(&key);
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let holder = serde_json::json!({
            "host": host.trim(),
            "pid": std::process::id(),
            "started": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
        .to_string();
        let put = self
            .client
            .put_object()
            .bucket(&self.url.bucket)
            .key(&key)
            .if_none_match("*")
            .body(ByteStream::from(holder.into_bytes()))
            .send();
        match self.runtime.block_on(put) {
            Ok(_) => {
                self.lock = Some(key);
                Ok(())
            }
            // 412: the object exists; 409: another conditional write to it is in flight.
            Err(e) if matches!(e.raw_response().map(|r| r.status().as_u16()), Some(412 | 409)) => {
                let holder = self
                    .runtime
                    .block_on(self.read_text(&key))
                    .unwrap_or_else(|| "unreadable".into());
                Err(UploadError::Locked {
                    uri,
                    holder: crate::report::escape::for_terminal(&holder).into_owned(),
                })
            }
            Err(e) => Err(UploadError::Lock { uri, reason: describe(&e) }),
        }
    }

    /// A small object's text, if it can be read.
    async fn read_text(&self, key: &str) -> Option<String> {
        let object =
            self.client.get_object().bucket(&self.url.bucket).key(key).send().await.ok()?;
        let bytes = object.body.collect().await.ok()?.into_bytes();
        Some(String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).into_owned())
    }

    fn key(&self, relative: &Path) -> String {
        let prefix = self.url.prefix.trim_end_matches('/');
        let relative = relative.to_string_lossy();
        if prefix.is_empty() { relative.into_owned() } else { format!("{prefix}/{relative}") }
    }

    /// Uploads `files` (paths under `root`) to the same relative keys under the prefix.
    pub fn upload(&self, root: &Path, files: &[PathBuf]) -> Result<Vec<String>, UploadError> {
        let mut uris = Vec::new();
        for file in files {
            let key = self.key(file.strip_prefix(root).unwrap_or(file));
            let uri = self.url.uri(&key);
            let put_err =
                |reason: String| UploadError::Put { file: file.clone(), uri: uri.clone(), reason };
            let size = std::fs::metadata(file).map_err(|e| put_err(e.to_string()))?.len();
            let result = if size > MULTIPART_BYTES {
                self.runtime.block_on(self.put_multipart(file, &key))
            } else {
                self.runtime.block_on(self.put(file, &key))
            };
            result.map_err(put_err)?;
            uris.push(uri);
        }
        Ok(uris)
    }

    async fn put(&self, file: &Path, key: &str) -> Result<(), String> {
        let body = ByteStream::from_path(file).await.map_err(|e| e.to_string())?;
        let request = self.client.put_object().bucket(&self.url.bucket).key(key).body(body);
        request.send().await.map(|_| ()).map_err(|e| describe(&e))
    }

    async fn put_multipart(&self, file: &Path, key: &str) -> Result<(), String> {
        let bucket = &self.url.bucket;
        let created = self.client.create_multipart_upload().bucket(bucket).key(key).send().await;
        let upload_id =
            created.map_err(|e| describe(&e))?.upload_id().unwrap_or_default().to_string();
        let bytes = tokio::fs::read(file).await.map_err(|e| e.to_string())?;
        let mut parts = Vec::new();
        for (i, chunk) in bytes.chunks(PART_BYTES).enumerate() {
            let number = i32::try_from(i + 1).map_err(|e| e.to_string())?;
            let part = self
                .client
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .part_number(number)
                .body(ByteStream::from(chunk.to_vec()))
                .send()
                .await;
            match part {
                Ok(part) => parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(part.e_tag().map(str::to_string))
                        .build(),
                ),
                Err(e) => {
                    // Nothing half-uploaded stays behind to be billed or listed.
                    let abort = self
                        .client
                        .abort_multipart_upload()
                        .bucket(bucket)
                        .key(key)
                        .upload_id(&upload_id);
                    let _ = abort.send().await;
                    return Err(describe(&e));
                }
            }
        }
        let done = CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
        let complete =
            self.client.complete_multipart_upload().bucket(bucket).key(key).upload_id(&upload_id);
        complete.multipart_upload(done).send().await.map(|_| ()).map_err(|e| describe(&e))
    }

    /// Deletes the partitioned report objects of the runs `remove` names (orphans of a state,
    /// earlier attempts of a retried run); returns how many.
    pub fn remove_runs(&self, remove: impl Fn(&str) -> bool) -> Result<usize, UploadError> {
        self.runtime.block_on(async {
            let mut removed = 0;
            for dir in ["denials/", "summary/", "policy_changes/"] {
                let prefix = self.key(Path::new(dir));
                let clean_err =
                    |reason: String| UploadError::Clean { uri: self.url.uri(&prefix), reason };
                let mut pages = self
                    .client
                    .list_objects_v2()
                    .bucket(&self.url.bucket)
                    .prefix(&prefix)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|e| clean_err(describe(&e)))?;
                    for object in page.contents() {
                        let Some(key) = object.key() else { continue };
                        let name = key.rsplit('/').next().unwrap_or_default();
                        if run_id_of(name).is_some_and(&remove) {
                            let delete =
                                self.client.delete_object().bucket(&self.url.bucket).key(key);
                            delete.send().await.map_err(|e| clean_err(describe(&e)))?;
                            removed += 1;
                        }
                    }
                }
            }
            Ok(removed)
        })
    }
}

impl Drop for Destination {
    /// Releases the lock: the run is over, committed or not (an interrupted run's reports are
    /// orphans the next run removes). A lock that cannot be deleted is reported, and the next run
    /// says how to remove it.
    fn drop(&mut self) {
        let Some(key) = self.lock.take() else { return };
        let delete = self.client.delete_object().bucket(&self.url.bucket).key(&key).send();
        if let Err(e) = self.runtime.block_on(delete) {
            let uri = self.url.uri(&key);
            eprintln!(
                "whydenied: cannot remove the lock {uri}: {}",
                crate::report::escape::for_terminal(&describe(&e))
            );
        }
    }
}
