//! The columns of both reports, in order: `denials.parquet` (one row per kept failure) and
//! `summary.parquet` (one row per principal × action × bucket). This is the one place a column
//! is declared; see [`super::columns`] for what is driven from it.

use std::sync::Arc;

use super::columns::{ColumnDef, set};
use crate::aggregate::SummaryRow;
use crate::changes::link::ChangeLink;
use crate::changes::{PolicyChange, TargetType};
use crate::classify::Denial;
use crate::classify::category::ErrorCategory;
use crate::classify::principal::Principal;
use crate::classify::reason::{DeniedBy, DenyKind, PolicyType};
use crate::classify::resource::Target;
use crate::suppress::noise_label_named;
use crate::verdict::tally::GroupVerdict;
use crate::verdict::{Verdict, VerdictKind};

type D = ColumnDef<Denial>;

/// The columns of `denials.parquet`, in order.
pub static DENIAL_COLUMNS: &[ColumnDef<Denial>] = &[
    D::time("event_time", |d| d.event_time, |d, v| d.event_time = v),
    D::text("event_id", |d| d.event_id.as_deref(), |d, v| set::optional(&mut d.event_id, v))
        .unique(),
    D::text("request_id", |d| d.request_id.as_deref(), |d, v| set::optional(&mut d.request_id, v))
        .unique(),
    D::text("account_id", |d| d.account_id.as_deref(), |d, v| set::optional(&mut d.account_id, v)),
    D::text("region", |d| d.region.as_deref(), |d, v| set::optional(&mut d.region, v)),
    D::text(
        "event_source",
        |d| d.event_source.as_deref(),
        |d, v| set::optional(&mut d.event_source, v),
    ),
    D::text("event_name", |d| d.event_name.as_deref(), |d, v| set::optional(&mut d.event_name, v)),
    D::text("action", |d| Some(&d.action), |d, v| set::required(&mut d.action, v)),
    D::text(
        "error_category",
        |d| Some(d.category.as_str()),
        |d, v| set::named(&mut d.category, v, ErrorCategory::from_str_opt),
    ),
    D::text("error_code", |d| d.error_code.as_deref(), |d, v| set::optional(&mut d.error_code, v)),
    D::text(
        "error_message",
        |d| d.error_message.as_deref(),
        |d, v| set::optional(&mut d.error_message, v),
    ),
    D::text(
        "denied_by",
        |d| Some(d.denied_by.as_str()),
        |d, v| set::named(&mut d.denied_by, v, DeniedBy::from_str_opt),
    ),
    D::text(
        "deny_kind",
        |d| Some(d.deny_kind.as_str()),
        |d, v| set::named(&mut d.deny_kind, v, DenyKind::from_str_opt),
    ),
    D::text(
        "via_policy_type",
        |d| d.via_policy_type.map(PolicyType::as_str),
        |d, v| {
            d.via_policy_type = v.as_deref().and_then(policy_type_named);
            Some(())
        },
    ),
    D::text(
        "denying_policy_arn",
        |d| d.denying_policy_arn.as_deref(),
        |d, v| set::optional(&mut d.denying_policy_arn, v),
    ),
    D::flag("has_encoded_message", |d| d.has_encoded_message, |d, v| d.has_encoded_message = v),
    D::text(
        "principal",
        |d| Some(&d.principal.principal),
        |d, v| set::required(&mut d.principal.principal, v),
    ),
    D::text(
        "principal_type",
        |d| Some(&d.principal.principal_type),
        |d, v| set::required(&mut d.principal.principal_type, v),
    ),
    D::text(
        "caller_arn",
        |d| d.principal.caller_arn.as_deref(),
        |d, v| set::optional(&mut d.principal.caller_arn, v),
    ),
    D::text(
        "session_name",
        |d| d.principal.session_name.as_deref(),
        |d, v| set::optional(&mut d.principal.session_name, v),
    ),
    D::text(
        "principal_account",
        |d| d.principal.account.as_deref(),
        |d, v| set::optional(&mut d.principal.account, v),
    ),
    D::text(
        "invoked_by",
        |d| d.principal.invoked_by.as_deref(),
        |d, v| set::optional(&mut d.principal.invoked_by, v),
    ),
    D::text(
        "bucket",
        |d| d.target.bucket.as_deref(),
        |d, v| set::optional(&mut d.target.bucket, v),
    ),
    D::text(
        "object_key",
        |d| d.target.object_key.as_deref(),
        |d, v| set::optional(&mut d.target.object_key, v),
    )
    .unique(),
    D::text(
        "resource_arn",
        |d| d.target.resource_arn.as_deref(),
        |d, v| set::optional(&mut d.target.resource_arn, v),
    ),
    D::text("source_ip", |d| d.source_ip.as_deref(), |d, v| set::optional(&mut d.source_ip, v)),
    D::text("user_agent", |d| d.user_agent.as_deref(), |d, v| set::optional(&mut d.user_agent, v)),
    D::text(
        "vpc_endpoint_id",
        |d| d.vpc_endpoint_id.as_deref(),
        |d, v| set::optional(&mut d.vpc_endpoint_id, v),
    ),
    D::text(
        "origin",
        |d| Some(&d.origin),
        |d, v| {
            d.origin = Arc::from(v?.as_str());
            Some(())
        },
    ),
    D::text(
        "suppressed_by",
        |d| d.suppressed_by.as_deref(),
        |d, v| set::optional(&mut d.suppressed_by, v),
    ),
    D::text(
        "noise",
        |d| d.noise,
        |d, v| {
            d.noise = v.as_deref().and_then(noise_label_named);
            Some(())
        },
    ),
    D::text(
        "eval_context",
        |d| d.eval_context.as_deref(),
        |d, v| set::optional(&mut d.eval_context, v),
    )
    .unique(),
    // The verdict (`scan --policies`, `explain OUT`): null until a run judges the denial.
    D::text(
        "eval_verdict",
        |d| d.verdict.as_ref().map(|v| v.kind.as_str()),
        |d, v| match v {
            Some(name) => {
                verdict_mut(d).kind = VerdictKind::from_str_opt(&name)?;
                Some(())
            }
            None => Some(()),
        },
    )
    .added_later(),
    D::text(
        "eval_layer",
        |d| d.verdict.as_ref().and_then(|v| v.layer).map(DeniedBy::as_str),
        |d, v| set_verdict(d, v, |verdict, v| verdict.layer = DeniedBy::from_str_opt(&v)),
    )
    .added_later(),
    D::text(
        "eval_policy",
        |d| d.verdict.as_ref().and_then(|v| v.policy.as_deref()),
        |d, v| set_verdict(d, v, |verdict, v| verdict.policy = Some(v)),
    )
    .added_later(),
    D::text(
        "eval_statement",
        |d| d.verdict.as_ref().and_then(|v| v.statement.as_deref()),
        |d, v| set_verdict(d, v, |verdict, v| verdict.statement = Some(v)),
    )
    .added_later(),
    D::text(
        "eval_condition",
        |d| d.verdict.as_ref().and_then(|v| v.condition.as_deref()),
        |d, v| set_verdict(d, v, |verdict, v| verdict.condition = Some(v)),
    )
    .unique()
    .added_later(),
    D::text_list(
        "eval_unknown_keys",
        |d| d.verdict.as_ref().map_or(&[], |v| &v.unknown_keys),
        |d, v| set_verdict_list(d, v, |verdict, v| verdict.unknown_keys = v),
    )
    .added_later(),
    D::text_list(
        "eval_assumptions",
        |d| d.verdict.as_ref().map_or(&[], |v| &v.assumptions),
        |d, v| set_verdict_list(d, v, |verdict, v| verdict.assumptions = v),
    )
    .added_later(),
    D::text(
        "eval_policies_as_of",
        |d| d.verdict.as_ref().and_then(|v| v.policies_as_of.as_deref()),
        |d, v| set_verdict(d, v, |verdict, v| verdict.policies_as_of = Some(v)),
    )
    .added_later(),
    D::flag(
        "eval_mismatch",
        |d| d.verdict.as_ref().is_some_and(|v| v.mismatch),
        |d, v| {
            if v {
                verdict_mut(d).mismatch = true;
            }
        },
    )
    .added_later(),
    D::text_list(
        "eval_gaps",
        |d| d.verdict.as_ref().map_or(&[], |v| &v.gaps),
        |d, v| set_verdict_list(d, v, |verdict, v| verdict.gaps = v),
    )
    .added_later(),
];

