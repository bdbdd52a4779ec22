//! The fetcher's outcome as the loader reads it, without AWS: a call that AWS refuses is
//! recorded as `.err` and the rest is still captured. moto cannot refuse a call (it has no
//! IAM enforcement by default), so this runs the recorder on a refusal built the way the SDK
//! builds one from AWS's `AccessDenied` answer.

use super::*;
use crate::snapshot::{Known, Snapshot};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_bucket_policy::GetBucketPolicyError;
use aws_sdk_s3::primitives::SdkBody;
use serde_json::json;

const ACCOUNT_DIR: &str = "accounts/111122223333";

fn refused(code: &str, message: &str) -> SdkError<GetBucketPolicyError, HttpResponse> {
    let metadata = ErrorMetadata::builder().code(code).message(message).build();
    let response = HttpResponse::new(403u16.try_into().expect("a status"), SdkBody::empty());
    SdkError::service_error(GetBucketPolicyError::generic(metadata), response)
}

#[test]
fn a_refused_call_is_recorded_and_the_rest_is_captured() {
    let dir = tempfile::tempdir().expect("temp dir");
    let recorder = Recorder::new(dir.path().to_path_buf(), 2, ProgressBar::hidden());
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
         "Resource": "arn:aws:s3:::open-bucket"}]});
    runtime.block_on(async {
        let buckets = format!("{ACCOUNT_DIR}/s3/buckets");
        // Refused: AccessDenied on one bucket's policy …
        let file = format!("{buckets}/locked-bucket/get-bucket-policy");
        let got = recorder
            .call(&file, Api::GetBucketPolicy, async {
                Err::<(), _>(refused("AccessDenied", "Access Denied"))
            })
            .await;
        assert!(got.is_none());
        // … AWS's "there is none" on another's …
        let file = format!("{buckets}/plain-bucket/get-bucket-policy");
        let none = refused("NoSuchBucketPolicy", "The bucket policy does not exist");
        recorder.call(&file, Api::GetBucketPolicy, async { Err::<(), _>(none) }).await;
        // … and a third bucket's policy read.
        let file = format!("{buckets}/open-bucket/get-bucket-policy");
        let read = recorder.call(&file, Api::GetBucketPolicy, async {
            Ok::<_, SdkError<GetBucketPolicyError, HttpResponse>>(policy.to_string())
        });
        let text = read.await.expect("read");
        recorder.json(&file, &json!({"Policy": text}));
    });
    let (tally, error) = recorder.finish();
    assert_eq!(error, None);
    assert_eq!((tally.captured, tally.absent), (1, 1));
    assert_eq!(
        tally.not_captured,
        [NotCaptured {
            file: format!("{ACCOUNT_DIR}/s3/buckets/locked-bucket/get-bucket-policy.err"),
            reason: "AccessDenied: Access Denied".to_string(),
        }]
    );
    let err = std::fs::read_to_string(
        dir.path().join(ACCOUNT_DIR).join("s3/buckets/locked-bucket/get-bucket-policy.err"),
    )
    .expect("the .err");
    assert_eq!(
        err,
        "\nAn error occurred (AccessDenied) when calling the GetBucketPolicy operation: Access Denied\n"
    );

    let (snapshot, problems) = Snapshot::load(dir.path()).expect("a snapshot");
    assert!(problems.is_empty(), "{problems:?}");
    let gap = |bucket: &str| crate::snapshot::Gap(format!("bucket-policy:{bucket}:not-captured"));
    let locked = snapshot.bucket_policy("locked-bucket");
    assert!(matches!(&locked, Known::NotCaptured(g) if *g == gap("locked-bucket")), "{locked:?}");
    assert!(matches!(snapshot.bucket_policy("plain-bucket"), Known::Absent));
    let Known::Present(read) = snapshot.bucket_policy("open-bucket") else {
        panic!("the readable bucket's policy is captured")
    };
    assert_eq!(read.name, "arn:aws:s3:::open-bucket#bucket-policy");
    assert_eq!(read.statements[0].sid.as_deref(), Some("DenyDelete"));
}

#[test]
fn names_from_aws_stay_one_path_component() {
    for fine in ["my-bucket", "p-1a2b3c4d", "1234abcd-12ab-34cd-56ef-1234567890ab", "eu-west-1"] {
        assert_eq!(path_component(fine), Some(fine));
    }
    for bad in ["", ".", "..", "a/b", "..\\x", "a\0b"] {
        assert_eq!(path_component(bad), None, "{bad:?}");
    }
}
