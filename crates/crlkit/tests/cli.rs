//! End-to-end tests of the `crlkit` binary: every command, output format and exit code, run as
//! a user would (files, stdin, pipes), with OpenSSL as the oracle for PEM output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;

use common::*;

fn openssl_pem(der: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-outform", "PEM"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl");
    child.stdin.take().unwrap().write_all(der).unwrap();
    child.wait_with_output().unwrap().stdout
}

// ---------------------------------------------------------------- convert

#[test]
fn convert_der_to_pem_matches_openssl_on_stdout_and_file() {
    for name in ["crl.p256.small.der", "crl.p256.1k.der", "crl.rsa2048.1k.der", "crl.p256.empty.der"] {
        let der = std::fs::read(fixture(name)).unwrap();
        let expected = openssl_pem(&der);
        let out = crlkit(&["convert", fixture(name).to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(out.stdout, expected, "{name} to stdout");
        let dir = tempdir(&format!("convert-{name}"));
        let target = dir.join("out.pem");
        let out = crlkit(&["convert", fixture(name).to_str().unwrap(), "-o", target.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(std::fs::read(&target).unwrap(), expected, "{name} to file");
        assert!(out.stderr.is_empty(), "no chatter on success: {}", stderr(&out));
        assert_eq!(dir_entries(&dir), ["out.pem"], "no temporary file left");
    }
}

#[test]
fn convert_pem_to_der_round_trips() {
    let dir = tempdir("pem-to-der");
    let target = dir.join("out.der");
    let out = crlkit(&[
        "convert",
        fixture("crl.p256.small.pem").to_str().unwrap(),
        "--to",
        "der",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(target).unwrap(), std::fs::read(fixture("crl.p256.small.der")).unwrap());
    // PEM to PEM normalises and stays identical for our own PEM.
    let out = crlkit(&["convert", fixture("crl.p256.small.pem").to_str().unwrap()]);
    assert_eq!(out.stdout, std::fs::read(fixture("crl.p256.small.pem")).unwrap());
}

#[test]
fn convert_streams_from_stdin() {
    let der = std::fs::read(fixture("crl.p256.1k.der")).unwrap();
    let pem = openssl_pem(&der);
    let out = crlkit_stdin(&["convert", "-"], &der);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, pem);
    let out = crlkit_stdin(&["convert", "-", "--to", "der", "-o", "-"], &pem);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, der);
    let dir = tempdir("stdin-file");
    let target = dir.join("x.pem");
    let out = crlkit_stdin(&["convert", "-", "-o", target.to_str().unwrap()], &der);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(&target).unwrap(), pem);
}

#[test]
fn failed_convert_leaves_no_file_and_keeps_the_old_one() {
    let dir = tempdir("failed");
    let target = dir.join("out.pem");
    for (name, code, offset) in [
        ("crl.bad.truncated.der", "truncated", None),
        ("crl.bad.month-13.der", "time-out-of-range", None),
        ("crl.bad.trailing-byte.der", "trailing-data", Some("byte 703")),
        ("crl.bad.reason-7.der", "invalid-reason-code", None),
    ] {
        let out = crlkit(&["convert", fixture(name).to_str().unwrap(), "-o", target.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(err.starts_with(&format!("crlkit: error[{code}]: ")), "{name}: {err}");
        assert!(err.contains("at byte "), "{name}: offset in {err}");
        if let Some(o) = offset {
            assert!(err.contains(o), "{name}: {err}");
        }
        assert!(err.contains("^^"), "{name}: hex excerpt with a caret: {err}");
        assert!(dir_entries(&dir).is_empty(), "{name}: nothing left behind: {:?}", dir_entries(&dir));
    }
    // An existing output is untouched by a failed conversion.
    std::fs::write(&target, b"previous").unwrap();
    let out = crlkit(&["convert", fixture("crl.bad.month-13.der").to_str().unwrap(), "-o", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&target).unwrap(), b"previous");
    assert_eq!(dir_entries(&dir), ["out.pem"]);
}

#[test]
fn error_names_the_field_path_and_offset() {
    let out = crlkit(&["inspect", fixture("crl.bad.month-13.der").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("tbsCertList.revokedCertificates[3].revocationDate"), "{err}");
    assert!(err.contains("--> "), "{err}");
}

#[test]
fn lenient_re_encodes_ber_and_strict_refuses_it() {
    let small_pem = std::fs::read(fixture("crl.p256.small.pem")).unwrap();
    for name in ["crl.ber.indefinite-length.der", "crl.ber.long-form-length.der"] {
        let strict = crlkit(&["convert", fixture(name).to_str().unwrap()]);
        assert_eq!(strict.status.code(), Some(2), "{name}");
        assert!(stderr(&strict).contains("--lenient"), "{name}: hint: {}", stderr(&strict));
        assert!(strict.stdout.is_empty(), "{name}: nothing written");
        let lenient = crlkit(&["convert", "--lenient", fixture(name).to_str().unwrap()]);
        assert!(lenient.status.success(), "{name}: {}", stderr(&lenient));
        assert_eq!(lenient.stdout, small_pem, "{name}: re-encoded to the DER original");
        assert!(stderr(&lenient).contains("re-encoded"), "{name}: warns: {}", stderr(&lenient));
        // Lenient from stdin too (read whole).
        let bytes = std::fs::read(fixture(name)).unwrap();
        let lenient = crlkit_stdin(&["convert", "--lenient", "-"], &bytes);
        assert_eq!(lenient.stdout, small_pem, "{name} from stdin");
    }
}

#[test]
fn convert_refuses_several_crls_to_der_and_der_to_terminal_check_is_usage() {
    let dir = tempdir("multi");
    let two = dir.join("two.pem");
    let mut both = std::fs::read(fixture("crl.p256.small.pem")).unwrap();
    both.extend(std::fs::read(fixture("crl.p256.small.pem")).unwrap());
    std::fs::write(&two, &both).unwrap();
    let out = crlkit(&["convert", two.to_str().unwrap(), "--to", "der"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("error[usage]"), "{}", stderr(&out));
    let out = crlkit(&["convert", two.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(out.stdout, both);
}

#[test]
fn output_never_depends_on_thread_count() {
    // Large enough for several parallel pieces and chunks (about 9 MB).
    let dir = tempdir("threads");
    let crl = dir.join("big.der");
    write_synthetic_crl(&crl, 9, 200_000);
    let der = std::fs::read(&crl).unwrap();
    let expected = openssl_pem(&der);
    let mut lists = Vec::new();
    for threads in ["1", "2", "3"] {
        let target = dir.join(format!("out{threads}.pem"));
        let out = crlkit(&["--threads", threads, "convert", crl.to_str().unwrap(), "-o", target.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(std::fs::read(&target).unwrap() == expected, "threads {threads}: file differs from openssl");
        let out = crlkit(&["--threads", threads, "convert", crl.to_str().unwrap()]);
        assert!(out.stdout == expected, "threads {threads}: stdout differs from openssl");
        lists.push(crlkit(&["--threads", threads, "list", crl.to_str().unwrap(), "--format", "json"]).stdout);
    }
    assert!(lists.windows(2).all(|w| w[0] == w[1]));
    let parsed: serde_json::Value = serde_json::from_slice(&lists[0]).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 200_000);
}

// ---------------------------------------------------------------- inspect

#[test]
fn inspect_text_and_json() {
    let out = crlkit(&["inspect", fixture("crl.p256.1k.der").to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "CN=crlkit test CA P-256,O=crlkit test",
        "ecdsa-with-SHA256",
        "2026-11-01T00:00:00Z",
        "2026-11-08T00:00:00Z",
        "crl number            2 (0x02)",
        "revoked entries       1000",
        "47381 bytes DER",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let out = crlkit(&["inspect", "--json", fixture("crl.p256.1k.der").to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["format"], "DER");
    let crl = &v["crls"][0];
    assert_eq!(crl["entries"], 1000);
    assert_eq!(crl["crl_number"]["decimal"], "2");
    assert_eq!(crl["version"], "v2");
    assert_eq!(crl["delta"], false);
    assert_eq!(crl["issuing_distribution_point"], serde_json::Value::Null);
    assert_eq!(crl["der_size"], 47381);
    assert_eq!(crl["pem_size"], 64212);
    assert_eq!(crl["extensions"][1]["name"], "cRLNumber");
}

#[test]
fn inspect_reads_idp_delta_and_several_crls_from_the_corpus() {
    let corpus = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus");
    let corpus = std::env::var_os("CRLKIT_CORPUS").map(PathBuf::from).unwrap_or(corpus);
    let idp = corpus.join("rustls-webpki/tests/crls/crl.idp.valid.der");
    let out = crlkit(&["inspect", "--json", idp.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["crls"][0]["issuing_distribution_point"].is_object(), "{v}");
    let two = corpus.join("openssl/test/certs/cve-2026-28388-crls.pem");
    let out = crlkit(&["inspect", "--json", two.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["crls"].as_array().unwrap().len(), 2);
    assert!(v["crls"].as_array().unwrap().iter().any(|c| c["delta"] == true), "{v}");
    // A BoringSSL bundle: the CRL is found among certificates, which are noted and skipped.
    let bundle = corpus.join("boringssl/pki/testdata/crl_unittest/revoked.pem");
    let out = crlkit(&["inspect", bundle.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("skipped"), "{}", stderr(&out));
}

#[test]
fn inspect_from_stdin_matches_file() {
    let der = std::fs::read(fixture("crl.p256.1k.der")).unwrap();
    let file = crlkit(&["inspect", "--json", fixture("crl.p256.1k.der").to_str().unwrap()]);
    let piped = crlkit_stdin(&["inspect", "--json", "-"], &der);
    assert!(piped.status.success(), "{}", stderr(&piped));
    let mut a: serde_json::Value = serde_json::from_slice(&file.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&piped.stdout).unwrap();
    a["file"] = "<stdin>".into();
    assert_eq!(a, b);
}

// ---------------------------------------------------------------- list

const EDGE_TEXT: &str = "\
00 2026-10-31T23:00:00Z -
01 2026-10-31T23:00:00Z keyCompromise
7F 2026-10-31T23:00:00Z -
80 2026-10-31T23:00:00Z superseded
FF 2026-10-31T23:00:00Z -
C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3 2026-10-31T23:00:00Z aACompromise
-0124 2026-10-31T23:00:00Z cessationOfOperation
";

#[test]
fn list_formats() {
    let path = fixture("crl.p256.edge-serials.der");
    let out = crlkit(&["list", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), EDGE_TEXT);
    let csv = stdout(&crlkit(&["list", path.to_str().unwrap(), "--format", "csv"]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "serial,revocation_time,reason,invalidity_date");
    assert_eq!(lines[4], "80,2026-10-31T23:00:00Z,superseded,2026-10-30T23:00:00Z");
    assert_eq!(lines.len(), 8);
    let json = crlkit(&["list", path.to_str().unwrap(), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    assert_eq!(v.as_array().unwrap().len(), 7);
    assert_eq!(v[3]["serial"], "80");
    assert_eq!(v[3]["invalidity_date"], "2026-10-30T23:00:00Z");
    assert_eq!(v[0]["reason"], serde_json::Value::Null);
    // An empty CRL lists nothing, as valid JSON.
    let empty = crlkit(&["list", fixture("crl.p256.empty.der").to_str().unwrap(), "--format", "json"]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&empty.stdout).unwrap(), serde_json::json!([]));
}

#[test]
fn list_matches_openssl_serials_and_dates() {
    let der = fixture("crl.rsa2048.1k.der");
    let text =
        Command::new("openssl").args(["crl", "-inform", "DER", "-noout", "-text", "-in"]).arg(&der).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let serials: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("Serial Number: ")).collect();
    let out = stdout(&crlkit(&["list", der.to_str().unwrap()]));
    let ours: Vec<&str> = out.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(ours, serials);
}

#[test]
fn list_stdin_equals_file_and_bad_input_prints_nothing() {
    let der = std::fs::read(fixture("crl.p256.1k.der")).unwrap();
    let file = crlkit(&["list", fixture("crl.p256.1k.der").to_str().unwrap(), "--format", "csv"]);
    let piped = crlkit_stdin(&["list", "-", "--format", "csv"], &der);
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(file.stdout, piped.stdout);
    let pem = std::fs::read(fixture("crl.p256.small.pem")).unwrap();
    let piped = crlkit_stdin(&["list", "-"], &pem);
    assert_eq!(piped.stdout, crlkit(&["list", fixture("crl.p256.small.der").to_str().unwrap()]).stdout);
    let bad = crlkit(&["list", fixture("crl.bad.month-13.der").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty(), "a file is validated before anything is listed");
}

#[test]
fn closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crlkit"))
        .args(["list", fixture("crl.p256.1k.der").to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 8];
    std::io::Read::read_exact(&mut out, &mut first).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
}

// ---------------------------------------------------------------- exit codes and help

#[test]
fn exit_codes_for_errors() {
    let missing = crlkit(&["inspect", "/nonexistent/crl.der"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("error[io]"), "{}", stderr(&missing));
    let dir = tempdir("exit");
    let garbage = dir.join("garbage.txt");
    std::fs::write(&garbage, b"hello").unwrap();
    let out = crlkit(&["inspect", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("error[not-a-crl]"), "{}", stderr(&out));
    let empty = dir.join("empty");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(crlkit(&["list", empty.to_str().unwrap()]).status.code(), Some(2));
    assert_eq!(crlkit(&["convert"]).status.code(), Some(2), "missing argument");
    assert_eq!(crlkit(&["frobnicate"]).status.code(), Some(2), "unknown command");
    assert_eq!(crlkit(&["list", "x", "--format", "xml"]).status.code(), Some(2));
    let same = crlkit(&["convert", "a.der", "-o", "a.der"]);
    assert_eq!(same.status.code(), Some(2));
}

/// Every command listed by `crlkit --help` (generated from the clap definition, so a new
/// command is covered without editing this test) has examples in its own `--help`.
#[test]
fn help_has_examples_and_exits_zero() {
    let top = crlkit(&["--help"]);
    assert_eq!(top.status.code(), Some(0));
    let text = stdout(&top);
    assert!(text.contains("Examples:"), "{text}");
    let commands: Vec<String> = text
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A command's own line; wrapped descriptions are indented further.
        .filter(|l| !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect();
    for expected in ["convert", "sign", "bench", "scan-logs", "man"] {
        assert!(commands.iter().any(|c| c == expected), "{expected} in {commands:?}");
    }
    for cmd in &commands {
        let out = crlkit(&[cmd, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{cmd}");
        assert!(stdout(&out).contains("Examples:"), "{cmd}: {}", stdout(&out));
    }
    let v = crlkit(&["--version"]);
    assert!(stdout(&v).starts_with("crlkit "));
}

#[test]
fn ca_bundle_errors_carry_a_location_and_an_excerpt() {
    let dir = tempdir("bundle-errors");
    // The second certificate's DER is cut short inside: re-encode it as PEM with a bad length.
    let pem = std::fs::read(fixture("ca.bundle.pem")).unwrap();
    let blocks = crlkit_der::pem::decode_all(&pem).unwrap();
    let mut der = blocks[1].der.clone();
    der[1] = 0x83; // a long-form length of three octets where the file has two: truncated
    let mut text = crlkit_der::pem::encode(&blocks[0].der);
    text.extend(crlkit_der::pem::encode(&der));
    let text = String::from_utf8(text).unwrap().replace("X509 CRL", "CERTIFICATE");
    let bundle = dir.join("bundle.pem");
    std::fs::write(&bundle, &text).unwrap();
    let out = crlkit(&["verify", fixture("crl.p256.1k.der").to_str().unwrap(), "--ca", bundle.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(": certificate 2: "), "{err}");
    assert!(err.contains("--> ") && err.contains("certificate 2 (PEM block 2), DER byte 0"), "{err}");
    assert!(err.contains("^^"), "an excerpt: {err}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- progress

/// A CRL over 50 MB shows a progress line when stderr is a terminal (run under `script`, which
/// gives the command a pseudo-terminal), and none in a pipe or with `--json`.
#[test]
fn progress_only_on_a_terminal_for_large_inputs() {
    let dir = tempdir("progress");
    let crl = dir.join("big.der");
    write_synthetic_crl(&crl, 11, 1_150_000);
    assert!(std::fs::metadata(&crl).unwrap().len() > 50_000_000);
    let out_pem = dir.join("big.pem");
    // In a pipe: no progress.
    let piped = crlkit(&["convert", crl.to_str().unwrap(), "-o", out_pem.to_str().unwrap()]);
    assert!(piped.status.success());
    assert!(piped.stderr.is_empty(), "no progress in a pipe: {}", stderr(&piped));
    // On a terminal: progress.
    let command = format!("{} convert {} -o {}", env!("CARGO_BIN_EXE_crlkit"), crl.display(), out_pem.display());
    let tty = Command::new("script").args(["-qec", &command, "/dev/null"]).output().expect("script(1)");
    assert!(tty.status.success(), "{}", stdout(&tty));
    assert!(stdout(&tty).contains("converting ["), "progress on the terminal: {:?}", stdout(&tty));
    // --json never draws.
    let command = format!("{} inspect --json {}", env!("CARGO_BIN_EXE_crlkit"), crl.display());
    let tty = Command::new("script").args(["-qec", &command, "/dev/null"]).output().expect("script(1)");
    assert!(!stdout(&tty).contains("validating ["), "no progress with --json: {:?}", stdout(&tty));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------- verify and preflight

/// 2026-11-02: inside the fixtures' validity.
const AT: &str = "2026-11-02T00:00:00Z";

#[test]
fn verify_exit_codes_and_output() {
    let bundle = fixture("ca.bundle.pem");
    let ok =
        crlkit(&["verify", fixture("crl.p256.1k.der").to_str().unwrap(), "--ca", bundle.to_str().unwrap(), "--at", AT]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let text = stdout(&ok);
    for line in [
        "pass  issuer",
        "pass  key-usage",
        "pass  signature",
        "pass  this-update",
        "pass  next-update",
        "result: valid",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    // Expired at a later time: invalid, exit 1.
    let late = crlkit(&[
        "verify",
        fixture("crl.p256.1k.der").to_str().unwrap(),
        "--ca",
        bundle.to_str().unwrap(),
        "--at",
        "2027-01-01",
    ]);
    assert_eq!(late.status.code(), Some(1));
    assert!(stdout(&late).contains("fail  next-update"), "{}", stdout(&late));
    // Wrong CA: invalid, exit 1.
    let wrong = crlkit(&[
        "verify",
        fixture("crl.p256.1k.der").to_str().unwrap(),
        "--ca",
        fixture("ca.rsa2048.pem").to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stdout(&wrong).contains("fail  issuer"), "{}", stdout(&wrong));
    // A tampered signature: invalid, exit 1; the JSON says which check.
    let dir = tempdir("verify");
    let mut der = std::fs::read(fixture("crl.alg.ed25519.der")).unwrap();
    let n = der.len();
    der[n - 5] ^= 0x04;
    let tampered = dir.join("tampered.der");
    std::fs::write(&tampered, &der).unwrap();
    let out = crlkit(&["verify", tampered.to_str().unwrap(), "--ca", bundle.to_str().unwrap(), "--at", AT, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    let checks = v["crls"][0]["checks"].as_array().unwrap();
    let sig = checks.iter().find(|c| c["check"] == "signature").unwrap();
    assert_eq!(sig["status"], "fail");
    // Errors: unreadable CRL or bundle, exit 2.
    let bad = crlkit(&["verify", fixture("crl.bad.truncated.der").to_str().unwrap(), "--ca", bundle.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    let no_bundle = crlkit(&[
        "verify",
        fixture("crl.p256.1k.der").to_str().unwrap(),
        "--ca",
        fixture("crl.p256.small.pem").to_str().unwrap(),
    ]);
    assert_eq!(no_bundle.status.code(), Some(2));
    assert!(stderr(&no_bundle).contains("no certificate"), "{}", stderr(&no_bundle));
    // PEM input, and a DER certificate as the bundle.
    let ca_der = dir.join("ca.der");
    let der_cert = Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in"])
        .arg(fixture("ca.p256.pem"))
        .output()
        .unwrap()
        .stdout;
    std::fs::write(&ca_der, der_cert).unwrap();
    let out = crlkit(&[
        "verify",
        fixture("crl.p256.small.pem").to_str().unwrap(),
        "--ca",
        ca_der.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn preflight_ready_blocking_and_json() {
    let bundle = fixture("ca.bundle.pem");
    let ready = crlkit(&[
        "preflight",
        fixture("crl.p256.1k.der").to_str().unwrap(),
        "--ca",
        bundle.to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(ready.status.code(), Some(0), "{}", stdout(&ready));
    assert!(stdout(&ready).contains("ready for ELB (0 blocking"), "{}", stdout(&ready));
    // Over a (lowered) entry quota: blocking, exit 1.
    let quota = crlkit(&[
        "preflight",
        fixture("crl.p256.1k.der").to_str().unwrap(),
        "--max-entries",
        "500",
        "--at",
        AT,
        "--json",
    ]);
    assert_eq!(quota.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&quota.stdout).unwrap();
    assert_eq!(v["ready"], false);
    assert!(
        v["findings"].as_array().unwrap().iter().any(|f| f["code"] == "entry-count" && f["severity"] == "blocking")
    );
    // Negative serials warn; expired warns (AWS does not document it) but is not blocking.
    let edge =
        crlkit(&["preflight", fixture("crl.p256.edge-serials.der").to_str().unwrap(), "--at", "2030-01-01", "--json"]);
    assert_eq!(edge.status.code(), Some(0), "{}", stdout(&edge));
    let v: serde_json::Value = serde_json::from_slice(&edge.stdout).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "warning")
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"negative-serials") && codes.contains(&"expired"), "{codes:?}");
    // Signed by another CA: blocking.
    let wrong = crlkit(&[
        "preflight",
        fixture("crl.p256.1k.der").to_str().unwrap(),
        "--ca",
        fixture("ca.rsa2048.pem").to_str().unwrap(),
        "--at",
        AT,
    ]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stdout(&wrong).contains("blocking issuer"), "{}", stdout(&wrong));
    // Unreadable input: exit 2.
    assert_eq!(crlkit(&["preflight", fixture("crl.bad.reason-7.der").to_str().unwrap()]).status.code(), Some(2));
}

#[test]
fn preflight_flags_what_aws_does_not_document() {
    let corpus = std::env::var_os("CRLKIT_CORPUS").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus")
    });
    for (file, code) in [
        ("rustls-webpki/tests/crls/crl.delta.der", "delta-crl"),
        ("rustls-webpki/tests/crls/crl.idp.indirect_crl.der", "indirect-crl"),
        ("rustls-webpki/tests/crls/crl.idp.only_user_certs.der", "issuing-distribution-point"),
        ("rustls-webpki/tests/crls/crl.unknown.crit.ext.der", "unknown-critical-extension"),
        ("rustls-webpki/tests/crls/crl.entry.unknown.crit.ext.der", "unknown-critical-entry-extension"),
        ("rustls-webpki/tests/crls/crl.negative.serial.der", "negative-serials"),
        ("openssl/test/certs/cve-2026-28388-crls.pem", "several-crls"),
        ("boringssl/crl_unittest_der/good_no_nextupdate.crl.der", "no-next-update"),
    ] {
        let out = crlkit(&["preflight", corpus.join(file).to_str().unwrap(), "--json", "--at", "2020-01-01"]);
        assert!(out.status.code().is_some_and(|c| c < 2), "{file}: {}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v["findings"].as_array().unwrap().iter().any(|f| f["code"] == code), "{file}: no {code} in {v}");
    }
}

// ---------------------------------------------------------------- shell integration

#[test]
fn completions_and_man_pages_come_from_the_definitions() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = crlkit(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = stdout(&out);
        for word in ["scan-logs", "preflight", "serials-file"] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    assert_eq!(crlkit(&["completions", "tcsh"]).status.code(), Some(2));
    let man = stdout(&crlkit(&["man"]));
    assert!(man.contains(".TH crlkit 1") && man.contains("scan\\-logs"), "{man}");
    let dir = tempdir("man");
    let out = crlkit(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pages = dir_entries(&dir);
    for page in ["crlkit.1", "crlkit-check.1", "crlkit-convert.1", "crlkit-scan-logs.1"] {
        assert!(pages.iter().any(|p| p == page), "{page} in {pages:?}");
    }
    let check = std::fs::read_to_string(dir.join("crlkit-check.1")).unwrap();
    assert!(check.contains("serials\\-file"), "per-command pages document their flags");
}

#[test]
fn color_quiet_and_verbose() {
    let crl = fixture("crl.p256.edge-serials.der");
    let crl = crl.to_str().unwrap();
    let args = ["check", "--crl", crl, "--serial=-0124"];
    // In a pipe: no color unless asked; NO_COLOR wins over auto, not over always.
    let plain = crlkit(&args);
    assert!(!stdout(&plain).contains('\x1b') && !stderr(&plain).contains('\x1b'));
    assert!(stderr(&plain).starts_with("crlkit: warning: "), "{}", stderr(&plain));
    let colored = crlkit(&[&["--color", "always"][..], &args].concat());
    assert!(stdout(&colored).contains("\x1b[1;31mREVOKED\x1b[0m"), "{}", stdout(&colored));
    assert!(stderr(&colored).contains("crlkit: \x1b[1;33mwarning\x1b[0m: "), "{}", stderr(&colored));
    let no_color = Command::new(env!("CARGO_BIN_EXE_crlkit"))
        .args(["--color", "always"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(stdout(&no_color).contains('\x1b'), "--color always beats NO_COLOR");
    // The text is the same with and without color.
    let strip = |s: String| s.replace("\x1b[1;31m", "").replace("\x1b[1;33m", "").replace("\x1b[0m", "");
    assert_eq!(strip(stdout(&colored)), stdout(&plain));
    assert_eq!(strip(stderr(&colored)), stderr(&plain));

    // -q: no warnings, same answer and exit code; errors still print.
    let quiet = crlkit(&[&["-q"][..], &args].concat());
    assert_eq!((quiet.status.code(), stdout(&quiet)), (plain.status.code(), stdout(&plain)));
    assert_eq!(stderr(&quiet), "");
    let quiet_error = crlkit(&["-q", "inspect", fixture("crl.bad.truncated.der").to_str().unwrap()]);
    assert!(stderr(&quiet_error).starts_with("crlkit: error[truncated]: "), "{}", stderr(&quiet_error));
    // -v: an info line with time and threads.
    let verbose = crlkit(&["-v", "--threads", "2", "inspect", crl]);
    assert!(stderr(&verbose).contains("crlkit: info: done in "), "{}", stderr(&verbose));
    assert!(stderr(&verbose).contains("on 2 thread(s)"), "{}", stderr(&verbose));
    // Usage errors carry the same prefix.
    let usage = crlkit(&["check", "--crl", crl, "--bogus"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(stderr(&usage).starts_with("crlkit: error[usage]: unexpected argument '--bogus'"), "{}", stderr(&usage));
}
