//! End-to-end tests of the serial-number commands: `serial`, `check`, `diff` and `scan-logs`,
//! every exit code, text and JSON, files, directories and stdin.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::*;

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn serial_prints_every_certificate_and_reports_broken_ones() {
    let bundle = fixture("ca.bundle.pem");
    let out = crlkit(&["serial", p(&bundle)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("A08E3D14CBCDA46A8CA2BAE515D232CD  "), "{text}");
    assert!(lines[1].contains("ca.bundle.pem#2  CN=crlkit test CA RSA-2048,O=crlkit test"), "{text}");

    // The same certificate from `openssl x509 -serial`.
    let want = Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(fixture("ca.p256.pem"))
        .output()
        .unwrap();
    let want = String::from_utf8(want.stdout).unwrap();
    assert_eq!(want.trim(), format!("serial={}", lines[0].split_whitespace().next().unwrap()));

    // One certificate: the serial alone, ready for `--certificate-serial "$(crlkit serial ...)"`.
    let colon = crlkit(&["serial", "--format", "colon", p(&fixture("ca.p256.pem"))]);
    assert_eq!(stdout(&colon), "a0:8e:3d:14:cb:cd:a4:6a:8c:a2:ba:e5:15:d2:32:cd\n");
    let dec = crlkit(&["serial", "--format", "dec", p(&fixture("ca.p256.pem"))]);
    assert_eq!(stdout(&dec), "213415024354121621445389050748398088909\n");
    // -H and --no-filename choose either form, whatever the count.
    let named = crlkit(&["serial", "-H", p(&fixture("ca.p256.pem"))]);
    assert!(stdout(&named).starts_with("A08E3D14CBCDA46A8CA2BAE515D232CD  "), "{}", stdout(&named));
    assert!(stdout(&named).contains("ca.p256.pem#1  CN=crlkit test CA P-256"), "{}", stdout(&named));
    let bare = crlkit(&["serial", "--no-filename", p(&bundle)]);
    assert_eq!(stdout(&bare).lines().count(), 4);
    assert!(stdout(&bare).lines().all(|l| !l.contains(' ')), "{}", stdout(&bare));
    // The line AWS's CLI gets, through a shell, is the colon serial exactly.
    let sh = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf '[%s]' \"$({} serial --format colon {})\"",
            env!("CARGO_BIN_EXE_crlkit"),
            p(&fixture("ca.p256.pem"))
        ))
        .output()
        .unwrap();
    assert_eq!(stdout(&sh), "[a0:8e:3d:14:cb:cd:a4:6a:8c:a2:ba:e5:15:d2:32:cd]");
    let j = json(&crlkit(&["serial", "--json", "--format", "openssl", p(&bundle)]));
    assert_eq!(j["certificates"].as_array().unwrap().len(), 4);
    assert_eq!(j["certificates"][0]["serial"], "a0:8e:3d:14:cb:cd:a4:6a:8c:a2:ba:e5:15:d2:32:cd");
    assert_eq!(j["certificates"][0]["serial_hex"], "A08E3D14CBCDA46A8CA2BAE515D232CD");
    assert_eq!(j["certificates"][0]["not_after"], "2035-01-01T00:00:00Z");
    assert!(j["certificates"][0]["subject_key_id"].as_str().unwrap().len() == 40);
    let piped = crlkit_stdin(&["serial", "-"], &std::fs::read(&bundle).unwrap());
    assert_eq!(stdout(&piped).replace("<stdin>", "X"), text.replace(p(&bundle), "X"));

    let dir = tempdir("serial");
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    std::fs::copy(fixture("ca.p256.pem"), dir.join("nested/a.CRT")).unwrap();
    std::fs::copy(fixture("ca.rsa2048.pem"), dir.join("b.pem")).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a certificate").unwrap();
    let out = crlkit(&["serial", p(&dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2, "the .txt file is not read: {}", stdout(&out));

    // A corrupted second block: the others are printed, the bad one named, exit 2.
    let mut text_bundle = std::fs::read_to_string(&bundle).unwrap();
    let second = text_bundle.match_indices("-----BEGIN CERTIFICATE-----").nth(1).unwrap().0;
    text_bundle.replace_range(second + 40..second + 41, "*");
    let broken = dir.join("broken.pem");
    std::fs::write(&broken, text_bundle).unwrap();
    let out = crlkit(&["serial", p(&broken)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out).lines().count(), 3);
    let err = stderr(&out);
    assert!(err.contains("error[pem-invalid-base64]") && err.contains("broken.pem (certificate 2, byte "), "{err}");
    assert!(err.contains("error[bad-input]: 1 certificate(s) could not be read"), "{err}");
    let j = json(&crlkit(&["serial", "--json", p(&broken)]));
    assert_eq!((j["certificates"].as_array().unwrap().len(), j["errors"][0]["certificate"].as_u64()), (3, Some(2)));
    // Not a certificate at all, and a missing file.
    assert_eq!(crlkit(&["serial", p(&dir.join("notes.txt"))]).status.code(), Some(2));
    assert_eq!(crlkit(&["serial", p(&dir.join("missing.pem"))]).status.code(), Some(2));
}

#[test]
fn serial_openssl_form_for_the_colon_case() {
    // 2^63 is the first serial OpenSSL prints as colon hex; -1 its odd special case.
    let dir = tempdir("serial-openssl");
    let key = dir.join("key.pem");
    let ok = Command::new("openssl")
        .args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p(&key)])
        .status()
        .unwrap();
    assert!(ok.success());
    for (serial, want) in
        [("9223372036854775808", "80:00:00:00:00:00:00:00"), ("-1", "(Negative)01"), ("4660", "4660 (0x1234)")]
    {
        let cert = dir.join("c.pem");
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-new",
                "-key",
                p(&key),
                "-subj",
                "/CN=t",
                "-days",
                "1",
                "-set_serial",
                serial,
                "-out",
                p(&cert),
            ])
            .status()
            .unwrap();
        assert!(ok.success());
        let out = crlkit(&["serial", "--format", "openssl", p(&cert)]);
        assert_eq!(stdout(&out), format!("{want}\n"), "{serial}");
        if serial.starts_with('-') {
            assert!(stderr(&out).contains("negative serial: ALB cannot revoke it"), "{}", stderr(&out));
        }
    }
}

