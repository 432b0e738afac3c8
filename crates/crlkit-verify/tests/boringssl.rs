//! crlkit verify on BoringSSL's crl_unittest pairs, against the expectation table
//! `boringssl_verify.tsv` (our verdict per RFC 5280, with why where BoringSSL differs).

use std::path::PathBuf;

use crlkit_der::CrlRef;
use crlkit_verify::{CaBundle, Status, verify};

/// BoringSSL's crl_unittest verification time.
const VERIFY_TIME: i64 = 1_489_017_600; // 2017-03-09T00:00:00Z

fn corpus() -> PathBuf {
    let dir = std::env::var_os("CRLKIT_CORPUS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus")
    });
    assert!(dir.join("PEERS.tsv").exists(), "conformance corpus not found at {} (set CRLKIT_CORPUS)", dir.display());
    dir
}

fn verdict(name: &str) -> String {
    let dir = corpus().join("boringssl");
    let crl_der = std::fs::read(dir.join(format!("crl_unittest_der/{name}.crl.der"))).unwrap();
    // The bundle's PEM file holds the CRL, every CA certificate and a leaf; the loader keeps the
    // certificates and the issuer lookup picks by name.
    let bundle =
        CaBundle::from_bytes(&std::fs::read(dir.join(format!("pki/testdata/crl_unittest/{name}.pem"))).unwrap())
            .expect("bundle loads");
    let crl = match CrlRef::from_der(&crl_der) {
        Ok(c) => c,
        Err(e) => return format!("error:{}", e.kind().code()),
    };
    let stats = match crl.validate() {
        Ok(s) => s,
        Err(e) => return format!("error:{}", e.kind().code()),
    };
    let report = verify(&crl, Some(&stats), &bundle, VERIFY_TIME);
    match report.first_failure() {
        None => "valid".into(),
        Some(c) => format!("invalid:{}", c.id.name()),
    }
}

#[test]
fn every_pair_gets_the_expected_verdict() {
    let table = include_str!("boringssl_verify.tsv");
    let mut failures = Vec::new();
    let mut n = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, expected) = (cols[0], cols[1]);
        let got = verdict(name);
        if got != expected {
            failures.push(format!("{name}: {got} (expected {expected})"));
        }
        n += 1;
    }
    assert_eq!(n, 66, "one row per BoringSSL pair");
    assert!(failures.is_empty(), "{} verdicts differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn key_rollover_picks_the_certificate_that_signed() {
    let dir = corpus().join("boringssl");
    let crl_der = std::fs::read(dir.join("crl_unittest_der/good_key_rollover.crl.der")).unwrap();
    let bundle =
        CaBundle::from_bytes(&std::fs::read(dir.join("pki/testdata/crl_unittest/good_key_rollover.pem")).unwrap())
            .unwrap();
    let crl = CrlRef::from_der(&crl_der).unwrap();
    let report = verify(&crl, Some(&crl.validate().unwrap()), &bundle, VERIFY_TIME);
    assert!(report.is_valid(), "{:?}", report.checks);
    let issuer = &report.checks[0];
    assert!(issuer.detail.contains("tried 2"), "{}", issuer.detail);
    // With only the new-key certificate, the signature check fails.
    let only_new =
        CaBundle::from_bytes(&std::fs::read(dir.join("crl_unittest_ca/good_key_rollover.ca.der")).unwrap()).unwrap();
    let report = verify(&crl, Some(&crl.validate().unwrap()), &only_new, VERIFY_TIME);
    assert_eq!(report.first_failure().map(|c| c.id.name()), Some("signature"));
    // 1024-bit RSA keys verify, with a warning.
    let good = std::fs::read(dir.join("crl_unittest_der/good.crl.der")).unwrap();
    let crl = CrlRef::from_der(&good).unwrap();
    let bundle = CaBundle::from_bytes(&std::fs::read(dir.join("crl_unittest_ca/good.ca.der")).unwrap()).unwrap();
    let report = verify(&crl, Some(&crl.validate().unwrap()), &bundle, VERIFY_TIME);
    let sig = report.checks.iter().find(|c| c.id.name() == "signature").unwrap();
    assert_eq!(sig.status, Status::Warn, "{}", sig.detail);
    assert!(sig.detail.contains("1024 bits"), "{}", sig.detail);
}
