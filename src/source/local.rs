//! Local inputs: files, directories (recursive, in sorted order, so runs are reproducible) and
//! `-` for standard input.
//!
//! Hidden entries (names starting with `.`, such as `.DS_Store` or a `.git` directory) are not
//! scanned, nor is the report directory (`whydenied scan .` must not read its own last reports:
//! any other file found in it is reported as not scanned), and a symbolic link to a directory
//! already being walked is not followed again, so a link loop cannot make the walk endless.
//!
//! A policy snapshot (`--policies DIR`, see [`crate::snapshot`]) found inside the input is not
//! log input: it is left out whole and named, once, in the footer.
//!
//! A file is read once however often it is named (twice, as a directory and a file in it,
//! through a symbolic or hard link): files are told apart by device and inode, and the names
//! after the first are counted as duplicates.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::LogObject;
use crate::stats::Problem;

/// A command-line path that does not exist or cannot be examined: a usage error.
#[derive(Debug, thiserror::Error)]
#[error("cannot read input {path}: {source}")]
pub struct InputPathError {
    pub path: String,
    pub source: io::Error,
}

/// The inputs named on the command line, expanded; and problems met while walking directories.
#[derive(Default)]
pub struct Discovered {
    pub objects: Vec<LogObject>,
    pub problems: Vec<Problem>,
    /// Names of a file (or of stdin) already taken: not read again.
    pub duplicates: u64,
    /// Policy snapshot directories met in the walk: not read.
    pub snapshots: Vec<PathBuf>,
}

/// The report directory of a run: never walked as input.
pub struct OutputDir<'a> {
    pub path: &'a Path,
    /// Files the run keeps there besides Parquet reports and HTML pages (the `--state` file,
    /// the `--html` report): not reported as skipped.
    pub own_files: &'a [PathBuf],
}

/// Expands `args`; `output`: the directory never to descend into.
pub fn discover(
    args: &[String],
    output: Option<&OutputDir<'_>>,
) -> Result<Discovered, InputPathError> {
    let mut walker = Walker {
        output: output.and_then(|o| {
            let own = o.own_files.iter().filter_map(|f| fs::canonicalize(f).ok());
            Some((fs::canonicalize(o.path).ok()?, own.collect()))
        }),
        in_output: Vec::new(),
        files: HashSet::new(),
        stdin: false,
        found: Discovered::default(),
    };
    for arg in args {
        if arg == "-" {
            if std::mem::replace(&mut walker.stdin, true) {
                walker.found.duplicates += 1;
            } else {
                walker.found.objects.push(stdin_object());
            }
            continue;
        }
        let path = Path::new(arg);
        let meta =
            fs::metadata(path).map_err(|source| InputPathError { path: arg.clone(), source })?;
        if meta.is_dir() {
            // Per argument: a directory named again is walked again, so that its files are
            // counted as duplicates rather than left out without a word.
            walker.walk(path, &mut HashSet::new());
        } else {
            walker.file(path.to_path_buf(), &meta);
        }
    }
    Ok(walker.finish())
}

/// Device and inode: what tells one file from another, whatever its name.
type FileId = (u64, u64);

fn file_id(meta: &fs::Metadata) -> FileId {
    (meta.dev(), meta.ino())
}

struct Walker {
    /// The output directory and the run's own files in it, resolved.
    output: Option<(PathBuf, Vec<PathBuf>)>,
    /// Files found inside the output directory: not scanned.
    in_output: Vec<(PathBuf, FileId)>,
    /// Every file taken so far.
    files: HashSet<FileId>,
    stdin: bool,
    found: Discovered,
}

impl Walker {
    fn file(&mut self, path: PathBuf, meta: &fs::Metadata) {
        if self.files.insert(file_id(meta)) {
            self.found.objects.push(file_object(path, meta));
        } else {
            self.found.duplicates += 1;
        }
    }

    fn problem(&mut self, path: &Path, e: io::Error) {
        self.found.problems.push(Problem {
            origin: path.display().to_string(),
            what: format!("cannot read: {e}"),
        });
    }

