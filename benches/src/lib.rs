//! Shared helpers for crlkit's benchmarks: the workload definitions that the criterion benches
//! (`benches/crl.rs`) and the in-process peer comparison (`src/bin/inproc.rs`, run by
//! `cargo xtask bench`) both measure, so the two always time the same work.
//!
//! Not a library for users: `publish = false`.

use std::path::Path;

use crlkit_der::CrlRef;

/// A checksum over what was read, so the optimiser cannot drop the work.
pub type Sink = u64;

/// Fold one entry's serial and date into the checksum (what "reading an entry" means here).
#[inline]
fn read_entry(sum: Sink, e: &crlkit_der::RevokedCertRef<'_>) -> Sink {
    sum.wrapping_add(e.serial().der_content().len() as u64).wrapping_add(e.revocation_date().unix() as u64)
}

/// crlkit: parse, validate every entry (in parallel when the pool has threads), and read every
/// entry's serial and revocation date.
pub fn crlkit_parse_validate_iterate(der: &[u8]) -> Sink {
    let crl = CrlRef::from_der(der).expect("valid CRL");
    let stats = crl.validate().expect("valid entries");
    let mut sum = stats.count;
    for e in crl.entries() {
        sum = read_entry(sum, &e.expect("validated"));
    }
    sum
}

/// crlkit, one pass: iterate every entry once (each is fully validated as it is parsed) and
/// read serial and date. This is the same work as webpki's iteration.
pub fn crlkit_iterate(der: &[u8]) -> Sink {
    let crl = CrlRef::from_der(der).expect("valid CRL");
    let mut sum = 0u64;
    for e in crl.entries() {
        sum = read_entry(sum, &e.expect("valid entry"));
    }
    sum
}

/// crlkit, one pass over entry chunks in parallel (rayon): parse, validate and read every entry.
pub fn crlkit_iterate_parallel(der: &[u8]) -> Sink {
    use rayon::prelude::*;
    let crl = CrlRef::from_der(der).expect("valid CRL");
    let chunks = crl.entry_chunks(1 << 20);
    chunks
        .par_iter()
        .map(|c| c.entries().fold(0, |sum, e| read_entry(sum, &e.expect("valid entry"))))
        .reduce(|| 0, u64::wrapping_add)
}

/// rustls-webpki: `BorrowedCertRevocationList::from_der` and iterate every entry, reading
/// serial and date (webpki validates each entry as it iterates).
pub fn webpki_iterate(der: &[u8]) -> Sink {
    let crl = webpki::BorrowedCertRevocationList::from_der(der).expect("webpki accepts the CRL");
    let mut sum = 0u64;
    for e in &crl {
        let e = e.expect("webpki accepts the entry");
        sum = sum.wrapping_add(e.serial_number.len() as u64).wrapping_add(e.revocation_date.as_secs());
    }
    sum
}

/// Decode a PEM text (every block), as `crlkit` does before parsing a PEM input.
pub fn pem_decode(pem: &[u8]) -> Sink {
    crlkit_der::pem::decode_all(pem).expect("valid PEM").iter().map(|b| b.der.len() as u64).sum()
}

/// A synthetic CRL of `count` entries signed by the committed P-256 fixture key, in memory.
pub fn synthetic_crl(workspace_root: &Path, count: u64) -> Vec<u8> {
    let key_pem = std::fs::read_to_string(workspace_root.join("fixtures/keys/ca.p256.key.pem")).expect("fixture key");
    let key = crlkit_sign::CaKey::from_pkcs8_pem(&key_pem).expect("valid key");
    let ca = crlkit_sign::self_signed_ca(&key, "crlkit bench CA", 1_735_689_600, 2_051_222_400);
    let params = crlkit_sign::CrlParams::for_ca(&ca, 1_793_491_200, Some(1_794_096_000), count);
    let entries = crlkit_sign::Synthetic { seed: count, count, newest: 1_793_491_200 };
    let mut der = Vec::new();
    crlkit_sign::write_crl(&mut der, &params, &key, || entries.iter()).expect("in memory");
    der
}

/// The workspace root, from this crate's manifest directory.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("benches/ is in the workspace")
}
