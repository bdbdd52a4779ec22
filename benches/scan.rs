//! Throughput per MB of the stages of one object: decompress, split, and the whole
//! split + prefilter + parse + classify path, on a synthetic trail with 1 % failures; and the
//! splitter on hostile runs of one byte at 10, 50 and 200 MB, whose time must grow with the
//! size and no faster (linear time). `cargo bench --bench scan`; the end-to-end comparison with other
//! tools is scripts/bench.

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flate2::{Compression, write::GzEncoder};
use whydenied::classify::FailureFilter;
use whydenied::decode::decoder;
use whydenied::decode::split::{SplitLimits, split_records};
use whydenied::record::RecordReader;

/// About 8 MB of compact trail JSON: varied enough that gzip ratios are realistic.
fn trail_json() -> Vec<u8> {
    let mut out = String::from("{\"Records\":[");
    for i in 0..6000u64 {
        if i > 0 {
            out.push(',');
        }
        let failure = if i % 100 == 7 {
            format!(
                ",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"User: arn:aws:iam::111122223333:user/u{} is not authorized to perform: s3:GetObject on resource: \\\"arn:aws:s3:::bucket-{}/k{i}\\\" because no resource-based policy allows the s3:GetObject action\"",
                i % 17,
                i % 5
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{{\"eventVersion\":\"1.11\",\"userIdentity\":{{\"type\":\"AssumedRole\",\"principalId\":\"AROAEXAMPLE{i:08}:s{}\",\"arn\":\"arn:aws:sts::111122223333:assumed-role/role-{}/s{}\",\"accountId\":\"111122223333\",\"sessionContext\":{{\"sessionIssuer\":{{\"type\":\"Role\",\"arn\":\"arn:aws:iam::111122223333:role/role-{}\",\"userName\":\"role-{}\"}},\"attributes\":{{\"creationDate\":\"2026-11-02T09:{:02}:00Z\",\"mfaAuthenticated\":\"false\"}}}}}},\"eventTime\":\"2026-11-02T10:{:02}:{:02}Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.{}\",\"userAgent\":\"aws-sdk-java/2.{}.{} Linux/5.10 OpenJDK_64-Bit_Server_VM/17\",\"requestParameters\":{{\"bucketName\":\"bucket-{}\",\"Host\":\"bucket-{}.s3.us-east-1.amazonaws.com\",\"key\":\"data/{}/part-{i:06}.parquet\"}},\"responseElements\":null,\"additionalEventData\":{{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"{:016x}\",\"bytesTransferredOut\":{}}},\"requestID\":\"{:016X}\",\"eventID\":\"{:08x}-0000-4000-8000-{:012x}\",\"readOnly\":true,\"resources\":[{{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::bucket-{}/data/{}/part-{i:06}.parquet\"}},{{\"accountId\":\"111122223333\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::bucket-{}\"}}],\"eventType\":\"AwsApiCall\",\"managementEvent\":false,\"recipientAccountId\":\"111122223333\",\"eventCategory\":\"Data\"{failure}}}",
            i % 97, i % 13, i % 97, i % 13, i % 13, i % 60, i % 60, (i * 7) % 60, i % 250, i % 40, i % 9,
            i % 5, i % 5, i % 31, i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i * 37 % 100_000,
            i.wrapping_mul(0xC2B2_AE3D_27D4_EB4F), i, i, i % 5, i % 31, i % 5,
        ));
    }
    out.push_str("]}");
    out.into_bytes()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

fn bench(c: &mut Criterion) {
    let json = trail_json();
    let gz = gzip(&json);
    let origin: Arc<str> = Arc::from("bench");
    let mut group = c.benchmark_group("object");
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.sample_size(20);

    group.bench_function("gunzip", |b| {
        b.iter(|| {
            let (_, mut reader) = decoder(&gz[..]).expect("gzip");
            io::copy(&mut reader, &mut io::sink()).expect("decodes")
        })
    });
    group.bench_function("split", |b| {
        b.iter(|| {
            let (report, _) = split_records(&json[..], SplitLimits::default(), |r| {
                black_box(r);
            });
            report.records
        })
    });
    group.bench_function("split+prefilter+parse+classify", |b| {
        let mut records = RecordReader::new(FailureFilter::default());
        b.iter(|| {
            let mut kept = 0;
            split_records(&json[..], SplitLimits::default(), |r| {
                kept += usize::from(records.read(r, &origin).denial.is_some());
            });
            kept
        })
    });
    group.bench_function("gunzip+split+prefilter+parse+classify", |b| {
        let mut records = RecordReader::new(FailureFilter::default());
        b.iter(|| {
            let (_, reader) = decoder(&gz[..]).expect("gzip");
            let mut kept = 0;
            split_records(reader.take(u64::MAX), SplitLimits::default(), |r| {
                kept += usize::from(records.read(r, &origin).denial.is_some());
            });
            kept
        })
    });
    group.finish();
}

/// 10, 50 and 200 MB of `{`, of `\`, of `\` inside a string, of `{` inside the records array
/// and of `[`. Past the record limit (16 MiB) and the caches, 4× the bytes must take 4× the
/// time; quadratic work would take 16×.
fn pathological(c: &mut Criterion) {
    let mut group = c.benchmark_group("pathological");
    group.sample_size(10);
    group.warm_up_time(std::time::Duration::from_secs(1));
    group.measurement_time(std::time::Duration::from_secs(3));
    let runs: [(&str, &[u8], u8); 5] = [
        ("open-brace", b"", b'{'),
        ("backslash", b"", b'\\'),
        ("backslash-in-string", br#"{"Records":[{"a":""#, b'\\'),
        ("open-brace-in-records", br#"{"Records":["#, b'{'),
        ("open-bracket", b"", b'['),
    ];
    for megabytes in [10, 50, 200] {
        for (name, prefix, byte) in runs {
            let mut input = prefix.to_vec();
            input.resize(prefix.len() + megabytes * 1_000_000, byte);
            group.throughput(Throughput::Bytes(input.len() as u64));
            group.bench_function(format!("{name}/{megabytes}MB"), |b| {
                b.iter(|| {
                    let (report, _) = split_records(&input[..], SplitLimits::default(), |r| {
                        black_box(r);
                    });
                    black_box(report)
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench, pathological);
criterion_main!(benches);
