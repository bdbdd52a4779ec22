//! One run at a time per output directory and per state file.
//!
//! Two runs on the same `--out` (a cron job that overran into the next, a retried batch job)
//! would both commit their reports, and `report` would count every denial twice; two runs on one
//! state file would each record what the other read. Each run therefore holds an exclusive
//! `flock(2)` on the output directory itself (no file is created in it; shards, which share a
//! directory by design, skip this one) and on `<state>.lock` for its whole length. The kernel releases a lock when the process ends, however it ends, so a
//! killed run never leaves a stale lock behind. A second run does not wait: it exits 1 naming
//! what is locked.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot lock {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "another whydenied run is using {path}: wait for it to finish, or give this run another --out/--state"
    )]
    Busy { path: PathBuf },
}

/// The lock file of a `--state` file: `state.json` → `state.json.lock`, next to it. (The state
/// file itself is replaced by a rename on every save, so a lock on it would not last.)
pub fn state_lock_path(state: &Path) -> PathBuf {
    let mut name = state.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".lock");
    state.with_file_name(name)
}

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Locks the directory `dir`, which must exist.
    pub fn directory(dir: &Path) -> Result<Self, LockError> {
        Self::hold(dir, File::open(dir))
    }

    /// Locks the file at `path`, created empty if missing (and then left in place: removing a
    /// lock file races with a run that has just opened it).
    pub fn file(path: &Path) -> Result<Self, LockError> {
        Self::hold(path, OpenOptions::new().write(true).create(true).truncate(false).open(path))
    }

    fn hold(path: &Path, opened: io::Result<File>) -> Result<Self, LockError> {
        let io_err = |source| LockError::Io { path: path.to_path_buf(), source };
        let file = opened.map_err(io_err)?;
        // SAFETY: flock on a descriptor this function owns; no memory is passed.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(RunLock { _file: file });
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
            Err(LockError::Busy { path: path.to_path_buf() })
        } else {
            Err(io_err(error))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("temp dir");
        // flock locks belong to the open file description: a second open conflicts even in
        // the same process, as a second process would.
        let first = RunLock::directory(dir.path()).expect("free");
        let busy = RunLock::directory(dir.path()).expect_err("held");
        assert!(busy.to_string().contains("another whydenied run is using"), "{busy}");
        drop(first);
        RunLock::directory(dir.path()).expect("free again");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0, "nothing created");

        let state_lock = dir.path().join("state.json.lock");
        let held = RunLock::file(&state_lock).expect("free");
        assert!(matches!(RunLock::file(&state_lock), Err(LockError::Busy { .. })));
        drop(held);
        RunLock::file(&state_lock).expect("free again");
    }
}
