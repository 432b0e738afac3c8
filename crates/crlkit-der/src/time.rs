//! UTCTime and GeneralizedTime as RFC 5280 4.1.2.5 profiles them, without allocation.
//!
//! # Deviations
//! - RFC 5280 says CAs MUST encode dates before 2050 as UTCTime. We accept GeneralizedTime for
//!   any year (BoringSSL's `good_generalizedtime` and real CAs do this) and keep which encoding
//!   was used, so a preflight report can mention it.
//! - Leap seconds (`60`) are refused: X.509 time has none.

use core::cmp::Ordering;
use core::fmt;

use crate::der::{Tlv, tag};
use crate::error::{ErrorKind, Fault};

/// How a time was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeEncoding {
    /// UTCTime, `YYMMDDHHMMSSZ`.
    UtcTime,
    /// GeneralizedTime, `YYYYMMDDHHMMSSZ`.
    GeneralizedTime,
}

/// A point in time with one-second resolution, as read from a CRL.
///
/// Equality and ordering compare the instant only, not the encoding.
#[derive(Clone, Copy, Debug)]
pub struct Time {
    unix: i64,
    encoding: TimeEncoding,
}

impl PartialEq for Time {
    fn eq(&self, other: &Self) -> bool {
        self.unix == other.unix
    }
}
impl Eq for Time {}
impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Time {
    fn cmp(&self, other: &Self) -> Ordering {
        self.unix.cmp(&other.unix)
    }
}
impl core::hash::Hash for Time {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.unix.hash(state);
    }
}

/// Broken-down UTC date and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    /// Full year, e.g. 2026.
    pub year: i64,
    /// 1..=12.
    pub month: u8,
    /// 1..=31.
    pub day: u8,
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=59.
    pub second: u8,
}

impl Time {
    /// The earliest instant a CRL can hold: 0000-01-01T00:00:00Z (GeneralizedTime's 4 digits).
    pub const MIN_UNIX: i64 = -62_167_219_200;
    /// The latest instant a CRL can hold: 9999-12-31T23:59:59Z.
    pub const MAX_UNIX: i64 = 253_402_300_799;

    /// A time from seconds since 1970-01-01T00:00:00Z, encoded as RFC 5280 would (UTCTime
    /// for 1950..=2049, GeneralizedTime otherwise). `None` outside years 0..=9999, which no
    /// CRL can encode: nothing is ever clamped into another date.
    pub fn from_unix(unix: i64) -> Option<Self> {
        if !(Self::MIN_UNIX..=Self::MAX_UNIX).contains(&unix) {
            return None;
        }
        let year = civil_from_days(unix.div_euclid(86_400)).0;
        let encoding = if (1950..2050).contains(&year) { TimeEncoding::UtcTime } else { TimeEncoding::GeneralizedTime };
        Some(Self { unix, encoding })
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub const fn unix(&self) -> i64 {
        self.unix
    }

    /// How the time was encoded in the CRL.
    pub const fn encoding(&self) -> TimeEncoding {
        self.encoding
    }

    /// Parse `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339 in UTC, no fractions) or `YYYY-MM-DD` (midnight).
    pub fn from_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let digits =
            |r: core::ops::Range<usize>| b.get(r).filter(|d| d.iter().all(u8::is_ascii_digit)).map(<[u8]>::to_vec);
        let mut g = Vec::with_capacity(15);
        match b.len() {
            10 if b[4] == b'-' && b[7] == b'-' => {
                for r in [0..4, 5..7, 8..10] {
                    g.extend(digits(r)?);
                }
                g.extend_from_slice(b"000000");
            }
            20 if b[4] == b'-'
                && b[7] == b'-'
                && (b[10] == b'T' || b[10] == b't' || b[10] == b' ')
                && b[13] == b':'
                && b[16] == b':'
                && (b[19] == b'Z' || b[19] == b'z') =>
            {
                for r in [0..4, 5..7, 8..10, 11..13, 14..16, 17..19] {
                    g.extend(digits(r)?);
                }
            }
            _ => return None,
        }
        g.push(b'Z');
        let t = Self::parse_generalized(&g, 0).ok()?;
        Self::from_unix(t.unix)
    }

