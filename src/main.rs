//! The `whydenied` binary: parse arguments, run, print, and turn the outcome into an exit code
//! (the contract is [`exit_code`]).

mod cli;
mod exit_code;
mod policies_fetch;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use cli::{
    Cli, Command, ExplainArgs, ExplainFormat, LogFormat, PoliciesCommand, ReportArgs, ScanArgs,
};
use exit_code::Exit;
use whydenied::aggregate::SummaryRows;
use whydenied::interrupt;
use whydenied::pipeline::{ScanError, ScanOutcome, scan};
use whydenied::redact::{RedactingStderr, Redactor};
use whydenied::report::Format;
use whydenied::report::footer::{write_footer, write_judged, write_noise};
use whydenied::report::html::{NewGroups, PageInput, Since, write_html_report};
use whydenied::report::ndjson::{DenialLinesError, write_denial_lines};
use whydenied::report::rebuild::{new_in_last_run, new_since_runs, rebuild};
use whydenied::report::write_summary;
use whydenied::source::overlap::{RunPaths, check_html};
use whydenied::stats::ScanStats;
use whydenied::suppress::Suppressions;
use whydenied::window::TimeWindow;

fn main() -> ExitCode {
    hand_large_blocks_back();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` are successes; every usage error is fatal (1), never the
            // 2 that means "finished, some inputs skipped".
            let _ = e.print();
            return if e.use_stderr() { Exit::Fatal } else { Exit::Success }.into();
        }
    };
    match cli.command {
        Command::Scan(args) => run_scan(&args),
        Command::Report(args) => run_report(&args),
        Command::Explain(args) => run_explain(&args),
        Command::Policies { command: PoliciesCommand::Fetch(args) } => {
            init_logging(0, args.quiet, LogFormat::Text);
            policies_fetch::run(&args)
        }
        Command::Completions { shell } => print_completions(shell),
        Command::Man { dir } => write_man_pages(&dir),
    }
    .into()
}

/// Makes glibc give every block of 1 MiB or more its own mapping, returned to the system when it
/// is freed. By default the threshold rises with each large block freed (up to 32 MiB), after
/// which the summary's tables grow in the heap of the worker thread that made them and stay
/// there once merged away: a million groups peaked about 80 MB higher. The scan's own buffers are
/// far smaller, and its throughput was the same with and without (README, Performance).
fn hand_large_blocks_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; called before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// The completion script of `shell`, made from the same definitions as `--help`.
fn print_completions(shell: clap_complete::Shell) -> Exit {
    use clap::CommandFactory;
    let mut stdout = io::stdout().lock();
    clap_complete::generate(shell, &mut Cli::command(), "whydenied", &mut stdout);
    match stdout.flush() {
        Ok(()) => Exit::Success,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Success,
        Err(e) => fatal(&format!("cannot write the completions: {e}")),
    }
}

/// `whydenied.1` and `whydenied-<command>.1` in `dir`, made from the same definitions as `--help`.
fn write_man_pages(dir: &Path) -> Exit {
    use clap::CommandFactory;
    if let Err(e) = std::fs::create_dir_all(dir) {
        return fatal(&format!("cannot create {}: {e}", dir.display()));
    }
    match clap_mangen::generate_to(Cli::command(), dir) {
        Ok(()) => {
            eprintln!("man pages written to {}", dir.display());
            Exit::Success
        }
        Err(e) => fatal(&format!("cannot write the man pages into {}: {e}", dir.display())),
    }
}

/// Evaluates one request: 0 when it was evaluated (the decision is in the output), 1 when the
/// request cannot be read.
fn run_explain(args: &ExplainArgs) -> Exit {
    match (&args.out, &args.request) {
        (Some(out), _) => run_explain_output(args, out),
        (None, Some(request)) => run_explain_request(args, request),
        (None, None) => fatal("give OUT (an earlier scan's --out) or --request FILE"),
    }
}

/// `explain OUT`: judges an earlier scan's denials, or explains one of them (`--event-id`).
fn run_explain_output(args: &ExplainArgs, out: &Path) -> Exit {
    use whydenied::report::escape::{for_terminal, json_for_terminal};
    use whydenied::report::explanation::{to_json, to_text};
    use whydenied::verdict::Judge;
    use whydenied::verdict::output::{changes_of, find_denial, judge_output};
    init_logging(0, false, LogFormat::Text);
    let snapshot = match &args.policies {
        Some(dir) => match whydenied::pipeline::load_snapshot(dir) {
            Ok(snapshot) => Some(snapshot),
            Err(e) => return fatal(&e.to_string()),
        },
        None => None,
    };
    let Some(event_id) = &args.event_id else {
        return match judge_output(out, snapshot.as_ref()) {
            Ok(judged) => {
                let _ = write_judged(&mut io::stderr().lock(), &judged);
                Exit::Success
            }
            Err(e) => fatal(&e.to_string()),
        };
    };
    let found = find_denial(out, event_id).and_then(|d| Ok((d, changes_of(out)?)));
    let (denial, changes) = match found {
        Ok(found) => found,
        Err(e) => return fatal(&e.to_string()),
    };
    let judge = Judge::new(snapshot.as_ref(), &changes);
    let text = match judge.explain(&denial) {
        Err(gaps) => format!("not evaluated: {}\n", for_terminal(&gaps.join(", "))),
        Ok((prepared, evaluation)) => {
            let verdict = judge.judge(&denial);
            match args.format {
                ExplainFormat::Text => {
                    let mut text = String::new();
                    if let Some(v) = &verdict {
                        text.push_str(&format!("verdict: {}\n", for_terminal(&v.short())));
                        for (label, list) in [("gaps", &v.gaps), ("assumptions", &v.assumptions)] {
                            if !list.is_empty() {
                                text.push_str(&format!(
                                    "{label}: {}\n",
                                    for_terminal(&list.join(", "))
                                ));
                            }
                        }
                        if let Some(as_of) = &v.policies_as_of {
                            text.push_str(&format!("policies as of: {}\n", for_terminal(as_of)));
                        }
                    }
                    text.push_str(&to_text(&evaluation, &prepared.request));
                    text
                }
                ExplainFormat::Json => {
                    let mut json = to_json(&evaluation, &prepared.request);
                    json["gaps"] = serde_json::json!(prepared.gaps);
                    json["assumptions"] = serde_json::json!(prepared.assumptions);
                    if let Some(v) = &verdict {
                        json["verdict"] = serde_json::json!(v.kind.as_str());
                    }
                    format!("{}\n", json_for_terminal(&json.to_string()))
                }
            }
        }
    };
    write_stdout(&text)
}

fn write_stdout(text: &str) -> Exit {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Success,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Success,
        Err(e) => fatal(&format!("cannot write the explanation: {e}")),
    }
}

/// `explain --request FILE`: one hand-written request.
fn run_explain_request(args: &ExplainArgs, request_path: &Path) -> Exit {
    use whydenied::policy::{Request, evaluate};
    use whydenied::report::escape::json_for_terminal;
    use whydenied::report::explanation::{to_json, to_text};
    let name = request_path.display().to_string();
    let text = if request_path == Path::new("-") {
        io::read_to_string(io::stdin())
    } else {
        std::fs::read_to_string(request_path)
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => return fatal(&format!("cannot read the request {name}: {e}")),
    };
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(e) => return fatal(&format!("the request {name} is not JSON: {e}")),
    };
    let request = match Request::from_json(&value) {
        Ok(request) => request,
        Err(e) => return fatal(&format!("{name}: {e}")),
    };
    if let Err(e) = request.check_operators() {
        return fatal(&format!("{name}: {e}"));
    }
    let evaluation = evaluate(&request);
    let out = match args.format {
        ExplainFormat::Text => to_text(&evaluation, &request),
        ExplainFormat::Json => {
            format!("{}\n", json_for_terminal(&to_json(&evaluation, &request).to_string()))
        }
    };
    write_stdout(&out)
}

fn run_scan(args: &ScanArgs) -> Exit {
    init_logging(args.verbose, args.quiet, args.log_format);
    // SAFETY: umask only changes this process's file-creation mask; no other thread runs yet.
    unsafe { libc::umask(args.umask as libc::mode_t) };
    // `_staging` holds the local directory of an `--out s3://…` run until the end.
    let (config, _staging) = match args.config() {
        Ok(config) => config,
        Err(message) => return fatal(&message),
    };
    if let Err(e) = interrupt::install() {
        return fatal(&format!("cannot install signal handlers: {e}"));
    }
    let outcome = match scan(&config) {
        Ok(outcome) => outcome,
        Err(ScanError::Interrupted(signal)) => {
            eprintln!("whydenied: stopped by signal {signal}: no report was written");
            return Exit::Signal(signal);
        }
        Err(e) => return fatal(&e.to_string()),
    };
    let without_noise;
    let rows = if args.summary.hide_noise {
        without_noise = outcome.rows.without_noise();
        &without_noise
    } else {
        &outcome.rows
    };
    if let Some(html) = &args.html
        && let Err(message) = scan_html(&outcome, rows, html)
    {
        return fatal(&message);
    }
    // The scan's reports hold only the denials of its window.
    let whole = TimeWindow::default();
    let per_denial =
        args.summary.per_denial.then_some((outcome.reports.denials.as_slice(), &whole));
    let summary = Printed { rows, stats: &outcome.stats, per_denial };
    if let Err(exit) = print_summary(args.summary.format.into(), &summary, args.summary.top) {
        return exit;
    }
    let mut stderr = io::stderr().lock();
    if args.quiet {
        // Quiet keeps stderr for what cron must see: problems only.
        if outcome.stats.incomplete() {
            let _ = write_footer(&mut stderr, &outcome.stats);
        }
    } else {
        let _ = write_footer(&mut stderr, &outcome.stats);
        let _ = write_noise(&mut stderr, &outcome.rows, args.summary.hide_noise);
        if let Some(judged) = &outcome.judged {
            let _ = write_judged(&mut stderr, judged);
        }
        if outcome.replaced > 0 {
            let _ = writeln!(
                stderr,
                "replaced {} report files of an earlier attempt of this run (same inputs, window and shard)",
                outcome.replaced
            );
        }
        if outcome.removed_orphans > 0 {
            let _ = writeln!(
                stderr,
                "removed {} report files of an interrupted run (their logs were scanned again)",
                outcome.removed_orphans
            );
        }
        let denials = match outcome.reports.denials.as_slice() {
            [one] => one.display().to_string(),
            many => format!("{} files under {}", many.len(), args.out.join("denials").display()),
        };
        if outcome.uploaded.is_empty() {
            let summary = outcome.reports.summary.display();
            let changes = outcome.reports.policy_changes.display();
            let _ = writeln!(stderr, "reports: {denials}, {summary} and {changes}");
        } else {
            let (count, to) = (outcome.uploaded.len(), args.out.display());
            let _ = writeln!(stderr, "reports: uploaded {count} objects to {to}");
        }
    }
    // Only now, with every output written, is the run recorded in --state.
    if let Err(e) = outcome.pending.save() {
        return fatal(&e.to_string());
    }
    let reached = denials_threshold(args.fail_on_denials, outcome.stats.counted());
    finish(outcome.stats.incomplete(), reached)
}

