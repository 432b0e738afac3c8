//! [`Serial`]: an owned certificate serial number, its text forms and its parser.

use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};

use crlkit_der::SerialRef;

/// Content octets kept inline; 20-octet serials (RFC 5280's maximum) plus a sign byte fit, so
/// reading a million serials makes no heap allocation per serial.
const INLINE: usize = 30;

/// The longest magnitude [`Serial::parse`] accepts, in octets. RFC 5280 allows 20; some CAs
/// exceeded it, none by this much.
pub const MAX_PARSE_OCTETS: usize = 64;

/// An owned serial number: minimal two's-complement INTEGER content octets (sign byte included
/// when the top bit of the magnitude is set), the same bytes a DER encoder writes. Equal values
/// have equal bytes, so hashing and comparing bytes is comparing values.
#[derive(Clone)]
pub struct Serial {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Serial {
    /// Copy a borrowed serial (from a CRL entry or a certificate).
    pub fn from_ref(serial: SerialRef<'_>) -> Self {
        Self::from_minimal(serial.der_content())
    }

    /// Wrap INTEGER content octets; `None` unless they are minimal and non-empty.
    pub fn from_der_content(content: &[u8]) -> Option<Self> {
        SerialRef::from_der_content(content).map(Self::from_ref)
    }

    fn from_minimal(content: &[u8]) -> Self {
        let repr = if content.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..content.len()].copy_from_slice(content);
            Repr::Inline { len: content.len() as u8, buf }
        } else {
            Repr::Heap(content.into())
        };
        Self { repr }
    }

    /// A non-negative serial from hex digits alone (an ALB log field, a plain hex argument),
    /// compared by value: leading zeros, case and a missing sign byte do not matter; `None`
    /// for a non-hex digit or more than `MAX_PARSE_OCTETS` octets. No heap allocation for
    /// serials up to 29 octets.
    pub fn from_hex_digits(hex: &[u8]) -> Option<Self> {
        let digits = {
            let zeros = hex.iter().take_while(|&&c| c == b'0').count();
            &hex[zeros..]
        };
        if digits.len() > MAX_PARSE_OCTETS * 2 {
            return None;
        }
        let mut buf = [0u8; MAX_PARSE_OCTETS + 1];
        let n = digits.len().div_ceil(2);
        let odd = digits.len() % 2;
        for (i, &c) in digits.iter().enumerate() {
            let v = (c as char).to_digit(16)? as u8;
            let slot = (i + odd) / 2;
            if (i + odd) % 2 == 0 {
                buf[slot] = v << 4;
            } else {
                buf[slot] |= v;
            }
        }
        Some(Self::from_magnitude(&buf[..n]))
    }

    /// A non-negative serial from big-endian magnitude octets (leading zeros allowed).
    pub fn from_magnitude(magnitude: &[u8]) -> Self {
        Self::from_sign_magnitude(false, magnitude)
    }

    /// A serial from a sign and big-endian magnitude octets (leading zeros allowed; minus zero
    /// is zero).
    pub fn from_sign_magnitude(negative: bool, magnitude: &[u8]) -> Self {
        let start = magnitude.iter().position(|&b| b != 0).unwrap_or(magnitude.len());
        let mag = &magnitude[start..];
        if mag.is_empty() {
            return Self::from_minimal(&[0]);
        }
        if !negative {
            // The common case (every log line): no heap, a sign byte only when needed.
            if mag[0] & 0x80 == 0 {
                return Self::from_minimal(mag);
            }
            if mag.len() < INLINE {
                let mut buf = [0u8; INLINE];
                buf[1..=mag.len()].copy_from_slice(mag);
                return Self { repr: Repr::Inline { len: mag.len() as u8 + 1, buf } };
            }
        }
        let mut content = Vec::with_capacity(mag.len() + 1);
        content.push(0);
        content.extend_from_slice(mag);
        if negative {
            // Two's complement: invert and add one, from the least significant octet.
            let mut carry = true;
            for b in content.iter_mut().rev() {
                let (v, c) = (!*b).overflowing_add(u8::from(carry));
                *b = v;
                carry = c;
            }
            // Minimal: drop 0xFF octets that only repeat the sign.
            let drop = content.windows(2).take_while(|w| w[0] == 0xff && w[1] & 0x80 != 0).count();
            content.drain(..drop);
        } else if content[1] & 0x80 == 0 {
            content.remove(0);
        }
        Self::from_minimal(&content)
    }

    /// The INTEGER content octets (minimal, sign byte included).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.repr {
            Repr::Inline { len, buf } => &buf[..usize::from(*len)],
            Repr::Heap(b) => b,
        }
    }

    /// The borrowed view, for everything [`SerialRef`] offers.
    pub fn as_serial_ref(&self) -> SerialRef<'_> {
        SerialRef::from_der_content(self.as_bytes()).expect("Serial always holds a minimal encoding")
    }

    /// True for a negative serial (ALB cannot revoke these).
    pub fn is_negative(&self) -> bool {
        self.as_bytes()[0] & 0x80 != 0
    }

    /// The serial in `format`.
    pub fn to_format(&self, format: SerialFormat) -> String {
        crate::format(self.as_serial_ref(), format)
    }

    /// Parse any text form of a serial number (see [`SerialFormat`] for the output forms):
    ///
    /// - hex, any case, odd lengths and leading zeros allowed (`0A`, `a`, `000a` are all ten),
    ///   with or without `0x`; a leading `-` for negatives (OpenSSL's `-serial` form);
    /// - colon hex (`0a:1b:2c`), as `openssl x509 -text` prints large serials, with an
    ///   optional `(Negative)` prefix or `-`;
    /// - OpenSSL's small form `4660 (0x1234)`; the two numbers must agree;
    /// - the prefixes `serial=` (`openssl x509 -serial`) and
    ///   `X-Amzn-Mtls-Clientcert-Serial-Number:` (ALB's mTLS header) are skipped;
    /// - digits only: hex or decimal as `bare` says. Hex is the default because every tool in
    ///   the revocation path (OpenSSL, ALB logs and headers, AWS Private CA) prints hex.
    pub fn parse(text: &str, bare: BareDigits) -> Result<Self, ParseError> {
        // Fast path for the common case, plain hex (a file of a million serials is mostly
        // this): no trimming, no prefixes, no allocation.
        let b = text.as_bytes();
        if !b.is_empty()
            && b.len() <= MAX_PARSE_OCTETS * 2
            && b.iter().all(u8::is_ascii_hexdigit)
            && (bare == BareDigits::Hex || !b.iter().all(u8::is_ascii_digit))
            && let Some(s) = Self::from_hex_digits(b)
        {
            return Ok(s);
        }
        let (negative, magnitude) = parse_magnitude(text, bare)?;
        Ok(Self::from_sign_magnitude(negative, &magnitude))
    }
}

