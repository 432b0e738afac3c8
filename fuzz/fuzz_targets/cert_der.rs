//! Certificates, names and algorithm identifiers (CA bundles): never panic.
#![no_main]

use crlkit_der::{AlgorithmIdentifierRef, CertificateRef, NameRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = CertificateRef::from_der(data) {
        let _ = (c.subject().rfc4514(), c.issuer().rfc4514(), c.serial().to_hex());
        let _ = c.subject().attributes().map(|a| a.text()).count();
        let spki = c.public_key_info();
        let _ = (spki.rsa_modulus_bits(), spki.algorithm().named_curve(), c.key_usage().map(|k| k.names()));
        let _ = c.extensions().count();
    }
    let mut rest = data;
    while let Ok((_, after)) = CertificateRef::from_der_prefix(rest) {
        if after.len() == rest.len() {
            break;
        }
        rest = after;
    }
    if let Ok(n) = NameRef::from_der(data) {
        let _ = n.rfc4514();
    }
    if let Ok(a) = AlgorithmIdentifierRef::from_der(data) {
        let _ = (a.rsa_pss_params(), a.named_curve(), a.name());
    }
});
