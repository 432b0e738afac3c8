//! The only code in the crate that decodes DER tags and lengths.
//!
//! Strict X.690 DER: single-byte tags (high-tag-number form is refused), definite lengths in
//! minimal form, and no length larger than what is left of the input, so no caller can ever be
//! asked to allocate or skip by an unchecked length. Offsets are absolute: a [`Reader`] knows the
//! position of its first byte in the whole input.

use crate::error::{ErrorKind, Fault};

/// Universal and context tags used by the CRL profile.
pub(crate) mod tag {
    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    pub const ENUMERATED: u8 = 0x0a;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// `[0]` constructed (EXPLICIT), as around crlExtensions.
    pub const CONTEXT_0_CONSTRUCTED: u8 = 0xa0;
    /// Bit 6: constructed encoding.
    pub const CONSTRUCTED: u8 = 0x20;
}

/// One decoded element: tag, content, and where it sits in the input.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    /// Content octets.
    pub value: &'a [u8],
    /// Tag, length and content octets together.
    pub raw: &'a [u8],
    /// Absolute offset of the tag byte.
    pub offset: u64,
    /// Absolute offset of the first content byte.
    pub value_offset: u64,
}

impl<'a> Tlv<'a> {
    /// A reader over this element's content.
    #[inline]
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.value, self.value_offset)
    }
}

/// Result of decoding a tag and length header without needing its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub tag: u8,
    /// Bytes taken by tag and length.
    pub header_len: usize,
    /// Content length as encoded (checked to be minimal, not checked against any input).
    pub len: u64,
}

/// Decode a tag and length from the start of `data` (absolute offset `base`).
///
/// Returns `Ok(None)` when `data` is too short to hold the whole header, so streaming callers can
/// read more; `Truncated` is the caller's decision.
#[inline]
pub(crate) fn decode_header(data: &[u8], base: u64) -> Result<Option<Header>, Fault> {
    let Some(&tag) = data.first() else { return Ok(None) };
    if tag & 0x1f == 0x1f {
        return Err(Fault::new(ErrorKind::HighTagNumber, base));
    }
    let Some(&first) = data.get(1) else { return Ok(None) };
    if first < 0x80 {
        return Ok(Some(Header { tag, header_len: 2, len: u64::from(first) }));
    }
    if first == 0x80 {
        return Err(Fault::new(ErrorKind::IndefiniteLength, base));
    }
    let n = usize::from(first & 0x7f);
    if n > 8 {
        return Err(Fault::new(ErrorKind::LengthTooLarge, base));
    }
    let Some(bytes) = data.get(2..2 + n) else { return Ok(None) };
    if bytes[0] == 0 {
        return Err(Fault::new(ErrorKind::NonMinimalLength, base));
    }
    let mut len = 0u64;
    for &b in bytes {
        len = (len << 8) | u64::from(b);
    }
    if n == 1 && len < 0x80 {
        return Err(Fault::new(ErrorKind::NonMinimalLength, base));
    }
    Ok(Some(Header { tag, header_len: 2 + n, len }))
}

/// A cursor over DER elements in a byte slice.
///
/// A reader normally holds all of its structure. The streaming parser also makes *cut* readers
/// ([`Reader::cut`]), holding only the bytes buffered so far of a structure that ends at
/// `limit`: an element that runs past the buffered bytes but not past `limit` is then a
/// [`Fault::need_more`], not `Truncated`, and the parser reads on before it decides. Readers
/// over an element's content ([`Tlv::reader`]) are never cut, so a cut can only ever be
/// noticed at the top level of what a streaming step parses.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    /// Absolute end of the structure; beyond `base + data.len()` only for cut readers.
    limit: u64,
}

impl<'a> Reader<'a> {
    /// A reader over `data`, whose first byte sits at absolute offset `base`.
    #[inline]
    pub fn new(data: &'a [u8], base: u64) -> Self {
        Self { data, pos: 0, base, limit: base + data.len() as u64 }
    }

    /// A reader over the first bytes of a structure that ends at absolute offset `limit`
    /// (streaming: the rest has not been read yet).
    pub fn cut(data: &'a [u8], base: u64, limit: u64) -> Self {
        Self { data, pos: 0, base, limit: limit.max(base + data.len() as u64) }
    }

    /// True when the structure continues past the bytes held.
    #[inline]
    fn is_cut(&self) -> bool {
        self.limit > self.base + self.data.len() as u64
    }

    /// The fault for an element at `start` that the bytes held do not complete: `Truncated`,
    /// or on a cut reader, when the element may still end by `limit`, "read more".
    #[inline(never)]
    fn incomplete(&self, start: u64, end: Option<u64>) -> Fault {
        if self.is_cut() && end.is_none_or(|e| e <= self.limit) {
            Fault::need_more(start)
        } else {
            Fault::new(ErrorKind::Truncated, start)
        }
    }

