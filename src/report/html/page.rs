//! The page template. maud escapes every value interpolated with `(…)`, in text and in
//! attributes alike; the only unescaped content is the page's own stylesheet and script,
//! compiled in from `report.css` and `report.js`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use super::chart::{self, Timeline};
use super::data::{HOUR_MICROS, ReportData, SampleEvent};
use super::{NewGroups, PageInput, SAMPLES_PER_ROW, Since, grouped, utc};
use crate::aggregate::SummaryRow;
use crate::report::columns::Cell;
use crate::report::reason_label;
use crate::report::schema::SUMMARY_COLUMNS;
use crate::stats::ScanStats;

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// Bars in each of the top-principals and top-buckets charts.
const TOP_BARS: usize = 10;

/// Problems listed on the page; the rest are counted.
const PROBLEMS_LISTED: usize = 50;

const MINUTE: &str = "%Y-%m-%d %H:%M";
const SECOND: &str = "%Y-%m-%d %H:%M:%S";

/// The whole page.
pub fn render(data: &ReportData<'_>, input: &PageInput<'_>) -> String {
    let (denials, stats) = (data.denials, input.stats);
    let marks = NewMarks::of(data, input.new);
    let timeline = chart::timeline(&data.hourly, &change_markers(data.groups.amended()));
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(content_security_policy());
                meta name="color-scheme" content="light dark";
                meta name="generator" content=(concat!("whydenied ", env!("CARGO_PKG_VERSION")));
                title { "whydenied: " (grouped(denials)) " denied requests" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { "Denied requests" }
                    p.meta {
                        @if let (Some(first), Some(last)) = (data.first_time, data.last_time) {
                            (utc(Some(first), MINUTE)) " – " (utc(Some(last), MINUTE)) " UTC · "
                        }
                        "generated " (chrono::Utc::now().format(MINUTE)) " UTC by whydenied "
                        (env!("CARGO_PKG_VERSION"))
                    }
                }
                main {
                    (headline(data, input, marks.as_ref()))
                    @if let Some(stats) = stats {
                        (scan_facts(stats))
                    }
                    (timeline_section(timeline.as_ref(), data.without_time))
                    section.columns {
                        figure {
                            figcaption { h2 { "Top principals" } }
                            (chart::bars(&data.top_principals(TOP_BARS)))
                        }
                        figure {
                            figcaption { h2 { "Top buckets" } }
                            @let buckets = data.top_buckets(TOP_BARS);
                            @if buckets.is_empty() {
                                p.note { "No denial names a bucket." }
                            } @else {
                                (chart::bars(&buckets))
                            }
                        }
                    }
                    (table(data, marks.as_ref()))
                }
                footer {
                    p {
                        "Made from the denials and summary reports. Times are UTC. "
                        "This page loads nothing from the network."
                    }
                }
                script { (PreEscaped(JS)) }
            }
        }
    };
    page.into_string()
}

/// No fetches of any kind; only this page's own script and stylesheet may run or apply.
fn content_security_policy() -> String {
    let hash = |text: &str| BASE64.encode(Sha256::digest(text.as_bytes()));
    format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; \
         base-uri 'none'; form-action 'none'",
        hash(JS),
        hash(CSS)
    )
}

fn headline(data: &ReportData<'_>, input: &PageInput<'_>, marks: Option<&NewMarks>) -> Markup {
    let groups = data.groups.len() as u64;
    html! {
        ul.headline {
            li {
                span.value { (grouped(data.denials)) }
                span.label { "denied requests" }
            }
            @if let Some(marks) = marks {
                li.new {
                    span.value { (grouped(marks.count)) }
                    span.label { "new groups " (since_label(marks.since)) }
                }
            }
            li {
                span.value { (grouped(data.principal_count() as u64)) }
                span.label { "principals" }
            }
            li {
                span.value { (grouped(data.bucket_count() as u64)) }
                span.label { "buckets" }
            }
            li {
                span.value { (grouped(groups)) }
                span.label { "groups (principal × action × bucket)" }
            }
            li {
                span.value {
                    @match (data.first_time, data.last_time) {
                        (Some(first), Some(last)) => (duration(last - first)),
                        _ => "–",
                    }
                }
                span.label { "time span" }
            }
            @if let Some(stats) = input.stats.filter(|s| s.incomplete()) {
                li.warn {
                    span.value { (grouped(stats.problems.len() as u64)) }
                    span.label { "inputs not read completely" }
                }
            }
        }
    }
}