impl From<SerialRef<'_>> for Serial {
    fn from(s: SerialRef<'_>) -> Self {
        Self::from_ref(s)
    }
}

impl PartialEq for Serial {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Serial {}

impl Hash for Serial {
    /// Hashes like the `[u8]` of [`Serial::as_bytes`], so sets of serials can be probed with
    /// borrowed content octets.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl AsRef<[u8]> for Serial {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Serial {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Ord for Serial {
    /// Numeric order.
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_serial_ref().cmp(&other.as_serial_ref())
    }
}

impl PartialOrd for Serial {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Serial {
    /// The `hex` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_format(SerialFormat::Hex))
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({self})")
    }
}

/// A fast hasher for serial content octets (an FxHash-style multiply-rotate over 8-byte
/// words). Serials are assigned by a CA, random or sequential, never chosen by whoever makes
/// the lookups, so SipHash's flooding resistance buys nothing here and costs a third of the
/// time of `check` and `scan-logs` on large inputs.
#[derive(Clone, Copy, Default)]
pub struct SerialHasher {
    state: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl SerialHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for SerialHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Spread the high bits down: hashbrown picks buckets with the low bits.
        self.state ^ (self.state >> 29)
    }
}

/// A hash map keyed by serials (or their content octets) with [`SerialHasher`].
pub type SerialMap<K, V> = std::collections::HashMap<K, V, core::hash::BuildHasherDefault<SerialHasher>>;

/// How to read a serial made only of decimal digits, which could be either base.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BareDigits {
    /// As hex (OpenSSL `-serial`, ALB logs and headers). The default.
    #[default]
    Hex,
    /// As decimal.
    Dec,
}

