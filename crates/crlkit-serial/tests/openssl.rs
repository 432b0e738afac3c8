//! OpenSSL 3 as the oracle for serial forms: certificates with edge serials are made here with
//! `openssl req -x509 -set_serial`, and what we read and print must equal what `openssl x509
//! -serial` and `-text` print for them; every form we print must read back to the same value.

use std::path::Path;
use std::process::Command;

use crlkit_serial::certs;
use crlkit_serial::{BareDigits, Serial, SerialFormat};

/// The serials of the issue, and OpenSSL's own boundaries around them.
const EDGE_SERIALS: &[&str] = &[
    "0",
    "1",
    "0x7F",
    "0x80",
    "0xFF",
    "0x0100",
    "9223372036854775807", // 2^63 - 1: OpenSSL's last decimal form
    "9223372036854775808", // 2^63: colon form
    "9223372036854775809",
    "0x80112233445566778899AABBCCDDEEFF00112233", // 20 octets, top bit set
    "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
    "-1", // OpenSSL prints the colon form: -1 is its "does not fit" marker
    "-2",
    "-128",
    "-129",
    "-9223372036854775808", // -2^63: still decimal
    "-9223372036854775809", // colon form, (Negative)
    "-0x80112233445566778899AABBCCDDEEFF00112233",
];

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().expect("openssl is installed");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// What `openssl x509 -noout -text` prints for the serial: the rest of the `Serial Number:`
/// line, or the next line when that is empty; trimmed.
fn openssl_text_serial(text: &str) -> String {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.trim().strip_prefix("Serial Number:") {
            let rest = rest.trim();
            return if rest.is_empty() { lines.next().unwrap().trim().to_owned() } else { rest.to_owned() };
        }
    }
    panic!("no Serial Number line in:\n{text}")
}

fn make_certs(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let key = dir.join("key.pem");
    openssl(&["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.to_str().unwrap()]);
    EDGE_SERIALS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let path = dir.join(format!("edge{i:02}.pem"));
            openssl(&[
                "req",
                "-x509",
                "-new",
                "-key",
                key.to_str().unwrap(),
                "-subj",
                &format!("/CN=edge {s}"),
                "-days",
                "1",
                "-set_serial",
                s,
                "-out",
                path.to_str().unwrap(),
            ]);
            (s.to_string(), path)
        })
        .collect()
}

#[test]
fn serial_forms_match_openssl_on_edge_certificates() {
    let dir = std::env::temp_dir().join(format!("crlkit-serial-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (given, path) in make_certs(&dir) {
        let p = path.to_str().unwrap();
        let got = certs::read_file(&path);
        assert_eq!(got.items.len(), 1, "{given}");
        let info = got.items.into_iter().next().unwrap().unwrap();
        let serial = &info.serial;

        let want_hex =
            openssl(&["x509", "-in", p, "-noout", "-serial"]).trim().strip_prefix("serial=").unwrap().to_owned();
        assert_eq!(serial.to_format(SerialFormat::Hex), want_hex, "{given}: -serial");
        let text = openssl(&["x509", "-in", p, "-noout", "-text"]);
        assert_eq!(serial.to_format(SerialFormat::Openssl), openssl_text_serial(&text), "{given}: -text");

        // The value given to OpenSSL, read with our parser, is the certificate's serial.
        let bare = if given.contains("0x") { BareDigits::Hex } else { BareDigits::Dec };
        assert_eq!(&Serial::parse(&given, bare).unwrap(), serial, "{given}: parsed input");
        assert_eq!(serial.is_negative(), given.starts_with('-'));
        // Every printed form reads back.
        for f in [SerialFormat::Hex, SerialFormat::Colon, SerialFormat::Openssl] {
            assert_eq!(&Serial::parse(&serial.to_format(f), BareDigits::Hex).unwrap(), serial, "{given}: {f:?}");
        }
        let dec = serial.to_format(SerialFormat::Dec);
        assert_eq!(&Serial::parse(&dec, BareDigits::Dec).unwrap(), serial, "{given}: dec");
        if !given.contains("0x") {
            assert_eq!(dec, given, "decimal form");
        }
        // OpenSSL's own output lines parse too.
        assert_eq!(&Serial::parse(&format!("serial={want_hex}"), BareDigits::Hex).unwrap(), serial);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
