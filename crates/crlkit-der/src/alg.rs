//! AlgorithmIdentifier, and the parameters the verifier needs: RSASSA-PSS parameters
//! (RFC 4055) and the named curve of an EC public key (RFC 5480).

use crate::der::{self, Reader, tag};
use crate::error::{At, Error, ErrorKind, Fault, Field, Path};
use crate::oid::OidRef;

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`.
#[derive(Clone, Copy, Debug)]
pub struct AlgorithmIdentifierRef<'a> {
    der: &'a [u8],
    oid: OidRef<'a>,
    parameters: Option<&'a [u8]>,
}

impl<'a> AlgorithmIdentifierRef<'a> {
    /// The whole element, as compared between tbsCertList.signature and signatureAlgorithm.
    pub const fn der(&self) -> &'a [u8] {
        self.der
    }

    /// The algorithm OID.
    pub const fn oid(&self) -> OidRef<'a> {
        self.oid
    }

    /// The parameters element (tag, length, content), if present.
    pub const fn parameters(&self) -> Option<&'a [u8]> {
        self.parameters
    }

    /// A readable name: the usual OpenSSL name, or the dotted OID.
    pub fn name(&self) -> String {
        match self.oid.name() {
            Some(n) => n.to_owned(),
            None => self.oid.to_string(),
        }
    }

    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Fault> {
        let seq = r.read(tag::SEQUENCE)?;
        let mut f = seq.reader();
        let oid = der::read_oid(&mut f)?;
        let parameters = if f.is_empty() {
            None
        } else {
            let p = f.read_any()?;
            if p.tag & tag::CONSTRUCTED != 0 {
                der::check_nested(p.value, p.value_offset, 0)?;
            }
            Some(p.raw)
        };
        f.finish()?;
        Ok(Self { der: seq.raw, oid: OidRef(oid.value), parameters })
    }
}

/// RSASSA-PSS-params (RFC 4055 3.1), with defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RsaPssParams<'a> {
    /// The message digest (default SHA-1).
    pub hash: OidRef<'a>,
    /// The MGF1 digest (default SHA-1).
    pub mgf1_hash: OidRef<'a>,
    /// Salt length in bytes (default 20).
    pub salt_len: u64,
}

const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];

impl<'a> AlgorithmIdentifierRef<'a> {
    /// Parse a whole AlgorithmIdentifier element.
    pub fn from_der(der: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(der, 0);
        let alg = Self::read(&mut r).at(Path::field(Field::SignatureAlgorithm))?;
        r.finish().at(Path::field(Field::SignatureAlgorithm))?;
        Ok(alg)
    }

    /// The parameters as RSASSA-PSS-params. Absent fields take their RFC 4055 defaults.
    pub fn rsa_pss_params(&self) -> Result<RsaPssParams<'a>, Error> {
        let path = Path::field(Field::SignatureAlgorithm);
        let params = self.parameters.ok_or(Error::new(ErrorKind::Truncated, path, 0))?;
        let mut outer = Reader::new(params, 0);
        let seq = outer.read(tag::SEQUENCE).at(path)?;
        outer.finish().at(path)?;
        let mut r = seq.reader();
        let mut out = RsaPssParams { hash: OidRef(SHA1), mgf1_hash: OidRef(SHA1), salt_len: 20 };
        if let Some(h) = r.read_optional(0xa0).at(path)? {
            let mut hr = h.reader();
            out.hash = Self::read(&mut hr).at(path)?.oid;
            hr.finish().at(path)?;
        }
        if let Some(m) = r.read_optional(0xa1).at(path)? {
            let mut mr = m.reader();
            let mgf = Self::read(&mut mr).at(path)?;
            mr.finish().at(path)?;
            if mgf.oid.0 != MGF1 {
                return Err(Error::new(ErrorKind::InvalidTag { found: 0x06 }, path, m.offset));
            }
            let inner = mgf.parameters.ok_or(Error::new(ErrorKind::Truncated, path, m.offset))?;
            let mut ir = Reader::new(inner, m.value_offset);
            out.mgf1_hash = Self::read(&mut ir).at(path)?.oid;
            ir.finish().at(path)?;
        }
        if let Some(s) = r.read_optional(0xa2).at(path)? {
            let mut sr = s.reader();
            let n = der::read_integer(&mut sr).at(path)?;
            sr.finish().at(path)?;
            out.salt_len = der::small_integer(n.value).filter(|v| *v >= 0).ok_or(Error::new(
                ErrorKind::NegativeInteger,
                path,
                n.offset,
            ))? as u64;
        }
        if let Some(t) = r.read_optional(0xa3).at(path)? {
            // trailerField must be 1 (trailerFieldBC).
            let mut tr = t.reader();
            let n = der::read_integer(&mut tr).at(path)?;
            if der::small_integer(n.value) != Some(1) {
                return Err(Error::new(ErrorKind::InvalidTag { found: 0xa3 }, path, t.offset));
            }
        }
        r.finish().at(path)?;
        Ok(out)
    }

    /// For an id-ecPublicKey key algorithm: the namedCurve OID.
    pub fn named_curve(&self) -> Option<OidRef<'a>> {
        let mut r = Reader::new(self.parameters?, 0);
        let oid = der::read_oid(&mut r).ok()?;
        r.finish().ok()?;
        Some(OidRef(oid.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pss_params_with_defaults_and_explicit() {
        // sha256WithRSAEncryption has NULL parameters, not PSS ones.
        let rsa = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00];
        assert!(AlgorithmIdentifierRef::from_der(&rsa).unwrap().rsa_pss_params().is_err());
        // rsassaPss with empty parameters: all defaults.
        let defaults = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x00];
        let p = AlgorithmIdentifierRef::from_der(&defaults).unwrap().rsa_pss_params().unwrap();
        assert_eq!((p.hash.as_bytes(), p.mgf1_hash.as_bytes(), p.salt_len), (SHA1, SHA1, 20));
    }
}