/// Whether `--fail-on-denials` is reached by the `counted` denials; says so on stderr.
fn denials_threshold(fail_on_denials: Option<u64>, counted: u64) -> bool {
    let reached = fail_on_denials.filter(|&n| counted >= n);
    if let Some(n) = reached {
        eprintln!("whydenied: --fail-on-denials {n} reached: {counted} denials counted");
    }
    reached.is_some()
}

/// The exit of a finished run; when a threshold and skipped inputs coincide, says both.
fn finish(inputs_skipped: bool, threshold_reached: bool) -> Exit {
    let exit = Exit::finished(inputs_skipped, threshold_reached);
    if inputs_skipped && exit != Exit::InputsSkipped {
        eprintln!(
            "whydenied: some inputs were skipped (listed above); exit 3 for the threshold wins over 2"
        );
    }
    exit
}

/// What goes to stdout: the summary, or with `--per-denial` the denials of these report files
/// inside this window, one JSON line each.
struct Printed<'a> {
    rows: &'a SummaryRows,
    stats: &'a ScanStats,
    per_denial: Option<(&'a [PathBuf], &'a TimeWindow)>,
}

/// Prints the summary on stdout; `Err` carries the exit when that failed.
fn print_summary(format: Format, printed: &Printed<'_>, top: Option<usize>) -> Result<(), Exit> {
    // Buffered: stdout is line-buffered, and a JSON summary has thousands of lines.
    let terminal = io::stdout().is_terminal();
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let written = match printed.per_denial {
        Some((files, window)) => {
            write_denial_lines(&mut stdout, files, window).map_err(|e| match e {
                DenialLinesError::Write(e) => e,
                DenialLinesError::Read(e) => io::Error::other(e.to_string()),
            })
        }
        None => write_summary(&mut stdout, format, printed.rows, printed.stats, top, terminal),
    };
    match written.and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        // `| head` closing the pipe early is a normal way to read a report.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(fatal(&format!("cannot write the summary to stdout: {e}"))),
    }
}

