//! X.509 certificates (RFC 5280 4.1) as zero-copy views: what a CRL verifier needs from a CA
//! certificate (subject, key, key usage, key identifiers, validity) and what serial-number
//! tools need (serial, issuer, validity, key identifiers).
//!
//! ```text
//! Certificate  ::=  SEQUENCE  { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
//! TBSCertificate  ::=  SEQUENCE  {
//!      version         [0]  EXPLICIT Version DEFAULT v1,
//!      serialNumber         CertificateSerialNumber,
//!      signature            AlgorithmIdentifier,
//!      issuer               Name,
//!      validity             Validity,
//!      subject              Name,
//!      subjectPublicKeyInfo SubjectPublicKeyInfo,
//!      issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,
//!      subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,
//!      extensions      [3]  EXPLICIT Extensions OPTIONAL }
//! ```
//!
//! # Deviations
//! - Strict DER, like CRLs, but an empty extensions list is accepted (lenient profile for the
//!   list rules): a CA certificate is input we cannot fix, and nothing depends on it.
//! - Extensions this module does not interpret are kept raw with their critical flag.

use crate::alg::AlgorithmIdentifierRef;
use crate::der::{self, Reader, Tlv, tag};
use crate::error::{At, Error, ErrorKind, ExtensionId, Fault, Field, Path};
use crate::ext::{self, AuthorityKeyIdentifier, ExtensionRef, Extensions, Profile};
use crate::name::NameRef;
use crate::serial::SerialRef;
use crate::time::Time;

/// subjectPublicKeyInfo.
#[derive(Clone, Copy, Debug)]
pub struct SubjectPublicKeyInfoRef<'a> {
    der: &'a [u8],
    algorithm: AlgorithmIdentifierRef<'a>,
    public_key: &'a [u8],
}

impl<'a> SubjectPublicKeyInfoRef<'a> {
    /// The whole SubjectPublicKeyInfo element.
    pub const fn der(&self) -> &'a [u8] {
        self.der
    }

    /// The key algorithm (rsaEncryption, id-ecPublicKey with its curve, Ed25519, …).
    pub const fn algorithm(&self) -> AlgorithmIdentifierRef<'a> {
        self.algorithm
    }

    /// For an RSA key: the modulus size in bits (from the RSAPublicKey).
    pub fn rsa_modulus_bits(&self) -> Option<usize> {
        let mut r = Reader::new(self.public_key, 0);
        let seq = r.read(tag::SEQUENCE).ok()?;
        let mut f = seq.reader();
        let n = der::read_integer(&mut f).ok()?;
        let mag = match n.value {
            [0, rest @ ..] => rest,
            all => all,
        };
        let first = *mag.first()?;
        Some(mag.len() * 8 - first.leading_zeros() as usize)
    }

    /// The subjectPublicKey BIT STRING content without its unused-bits octet: an RSAPublicKey,
    /// an uncompressed EC point, or raw Ed25519 key bytes.
    pub const fn public_key(&self) -> &'a [u8] {
        self.public_key
    }
}

/// basicConstraints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasicConstraints {
    /// cA.
    pub ca: bool,
    /// pathLenConstraint, if present and small enough to read.
    pub path_len: Option<u64>,
}

/// keyUsage bits (RFC 5280 4.2.1.3), bit 0 = digitalSignature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyUsage(u16);

impl KeyUsage {
    /// digitalSignature (0).
    pub const DIGITAL_SIGNATURE: u16 = 0;
    /// keyCertSign (5).
    pub const KEY_CERT_SIGN: u16 = 5;
    /// cRLSign (6).
    pub const CRL_SIGN: u16 = 6;

    /// Whether bit `n` is set.
    pub const fn has(&self, n: u16) -> bool {
        n < 16 && self.0 & (0x8000 >> n) != 0
    }

    /// Names of the bits set.
    pub fn names(&self) -> Vec<&'static str> {
        const NAMES: [&str; 9] = [
            "digitalSignature",
            "nonRepudiation",
            "keyEncipherment",
            "dataEncipherment",
            "keyAgreement",
            "keyCertSign",
            "cRLSign",
            "encipherOnly",
            "decipherOnly",
        ];
        (0..9).filter(|&i| self.has(i)).map(|i| NAMES[usize::from(i)]).collect()
    }
}

