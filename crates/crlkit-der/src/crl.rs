//! The CertificateList (RFC 5280 5.1) as a zero-copy view.
//!
//! ```text
//! CertificateList  ::=  SEQUENCE  {
//!      tbsCertList          TBSCertList,
//!      signatureAlgorithm   AlgorithmIdentifier,
//!      signatureValue       BIT STRING  }
//!
//! TBSCertList  ::=  SEQUENCE  {
//!      version                 Version OPTIONAL, -- if present, MUST be v2
//!      signature               AlgorithmIdentifier,
//!      issuer                  Name,
//!      thisUpdate              Time,
//!      nextUpdate              Time OPTIONAL,
//!      revokedCertificates     SEQUENCE OF SEQUENCE  {
//!           userCertificate         CertificateSerialNumber,
//!           revocationDate          Time,
//!           crlEntryExtensions      Extensions OPTIONAL } OPTIONAL,
//!      crlExtensions           [0]  EXPLICIT Extensions OPTIONAL }
//! ```
//!
//! [`CrlRef::from_der`] reads everything except the revoked entries, which are parsed lazily by
//! [`CrlRef::entries`] (one `Result` each, nothing allocated per entry) or all at once, in
//! parallel, by [`CrlRef::validate`]. The header and trailer functions here are shared with the
//! streaming parser in [`crate::stream`], so both accept exactly the same inputs.
//!
//! # Deviations
//! - An empty `revokedCertificates` or extension list is refused (RFC 5280 5.1.2.6 and
//!   `SIZE (1..MAX)`), accepted with [`Profile::Lenient`].
//! - Extensions in a v1 CRL are refused (5.1.2.1), accepted with [`Profile::Lenient`].

use core::fmt;

use crate::alg::AlgorithmIdentifierRef;
use crate::der::{self, Reader, Tlv, tag};
use crate::error::{At, Error, ErrorKind, ExtensionId, Fault, Field, Path};
use crate::ext::{
    self, AuthorityKeyIdentifier, ExtensionRef, Extensions, IssuingDistributionPoint, ListFault, Profile, Reason,
};
use crate::name::NameRef;
use crate::oid;
use crate::serial::SerialRef;
use crate::time::Time;

/// The CRL version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// v1: `version` absent.
    V1,
    /// v2: `version` is INTEGER 1.
    V2,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V1 => "v1",
            Version::V2 => "v2",
        })
    }
}

/// The fields of tbsCertList before the revoked entries.
#[derive(Clone, Copy, Debug)]
pub struct TbsHeader<'a> {
    /// v1 or v2.
    pub version: Version,
    /// tbsCertList.signature.
    pub signature: AlgorithmIdentifierRef<'a>,
    /// The issuer name.
    pub issuer: NameRef<'a>,
    /// thisUpdate.
    pub this_update: Time,
    /// nextUpdate, if present.
    pub next_update: Option<Time>,
}

/// Parse the fields from `version` through `nextUpdate` from a tbsCertList content reader.
pub(crate) fn parse_header<'a>(r: &mut Reader<'a>, profile: Profile) -> Result<TbsHeader<'a>, Error> {
    let version = match r.read_optional(tag::INTEGER).at(Path::field(Field::Version))? {
        None => Version::V1,
        Some(v) => {
            der::check_integer(&v).at(Path::field(Field::Version))?;
            match der::small_integer(v.value) {
                Some(1) => Version::V2,
                found => {
                    let found = found.filter(|n| (0..1000).contains(n)).unwrap_or(-1);
                    let kind = ErrorKind::UnsupportedVersion { found };
                    return Err(Error::new(kind, Path::field(Field::Version), v.offset));
                }
            }
        }
    };
    let signature = AlgorithmIdentifierRef::read(r).at(Path::field(Field::TbsSignature))?;
    let issuer_offset = r.offset();
    let issuer = NameRef::read(r).at(Path::field(Field::Issuer))?;
    if issuer.is_empty() && profile.strict() {
        return Err(Error::new(ErrorKind::EmptyIssuer, Path::field(Field::Issuer), issuer_offset));
    }
    let this_update = read_time(r).at(Path::field(Field::ThisUpdate))?;
    let next_update = match r.peek_tag() {
        Some(tag::UTC_TIME | tag::GENERALIZED_TIME) => Some(read_time(r).at(Path::field(Field::NextUpdate))?),
        _ => None,
    };
    Ok(TbsHeader { version, signature, issuer, this_update, next_update })
}

#[inline]
fn read_time(r: &mut Reader<'_>) -> Result<Time, Fault> {
    let offset = r.offset();
    match r.peek_tag() {
        Some(tag::UTC_TIME | tag::GENERALIZED_TIME) => Time::from_tlv(&r.read_any()?),
        Some(found) => Err(Fault::new(ErrorKind::InvalidTag { found }, offset)),
        None => Err(r.end_fault()),
    }
}

/// The CRL extensions, validated, with the ones the toolkit interprets already decoded.
#[derive(Clone, Copy, Debug)]
pub struct CrlExtensions<'a> {
    list: Tlv<'a>,
    /// cRLNumber.
    pub crl_number: Option<SerialRef<'a>>,
    /// deltaCRLIndicator's base CRL number: present only on delta CRLs.
    pub delta_crl_indicator: Option<SerialRef<'a>>,
    /// issuingDistributionPoint.
    pub issuing_distribution_point: Option<IssuingDistributionPoint<'a>>,
    /// Whether issuingDistributionPoint was marked critical (RFC 5280 requires it).
    pub issuing_distribution_point_critical: bool,
    /// authorityKeyIdentifier.
    pub authority_key_identifier: Option<AuthorityKeyIdentifier<'a>>,
    /// freshestCRL (the raw value; a pointer to delta CRLs).
    pub freshest_crl: Option<&'a [u8]>,
}

impl<'a> CrlExtensions<'a> {
    /// Every extension, in order, including unknown ones.
    pub fn iter(&self) -> Extensions<'a> {
        Extensions::new(Some(&self.list))
    }

    /// The critical extensions this crate does not interpret (RFC 5280 5.2: a relying party
    /// must not use the CRL).
    pub fn unknown_critical(&self) -> impl Iterator<Item = ExtensionRef<'a>> + 'a {
        self.iter().filter(|x| x.critical() && x.id().is_none())
    }
}

fn ext_path(field_list: Field, field_ext: Field, field_value: Field, entry: Option<u64>, lf: ListFault) -> Error {
    let base = |f: Field| match entry {
        Some(i) => Path::entry(f, i),
        None => Path::field(f),
    };
    let path = match lf.at {
        None => base(field_list),
        Some((i, id)) => base(if lf.in_value { field_value } else { field_ext }).with_extension(i, id),
    };
    lf.fault.at(path)
}

