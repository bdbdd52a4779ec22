//! Objects listed by more than one `s3://` input: read once.
//!
//! Two inputs can name the same object when their prefixes overlap (`s3://b/AWSLogs/` and
//! `s3://b/AWSLogs/111122223333/`, or one URL given twice). A key listed under prefix `p` starts
//! with `p`, so two inputs of one bucket share keys only when one prefix starts with the other,
//! and then only keys under the longer one. Only those keys are remembered, so memory does not
//! grow with a bucket that is named once.

use std::collections::HashSet;
use std::sync::Mutex;

use super::s3_layout::S3Url;

/// Which `(bucket, key)` pairs a listing already handed on, among those that overlapping
/// inputs can both list.
#[derive(Debug, Default)]
pub struct Claims {
    /// `(bucket, prefix)` regions listed by more than one input.
    shared: Vec<(String, String)>,
    claimed: Mutex<HashSet<(String, String)>>,
}

impl Claims {
    /// The regions where `urls` overlap.
    pub fn new(urls: &[S3Url]) -> Self {
        let mut shared = Vec::new();
        for (i, a) in urls.iter().enumerate() {
            for b in &urls[i + 1..] {
                if a.bucket != b.bucket {
                    continue;
                }
                let longer = if a.prefix.starts_with(&b.prefix) {
                    &a.prefix
                } else if b.prefix.starts_with(&a.prefix) {
                    &b.prefix
                } else {
                    continue;
                };
                shared.push((a.bucket.clone(), longer.clone()));
            }
        }
        Self { shared, claimed: Mutex::default() }
    }

    /// True when this listing is the first to hand on `key` of `bucket`; false when another
    /// input's listing already did (a duplicate).
    pub fn claim(&self, bucket: &str, key: &str) -> bool {
        let shared = (self.shared.iter()).any(|(b, prefix)| b == bucket && key.starts_with(prefix));
        if !shared {
            return true;
        }
        // A poisoned lock only means another listing panicked; the set is still consistent.
        let mut claimed = self.claimed.lock().unwrap_or_else(|e| e.into_inner());
        claimed.insert((bucket.to_string(), key.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(texts: &[&str]) -> Vec<S3Url> {
        texts.iter().map(|t| S3Url::parse(t).expect("valid")).collect()
    }

    #[test]
    fn only_keys_under_overlapping_prefixes_are_shared() {
        let claims = Claims::new(&urls(&[
            "s3://b/AWSLogs/",
            "s3://b/AWSLogs/1111/",
            "s3://b/other/",
            "s3://c/AWSLogs/1111/",
        ]));
        assert_eq!(claims.shared, [("b".to_string(), "AWSLogs/1111/".to_string())]);
        assert!(claims.claim("b", "AWSLogs/1111/x.json.gz"));
        assert!(!claims.claim("b", "AWSLogs/1111/x.json.gz"), "listed twice");
        assert!(claims.claim("b", "AWSLogs/2222/x.json.gz"));
        assert!(claims.claim("b", "AWSLogs/2222/x.json.gz"), "not shared: not remembered");
        assert!(claims.claim("c", "AWSLogs/1111/x.json.gz"), "another bucket");
        let twice = Claims::new(&urls(&["s3://b", "s3://b"]));
        assert!(twice.claim("b", "k") && !twice.claim("b", "k"));
    }
}
