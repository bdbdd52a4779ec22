//! `reason`: arbitrary UTF-8 through `classify::reason::diagnose` (the `errorMessage` reader),
//! checking the invariants a report relies on:
//! - every returned string borrows from the message (lies inside its bytes), is non-empty and
//!   has no surrounding whitespace;
//! - `denying_policy_arn` and `via_policy_type` only for explicit denies by a named policy type;
//! - implicit denies name a policy type; S3's own reasons (Block Public Access, SSE-C, …) only
//!   with `service_reason` kind and text; a generic diagnosis carries no cause at all.
//! `bucket_in_resource` is applied to the resource found, and must borrow from it.
//! Non-UTF-8 inputs are skipped (the caller only ever has a `&str`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use whydenied::classify::reason::{DeniedBy, DenyKind, bucket_in_resource, diagnose};

/// `part` lies inside `whole`'s bytes (not merely equal to some substring of it).
fn borrows_from(whole: &str, part: &str) -> bool {
    let range = whole.as_bytes().as_ptr_range();
    let (start, end) = (part.as_ptr(), part.as_ptr().wrapping_add(part.len()));
    range.start <= start && end <= range.end
}

fuzz_target!(|data: &[u8]| {
    let Ok(message) = std::str::from_utf8(data) else {
        return;
    };
    let d = diagnose(message);

    let texts = [
        ("principal", d.principal),
        ("action", d.action),
        ("resource", d.resource),
        ("service_reason", d.service_reason),
        ("denying_policy_arn", d.denying_policy_arn),
    ];
    for (name, text) in texts {
        let Some(text) = text else { continue };
        assert!(borrows_from(message, text), "{name} {text:?} is not borrowed from the message");
        assert!(!text.is_empty(), "{name} is Some(\"\")");
        assert_eq!(text, text.trim(), "{name} is not trimmed");
    }

    if d.denying_policy_arn.is_some() || d.via_policy_type.is_some() {
        assert_eq!(d.deny_kind, DenyKind::Explicit, "policy ARN/via outside an explicit deny: {d:?}");
        assert!(matches!(d.denied_by, DeniedBy::Policy(_)), "policy ARN/via without a policy type: {d:?}");
    }
    match d.deny_kind {
        DenyKind::Explicit => {
            assert!(d.service_reason.is_none(), "{d:?}");
            assert!(matches!(d.denied_by, DeniedBy::Policy(_) | DeniedBy::Unknown), "{d:?}");
        }
        DenyKind::Implicit => {
            assert!(matches!(d.denied_by, DeniedBy::Policy(_)), "{d:?}");
            assert!(d.service_reason.is_none(), "{d:?}");
        }
        DenyKind::ServiceReason => {
            assert!(d.service_reason.is_some(), "{d:?}");
            assert!(!matches!(d.denied_by, DeniedBy::Policy(_)), "{d:?}");
        }
        DenyKind::Generic => {
            assert_eq!(d.denied_by, DeniedBy::Unknown, "{d:?}");
            assert!(d.service_reason.is_none(), "{d:?}");
        }
    }

    if let Some(resource) = d.resource
        && let Some(bucket) = bucket_in_resource(resource)
    {
        assert!(borrows_from(resource, bucket), "bucket {bucket:?} not from {resource:?}");
        assert!(!bucket.is_empty() && bucket.len() <= 255);
    }
});