#[test]
fn check_answers_in_order_with_exit_codes() {
    let crl = fixture("crl.p256.edge-serials.der");
    let crl = p(&crl);
    // Revoked: exit 1, with time and reason; ALB's dropped leading zero and 0x/colon forms.
    let out = crlkit(&[
        "check",
        "--crl",
        crl,
        "--serial",
        "1",
        "--serial",
        "0x0080",
        "--serial",
        "c3:c3:c3:c3:c3:c3:c3:c3:c3:c3:c3:c3:c3:c3:c3:c3:c3:c3:c3:c3",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "01  REVOKED 2026-10-31T23:00:00Z keyCompromise  --serial");
    assert_eq!(lines[1], "80  REVOKED 2026-10-31T23:00:00Z superseded  --serial");
    assert!(lines[2].starts_with("C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3  REVOKED"), "{text}");
    assert_eq!(lines[3], "3 of 3 serial(s) revoked by CN=crlkit test CA P-256,O=crlkit test (7 entries)");
    // Not revoked: exit 0.
    let out = crlkit(&["check", "--crl", crl, "--serial", "FEF257372D5C14D4"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("FEF257372D5C14D4  not-revoked  --serial\n"), "{}", stdout(&out));
    // Negative serials are matched (and flagged).
    let out = crlkit(&["check", "--crl", crl, "--serial", "-0124"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("negative: ALB cannot revoke negative serials"), "{}", stderr(&out));

    // A serials file: comments, blanks, every form, a bad line (reported with its line, exit 2,
    // the others still answered), OpenSSL's own output lines.
    let dir = tempdir("check");
    let list = dir.join("serials.txt");
    std::fs::write(
        &list,
        "# suspects\n\nserial=7F\n00ff\n127 (0x7f)\nnot-a-serial\nX-Amzn-Mtls-Clientcert-Serial-Number: 03A5B1\r\n  0a  \n",
    )
    .unwrap();
    let out = crlkit(&["check", "--crl", crl, "--serials-file", p(&list)]);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    let want = [
        format!("7F  REVOKED 2026-10-31T23:00:00Z -  {}:3", p(&list)),
        format!("FF  REVOKED 2026-10-31T23:00:00Z -  {}:4", p(&list)),
        format!("7F  REVOKED 2026-10-31T23:00:00Z -  {}:5", p(&list)),
        format!("03A5B1  not-revoked  {}:7", p(&list)),
        format!("0A  not-revoked  {}:8", p(&list)),
    ];
    assert_eq!(text.lines().take(5).collect::<Vec<_>>(), want, "{text}");
    let err = stderr(&out);
    assert!(err.contains(&format!("error[bad-serial]: {}:6: 'n' at column 1", p(&list))), "{err}");
    // --only-revoked, --json, stdin, --decimal.
    let out = crlkit_stdin(&["check", "--crl", crl, "--serials-file", "-", "--only-revoked", "--json"], b"7f\n10\n");
    let j = json(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(j["results"].as_array().unwrap().len(), 1);
    assert_eq!((j["checked"].as_u64(), j["revoked"].as_u64()), (Some(2), Some(1)));
    assert_eq!(j["results"][0]["source"], "<stdin>:1");
    assert!(j["warnings"][0].as_str().unwrap().contains("read as hex"), "{j}");
    let out = crlkit(&["check", "--crl", crl, "--serial", "127", "--decimal"]);
    assert_eq!(out.status.code(), Some(1), "127 decimal is 7F");

    // Certificates: the issuer is checked, because a CRL cannot revoke another CA's certificates.
    let out = crlkit(&["check", "--crl", crl, "--cert", p(&fixture("ca.bundle.pem")), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let j = json(&out);
    let matches: Vec<bool> =
        j["results"].as_array().unwrap().iter().map(|r| r["issuer_matches"].as_bool().unwrap()).collect();
    assert_eq!(matches, [true, false, false, false]);
    let out = crlkit(&["check", "--crl", crl, "--cert", p(&fixture("ca.rsa2048.pem"))]);
    assert!(stdout(&out).contains("[not issued by this CRL's issuer]"), "{}", stdout(&out));
    assert!(stderr(&out).contains("this CRL cannot revoke it"), "{}", stderr(&out));

    // Errors: no query, a bad CRL, two stdins.
    assert_eq!(crlkit(&["check", "--crl", crl]).status.code(), Some(2));
    assert_eq!(
        crlkit(&["check", "--crl", p(&fixture("crl.bad.truncated.der")), "--serial", "1"]).status.code(),
        Some(2)
    );
    assert_eq!(crlkit(&["check", "--crl", "-", "--serials-file", "-"]).status.code(), Some(2));
}

#[test]
fn check_a_large_serials_file_against_a_large_crl() {
    let dir = tempdir("check-large");
    let crl = dir.join("big.der");
    write_synthetic_crl(&crl, 77, 20_000);
    let listed = crlkit(&["list", p(&crl)]);
    let serials: Vec<String> = stdout(&listed).lines().map(|l| l.split(' ').next().unwrap().to_owned()).collect();
    // Every 7th listed serial, in lowercase with leading zeros, between unlisted ones.
    let mut file = String::new();
    let mut want = 0;
    for (i, s) in serials.iter().enumerate() {
        if i % 7 == 0 {
            file.push_str(&format!("00{}\n", s.to_lowercase()));
            want += 1;
        }
        file.push_str(&format!("{:032X}\n", i as u128 * 0x1234_5678_9abc_def1));
    }
    let list = dir.join("serials.txt");
    std::fs::write(&list, file).unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "3"] {
        let out = crlkit(&["--threads", threads, "check", "--crl", p(&crl), "--serials-file", p(&list), "--json"]);
        assert_eq!(out.status.code(), Some(1));
        let j = json(&out);
        assert_eq!(j["revoked"].as_u64(), Some(want));
        assert_eq!(j["checked"].as_u64(), Some(want + serials.len() as u64));
        outputs.push(out.stdout);
    }
    assert_eq!(outputs[0], outputs[1], "output does not depend on the thread count");
}

/// A CRL of `entries` (serial, reason) from the P-256 fixture key, with CRL number `number`.
fn crl_with(path: &Path, number: u64, entries: &[(u8, Option<u8>)]) {
    let key =
        crlkit_sign::CaKey::from_pkcs8_pem(&std::fs::read_to_string(fixture("keys/ca.p256.key.pem")).unwrap()).unwrap();
    let ca = crlkit_sign::self_signed_ca(&key, "crlkit test CA P-256", 1_735_689_600, 2_051_222_400);
    let params = crlkit_sign::CrlParams::for_ca(&ca, 1_793_491_200, Some(1_794_096_000), number);
    let specs: Vec<crlkit_sign::EntrySpec> =
        entries.iter().map(|&(s, r)| crlkit_sign::EntrySpec::new(&[0x10, s], 1_793_000_000, r, None)).collect();
    crlkit_sign::write_crl(std::fs::File::create(path).unwrap(), &params, &key, || specs.iter().copied()).unwrap();
}

#[test]
fn diff_reports_added_removed_changed_and_the_crl_number() {
    let dir = tempdir("diff");
    let (old, new) = (dir.join("old.der"), dir.join("new.der"));
    crl_with(&old, 7, &[(1, None), (2, Some(1)), (3, None), (4, Some(6))]);
    // 2 removed, 5 and 6 added, 4 changed from certificateHold to keyCompromise; listed in
    // another order (the diff is by value, not position).
    crl_with(&new, 8, &[(6, None), (4, Some(1)), (1, None), (3, None), (5, Some(4))]);
    let out = crlkit(&["diff", p(&old), p(&new)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "- 1002  2026-10-26T07:33:20Z keyCompromise\n\
         + 1005  2026-10-26T07:33:20Z superseded\n\
         + 1006  2026-10-26T07:33:20Z -\n\
         ~ 1004  2026-10-26T07:33:20Z certificateHold -> 2026-10-26T07:33:20Z keyCompromise\n\
         2 added, 1 removed, 1 changed, 2 unchanged; CRL number 7 -> 8 (increased); issuer same\n"
    );
    let j = json(&crlkit(&["diff", p(&old), p(&new), "--json"]));
    assert_eq!(
        (j["added_count"].as_u64(), j["removed_count"].as_u64(), j["changed_count"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(
        (j["same"].as_bool(), j["same_issuer"].as_bool(), j["crl_number_increased"].as_bool()),
        (Some(false), Some(true), Some(true))
    );
    assert_eq!(j["changed"][0]["new"]["reason"], "keyCompromise");
    assert_eq!(j["old"]["crl_number"], "7");
    // Same entries (PEM vs DER of the same CRL, from stdin): exit 0; the number did not grow.
    let pem = crlkit(&["convert", p(&old)]);
    let out = crlkit_stdin(&["diff", p(&old), "-"], &pem.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("NEW's CRL number is not greater"), "{}", stderr(&out));
    // Backwards, and against another issuer: differ, warned.
    let out = crlkit(&["diff", p(&new), p(&fixture("crl.rsa2048.1k.der"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("the issuers differ"), "{}", stderr(&out));
    // Errors.
    assert_eq!(crlkit(&["diff", p(&old), p(&fixture("crl.bad.month-13.der"))]).status.code(), Some(2));
    assert_eq!(crlkit(&["diff", "-", "-"]).status.code(), Some(2));
}

#[test]
fn scan_logs_finds_revoked_connections_that_succeeded() {
    let crl = fixture("crl.p256.edge-serials.der");
    let log = fixture("alb.connections.log");
    let out = crlkit(&["scan-logs", "--crl", p(&crl), p(&log)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    for want in [
        "scanned 1 file(s): 13 line(s)",
        "3 bad, 1 blank, 2 without a client certificate",
        "revoked serials seen: 5 (in 6 connection(s): Success 4, Failed:ClientCertCrlHit 2)",
        "ALERT: 3 connection(s) succeeded",
        "alb.connections.log:1  ",
        "alb.connections.log:4  ",
        "alb.connections.log:12  ",
        "alb.connections.log:7: line ends before field `tls_protocol`",
        "alb.connections.log:8: quote opened at column",
        "alb.connections.log:9: leaf_client_cert_serial_number is neither `-` nor hex",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let j = json(&crlkit(&["scan-logs", "--crl", p(&crl), p(&log), "--json"]));
    assert_eq!(j["success_after_revocation"].as_u64(), Some(3));
    assert_eq!(j["status_counts"]["Failed:ClientCertCrlProcessingError"].as_u64(), Some(1));
    assert_eq!(j["revoked_status_counts"]["Failed:ClientCertCrlHit"].as_u64(), Some(2));
    let serials = j["revoked_serials"].as_array().unwrap();
    assert_eq!(serials[0]["serial"], "01");
    assert_eq!(serials[0]["success_after_revocation"].as_u64(), Some(2));
    let before = serials.iter().find(|s| s["serial"] == "7F").unwrap();
    assert_eq!(before["success_after_revocation"].as_u64(), Some(0), "succeeded before its revocation");

    // A CRL that revokes none of them: exit 0.
    let out = crlkit(&["scan-logs", "--crl", p(&fixture("crl.p256.small.der")), p(&log)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Directories with .log and .log.gz, stdin (gzip detected by content), a corrupt gzip.
    let dir = tempdir("scan");
    std::fs::create_dir_all(dir.join("2026/11")).unwrap();
    let text_log = std::fs::read(&log).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&text_log).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(dir.join("2026/11/a.log.gz"), &gz).unwrap();
    std::fs::write(dir.join("b.log"), &text_log).unwrap();
    std::fs::write(dir.join("readme.txt"), "skipped").unwrap();
    let j = json(&crlkit(&["scan-logs", "--crl", p(&crl), p(&dir), "--json"]));
    assert_eq!(
        (j["files"].as_u64(), j["lines"].as_u64(), j["success_after_revocation"].as_u64()),
        (Some(2), Some(26), Some(6))
    );
    let from_stdin = crlkit_stdin(&["scan-logs", "--crl", p(&crl), "-", "--json"], &gz);
    assert_eq!(json(&from_stdin)["success_after_revocation"].as_u64(), Some(3));
    std::fs::write(dir.join("c.log.gz"), &gz[..gz.len() / 2]).unwrap();
    let out = crlkit(&["scan-logs", "--crl", p(&crl), p(&dir)]);
    assert_eq!(out.status.code(), Some(2), "a truncated gzip is an error, reported after the scan");
    assert!(stdout(&out).contains("ALERT: 6 connection(s)"), "the other files were scanned: {}", stdout(&out));
    assert!(stderr(&out).contains("c.log.gz"), "{}", stderr(&out));
    assert_eq!(crlkit(&["scan-logs", "--crl", p(&crl), p(&dir.join("missing.log"))]).status.code(), Some(2));
}

#[test]
fn scan_logs_output_does_not_depend_on_threads_or_pieces() {
    // Over 8 MB, so the file is cut into pieces scanned in parallel: line numbers must still be
    // those of the whole file.
    let dir = tempdir("scan-big");
    let one = std::fs::read(fixture("alb.connections.log")).unwrap();
    let copies = 9 * 1024 * 1024 / one.len() + 1;
    let big = dir.join("big.log");
    std::fs::write(&big, one.repeat(copies)).unwrap();
    let crl = fixture("crl.p256.edge-serials.der");
    let mut outs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out =
            crlkit(&["--threads", threads, "scan-logs", "--crl", p(&crl), p(&big), "--json", "--examples", "100000"]);
        assert_eq!(out.status.code(), Some(1));
        outs.push(out.stdout);
    }
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[0], outs[2]);
    let j: serde_json::Value = serde_json::from_slice(&outs[0]).unwrap();
    assert_eq!(j["success_after_revocation"].as_u64(), Some(3 * copies as u64));
    let lines: Vec<u64> = j["alarm_examples"].as_array().unwrap().iter().map(|e| e["line"].as_u64().unwrap()).collect();
    let want: Vec<u64> = (0..copies as u64).flat_map(|c| [1, 4, 12].map(|l| c * 13 + l)).collect();
    assert_eq!(lines, want);
}
