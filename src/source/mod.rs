//! Where log bytes come from. A source yields [`LogObject`]s — a file, standard input, later an
//! S3 object or a page of CloudWatch Logs events — each with an `origin` used in error messages
//! and in the `origin` column of every denial it produced. Sources know nothing about JSON or
//! denials.

pub mod local;

use std::io::{self, Read};
use std::sync::Arc;

/// Opens an object's bytes when a worker is ready for them (not before: a dump may hold
/// thousands of files, and only as many are open as there are workers).
pub type Opener = Box<dyn FnOnce() -> io::Result<Box<dyn Read + Send>> + Send>;

/// One unit of input.
pub struct LogObject {
    /// A path, `-`, or a URI: shown in errors, stored with every denial.
    pub origin: Arc<str>,
    /// Stored size in bytes, when known in advance (for progress).
    pub size: Option<u64>,
    pub open: Opener,
}
