//! Object identifiers the CRL profile names, as DER content octets, and their printable forms.

use core::fmt;

use crate::error::ExtensionId;

/// An OBJECT IDENTIFIER borrowed from the input (content octets, already validated).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OidRef<'a>(pub(crate) &'a [u8]);

impl<'a> OidRef<'a> {
    /// The DER content octets.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The well-known short name, if this crate knows one (`sha256WithRSAEncryption`, `CN`, …).
    pub fn name(&self) -> Option<&'static str> {
        KNOWN.iter().find(|(oid, _)| *oid == self.0).map(|(_, name)| *name)
    }
}

impl fmt::Display for OidRef<'_> {
    /// Dotted decimal, e.g. `2.5.29.20`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut acc: u128 = 0;
        for &b in self.0 {
            acc = (acc << 7) | u128::from(b & 0x7f);
            if b & 0x80 == 0 {
                if first {
                    let (a, b) = match acc {
                        0..=39 => (0, acc),
                        40..=79 => (1, acc - 40),
                        _ => (2, acc - 80),
                    };
                    write!(f, "{a}.{b}")?;
                    first = false;
                } else {
                    write!(f, ".{acc}")?;
                }
                acc = 0;
            }
            if acc > u128::MAX >> 8 {
                return f.write_str(".<overflow>");
            }
        }
        Ok(())
    }
}

impl fmt::Debug for OidRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OidRef({self})")
    }
}

/// Extension OIDs.
pub(crate) mod ext {
    pub const CRL_NUMBER: &[u8] = &[0x55, 0x1d, 0x14];
    pub const REASON_CODE: &[u8] = &[0x55, 0x1d, 0x15];
    pub const INVALIDITY_DATE: &[u8] = &[0x55, 0x1d, 0x18];
    pub const DELTA_CRL_INDICATOR: &[u8] = &[0x55, 0x1d, 0x1b];
    pub const ISSUING_DISTRIBUTION_POINT: &[u8] = &[0x55, 0x1d, 0x1c];
    pub const CERTIFICATE_ISSUER: &[u8] = &[0x55, 0x1d, 0x1d];
    pub const AUTHORITY_KEY_IDENTIFIER: &[u8] = &[0x55, 0x1d, 0x23];
    pub const FRESHEST_CRL: &[u8] = &[0x55, 0x1d, 0x2e];
    pub const AUTHORITY_INFO_ACCESS: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01];
    pub const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
    pub const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
    pub const SUBJECT_KEY_IDENTIFIER: &[u8] = &[0x55, 0x1d, 0x0e];
}

/// Map an extension OID to the extensions this crate interprets.
pub(crate) fn extension_id(oid: &[u8]) -> Option<ExtensionId> {
    Some(match oid {
        ext::CRL_NUMBER => ExtensionId::CrlNumber,
        ext::DELTA_CRL_INDICATOR => ExtensionId::DeltaCrlIndicator,
        ext::ISSUING_DISTRIBUTION_POINT => ExtensionId::IssuingDistributionPoint,
        ext::AUTHORITY_KEY_IDENTIFIER => ExtensionId::AuthorityKeyIdentifier,
        ext::FRESHEST_CRL => ExtensionId::FreshestCrl,
        ext::AUTHORITY_INFO_ACCESS => ExtensionId::AuthorityInfoAccess,
        ext::REASON_CODE => ExtensionId::ReasonCode,
        ext::INVALIDITY_DATE => ExtensionId::InvalidityDate,
        ext::CERTIFICATE_ISSUER => ExtensionId::CertificateIssuer,
        ext::BASIC_CONSTRAINTS => ExtensionId::BasicConstraints,
        ext::KEY_USAGE => ExtensionId::KeyUsage,
        ext::SUBJECT_KEY_IDENTIFIER => ExtensionId::SubjectKeyIdentifier,
        _ => return None,
    })
}

