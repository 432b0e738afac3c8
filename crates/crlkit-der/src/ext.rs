//! CRL and CRL-entry extensions (RFC 5280 5.2 and 5.3): the generic Extension view, the typed
//! extensions the toolkit needs, and the shared walker that enforces the list rules
//! (non-empty, no duplicate OIDs, DER booleans).
//!
//! # Deviations
//! - Unknown extensions, critical or not, are accepted and kept raw with their flag; deciding
//!   what an unknown critical extension means is left to reports (RFC 5280 5.2 lets a relying
//!   party reject such a CRL for revocation checking; a parser need not).
//! - The content of extensions we do not interpret is not checked at all, although RFC 5280
//!   4.1 says extnValue holds DER: without the type there is no rule to check it against, and
//!   real CRLs (BoringSSL's `good_fake_extension`) carry opaque bytes there.

use core::fmt;

use crate::der::{self, Reader, Tlv, tag};
use crate::error::{ErrorKind, ExtensionId, Fault};
use crate::name::NameRef;
use crate::oid::{self, OidRef};
use crate::serial::SerialRef;
use crate::time::Time;

/// Which parsing profile to apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// Strict DER and the RFC 5280 CRL profile (the default).
    #[default]
    Strict,
    /// Accept what OpenSSL accepts where it is harmless: empty `revokedCertificates` and
    /// extension lists, CRL numbers over 20 octets, extensions in v1 CRLs. BER length forms are
    /// handled before parsing by [`crate::ber::normalize`], never by the parser itself.
    Lenient,
}

impl Profile {
    #[inline]
    pub(crate) fn strict(self) -> bool {
        matches!(self, Profile::Strict)
    }
}

/// One extension: OID, criticality, and the content of `extnValue`.
#[derive(Clone, Copy, Debug)]
pub struct ExtensionRef<'a> {
    oid: OidRef<'a>,
    critical: bool,
    value: &'a [u8],
    offset: u64,
    value_offset: u64,
}

impl<'a> ExtensionRef<'a> {
    /// The extension's OID.
    pub const fn oid(&self) -> OidRef<'a> {
        self.oid
    }

    /// The critical flag (FALSE when absent).
    pub const fn critical(&self) -> bool {
        self.critical
    }

    /// The DER inside `extnValue`.
    pub const fn value(&self) -> &'a [u8] {
        self.value
    }

    /// Absolute offset of the Extension SEQUENCE.
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// Which known extension this is, if any.
    pub fn id(&self) -> Option<ExtensionId> {
        oid::extension_id(self.oid.0)
    }

    /// A short readable name: the RFC 5280 name or the dotted OID.
    pub fn name(&self) -> String {
        match self.oid.name() {
            Some(n) => n.to_owned(),
            None => self.oid.to_string(),
        }
    }

    pub(crate) fn value_offset(&self) -> u64 {
        self.value_offset
    }
}

/// Where an extension-list problem was found.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ListFault {
    /// Index of the extension, and which one it is, when the fault is inside one.
    pub at: Option<(u32, Option<ExtensionId>)>,
    /// True when the fault is inside `extnValue` (typed parsing), false for the list itself.
    pub in_value: bool,
    pub fault: Fault,
}

/// Walk an `Extensions` SEQUENCE content, enforcing the list rules, and call `each` for every
/// extension with its index. Used for CRL extensions and entry extensions alike.
#[inline]
pub(crate) fn walk_extensions<'a>(
    list: &Tlv<'a>,
    profile: Profile,
    mut each: impl FnMut(u32, ExtensionRef<'a>) -> Result<(), Fault>,
) -> Result<(), ListFault> {
    let mut r = list.reader();
    if r.is_empty() && profile.strict() {
        let fault = Fault::new(ErrorKind::EmptyExtensions, list.offset);
        return Err(ListFault { at: None, in_value: false, fault });
    }
    let mut index = 0u32;
    // OIDs seen so far, for the duplicate check; lists longer than this rescan (rare).
    let mut seen: [&[u8]; 8] = [&[]; 8];
    while !r.is_empty() {
        let ext =
            read_extension(&mut r).map_err(|fault| ListFault { at: Some((index, None)), in_value: false, fault })?;
        let duplicate = if (index as usize) < seen.len() {
            seen[..index as usize].contains(&ext.oid.0)
        } else {
            let mut earlier = list.reader();
            (0..index).any(|_| read_extension(&mut earlier).is_ok_and(|prev| prev.oid == ext.oid))
        };
        if duplicate {
            let fault = Fault::new(ErrorKind::DuplicateExtension, ext.offset);
            return Err(ListFault { at: Some((index, ext.id())), in_value: false, fault });
        }
        if let Some(slot) = seen.get_mut(index as usize) {
            *slot = ext.oid.0;
        }
        each(index, ext).map_err(|fault| ListFault { at: Some((index, ext.id())), in_value: true, fault })?;
        index += 1;
    }
    Ok(())
}

