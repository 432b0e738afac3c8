//! `revoke` end to end against AWS Private CA as moto plays it (started by `cargo xtask test`):
//! the test holds the CA's key, imports the CA's certificate into moto (which then makes the
//! CA `ACTIVE`) and issues client certificates with that key, as Private CA would. What moto
//! does not play, a second revoke of one serial (it answers 200, not
//! `RequestAlreadyProcessedException`) and throttling, the trust-store emulator's Private CA
//! front plays in front of it (`crlkit-elb-emulator`'s `pca_front`).

#![cfg(feature = "online")]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// `crlkit ARGS` with Private CA at moto.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crlkit"))
        .args(args)
        .env("AWS_ENDPOINT_URL_ACM_PCA", s3_endpoint())
        .env("AWS_ENDPOINT_URL_S3", s3_endpoint())
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)))
}

/// A Private CA in moto whose certificate is ours (the P-256 fixture key), a client
/// certificate it issued (serial 0a1b2c3d), one of another CA (serial 77), one naming our CA
/// but signed by another key (serial 78), and the CA's own certificate, all under `dir`.
fn private_ca(dir: &Path) -> String {
    let python = std::env::var("CRLKIT_TEST_PYTHON").expect("CRLKIT_TEST_PYTHON: run with `cargo xtask test`");
    let script = r#"
import boto3, sys, datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
pca = boto3.client('acm-pca', endpoint_url=sys.argv[1], region_name='eu-west-1')
key = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)
out = sys.argv[3]
now = datetime.datetime(2026, 1, 1)
def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
ca_name = name('crlkit revoke test CA')
arn = pca.create_certificate_authority(
    CertificateAuthorityConfiguration={'KeyAlgorithm': 'EC_prime256v1', 'SigningAlgorithm': 'SHA256WITHECDSA',
                                       'Subject': {'CommonName': 'crlkit revoke test CA'}},
    CertificateAuthorityType='ROOT',
    RevocationConfiguration={'CrlConfiguration': {'Enabled': True, 'ExpirationInDays': 7, 'S3BucketName': 'pca-crls'}},
)['CertificateAuthorityArn']
ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(key.public_key())
      .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
      .sign(key, hashes.SHA256()))
pem = ca.public_bytes(serialization.Encoding.PEM)
pca.import_certificate_authority_certificate(CertificateAuthorityArn=arn, Certificate=pem)
open(out + '/ca.pem', 'wb').write(pem)
def client(issuer, issuer_key, serial, file):
    k = ec.generate_private_key(ec.SECP256R1())
    c = (x509.CertificateBuilder().subject_name(name('client %x' % serial)).issuer_name(issuer)
         .public_key(k.public_key()).serial_number(serial).not_valid_before(now)
         .not_valid_after(now + datetime.timedelta(days=365))
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
         .sign(issuer_key, hashes.SHA256()))
    open(out + '/' + file, 'wb').write(c.public_bytes(serialization.Encoding.PEM))
client(ca_name, key, 0x0a1b2c3d, 'client.pem')
other = ec.generate_private_key(ec.SECP256R1())
client(name('another CA'), other, 0x77, 'other.pem')
client(ca_name, other, 0x78, 'impostor.pem')
print(arn)
"#;
    let key = fixture("keys/ca.p256.key.pem");
    let o = Command::new(python)
        .args(["-c", script, &s3_endpoint(), key.to_str().unwrap(), dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).trim().to_owned()
}