/// Parse `crlExtensions [0] EXPLICIT Extensions` given the `[0]` element.
pub(crate) fn parse_crl_extensions<'a>(
    wrapper: &Tlv<'a>,
    version: Version,
    profile: Profile,
) -> Result<CrlExtensions<'a>, Error> {
    let path = Path::field(Field::CrlExtensions);
    if version == Version::V1 && profile.strict() {
        return Err(Error::new(ErrorKind::ExtensionsInV1, path, wrapper.offset));
    }
    let mut inner = wrapper.reader();
    let list = inner.read(tag::SEQUENCE).at(path)?;
    inner.finish().at(path)?;
    let mut out = CrlExtensions {
        list,
        crl_number: None,
        delta_crl_indicator: None,
        issuing_distribution_point: None,
        issuing_distribution_point_critical: false,
        authority_key_identifier: None,
        freshest_crl: None,
    };
    ext::walk_extensions(&list, profile, |_, e: ExtensionRef<'a>| {
        let (v, at) = (e.value(), e.value_offset());
        match e.id() {
            Some(ExtensionId::CrlNumber) => out.crl_number = Some(ext::parse_crl_number(v, at, profile)?),
            Some(ExtensionId::DeltaCrlIndicator) => {
                out.delta_crl_indicator = Some(ext::parse_crl_number(v, at, profile)?);
            }
            Some(ExtensionId::IssuingDistributionPoint) => {
                out.issuing_distribution_point = Some(ext::parse_idp(v, at)?);
                out.issuing_distribution_point_critical = e.critical();
            }
            Some(ExtensionId::AuthorityKeyIdentifier) => out.authority_key_identifier = Some(ext::parse_aki(v, at)?),
            Some(ExtensionId::FreshestCrl) => {
                ext::check_sequence_of_sequences(v, at)?;
                out.freshest_crl = Some(v);
            }
            Some(ExtensionId::AuthorityInfoAccess) => ext::check_sequence_of_sequences(v, at)?,
            _ => {}
        }
        Ok(())
    })
    .map_err(|lf| ext_path(Field::CrlExtensions, Field::CrlExtension, Field::CrlExtensionValue, None, lf))?;
    Ok(out)
}

/// `revokedCertificates`, once its header is read: refused when empty (strict profile).
pub(crate) fn check_revoked_list(content_len: u64, offset: u64, profile: Profile) -> Result<(), Error> {
    if content_len == 0 && profile.strict() {
        return Err(Error::new(ErrorKind::EmptyRevokedCertificates, Path::field(Field::RevokedCertificates), offset));
    }
    Ok(())
}

/// What follows the entries inside tbsCertList: `crlExtensions`, then nothing.
pub(crate) fn parse_tbs_tail<'a>(
    r: &mut Reader<'a>,
    version: Version,
    profile: Profile,
) -> Result<Option<CrlExtensions<'a>>, Error> {
    let extensions = match r.read_optional(tag::CONTEXT_0_CONSTRUCTED).at(Path::field(Field::CrlExtensions))? {
        Some(w) => Some(parse_crl_extensions(&w, version, profile)?),
        None => None,
    };
    r.finish().at(Path::field(Field::TbsCertList))?;
    Ok(extensions)
}

/// Read `signatureAlgorithm` and `signatureValue` after tbsCertList and check that nothing follows.
pub(crate) fn parse_signature_tail<'a>(
    outer: &mut Reader<'a>,
    tbs_signature: &AlgorithmIdentifierRef<'_>,
) -> Result<(AlgorithmIdentifierRef<'a>, &'a [u8]), Error> {
    let offset = outer.offset();
    let alg = AlgorithmIdentifierRef::read(outer).at(Path::field(Field::SignatureAlgorithm))?;
    if alg.der() != tbs_signature.der() {
        return Err(Error::new(ErrorKind::SignatureAlgorithmMismatch, Path::field(Field::SignatureAlgorithm), offset));
    }
    let sig = outer.read(tag::BIT_STRING).at(Path::field(Field::SignatureValue))?;
    der::check_bit_string(&sig).at(Path::field(Field::SignatureValue))?;
    outer.finish().at(Path::field(Field::CertificateList))?;
    Ok((alg, sig.value))
}

/// What the entry parser needs to know about the CRL around it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryContext {
    pub version: Version,
    pub profile: Profile,
}

/// One revoked certificate entry, borrowed from the input.
#[derive(Clone, Copy, Debug)]
pub struct RevokedCertRef<'a> {
    index: u64,
    offset: u64,
    der: &'a [u8],
    serial: SerialRef<'a>,
    revocation_date: Time,
    reason: Option<Reason>,
    invalidity_date: Option<Time>,
    certificate_issuer: Option<&'a [u8]>,
    /// crlEntryExtensions content (empty when absent).
    extensions: &'a [u8],
    unknown_critical: bool,
}

impl<'a> RevokedCertRef<'a> {
    /// An entry with its two mandatory fields; extensions are filled in by the parsers.
    #[inline(always)]
    fn bare(seq: &Tlv<'a>, index: u64, serial: &'a [u8], revocation_date: Time) -> Self {
        Self {
            index,
            offset: seq.offset,
            der: seq.raw,
            serial: SerialRef::new_unchecked(serial),
            revocation_date,
            reason: None,
            invalidity_date: None,
            certificate_issuer: None,
            extensions: &[],
            unknown_critical: false,
        }
    }

    /// Position in revokedCertificates, from 0.
    pub const fn index(&self) -> u64 {
        self.index
    }

    /// Absolute byte offset of the entry's SEQUENCE.
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// The entry's whole DER element.
    pub const fn der(&self) -> &'a [u8] {
        self.der
    }

    /// userCertificate.
    pub const fn serial(&self) -> SerialRef<'a> {
        self.serial
    }

    /// revocationDate.
    pub const fn revocation_date(&self) -> Time {
        self.revocation_date
    }

    /// [`Time::rfc3339_bytes`] of the revocation date, copied from the entry's own digits
    /// ([`Time::rfc3339_from_content`]) straight into `out`: `list` prints millions of these.
    #[inline]
    pub fn write_revocation_date_rfc3339(&self, out: &mut [u8; 20]) {
        let copied =
            self.revocation_date_content().is_some_and(|(tag, v)| Time::write_rfc3339_from_content(tag, v, out));
        if !copied {
            *out = self.revocation_date.rfc3339_bytes();
        }
        debug_assert_eq!(*out, self.revocation_date.rfc3339_bytes());
    }

    /// The revocationDate's tag and content, found again in the entry: right after the
    /// serial's content, which lies inside `der` (`None` for a length that is not short-form).
    #[inline(always)]
    fn revocation_date_content(&self) -> Option<(u8, &'a [u8])> {
        let (d, serial) = (self.der, self.serial.der_content());
        let at = (serial.as_ptr() as usize).wrapping_sub(d.as_ptr() as usize).wrapping_add(serial.len());
        let (tag, len) = (*d.get(at)?, usize::from(*d.get(at.wrapping_add(1))?));
        Some((tag, d.get(at + 2..at + 2 + len)?))
    }

    /// The reasonCode entry extension, if present.
    pub const fn reason(&self) -> Option<Reason> {
        self.reason
    }

    /// The invalidityDate entry extension, if present.
    pub const fn invalidity_date(&self) -> Option<Time> {
        self.invalidity_date
    }

    /// The certificateIssuer entry extension (GeneralNames SEQUENCE content), if present:
    /// only meaningful in indirect CRLs.
    pub const fn certificate_issuer(&self) -> Option<&'a [u8]> {
        self.certificate_issuer
    }

    /// True if the entry has a critical extension this crate does not interpret.
    pub const fn has_unknown_critical_extension(&self) -> bool {
        self.unknown_critical
    }

    /// Every entry extension, in order.
    pub fn extensions(&self) -> Extensions<'a> {
        // The content lies inside `der` (or is empty), so its offset follows from the addresses.
        let inside = (self.extensions.as_ptr() as usize).saturating_sub(self.der.as_ptr() as usize);
        let offset = if self.extensions.is_empty() { self.offset } else { self.offset + inside as u64 };
        Extensions::from_content(self.extensions, offset)
    }
}

