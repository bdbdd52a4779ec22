//! The checkpoint of incremental runs (`--state FILE`), and the selection it implies.
//!
//! It records which object versions were scanned (a file's size and modification time, an S3
//! object's ETag), how far each CloudWatch Logs group was read, and which runs committed their
//! reports. A run reads only what is new, writes its reports (partitioned, named after the run),
//! commits them, and only then writes the state, atomically. A run killed at any point therefore
//! leaves either nothing or reports not yet covered by the state; the next run deletes such
//! orphan reports (runs of its shard not in `runs`) and scans their objects again, so every
//! denial ends up in the reports exactly once.
//!
//! An object read to the end is recorded even when parts of its content were unusable (those
//! were reported; reading the same bytes again would only repeat them). An object whose reading
//! failed part-way, a download cut off or a truncated gzip stream, is recorded with the number of
//! records read: the next run reads that version again, skips those records and goes on, so a
//! transient failure is completed without counting anything twice.
//!
//! A state file belongs to one set of inputs and one shard: using it with others would skip
//! objects it never saw, so that is an error, as is a file written by an incompatible version.
//!
//! A state has an id, written into the run ids of its reports: several state files may share an
//! output directory (two trails, a backfill and a nightly run), and a run only ever treats the
//! uncommitted runs of its own state and shard as orphans.
//!
//! A state also records the narrowest selection any of its runs used (time window, which
//! failures were kept): an object read under a narrow selection is marked scanned although the
//! records outside it were left out, so a run that widens the selection would never see them.
//! Such a run is refused with a message that says what to do.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::source::{Selection, Wanted};

mod selection;
pub use selection::{RecordedSelection, canonical_input};

/// The key of an API input in [`State::log_groups`].
fn api_key(input: &str) -> &str {
    input.strip_prefix("cwlogs://").unwrap_or(input)
}

/// Bumped whenever the meaning of a field changes.
pub const STATE_VERSION: u32 = 1;

/// The checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub version: u32,
    /// The inputs this state is for, sorted.
    pub inputs: Vec<String>,
    /// `i/N` when written by a shard.
    pub shard: Option<String>,
    /// Runs whose reports are committed and covered by this state.
    pub runs: Vec<String>,
    /// Origin → version of every object scanned completely.
    pub objects: BTreeMap<String, String>,
    /// API input → milliseconds up to which (exclusive) it was read: a log group by its name
    /// (`cwlogs://` left off, as before other API sources existed), any other API input as
    /// written (`cloudtrail://us-east-1`); see [`State::api_read_up_to`].
    pub log_groups: BTreeMap<String, i64>,
    /// Origin → how far an object was read when reading it failed part-way (a connection
    /// lost mid-download, a truncated gzip stream). Absent from files written before it existed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub partial: BTreeMap<String, Partial>,
    /// Names this state in the run ids of its reports. Absent from files written before it
    /// existed: their runs have no state tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The narrowest selection of every run so far; `None` in files written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<RecordedSelection>,
    /// The `--out` its runs wrote to (a canonical path or an `s3://` URL): the reports of the
    /// objects it marks scanned are there, and a run into another directory would find nothing
    /// new and report nothing. `None` in files written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out: Option<String>,
}

/// An object read part-way: its records before the failure are in committed reports, so a
/// rerun of the same version skips that many records and reads on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partial {
    pub version: String,
    /// Records handed to the classifier, counted the way the splitter finds them: the same
    /// bytes always split into the same records, however they arrive.
    pub records: u64,
}

