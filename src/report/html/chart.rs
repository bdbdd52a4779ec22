//! The charts, drawn as SVG by hand: a stacked timeline of denials per `denied_by`, and
//! horizontal bars for the top principals and buckets.
//!
//! Hand-built rather than from a plotting crate: three simple shapes, no fonts to embed, and
//! the SVG goes through the same escaping template as the rest of the page. Colours are
//! attributes (fixed per `denied_by`, chosen to read on light and dark backgrounds); text and
//! grid take their colours from the page's CSS, so they follow `prefers-color-scheme`.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use maud::{Markup, html};

use super::data::{HourlyCounts, UNJUDGED};
use super::grouped;
use crate::classify::reason::DeniedBy;
use crate::report::denied_by_label;
use crate::verdict::VerdictKind;

/// One colour per [`DeniedBy::ALL`] entry, in that order (the last, grey, is `unknown`).
const PALETTE: [&str; 13] = [
    "#4e79a7", "#f28e2b", "#b07aa1", "#e15759", "#ff9da7", "#76b7b2", "#59a14f", "#edc948",
    "#9c755f", "#17becf", "#bcbd22", "#8c6bb1", "#9d9d9d",
];
const _: () = assert!(PALETTE.len() == DeniedBy::ALL.len());

/// For values a newer or foreign report may hold that this version does not know.
const OTHER_COLOUR: &str = "#6b6b6b";

/// One colour per verdict, in [`VerdictKind::ALL`] order, then `unjudged`.
const VERDICT_PALETTE: [&str; 6] =
    ["#e15759", "#f28e2b", "#edc948", "#59a14f", "#9d9d9d", "#bab0ac"];
const _: () = assert!(VERDICT_PALETTE.len() == VerdictKind::ALL.len() + 1);

/// What the timeline's series are: the `denied_by` of the messages, or, in a judged report,
/// the verdicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Facet {
    DeniedBy,
    Verdict,
}

impl Facet {
    /// The table filter a series selects (the rows' `data-*` the page's script reads).
    pub fn key(self) -> &'static str {
        match self {
            Facet::DeniedBy => "denied_by",
            Facet::Verdict => "verdict",
        }
    }

    /// A series' place in the legend; `None` for values this version does not know.
    fn rank(self, name: &str) -> Option<usize> {
        match self {
            Facet::DeniedBy => DeniedBy::ALL.iter().position(|b| b.as_str() == name),
            Facet::Verdict => VerdictKind::ALL
                .iter()
                .map(|k| k.as_str())
                .chain([UNJUDGED])
                .position(|k| k == name),
        }
    }

    fn label(self, name: &str) -> String {
        match self {
            Facet::DeniedBy => denied_by_label(name).to_string(),
            Facet::Verdict => name.replace('_', " "),
        }
    }

    fn colour(self, name: &str) -> &'static str {
        match self {
            Facet::DeniedBy => colour_of(name),
            Facet::Verdict => self.rank(name).map_or(OTHER_COLOUR, |i| VERDICT_PALETTE[i]),
        }
    }
}

/// The colour that stands for a `denied_by` value, in the timeline and the table.
pub fn colour_of(denied_by: &str) -> &'static str {
    DeniedBy::ALL.iter().position(|b| b.as_str() == denied_by).map_or(OTHER_COLOUR, |i| PALETTE[i])
}