/// Parse one entry given its SEQUENCE element.
///
/// A straight-line fast path handles the common shapes (short lengths, a reasonCode and/or an
/// invalidityDate extension); anything else, including every error, goes through the general
/// parser, which alone decides what is accepted and how errors are reported. The fast path
/// only ever accepts a subset of what the general one accepts (checked by the `crl_der` fuzz
/// target and `fast_path_agrees_with_general_parser`).
#[inline(always)]
pub(crate) fn parse_entry<'a>(seq: Tlv<'a>, index: u64, ctx: EntryContext) -> Result<RevokedCertRef<'a>, Error> {
    match parse_entry_fast(seq, index, ctx) {
        Some(e) => Ok(e),
        None => parse_entry_general(seq, index, ctx),
    }
}

/// crlEntryExtensions holding one non-critical reasonCode (the code, unspecified here, last):
/// `SEQUENCE { SEQUENCE { OID 2.5.29.21, OCTET STRING { ENUMERATED } } }`.
const ONE_REASON: [u8; 14] = [0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01, 0x00];

/// What follows an entry's revocation date, when it is one of the two shapes of almost every
/// entry: nothing (`Some(None)`), or crlEntryExtensions of one non-critical reasonCode with a
/// code RFC 5280 defines (`Some(Some(reason))`). Read without a branch on which of the two it
/// is: CRLs mix them at random, and the mispredicted branch cost more than the whole check
/// (a third of the entry's validation, measured on the 1M CRL).
#[inline(always)]
fn common_extensions(rest: &[u8]) -> Option<Option<Reason>> {
    use std::hint::select_unpredictable;
    // Length 0 or 14, as one test (`||` on the two compiles to a branch on each).
    if rest.len() > ONE_REASON.len() || ((1u32 << ONE_REASON.len()) | 1) >> rest.len() & 1 == 0 {
        return None;
    }
    let one = rest.len() == ONE_REASON.len();
    let ext: &[u8] = select_unpredictable(one, rest, &ONE_REASON);
    let (Some(head), Some(&code)) = (ext.first_chunk::<13>(), ext.get(13)) else { return None };
    let reason = Reason::from_code(i64::from(code));
    if (*head != ONE_REASON[..13]) | reason.is_none() {
        return None;
    }
    Some(select_unpredictable(one, reason, None))
}

/// The common shapes only; `None` means "ask the general parser".
#[inline(always)]
pub(crate) fn parse_entry_fast<'a>(seq: Tlv<'a>, index: u64, ctx: EntryContext) -> Option<RevokedCertRef<'a>> {
    let v = seq.value;
    // userCertificate: INTEGER, short length, minimal.
    let (&[0x02, sl], rest) = v.split_first_chunk::<2>()? else { return None };
    let sl = usize::from(sl);
    if sl == 0 || sl >= 0x80 || rest.len() < sl {
        return None;
    }
    let serial = &rest[..sl];
    // Not minimal: the first nine bits all equal. Tested as one number, not as a branch on the
    // first octet, which is a sign octet in half of all random serials.
    let nine = (u16::from(serial[0]) << 1) | u16::from(rest.get(1).copied().unwrap_or(0) >> 7);
    if (sl > 1) & ((nine + 1) & 0x1ff < 2) {
        return None;
    }
    let rest = &rest[sl..];
    // revocationDate.
    let (&[ttag, tl], rest) = rest.split_first_chunk::<2>()?;
    let tl = usize::from(tl);
    if rest.len() < tl {
        return None;
    }
    let revocation_date = match ttag {
        tag::UTC_TIME => Time::utc_fast(&rest[..tl])?,
        tag::GENERALIZED_TIME => Time::generalized_fast(&rest[..tl])?,
        _ => return None,
    };
    let mut entry = RevokedCertRef::bare(&seq, index, serial, revocation_date);
    let rest = &rest[tl..];
    if let Some(reason) = common_extensions(rest) {
        let has = !rest.is_empty();
        if has & (ctx.version == Version::V1) & ctx.profile.strict() {
            return None;
        }
        entry.reason = reason;
        entry.extensions = std::hint::select_unpredictable(has, rest.get(2..).unwrap_or_default(), &[]);
        return Some(entry);
    }
    // crlEntryExtensions: one SEQUENCE, short length, filling the rest, v2, non-empty.
    let (&[0x30, el], exts) = rest.split_first_chunk::<2>()? else { return None };
    if usize::from(el) != exts.len() || exts.is_empty() || (ctx.version == Version::V1 && ctx.profile.strict()) {
        return None;
    }
    let mut p = exts;
    while !p.is_empty() {
        // Extension ::= SEQUENCE { OID 2.5.29.x, [BOOLEAN TRUE], OCTET STRING }
        let (&[0x30, xl, 0x06, 0x03, 0x55, 0x1d, id], after) = p.split_first_chunk::<7>()? else { return None };
        let xl = usize::from(xl);
        if xl < 5 || xl > p.len() - 2 {
            return None;
        }
        let mut body = &after[..xl - 5];
        p = &p[2 + xl..];
        if let [0x01, 0x01, 0xff, tail @ ..] = body {
            body = tail;
        }
        match (id, body) {
            (0x15, &[0x04, 0x03, 0x0a, 0x01, code]) if entry.reason.is_none() => {
                entry.reason = Some(Reason::from_code(i64::from(code))?);
            }
            (0x18, &[0x04, 0x11, 0x18, 0x0f, ref t @ ..]) if entry.invalidity_date.is_none() && t.len() == 15 => {
                entry.invalidity_date = Some(Time::generalized_fast(t)?);
            }
            _ => return None,
        }
    }
    entry.extensions = exts;
    Some(entry)
}

/// The general entry parser: every rule, precise errors.
#[inline(never)]
pub(crate) fn parse_entry_general<'a>(
    seq: Tlv<'a>,
    index: u64,
    ctx: EntryContext,
) -> Result<RevokedCertRef<'a>, Error> {
    let mut r = seq.reader();
    let serial = der::read_integer(&mut r).at(Path::entry(Field::EntrySerial, index))?;
    let revocation_date = read_time(&mut r).at(Path::entry(Field::EntryRevocationDate, index))?;
    let mut entry = RevokedCertRef::bare(&seq, index, serial.value, revocation_date);
    match r.peek_tag() {
        None => return Ok(entry),
        Some(tag::SEQUENCE) => {}
        Some(_) => return Err(Error::new(ErrorKind::TrailingData, Path::entry(Field::Entry, index), r.offset())),
    }
    let list = r.read_any().at(Path::entry(Field::EntryExtensions, index))?;
    if ctx.version == Version::V1 && ctx.profile.strict() {
        return Err(Error::new(ErrorKind::ExtensionsInV1, Path::entry(Field::EntryExtensions, index), list.offset));
    }
    entry.extensions = list.value;
    ext::walk_extensions(&list, ctx.profile, |_, e| {
        match e.oid().as_bytes() {
            oid::ext::REASON_CODE => entry.reason = Some(ext::parse_reason(e.value(), e.value_offset())?),
            oid::ext::INVALIDITY_DATE => {
                entry.invalidity_date = Some(ext::parse_invalidity_date(e.value(), e.value_offset())?);
            }
            oid::ext::CERTIFICATE_ISSUER => {
                let mut v = Reader::new(e.value(), e.value_offset());
                let names = v.read(tag::SEQUENCE)?;
                v.finish()?;
                ext::check_general_names(names.value, names.value_offset, names.offset)?;
                entry.certificate_issuer = Some(names.value);
            }
            _ => entry.unknown_critical |= e.critical(),
        }
        Ok(())
    })
    .map_err(|lf| {
        ext_path(Field::EntryExtensions, Field::EntryExtension, Field::EntryExtensionValue, Some(index), lf)
    })?;
    r.finish().at(Path::entry(Field::Entry, index))?;
    Ok(entry)
}