/// The text forms a serial is printed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SerialFormat {
    /// Uppercase hex, no colons, DER sign byte dropped, two digits per octet: `openssl x509
    /// -serial`, ALB connection logs, the `X-Amzn-Mtls-Clientcert-Serial-Number` header.
    /// Negatives get a leading `-` (as OpenSSL prints them).
    Hex,
    /// Lowercase colon-separated octets of the magnitude (`0e:53:…`), as `openssl x509 -text`
    /// prints large serials and AWS's RevokeCertificate documentation shows them. Negatives get
    /// a leading `-`.
    Colon,
    /// Decimal of any length, `-` for negatives.
    Dec,
    /// Exactly what `openssl x509 -noout -text` prints for the serial (trimmed): `4660
    /// (0x1234)` when the value fits a signed 64-bit integer, else colon hex on its own line,
    /// prefixed `(Negative)` for negatives. OpenSSL 3 uses the colon form for -1 as well (its
    /// "does not fit" marker is -1), and so does this.
    Openssl,
}

impl SerialFormat {
    /// Every form, in the order `--help` lists them.
    pub const ALL: [SerialFormat; 4] = [Self::Hex, Self::Colon, Self::Dec, Self::Openssl];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hex => "hex",
            Self::Colon => "colon",
            Self::Dec => "dec",
            Self::Openssl => "openssl",
        }
    }
}

/// The sign and big-endian magnitude of a serial (the magnitude of zero is `[0]`).
fn sign_magnitude(serial: SerialRef<'_>) -> (bool, Vec<u8>) {
    if let Some(mag) = serial.magnitude() {
        return (false, mag.to_vec());
    }
    let mut mag: Vec<u8> = serial.der_content().to_vec();
    let mut carry = true;
    for b in mag.iter_mut().rev() {
        let (v, c) = (!*b).overflowing_add(u8::from(carry));
        *b = v;
        carry = c;
    }
    let zeros = mag.iter().take_while(|&&b| b == 0).count().min(mag.len() - 1);
    mag.drain(..zeros);
    (true, mag)
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Append `serial` in `format` to `out`.
pub fn write_format(serial: SerialRef<'_>, format: SerialFormat, out: &mut Vec<u8>) {
    match format {
        SerialFormat::Hex => serial.write_hex(out),
        SerialFormat::Colon => {
            let (negative, mag) = sign_magnitude(serial);
            if negative {
                out.push(b'-');
            }
            write_colon(&mag, out);
        }
        SerialFormat::Dec => {
            let (negative, mag) = sign_magnitude(serial);
            if negative {
                out.push(b'-');
            }
            out.extend_from_slice(to_decimal(&mag).as_bytes());
        }
        SerialFormat::Openssl => {
            let (negative, mag) = sign_magnitude(serial);
            let small = if mag.len() <= 8 {
                let mut v = [0u8; 8];
                v[8 - mag.len()..].copy_from_slice(&mag);
                let m = u64::from_be_bytes(v);
                // Fits a signed 64-bit integer, and is not -1 (OpenSSL's failure marker).
                let fits = if negative { m <= 1 << 63 && m != 1 } else { m < 1 << 63 };
                fits.then_some(m)
            } else {
                None
            };
            match small {
                Some(m) => {
                    let sign = if negative { "-" } else { "" };
                    out.extend_from_slice(format!("{sign}{m} ({sign}0x{m:x})").as_bytes());
                }
                None => {
                    if negative {
                        out.extend_from_slice(b"(Negative)");
                    }
                    write_colon(&mag, out);
                }
            }
        }
    }
}

/// `serial` in `format`.
pub fn format(serial: SerialRef<'_>, format: SerialFormat) -> String {
    let mut out = Vec::with_capacity(serial.der_content().len() * 3 + 24);
    write_format(serial, format, &mut out);
    String::from_utf8(out).expect("serial forms are ASCII")
}

fn write_colon(mag: &[u8], out: &mut Vec<u8>) {
    for (i, &b) in mag.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        out.push(HEX_LOWER[usize::from(b >> 4)]);
        out.push(HEX_LOWER[usize::from(b & 15)]);
    }
}