/// The width of one timeline bar, chosen from the span so that bars stay countable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bin {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Bin {
    /// The finest bin that needs at most its limit of bars for the span.
    fn for_span(first_hour: i64, last_hour: i64) -> Bin {
        [(Bin::Hour, 96), (Bin::Day, 120), (Bin::Week, 104), (Bin::Month, 120)]
            .into_iter()
            .find(|(bin, limit)| bin.index(last_hour) - bin.index(first_hour) < *limit)
            .map_or(Bin::Year, |(bin, _)| bin)
    }

    pub fn noun(self) -> &'static str {
        match self {
            Bin::Hour => "hour",
            Bin::Day => "day",
            Bin::Week => "week",
            Bin::Month => "month",
            Bin::Year => "year",
        }
    }

    /// Which bin an hour (since the epoch) falls in, counted from the epoch.
    fn index(self, hour: i64) -> i64 {
        let day = hour.div_euclid(24);
        match self {
            Bin::Hour => hour,
            Bin::Day => day,
            // Weeks start on Monday; 1970-01-01 was a Thursday.
            Bin::Week => (day + 3).div_euclid(7),
            Bin::Month => {
                let date = date_of_day(day);
                i64::from(date.year()) * 12 + i64::from(date.month0())
            }
            Bin::Year => i64::from(date_of_day(day).year()),
        }
    }

    /// The first hour (since the epoch) of the bin with this index.
    fn start_hour(self, index: i64) -> i64 {
        let month_start = |year: i64, month0: i64| {
            let year = i32::try_from(year).unwrap_or(1970);
            let month = u32::try_from(month0 + 1).unwrap_or(1);
            chrono::NaiveDate::from_ymd_opt(year, month, 1)
                .map_or(0, |d| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp() / 3600)
        };
        match self {
            Bin::Hour => index,
            Bin::Day => index * 24,
            Bin::Week => (index * 7 - 3) * 24,
            Bin::Month => month_start(index.div_euclid(12), index.rem_euclid(12)),
            Bin::Year => month_start(index, 0),
        }
    }

    /// How a bin is named in tooltips (`long`) and under the axis.
    fn label(self, index: i64, long: bool) -> String {
        let start = |hours: i64| {
            DateTime::from_timestamp(hours.saturating_mul(3600), 0).unwrap_or(DateTime::UNIX_EPOCH)
        };
        match (self, long) {
            (Bin::Hour, true) => start(index).format("%Y-%m-%d %H:00 UTC").to_string(),
            (Bin::Hour, false) => start(index).format("%m-%d %H:00").to_string(),
            (Bin::Day, _) => start(index * 24).format("%Y-%m-%d").to_string(),
            (Bin::Week, true) => {
                format!("week of {}", start((index * 7 - 3) * 24).format("%Y-%m-%d"))
            }
            (Bin::Week, false) => start((index * 7 - 3) * 24).format("%Y-%m-%d").to_string(),
            (Bin::Month, _) => format!("{}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1),
            (Bin::Year, _) => index.to_string(),
        }
    }
}

fn date_of_day(day: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(day.saturating_mul(86_400), 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// A series of the timeline: one `denied_by` value, or one verdict.
pub struct Series {
    /// The value, as the reports hold it.
    pub key: String,
    /// As people are shown it (`not stated` for `unknown`).
    pub name: String,
    pub colour: &'static str,
    pub total: u64,
}

/// The timeline, drawn on a linear and on a logarithmic scale, with the legend the page puts
/// under it.
pub struct Timeline {
    pub bin: Bin,
    pub svg: Markup,
    pub log_svg: Markup,
    pub legend: Vec<Series>,
    pub facet: Facet,
    /// One bin holds so much more than the others that the linear scale flattens them: the
    /// page starts on the logarithmic one.
    pub spiky: bool,
}

/// How bar heights are measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    Linear,
    /// log10(1 + count): a bin of 1 is visible next to one of 100,000.
    Log,
}

/// The tallest bin is at least this many times the median non-empty bin: spiky.
const SPIKE_RATIO: u64 = 20;

// The timeline's drawing area, in SVG user units (the SVG scales to the page's width).
const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
/// How far before the first denial a policy change is still drawn, in hours.
const MARKER_LOOKBACK_HOURS: i64 = 7 * 24;
/// Axis labels under the timeline, at most.
const X_LABELS: usize = 8;

/// A policy change drawn on the timeline: a dashed line at its hour, named in its tooltip.
pub struct Marker {
    /// Hours since the epoch.
    pub hour: i64,
    pub label: String,
}

/// The timeline of `hourly` with the policy changes `markers` that fall inside it, or `None`
/// when no denial has a time.
/// `what` names what is counted: `Denials`, or `Failures` when not all are denials.
pub fn timeline(
    hourly: &HourlyCounts,
    facet: Facet,
    markers: &[Marker],
    what: &str,
) -> Option<Timeline> {
    let first_denial = hourly.counts.keys().map(|(h, _)| *h).min()?;
    let last_hour = hourly.counts.keys().map(|(h, _)| *h).max()?;
    // A change shortly before the first denial widens the chart to show it (a week at most,
    // the default look-back); older or later ones are not drawn.
    let drawn = |m: &&Marker| (first_denial - MARKER_LOOKBACK_HOURS..=last_hour).contains(&m.hour);
    let first_hour = markers
        .iter()
        .filter(drawn)
        .map(|m| m.hour)
        .min()
        .map_or(first_denial, |h| h.min(first_denial));
    let bin = Bin::for_span(first_hour, last_hour);
    let first = bin.index(first_hour);
    let bins = usize::try_from(bin.index(last_hour) - first + 1).unwrap_or(1);

    // Series in a fixed order: the facet's, then values this version does not know, by name.
    let rank = |name: &str| facet.rank(name);
    let mut order: Vec<usize> = (0..hourly.series.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&hourly.series[a], &hourly.series[b]);
        (rank(a).is_none(), rank(a), a).cmp(&(rank(b).is_none(), rank(b), b))
    });
    let mut stacks: BTreeMap<i64, Vec<u64>> = BTreeMap::new();
    let mut legend: Vec<Series> = order
        .iter()
        .map(|&s| Series {
            key: hourly.series[s].clone(),
            name: facet.label(&hourly.series[s]),
            colour: facet.colour(&hourly.series[s]),
            total: 0,
        })
        .collect();
    for (&(hour, series), &count) in &hourly.counts {
        let position = order.iter().position(|&s| s == series).unwrap_or(0);
        let stack = stacks.entry(bin.index(hour) - first).or_insert_with(|| vec![0; order.len()]);
        stack[position] += count;
        legend[position].total += count;
    }

    let mut totals: Vec<u64> = stacks.values().map(|s| s.iter().sum::<u64>()).collect();
    totals.sort_unstable();
    let spiky = totals.len() > 2
        && totals[totals.len() - 1] >= totals[totals.len() / 2].saturating_mul(SPIKE_RATIO);
    let plot = Plot {
        bin,
        first,
        bins,
        stacks: &stacks,
        legend: &legend,
        facet,
        markers,
        drawn: &drawn,
        what,
    };
    Some(Timeline {
        bin,
        svg: plot.draw(Scale::Linear),
        log_svg: plot.draw(Scale::Log),
        legend,
        facet,
        spiky,
    })
}