    /// The broken-down UTC date and time.
    pub fn date_time(&self) -> DateTime {
        let days = self.unix.div_euclid(86_400);
        let secs = self.unix.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        DateTime {
            year,
            month,
            day,
            hour: (secs / 3600) as u8,
            minute: (secs / 60 % 60) as u8,
            second: (secs % 60) as u8,
        }
    }

    /// RFC 3339 form, `2026-11-28T18:49:49Z`, into a fixed buffer. Every `Time` lies in
    /// years 0..=9999 (see [`Time::from_unix`]), so four digits always hold the year.
    #[inline]
    pub fn rfc3339_bytes(&self) -> [u8; 20] {
        // `list` prints millions of these: the date without divisions by anything but
        // constants ([`civil_from_days_fast`]) and two digits per table lookup.
        let days = self.unix.div_euclid(86_400);
        let secs = self.unix.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days_fast(days);
        let (hh, rest) = (secs / 3600, secs % 3600);
        let mut out = *b"0000-00-00T00:00:00Z";
        out[0..2].copy_from_slice(&DIGIT_PAIRS[(y / 100) as usize]);
        out[2..4].copy_from_slice(&DIGIT_PAIRS[(y % 100) as usize]);
        out[5..7].copy_from_slice(&DIGIT_PAIRS[usize::from(m)]);
        out[8..10].copy_from_slice(&DIGIT_PAIRS[usize::from(d)]);
        out[11..13].copy_from_slice(&DIGIT_PAIRS[hh as usize]);
        out[14..16].copy_from_slice(&DIGIT_PAIRS[(rest / 60) as usize]);
        out[17..19].copy_from_slice(&DIGIT_PAIRS[(rest % 60) as usize]);
        out
    }

    /// [`Time::rfc3339_bytes`] of the time whose DER content is `v` under `tag`, copied from
    /// its digits with the century of a two-digit year: no date conversion. Only for content
    /// the time parsers accepted (they accept nothing but `YYMMDDHHMMSSZ` and
    /// `YYYYMMDDHHMMSSZ` with valid fields, so the digits are the instant's own); `None` for a
    /// tag or length no parsed time has.
    #[inline(always)]
    pub fn rfc3339_from_content(tag: u8, v: &[u8]) -> Option<[u8; 20]> {
        let mut out = [0u8; 20];
        Self::write_rfc3339_from_content(tag, v, &mut out).then_some(out)
    }

    /// [`Time::rfc3339_from_content`] written straight into `out` (a line being formatted:
    /// no array built on the stack and copied, which stalls on its own stores); false, with
    /// `out` as it was, for a tag or length no parsed time has.
    #[inline(always)]
    pub fn write_rfc3339_from_content(tag: u8, v: &[u8], out: &mut [u8; 20]) -> bool {
        // Whole words put together with the separators as constants, not 20 single bytes
        // moved: `list` writes one of these per entry.
        let word = |b: &[u8]| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        // `head`: "CCYY-MM-"; `day`: DD in its two low bytes; `hms`: HHMMSS in its six low bytes.
        let (head, day, hms) = match (tag, v.len()) {
            (tag::UTC_TIME, 13) if v[12] == b'Z' => {
                let a = word(&v[0..8]);
                let century: u64 = if v[0] >= b'5' { 0x3931 } else { 0x3032 };
                let head = century | (a & 0xffff) << 16 | 0x2d << 32 | ((a >> 16) & 0xffff) << 40 | 0x2d << 56;
                (head, (a >> 32) & 0xffff, word(&v[5..13]) >> 8)
            }
            (tag::GENERALIZED_TIME, 15) if v[14] == b'Z' => {
                let a = word(&v[0..8]);
                let head = (a & 0xffff_ffff) | 0x2d << 32 | ((a >> 32) & 0xffff) << 40 | 0x2d << 56;
                (head, (a >> 48) & 0xffff, word(&v[7..15]) >> 8)
            }
            _ => return false,
        };
        let middle = day | 0x54 << 16 | (hms & 0xffff) << 24 | 0x3a << 40 | ((hms >> 16) & 0xffff) << 48;
        let tail = 0x3a | ((hms >> 32) & 0xffff) << 8 | 0x5a << 24;
        out[0..8].copy_from_slice(&head.to_le_bytes());
        out[8..16].copy_from_slice(&middle.to_le_bytes());
        out[16..20].copy_from_slice(&(tail as u32).to_le_bytes());
        true
    }