/// The denial's verdict, created when a report row has one (its `eval_verdict` comes first and
/// sets the kind; a row without one has null or empty `eval_…` cells and stays unjudged).
fn verdict_mut(d: &mut Denial) -> &mut Verdict {
    d.verdict.get_or_insert_with(|| Box::new(Verdict::not_evaluated(Vec::new())))
}

fn set_verdict(d: &mut Denial, value: Option<String>, put: fn(&mut Verdict, String)) -> Option<()> {
    if let Some(value) = value {
        put(verdict_mut(d), value);
    }
    Some(())
}

fn set_verdict_list(d: &mut Denial, value: Vec<String>, put: fn(&mut Verdict, Vec<String>)) {
    if !value.is_empty() {
        put(verdict_mut(d), value);
    }
}

type S = ColumnDef<SummaryRow>;

/// The columns of `summary.parquet` (and of the JSON, CSV and HTML summaries), in order.
pub static SUMMARY_COLUMNS: &[ColumnDef<SummaryRow>] = &[
    S::text("principal", |r| Some(&r.principal), |r, v| set::required(&mut r.principal, v)),
    S::text(
        "principal_type",
        |r| Some(&r.principal_type),
        |r, v| set::required(&mut r.principal_type, v),
    ),
    S::text("action", |r| Some(&r.action), |r, v| set::required(&mut r.action, v)),
    S::text("bucket", |r| r.bucket.as_deref(), |r, v| set::optional(&mut r.bucket, v)),
    S::count("count", |r| r.count, |r, v| r.count = v),
    S::time("first_seen", |r| r.first_seen, |r, v| r.first_seen = v),
    S::time("last_seen", |r| r.last_seen, |r, v| r.last_seen = v),
    S::count("distinct_source_ips", |r| r.distinct_source_ips, |r, v| r.distinct_source_ips = v),
    S::text_list("accounts", |r| &r.accounts, |r, v| r.accounts = v),
    S::text_list("regions", |r| &r.regions, |r, v| r.regions = v),
    S::text_list("error_codes", |r| &r.error_codes, |r, v| r.error_codes = v),
    S::text(
        "error_category",
        |r| Some(r.category.as_str()),
        |r, v| set::named(&mut r.category, v, ErrorCategory::from_str_opt),
    ),
    S::text(
        "denied_by",
        |r| Some(r.denied_by.as_str()),
        |r, v| set::named(&mut r.denied_by, v, DeniedBy::from_str_opt),
    ),
    S::text(
        "deny_kind",
        |r| Some(r.deny_kind.as_str()),
        |r, v| set::named(&mut r.deny_kind, v, DenyKind::from_str_opt),
    ),
    S::text(
        "denying_policy_arn",
        |r| r.denying_policy_arn.as_deref(),
        |r, v| set::optional(&mut r.denying_policy_arn, v),
    ),
    S::text(
        "sample_event_id",
        |r| r.sample_event_id.as_deref(),
        |r, v| set::optional(&mut r.sample_event_id, v),
    )
    .unique(),
    S::text(
        "sample_error_message",
        |r| r.sample_error_message.as_deref(),
        |r, v| set::optional(&mut r.sample_error_message, v),
    ),
    S::text(
        "sample_resource_arn",
        |r| r.sample_resource_arn.as_deref(),
        |r, v| set::optional(&mut r.sample_resource_arn, v),
    ),
    S::text(
        "sample_vpc_endpoint_id",
        |r| r.sample_vpc_endpoint_id.as_deref(),
        |r, v| set::optional(&mut r.sample_vpc_endpoint_id, v),
    ),
    S::text("hint", |r| Some(&r.hint), |r, v| set::required(&mut r.hint, v)),
    S::text(
        "change_event_id",
        |r| r.change.as_ref().and_then(|c| c.event_id.as_deref()),
        |r, v| set_change(r, v, |c, v| c.event_id = Some(v)),
    )
    .unique(),
    S::time(
        "change_time",
        |r| r.change.as_ref().and_then(|c| c.time),
        |r, v| {
            if let Some(t) = v {
                r.change.get_or_insert_with(ChangeLink::default).time = Some(t);
            }
        },
    ),
    S::text(
        "change_actor",
        |r| r.change.as_ref().map(|c| c.actor.as_str()),
        |r, v| set_change(r, v, |c, v| c.actor = v),
    ),
    S::text(
        "change_event_name",
        |r| r.change.as_ref().map(|c| c.event_name.as_str()),
        |r, v| set_change(r, v, |c, v| c.event_name = v),
    ),
    S::text(
        "change_target_type",
        |r| r.change.as_ref().and_then(|c| c.target_type).map(TargetType::as_str),
        |r, v| set_change(r, v, |c, v| c.target_type = TargetType::from_str_opt(&v)),
    ),
    S::text(
        "change_target",
        |r| r.change.as_ref().and_then(|c| c.target.as_deref()),
        |r, v| set_change(r, v, |c, v| c.target = Some(v)),
    ),
    S::flag("changed_after", |r| r.changed_after, |r, v| r.changed_after = v),
    S::text(
        "self_change_event_id",
        |r| r.self_change_event_id.as_deref(),
        |r, v| set::optional(&mut r.self_change_event_id, v),
    )
    .unique(),
    S::time(
        "transient_success_time",
        |r| r.transient_success_time,
        |r, v| r.transient_success_time = v,
    )
    .added_later(),
    S::text(
        "noise",
        |r| r.noise,
        |r, v| {
            r.noise = v.as_deref().and_then(noise_label_named);
            Some(())
        },
    ),
    S::text_list("session_names", |r| &r.session_names, |r, v| r.session_names = v),
    S::text(
        "eval_verdict",
        |r| r.eval.as_ref().and_then(|e| e.verdict).map(VerdictKind::as_str),
        |r, v| set_eval(r, v, |e, v| e.verdict = VerdictKind::from_str_opt(&v)),
    )
    .added_later(),
    S::text(
        "eval_policy",
        |r| r.eval.as_ref().and_then(|e| e.policy.as_deref()),
        |r, v| set_eval(r, v, |e, v| e.policy = Some(v)),
    )
    .added_later(),
    S::text(
        "eval_statement",
        |r| r.eval.as_ref().and_then(|e| e.statement.as_deref()),
        |r, v| set_eval(r, v, |e, v| e.statement = Some(v)),
    )
    .added_later(),
    S::count(
        "eval_explicit_deny",
        |r| eval_count(r, VerdictKind::ExplicitDeny),
        |r, v| set_eval_count(r, VerdictKind::ExplicitDeny, v),
    )
    .added_later(),
    S::count(
        "eval_implicit_deny",
        |r| eval_count(r, VerdictKind::ImplicitDeny),
        |r, v| set_eval_count(r, VerdictKind::ImplicitDeny, v),
    )
    .added_later(),
    S::count(
        "eval_conditional",
        |r| eval_count(r, VerdictKind::Conditional),
        |r, v| set_eval_count(r, VerdictKind::Conditional, v),
    )
    .added_later(),
    S::count(
        "eval_allowed_now",
        |r| eval_count(r, VerdictKind::AllowedNow),
        |r, v| set_eval_count(r, VerdictKind::AllowedNow, v),
    )
    .added_later(),
    S::count(
        "eval_not_evaluated",
        |r| eval_count(r, VerdictKind::NotEvaluated),
        |r, v| set_eval_count(r, VerdictKind::NotEvaluated, v),
    )
    .added_later(),
];