/// The `RevokeCertificate` calls moto recorded: (CA ARN, serial, reason). Python reads the
/// recording (moto keeps request bodies base64-encoded).
fn recorded_revocations() -> Vec<(String, String, String)> {
    let python = std::env::var("CRLKIT_TEST_PYTHON").expect("CRLKIT_TEST_PYTHON: run with `cargo xtask test`");
    let script = r#"
import base64, json, sys, urllib.request
out = []
for line in urllib.request.urlopen(sys.argv[1] + '/moto-api/recorder/download-recording'):
    if not line.strip():
        continue
    e = json.loads(line)
    if e['headers'].get('X-Amz-Target') != 'ACMPrivateCA.RevokeCertificate':
        continue
    body = base64.b64decode(e['body']) if e.get('body_encoded') else e['body'].encode()
    b = json.loads(body)
    out.append([b['CertificateAuthorityArn'], b['CertificateSerial'], b['RevocationReason']])
print(json.dumps(out))
"#;
    let o = Command::new(python).args(["-c", script, &s3_endpoint()]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn revoke_by_serial_in_every_form_by_certificate_and_from_a_file() {
    let dir = tempdir("pca-revoke");
    let arn = private_ca(&dir);
    let endpoint = s3_endpoint();
    let serials = dir.join("serials.txt");
    let many: Vec<String> = (1..=1000u32).map(|i| format!("{:06x}", 0x100000 + i)).collect();
    std::fs::write(&serials, format!("# leavers\n{}\n\n", many.join("\n"))).unwrap();
    http(&endpoint, "POST", "/moto-api/recorder/reset-recording", b"");
    let (status, _) = http(&endpoint, "POST", "/moto-api/recorder/start-recording", b"");
    assert_eq!(status, 200);
    let (client, other, impostor, own) =
        (dir.join("client.pem"), dir.join("other.pem"), dir.join("impostor.pem"), dir.join("ca.pem"));
    // Through the emulator's Private CA front, which answers every 200th RevokeCertificate with
    // ThrottlingException, as AWS would under load: the SDK retries each.
    let front = std::env::var("CRLKIT_ELB_ENDPOINT").expect("CRLKIT_ELB_ENDPOINT: run with `cargo xtask test`");
    assert_eq!(http(&front, "POST", "/_pca", b"ThrottleEvery=200").0, 200);
    let mut a = vec!["revoke", "--ca-arn", &arn, "--reason", "keyCompromise", "--json", "--pca-endpoint-url", &front];
    // The same serial four ways (hex, colon, OpenSSL's `serial=` and its certificate): one call.
    a.extend(["--serial", "0x0A1B2C3D", "--serial", "0a:1b:2c:3d", "--serial", "serial=0A1B2C3D"]);
    a.extend(["--serial", "4660 (0x1234)", "--cert", client.to_str().unwrap()]);
    a.extend(["--cert", other.to_str().unwrap(), "--cert", impostor.to_str().unwrap()]);
    a.extend(["--cert", own.to_str().unwrap(), "--serials-file", serials.to_str().unwrap()]);
    let o = run(&a);
    http(&front, "POST", "/_pca", b"ThrottleEvery=0");
    http(&endpoint, "POST", "/moto-api/recorder/stop-recording", b"");
    // Refusals (another CA, the CA's own certificate): exit 1, the rest revoked.
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let results: Vec<(&str, &str)> = v["serials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["serial"].as_str().unwrap(), s["result"].as_str().unwrap()))
        .collect();
    assert_eq!(results.len(), 1005, "{v}");
    // In the order given: --serial, then --serials-file, then --cert.
    assert_eq!(results[..3], [("0a:1b:2c:3d", "revoked"), ("12:34", "revoked"), ("10:00:01", "revoked")]);
    assert!(results[2..1002].iter().all(|(_, r)| *r == "revoked"));
    assert_eq!(results[1002..], [("77", "refused"), ("78", "refused"), ("01", "refused")]);
    assert_eq!(v["serials"][0]["from"].as_array().unwrap().len(), 4, "given four ways: {}", v["serials"][0]);
    assert_eq!(v["serials"][1002]["refusal"], "other-ca");
    assert_eq!(v["serials"][1003]["refusal"], "other-ca", "same name, another key: {}", v["serials"][1003]);
    assert_eq!(v["serials"][1004]["refusal"], "ca-certificate");
    assert_eq!(v["reason"], "KEY_COMPROMISE");
    // What moto received: every serial once, in colon hex, none of the refused ones.
    let sent = recorded_revocations();
    assert_eq!(sent.len(), 1002, "one call per serial revoked");
    assert!(sent.iter().all(|(a, _, r)| *a == arn && r == "KEY_COMPROMISE"));
    assert_eq!((sent[0].1.as_str(), sent[1].1.as_str(), sent[2].1.as_str()), ("0a:1b:2c:3d", "12:34", "10:00:01"));
    assert!(!sent.iter().any(|(_, s, _)| s == "77" || s == "78" || s == "01"), "refused: nothing sent");
    // The front saw 1,002 revocations go through and five throttled on the way (each retried).
    let (_, log) = http(&front, "POST", "/_pca_calls", b"");
    let log = String::from_utf8(log).unwrap();
    let ours: Vec<&str> = log.lines().filter(|l| l.starts_with(&format!("{arn} "))).collect();
    assert_eq!(ours.iter().filter(|l| l.ends_with(" throttled")).count(), 5, "{log}");
    assert_eq!(ours.iter().filter(|l| l.ends_with(" revoked")).count(), 1002, "{log}");
    // Revoked again: Private CA answers RequestAlreadyProcessedException, an answer (exit 0).
    let o = run(&[
        "revoke",
        "--ca-arn",
        &arn,
        "--reason",
        "SUPERSEDED",
        "--cert",
        client.to_str().unwrap(),
        "--serial",
        "0x100001",
        "--json",
        "--pca-endpoint-url",
        &front,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let results: Vec<&str> = v["serials"].as_array().unwrap().iter().map(|s| s["result"].as_str().unwrap()).collect();
    assert_eq!(results, ["already-revoked", "already-revoked"], "{v}");
}

#[test]
fn revoke_refusals_plans_and_failures() {
    let dir = tempdir("pca-revoke-plan");
    // --plan: the aws CLI commands, no credentials, nothing sent.
    let arn = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f1e2d3c-aaaa-bbbb-cccc-123456789abc";
    let o = Command::new(env!("CARGO_BIN_EXE_crlkit"))
        .args(["revoke", "--ca-arn", arn, "--serial", "0a1b", "--reason", "superseded", "--plan"])
        .env_clear()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!(
            "aws acm-pca revoke-certificate --certificate-authority-arn {arn} --certificate-serial 0a:1b \
             --revocation-reason SUPERSEDED --region eu-west-1"
        )),
        "{}",
        stdout(&o)
    );
    // A CA moto does not have: a failure that stops the run, the rest listed as not sent.
    let missing = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/00000000-0000-0000-0000-000000000000";
    let o = run(&["revoke", "--ca-arn", missing, "--serial", "01", "--serial", "02", "--reason", "SUPERSEDED"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("error[ca-not-found]"), "{}", stderr(&o));
    assert!(stdout(&o).contains("02 (--serial 02): NOT SENT"), "{}", stdout(&o));
    // Bad input refused before anything: a reason Private CA lacks, a serial that is no number.
    let o = run(&["revoke", "--ca-arn", missing, "--serial", "01", "--reason", "certificateHold"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("error[usage]") && stderr(&o).contains("does not"), "{}", stderr(&o));
    let file = dir.join("bad.txt");
    std::fs::write(&file, "0a\nnot-a-serial\n").unwrap();
    let o = run(&["revoke", "--ca-arn", missing, "--serials-file", file.to_str().unwrap(), "--reason", "UNSPECIFIED"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.txt:2"), "{}", stderr(&o));
}
