//! `cargo xtask`: the project's automation, in Rust rather than shell scripts.
//!
//! | command | does |
//! |---|---|
//! | `cargo xtask demo` | the main job on local files: build crlkit, convert and inspect a fixture CRL |
//! | `cargo xtask test` | everything CI checks: fmt, clippy, all tests (corpus, fixtures, tidy), fuzz smoke run |
//! | `cargo xtask gen-fixtures [--check] [--large]` | write (or verify) `fixtures/`; `--large` adds the 1M/5M CRLs |
//! | `cargo xtask dist` | release binary (LTO) with completions and man pages, directory and `.tar.gz` in `target/dist/` |
//! | `cargo xtask fuzz [TARGET] [--seconds N]` | run the cargo-fuzz targets (installs cargo-fuzz if missing) |
//! | `cargo xtask bench [--runs N] [--quick] [--only crl\\|serials]` | peer comparisons on the 1M and 5M CRLs: time, ratios, peak RSS; check, diff and scan-logs |

mod bench;
mod bench_serials;
mod dist;
mod fixtures;
mod fuzz;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    match args.first().map(String::as_str) {
        Some("gen-fixtures") => {
            fixtures::generate(&root, flag("--check"))?;
            if flag("--large") {
                for &(n, label) in fixtures::LARGE_SIZES {
                    fixtures::large(&root, n, label)?;
                }
            }
            Ok(())
        }
        Some("test") => test(&root, flag("--no-fuzz")),
        Some("dist") => dist::run_dist(&root).map(|_| ()),
        Some("demo") => demo(&root),
        Some("fuzz") => {
            let seconds = value("--seconds").map(|s| s.parse()).transpose()?.unwrap_or(60);
            let target = args.get(1).filter(|a| !a.starts_with("--")).cloned();
            fuzz::run(&root, target.as_deref(), seconds)
        }
        Some("bench") => {
            let runs = value("--runs").map(|s| s.parse()).transpose()?.unwrap_or(5);
            let only = match value("--only").as_deref() {
                None => bench::Only::All,
                Some("crl") => bench::Only::Crl,
                Some("serials") => bench::Only::Serials,
                Some(other) => anyhow::bail!("--only takes crl or serials, not {other}"),
            };
            bench::run(&root, runs, flag("--quick"), only)
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n\
                 commands:\n  \
                 test [--no-fuzz]                  fmt, clippy, every test, fuzz smoke run (what CI runs)\n  \
                 gen-fixtures [--check] [--large]  write or verify fixtures/ (--large: 1M and 5M CRLs)\n  \
                 fuzz [TARGET] [--seconds N]       run cargo-fuzz targets\n  \
                 dist                              release binary, completions and man pages in target/dist\n  \
                 bench [--runs N] [--quick] [--only crl|serials]\n                                    peer comparisons and in-process throughput"
            );
            bail!("unknown or missing command")
        }
    }
}

/// The workspace root (parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// Run a command, echoing it, and fail if it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", display(cmd));
    let status = cmd.status().with_context(|| format!("starting {}", display(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(cmd));
    }
    Ok(())
}

fn display(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// The cargo that runs us.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// The corpus beside the checkout (`../shared/corpus`), or `CRLKIT_CORPUS`.
pub fn corpus_dir(root: &Path) -> PathBuf {
    std::env::var_os("CRLKIT_CORPUS").map(PathBuf::from).unwrap_or_else(|| root.join("../shared/corpus"))
}

/// The main job on the embedded default (local files): build the release binary, convert a
/// committed DER fixture to PEM in `target/demo/`, inspect the result, and list a few entries.
fn demo(root: &Path) -> Result<()> {
    run(cargo().current_dir(root).args(["build", "--release", "-p", "crlkit"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let crlkit = target.join("release/crlkit");
    let out_dir = target.join("demo");
    std::fs::create_dir_all(&out_dir)?;
    let input = root.join("fixtures/crl.p256.1k.der");
    let pem = out_dir.join("crl.p256.1k.pem");
    run(Command::new(&crlkit).arg("convert").arg(&input).arg("-o").arg(&pem))?;
    run(Command::new(&crlkit).arg("inspect").arg(&pem))?;
    run(Command::new(&crlkit).arg("list").arg(root.join("fixtures/crl.p256.edge-serials.der")))?;
    eprintln!("demo: {} written ({} bytes)", pem.display(), std::fs::metadata(&pem)?.len());
    Ok(())
}

/// What CI runs: `.ci/run` calls exactly this.
fn test(root: &Path, no_fuzz: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let corpus = corpus_dir(root);
    if !corpus.join("PEERS.tsv").exists() {
        bail!("conformance corpus not found at {} (set CRLKIT_CORPUS)", corpus.display());
    }
    run(cargo().current_dir(root).args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().current_dir(root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    run(cargo().current_dir(root).args(["test", "--workspace", "--locked"]).env("CRLKIT_CORPUS", &corpus))?;
    if !no_fuzz {
        fuzz::smoke(root)?;
    }
    eprintln!("xtask test: all checks passed in {:.0?}", started.elapsed());
    Ok(())
}