/// `Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }`
#[inline]
fn read_extension<'a>(r: &mut Reader<'a>) -> Result<ExtensionRef<'a>, Fault> {
    let seq = r.read(tag::SEQUENCE)?;
    let mut f = seq.reader();
    let oid = der::read_oid(&mut f)?;
    let critical = match f.read_optional(tag::BOOLEAN)? {
        Some(b) => {
            if !der::boolean_value(&b)? {
                // DER: a DEFAULT value must not be encoded (X.690 11.5).
                return Err(Fault::new(ErrorKind::ExplicitDefault, b.offset));
            }
            true
        }
        None => false,
    };
    let value = f.read(tag::OCTET_STRING)?;
    f.finish()?;
    Ok(ExtensionRef {
        oid: OidRef(oid.value),
        critical,
        value: value.value,
        offset: seq.offset,
        value_offset: value.value_offset,
    })
}

/// Iterator over the extensions of a list already validated (when the CRL or entry was parsed).
#[derive(Clone, Debug)]
pub struct Extensions<'a> {
    reader: Option<Reader<'a>>,
}

impl<'a> Extensions<'a> {
    pub(crate) fn new(list: Option<&Tlv<'a>>) -> Self {
        Self { reader: list.map(Tlv::reader) }
    }

    pub(crate) fn from_content(content: &'a [u8], offset: u64) -> Self {
        Self { reader: Some(Reader::new(content, offset)) }
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = ExtensionRef<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let r = self.reader.as_mut()?;
        if r.is_empty() {
            return None;
        }
        read_extension(r).ok()
    }
}

/// The value of the reasonCode entry extension (RFC 5280 5.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Reason {
    /// unspecified (0)
    Unspecified = 0,
    /// keyCompromise (1)
    KeyCompromise = 1,
    /// cACompromise (2)
    CaCompromise = 2,
    /// affiliationChanged (3)
    AffiliationChanged = 3,
    /// superseded (4)
    Superseded = 4,
    /// cessationOfOperation (5)
    CessationOfOperation = 5,
    /// certificateHold (6)
    CertificateHold = 6,
    /// removeFromCRL (8)
    RemoveFromCrl = 8,
    /// privilegeWithdrawn (9)
    PrivilegeWithdrawn = 9,
    /// aACompromise (10)
    AaCompromise = 10,
}

impl Reason {
    /// The reason for a code, `None` for 7 and anything outside 0..=10.
    pub const fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::Unspecified,
            1 => Self::KeyCompromise,
            2 => Self::CaCompromise,
            3 => Self::AffiliationChanged,
            4 => Self::Superseded,
            5 => Self::CessationOfOperation,
            6 => Self::CertificateHold,
            8 => Self::RemoveFromCrl,
            9 => Self::PrivilegeWithdrawn,
            10 => Self::AaCompromise,
            _ => return None,
        })
    }

    /// The numeric code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The RFC 5280 name, e.g. `keyCompromise`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "keyCompromise",
            Self::CaCompromise => "cACompromise",
            Self::AffiliationChanged => "affiliationChanged",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessationOfOperation",
            Self::CertificateHold => "certificateHold",
            Self::RemoveFromCrl => "removeFromCRL",
            Self::PrivilegeWithdrawn => "privilegeWithdrawn",
            Self::AaCompromise => "aACompromise",
        }
    }

    /// Parse an RFC 5280 name (as printed by [`Reason::name`]), case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        (0..=10).filter_map(Self::from_code).find(|r| r.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// reasonCode: `CRLReason ::= ENUMERATED`.
