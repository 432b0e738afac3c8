//! Helpers shared by the end-to-end tests of the binary.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn fixtures() -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("../../fixtures")
}

pub fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

pub fn crlkit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crlkit")).args(args).output().expect("run crlkit")
}

pub fn crlkit_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crlkit"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run crlkit");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A signed synthetic CRL of `count` entries (P-256 fixture key) at `path`.
pub fn write_synthetic_crl(path: &Path, seed: u64, count: u64) {
    let key =
        crlkit_sign::CaKey::from_pkcs8_pem(&std::fs::read_to_string(fixture("keys/ca.p256.key.pem")).unwrap()).unwrap();
    let ca = crlkit_sign::self_signed_ca(&key, "synthetic", 1_735_689_600, 2_051_222_400);
    let params = crlkit_sign::CrlParams::for_ca(&ca, 1_793_491_200, Some(1_794_096_000), seed);
    let entries = crlkit_sign::Synthetic { seed, count, newest: 1_793_491_200 };
    crlkit_sign::write_crl(std::fs::File::create(path).unwrap(), &params, &key, || entries.iter()).unwrap();
}

/// A fresh empty directory for outputs, removed when the test ends; kept when it fails, to
/// look into.
pub fn tempdir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("crlkit-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// See [`tempdir`].
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The file names in `dir`, sorted.
pub fn dir_entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// The moto server `cargo xtask test` started; a test that needs it fails without it.
pub fn s3_endpoint() -> String {
    std::env::var("CRLKIT_S3_ENDPOINT")
        .expect("CRLKIT_S3_ENDPOINT is not set: run the tests with `cargo xtask test`, which starts moto")
}

/// One raw HTTP/1.1 request to a local server: status and whole response.
pub fn http(endpoint: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    use std::io::Read;
    let host = endpoint.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let status =
        String::from_utf8_lossy(&out[..out.len().min(20)]).split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out)
}

/// A fresh bucket on the local S3 server (moto accepts unsigned requests when auth is off).
pub fn create_bucket(endpoint: &str, name: &str) {
    let (status, out) = http(endpoint, "PUT", &format!("/{name}"), b"");
    assert_eq!(status, 200, "creating bucket {name}: {}", String::from_utf8_lossy(&out));
}

/// `crlkit ARGS...` with the environment of the S3 tests (endpoint, test credentials).
pub fn crlkit_s3(endpoint: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crlkit"))
        .args(args)
        .env("AWS_ENDPOINT_URL_S3", endpoint)
        .output()
        .expect("run crlkit")
}
