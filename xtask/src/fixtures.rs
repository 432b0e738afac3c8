//! `cargo xtask gen-fixtures`: every committed fixture under `fixtures/`, generated
//! deterministically from the committed test keys, plus large CRLs on demand.
//!
//! Each malformed fixture is built here from a valid one by one documented change, so its
//! source is this file; the tests that use them assert one exact error each.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use crlkit_sign::{CaCert, CaKey, CrlParams, EntrySpec, GenParams, SigAlg, Synthetic, self_signed_ca, write_crl};

/// 2026-11-01T00:00:00Z: thisUpdate of every fixture.
pub const THIS_UPDATE: i64 = 1_793_491_200;
/// Seven days later: nextUpdate.
pub const NEXT_UPDATE: i64 = THIS_UPDATE + 7 * 86_400;
const CA_NOT_BEFORE: i64 = 1_735_689_600; // 2025-01-01
const CA_NOT_AFTER: i64 = 2_051_222_400; // 2035-01-01

/// Sizes of the large, git-ignored fixtures (`fixtures/large/`).
pub const LARGE_SIZES: &[(u64, &str)] = &[(1_000_000, "1m"), (5_000_000, "5m")];

pub struct Cas {
    pub p256_key: CaKey,
    pub p256: CaCert,
    pub rsa_key: CaKey,
    pub rsa: CaCert,
    pub p384: CaCert,
    pub ed25519: CaCert,
}

pub fn load_cas(root: &Path) -> Result<Cas> {
    let read = |name: &str| -> Result<CaKey> {
        let path = root.join("fixtures/keys").join(name);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        CaKey::from_pkcs8_pem(&text).with_context(|| format!("loading {}", path.display()))
    };
    let p256_key = read("ca.p256.key.pem")?;
    let rsa_key = read("ca.rsa2048.key.pem")?;
    let p384_key = read("ca.p384.key.pem")?;
    let ed25519_key = read("ca.ed25519.key.pem")?;
    let p256 = self_signed_ca(&p256_key, "crlkit test CA P-256", CA_NOT_BEFORE, CA_NOT_AFTER);
    let rsa = self_signed_ca(&rsa_key, "crlkit test CA RSA-2048", CA_NOT_BEFORE, CA_NOT_AFTER);
    let p384 = self_signed_ca(&p384_key, "crlkit test CA P-384", CA_NOT_BEFORE, CA_NOT_AFTER);
    let ed25519 = self_signed_ca(&ed25519_key, "crlkit test CA Ed25519", CA_NOT_BEFORE, CA_NOT_AFTER);
    Ok(Cas { p256_key, p256, rsa_key, rsa, p384, ed25519 })
}

/// A committed test key, signing with `alg`.
fn key_with(root: &Path, file: &str, alg: SigAlg) -> Result<CaKey> {
    let text = std::fs::read_to_string(root.join("fixtures/keys").join(file))?;
    Ok(CaKey::from_pkcs8_pem(&text)?.with_algorithm(alg)?)
}

fn crl(ca: &CaCert, key: &CaKey, number: u64, entries: &[EntrySpec]) -> Vec<u8> {
    let params = CrlParams::for_ca(ca, THIS_UPDATE, Some(NEXT_UPDATE), number);
    let mut out = Vec::new();
    write_crl(&mut out, &params, key, || entries.iter().copied()).expect("writing to memory");
    out
}

fn synthetic(seed: u64, count: u64) -> Vec<EntrySpec> {
    Synthetic { seed, count, newest: THIS_UPDATE }.iter().collect()
}