#[inline]
pub(crate) fn parse_reason(value: &[u8], offset: u64) -> Result<Reason, Fault> {
    let mut r = Reader::new(value, offset);
    let e = r.read(tag::ENUMERATED)?;
    der::check_integer(&e)?;
    r.finish()?;
    let code = der::small_integer(e.value).unwrap_or(i64::MAX);
    Reason::from_code(code).ok_or(Fault::new(ErrorKind::InvalidReasonCode { code }, e.offset))
}

/// invalidityDate: `GeneralizedTime` (RFC 5280 5.3.2).
#[inline]
pub(crate) fn parse_invalidity_date(value: &[u8], offset: u64) -> Result<Time, Fault> {
    let mut r = Reader::new(value, offset);
    let t = r.read(tag::GENERALIZED_TIME)?;
    r.finish()?;
    Time::parse_generalized(t.value, t.offset)
}

/// A CRL number or base CRL number: `INTEGER (0..MAX)`, at most 20 octets (RFC 5280 5.2.3).
pub(crate) fn parse_crl_number<'a>(value: &'a [u8], offset: u64, profile: Profile) -> Result<SerialRef<'a>, Fault> {
    let mut r = Reader::new(value, offset);
    let n = der::read_integer(&mut r)?;
    r.finish()?;
    let number = SerialRef::new_unchecked(n.value);
    if number.is_negative() {
        return Err(Fault::new(ErrorKind::NegativeInteger, n.offset));
    }
    if number.magnitude_len() > 20 && profile.strict() {
        return Err(Fault::new(ErrorKind::CrlNumberTooLong, n.offset));
    }
    Ok(number)
}

/// `GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName`, given the content octets.
pub(crate) fn check_general_names(content: &[u8], offset: u64, list_offset: u64) -> Result<(), Fault> {
    let mut r = Reader::new(content, offset);
    if r.is_empty() {
        return Err(Fault::new(ErrorKind::EmptySequence, list_offset));
    }
    while !r.is_empty() {
        let name = r.read_any()?;
        match name.tag {
            // otherName, x400Address, ediPartyName: constructed, content not interpreted.
            0xa0 | 0xa3 | 0xa5 => der::check_nested(name.value, name.value_offset, 0)?,
            // directoryName [4] EXPLICIT Name.
            0xa4 => {
                let mut inner = name.reader();
                NameRef::read(&mut inner)?;
                inner.finish()?;
            }
            // rfc822Name, dNSName, URI: IA5String content; iPAddress; registeredID.
            0x81 | 0x82 | 0x86 | 0x87 => {}
            0x88 => der::check_oid(&name)?,
            found => return Err(Fault::new(ErrorKind::InvalidTag { found }, name.offset)),
        }
    }
    Ok(())
}

/// One GeneralName, for display.
#[derive(Clone, Copy, Debug)]
pub struct GeneralNameRef<'a> {
    tag: u8,
    value: &'a [u8],
    offset: u64,
}

impl<'a> GeneralNameRef<'a> {
    /// The URI, for a uniformResourceIdentifier.
    pub fn uri(&self) -> Option<&'a str> {
        (self.tag == 0x86).then(|| core::str::from_utf8(self.value).ok()).flatten()
    }
}

impl fmt::Display for GeneralNameRef<'_> {
    /// OpenSSL-like: `URI:http://…`, `DNS:…`, `email:…`, `DirName:CN=…`, `IP:…`, `othername`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        match self.tag {
            0x81 => write!(f, "email:{}", text(self.value)),
            0x82 => write!(f, "DNS:{}", text(self.value)),
            0x86 => write!(f, "URI:{}", text(self.value)),
            0x87 if self.value.len() == 4 => {
                let v = self.value;
                write!(f, "IP:{}.{}.{}.{}", v[0], v[1], v[2], v[3])
            }
            0x87 => {
                f.write_str("IP:")?;
                for (i, c) in self.value.chunks(2).enumerate() {
                    if i > 0 {
                        f.write_str(":")?;
                    }
                    for b in c {
                        write!(f, "{b:02x}")?;
                    }
                }
                Ok(())
            }
            0x88 => write!(f, "RID:{}", OidRef(self.value)),
            0xa4 => {
                let mut r = Reader::new(self.value, self.offset);
                match NameRef::read(&mut r) {
                    Ok(n) => write!(f, "DirName:{n}"),
                    Err(_) => f.write_str("DirName:<invalid>"),
                }
            }
            0xa0 => f.write_str("othername:<unsupported>"),
            t => write!(f, "[{}]:<unsupported>", t & 0x1f),
        }
    }
}

