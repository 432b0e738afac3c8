//! End-to-end tests of `crlkit gen`: every throwaway key type verifies with crlkit and OpenSSL,
//! output is deterministic for a seed and thisUpdate, a given CA is checked, and a failure
//! leaves nothing behind.

mod common;

use std::process::Command;

use common::*;

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn openssl_verify(crl: &std::path::Path, ca: &std::path::Path) -> String {
    let out = Command::new("openssl")
        .args(["crl", "-noout", "-verify", "-in", s(crl), "-CAfile", s(ca)])
        .args(if std::fs::read(crl).unwrap().first() == Some(&0x30) { &["-inform", "DER"][..] } else { &[][..] })
        .output()
        .unwrap();
    // `openssl crl -verify` exits 0 either way: the text is the verdict.
    String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout)
}

#[test]
fn every_key_type_verifies_with_crlkit_and_openssl() {
    let dir = tempdir("gen-keys");
    for key in ["ec-p256", "ec-p384", "rsa-2048", "ed25519"] {
        let crl = dir.join(format!("{key}.crl"));
        let ca = dir.join(format!("{key}.pem"));
        let out = crlkit(&[
            "gen",
            "--entries",
            "300",
            "--out",
            s(&crl),
            "--ca-out",
            s(&ca),
            "--key",
            key,
            "--reasons",
            "--seed",
            "11",
            "--this-update",
            "2026-11-01",
        ]);
        assert_eq!(out.status.code(), Some(0), "{key}: {}", stderr(&out));
        assert!(stdout(&out).contains("300 entries"), "{}", stdout(&out));
        let v = crlkit(&["verify", s(&crl), "--ca", s(&ca), "--at", "2026-11-02"]);
        assert_eq!(v.status.code(), Some(0), "{key}: {}", stdout(&v));
        assert!(openssl_verify(&crl, &ca).contains("verify OK"), "{key}: {}", openssl_verify(&crl, &ca));
        let j: serde_json::Value = serde_json::from_slice(&crlkit(&["inspect", s(&crl), "--json"]).stdout).unwrap();
        assert_eq!(j["crls"][0]["entries"], 300);
        assert!(j["crls"][0]["entries_with_reason"].as_u64().unwrap() > 100, "--reasons");
        assert_eq!(j["crls"][0]["this_update"], "2026-11-01T00:00:00Z");
        assert_eq!(j["crls"][0]["next_update"], "2026-11-08T00:00:00Z", "7 days by default");
    }
}

#[test]
fn same_seed_same_bytes_and_pem_equals_convert() {
    let dir = tempdir("gen-seed");
    let run = |name: &str, seed: &str, extra: &[&str]| {
        let path = dir.join(name);
        let out = crlkit(
            &[
                &["gen", "--entries", "2000", "--out", s(&path), "--seed", seed, "--this-update", "@1790000000"][..],
                extra,
            ]
            .concat(),
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::read(path).unwrap()
    };
    let a = run("a.crl", "42", &[]);
    let b = run("b.crl", "42", &[]);
    let c = run("c.crl", "43", &[]);
    assert_eq!(a, b, "same seed and thisUpdate: same bytes");
    assert_ne!(a, c);
    let pem = run("a.pem", "42", &["--to", "pem"]);
    assert_eq!(pem, crlkit(&["convert", s(&dir.join("a.crl"))]).stdout, "PEM output = convert of the DER");
    let j: serde_json::Value =
        serde_json::from_slice(&crlkit(&["inspect", s(&dir.join("a.crl")), "--json"]).stdout).unwrap();
    assert_eq!(j["crls"][0]["entries_with_reason"], 0, "no reasons without --reasons");
    assert_eq!(j["crls"][0]["crl_number"]["decimal"], "1");
}

#[test]
fn a_given_ca_signs_and_a_wrong_one_is_refused() {
    let dir = tempdir("gen-ca");
    let crl = dir.join("fixture-ca.crl");
    let out = crlkit(&[
        "gen",
        "--entries",
        "50",
        "--out",
        s(&crl),
        "--ca-cert",
        s(&fixture("ca.p256.pem")),
        "--ca-key",
        s(&fixture("keys/ca.p256.key.pem")),
        "--next-update",
        "30d",
        "--crl-number",
        "77",
        "--this-update",
        "2026-11-01",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = crlkit(&["verify", s(&crl), "--ca", s(&fixture("ca.bundle.pem")), "--at", "2026-11-20"]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
    assert!(openssl_verify(&crl, &fixture("ca.p256.pem")).contains("verify OK"));
    // The key of another CA: refused, and no output file appears.
    let bad = dir.join("bad.crl");
    let out = crlkit(&[
        "gen",
        "--entries",
        "5",
        "--out",
        s(&bad),
        "--ca-cert",
        s(&fixture("ca.rsa2048.pem")),
        "--ca-key",
        s(&fixture("keys/ca.p256.key.pem")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("crlkit: error[ca-mismatch]: "), "{}", stderr(&out));
    assert!(!bad.exists());
    assert_eq!(dir_entries(&dir), ["fixture-ca.crl"], "no temporary file left either");
    // Usage errors.
    assert_eq!(crlkit(&["gen", "--entries", "5", "--out", s(&bad), "--next-update", "0s"]).status.code(), Some(2));
    assert_eq!(crlkit(&["gen", "--entries", "5", "--out", s(&bad), "--ca-cert", "x.pem"]).status.code(), Some(2));
    assert_eq!(crlkit(&["gen", "--entries", "5", "--out", s(&bad), "--key", "dsa"]).status.code(), Some(2));
}
