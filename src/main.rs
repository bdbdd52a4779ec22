//! The `whydenied` binary: parse arguments, run, print, and turn the outcome into an exit code
//! (0 success, 1 fatal error, 2 finished with inputs skipped).

mod cli;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, ScanArgs};
use whydenied::interrupt;
use whydenied::pipeline::{ScanError, scan};
use whydenied::report::html::write_html_report;
use whydenied::report::{footer::write_footer, write_summary};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => run_scan(&args),
    }
}

fn run_scan(args: &ScanArgs) -> ExitCode {
    init_logging(args.verbose, args.quiet);
    let config = match args.config() {
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
            return ExitCode::from(u8::try_from(128 + signal).unwrap_or(130));
        }
        Err(e) => return fatal(&e.to_string()),
    };
    if let Some(html) = &args.html
        && let Err(e) = write_html_report(&config.out_dir, html, Some(&outcome.stats))
    {
        return fatal(&e.to_string());
    }
    // Buffered: stdout is line-buffered, and a JSON summary has thousands of lines.
    let mut stdout = io::BufWriter::new(io::stdout().lock());
    let printed = write_summary(
        &mut stdout,
        args.format(),
        &outcome.rows,
        &outcome.stats,
        args.top,
    )
    .and_then(|()| stdout.flush());
    match printed {
        Ok(()) => {}
        // `| head` closing the pipe early is a normal way to read a report.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return fatal(&format!("cannot write the summary to stdout: {e}")),
    }
    let mut stderr = io::stderr().lock();
    if args.quiet {
        // Quiet keeps stderr for what cron must see: problems only.
        if outcome.stats.incomplete() {
            let _ = write_footer(&mut stderr, &outcome.stats);
        }
    } else {
        let _ = write_footer(&mut stderr, &outcome.stats);
        let _ = writeln!(
            stderr,
            "reports: {} and {}",
            outcome.denials_path.display(),
            outcome.summary_path.display()
        );
    }
    if outcome.stats.incomplete() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn fatal(message: &str) -> ExitCode {
    eprintln!("whydenied: {message}");
    ExitCode::from(1)
}

fn init_logging(verbose: u8, quiet: bool) {
    // Our own diagnostics only, unless RUST_LOG asks for more: the AWS SDK logs warnings that
    // are noise to a user (a profile file that does not exist, retried requests).
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("whydenied={level}")));
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .init();
}
