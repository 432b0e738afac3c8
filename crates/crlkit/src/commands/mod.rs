//! One module per command, cargo-style: each holds its `#[derive(Args)]` struct (what was
//! typed, with its help text and examples), the validated configuration it means, the code
//! that runs it, and its flag tests.
//!
//! Adding a command: a module here, its variant in [`Command`], its arm in [`Command::exec`].
//! The online commands (`upload`, `pull`, `publish`, `register`, `revocations`, `sync`,
//! `revoke`, `doctor`) go here the same way: each turns its arguments into a request,
//! makes one `crlkit_ops` call through `support::runtime::block_on` (the one place the binary
//! builds a tokio runtime) and renders the report. No command imports another. The ELB ones
//! exist only with the `online` feature; the offline build answers them with `offline-build`.

mod bench;
mod check;
mod completions;
mod convert;
mod diff;
#[cfg(feature = "online")]
mod doctor;
mod generate;
mod inspect;
mod list;
#[cfg(not(feature = "online"))]
mod offline;
mod preflight;
#[cfg(feature = "online")]
mod publish;
mod pull;
#[cfg(feature = "online")]
mod register;
#[cfg(feature = "online")]
mod revocations;
#[cfg(feature = "online")]
mod revoke;
mod scan_logs;
mod serial;
mod sign;
mod stage;
#[cfg(feature = "online")]
mod sync;
mod upload;
mod verify;

use clap::Subcommand;

use crate::support::failure::Failure;
use crate::support::outcome::Outcome;

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    Convert(convert::Args),
    Inspect(inspect::Args),
    List(list::Args),
    Verify(verify::Args),
    Preflight(preflight::Args),
    Serial(serial::Args),
    Check(check::Args),
    Diff(diff::Args),
    #[command(name = "scan-logs")]
    ScanLogs(scan_logs::Args),
    Gen(generate::Args),
    Sign(sign::Args),
    Bench(bench::Args),
    Stage(stage::Args),
    Upload(upload::Args),
    Pull(pull::Args),
    #[cfg(feature = "online")]
    Register(register::Args),
    #[cfg(not(feature = "online"))]
    #[command(about = offline::ABOUT, after_help = offline::EXAMPLES)]
    Register(offline::Args),
    #[cfg(feature = "online")]
    Publish(publish::Args),
    #[cfg(not(feature = "online"))]
    #[command(about = offline::ABOUT, after_help = offline::EXAMPLES)]
    Publish(offline::Args),
    #[cfg(feature = "online")]
    Revocations(revocations::Args),
    #[cfg(not(feature = "online"))]
    #[command(about = offline::ABOUT, after_help = offline::EXAMPLES)]
    Revocations(offline::Args),
    #[cfg(feature = "online")]
    Revoke(revoke::Args),
    #[cfg(not(feature = "online"))]
    #[command(about = offline::ABOUT, after_help = offline::EXAMPLES)]
    Revoke(offline::Args),
    #[cfg(feature = "online")]
    Sync(sync::Args),
    #[cfg(not(feature = "online"))]
    #[command(about = offline::ABOUT, after_help = offline::EXAMPLES)]
    Sync(offline::Args),
    #[cfg(feature = "online")]
    Doctor(doctor::Args),
    #[cfg(not(feature = "online"))]
    #[command(about = offline::ABOUT, after_help = offline::EXAMPLES)]
    Doctor(offline::Args),
    Completions(completions::Args),
    Man(completions::ManArgs),
}

impl Command {
    /// Validate what was typed, then run it.
    pub fn exec(self) -> Result<Outcome, Failure> {
        match self {
            Command::Convert(a) => convert::run(&a.job()?),
            Command::Inspect(a) => inspect::run(&a.config()?),
            Command::List(a) => list::run(&a.config()?),
            Command::Verify(a) => verify::run(&a.config()?),
            Command::Preflight(a) => preflight::run(&a.config()?),
            Command::Serial(a) => serial::run(&a.config()),
            Command::Check(a) => check::run(&a.config()?),
            Command::Diff(a) => diff::run(&a.config()?),
            Command::ScanLogs(a) => scan_logs::run(&a.config()?),
            Command::Gen(a) => generate::run(&a.config()?),
            Command::Sign(a) => sign::run(&a.config()?),
            Command::Bench(a) => bench::run(&a.config()),
            Command::Stage(a) => stage::run(&a.config()?),
            Command::Upload(a) => upload::run(&a.config()?),
            Command::Pull(a) => pull::run(&a.config()?),
            #[cfg(feature = "online")]
            Command::Register(a) => register::run(&a.config()?),
            #[cfg(feature = "online")]
            Command::Publish(a) => publish::run(&a.config()?),
            #[cfg(feature = "online")]
            Command::Revocations(a) => revocations::run(&a.config()?),
            #[cfg(feature = "online")]
            Command::Revoke(a) => revoke::run(&a.config()?),
            #[cfg(feature = "online")]
            Command::Sync(a) => sync::run(&a.config()?),
            #[cfg(feature = "online")]
            Command::Doctor(a) => doctor::run(&a.config()?),
            #[cfg(not(feature = "online"))]
            Command::Register(_)
            | Command::Publish(_)
            | Command::Revocations(_)
            | Command::Revoke(_)
            | Command::Sync(_)
            | Command::Doctor(_) => Err(offline::unavailable()),
            Command::Completions(a) => completions::run_completions(&a),
            Command::Man(a) => completions::run_man(&a),
        }
    }
}
