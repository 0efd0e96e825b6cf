//! Output for people (aligned text, colour only on a terminal) and for machines (JSON).

use std::io::IsTerminal as _;

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

fn paint(text: &str, code: &str) -> String {
    if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_owned()
    }
}

/// `PASS`, `FAIL` or `WARN`, coloured on a terminal.
pub fn badge(status: CheckStatus) -> String {
    match status {
        CheckStatus::Pass => paint("PASS", "32"),
        CheckStatus::Fail => paint("FAIL", "31;1"),
        CheckStatus::Warn => paint("WARN", "33"),
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
        paint("verified", "32;1")
    } else {
        paint("FAILED", "31;1")
    };
    format!(
        "{}@{}: {verdict} (receipt {})\n{}",
        safe(&report.package_id),
        safe(&report.package_version),
        report.receipt_status,
        checks_text(&report.checks)
    )
}

/// Prints a report in `format`.
pub fn print_report(report: &Report, format: Format) {
    match format {
        Format::Text => print!("{}", report_text(report)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(report).unwrap_or_default()
        ),
    }
}

/// A warning on stderr.
pub fn warn(message: &str) {
    eprintln!(
        "{} {message}",
        if std::io::stderr().is_terminal() {
            "\u{1b}[33mwarning:\u{1b}[0m"
        } else {
            "warning:"
        }
    );
}
