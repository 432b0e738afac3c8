//! `crlkit`: prepare certificate revocation lists for mutual-TLS trust stores (AWS ALB first).
//!
//! This crate is the binary only, not a library: it owns every terminal concern (arguments,
//! output formats, progress, exit codes) and leaves parsing to `crlkit-der`. Layout:
//! `cli/` is what was typed (global flags, shared argument groups), `commands/` holds one module
//! per command (its flags, what they mean, how it runs), `support/` what commands share.
//!
//! Exit codes: 0 success, 1 a negative answer (commands that check something), 2 an error
//! (bad input, I/O, usage). A closed stdout pipe (`crlkit list big.crl | head`) exits 0.

mod cli;
mod commands;
mod support;

use std::process::ExitCode;

use support::outcome::Outcome;
use support::term;

fn main() -> ExitCode {
    let cli = match cli::parse(std::env::args_os()) {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            // Usage errors carry the same stable prefix as every other error (docs/ERRORS.md).
            let text = e.render().to_string();
            term::emit(&format!("{}{}", term::error_prefix("usage"), text.strip_prefix("error: ").unwrap_or(&text)));
            return ExitCode::from(2);
        }
        Err(e) => {
            // --help and --version: stdout, exit 0.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    term::init(cli.global.color, cli.global.verbosity());
    if let Some(threads) = cli.global.threads {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
    }
    let started = std::time::Instant::now();
    let result = cli.command.exec();
    term::info(format_args!(
        "{} in {:.3} s on {} thread(s)",
        match &result {
            Ok(Outcome::Positive) => "done",
            Ok(Outcome::Negative) => "done (negative answer)",
            Ok(Outcome::Busy) => "nothing done: another run is at it",
            Err(_) => "failed",
        },
        started.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    ));
    match result {
        Ok(Outcome::Positive) => ExitCode::SUCCESS,
        Ok(Outcome::Negative) => ExitCode::from(1),
        Ok(Outcome::Busy) => ExitCode::from(75),
        Err(f) if f.is_broken_pipe() => ExitCode::SUCCESS,
        Err(f) => {
            f.print();
            ExitCode::from(2)
        }
    }
}