    /// `dir` in sorted order; `visited`: the directories this walk entered.
    fn walk(&mut self, dir: &Path, visited: &mut HashSet<PathBuf>) {
        let real = match fs::canonicalize(dir) {
            Ok(real) => real,
            Err(e) => return self.problem(dir, e),
        };
        if !visited.insert(real.clone()) {
            return;
        }
        if self.output.as_ref().is_some_and(|(out, _)| *out == real) {
            return self.note_output_files(dir, visited);
        }
        let entries = self.entries(dir);
        if might_be_snapshot(&entries) && crate::snapshot::is_snapshot_dir(dir) {
            return self.found.snapshots.push(dir.to_path_buf());
        }
        for (path, meta) in entries {
            if meta.is_dir() {
                self.walk(&path, visited);
            } else if meta.is_file() {
                self.file(path, &meta);
            } // sockets, fifos and devices inside a dump are not log files
        }
    }

    /// The entries of `dir` that are not hidden, sorted, with their metadata (links followed).
    fn entries(&mut self, dir: &Path) -> Vec<(PathBuf, fs::Metadata)> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.problem(dir, e);
                return Vec::new();
            }
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) if !entry.file_name().to_string_lossy().starts_with('.') => {
                    paths.push(entry.path())
                }
                Ok(_) => {}
                Err(e) => self.problem(dir, e),
            }
        }
        paths.sort();
        let mut found = Vec::new();
        for path in paths {
            match fs::metadata(&path) {
                Ok(meta) => found.push((path, meta)),
                Err(e) => self.problem(&path, e),
            }
        }
        found
    }

    /// Files inside the output directory other than its reports and the run's own files: not
    /// scanned, and said so once the walk is done (unless they were named elsewhere).
    fn note_output_files(&mut self, dir: &Path, visited: &mut HashSet<PathBuf>) {
        for (path, meta) in self.entries(dir) {
            if meta.is_dir() {
                if fs::canonicalize(&path).is_ok_and(|real| visited.insert(real)) {
                    self.note_output_files(&path, visited);
                }
            } else if meta.is_file() {
                // Reports and HTML pages (of this run or earlier ones) are what whydenied
                // writes there; neither is a log.
                let report = (path.extension()).is_some_and(|e| e == "parquet" || e == "html");
                let own = self.output.as_ref().is_some_and(|(_, own)| {
                    fs::canonicalize(&path).is_ok_and(|real| own.contains(&real))
                });
                if !report && !own {
                    self.in_output.push((path, file_id(&meta)));
                }
            }
        }
    }

    fn finish(mut self) -> Discovered {
        let mut reported = HashSet::new();
        for (path, id) in std::mem::take(&mut self.in_output) {
            if !self.files.contains(&id) && reported.insert(id) {
                self.found.problems.push(Problem {
                    origin: path.display().to_string(),
                    what: "not scanned: it lies inside the output directory (--out), which is never scanned; move it or choose another --out".into(),
                });
            }
        }
        self.found
    }
}

/// Whether a directory has either of the entries that mark a policy snapshot: a look at the
/// names already listed, so a log directory costs no extra file system call.
fn might_be_snapshot(entries: &[(PathBuf, fs::Metadata)]) -> bool {
    entries.iter().any(|(path, meta)| match path.file_name().and_then(|n| n.to_str()) {
        Some(crate::snapshot::SNAPSHOT_FILE) => meta.is_file(),
        Some("accounts") => meta.is_dir(),
        _ => false,
    })
}

fn stdin_object() -> LogObject {
    LogObject {
        origin: Arc::from("-"),
        size: None,
        version: None,
        open: Box::new(|| Ok(Box::new(io::stdin()) as Box<dyn Read + Send>)),
    }
}

fn file_object(path: PathBuf, meta: &fs::Metadata) -> LogObject {
    let listed = (meta.len(), version_of(meta));
    LogObject {
        origin: Arc::from(path.to_string_lossy().as_ref()),
        size: Some(meta.len()),
        version: listed.1.clone(),
        open: Box::new(move || {
            let file = File::open(&path)?;
            Ok(Box::new(AsListed { file: file.take(listed.0), listed, checked: false })
                as Box<dyn Read + Send>)
        }),
    }
}