/// Every committed fixture: (file name, bytes).
pub fn committed(root: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let cas = load_cas(root)?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>| files.push((name.to_owned(), bytes));

    add("ca.p256.pem", cas.p256.pem().into_bytes());
    add("ca.rsa2048.pem", cas.rsa.pem().into_bytes());
    add("ca.p384.pem", cas.p384.pem().into_bytes());
    add("ca.ed25519.pem", cas.ed25519.pem().into_bytes());
    // A bundle as people keep them: explanatory text between the certificates.
    let mut bundle = String::from("# crlkit test CAs (fixtures only)\n");
    for (label, cert) in [("P-256", &cas.p256), ("RSA-2048", &cas.rsa), ("P-384", &cas.p384), ("Ed25519", &cas.ed25519)]
    {
        bundle.push_str(&format!("\nsubject: crlkit test CA {label}\n"));
        bundle.push_str(&cert.pem());
    }
    add("ca.bundle.pem", bundle.into_bytes());

    // One small CRL per signature algorithm, for the verifier.
    let alg_entries = synthetic(6, 5);
    for (name, ca, key_file, alg) in [
        ("ecdsa-p256-sha256", &cas.p256, "ca.p256.key.pem", SigAlg::EcdsaSha256),
        ("ecdsa-p256-sha384", &cas.p256, "ca.p256.key.pem", SigAlg::EcdsaSha384),
        ("ecdsa-p384-sha384", &cas.p384, "ca.p384.key.pem", SigAlg::EcdsaSha384),
        ("rsa-pkcs1-sha256", &cas.rsa, "ca.rsa2048.key.pem", SigAlg::RsaPkcs1Sha256),
        ("rsa-pkcs1-sha384", &cas.rsa, "ca.rsa2048.key.pem", SigAlg::RsaPkcs1Sha384),
        ("rsa-pkcs1-sha512", &cas.rsa, "ca.rsa2048.key.pem", SigAlg::RsaPkcs1Sha512),
        ("rsa-pss-sha256", &cas.rsa, "ca.rsa2048.key.pem", SigAlg::RsaPssSha256),
        ("rsa-pss-sha384", &cas.rsa, "ca.rsa2048.key.pem", SigAlg::RsaPssSha384),
        ("rsa-pss-sha512", &cas.rsa, "ca.rsa2048.key.pem", SigAlg::RsaPssSha512),
        ("ed25519", &cas.ed25519, "ca.ed25519.key.pem", SigAlg::Ed25519),
    ] {
        add(&format!("crl.alg.{name}.der"), crl(ca, &key_with(root, key_file, alg)?, 10, &alg_entries));
    }

    let small_entries = synthetic(1, 10);
    let small = crl(&cas.p256, &cas.p256_key, 1, &small_entries);
    add("crl.p256.small.pem", crlkit_der::pem::encode(&small));
    add("crl.p256.small.der", small.clone());
    add("crl.p256.1k.der", crl(&cas.p256, &cas.p256_key, 2, &synthetic(2, 1000)));
    add("crl.rsa2048.1k.der", crl(&cas.rsa, &cas.rsa_key, 3, &synthetic(3, 1000)));
    add("crl.p256.empty.der", crl(&cas.p256, &cas.p256_key, 4, &[]));

    // Edge serials: zero, small, sign-bit, 20 octets with the top bit set, and a negative one.
    let t = THIS_UPDATE - 3600;
    let mut top20 = vec![0x00];
    top20.extend([0xc3; 20]);
    let edge = [
        EntrySpec::new(&[0x00], t, None, None),
        EntrySpec::new(&[0x01], t, Some(1), None),
        EntrySpec::new(&[0x7f], t, None, None),
        EntrySpec::new(&[0x00, 0x80], t, Some(4), Some(t - 86_400)),
        EntrySpec::new(&[0x00, 0xff], t, None, None),
        EntrySpec::new(&top20, t, Some(10), None),
        EntrySpec::new(&[0xfe, 0xdc], t, Some(5), None),
    ];
    add("crl.p256.edge-serials.der", crl(&cas.p256, &cas.p256_key, 5, &edge));

    add("alb.connections.log", alb_connection_log(t).into_bytes());

    // ---- malformed: one defect each, built from crl.p256.small.der ----
    // A byte after the CRL.
    let mut v = small.clone();
    v.push(0x00);
    add("crl.bad.trailing-byte.der", v);
    // Cut in the middle of entry 5.
    let crl_small = crlkit_der::CrlRef::from_der(&small).expect("valid small fixture");
    let e5 = crl_small.entries().nth(5).expect("ten entries").expect("valid");
    add("crl.bad.truncated.der", small[..e5.offset() as usize + 10].to_vec());
    // Entry 3's revocationDate month set to 13 (the UTCTime digits YYMMDD…: bytes 2..4).
    let e3 = crl_small.entries().nth(3).expect("ten entries").expect("valid");
    let mut v = small.clone();
    let date_at = locate_time(&v, e3.offset() as usize);
    v[date_at + 2] = b'1';
    v[date_at + 3] = b'3';
    add("crl.bad.month-13.der", v);
    // A reasonCode of 7 (not defined by RFC 5280).
    let mut bad_reason = small_entries.clone();
    bad_reason[2].reason = Some(7);
    add("crl.bad.reason-7.der", crl(&cas.p256, &cas.p256_key, 1, &bad_reason));
    // A serial with a redundant leading zero octet.
    let mut non_minimal = small_entries.clone();
    non_minimal[4] = EntrySpec::new(&[0x00, 0x12, 0x34], t, None, None);
    add("crl.bad.non-minimal-serial.der", crl(&cas.p256, &cas.p256_key, 1, &non_minimal));
    // BER: the outer SEQUENCE's length in indefinite form (end-of-contents appended).
    add("crl.ber.indefinite-length.der", ber_indefinite_outer(&small));
    // BER: entry 0's length in a non-minimal long form.
    add("crl.ber.long-form-length.der", ber_long_form_entry(&small, &crl_small));
    Ok(files)
}

