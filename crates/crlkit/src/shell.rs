//! `crlkit completions` and `crlkit man`: generated from the clap definitions, so they can
//! never disagree with `--help`.

use std::io::Write;
use std::path::Path;

use crate::failure::Failure;
use crate::output::{Dest, write_failure};

pub fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::definition(), "crlkit", &mut out);
    crate::output::print_stdout(&String::from_utf8_lossy(&out))
}

pub fn man(dir: Option<&Path>) -> Result<(), Failure> {
    let cmd = crate::cli::definition();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Failure::io(format!("creating {}", dir.display()), &e))?;
            clap_mangen::generate_to(cmd, dir).map_err(|e| Failure::io(format!("writing into {}", dir.display()), &e))
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out).map_err(|e| write_failure(&Dest::Stdout, &e))?;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&out).and_then(|()| stdout.flush()).map_err(|e| write_failure(&Dest::Stdout, &e))
        }
    }
}