/// What `crlkit list` prints of an entry: serial, revocation date, reason, invalidity date.
/// Handed on by [`EntryChunk::try_for_each_listed`], which reads the common shapes without
/// checking them again, for entries already validated.
#[derive(Clone, Copy, Debug)]
pub struct ListedEntry<'a> {
    index: u64,
    serial: SerialRef<'a>,
    date: ListedDate<'a>,
    reason: Option<Reason>,
    invalidity_date: Option<Time>,
}

/// The revocation date as `list` has it: its DER tag and digits, or the parsed instant.
#[derive(Clone, Copy, Debug)]
enum ListedDate<'a> {
    Digits(u8, &'a [u8]),
    Parsed(Time),
}

impl<'a> ListedEntry<'a> {
    /// The fields of a parsed entry.
    pub fn of(e: &RevokedCertRef<'a>) -> Self {
        let date = match e.revocation_date_content() {
            Some((tag, v)) if Time::rfc3339_from_content(tag, v).is_some() => ListedDate::Digits(tag, v),
            _ => ListedDate::Parsed(e.revocation_date),
        };
        Self { index: e.index, serial: e.serial, date, reason: e.reason, invalidity_date: e.invalidity_date }
    }

    /// The shapes nearly every entry has (a serial of 1 to 33 content octets that is not
    /// negative, a UTCTime or GeneralizedTime, no extension or one non-critical reasonCode),
    /// read without the checks [`parse_entry_fast`] makes: `None` for anything else.
    #[inline(always)]
    fn read(seq: Tlv<'a>, index: u64) -> Option<Self> {
        let v = seq.value;
        let (&[0x02, sl], rest) = v.split_first_chunk::<2>()? else { return None };
        let sl = usize::from(sl);
        if sl == 0 || sl > 33 || rest.len() < sl || rest[0] & 0x80 != 0 {
            return None;
        }
        let (serial, rest) = rest.split_at(sl);
        let (&[tag, tl], rest) = rest.split_first_chunk::<2>()?;
        let tl = usize::from(tl);
        let date_ok = matches!((tag, tl), (tag::UTC_TIME, 13) | (tag::GENERALIZED_TIME, 15));
        if !date_ok || rest.len() < tl || rest[tl - 1] != b'Z' {
            return None;
        }
        let (date, rest) = rest.split_at(tl);
        let reason = common_extensions(rest)?;
        let serial = SerialRef::new_unchecked(serial);
        Some(Self { index, serial, date: ListedDate::Digits(tag, date), reason, invalidity_date: None })
    }

    /// Position in revokedCertificates, from 0.
    pub const fn index(&self) -> u64 {
        self.index
    }

    /// The serial number.
    pub const fn serial(&self) -> SerialRef<'a> {
        self.serial
    }

    /// The reasonCode, if present.
    pub const fn reason(&self) -> Option<Reason> {
        self.reason
    }

    /// The invalidityDate, if present.
    pub const fn invalidity_date(&self) -> Option<Time> {
        self.invalidity_date
    }

    /// [`Time::rfc3339_bytes`] of the revocation date, into `out`.
    #[inline]
    pub fn write_revocation_date_rfc3339(&self, out: &mut [u8; 20]) {
        match self.date {
            ListedDate::Digits(tag, v) if Time::write_rfc3339_from_content(tag, v, out) => {}
            ListedDate::Digits(..) => *out = *b"0000-00-00T00:00:00Z",
            ListedDate::Parsed(t) => *out = t.rfc3339_bytes(),
        }
    }
}

/// Lazily parsed revoked entries. Stops after the first error.
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    reader: Reader<'a>,
    index: u64,
    ctx: EntryContext,
    failed: bool,
}

impl<'a> Entries<'a> {
    pub(crate) fn new(data: &'a [u8], offset: u64, first_index: u64, ctx: EntryContext) -> Self {
        Self { reader: Reader::new(data, offset), index: first_index, ctx, failed: false }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<RevokedCertRef<'a>, Error>;

    // Always inlined: in the caller's loop the compiler can keep the entry in registers and
    // drop the fields the loop never reads, instead of storing every one and reading it back.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.is_empty() {
            return None;
        }
        let index = self.index;
        self.index += 1;
        // The common case without a `Result` in between (what is moved through memory per
        // entry is most of the cost here); every other case, errors included, below.
        let result = match self.reader.read_short(tag::SEQUENCE) {
            Some(seq) => match parse_entry_fast(seq, index, self.ctx) {
                Some(entry) => return Some(Ok(entry)),
                None => parse_entry_general(seq, index, self.ctx),
            },
            None => self
                .reader
                .read(tag::SEQUENCE)
                .at(Path::entry(Field::Entry, index))
                .and_then(|seq| parse_entry(seq, index, self.ctx)),
        };
        self.failed = result.is_err();
        Some(result)
    }
}

/// Counts gathered while validating every entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EntryStats {
    /// Number of revoked entries.
    pub count: u64,
    /// Entries whose serial is negative (ALB cannot revoke these).
    pub negative_serials: u64,
    /// Entries whose serial magnitude is longer than RFC 5280's 20 octets.
    pub long_serials: u64,
    /// Entries with a critical extension this crate does not interpret.
    pub unknown_critical: u64,
    /// Entries carrying a reasonCode.
    pub with_reason: u64,
    /// Entries carrying a certificateIssuer (indirect CRLs).
    pub with_certificate_issuer: u64,
}

impl EntryStats {
    /// Count one entry.
    #[inline]
    pub(crate) fn add(&mut self, e: &RevokedCertRef<'_>) {
        self.count += 1;
        self.negative_serials += u64::from(e.serial.is_negative());
        self.long_serials += u64::from(e.serial.magnitude_len() > 20);
        self.unknown_critical += u64::from(e.unknown_critical);
        self.with_reason += u64::from(e.reason.is_some());
        self.with_certificate_issuer += u64::from(e.certificate_issuer.is_some());
    }

    pub(crate) fn merge(mut self, o: Self) -> Self {
        self.count += o.count;
        self.negative_serials += o.negative_serials;
        self.long_serials += o.long_serials;
        self.unknown_critical += o.unknown_critical;
        self.with_reason += o.with_reason;
        self.with_certificate_issuer += o.with_certificate_issuer;
        self
    }
}

/// A run of consecutive entries, for splitting work across threads.
#[derive(Clone, Copy, Debug)]
pub struct EntryChunk<'a> {
    data: &'a [u8],
    offset: u64,
    first_index: u64,
    count: u64,
    ctx: EntryContext,
}