/// Size and modification time: what tells a rewritten file from the one already scanned.
fn version_of(meta: &fs::Metadata) -> Option<String> {
    let modified =
        meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())?;
    Some(format!("{}-{}", meta.len(), modified.as_nanos()))
}

/// A file read as it was listed: no further than its listed size, and checked at the end for
/// a change meanwhile (a dump still being copied, a log still being appended to), which ends
/// the read with [`ChangedWhileRead`]. So the records read are those of the listed version, and
/// the run says that the file was not read to its end.
struct AsListed {
    file: io::Take<File>,
    /// Size and version when listed.
    listed: (u64, Option<String>),
    checked: bool,
}

impl Read for AsListed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if n == 0 && !buf.is_empty() && !self.checked {
            self.checked = true;
            let now = self.file.get_ref().metadata()?;
            let now_version = version_of(&now);
            if now_version != self.listed.1 {
                return Err(io::Error::other(ChangedWhileRead {
                    listed_len: self.listed.0,
                    now_len: now.len(),
                    now_version,
                }));
            }
        }
        Ok(n)
    }
}

/// The read error of a file that changed while it was read.
#[derive(Debug, thiserror::Error)]
#[error(
    "the file changed while it was read ({listed_len} bytes when listed, {now_len} now): read up to its listed size"
)]
pub struct ChangedWhileRead {
    pub listed_len: u64,
    pub now_len: u64,
    /// The version the file has now.
    pub now_version: Option<String>,
}

impl ChangedWhileRead {
    /// The change behind a read error, if that is what it was.
    pub fn behind(error: &io::Error) -> Option<&Self> {
        error.get_ref()?.downcast_ref()
    }