/// A certificate borrowed from the input.
#[derive(Clone, Copy, Debug)]
pub struct CertificateRef<'a> {
    der: &'a [u8],
    tbs: &'a [u8],
    version: u8,
    serial: SerialRef<'a>,
    signature: AlgorithmIdentifierRef<'a>,
    issuer: NameRef<'a>,
    not_before: Time,
    not_after: Time,
    subject: NameRef<'a>,
    spki: SubjectPublicKeyInfoRef<'a>,
    extensions: Option<Tlv<'a>>,
    basic_constraints: Option<BasicConstraints>,
    key_usage: Option<KeyUsage>,
    subject_key_id: Option<&'a [u8]>,
    authority_key_id: Option<AuthorityKeyIdentifier<'a>>,
    signature_algorithm: AlgorithmIdentifierRef<'a>,
    signature_value: &'a [u8],
}

impl<'a> CertificateRef<'a> {
    /// Parse a DER certificate. Trailing bytes after it are an error.
    pub fn from_der(der: &'a [u8]) -> Result<Self, Error> {
        let mut input = Reader::new(der, 0);
        let outer = input.read(tag::SEQUENCE).at(Path::field(Field::Certificate))?;
        input.finish().at(Path::field(Field::Certificate))?;
        let mut o = outer.reader();
        let tbs = o.read(tag::SEQUENCE).at(Path::field(Field::TbsCertificate))?;
        let mut r = tbs.reader();
        let version = match r.read_optional(0xa0).at(Path::field(Field::CertVersion))? {
            None => 0,
            Some(v) => {
                let mut vr = v.reader();
                let n = der::read_integer(&mut vr).at(Path::field(Field::CertVersion))?;
                vr.finish().at(Path::field(Field::CertVersion))?;
                match der::small_integer(n.value) {
                    Some(found @ 0..=2) => found as u8,
                    found => {
                        let kind = ErrorKind::UnsupportedVersion { found: found.unwrap_or(-1) };
                        return Err(Error::new(kind, Path::field(Field::CertVersion), n.offset));
                    }
                }
            }
        };
        let serial = der::read_integer(&mut r).at(Path::field(Field::CertSerial))?;
        let signature = AlgorithmIdentifierRef::read(&mut r).at(Path::field(Field::CertTbsSignature))?;
        let issuer = NameRef::read(&mut r).at(Path::field(Field::CertIssuer))?;
        let validity = r.read(tag::SEQUENCE).at(Path::field(Field::CertValidity))?;
        let mut vr = validity.reader();
        let not_before = Time::from_tlv(&vr.read_any().at(Path::field(Field::CertValidity))?)
            .at(Path::field(Field::CertValidity))?;
        let not_after = Time::from_tlv(&vr.read_any().at(Path::field(Field::CertValidity))?)
            .at(Path::field(Field::CertValidity))?;
        vr.finish().at(Path::field(Field::CertValidity))?;
        let subject = NameRef::read(&mut r).at(Path::field(Field::CertSubject))?;
        let spki = read_spki(&mut r).at(Path::field(Field::CertPublicKey))?;
        for unique in [0x81, 0xa1, 0x82, 0xa2] {
            r.read_optional(unique).at(Path::field(Field::TbsCertificate))?;
        }
        let mut cert = Self {
            der: outer.raw,
            tbs: tbs.raw,
            version,
            serial: SerialRef::new_unchecked(serial.value),
            signature,
            issuer,
            not_before,
            not_after,
            subject,
            spki,
            extensions: None,
            basic_constraints: None,
            key_usage: None,
            subject_key_id: None,
            authority_key_id: None,
            signature_algorithm: signature,
            signature_value: &[],
        };
        if let Some(w) = r.read_optional(0xa3).at(Path::field(Field::CertExtensions))? {
            let mut wr = w.reader();
            let list = wr.read(tag::SEQUENCE).at(Path::field(Field::CertExtensions))?;
            wr.finish().at(Path::field(Field::CertExtensions))?;
            cert.extensions = Some(list);
            ext::walk_extensions(&list, Profile::Lenient, |_, e: ExtensionRef<'a>| cert.interpret(e)).map_err(
                |lf| {
                    let path = match lf.at {
                        None => Path::field(Field::CertExtensions),
                        Some((i, id)) => {
                            Path::field(if lf.in_value { Field::CertExtensionValue } else { Field::CertExtension })
                                .with_extension(i, id)
                        }
                    };
                    lf.fault.at(path)
                },
            )?;
        }
        r.finish().at(Path::field(Field::TbsCertificate))?;
        cert.signature_algorithm =
            AlgorithmIdentifierRef::read(&mut o).at(Path::field(Field::CertSignatureAlgorithm))?;
        let sig = o.read(tag::BIT_STRING).at(Path::field(Field::CertSignatureValue))?;
        der::check_bit_string(&sig).at(Path::field(Field::CertSignatureValue))?;
        cert.signature_value = &sig.value[1..];
        o.finish().at(Path::field(Field::Certificate))?;
        Ok(cert)
    }

