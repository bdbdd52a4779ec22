//! `--out s3://` in a build without the `aws` feature: refused with one line before anything is
//! scanned, so no [`Destination`] ever exists.

use std::path::{Path, PathBuf};

use crate::source::AwsOptions;
use crate::source::s3_layout::S3Url;

/// Why reports cannot be uploaded: this build cannot reach AWS at all.
#[derive(Debug, thiserror::Error)]
#[error(
    "--out s3://{0}: this build has no AWS support (it was built without the `aws` cargo feature)"
)]
pub struct UploadError(String);

/// No value exists: [`Destination::connect`] always refuses.
pub enum Destination {}

impl Destination {
    pub fn connect(url: S3Url, _: &AwsOptions) -> Result<Self, UploadError> {
        Err(UploadError(format!("{}/{}", url.bucket, url.prefix)))
    }

    pub fn lock(&mut self) -> Result<(), UploadError> {
        match *self {}
    }

    pub fn upload(&self, _: &Path, _: &[PathBuf]) -> Result<Vec<String>, UploadError> {
        match *self {}
    }

    pub fn remove_runs(&self, _: impl Fn(&str) -> bool) -> Result<usize, UploadError> {
        match *self {}
    }
}