impl<'a> EntryChunk<'a> {
    /// Validate every entry of `chunks` (the chunks of one CRL, in order), in parallel when
    /// the `parallel` feature is on, merging the results in input order: the first error is
    /// the first chunk's that has one, whatever the thread count.
    pub fn validate_all(chunks: &[EntryChunk<'_>]) -> Result<EntryStats, Error> {
        #[cfg(feature = "parallel")]
        let results: Vec<Result<EntryStats, Error>> = {
            use rayon::prelude::*;
            chunks.par_iter().map(EntryChunk::validate).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let results: Vec<Result<EntryStats, Error>> = chunks.iter().map(EntryChunk::validate).collect();
        let mut total = EntryStats::default();
        for r in results {
            total = total.merge(r?);
        }
        Ok(total)
    }

    /// The entries of this chunk.
    pub fn entries(&self) -> Entries<'a> {
        Entries::new(self.data, self.offset, self.first_index, self.ctx)
    }

    /// Number of entries in the chunk.
    pub const fn len(&self) -> u64 {
        self.count
    }

    /// True for a chunk without entries.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Index of the first entry.
    pub const fn first_index(&self) -> u64 {
        self.first_index
    }

    /// The DER bytes of the chunk's entries.
    pub const fn der(&self) -> &'a [u8] {
        self.data
    }

    /// Parse every entry of the chunk, handing each to `f`, up to the first error (returned,
    /// as [`EntryChunk::entries`] yields it). The entries that the fast path reads go to `f`
    /// straight from the parse, never through a `Result` in memory: when `f` formats them
    /// (`list`), moving that through the stack costs more than the formatting.
    #[inline]
    pub fn try_for_each(&self, mut f: impl FnMut(&RevokedCertRef<'a>)) -> Result<(), Error> {
        let mut reader = Reader::new(self.data, self.offset);
        let mut index = self.first_index;
        while !reader.is_empty() {
            // As `Entries::next`, case by case.
            let entry = match reader.read_short(tag::SEQUENCE) {
                Some(seq) => match parse_entry_fast(seq, index, self.ctx) {
                    Some(entry) => entry,
                    None => parse_entry_general(seq, index, self.ctx)?,
                },
                None => {
                    let seq = reader.read(tag::SEQUENCE).at(Path::entry(Field::Entry, index))?;
                    parse_entry(seq, index, self.ctx)?
                }
            };
            f(&entry);
            index += 1;
        }
        Ok(())
    }

    /// For a chunk whose entries have been validated ([`EntryChunk::validate`], or a
    /// [`CrlRef::validate_chunked`] that gave it): hand each entry's listed fields to `f`. The
    /// common shapes are read without being checked again (about a third of what parsing them
    /// costs); every other entry is parsed as [`EntryChunk::try_for_each`] does, errors
    /// included. On bytes never validated, what is read may be wrong, but it never panics.
    #[inline]
    pub fn try_for_each_listed(&self, mut f: impl FnMut(&ListedEntry<'a>)) -> Result<(), Error> {
        let mut reader = Reader::new(self.data, self.offset);
        let mut index = self.first_index;
        while !reader.is_empty() {
            let listed = match reader.read_short(tag::SEQUENCE) {
                Some(seq) => match ListedEntry::read(seq, index) {
                    Some(listed) => listed,
                    None => ListedEntry::of(&parse_entry(seq, index, self.ctx)?),
                },
                None => {
                    let seq = reader.read(tag::SEQUENCE).at(Path::entry(Field::Entry, index))?;
                    ListedEntry::of(&parse_entry(seq, index, self.ctx)?)
                }
            };
            f(&listed);
            index += 1;
        }
        Ok(())
    }

    /// Parse and validate every entry of the chunk.
    pub fn validate(&self) -> Result<EntryStats, Error> {
        let mut stats = EntryStats::default();
        self.try_for_each(|e| stats.add(e))?;
        Ok(stats)
    }
}

/// Step over the entries at the start of `data` (at absolute offset `base`, the first being
/// entry `first_index`) by their headers alone, handing them to `each` in runs of about
/// `target_bytes` as the walk goes (so that a caller can set each run to work at once). The
/// walk stops at the first header it cannot step over: a wrong tag, a bad length, an entry
/// longer than `max_entry` or running past `data` (cut short, or truly bad: iterating from
/// there says which). Returns where it stopped and that entry's index; every
/// entry before it is in a chunk, and every chunk's [`EntryChunk::len`] is exact.
pub(crate) fn walk_entries<'a>(
    data: &'a [u8],
    base: u64,
    first_index: u64,
    ctx: EntryContext,
    target_bytes: usize,
    max_entry: usize,
    mut each: impl FnMut(EntryChunk<'a>),
) -> (usize, u64) {
    let target = target_bytes.max(1);
    let (mut pos, mut start, mut index, mut first) = (0usize, 0usize, first_index, first_index);
    let chunk = |start: usize, end: usize, first: u64, count: u64| EntryChunk {
        data: &data[start..end],
        offset: base + start as u64,
        first_index: first,
        count,
        ctx,
    };
    while pos < data.len() {
        // Short-form SEQUENCE headers (almost every entry) without the general decoder.
        let step = if let [tag::SEQUENCE, len, ..] = data[pos..]
            && len < 0x80
            && usize::from(len) + 2 <= data.len() - pos
        {
            usize::from(len) + 2
        } else {
            match der::decode_header(&data[pos..], base + pos as u64) {
                Ok(Some(h)) if h.tag == tag::SEQUENCE && h.len <= (data.len() - pos - h.header_len) as u64 => {
                    h.header_len + h.len as usize
                }
                _ => break,
            }
        };
        if step > max_entry {
            break;
        }
        pos += step;
        index += 1;
        if pos - start >= target {
            each(chunk(start, pos, first, index - first));
            start = pos;
            first = index;
        }
    }
    if pos > start {
        each(chunk(start, pos, first, index - first));
    }
    (pos, index)
}

/// Validate the entries at the start of `data` in chunks of about `target_bytes`, each set to
/// work on the thread pool as soon as [`walk_entries`] has cut it, so that the walk, the one
/// sequential step, runs while the chunks before it are validated. Returns where the walk
/// stopped, the index there, and the counts of every entry before it, or `None` when a chunk
/// has an error (the caller then finds the first one in order; errors are rare, so they are
/// not ordered here).
/// `keep` sees every chunk as it is cut, in order (for a caller that works on them again).
#[cfg(feature = "parallel")]
pub(crate) fn validate_walking<'a>(
    data: &'a [u8],
    base: u64,
    first_index: u64,
    ctx: EntryContext,
    target_bytes: usize,
    max_entry: usize,
    mut keep: impl FnMut(EntryChunk<'a>) + Send,
) -> (usize, u64, Option<EntryStats>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, PoisonError};
    let found = Mutex::new(EntryStats::default());
    let failed = AtomicBool::new(false);
    let (stop, index) = rayon::scope(|scope| {
        walk_entries(data, base, first_index, ctx, target_bytes, max_entry, |chunk| {
            keep(chunk);
            let (found, failed) = (&found, &failed);
            scope.spawn(move |_| match chunk.validate() {
                Ok(s) => {
                    let mut total = found.lock().unwrap_or_else(PoisonError::into_inner);
                    *total = total.merge(s);
                }
                Err(_) => failed.store(true, Ordering::Relaxed),
            });
        })
    });
    let found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    (stop, index, (!failed.into_inner()).then_some(found))
}

/// Entries in a row that [`guess_entry_start`] wants to see before it takes a position.
#[cfg(feature = "parallel")]
const GUESS_RUN: usize = 8;

/// The longest entry with a short-form length: a two-byte header and 127 bytes.
#[cfg(feature = "parallel")]
const SHORT_ENTRY_MAX: usize = 2 + 0x7f;

/// How far past a cut [`guess_entry_start`] looks: more than a short-form entry's length, so
/// that CRLs of such entries always have a boundary in reach.
#[cfg(feature = "parallel")]
const GUESS_SCAN: usize = 2 * SHORT_ENTRY_MAX;

/// A guess at the first entry boundary at or after `from` in `data` (entries content): the
/// first position from which [`GUESS_RUN`] entries in a row (or all up to the end) look like
/// short-form entries, a SEQUENCE holding an INTEGER and then a time; the end of `data` when
/// no such position lies between `from` and the end. Only a guess, proved or disproved by
/// [`validate_guessing`].
#[cfg(feature = "parallel")]
fn guess_entry_start(data: &[u8], from: usize) -> Option<usize> {
    let looks_like_run = |p: usize| {
        let mut q = p;
        for _ in 0..GUESS_RUN {
            if q == data.len() {
                return q > p;
            }
            let Some(&[0x30, len, 0x02, serial_len]) = data.get(q..q + 4).and_then(|h| h.first_chunk::<4>()) else {
                return false;
            };
            let time = data.get(q + 4 + usize::from(serial_len));
            if len >= 0x80 || serial_len >= len || !matches!(time, Some(&(tag::UTC_TIME | tag::GENERALIZED_TIME))) {
                return false;
            }
            q += 2 + usize::from(len);
            if q > data.len() {
                return false;
            }
        }
        true
    };
    let scan_end = from.saturating_add(GUESS_SCAN);
    (from..data.len().min(scan_end))
        .find(|&p| looks_like_run(p))
        .or((scan_end >= data.len() && from <= data.len()).then_some(data.len()))
}

/// Validate the entries `data` holds (at absolute offset `base`) in chunks of about
/// `target_bytes` cut at guessed boundaries ([`guess_entry_start`]), so that no walk over
/// every entry's header comes first. The guesses prove themselves: the first chunk starts at
/// a boundary, and a chunk from a boundary whose entries all validate and end exactly at its
/// end makes that end a boundary too; so when every chunk validates, every entry has been
/// validated once. `None` when a guess cannot be made or any chunk fails (a wrong guess or
/// bad entries: the caller then takes the walk, which finds the first error).
#[cfg(feature = "parallel")]
fn validate_guessing(
    data: &[u8],
    base: u64,
    ctx: EntryContext,
    target_bytes: usize,
    max_entry: usize,
) -> Option<EntryStats> {
    let target = target_bytes.max(1);
    if data.len() / target < 2 {
        return None;
    }
    let mut cuts = vec![0];
    let mut at = target;
    while at < data.len() {
        let cut = guess_entry_start(data, at)?;
        cuts.push(cut);
        // The next cut a target further on, and past this one (small targets, long entries).
        at = (at + target).max(cut + 1);
    }
    if cuts.last() != Some(&data.len()) {
        cuts.push(data.len());
    }
    // No chunk longer than `max_entry`, so no entry longer than it.
    if cuts.windows(2).any(|w| w[1] - w[0] > max_entry) {
        return None;
    }
    validate_cut(data, base, ctx, &cuts)
}

/// How far before the end of the bytes buffered [`validate_guessing_prefix`] looks for its
/// last cut: room for the scan and a run of short-form entries after it.
#[cfg(feature = "parallel")]
const GUESS_TAIL: usize = GUESS_SCAN + GUESS_RUN * SHORT_ENTRY_MAX;

/// [`validate_guessing`] for the entries the streaming parser has buffered: `data` starts at
/// an entry boundary and, unless `complete`, may end inside an entry, so that its last cut is
/// a boundary guessed at most [`GUESS_TAIL`] bytes before its end, proved like every other by
/// the chunk that ends there. No entry longer than `max_entry` is taken. Returns how many
/// bytes were taken (they end at a boundary) and their counts; `None` when none were, and
/// the caller then walks.
#[cfg(feature = "parallel")]
pub(crate) fn validate_guessing_prefix(
    data: &[u8],
    base: u64,
    ctx: EntryContext,
    target_bytes: usize,
    complete: bool,
    max_entry: usize,
) -> Option<(usize, EntryStats)> {
    let end = if complete { data.len() } else { guess_entry_start(data, data.len().checked_sub(GUESS_TAIL)?)? };
    let found = validate_guessing(data.get(..end)?, base, ctx, target_bytes, max_entry)?;
    Some((end, found))
}

/// [`validate_guessing`] at the boundaries `cuts` (from 0 to `data.len()`, in order).
#[cfg(feature = "parallel")]
fn validate_cut(data: &[u8], base: u64, ctx: EntryContext, cuts: &[usize]) -> Option<EntryStats> {
    use rayon::prelude::*;
    cuts.par_windows(2)
        .map(|w| {
            let chunk =
                EntryChunk { data: data.get(w[0]..w[1])?, offset: base + w[0] as u64, first_index: 0, count: 0, ctx };
            chunk.validate().ok()
        })
        .try_reduce(EntryStats::default, |a, b| Some(a.merge(b)))
}

/// A parsed CRL borrowing its input. See the module docs.
#[derive(Clone, Copy, Debug)]
pub struct CrlRef<'a> {
    der: &'a [u8],
    tbs: &'a [u8],
    header: TbsHeader<'a>,
    revoked: Option<Tlv<'a>>,
    extensions: Option<CrlExtensions<'a>>,
    signature_algorithm: AlgorithmIdentifierRef<'a>,
    signature: &'a [u8],
    profile: Profile,
}

