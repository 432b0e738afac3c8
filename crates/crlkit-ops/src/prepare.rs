//! The one pipeline that makes a CRL ready for ELB: validate and verify side by side
//! ([`check`]), judge it against ELB's rules ([`findings`]), and encode the PEM with the facts
//! stored beside it ([`PreparedCrl::new`]). The binary runs the first two steps on the inputs it
//! maps (with its own error reporting); [`prepare_bytes`] runs all three on bytes read from a
//! store (`sync`, a Lambda handler).

use bytes::Bytes;
use crlkit_der::{CrlRef, EntryStats};
use crlkit_elb::partition::Partition;
use crlkit_elb::preflight::{self, Finding, Severity, Subject};
use crlkit_elb::{ElbError, ElbErrorKind};
use crlkit_upload::CrlFacts;
use crlkit_verify::{CaBundle, Verification};

/// One CRL, validated, and verified when a bundle was given.
pub struct Checked<'a> {
    /// The parsed CRL.
    pub crl: CrlRef<'a>,
    /// Its validated entry counts.
    pub stats: EntryStats,
    /// The verification against the bundle, with the entry counts added.
    pub verification: Option<Verification>,
    /// BER length fields the caller re-encoded to DER (`--lenient`), for preflight to report.
    pub ber_rewrites: u64,
}

/// Validate every entry of `crl` and, with a bundle, verify it at `at`: the two run side by
/// side (the signature check hashes the whole tbsCertList while the entries are validated).
pub fn check<'a>(crl: CrlRef<'a>, bundle: Option<&CaBundle>, at: i64) -> Result<Checked<'a>, crlkit_der::Error> {
    let (stats, verification) =
        rayon::join(|| crl.validate(), || bundle.map(|b| crlkit_verify::verify(&crl, None, b, at)));
    let stats = stats?;
    let verification = verification.map(|mut v| {
        v.add_entry_stats(&stats);
        v
    });
    Ok(Checked { crl, stats, verification, ber_rewrites: 0 })
}

/// Preflight's findings on the checked CRLs of one input: `(Some(index), finding)` for a CRL,
/// `(None, finding)` for the input as a whole (several CRLs in one file) or the bundle.
pub fn findings(
    crls: &[Checked<'_>],
    input_was_der: bool,
    bundle: Option<&CaBundle>,
    opts: &preflight::Options,
) -> Vec<(Option<usize>, Finding)> {
    let mut out: Vec<(Option<usize>, Finding)> =
        preflight::check_file(crls.len()).into_iter().map(|f| (None, f)).collect();
    for (i, checked) in crls.iter().enumerate() {
        let mut subject = Subject::new(&checked.crl, checked.stats, input_was_der);
        subject.ber_rewrites = checked.ber_rewrites;
        out.extend(
            preflight::check_crl(&subject, checked.verification.as_ref(), opts).into_iter().map(|f| (Some(i), f)),
        );
    }
    if let Some(b) = bundle {
        out.extend(preflight::check_bundle(b, opts.at).into_iter().map(|f| (None, f)));
    }
    out
}

/// A CRL made ready for ELB: the PEM that will be stored, the facts stored beside it, what
/// preflight found, and what the partitioned-set checks need.
#[derive(Clone, Debug)]
pub struct PreparedCrl {
    /// Where it came from (a file name, an object URL), for messages.
    pub source: String,
    /// What will be stored: byte-identical to `openssl crl -outform PEM`.
    pub pem: Bytes,
    /// Facts of `pem` (issuer, AKI, CRL number, dates, entries, SHA-256).
    pub facts: CrlFacts,
    /// Preflight's findings, the verification against the bundle included.
    pub findings: Vec<Finding>,
    /// The CRL as one partition of a set (serials kept only when it has an IDP).
    pub partition: Partition,
}

impl PreparedCrl {
    /// Encode `checked` as PEM and take its facts; `findings` are preflight's on it.
    pub fn new(source: impl Into<String>, checked: &Checked<'_>, findings: Vec<Finding>) -> Self {
        let source = source.into();
        let pem = Bytes::from(crlkit_der::pem::encode(checked.crl.der()));
        let facts = CrlFacts::new(&checked.crl, checked.stats.count, &pem);
        let partition = Partition::new(source.clone(), &checked.crl, checked.stats.count, true);
        Self { source, pem, facts, findings, partition }
    }

    /// The blocking findings: any refuses the CRL.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Blocking)
    }

    /// True when preflight found nothing blocking.
    pub fn is_ready(&self) -> bool {
        self.blocking().next().is_none()
    }
}

/// The whole pipeline on `bytes` (one CRL, DER or PEM) read from `source`: an input that is
/// not exactly one valid CRL is an `ElbErrorKind::Source` error naming `source`.
pub fn prepare_bytes(
    bytes: &[u8],
    source: &str,
    bundle: Option<&CaBundle>,
    opts: &preflight::Options,
) -> Result<PreparedCrl, ElbError> {
    let bad = |why: String| ElbError::new(ElbErrorKind::Source, format!("{source}: {why}"));
    let is_pem = crlkit_der::pem::looks_like_pem(bytes);
    let decoded;
    let der: &[u8] = if is_pem {
        let (blocks, _) = crlkit_der::pem::decode_crls(bytes).map_err(|e| bad(e.to_string()))?;
        if blocks.len() != 1 {
            return Err(bad(format!("{} CRLs in one file; one object holds one CRL", blocks.len())));
        }
        decoded = blocks.into_iter().next().map(|b| b.der).unwrap_or_default();
        &decoded
    } else {
        bytes
    };
    let crl = CrlRef::from_der(der).map_err(|e| bad(e.to_string()))?;
    let checked = check(crl, bundle, opts.at).map_err(|e| bad(e.to_string()))?;
    let findings = findings(std::slice::from_ref(&checked), !is_pem, bundle, opts);
    Ok(PreparedCrl::new(source, &checked, findings.into_iter().map(|(_, f)| f).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let dir = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
        std::fs::read(dir.join("../../fixtures").join(name)).unwrap()
    }

    #[test]
    fn der_and_pem_prepare_alike() {
        let der = fixture("crl.p256.1k.der");
        let at = crlkit_der::Time::from_rfc3339("2026-11-02T00:00:00Z").unwrap().unix();
        let opts = preflight::Options::at(at);
        let from_der = prepare_bytes(&der, "a.crl", None, &opts).unwrap();
        assert_eq!(from_der.pem, crlkit_der::pem::encode(&der));
        assert_eq!(from_der.facts.entries, 1000);
        assert!(from_der.findings.iter().any(|f| f.code == "format"), "DER input is noted");
        let from_pem = prepare_bytes(&from_der.pem, "a.pem", None, &opts).unwrap();
        assert!(from_pem.is_ready() && !from_pem.findings.iter().any(|f| f.code == "format"));
        assert_eq!((from_pem.pem, from_pem.facts), (from_der.pem, from_der.facts));
        let pem = crlkit_der::pem::encode(&der);
        let two = [&pem[..], &pem[..]].concat();
        let e = prepare_bytes(&two, "x", None, &opts).unwrap_err();
        assert_eq!(e.kind(), ElbErrorKind::Source, "{e}");
        let e = prepare_bytes(&der[..der.len() - 1], "cut.crl", None, &opts).unwrap_err();
        assert!(e.to_string().contains("cut.crl"), "{e}");
    }
}