    /// The fault for reading past the end: nothing left where an element is required.
    #[inline]
    pub fn end_fault(&self) -> Fault {
        self.incomplete(self.offset(), None)
    }

    /// Absolute offset of the next unread byte.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// True when every byte has been read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The tag of the next element, if any.
    #[inline]
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Read the next element, whatever its tag.
    #[inline(always)]
    pub fn read_any(&mut self) -> Result<Tlv<'a>, Fault> {
        // Fast path: low tag number, short-form length, fully present. Almost every element of
        // a CRL entry takes it.
        match self.peek_tag() {
            Some(tag) if tag & 0x1f != 0x1f => match self.take_short() {
                Some(tlv) => Ok(tlv),
                None => self.read_any_slow(),
            },
            _ => self.read_any_slow(),
        }
    }

    /// The next element if it has a short-form length and is fully present (its tag is the
    /// caller's to check): the fast path of [`Reader::read_any`] and [`Reader::read_short`].
    #[inline(always)]
    fn take_short(&mut self) -> Option<Tlv<'a>> {
        let rest = &self.data[self.pos..];
        if let [tag, len, ..] = *rest
            && len < 0x80
        {
            let end = 2 + usize::from(len);
            if end <= rest.len() {
                let start = self.offset();
                self.pos += end;
                return Some(Tlv {
                    tag,
                    value: &rest[2..end],
                    raw: &rest[..end],
                    offset: start,
                    value_offset: start + 2,
                });
            }
        }
        None
    }

    /// The next element if it has the `expected` tag, a short-form length and is fully
    /// present: the common case of [`Reader::read`], with no error to carry (`None` means "call
    /// `read`", which then decides). Returns exactly what `read` would.
    #[inline(always)]
    pub fn read_short(&mut self, expected: u8) -> Option<Tlv<'a>> {
        if self.peek_tag() == Some(expected) { self.take_short() } else { None }
    }

    #[inline(never)]
    fn read_any_slow(&mut self) -> Result<Tlv<'a>, Fault> {
        let rest = &self.data[self.pos..];
        let start = self.offset();
        let Some(header) = decode_header(rest, start)? else { return Err(self.incomplete(start, None)) };
        let available = (rest.len() - header.header_len) as u64;
        if header.len > available {
            let end = (start + header.header_len as u64).checked_add(header.len);
            return Err(self.incomplete(start, Some(end.unwrap_or(u64::MAX))));
        }
        let len = header.len as usize;
        let end = header.header_len + len;
        let tlv = Tlv {
            tag: header.tag,
            value: &rest[header.header_len..end],
            raw: &rest[..end],
            offset: start,
            value_offset: start + header.header_len as u64,
        };
        self.pos += end;
        Ok(tlv)
    }

    /// Read the next element and require its tag.
    #[inline(always)]
    pub fn read(&mut self, expected: u8) -> Result<Tlv<'a>, Fault> {
        match self.peek_tag() {
            Some(found) if found == expected => self.read_any(),
            Some(found) => Err(self.unexpected(expected, found)),
            None => Err(self.end_fault()),
        }
    }

    /// Read only the tag and length of the next element, which must have the `expected` tag
    /// and end by absolute offset `end` (its container's end), and step over the header: the
    /// streaming parser's view of a structure whose content it reads piece by piece. Checks
    /// come in the order [`Reader::read`] makes them.
    pub fn read_header(&mut self, expected: u8, end: u64) -> Result<Header, Fault> {
        let start = self.offset();
        match self.peek_tag() {
            Some(found) if found == expected => {}
            Some(found) => return Err(self.unexpected(expected, found)),
            None => return Err(self.end_fault()),
        }
        let Some(h) = decode_header(&self.data[self.pos..], start)? else { return Err(self.incomplete(start, None)) };
        let content = start + h.header_len as u64;
        if content > end || h.len > end - content {
            return Err(Fault::new(ErrorKind::Truncated, start));
        }
        self.pos += h.header_len;
        Ok(h)
    }

    /// Read the next element if it has the given tag.
    #[inline]
    pub fn read_optional(&mut self, expected: u8) -> Result<Option<Tlv<'a>>, Fault> {
        if self.peek_tag() == Some(expected) { self.read_any().map(Some) } else { Ok(None) }
    }

    /// The error for a wrong tag at the current position; names a wrong construction bit apart.
    pub fn unexpected(&self, expected: u8, found: u8) -> Fault {
        let kind = if found ^ expected == tag::CONSTRUCTED {
            ErrorKind::WrongConstruction
        } else {
            ErrorKind::UnexpectedTag { expected, found }
        };
        Fault::new(kind, self.offset())
    }

    /// Require that nothing is left.
    #[inline]
    pub fn finish(&self) -> Result<(), Fault> {
        if self.is_empty() { Ok(()) } else { Err(Fault::new(ErrorKind::TrailingData, self.offset())) }
    }
}

