//! `crlkit`: prepare certificate revocation lists for mutual-TLS trust stores (AWS ALB first).
//!
//! This crate is the binary only, not a library: it owns every terminal concern (arguments,
//! output formats, progress, exit codes) and leaves parsing to `crlkit-der`.
//!
//! Exit codes: 0 success, 1 a negative answer (commands that check something), 2 an error
//! (bad input, I/O, usage). A closed stdout pipe (`crlkit list big.crl | head`) exits 0.

mod check;
mod cli;
mod convert;
mod diff;
mod failure;
mod input;
mod inspect;
mod json;
mod list;
mod output;
mod preflight;
mod progress;
mod scan_logs;
mod serial;
mod verify;

use std::process::ExitCode;

fn main() -> ExitCode {
    let config = match cli::parse(std::env::args_os()) {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version on stdout with exit 0, usage errors on stderr with 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    if let Some(threads) = config.threads {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
    }
    // Ok(true): success or a positive answer (exit 0); Ok(false): a negative answer (exit 1).
    let result = match &config.command {
        cli::Command::Convert(c) => convert::run(c).map(|()| true),
        cli::Command::Inspect(c) => inspect::run(c).map(|()| true),
        cli::Command::List(c) => list::run(c).map(|()| true),
        cli::Command::Verify(c) => verify::run(c),
        cli::Command::Preflight(c) => preflight::run(c),
        cli::Command::Serial(c) => serial::run(c).map(|()| true),
        cli::Command::Check(c) => check::run(c),
        cli::Command::Diff(c) => diff::run(c),
        cli::Command::ScanLogs(c) => scan_logs::run(c),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(f) if f.is_broken_pipe() => ExitCode::SUCCESS,
        Err(f) => {
            f.print();
            ExitCode::from(2)
        }
    }
}
