//! `cargo xtask`: the project's automation, in Rust rather than shell scripts.
//!
//! | command | does |
//! |---|---|
//! | `cargo xtask demo` | the main job on local files: build crlkit, convert and inspect a fixture CRL |
//! | `cargo xtask test` | everything CI checks: fmt, clippy, all tests (corpus, fixtures, tidy), fuzz smoke run |
//! | `cargo xtask gen-fixtures [--check] [--large]` | write (or verify) `fixtures/`; `--large` adds the 1M/5M CRLs |
//! | `cargo xtask dist` | release binary (LTO) with completions and man pages, directory and `.tar.gz` in `target/dist/` |
//! | `cargo xtask fuzz [TARGET] [--seconds N]` | run the cargo-fuzz targets (installs cargo-fuzz if missing) |
//! | `cargo xtask bench [--runs N] [--quick] [--only crl\\|serials\\|storage\\|bulk] [--before BIN]` | peer comparisons on the 1M and 5M CRLs: time, ratios, peak RSS; check, diff and scan-logs |

mod bench;
mod bench_bulk;
mod bench_lambda;
mod bench_serials;
mod bench_storage;
mod bench_sync;
mod dist;
mod fixtures;
mod fuzz;
mod lambda;
mod prune;
mod servers;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [--no-fuzz]                  fmt, clippy, every test, docs, fuzz smoke run (what CI runs)
  demo                              the main job on local files: convert and inspect a fixture
  gen-fixtures [--check] [--large]  write or verify fixtures/ (--large: 1M and 5M CRLs)
  fuzz [TARGET] [--seconds N]       run cargo-fuzz targets
  dist                              release binary, completions and man pages in target/dist
  lambda                            the Lambda function's bootstrap.zip, x86_64 and arm64, and sizes
  bench [--runs N] [--quick] [--only crl|serials|storage|sync|bulk|lambda] [--before BIN]
                                    peer comparisons and in-process throughput";

/// The arguments of one xtask command: each flag must be one the command knows, so a typo
/// (`gen-fixtures --chek`) is an error rather than a silently different run.
struct Flags {
    command: String,
    rest: Vec<String>,
}

impl Flags {
    fn flag(&mut self, name: &str) -> bool {
        let before = self.rest.len();
        self.rest.retain(|a| a != name);
        self.rest.len() != before
    }

    fn value(&mut self, name: &str) -> Result<Option<String>> {
        let Some(i) = self.rest.iter().position(|a| a == name) else { return Ok(None) };
        if i + 1 >= self.rest.len() {
            bail!("{} {name} needs a value", self.command);
        }
        let v = self.rest.remove(i + 1);
        self.rest.remove(i);
        Ok(Some(v))
    }

    fn positional(&mut self) -> Option<String> {
        let i = self.rest.iter().position(|a| !a.starts_with('-'))?;
        Some(self.rest.remove(i))
    }

