//! End-to-end tests of `crlkit bench`: every stage is measured and reported (never how fast:
//! no test asserts a timing), on a generated CRL or a file, with and without OpenSSL.

mod common;

use common::*;

fn stages(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    j["stages"].as_array().unwrap().clone()
}

#[test]
fn every_stage_is_reported_for_a_generated_crl() {
    let out = crlkit(&["bench", "--entries", "3000", "--runs", "1", "--json", "--compare-openssl"]);
    let stages = stages(&out);
    let names: Vec<&str> = stages.iter().map(|s| s["stage"].as_str().unwrap()).collect();
    assert_eq!(names, ["parse+validate", "iterate", "der-to-pem", "pem-to-der", "verify", "check-1m"]);
    for s in &stages {
        assert!(s["seconds"].as_f64().unwrap() > 0.0 && s["entries_per_s"].as_f64().unwrap() > 0.0, "{s}");
        let has_peer = s["stage"] != "check-1m";
        assert_eq!(s["openssl_seconds"].is_number(), has_peer, "{s}");
        assert_eq!(s["ratio"].is_number(), has_peer, "{s}");
    }
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["entries"], 3000);
    assert!(j["pem_bytes"].as_u64().unwrap() > j["der_bytes"].as_u64().unwrap());
}

#[test]
fn a_file_needs_its_ca_for_the_verify_stage() {
    let crl = fixture("crl.p256.1k.der");
    let without = stages(&crlkit(&["bench", crl.to_str().unwrap(), "--runs", "1", "--json"]));
    assert!(without.iter().all(|s| s["stage"] != "verify"));
    let with = stages(&crlkit(&[
        "bench",
        crl.to_str().unwrap(),
        "--ca",
        fixture("ca.bundle.pem").to_str().unwrap(),
        "--runs",
        "1",
        "--json",
    ]));
    assert!(with.iter().any(|s| s["stage"] == "verify"));
    let text = crlkit(&["bench", fixture("crl.p256.small.pem").to_str().unwrap(), "--runs", "1"]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    assert!(stdout(&text).contains("verify skipped: give --ca BUNDLE"), "{}", stdout(&text));
    assert_eq!(crlkit(&["bench", fixture("crl.bad.truncated.der").to_str().unwrap()]).status.code(), Some(2));
    assert_eq!(crlkit(&["bench", "x.crl", "--entries", "5"]).status.code(), Some(2), "a file or --entries, not both");
}
