//! The fast path and a slow reference must find exactly the same denials.
//!
//! Fast: the real pipeline (streaming splitter, prefilter, simd-json), read back from
//! `denials.parquet`. Slow: serde_json parses every whole file, every record goes to the
//! classifier, no prefilter. Any record the splitter mis-cuts or the prefilter wrongly drops
//! shows up as a difference.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use flate2::read::MultiGzDecoder;
use flate2::{Compression, write::GzEncoder};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;
use serde_json::{Value, json};
use whydenied::classify::{FailureFilter, classify};
use whydenied::event::Event;
use whydenied::pipeline::{ScanConfig, scan};

const EVERYTHING: FailureFilter = FailureFilter { include_authn: true, all_errors: true };
const DENIALS_ONLY: FailureFilter = FailureFilter { include_authn: false, all_errors: false };

/// The columns compared, per denial.
type Row = Vec<Option<String>>;
const COMPARED: [&str; 9] = [
    "event_id",
    "principal",
    "action",
    "bucket",
    "error_code",
    "error_category",
    "denied_by",
    "deny_kind",
    "origin",
];

fn fast(inputs: &[PathBuf], filter: FailureFilter) -> Vec<Row> {
    let out = tempfile::tempdir().expect("temp dir");
    let inputs = inputs.iter().map(|p| p.display().to_string()).collect();
    let config = ScanConfig {
        filter,
        threads: Some(2),
        ..ScanConfig::new(inputs, out.path().to_path_buf())
    };
    let outcome = scan(&config).expect("scan runs");
    let file = fs::File::open(&outcome.reports.denials[0]).expect("report written");
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet").build().expect("reader");
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let columns: Vec<_> = COMPARED
            .iter()
            .map(|name| batch.column_by_name(name).expect("column").as_string::<i32>().clone())
            .collect();
        for i in 0..batch.num_rows() {
            rows.push(
                columns.iter().map(|c| (!c.is_null(i)).then(|| c.value(i).to_string())).collect(),
            );
        }
    }
    rows.sort();
    rows
}

/// Every record of a file, by serde_json: trail objects, arrays, single objects, one per line,
/// and CloudWatch export lines (`<timestamp> {json}`).
fn records_of(bytes: &[u8]) -> Vec<Value> {
    let mut text = Vec::new();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        MultiGzDecoder::new(bytes).read_to_end(&mut text).expect("valid gzip");
    } else {
        text = bytes.to_vec();
    }
    let mut records = Vec::new();
    let stripped: Vec<u8> = text
        .split(|&b| b == b'\n')
        .map(|line| {
            if line.first().is_some_and(|b| b.is_ascii_digit()) {
                &line[line.iter().position(|&b| b == b'{').unwrap_or(line.len())..]
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join(&b'\n');
    for value in serde_json::Deserializer::from_slice(&stripped).into_iter::<Value>() {
        match value.expect("test inputs are valid JSON") {
            Value::Object(mut o) if o.contains_key("Records") => {
                if let Some(Value::Array(items)) = o.remove("Records") {
                    records.extend(items);
                }
            }
            Value::Array(items) => records.extend(items),
            other => records.push(other),
        }
    }
    records
}

fn slow(inputs: &[PathBuf], filter: FailureFilter) -> Vec<Row> {
    let mut rows = Vec::new();
    for path in inputs {
        let origin: Arc<str> = Arc::from(path.display().to_string().as_str());
        for record in records_of(&fs::read(path).expect("readable")) {
            let mut bytes = serde_json::to_vec(&record).expect("serialisable");
            let value = simd_json::to_borrowed_value(&mut bytes).expect("serde_json output parses");
            let Some(event) = Event::from_json(&value) else {
                continue;
            };
            if let Some(d) = classify(&event, filter, &origin) {
                rows.push(vec![
                    d.event_id,
                    Some(d.principal.principal),
                    Some(d.action),
                    d.target.bucket,
                    d.error_code,
                    Some(d.category.as_str().to_string()),
                    Some(d.denied_by.as_str().to_string()),
                    Some(d.deny_kind.as_str().to_string()),
                    Some(origin.to_string()),
                ]);
            }
        }
    }
    rows.sort();
    rows
}

#[test]
fn sample_logs_fast_equals_slow() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let files: Vec<PathBuf> = crate::common::relative_files(&dir)
        .into_iter()
        .map(|p| dir.join(p))
        .filter(|p| {
            !p.to_string_lossy().contains("CloudTrail-Digest")
                && !p.to_string_lossy().contains("CloudTrail-Insight")
        })
        .collect();
    for filter in [DENIALS_ONLY, EVERYTHING] {
        let expected = slow(&files, filter);
        assert!(expected.len() > 100, "sample-logs must hold failures to compare");
        assert_eq!(fast(&files, filter), expected);
    }
}

/// Strings that stress a splitter: brackets, quotes, escapes, the prefilter's own key, unicode.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ]{0,10}",
        Just("\"errorCode\": \"AccessDenied\"".to_string()),
        Just("}]},{\"Records\":[".to_string()),
        Just("\\\\\\\"{".to_string()),
        Just("é☃\u{1F600}\u{202e}\u{0}\n\t".to_string()),
        Just("User: x is not authorized to perform: s3:GetObject with an explicit deny in a service control policy".to_string()),
    ]
}