fn set_eval(
    row: &mut SummaryRow,
    value: Option<String>,
    put: fn(&mut GroupVerdict, String),
) -> Option<()> {
    if let Some(value) = value {
        put(row.eval.get_or_insert_with(GroupVerdict::default), value);
    }
    Some(())
}

fn eval_count(row: &SummaryRow, kind: VerdictKind) -> u64 {
    row.eval.as_ref().map_or(0, |e| e.count(kind))
}

fn set_eval_count(row: &mut SummaryRow, kind: VerdictKind, n: u64) {
    if n > 0 {
        row.eval.get_or_insert_with(GroupVerdict::default).set_count(kind, n);
    }
}

/// Sets a part of the row's change link from a non-null cell (a row without a link has null in
/// every `change_…` column, and stays without one).
fn set_change(
    row: &mut SummaryRow,
    value: Option<String>,
    put: fn(&mut ChangeLink, String),
) -> Option<()> {
    if let Some(value) = value {
        put(row.change.get_or_insert_with(ChangeLink::default), value);
    }
    Some(())
}

type C = ColumnDef<PolicyChange>;

/// The columns of `policy_changes.parquet`, in order.
pub static POLICY_CHANGE_COLUMNS: &[ColumnDef<PolicyChange>] = &[
    C::time("event_time", |c| c.event_time, |c, v| c.event_time = v),
    C::text("event_id", |c| c.event_id.as_deref(), |c, v| set::optional(&mut c.event_id, v))
        .unique(),
    C::text("account_id", |c| c.account_id.as_deref(), |c, v| set::optional(&mut c.account_id, v)),
    C::text("region", |c| c.region.as_deref(), |c, v| set::optional(&mut c.region, v)),
    C::text(
        "event_source",
        |c| c.event_source.as_deref(),
        |c, v| set::optional(&mut c.event_source, v),
    ),
    C::text("event_name", |c| Some(&c.event_name), |c, v| set::required(&mut c.event_name, v)),
    C::text("actor", |c| Some(&c.actor), |c, v| set::required(&mut c.actor, v)),
    C::text(
        "target_type",
        |c| Some(c.target_type.as_str()),
        |c, v| set::named(&mut c.target_type, v, TargetType::from_str_opt),
    ),
    C::text("target", |c| c.target.as_deref(), |c, v| set::optional(&mut c.target, v)),
    C::text("detail", |c| c.detail.as_deref(), |c, v| set::optional(&mut c.detail, v)),
    C::text("document", |c| c.document.as_deref(), |c, v| set::optional(&mut c.document, v))
        .unique(),
    C::text("error_code", |c| c.error_code.as_deref(), |c, v| set::optional(&mut c.error_code, v)),
    C::text(
        "origin",
        |c| Some(&c.origin),
        |c, v| {
            c.origin = Arc::from(v?.as_str());
            Some(())
        },
    ),
];