    /// The DER content octets RFC 5280 prescribes for this instant (13 bytes for UTCTime,
    /// 15 for GeneralizedTime) and the tag to use.
    pub fn der_content(&self) -> (u8, [u8; 15], usize) {
        let dt = self.date_time();
        let mut out = [b'0'; 15];
        let y = dt.year as u32;
        let (tag, mut i) = match self.encoding {
            TimeEncoding::UtcTime => {
                put2(&mut out[0..2], (y % 100) as u8);
                (tag::UTC_TIME, 2)
            }
            TimeEncoding::GeneralizedTime => {
                put4(&mut out[0..4], y);
                (tag::GENERALIZED_TIME, 4)
            }
        };
        for v in [dt.month, dt.day, dt.hour, dt.minute, dt.second] {
            put2(&mut out[i..i + 2], v);
            i += 2;
        }
        out[i] = b'Z';
        (tag, out, i + 1)
    }

    /// Parse a Time CHOICE element (UTCTime or GeneralizedTime).
    #[inline]
    pub(crate) fn from_tlv(tlv: &Tlv<'_>) -> Result<Self, Fault> {
        match tlv.tag {
            tag::UTC_TIME => Self::parse_utc(tlv.value, tlv.offset),
            tag::GENERALIZED_TIME => Self::parse_generalized(tlv.value, tlv.offset),
            found => Err(Fault::new(ErrorKind::InvalidTag { found }, tlv.offset)),
        }
    }

