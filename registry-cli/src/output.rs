//! Output for people (aligned text, colour with `anstyle`) and for machines (JSON), written through `anstream`:
//! colour only on a terminal (never with `NO_COLOR`; escape codes stripped in pipes and files, stdout and stderr
//! each judged on its own), and a closed stream (`registry keys | head -2`) is never a panic.
//!
//! A stdout write error other than a closed pipe (`> /dev/full`) is kept and fails the command (exit 1, see
//! [`stdout_error`]); output a command must deliver (`resolve`'s record) goes through [`deliver_out`].
//!
//! Every line the command line prints goes through [`outln!`](crate::outln) (stdout) or [`errln!`](crate::errln)
//! (stderr); `println!`/`eprintln!`, which panic on a closed pipe, are denied in this crate.

use std::fmt;
use std::io::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use anstyle::{AnsiColor, Style};
use verifier::report::{CheckStatus, Checks};

use crate::check::Report;

/// `text` or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Text,
    /// One JSON document on stdout.
    Json,
}

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether the command printed its JSON document on stdout (a failure then prints no second one).
static JSON_PRINTED: AtomicBool = AtomicBool::new(false);

/// Prints `value` as the command's one pretty JSON document on stdout.
pub fn print_json(value: &impl serde::Serialize) {
    JSON_PRINTED.store(true, Ordering::Relaxed);
    crate::outln!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// A failure for people on stderr: `error:` and the headline, then one problem per line, each made safe for a
/// terminal. With `Format::Json` the error document also goes to stdout, unless the command already printed its
/// document there (a failed report is that document).
pub fn print_error(error: &crate::error::CliError, format: Format) {
    let mut text = format!(
        "{} {}\n",
        paint("error:", RED_BOLD),
        safe(&error.headline())
    );
    for problem in error.problems() {
        text.push_str(&format!("  {}\n", safe(&problem.line())));
    }
    crate::err!("{text}");
    if format == Format::Json && !JSON_PRINTED.load(Ordering::Relaxed) {
        print_json(&error.to_json());
    }
}

/// A usage error as a JSON document on stdout, and clap's `rendered` text on stderr.
pub fn print_error_json(error: &crate::error::CliError, rendered: &str) {
    crate::err!("{rendered}");
    let mut document = error.to_json();
    document["problems"] = serde_json::json!([{"message": rendered.trim()}]);
    print_json(&document);
}

/// The first stdout write error that was not a closed pipe (a full disk, `/dev/full`, an I/O error).
static STDOUT_ERROR: OnceLock<String> = OnceLock::new();

/// Writes to stdout. When stdout is gone (the reader of a pipe exited), this and every later write are skipped
/// quietly; the command still finishes and exits with its own code. Any other write error also stops later
/// writes, and is kept for [`stdout_error`]: the output was lost, which the command must report.
pub fn write_out(args: fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = anstream::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = STDOUT_ERROR.set(e.to_string());
        }
    }
}

/// The write error that lost part of stdout, if one happened (a closed pipe is not one: its reader chose to stop).
pub fn stdout_error() -> Option<&'static str> {
    STDOUT_ERROR.get().map(String::as_str)
}

/// Writes `bytes` to stdout that the command must deliver: flushed, and an error (a closed pipe, a full disk) is
/// returned. A stdout that was never open (`>&-`) cannot be told from `>/dev/null`: Rust's runtime puts
/// `/dev/null` there before `main`, so it is a place to write to, like a shell's `>/dev/null`.
pub fn deliver_out(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.flush()?;
    #[cfg(unix)]
    {
        // Writing through a duplicate of fd 1 reports
        // every error the descriptor gives.
        use std::os::fd::AsFd as _;
        let mut file = std::fs::File::from(stdout.as_fd().try_clone_to_owned()?);
        file.write_all(bytes)?;
        file.flush()
    }
    #[cfg(not(unix))]
    {
        stdout.write_all(bytes)?;
        stdout.flush()
    }
}

/// Writes to stderr; a closed stderr is ignored.
pub fn write_err(args: fmt::Arguments<'_>) {
    let mut err = anstream::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.flush());
}

/// `println!` that never panics: a closed stdout is skipped (see [`write_out`]).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that never panics.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_out(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics: a closed stderr is ignored.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::write_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that never panics.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::output::write_err(format_args!($($arg)*))
    };
}

const GREEN: Style = AnsiColor::Green.on_default();
const RED_BOLD: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const GREEN_BOLD: Style = AnsiColor::Green.on_default().bold();

/// `text` in `style`; the stream it is written to decides whether the style shows.
fn paint(text: &str, style: Style) -> String {
    format!("{style}{text}{style:#}")
}

/// `PASS`, `FAIL` or `WARN`, coloured on a terminal.
pub fn badge(status: CheckStatus) -> String {
    match status {
        CheckStatus::Pass => paint("PASS", GREEN),
        CheckStatus::Fail => paint("FAIL", RED_BOLD),
        CheckStatus::Warn => paint("WARN", YELLOW),
    }
}

/// Text from a registry, made safe for a terminal: control characters (escape sequences included) are shown
/// escaped instead of being interpreted.
pub fn safe(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// The checks as aligned lines.
pub fn checks_text(checks: &Checks) -> String {
    let width = checks.0.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for check in &checks.0 {
        out.push_str(&format!(
            "  {}  {:<width$}  {}\n",
            badge(check.status),
            check.name,
            safe(&check.detail)
        ));
    }
    out
}

/// A report for people.
pub fn report_text(report: &Report) -> String {
    let verdict = if report.ok() {
        paint("verified", GREEN_BOLD)
    } else {
        paint("FAILED", RED_BOLD)
    };
    format!(
        "{}@{}: {verdict} (receipt {})\n{}",
        safe(&report.package_id),
        safe(&report.package_version),
        report.receipt_status,
        checks_text(&report.checks)
    )
}

/// A report as pretty JSON.
pub fn report_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}

/// Prints a report in `format` on stdout.
pub fn print_report(report: &Report, format: Format) {
    match format {
        Format::Text => crate::out!("{}", report_text(report)),
        Format::Json => print_json(report),
    }
}

/// A warning on stderr (`warning:` in yellow on a colour terminal).
pub fn warn(message: &str) {
    crate::errln!("{} {message}", paint("warning:", YELLOW));
}