/// The row a policy-changes report row is read into.
pub fn blank_policy_change() -> PolicyChange {
    PolicyChange {
        event_time: None,
        event_id: None,
        account_id: None,
        region: None,
        event_source: None,
        event_name: String::new(),
        actor: String::new(),
        target_type: TargetType::BucketPolicy,
        target: None,
        detail: None,
        document: None,
        error_code: None,
        origin: Arc::from(""),
    }
}

/// `via_policy_type` holds a policy type's `denied_by` name.
fn policy_type_named(name: &str) -> Option<PolicyType> {
    match DeniedBy::from_str_opt(name)? {
        DeniedBy::Policy(policy) => Some(policy),
        _ => None,
    }
}

/// The row a denials report row is read into; every column then sets its field.
pub fn blank_denial() -> Denial {
    Denial {
        event_time: None,
        event_id: None,
        request_id: None,
        account_id: None,
        region: None,
        event_source: None,
        event_name: None,
        action: String::new(),
        category: ErrorCategory::Other,
        error_code: None,
        error_message: None,
        deny_kind: DenyKind::Generic,
        denied_by: DeniedBy::Unknown,
        via_policy_type: None,
        denying_policy_arn: None,
        has_encoded_message: false,
        principal: Principal::default(),
        target: Target::default(),
        source_ip: None,
        user_agent: None,
        vpc_endpoint_id: None,
        origin: Arc::from(""),
        suppressed_by: None,
        noise: None,
        eval_context: None,
        verdict: None,
    }
}

