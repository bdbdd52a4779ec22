//! `policy`: arbitrary bytes, read as JSON, through the offline IAM evaluation
//! (`policy::Request::from_json` then `policy::evaluate`) and, the same value taken as a policy
//! document alone, through `policy::document::Policy::parse`. Neither may panic: `whydenied
//! explain` reads requests and policies that users paste in. On top of that, the invariants the
//! explanation relies on:
//! - an `allowed` decision names no denying layer;
//! - `denied_by` lists each layer type once, in `DENIED_BY_ORDER`;
//! - the method is exact up to `EXACT_LIMIT` unknowns and Kleene above;
//! - a second evaluation of the same request gives the same decision and `denied_by`.
//!
//! Inputs that are not JSON are skipped (the parser is serde_json's, not ours).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use whydenied::policy::atoms::EXACT_LIMIT;
use whydenied::policy::document::Policy;
use whydenied::policy::{DENIED_BY_ORDER, Decision, Method, Request, evaluate};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    // A document alone: only that it returns.
    let _ = Policy::parse("fuzz", &value);

    let Ok(request) = Request::from_json(&value) else {
        return;
    };
    let evaluation = evaluate(&request);
    if evaluation.decision == Decision::Allowed {
        assert!(
            evaluation.denied_by.is_empty(),
            "allowed, yet denied by {:?}",
            evaluation.denied_by
        );
    }
    let positions: Vec<usize> = evaluation
        .denied_by
        .iter()
        .map(|layer| {
            DENIED_BY_ORDER
                .iter()
                .position(|l| l == layer)
                .expect("a layer type of DENIED_BY_ORDER")
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "denied_by out of order: {:?}",
        evaluation.denied_by
    );
    let exact = evaluation.unknowns.len() <= EXACT_LIMIT;
    assert_eq!(
        evaluation.method == Method::Exact,
        exact,
        "{} unknowns, {:?}",
        evaluation.unknowns.len(),
        evaluation.method
    );

    let again = evaluate(&request);
    assert_eq!((again.decision, &again.denied_by), (evaluation.decision, &evaluation.denied_by));
});
