//! End-to-end tests of `crlkit sign`: OpenSSL and pyca `cryptography` accept what it signs for
//! every key type; ten `--previous` runs keep every entry and count up; every refusal leaves
//! no file; encrypted keys take their passphrase from a variable or a file descriptor.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sign(args: &[&str]) -> std::process::Output {
    crlkit(&[&["sign", "--this-update", "2026-11-02T00:00:00Z"][..], args].concat())
}

fn openssl_verifies(crl: &Path, ca: &Path) -> bool {
    let out = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-verify", "-in", s(crl), "-CAfile", s(ca)])
        .output()
        .unwrap();
    // `openssl crl -verify` exits 0 even on failure: the text is the verdict.
    String::from_utf8_lossy(&out.stderr).contains("verify OK")
}

/// pyca `cryptography`: the CRL loads, its signature verifies with the CA's public key, and it
/// lists `count` entries.
fn python_verifies(crl: &Path, ca: &Path, count: usize) -> bool {
    let script = format!(
        "from cryptography import x509\n\
         crl = x509.load_der_x509_crl(open({crl:?}, 'rb').read())\n\
         ca = x509.load_pem_x509_certificate(open({ca:?}, 'rb').read())\n\
         assert crl.is_signature_valid(ca.public_key()), 'signature'\n\
         assert len(list(crl)) == {count}, len(list(crl))\n\
         print('ok')",
        crl = s(crl),
        ca = s(ca)
    );
    let out = Command::new("python3").args(["-c", &script]).output().expect("python3");
    out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok"
}

const LIST: &str = "serial,revocation_time,reason,invalidity_time\n\
                    0e:53:2a,2026-11-01T10:00:00Z,keyCompromise,2026-10-31T00:00:00Z\n\
                    0x1234,2026-10-01,KEY_COMPROMISE\n\
                    # a comment\n\
                    FEF257372D5C14D4,@1790000000,4\n\
                    01,2026-10-02,unspecified\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn openssl_and_cryptography_accept_every_key_type() {
    let dir = tempdir("sign-keys");
    let list = write(&dir, "r.csv", LIST);
    for (ca, key) in [
        ("ca.p256.pem", "ca.p256.key.pem"),
        ("ca.p384.pem", "ca.p384.key.pem"),
        ("ca.rsa2048.pem", "ca.rsa2048.key.pem"),
        ("ca.ed25519.pem", "ca.ed25519.key.pem"),
    ] {
        let out_crl = dir.join(format!("{ca}.crl"));
        let out = sign(&[
            "--ca-cert",
            s(&fixture(ca)),
            "--ca-key",
            s(&fixture(&format!("keys/{key}"))),
            "--revoked",
            s(&list),
            "--out",
            s(&out_crl),
        ]);
        assert_eq!(out.status.code(), Some(0), "{ca}: {}", stderr(&out));
        assert!(openssl_verifies(&out_crl, &fixture(ca)), "{ca}: openssl");
        assert!(python_verifies(&out_crl, &fixture(ca), 4), "{ca}: cryptography");
        let v = crlkit(&["verify", s(&out_crl), "--ca", s(&fixture(ca)), "--at", "2026-11-03"]);
        assert_eq!(v.status.code(), Some(0), "{ca}: {}", stdout(&v));
    }
    // What the CSV said, as RFC 5280 wants it: no reasonCode for unspecified.
    let listed = stdout(&crlkit(&["list", s(&dir.join("ca.p256.pem.crl")), "--format", "csv"]));
    assert_eq!(
        listed,
        "serial,revocation_time,reason,invalidity_date\n\
         0E532A,2026-11-01T10:00:00Z,keyCompromise,2026-10-31T00:00:00Z\n\
         1234,2026-10-01T00:00:00Z,keyCompromise,\n\
         FEF257372D5C14D4,2026-09-21T14:13:20Z,superseded,\n\
         01,2026-10-02T00:00:00Z,,\n"
    );
    let j: serde_json::Value =
        serde_json::from_slice(&crlkit(&["inspect", s(&dir.join("ca.p256.pem.crl")), "--json"]).stdout).unwrap();
    let crl = &j["crls"][0];
    assert_eq!(
        (crl["crl_number"]["decimal"].as_str(), crl["next_update"].as_str()),
        (Some("1"), Some("2026-11-09T00:00:00Z"))
    );
    assert!(crl["authority_key_id"].as_str().is_some(), "AKI present");
}