/// An ALB connection log against `crl.p256.edge-serials.der` (every entry revoked at
/// `revoked`), one line per case `scan-logs` must get right. Line numbers matter to the tests
/// (`crates/crlkit/tests/cli.rs`), so add new cases at the end.
fn alb_connection_log(revoked: i64) -> String {
    let time = |offset: i64| {
        let t = crlkit_der::Time::from_unix(revoked + offset).expect("in range").to_string();
        format!("{}.123456Z", &t[..19])
    };
    let (after, before) = (time(3600), time(-3600));
    let tls = "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 0.004";
    let validity = "NotBefore=2026-01-01T00:00:00Z;NotAfter=2027-01-01T00:00:00Z";
    let top20 = "C3".repeat(20);
    [
        // 1: serial 01 logged without its leading zero; succeeded after revocation: an alarm.
        format!("{after} 192.0.2.1 40001 443 {tls} \"CN=client one,O=Example\" {validity} 1 Success TID_1 x25519"),
        // 2: 7F in lowercase; succeeded before the revocation: fine.
        format!("{before} 192.0.2.2 40002 443 {tls} \"CN=client two\" {validity} 7f Success TID_2 x25519"),
        // 3: 80 refused by ELB: the CRL is enforced.
        format!("{after} 192.0.2.3 40003 443 {tls} \"CN=client three\" {validity} 80 Failed:ClientCertCrlHit TID_3 x25519"),
        // 4: 20 octets with the top bit set; a subject with spaces and escaped quotes; two
        //    fields from a future log version: an alarm.
        format!(
            "{after} 192.0.2.4 40004 443 {tls} \"CN=Jane \\\"JD\\\" Doe,O=Example Corp\" {validity} {top20} Success TID_4 x25519 newfield \"another new field\""
        ),
        // 5: a serial the CRL does not list.
        format!("{after} 192.0.2.5 40005 443 {tls} \"CN=client five\" {validity} FEF257372D5C14D4 Success TID_5 x25519"),
        // 6: no client certificate: `-` for subject, validity and serial.
        format!("{after} 192.0.2.6 40006 443 {tls} - - - Success TID_6 -"),
        // 7: cut short after listener_port: a bad line.
        format!("{after} 192.0.2.7 40007 443"),
        // 8: a quote never closed: a bad line.
        format!("{after} 192.0.2.8 40008 443 {tls} \"CN=unterminated {validity} 01 Success TID_8 x25519"),
        // 9: a serial that is not hex: a bad line.
        format!("{after} 192.0.2.9 40009 443 {tls} \"CN=client nine\" {validity} XYZ Success TID_9 x25519"),
        // 10: blank.
        String::new(),
        // 11: an older log without conn_trace_id and tls_keyexchange; FF with a leading 00.
        format!("{after} 192.0.2.11 40011 443 {tls} \"CN=client eleven\" {validity} 00FF Failed:ClientCertCrlHit"),
        // 12: CRLF line end; serial 01 again, another alarm.
        format!("{after} 192.0.2.12 40012 443 {tls} \"CN=client one,O=Example\" {validity} 01 Success TID_12 x25519\r"),
        // 13: another failure code, no certificate.
        format!("{after} 192.0.2.13 40013 443 {tls} - - - Failed:ClientCertCrlProcessingError TID_13 x25519"),
    ]
    .iter()
    .map(|l| format!("{l}\n"))
    .collect()
}