    /// Parse the certificate at the start of `data` and return it with the bytes that follow
    /// (for DER files holding several certificates back to back).
    pub fn from_der_prefix(data: &'a [u8]) -> Result<(Self, &'a [u8]), Error> {
        let mut r = Reader::new(data, 0);
        let first = r.read(tag::SEQUENCE).at(Path::field(Field::Certificate))?;
        let cert = Self::from_der(first.raw)?;
        Ok((cert, &data[first.raw.len()..]))
    }

    fn interpret(&mut self, e: ExtensionRef<'a>) -> Result<(), Fault> {
        let (v, at) = (e.value(), e.value_offset());
        match e.id() {
            Some(ExtensionId::BasicConstraints) => {
                let mut outer = Reader::new(v, at);
                let seq = outer.read(tag::SEQUENCE)?;
                outer.finish()?;
                let mut r = seq.reader();
                let ca = match r.read_optional(tag::BOOLEAN)? {
                    Some(b) if der::boolean_value(&b)? => true,
                    Some(b) => return Err(Fault::new(ErrorKind::ExplicitDefault, b.offset)),
                    None => false,
                };
                let path_len = match r.read_optional(tag::INTEGER)? {
                    Some(n) => {
                        der::check_integer(&n)?;
                        der::small_integer(n.value).filter(|v| *v >= 0).map(|v| v as u64)
                    }
                    None => None,
                };
                r.finish()?;
                self.basic_constraints = Some(BasicConstraints { ca, path_len });
            }
            Some(ExtensionId::KeyUsage) => {
                let mut r = Reader::new(v, at);
                let bits = r.read(tag::BIT_STRING)?;
                r.finish()?;
                der::check_bit_string(&bits)?;
                let b = &bits.value[1..];
                let word =
                    (u16::from(b.first().copied().unwrap_or(0)) << 8) | u16::from(b.get(1).copied().unwrap_or(0));
                self.key_usage = Some(KeyUsage(word));
            }
            Some(ExtensionId::SubjectKeyIdentifier) => {
                let mut r = Reader::new(v, at);
                let id = r.read(tag::OCTET_STRING)?;
                r.finish()?;
                self.subject_key_id = Some(id.value);
            }
            Some(ExtensionId::AuthorityKeyIdentifier) => self.authority_key_id = Some(ext::parse_aki(v, at)?),
            _ => {}
        }
        Ok(())
    }