    /// Everything given was understood.
    fn done(self) -> Result<()> {
        if let Some(extra) = self.rest.first() {
            bail!("cargo xtask {}: unknown argument {extra:?}\n\n{USAGE}", self.command);
        }
        Ok(())
    }
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let mut f = Flags { command: command.clone(), rest: args.collect() };
    let root = workspace_root();
    match command.as_str() {
        "gen-fixtures" => {
            let (check, large) = (f.flag("--check"), f.flag("--large"));
            f.done()?;
            fixtures::generate(&root, check)?;
            if large {
                for &(n, label) in fixtures::LARGE_SIZES {
                    fixtures::large(&root, n, label)?;
                }
            }
            Ok(())
        }
        "test" => {
            let no_fuzz = f.flag("--no-fuzz");
            f.done()?;
            test(&root, no_fuzz)
        }
        "dist" => {
            f.done()?;
            dist::run_dist(&root).map(|_| ())
        }
        "demo" => {
            f.done()?;
            demo(&root)
        }
        "lambda" => {
            f.done()?;
            lambda::run(&root)
        }
        "fuzz" => {
            let seconds = f.value("--seconds")?.map(|s| s.parse()).transpose()?.unwrap_or(60);
            let target = f.positional();
            f.done()?;
            fuzz::run(&root, target.as_deref(), seconds)
        }
        "bench" => {
            let runs = f.value("--runs")?.map(|s| s.parse()).transpose()?.unwrap_or(5);
            let only = match f.value("--only")?.as_deref() {
                None => bench::Only::All,
                Some("crl") => bench::Only::Crl,
                Some("serials") => bench::Only::Serials,
                Some("storage") => bench::Only::Storage,
                Some("sync") => bench::Only::Sync,
                Some("bulk") => bench::Only::Bulk,
                Some("lambda") => bench::Only::Lambda,
                Some(other) => bail!("--only takes crl, serials, storage, sync, bulk or lambda, not {other}"),
            };
            let quick = f.flag("--quick");
            let before = f.value("--before")?.map(PathBuf::from);
            f.done()?;
            bench::run(&root, runs, quick, only, before.as_deref())
        }
        "" => bail!("a command is needed\n\n{USAGE}"),
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

/// Where cargo builds: `CARGO_TARGET_DIR`, or `target/` in the workspace.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"))
}

/// The workspace root (parent of `xtask/`). `cargo run` says where xtask's manifest is at run
/// time; that comes first, because cargo reuses a build from another checkout that shares the
/// target directory (CI's clean clone and a work tree do), and the path baked in at build time
/// is then that other checkout's.
pub fn workspace_root() -> PathBuf {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.parent().expect("xtask lives in the workspace").to_path_buf()
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

/// The main job on the embedded default (local files, no cloud): build the offline binary (no
/// HTTP, TLS or AWS code; the `first-run` profile, no fat LTO), then the
/// whole offline flow in `target/demo/`: make a signed CRL and its CA, verify, preflight,
/// convert, stage a bundle, upload the bundle into a `file://` store, and show what is stored.
fn demo(root: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    let target = target_dir(root);
    // The first-run profile (Cargo.toml): optimised without fat LTO, so a cold build is quick;
    // a profile of its own, so neither this nor the release binary rebuilds the other.
    run(cargo().current_dir(root).args([
        "build",
        "--profile",
        "first-run",
        "--locked",
        "-p",
        "crlkit",
        "--no-default-features",
    ]))?;
    eprintln!("demo: offline binary built in {:.0?}", started.elapsed());
    let crlkit = target.join("first-run/crlkit");
    let dir = target.join("demo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let path = |name: &str| dir.join(name).display().to_string();
    let step = |args: &[&str]| run(Command::new(&crlkit).args(args));
    let (crl, ca, pem, staged) = (path("pca.crl"), path("ca.pem"), path("pca.pem"), path("staged"));
    let store = format!("file://{}/", path("store"));
    step(&["gen", "--entries", "10000", "--reasons", "--out", &crl, "--ca-out", &ca])?;
    step(&["verify", &crl, "--ca", &ca])?;
    step(&["preflight", &crl, "--ca", &ca])?;
    step(&["convert", &crl, "-o", &pem])?;
    step(&["inspect", &pem])?;
    step(&["stage", &crl, "--out", &staged, "--ca", &ca])?;
    step(&["upload", &staged, &store])?;
    step(&["pull", &format!("{store}crl/"), "--long"])?;
    eprintln!("demo: {pem} written; the staged bundle is in {staged}, the store in {store}");
    Ok(())
}

/// What the tests need on the machine besides Rust, and how to install what is missing.
fn check_prerequisites() -> Result<()> {
    let output = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let mut missing = Vec::new();
    match output("openssl", &["version"]) {
        Some(v) if v.starts_with("OpenSSL 3") => {}
        Some(v) => missing.push(format!("OpenSSL 3 (found {}): apt-get install openssl", v.trim())),
        None => missing.push("OpenSSL 3 (the test oracle): apt-get install openssl".to_owned()),
    }
    if output("python3", &["-c", "import cryptography"]).is_none() {
        missing.push("python3 with pyca cryptography (an oracle of `sign`): pip install cryptography".to_owned());
    }
    if output("script", &["--version"]).is_none() {
        missing.push("script(1), for the terminal tests: apt-get install bsdutils".to_owned());
    }
    for (compiler, what) in [("cc", "a C compiler"), ("c++", "a C++ compiler")] {
        if output(compiler, &["--version"]).is_none() {
            missing
                .push(format!("{what} ({compiler}; cargo-fuzz and some -sys crates): apt-get install build-essential"));
        }
    }
    if !missing.is_empty() {
        bail!("cargo xtask test needs, before it builds anything:\n  - {}", missing.join("\n  - "));
    }
    Ok(())
}

/// Clippy on every target of what `which` selects, warnings denied.
fn clippy(root: &Path, which: &[&str]) -> Result<()> {
    run(cargo().current_dir(root).arg("clippy").args(which).args(["--all-targets", "--locked", "--", "-D", "warnings"]))
}

/// What CI runs: `.ci/run` calls exactly this.
fn test(root: &Path, no_fuzz: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let corpus = corpus_dir(root);
    if !corpus.join("PEERS.tsv").exists() {
        bail!("conformance corpus not found at {} (set CRLKIT_CORPUS)", corpus.display());
    }
    check_prerequisites()?;
    let freed = prune::prune(&target_dir(root), std::time::SystemTime::now());
    if freed > 0 {
        eprintln!("xtask test: removed {} MB of stale build outputs (xtask/src/prune.rs)", freed >> 20);
    }
    run(cargo().current_dir(root).args(["fmt", "--all", "--", "--check"]))?;
    clippy(root, &["--workspace"])?;
    // The core without rayon, as a no-thread embedder would build it.
    run(cargo().current_dir(root).args(["build", "--locked", "-p", "crlkit-der", "--no-default-features"]))?;
    // gs:// and az:// stay behind features; they must keep building.
    run(cargo().current_dir(root).args(["build", "--locked", "-p", "crlkit-upload", "--features", "gcp,azure"]))?;
    // The local servers the network tests talk to, stopped when this function returns.
    let venv = servers::ensure_venv(root)?;
    // The Lambda deployment (SAM), as CloudFormation's linter reads it (cfn-lint comes with moto).
    run(Command::new(venv.join("bin/cfn-lint")).arg(root.join("deploy/template.yaml")))?;
    let moto = servers::Moto::start(root, &venv)?;
    let env = moto.test_env(&venv);
    let emulator = servers::Emulator::start(root, &moto.endpoint, &env)?;
    let mut tests = cargo();
    tests.current_dir(root).args(["test", "--workspace", "--locked"]).env("CRLKIT_CORPUS", &corpus);
    tests.envs(env).env("CRLKIT_ELB_ENDPOINT", &emulator.endpoint);
    run(&mut tests)?;
    drop(emulator);
    drop(moto);
    // The offline build (no HTTP, TLS or AWS code): its own lints and tests, the online test
    // files compiled out and its own (tests/offline.rs) in.
    clippy(root, &["-p", "crlkit", "--no-default-features"])?;
    run(cargo()
        .current_dir(root)
        .args(["test", "-p", "crlkit", "--no-default-features", "--locked"])
        .env("CRLKIT_CORPUS", &corpus))?;
    run(cargo()
        .current_dir(root)
        .args(["doc", "--workspace", "--no-deps", "--locked"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    if !no_fuzz {
        fuzz::smoke(root)?;
    }
    eprintln!("xtask test: all checks passed in {:.0?}", started.elapsed());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Flags;

    fn flags(args: &[&str]) -> Flags {
        Flags { command: "x".into(), rest: args.iter().map(|a| a.to_string()).collect() }
    }

    #[test]
    fn unknown_flags_are_refused() {
        let mut f = flags(&["--chek"]);
        assert!(!f.flag("--check"));
        assert!(f.done().unwrap_err().to_string().contains("unknown argument \"--chek\""));
        let mut f = flags(&["--runs", "3", "--quick"]);
        assert_eq!(f.value("--runs").unwrap().as_deref(), Some("3"));
        assert!(f.flag("--quick"));
        assert!(f.done().is_ok());
        assert!(flags(&["--runs"]).value("--runs").is_err(), "a value is needed");
    }
}