/// Iterate over the GeneralName elements of validated GeneralNames content.
pub(crate) fn general_names(content: &[u8], offset: u64) -> impl Iterator<Item = GeneralNameRef<'_>> {
    let mut r = Reader::new(content, offset);
    core::iter::from_fn(move || {
        let tlv = r.read_any().ok()?;
        Some(GeneralNameRef { tag: tlv.tag, value: tlv.value, offset: tlv.value_offset })
    })
}

/// `DistributionPointName`, as found in an issuing distribution point.
#[derive(Clone, Copy, Debug)]
pub enum DistributionPointName<'a> {
    /// `fullName [0] GeneralNames`.
    FullName(GeneralNamesRef<'a>),
    /// `nameRelativeToCRLIssuer [1] RelativeDistinguishedName`, raw content.
    NameRelativeToCrlIssuer(&'a [u8]),
}

/// Validated GeneralNames content.
#[derive(Clone, Copy, Debug)]
pub struct GeneralNamesRef<'a> {
    content: &'a [u8],
    offset: u64,
}

impl<'a> GeneralNamesRef<'a> {
    /// The names, in order.
    pub fn iter(&self) -> impl Iterator<Item = GeneralNameRef<'a>> + 'a {
        general_names(self.content, self.offset)
    }
}

/// The issuingDistributionPoint CRL extension (RFC 5280 5.2.5).
#[derive(Clone, Copy, Debug)]
pub struct IssuingDistributionPoint<'a> {
    /// Where this CRL is published, if stated.
    pub distribution_point: Option<DistributionPointName<'a>>,
    /// The CRL covers end-entity certificates only.
    pub only_contains_user_certs: bool,
    /// The CRL covers CA certificates only.
    pub only_contains_ca_certs: bool,
    /// The CRL covers some revocation reasons only (ReasonFlags BIT STRING content).
    pub only_some_reasons: Option<&'a [u8]>,
    /// An indirect CRL: entries may come from other issuers.
    pub indirect_crl: bool,
    /// The CRL covers attribute certificates only.
    pub only_contains_attribute_certs: bool,
}

impl IssuingDistributionPoint<'_> {
    /// True when the CRL is partitioned: it covers only part of the issuer's certificates or
    /// reasons (what AWS Private CA's partitioned CRLs look like).
    pub fn is_partitioned(&self) -> bool {
        self.only_contains_user_certs
            || self.only_contains_ca_certs
            || self.only_contains_attribute_certs
            || self.only_some_reasons.is_some()
    }
}

