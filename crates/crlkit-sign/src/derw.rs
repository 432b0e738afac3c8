//! Minimal DER *writing* helpers on `crlkit-der`'s length encoder (reading lives only there).

/// Append a tag and a minimal definite length (`crlkit-der`'s encoder).
pub use crlkit_der::ber::push_der_header as header;

/// Bytes a tag plus the length header of `len` take.
pub use crlkit_der::ber::der_header_len as header_len;

/// A complete element.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(content.len() + 6);
    header(&mut v, tag, content.len());
    v.extend_from_slice(content);
    v
}

/// SEQUENCE of already-encoded parts.
pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// INTEGER from unsigned big-endian magnitude bytes (adds the sign byte when needed).
pub fn uint(magnitude: &[u8]) -> Vec<u8> {
    tlv(0x02, &uint_content(magnitude))
}

/// INTEGER content octets for an unsigned magnitude: minimal, with a 0x00 sign byte if needed.
pub fn uint_content(magnitude: &[u8]) -> Vec<u8> {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let m = &magnitude[skip..];
    let mut c = Vec::with_capacity(m.len() + 1);
    if m.is_empty() || m[0] & 0x80 != 0 {
        c.push(0);
    }
    c.extend_from_slice(m);
    c
}

/// OBJECT IDENTIFIER from its content octets.
pub fn oid(content: &[u8]) -> Vec<u8> {
    tlv(0x06, content)
}

/// `unix` as a `Time`, held to years 0..=9999. [`crate::write_crl`] refuses CRL times outside
/// that range before it encodes anything, so for CRLs this never changes a time; a test CA's
/// validity beyond 9999 becomes 99991231235959Z, the value RFC 5280 4.1.2.5 gives for "no
/// well-defined expiration date".
pub fn encodable(unix: i64) -> crlkit_der::Time {
    let held = unix.clamp(crlkit_der::Time::MIN_UNIX, crlkit_der::Time::MAX_UNIX);
    crlkit_der::Time::from_unix(held).expect("held to the encodable range")
}

/// A Time as RFC 5280 wants it (UTCTime through 2049).
pub fn time(unix: i64) -> Vec<u8> {
    let (tag, buf, n) = encodable(unix).der_content();
    tlv(tag, &buf[..n])
}

/// Append a GeneralizedTime element, whatever the year (invalidityDate), without allocating.
pub fn push_generalized_time(out: &mut Vec<u8>, unix: i64) {
    let rfc3339 = encodable(unix).rfc3339_bytes(); // YYYY-MM-DDTHH:MM:SSZ
    out.extend_from_slice(&[0x18, 15]);
    for i in [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 19] {
        out.push(rfc3339[i]);
    }
}

/// A Name of `(attribute OID content, UTF8String value)` RDNs, in order.
pub fn name(rdns: &[(&[u8], &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (attr, value) in rdns {
        // countryName must be PrintableString; everything else UTF8String.
        let tag = if *attr == [0x55, 0x04, 0x06] { 0x13 } else { 0x0c };
        let ava = seq(&[&oid(attr), &tlv(tag, value.as_bytes())]);
        body.extend(tlv(0x31, &ava));
    }
    tlv(0x30, &body)
}

/// An Extension.
pub fn extension(oid_content: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = oid(oid_content);
    if critical {
        parts.extend([0x01, 0x01, 0xff]);
    }
    parts.extend(tlv(0x04, value));
    tlv(0x30, &parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        for len in [0usize, 1, 127, 128, 255, 256, 65_535, 65_536, 16_777_215, 16_777_216] {
            let mut v = Vec::new();
            header(&mut v, 0x04, len);
            assert_eq!(v.len(), header_len(len), "len {len}");
        }
        assert_eq!(uint(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[0x00, 0x01]), [0x02, 0x01, 0x01]);
        assert_eq!(uint(&[]), [0x02, 0x01, 0x00]);
    }
}