/// Offset of the revocationDate content of the entry at `entry_at`.
fn locate_time(der: &[u8], entry_at: usize) -> usize {
    // entry SEQUENCE header (2) + INTEGER header (2) + serial + Time header (2)
    let serial_len = usize::from(der[entry_at + 3]);
    entry_at + 2 + 2 + serial_len + 2
}

/// Re-encode the outer SEQUENCE with an indefinite length: `30 80 … 00 00`.
fn ber_indefinite_outer(der: &[u8]) -> Vec<u8> {
    let header_len = if der[1] < 0x80 { 2 } else { 2 + usize::from(der[1] & 0x7f) };
    let mut v = vec![0x30, 0x80];
    v.extend_from_slice(&der[header_len..]);
    v.extend_from_slice(&[0x00, 0x00]);
    v
}

/// Re-encode entry 0's short length `30 LL` as `30 81 LL`, fixing the enclosing lengths.
fn ber_long_form_entry(der: &[u8], crl: &crlkit_der::CrlRef<'_>) -> Vec<u8> {
    let e0 = crl.entries().next().expect("entries").expect("valid");
    let at = e0.offset() as usize;
    assert!(der[at + 1] < 0x80, "short-form entry length");
    // The three enclosing lengths (outer, tbs, revoked list) each grow by one byte; all three
    // are long-form already for this fixture, so rewriting their values keeps their sizes.
    let mut v = Vec::with_capacity(der.len() + 1);
    v.extend_from_slice(&der[..at + 1]);
    v.push(0x81);
    v.extend_from_slice(&der[at + 1..]);
    let (_, revoked_at) = crl.revoked_der();
    let revoked_header_at = revoked_at as usize - 4;
    assert_eq!(&der[revoked_header_at..revoked_header_at + 2], &[0x30, 0x82], "two-byte revoked list length");
    for start in [0, header_len_at(der, 0), revoked_header_at] {
        bump_length(&mut v, start);
    }
    v
}

fn header_len_at(der: &[u8], at: usize) -> usize {
    if der[at + 1] < 0x80 { 2 } else { 2 + usize::from(der[at + 1] & 0x7f) }
}

fn bump_length(der: &mut [u8], at: usize) {
    let n = usize::from(der[at + 1] & 0x7f);
    assert!(der[at + 1] & 0x80 != 0, "long-form length at {at}");
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | usize::from(der[at + 2 + i]);
    }
    len += 1;
    for i in (0..n).rev() {
        der[at + 2 + i] = (len & 0xff) as u8;
        len >>= 8;
    }
}

