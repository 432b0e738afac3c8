//! One first error, whatever the path: CRLs well over the parallel threshold (4 MB) with two
//! planted errors, an early one and a late one of different kinds, must be reported at the
//! early one by the slice parser, the sequential and the parallel validator, the streaming
//! parser, and by every command that reads a CRL, from a file and from stdin, as DER and as
//! PEM, with the same location line and excerpt.

use std::path::Path;

mod common;

use common::*;
use crlkit_der::stream::{StreamError, StreamOptions, Validate, parse_stream};
use crlkit_der::{CrlRef, Error};

/// Byte ranges of entry `i`: (offset of its SEQUENCE, offset of its revocationDate's month).
fn entry_places(der: &[u8], i: usize) -> (usize, usize) {
    let crl = CrlRef::from_der(der).unwrap();
    let e = crl.entries().nth(i).unwrap().unwrap();
    let at = e.offset() as usize;
    let d = e.der();
    assert!(d[1] < 0x80 && d[2] == 0x02, "short-form entry with an INTEGER first");
    let serial_len = usize::from(d[3]);
    assert_eq!(d[4 + serial_len], 0x17, "UTCTime revocationDate");
    (at, at + 4 + serial_len + 2 + 2)
}

/// `der` with the month at `place` (see [`entry_places`]) set to 13: a bad field.
fn bad_month(der: &mut [u8], place: (usize, usize)) {
    der[place.1] = b'1';
    der[place.1 + 1] = b'3';
}

/// `der` with the entry at `place` turned from a SEQUENCE into a SET: a bad header.
fn bad_tag(der: &mut [u8], place: (usize, usize)) {
    der[place.0] = 0x31;
}

/// The error every library path reports, checked to agree.
fn library_error(der: &[u8]) -> Error {
    let streamed =
        match parse_stream(der, &StreamOptions { read_chunk: 4096, ..StreamOptions::default() }, &mut Validate) {
            Err(StreamError::Parse(e, _)) => e,
            other => panic!("stream: {other:?}"),
        };
    let in_order = crlkit_der::stream::first_error(der, crlkit_der::Profile::Strict).unwrap();
    let sliced = CrlRef::from_der(der).and_then(|c| c.validate()).unwrap_err();
    assert_eq!(sliced, streamed, "CrlRef::from_der + validate vs parse_stream");
    assert_eq!(in_order, streamed);
    if let Ok(crl) = CrlRef::from_der(der) {
        assert_eq!(crl.validate_sequential().unwrap_err(), streamed, "sequential validator");
        assert_eq!(crl.validate_in_chunks(1 << 16).unwrap_err(), streamed, "parallel validator");
    }
    streamed
}

/// The `-->` line and the excerpt of a failure, with the input's name taken out.
fn place(out: &std::process::Output, name: &str) -> String {
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().skip_while(|l| !l.starts_with("  --> ")).take(3).collect();
    assert!(!lines.is_empty(), "no location in {err}");
    lines.join("\n").replace(name, "INPUT")
}

/// Run `args` (with `{}` standing for the input) on the file and on stdin; both must fail
/// with the expected code and place, identical to each other.
fn expect_everywhere(label: &str, file: &Path, bytes: &[u8], args: &[&str], stdin_ok: bool, code: &str, at: &str) {
    let name = file.to_str().unwrap();
    fn with<'a>(args: &[&'a str], input: &'a str) -> Vec<&'a str> {
        args.iter().map(|a| if *a == "{}" { input } else { a }).collect()
    }
    let from_file = crlkit(&with(args, name));
    assert_eq!(from_file.status.code(), Some(2), "{label} {args:?} on the file: {}", stderr(&from_file));
    let err = stderr(&from_file);
    assert!(err.starts_with(&format!("crlkit: error[{code}]: ")), "{label} {args:?}: {err}");
    let file_place = place(&from_file, name);
    assert!(file_place.starts_with(&format!("  --> INPUT, {at} ")), "{label} {args:?}: {file_place}");
    assert!(file_place.contains("^^"), "{label} {args:?}: an excerpt: {file_place}");
    if stdin_ok {
        let piped = crlkit_stdin(&with(args, "-"), bytes);
        assert_eq!(piped.status.code(), Some(2), "{label} {args:?} on stdin: {}", stderr(&piped));
        assert_eq!(place(&piped, "<stdin>"), file_place, "{label} {args:?}: stdin and file differ");
    }
}

