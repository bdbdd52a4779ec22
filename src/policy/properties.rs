//! Properties the evaluation must have whatever the policies say, checked on random small
//! requests (`generate`): monotonicity in Deny and Allow statements, what an applying Deny and
//! an empty request decide, invariance under the forms IAM treats alike, the SCP/RCP defaults,
//! soundness of the treatment of unknown keys, and the faithfulness of the explanation. Each
//! property names its rule in docs/EVALUATION.md. Every case goes through
//! `Request::from_json`, so the parser is exercised too.

mod generate;

use super::document::Effect;
use super::truth::Truth;
use super::*;
use generate::{
    Case, Doc, GET_CALLER_IDENTITY, KEYS, LAYERS, Layer, full_aws_access, rcp_full_aws_access,
    statement, values_of,
};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

fn run(case: &Case) -> Evaluation {
    let json = case.json();
    let request = Request::from_json(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    evaluate(&request)
}

fn verdict(e: &Evaluation) -> (Decision, Vec<DeniedBy>) {
    (e.decision, e.denied_by.clone())
}

/// Where a statement goes: into an existing policy (`existing`: which one, at which place), or
/// into a policy of its own in `layer` (a new identity policy, a new SCP/RCP level, or the
/// layer's one policy when it has none yet — else into that one).
#[derive(Debug, Clone)]
struct Place {
    existing: bool,
    layer: Layer,
    /// Random choices, taken modulo the number of policies (levels) and statement places.
    policy: usize,
    position: usize,
}

fn place(existing: impl Strategy<Value = bool>) -> impl Strategy<Value = Place> {
    (existing, select(LAYERS), any::<usize>(), any::<usize>())
        .prop_map(|(existing, layer, policy, position)| Place { existing, layer, policy, position })
}

/// A statement of `effect` in both forms: without a principal (identity side) and with one
/// (resource side); [`insert`] takes the one its policy's layer reads.
fn statements(effect: &'static str) -> impl Strategy<Value = (Value, Value)> {
    (statement(effect, false), statement(effect, true))
}

/// Inserts the statement at `place`; returns where it went (policy index), or `None` when the
/// place names an existing policy and there is none.
fn insert(case: &mut Case, place: &Place, (identity, resource): (Value, Value)) -> Option<usize> {
    let pick = |layer: Layer| if layer.resource_side() { &resource } else { &identity };
    if !place.existing {
        let doc = Doc::of(vec![pick(place.layer).clone()]);
        if case.add_policy(place.layer, place.policy, doc) {
            return Some(case.policies.len() - 1);
        }
    }
    let candidates: Vec<usize> = (0..case.policies.len())
        .filter(|&i| place.existing || case.policies[i].layer == place.layer)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let i = candidates[place.policy % candidates.len()];
    let statement = pick(case.policies[i].layer).clone();
    let statements = &mut case.policies[i].doc.statements;
    statements.insert(place.position % (statements.len() + 1), statement);
    Some(i)
}

/// Whether the statement would make a bucket policy public in the engine's stand-in for
/// `PolicyIsPublic` (§4 step 5): an Allow naming anyone without a `Condition`.
fn is_public(statement: &Value) -> bool {
    let anyone = |p: &Value| p == "*" || p.as_array().is_some_and(|l| l.iter().any(|v| v == "*"));
    statement["Effect"] == "Allow"
        && statement.get("Condition").is_none()
        && statement.get("Principal").is_some_and(|p| p == "*" || p.get("AWS").is_some_and(anyone))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// P1 (§4 step 2, and every grant rule reads Allows only): adding a Deny statement — to any
    /// existing policy, or as a policy, boundary, session policy or SCP/RCP level of its own —
    /// never turns a refusal into `allowed`, and an explicit deny stays one. (Only when the new
    /// statement pushes the request past the exact-enumeration limit may an exact explicit deny
    /// become Kleene's `conditional`.)
    #[test]
    fn p1_adding_a_deny_never_allows(
        case in generate::case(), place in place(any::<bool>()), deny in statements("Deny"),
    ) {
        let before = run(&case);
        let mut case = case;
        prop_assume!(insert(&mut case, &place, deny).is_some());
        let after = run(&case);
        if before.decision != Decision::Allowed {
            prop_assert_ne!(after.decision, Decision::Allowed);
        }
        if before.decision == Decision::ExplicitDeny
            && !(before.method == Method::Exact && after.method == Method::Kleene)
        {
            prop_assert_eq!(after.decision, Decision::ExplicitDeny);
        }
    }

    /// P2 (§4 step 4, monotone in every Allow): adding an Allow statement to an *existing*
    /// policy never turns `allowed` into a refusal. A new policy is not generated here: a new
    /// boundary, session policy or SCP level is a new requirement. Excluded: an Allow that makes
    /// the bucket policy public under Block Public Access without `PolicyIsPublic` (step 5 then
    /// refuses outsiders — that is the rule, not a loss of monotonicity). Past the exact limit
    /// Kleene may only weaken `allowed` to `conditional`.
    #[test]
    fn p2_adding_an_allow_to_a_policy_never_denies(
        case in generate::case(), place in place(Just(true)), allow in statements("Allow"),
    ) {
        let before = run(&case);
        let mut case = case;
        let Some(i) = insert(&mut case, &place, allow.clone()) else {
            return Ok(());
        };
        let bpa_reads_the_policy = matches!(case.block_public_access, Some((_, None)));
        prop_assume!(!(bpa_reads_the_policy
            && case.policies[i].layer == Layer::Resource
            && is_public(&allow.1)));
        let after = run(&case);
        if before.decision == Decision::Allowed {
            let weakened = before.method == Method::Exact
                && after.method == Method::Kleene
                && after.decision == Decision::Conditional;
            prop_assert!(after.decision == Decision::Allowed || weakened, "{:?}", verdict(&after));
        }
    }

    /// P3 (§4 step 2): a Deny that certainly applies — no condition, `Action` the request's
    /// action, `Resource` `*`, `Principal` `*` where the layer reads it — in any layer that takes
    /// part (§3) makes the decision `explicit_deny`, and `denied_by` names that layer.
    #[test]
    fn p3_an_applying_deny_is_an_explicit_deny(
        case in generate::case(), layer in any::<usize>(), place in place(any::<bool>()),
    ) {
        prop_assume!(case.action != GET_CALLER_IDENTITY);
        let taking_part: Vec<Layer> = LAYERS.iter().copied().filter(|&l| case.takes_part(l)).collect();
        let layer = taking_part[layer % taking_part.len()];
        let deny = json!({"Effect": "Deny", "Action": case.action, "Resource": "*"});
        let mut principal = deny.clone();
        principal["Principal"] = json!("*");
        let mut case = case;
        let place = Place { existing: false, layer, ..place };
        insert(&mut case, &place, (deny, principal)).expect("a new policy or the layer's one");
        let e = run(&case);
        prop_assert_eq!(e.decision, Decision::ExplicitDeny);
        prop_assert!(e.denied_by.contains(&layer.denied_by(case.action)), "{:?}", e.denied_by);
    }

    /// P5 (§1, §2): the order of statements and of policies, a string versus a list of one (for
    /// `Statement`, actions, resources, principals and condition values) and the case of
    /// condition keys (in policies and in the context) change neither the decision nor
    /// `denied_by`. Compared when both evaluations use the same method: which unknowns a pass
    /// meets depends on order (a statement stops at its first false condition, a resource list
    /// at its first match), so near the exact limit one order may be enumerated exactly and the
    /// other in Kleene logic.
    #[test]
    fn p5_forms_iam_treats_alike_decide_alike(case in generate::case(), seed in any::<u64>()) {
        let before = run(&case);
        let mut rng = SplitMix(seed);
        let mut reordered = case.clone();
        for policy in &mut reordered.policies {
            rng.shuffle(&mut policy.doc.statements);
        }
        rng.shuffle(&mut reordered.policies);
        let mut json = reordered.json();
        rewrite_forms(&mut json, &mut rng);
        let request = Request::from_json(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
        let after = evaluate(&request);
        if before.method == after.method {
            prop_assert_eq!(verdict(&before), verdict(&after), "{}", json);
        }
    }

    /// P6 (§3, §4 step 3): an SCP level holding only FullAWSAccess changes nothing, added or
    /// removed; a level without any Allow (no policy, or Denies only) refuses every caller SCPs
    /// govern; RCP levels holding only RCPFullAWSAccess are the same as no RCPs.
    #[test]
    fn p6_default_scps_and_rcps(
        case in generate::case(),
        at in any::<usize>(),
        deny_only in proptest::option::of(statement("Deny", false)),
        rcp_levels in 1..=3usize,
    ) {
        let before = verdict(&run(&case));

        let mut added = case.clone();
        added.add_policy(Layer::Scp, at, full_aws_access());
        prop_assert_eq!(&verdict(&run(&added)), &before, "FullAWSAccess level added");

        let mut removed = case.clone();
        let full = full_aws_access().statements;
        for level in (0..removed.scp_levels.unwrap_or(0)).rev() {
            let docs: Vec<&Doc> = removed.level(Layer::Scp, level).collect();
            if !docs.is_empty() && docs.iter().all(|d| d.statements == full) {
                removed.remove_level(Layer::Scp, level);
            }
        }
        prop_assert_eq!(&verdict(&run(&removed)), &before, "FullAWSAccess levels removed");

        let mut without_allow = case.clone();
        without_allow.add_policy(Layer::Scp, at, Doc::of(deny_only.into_iter().collect()));
        let e = run(&without_allow);
        if case.who.under_scps() && case.action != GET_CALLER_IDENTITY {
            prop_assert_ne!(e.decision, Decision::Allowed);
            if e.decision == Decision::ImplicitDeny {
                let scp = DeniedBy::Policy(PolicyType::ServiceControlPolicy);
                prop_assert!(e.denied_by.contains(&scp), "{:?}", e.denied_by);
            }
        }

        let mut no_rcps = case;
        for level in (0..no_rcps.rcp_levels.unwrap_or(0)).rev() {
            no_rcps.remove_level(Layer::Rcp, level);
        }
        no_rcps.rcp_levels = None;
        let mut full_rcps = no_rcps.clone();
        for _ in 0..rcp_levels {
            full_rcps.add_policy(Layer::Rcp, at, rcp_full_aws_access());
        }
        prop_assert_eq!(verdict(&run(&no_rcps)), verdict(&run(&full_rcps)), "RCPFullAWSAccess");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// P4 (§4 step 1 and step 4): with no policy at all, a caller IAM policies govern is refused
    /// for want of an identity Allow; `sts:GetCallerIdentity` is allowed to everyone.
    #[test]
    fn p4_no_policies_is_an_implicit_deny(case in generate::case()) {
        let mut case = case;
        case.policies.clear();
        case.scp_levels = None;
        case.rcp_levels = None;
        case.block_public_access = None;
        let e = run(&case);
        if case.action == GET_CALLER_IDENTITY {
            prop_assert_eq!(e.decision, Decision::Allowed);
        } else if case.who.governed_by_iam() {
            prop_assert_eq!(e.decision, Decision::ImplicitDeny);
            let identity = DeniedBy::Policy(PolicyType::IdentityBased);
            prop_assert!(e.denied_by.contains(&identity), "{:?}", e.denied_by);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// P7 (§1 key states, §2.3): masking context keys to unknown (or present-unknown) is sound.
    /// When the masked request has a definite decision, every completion — each masked key
    /// absent (unless present-unknown) or given one of its values — decides the same, and under
    /// exact enumeration names no layer the masked request did not. Only this direction holds:
    /// atoms are independent (§2.3), so a `conditional` answer need not have two completions that
    /// disagree (two atoms over one key may be unable to differ).
    #[test]
    fn p7_unknown_keys_are_sound(
        case in generate::case(),
        masked in proptest::sample::subsequence(KEYS, 1..=3),
        present in proptest::collection::vec(any::<bool>(), 3),
        completions in proptest::collection::vec(proptest::collection::vec(any::<usize>(), 3), 3),
    ) {
        let mut unknown = case;
        let masked: Vec<(&'static str, bool)> = masked.into_iter().zip(present).collect();
        for &(key, present) in &masked {
            unknown.context.remove(key);
            unknown.unknown.retain(|k| *k != key);
            unknown.present_unknown.retain(|k| *k != key);
            if present { unknown.present_unknown.push(key) } else { unknown.unknown.push(key) }
        }
        let e = run(&unknown);
        prop_assume!(e.decision != Decision::Conditional);
        for choice in completions {
            let mut complete = unknown.clone();
            for (&(key, present), pick) in masked.iter().zip(choice) {
                complete.unknown.retain(|k| *k != key);
                complete.present_unknown.retain(|k| *k != key);
                let values = values_of(key);
                let i = pick % (values.len() + usize::from(!present));
                if let Some(value) = values.get(i) {
                    complete.context.insert(key, value.clone());
                }
            }
            let c = run(&complete);
            prop_assert_eq!(c.decision, e.decision, "completion {:?}", complete.context);
            // A definite answer names the layers refusing in every case (§4), else those refusing
            // in some: one completion's layers hold the first set and lie within the second.
            if e.method == Method::Exact {
                let within = |a: &[DeniedBy], b: &[DeniedBy]| a.iter().all(|l| b.contains(l));
                prop_assert!(within(&e.denied_by, &c.denied_by) || within(&c.denied_by, &e.denied_by),
                    "completion {:?} names {:?}, masked {:?}", complete.context, c.denied_by, e.denied_by);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// P8 (the explanation, §4): (a) removing every Deny statement reported as applying removes
    /// an explicit deny, provided no Deny was reported as maybe applying (two such may together
    /// deny for certain); (b) an IAM caller refused by its identity policies alone (exactly) is
    /// allowed once an identity policy allows exactly its action on its resource.
    #[test]
    fn p8_the_explanation_is_faithful(case in generate::case()) {
        let e = run(&case);
        let denies = |applies: Truth| {
            e.statements.iter().filter(move |s| s.effect == Effect::Deny && s.applies == applies)
        };
        if e.decision == Decision::ExplicitDeny && denies(Truth::Unknown).next().is_none() {
            let mut places: Vec<(usize, usize)> = denies(Truth::True)
                .map(|s| {
                    let number = s.statement.strip_prefix('#').and_then(|n| n.parse::<usize>().ok());
                    (Case::policy_index(&s.policy), number.expect("generated statements have no Sid"))
                })
                .collect();
            places.sort_unstable();
            let mut without = case.clone();
            for &(policy, number) in places.iter().rev() {
                without.policies[policy].doc.statements.remove(number - 1);
            }
            let after = run(&without);
            prop_assert_ne!(after.decision, Decision::ExplicitDeny, "{:?}", after.statements);
        }
        let identity = DeniedBy::Policy(PolicyType::IdentityBased);
        // Without unknowns, so that no other layer refuses in some case `denied_by` leaves out.
        if case.who.governed_by_iam()
            && e.unknowns.is_empty()
            && e.decision == Decision::ImplicitDeny
            && e.denied_by == [identity]
        {
            let allow = json!({"Effect": "Allow", "Action": case.action, "Resource": case.resource.unwrap_or("*")});
            let mut granted = case;
            granted.add_policy(Layer::Identity, 0, Doc::of(vec![allow]));
            prop_assert_eq!(run(&granted).decision, Decision::Allowed);
        }
    }
}

/// A small deterministic generator for the rewrites of P5 (proptest shrinks its seed).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }

    fn shuffle<T>(&mut self, list: &mut [T]) {
        for i in (1..list.len()).rev() {
            list.swap(i, (self.next() % (i as u64 + 1)) as usize);
        }
    }

    fn recase(&mut self, text: &str) -> String {
        text.chars()
            .map(|c| if self.coin() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect()
    }
}

/// Rewrites a request into a form IAM reads the same: scalars to lists of one and back
/// (randomly), condition and context key names in random case.
fn rewrite_forms(request: &mut Value, rng: &mut SplitMix) {
    let fields = request.as_object_mut().expect("a request object");
    if let Some(Value::Object(context)) = fields.remove("context") {
        let recased = context.into_iter().map(|(k, v)| (rng.recase(&k), v)).collect();
        fields.insert("context".into(), Value::Object(recased));
    }
    for list in ["unknown_keys", "present_unknown_keys"] {
        for key in fields[list].as_array_mut().into_iter().flatten() {
            *key = rng.recase(key.as_str().expect("a key name")).into();
        }
    }
    for value in fields.values_mut() {
        for document in documents(value) {
            rewrite_document(document, rng);
        }
    }
}

/// The policy documents in a request field (`{"name": …, "document": …}`, in lists and levels).
fn documents(value: &mut Value) -> Vec<&mut Value> {
    match value {
        Value::Array(list) => list.iter_mut().flat_map(documents).collect(),
        Value::Object(named) if named.contains_key("document") => {
            named.get_mut("document").into_iter().collect()
        }
        _ => Vec::new(),
    }
}

fn rewrite_document(document: &mut Value, rng: &mut SplitMix) {
    let statement = &mut document["Statement"];
    for s in statement.as_array_mut().into_iter().flatten() {
        for element in ["Action", "NotAction", "Resource", "NotResource"] {
            if let Some(value) = s.get_mut(element) {
                toggle_list(value, rng);
            }
        }
        for element in ["Principal", "NotPrincipal"] {
            for value in s.get_mut(element).and_then(Value::as_object_mut).into_iter().flatten() {
                toggle_list(value.1, rng);
            }
        }
        if let Some(Value::Object(operators)) = s.get_mut("Condition") {
            for keys in operators.values_mut() {
                let Value::Object(entries) = keys else { continue };
                let recased = std::mem::take(entries)
                    .into_iter()
                    .map(|(k, mut v)| {
                        toggle_list(&mut v, rng);
                        (rng.recase(&k), v)
                    })
                    .collect();
                *entries = recased;
            }
        }
    }
    toggle_list(statement, rng);
}

/// A string becomes a list of one, a list of one its element — each with probability ½.
fn toggle_list(value: &mut Value, rng: &mut SplitMix) {
    if !rng.coin() {
        return;
    }
    *value = match value.take() {
        Value::Array(mut one) if one.len() == 1 => one.remove(0),
        Value::Array(list) => Value::Array(list),
        scalar => Value::Array(vec![scalar]),
    };
}
