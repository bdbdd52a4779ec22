//! The page template. maud escapes every value interpolated with `(…)`, in text and in
//! attributes alike; the only unescaped content is the page's own stylesheet and script,
//! compiled in from `report.css` and `report.js`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use super::chart::{self, Facet, Timeline};
use super::data::{HOUR_MICROS, ReportData, SampleEvent, UNJUDGED};
use super::{NewGroups, PageInput, SAMPLES_PER_ROW, Since, grouped, utc};
use crate::aggregate::{GroupFacts, SummaryRow, Totals};
use crate::report::columns::Cell;
use crate::report::schema::SUMMARY_COLUMNS;
use crate::report::{failure_noun, reason_label};
use crate::stats::ScanStats;
use crate::verdict::VerdictKind;

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// Bars in each of the top charts (principals, buckets, accounts, actions, policies).
const TOP_BARS: usize = 10;

/// Problems listed on the page; the rest are counted.
const PROBLEMS_LISTED: usize = 50;

const MINUTE: &str = "%Y-%m-%d %H:%M";
const SECOND: &str = "%Y-%m-%d %H:%M:%S";

/// The whole page.
pub fn render(data: &ReportData<'_>, input: &PageInput<'_>) -> String {
    let (denials, stats) = (data.denials, input.stats);
    let totals = data.groups.totals();
    let noun = failure_noun(&totals);
    let marks = NewMarks::of(data, input.new);
    let what = if totals.not_denials() == 0 { "Denials" } else { "Failures" };
    // A judged report's timeline shows the verdicts; any other, what the messages say.
    let judged = data.by_verdict.series.iter().any(|s| s != UNJUDGED);
    let (counts, facet) = match judged {
        true => (&data.by_verdict, Facet::Verdict),
        false => (&data.hourly, Facet::DeniedBy),
    };
    let timeline = chart::timeline(counts, facet, &change_markers(data.groups.amended()), what);
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="Content-Security-Policy" content=(content_security_policy());
                meta name="color-scheme" content="light dark";
                meta name="generator" content=(concat!("whydenied ", env!("CARGO_PKG_VERSION")));
                title { "whydenied: " (grouped(denials)) " " (noun) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { (capitalized(noun)) }
                    p.meta {
                        @if let (Some(first), Some(last)) = (data.first_time, data.last_time) {
                            (utc(Some(first), MINUTE)) " – " (utc(Some(last), MINUTE)) " UTC · "
                        }
                        "generated " (chrono::Utc::now().format(MINUTE)) " UTC by whydenied "
                        (env!("CARGO_PKG_VERSION"))
                    }
                }
                main {
                    (headline(data, &totals, input, marks.as_ref()))
                    @if let Some(stats) = stats {
                        (scan_facts(stats))
                    }
                    (timeline_section(timeline.as_ref(), what, data.without_time))
                    p.note {
                        "Click a bar of any chart below or above, or a name in the legend, to show "
                        "only its rows in the table."
                    }
                    section.columns {
                        (top_chart("Top principals", "principal", &data.top_principals(TOP_BARS), ""))
                        (top_chart("Top buckets", "bucket", &data.top_buckets(TOP_BARS), "No request names a bucket."))
                        (top_chart("Top accounts", "account", &data.top_accounts(TOP_BARS), "No request names an account."))
                        (top_chart("Top actions", "action", &data.top_actions(TOP_BARS), ""))
                        @let policies = data.top_denying_policies(TOP_BARS);
                        @if !policies.is_empty() {
                            (top_chart("Top denying policies (named in the message)", "policy", &policies, ""))
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

/// `1 group`, `1,200 groups`.
fn count_of(n: usize, noun: &str) -> String {
    format!("{} {noun}{}", grouped(n as u64), if n == 1 { "" } else { "s" })
}

/// `Denied requests`.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A chart of the largest `items`, each bar filtering the table to its `facet`; `empty` is
/// said when there are none.
fn top_chart(title: &str, facet: &str, items: &[(&str, u64)], empty: &str) -> Markup {
    html! {
        figure {
            figcaption { h2 { (title) } }
            @if items.is_empty() {
                p.note { (empty) }
            } @else {
                (chart::bars(items, facet))
            }
        }
    }
}

fn headline(
    data: &ReportData<'_>,
    totals: &Totals,
    input: &PageInput<'_>,
    marks: Option<&NewMarks>,
) -> Markup {
    let groups = data.groups.len() as u64;
    let noun = failure_noun(totals);
    html! {
        ul.headline {
            li {
                span.value { (grouped(data.denials)) }
                span.label {
                    (noun)
                    @if totals.not_denials() > 0 {
                        " (" (grouped(totals.denials - totals.not_denials())) " denied)"
                    }
                }
            }
            @if let Some(marks) = marks {
                li.new {
                    span.value { (grouped(marks.count)) }
                    span.label { "new groups " (since_label(marks.since)) }
                }
            }
            @if let Some(hidden) = totals.hidden_noise {
                li.noise {
                    span.value { (grouped(hidden.denials)) }
                    span.label { "noise left out by --hide-noise (" (count_of(hidden.groups, "group")) ")" }
                }
            } @else if totals.noise.groups > 0 {
                li.noise {
                    span.value { (grouped(totals.noise.denials)) }
                    span.label { "of them labelled noise (" (count_of(totals.noise.groups, "group")) ")" }
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

fn timeline_section(timeline: Option<&Timeline>, what: &str, without_time: u64) -> Markup {
    html! {
        section {
            @if let Some(timeline) = timeline {
                h2 {
                    (what) " per " (timeline.bin.noun())
                    @match timeline.facet {
                        Facet::DeniedBy => ", by the policy that denied",
                        Facet::Verdict => ", by verdict (against the policies that applied)",
                    }
                }
                div.tools {
                    label.toggle {
                        input #log-scale type="checkbox" checked[timeline.spiky];
                        " logarithmic scale"
                        @if timeline.spiky {
                            span.sub { " (on: one " (timeline.bin.noun()) " holds far more than the others)" }
                        }
                    }
                }
                div.chart-scroll.log[timeline.spiky] #timeline {
                    (timeline.svg)
                    (timeline.log_svg)
                }
                ul.legend {
                    @for series in &timeline.legend {
                        li {
                            button.series type="button" data-facet=(timeline.facet.key()) data-value=(series.key)
                                data-label=(series.name) title={
                                    @match timeline.facet {
                                        Facet::DeniedBy => "Show only the rows denied by ",
                                        Facet::Verdict => "Show only the rows with denials judged ",
                                    }
                                    (series.name)
                                } {
                                (chart::swatch(series.colour)) (series.name) " " span.sub { (grouped(series.total)) }
                            }
                        }
                    }
                }
            } @else {
                h2 { "Timeline" }
            }
            @if without_time > 0 {
                p.note { (grouped(without_time)) " requests have no valid event time and are not in the timeline." }
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
                "Click a header to sort; type to filter (every word must match); click a chart "
                "to show only its rows."
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
                @let noisy = data.shown.iter().filter(|g| g.noise.is_some()).count();
                @if noisy > 0 {
                    label.only-new {
                        input #hide-noise type="checkbox";
                        " hide the " (count_of(noisy, "noise group"))
                    }
                }
                output #shown for="filter" { (grouped(shown as u64)) " rows" }
            }
            // Filled by the script with the chart filters in force, each with a button to drop it.
            div #facets .facets aria-live="polite" {}
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
                @for (i, ((group, samples), facts)) in data.shown.iter().zip(&data.samples).zip(data.groups.facts()).enumerate() {
                    (group_rows(group, samples, marks.is_some_and(|m| m.is_new[i]), &facts))
                }
            }
        }
    }
}

/// One group: its row, and under it the drill-down across the table's width. Each group is a
/// `<tbody>` of its own, so that sorting and filtering move and hide the two rows together.
fn group_rows(
    g: &SummaryRow,
    samples: &[SampleEvent],
    is_new: bool,
    group: &GroupFacts<'_>,
) -> Markup {
    let reason = reason_label(g);
    // Every policy type among the group's denials: a timeline segment filters by any of them.
    let mut denied_by: Vec<&str> = group.denied_by.iter().map(|((by, _), _)| by.as_str()).collect();
    denied_by.dedup();
    // And every verdict among them, for a judged report's timeline.
    let judged = g.eval.as_ref().map_or(0, |e| e.counts.iter().sum::<u64>());
    let mut verdicts: Vec<&str> = VerdictKind::ALL
        .iter()
        .filter(|k| g.eval.as_ref().is_some_and(|e| e.count(**k) > 0))
        .map(|k| k.as_str())
        .collect();
    if judged < g.count {
        verdicts.push(UNJUDGED);
    }
    let hour = |t: Option<i64>| t.map(|t| t.div_euclid(HOUR_MICROS));
    html! {
        tbody {
            // data-*: what the charts filter the table by (exact values, not text search).
            tr.group.new[is_new].noise[g.noise.is_some()]
                data-principal=(g.principal) data-action=(g.action) data-bucket=[g.bucket.as_deref()]
                data-accounts=(g.accounts.join(" ")) data-policy=[g.denying_policy_arn.as_deref()]
                data-denied-by=(denied_by.join(" ")) data-verdicts=(verdicts.join(" "))
                data-first=[hour(g.first_seen)] data-last=[hour(g.last_seen)] {
                td.num data-label="Count" data-column="count" data-sort=(g.count) {
                    @if is_new {
                        span.badge title="not seen before" { "new" } " "
                    }
                    @if let Some(label) = g.noise {
                        span.badge.noise-badge title={ "labelled noise: " (label) } { "noise" } " "
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
                            ", first and last seen, accounts, regions, session names"
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
                        Cell::TextList([]) => "–",
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
    // The verdict column only for judged runs (`--policies`).
    let judged = samples.iter().any(|s| s.verdict.is_some());
    html! {
        table.samples {
            thead {
                tr {
                    th { "Time (UTC)" } th { "Account" } th { "Session" } th { "Source IP" }
                    th { "User agent" } th { "Resource" } th { "Error" }
                    @if judged { th { "Verdict" } }
                    th { "Event id" }
                }
            }
            tbody {
                @for s in samples {
                    tr {
                        td data-label="Time (UTC)" { (utc(s.event_time, SECOND)) }
                        td data-label="Account" { (or_dash(&s.account_id)) }
                        td data-label="Session" { (or_dash(&s.session_name)) }
                        td data-label="Source IP" { (or_dash(&s.source_ip)) }
                        td data-label="User agent" { (or_dash(&s.user_agent)) }
                        // The ARN names the object too; without one, the key.
                        td data-label="Resource" { (or_dash(&s.resource_arn.clone().or_else(|| s.object_key.clone()))) }
                        td data-label="Error" { code { (or_dash(&s.error_code)) } " " (or_dash(&s.error_message)) }
                        @if judged { td data-label="Verdict" { (or_dash(&s.verdict)) } }
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

/// `45 min`, `7 h`, `3.9 days`, `9 weeks`, `7.1 years`: the largest unit that keeps the number
/// readable.
fn duration(micros: i64) -> String {
    let minutes = micros / 60_000_000;
    let days = minutes as f64 / 1_440.0;
    match minutes {
        ..120 => format!("{} min", minutes.max(0)),
        120..4_320 => format!("{} h", (minutes + 30) / 60),
        _ if days < 14.0 => format!("{days:.1} days"),
        _ if days < 91.0 => format!("{:.0} weeks", days / 7.0),
        _ if days < 730.0 => format!("{:.1} months", days / 30.44),
        _ => format!("{:.1} years", days / 365.25),
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
        let day = 86_400_000_000;
        assert_eq!(duration(20 * day), "3 weeks");
        assert_eq!(duration(200 * day), "6.6 months");
        assert_eq!(duration(2_595 * day + day * 7 / 10), "7.1 years");
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
