//! `whydenied policies fetch`: runs the library's fetcher, says on stderr what was captured and
//! what was not (and why), and turns that into the exit code of the contract: 2 when some
//! piece was not captured, as a scan that skipped inputs.

use crate::cli::FetchArgs;
use crate::exit_code::Exit;

#[cfg(feature = "fetch")]
pub fn run(args: &FetchArgs) -> Exit {
    use std::io::IsTerminal;
    use whydenied::fetch::{FetchError, FetchOptions, Regions, fetch};
    use whydenied::source::AwsOptions;

    let regions = match args.regions.as_slice() {
        [] => Regions::Configured,
        [all] if all == "all" => Regions::All,
        list if list.iter().any(|r| r == "all") => {
            return crate::fatal("--regions: `all` or a list of regions, not both");
        }
        list => Regions::These(list.to_vec()),
    };
    if let Err(e) = whydenied::interrupt::install() {
        return crate::fatal(&format!("cannot install signal handlers: {e}"));
    }
    let options = FetchOptions {
        out: args.out.clone(),
        aws: AwsOptions {
            profile: args.profile.clone(),
            region: args.aws_region.clone(),
            endpoint_url: args.endpoint_url.clone(),
            no_sign_request: false,
        },
        regions,
        buckets: (!args.buckets.is_empty()).then(|| args.buckets.clone()),
        organization: !args.no_org,
        concurrency: usize::from(args.concurrency),
        progress: !args.quiet && std::io::stderr().is_terminal(),
    };
    match fetch(&options) {
        Ok(fetched) => {
            report(args, &fetched);
            Exit::finished(!fetched.tally.not_captured.is_empty(), false)
        }
        Err(FetchError::Interrupted(signal)) => {
            eprintln!("whydenied: {}", FetchError::Interrupted(signal));
            Exit::Signal(signal)
        }
        Err(e) => crate::fatal(&e.to_string()),
    }
}

/// Not-captured pieces named one by one; past this many, counted.
#[cfg(feature = "fetch")]
const LISTED: usize = 20;

#[cfg(feature = "fetch")]
fn report(args: &FetchArgs, fetched: &whydenied::fetch::Fetched) {
    use whydenied::fetch::OrganizationPlaced;
    use whydenied::report::escape::for_terminal;
    let tally = &fetched.tally;
    let out = args.out.display().to_string();
    eprintln!(
        "policy snapshot of account {} ({}) in {}: {} outputs written, {} known absent (AWS said there is none), {} not captured",
        fetched.account,
        for_terminal(&fetched.partition),
        for_terminal(&out),
        tally.captured,
        tally.absent,
        tally.not_captured.len(),
    );
    eprintln!("  regions: {}", for_terminal(&fetched.regions.join(", ")));
    if fetched.organization == OrganizationPlaced::KeptEarlier {
        eprintln!(
            "  organization: not listable from this account; the snapshot keeps the tree an earlier fetch took"
        );
    }
    for missing in tally.not_captured.iter().take(LISTED) {
        eprintln!(
            "  not captured: {}: {}",
            for_terminal(&missing.file),
            for_terminal(&missing.reason)
        );
    }
    if tally.not_captured.len() > LISTED {
        eprintln!("  … and {} more (the .err files say why)", tally.not_captured.len() - LISTED);
    }
}

#[cfg(not(feature = "fetch"))]
pub fn run(_args: &FetchArgs) -> Exit {
    crate::fatal(
        "policies fetch: this build cannot fetch policies (it was built without the `fetch` cargo feature); the README's AWS CLI recipe builds the same snapshot",
    )
}
