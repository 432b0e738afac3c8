//! `crlkit completions` and `crlkit man`: generated from the clap definitions, so they can
//! never disagree with `--help`.

use std::io::Write;
use std::path::PathBuf;

use crate::support::failure::Failure;
use crate::support::outcome::Outcome;
use crate::support::output::{Dest, write_failure};

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  crlkit completions bash > ~/.local/share/bash-completion/completions/crlkit
  crlkit completions zsh > \"${fpath[1]}/_crlkit\"
  crlkit completions fish > ~/.config/fish/completions/crlkit.fish
  crlkit completions powershell >> $PROFILE";

const MAN_EXAMPLES: &str = "\
Examples:
  crlkit man | man -l -
  crlkit man --dir /usr/local/share/man/man1       crlkit.1 and crlkit-<command>.1";

/// `crlkit completions` as typed.
#[derive(clap::Args, Debug)]
#[command(about = "Print a shell completion script (bash, zsh, fish, powershell).", after_help = COMPLETIONS_EXAMPLES)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// `crlkit man` as typed.
#[derive(clap::Args, Debug)]
#[command(about = "Print the man page (roff), or write one per command into a directory.", after_help = MAN_EXAMPLES)]
pub struct ManArgs {
    /// Write crlkit.1 and one page per command into this directory instead of printing.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run_completions(a: &Args) -> Result<Outcome, Failure> {
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut crate::cli::definition(), "crlkit", &mut out);
    crate::support::output::print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(Outcome::Positive)
}

pub fn run_man(a: &ManArgs) -> Result<Outcome, Failure> {
    let cmd = crate::cli::definition();
    match &a.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Failure::io(format!("creating {}", dir.display()), &e))?;
            clap_mangen::generate_to(cmd, dir)
                .map_err(|e| Failure::io(format!("writing into {}", dir.display()), &e))?;
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out).map_err(|e| write_failure(&Dest::Stdout, &e))?;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&out).and_then(|()| stdout.flush()).map_err(|e| write_failure(&Dest::Stdout, &e))?;
        }
    }
    Ok(Outcome::Positive)
}
