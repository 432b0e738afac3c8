//! The local servers the tests talk to, installed and started by `cargo xtask test` and stopped
//! when it ends: moto in server mode (S3, from PyPI, in a virtual environment under the target
//! directory), on 127.0.0.1 and a free port.
//!
//! Tests find them through the environment: `CRLKIT_S3_ENDPOINT` (the running server),
//! `CRLKIT_TEST_PYTHON` (the virtual environment's python, with boto3), `CRLKIT_MOTO_SERVER`
//! (to start servers of their own, say with authentication on), `CRLKIT_CARGO_LAMBDA`
//! (cargo-lambda, whose runtime emulator the Lambda function's test runs it under). A test that needs a server and
//! finds none fails; nothing is skipped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The pinned moto (its server mode brings flask, boto3 and cfn-lint).
pub const MOTO: &str = "moto[server]==5.2.5";

/// cargo-lambda: its wheel ships the binary (the Lambda runtime emulator the tests run the
/// function under, and the packager of `cargo xtask lambda`) and brings zig (`ziglang`).
pub const CARGO_LAMBDA: &str = "cargo-lambda==1.9.2";

/// What the virtual environment holds, as pip is asked for it.
const PACKAGES: [&str; 2] = [MOTO, CARGO_LAMBDA];

/// The virtual environment, under the target directory (so a clean checkout reuses it).
pub fn venv_dir(root: &Path) -> PathBuf {
    crate::target_dir(root).join("test-venv")
}

/// Create the virtual environment and install moto, unless it is there at the pinned version.
pub fn ensure_venv(root: &Path) -> Result<PathBuf> {
    let venv = venv_dir(root);
    let marker = venv.join(".crlkit-installed");
    let wanted = PACKAGES.join(" ");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == wanted) && venv.join("bin/moto_server").exists() {
        return Ok(venv);
    }
    eprintln!("installing {wanted} into {} (once)", venv.display());
    let _ = std::fs::remove_dir_all(&venv);
    crate::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    crate::run(
        Command::new(venv.join("bin/pip")).args(["install", "--quiet", "--disable-pip-version-check"]).args(PACKAGES),
    )?;
    std::fs::write(&marker, wanted)?;
    Ok(venv)
}

/// A running moto server; stopped when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Moto {
    /// Start `moto_server` from `venv` and wait until it answers.
    pub fn start(root: &Path, venv: &Path) -> Result<Self> {
        let port = free_port()?;
        let log = crate::target_dir(root).join(format!("moto-{port}.log"));
        let out = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // Its request recorder (a test turns it on to read the signatures sent), kept out of
            // the checkout.
            .env("MOTO_RECORDER_FILEPATH", crate::target_dir(root).join(format!("moto-{port}.recording")))
            .stdout(out.try_clone()?)
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .context("starting moto_server")?;
        let mut moto = Self { child, endpoint: format!("http://127.0.0.1:{port}") };
        let started = Instant::now();
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                eprintln!("moto listening on {} (log: {})", moto.endpoint, log.display());
                return Ok(moto);
            }
            if let Some(status) = moto.child.try_wait()? {
                bail!("moto_server exited ({status}); see {}", log.display());
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("moto_server did not listen within 60 s; see {}", log.display());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The environment the tests need to find the servers and to stay away from any real AWS
    /// configuration of the machine.
    pub fn test_env(&self, venv: &Path) -> Vec<(String, String)> {
        let none = "/nonexistent/crlkit-test";
        [
            ("CRLKIT_S3_ENDPOINT", self.endpoint.clone()),
            ("CRLKIT_TEST_PYTHON", venv.join("bin/python").display().to_string()),
            ("CRLKIT_MOTO_SERVER", venv.join("bin/moto_server").display().to_string()),
            // The Lambda runtime emulator (`cargo-lambda lambda watch`) the function runs under.
            ("CRLKIT_CARGO_LAMBDA", venv.join("bin/cargo-lambda").display().to_string()),
            ("AWS_ACCESS_KEY_ID", "crlkit-test".into()),
            ("AWS_SECRET_ACCESS_KEY", "crlkit-test-secret".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_CONFIG_FILE", format!("{none}/config")),
            ("AWS_SHARED_CREDENTIALS_FILE", format!("{none}/credentials")),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

/// The ELB trust-store emulator (`crates/crlkit-elb-emulator`), as a process reading CRLs from
/// the moto server.
pub struct Emulator {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
}

impl Emulator {
    /// Build and start it against `s3_endpoint`; wait until it says where it listens.
    pub fn start(root: &Path, s3_endpoint: &str, env: &[(String, String)]) -> Result<Self> {
        crate::run(crate::cargo().current_dir(root).args(["build", "--locked", "-p", "crlkit-elb-emulator"]))?;
        let port = free_port()?;
        let bin = crate::target_dir(root).join("debug/crlkit-elb-emulator");
        let mut child = Command::new(&bin)
            .args(["--s3-endpoint", s3_endpoint, "--listen", &format!("127.0.0.1:{port}")])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut line = String::new();
        let stdout = child.stdout.take().context("the emulator's stdout")?;
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
        let Some(endpoint) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            bail!("the trust-store emulator did not start: {line:?}");
        };
        eprintln!("trust-store emulator listening on {endpoint}");
        Ok(Self { endpoint: endpoint.to_owned(), child })
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
