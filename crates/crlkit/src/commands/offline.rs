//! What the offline build (`--no-default-features`: no HTTP, TLS or AWS code) has in place of
//! the ELB and Private CA commands: the same names, taking any arguments, answering `offline-build`, so a
//! script run on the wrong build is told why instead of "unrecognized subcommand".

use crate::support::failure::Failure;

pub const ABOUT: &str = "Not in this offline build (no S3, ELB or Private CA): use the default build of crlkit.";

pub const EXAMPLES: &str = "\
This binary was built with --no-default-features, for machines with no network: it has no S3,
ELB or TLS code. Every run of this command exits 2 with error[offline-build].

Examples:
  cargo build --release -p crlkit      the default build, with S3 and ELB, on a connected machine
  crlkit stage pca.crl --out staged/   here: the offline half, for `crlkit upload staged/` there";

/// Whatever was typed after the command.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    _rest: Vec<String>,
}

/// The failure every ELB command gives in this build.
pub fn unavailable() -> Failure {
    let mut f = Failure::new(
        "offline-build",
        "this is crlkit's offline build, without S3 or ELB: register, publish, revocations and sync are not in it",
    );
    f.detail.push(
        "help: build crlkit with its default features (cargo build -p crlkit --release) on a connected machine".into(),
    );
    f
}