/// `whydenied report DIR`: the summary from existing reports.
fn run_report(args: &ReportArgs) -> Exit {
    init_logging(0, false, LogFormat::Text);
    let parsed = args
        .summary
        .check_format()
        .and_then(|()| args.summary.window())
        .and_then(|w| Ok((w, args.new_since()?, args.summary.change_lookback()?)));
    let (window, new_since, change_lookback) = match parsed {
        Ok(parsed) => parsed,
        Err(message) => return fatal(&message),
    };
    let reports = RunPaths { inputs: &[], out_dir: &args.dir, state: None };
    if let Some(html) = &args.html
        && let Err(e) = check_html(&reports, html)
    {
        return fatal(&e.to_string());
    }
    let rules = match args.suppress.as_deref().map(Suppressions::load).transpose() {
        Ok(rules) => rules,
        Err(e) => return fatal(&e.to_string()),
    };
    let rebuilt = match rebuild(&args.dir, &window, new_since, change_lookback, rules.as_ref()) {
        Ok(rebuilt) => rebuilt,
        Err(e) => return fatal(&e.to_string()),
    };
    let new_rows: SummaryRows;
    let rows = match new_since {
        None => &rebuilt.rows,
        Some(_) => {
            new_rows = rebuilt.rows.filtered(|key| rebuilt.new.contains(key));
            &new_rows
        }
    };
    // --hide-noise changes what is shown, not what the thresholds count.
    let (without_noise, all_without_noise);
    let shown = if args.summary.hide_noise {
        without_noise = rows.without_noise();
        &without_noise
    } else {
        rows
    };
    let stats = ScanStats {
        kept: rebuilt.kept,
        suppressed: rebuilt.suppressed,
        outside_window: rebuilt.outside_window,
        ..ScanStats::default()
    };
    let per_denial = args.summary.per_denial.then_some((rebuilt.files.as_slice(), &window));
    let summary = Printed { rows: shown, stats: &stats, per_denial };
    if let Err(exit) = print_summary(args.summary.format.into(), &summary, args.summary.top) {
        return exit;
    }
    if let Some(html) = &args.html {
        // The page shows every group of the window, the new ones marked: new since --new-since,
        // or else new in the latest of several partitioned runs.
        let last_run = match new_since {
            Some(_) => None,
            None => new_in_last_run(&args.dir)
                .inspect_err(|e| tracing::warn!("cannot tell which groups the last run added: {e}"))
                .ok()
                .flatten(),
        };
        let new = match (new_since, &last_run) {
            (Some(since), _) => Some(NewGroups { keys: &rebuilt.new, since: Since::Time(since) }),
            (None, Some(keys)) => Some(NewGroups { keys, since: Since::LastRun }),
            (None, None) => None,
        };
        let page_rows = if args.summary.hide_noise {
            all_without_noise = rebuilt.rows.without_noise();
            &all_without_noise
        } else {
            &rebuilt.rows
        };
        let page = PageInput {
            rows: page_rows,
            denials: &rebuilt.files,
            window: &window,
            stats: None,
            new,
        };
        if let Err(e) = write_html_report(&page, html) {
            return fatal(&e.to_string());
        }
    }
    eprintln!(
        "read {} denials from {} report files under {}{}",
        rebuilt.denials,
        rebuilt.files.len(),
        args.dir.display(),
        if new_since.is_some() {
            format!("; {} groups are new", rows.len())
        } else {
            String::new()
        },
    );
    for rule in &rebuilt.unused_rules {
        eprintln!(
            "whydenied: --suppress rule {:?} matched no denial: a typo in it, or no longer needed?",
            whydenied::report::escape::for_terminal(rule)
        );
    }
    // What the printed summary counts: suppressed denials never, and with --new-since only the
    // new groups.
    let counted = rows.totals().denials;
    let new_found = args.fail_on_new && !rows.is_empty();
    if new_found {
        eprintln!("whydenied: --fail-on-new: {} new groups", rows.len());
    }
    let reached = denials_threshold(args.fail_on_denials, counted);
    finish(false, new_found || reached)
}

