//! Where a fetch writes: a hidden directory inside `--out` (`.fetch-<pid>`, which the loader
//! and the scan's walker skip like every hidden entry), moved into place only once the fetch
//! is complete, with `SNAPSHOT.json` written last. A killed fetch so leaves no account
//! directory half-written and no `SNAPSHOT.json` claiming a capture that did not finish.
//!
//! `--out` may be new, empty, or an earlier snapshot: the recipe's way of taking several
//! accounts is one run per account into the same directory, and so is the fetcher's. This
//! account's directory is replaced; the organization tree only by one that this fetch could
//! list (a member account's refused listing must not overwrite the management account's tree).

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::FetchError;
use crate::snapshot::SNAPSHOT_FILE;

const PREFIX: &str = ".fetch-";

pub(super) struct Staging {
    out: PathBuf,
    dir: PathBuf,
}

/// What `SNAPSHOT.json` says about the fetch.
pub(super) struct Marker<'a> {
    pub captured_at: DateTime<Utc>,
    pub account: &'a str,
    pub partition: &'a str,
}

/// What the commit did with the organization tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganizationPlaced {
    /// This fetch's tree is the snapshot's.
    Written,
    /// This fetch could not list the organization; the earlier fetch's tree stays.
    KeptEarlier,
    /// Not fetched (`--no-org`).
    NotFetched,
}

impl Staging {
    /// Checks `out` and creates the staging directory in it.
    pub fn prepare(out: &Path) -> Result<Staging, FetchError> {
        let failed = |what: &str, e: std::io::Error| {
            FetchError::Out(format!("cannot {what} {}: {e}", out.display()))
        };
        std::fs::create_dir_all(out).map_err(|e| failed("create", e))?;
        let entries = std::fs::read_dir(out).map_err(|e| failed("read", e))?;
        let mut names: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with(PREFIX))
            .collect();
        names.sort();
        if let Some(first) = names.first()
            && !is_snapshot(out)
        {
            return Err(FetchError::Out(format!(
                "{} is neither empty nor a policy snapshot (it holds {first:?}): give a new or empty directory, or an earlier snapshot to add this account to",
                out.display()
            )));
        }
        let dir = out.join(format!("{PREFIX}{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| failed("clean", e))?;
        }
        std::fs::create_dir(&dir).map_err(|e| failed("write into", e))?;
        Ok(Staging { out: out.to_path_buf(), dir })
    }

    pub fn root(&self) -> &Path {
        &self.dir
    }

    /// Moves the account's directory and the organization tree into place, then writes
    /// `SNAPSHOT.json`; a second signal waits until this is done.
    pub fn commit(
        &self,
        marker: &Marker<'_>,
        organization: bool,
    ) -> Result<OrganizationPlaced, FetchError> {
        crate::interrupt::while_committing(|| {
            let account = format!("accounts/{}", marker.account);
            if self.dir.join(&account).is_dir() {
                self.place(&account)?;
            }
            let tree = self.dir.join("organization");
            let placed = if !organization {
                OrganizationPlaced::NotFetched
            } else if tree.join("list-roots.json").is_file()
                || !self.out.join("organization").exists()
            {
                if tree.is_dir() {
                    self.place("organization")?;
                }
                OrganizationPlaced::Written
            } else {
                OrganizationPlaced::KeptEarlier
            };
            self.write_marker(marker)?;
            Ok(placed)
        })
    }

    /// Replaces `out/<relative>` with the staged one: the old one is moved aside into the
    /// staging directory (removed with it), then the new one renamed in.
    fn place(&self, relative: &str) -> Result<(), FetchError> {
        let (staged, target) = (self.dir.join(relative), self.out.join(relative));
        let failed = |e: std::io::Error| {
            FetchError::Write(format!("cannot move {} into place: {e}", target.display()))
        };
        if target.exists() {
            std::fs::rename(&target, self.dir.join("replaced")).map_err(failed)?;
            let _ = std::fs::remove_dir_all(self.dir.join("replaced"));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(failed)?;
        }
        std::fs::rename(&staged, &target).map_err(failed)
    }

    /// `SNAPSHOT.json`, through a temporary file. Added to an earlier snapshot, the capture
    /// time stays the earlier one: the snapshot is no newer than its oldest part.
    fn write_marker(&self, marker: &Marker<'_>) -> Result<(), FetchError> {
        let path = self.out.join(SNAPSHOT_FILE);
        let earlier = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .and_then(|v| {
                Some(
                    DateTime::parse_from_rfc3339(v.get("captured_at")?.as_str()?)
                        .ok()?
                        .with_timezone(&Utc),
                )
            });
        let captured_at = earlier.map_or(marker.captured_at, |e| e.min(marker.captured_at));
        let content = json!({
            "captured_at": captured_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            "account": marker.account,
            "partition": marker.partition,
            "tool": concat!("whydenied ", env!("CARGO_PKG_VERSION")),
        });
        let temporary = self.dir.join(SNAPSHOT_FILE);
        let text = format!("{content:#}\n");
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|e| FetchError::Write(format!("cannot write {}: {e}", path.display())))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A directory the loader would read as a snapshot (`Snapshot::load`'s test).
fn is_snapshot(dir: &Path) -> bool {
    dir.join(SNAPSHOT_FILE).is_file()
        || dir.join("accounts").is_dir()
        || dir.join("organization").is_dir()
}