/// How far a run read one object, as the state records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectRead {
    /// Read to the end (problems in its content, if any, were reported: reading the same
    /// version again would only repeat them).
    Complete { origin: String, version: String },
    /// Reading failed after `records` records.
    Partial { origin: String, version: String, records: u64 },
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the state file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "the state file {path} is not a whydenied state ({reason}); move it away to start afresh"
    )]
    Invalid { path: PathBuf, reason: String },
    #[error(
        "the state file {path} is version {found}, this whydenied writes version {STATE_VERSION}; move it away to start afresh"
    )]
    Version { path: PathBuf, found: u32 },
    #[error(
        "the state file {path} belongs to inputs {theirs:?}{their_shard}, not {ours:?}{our_shard}: use one state file per source"
    )]
    OtherSource {
        path: PathBuf,
        theirs: Vec<String>,
        their_shard: String,
        ours: Vec<String>,
        our_shard: String,
    },
    #[error("cannot write the state file {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error(
        "the state file {path} belongs to --out {theirs}, not {ours}: the reports of what it marks scanned are there, so this run would report nothing it already read. Use --out {theirs}, or a new state file for a new output directory"
    )]
    OtherOut { path: PathBuf, theirs: String, ours: String },
    #[error(
        "the state file {path} was written by runs that kept less ({reason}): the objects they read are marked scanned, so what they left out would never be read. Use a new state file and a new --out for the wider selection, or keep the earlier one"
    )]
    Widened { path: PathBuf, reason: String },
}

impl State {
    /// The state at `path`, or a fresh one when the file does not exist yet.
    /// `selection` is this run's: refused when it keeps more than an earlier run did, recorded
    /// as the narrowest so far otherwise.
    /// `out`: where this run writes its reports; refused when the state's runs wrote elsewhere.
    /// Local inputs are compared by their canonical path ([`canonical_input`]); a state
    /// written before that, with the paths as typed, is carried over when they resolve to the
    /// same inputs.
    pub fn load(
        path: &Path,
        inputs: &[String],
        shard: Option<&str>,
        selection: &RecordedSelection,
        out: &str,
    ) -> Result<Self, StateError> {
        let mut ours: Vec<String> = inputs.iter().map(|i| canonical_input(i)).collect();
        ours.sort();
        ours.dedup();
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Written at once, so that its id outlives a first run that fails after
                // committing reports: the next run must recognise them as its orphans.
                let state = State {
                    version: STATE_VERSION,
                    inputs: ours,
                    shard: shard.map(str::to_string),
                    id: Some(new_state_id(path)),
                    selection: Some(selection.clone()),
                    out: Some(out.to_string()),
                    ..State::default()
                };
                state.save(path)?;
                return Ok(state);
            }
            Err(source) => {
                return Err(StateError::Read { path: path.to_path_buf(), source });
            }
        };
        let version = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
        match version {
            Some(v) if v == u64::from(STATE_VERSION) => {}
            Some(found) => {
                let found = u32::try_from(found).unwrap_or(u32::MAX);
                return Err(StateError::Version { path: path.to_path_buf(), found });
            }
            None => {
                return Err(StateError::Invalid {
                    path: path.to_path_buf(),
                    reason: "no version".into(),
                });
            }
        }
        let mut state: State = serde_json::from_str(&text)
            .map_err(|e| StateError::Invalid { path: path.to_path_buf(), reason: e.to_string() })?;
        if let Some(reason) =
            state.selection.as_ref().and_then(|narrowest| selection.widens(narrowest))
        {
            return Err(StateError::Widened { path: path.to_path_buf(), reason });
        }
        state.selection =
            Some(state.selection.as_ref().map_or(selection.clone(), |s| s.narrowed(selection)));
        if state.inputs != ours {
            state.canonicalise_inputs();
        }
        match &state.out {
            Some(theirs) if theirs != out => {
                return Err(StateError::OtherOut {
                    path: path.to_path_buf(),
                    theirs: theirs.clone(),
                    ours: out.to_string(),
                });
            }
            _ => state.out = Some(out.to_string()),
        }
        if state.inputs != ours || state.shard.as_deref() != shard {
            let show = |s: Option<&str>| s.map(|s| format!(" (shard {s})")).unwrap_or_default();
            return Err(StateError::OtherSource {
                path: path.to_path_buf(),
                theirs: state.inputs,
                their_shard: show(state.shard.as_deref()),
                ours,
                our_shard: show(shard),
            });
        }
        Ok(state)
    }

    /// Writes the state atomically: a temporary file, flushed to disk, renamed over the old one.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let err = |source| StateError::Write { path: path.to_path_buf(), source };
        let text = serde_json::to_vec_pretty(self).map_err(|e| err(io::Error::other(e)))?;
        crate::partial::write_atomically(path, &text).map_err(err)?;
        Ok(())
    }

    /// Names the inputs and the local objects of a state written with paths as typed by their
    /// canonical paths, as runs now name them: `logs` then and `./logs/` now are one source,
    /// and its files are not read again.
    fn canonicalise_inputs(&mut self) {
        fn rename<V>(map: &mut BTreeMap<String, V>) {
            let typed: Vec<String> = (map.keys())
                .filter(|k| *k != "-" && !crate::source::is_remote(k))
                .cloned()
                .collect();
            for key in typed {
                if let Some(value) = map.remove(&key) {
                    map.insert(canonical_input(&key), value);
                }
            }
        }
        rename(&mut self.objects);
        rename(&mut self.partial);
        self.inputs = self.inputs.iter().map(|i| canonical_input(i)).collect();
        self.inputs.sort();
        self.inputs.dedup();
    }

    /// Where each API input of `inputs` was read up to (ms, exclusive), by input as written.
    pub fn api_resume(&self, inputs: &[String]) -> BTreeMap<String, i64> {
        (inputs.iter().filter(|i| crate::source::is_api(i)))
            .filter_map(|i| Some((i.clone(), *self.log_groups.get(api_key(i))?)))
            .collect()
    }

    /// Records that a committed run read the API input `input` up to `until_ms` (exclusive).
    pub fn api_read_up_to(&mut self, input: &str, until_ms: i64) {
        self.log_groups.insert(api_key(input).to_string(), until_ms);
    }

    /// Records what a committed run read.
    pub fn record(&mut self, read: ObjectRead) {
        match read {
            ObjectRead::Complete { origin, version } => {
                self.partial.remove(&origin);
                self.objects.insert(origin, version);
            }
            ObjectRead::Partial { origin, version, records } => {
                self.partial.insert(origin, Partial { version, records });
            }
        }
    }

    /// Whether `run`, a run id found among the reports, is an orphan of this state: a run of
    /// the same shard (or, like this state, of none) that never committed. Shards may share an
    /// output directory, each with a state file of its own: their runs are not ours to delete.
    /// Other states' runs (another trail's state sharing the output directory) are never ours:
    /// a run is ours only when it names this state's id (or, for a state written before ids
    /// existed, names none).
    pub fn is_orphan(&self, run: &str) -> bool {
        let shard_of_run = tag(run, SHARD_TAG).map(|shard| shard.replacen("of", "/", 1));
        shard_of_run == self.shard
            && tag(run, STATE_TAG) == self.id.as_deref()
            && !self.runs.iter().any(|r| r == run)
    }
}

