//! X.501 Names kept as raw DER, validated structurally, printed as RFC 4514 strings on demand.

use core::fmt;

use crate::der::{self, Reader, tag};
use crate::error::{ErrorKind, Fault};
use crate::oid::OidRef;

/// A distinguished name borrowed from the input.
///
/// Two names are compared by their DER bytes ([`NameRef::der`]); RFC 5280 7.1 name matching
/// (case folding, whitespace) is the business of the verifier, not of the parser.
#[derive(Clone, Copy, Debug)]
pub struct NameRef<'a> {
    der: &'a [u8],
    content: &'a [u8],
    content_offset: u64,
}

impl PartialEq for NameRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}
impl Eq for NameRef<'_> {}
impl core::hash::Hash for NameRef<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.der.hash(state);
    }
}

impl<'a> NameRef<'a> {
    /// The whole Name element (tag, length and content), as needed for hashing and comparing.
    pub const fn der(&self) -> &'a [u8] {
        self.der
    }

    /// True for a Name with no RDN at all.
    pub fn is_empty(&self) -> bool {
        self.content.is_empty()
    }

    /// Parse a standalone Name element (nothing may follow it).
    pub fn from_der(der: &'a [u8]) -> Result<Self, crate::Error> {
        use crate::error::{At, Field, Path};
        let mut r = Reader::new(der, 0);
        let name = Self::read(&mut r).at(Path::field(Field::Issuer))?;
        r.finish().at(Path::field(Field::Issuer))?;
        Ok(name)
    }

    /// Parse and validate a Name at the reader's position.
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Fault> {
        let tlv = r.read(tag::SEQUENCE)?;
        let mut rdns = tlv.reader();
        while !rdns.is_empty() {
            let rdn = rdns.read(tag::SET)?;
            let mut avas = rdn.reader();
            if avas.is_empty() {
                return Err(Fault::new(ErrorKind::EmptySequence, rdn.offset));
            }
            let mut previous: Option<&[u8]> = None;
            while !avas.is_empty() {
                let ava = avas.read(tag::SEQUENCE)?;
                if let Some(prev) = previous
                    && !der_set_order(prev, ava.raw)
                {
                    return Err(Fault::new(ErrorKind::UnsortedSet, ava.offset));
                }
                previous = Some(ava.raw);
                let mut fields = ava.reader();
                der::read_oid(&mut fields)?;
                let value = fields.read_any()?;
                if value.tag & tag::CONSTRUCTED != 0 {
                    der::check_nested(value.value, value.value_offset, 0)?;
                }
                fields.finish()?;
            }
        }
        Ok(Self { der: tlv.raw, content: tlv.value, content_offset: tlv.value_offset })
    }

    /// Every attribute, in encoding order, with the index of the RDN it belongs to.
    pub fn attributes(&self) -> impl Iterator<Item = AttributeRef<'a>> + 'a {
        let mut rdns = Reader::new(self.content, self.content_offset);
        let mut current: Option<(usize, Reader<'a>)> = None;
        let mut next_rdn = 0usize;
        core::iter::from_fn(move || {
            loop {
                if let Some((rdn, avas)) = current.as_mut()
                    && let Ok(ava) = avas.read(tag::SEQUENCE)
                {
                    let mut f = ava.reader();
                    let (Ok(oid), Ok(value)) = (f.read(tag::OID), f.read_any()) else { return None };
                    return Some(AttributeRef {
                        rdn: *rdn,
                        oid: OidRef(oid.value),
                        tag: value.tag,
                        value: value.value,
                    });
                }
                let set = rdns.read(tag::SET).ok()?;
                current = Some((next_rdn, set.reader()));
                next_rdn += 1;
            }
        })
    }

    /// The RFC 4514 string form: RDNs last-to-first, `,` between RDNs, `+` inside a
    /// multi-valued RDN, known attribute names (`CN`, `O`, …), `#hex` for non-string values.
    pub fn rfc4514(&self) -> String {
        let mut rdns: Vec<String> = Vec::new();
        let mut r = Reader::new(self.content, self.content_offset);
        while let Ok(rdn) = r.read(tag::SET) {
            let mut avas = rdn.reader();
            let mut parts = Vec::new();
            while let Ok(ava) = avas.read(tag::SEQUENCE) {
                let mut fields = ava.reader();
                let (Ok(oid), Ok(value)) = (fields.read(tag::OID), fields.read_any()) else { break };
                let oid = OidRef(oid.value);
                let mut s = match oid.name() {
                    Some(n) => n.to_owned(),
                    None => oid.to_string(),
                };
                s.push('=');
                match decode_string(value.tag, value.value) {
                    Some(text) => escape_rfc4514(&text, &mut s),
                    None => {
                        s.push('#');
                        for b in value.raw {
                            s.push_str(&format!("{b:02X}"));
                        }
                    }
                }
                parts.push(s);
            }
            rdns.push(parts.join("+"));
        }
        rdns.reverse();
        rdns.join(",")
    }
}