/// What both scales of the timeline draw.
struct Plot<'a, F: Fn(&&Marker) -> bool> {
    bin: Bin,
    /// The index of the first bin.
    first: i64,
    bins: usize,
    /// Bin offset → denials per series, in legend order.
    stacks: &'a BTreeMap<i64, Vec<u64>>,
    legend: &'a [Series],
    facet: Facet,
    markers: &'a [Marker],
    drawn: &'a F,
    what: &'a str,
}

impl<F: Fn(&&Marker) -> bool> Plot<'_, F> {
    fn draw(&self, scale: Scale) -> Markup {
        let Plot { bin, first, bins, stacks, legend, facet, markers, drawn, what } = *self;
        let tallest = stacks.values().map(|s| s.iter().sum::<u64>()).max().unwrap_or(1);
        let plot_width = WIDTH - LEFT - RIGHT;
        let plot_height = HEIGHT - TOP - BOTTOM;
        let bar_pitch = plot_width / bins as f64;
        let bar_width = if bar_pitch >= 4.0 { bar_pitch * 0.8 } else { bar_pitch };
        let (ticks, top) = match scale {
            Scale::Linear => {
                let (step, top) = y_scale(tallest);
                ((0..=top / step).map(|i| i * step).collect::<Vec<u64>>(), top)
            }
            Scale::Log => log_ticks(tallest),
        };
        // Heights: linear, or log10(1 + n) against log10(1 + top).
        let height_of = |value: u64| match scale {
            Scale::Linear => value as f64 / top.max(1) as f64 * plot_height,
            Scale::Log => (value as f64).ln_1p() / (top.max(1) as f64).ln_1p() * plot_height,
        };
        let y_of = |value: u64| TOP + plot_height - height_of(value);
        let label_every = bins.div_ceil(X_LABELS);
        let x_labels: Vec<usize> = (0..bins).step_by(label_every).collect();
        let caption = match scale {
            Scale::Linear => {
                format!("{what} per {}, stacked by the policy that denied", bin.noun())
            }
            Scale::Log => format!(
                "{what} per {}, logarithmic scale: each bar is as tall as log(1 + its count), \
                 split among the policies in proportion",
                bin.noun()
            ),
        };
        let class = match scale {
            Scale::Linear => "timeline linear",
            Scale::Log => "timeline log",
        };
        html! {
            svg class=(class) viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-label=(caption) {
                title { (caption) }
                g.y {
                    @for tick in &ticks {
                        line.grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(fmt(y_of(*tick))) y2=(fmt(y_of(*tick))) {}
                        text x=(LEFT - 6.0) y=(fmt(y_of(*tick) + 4.0)) { (grouped(*tick)) }
                    }
                }
                g.bars {
                    @for (&offset, stack) in stacks {
                        @let x = LEFT + offset as f64 * bar_pitch + (bar_pitch - bar_width) / 2.0;
                        @let index = first + offset;
                        @let when = bin.label(index, true);
                        @let total: u64 = stack.iter().sum();
                        @for (y, height, count, series) in segments(stack, total, height_of(total), TOP + plot_height) {
                            // data-*: what a click on the segment filters the table by.
                            rect x=(fmt(x)) y=(fmt(y)) width=(fmt(bar_width)) height=(fmt(height))
                                fill=(legend[series].colour)
                                data-facet=(facet.key())
                                data-series=(legend[series].key)
                                data-from=(bin.start_hour(index))
                                data-to=(bin.start_hour(index + 1))
                                data-label=(when) {
                                title { (when) " · " (legend[series].name) ": " (grouped(count)) }
                            }
                        }
                    }
                }
                g.changes {
                    @for marker in markers.iter().filter(drawn) {
                        @let x = fmt(LEFT + (bin.index(marker.hour) - first) as f64 * bar_pitch + bar_pitch / 2.0);
                        line.change x1=(x) x2=(x) y1=(fmt(TOP)) y2=(fmt(TOP + plot_height)) {
                            title { (marker.label) }
                        }
                    }
                }
                line.axis x1=(LEFT) x2=(WIDTH - RIGHT) y1=(fmt(TOP + plot_height)) y2=(fmt(TOP + plot_height)) {}
                g.x {
                    @for i in &x_labels {
                        text x=(fmt(LEFT + (*i as f64 + 0.5) * bar_pitch)) y=(fmt(HEIGHT - 8.0)) {
                            (bin.label(first + *i as i64, false))
                        }
                    }
                }
            }
        }
    }
}