fn run_case(label: &str, der: Vec<u8>, expected_offset: u64, expected_code: &str, dir: &Path) {
    let e = library_error(&der);
    assert_eq!((e.offset(), e.kind().code()), (expected_offset, expected_code), "{label}: library");
    let good = dir.join("good.der");
    let ca = dir.join("ca.pem");
    let key = fixture("keys/ca.p256.key.pem");
    let log = dir.join("conn.log");
    let csv = dir.join("none.csv");
    let out = dir.join("out.pem");
    for (format, bytes) in [("DER", der.clone()), ("PEM", crlkit_der::pem::encode(&der))] {
        // Over 4 MiB: a PEM file this large is decoded in pieces read at computed offsets
        // (`support::input`), and its errors must be the text's first error all the same.
        assert!(format == "DER" || bytes.len() > 4 << 20, "{label}: PEM of {} bytes", bytes.len());
        let file = dir.join(format!("bad.{}", format.to_lowercase()));
        std::fs::write(&file, &bytes).unwrap();
        let at = match format {
            "DER" => format!("byte {expected_offset}"),
            _ => format!("PEM block 1, DER byte {expected_offset}"),
        };
        let label = format!("{label} ({format})");
        let (g, c, k, l, v, o) = (
            good.to_str().unwrap(),
            ca.to_str().unwrap(),
            key.to_str().unwrap(),
            log.to_str().unwrap(),
            csv.to_str().unwrap(),
            out.to_str().unwrap(),
        );
        let commands: [(&[&str], bool); 15] = [
            (&["inspect", "{}"], true),
            (&["inspect", "--json", "{}"], true),
            (&["list", "{}"], true),
            (&["convert", "{}", "-o", o], true),
            (&["convert", "{}"], true),
            (&["convert", "{}", "--to", "der", "-o", o], true),
            (&["check", "--crl", "{}", "--serial", "01"], true),
            (&["diff", "{}", g], true),
            (&["diff", g, "{}"], true),
            (&["verify", "{}", "--ca", c], true),
            (&["preflight", "{}"], true),
            (&["scan-logs", "--crl", "{}", l], true),
            (&["sign", "--ca-cert", c, "--ca-key", k, "--revoked", v, "--previous", "{}", "--out", o], true),
            (&["bench", "{}", "--runs", "1"], true),
            (&["preflight", "--json", "{}", "--ca", c], true),
        ];
        for (args, stdin_ok) in commands {
            expect_everywhere(&label, &file, &bytes, args, stdin_ok, expected_code, &at);
        }
        assert!(!out.exists(), "{label}: no output file was left");
    }
}