fn record() -> impl Strategy<Value = Value> {
    let code = prop_oneof![
        Just(None),
        Just(None),
        Just(Some(json!("AccessDenied"))),
        Just(Some(json!("UnauthorizedOperation"))),
        Just(Some(json!("ExpiredToken"))),
        Just(Some(json!("NoSuchKey"))),
        Just(Some(json!(403))),
    ];
    (any::<u32>(), code, tricky_string(), tricky_string(), tricky_string(), any::<bool>()).prop_map(
        |(id, code, agent, key, message, nested)| {
            let mut r = json!({
                "eventVersion": "1.11", "eventID": format!("e-{id}"), "eventTime": "2026-11-02T10:00:00Z",
                "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "userAgent": agent,
                "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{}", id % 5)},
                "requestParameters": {"bucketName": format!("b{}", id % 3), "key": key},
            });
            if let Some(code) = code {
                r["errorCode"] = code;
                r["errorMessage"] = json!(message);
            }
            if nested {
                r["additionalEventData"] = json!({"a": [[{"b": ["}", "{"]}], {}], "c": {"d": message}});
            }
            r
        },
    )
}

#[derive(Clone, Copy, Debug)]
enum Layout {
    Trail,
    PrettyTrail,
    BareArray,
    Lines,
    ExportLines,
}

fn render(records: &[Value], layout: Layout) -> Vec<u8> {
    let lines = |prefix: &str| {
        records.iter().map(|r| format!("{prefix}{}\n", r)).collect::<String>().into_bytes()
    };
    match layout {
        Layout::Trail => serde_json::to_vec(&json!({"Records": records})).expect("json"),
        Layout::PrettyTrail => {
            serde_json::to_vec_pretty(&json!({"Records": records})).expect("json")
        }
        Layout::BareArray => serde_json::to_vec(records).expect("json"),
        Layout::Lines => lines(""),
        Layout::ExportLines => lines("2026-11-02T10:00:00.000Z "),
    }
}

fn gzip_members(data: &[u8], members: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let size = data.len().div_ceil(members.max(1)).max(1);
    for chunk in data.chunks(size) {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(chunk).expect("in memory");
        out.extend(encoder.finish().expect("in memory"));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn generated_files_fast_equals_slow(
        files in proptest::collection::vec(
            (proptest::collection::vec(record(), 0..40),
             prop_oneof![Just(Layout::Trail), Just(Layout::PrettyTrail), Just(Layout::BareArray), Just(Layout::Lines), Just(Layout::ExportLines)],
             0usize..3),
            1..4),
        everything in any::<bool>(),
    ) {
        let filter = if everything { EVERYTHING } else { DENIALS_ONLY };
        let dir = tempfile::tempdir().expect("temp dir");
        let mut paths = Vec::new();
        for (i, (records, layout, gzip)) in files.iter().enumerate() {
            let mut bytes = render(records, *layout);
            if *gzip > 0 {
                bytes = gzip_members(&bytes, *gzip);
            }
            let path = dir.path().join(format!("{i}.json"));
            fs::write(&path, bytes).expect("write");
            paths.push(path);
        }
        prop_assert_eq!(fast(&paths, filter), slow(&paths, filter));
    }
}