    /// UTCTime content `YYMMDDHHMMSSZ`; YY >= 50 means 19YY (RFC 5280 4.1.2.5.1).
    #[inline]
    pub(crate) fn parse_utc(v: &[u8], offset: u64) -> Result<Self, Fault> {
        let bad = Fault::new(ErrorKind::InvalidTimeFormat, offset);
        let v: &[u8; 13] = v.try_into().map_err(|_| bad)?;
        if v[12] != b'Z' {
            return Err(bad);
        }
        // Twelve digits as six two-digit numbers, checked eight bytes at a time.
        let a = digit_pairs(u64::from_le_bytes([v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]])).ok_or(bad)?;
        let b = digit_pairs(u64::from_le_bytes([v[8], v[9], v[10], v[11], b'0', b'0', b'0', b'0'])).ok_or(bad)?;
        let yy = a[0];
        let year = if yy >= 50 { 1900 + i64::from(yy) } else { 2000 + i64::from(yy) };
        let unix = civil_to_unix_fields(year, a[1], a[2], a[3], b[0], b[1], offset)?;
        Ok(Self { unix, encoding: TimeEncoding::UtcTime })
    }

    /// UTCTime content for the entry parser's fast path: the same instant [`Time::parse_utc`]
    /// gives, or `None` wherever it fails (the caller then takes the general path, which
    /// reports the error). Branch-light: two words of digits and table lookups for the year
    /// and month, since a two-digit year can only be 1950..=2049.
    #[inline(always)]
    pub(crate) fn utc_fast(v: &[u8]) -> Option<Self> {
        let v: &[u8; 13] = v.try_into().ok()?;
        if v[12] != b'Z' {
            return None;
        }
        let a = digit_pairs(u64::from_le_bytes([v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]]))?;
        let b = digit_pairs(u64::from_le_bytes([v[8], v[9], v[10], v[11], b'0', b'0', b'0', b'0']))?;
        let (yy, month, day, hour, minute, second) = (a[0], a[1], a[2], a[3], b[0], b[1]);
        let leap = usize::from(yy % 4 == 0);
        let m = usize::from(month);
        if m.wrapping_sub(1) >= 12
            || day == 0
            || day > DAYS_IN_MONTH[leap][m]
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        let days = i64::from(UTC_YEAR_DAYS[usize::from(yy)]) + i64::from(MONTH_START[leap][m]) + i64::from(day) - 1;
        let unix = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        Some(Self { unix, encoding: TimeEncoding::UtcTime })
    }

    /// GeneralizedTime content for the fast path: what [`Time::parse_generalized`] gives, or
    /// `None` wherever it fails.
    #[inline(always)]
    pub(crate) fn generalized_fast(v: &[u8]) -> Option<Self> {
        let v: &[u8; 15] = v.try_into().ok()?;
        if v[14] != b'Z' {
            return None;
        }
        let a = digit_pairs(u64::from_le_bytes([v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]]))?;
        let b = digit_pairs(u64::from_le_bytes([v[8], v[9], v[10], v[11], v[12], v[13], b'0', b'0']))?;
        let year = i64::from(a[0]) * 100 + i64::from(a[1]);
        let unix = civil_to_unix_fields(year, a[2], a[3], b[0], b[1], b[2], 0).ok()?;
        Some(Self { unix, encoding: TimeEncoding::GeneralizedTime })
    }

    /// GeneralizedTime content `YYYYMMDDHHMMSSZ` (RFC 5280 4.1.2.5.2: no fractional seconds).
    #[inline]
    pub(crate) fn parse_generalized(v: &[u8], offset: u64) -> Result<Self, Fault> {
        let bad = Fault::new(ErrorKind::InvalidTimeFormat, offset);
        if v.len() > 15 && v.get(14) == Some(&b'.') {
            return Err(Fault::new(ErrorKind::InvalidGeneralizedTime, offset));
        }
        let v: &[u8; 15] = v.try_into().map_err(|_| bad)?;
        if v[14] != b'Z' {
            return Err(bad);
        }
        let hi = digits2(v[0], v[1]).ok_or(bad)?;
        let lo = digits2(v[2], v[3]).ok_or(bad)?;
        let year = hi as i64 * 100 + lo as i64;
        let unix = civil_to_unix(year, &v[4..14], offset)?;
        Ok(Self { unix, encoding: TimeEncoding::GeneralizedTime })
    }
}

impl fmt::Display for Time {
    /// RFC 3339, `2026-11-28T18:49:49Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.rfc3339_bytes();
        f.write_str(core::str::from_utf8(&b).unwrap_or("????-??-??T??:??:??Z"))
    }
}

#[inline(always)]
fn digits2(a: u8, b: u8) -> Option<u8> {
    let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
    if a < 10 && b < 10 { Some(a * 10 + b) } else { None }
}

