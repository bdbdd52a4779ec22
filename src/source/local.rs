//! Local inputs: files, directories (recursive, in sorted order, so runs are reproducible) and
//! `-` for standard input.
//!
//! Hidden entries (names starting with `.`, such as `.DS_Store` or a `.git` directory) are not
//! scanned, nor is the report directory (`whydenied scan .` must not read its own last reports),
//! and a symbolic link to a directory already being walked is not followed again, so
//! a link loop cannot make the walk endless.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read};
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
}

/// `skip_dir`: a directory never to descend into (the output directory).
pub fn discover(args: &[String], skip_dir: Option<&Path>) -> Result<Discovered, InputPathError> {
    let mut found = Discovered {
        objects: Vec::new(),
        problems: Vec::new(),
    };
    // Walking marks every directory it enters as visited: pre-marking one skips it.
    let mut visited: HashSet<PathBuf> = skip_dir
        .and_then(|d| fs::canonicalize(d).ok())
        .into_iter()
        .collect();
    for arg in args {
        if arg == "-" {
            found.objects.push(stdin_object());
            continue;
        }
        let path = Path::new(arg);
        let meta = fs::metadata(path).map_err(|source| InputPathError {
            path: arg.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(path, &mut visited, &mut found);
        } else {
            found.objects.push(file_object(path.to_path_buf(), &meta));
        }
    }
    Ok(found)
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
    // Size and modification time: what tells a rewritten file from the one already scanned.
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    LogObject {
        origin: Arc::from(path.to_string_lossy().as_ref()),
        size: Some(meta.len()),
        version: modified.map(|m| format!("{}-{}", meta.len(), m.as_nanos())),
        open: Box::new(move || Ok(Box::new(File::open(&path)?) as Box<dyn Read + Send>)),
    }
}

fn walk(dir: &Path, visited: &mut HashSet<PathBuf>, found: &mut Discovered) {
    let problem = |found: &mut Discovered, path: &Path, e: io::Error| {
        found.problems.push(Problem {
            origin: path.display().to_string(),
            what: format!("cannot read: {e}"),
        });
    };
    match fs::canonicalize(dir) {
        Ok(real) => {
            if !visited.insert(real) {
                return;
            }
        }
        Err(e) => return problem(found, dir, e),
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return problem(found, dir, e),
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) if !entry.file_name().to_string_lossy().starts_with('.') => {
                paths.push(entry.path())
            }
            Ok(_) => {}
            Err(e) => problem(found, dir, e),
        }
    }
    paths.sort();
    for path in paths {
        match fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, visited, found),
            Ok(meta) if meta.is_file() => found.objects.push(file_object(path, &meta)),
            Ok(_) => {} // sockets, fifos and devices inside a dump are not log files
            Err(e) => problem(found, &path, e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(found: &Discovered) -> Vec<String> {
        found.objects.iter().map(|o| o.origin.to_string()).collect()
    }

    #[test]
    fn walks_sorted_skips_hidden_and_output_and_survives_link_loops() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        fs::create_dir_all(root.join("b/inner")).expect("mkdir");
        fs::create_dir_all(root.join(".git")).expect("mkdir");
        for f in [
            "b/inner/2.json",
            "b/1.json.gz",
            "a.json",
            ".DS_Store",
            ".git/x",
        ] {
            fs::write(root.join(f), "{}").expect("write");
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(root, root.join("b/loop")).expect("symlink");
        let found =
            discover(&[root.display().to_string()], Some(&root.join("b/inner"))).expect("exists");
        let rel: Vec<String> = origins(&found)
            .iter()
            .map(|o| {
                o.strip_prefix(&format!("{}/", root.display()))
                    .unwrap_or(o)
                    .to_string()
            })
            .collect();
        assert_eq!(rel, ["a.json", "b/1.json.gz"]);
        assert!(found.problems.is_empty());
    }

    #[test]
    fn a_missing_argument_is_an_error_naming_it() {
        let Err(err) = discover(&["/no/such/dump".to_string()], None) else {
            panic!("must fail")
        };
        assert!(
            err.to_string()
                .starts_with("cannot read input /no/such/dump"),
            "{err}"
        );
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
        (object.open)()
            .expect("opens")
            .read_to_string(&mut text)
            .expect("reads");
        assert_eq!(text, "{\"eventName\":\"x\"}");
    }
}