/// What was scanned, and what could not be read.
fn scan_facts(stats: &ScanStats) -> Markup {
    let megabytes = |bytes: u64| format!("{:.1} MB", bytes as f64 / 1e6);
    html! {
        p.note {
            "Scanned " (grouped(stats.objects)) " inputs (" (megabytes(stats.stored_bytes))
            " stored, " (megabytes(stats.decoded_bytes)) " decoded): "
            (grouped(stats.records)) " records, " (grouped(stats.parsed)) " parsed, "
            (grouped(stats.kept)) " kept"
            @if stats.outside_window > 0 {
                ", " (grouped(stats.outside_window)) " outside the time window"
            }
            @if stats.suppressed > 0 {
                ", " (grouped(stats.suppressed)) " suppressed by rules (not shown)"
            }
            "."
        }
        @if stats.incomplete() {
            details.problems {
                summary { (grouped(stats.problems.len() as u64)) " inputs could not be read completely" }
                ul {
                    @for problem in stats.problems.iter().take(PROBLEMS_LISTED) {
                        li { code { (problem.origin) } ": " (problem.what) }
                    }
                    @if stats.problems.len() > PROBLEMS_LISTED {
                        li { "… and " (grouped((stats.problems.len() - PROBLEMS_LISTED) as u64)) " more" }
                    }
                }
            }
        }
    }
}

fn timeline_section(timeline: Option<&Timeline>, without_time: u64) -> Markup {
    html! {
        section {
            @if let Some(timeline) = timeline {
                h2 { "Denials per " (timeline.bin.noun()) ", by the policy that denied" }
                div.chart-scroll { (timeline.svg) }
                ul.legend {
                    @for series in &timeline.legend {
                        li { (chart::swatch(series.colour)) (series.name) " " span.sub { (grouped(series.total)) } }
                    }
                }
            } @else {
                h2 { "Timeline" }
            }
            @if without_time > 0 {
                p.note { (grouped(without_time)) " denials have no valid event time and are not in the timeline." }
            }
        }
    }
}

fn table(data: &ReportData<'_>, marks: Option<&NewMarks>) -> Markup {
    let shown = data.shown.len();
    let total = data.groups.len();
    html! {
        section {
            h2 { "Who was denied what" }
            p.note {
                "One row per principal × action × bucket, largest first"
                @if shown < total {
                    strong { ": the top " (grouped(shown as u64)) " of " (grouped(total as u64)) " rows are shown" }
                    " (the summary report has them all)"
                }
                ". Each row lists up to " (SAMPLES_PER_ROW) " of its most recent events. "
                "Click a header to sort; type to filter (every word must match)."
            }
            div.tools {
                input #filter type="search" placeholder="Filter: principal, action, bucket, IP…"
                    aria-label="Filter the rows" autocomplete="off";
                @if let Some(marks) = marks {
                    label.only-new {
                        input #only-new type="checkbox";
                        " only the " (grouped(marks.count)) " new groups"
                    }
                }
                output #shown for="filter" { (grouped(shown as u64)) " rows" }
            }
            table #summary {
                colgroup {
                    col.count; col.principal; col.action; col.bucket; col.denied-by; col.last-seen; col.hint;
                }
                thead {
                    tr {
                        th.num data-type="number" aria-sort="descending" { button type="button" { "Count" } }
                        th { button type="button" { "Principal" } }
                        th { button type="button" { "Action" } }
                        th { button type="button" { "Bucket" } }
                        th { button type="button" { "Denied by" } }
                        th data-type="number" { button type="button" { "Last seen" } }
                        th.hint-column { "Next step" }
                    }
                }
                @for (i, (group, samples)) in data.shown.iter().zip(&data.samples).enumerate() {
                    (group_rows(group, samples, marks.is_some_and(|m| m.is_new[i])))
                }
            }
        }
    }
}

/// One group: its row, and under it the drill-down across the table's width. Each group is a
/// `<tbody>` of its own, so that sorting and filtering move and hide the two rows together.
fn group_rows(g: &SummaryRow, samples: &[SampleEvent], is_new: bool) -> Markup {
    let reason = reason_label(g);
    html! {
        tbody {
            tr.group.new[is_new] {
                td.num data-label="Count" data-column="count" data-sort=(g.count) {
                    @if is_new {
                        span.badge title="not seen before" { "new" } " "
                    }
                    (grouped(g.count))
                }
                td data-label="Principal" {
                    span.principal data-column="principal" { (g.principal) }
                    " " span.sub data-column="principal_type" { (g.principal_type) }
                }
                td.action data-label="Action" data-column="action" {
                    // A line may break after the service: `sts:` / `AssumeRoleWithWebIdentity`.
                    @match g.action.split_once(':') {
                        Some((service, name)) => { (service) ":" wbr; (name) },
                        None => (g.action),
                    }
                }
                td data-label="Bucket" data-column="bucket" {
                    @match &g.bucket {
                        Some(bucket) => span.bucket { (bucket) },
                        None => span.sub { "–" },
                    }
                }
                // `denied_by` and `deny_kind` read as one label: `scp (explicit)`.
                td data-label="Denied by" data-column="denied_by deny_kind" { (chart::swatch(chart::colour_of(g.denied_by.as_str()))) (reason) }
                td data-label="Last seen" data-column="last_seen" data-sort=[g.last_seen] { (utc(g.last_seen, MINUTE)) }
                td.hint data-label="Next step" data-column="hint" { (g.hint) }
            }
            tr.drill {
                td colspan="7" {
                    details {
                        summary {
                            @match samples.len() {
                                1 => "1 event",
                                n => { (n) " most recent events" },
                            }
                            ", first and last seen, accounts, regions"
                        }
                        (facts(g))
                        @if samples.is_empty() {
                            p.note { "No event of this group was found in denials.parquet." }
                        } @else {
                            (sample_table(samples))
                        }
                    }
                }
            }
        }
    }
}

