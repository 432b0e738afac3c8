//! CA bundles: the certificates a trust store holds, from PEM (with or without text around
//! the blocks, other blocks skipped) or DER (one certificate, or several concatenated).

use std::fmt;

use crlkit_der::{CertificateRef, Error};

/// One certificate of a bundle, owned, with where it came from.
#[derive(Clone, Debug)]
pub struct BundleCert {
    der: Vec<u8>,
    /// 1-based position among the bundle's certificates.
    pub position: usize,
    /// The PEM label it had (`CERTIFICATE`, …), or `None` for DER input.
    pub label: Option<String>,
}

impl BundleCert {
    /// The certificate's DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Parse it (it was parsed once on load, so this cannot fail in practice).
    pub fn parse(&self) -> CertificateRef<'_> {
        CertificateRef::from_der(&self.der).expect("validated when the bundle was loaded")
    }
}

/// Why a bundle could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum BundleError {
    /// A PEM problem (the error's offset is in the text).
    Pem(Error),
    /// A certificate that does not parse: which one, where it is, and the error (its offset
    /// counts from the certificate's first DER byte).
    Certificate {
        /// 1-based position among the bundle's certificates.
        position: usize,
        /// The PEM block it came from (from 0, as `crlkit_der::pem::blocks` numbers them),
        /// or `None` for DER input.
        block: Option<usize>,
        /// For DER input, the byte offset of the certificate in the file (0 for PEM).
        start: u64,
        /// What is wrong.
        error: Error,
    },
    /// No certificate at all.
    Empty,
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Pem(e) => write!(f, "{e}"),
            BundleError::Certificate { position, error, .. } => write!(f, "certificate {position}: {error}"),
            BundleError::Empty => f.write_str("no certificate found"),
        }
    }
}

impl std::error::Error for BundleError {}

/// A set of CA certificates.
#[derive(Clone, Debug, Default)]
pub struct CaBundle {
    certs: Vec<BundleCert>,
    skipped: usize,
}

impl CaBundle {
    /// Read a bundle: PEM (detected by its BEGIN line) or DER.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BundleError> {
        let mut bundle = CaBundle::default();
        if crlkit_der::pem::looks_like_pem(bytes) {
            for block in crlkit_der::pem::decode_all(bytes).map_err(BundleError::Pem)? {
                if crlkit_der::pem::is_certificate_label(block.label) {
                    let index = block.index;
                    bundle.push(block.der, Some(block.label.to_owned()), Some(index))?;
                } else {
                    bundle.skipped += 1;
                }
            }
        } else {
            // One DER certificate, or several back to back.
            let mut rest = bytes;
            while !rest.is_empty() {
                let position = bundle.certs.len() + 1;
                let start = (bytes.len() - rest.len()) as u64;
                let (cert, after) = CertificateRef::from_der_prefix(rest)
                    .map_err(|error| BundleError::Certificate { position, block: None, start, error })?;
                bundle.certs.push(BundleCert { der: cert.der().to_vec(), position, label: None });
                rest = after;
            }
        }
        if bundle.certs.is_empty() {
            return Err(BundleError::Empty);
        }
        Ok(bundle)
    }

    fn push(&mut self, der: Vec<u8>, label: Option<String>, block: Option<usize>) -> Result<(), BundleError> {
        let position = self.certs.len() + 1;
        CertificateRef::from_der(&der).map_err(|error| BundleError::Certificate {
            position,
            block,
            start: 0,
            error,
        })?;
        self.certs.push(BundleCert { der, position, label });
        Ok(())
    }

    /// The certificates, in order.
    pub fn certs(&self) -> &[BundleCert] {
        &self.certs
    }

    /// PEM blocks that were not certificates (CRLs, keys in the same file).
    pub fn skipped_blocks(&self) -> usize {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../../fixtures/{name}",
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn pem_bundle_with_text() {
        let b = CaBundle::from_bytes(&fixture("ca.bundle.pem")).unwrap();
        assert_eq!(b.certs().len(), 4);
        assert_eq!(b.certs()[2].parse().subject().rfc4514(), "CN=crlkit test CA P-384,O=crlkit test");
    }

    #[test]
    fn der_one_and_concatenated() {
        let pem = fixture("ca.p256.pem");
        let der = crlkit_der::pem::decode_all(&pem).unwrap().remove(0).der;
        assert_eq!(CaBundle::from_bytes(&der).unwrap().certs().len(), 1);
        let two = [der.clone(), der.clone()].concat();
        assert_eq!(CaBundle::from_bytes(&two).unwrap().certs().len(), 2);
        let mut broken = der.clone();
        broken.truncate(100);
        assert!(matches!(CaBundle::from_bytes(&broken), Err(BundleError::Certificate { position: 1, start: 0, .. })));
        let mut second_broken = der.clone();
        second_broken.extend_from_slice(&der[..100]);
        assert!(matches!(
            CaBundle::from_bytes(&second_broken),
            Err(BundleError::Certificate { position: 2, block: None, start, .. }) if start == der.len() as u64
        ));
        assert!(matches!(
            CaBundle::from_bytes(b"-----BEGIN X509 CRL-----\nAA==\n-----END X509 CRL-----\n"),
            Err(BundleError::Empty)
        ));
    }
}