/// Names of well-known OIDs: signature algorithms, name attributes, extensions.
const KNOWN: &[(&[u8], &str)] = &[
    // Signature algorithms (RFC 3279, 4055, 5758, 8410).
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04], "md5WithRSAEncryption"),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05], "sha1WithRSAEncryption"),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a], "rsassaPss"),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b], "sha256WithRSAEncryption"),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c], "sha384WithRSAEncryption"),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d], "sha512WithRSAEncryption"),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0e], "sha224WithRSAEncryption"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01], "ecdsa-with-SHA1"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01], "ecdsa-with-SHA224"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02], "ecdsa-with-SHA256"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03], "ecdsa-with-SHA384"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04], "ecdsa-with-SHA512"),
    (&[0x2b, 0x65, 0x70], "ED25519"),
    (&[0x2b, 0x65, 0x71], "ED448"),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x02], "dsa_with_SHA256"),
    // Name attributes (RFC 4514 short names where registered).
    (&[0x55, 0x04, 0x03], "CN"),
    (&[0x55, 0x04, 0x04], "SN"),
    (&[0x55, 0x04, 0x05], "serialNumber"),
    (&[0x55, 0x04, 0x06], "C"),
    (&[0x55, 0x04, 0x07], "L"),
    (&[0x55, 0x04, 0x08], "ST"),
    (&[0x55, 0x04, 0x09], "STREET"),
    (&[0x55, 0x04, 0x0a], "O"),
    (&[0x55, 0x04, 0x0b], "OU"),
    (&[0x55, 0x04, 0x0c], "title"),
    (&[0x55, 0x04, 0x2a], "GN"),
    (&[0x55, 0x04, 0x2b], "initials"),
    (&[0x55, 0x04, 0x2c], "generationQualifier"),
    (&[0x55, 0x04, 0x2e], "dnQualifier"),
    (&[0x55, 0x04, 0x41], "pseudonym"),
    (&[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01], "UID"),
    (&[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19], "DC"),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01], "emailAddress"),
    // Extensions.
    (ext::CRL_NUMBER, "cRLNumber"),
    (ext::REASON_CODE, "reasonCode"),
    (ext::INVALIDITY_DATE, "invalidityDate"),
    (ext::DELTA_CRL_INDICATOR, "deltaCRLIndicator"),
    (ext::ISSUING_DISTRIBUTION_POINT, "issuingDistributionPoint"),
    (ext::CERTIFICATE_ISSUER, "certificateIssuer"),
    (ext::AUTHORITY_KEY_IDENTIFIER, "authorityKeyIdentifier"),
    (ext::FRESHEST_CRL, "freshestCRL"),
    (ext::AUTHORITY_INFO_ACCESS, "authorityInfoAccess"),
    (&[0x55, 0x1d, 0x3c], "expiredCertsOnCRL"),
    (ext::BASIC_CONSTRAINTS, "basicConstraints"),
    (ext::KEY_USAGE, "keyUsage"),
    (ext::SUBJECT_KEY_IDENTIFIER, "subjectKeyIdentifier"),
    // Public key algorithms and curves.
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01], "rsaEncryption"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01], "id-ecPublicKey"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07], "prime256v1"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x22], "secp384r1"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x23], "secp521r1"),
    // Digests.
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01], "sha256"),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02], "sha384"),
    (&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03], "sha512"),
    (&[0x2b, 0x0e, 0x03, 0x02, 0x1a], "sha1"),
    (&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08], "mgf1"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_form() {
        assert_eq!(OidRef(&[0x55, 0x1d, 0x14]).to_string(), "2.5.29.20");
        assert_eq!(OidRef(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]).to_string(), "1.2.840.10045.4.3.2");
        assert_eq!(
            OidRef(&[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19]).to_string(),
            "0.9.2342.19200300.100.1.25"
        );
        assert_eq!(OidRef(&[0x88, 0x37]).to_string(), "2.999");
    }

    #[test]
    fn names() {
        assert_eq!(OidRef(ext::CRL_NUMBER).name(), Some("cRLNumber"));
        assert_eq!(OidRef(&[0x55, 0x04, 0x03]).name(), Some("CN"));
        assert_eq!(OidRef(&[0x55, 0x04, 0x99]).name(), None);
    }
}