/// The HTML report of a scan; with `--state`, the groups no earlier run saw are marked new.
fn scan_html(outcome: &ScanOutcome, rows: &SummaryRows, html: &Path) -> Result<(), String> {
    // Without the earlier summaries the page is still worth having, only without "new" marks.
    let new_keys = outcome.earlier_summaries.as_ref().and_then(|earlier| {
        new_since_runs(rows, earlier)
            .inspect_err(|e| {
                tracing::warn!("cannot tell which groups are new since the last run: {e}")
            })
            .ok()
    });
    let page = PageInput {
        rows,
        denials: &outcome.reports.denials,
        // The scan's reports hold only the denials of its window.
        window: &TimeWindow::default(),
        stats: Some(&outcome.stats),
        new: new_keys.as_ref().map(|keys| NewGroups { keys, since: Since::LastRun }),
    };
    write_html_report(&page, html).map_err(|e| e.to_string())
}

fn fatal(message: &str) -> Exit {
    // Messages quote paths, request fields and policy names: nothing in them may act on a terminal.
    eprintln!("whydenied: {}", whydenied::report::escape::for_terminal(message));
    Exit::Fatal
}

/// Log targets capped below `trace` whatever RUST_LOG says.
const SECRET_BEARING_LOG_TARGETS: &[&str] = &[
    "aws_smithy_runtime=debug",
    "aws_smithy_runtime_api=debug",
    "aws_smithy_http_client=debug",
    "aws_runtime=debug",
    "aws_sigv4=debug",
    "aws_config=debug",
    "hyper=info",
    "hyper_util=info",
    "h2=info",
    "rustls=info",
];

fn init_logging(verbose: u8, quiet: bool, format: LogFormat) {
    // Our own diagnostics only, unless RUST_LOG asks for more: the AWS SDK logs warnings that
    // are noise to a user (a profile file that does not exist, retried requests).
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = match tracing_subscriber::EnvFilter::try_from_default_env() {
        // Even when RUST_LOG asks for everything: the AWS SDK and HTTP stack log request
        // headers (session tokens, signatures) at trace level, and credentials never go to a log.
        Ok(mut asked) => {
            for cap in SECRET_BEARING_LOG_TARGETS {
                if let Ok(directive) = cap.parse() {
                    asked = asked.add_directive(directive);
                }
            }
            asked
        }
        Err(_) => tracing_subscriber::EnvFilter::new(format!("whydenied={level}")),
    };
    // Whatever gets past the caps is redacted at the sink (see whydenied::redact).
    let redactor = std::sync::Arc::new(Redactor::from_env());
    let logs = tracing_subscriber::fmt()
        .with_writer(move || RedactingStderr(std::sync::Arc::clone(&redactor)))
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(io::stderr().is_terminal());
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
}
