//! Certificate serial numbers as they appear in a CRL: the raw, minimally encoded INTEGER
//! content octets (two's complement, big-endian), with helpers for sign, magnitude and the
//! textual forms users meet.
//!
//! RFC 5280 4.1.2.2 requires positive serials of at most 20 octets, but also asks relying parties
//! to "gracefully handle" negative and zero ones; the parser keeps them all and flags nothing.
//! Reports (preflight) decide what to say about negative serials, which ALB cannot revoke.

use core::cmp::Ordering;
use core::fmt;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Each octet's two uppercase hex digits.
static HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX_UPPER[i >> 4], HEX_UPPER[i & 15]];
        i += 1;
    }
    t
};

/// A serial number borrowed from the input: INTEGER content octets, minimal and non-empty.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct SerialRef<'a> {
    content: &'a [u8],
}

impl<'a> SerialRef<'a> {
    /// Wrap INTEGER content octets. Returns `None` unless they are a minimal, non-empty encoding.
    pub fn from_der_content(content: &'a [u8]) -> Option<Self> {
        match content {
            [] => None,
            [0x00, next, ..] if next & 0x80 == 0 => None,
            [0xff, next, ..] if next & 0x80 != 0 => None,
            _ => Some(Self { content }),
        }
    }

    /// Already-checked content octets.
    pub(crate) const fn new_unchecked(content: &'a [u8]) -> Self {
        Self { content }
    }

    /// The INTEGER content octets exactly as encoded (sign byte included).
    pub const fn der_content(&self) -> &'a [u8] {
        self.content
    }

    /// True for a negative serial (top bit of the first octet set).
    pub fn is_negative(&self) -> bool {
        self.content[0] & 0x80 != 0
    }

    /// True for the serial zero.
    pub fn is_zero(&self) -> bool {
        self.content == [0]
    }

    /// For a non-negative serial, its magnitude without the DER sign byte (`[0]` for zero);
    /// `None` for a negative one (use [`SerialRef::write_hex`], which handles both).
    pub fn magnitude(&self) -> Option<&'a [u8]> {
        match self.content {
            [b, ..] if b & 0x80 != 0 => None,
            [0x00, rest @ ..] if !rest.is_empty() => Some(rest),
            all => Some(all),
        }
    }

    /// Number of octets of the magnitude (what RFC 5280's 20-octet limit counts).
    pub fn magnitude_len(&self) -> usize {
        match self.content {
            [0x00, rest @ ..] if !rest.is_empty() => rest.len(),
            all => all.len(),
        }
    }

    /// Append OpenSSL's `-serial` form: uppercase hex, two digits per octet, no sign byte,
    /// `00` for zero and a leading `-` plus the magnitude for negatives.
    #[inline]
    pub fn write_hex(&self, out: &mut Vec<u8>) {
        if let Some(mag) = self.magnitude() {
            let start = out.len();
            out.resize(start + mag.len() * 2, 0);
            for (dst, &b) in out[start..].chunks_exact_mut(2).zip(mag) {
                dst.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
            }
            return;
        }
        // Negative: magnitude = two's complement negation, computed from the least significant
        // octet upwards into the output, then reversed in place. No allocation beyond `out`.
        out.push(b'-');
        let start = out.len();
        let mut carry = true;
        for &b in self.content.iter().rev() {
            let (v, c) = (!b).overflowing_add(u8::from(carry));
            carry = c;
            out.push(HEX_UPPER[usize::from(v & 15)]);
            out.push(HEX_UPPER[usize::from(v >> 4)]);
        }
        // Drop leading zero octets of the magnitude (they sit at the end before reversing).
        while out.len() - start > 2 && out[out.len() - 2..] == *b"00" {
            out.truncate(out.len() - 2);
        }
        out[start..].reverse();
    }

    /// [`SerialRef::write_hex`] into the start of `out` for a non-negative serial whose digits
    /// fit: the number of bytes written, or `None` (nothing written) for a negative serial or
    /// one too long for `out`. For callers that build a line in a fixed buffer.
    #[inline]
    pub fn write_hex_to(&self, out: &mut [u8]) -> Option<usize> {
        let mag = self.magnitude()?;
        let out = out.get_mut(..mag.len() * 2)?;
        for (dst, &b) in out.chunks_exact_mut(2).zip(mag) {
            dst.copy_from_slice(&HEX_PAIRS[usize::from(b)]);
        }
        Some(out.len())
    }

    /// [`SerialRef::write_hex`] as a `String`.
    pub fn to_hex(&self) -> String {
        let mut v = Vec::with_capacity(self.content.len() * 2 + 1);
        self.write_hex(&mut v);
        String::from_utf8(v).unwrap_or_default()
    }
}

impl fmt::Display for SerialRef<'_> {
    /// OpenSSL's `-serial` form (see [`SerialRef::write_hex`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Ord for SerialRef<'_> {
    /// Numeric order of the values (minimal encodings make this a length-then-bytes compare).
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.is_negative(), other.is_negative()) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => {
                self.content.len().cmp(&other.content.len()).then_with(|| self.content.cmp(other.content))
            }
            (true, true) => other.content.len().cmp(&self.content.len()).then_with(|| self.content.cmp(other.content)),
        }
    }
}

impl PartialOrd for SerialRef<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(content: &[u8]) -> String {
        SerialRef::from_der_content(content).unwrap().to_hex()
    }

    #[test]
    fn openssl_serial_form() {
        assert_eq!(hex(&[0x00]), "00");
        assert_eq!(hex(&[0x01]), "01");
        assert_eq!(hex(&[0x7f]), "7F");
        assert_eq!(hex(&[0x00, 0x80]), "80");
        assert_eq!(hex(&[0x00, 0xe8, 0x01]), "E801");
        assert_eq!(hex(&[0x01, 0x00]), "0100");
        assert_eq!(hex(&[0xff]), "-01");
        assert_eq!(hex(&[0x80]), "-80");
        assert_eq!(hex(&[0xff, 0x7f]), "-81");
        assert_eq!(hex(&[0xff, 0x00]), "-0100");
        assert_eq!(hex(&[0x80, 0x00]), "-8000");
        assert_eq!(hex(&[0xfe, 0xdc, 0xba]), "-012346");
    }

    #[test]
    fn rejects_non_minimal() {
        assert!(SerialRef::from_der_content(&[]).is_none());
        assert!(SerialRef::from_der_content(&[0, 1]).is_none());
        assert!(SerialRef::from_der_content(&[0xff, 0xff]).is_none());
    }

    #[test]
    fn orders_by_value() {
        let s = |c: &'static [u8]| SerialRef::from_der_content(c).unwrap();
        let mut v =
            [s(&[0x01, 0x00]), s(&[0x80]), s(&[0x00]), s(&[0xff]), s(&[0x7f]), s(&[0x00, 0x80]), s(&[0xff, 0x00])];
        v.sort();
        let hexes: Vec<_> = v.iter().map(|s| s.to_hex()).collect();
        assert_eq!(hexes, ["-0100", "-80", "-01", "00", "7F", "80", "0100"]);
    }

    #[test]
    fn magnitude_len_counts_without_sign_byte() {
        let mut twenty = vec![0x00];
        twenty.extend([0xff; 20]);
        assert_eq!(SerialRef::from_der_content(&twenty).unwrap().magnitude_len(), 20);
    }
}
