//! Remote inputs in a build without the `aws` feature: every `s3://`, `cwlogs://` or
//! `cloudtrail://` input is refused with one line saying why, before anything is read.

use std::sync::Arc;

use super::{Finished, LogObject, Selection, SourceOptions};

/// Why a remote input cannot be read: this build cannot reach AWS at all.
#[derive(Debug, thiserror::Error)]
#[error("{0}: this build has no AWS support (it was built without the `aws` cargo feature)")]
pub struct RemoteError(String);

/// No value exists: [`Remote::start`] always refuses.
pub enum Remote {}

impl Remote {
    pub fn start(
        inputs: &[&String],
        _options: &SourceOptions,
        _selection: Arc<dyn Selection>,
        _queue: usize,
    ) -> Result<Self, RemoteError> {
        Err(RemoteError(inputs.first().map_or_else(String::new, |i| i.to_string())))
    }

    pub fn objects(&mut self, _: Arc<dyn Selection>) -> Box<dyn Iterator<Item = LogObject> + Send> {
        match *self {}
    }

    pub fn finish(self, _: &mut Finished) -> Result<(), RemoteError> {
        match self {}
    }
}
