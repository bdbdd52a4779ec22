//! The statistics footer printed on stderr after every scan: what was read, what was kept, and
//! every input that was skipped or only partly read, so nothing is lost silently.

use std::io::{self, Write};

use super::escape::for_terminal;
use super::failure_noun;
use crate::aggregate::SummaryRows;
use crate::stats::ScanStats;
use crate::verdict::VerdictKind;
use crate::verdict::rewrite::Judged;

/// Problems listed one by one before the rest are only counted (all of them are in `--format json`).
const LISTED_PROBLEMS: usize = 20;

pub fn write_footer(out: &mut dyn Write, stats: &ScanStats) -> io::Result<()> {
    let by_design: Vec<String> =
        stats.skipped_by_design.iter().map(|(k, n)| format!("{n} {k}")).collect();
    writeln!(
        out,
        "scanned {} input{}{}: {} stored, {} decoded, {} records, {} parsed, {} kept, in {:.2} s ({:.0} records/s)",
        stats.objects,
        if stats.objects == 1 { "" } else { "s" },
        if by_design.is_empty() {
            String::new()
        } else {
            format!(" (skipped by design: {})", by_design.join(", "))
        },
        human_bytes(stats.stored_bytes),
        human_bytes(stats.decoded_bytes),
        stats.records,
        stats.parsed,
        stats.kept,
        stats.elapsed.as_secs_f64(),
        stats.records_per_second(),
    )?;
    if let Some(r) = &stats.requests {
        writeln!(
            out,
            "s3: {} LIST and {} GET requests; {} objects listed = {} requested + {} outside the time window + {} digest/Insights skipped + {} not selected (shard/state){}",
            r.list_requests,
            r.get_requests,
            r.listed,
            r.get_requests,
            r.pruned_by_time,
            r.skipped_by_design,
            r.unselected,
            if r.duplicates > 0 {
                format!(" + {} named twice", r.duplicates)
            } else {
                String::new()
            },
        )?;
    }
    if stats.policy_changes > 0 {
        let (n, one) = (stats.policy_changes, stats.policy_changes == 1);
        writeln!(
            out,
            "{n} policy change{} recorded (policy_changes.parquet)",
            if one { "" } else { "s" }
        )?;
    }
    if stats.duplicates > 0 {
        let (n, one) = (stats.duplicates, stats.duplicates == 1);
        writeln!(
            out,
            "{n} input{} named more than once {} read once (duplicates dropped)",
            if one { "" } else { "s" },
            if one { "was" } else { "were" },
        )?;
    }
    for dir in &stats.policy_snapshots {
        writeln!(
            out,
            "policy snapshot {}: not log input, left out of the scan",
            for_terminal(dir)
        )?;
    }
    if stats.not_listed > 0 {
        // Key names are chosen by whoever can write to the bucket: escaped.
        let shown: Vec<String> = (stats.not_listed_named.iter().take(3))
            .map(|uri| for_terminal(uri).into_owned())
            .collect();
        let (n, one) = (stats.not_listed, stats.not_listed == 1);
        let more = n.saturating_sub(shown.len() as u64);
        writeln!(
            out,
            "not listed: {n} prefix{} or key{} beside the AWSLogs/ layout that was followed ({}{}); --s3-list flat lists every key",
            if one { "" } else { "es" },
            if one { "" } else { "s" },
            shown.join(", "),
            if more > 0 { format!(", +{more} more") } else { String::new() },
        )?;
    }
    if stats.other_shard + stats.already_scanned > 0 {
        writeln!(
            out,
            "not read: {} objects of other shards, {} already scanned by earlier runs",
            stats.other_shard, stats.already_scanned
        )?;
    }
    if stats.resumed_records > 0 {
        writeln!(
            out,
            "resumed: {} records of objects read part-way by an earlier run were not read again",
            stats.resumed_records
        )?;
    }
    if let Some(g) = &stats.log_groups {
        writeln!(
            out,
            "cloudwatch logs: {} FilterLogEvents requests, {} events received",
            g.requests, g.events
        )?;
    }
    if let Some(h) = &stats.lookup_events {
        writeln!(
            out,
            "cloudtrail event history: {} LookupEvents requests, {} events received",
            h.requests, h.events
        )?;
    }
    if stats.outside_window + stats.without_time > 0 {
        writeln!(
            out,
            "left out by --since/--until: {} outside the window, {} without a valid eventTime",
            stats.outside_window, stats.without_time
        )?;
    }
    if stats.other_account_region > 0 {
        writeln!(
            out,
            "left out by --account/--region: {} denials of other accounts or regions",
            stats.other_account_region
        )?;
    }
    if stats.suppressed > 0 {
        writeln!(
            out,
            "{} denials suppressed by --suppress rules: in the denials report (suppressed_by), not in the summary",
            stats.suppressed
        )?;
    }
    for rule in &stats.unused_rules {
        writeln!(
            out,
            "--suppress rule {:?} matched no denial: a typo in it, or no longer needed?",
            for_terminal(rule)
        )?;
    }
    if stats.repaired_utf8 > 0 {
        writeln!(
            out,
            "{} records had invalid UTF-8, read with the bad bytes replaced",
            stats.repaired_utf8
        )?;
    }
    if !stats.problems.is_empty() {
        writeln!(
            out,
            "{} input problem{} (exit code 2):",
            stats.problems.len(),
            if stats.problems.len() == 1 { "" } else { "s" }
        )?;
        for p in stats.problems.iter().take(LISTED_PROBLEMS) {
            writeln!(out, "  {}: {}", for_terminal(&p.origin), for_terminal(&p.what))?;
        }
        if stats.problems.len() > LISTED_PROBLEMS {
            writeln!(
                out,
                "  … and {} more (all are listed by --format json)",
                stats.problems.len() - LISTED_PROBLEMS
            )?;
        }
    }
    Ok(())
}

