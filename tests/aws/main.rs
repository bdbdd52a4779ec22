//! Reading from AWS: `s3://` buckets and `cwlogs://` log groups served over HTTP by the moto
//! emulator that `scripts/test` starts (`WHYDENIED_AWS_ENDPOINT`), driven by the real AWS SDK on
//! both sides; `cloudtrail://` event histories by a stand-in each test starts (moto lacks
//! `LookupEvents`). Without the emulator or the Python these tests skip, unless
//! `WHYDENIED_REQUIRE_ALL=1`; see `common::skip_without`.

#[path = "../common/mod.rs"]
mod common;

mod cloudwatch;
#[cfg(feature = "fetch")]
mod fetch;
mod lookup_events;
mod s3;
mod security_lake;

use std::path::Path;
use std::process::{Command, Output};

use common::{Service, json_outcome, repo, scan_args};

/// The moto server that `scripts/test` starts.
pub fn moto() -> Service {
    Service {
        needs: "the moto server (WHYDENIED_AWS_ENDPOINT): run scripts/test, which starts one"
            .to_string(),
        available: std::env::var_os("WHYDENIED_AWS_ENDPOINT").is_some(),
    }
}

/// The address of [`moto`], which the test must have required.
pub fn aws_endpoint() -> String {
    std::env::var("WHYDENIED_AWS_ENDPOINT").unwrap_or_else(|_| panic!("needs {}", moto().needs))
}

/// `whydenied` with fake credentials for the emulator, isolated from the user's AWS setup.
pub fn whydenied_aws(args: &[&str]) -> Output {
    whydenied_aws_at(&aws_endpoint(), args).output().expect("the binary runs")
}

/// The `whydenied` command for the emulator at `endpoint`, as [`whydenied_aws`] runs it.
pub fn whydenied_aws_at(endpoint: &str, args: &[&str]) -> Command {
    let empty = repo().join("target/empty-aws-config");
    std::fs::write(&empty, "").expect("write an empty AWS config");
    let mut command = Command::new(env!("CARGO_BIN_EXE_whydenied"));
    command
        .args(args)
        .args(["--endpoint-url", endpoint])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// `common::scan_json` against the emulator, through [`whydenied_aws`].
pub fn scan_json_aws(
    source: &str,
    out: &Path,
    extra: &[&str],
) -> (Option<i32>, serde_json::Value, String) {
    json_outcome(&whydenied_aws(&scan_args(source, out, extra)))
}