/// Bytes of entries per parallel work unit.
#[cfg(feature = "parallel")]
const PARALLEL_CHUNK_BYTES: usize = 1 << 20;

impl<'a> CrlRef<'a> {
    /// Parse a DER CRL strictly. Revoked entries are checked lazily: call
    /// [`CrlRef::validate`] (or iterate [`CrlRef::entries`]) to check them all.
    pub fn from_der(der: &'a [u8]) -> Result<Self, Error> {
        Self::from_der_with(der, Profile::Strict)
    }

    /// [`CrlRef::from_der`] with a chosen profile.
    ///
    /// An error is the first one in input order, the one the streaming parser reports on the
    /// same bytes: this parser reads the structure around the entries before the entries
    /// (and checks the input's length up front), so when it finds a problem, the bytes are
    /// read again front to back to find the first (see [`crate::stream::first_error`]).
    pub fn from_der_with(der: &'a [u8], profile: Profile) -> Result<Self, Error> {
        Self::parse_structure(der, profile).map_err(|e| crate::stream::first_error(der, profile).unwrap_or(e))
    }

    fn parse_structure(der: &'a [u8], profile: Profile) -> Result<Self, Error> {
        let mut input = Reader::new(der, 0);
        let outer = input.read(tag::SEQUENCE).at(Path::field(Field::CertificateList))?;
        input.finish().at(Path::field(Field::CertificateList))?;
        let mut outer_r = outer.reader();
        let tbs = outer_r.read(tag::SEQUENCE).at(Path::field(Field::TbsCertList))?;
        let mut r = tbs.reader();
        let header = parse_header(&mut r, profile)?;
        let revoked = match r.read_optional(tag::SEQUENCE).at(Path::field(Field::RevokedCertificates))? {
            Some(list) => {
                check_revoked_list(list.value.len() as u64, list.offset, profile)?;
                Some(list)
            }
            None => None,
        };
        let extensions = parse_tbs_tail(&mut r, header.version, profile)?;
        let (signature_algorithm, signature) = parse_signature_tail(&mut outer_r, &header.signature)?;
        Ok(Self { der: outer.raw, tbs: tbs.raw, header, revoked, extensions, signature_algorithm, signature, profile })
    }

