//! Helpers for the store tests: the local S3 server the test command started, buckets on it,
//! signed test CRLs with chosen numbers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;

use bytes::Bytes;
use crlkit_upload::CrlFacts;

/// The moto server `cargo xtask test` started; a test that needs it fails without it.
pub fn s3_endpoint() -> String {
    std::env::var("CRLKIT_S3_ENDPOINT")
        .expect("CRLKIT_S3_ENDPOINT is not set: run the tests with `cargo xtask test`, which starts moto")
}

/// One raw HTTP/1.1 request; the status code and body.
pub fn http(endpoint: &str, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let host = endpoint.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(host).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out)
}

/// A fresh bucket (moto accepts unsigned requests when authentication is off).
pub fn create_bucket(endpoint: &str, name: &str, versioned: bool) {
    let (status, out) = http(endpoint, "PUT", &format!("/{name}"), b"");
    assert!(status == 200, "creating bucket {name}: {out}");
    if versioned {
        let body = b"<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>";
        let (status, out) = http(endpoint, "PUT", &format!("/{name}?versioning"), body);
        assert!(status == 200, "versioning {name}: {out}");
    }
}

/// A bucket name unique to this test run.
pub fn bucket(label: &str) -> String {
    format!("crlkit-{label}-{}", std::process::id())
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// A signed CRL of the P-256 fixture CA with `number` and `entries`, as PEM, and its facts.
pub fn crl(number: u64, entries: u64) -> (Bytes, CrlFacts) {
    crl_of("synthetic", number, entries)
}

/// The same, from a CA named `ca` (another issuer when the name differs).
pub fn crl_of(ca: &str, number: u64, entries: u64) -> (Bytes, CrlFacts) {
    let key =
        crlkit_sign::CaKey::from_pkcs8_pem(&std::fs::read_to_string(fixture("keys/ca.p256.key.pem")).unwrap()).unwrap();
    let ca = crlkit_sign::self_signed_ca(&key, ca, 1_735_689_600, 2_051_222_400);
    let mut params = crlkit_sign::CrlParams::for_ca(&ca, 1_793_491_200 + number as i64, Some(1_794_096_000), number);
    if ca_is_unnamed_key(&params) {
        params.authority_key_id = None;
    }
    let synthetic = crlkit_sign::Synthetic { seed: number, count: entries, newest: 1_793_491_200 };
    let mut der = Vec::new();
    crlkit_sign::write_crl(&mut der, &params, &key, || synthetic.iter()).unwrap();
    let pem = crlkit_der::pem::encode(&der);
    let facts = CrlFacts::from_stored(&pem).unwrap();
    (Bytes::from(pem), facts)
}

fn ca_is_unnamed_key(params: &crlkit_sign::CrlParams) -> bool {
    // Another CA name with the same fixture key would share the AKI: drop it, so the issuer
    // Name tells them apart.
    !params.issuer.windows(9).any(|w| w == b"synthetic")
}

/// A runtime for a test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap()
}