/// One AttributeTypeAndValue of a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttributeRef<'a> {
    /// Index of the RDN (0 = first in encoding order).
    pub rdn: usize,
    /// The attribute type.
    pub oid: OidRef<'a>,
    /// The value's tag (UTF8String, PrintableString, …).
    pub tag: u8,
    /// The value's content octets.
    pub value: &'a [u8],
}

impl AttributeRef<'_> {
    /// The value as text, for the directory string types; `None` for anything else.
    pub fn text(&self) -> Option<String> {
        decode_string(self.tag, self.value)
    }
}

impl fmt::Display for NameRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc4514())
    }
}

/// X.690 11.6: SET OF elements in ascending order of their encodings, shorter ones padded
/// with zero octets at the end for the comparison.
fn der_set_order(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().max(b.len());
    for i in 0..n {
        let (x, y) = (a.get(i).copied().unwrap_or(0), b.get(i).copied().unwrap_or(0));
        if x != y {
            return x < y;
        }
    }
    true
}

/// Decode the directory string types to text; `None` for anything else (printed as `#hex`).
fn decode_string(tag: u8, v: &[u8]) -> Option<String> {
    match tag {
        // UTF8String
        0x0c => core::str::from_utf8(v).ok().map(str::to_owned),
        // NumericString, PrintableString, IA5String, VisibleString
        0x12 | 0x13 | 0x16 | 0x1a => v.is_ascii().then(|| String::from_utf8_lossy(v).into_owned()),
        // TeletexString: treated as Latin-1, as most software does.
        0x14 => Some(v.iter().map(|&b| char::from(b)).collect()),
        // BMPString: UCS-2 big-endian.
        0x1e if v.len().is_multiple_of(2) => {
            char::decode_utf16(v.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])))
                .collect::<Result<String, _>>()
                .ok()
        }
        // UniversalString: UCS-4 big-endian.
        0x1c if v.len().is_multiple_of(4) => v
            .chunks_exact(4)
            .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect::<Option<String>>(),
        _ => None,
    }
}

/// RFC 4514 2.4 escaping.
fn escape_rfc4514(text: &str, out: &mut String) {
    let last = text.chars().count().saturating_sub(1);
    for (i, c) in text.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '#' if i == 0 => out.push_str("\\#"),
            '\0' => out.push_str("\\00"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ava(oid: &[u8], tag: u8, value: &[u8]) -> Vec<u8> {
        let mut inner = vec![0x06, oid.len() as u8];
        inner.extend_from_slice(oid);
        inner.extend([tag, value.len() as u8]);
        inner.extend_from_slice(value);
        let mut v = vec![0x30, inner.len() as u8];
        v.extend(inner);
        v
    }
    fn set(items: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = items.concat();
        let mut v = vec![0x31, body.len() as u8];
        v.extend(body);
        v
    }
    fn name(rdns: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = rdns.concat();
        let mut v = vec![0x30, body.len() as u8];
        v.extend(body);
        v
    }
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    const O: &[u8] = &[0x55, 0x04, 0x0a];
    const C: &[u8] = &[0x55, 0x04, 0x06];

    #[test]
    fn rfc4514_reverses_and_escapes() {
        let der = name(&[
            set(&[ava(C, 0x13, b"US")]),
            set(&[ava(O, 0x0c, b"Acme, Inc.")]),
            set(&[ava(CN, 0x0c, b" #lead+trail ")]),
        ]);
        let n = NameRef::read(&mut Reader::new(&der, 0)).unwrap();
        assert_eq!(n.rfc4514(), r"CN=\ #lead\+trail\ ,O=Acme\, Inc.,C=US");
    }

    #[test]
    fn multi_valued_and_unknown_attributes() {
        let mut a = ava(CN, 0x0c, b"a");
        let mut b = ava(&[0x2a, 0x03], 0x02, &[0x05]);
        if !der_set_order(&a, &b) {
            core::mem::swap(&mut a, &mut b);
        }
        let der = name(&[set(&[a, b])]);
        let n = NameRef::read(&mut Reader::new(&der, 0)).unwrap();
        // AVAs print in their (DER-sorted) encoding order.
        assert_eq!(n.rfc4514(), "1.2.3=#020105+CN=a");
    }

    #[test]
    fn rejects_unsorted_set_and_empty_rdn() {
        let mut a = ava(CN, 0x0c, b"a");
        let mut b = ava(&[0x2a, 0x03], 0x02, &[0x05]);
        if der_set_order(&a, &b) {
            core::mem::swap(&mut a, &mut b);
        }
        let der = name(&[set(&[a, b])]);
        assert_eq!(NameRef::read(&mut Reader::new(&der, 0)).unwrap_err().kind, ErrorKind::UnsortedSet);
        let der = name(&[set(&[])]);
        assert_eq!(NameRef::read(&mut Reader::new(&der, 0)).unwrap_err().kind, ErrorKind::EmptySequence);
    }

    #[test]
    fn bmp_and_teletex() {
        let der = name(&[set(&[ava(CN, 0x1e, &[0x00, 0x41, 0x00, 0xe9])]), set(&[ava(O, 0x14, &[0xe9])])]);
        let n = NameRef::read(&mut Reader::new(&der, 0)).unwrap();
        assert_eq!(n.rfc4514(), "O=é,CN=Aé");
    }
}