#[test]
fn every_path_names_the_first_error() {
    let dir = tempdir("first-error");
    let good = dir.join("good.der");
    write_synthetic_crl(&good, 21, 92_000);
    let der = std::fs::read(&good).unwrap();
    assert!(der.len() > 4_000_000, "{} bytes", der.len());
    let revoked = CrlRef::from_der(&der).unwrap().revoked_der().0.len();
    assert!(revoked > 2 << 20, "entries over validate()'s 2 MiB parallel threshold: {revoked}");
    // The CA that signed it, for verify and sign.
    let key =
        crlkit_sign::CaKey::from_pkcs8_pem(&std::fs::read_to_string(fixture("keys/ca.p256.key.pem")).unwrap()).unwrap();
    let ca = crlkit_sign::self_signed_ca(&key, "synthetic", 1_735_689_600, 2_051_222_400);
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("none.csv"), "").unwrap();
    std::fs::write(dir.join("conn.log"), "\n").unwrap();
    let early = entry_places(&der, 10);
    let late = entry_places(&der, 90_000);
    let (early_entry, early_month) = early;
    let late_entry = late.0;

    // A bad field early, a bad header late: the field.
    let mut a = der.clone();
    bad_month(&mut a, early);
    bad_tag(&mut a, late);
    let e = library_error(&a);
    assert!(e.offset() as usize >= early_entry && e.offset() as usize <= early_month, "{e}");
    run_case("field early, header late", a, e.offset(), "time-out-of-range", &dir);

    // A bad header early, a bad field late: the header.
    let mut b = der.clone();
    bad_tag(&mut b, early);
    bad_month(&mut b, late);
    run_case("header early, field late", b, early_entry as u64, "unexpected-tag", &dir);

    // A bad field early and a byte after the CRL (checked first by the slice parser).
    let mut c = der.clone();
    bad_month(&mut c, early);
    c.push(0);
    let e = library_error(&c);
    assert!(e.offset() as usize >= early_entry && e.offset() < late_entry as u64, "{e}");

    // A bad field early in a file cut short (the outer length is checked first by the slice
    // parser): the field.
    let mut d = der.clone();
    bad_month(&mut d, early);
    d.truncate(d.len() - 5);
    assert_eq!(library_error(&d), e);
    for (label, bytes) in [("trailing byte", c), ("truncated", d)] {
        let file = dir.join("cut.der");
        std::fs::write(&file, &bytes).unwrap();
        for args in [&["inspect", "{}"][..], &["list", "{}"], &["convert", "{}"]] {
            expect_everywhere(label, &file, &bytes, args, true, "time-out-of-range", &format!("byte {}", e.offset()));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_large_pem_file_reads_the_same_in_any_layout() {
    // OpenSSL's layout is decoded in pieces; CRLF lines, lines of 76 characters, text around
    // the block and a second block are not, and give the same DER; a broken character in
    // either gives the same error from the file and from stdin.
    let dir = tempdir("large-pem");
    let good = dir.join("good.der");
    write_synthetic_crl(&good, 22, 92_000);
    let der = std::fs::read(&good).unwrap();
    let pem = crlkit_der::pem::encode(&der);
    assert!(pem.len() > 4 << 20, "{}", pem.len());
    let body = &pem[25..pem.len() - 23];
    let b64: Vec<u8> = body.iter().copied().filter(|&c| c != b'\n').collect();
    let mut wide = b"-----BEGIN X509 CRL-----\n".to_vec();
    for line in b64.chunks(76) {
        wide.extend_from_slice(line);
        wide.push(b'\n');
    }
    wide.extend_from_slice(b"-----END X509 CRL-----\n");
    let crlf: Vec<u8> = pem.iter().flat_map(|&c| if c == b'\n' { vec![b'\r', b'\n'] } else { vec![c] }).collect();
    let texted = [b"issued by the test CA\n".as_slice(), &pem, b"end of file\n"].concat();
    let two = [pem.as_slice(), &pem].concat();
    let out = dir.join("out.der");
    let failed_out = dir.join("failed.der");
    let o_failed = failed_out.to_str().unwrap();
    let crls_part = |s: &str| s[s.find("\"crls\"").unwrap()..].to_string();
    let of_der = crls_part(&stdout(&crlkit(&["inspect", "--json", good.to_str().unwrap()])));
    for (label, text, crls) in
        [("openssl", &pem, 1), ("wide", &wide, 1), ("crlf", &crlf, 1), ("texted", &texted, 1), ("two", &two, 2)]
    {
        let file = dir.join(format!("{label}.pem"));
        std::fs::write(&file, text).unwrap();
        if crls == 1 {
            // OpenSSL's layout is decoded straight into the output file; with named temporary
            // files too (`CRLKIT_TEMP_FILES=named`, where O_TMPFILE is not available).
            for temp in ["nameless", "named"] {
                let _ = std::fs::remove_file(&out);
                let o = std::process::Command::new(env!("CARGO_BIN_EXE_crlkit"))
                    .env("CRLKIT_TEMP_FILES", temp)
                    .args(["convert", file.to_str().unwrap(), "--to", "der", "-o", out.to_str().unwrap()])
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{label} {temp}: {}", stderr(&o));
                assert_eq!(std::fs::read(&out).unwrap(), der, "{label} {temp}");
            }
        }
        let o = crlkit(&["inspect", "--json", file.to_str().unwrap()]);
        assert!(o.status.success(), "{label}: {}", stderr(&o));
        assert_eq!(stdout(&o).matches("\"entries\":92000").count(), crls, "{label}: {}", stdout(&o));
        if crls == 1 {
            // OpenSSL's layout streams through the parser (decoded a window at a time, entries
            // validated in parallel chunks); every layout reports what the DER itself does.
            assert_eq!(crls_part(&stdout(&o)), of_der, "{label}");
        }
        // A character outside the alphabet half-way, and bad padding in the last line.
        for (at, code) in [(text.len() / 2, "pem-invalid-base64"), (text.len() - 40, "pem-bad-padding")] {
            let mut bad = text.clone();
            let at = (at..).find(|&i| bad[i].is_ascii_alphanumeric()).unwrap();
            bad[at] = if code == "pem-invalid-base64" { b'*' } else { b'=' };
            let file = dir.join(format!("{label}.bad.pem"));
            std::fs::write(&file, &bad).unwrap();
            // What the library's decoder says of the whole text.
            let e = crlkit_der::pem::decode_all(&bad).unwrap_err();
            assert!(e.kind().code().starts_with("pem-"), "{label}: {e}");
            if label != "two" {
                assert_eq!(e.kind().code(), code, "{label}");
            }
            let to_der: &[&str] = &["convert", "{}", "--to", "der", "-o", o_failed];
            let commands = [&["inspect", "{}"][..], &["convert", "{}"], to_der];
            // A DER file holds one CRL: two blocks are refused as such before any decoding.
            for args in &commands[..if crls == 1 { 3 } else { 2 }] {
                expect_everywhere(label, &file, &bad, args, true, e.kind().code(), &format!("byte {}", e.offset()));
            }
            let left: Vec<String> =
                dir_entries(&dir).into_iter().filter(|n| !n.ends_with(".pem") && !n.ends_with(".der")).collect();
            assert!(!failed_out.exists() && left.is_empty(), "{label}: nothing written for a broken input: {left:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pem_errors_in_the_text_come_in_text_order() {
    // A PEM text whose base64 is broken after a bad entry's bytes: the entry's error, from a
    // file and from stdin; broken before it: the PEM error.
    let dir = tempdir("first-error-pem");
    let good = std::fs::read(fixture("crl.p256.1k.der")).unwrap();
    let mut bad = good.clone();
    bad_month(&mut bad, entry_places(&good, 3));
    let pem = crlkit_der::pem::encode(&bad);
    let text_line = |n: usize| 25 + 65 * n;
    for (line, code) in [(500, "time-out-of-range"), (1, "pem-invalid-base64")] {
        let mut text = pem.clone();
        text[text_line(line) + 10] = b'*';
        let file = dir.join("t.pem");
        std::fs::write(&file, &text).unwrap();
        let at = if code == "time-out-of-range" {
            let e = library_error(&bad);
            format!("PEM block 1, DER byte {}", e.offset())
        } else {
            format!("byte {}", text_line(line) + 10)
        };
        for args in [&["inspect", "{}"][..], &["list", "{}"], &["convert", "{}"], &["verify", "{}", "--ca", "x"]] {
            expect_everywhere(&format!("line {line}"), &file, &text, args, true, code, &at);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
