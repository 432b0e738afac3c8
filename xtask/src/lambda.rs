//! `cargo xtask lambda`: the function's deployment packages, `bootstrap.zip` for Lambda's two
//! architectures (`provided.al2023`, x86_64 and arm64), built with cargo-lambda (from PyPI, in
//! the test virtual environment; it cross-compiles through zig, from PyPI too), and their sizes.
//!
//! The packages are built with the `lambda` profile (Cargo.toml): the release profile's
//! optimisation for size rather than speed, without fat LTO's build time: a function that waits
//! on the network gains nothing from speed, and a smaller package starts sooner.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

/// Lambda's architectures, as the template names them, and their Rust targets.
pub const ARCHITECTURES: [(&str, &str); 2] =
    [("x86_64", "x86_64-unknown-linux-gnu"), ("arm64", "aarch64-unknown-linux-gnu")];

/// Build both packages; each one's path and size in bytes.
pub fn build(root: &Path) -> Result<Vec<(&'static str, PathBuf, u64)>> {
    let mut out = Vec::new();
    for (arch, _) in ARCHITECTURES {
        build_one(root, arch)?;
        let zip = package(root, arch);
        let size = std::fs::metadata(&zip).with_context(|| format!("{} was not written", zip.display()))?.len();
        out.push((arch, zip, size));
    }
    Ok(out)
}

/// Where the `arch` package goes.
pub fn package(root: &Path, arch: &str) -> PathBuf {
    crate::target_dir(root).join("lambda").join(arch).join("crlkit-lambda/bootstrap.zip")
}

/// Build the `arch` package (`x86_64`, `arm64`); the binary in it (`bootstrap`).
pub fn build_one(root: &Path, arch: &str) -> Result<PathBuf> {
    let venv = crate::servers::ensure_venv(root)?;
    let Some(&(_, triple)) = ARCHITECTURES.iter().find(|(a, _)| *a == arch) else {
        anyhow::bail!("no Lambda architecture {arch}");
    };
    let flag = if arch == "arm64" { "--arm64" } else { "--x86-64" };
    let dir = crate::target_dir(root).join("lambda").join(arch);
    let mut c = cargo_lambda(&venv);
    c.current_dir(root)
        .args(["lambda", "build", "--locked", "--profile", "lambda", "-p", "crlkit-lambda", flag])
        .args(["--output-format", "zip", "--lambda-dir"])
        .arg(&dir);
    crate::run(&mut c).with_context(|| format!("building the {arch} package"))?;
    Ok(crate::target_dir(root).join(triple).join("lambda/crlkit-lambda"))
}

/// cargo-lambda from the virtual environment, finding zig there (`python -m ziglang`).
pub fn cargo_lambda(venv: &Path) -> Command {
    let mut c = Command::new(venv.join("bin/cargo-lambda"));
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![venv.join("bin")];
    dirs.extend(std::env::split_paths(&path));
    c.env("PATH", std::env::join_paths(dirs).expect("PATH entries without separators"))
        .env("CARGO_ZIGBUILD_PYTHON_PATH", venv.join("bin/python"));
    c
}

/// `cargo xtask lambda`: build, then say where the packages are and how large.
pub fn run(root: &Path) -> Result<()> {
    for (arch, zip, size) in build(root)? {
        eprintln!("{arch:>7}: {} ({size} bytes, {:.1} MiB)", zip.display(), size as f64 / f64::from(1 << 20));
    }
    Ok(())
}
