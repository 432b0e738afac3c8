//! Lenient input: re-encode the BER length forms OpenSSL accepts into DER.
//!
//! Only length encodings are rewritten: indefinite lengths (with their end-of-contents
//! octets) and long-form lengths that are not minimal, at every level of the structure. A
//! BOOLEAN TRUE other than `0xff` becomes `0xff`. Anything else that DER forbids is left to the
//! parser to refuse: constructed string encodings, non-minimal INTEGERs (invalid in BER too),
//! explicit DEFAULT values. The DER form is what X.509 signatures are defined over, so a CA that
//! signed DER and a transport that re-encoded it as BER verify again after this.

use crate::error::{Error, ErrorKind, Fault, Field, Path};

/// Deepest nesting followed (a CRL needs about ten levels).
const MAX_DEPTH: u32 = 64;

/// The result of [`normalize`].
#[derive(Debug)]
pub struct Normalized {
    /// The DER re-encoding.
    pub der: Vec<u8>,
    /// How many length fields or booleans were rewritten (0: the input was already DER there).
    pub rewrites: u64,
}

/// One BER element's header.
struct BerHeader {
    tag: u8,
    header_len: usize,
    /// `None` for indefinite length.
    len: Option<usize>,
    /// The length field was not minimal.
    non_minimal: bool,
}

fn ber_header(data: &[u8], at: u64) -> Result<BerHeader, Fault> {
    let truncated = Fault::new(ErrorKind::Truncated, at);
    let &tag = data.first().ok_or(truncated)?;
    if tag & 0x1f == 0x1f {
        return Err(Fault::new(ErrorKind::HighTagNumber, at));
    }
    let &first = data.get(1).ok_or(truncated)?;
    if first < 0x80 {
        if usize::from(first) > data.len() - 2 {
            return Err(truncated);
        }
        return Ok(BerHeader { tag, header_len: 2, len: Some(usize::from(first)), non_minimal: false });
    }
    if first == 0x80 {
        if tag & 0x20 == 0 {
            // Indefinite length is only defined for constructed encodings.
            return Err(Fault::new(ErrorKind::IndefiniteLength, at));
        }
        return Ok(BerHeader { tag, header_len: 2, len: None, non_minimal: true });
    }
    let n = usize::from(first & 0x7f);
    if n > 8 {
        return Err(Fault::new(ErrorKind::LengthTooLarge, at));
    }
    let bytes = data.get(2..2 + n).ok_or(truncated)?;
    let mut len: u64 = 0;
    for &b in bytes {
        len = (len << 8) | u64::from(b);
    }
    let minimal_n = if len < 0x80 { 0 } else { (64 - len.leading_zeros() as usize).div_ceil(8) };
    let len = usize::try_from(len).map_err(|_| Fault::new(ErrorKind::LengthTooLarge, at))?;
    if len > data.len() - 2 - n {
        return Err(truncated);
    }
    Ok(BerHeader { tag, header_len: 2 + n, len: Some(len), non_minimal: n != minimal_n })
}

/// Append a one-octet tag and the minimal definite length `len`: the workspace's one DER
/// length encoder (this normaliser and `crlkit-sign`'s writer use it).
pub fn push_der_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Octets [`push_der_header`] writes for `len`.
pub const fn der_header_len(len: usize) -> usize {
    if len < 0x80 { 2 } else { 2 + (8 - (len as u64).leading_zeros() as usize / 8) }
}

/// Walks BER elements: `measure` computes DER sizes, `emit` writes them.
struct Walker<'a> {
    input: &'a [u8],
    rewrites: u64,
}

