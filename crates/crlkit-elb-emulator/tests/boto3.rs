//! The emulator speaks the real protocol: boto3 (botocore's model and parsers, not ours)
//! drives it and asserts what it parses, every error code as boto3's modelled exception.

use std::path::Path;
use std::process::Command;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the tests with `cargo xtask test`"))
}

#[test]
fn boto3_parses_every_answer_as_the_model_says() {
    let s3 = env("CRLKIT_S3_ENDPOINT");
    let python = env("CRLKIT_TEST_PYTHON");
    let emulator = crlkit_elb_emulator::Emulator::start(crlkit_elb_emulator::Config::new(&s3)).unwrap();
    let fixtures =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("../../fixtures");
    let dir = std::env::temp_dir().join(format!("crlkit-emulator-boto3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let der = std::fs::read(fixtures.join("crl.p256.1k.der")).unwrap();
    std::fs::write(dir.join("big.pem"), crlkit_der::pem::encode(&der)).unwrap();
    let empty = std::fs::read(fixtures.join("crl.p256.empty.der")).unwrap();
    std::fs::write(dir.join("small.pem"), crlkit_der::pem::encode(&empty)).unwrap();
    let out = Command::new(python)
        .arg(
            Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
                .join("tests/boto3_proof.py"),
        )
        .env("ELB", emulator.endpoint())
        .env("S3", &s3)
        .env("PEM", dir.join("big.pem"))
        .env("SMALL", dir.join("small.pem"))
        .env("DER", fixtures.join("crl.p256.1k.der"))
        .env("BUNDLE", fixtures.join("ca.p256.pem"))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("checks passed"), "{stdout}");
    assert!(emulator.throttled() >= 3, "the throttle switch was exercised");
}
