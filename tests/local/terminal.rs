//! The table as a person sees it on a terminal: the binary runs with its stdout on a real
//! pseudo-terminal (openpty) of 80, 120 and 200 columns, `COLUMNS` unset, so the width comes from
//! the kernel's window size as in a shell. Every line must fit, and principals that differ only
//! in their account or in the last element of their path must still be told apart.

use std::fs::{self, File};
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr;

use crate::common::{sample_logs, utf8};

/// What the binary wrote on a terminal `columns` wide (line ends as `\n`), its stderr and exit.
fn on_terminal(columns: u16, args: &[&str]) -> (String, String, Option<i32>) {
    on_terminal_with(columns, args, None)
}

/// [`on_terminal`] with `COLUMNS` set to `env_columns`.
fn on_terminal_with(
    columns: u16,
    args: &[&str],
    env_columns: Option<&str>,
) -> (String, String, Option<i32>) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize { ws_row: 50, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: openpty stores two new descriptors in `master` and `slave`; the name and termios
    // pointers may be null, and `size` lives for the call.
    let opened = unsafe {
        libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size)
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and nothing else owns them.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut command = Command::new(env!("CARGO_BIN_EXE_whydenied"));
    match env_columns {
        Some(value) => command.env("COLUMNS", value),
        None => command.env_remove("COLUMNS"),
    };
    let child = command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // The child holds the terminal's other side now: this process must not.
    drop(command);
    // Read while it writes: a terminal's buffer is small. The read ends with EIO once the
    // child, the only holder of the other side, has exited.
    let reader = std::thread::spawn(move || {
        let mut master = File::from(master);
        let (mut out, mut buffer) = (Vec::new(), [0u8; 8192]);
        loop {
            match master.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.raw_os_error() == Some(libc::EIO) => break,
                Err(e) => panic!("reading the terminal: {e}"),
            }
        }
        out
    });
    let output = child.wait_with_output().expect("the binary ends");
    let screen = reader.join().expect("the reader ends");
    // The terminal turns every \n into \r\n (onlcr).
    let screen = String::from_utf8(screen).expect("utf-8").replace("\r\n", "\n");
    (screen, String::from_utf8_lossy(&output.stderr).into_owned(), output.status.code())
}

fn assert_fits(screen: &str, columns: usize) {
    assert!(screen.lines().count() > 5, "{screen}");
    for line in screen.lines() {
        assert!(
            line.width() <= columns,
            "{} columns > {columns}: {line:?}\n{screen}",
            line.width()
        );
    }
}

/// One denial of the role `role_arn`'s session `session`.
fn denial(role_arn: &str, session: &str, i: usize) -> Value {
    let (account, name) = (&role_arn[13..25], role_arn.rsplit('/').next().expect("a name"));
    json!({
        "eventTime": format!("2026-11-02T10:{:02}:00Z", i % 60),
        "eventID": format!("{account}-{name}-{i}"),
        "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "eu-west-1",
        "errorCode": "AccessDenied", "errorMessage": "Access Denied",
        "recipientAccountId": account,
        "userIdentity": {
            "type": "AssumedRole",
            "arn": format!("arn:aws:sts::{account}:assumed-role/{name}/{session}"),
            "accountId": account,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role_arn}},
        },
        "requestParameters": {"bucketName": "team-artifacts-eu-west-1", "key": format!("k/{i}")},
    })
}

/// Roles under one long path that differ only in their account or their last element; the last
/// two, like IAM Identity Center roles, in a long name's middle.
const ROLES: [&str; 5] = [
    "arn:aws:iam::111122223333:role/platform/ci/github-actions/production/eu-west-1/deploy",
    "arn:aws:iam::444455556666:role/platform/ci/github-actions/production/eu-west-1/deploy",
    "arn:aws:iam::111122223333:role/platform/ci/github-actions/production/eu-west-1/deploy-ci",
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_0123456789abcdef",
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_ReadOnlyAccess_fedcba9876543210",
];

