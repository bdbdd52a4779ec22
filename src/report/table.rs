//! The summary as an aligned table for a terminal, fitted to its width.
//!
//! Each group takes a line of columns that identify it (who, what, where, how often, which
//! policy), then a paragraph under it, indented and wrapped at the same width: when it was last
//! seen, its noise label and role session names when it has them, and the hint (often a command
//! to copy), never cut. "Last seen" is in the paragraph rather than a column because seven
//! columns cut the principal and action, which matter more; when the columns do not fit
//! comfortably (about 100 columns or fewer), "denied by" moves to the paragraph too.
//!
//! Long cells are shortened in the middle, keeping what tells rows apart: a principal keeps its
//! account and the last element of its path (`111122223333:role/…/deploy`), an action its
//! service and the end of its name. Every log-derived cell is escaped before it is measured.

use std::io::{self, Write};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::escape::for_terminal;
use super::{failure_noun, failures_headline, reason_label, rfc3339};
use crate::aggregate::{SESSION_NAMES, SummaryRow, Totals};
use crate::classify::category::ErrorCategory;

/// The width when stdout is not a terminal and `COLUMNS` is not set (a pipe, a file).
pub const DEFAULT_WIDTH: usize = 120;
/// Narrower terminals still get lines this wide: below it the columns cannot be told apart.
pub const MIN_WIDTH: usize = 50;

const GAP: &str = "  ";
const COLUMNS: usize = 6;
const HEADERS: [&str; COLUMNS] = ["#", "COUNT", "PRINCIPAL", "ACTION", "BUCKET", "DENIED BY"];
const RIGHT_ALIGNED: [usize; 2] = [0, 1];
const PRINCIPAL: usize = 2;
const ACTION: usize = 3;
const BUCKET: usize = 4;
const REASON: usize = 5;
/// Columns that may be shortened, with their weight: a column loses width while it is the widest
/// for its weight, so the principal keeps about twice the width of the others.
const SHRINKABLE: [(usize, usize); 3] = [(PRINCIPAL, 2), (BUCKET, 1), (ACTION, 1)];
/// Below these widths a shrinkable column is too cut to read well: "denied by" then gives up
/// its column for the paragraph instead.
const COMFORTABLE: [(usize, usize); 3] = [(PRINCIPAL, 30), (ACTION, 16), (BUCKET, 16)];
/// No shrinkable column is cut below this.
const MIN_COLUMN: usize = 8;

/// The width the table is fitted to: `COLUMNS` when it is set to a number (as clap and most
/// tools read it), else the terminal's width when stdout is one, else [`DEFAULT_WIDTH`]; at
/// least [`MIN_WIDTH`].
pub fn width(stdout_is_terminal: bool) -> usize {
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok());
    columns
        .filter(|&c| c > 0)
        .or_else(|| if stdout_is_terminal { terminal_columns() } else { None })
        .unwrap_or(DEFAULT_WIDTH)
        .max(MIN_WIDTH)
}