    /// The whole certificate.
    pub const fn der(&self) -> &'a [u8] {
        self.der
    }

    /// The signed bytes: the whole tbsCertificate element.
    pub const fn tbs_der(&self) -> &'a [u8] {
        self.tbs
    }

    /// 1, 2 or 3.
    pub const fn version(&self) -> u8 {
        self.version + 1
    }

    /// serialNumber.
    pub const fn serial(&self) -> SerialRef<'a> {
        self.serial
    }

    /// issuer.
    pub const fn issuer(&self) -> NameRef<'a> {
        self.issuer
    }

    /// subject.
    pub const fn subject(&self) -> NameRef<'a> {
        self.subject
    }

    /// notBefore.
    pub const fn not_before(&self) -> Time {
        self.not_before
    }

    /// notAfter.
    pub const fn not_after(&self) -> Time {
        self.not_after
    }

    /// subjectPublicKeyInfo.
    pub const fn public_key_info(&self) -> SubjectPublicKeyInfoRef<'a> {
        self.spki
    }

    /// basicConstraints, if present.
    pub const fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.basic_constraints
    }

    /// keyUsage, if present.
    pub const fn key_usage(&self) -> Option<KeyUsage> {
        self.key_usage
    }

    /// subjectKeyIdentifier, if present.
    pub const fn subject_key_id(&self) -> Option<&'a [u8]> {
        self.subject_key_id
    }

    /// authorityKeyIdentifier, if present.
    pub const fn authority_key_id(&self) -> Option<AuthorityKeyIdentifier<'a>> {
        self.authority_key_id
    }

    /// tbsCertificate.signature.
    pub const fn tbs_signature_algorithm(&self) -> AlgorithmIdentifierRef<'a> {
        self.signature
    }

    /// The outer signatureAlgorithm.
    pub const fn signature_algorithm(&self) -> AlgorithmIdentifierRef<'a> {
        self.signature_algorithm
    }

    /// signatureValue without the unused-bits octet.
    pub const fn signature_value(&self) -> &'a [u8] {
        self.signature_value
    }

    /// Every extension, in order.
    pub fn extensions(&self) -> Extensions<'a> {
        Extensions::new(self.extensions.as_ref())
    }
}

fn read_spki<'a>(r: &mut Reader<'a>) -> Result<SubjectPublicKeyInfoRef<'a>, Fault> {
    let seq = r.read(tag::SEQUENCE)?;
    let mut s = seq.reader();
    let algorithm = AlgorithmIdentifierRef::read(&mut s)?;
    let key = s.read(tag::BIT_STRING)?;
    der::check_bit_string(&key)?;
    s.finish()?;
    Ok(SubjectPublicKeyInfoRef { der: seq.raw, algorithm, public_key: &key.value[1..] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_cert(name: &str) -> Vec<u8> {
        let text = std::fs::read(format!(
            "{}/../../fixtures/{name}",
            std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        crate::pem::decode_all(&text).unwrap().remove(0).der
    }

    #[test]
    fn reads_the_fixture_ca() {
        let der = fixture_cert("ca.p256.pem");
        let c = CertificateRef::from_der(&der).unwrap();
        assert_eq!(c.version(), 3);
        assert_eq!(c.subject().rfc4514(), "CN=crlkit test CA P-256,O=crlkit test");
        assert_eq!(c.subject(), c.issuer());
        assert_eq!(c.basic_constraints(), Some(BasicConstraints { ca: true, path_len: None }));
        let ku = c.key_usage().unwrap();
        assert!(ku.has(KeyUsage::CRL_SIGN) && ku.has(KeyUsage::KEY_CERT_SIGN) && !ku.has(KeyUsage::DIGITAL_SIGNATURE));
        assert_eq!(ku.names(), ["keyCertSign", "cRLSign"]);
        assert_eq!(c.subject_key_id().unwrap().len(), 20);
        assert_eq!(c.public_key_info().algorithm().name(), "id-ecPublicKey");
        assert_eq!(c.public_key_info().algorithm().named_curve().unwrap().name(), Some("prime256v1"));
        assert_eq!(c.public_key_info().public_key().len(), 65);
        assert_eq!(c.not_before().to_string(), "2025-01-01T00:00:00Z");
        let rsa = fixture_cert("ca.rsa2048.pem");
        assert_eq!(CertificateRef::from_der(&rsa).unwrap().public_key_info().rsa_modulus_bits(), Some(2048));
    }

    #[test]
    fn rejects_trailing_data_and_truncation() {
        let mut der = fixture_cert("ca.rsa2048.pem");
        assert!(CertificateRef::from_der(&der).is_ok());
        der.push(0);
        assert_eq!(CertificateRef::from_der(&der).unwrap_err().kind(), ErrorKind::TrailingData);
        der.truncate(der.len() - 20);
        assert_eq!(CertificateRef::from_der(&der).unwrap_err().kind(), ErrorKind::Truncated);
    }
}