#[test]
fn ten_previous_runs_keep_every_entry_and_count_up() {
    let dir = tempdir("sign-chain");
    let (ca, key) = (fixture("ca.p256.pem"), fixture("keys/ca.p256.key.pem"));
    let mut previous: Option<PathBuf> = None;
    let mut all: Vec<String> = Vec::new();
    for round in 1..=10u32 {
        let mut csv = String::new();
        for k in 0..round {
            let serial = format!("{:02X}{:04X}", round, k);
            csv.push_str(&format!("{serial},2026-10-{:02},superseded\n", round));
            all.push(serial);
        }
        // Re-listing an old revocation with the same data is fine.
        if round > 1 {
            csv.push_str(&format!("{:02X}{:04X},2026-10-01,superseded\n", 1, 0));
        }
        let list = write(&dir, &format!("r{round}.csv"), &csv);
        let out_crl = dir.join(format!("crl{round}.der"));
        let this_update = format!("2026-11-{:02}T00:00:00Z", round);
        let mut args = vec![
            "sign",
            "--this-update",
            &this_update,
            "--ca-cert",
            s(&ca),
            "--ca-key",
            s(&key),
            "--revoked",
            s(&list),
            "--out",
            s(&out_crl),
        ];
        let prev_s;
        if let Some(p) = &previous {
            prev_s = p.to_str().unwrap().to_owned();
            args.extend(["--previous", &prev_s]);
        }
        let out = crlkit(&args);
        assert_eq!(out.status.code(), Some(0), "round {round}: {}", stderr(&out));
        let j: serde_json::Value = serde_json::from_slice(&crlkit(&["inspect", s(&out_crl), "--json"]).stdout).unwrap();
        assert_eq!(j["crls"][0]["crl_number"]["decimal"], round.to_string(), "round {round}");
        assert_eq!(j["crls"][0]["entries"].as_u64(), Some(all.len() as u64), "round {round}");
        assert!(openssl_verifies(&out_crl, &ca), "round {round}");
        previous = Some(out_crl);
    }
    let last = previous.unwrap();
    let listed: Vec<String> =
        stdout(&crlkit(&["list", s(&last)])).lines().map(|l| l.split(' ').next().unwrap().to_owned()).collect();
    assert_eq!(listed, all, "every entry kept, in order");
    assert!(python_verifies(&last, &ca, all.len()));
    // --drop-revoked-before leaves out the oldest.
    let empty = write(&dir, "none.csv", "");
    let dropped = dir.join("dropped.der");
    let out = sign(&[
        "--ca-cert",
        s(&ca),
        "--ca-key",
        s(&key),
        "--revoked",
        s(&empty),
        "--previous",
        s(&last),
        "--drop-revoked-before",
        "2026-10-03",
        "--out",
        s(&dropped),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("3 dropped"), "{}", stderr(&out));
}

#[test]
fn refusals_leave_nothing_behind() {
    let dir = tempdir("sign-refuse");
    let (ca, key) = (fixture("ca.p256.pem"), fixture("keys/ca.p256.key.pem"));
    let list = write(&dir, "r.csv", LIST);
    let out_crl = dir.join("out.crl");
    let refused = |args: &[&str], code: &str| {
        let out = sign(&[args, &["--out", s(&out_crl)]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(&format!("error[{code}]")), "{args:?}: {}", stderr(&out));
        assert!(!out_crl.exists(), "{args:?} left a file");
    };
    // Key of another CA.
    refused(&["--ca-cert", s(&fixture("ca.rsa2048.pem")), "--ca-key", s(&key), "--revoked", s(&list)], "ca-mismatch");
    // A CA certificate without cRLSign (made here with OpenSSL, same key).
    let no_crl_sign = dir.join("no-crlsign.pem");
    let ok = Command::new("openssl")
        .args(["req", "-x509", "-new", "-key", s(&key), "-subj", "/CN=no crlsign", "-days", "1", "-addext"])
        .args(["keyUsage=critical,digitalSignature,keyCertSign", "-out", s(&no_crl_sign)])
        .status()
        .unwrap();
    assert!(ok.success());
    refused(&["--ca-cert", s(&no_crl_sign), "--ca-key", s(&key), "--revoked", s(&list)], "ca-mismatch");
    // Conflicting duplicates, in the list and against the previous CRL.
    let dup = write(&dir, "dup.csv", "0A,2026-10-01,keyCompromise\n0a,2026-10-01,superseded\n");
    refused(&["--ca-cert", s(&ca), "--ca-key", s(&key), "--revoked", s(&dup)], "bad-revocation");
    // A bad line names its line.
    let bad = write(&dir, "bad.csv", "0A,2026-10-01,keyCompromise\nzz,2026-10-01,1\n");
    let out = sign(&["--ca-cert", s(&ca), "--ca-key", s(&key), "--revoked", s(&bad), "--out", s(&out_crl)]);
    assert!(stderr(&out).contains("bad.csv:2: serial:"), "{}", stderr(&out));
    // nextUpdate before thisUpdate.
    refused(
        &["--ca-cert", s(&ca), "--ca-key", s(&key), "--revoked", s(&list), "--next-update", "2026-11-01T00:00:00Z"],
        "next-update",
    );
    // A previous CRL of another CA.
    refused(
        &[
            "--ca-cert",
            s(&ca),
            "--ca-key",
            s(&key),
            "--revoked",
            s(&list),
            "--previous",
            s(&fixture("crl.rsa2048.1k.der")),
        ],
        "previous-not-from-ca",
    );
    // A CRL number that does not grow.
    refused(
        &[
            "--ca-cert",
            s(&ca),
            "--ca-key",
            s(&key),
            "--revoked",
            s(&list),
            "--previous",
            s(&fixture("crl.p256.1k.der")),
            "--crl-number",
            "2",
        ],
        "crl-number",
    );
    assert_eq!(dir_entries(&dir), ["bad.csv", "dup.csv", "no-crlsign.pem", "r.csv"]);
}

#[test]
fn encrypted_keys_take_the_passphrase_from_a_variable_or_a_descriptor() {
    let dir = tempdir("sign-encrypted");
    let list = write(&dir, "r.csv", LIST);
    let ca = fixture("ca.rsa2048.pem");
    let enc = dir.join("enc.pem");
    // scrypt, as `openssl pkcs8 -topk8 -scrypt` writes it.
    let ok = Command::new("openssl")
        .args(["pkcs8", "-topk8", "-scrypt", "-in", s(&fixture("keys/ca.rsa2048.key.pem")), "-out", s(&enc)])
        .args(["-passout", "pass:correct horse"])
        .status()
        .unwrap();
    assert!(ok.success());
    let out_crl = dir.join("out.crl");
    let base = ["sign", "--this-update", "2026-11-02", "--ca-cert", s(&ca), "--ca-key", s(&enc), "--revoked", s(&list)];
    let run_env = |pass: &str| {
        Command::new(env!("CARGO_BIN_EXE_crlkit"))
            .args(base)
            .args(["--passphrase-env", "CRLKIT_TEST_PASS", "--out", s(&out_crl)])
            .env("CRLKIT_TEST_PASS", pass)
            .output()
            .unwrap()
    };
    let wrong = run_env("wrong");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("error[unsupported-key]") && stderr(&wrong).contains("passphrase"),
        "{}",
        stderr(&wrong)
    );
    assert!(!out_crl.exists());
    let right = run_env("correct horse");
    assert_eq!(right.status.code(), Some(0), "{}", stderr(&right));
    assert!(openssl_verifies(&out_crl, &ca));
    // File descriptor 0: the passphrase piped in (PBKDF2 + AES-256 this time), PEM to stdout.
    let enc2 = dir.join("enc2.pem");
    let ok = Command::new("openssl")
        .args(["pkcs8", "-topk8", "-v2", "aes256", "-in", s(&fixture("keys/ca.rsa2048.key.pem")), "-out", s(&enc2)])
        .args(["-passout", "pass:s3cret"])
        .status()
        .unwrap();
    assert!(ok.success());
    let out = crlkit_stdin(
        &[
            "sign",
            "--this-update",
            "2026-11-02",
            "--ca-cert",
            s(&ca),
            "--ca-key",
            s(&enc2),
            "--revoked",
            s(&list),
            "--passphrase-fd",
            "0",
            "--to",
            "pem",
        ],
        b"s3cret\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("-----BEGIN X509 CRL-----\n"));
    // Without a passphrase source and without a terminal: a clear error, never a hang.
    let out = crlkit_stdin(&base, b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--passphrase-env VAR or --passphrase-fd N"), "{}", stderr(&out));
    // The passphrase is not an argument: there is no flag that takes it.
    assert!(stdout(&crlkit(&["sign", "--help"])).lines().all(|l| !l.trim_start().starts_with("--passphrase ")));
}

/// With no flag, the passphrase is asked for on the terminal (run under `script`, which gives
/// the command a pseudo-terminal) and not echoed.
#[test]
fn the_passphrase_prompt_reads_the_terminal_without_echo() {
    let dir = tempdir("sign-prompt");
    let list = write(&dir, "r.csv", "77,2026-11-01,keyCompromise\n");
    let enc = dir.join("enc.pem");
    let ok = Command::new("openssl")
        .args(["pkcs8", "-topk8", "-v2", "aes256", "-in", s(&fixture("keys/ca.p256.key.pem")), "-out", s(&enc)])
        .args(["-passout", "pass:typed secret"])
        .status()
        .unwrap();
    assert!(ok.success());
    let out_crl = dir.join("prompted.crl");
    let command = format!(
        "{} sign --this-update 2026-11-02 --ca-cert {} --ca-key {} --revoked {} --out {}",
        env!("CARGO_BIN_EXE_crlkit"),
        s(&fixture("ca.p256.pem")),
        s(&enc),
        s(&list),
        s(&out_crl)
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1)");
    let mut stdin = child.stdin.take().unwrap();
    let typist = std::thread::spawn(move || {
        use std::io::Write;
        // Wait for the prompt to be up before typing, as a person would.
        std::thread::sleep(std::time::Duration::from_millis(500));
        let _ = stdin.write_all(b"typed secret\n");
    });
    let out = child.wait_with_output().unwrap();
    typist.join().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("passphrase for "), "{screen}");
    assert!(!screen.contains("typed secret"), "the passphrase must not be echoed: {screen}");
    assert!(out_crl.exists(), "{screen}");
    assert!(openssl_verifies(&out_crl, &fixture("ca.p256.pem")));
}
