//! Certificates as commands read them: CA bundles (`--ca`, `--ca-cert`), whose errors carry the
//! same location line and hex excerpt as errors in CRL files, and the codes and forms used when
//! reporting certificates.

use std::path::Path;

use crlkit_der::Excerpt;
use crlkit_serial::certs::{CertError, ReadError};
use crlkit_verify::{BundleError, CaBundle};

use crate::support::failure::{Failure, Place};

/// The stable error code of a certificate that could not be read.
pub fn cert_error_code(e: &CertError) -> &'static str {
    match &e.error {
        ReadError::Io(_) => "io",
        ReadError::Der(d) => d.kind().code(),
        ReadError::NotCertificate => "not-a-certificate",
    }
}

/// Uppercase hex without separators (key identifiers in text and JSON).
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// A bundle error in file `name` (whose bytes are `bytes`) as a failure with its place.
fn bundle_failure(name: &str, bytes: &[u8], e: &BundleError) -> Failure {
    match e {
        BundleError::Pem(err) => {
            Failure::parse(name, err, Some(&Excerpt::around(bytes, 0, err.offset(), true)), Place::Byte)
        }
        BundleError::Certificate { position, block, start, error } => {
            // The DER the offset counts in: the decoded PEM block, or the file from the
            // certificate's start.
            let der = match block {
                Some(b) => crlkit_der::pem::blocks(bytes).nth(*b).and_then(Result::ok).map(|blk| blk.der),
                None => Some(bytes.get(*start as usize..).unwrap_or_default().to_vec()),
            };
            let excerpt = der.map(|d| Excerpt::around(&d, 0, error.offset(), true));
            let place = Place::Certificate { position: *position, block: *block };
            let mut f = Failure::parse(name, error, excerpt.as_ref(), place);
            f.message = format!("{name}: certificate {position}: {error}");
            f
        }
        BundleError::Empty => Failure::new("bad-bundle", format!("{name}: no certificate found")),
        _ => Failure::new("bad-bundle", format!("{name}: {e}")),
    }
}

/// Load a CA bundle file (PEM with any number of certificates, or DER). Read, not mapped: a
/// bundle is small, and a copy cannot change while it is parsed.
pub fn load_bundle(path: &Path) -> Result<CaBundle, Failure> {
    let name = path.display().to_string();
    if path.is_dir() {
        return Err(Failure::new("io", format!("{name} is a directory, not a file")));
    }
    let bytes = std::fs::read(path).map_err(|e| Failure::io(format!("reading {name}"), &e))?;
    CaBundle::from_bytes(&bytes).map_err(|e| bundle_failure(&name, &bytes, &e))
}

/// The first certificate of a PEM or DER file, for a CA given by `--ca-cert`.
pub fn read_certificate(path: &Path) -> Result<Vec<u8>, Failure> {
    let bundle = load_bundle(path)?;
    Ok(bundle.certs()[0].der().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_errors_say_which_certificate_and_where() {
        let pem = std::fs::read(format!(
            "{}/../../fixtures/ca.p256.pem",
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let der = crlkit_der::pem::decode_all(&pem).unwrap().remove(0).der;
        let mut two = der.clone();
        two.extend_from_slice(&der[..60]);
        let e = CaBundle::from_bytes(&two).unwrap_err();
        let f = bundle_failure("ca.der", &two, &e);
        assert!(f.message.starts_with("ca.der: certificate 2: "), "{}", f.message);
        assert!(f.detail[0].starts_with("--> ca.der, certificate 2, byte "), "{:?}", f.detail);
        assert!(f.detail.iter().any(|l| l.contains("^^")), "an excerpt: {:?}", f.detail);
        // PEM: the block and the DER offset inside it.
        let mut text = b"-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n".to_vec();
        text.extend_from_slice(&pem);
        let e = CaBundle::from_bytes(&text).unwrap_err();
        let f = bundle_failure("b.pem", &text, &e);
        assert!(f.detail[0].starts_with("--> b.pem, certificate 1 (PEM block 1), DER byte "), "{:?}", f.detail);
    }
}