/// The columns of the terminal on stdout, as the kernel knows them.
fn terminal_columns() -> Option<usize> {
    // SAFETY: an all-zero winsize is a valid value; TIOCGWINSZ only writes one into it.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer is to a live winsize for the duration of the call.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// The `shown` rows (the first of all), under a line that counts all of them (`totals`), every
/// line at most `width` columns wide.
pub fn write_table(
    out: &mut dyn Write,
    shown: &[SummaryRow],
    totals: Totals,
    width: usize,
) -> io::Result<()> {
    let width = width.max(MIN_WIDTH);
    let groups = totals.groups;
    let mut headline = format!(
        "{} in {groups} group{} (principal × action × bucket)",
        failures_headline(&totals),
        plural(groups),
    );
    if shown.len() < groups {
        headline.push_str(&format!(", top {} shown", shown.len()));
    }
    write_wrapped(out, &headline, width, "")?;
    if groups > 0 && !shown.is_empty() {
        let rows: Vec<Row> = shown.iter().enumerate().map(|(i, r)| Row::of(i, r)).collect();
        let layout = Layout::fit(&rows, width);
        let indent = " ".repeat(layout.widths[0] + GAP.len());
        let mut headers = HEADERS.map(String::from);
        if shown.iter().any(|r| r.category != ErrorCategory::Authorization) {
            headers[REASON] = "DENIED BY / ERROR".into();
        }
        writeln!(out)?;
        write_line(out, &headers, &layout)?;
        for row in &rows {
            write_line(out, &row.cells, &layout)?;
            write_wrapped(out, &row.paragraph(layout.reason_column), width, &indent)?;
        }
    }
    let mut closing = Vec::new();
    if shown.len() < groups {
        let more = groups - shown.len();
        closing.push(format!(
            "… {more} more group{}: use --top, or query summary.parquet",
            plural(more)
        ));
    }
    if let Some(line) = noise_line(&totals) {
        closing.push(line);
    }
    if !closing.is_empty() && groups > 0 {
        writeln!(out)?;
    }
    for line in closing {
        write_wrapped(out, &line, width, "")?;
    }
    Ok(())
}

/// What the rows hold of noise, or what `--hide-noise` left out of them.
pub fn noise_line(totals: &Totals) -> Option<String> {
    let noun = failure_noun(totals);
    match totals.hidden_noise {
        Some(hidden) => Some(format!(
            "--hide-noise left out {} noise group{} ({} {noun})",
            hidden.groups,
            plural(hidden.groups),
            hidden.denials,
        )),
        None if totals.noise.groups > 0 => Some(format!(
            "noise: {} of the {} groups ({} of {} {noun}), marked under their row; \
             --hide-noise leaves them out",
            totals.noise.groups, totals.groups, totals.noise.denials, totals.denials,
        )),
        None => None,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One group, escaped for the terminal.
struct Row {
    cells: [String; COLUMNS],
    last_seen: String,
    noise: Option<&'static str>,
    sessions: Vec<String>,
    hint: String,
}

impl Row {
    fn of(index: usize, row: &SummaryRow) -> Row {
        let last_seen = rfc3339(row.last_seen).replace('T', " ").replace('Z', " UTC");
        let escaped = |text: &str| for_terminal(text).into_owned();
        Row {
            cells: [
                (index + 1).to_string(),
                row.count.to_string(),
                escaped(&row.principal),
                escaped(&row.action),
                row.bucket.as_deref().map_or_else(|| "-".to_string(), escaped),
                escaped(&reason_label(row)),
            ],
            last_seen: if last_seen.is_empty() { "no time".into() } else { last_seen },
            noise: row.noise,
            sessions: row.session_names.iter().map(|s| escaped(s)).collect(),
            hint: escaped(&row.hint),
        }
    }

    /// The text under the row: `noise: … · last … · denied by: … · sessions: … · hint`.
    fn paragraph(&self, reason_column: bool) -> String {
        let mut parts = Vec::new();
        if let Some(label) = self.noise {
            parts.push(format!("noise: {label}"));
        }
        parts.push(format!("last {}", self.last_seen));
        if !reason_column {
            parts.push(format!("denied by: {}", self.cells[REASON]));
        }
        if !self.sessions.is_empty() {
            let which = if self.sessions.len() >= SESSION_NAMES {
                format!("sessions (the first {SESSION_NAMES} by name)")
            } else {
                "session".to_string() + if self.sessions.len() == 1 { "" } else { "s" }
            };
            parts.push(format!("{which}: {}", self.sessions.join(", ")));
        }
        parts.push(self.hint.clone());
        parts.join(" · ")
    }
}

/// The column widths, and whether "denied by" is a column or is said in the paragraph.
struct Layout {
    widths: [usize; COLUMNS],
    reason_column: bool,
}

impl Layout {
    /// The widest layout that fits: with "denied by" as a column when every shortened column
    /// stays comfortable, else with it in the paragraph.
    fn fit(rows: &[Row], width: usize) -> Layout {
        let mut natural = HEADERS.map(UnicodeWidthStr::width);
        for row in rows {
            for (w, cell) in natural.iter_mut().zip(&row.cells) {
                *w = (*w).max(cell.width());
            }
        }
        // The principal is cut no further than its account and last path element, as long as
        // that leaves room for the others.
        let essential = rows.iter().map(|r| essential_width(&r.cells[PRINCIPAL])).max();
        let principal_min = essential.unwrap_or(0).clamp(MIN_COLUMN, width / 3);
        let minimum = |column: usize| if column == PRINCIPAL { principal_min } else { MIN_COLUMN };
        let with_reason = shrink(natural, width, true, minimum);
        let comfortable = COMFORTABLE
            .iter()
            .all(|&(column, wanted)| with_reason[column] >= wanted.min(natural[column]));
        if line_width(&with_reason, true) <= width && comfortable {
            return Layout { widths: with_reason, reason_column: true };
        }
        let mut without = shrink(natural, width, false, minimum);
        if line_width(&without, false) > width {
            // Narrower than the principals' essentials: every shrinkable column may be cut.
            without = shrink(without, width, false, |_| MIN_COLUMN);
        }
        Layout { widths: without, reason_column: false }
    }
}

/// The width of a line with these column widths.
fn line_width(widths: &[usize; COLUMNS], reason_column: bool) -> usize {
    let columns = if reason_column { COLUMNS } else { COLUMNS - 1 };
    widths[..columns].iter().sum::<usize>() + GAP.len() * (columns - 1)
}

/// `widths` with the widest shrinkable column (for its weight) losing a column at a time until
/// the line fits or every shrinkable column is at its minimum.
fn shrink(
    mut widths: [usize; COLUMNS],
    width: usize,
    reason_column: bool,
    minimum: impl Fn(usize) -> usize,
) -> [usize; COLUMNS] {
    while line_width(&widths, reason_column) > width {
        // The widest for its weight above its minimum loses; among equals, the one listed first.
        let Some((widest, _)) = SHRINKABLE
            .into_iter()
            .filter(|&(c, _)| widths[c] > minimum(c))
            .reduce(|a, b| if widths[b.0] * a.1 > widths[a.0] * b.1 { b } else { a })
        else {
            break;
        };
        widths[widest] -= 1;
    }
    widths
}

fn write_line(out: &mut dyn Write, cells: &[String; COLUMNS], layout: &Layout) -> io::Result<()> {
    let columns = if layout.reason_column { COLUMNS } else { COLUMNS - 1 };
    let mut line = String::new();
    for (column, (cell, &width)) in cells.iter().zip(&layout.widths).take(columns).enumerate() {
        if column > 0 {
            line.push_str(GAP);
        }
        let cell = if column == PRINCIPAL {
            abbreviate_principal(cell, width)
        } else {
            shorten_middle(cell, width)
        };
        let pad = " ".repeat(width.saturating_sub(cell.width()));
        if RIGHT_ALIGNED.contains(&column) {
            line.push_str(&pad);
            line.push_str(&cell);
        } else {
            line.push_str(&cell);
            if column + 1 < columns {
                line.push_str(&pad);
            }
        }
    }
    writeln!(out, "{line}")
}

/// A principal as short as the table needs it, keeping what tells principals apart: the ARN
/// prefix goes (`arn:aws:iam::`), then the middle of the path
/// (`111122223333:role/platform/…/eu-west-1/deploy`, down to `111122223333:role/…/deploy`), then
/// the middle of the last element.
pub fn abbreviate_principal(principal: &str, width: usize) -> String {
    let short = short_principal(principal);
    if short.width() <= width {
        return short.to_string();
    }
    let Some((head, elided, last)) = path_parts(short) else {
        return shorten_middle(short, width);
    };
    if !elided.is_empty() {
        // The path between the type and the last element, cut in its middle to fit.
        let middle = &short[head.len()..short.len() - last.len() - 1];
        let fixed = head.width() + 1 + last.width();
        if fixed < width {
            return format!("{head}{}/{last}", shorten_middle(middle, width - fixed));
        }
    }
    // The account and type stay whole while the last element keeps a few characters.
    let room = width.saturating_sub(head.width() + elided.width());
    if room >= 5 {
        return format!("{head}{elided}{}", shorten_middle(last, room));
    }
    shorten_middle(&format!("{head}{elided}{last}"), width)
}

/// `111122223333:role/a/b/deploy` as (`111122223333:role/`, `…/`, `deploy`); `…/` is empty when
/// the path has one element.
fn path_parts(short: &str) -> Option<(&str, &'static str, &str)> {
    let slash = short.find('/')?;
    let (head, path) = (&short[..=slash], &short[slash + 1..]);
    Some(match path.rsplit_once('/') {
        Some((_, last)) => (head, "…/", last),
        None => (head, "", path),
    })
}

/// The width of a principal cut down to its account, type and last path element.
fn essential_width(principal: &str) -> usize {
    let short = short_principal(principal);
    match path_parts(short) {
        Some((head, elided, last)) => head.width() + elided.width() + last.width(),
        None => short.width(),
    }
    .min(short.width())
}

/// ARNs without their constant parts: `account:resource` (`111122223333:role/deploy`,
/// `444455556666:identitystore/d-1234567890/user/…`); the partition, service and region say
/// nothing the resource does not.
fn short_principal(principal: &str) -> &str {
    let mut parts = principal.splitn(6, ':');
    match (parts.next(), parts.nth(3), parts.next()) {
        (Some("arn"), Some(account), Some(resource))
            if !account.is_empty() && !resource.is_empty() =>
        {
            // `account:resource` is the tail of the ARN.
            &principal[principal.len() - account.len() - 1 - resource.len()..]
        }
        _ => principal,
    }
}

/// `text` in at most `width` columns: cut in the middle with `…` when it is wider, keeping its
/// start (a service, a prefix) and its end (a name, a suffix).
pub fn shorten_middle(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let room = width - 1;
    let mut head = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room.div_ceil(2) {
            break;
        }
        used += w;
        head.push(c);
    }
    let mut tail = Vec::new();
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        tail.push(c);
    }
    format!("{head}…{}", tail.iter().rev().collect::<String>())
}

/// Writes `text` wrapped at `width` columns, every line starting with `indent`: broken at
/// spaces, and a word wider than the line (a long ARN or URL) is broken where it must be.
fn write_wrapped(out: &mut dyn Write, text: &str, width: usize, indent: &str) -> io::Result<()> {
    for line in wrap(text, width, indent) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The lines of [`write_wrapped`].
pub fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let room = width.saturating_sub(indent.width()).max(10);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let w = word.width();
        if used > 0 && used + 1 + w <= room {
            line.push(' ');
            line.push_str(word);
            used += 1 + w;
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
        }
        // A word that does not fit on a line of its own is broken into pieces that do.
        let mut rest = word;
        while rest.width() > room {
            let mut cut = 0;
            let mut taken = 0;
            for (i, c) in rest.char_indices() {
                let cw = c.width().unwrap_or(0);
                if taken + cw > room {
                    break;
                }
                taken += cw;
                cut = i + c.len_utf8();
            }
            if cut == 0 {
                // A character wider than the room: emit it alone rather than loop.
                cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
            }
            lines.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        line.push_str(rest);
        used = rest.width();
    }
    if used > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| format!("{indent}{l}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Count;
    use crate::classify::reason::{DeniedBy, DenyKind, PolicyType};

    fn row(principal: &str, bucket: &str, count: u64) -> SummaryRow {
        SummaryRow {
            principal: principal.into(),
            principal_type: "AssumedRole".into(),
            action: "s3:GetObject".into(),
            bucket: Some(bucket.into()),
            count,
            first_seen: Some(1_793_613_600_000_000),
            last_seen: Some(1_793_613_600_000_000),
            distinct_source_ips: 1,
            accounts: vec!["111122223333".into()],
            regions: vec![],
            error_codes: vec!["AccessDenied".into()],
            category: ErrorCategory::Authorization,
            denied_by: DeniedBy::Policy(PolicyType::ResourceBased),
            deny_kind: DenyKind::Implicit,
            denying_policy_arn: None,
            sample_event_id: None,
            sample_error_message: None,
            sample_resource_arn: None,
            sample_vpc_endpoint_id: None,
            hint: "aws s3api get-bucket-policy --bucket b".into(),
            change: None,
            changed_after: false,
            self_change_event_id: None,
            transient_success_time: None,
            noise: None,
            session_names: vec![],
            eval: None,
        }
    }

    fn render_at(rows: &[SummaryRow], shown: usize, width: usize) -> String {
        let mut out = Vec::new();
        write_table(&mut out, &rows[..shown], Totals::of_rows(rows), width).expect("in memory");
        String::from_utf8(out).expect("utf-8")
    }

    fn render(rows: &[SummaryRow], shown: usize) -> String {
        render_at(rows, shown, DEFAULT_WIDTH)
    }

    fn assert_fits(text: &str, width: usize) {
        for line in text.lines() {
            assert!(line.width() <= width, "{} > {width}: {line:?}", line.width());
        }
    }

    #[test]
    fn rows_fit_the_width_and_keep_what_tells_principals_apart() {
        let long = format!("arn:aws:iam::111122223333:role/{}deploy", "nested/".repeat(20));
        let other = long.replace("/deploy", "/deploy-2").replace("111122223333", "444455556666");
        let rows = [row(&long, &"b".repeat(80), 7), row(&other, "x", 2), row("anonymous", "x", 1)];
        assert_fits(&render_at(&rows, 3, 50), 50);
        for width in [80, 120, 200] {
            let text = render_at(&rows, 3, width);
            assert_fits(&text, width);
            let line_of = |account: &str| {
                text.lines().find(|l| l.contains(&format!("  {account}:role/"))).unwrap_or_default()
            };
            assert!(line_of("111122223333").contains("/deploy "), "{width}: {text}");
            assert!(line_of("444455556666").contains("/deploy-2 "), "{width}: {text}");
            assert!(text.contains("last 2026-11-02 10:00:00 UTC"), "{text}");
            assert!(text.contains("resource_policy (implicit)"), "{text}");
        }
        assert!(render(&rows, 3).starts_with("10 denied requests in 3 groups"));
        // 200 columns: "denied by" is a column; 80: it is said under the row.
        assert!(render_at(&rows, 3, 200).contains("DENIED BY"));
        let narrow = render_at(&rows, 3, 80);
        assert!(!narrow.contains("DENIED BY") && narrow.contains("denied by: resource_policy"));
    }

    #[test]
    fn hints_wrap_under_their_row() {
        let mut long = row("arn:aws:iam::111122223333:user/alice", "b", 1);
        long.hint = format!("see {} and then {}", "word ".repeat(40), "x".repeat(150));
        let text = render_at(&[long], 1, 80);
        assert_fits(&text, 80);
        let paragraph: Vec<&str> = text.lines().skip(4).collect();
        assert!(paragraph.len() > 3, "{text}");
        assert!(paragraph.iter().all(|l| l.starts_with("   ")), "{text}");
    }

    #[test]
    fn noise_and_sessions_are_shown_and_counted() {
        let mut noisy = row("delivery.logs.amazonaws.com", "logs", 5);
        noisy.noise = Some("service_principal");
        let mut sso =
            row("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/Admin", "b", 2);
        sso.session_names = vec!["alice@example.com".into(), "bob@example.com".into()];
        let text = render(&[noisy.clone(), sso.clone()], 2);
        assert!(text.contains("noise: service_principal · last"), "{text}");
        assert!(text.contains("sessions: alice@example.com, bob@example.com"), "{text}");
        assert!(text.contains("noise: 1 of the 2 groups (5 of 7 denied requests)"), "{text}");

        let mut out = Vec::new();
        let totals = Totals {
            hidden_noise: Some(Count { groups: 1, denials: 5 }),
            ..Totals::of_rows(std::slice::from_ref(&sso))
        };
        write_table(&mut out, std::slice::from_ref(&sso), totals, 120).expect("in memory");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("--hide-noise left out 1 noise group (5 denied requests)"), "{text}");
    }

    #[test]
    fn other_failures_are_not_called_denials() {
        let mut missing = row("arn:aws:iam::111122223333:user/alice", "b", 3);
        missing.category = ErrorCategory::Other;
        missing.error_codes = vec!["NoSuchKey".into()];
        let text = render(&[missing, row("bob", "b", 2)], 2);
        assert!(
            text.starts_with("5 failed requests (2 denied, 3 other errors) in 2 groups"),
            "{text}"
        );
        assert!(text.contains("DENIED BY / ERROR") && text.contains("error NoSuchKey"), "{text}");
    }

    #[test]
    fn hostile_cells_are_escaped_and_top_limits_rows() {
        let text = render(&[row("a", "evil\u{1b}]0;owned\u{7}", 2), row("b", "c", 1)], 1);
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
        assert!(text.contains("\\u{1b}"));
        assert!(text.contains("top 1 shown") && text.contains("1 more group"));
        assert_eq!(render(&[], 0), "0 denied requests in 0 groups (principal × action × bucket)\n");
    }

    #[test]
    fn shortening_keeps_both_ends() {
        assert_eq!(shorten_middle("sts:AssumeRoleWithWebIdentity", 12), "sts:As…ntity");
        assert_eq!(shorten_middle("short", 12), "short");
        assert_eq!(shorten_middle("日本語のバケット名", 9), "日本…ト名");
        assert!(shorten_middle("日本語のバケット名", 9).width() <= 9);
        let sso = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef";
        assert_eq!(
            abbreviate_principal(sso, 60),
            "111122223333:role/aw…1/AWSReservedSSO_Admin_0123456789abcdef"
        );
        assert_eq!(
            abbreviate_principal(sso, 57),
            "111122223333:role/…/AWSReservedSSO_Admin_0123456789abcdef"
        );
        assert_eq!(abbreviate_principal(sso, 40), "111122223333:role/…/AWSReserve…789abcdef");
        assert_eq!(
            abbreviate_principal(sso, 80),
            "111122223333:role/aws-reserved…m/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef"
        );
        assert_eq!(
            abbreviate_principal("arn:aws-cn:sts::111122223333:federated-user/bob", 80),
            "111122223333:federated-user/bob"
        );
        assert_eq!(abbreviate_principal("delivery.logs.amazonaws.com", 12), "delive…s.com");
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_inside_long_words() {
        assert_eq!(wrap("a bb ccc", 14, "  "), ["  a bb ccc"]);
        assert_eq!(wrap("aaaa bbbb cccc", 10, ""), ["aaaa bbbb", "cccc"]);
        assert_eq!(wrap(&"x".repeat(25), 10, ""), ["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
        assert_eq!(wrap("", 10, "  "), ["  "]);
    }
}