impl Walker<'_> {
    /// Parse the element at `pos`; return (BER bytes it spans, its DER length).
    /// When `out` is given, the DER encoding is appended to it.
    fn element(&mut self, pos: usize, depth: u32, mut out: Option<&mut Vec<u8>>) -> Result<(usize, usize), Fault> {
        let at = pos as u64;
        if depth > MAX_DEPTH {
            return Err(Fault::new(ErrorKind::LengthTooLarge, at));
        }
        let h = ber_header(&self.input[pos..], at)?;
        let content_start = pos + h.header_len;
        if h.tag & 0x20 == 0 {
            let len = h.len.unwrap_or(0);
            let mut content = &self.input[content_start..content_start + len];
            if h.tag == 0x01 && len == 1 && content[0] != 0x00 && content[0] != 0xff {
                content = &[0xff];
                if out.is_some() {
                    self.rewrites += 1;
                }
            }
            if let Some(o) = out.as_deref_mut() {
                push_der_header(o, h.tag, content.len());
                o.extend_from_slice(content);
                if h.non_minimal {
                    self.rewrites += 1;
                }
            }
            return Ok((h.header_len + len, der_header_len(content.len()) + content.len()));
        }
        if h.tag & 0xc0 == 0 && matches!(h.tag & 0x1f, 0x03 | 0x04 | 0x0c | 0x12..=0x16 | 0x19..=0x1e) {
            // Constructed string encodings (BER 8.7/8.21) have no DER form we could produce
            // without reinterpreting the content.
            return Err(Fault::new(ErrorKind::WrongConstruction, at));
        }
        // Constructed: measure children first so the header can be written.
        let mut children_der = 0usize;
        let mut p = content_start;
        let end = h.len.map(|l| content_start + l);
        loop {
            match end {
                Some(e) if p >= e => break,
                None => {
                    if self.input.get(p..p + 2) == Some(&[0, 0]) {
                        p += 2;
                        break;
                    }
                    if p >= self.input.len() {
                        return Err(Fault::new(ErrorKind::Truncated, at));
                    }
                }
                _ => {}
            }
            let (ber, der) = self.element(p, depth + 1, None)?;
            p += ber;
            if let Some(e) = end
                && p > e
            {
                return Err(Fault::new(ErrorKind::Truncated, at));
            }
            children_der += der;
        }
        if let Some(o) = out {
            push_der_header(o, h.tag, children_der);
            if h.non_minimal {
                self.rewrites += 1;
            }
            let mut q = content_start;
            let stop = p - if h.len.is_none() { 2 } else { 0 };
            while q < stop {
                let (ber, _) = self.element(q, depth + 1, Some(o))?;
                q += ber;
            }
        }
        Ok((p - pos, der_header_len(children_der) + children_der))
    }
}

/// Re-encode one BER element (the whole input) as DER.
///
/// Errors carry the offset in the original input. Trailing bytes after the element are refused.
pub fn normalize(input: &[u8]) -> Result<Normalized, Error> {
    let path = Path::field(Field::CertificateList);
    let mut w = Walker { input, rewrites: 0 };
    let (ber_len, der_len) = w.element(0, 0, None).map_err(|f| f.at(path))?;
    if ber_len != input.len() {
        return Err(Error::new(ErrorKind::TrailingData, path, ber_len as u64));
    }
    let mut der = Vec::with_capacity(der_len);
    w.element(0, 0, Some(&mut der)).map_err(|f| f.at(path))?;
    debug_assert_eq!(der.len(), der_len);
    Ok(Normalized { der, rewrites: w.rewrites })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_passes_through_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        let n = normalize(&der).unwrap();
        assert_eq!((n.der.as_slice(), n.rewrites), (&der[..], 0));
    }

    #[test]
    fn indefinite_and_long_lengths_become_minimal() {
        // SEQUENCE (indefinite) { INTEGER 5 (length 0x81 0x01), SEQUENCE (0x82 00 00) {} } EOC
        let ber = [0x30, 0x80, 0x02, 0x81, 0x01, 0x05, 0x30, 0x82, 0x00, 0x00, 0x00, 0x00];
        let n = normalize(&ber).unwrap();
        assert_eq!(n.der, [0x30, 0x05, 0x02, 0x01, 0x05, 0x30, 0x00]);
        assert_eq!(n.rewrites, 3);
    }

    #[test]
    fn refuses_what_it_cannot_fix() {
        assert_eq!(
            normalize(&[0x24, 0x80, 0x04, 0x01, 0x00, 0x00, 0x00]).unwrap_err().kind(),
            ErrorKind::WrongConstruction
        );
        assert_eq!(normalize(&[0x30, 0x80, 0x02, 0x01, 0x05]).unwrap_err().kind(), ErrorKind::Truncated);
        assert_eq!(normalize(&[0x30, 0x00, 0x00]).unwrap_err().kind(), ErrorKind::TrailingData);
        assert_eq!(normalize(&[0x04, 0x80]).unwrap_err().kind(), ErrorKind::IndefiniteLength);
        let mut deep = Vec::new();
        for _ in 0..100 {
            deep.extend([0x30, 0x80]);
        }
        for _ in 0..100 {
            deep.extend([0x00, 0x00]);
        }
        assert_eq!(normalize(&deep).unwrap_err().kind(), ErrorKind::LengthTooLarge);
    }

    #[test]
    fn booleans_become_canonical() {
        let n = normalize(&[0x30, 0x03, 0x01, 0x01, 0x01]).unwrap();
        assert_eq!((n.der.as_slice(), n.rewrites), (&[0x30, 0x03, 0x01, 0x01, 0xff][..], 1));
    }
}
