//! OpenSSL 3 as the oracle for output: on every committed fixture CRL and every corpus CRL we
//! accept, our PEM is byte-identical to `openssl crl -inform DER -outform PEM`, and our entry
//! count, serials and revocation dates equal what `openssl crl -text` prints.
//!
//! (`openssl crl` accepts BER and trailing data and exits 0 on failed verification: it is a
//! reference for output only, never for validity.)

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use crlkit_der::{CrlRef, Profile};

fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl is installed");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// `Nov  1 00:00:00 2026 GMT` → `2026-11-01T00:00:00Z`.
fn openssl_date_to_rfc3339(s: &str) -> String {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .iter()
        .position(|m| *m == parts[0])
        .expect("month")
        + 1;
    let day: u32 = parts[1].parse().unwrap();
    format!("{}-{month:02}-{day:02}T{}Z", parts[3], parts[2])
}

/// (serial, revocation date) of every entry, as `openssl crl -text` prints them.
fn openssl_entries(der: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8(openssl(&["crl", "-inform", "DER", "-noout", "-text"], der)).unwrap();
    let mut out = Vec::new();
    let mut serial = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(s) = line.strip_prefix("Serial Number: ") {
            serial = Some(s.to_owned());
        } else if let Some(d) = line.strip_prefix("Revocation Date: ") {
            out.push((serial.take().expect("serial before date"), openssl_date_to_rfc3339(d)));
        }
    }
    out
}

fn ours(der: &[u8]) -> Vec<(String, String)> {
    let crl = CrlRef::from_der(der).unwrap();
    crl.entries()
        .map(|e| {
            let e = e.unwrap();
            (e.serial().to_hex(), e.revocation_date().to_string())
        })
        .collect()
}

/// Every valid DER CRL we have: committed fixtures and accepted corpus CRLs (PEM blocks too).
fn valid_crls() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let fixtures = common::fixtures_dir();
    for name in common::walk(&fixtures) {
        if (name.starts_with("crl.p256") || name.starts_with("crl.rsa2048") || name.starts_with("crl.alg."))
            && name.ends_with(".der")
        {
            out.push((format!("fixtures/{name}"), std::fs::read(fixtures.join(&name)).unwrap()));
        }
    }
    let corpus = common::corpus_dir();
    for path in common::walk(&corpus) {
        if path.ends_with(".tsv") || path.ends_with(".md") || common::is_certificate_file(&path) {
            continue;
        }
        let bytes = std::fs::read(corpus.join(&path)).unwrap();
        let Ok(crls) = common::crls_in(&bytes) else { continue };
        for (i, der) in crls.into_iter().enumerate() {
            if common::check(&der, Profile::Strict).is_ok() {
                out.push((format!("{path}#{i}"), der));
            }
        }
    }
    assert!(out.len() > 100, "expected over 100 valid CRLs, found {}", out.len());
    out
}

#[test]
fn pem_is_byte_identical_to_openssl() {
    for (name, der) in valid_crls() {
        let expected = openssl(&["crl", "-inform", "DER", "-outform", "PEM"], &der);
        assert_eq!(crlkit_der::pem::encode(&der), expected, "{name}");
    }
}

#[test]
fn entries_match_openssl_text() {
    for (name, der) in valid_crls() {
        assert_eq!(ours(&der), openssl_entries(&der), "{name}");
    }
}
