//! One module per command, cargo-style: each holds its `#[derive(Args)]` struct (what was
//! typed, with its help text and examples), the validated configuration it means, the code
//! that runs it, and its flag tests.
//!
//! Adding a command: a module here, its variant in [`Command`], its arm in [`Command::exec`].
//! The online commands (`upload`, `pull`, `publish`, `register`, `revocations`, `sync`, and
//! later `revoke`, `doctor`) go here the same way; they are the only ones that run async
//! code, through `support::runtime::block_on`, the one place the binary builds a tokio runtime
//! (see ARCHITECTURE.md, "The online half"). `stage` is offline: it prepares what `upload`
//! carries out.

mod bench;
mod check;
mod completions;
mod convert;
mod diff;
mod generate;
mod inspect;
mod list;
mod preflight;
mod publish;
mod pull;
mod register;
mod revocations;
mod scan_logs;
mod serial;
mod sign;
mod stage;
mod sync;
mod upload;
mod verify;

use clap::Subcommand;

use crate::support::failure::Failure;

/// How a command that did its job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done, or a check answered positively: exit 0.
    Positive,
    /// A check answered negatively (invalid, not ready, revoked, different, alarm): exit 1.
    Negative,
}

impl Outcome {
    /// `Positive` when `ok`.
    pub fn from_ok(ok: bool) -> Self {
        if ok { Outcome::Positive } else { Outcome::Negative }
    }
}

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
    Register(register::Args),
    Publish(publish::Args),
    Revocations(revocations::Args),
    Sync(sync::Args),
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
            Command::Register(a) => register::run(&a.config()?),
            Command::Publish(a) => publish::run(&a.config()?),
            Command::Revocations(a) => revocations::run(&a.config()?),
            Command::Sync(a) => sync::run(&a.config()?),
            Command::Completions(a) => completions::run_completions(&a),
            Command::Man(a) => completions::run_man(&a),
        }
    }
}