/// Decimal digits of a big-endian magnitude, by repeated division by 10^9 over 32-bit limbs.
fn to_decimal(mag: &[u8]) -> String {
    let mut limbs: Vec<u32> = Vec::with_capacity(mag.len() / 4 + 1);
    let pad = (4 - mag.len() % 4) % 4;
    let mut padded = vec![0u8; pad];
    padded.extend_from_slice(mag);
    for c in padded.chunks_exact(4) {
        limbs.push(u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
    }
    let mut groups = Vec::new();
    while limbs.iter().any(|&l| l != 0) {
        let mut rem = 0u64;
        for l in limbs.iter_mut() {
            let cur = (rem << 32) | u64::from(*l);
            *l = (cur / 1_000_000_000) as u32;
            rem = cur % 1_000_000_000;
        }
        groups.push(rem as u32);
    }
    match groups.split_last() {
        None => "0".to_owned(),
        Some((top, rest)) => {
            let mut s = top.to_string();
            for g in rest.iter().rev() {
                s.push_str(&format!("{g:09}"));
            }
            s
        }
    }
}

/// Why a serial could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Nothing but whitespace or a prefix.
    Empty,
    /// A character that belongs to no serial form.
    InvalidCharacter(char),
    /// An empty or over-long group in colon hex (`0a::1b`, `abc:01`).
    BadColonGroup,
    /// More than [`MAX_PARSE_OCTETS`] octets.
    TooLong,
    /// OpenSSL's `D (0xH)` form with D and H of different values.
    Mismatch,
}

/// A serial that could not be read: what and where (1-based character column of the input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// 1-based column in the text given to [`Serial::parse`].
    pub column: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ParseErrorKind::Empty => f.write_str("empty serial number"),
            ParseErrorKind::InvalidCharacter(c) => {
                write!(f, "{c:?} at column {} is not part of a serial number (hex, colon hex or decimal)", self.column)
            }
            ParseErrorKind::BadColonGroup => {
                write!(f, "colon hex needs one or two hex digits between colons (column {})", self.column)
            }
            ParseErrorKind::TooLong => write!(f, "serial number longer than {MAX_PARSE_OCTETS} octets"),
            ParseErrorKind::Mismatch => f.write_str("the decimal and hex halves of `D (0xH)` differ"),
        }
    }
}

impl std::error::Error for ParseError {}

fn err(kind: ParseErrorKind, column: usize) -> ParseError {
    ParseError { kind, column }
}

/// Strip an ASCII prefix, ignoring case.
fn strip_prefix_ci<'t>(s: &'t str, prefix: &str) -> Option<&'t str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// Column (1-based, in characters) of byte index `at` of `sub`, a subslice of `whole`.
fn column(whole: &str, sub: &str, at: usize) -> usize {
    let start = sub.as_ptr() as usize - whole.as_ptr() as usize + at;
    whole[..start.min(whole.len())].chars().count() + 1
}

fn parse_magnitude(text: &str, bare: BareDigits) -> Result<(bool, Vec<u8>), ParseError> {
    let mut s = text.trim();
    for prefix in ["serial=", "x-amzn-mtls-clientcert-serial-number:", "serial number:"] {
        if let Some(rest) = strip_prefix_ci(s, prefix) {
            s = rest.trim();
        }
    }
    if s.is_empty() {
        return Err(err(ParseErrorKind::Empty, column(text, s, 0)));
    }
    // OpenSSL's `D (0xH)` and `-D (-0xH)`.
    if let Some(open) = s.find('(')
        && s.ends_with(')')
        && !s.starts_with('(')
    {
        let dec = s[..open].trim_end();
        let hex = &s[open + 1..s.len() - 1];
        let (dn, dm) = parse_signed(text, dec, BareDigits::Dec)?;
        let (hn, hm) = parse_signed(text, hex, BareDigits::Hex)?;
        if !hex.trim_start_matches('-').starts_with("0x")
            || Serial::from_sign_magnitude(dn, &dm) != Serial::from_sign_magnitude(hn, &hm)
        {
            return Err(err(ParseErrorKind::Mismatch, column(text, s, 0)));
        }
        return Ok((dn, dm));
    }
    if let Some(rest) = s.strip_prefix("(Negative)") {
        let (neg, mag) = parse_signed(text, rest.trim(), bare)?;
        if neg {
            return Err(err(ParseErrorKind::InvalidCharacter('-'), column(text, rest.trim(), 0)));
        }
        return Ok((true, mag));
    }
    parse_signed(text, s, bare)
}