/// Write (or, with `check`, compare) every committed fixture.
pub fn generate(root: &Path, check: bool) -> Result<()> {
    let dir = root.join("fixtures");
    let mut stale = Vec::new();
    for (name, bytes) in committed(root)? {
        let path = dir.join(&name);
        let current = std::fs::read(&path).ok();
        if current.as_deref() == Some(bytes.as_slice()) {
            continue;
        }
        if check {
            stale.push(name);
        } else {
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if !stale.is_empty() {
        bail!("fixtures out of date: {}; run `cargo xtask gen-fixtures`", stale.join(", "));
    }
    Ok(())
}

/// Path of a large fixture, generating it if missing. ECDSA P-256, like the PERFORMANCE.md peer.
pub fn large(root: &Path, count: u64, label: &str) -> Result<PathBuf> {
    let dir = root.join("fixtures/large");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("crl.p256.{label}.der"));
    if path.exists() {
        return Ok(path);
    }
    let cas = load_cas(root)?;
    let started = std::time::Instant::now();
    // The same code as `crlkit gen --ca-cert fixtures/ca.p256.pem --ca-key … --reasons`.
    let params = GenParams {
        entries: count,
        seed: count,
        this_update: THIS_UPDATE,
        next_update: Some(NEXT_UPDATE),
        crl_number: 100 + count,
        reasons: true,
        issuing_distribution_point: None,
    };
    let tmp = path.with_extension("der.tmp");
    let file = std::fs::File::create(&tmp)?;
    let size = crlkit_sign::generate(file, &params, &cas.p256, &cas.p256_key)?;
    std::fs::rename(&tmp, &path)?;
    println!("generated {} ({count} entries, {size} bytes) in {:.2?}", path.display(), started.elapsed());
    Ok(path)
}

/// Every how many entries the `-next` CRL replaces one (1 in 200 removed and 1 in 200 added:
/// 1% of the entries differ).
const NEXT_EVERY: u64 = 200;

/// (added, removed) between `crl.p256.{label}.der` and `crl.p256.{label}-next.der`.
pub fn large_next_changes(count: u64) -> (u64, u64) {
    let replaced = count.div_ceil(NEXT_EVERY);
    (replaced, replaced)
}

/// The successor of a large fixture, for `diff`: CRL number + 1, the same entries except
/// that every 200th is replaced by a new one.
pub fn large_next(root: &Path, count: u64, label: &str) -> Result<PathBuf> {
    let path = root.join("fixtures/large").join(format!("crl.p256.{label}-next.der"));
    if path.exists() {
        return Ok(path);
    }
    large(root, count, label)?;
    let cas = load_cas(root)?;
    let params = CrlParams::for_ca(&cas.p256, THIS_UPDATE + 86_400, Some(NEXT_UPDATE + 86_400), 101 + count);
    let tmp = path.with_extension("der.tmp");
    let old = Synthetic { seed: count, count, newest: THIS_UPDATE };
    let new = Synthetic { seed: count ^ 0x5eed, count, newest: THIS_UPDATE + 86_400 };
    let entries = || {
        old.iter()
            .zip(new.iter())
            .enumerate()
            .map(|(i, (o, n))| if (i as u64).is_multiple_of(NEXT_EVERY) { n } else { o })
    };
    let size = write_crl(std::fs::File::create(&tmp)?, &params, &cas.p256_key, entries)?;
    std::fs::rename(&tmp, &path)?;
    println!("generated {} ({count} entries, {size} bytes)", path.display());
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_fixtures_are_up_to_date() {
        let root = crate::workspace_root();
        if let Err(e) = generate(&root, true) {
            panic!("{e:#}");
        }
    }

    #[test]
    fn malformed_fixtures_fail_as_intended() {
        use crlkit_der::{CrlRef, ErrorKind};
        let root = crate::workspace_root();
        let files = committed(&root).unwrap();
        let get = |n: &str| files.iter().find(|(name, _)| name == n).map(|(_, b)| b.clone()).unwrap();
        let first_error = |b: &[u8]| -> ErrorKind {
            match CrlRef::from_der(b) {
                Err(e) => e.kind(),
                Ok(c) => c.validate().unwrap_err().kind(),
            }
        };
        assert_eq!(first_error(&get("crl.bad.trailing-byte.der")), ErrorKind::TrailingData);
        assert_eq!(first_error(&get("crl.bad.truncated.der")), ErrorKind::Truncated);
        assert_eq!(first_error(&get("crl.bad.month-13.der")), ErrorKind::TimeOutOfRange);
        assert_eq!(first_error(&get("crl.bad.reason-7.der")), ErrorKind::InvalidReasonCode { code: 7 });
        assert_eq!(first_error(&get("crl.bad.non-minimal-serial.der")), ErrorKind::NonMinimalInteger);
        assert_eq!(first_error(&get("crl.ber.indefinite-length.der")), ErrorKind::IndefiniteLength);
        assert_eq!(first_error(&get("crl.ber.long-form-length.der")), ErrorKind::NonMinimalLength);
        // Both BER fixtures normalise back to the original DER.
        let small = get("crl.p256.small.der");
        for n in ["crl.ber.indefinite-length.der", "crl.ber.long-form-length.der"] {
            assert_eq!(crlkit_der::ber::normalize(&get(n)).unwrap().der, small, "{n}");
        }
    }
}
