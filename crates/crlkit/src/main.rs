//! `crlkit`: prepare certificate revocation lists for mutual-TLS trust stores (AWS ALB first).
//!
//! This crate is the binary only, not a library: it owns every terminal concern (arguments,
//! output formats, progress, exit codes) and leaves parsing to `crlkit-der`.
//!
//! Exit codes: 0 success, 1 a negative answer (commands that check something), 2 an error
//! (bad input, I/O, usage). A closed stdout pipe (`crlkit list big.crl | head`) exits 0.

mod bench;
mod check;
mod cli;
mod convert;
mod diff;
mod failure;
mod generate;
mod input;
mod inspect;
mod json;
mod list;
mod output;
mod preflight;
mod progress;
mod scan_logs;
mod serial;
mod shell;
mod sign;
mod term;
mod verify;

use std::process::ExitCode;

fn main() -> ExitCode {
    let config = match cli::parse(std::env::args_os()) {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            // Usage errors carry the same stable prefix as every other error (docs/ERRORS.md).
            let text = e.render().to_string();
            eprint!("{}{}", term::error_prefix("usage"), text.strip_prefix("error: ").unwrap_or(&text));
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version: stdout, exit 0.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    term::init(config.color, config.verbosity);
    if let Some(threads) = config.threads {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
    }
    let started = std::time::Instant::now();
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
        cli::Command::Gen(c) => generate::run(c).map(|()| true),
        cli::Command::Sign(c) => sign::run(c).map(|()| true),
        cli::Command::Bench(c) => bench::run(c).map(|()| true),
        cli::Command::Completions(shell) => shell::completions(*shell).map(|()| true),
        cli::Command::Man(dir) => shell::man(dir.as_deref()).map(|()| true),
    };
    term::info(format_args!(
        "{} in {:.3} s on {} thread(s)",
        match &result {
            Ok(true) => "done",
            Ok(false) => "done (negative answer)",
            Err(_) => "failed",
        },
        started.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    ));
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
