//! Helpers shared by the integration tests: where the corpus is, and a whole-input verdict.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crlkit_der::{CrlRef, Error, Profile};

/// `../shared/corpus` beside the checkout, or `CRLKIT_CORPUS`. Missing corpus fails the test:
/// CI has it, and a silently skipped conformance test is worse than a failing one.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("CRLKIT_CORPUS").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus")
    });
    assert!(dir.join("PEERS.tsv").exists(), "conformance corpus not found at {} (set CRLKIT_CORPUS)", dir.display());
    dir
}

pub fn fixtures_dir() -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every file under `dir`, recursively, sorted, as paths relative to `dir`.
pub fn walk(dir: &Path) -> Vec<String> {
    fn go(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                go(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out);
    out.sort();
    out
}

/// The DER of every CRL in a file (DER as is; PEM blocks labelled as CRLs).
pub fn crls_in(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    if crlkit_der::pem::looks_like_pem(bytes) {
        Ok(crlkit_der::pem::decode_crls(bytes)?.0.into_iter().map(|b| b.der).collect())
    } else {
        Ok(vec![bytes.to_vec()])
    }
}

/// Parse and fully validate one CRL.
pub fn check(der: &[u8], profile: Profile) -> Result<u64, Error> {
    let crl = CrlRef::from_der_with(der, profile)?;
    Ok(crl.validate()?.count)
}

/// Is this corpus file a certificate-only file (no CRL in it)?
pub fn is_certificate_file(path: &str) -> bool {
    path.ends_with(".ca.der")
}

/// What `--lenient` does: re-encode BER length forms, then parse with the lenient profile.
pub fn check_lenient(der: &[u8]) -> Result<u64, Error> {
    let normalized = crlkit_der::ber::normalize(der)?;
    check(&normalized.der, Profile::Lenient)
}