/// Marks the shard in a run id: `-shard3of8`.
const SHARD_TAG: &str = "-shard";
/// Marks the state in a run id: `-state1a2b3c4d`.
const STATE_TAG: &str = "-state";
/// Marks the selection of a run without a state in its id: `-sel1a2b3c4d`.
const SELECTION_TAG: &str = "-sel";

/// What a run without a state covers, as a tag for its run id: a hash of its inputs, shard,
/// time window, failure filter and account/region filters. A retry of the same job (a batch
/// system re-running a failed child) has the same tag, and its reports replace those of the
/// earlier attempt instead of adding to them ([`supersedes`]). A relative `--since 24h` resolves
/// to another time on every run: such runs never replace each other.
pub fn selection_id(
    inputs: &[String],
    shard: Option<Shard>,
    selection: &RecordedSelection,
) -> String {
    let mut inputs = inputs.to_vec();
    inputs.sort();
    inputs.dedup();
    // Spelled out, not `Debug`: the id must stay the same across versions for a retry to match.
    let bound = |t: Option<i64>| t.map_or_else(String::new, |t| t.to_string());
    let shard = shard.map(|s| s.to_string()).unwrap_or_default();
    let text = [
        inputs.join("\n"),
        shard,
        bound(selection.since),
        bound(selection.until),
        selection.include_authn.to_string(),
        selection.all_errors.to_string(),
        selection.accounts.join(","),
        selection.regions.join(","),
    ]
    .join("\u{1f}");
    format!("{:08x}", fnv1a(text.as_bytes()) as u32)
}