    /// The version from which a later run can read on, skipping the records read: only when
    /// the file grew. A file that shrank was rewritten, and is read again whole.
    pub fn resumable_version(&self) -> Option<&str> {
        (self.now_len >= self.listed_len).then_some(self.now_version.as_deref()).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(found: &Discovered) -> Vec<String> {
        found.objects.iter().map(|o| o.origin.to_string()).collect()
    }

    /// Reads an object to its end: the bytes, and the error that ended the read, if any.
    fn read_all(object: LogObject) -> (Vec<u8>, Option<io::Error>) {
        let mut reader = (object.open)().expect("opens");
        let mut bytes = Vec::new();
        let mut chunk = [0; 7];
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => return (bytes, None),
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                Err(e) => return (bytes, Some(e)),
            }
        }
    }

    #[test]
    fn a_file_that_changes_while_read_is_read_as_listed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("growing.json");
        let listed = b"{\"Records\":[{\"eventID\":\"1\"}]}\n";
        let discover_one = || {
            let found = discover(&[path.display().to_string()], None).expect("found");
            found.objects.into_iter().next().expect("one object")
        };

        fs::write(&path, listed).expect("write");
        let (bytes, error) = read_all(discover_one());
        assert_eq!((bytes.as_slice(), error.is_none()), (&listed[..], true));

        // Appended to after it was listed: the listed bytes, then the change.
        let object = discover_one();
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| io::Write::write_all(&mut f, b"{\"eventID\":\"2\"}\n"))
            .expect("append");
        let now = version_of(&fs::metadata(&path).expect("stat"));
        let (bytes, error) = read_all(object);
        assert_eq!(bytes, listed);
        let error = error.expect("the change ends the read");
        let change = ChangedWhileRead::behind(&error).expect("a ChangedWhileRead");
        assert_eq!((change.listed_len, change.now_len), (30, 46));
        assert_eq!(change.resumable_version(), now.as_deref(), "it grew");
        assert!(error.to_string().contains("30 bytes when listed, 46 now"));

        // Cut short after it was listed: what is there, then the change, not resumable.
        let object = discover_one();
        fs::write(&path, &listed[..10]).expect("rewrite");
        let (bytes, error) = read_all(object);
        assert_eq!(bytes, &listed[..10]);
        let error = error.expect("the change ends the read");
        let change = ChangedWhileRead::behind(&error).expect("a ChangedWhileRead");
        assert_eq!(change.resumable_version(), None, "it shrank");
    }

    #[test]
    fn walks_sorted_skips_hidden_and_output_and_survives_link_loops() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        fs::create_dir_all(root.join("b/inner")).expect("mkdir");
        fs::create_dir_all(root.join(".git")).expect("mkdir");
        for f in ["b/inner/2.json", "b/1.json.gz", "a.json", ".DS_Store", ".git/x"] {
            fs::write(root.join(f), "{}").expect("write");
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(root, root.join("b/loop")).expect("symlink");
        let output = OutputDir { path: &root.join("b/inner"), own_files: &[] };
        let found = discover(&[root.display().to_string()], Some(&output)).expect("exists");
        let relative =
            |o: &str| o.strip_prefix(&format!("{}/", root.display())).unwrap_or(o).to_string();
        let rel: Vec<String> = origins(&found).iter().map(|o| relative(o)).collect();
        assert_eq!(rel, ["a.json", "b/1.json.gz"]);
        let problems: Vec<String> = (found.problems.iter()).map(|p| relative(&p.origin)).collect();
        assert_eq!(problems, ["b/inner/2.json"], "not scanned, and said so");
    }

    #[test]
    fn files_inside_the_output_directory_are_reported_unless_reports_or_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let out = root.join("out");
        fs::create_dir_all(out.join("denials/date=2026-11-02")).expect("mkdir");
        for f in [
            "log.json",
            "out/denials.parquet",
            "out/denials/date=2026-11-02/denials-1.parquet",
            "out/last-week.html",
            "out/state.json",
            "out/.summary.parquet.partial-1",
            "out/kept.json.gz",
            "out/named.json",
        ] {
            fs::write(root.join(f), "{}").expect("write");
        }
        let own = [out.join("state.json")];
        let output = OutputDir { path: &out, own_files: &own };
        let args = [root.display().to_string(), out.join("named.json").display().to_string()];
        let found = discover(&args, Some(&output)).expect("exists");
        assert_eq!(found.objects.len(), 2, "log.json and the named file");
        let problems: Vec<(&str, &str)> =
            (found.problems.iter()).map(|p| (p.origin.as_str(), p.what.as_str())).collect();
        let kept = out.join("kept.json.gz").display().to_string();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, kept);
        assert!(problems[0].1.starts_with("not scanned: it lies inside the output directory"));
    }

    #[test]
    fn a_file_named_again_is_taken_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        fs::create_dir_all(root.join("logs/sub")).expect("mkdir");
        fs::write(root.join("logs/a.json"), "{}").expect("write");
        fs::write(root.join("logs/sub/b.json"), "{}").expect("write");
        std::os::unix::fs::symlink(root.join("logs/a.json"), root.join("link")).expect("symlink");
        fs::hard_link(root.join("logs/sub/b.json"), root.join("hard")).expect("hard link");
        let arg = |rel: &str| root.join(rel).display().to_string();
        let args = [
            arg("logs"),
            arg("logs/a.json"),
            arg("logs/sub"),
            arg("link"),
            arg("hard"),
            arg("logs"),
            "-".into(),
            "-".into(),
        ];
        let found = discover(&args, None).expect("exists");
        let taken = [arg("logs/a.json"), arg("logs/sub/b.json"), "-".into()];
        assert_eq!(origins(&found), taken, "each once, by its first name");
        assert_eq!(found.duplicates, 7);
    }

    #[test]
    fn a_missing_argument_is_an_error_naming_it() {
        let Err(err) = discover(&["/no/such/dump".to_string()], None) else { panic!("must fail") };
        assert!(err.to_string().starts_with("cannot read input /no/such/dump"), "{err}");
    }

    #[test]
    fn files_open_lazily_and_stdin_is_dash() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("one.json");
        fs::write(&file, "{\"eventName\":\"x\"}").expect("write");
        let found = discover(&[file.display().to_string(), "-".into()], None).expect("exists");
        assert_eq!(origins(&found)[1], "-");
        let mut text = String::new();
        let object = found.objects.into_iter().next().expect("one file");
        assert_eq!(object.size, Some(17));
        (object.open)().expect("opens").read_to_string(&mut text).expect("reads");
        assert_eq!(text, "{\"eventName\":\"x\"}");
    }
}