    /// The whole CRL.
    pub const fn der(&self) -> &'a [u8] {
        self.der
    }

    /// The signed bytes: the whole tbsCertList element.
    pub const fn tbs_der(&self) -> &'a [u8] {
        self.tbs
    }

    /// Fields before the entries.
    pub const fn header(&self) -> &TbsHeader<'a> {
        &self.header
    }

    /// v1 or v2.
    pub const fn version(&self) -> Version {
        self.header.version
    }

    /// The issuer name.
    pub const fn issuer(&self) -> NameRef<'a> {
        self.header.issuer
    }

    /// thisUpdate.
    pub const fn this_update(&self) -> Time {
        self.header.this_update
    }

    /// nextUpdate.
    pub const fn next_update(&self) -> Option<Time> {
        self.header.next_update
    }

    /// The outer signatureAlgorithm (equal to tbsCertList.signature).
    pub const fn signature_algorithm(&self) -> AlgorithmIdentifierRef<'a> {
        self.signature_algorithm
    }

    /// signatureValue, without the BIT STRING's unused-bits octet.
    pub fn signature(&self) -> &'a [u8] {
        &self.signature[1..]
    }

    /// The CRL extensions, if any.
    pub const fn extensions(&self) -> Option<&CrlExtensions<'a>> {
        self.extensions.as_ref()
    }

    /// The cRLNumber extension.
    pub fn crl_number(&self) -> Option<SerialRef<'a>> {
        self.extensions.as_ref().and_then(|e| e.crl_number)
    }

    /// The profile used to parse.
    pub const fn profile(&self) -> Profile {
        self.profile
    }

    /// The DER bytes of all entries (revokedCertificates content) and their absolute offset.
    pub fn revoked_der(&self) -> (&'a [u8], u64) {
        match &self.revoked {
            Some(t) => (t.value, t.value_offset),
            None => (&[], 0),
        }
    }

    fn ctx(&self) -> EntryContext {
        EntryContext { version: self.header.version, profile: self.profile }
    }

    /// Re-read one entry found earlier, from its [`RevokedCertRef::offset`] and
    /// [`RevokedCertRef::index`]: for callers that keep compact references to millions of
    /// entries and need the full view of a few. An offset that is not inside the entries is
    /// an error.
    pub fn entry_at(&self, offset: u64, index: u64) -> Result<RevokedCertRef<'a>, Error> {
        let (data, base) = self.revoked_der();
        let start = offset
            .checked_sub(base)
            .and_then(|s| usize::try_from(s).ok())
            .filter(|&s| s < data.len())
            .ok_or(Error::new(ErrorKind::Truncated, Path::entry(Field::Entry, index), offset))?;
        Entries::new(&data[start..], offset, index, self.ctx()).next().unwrap_or(Err(Error::new(
            ErrorKind::Truncated,
            Path::entry(Field::Entry, index),
            offset,
        )))
    }

    /// The revoked entries, parsed one at a time.
    pub fn entries(&self) -> Entries<'a> {
        let (data, offset) = self.revoked_der();
        Entries::new(data, offset, 0, self.ctx())
    }

    /// Split the entries into runs of about `target_bytes` by walking only their headers, for
    /// parallel work. Splitting never fails: at the first entry header the walk cannot step
    /// over (a wrong tag, a bad or overlong length), it stops, and the last chunk runs from
    /// there to the end of the entries. That header's error is then reported when the chunk
    /// holding it is iterated, after every entry before it, so merging chunk results in order
    /// gives exactly the first error the sequential parser reports.
    ///
    /// [`EntryChunk::len`] is exact for chunks that iterate without an error.
    pub fn entry_chunks(&self, target_bytes: usize) -> Vec<EntryChunk<'a>> {
        let (data, base) = self.revoked_der();
        // Tiny targets (tests) may give a chunk per entry: grow as needed beyond the estimate.
        let mut chunks = Vec::with_capacity(data.len() / target_bytes.max(4096) + 1);
        let (stop, index) = walk_entries(data, base, 0, self.ctx(), target_bytes, usize::MAX, |c| chunks.push(c));
        // Not an entry the walk can step over: the rest is one chunk, and iterating it
        // reports the problem in its place.
        if stop < data.len() {
            chunks.push(EntryChunk {
                data: &data[stop..],
                offset: base + stop as u64,
                first_index: index,
                count: 1,
                ctx: self.ctx(),
            });
        }
        chunks
    }

    /// Validate every entry (in parallel for large CRLs when the `parallel` feature is on) and
    /// return counts. The first error in input order is reported, whatever the thread count.
    pub fn validate(&self) -> Result<EntryStats, Error> {
        #[cfg(feature = "parallel")]
        {
            if self.revoked_der().0.len() > 2 * PARALLEL_CHUNK_BYTES {
                return self.validate_in_chunks(PARALLEL_CHUNK_BYTES);
            }
        }
        self.validate_sequential()
    }

    /// Validate every entry in chunks of about `chunk_bytes` (see [`CrlRef::entry_chunks`]),
    /// in parallel when the `parallel` feature is on, merging the results in input order.
    /// [`CrlRef::validate`] uses this with 1 MiB chunks for CRLs over 2 MiB; tests and fuzz
    /// targets call it with tiny chunks to exercise the parallel path on small inputs. The
    /// result equals [`CrlRef::validate_sequential`]'s, error included, for every chunk size.
    pub fn validate_in_chunks(&self, chunk_bytes: usize) -> Result<EntryStats, Error> {
        #[cfg(feature = "parallel")]
        {
            // Cut at guessed boundaries first (no walk); else validated while the walk goes
            // on; the chunks again in order only to find the first error when there is one.
            let (data, base) = self.revoked_der();
            if let Some(found) = validate_guessing(data, base, self.ctx(), chunk_bytes, usize::MAX) {
                return Ok(found);
            }
            let (stop, _, found) = validate_walking(data, base, 0, self.ctx(), chunk_bytes, usize::MAX, |_| {});
            if let Some(found) = found.filter(|_| stop == data.len()) {
                return Ok(found);
            }
        }
        EntryChunk::validate_all(&self.entry_chunks(chunk_bytes))
    }

    /// [`CrlRef::validate_in_chunks`] that also returns the chunks, the ones
    /// [`CrlRef::entry_chunks`] gives, for working on the validated entries again (`list`
    /// formats them): one walk over the headers, run while the chunks it has cut are
    /// validated, instead of a walk before the validation starts.
    pub fn validate_chunked(&self, chunk_bytes: usize) -> Result<(EntryStats, Vec<EntryChunk<'a>>), Error> {
        #[cfg(feature = "parallel")]
        {
            let (data, base) = self.revoked_der();
            let mut chunks = Vec::with_capacity(data.len() / chunk_bytes.max(4096) + 1);
            let (stop, _, found) =
                validate_walking(data, base, 0, self.ctx(), chunk_bytes, usize::MAX, |c| chunks.push(c));
            if let Some(found) = found.filter(|_| stop == data.len()) {
                return Ok((found, chunks));
            }
        }
        let chunks = self.entry_chunks(chunk_bytes);
        Ok((EntryChunk::validate_all(&chunks)?, chunks))
    }

    /// Validate every entry on the calling thread.
    pub fn validate_sequential(&self) -> Result<EntryStats, Error> {
        let mut stats = EntryStats::default();
        for e in self.entries() {
            stats.add(&e?);
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every field of an entry, encodings of times included (`Time` equality ignores them).
    fn fields(e: &RevokedCertRef<'_>) -> impl PartialEq + core::fmt::Debug {
        let time = |t: Time| (t.unix(), t.encoding());
        (
            (e.index, e.offset, e.der, e.serial.der_content()),
            time(e.revocation_date),
            e.reason,
            e.invalidity_date.map(time),
            (e.certificate_issuer, e.extensions, e.unknown_critical),
        )
    }

    /// The fast path accepts only what the general parser accepts, and reads it the same way.
    fn check_entry(bytes: &[u8]) {
        let Ok(seq) = Reader::new(bytes, 40).read(tag::SEQUENCE) else { return };
        for version in [Version::V1, Version::V2] {
            for profile in [Profile::Strict, Profile::Lenient] {
                let ctx = EntryContext { version, profile };
                let general = parse_entry_general(seq, 3, ctx);
                if let Some(fast) = parse_entry_fast(seq, 3, ctx) {
                    let general = general.unwrap_or_else(|e| panic!("fast path accepted what fails: {e} {bytes:02x?}"));
                    assert_eq!(fields(&fast), fields(&general), "{bytes:02x?}");
                }
                // And the dispatcher is the general parser's answer either way.
                let dispatched = parse_entry(seq, 3, ctx);
                match (&dispatched, &general) {
                    (Ok(a), Ok(b)) => assert_eq!(fields(a), fields(b)),
                    (Err(a), Err(b)) => assert_eq!(a, b),
                    _ => panic!("parse_entry {dispatched:?} vs general {general:?}"),
                }
            }
        }
    }

    /// A file of the workspace's `fixtures/`.
    fn fixture(name: &str) -> Vec<u8> {
        let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        std::fs::read(format!("{dir}/../../fixtures/{name}")).unwrap()
    }

    /// Where each entry starts, relative to the start of the entries.
    fn entry_starts(crl: &CrlRef<'_>) -> Vec<usize> {
        let (_, base) = crl.revoked_der();
        crl.entries().map(|e| (e.unwrap().offset() - base) as usize).collect()
    }

    fn fixture_entries() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for name in ["crl.p256.edge-serials.der", "crl.p256.1k.der", "crl.rsa2048.1k.der", "crl.p256.small.der"] {
            let der = fixture(name);
            let crl = CrlRef::from_der(&der).unwrap();
            out.extend(crl.entries().take(60).map(|e| e.unwrap().der().to_vec()));
        }
        out
    }

    #[test]
    fn fast_path_agrees_with_general_parser() {
        let entries = fixture_entries();
        assert!(entries.len() > 100);
        for entry in &entries {
            check_entry(entry);
            // Every single-byte change of every position.
            for i in 0..entry.len() {
                for v in [0x00u8, 0x01, 0x7f, 0x80, 0xff, entry[i] ^ 0x01, entry[i] ^ 0x80, entry[i].wrapping_add(1)] {
                    let mut m = entry.clone();
                    m[i] = v;
                    check_entry(&m);
                }
            }
        }
    }

    /// Chunks cut at guessed boundaries validate what the sequential validator does, for
    /// any chunk size, and a cut off a boundary is never taken for one.
    #[cfg(feature = "parallel")]
    #[test]
    fn guessed_cuts_prove_themselves() {
        for name in ["crl.p256.edge-serials.der", "crl.p256.1k.der", "crl.rsa2048.1k.der"] {
            let der = fixture(name);
            let crl = CrlRef::from_der(&der).unwrap();
            let expected = crl.validate_sequential().unwrap();
            let (data, base) = crl.revoked_der();
            let mut guessed = 0;
            for target in [1, 2, 3, 7, 50, 100, 1000, 4096] {
                if let Some(found) = validate_guessing(data, base, crl.ctx(), target, usize::MAX) {
                    assert_eq!(found, expected, "{name}, chunks of {target}");
                    guessed += 1;
                }
            }
            // Every size that makes two chunks or more (a fixture of 245 bytes makes none of
            // 1,000).
            assert!(guessed >= 6, "{name}: the guesses were taken for {guessed} chunk sizes only");
            // Every true boundary is taken; every position one off a boundary is refused.
            let bounds = entry_starts(&crl);
            for w in bounds.windows(2).step_by(7) {
                let (a, b) = (w[0], w[1]);
                let exact = validate_cut(data, base, crl.ctx(), &[0, a, b, data.len()]);
                assert_eq!(exact.map(|s| s.count), Some(bounds.len() as u64), "{name} at {a}");
                for off in [a + 1, b - 1] {
                    let wrong = validate_cut(data, base, crl.ctx(), &[0, off, b, data.len()]);
                    assert_eq!(wrong, None, "{name}: a cut at {off} (boundaries {a}, {b}) was taken");
                }
            }
        }
    }

    /// The stream's guesses: all of the entries, or bytes that end inside an entry (taken up
    /// to a boundary); never a chunk longer than the stream's limit on an element.
    #[cfg(feature = "parallel")]
    #[test]
    fn guessed_prefixes_end_at_boundaries() {
        let der = fixture("crl.rsa2048.1k.der");
        let crl = CrlRef::from_der(&der).unwrap();
        let (data, base) = crl.revoked_der();
        let bounds = entry_starts(&crl);
        let whole = validate_guessing_prefix(data, base, crl.ctx(), 1000, true, usize::MAX);
        assert_eq!(whole, Some((data.len(), crl.validate_sequential().unwrap())));
        let mut taken = 0;
        for len in (2000..data.len()).step_by(997) {
            let Some((end, found)) = validate_guessing_prefix(&data[..len], base, crl.ctx(), 300, false, usize::MAX)
            else {
                continue;
            };
            let entries = bounds.partition_point(|&b| b < end);
            assert!(end == bounds[entries] && end + GUESS_TAIL >= len, "{end} of {len}");
            assert_eq!(found.count, entries as u64, "{end} of {len}");
            taken += 1;
        }
        assert!(taken > 30, "prefixes taken: {taken}");
        // Chunks of about 1,000 bytes are longer than a limit of 999 bytes on an element.
        assert_eq!(validate_guessing_prefix(data, base, crl.ctx(), 1000, true, 999), None);
        assert!(validate_guessing_prefix(data, base, crl.ctx(), 1000, true, 4000).is_some());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]
        /// Random edits of real entries: several bytes changed, inserted or removed.
        #[test]
        fn fast_path_agrees_on_random_edits(
            which in 0usize..200,
            edits in proptest::collection::vec((0usize..64, any::<u8>(), 0u8..3), 1..5),
        ) {
            let entries = fixture_entries();
            let mut m = entries[which % entries.len()].clone();
            for (at, byte, op) in edits {
                let at = at % (m.len() + 1);
                match op {
                    0 if at < m.len() => m[at] = byte,
                    1 => m.insert(at, byte),
                    _ if at < m.len() => { m.remove(at); }
                    _ => {}
                }
            }
            check_entry(&m);
        }
    }
}