/// Whether `run`, found among the reports, is an earlier attempt of the run `ours` (same
/// selection tag, same shard, another run): its reports are superseded.
pub fn supersedes(ours: &str, run: &str) -> bool {
    run != ours
        && tag(ours, SELECTION_TAG).is_some()
        && tag(run, SELECTION_TAG) == tag(ours, SELECTION_TAG)
        && tag(run, SHARD_TAG) == tag(ours, SHARD_TAG)
}

/// The value after `marker` in a run id, up to the next `-`.
fn tag<'a>(run: &'a str, marker: &str) -> Option<&'a str> {
    let (_, rest) = run.split_once(marker)?;
    Some(rest.split('-').next().unwrap_or(rest))
}

/// A new state's id: a hash of the time, the process and the path, 8 hex digits.
fn new_state_id(path: &Path) -> String {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let seed = format!("{now}-{}-{}", std::process::id(), path.display());
    format!("{:08x}", fnv1a(seed.as_bytes()) as u32)
}

/// A new run id, `20261128T195300Z-1a2b` (time and process id) plus `-state1a2b3c4d` for a run
/// with a state (else `-sel1a2b3c4d`, its [`selection_id`]) and `-shard3of8` for a shard: unique
/// per run, sorted by time in a directory listing, and naming its state or selection and shard.
pub fn new_run_id(
    shard: Option<Shard>,
    state_id: Option<&str>,
    selection_id: Option<&str>,
) -> String {
    let time = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let owner = match (state_id, selection_id) {
        (Some(id), _) => format!("{STATE_TAG}{id}"),
        (None, Some(id)) => format!("{SELECTION_TAG}{id}"),
        (None, None) => String::new(),
    };
    let shard = shard.map(|s| format!("{SHARD_TAG}{}of{}", s.index, s.count)).unwrap_or_default();
    format!("{time}-{:x}{owner}{shard}", std::process::id())
}

/// `--shard i/N`: a deterministic share of the objects, by a hash of their origin, so that N
/// independent runs cover every object exactly once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

/// The schedulers whose array jobs say which child a process is, 0-based, and how many there
/// are (`None`: the count is not in the environment and `--shard auto/N` must give it).
const SCHEDULERS: [(&str, Option<&str>); 2] = [
    ("AWS_BATCH_JOB_ARRAY_INDEX", Some("AWS_BATCH_JOB_ARRAY_SIZE")),
    // A Kubernetes Indexed Job; its completions count is not passed to the pod.
    ("JOB_COMPLETION_INDEX", None),
];