/// How much of the summary `rows` (all of them, before `--hide-noise`) is labelled noise, per
/// label; `hidden`: `--hide-noise` left it out. Nothing when no group is noise.
pub fn write_noise(out: &mut dyn Write, rows: &SummaryRows, hidden: bool) -> io::Result<()> {
    let labels = rows.noise_by_label();
    if labels.is_empty() {
        return Ok(());
    }
    let totals = rows.totals();
    let by_label: Vec<String> =
        labels.iter().map(|(label, n)| format!("{label} {}", n.denials)).collect();
    writeln!(
        out,
        "noise: {} of {} {} ({} of {} groups) are labelled noise ({}); {}",
        totals.noise.denials,
        totals.denials,
        failure_noun(&totals),
        totals.noise.groups,
        totals.groups,
        by_label.join(", "),
        if hidden {
            "--hide-noise left them out of the summary"
        } else {
            "--hide-noise leaves them out of the summary"
        },
    )
}

/// `2.9 MB`: decimal units, as `ls -h --si` and S3 consoles show sizes.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// With `--policies`: "judged 629 denials: 120 explicit_deny, …", the mismatches, and the gaps
/// that left the most denials undecided ("37 denials need bucket-policy:data-lake:not-captured").
pub fn write_judged(out: &mut dyn Write, judged: &Judged) -> io::Result<()> {
    let counts: Vec<String> = VerdictKind::ALL
        .iter()
        .filter(|k| judged.count(**k) > 0)
        .map(|k| format!("{} {}", judged.count(*k), k.as_str()))
        .collect();
    writeln!(out, "judged {} denials: {}", judged.total(), counts.join(", "))?;
    if judged.mismatches > 0 {
        writeln!(
            out,
            "  {} where the error message names a layer the policies at hand do not refuse in (eval_mismatch)",
            judged.mismatches
        )?;
    }
    for (gap, n) in judged.top_gaps(3) {
        writeln!(out, "  {n} denials need {}", for_terminal(gap))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_problems_are_reported() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(2_900_000), "2.9 MB");
        let mut stats = ScanStats { objects: 3, records: 10, ..ScanStats::default() };
        stats.problem("dump/bad\u{1b}[2J.json.gz", "gzip stream truncated");
        let mut out = Vec::new();
        write_footer(&mut out, &stats).expect("in memory");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("scanned 3 inputs") && text.contains("10 records"), "{text}");
        assert!(text.contains("1 input problem (exit code 2):"));
        assert!(text.contains("bad\\u{1b}[2J.json.gz: gzip stream truncated"), "{text}");
    }
}