/// Ticks of the logarithmic scale (0, 1, 10, 100, …) and its top: the power of ten at or
/// above the tallest bar.
fn log_ticks(tallest: u64) -> (Vec<u64>, u64) {
    let mut ticks = vec![0, 1];
    let mut top = 1u64;
    while top < tallest {
        top = top.saturating_mul(10);
        ticks.push(top);
    }
    (ticks, top)
}

/// The rectangles of one stacked bar, bottom up: (y, height, count, series index). The bar of
/// `total` denials is `height` tall, from `bottom` up; each series takes its share of it.
fn segments(stack: &[u64], total: u64, height: f64, bottom: f64) -> Vec<(f64, f64, u64, usize)> {
    let mut below = 0.0;
    let mut out = Vec::new();
    for (series, &count) in stack.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let part = height * count as f64 / total.max(1) as f64;
        out.push((bottom - below - part, part, count, series));
        below += part;
    }
    out
}

/// A round tick step (1, 2 or 5 × 10ⁿ) that divides the axis into at most four parts, and
/// the top of the axis.
fn y_scale(tallest: u64) -> (u64, u64) {
    let tallest = tallest.max(1);
    let mut magnitude = 1u64;
    loop {
        for factor in [1, 2, 5] {
            let step = magnitude.saturating_mul(factor);
            if step.saturating_mul(4) >= tallest {
                return (step, tallest.div_ceil(step).saturating_mul(step));
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

/// A coordinate with one decimal: enough for a screen, and a smaller page.
fn fmt(value: f64) -> String {
    format!("{value:.1}")
}

/// Horizontal bars, largest first: the label above, the bar and the count under it. Each is a
/// button that filters the table to its `facet` (`principal`, `bucket`, `account`, `action`,
/// `policy`) having that value.
pub fn bars(items: &[(&str, u64)], facet: &str) -> Markup {
    let largest = items.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    html! {
        ol.bars {
            @for (label, count) in items {
                li {
                    button.bar type="button" data-facet=(facet) data-value=(label)
                        title={ "Show only the rows of " (label) } {
                        span.bar-label { (label) }
                        span.bar-row {
                            svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" {
                                rect.bar-fill x="0" y="0" height="10"
                                    width=(fmt((*count as f64 / largest as f64 * 100.0).max(0.5))) {}
                            }
                            span.bar-count { (grouped(*count)) }
                        }
                    }
                }
            }
        }
    }
}

/// A small square in a series' colour, for the legend and the table.
pub fn swatch(colour: &str) -> Markup {
    html! {
        svg.swatch width="10" height="10" viewBox="0 0 10 10" aria-hidden="true" {
            rect width="10" height="10" rx="2" fill=(colour) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_follow_the_span() {
        assert_eq!(Bin::for_span(0, 95), Bin::Hour);
        assert_eq!(Bin::for_span(0, 96), Bin::Day);
        assert_eq!(Bin::for_span(0, 24 * 119), Bin::Day);
        assert_eq!(Bin::for_span(0, 24 * 400), Bin::Week);
        assert_eq!(Bin::for_span(0, 24 * 365 * 5), Bin::Month);
        assert_eq!(Bin::for_span(0, 24 * 365 * 20), Bin::Year);
    }

    #[test]
    fn bins_are_named_by_their_start() {
        // 2026-11-04 13:00 UTC, a Wednesday.
        let hour = 1_793_797_200 / 3600;
        let label = |bin: Bin| bin.label(bin.index(hour), true);
        assert_eq!(label(Bin::Hour), "2026-11-04 13:00 UTC");
        assert_eq!(label(Bin::Day), "2026-11-04");
        assert_eq!(label(Bin::Week), "week of 2026-11-02");
        assert_eq!(label(Bin::Month), "2026-11");
        assert_eq!(label(Bin::Year), "2026");
    }

    #[test]
    fn a_spike_does_not_flatten_the_rest_on_the_log_scale() {
        let mut hourly = HourlyCounts { series: vec!["scp".into()], ..HourlyCounts::default() };
        for hour in 0..10 {
            hourly.counts.insert((hour, 0), if hour == 5 { 100_000 } else { 2 });
        }
        let chart = timeline(&hourly, Facet::DeniedBy, &[], "Denials").expect("a chart");
        assert!(chart.spiky);
        let heights = |svg: &str| -> Vec<f64> {
            svg.split(" height=\"")
                .skip(1)
                .filter_map(|h| h.split('"').next()?.parse().ok())
                .collect()
        };
        let (linear, log) = (heights(&chart.svg.0), heights(&chart.log_svg.0));
        assert!(linear.iter().filter(|&&h| h < 0.1).count() >= 9, "{linear:?}");
        assert!(log.iter().all(|&h| h > 10.0), "{log:?}");
        assert_eq!(log_ticks(100_000), (vec![0, 1, 10, 100, 1_000, 10_000, 100_000], 100_000));
    }

    #[test]
    fn bins_know_their_hours() {
        let hour = 1_793_797_200 / 3600; // 2026-11-04 13:00 UTC
        for bin in [Bin::Hour, Bin::Day, Bin::Week, Bin::Month, Bin::Year] {
            let index = bin.index(hour);
            let (start, end) = (bin.start_hour(index), bin.start_hour(index + 1));
            assert!(start <= hour && hour < end, "{bin:?}: {start}..{end}");
            assert_eq!(bin.index(start), index, "{bin:?}");
            assert_eq!(bin.index(end), index + 1, "{bin:?}");
        }
    }

    #[test]
    fn y_axis_has_round_steps() {
        assert_eq!(y_scale(0), (1, 1));
        assert_eq!(y_scale(3), (1, 3));
        assert_eq!(y_scale(17), (5, 20));
        assert_eq!(y_scale(40), (10, 40));
        assert_eq!(y_scale(41), (20, 60));
        assert!(y_scale(u64::MAX).0 > 0);
    }

    #[test]
    fn every_denied_by_has_its_own_colour() {
        let mut colours: Vec<_> = DeniedBy::ALL.iter().map(|b| colour_of(b.as_str())).collect();
        colours.sort();
        colours.dedup();
        assert_eq!(colours.len(), DeniedBy::ALL.len());
        assert_eq!(colour_of("something_new"), OTHER_COLOUR);
    }

    #[test]
    fn stacks_sum_per_bin_and_keep_the_series_order() {
        let mut hourly = HourlyCounts {
            series: vec!["unknown".into(), "scp".into()],
            ..HourlyCounts::default()
        };
        hourly.counts.insert((10, 0), 3);
        hourly.counts.insert((10, 1), 2);
        hourly.counts.insert((12, 1), 1);
        let chart = timeline(&hourly, Facet::DeniedBy, &[], "Denials").expect("a chart");
        assert_eq!(chart.bin, Bin::Hour);
        let legend: Vec<_> = chart.legend.iter().map(|s| (&*s.name, s.total)).collect();
        assert_eq!(legend, [("scp", 3), ("not stated", 3)]);
        assert_eq!(chart.svg.0.matches("<rect").count(), 3);
        assert_eq!(chart.log_svg.0.matches("<rect").count(), 3);
        assert!(chart.svg.0.contains("data-series=\"unknown\" data-from=\"10\" data-to=\"11\""));
        assert!(!chart.spiky);
        assert!(timeline(&HourlyCounts::default(), Facet::DeniedBy, &[], "Denials").is_none());
    }
}
