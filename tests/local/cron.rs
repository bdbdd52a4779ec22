//! What a scheduler sees: `-q` keeps stdout to the summary and stderr empty unless something
//! went wrong, and `--log-format json` makes every diagnostic line a JSON object.

use crate::common::{stderr, stdout};
use crate::{SAMPLE_DENIALS, sample_objects, scan_sample};

#[test]
fn quiet_runs_print_only_the_summary() {
    let out = tempfile::tempdir().expect("temp dir");
    let output = scan_sample(out.path(), &["-q", "--format", "markdown"]);
    assert_eq!(stderr(&output), "", "nothing on stderr when all went well");
    assert!(
        stdout(&output).starts_with(&format!("**{SAMPLE_DENIALS} denied requests**")),
        "{}",
        stdout(&output)
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let out = tempfile::tempdir().expect("temp dir");
    let output = scan_sample(out.path(), &["-vv", "--log-format", "json"]);
    let err = stderr(&output);
    let logs: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON log line"))
        .collect();
    let read = logs.iter().filter(|l| l["fields"]["message"] == "object read").count();
    assert_eq!(read as u64, sample_objects(), "one line per object at -vv");
    assert!(
        logs.iter().any(|l| l["fields"]["message"] == "reports committed"
            && l["fields"]["kept"] == SAMPLE_DENIALS)
    );
    assert!(!err.contains('\u{1b}'), "no colour codes when stderr is not a terminal");
}