/// The policy changes the groups are linked to, once each, for the timeline.
fn change_markers<'r>(groups: impl Iterator<Item = &'r SummaryRow>) -> Vec<chart::Marker> {
    let mut seen = std::collections::BTreeMap::new();
    for link in groups.filter_map(|g| g.change.as_ref()) {
        let Some(time) = link.time else { continue };
        seen.entry((time, link.event_id.clone())).or_insert_with(|| chart::Marker {
            hour: time.div_euclid(HOUR_MICROS),
            label: format!(
                "{} {} by {} on {} (event {})",
                utc(Some(time), MINUTE),
                link.event_name,
                link.actor,
                link.target.as_deref().unwrap_or("–"),
                link.event_id.as_deref().unwrap_or("–")
            ),
        });
    }
    seen.into_values().collect()
}

/// The columns of the summary shown in a group's row of the table.
pub const ROW_COLUMNS: &[&str] = &[
    "count",
    "principal",
    "principal_type",
    "action",
    "bucket",
    "denied_by",
    "deny_kind",
    "last_seen",
    "hint",
];

/// Every registered summary column the row does not show, under the row: adding a column to
/// the registry adds it here.
fn facts(g: &SummaryRow) -> Markup {
    html! {
        ul.facts {
            @for column in SUMMARY_COLUMNS.iter().filter(|c| !ROW_COLUMNS.contains(&c.name)) {
                li data-column=(column.name) {
                    span.sub { (column.name.replace('_', " ")) " " }
                    @match column.cell(g) {
                        Cell::Time(t) => (utc(t, SECOND)),
                        Cell::Count(n) => (grouped(n)),
                        Cell::TextList(items) => (items.join(", ")),
                        Cell::Text(None) => "–",
                        other => (other.to_text()),
                    }
                }
            }
        }
    }
}

fn sample_table(samples: &[SampleEvent]) -> Markup {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "–".into());
    html! {
        table.samples {
            thead {
                tr { th { "Time (UTC)" } th { "Source IP" } th { "User agent" } th { "Object key" } th { "Error" } th { "Event id" } }
            }
            tbody {
                @for s in samples {
                    tr {
                        td data-label="Time (UTC)" { (utc(s.event_time, SECOND)) }
                        td data-label="Source IP" { (or_dash(&s.source_ip)) }
                        td data-label="User agent" { (or_dash(&s.user_agent)) }
                        td data-label="Object key" { (or_dash(&s.object_key)) }
                        td data-label="Error" { code { (or_dash(&s.error_code)) } " " (or_dash(&s.error_message)) }
                        td data-label="Event id" { (or_dash(&s.event_id)) }
                    }
                }
            }
        }
    }
}

/// Which of the page's groups are new, looked up once for the headline, the box and the rows.
struct NewMarks {
    /// Parallel to `ReportData::groups`.
    is_new: Vec<bool>,
    count: u64,
    since: Since,
}

impl NewMarks {
    fn of(data: &ReportData<'_>, new: Option<NewGroups<'_>>) -> Option<Self> {
        let new = new?;
        let is_new: Vec<bool> =
            data.groups.counts().map(|(key, _)| new.keys.contains(key)).collect();
        Some(NewMarks {
            count: is_new.iter().filter(|&&n| n).count() as u64,
            is_new,
            since: new.since,
        })
    }
}

/// `since the last run`, `since 2026-11-27 22:00 UTC`.
fn since_label(since: Since) -> String {
    match since {
        Since::LastRun => "since the last run".to_string(),
        Since::Time(t) => format!("since {} UTC", utc(Some(t), MINUTE)),
    }
}

/// `45 min`, `7 h`, `3.9 days`.
fn duration(micros: i64) -> String {
    let minutes = micros / 60_000_000;
    match minutes {
        ..120 => format!("{} min", minutes.max(0)),
        120..4_320 => format!("{} h", (minutes + 30) / 60),
        _ => format!("{:.1} days", minutes as f64 / 1_440.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(duration(0), "0 min");
        assert_eq!(duration(45 * 60_000_000), "45 min");
        assert_eq!(duration(7 * 3_600_000_000), "7 h");
        assert_eq!(duration(94 * 3_600_000_000), "3.9 days");
    }

    #[test]
    fn the_policy_hashes_the_inlined_script_and_style() {
        let policy = content_security_policy();
        assert!(policy.starts_with("default-src 'none'; script-src 'sha256-"));
        assert_eq!(policy.matches("'sha256-").count(), 2);
        assert!(!JS.contains("</script"), "the script must not end its own element");
        assert!(!CSS.contains("</style"), "the stylesheet must not end its own element");
    }
}