impl Shard {
    /// `i/N`, or `auto` / `auto/N`: the index (and count) an array job's scheduler gives the
    /// process, read from the environment through `env`, so an array job needs no wrapper.
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let usage = "expected i/N with 1 <= i <= N (e.g. 3/8), or auto or auto/N";
        let (index, count) = text.split_once('/').unwrap_or((text, ""));
        let count = match count {
            "" if index == "auto" => None,
            n => Some(n.parse::<u32>().map_err(|_| format!("--shard {text:?}: {usage}"))?),
        };
        let shard = if index == "auto" {
            Shard::from_scheduler(count, env).map_err(|e| format!("--shard {text}: {e}"))?
        } else {
            let index = index.parse::<u32>().map_err(|_| format!("--shard {text:?}: {usage}"))?;
            Shard { index, count: count.unwrap_or(0) }
        };
        if shard.count >= 1 && (1..=shard.count).contains(&shard.index) {
            Ok(shard)
        } else {
            Err(format!("--shard {text:?} is shard {}/{}: {usage}", shard.index, shard.count))
        }
    }

    fn from_scheduler(
        count: Option<u32>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let number =
            |name: &str| -> Result<Option<u32>, String> {
                match env(name) {
                    None => Ok(None),
                    Some(value) => value.trim().parse::<u32>().map(Some).map_err(|_| {
                        format!("{name} is \"{}\", not a number", value.escape_debug())
                    }),
                }
            };
        for (index_var, count_var) in SCHEDULERS {
            let Some(index) = number(index_var)? else { continue };
            let given = match count_var {
                Some(count_var) => number(count_var)?,
                None => None,
            };
            let count = match (count, given) {
                (Some(n), Some(m)) if n != m => {
                    return Err(format!("N is {n} but {} is {m}", count_var.unwrap_or_default()));
                }
                (Some(n), _) | (None, Some(n)) => n,
                (None, None) => return Err(format!("{index_var} is set; give the count: auto/N")),
            };
            return Ok(Shard { index: index.saturating_add(1), count });
        }
        let names: Vec<&str> = SCHEDULERS.iter().map(|(index, _)| *index).collect();
        Err(format!("none of {} is set: not an array job", names.join(", ")))
    }

    pub fn owns(&self, origin: &str) -> bool {
        fnv1a(origin.as_bytes()) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// FNV-1a, 64 bit: stable across platforms and releases (unlike std's hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The objects a run reads: its shard's, minus the versions the state says were scanned.
#[derive(Default)]
pub struct RunSelection {
    pub shard: Option<Shard>,
    pub scanned: BTreeMap<String, String>,
    pub partial: BTreeMap<String, Partial>,
}

impl RunSelection {
    /// The selection a state implies for `shard` (everything of the shard without a state).
    pub fn new(shard: Option<Shard>, state: Option<&State>) -> Self {
        RunSelection {
            shard,
            scanned: state.map(|s| s.objects.clone()).unwrap_or_default(),
            partial: state.map(|s| s.partial.clone()).unwrap_or_default(),
        }
    }

    /// How many leading records of this version of the object an earlier run already read.
    pub fn records_done(&self, origin: &str, version: &str) -> u64 {
        self.partial.get(origin).filter(|p| p.version == version).map_or(0, |p| p.records)
    }
}

impl Selection for RunSelection {
    fn wants(&self, origin: &str, version: Option<&str>) -> Wanted {
        if self.shard.is_some_and(|s| !s.owns(origin)) {
            return Wanted::OtherShard;
        }
        match version {
            Some(v) if self.scanned.get(origin).is_some_and(|seen| seen == v) => {
                Wanted::AlreadyScanned
            }
            _ => Wanted::Yes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `--out` of the states these tests write.
    const OUT: &str = "/srv/whydenied";

    #[test]
    fn shards_partition_every_origin_exactly_once() {
        let shards: Vec<Shard> = (1..=4).map(|i| Shard { index: i, count: 4 }).collect();
        let mut per_shard = [0; 4];
        for n in 0..1000 {
            let origin = format!(
                "s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/02/f{n}.json.gz"
            );
            let owners: Vec<usize> = (0..4).filter(|&i| shards[i].owns(&origin)).collect();
            assert_eq!(owners.len(), 1, "{origin}");
            per_shard[owners[0]] += 1;
        }
        assert!(per_shard.iter().all(|&n| n > 200), "roughly even: {per_shard:?}");
        let no_env = |_: &str| None;
        assert_eq!(Shard::parse("3/8", no_env), Ok(Shard { index: 3, count: 8 }));
        for bad in ["0/8", "9/8", "3", "a/b", "1/0", "auto", "auto/4", "auto/x", "/8", "3/"] {
            assert!(Shard::parse(bad, no_env).is_err(), "{bad}");
        }
        // Stable: the same origin always lands in the same shard, on every platform.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    /// An AWS Batch child 4 of an array of 10 is shard 5/10 (its index is 0-based); a
    /// Kubernetes Indexed Job pod says only its index, so the count comes with `auto/N`.
    #[test]
    fn auto_takes_the_shard_from_the_array_job() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let batch = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "4"), ("AWS_BATCH_JOB_ARRAY_SIZE", "10")]);
        assert_eq!(Shard::parse("auto", batch), Ok(Shard { index: 5, count: 10 }));
        assert_eq!(Shard::parse("auto/10", batch), Ok(Shard { index: 5, count: 10 }));
        let mismatch = Shard::parse("auto/8", batch).unwrap_err();
        assert!(mismatch.contains("AWS_BATCH_JOB_ARRAY_SIZE is 10"), "{mismatch}");
        let pod = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert_eq!(Shard::parse("auto/3", pod), Ok(Shard { index: 1, count: 3 }));
        let no_count = Shard::parse("auto", pod).unwrap_err();
        assert!(no_count.contains("give the count: auto/N"), "{no_count}");
        let past_the_end = env(&[("JOB_COMPLETION_INDEX", "3")]);
        assert!(Shard::parse("auto/3", past_the_end).is_err(), "index 3 of 3 (0-based)");
        let garbage = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "\u{1b}]52;c;x\u{7}")]);
        let refused = Shard::parse("auto/2", garbage).unwrap_err();
        assert!(refused.contains("not a number") && !refused.contains('\u{1b}'), "{refused}");
        let neither = Shard::parse("auto/2", |_: &str| None).unwrap_err();
        assert!(neither.contains("not an array job"), "{neither}");
    }

    #[test]
    fn orphans_are_uncommitted_runs_of_the_same_shard() {
        let third = Shard { index: 3, count: 8 };
        let (run, other_run) = (new_run_id(Some(third), None, None), new_run_id(None, None, None));
        assert!(run.ends_with("-shard3of8"), "{run}");
        let mut state = State { shard: Some(third.to_string()), ..State::default() };
        assert!(state.is_orphan(&run));
        assert!(!state.is_orphan(&other_run), "not a shard's run");
        assert!(!state.is_orphan("20261128T195300Z-1a2b-shard2of8"));
        assert!(!state.is_orphan("20261128T195300Z-1a2b-shard3of9"));
        state.runs.push(run.clone());
        assert!(!state.is_orphan(&run), "committed");
        let unsharded = State::default();
        assert!(unsharded.is_orphan(&other_run));
        assert!(!unsharded.is_orphan(&run), "a shard's run");
    }

    #[test]
    fn orphans_are_runs_of_this_state_only() {
        let ours = State { id: Some("0000beef".into()), ..State::default() };
        let theirs = State { id: Some("0000cafe".into()), ..State::default() };
        let our_run = new_run_id(None, ours.id.as_deref(), None);
        assert!(our_run.contains("-state0000beef"), "{our_run}");
        assert!(ours.is_orphan(&our_run));
        assert!(!theirs.is_orphan(&our_run), "another state's run is not an orphan of this one");
        let untagged = new_run_id(None, None, Some("5e1ec7ed"));
        assert!(!ours.is_orphan(&untagged), "a run without a state (--partitioned) is kept");
        assert!(State::default().is_orphan(&untagged), "states without an id keep their old runs");
        let sharded = new_run_id(Some(Shard { index: 2, count: 4 }), ours.id.as_deref(), None);
        let ours_sharded = State { shard: Some("2/4".into()), ..ours.clone() };
        assert!(ours_sharded.is_orphan(&sharded) && !ours.is_orphan(&sharded));
    }

    #[test]
    fn a_retry_of_the_same_selection_supersedes_the_earlier_attempt() {
        let all = RecordedSelection::default();
        let inputs = ["./b".to_string(), "./a".to_string()];
        let id = |inputs: &[String], shard, selection: &RecordedSelection| {
            selection_id(inputs, shard, selection)
        };
        let same = id(&inputs, None, &all);
        assert_eq!(same, id(&["./a".into(), "./b".into(), "./a".into()], None, &all));
        let shard = Some(Shard { index: 1, count: 2 });
        for other in [
            id(&inputs[..1], None, &all),
            id(&inputs, shard, &all),
            id(&inputs, None, &RecordedSelection { since: Some(1), ..all.clone() }),
            id(&inputs, None, &RecordedSelection { all_errors: true, ..all.clone() }),
            id(
                &inputs,
                None,
                &RecordedSelection { accounts: vec!["111122223333".into()], ..all.clone() },
            ),
        ] {
            assert_ne!(other, same);
        }
        let first = format!("20261101T000000Z-1-sel{same}");
        let retry = new_run_id(None, None, Some(&same));
        assert!(supersedes(&retry, &first) && !supersedes(&retry, &retry));
        assert!(!supersedes(&retry, "20261101T000000Z-1-sel00000000"), "another selection");
        assert!(!supersedes(&retry, &format!("{first}-shard1of2")), "another shard");
        assert!(!supersedes(&new_run_id(None, Some("0000beef"), None), "x-state0000beef"));
    }

    #[test]
    fn a_run_that_keeps_more_than_earlier_runs_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state.json");
        let inputs = vec!["./dump".to_string()];
        let day = 86_400_000_000;
        let narrow = RecordedSelection {
            since: Some(10 * day),
            until: Some(20 * day),
            ..Default::default()
        };
        let state = State::load(&path, &inputs, None, &narrow, OUT).expect("fresh");
        assert!(state.id.is_some());
        state.save(&path).expect("saved");
        let load =
            |selection: RecordedSelection| State::load(&path, &inputs, None, &selection, OUT);
        for (wider, says) in [
            (RecordedSelection { since: Some(9 * day), ..narrow.clone() }, "--since"),
            (RecordedSelection { since: None, ..narrow.clone() }, "--since"),
            (RecordedSelection { until: None, ..narrow.clone() }, "--until"),
            (RecordedSelection { all_errors: true, ..narrow.clone() }, "--all-errors"),
            (RecordedSelection { include_authn: true, ..narrow.clone() }, "--include-authn"),
        ] {
            let err = load(wider).expect_err("wider");
            assert!(err.to_string().contains(says), "{err}");
            assert!(err.to_string().contains("Use a new state file"), "{err}");
        }
        // A narrower run (the next night of a moving window) is fine, and narrows the record.
        let later = RecordedSelection { since: Some(11 * day), ..narrow.clone() };
        let mut state = load(later.clone()).expect("narrower");
        assert_eq!(state.selection, Some(later.clone()));
        state.save(&path).expect("saved");
        assert!(load(narrow.clone()).is_err(), "back to the earlier, wider start");
        state.selection = None;
        state.save(&path).expect("saved");
        assert!(load(narrow).is_ok(), "files written before selections were recorded still load");
    }

    #[test]
    fn a_state_names_inputs_canonically_and_belongs_to_one_out() {
        let dir = tempfile::tempdir().expect("temp dir");
        let logs = dir.path().join("logs");
        fs::create_dir(&logs).expect("mkdir");
        fs::write(logs.join("a.json"), "{}").expect("write");
        let real = fs::canonicalize(&logs).expect("exists").display().to_string();
        let path = dir.path().join("state.json");
        // As an older whydenied wrote it: the input and its files as typed, no --out.
        let typed = format!("{}/./logs/", dir.path().display());
        let old = serde_json::json!({
            "version": 1, "inputs": [typed], "shard": null, "runs": ["r1"],
            "objects": {format!("{typed}a.json"): "2-1", "s3://b/k": "etag"}, "log_groups": {},
        });
        fs::write(&path, old.to_string()).expect("write");
        let all = RecordedSelection::default();
        let spelled_now = format!("{}/logs", dir.path().display());
        let state = State::load(&path, &[spelled_now], None, &all, OUT).expect("same source");
        assert_eq!(state.inputs, std::slice::from_ref(&real));
        assert_eq!(
            state.objects.keys().collect::<Vec<_>>(),
            [&format!("{real}/a.json"), &"s3://b/k".to_string()],
            "the file already read keeps its version under its canonical name"
        );
        assert_eq!(state.out.as_deref(), Some(OUT), "recorded from now on");
        state.save(&path).expect("saved");
        let elsewhere =
            State::load(&path, std::slice::from_ref(&real), None, &all, "/tmp/other-out")
                .expect_err("another --out");
        let says = elsewhere.to_string();
        assert!(says.contains("belongs to --out /srv/whydenied, not /tmp/other-out"), "{says}");
        assert!(State::load(&path, &[format!("{real}/")], None, &all, OUT).is_ok());
    }

    #[test]
    fn state_round_trips_and_refuses_other_sources_and_versions() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state.json");
        let inputs = vec!["s3://b".to_string(), "./dump".to_string()];
        let all = RecordedSelection::default();
        let mut state = State::load(&path, &inputs, None, &all, OUT).expect("fresh");
        assert_eq!(state.inputs, ["./dump", "s3://b"]);
        state.runs.push("r1".into());
        state.objects.insert("s3://b/k".into(), "10-etag".into());
        state.save(&path).expect("saved");
        assert_eq!(State::load(&path, &inputs, None, &all, OUT).expect("loads"), state);

        let other = State::load(&path, &["s3://other".to_string()], None, &all, OUT)
            .expect_err("other inputs");
        assert!(other.to_string().contains("use one state file per source"), "{other}");
        assert!(State::load(&path, &inputs, Some("1/2"), &all, OUT).is_err(), "other shard");

        fs::write(&path, r#"{"version": 99}"#).expect("write");
        let version = State::load(&path, &inputs, None, &all, OUT).expect_err("newer version");
        assert!(version.to_string().contains("is version 99"), "{version}");
        fs::write(&path, "not json").expect("write");
        assert!(matches!(
            State::load(&path, &inputs, None, &all, OUT),
            Err(StateError::Invalid { .. })
        ));
    }

    #[test]
    fn api_inputs_resume_by_input_and_log_groups_by_name_as_before() {
        let mut state = State::default();
        state.log_groups.insert("CloudTrail/Default".into(), 5);
        state.api_read_up_to("cloudtrail://us-east-1", 7);
        let inputs: Vec<String> =
            ["cwlogs://CloudTrail/Default", "cloudtrail://us-east-1", "logs/"]
                .map(String::from)
                .into();
        let resume = state.api_resume(&inputs);
        assert_eq!(resume.get("cwlogs://CloudTrail/Default"), Some(&5));
        assert_eq!(resume.get("cloudtrail://us-east-1"), Some(&7));
        assert_eq!(resume.len(), 2, "{resume:?}");
        state.api_read_up_to("cwlogs://CloudTrail/Default", 6);
        assert_eq!(state.log_groups.get("CloudTrail/Default"), Some(&6), "the key files had");
    }

    #[test]
    fn selection_skips_other_shards_and_unchanged_versions() {
        let selection = RunSelection {
            scanned: BTreeMap::from([("f".to_string(), "10-1".to_string())]),
            ..RunSelection::default()
        };
        assert_eq!(selection.wants("f", Some("10-1")), Wanted::AlreadyScanned);
        assert_eq!(selection.wants("f", Some("11-2")), Wanted::Yes, "rewritten");
        assert_eq!(selection.wants("f", None), Wanted::Yes);
        assert_eq!(selection.wants("g", Some("10-1")), Wanted::Yes);
    }

    #[test]
    fn partial_reads_resume_only_the_same_version() {
        let mut state = State::default();
        let partial = |records| ObjectRead::Partial {
            origin: "s3://b/k".into(),
            version: "\"etag\"".into(),
            records,
        };
        state.record(partial(40));
        state.record(partial(70));
        let selection = RunSelection::new(None, Some(&state));
        assert_eq!(selection.wants("s3://b/k", Some("\"etag\"")), Wanted::Yes);
        assert_eq!(selection.records_done("s3://b/k", "\"etag\""), 70);
        assert_eq!(selection.records_done("s3://b/k", "\"other\""), 0, "rewritten");
        assert_eq!(selection.records_done("s3://b/other", "\"etag\""), 0);
        state
            .record(ObjectRead::Complete { origin: "s3://b/k".into(), version: "\"etag\"".into() });
        assert!(state.partial.is_empty(), "completed");
        let selection = RunSelection::new(None, Some(&state));
        assert_eq!(selection.wants("s3://b/k", Some("\"etag\"")), Wanted::AlreadyScanned);
        // Files written before `partial` existed still load.
        let old =
            r#"{"version":1,"inputs":[],"shard":null,"runs":[],"objects":{},"log_groups":{}}"#;
        let loaded: State = serde_json::from_str(old).expect("an older state file loads");
        assert!(loaded.partial.is_empty());
    }
}