/// Parse an issuingDistributionPoint value.
pub(crate) fn parse_idp(value: &[u8], offset: u64) -> Result<IssuingDistributionPoint<'_>, Fault> {
    let mut outer = Reader::new(value, offset);
    let seq = outer.read(tag::SEQUENCE)?;
    outer.finish()?;
    let mut r = seq.reader();
    let mut idp = IssuingDistributionPoint {
        distribution_point: None,
        only_contains_user_certs: false,
        only_contains_ca_certs: false,
        only_some_reasons: None,
        indirect_crl: false,
        only_contains_attribute_certs: false,
    };
    if r.is_empty() {
        return Err(Fault::new(ErrorKind::IdpEmpty, seq.offset));
    }
    if let Some(dp) = r.read_optional(0xa0)? {
        let mut choice = dp.reader();
        let name = choice.read_any()?;
        idp.distribution_point = Some(match name.tag {
            0xa0 => {
                check_general_names(name.value, name.value_offset, name.offset)?;
                DistributionPointName::FullName(GeneralNamesRef { content: name.value, offset: name.value_offset })
            }
            0xa1 => {
                // RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
                let mut avas = name.reader();
                if avas.is_empty() {
                    return Err(Fault::new(ErrorKind::EmptySequence, name.offset));
                }
                while !avas.is_empty() {
                    let ava = avas.read(tag::SEQUENCE)?;
                    let mut f = ava.reader();
                    der::read_oid(&mut f)?;
                    f.read_any()?;
                    f.finish()?;
                }
                DistributionPointName::NameRelativeToCrlIssuer(name.value)
            }
            found => return Err(Fault::new(ErrorKind::InvalidTag { found }, name.offset)),
        });
        // A CHOICE holds exactly one alternative.
        choice.finish()?;
    }
    // Each flag: present means TRUE (DER omits the DEFAULT FALSE); remember where it was.
    let flag = |r: &mut Reader<'_>, t: u8| -> Result<Option<u64>, Fault> {
        match r.read_optional(t)? {
            Some(b) if der::boolean_value(&b)? => Ok(Some(b.offset)),
            Some(b) => Err(Fault::new(ErrorKind::ExplicitDefault, b.offset)),
            None => Ok(None),
        }
    };
    let user = flag(&mut r, 0x81)?;
    let ca = flag(&mut r, 0x82)?;
    if let Some(bits) = r.read_optional(0x83)? {
        der::check_bit_string(&bits)?;
        idp.only_some_reasons = Some(bits.value);
    }
    let indirect = flag(&mut r, 0x84)?;
    let attribute = flag(&mut r, 0x85)?;
    if let Some(found) = r.peek_tag() {
        // Unknown field, or a known one out of order or repeated.
        return Err(Fault::new(ErrorKind::InvalidTag { found }, r.offset()));
    }
    // At most one onlyContains… flag; the error points at the second one.
    if let Some(&second) = [user, ca, attribute].iter().flatten().nth(1) {
        return Err(Fault::new(ErrorKind::IdpConflictingScope, second));
    }
    idp.only_contains_user_certs = user.is_some();
    idp.only_contains_ca_certs = ca.is_some();
    idp.indirect_crl = indirect.is_some();
    idp.only_contains_attribute_certs = attribute.is_some();
    Ok(idp)
}

/// The authorityKeyIdentifier extension (RFC 5280 4.2.1.1).
#[derive(Clone, Copy, Debug, Default)]
pub struct AuthorityKeyIdentifier<'a> {
    /// `keyIdentifier [0]`.
    pub key_identifier: Option<&'a [u8]>,
    /// `authorityCertIssuer [1] GeneralNames`, raw content.
    pub authority_cert_issuer: Option<&'a [u8]>,
    /// `authorityCertSerialNumber [2]`.
    pub authority_cert_serial: Option<SerialRef<'a>>,
}

/// Parse an authorityKeyIdentifier value.
pub(crate) fn parse_aki(value: &[u8], offset: u64) -> Result<AuthorityKeyIdentifier<'_>, Fault> {
    let mut outer = Reader::new(value, offset);
    let seq = outer.read(tag::SEQUENCE)?;
    outer.finish()?;
    let mut r = seq.reader();
    let mut aki = AuthorityKeyIdentifier::default();
    if let Some(k) = r.read_optional(0x80)? {
        aki.key_identifier = Some(k.value);
    }
    if let Some(n) = r.read_optional(0xa1)? {
        check_general_names(n.value, n.value_offset, n.offset)?;
        aki.authority_cert_issuer = Some(n.value);
    }
    if let Some(s) = r.read_optional(0x82)? {
        der::check_integer(&s)?;
        aki.authority_cert_serial = Some(SerialRef::new_unchecked(s.value));
    }
    if let Some(found) = r.peek_tag() {
        return Err(Fault::new(ErrorKind::InvalidTag { found }, r.offset()));
    }
    Ok(aki)
}