/// `-`? then hex (`0x`, colon or plain) or decimal.
fn parse_signed(whole: &str, s: &str, bare: BareDigits) -> Result<(bool, Vec<u8>), ParseError> {
    let (negative, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if body.is_empty() {
        return Err(err(ParseErrorKind::Empty, column(whole, s, 0)));
    }
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        return Ok((negative, parse_hex(whole, hex)?));
    }
    if body.contains(':') {
        return Ok((negative, parse_colon(whole, body)?));
    }
    let mut any_hex_letter = false;
    for (i, c) in body.char_indices() {
        if !c.is_ascii_hexdigit() {
            return Err(err(ParseErrorKind::InvalidCharacter(c), column(whole, body, i)));
        }
        any_hex_letter |= !c.is_ascii_digit();
    }
    if !any_hex_letter && bare == BareDigits::Dec {
        return Ok((negative, parse_decimal(whole, body)?));
    }
    Ok((negative, parse_hex(whole, body)?))
}

fn hex_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn parse_hex(whole: &str, hex: &str) -> Result<Vec<u8>, ParseError> {
    if hex.is_empty() {
        return Err(err(ParseErrorKind::Empty, column(whole, hex, 0)));
    }
    let digits = hex.trim_start_matches('0');
    if digits.len() > MAX_PARSE_OCTETS * 2 {
        return Err(err(ParseErrorKind::TooLong, column(whole, hex, 0)));
    }
    let mut out = Vec::with_capacity(digits.len() / 2 + 1);
    let odd = digits.len() % 2;
    let bytes = digits.as_bytes();
    if odd == 1 {
        out.push(0);
    }
    for (i, &c) in bytes.iter().enumerate() {
        let v = hex_value(c).ok_or_else(|| {
            let at = hex.len() - digits.len() + i;
            err(ParseErrorKind::InvalidCharacter(hex[at..].chars().next().unwrap_or('?')), column(whole, hex, at))
        })?;
        let slot = (i + odd) / 2;
        if slot == out.len() {
            out.push(v << 4);
        } else {
            out[slot] |= v;
        }
    }
    Ok(out)
}

fn parse_colon(whole: &str, text: &str) -> Result<Vec<u8>, ParseError> {
    let mut out = Vec::new();
    let mut at = 0;
    for group in text.split(':') {
        if group.is_empty() || group.len() > 2 {
            return Err(err(ParseErrorKind::BadColonGroup, column(whole, text, at)));
        }
        let mut v = 0u8;
        for (i, c) in group.bytes().enumerate() {
            let d = hex_value(c).ok_or_else(|| {
                err(
                    ParseErrorKind::InvalidCharacter(group[i..].chars().next().unwrap_or('?')),
                    column(whole, text, at + i),
                )
            })?;
            v = (v << 4) | d;
        }
        out.push(v);
        at += group.len() + 1;
    }
    let zeros = out.iter().take_while(|&&b| b == 0).count();
    out.drain(..zeros);
    if out.len() > MAX_PARSE_OCTETS {
        return Err(err(ParseErrorKind::TooLong, column(whole, text, 0)));
    }
    Ok(out)
}

