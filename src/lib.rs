//! whydenied: who was denied what, on which bucket, how often, and which policy did it —
//! from AWS CloudTrail logs, in bulk.
//!
//! The data flows one way, one module per stage:
//!
//! ```text
//! source     local files, directories, stdin            (source::local)
//!            s3:// and cwlogs:// with the `aws` feature (source::remote)
//!   -> decode   gzip sniffed by magic bytes, streamed   (decode)
//!               Parquet: Security Lake's OCSF rows, rebuilt as CloudTrail records (decode::ocsf)
//!   -> split    one record's bytes at a time            (decode::split, decode::structural)
//!   -> prefilter  only records with "errorCode" go on   (decode::prefilter, record)
//!   -> parse    simd-json, borrowed, into a plain Event  (record, event::json)
//!   -> classify  failure? who, what, where, which policy (classify, reads only event::Event)
//!   -> aggregate  principal x action x bucket, merged   (aggregate)
//!   -> judge    with --policies: each denial against the policies as of its time
//!               (verdict: snapshot + trail replay -> policy engine)
//!   -> report   Parquet, table/json/csv/markdown, HTML, footer; every column declared once
//!               (report::schema)
//! ```
//!
//! [`pipeline::scan`] wires the stages; the binary only parses arguments and maps the outcome to
//! an exit code. [`frames`] runs the same stages over Arrow batches, for the Python wheel
//! (`python/`) that Spark, Glue, Ray and Dask call.

pub mod aggregate;
pub mod changes;
pub mod classify;
pub mod decode;
pub mod event;
#[cfg(feature = "fetch")]
pub mod fetch;
pub mod frames;
pub mod interrupt;
pub mod lock;
pub mod partial;
pub mod pipeline;
pub mod policy;
pub mod record;
pub mod redact;
pub mod report;
pub mod snapshot;
pub mod source;
pub mod state;
pub mod stats;
pub mod suppress;
pub mod verdict;
pub mod window;