/// A SEQUENCE SIZE (1..MAX) OF SEQUENCE whose elements we keep raw (freshestCRL,
/// authorityInfoAccess), checked to be well-formed all the way down.
pub(crate) fn check_sequence_of_sequences(value: &[u8], offset: u64) -> Result<(), Fault> {
    let mut outer = Reader::new(value, offset);
    let seq = outer.read(tag::SEQUENCE)?;
    outer.finish()?;
    let mut r = seq.reader();
    if r.is_empty() {
        return Err(Fault::new(ErrorKind::EmptySequence, seq.offset));
    }
    while !r.is_empty() {
        let item = r.read(tag::SEQUENCE)?;
        der::check_nested(item.value, item.value_offset, 0)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons() {
        assert_eq!(parse_reason(&[0x0a, 0x01, 0x01], 0).unwrap(), Reason::KeyCompromise);
        assert_eq!(parse_reason(&[0x0a, 0x01, 0x07], 0).unwrap_err().kind, ErrorKind::InvalidReasonCode { code: 7 });
        assert_eq!(parse_reason(&[0x0a, 0x01, 0x0b], 0).unwrap_err().kind, ErrorKind::InvalidReasonCode { code: 11 });
        assert_eq!(parse_reason(&[0x0a, 0x02, 0x00, 0x01], 0).unwrap_err().kind, ErrorKind::NonMinimalInteger);
        assert_eq!(
            parse_reason(&[0x02, 0x01, 0x01], 0).unwrap_err().kind,
            ErrorKind::UnexpectedTag { expected: 0x0a, found: 0x02 }
        );
        assert_eq!(Reason::from_name("KEYCOMPROMISE"), Some(Reason::KeyCompromise));
        assert_eq!(Reason::from_name("removeFromCRL"), Some(Reason::RemoveFromCrl));
    }

    #[test]
    fn crl_numbers() {
        assert_eq!(parse_crl_number(&[0x02, 0x01, 0x05], 0, Profile::Strict).unwrap().to_hex(), "05");
        assert_eq!(
            parse_crl_number(&[0x02, 0x01, 0xff], 0, Profile::Strict).unwrap_err().kind,
            ErrorKind::NegativeInteger
        );
        let mut long = vec![0x02, 21];
        long.extend([0x7f; 21]);
        assert_eq!(parse_crl_number(&long, 0, Profile::Strict).unwrap_err().kind, ErrorKind::CrlNumberTooLong);
        assert!(parse_crl_number(&long, 0, Profile::Lenient).is_ok());
        let mut twenty = vec![0x02, 21, 0x00];
        twenty.extend([0xff; 20]);
        assert!(parse_crl_number(&twenty, 0, Profile::Strict).is_ok());
    }

    #[test]
    fn idp_rules() {
        // SEQUENCE { [1] TRUE, [2] TRUE }
        let both = [0x30, 0x06, 0x81, 0x01, 0xff, 0x82, 0x01, 0xff];
        assert_eq!(parse_idp(&both, 0).unwrap_err().kind, ErrorKind::IdpConflictingScope);
        assert_eq!(parse_idp(&[0x30, 0x00], 0).unwrap_err().kind, ErrorKind::IdpEmpty);
        assert_eq!(parse_idp(&[0x30, 0x03, 0x81, 0x01, 0x00], 0).unwrap_err().kind, ErrorKind::ExplicitDefault);
        assert_eq!(
            parse_idp(&[0x30, 0x03, 0x86, 0x01, 0xff], 0).unwrap_err().kind,
            ErrorKind::InvalidTag { found: 0x86 }
        );
        let user = parse_idp(&[0x30, 0x03, 0x81, 0x01, 0xff], 0).unwrap();
        assert!(user.only_contains_user_certs && user.is_partitioned());
        // fullName URI "a"
        let uri = [0x30, 0x07, 0xa0, 0x05, 0xa0, 0x03, 0x86, 0x01, b'a'];
        let idp = parse_idp(&uri, 0).unwrap();
        let Some(DistributionPointName::FullName(names)) = idp.distribution_point else { panic!() };
        assert_eq!(names.iter().map(|n| n.to_string()).collect::<Vec<_>>(), ["URI:a"]);
        // Extra data after the CHOICE.
        let extra = [0x30, 0x09, 0xa0, 0x07, 0xa0, 0x03, 0x86, 0x01, b'a', 0x05, 0x00];
        assert_eq!(parse_idp(&extra, 0).unwrap_err().kind, ErrorKind::TrailingData);
    }
}
