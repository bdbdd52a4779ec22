//! Files are written under a temporary name and renamed into place when complete, so that a
//! crash, a full disk or a signal never leaves a half-written report, page or state file under
//! its real name. The temporary name is `.<name>.partial-<pid>` beside the real one: hidden (a
//! directory walk never reads it as a log) and naming the process that writes it, so that a
//! later run can tell the leftovers of a killed process from a live one's files.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const MARK: &str = ".partial-";

/// The temporary name this process writes `path` under.
pub fn path_for(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}{MARK}{}", std::process::id()))
}

/// Writes `contents` to `path` atomically: a temporary file, flushed to disk, renamed over the
/// old one; the temporary file is removed when any step fails.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let temp = path_for(path);
    let written = File::create(&temp)
        .and_then(|mut file| file.write_all(contents).and_then(|()| file.sync_all()))
        .and_then(|()| fs::rename(&temp, path));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Whether `file_name` is a temporary name of a process that no longer runs on this machine:
/// a leftover of a killed writer, safe to remove.
pub fn is_stale(file_name: &str) -> bool {
    let pid = file_name.strip_prefix('.').and_then(|n| n.rsplit_once(MARK));
    pid.and_then(|(_, pid)| pid.parse::<libc::pid_t>().ok()).is_some_and(|pid| !is_running(pid))
}

/// Whether a process with this id runs on this machine (`kill(pid, 0)`; EPERM means it does).
fn is_running(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    pid > 0
        && (unsafe { libc::kill(pid, 0) } == 0
            || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_name_their_writer() {
        let temp = path_for(Path::new("out/summary.parquet"));
        let name = temp.file_name().and_then(|n| n.to_str()).expect("a name");
        assert_eq!(name, format!(".summary.parquet.partial-{}", std::process::id()));
        assert!(!is_stale(name), "this process runs");
        // A pid above the kernel's maximum (4194304) never runs.
        assert!(is_stale(".denials.parquet.partial-99999999"));
        assert!(!is_stale("denials.parquet") && !is_stale(".x.partial-abc"));
    }

    #[test]
    fn an_atomic_write_leaves_nothing_when_it_fails() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state.json");
        write_atomically(&path, b"one").expect("written");
        assert_eq!(fs::read(&path).expect("read"), b"one");
        // Renaming over a directory fails after the temporary file was written.
        let blocked = dir.path().join("blocked");
        fs::create_dir_all(blocked.join("inside")).expect("mkdir");
        assert!(write_atomically(&blocked, b"two").is_err());
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 2, "no temporary file left");
    }
}