/// Validate INTEGER content: non-empty and minimal (X.690 8.3.2).
#[inline]
pub(crate) fn check_integer(tlv: &Tlv<'_>) -> Result<(), Fault> {
    match tlv.value {
        [] => Err(Fault::new(ErrorKind::EmptyInteger, tlv.offset)),
        [0x00, next, ..] if next & 0x80 == 0 => Err(Fault::new(ErrorKind::NonMinimalInteger, tlv.offset)),
        [0xff, next, ..] if next & 0x80 != 0 => Err(Fault::new(ErrorKind::NonMinimalInteger, tlv.offset)),
        _ => Ok(()),
    }
}

/// Read an INTEGER and return its content octets.
#[inline]
pub(crate) fn read_integer<'a>(r: &mut Reader<'a>) -> Result<Tlv<'a>, Fault> {
    let tlv = r.read(tag::INTEGER)?;
    check_integer(&tlv)?;
    Ok(tlv)
}

/// Value of a small INTEGER (at most 8 content octets), or `None` when it does not fit.
pub(crate) fn small_integer(content: &[u8]) -> Option<i64> {
    if content.is_empty() || content.len() > 8 {
        return None;
    }
    let mut v: i64 = if content[0] & 0x80 != 0 { -1 } else { 0 };
    for &b in content {
        v = (v << 8) | i64::from(b);
    }
    Some(v)
}

/// Decode a DER BOOLEAN's content (X.690 11.1: FALSE is 0x00, TRUE is 0xFF).
#[inline]
pub(crate) fn boolean_value(tlv: &Tlv<'_>) -> Result<bool, Fault> {
    match tlv.value {
        [0x00] => Ok(false),
        [0xff] => Ok(true),
        _ => Err(Fault::new(ErrorKind::InvalidBoolean, tlv.offset)),
    }
}

/// Validate OBJECT IDENTIFIER content: non-empty, minimal base-128 sub-identifiers.
#[inline]
pub(crate) fn check_oid(tlv: &Tlv<'_>) -> Result<(), Fault> {
    let v = tlv.value;
    let bad = Fault::new(ErrorKind::InvalidOid, tlv.offset);
    if v.is_empty() || v[v.len() - 1] & 0x80 != 0 {
        return Err(bad);
    }
    let mut at_start = true;
    for &b in v {
        if at_start && b == 0x80 {
            return Err(bad);
        }
        at_start = b & 0x80 == 0;
    }
    Ok(())
}

/// Read an OBJECT IDENTIFIER and return its content octets.
#[inline]
pub(crate) fn read_oid<'a>(r: &mut Reader<'a>) -> Result<Tlv<'a>, Fault> {
    let tlv = r.read(tag::OID)?;
    check_oid(&tlv)?;
    Ok(tlv)
}

/// Validate BIT STRING content per DER (X.690 11.2): unused-bits count 0..=7, zero when the
/// string is empty, and padding bits zero.
pub(crate) fn check_bit_string(tlv: &Tlv<'_>) -> Result<(), Fault> {
    let bad = Fault::new(ErrorKind::InvalidBitString, tlv.offset);
    match tlv.value {
        [] => Err(bad),
        [unused] if *unused != 0 => Err(bad),
        [unused, .., last] if *unused > 7 || last & ((1u8 << *unused) - 1) != 0 => Err(bad),
        _ => Ok(()),
    }
}

