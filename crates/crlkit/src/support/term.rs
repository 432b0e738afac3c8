//! Diagnostics on stderr and color: every `crlkit: error[code]`, `warning`, `note` and `info`
//! line goes through here, so `--color`, `NO_COLOR`, `-q` and `-v` apply everywhere.
//!
//! - Color: `--color always|never|auto` (auto: only to a terminal, and never when the
//!   `NO_COLOR` environment variable is set to anything non-empty, per no-color.org).
//!   Colors never change the text, only wrap it in ANSI SGR sequences.
//! - Verbosity: `-q` drops notes and warnings (errors always print); `-v` adds info lines
//!   (time taken, threads used).

use std::fmt::Display;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicI8, Ordering};

static COLOR_STDERR: AtomicBool = AtomicBool::new(false);
static COLOR_STDOUT: AtomicBool = AtomicBool::new(false);
static VERBOSITY: AtomicI8 = AtomicI8::new(0);

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Decide color for each stream and set the verbosity (-1 quiet, 0 normal, 1+ verbose).
pub fn init(choice: ColorChoice, verbosity: i8) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let decide = |is_terminal: bool| match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && !no_color,
    };
    COLOR_STDERR.store(decide(std::io::stderr().is_terminal()), Ordering::Relaxed);
    COLOR_STDOUT.store(decide(std::io::stdout().is_terminal()), Ordering::Relaxed);
    VERBOSITY.store(verbosity, Ordering::Relaxed);
}

/// ANSI styles used.
#[derive(Clone, Copy)]
pub enum Style {
    Red,
    Yellow,
    Green,
    Cyan,
    Dim,
}

impl Style {
    fn sgr(self) -> &'static str {
        match self {
            Style::Red => "\x1b[1;31m",
            Style::Yellow => "\x1b[1;33m",
            Style::Green => "\x1b[32m",
            Style::Cyan => "\x1b[1;36m",
            Style::Dim => "\x1b[2m",
        }
    }
}

fn paint(on: bool, text: &str, style: Style) -> String {
    if on { format!("{}{text}\x1b[0m", style.sgr()) } else { text.to_owned() }
}

/// `text` styled for stdout (when stdout gets color).
pub fn stdout_paint(text: &str, style: Style) -> String {
    paint(COLOR_STDOUT.load(Ordering::Relaxed), text, style)
}

fn stderr_paint(text: &str, style: Style) -> String {
    paint(COLOR_STDERR.load(Ordering::Relaxed), text, style)
}

/// The `crlkit: error[code]: ` prefix scripts match on (docs/ERRORS.md).
pub fn error_prefix(code: &str) -> String {
    format!("crlkit: {}: ", stderr_paint(&format!("error[{code}]"), Style::Red))
}

/// An error line that does not end the command (one bad certificate among many).
pub fn error(code: &str, message: impl Display) {
    eprintln!("{}{message}", error_prefix(code));
}

/// Something the user should read; dropped by `-q`.
pub fn warning(message: impl Display) {
    if VERBOSITY.load(Ordering::Relaxed) >= 0 {
        eprintln!("crlkit: {}: {message}", stderr_paint("warning", Style::Yellow));
    }
}

/// Something worth knowing (what was skipped); dropped by `-q`.
pub fn note(message: impl Display) {
    if VERBOSITY.load(Ordering::Relaxed) >= 0 {
        eprintln!("crlkit: {}: {message}", stderr_paint("note", Style::Cyan));
    }
}

/// A closing summary line (`crlkit: 3 file(s) inspected, ...`); dropped by `-q`.
pub fn summary(message: impl Display) {
    if !quiet() {
        eprintln!("crlkit: {message}");
    }
}

/// Text already laid out for stderr (a failure with its detail lines, a report that cannot go
/// to stdout because stdout carries the CRL): written as it is, whatever `-q` says.
pub fn emit(text: &str) {
    eprint!("{text}");
}

/// True under `-q`.
pub fn quiet() -> bool {
    VERBOSITY.load(Ordering::Relaxed) < 0
}

/// Detail for `-v` only.
pub fn info(message: impl Display) {
    if VERBOSITY.load(Ordering::Relaxed) > 0 {
        eprintln!("crlkit: {}: {message}", stderr_paint("info", Style::Dim));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_wraps_only_when_on() {
        assert_eq!(paint(false, "pass", Style::Green), "pass");
        assert_eq!(paint(true, "fail", Style::Red), "\x1b[1;31mfail\x1b[0m");
    }
}
