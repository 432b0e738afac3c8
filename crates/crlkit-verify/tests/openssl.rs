//! Signature verdicts agree with `openssl crl -verify -CAfile` (read from its "verify OK" /
//! "verify failure" text: it exits 0 either way) on every fixture, for every supported
//! algorithm, and on copies with one bit flipped in the signed bytes or in the signature.

use std::process::Command;

use crlkit_der::CrlRef;
use crlkit_verify::{CaBundle, Status, verify};

/// `fixtures/` of the checkout being tested (cargo test says where at run time).
fn fixtures_dir() -> String {
    format!("{}/../../fixtures", std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/{name}", fixtures_dir())).unwrap()
}

/// 2026-11-02: inside the fixtures' validity.
const AT: i64 = 1_793_577_600;

fn openssl_says_ok(crl_der: &[u8], name: &str) -> bool {
    let dir = std::env::temp_dir().join(format!("crlkit-verify-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, crl_der).unwrap();
    let ca = format!("{}/ca.bundle.pem", fixtures_dir());
    let out = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-verify", "-CAfile", &ca, "-in"])
        .arg(&path)
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("verify OK") || text.contains("verify failure"), "{name}: unexpected openssl output {text}");
    text.contains("verify OK")
}

fn ours(crl_der: &[u8], bundle: &CaBundle) -> bool {
    let crl = CrlRef::from_der(crl_der).expect("still parses");
    let report = verify(&crl, Some(&crl.validate().unwrap()), bundle, AT);
    report.checks.iter().find(|c| c.id.name() == "signature").unwrap().status == Status::Pass
}

#[test]
fn signature_verdicts_agree_with_openssl_for_every_algorithm_and_flip() {
    let bundle = CaBundle::from_bytes(&fixture("ca.bundle.pem")).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("crl.alg.") || n == "crl.p256.1k.der" || n == "crl.rsa2048.1k.der")
        .collect();
    names.sort();
    assert_eq!(names.len(), 12, "{names:?}");
    for name in names {
        let der = fixture(&name);
        let crl = CrlRef::from_der(&der).unwrap();
        assert!(ours(&der, &bundle), "{name}: valid signature");
        assert!(openssl_says_ok(&der, &name), "{name}: openssl agrees it is valid");
        // One bit of the first entry's serial (inside the signed bytes, structure intact).
        let first = crl.entries().next().unwrap().unwrap();
        let serial_at = first.offset() as usize + 4 + 3;
        let mut tbs_flip = der.clone();
        tbs_flip[serial_at] ^= 0x01;
        // One bit of the signature value, past any DER header of an ECDSA signature.
        let sig_at = der.len() - crl.signature().len() + 8;
        let mut sig_flip = der.clone();
        sig_flip[sig_at] ^= 0x10;
        for (what, bytes) in [("tbs bit", tbs_flip), ("signature bit", sig_flip)] {
            let label = format!("{name}.{}", what.replace(' ', "-"));
            assert!(!ours(&bytes, &bundle), "{label}: must not verify");
            assert!(!openssl_says_ok(&bytes, &label), "{label}: openssl agrees it fails");
        }
    }
}

#[test]
fn each_algorithm_is_named_in_the_report() {
    let bundle = CaBundle::from_bytes(&fixture("ca.bundle.pem")).unwrap();
    for (file, words) in [
        ("crl.alg.ecdsa-p256-sha384.der", "ecdsa-with-SHA384 with a P-256 key"),
        ("crl.alg.ecdsa-p384-sha384.der", "ecdsa-with-SHA384 with a P-384 key"),
        ("crl.alg.rsa-pss-sha512.der", "RSASSA-PSS SHA-512 with an RSA-2048 key"),
        ("crl.alg.rsa-pkcs1-sha384.der", "sha384WithRSAEncryption with an RSA-2048 key"),
        ("crl.alg.ed25519.der", "Ed25519"),
    ] {
        let der = fixture(file);
        let crl = CrlRef::from_der(&der).unwrap();
        let report = verify(&crl, Some(&crl.validate().unwrap()), &bundle, AT);
        assert!(report.is_valid(), "{file}: {:?}", report.checks);
        let sig = report.checks.iter().find(|c| c.id.name() == "signature").unwrap();
        assert!(sig.detail.contains(words), "{file}: {}", sig.detail);
    }
}

#[test]
fn freshness_and_missing_issuer() {
    let der = fixture("crl.p256.1k.der");
    let crl = CrlRef::from_der(&der).unwrap();
    let stats = crl.validate().unwrap();
    let bundle = CaBundle::from_bytes(&fixture("ca.bundle.pem")).unwrap();
    let failure = |at: i64| verify(&crl, Some(&stats), &bundle, at).first_failure().map(|c| c.id.name());
    assert_eq!(failure(AT), None);
    assert_eq!(failure(1_793_491_200 - 1), Some("this-update"), "a second before thisUpdate");
    assert_eq!(failure(1_794_096_000), Some("next-update"), "at nextUpdate");
    let report = verify(&crl, Some(&stats), &bundle, AT);
    assert_eq!(report.next_update_in, Some(1_794_096_000 - AT));
    let only_rsa = CaBundle::from_bytes(&fixture("ca.rsa2048.pem")).unwrap();
    let report = verify(&crl, Some(&stats), &only_rsa, AT);
    assert_eq!(report.first_failure().map(|c| c.id.name()), Some("issuer"));
    assert!(report.checks.iter().any(|c| c.status == Status::Skip));
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl").current_dir(dir).args(args).output().expect("openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// P-521 with SHA-512 and SHA-384 (ALB accepts P-521 CAs), on a CA and CRLs made by OpenSSL:
/// verified, and a flipped signature bit refused, as OpenSSL says.
#[test]
fn p521_crls_made_by_openssl_verify() {
    let dir = std::env::temp_dir().join(format!("crlkit-verify-p521-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    openssl(&dir, &["ecparam", "-name", "secp521r1", "-genkey", "-noout", "-out", "key.pem"]);
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "key.pem",
            "-sha512",
            "-days",
            "3650",
            "-subj",
            "/CN=crlkit P-521 test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            "ca.pem",
        ],
    );
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("crlnumber"), "01\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\ndefault_crl_days = 7\n\
         crl_extensions = x\n[x]\nauthorityKeyIdentifier = keyid:always\n",
    )
    .unwrap();
    let bundle = CaBundle::from_bytes(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    for md in ["sha512", "sha384"] {
        openssl(
            &dir,
            &[
                "ca", "-config", "ca.cnf", "-gencrl", "-keyfile", "key.pem", "-cert", "ca.pem", "-md", md, "-out",
                "crl.pem",
            ],
        );
        openssl(&dir, &["crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der"]);
        let der = std::fs::read(dir.join("crl.der")).unwrap();
        let crl = CrlRef::from_der(&der).unwrap();
        let report = verify(&crl, Some(&crl.validate().unwrap()), &bundle, now);
        let sig = report.checks.iter().find(|c| c.id.name() == "signature").unwrap();
        assert_eq!(sig.status, Status::Pass, "{md}: {sig:?}");
        let digest = md.trim_start_matches("sha");
        assert!(sig.detail.contains(&format!("ecdsa-with-SHA{digest} with a P-521 key")), "{}", sig.detail);
        let mut flipped = der.clone();
        let at = der.len() - crl.signature().len() + 8;
        flipped[at] ^= 0x10;
        let crl = CrlRef::from_der(&flipped).unwrap();
        let report = verify(&crl, None, &bundle, now);
        assert_ne!(
            report.checks.iter().find(|c| c.id.name() == "signature").unwrap().status,
            Status::Pass,
            "{md} flipped"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