/// Walk every element below `tlv` (recursively into constructed ones), checking that each nested
/// length is well-formed. Used for fields kept raw (extension values we do not interpret) so that
/// "valid DER" means valid all the way down.
pub(crate) fn check_nested(data: &[u8], base: u64, depth: u32) -> Result<(), Fault> {
    if depth > 32 {
        return Err(Fault::new(ErrorKind::LengthTooLarge, base));
    }
    let mut r = Reader::new(data, base);
    while !r.is_empty() {
        let tlv = r.read_any()?;
        if tlv.tag & tag::CONSTRUCTED != 0 {
            check_nested(tlv.value, tlv.value_offset, depth + 1)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(data: &[u8]) -> ErrorKind {
        Reader::new(data, 0).read_any().unwrap_err().kind
    }

    #[test]
    fn lengths_must_be_minimal_and_definite() {
        assert_eq!(err(&[0x04, 0x80]), ErrorKind::IndefiniteLength);
        assert_eq!(err(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]), ErrorKind::NonMinimalLength);
        assert_eq!(err(&[0x04, 0x82, 0x00, 0x80]), ErrorKind::NonMinimalLength);
        assert_eq!(err(&[0x04, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1]), ErrorKind::LengthTooLarge);
        assert_eq!(err(&[0x1f, 0x01, 0x00]), ErrorKind::HighTagNumber);
        assert_eq!(err(&[0x04, 0x03, 1, 2]), ErrorKind::Truncated);
        assert_eq!(err(&[0x04, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), ErrorKind::Truncated);
        let mut r = Reader::new(&[0x04, 0x81, 0x80], 10);
        assert_eq!(r.read_any().unwrap_err(), Fault::new(ErrorKind::Truncated, 10));
    }

    #[test]
    fn long_form_lengths_decode() {
        let mut data = vec![0x04, 0x81, 0x80];
        data.extend(std::iter::repeat_n(7u8, 0x80));
        let tlv = Reader::new(&data, 100).read_any().unwrap();
        assert_eq!(tlv.value.len(), 0x80);
        assert_eq!(tlv.value_offset, 103);
        let mut data = vec![0x04, 0x82, 0x01, 0x00];
        data.extend(std::iter::repeat_n(7u8, 0x100));
        assert_eq!(Reader::new(&data, 0).read_any().unwrap().value.len(), 256);
    }

    #[test]
    fn integers_must_be_minimal() {
        let check = |v: &[u8]| {
            let mut data = vec![0x02, v.len() as u8];
            data.extend_from_slice(v);
            read_integer(&mut Reader::new(&data, 0)).map(|_| ()).map_err(|f| f.kind)
        };
        assert_eq!(check(&[]), Err(ErrorKind::EmptyInteger));
        assert_eq!(check(&[0x00, 0x7f]), Err(ErrorKind::NonMinimalInteger));
        assert_eq!(check(&[0xff, 0x80]), Err(ErrorKind::NonMinimalInteger));
        assert_eq!(check(&[0x00, 0x80]), Ok(()));
        assert_eq!(check(&[0xff, 0x7f]), Ok(()));
        assert_eq!(check(&[0x00]), Ok(()));
        assert_eq!(small_integer(&[0xff]), Some(-1));
        assert_eq!(small_integer(&[0x01, 0x00]), Some(256));
    }

    #[test]
    fn oids_bit_strings_booleans() {
        let oid = |v: &[u8]| {
            let mut d = vec![0x06, v.len() as u8];
            d.extend_from_slice(v);
            read_oid(&mut Reader::new(&d, 0)).map(|_| ()).map_err(|f| f.kind)
        };
        assert_eq!(oid(&[0x55, 0x1d, 0x14]), Ok(()));
        assert_eq!(oid(&[]), Err(ErrorKind::InvalidOid));
        assert_eq!(oid(&[0x55, 0x80, 0x01]), Err(ErrorKind::InvalidOid));
        assert_eq!(oid(&[0x55, 0x81]), Err(ErrorKind::InvalidOid));
        let bits = |v: &[u8]| {
            let mut d = vec![0x03, v.len() as u8];
            d.extend_from_slice(v);
            let tlv = Reader::new(&d, 0).read_any().unwrap();
            check_bit_string(&tlv).map_err(|f| f.kind)
        };
        assert_eq!(bits(&[0]), Ok(()));
        assert_eq!(bits(&[0, 0xff]), Ok(()));
        assert_eq!(bits(&[1, 0xfe]), Ok(()));
        assert_eq!(bits(&[1, 0xff]), Err(ErrorKind::InvalidBitString));
        assert_eq!(bits(&[8, 0x00]), Err(ErrorKind::InvalidBitString));
        assert_eq!(bits(&[1]), Err(ErrorKind::InvalidBitString));
        assert_eq!(bits(&[]), Err(ErrorKind::InvalidBitString));
        let b = |v: &[u8]| {
            let mut d = vec![0x01, v.len() as u8];
            d.extend_from_slice(v);
            boolean_value(&Reader::new(&d, 0).read_any().unwrap()).map_err(|f| f.kind)
        };
        assert_eq!(b(&[0xff]), Ok(true));
        assert_eq!(b(&[0x00]), Ok(false));
        assert_eq!(b(&[0x01]), Err(ErrorKind::InvalidBoolean));
        assert_eq!(b(&[0xff, 0xff]), Err(ErrorKind::InvalidBoolean));
    }

    #[test]
    fn wrong_construction_is_named() {
        let r = Reader::new(&[0x10, 0x00], 0);
        assert_eq!(r.unexpected(0x30, 0x10).kind, ErrorKind::WrongConstruction);
    }
}
