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
    #[inline]
    pub fn magnitude(&self) -> Option<&'a [u8]> {
        if self.content.first().is_some_and(|b| b & 0x80 != 0) {
            return None;
        }
        Some(&self.content[self.sign_octets()..])
    }

    /// Number of octets of the magnitude (what RFC 5280's 20-octet limit counts).
    #[inline]
    pub fn magnitude_len(&self) -> usize {
        self.content.len() - self.sign_octets()
    }

    /// 1 when the content starts with a sign octet (a zero followed by more octets, which in
    /// minimal DER start with a high bit), else 0. No branch: random serials have one half of
    /// the time, so a branch on it mispredicts as often.
    #[inline(always)]
    fn sign_octets(&self) -> usize {
        usize::from((self.content.len() > 1) & (self.content.first() == Some(&0)))
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

    /// [`SerialRef::write_hex_to`] into a line being built, which may take more of `out`
    /// than the digits: the bytes after them are left undefined, for the caller to write the
    /// next field over. Magnitudes of 16 to 24 octets (random serials, whose length varies
    /// from entry to entry) are written in six fixed steps with no branch on their length.
    #[inline]
    pub fn write_hex_over(&self, out: &mut [u8; 64]) -> Option<usize> {
        let mag = self.magnitude()?;
        let n = mag.len();
        if !(16..=24).contains(&n) {
            return self.write_hex_to(out);
        }
        // The magnitude at the start of 24 bytes, from two copies of 16 that overlap.
        let mut padded = [0u8; 24];
        padded[..16].copy_from_slice(&mag[..16]);
        padded[n - 16..n].copy_from_slice(&mag[n - 16..]);
        for (o, p) in out[..48].chunks_exact_mut(8).zip(padded.chunks_exact(4)) {
            let pair = |i: usize| u64::from(u16::from_le_bytes(HEX_PAIRS[usize::from(p[i])]));
            let digits = pair(0) | (pair(1) << 16) | (pair(2) << 32) | (pair(3) << 48);
            o.copy_from_slice(&digits.to_le_bytes());
        }
        Some(2 * n)
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
    fn write_hex_over_writes_what_write_hex_to_does() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for len in 1..=34 {
            for round in 0..64 {
                let mut content: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                // Sign octets, zero runs and negatives among them.
                match round % 4 {
                    0 => content[0] = 0,
                    1 => content[0] &= 0x7f,
                    2 => content[0] |= 0x80,
                    _ => {}
                }
                let serial = SerialRef::new_unchecked(&content);
                let (mut to, mut over) = ([0u8; 64], [0xaau8; 64]);
                let expected = serial.write_hex_to(&mut to);
                let got = serial.write_hex_over(&mut over);
                assert_eq!(got, expected, "{content:02x?}");
                if let Some(n) = got {
                    assert_eq!(over[..n], to[..n], "{content:02x?}");
                    let mut v = Vec::new();
                    serial.write_hex(&mut v);
                    assert_eq!(over[..n], v, "{content:02x?}");
                }
            }
        }
    }

    #[test]
    fn magnitude_drops_only_a_sign_octet() {
        let m = |c: &[u8]| SerialRef::new_unchecked(c).magnitude().map(<[u8]>::to_vec);
        assert_eq!(m(&[0x00]), Some(vec![0x00]));
        assert_eq!(m(&[0x00, 0x80]), Some(vec![0x80]));
        assert_eq!(m(&[0x00, 0x01]), Some(vec![0x01]));
        assert_eq!(m(&[0x01, 0x00]), Some(vec![0x01, 0x00]));
        assert_eq!(m(&[0x80]), None);
        assert_eq!(m(&[]), Some(vec![]));
        assert_eq!(SerialRef::new_unchecked(&[0x00, 0x80, 0x01]).magnitude_len(), 2);
        assert_eq!(SerialRef::new_unchecked(&[0x00]).magnitude_len(), 1);
        assert_eq!(SerialRef::new_unchecked(&[0x7f, 0x01]).magnitude_len(), 2);
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
