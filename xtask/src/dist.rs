//! `cargo xtask dist`: the release binary (profile `release`: fat LTO, one codegen unit) with
//! its shell completions and man pages beside it, as a directory and a `.tar.gz`, in
//! `target/dist/`. Completions and man pages are printed by the binary itself from its clap
//! definitions, so they always match the binary they ship with.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::{cargo, run};

/// The host target triple, from `rustc -vV`.
fn host_triple() -> Result<String> {
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())).arg("-vV").output()?;
    let text = String::from_utf8(out.stdout)?;
    text.lines().find_map(|l| l.strip_prefix("host: ")).map(str::to_owned).context("no host line in rustc -vV")
}

fn capture(program: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(program).args(args).output().with_context(|| format!("running {}", program.display()))?;
    anyhow::ensure!(out.status.success(), "{} {args:?} failed", program.display());
    Ok(out.stdout)
}

pub fn run_dist(root: &Path) -> Result<PathBuf> {
    run(cargo().current_dir(root).args(["build", "--release", "--locked", "-p", "crlkit"]))?;
    let target = crate::target_dir(root);
    let bin = target.join("release/crlkit");
    let version = String::from_utf8(capture(&bin, &["--version"])?)?.trim().trim_start_matches("crlkit ").to_owned();
    let name = format!("crlkit-{version}-{}", host_triple()?);
    let dist = target.join("dist");
    let dir = dist.join(&name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("completions"))?;
    std::fs::copy(&bin, dir.join("crlkit"))?;
    for (shell, file) in
        [("bash", "crlkit.bash"), ("zsh", "_crlkit"), ("fish", "crlkit.fish"), ("powershell", "_crlkit.ps1")]
    {
        std::fs::write(dir.join("completions").join(file), capture(&bin, &["completions", shell])?)?;
    }
    capture(&bin, &["man", "--dir", dir.join("man/man1").to_str().context("non-UTF-8 path")?])?;
    for doc in ["README.md", "docs/ERRORS.md", "docs/JSON.md"] {
        let from = root.join(doc);
        std::fs::copy(&from, dir.join(from.file_name().expect("a file name")))?;
    }
    let archive = dist.join(format!("{name}.tar.gz"));
    run(Command::new("tar").arg("-czf").arg(&archive).arg("-C").arg(&dist).arg(&name))?;
    let size = std::fs::metadata(dir.join("crlkit"))?.len();
    println!("dist: {} (binary {:.1} MB) and {}", dir.display(), size as f64 / 1e6, archive.display());
    Ok(dir)
}