fn parse_decimal(whole: &str, dec: &str) -> Result<Vec<u8>, ParseError> {
    let mut mag: Vec<u8> = Vec::new();
    for (i, c) in dec.bytes().enumerate() {
        if !c.is_ascii_digit() {
            return Err(err(ParseErrorKind::InvalidCharacter(c as char), column(whole, dec, i)));
        }
        // mag = mag * 10 + digit, big-endian.
        let mut carry = u32::from(c - b'0');
        for b in mag.iter_mut().rev() {
            let v = u32::from(*b) * 10 + carry;
            *b = v as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            mag.insert(0, carry as u8);
            carry >>= 8;
        }
        if mag.len() > MAX_PARSE_OCTETS {
            return Err(err(ParseErrorKind::TooLong, column(whole, dec, 0)));
        }
    }
    if dec.is_empty() {
        return Err(err(ParseErrorKind::Empty, column(whole, dec, 0)));
    }
    Ok(mag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits_compare_by_value() {
        let ten = Serial::from_magnitude(&[10]);
        for hex in [&b"A"[..], b"0A", b"0a", b"000a"] {
            assert_eq!(Serial::from_hex_digits(hex), Some(ten.clone()));
        }
        assert_eq!(Serial::from_hex_digits(b"80").unwrap().as_bytes(), [0, 0x80], "sign byte added");
        assert_eq!(Serial::from_hex_digits(b"0").unwrap().as_bytes(), [0]);
        assert_eq!(
            Serial::from_hex_digits(b"FEF257372D5C14D4").unwrap(),
            Serial::parse("fe:f2:57:37:2d:5c:14:d4", Default::default()).unwrap()
        );
        assert!(Serial::from_hex_digits(&[b'f'; 200]).is_none());
        assert!(Serial::from_hex_digits(b"0g").is_none());
    }

    fn p(s: &str) -> Serial {
        Serial::parse(s, BareDigits::Hex).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn all_forms(s: &Serial) -> [String; 4] {
        [SerialFormat::Hex, SerialFormat::Colon, SerialFormat::Dec, SerialFormat::Openssl].map(|f| s.to_format(f))
    }

    #[test]
    fn encodings_are_minimal_twos_complement() {
        assert_eq!(p("0").as_bytes(), [0]);
        assert_eq!(p("-0").as_bytes(), [0]);
        assert_eq!(p("7f").as_bytes(), [0x7f]);
        assert_eq!(p("80").as_bytes(), [0, 0x80]);
        assert_eq!(p("-80").as_bytes(), [0x80]);
        assert_eq!(p("-81").as_bytes(), [0xff, 0x7f]);
        assert_eq!(p("-1").as_bytes(), [0xff]);
        assert_eq!(p("-100").as_bytes(), [0xff, 0x00]);
        assert_eq!(p("-8000000000000000").as_bytes(), [0x80, 0, 0, 0, 0, 0, 0, 0]);
        for s in ["0", "1", "7F", "80", "FF", "-01", "-80", "-81", "-0100", "7FFFFFFFFFFFFFFF", "8000000000000000"] {
            let serial = p(s);
            assert_eq!(Some(serial.clone()), Serial::from_der_content(serial.as_bytes()), "{s} is minimal");
        }
    }

    #[test]
    fn every_input_form_reads_the_same_value() {
        let ten = p("0A");
        for s in ["A", "a", "0a", "000A", "0x0a", "0XA", "0a", "10 (0xa)", "serial=0A", " 0A \t", "0:0a"] {
            assert_eq!(p(s), ten, "{s}");
        }
        assert_eq!(Serial::parse("10", BareDigits::Dec).unwrap(), ten);
        assert_eq!(p("10"), p("0x10"), "bare digits are hex by default");
        assert_eq!(p("X-Amzn-Mtls-Clientcert-Serial-Number: 03A5B1"), p("3a5b1"));
        assert_eq!(p("(Negative)01"), p("-1"));
        assert_eq!(p("-128 (-0x80)"), p("-80"));
        assert_eq!(p("(Negative)80:00:00:00:00:00:00:01"), p("-8000000000000001"));
        assert_eq!(p("fe:f2:57"), p("FEF257"));
    }

    #[test]
    fn bad_input_says_what_and_where() {
        let e = |s: &str| Serial::parse(s, BareDigits::Hex).unwrap_err();
        assert_eq!(e("").kind, ParseErrorKind::Empty);
        assert_eq!(e("serial=").kind, ParseErrorKind::Empty);
        assert_eq!(e("-").kind, ParseErrorKind::Empty);
        assert_eq!(e("12G4"), ParseError { kind: ParseErrorKind::InvalidCharacter('G'), column: 3 });
        assert_eq!(e("  12 34"), ParseError { kind: ParseErrorKind::InvalidCharacter(' '), column: 5 });
        assert_eq!(e("0a::1b").kind, ParseErrorKind::BadColonGroup);
        assert_eq!(e("abc:01").kind, ParseErrorKind::BadColonGroup);
        assert_eq!(e("0a:zz"), ParseError { kind: ParseErrorKind::InvalidCharacter('z'), column: 4 });
        assert_eq!(e("11 (0xa)").kind, ParseErrorKind::Mismatch);
        assert_eq!(e("10 (a)").kind, ParseErrorKind::Mismatch);
        assert_eq!(e(&"f".repeat(MAX_PARSE_OCTETS * 2 + 1)).kind, ParseErrorKind::TooLong);
        assert_eq!(Serial::parse(&"9".repeat(200), BareDigits::Dec).unwrap_err().kind, ParseErrorKind::TooLong);
        assert_eq!(e("0x").kind, ParseErrorKind::Empty);
        assert_eq!(e("ü1"), ParseError { kind: ParseErrorKind::InvalidCharacter('ü'), column: 1 });
        assert!(e("12G4").to_string().contains("column 3"));
    }

    #[test]
    fn output_forms_of_the_edge_serials() {
        let cases: [(&str, [&str; 4]); 10] = [
            ("0", ["00", "00", "0", "0 (0x0)"]),
            ("1", ["01", "01", "1", "1 (0x1)"]),
            ("7F", ["7F", "7f", "127", "127 (0x7f)"]),
            ("80", ["80", "80", "128", "128 (0x80)"]),
            ("FF", ["FF", "ff", "255", "255 (0xff)"]),
            (
                "7FFFFFFFFFFFFFFF",
                [
                    "7FFFFFFFFFFFFFFF",
                    "7f:ff:ff:ff:ff:ff:ff:ff",
                    "9223372036854775807",
                    "9223372036854775807 (0x7fffffffffffffff)",
                ],
            ),
            (
                "8000000000000000",
                ["8000000000000000", "80:00:00:00:00:00:00:00", "9223372036854775808", "80:00:00:00:00:00:00:00"],
            ),
            ("-1", ["-01", "-01", "-1", "(Negative)01"]),
            ("-80", ["-80", "-80", "-128", "-128 (-0x80)"]),
            (
                "-8000000000000000",
                [
                    "-8000000000000000",
                    "-80:00:00:00:00:00:00:00",
                    "-9223372036854775808",
                    "-9223372036854775808 (-0x8000000000000000)",
                ],
            ),
        ];
        for (input, want) in cases {
            assert_eq!(all_forms(&p(input)), want, "{input}");
        }
        let big = p("80112233445566778899AABBCCDDEEFF00112233");
        assert_eq!(big.as_bytes().len(), 21);
        assert_eq!(big.to_format(SerialFormat::Dec), "731132910596779799734052530039897400808915935795");
        assert_eq!(big.to_format(SerialFormat::Openssl), "80:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33");
    }

    #[test]
    fn every_output_form_reads_back() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for len in 1..=24usize {
            for negative in [false, true] {
                let mag: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                let s = Serial::from_sign_magnitude(negative, &mag);
                for f in [SerialFormat::Hex, SerialFormat::Colon, SerialFormat::Openssl] {
                    assert_eq!(p(&s.to_format(f)), s, "{f:?} {s}");
                }
                assert_eq!(Serial::parse(&s.to_format(SerialFormat::Dec), BareDigits::Dec).unwrap(), s);
            }
        }
    }

    #[test]
    fn order_and_hash_follow_the_value() {
        use std::collections::HashSet;
        let mut v: Vec<Serial> = ["-100", "-1", "0", "1", "7F", "80", "100", "-80"].iter().map(|s| p(s)).collect();
        v.sort();
        let names: Vec<String> = v.iter().map(|s| s.to_format(SerialFormat::Dec)).collect();
        assert_eq!(names, ["-256", "-128", "-1", "0", "1", "127", "128", "256"]);
        let set: HashSet<Serial> = v.iter().cloned().collect();
        let mut map: SerialMap<Serial, usize> = SerialMap::default();
        map.extend(v.iter().cloned().zip(0..));
        assert_eq!(map.get(&[0xff, 0x00][..]), Some(&0), "-256 probed by content octets");
        assert_eq!(map.len(), 8);
        assert!(set.contains(&[0x00, 0x80][..]), "probe with borrowed content octets");
        let long = Serial::from_magnitude(&[0x11; 40]);
        assert_eq!(long.as_bytes().len(), 40);
        assert_eq!(p(&long.to_format(SerialFormat::Hex)), long);
    }
}
