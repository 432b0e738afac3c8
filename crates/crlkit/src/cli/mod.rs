//! What was typed: the top-level clap definition with the global flags, and the argument groups
//! several commands share ([`args`]). Each command's own flags, and what they mean, live in its
//! module under `commands/`.

pub mod args;

use std::ffi::OsString;

use clap::{Args, Parser};

use crate::commands::Command;
use crate::support::term::ColorChoice;

const ABOUT: &str = "Prepare certificate revocation lists (CRLs) for mutual-TLS trust stores, AWS ALB first.";

const AFTER_HELP: &str = "\
Exit codes: 0 success, 1 negative result (checks), 2 error (bad input, I/O, usage).
Inputs are DER or PEM, detected from content. `-` reads stdin: convert, inspect and list
stream it in constant memory; the other commands read it whole, up to 1 GiB.

Examples:
  crlkit convert pca.crl -o pca.pem          DER from AWS Private CA to PEM for ALB
  crlkit inspect pca.crl                     issuer, dates, CRL number, entry count
  crlkit list pca.crl --format csv           every revoked serial
  crlkit verify pca.crl --ca ca.pem          signature, issuer, cRLSign, freshness
  crlkit preflight pca.crl --ca ca.pem       ready for an ELB trust store?
  crlkit serial client.pem                   the serial to revoke
  crlkit check --crl pca.crl --cert client.pem   is it revoked yet?
  crlkit diff old.crl new.crl                what a new CRL adds and removes
  crlkit scan-logs --crl pca.crl logs/       do revoked clients still connect?";

/// The command line as typed.
#[derive(Parser, Debug)]
#[command(name = "crlkit", version, about = ABOUT, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Args, Debug)]
pub struct Global {
    /// Worker threads for large inputs (default: one per CPU). Output never depends on it.
    #[arg(long, global = true, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// Color: auto (only to a terminal, and not when NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print errors only: no warnings, notes or progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print what was done, how long it took and on how many threads.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Global {
    /// -1 quiet, 0 normal, 1+ verbose.
    pub fn verbosity(&self) -> i8 {
        if self.quiet { -1 } else { i8::try_from(self.verbose).unwrap_or(i8::MAX) }
    }
}

fn parse_threads(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("not a number: {s:?}")),
    }
}

/// The clap definition, for completions, man pages and the help tests.
pub fn definition() -> clap::Command {
    use clap::CommandFactory;
    Cli::command()
}

/// Parse the command line (what each command's flags mean is decided by the command).
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(args)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Parse `crlkit ARGS...`.
    pub(crate) fn parse_args(args: &[&str]) -> Result<Cli, clap::Error> {
        parse(std::iter::once("crlkit").chain(args.iter().copied()).map(OsString::from))
    }

    #[test]
    fn clap_definitions_are_consistent() {
        definition().debug_assert();
    }

    #[test]
    fn global_flags() {
        assert!(parse_args(&["--threads", "0", "list", "x"]).is_err());
        let cli = parse_args(&["--threads", "3", "list", "x", "-q"]).unwrap();
        assert_eq!((cli.global.threads, cli.global.verbosity()), (Some(3), -1));
        assert!(parse_args(&["-q", "-v", "list", "x"]).is_err());
        assert_eq!(parse_args(&["-vv", "list", "x", "--color", "never"]).unwrap().global.verbosity(), 2);
    }

    /// Every command documents itself with examples, in `--help` and in its man page: the list
    /// comes from the clap definition, so a new command is covered without editing a list.
    #[test]
    fn every_command_has_examples_and_a_man_page() {
        let mut cmd = definition();
        let names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_owned()).collect();
        assert!(names.len() >= 14, "{names:?}");
        for name in &names {
            let sub = cmd.find_subcommand_mut(name).unwrap();
            let help = sub.render_long_help().to_string();
            assert!(help.contains("Examples:"), "{name} --help has no examples:\n{help}");
            assert!(sub.get_about().is_some(), "{name} has no one-line description");
        }
        let dir = std::env::temp_dir().join(format!("crlkit-man-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        clap_mangen::generate_to(definition(), &dir).unwrap();
        for name in &names {
            let page = dir.join(format!("crlkit-{name}.1"));
            let text = std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("no man page for {name}"));
            assert!(text.contains("Examples:"), "{name}'s man page has no examples");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