/// Eight ASCII digits (little-endian word, first character in the low byte) as four two-digit
/// numbers, or `None` if any byte is not a digit. A borrow or carry can only cross into the
/// next byte from a byte that is itself invalid, so the check stays exact.
#[inline(always)]
fn digit_pairs(word: u64) -> Option<[u8; 4]> {
    let t = word.wrapping_sub(0x3030_3030_3030_3030);
    if (t | t.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080 != 0 {
        return None;
    }
    // Each 16-bit lane: tens (low byte) * 10 + units (high byte).
    let pairs = (t & 0x00ff_00ff_00ff_00ff) * 10 + ((t >> 8) & 0x00ff_00ff_00ff_00ff);
    Some([pairs as u8, (pairs >> 16) as u8, (pairs >> 32) as u8, (pairs >> 48) as u8])
}

/// `MMDDHHMMSS` after the year.
#[inline(always)]
fn civil_to_unix(year: i64, rest: &[u8], offset: u64) -> Result<i64, Fault> {
    let bad = Fault::new(ErrorKind::InvalidTimeFormat, offset);
    let month = digits2(rest[0], rest[1]).ok_or(bad)?;
    let day = digits2(rest[2], rest[3]).ok_or(bad)?;
    let hour = digits2(rest[4], rest[5]).ok_or(bad)?;
    let minute = digits2(rest[6], rest[7]).ok_or(bad)?;
    let second = digits2(rest[8], rest[9]).ok_or(bad)?;
    civil_to_unix_fields(year, month, day, hour, minute, second, offset)
}

/// Days from 1970-01-01 to January 1st of the year a UTCTime `YY` means (19YY for 50..=99,
/// 20YY below). In 1950..=2049 a year is leap exactly when divisible by 4 (2000 is).
const UTC_YEAR_DAYS: [i32; 100] = {
    let mut t = [0i32; 100];
    let mut yy = 0;
    while yy < 100 {
        let year = if yy >= 50 { 1900 + yy as i64 } else { 2000 + yy as i64 };
        let y = year - 1;
        t[yy] = (365 * (year - 1970) + (y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)) - 477) as i32;
        yy += 1;
    }
    t
};

/// Days in each month (index 1..=12), in a common and in a leap year.
const DAYS_IN_MONTH: [[u8; 13]; 2] =
    [[0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]];

/// Days before each month, in a common and in a leap year.
const MONTH_START: [[u16; 13]; 2] = [
    [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334],
    [0, 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335],
];

#[inline(always)]
fn civil_to_unix_fields(
    year: i64,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    offset: u64,
) -> Result<i64, Fault> {
    let range = Fault::new(ErrorKind::TimeOutOfRange, offset);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(range);
    }
    let leap = usize::from((year % 4 == 0 && year % 100 != 0) || year % 400 == 0);
    // Days from 1970-01-01 to January 1st of `year` (proleptic Gregorian), then into the year.
    let y = year - 1;
    let days_to_year = 365 * (year - 1970) + (y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)) - 477;
    let days = days_to_year + i64::from(MONTH_START[leap][usize::from(month)]) + i64::from(day) - 1;
    Ok(days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm): the
/// independent oracle the table-based conversion is tested against.
#[cfg(test)]
fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `00` to `99`.
static DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// [`civil_from_days`] for the days of years 0..=9999 (every `Time`), as C. Neri and L.
/// Schneider's "Euclidean affine functions" compute it: a shift into an era that keeps every
/// quantity unsigned, then multiplications and shifts in place of most divisions. The year
/// comes back in 0..=9999, so it always prints as four digits; outside that range the
/// general algorithm answers (nothing calls it so).
#[inline]
fn civil_from_days_fast(days: i64) -> (u32, u8, u8) {
    // Days from 0000-03-01 (a multiple of 400 years before 1970 keeps it non-negative).
    const SHIFT: i64 = 719_468;
    let Ok(n) = u32::try_from(days + SHIFT) else {
        let (y, m, d) = civil_from_days(days);
        return (y.clamp(0, 9999) as u32, m, d);
    };
    if n >= 3_652_425 + 306 {
        let (y, m, d) = civil_from_days(days);
        return (y.clamp(0, 9999) as u32, m, d);
    }
    // Century and day of the century.
    let n1 = 4 * n + 3;
    let century = n1 / 146_097;
    let day_of_century = n1 % 146_097 / 4;
    // Year of the century and day of the (March-based) year.
    let n2 = 4 * day_of_century + 3;
    let p2 = 2_939_745u64 * u64::from(n2);
    let year_of_century = (p2 >> 32) as u32;
    let day_of_year = (p2 as u32) / 2_939_745 / 4;
    // Month and day.
    let n3 = 2141 * day_of_year + 197_913;
    let month = n3 >> 16;
    let day = (n3 & 0xffff) / 2141 + 1;
    let january_or_february = day_of_year >= 306;
    let year = 100 * century + year_of_century + u32::from(january_or_february);
    let month = if january_or_february { month - 12 } else { month };
    (year, month as u8, day as u8)
}

