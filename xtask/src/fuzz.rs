//! Fuzzing with cargo-fuzz (libFuzzer) on the stable toolchain: `-s none` builds without a
//! sanitizer, which stable rustc supports; coverage instrumentation is all libFuzzer needs.
//! Seeds: the committed fixtures and the shared conformance corpus.

use anyhow::{Context, Result, bail};
use std::path::Path;

use crate::{cargo, corpus_dir};

/// Every target in `fuzz/fuzz_targets`.
pub const TARGETS: &[&str] = &["crl_der", "crl_stream", "pem_decode", "ber_normalize", "cert_der", "serial_text"];

/// Seconds per target in the smoke run of `cargo xtask test`.
const SMOKE_SECONDS: u64 = 15;

fn ensure_cargo_fuzz() -> Result<()> {
    let ok = cargo().args(["fuzz", "--version"]).output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        eprintln!("cargo-fuzz is not installed; installing it (once per machine)");
        crate::run(cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}

fn seeds(root: &Path, target: &str) -> Vec<std::path::PathBuf> {
    let corpus = corpus_dir(root);
    let mut dirs = vec![root.join("fixtures")];
    if target == "pem_decode" || target == "crl_stream" {
        dirs.push(corpus.join("boringssl/pki/testdata/crl_unittest"));
        dirs.push(corpus.join("openssl/test/certs"));
    }
    if target == "serial_text" {
        // Text seeds: the generated ALB connection log, PEM bundles.
        return dirs;
    }
    if target == "cert_der" {
        dirs.push(corpus.join("boringssl/crl_unittest_ca"));
        return dirs.into_iter().filter(|d| d.is_dir()).collect();
    }
    if target != "pem_decode" {
        dirs.push(corpus.join("boringssl/crl_unittest_der"));
        dirs.push(corpus.join("rustls-webpki/tests/crls"));
        dirs.push(corpus.join("rustls-webpki/tests/client_auth_revocation"));
    }
    dirs.retain(|d| d.is_dir());
    dirs
}

/// Run `target` (or all) for `seconds` each.
pub fn run_targets(root: &Path, targets: &[&str], seconds: u64) -> Result<()> {
    ensure_cargo_fuzz()?;
    let fuzz_dir = root.join("fuzz");
    for &t in targets {
        let work = fuzz_dir.join("corpus").join(t);
        std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
        let mut cmd = cargo();
        cmd.current_dir(&fuzz_dir)
            .args(["fuzz", "run", "--sanitizer", "none", "--release", t])
            .arg(&work)
            .args(seeds(root, t))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-max_len=65536")
            .arg("-print_final_stats=1");
        crate::run(&mut cmd)?;
    }
    Ok(())
}

/// The short run `cargo xtask test` does.
pub fn smoke(root: &Path) -> Result<()> {
    run_targets(root, TARGETS, SMOKE_SECONDS)
}

pub fn run(root: &Path, target: Option<&str>, seconds: u64) -> Result<()> {
    match target {
        Some(t) if !TARGETS.contains(&t) => bail!("unknown fuzz target {t}; targets: {}", TARGETS.join(", ")),
        Some(t) => run_targets(root, &[t], seconds),
        None => run_targets(root, TARGETS, seconds),
    }
}
