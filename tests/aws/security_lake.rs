//! `scan s3://…/aws/CLOUD_TRAIL_MGMT/2.0/`: the Security Lake copy of the sample trail (built by
//! tests/reference/to_ocsf.py) in the emulator's S3 gives what the trail gives, and
//! `--account/--region/--since/--until` prune its `region=/accountId=/eventDay=` partitions
//! before anything is listed or downloaded.

use std::path::{Path, PathBuf};

use tokio::runtime::Runtime;

use crate::common::{relative_files, require, run_checker, sample_logs, scan_json, utf8, venv};
use crate::s3::bucket_with;
use crate::{moto, scan_json_aws};

const SOURCE: &str = "aws/CLOUD_TRAIL_MGMT/2.0";

/// The lake under `dir` (made by the converter) and its files as (key, bytes).
fn lake_files(dir: &Path) -> (PathBuf, Vec<(String, Vec<u8>)>) {
    let lake = dir.join("lake");
    run_checker("to_ocsf.py", &[&lake, &sample_logs().join("AWSLogs")]);
    let files = relative_files(&lake)
        .into_iter()
        .map(|rel| {
            let body = std::fs::read(lake.join(&rel)).expect("read");
            (rel.to_string_lossy().into_owned(), body)
        })
        .collect();
    (lake, files)
}

#[test]
fn a_lake_bucket_gives_the_trails_reports() {
    require!(moto(), venv());
    let runtime = Runtime::new().expect("runtime");
    let work = tempfile::tempdir().expect("temp dir");
    let (_, files) = lake_files(work.path());
    let objects = files.len() as u64;
    let bucket = bucket_with(&runtime, "lake", files);
    let (trail_out, lake_out) = (work.path().join("trail"), work.path().join("lake-out"));
    let (code, _, err) = scan_json(utf8(&sample_logs().join("AWSLogs")), &trail_out, &[]);
    assert_eq!(code, Some(0), "{err}");
    let (code, json, err) = scan_json_aws(&format!("s3://{bucket}/{SOURCE}/"), &lake_out, &[]);
    assert_eq!(code, Some(0), "{err}");
    run_checker("check_lake.py", &[&trail_out, &lake_out]);
    let requests = &json["scanned"]["requests"];
    assert_eq!(requests["get"], objects, "{requests}");
    assert_eq!(requests["listed"], objects, "{requests}");
}

#[test]
fn account_region_and_time_prune_the_partitions() {
    require!(moto(), venv());
    let runtime = Runtime::new().expect("runtime");
    let work = tempfile::tempdir().expect("temp dir");
    let (lake, files) = lake_files(work.path());
    let bucket = bucket_with(&runtime, "lake-prune", files);
    let window = ["--since", "2026-11-03T06:00:00Z", "--until", "2026-11-03T18:00:00Z"];
    let mut args = vec!["--account", "111122223333", "--region", "eu-west-1"];
    args.extend_from_slice(&window);
    let (code, remote, err) =
        scan_json_aws(&format!("s3://{bucket}/{SOURCE}"), &work.path().join("s3"), &args);
    assert_eq!(code, Some(0), "{err}");
    // The one partition of that account, region and day, scanned locally with the window.
    let partition =
        lake.join(SOURCE).join("region=eu-west-1/accountId=111122223333/eventDay=20261103");
    let (code, local, err) = scan_json(utf8(&partition), &work.path().join("local"), &window);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(remote["summary"], local["summary"]);
    assert!(remote["scanned"]["kept"].as_u64() > Some(0));
    // Region, account and day were all asked for: one LIST, of that day's partition, and a GET
    // for each of its objects; nothing of other partitions is listed.
    let requests = &remote["scanned"]["requests"];
    let in_partition = relative_files(&partition).len() as u64;
    assert_eq!(requests["list"], 1, "{requests}");
    assert_eq!(requests["listed"], in_partition, "{requests}");
    assert_eq!(requests["get"], in_partition, "{requests}");

    // Only a region: its accounts are listed (one request for the regions is not needed,
    // one for the region's accounts), then each account's day.
    let (code, by_region, err) = scan_json_aws(
        &format!("s3://{bucket}/{SOURCE}/"),
        &work.path().join("s3-region"),
        &["--region", "us-east-1", "--since", "2026-11-04T00:00:00Z"],
    );
    assert_eq!(code, Some(0), "{err}");
    let region_dir = lake.join(SOURCE).join("region=us-east-1");
    let accounts = std::fs::read_dir(&region_dir).expect("region").count() as u64;
    let day_files = relative_files(&region_dir)
        .iter()
        .filter(|p| p.to_string_lossy().contains("eventDay=20261104/"))
        .count() as u64;
    let requests = &by_region["scanned"]["requests"];
    assert!(day_files > 0 && accounts > 1);
    assert_eq!(requests["get"], day_files, "{requests}");
}

#[test]
fn a_bucket_root_is_listed_flat_and_event_days_outside_the_window_are_not_downloaded() {
    require!(moto(), venv());
    let runtime = Runtime::new().expect("runtime");
    let work = tempfile::tempdir().expect("temp dir");
    let (lake, files) = lake_files(work.path());
    let bucket = bucket_with(&runtime, "lake-root", files);
    let window = ["--since", "2026-11-04T00:00:00Z", "--until", "2026-11-05T00:00:00Z"];
    let (code, remote, err) =
        scan_json_aws(&format!("s3://{bucket}"), &work.path().join("s3"), &window);
    assert_eq!(code, Some(0), "{err}");
    let (code, local, err) = scan_json(utf8(&lake), &work.path().join("local"), &window);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(remote["summary"], local["summary"]);
    let all = relative_files(&lake);
    let on_the_day =
        all.iter().filter(|p| p.to_string_lossy().contains("/eventDay=20261104/")).count() as u64;
    let requests = &remote["scanned"]["requests"];
    assert!(on_the_day > 0 && on_the_day < all.len() as u64);
    assert_eq!(requests["listed"], all.len() as u64, "{requests}");
    assert_eq!(requests["get"], on_the_day, "{requests}");
    assert_eq!(requests["pruned_by_time"], all.len() as u64 - on_the_day, "{requests}");
}
