//! Amazon Security Lake's copy of the sample trail (OCSF Parquet, built by the independent
//! converter tests/reference/to_ocsf.py) gives what the trail gives: the same denials, summary
//! and policy changes, the same `--account/--region/--since` selections, `--state` on its
//! objects; a broken or foreign Parquet object is named and skipped.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::SAMPLE_DENIALS;
use crate::common::{
    failures_kept, python, require, run_checker, sample_failures_by_account_region, sample_logs,
    scan_json, utf8, venv,
};

/// Converts the sample trail into a Security Lake layout under `dir`; returns its object files.
fn sample_lake(dir: &Path) -> Vec<PathBuf> {
    let trail = sample_logs().join("AWSLogs");
    run_checker("to_ocsf.py", &[dir, &trail]);
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() { pending.push(path) } else { files.push(path) }
        }
    }
    files.sort();
    files
}

fn problems(json: &Value) -> Vec<(String, String)> {
    (json["scanned"]["problems"].as_array().expect("problems").iter())
        .map(|p| {
            let origin = p["origin"].as_str().unwrap_or_default().to_string();
            (origin, p["what"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn a_lake_scan_finds_what_the_trail_scan_finds() {
    require!(venv());
    let work = tempfile::tempdir().expect("temp dir");
    let lake = work.path().join("lake");
    let objects = sample_lake(&lake);
    assert!(
        objects.iter().all(|o| o.to_string_lossy().contains("/aws/CLOUD_TRAIL_MGMT/2.0/region="))
    );
    let (trail_out, lake_out) = (work.path().join("trail-out"), work.path().join("lake-out"));
    let (code, trail, err) = scan_json(utf8(&sample_logs().join("AWSLogs")), &trail_out, &[]);
    assert_eq!(code, Some(0), "{err}");
    let (code, scanned, err) = scan_json(utf8(&lake), &lake_out, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(scanned["scanned"]["kept"].as_u64(), Some(SAMPLE_DENIALS));
    assert_eq!(scanned["scanned"]["objects"].as_u64(), Some(objects.len() as u64));
    assert_eq!(scanned["scanned"]["records"], trail["scanned"]["records"]);
    run_checker("check_lake.py", &[&trail_out, &lake_out]);
}

#[test]
fn lake_selections_agree_with_the_raw_counts() {
    require!(venv());
    let work = tempfile::tempdir().expect("temp dir");
    let lake = work.path().join("lake");
    sample_lake(&lake);
    let counts = sample_failures_by_account_region();
    let (accounts, regions) = (["111122223333"], ["us-east-1"]);
    let out = work.path().join("out");
    let (code, json, err) =
        scan_json(utf8(&lake), &out, &["--account", accounts[0], "--region", regions[0]]);
    assert_eq!(code, Some(0), "{err}");
    let expected = failures_kept(&counts, &accounts, &regions);
    assert!(expected > 0 && expected < SAMPLE_DENIALS);
    assert_eq!(json["scanned"]["kept"].as_u64(), Some(expected));
    // A window: the lake and the trail keep the same denials.
    let window = ["--since", "2026-11-03T06:00:00Z", "--until", "2026-11-04T06:00:00Z"];
    let (code, from_lake, err) = scan_json(utf8(&lake), &work.path().join("w-lake"), &window);
    assert_eq!(code, Some(0), "{err}");
    let trail = sample_logs().join("AWSLogs");
    let (code, from_trail, err) = scan_json(utf8(&trail), &work.path().join("w-trail"), &window);
    assert_eq!(code, Some(0), "{err}");
    let kept = from_lake["scanned"]["kept"].as_u64().expect("kept");
    assert!(kept > 0 && kept < SAMPLE_DENIALS, "kept {kept}");
    assert_eq!(from_lake["scanned"]["kept"], from_trail["scanned"]["kept"]);
    assert_eq!(from_lake["summary"], from_trail["summary"]);
}

#[test]
fn state_reads_each_lake_object_once() {
    require!(venv());
    let work = tempfile::tempdir().expect("temp dir");
    let lake = work.path().join("lake");
    let objects = sample_lake(&lake).len() as u64;
    let (out, state) = (work.path().join("out"), work.path().join("state.json"));
    let with_state = ["--state", utf8(&state)];
    let (code, first, err) = scan_json(utf8(&lake), &out, &with_state);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(first["scanned"]["kept"].as_u64(), Some(SAMPLE_DENIALS));
    let (code, again, err) = scan_json(utf8(&lake), &out, &with_state);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(again["scanned"]["objects"], 0, "nothing new");
    assert_eq!(again["scanned"]["already_scanned"].as_u64(), Some(objects));
}

#[test]
fn broken_and_foreign_parquet_is_named_and_the_rest_is_scanned() {
    require!(venv());
    let work = tempfile::tempdir().expect("temp dir");
    let objects = sample_lake(&work.path().join("lake"));
    let d = work.path().join("mixed");
    fs::create_dir(&d).expect("mkdir");
    let good = &objects[0];
    fs::copy(good, d.join("good.gz.parquet")).expect("copy");
    let whole = fs::read(&objects[1]).expect("read");
    fs::write(d.join("truncated.gz.parquet"), &whole[..whole.len() / 2]).expect("write");
    fs::write(d.join("magic-only.parquet"), b"PAR1").expect("write");
    // One of the sample lake's objects with one byte of a page header changed: the Parquet
    // crate panics on it (an unwrap), which the reader turns into this object's error.
    let fixture = crate::common::repo().join("tests/fixtures/security-lake");
    fs::copy(fixture.join("damaged_page_header.gz.parquet"), d.join("damaged.gz.parquet"))
        .expect("copy");
    // Some other Parquet: one of whydenied's own reports is not a CloudTrail source.
    let foreign = d.join("foreign.parquet");
    let script = "import pyarrow as pa, pyarrow.parquet as pq, sys; \
                  pq.write_table(pa.table({'eventID': ['x'], 'errorCode': ['AccessDenied']}), sys.argv[1])";
    let status = std::process::Command::new(python())
        .args(["-c", script, utf8(&foreign)])
        .status()
        .expect("python runs");
    assert!(status.success());

    let (code, json, err) = scan_json(utf8(&d), &work.path().join("out"), &[]);
    assert_eq!(code, Some(2), "{err}");
    let problems = problems(&json);
    let expect = |file: &str, phrase: &str| {
        assert!(
            problems.iter().any(|(f, what)| f.ends_with(file) && what.contains(phrase)),
            "{file}: no problem containing {phrase:?} in {problems:?}"
        );
    };
    expect("truncated.gz.parquet", "not a readable Parquet file");
    expect("magic-only.parquet", "not a readable Parquet file");
    expect("foreign.parquet", "without the OCSF API Activity columns");
    expect("foreign.parquet", "not understood");
    expect("damaged.gz.parquet", "damaged Parquet data: the reader failed");
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(err.contains("foreign.parquet"), "the footer names the file: {err}");
    // The good object alone gives its own denials.
    let (code, alone, err) = scan_json(utf8(good), &work.path().join("alone"), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(alone["scanned"]["kept"].as_u64() > Some(0));
    assert_eq!(json["scanned"]["kept"], alone["scanned"]["kept"]);
}

#[test]
fn damaged_lake_objects_are_errors_never_panics() {
    require!(venv());
    let work = tempfile::tempdir().expect("temp dir");
    let objects = sample_lake(&work.path().join("lake"));
    let whole = fs::read(&objects[3]).expect("read");
    // Bytes overwritten at pseudo-random places (a fixed sequence): whatever they hit (page
    // headers, levels, dictionaries, gzip streams), the outcome is rows or an error.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut failed, mut denials) = (0, 0);
    for round in 0..300 {
        let mut damaged = whole.clone();
        for _ in 0..[1, 4, 16][round % 3] {
            let at = (next() % damaged.len() as u64) as usize;
            damaged[at] = next() as u8;
        }
        let filter = whydenied::classify::FailureFilter::default();
        let (report, error) =
            whydenied::decode::ocsf::split_rows(damaged.as_slice(), filter, |record| {
                denials += usize::from(record.windows(11).any(|w| w == b"\"errorCode\""));
            });
        if let Some(error) = error {
            failed += 1;
            assert!(!error.to_string().is_empty());
        }
        assert!(report.records <= whole.len() as u64);
    }
    assert!(failed > 0 && denials > 0, "{failed} failed, {denials} failed rows handed on");
}