fn write_trail(dir: &Path) {
    let records: Vec<Value> = ROLES
        .iter()
        .enumerate()
        .flat_map(|(r, role)| (0..(r + 2)).map(move |i| denial(role, "alice@example.com", i)))
        .collect();
    fs::create_dir_all(dir).expect("mkdir");
    fs::write(dir.join("trail.json"), serde_json::to_vec(&json!({"Records": records})).unwrap())
        .expect("write");
}

/// The PRINCIPAL cells of the table's rows, cut out by the header's column positions.
fn principal_cells(screen: &str) -> Vec<String> {
    let header = screen.lines().find(|l| l.contains("PRINCIPAL")).expect("a header");
    let (start, end) =
        (header.find("PRINCIPAL").expect("principal"), header.find("ACTION").expect("action"));
    let is_row = |l: &&str| {
        let mut words = l.split_whitespace();
        words.next().is_some_and(|w| w.parse::<u32>().is_ok())
            && words.next().is_some_and(|w| w.parse::<u32>().is_ok())
    };
    screen
        .lines()
        .filter(is_row)
        .map(|l| l.chars().skip(start).take(end - start).collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn the_table_fits_the_terminal_and_principals_stay_apart() {
    let work = tempfile::tempdir().expect("temp dir");
    let (logs, out) = (work.path().join("logs"), work.path().join("out"));
    write_trail(&logs);
    for columns in [80, 120, 200] {
        let (screen, err, code) =
            on_terminal(columns, &["scan", utf8(&logs), "--out", utf8(&out), "-q"]);
        assert_eq!(code, Some(0), "{err}");
        assert_fits(&screen, usize::from(columns));
        let cells = principal_cells(&screen);
        assert_eq!(cells.len(), ROLES.len(), "{columns} columns:\n{screen}");
        let mut distinct = cells.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), ROLES.len(), "{columns} columns: {cells:#?}\n{screen}");
        for cell in &cells {
            assert!(
                cell.starts_with("111122223333:role/") || cell.starts_with("444455556666:role/"),
                "the account stays whole: {cell:?}"
            );
        }
        assert!(cells.iter().any(|c| c.ends_with("/deploy")), "{cells:?}");
        assert!(cells.iter().any(|c| c.ends_with("/deploy-ci")), "{cells:?}");
        let words = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("session: alice@example.com"), "{screen}");
        if columns == 200 {
            assert!(cells.iter().any(|c| c.ends_with("_0123456789abcdef")), "{cells:?}");
        }
    }
}

#[test]
fn the_sample_table_fits_80_120_and_200_columns() {
    let out = tempfile::tempdir().expect("temp dir");
    for columns in [80, 120, 200] {
        let (screen, err, code) = on_terminal(
            columns,
            &["scan", utf8(&sample_logs()), "--out", utf8(out.path()), "-q", "--top", "40"],
        );
        assert_eq!(code, Some(0), "{err}");
        assert_fits(&screen, usize::from(columns));
        // "denied by" is a column where it fits comfortably, else said under each row.
        let as_column = screen.contains("DENIED BY");
        assert_eq!(as_column, columns > 80, "{columns} columns:\n{screen}");
        assert_eq!(screen.contains("denied by: "), !as_column);
        if columns == 80 {
            println!("{screen}");
        }
    }
}

#[test]
fn columns_sets_the_width_and_a_pipe_gets_120() {
    let (out, logs) = (tempfile::tempdir().expect("temp dir"), sample_logs());
    let args = ["scan", utf8(&logs), "--out", utf8(out.path()), "-q", "--top", "40"];
    let piped = Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args(args)
        .env_remove("COLUMNS")
        .output()
        .expect("runs");
    let text = String::from_utf8(piped.stdout).expect("utf-8");
    assert!(text.lines().any(|l| l.width() > 100), "a pipe gets 120 columns");
    assert_fits(&text, 120);
    let narrow = Command::new(env!("CARGO_BIN_EXE_whydenied"))
        .args(args)
        .env("COLUMNS", "90")
        .output()
        .expect("runs");
    assert_fits(&String::from_utf8(narrow.stdout).expect("utf-8"), 90);
    // COLUMNS wins over the terminal's own width, as in clap and most tools.
    let (screen, err, code) = on_terminal_with(200, &args, Some("90"));
    assert_eq!(code, Some(0), "{err}");
    assert_fits(&screen, 90);
}