/// The row a summary report row is read into.
pub fn blank_summary() -> SummaryRow {
    SummaryRow {
        principal: String::new(),
        principal_type: String::new(),
        action: String::new(),
        bucket: None,
        count: 0,
        first_seen: None,
        last_seen: None,
        distinct_source_ips: 0,
        accounts: Vec::new(),
        regions: Vec::new(),
        error_codes: Vec::new(),
        category: ErrorCategory::Other,
        denied_by: DeniedBy::Unknown,
        deny_kind: DenyKind::Generic,
        denying_policy_arn: None,
        sample_event_id: None,
        sample_error_message: None,
        sample_resource_arn: None,
        sample_vpc_endpoint_id: None,
        hint: String::new(),
        change: None,
        changed_after: false,
        self_change_event_id: None,
        transient_success_time: None,
        noise: None,
        session_names: Vec::new(),
        eval: None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::fs::File;

    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;
    use crate::aggregate::Summary;
    use crate::report::parquet::ParquetReport;
    use crate::report::text::{write_csv, write_json};
    use crate::stats::ScanStats;

    fn names<T>(columns: &[ColumnDef<T>]) -> BTreeSet<String> {
        columns.iter().map(|c| c.name.to_string()).collect()
    }

    fn parquet_columns<T>(columns: &'static [ColumnDef<T>], row: &T) -> BTreeSet<String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut report = ParquetReport::create(dir.path(), "r.parquet", columns).expect("create");
        report.push(row).expect("push");
        let path = report.commit().expect("commit");
        let reader = SerializedFileReader::new(File::open(path).expect("open")).expect("parquet");
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        // A list column's leaf is `name.list.item`: its top-level name is the column.
        (0..schema.num_columns()).map(|i| schema.column(i).path().parts()[0].clone()).collect()
    }

    fn summary_row() -> SummaryRow {
        let mut summary = Summary::default();
        summary.add(&Denial::example());
        summary.into_rows().head(1).remove(0)
    }

    #[test]
    fn every_registered_column_is_in_parquet_csv_and_json() {
        let row = summary_row();
        assert_eq!(parquet_columns(SUMMARY_COLUMNS, &row), names(SUMMARY_COLUMNS));
        assert_eq!(parquet_columns(DENIAL_COLUMNS, &Denial::example()), names(DENIAL_COLUMNS));
        let change = blank_policy_change();
        assert_eq!(parquet_columns(POLICY_CHANGE_COLUMNS, &change), names(POLICY_CHANGE_COLUMNS));

        let mut csv = Vec::new();
        write_csv(&mut csv, [row.clone()], false).expect("csv");
        let csv = String::from_utf8(csv).expect("utf-8");
        let header: BTreeSet<String> =
            csv.lines().next().expect("header").split(',').map(str::to_string).collect();
        assert_eq!(header, names(SUMMARY_COLUMNS));

        let mut json = Vec::new();
        write_json(&mut json, [row], 1, &ScanStats::default()).expect("json");
        let json: serde_json::Value = serde_json::from_slice(&json).expect("valid JSON");
        let keys: BTreeSet<String> =
            json["summary"][0].as_object().expect("a row object").keys().cloned().collect();
        assert_eq!(keys, names(SUMMARY_COLUMNS));
    }

    #[test]
    fn text_forms_follow_the_column_kind() {
        let mut row = summary_row();
        row.accounts = vec!["1".into(), "2".into()];
        let json: serde_json::Map<_, _> =
            SUMMARY_COLUMNS.iter().map(|c| (c.name.to_string(), c.cell(&row).to_json())).collect();
        assert_eq!(json["count"], 1);
        assert_eq!(json["first_seen"], "2026-11-02T10:00:00Z");
        assert_eq!(json["accounts"], serde_json::json!(["1", "2"]));
        assert_eq!(json["denying_policy_arn"], serde_json::Value::Null);
        let text = |name: &str| {
            let column = SUMMARY_COLUMNS.iter().find(|c| c.name == name).expect("registered");
            column.cell(&row).to_text()
        };
        assert_eq!(text("accounts"), "1;2");
        assert_eq!(text("bucket"), "b");
        assert_eq!(text("denying_policy_arn"), "");
    }
}