#[inline(always)]
fn put2(out: &mut [u8], v: u8) {
    out[0] = b'0' + v / 10;
    out[1] = b'0' + v % 10;
}

#[inline(always)]
fn put4(out: &mut [u8], v: u32) {
    out[0] = b'0' + (v / 1000 % 10) as u8;
    out[1] = b'0' + (v / 100 % 10) as u8;
    out[2] = b'0' + (v / 10 % 10) as u8;
    out[3] = b'0' + (v % 10) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Result<Time, ErrorKind> {
        Time::parse_utc(s.as_bytes(), 0).map_err(|f| f.kind)
    }
    fn gtime(s: &str) -> Result<Time, ErrorKind> {
        Time::parse_generalized(s.as_bytes(), 0).map_err(|f| f.kind)
    }

    #[test]
    fn utc_time_windows_at_1950() {
        assert_eq!(utc("500101000000Z").unwrap().to_string(), "1950-01-01T00:00:00Z");
        assert_eq!(utc("491231235959Z").unwrap().to_string(), "2049-12-31T23:59:59Z");
        assert_eq!(utc("700101000000Z").unwrap().unix(), 0);
        assert_eq!(utc("261128184949Z").unwrap().to_string(), "2026-11-28T18:49:49Z");
    }

    #[test]
    fn generalized_time() {
        assert_eq!(gtime("20500101000000Z").unwrap().to_string(), "2050-01-01T00:00:00Z");
        assert_eq!(gtime("99991231235959Z").unwrap().to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(gtime("20240229120000Z").unwrap().to_string(), "2024-02-29T12:00:00Z");
        assert_eq!(gtime("20230229120000Z"), Err(ErrorKind::TimeOutOfRange));
        assert_eq!(gtime("20000229000000Z").unwrap().to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(gtime("19000229000000Z"), Err(ErrorKind::TimeOutOfRange));
        assert_eq!(gtime("20240101000000.5Z"), Err(ErrorKind::InvalidGeneralizedTime));
        assert_eq!(gtime("20240101000000"), Err(ErrorKind::InvalidTimeFormat));
        assert_eq!(gtime("2024010100000Z"), Err(ErrorKind::InvalidTimeFormat));
    }

    #[test]
    fn rejects_bad_forms() {
        assert_eq!(utc("2611281849Z"), Err(ErrorKind::InvalidTimeFormat), "seconds are required");
        assert_eq!(utc("261128184949+0000"), Err(ErrorKind::InvalidTimeFormat));
        assert_eq!(utc("261328184949Z"), Err(ErrorKind::TimeOutOfRange));
        assert_eq!(utc("261100184949Z"), Err(ErrorKind::TimeOutOfRange));
        assert_eq!(utc("261131184949Z"), Err(ErrorKind::TimeOutOfRange));
        assert_eq!(utc("261128244949Z"), Err(ErrorKind::TimeOutOfRange));
        assert_eq!(utc("261128186049Z"), Err(ErrorKind::TimeOutOfRange));
        assert_eq!(utc("261128184960Z"), Err(ErrorKind::TimeOutOfRange));
        assert_eq!(utc("26112818494aZ"), Err(ErrorKind::InvalidTimeFormat));
        assert_eq!(utc("2611281849 9Z"), Err(ErrorKind::InvalidTimeFormat));
    }

    #[test]
    fn table_conversion_matches_the_civil_algorithm() {
        for year in [1950i64, 1969, 1970, 1999, 2000, 2024, 2049, 2050, 2100, 2400, 9999] {
            for month in 1..=12u8 {
                for day in [1u8, 28, days_in_month(year, month)] {
                    let t = civil_to_unix_fields(year, month, day, 23, 59, 58, 0).unwrap();
                    assert_eq!(t, days_from_civil(year, month, day) * 86_400 + 86_398, "{year}-{month}-{day}");
                }
            }
        }
    }

    #[test]
    fn the_fast_utc_parser_agrees_with_the_general_one() {
        // Every two-digit year, every month and day value a digit pair can hold (valid or
        // not), and the edges of the clock fields.
        let mut checked = 0;
        for yy in 0..100u32 {
            for mm in 0..=99u32 {
                for dd in [0u32, 1, 2, 27, 28, 29, 30, 31, 32, 99] {
                    for (h, mi, se) in [(0, 0, 0), (23, 59, 59), (24, 0, 0), (0, 60, 0), (0, 0, 60), (12, 34, 56)] {
                        let s = format!("{yy:02}{mm:02}{dd:02}{h:02}{mi:02}{se:02}Z");
                        let general = Time::parse_utc(s.as_bytes(), 0).ok().map(|t| (t.unix, t.encoding));
                        let fast = Time::utc_fast(s.as_bytes()).map(|t| (t.unix, t.encoding));
                        assert_eq!(fast, general, "{s}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 100 * 100 * 10 * 6);
        for bad in ["2611281849Z", "261128184949+0000", "26112818494aZ", "2611281849 9Z", "261128184949Z0"] {
            assert_eq!(Time::utc_fast(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_from_the_digits_agrees_with_the_conversion() {
        // Every string the UTCTime and GeneralizedTime grids below hold that parses (every
        // two-digit year, every month, day and clock edge; years of four digits from 0 to
        // 9999), formatted from its digits and from the parsed instant.
        let mut checked = 0;
        for yy in 0..100u32 {
            for mm in 1..=12u32 {
                for dd in [1u32, 28, 29, 30, 31] {
                    for (h, mi, se) in [(0, 0, 0), (23, 59, 59), (12, 34, 56)] {
                        let s = format!("{yy:02}{mm:02}{dd:02}{h:02}{mi:02}{se:02}Z");
                        let Ok(t) = Time::parse_utc(s.as_bytes(), 0) else { continue };
                        assert_eq!(
                            Time::rfc3339_from_content(tag::UTC_TIME, s.as_bytes()),
                            Some(t.rfc3339_bytes()),
                            "{s}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        for year in (0..=9999u32).step_by(7).chain([0, 1, 1949, 1950, 2000, 2049, 2050, 9999]) {
            for (mm, dd) in [(1u32, 1u32), (2, 28), (2, 29), (12, 31)] {
                let s = format!("{year:04}{mm:02}{dd:02}235958Z");
                let Ok(t) = Time::parse_generalized(s.as_bytes(), 0) else { continue };
                let got = Time::rfc3339_from_content(tag::GENERALIZED_TIME, s.as_bytes());
                assert_eq!(got, Some(t.rfc3339_bytes()), "{s}");
                checked += 1;
            }
        }
        assert!(checked > 100 * 12 * 4 * 3, "{checked}");
        for (tg, bad) in
            [(tag::UTC_TIME, "2611281849Z"), (tag::GENERALIZED_TIME, "261128184949Z"), (0x04, "261128184949Z")]
        {
            assert_eq!(Time::rfc3339_from_content(tg, bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn the_fast_generalized_parser_agrees_with_the_general_one() {
        for year in [0u32, 1, 99, 100, 1900, 1950, 1999, 2000, 2024, 2025, 2100, 2400, 9999] {
            for mm in [0u32, 1, 2, 12, 13, 99] {
                for dd in [0u32, 1, 28, 29, 30, 31, 32] {
                    for (h, mi, se) in [(0, 0, 0), (23, 59, 59), (24, 0, 0), (0, 60, 0), (0, 0, 60)] {
                        let s = format!("{year:04}{mm:02}{dd:02}{h:02}{mi:02}{se:02}Z");
                        let general = Time::parse_generalized(s.as_bytes(), 0).ok().map(|t| (t.unix, t.encoding));
                        let fast = Time::generalized_fast(s.as_bytes()).map(|t| (t.unix, t.encoding));
                        assert_eq!(fast, general, "{s}");
                    }
                }
            }
        }
        for bad in ["20240101000000.5Z", "20240101000000", "2024010100000Z", "2024010100000aZ", "202401010000000Z"] {
            assert_eq!(Time::generalized_fast(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn digit_pairs_rejects_every_non_digit() {
        for bad in (0u8..=255).filter(|b| !b.is_ascii_digit()) {
            for pos in 0..8 {
                let mut w = *b"09870123";
                w[pos] = bad;
                assert_eq!(digit_pairs(u64::from_le_bytes(w)), None, "byte {bad:#x} at {pos}");
            }
        }
        assert_eq!(digit_pairs(u64::from_le_bytes(*b"09870123")), Some([9, 87, 1, 23]));
    }

    #[test]
    fn rfc3339_input() {
        assert_eq!(Time::from_rfc3339("2017-03-09T00:00:00Z").unwrap().unix(), 1_489_017_600);
        assert_eq!(Time::from_rfc3339("2017-03-09").unwrap().unix(), 1_489_017_600);
        assert!(Time::from_rfc3339("2017-02-30").is_none());
        assert!(Time::from_rfc3339("2017-03-09T00:00:00+01:00").is_none());
        assert!(Time::from_rfc3339("yesterday").is_none());
    }

    #[test]
    fn the_fast_civil_date_agrees_for_every_day_of_years_0_to_9999() {
        let (first, last) = (Time::MIN_UNIX.div_euclid(86_400), Time::MAX_UNIX.div_euclid(86_400));
        for days in first..=last {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(civil_from_days_fast(days), (y as u32, m, d), "day {days}");
        }
        for unix in [Time::MIN_UNIX, -1, 0, 1, 951_782_400, 1_793_491_199, Time::MAX_UNIX] {
            let t = Time::from_unix(unix).unwrap();
            let dt = t.date_time();
            let slow = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
            );
            assert_eq!(std::str::from_utf8(&t.rfc3339_bytes()).unwrap(), slow, "{unix}");
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000i64..3_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn der_content_round_trips() {
        for s in ["491231235959Z", "500101000000Z", "261128184949Z"] {
            let t = utc(s).unwrap();
            let (tg, buf, n) = t.der_content();
            assert_eq!(tg, tag::UTC_TIME);
            assert_eq!(&buf[..n], s.as_bytes());
        }
        let t = Time::from_unix(gtime("20500101000000Z").unwrap().unix()).unwrap();
        let (tg, buf, n) = t.der_content();
        assert_eq!((tg, &buf[..n]), (tag::GENERALIZED_TIME, &b"20500101000000Z"[..]));
    }

    #[test]
    fn from_unix_refuses_what_no_crl_can_encode() {
        let min = Time::from_unix(Time::MIN_UNIX).unwrap();
        let max = Time::from_unix(Time::MAX_UNIX).unwrap();
        assert_eq!(&min.rfc3339_bytes(), b"0000-01-01T00:00:00Z");
        assert_eq!(&max.rfc3339_bytes(), b"9999-12-31T23:59:59Z");
        assert_eq!(&max.der_content().1[..15], b"99991231235959Z");
        for bad in [Time::MIN_UNIX - 1, Time::MAX_UNIX + 1, i64::MAX, i64::MIN] {
            assert!(Time::from_unix(bad).is_none(), "{bad}");
        }
        assert_eq!(Time::from_rfc3339("9999-12-31T23:59:59Z").map(|t| t.unix()), Some(Time::MAX_UNIX));
    }
}
