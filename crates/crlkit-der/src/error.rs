//! The one error type of the crate: what went wrong, where (byte offset), and in which field.
//!
//! Errors are data: no strings inside, so they are cheap to build on the error path and easy to
//! match in tests. [`Error`]'s `Display` is one line a terminal user can act on, for example
//! `tbsCertList.revokedCertificates[5678].revocationDate: month 13 is out of range at byte 245678`.

use core::fmt;

/// A parse or decode failure: its [`ErrorKind`], the [`Path`] of the field being read, and the
/// byte offset from the start of the input where the offending element (or byte) starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    path: Path,
    offset: u64,
    /// Set only inside the streaming parser: the element runs past the bytes buffered so far,
    /// so the answer depends on input not yet read. Never set on an error a caller sees.
    more: bool,
}

impl Error {
    pub(crate) const fn new(kind: ErrorKind, path: Path, offset: u64) -> Self {
        Self { kind, path, offset, more: false }
    }

    /// See the `more` field: the streaming parser must read on before deciding.
    pub(crate) const fn needs_more(&self) -> bool {
        self.more
    }

    /// What went wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The field that was being read.
    pub const fn path(&self) -> Path {
        self.path
    }

    /// Byte offset from the start of the input (the DER bytes, or the PEM text for PEM errors).
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// Which group of failures this belongs to.
    pub const fn class(&self) -> ErrorClass {
        self.kind.class()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} at byte {}", self.path, self.kind, self.offset)
    }
}

impl std::error::Error for Error {}

/// The three groups of failures, kept apart as webpki does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// The bytes are not valid DER (X.690) or not valid PEM/base64.
    Malformed,
    /// Well-formed encoding, but it breaks a rule of the RFC 5280 CRL profile.
    Profile,
    /// Valid, but beyond what this implementation handles (size limits, high tag numbers).
    Unsupported,
    /// Reading the input failed (streaming only).
    Io,
}

/// Exactly what went wrong. Never holds strings; the `Display` form is a short lowercase clause.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    // ---- malformed DER (X.690) ----
    /// The input ends inside an element.
    Truncated,
    /// A different tag was expected here.
    UnexpectedTag {
        /// The tag the structure requires.
        expected: u8,
        /// The tag found.
        found: u8,
    },
    /// A tag that no alternative of a CHOICE or OPTIONAL field allows.
    InvalidTag {
        /// The tag found.
        found: u8,
    },
    /// Indefinite length (`0x80`): BER only, not DER.
    IndefiniteLength,
    /// A length encoded in more bytes than needed (DER requires the minimal form).
    NonMinimalLength,
    /// Bytes left over inside a structure, or after the CRL.
    TrailingData,
    /// INTEGER with no content octets.
    EmptyInteger,
    /// INTEGER with a redundant leading `0x00` or `0xFF` octet.
    NonMinimalInteger,
    /// A BOOLEAN whose content is not a single `0x00` or `0xFF` octet.
    InvalidBoolean,
    /// A field with `DEFAULT FALSE` encoded explicitly; DER omits default values (X.690 11.5).
    ExplicitDefault,
    /// A BIT STRING with a bad unused-bits count or non-zero padding bits.
    InvalidBitString,
    /// An OBJECT IDENTIFIER that is empty, truncated or not minimally encoded.
    InvalidOid,
    /// A primitive element encoded with the constructed bit, or the reverse.
    WrongConstruction,
    /// SET OF elements not in DER order (X.690 11.6).
    UnsortedSet,
    /// The time is not `YYMMDDHHMMSSZ` (UTCTime) or `YYYYMMDDHHMMSSZ` (GeneralizedTime).
    InvalidTimeFormat,
    /// A time field (month, day, hour, minute, second) is out of range.
    TimeOutOfRange,
    /// A value that must be non-negative is negative.
    NegativeInteger,

    // ---- RFC 5280 profile ----
    /// `version` is present but not v2 (RFC 5280 5.1.2.1); the value is the raw INTEGER if small.
    UnsupportedVersion {
        /// The version number found (0 = v1, 2 = v3), or -1 when it does not fit.
        found: i64,
    },
    /// The signature AlgorithmIdentifier inside tbsCertList differs from the outer one (5.1.1.2).
    SignatureAlgorithmMismatch,
    /// The issuer Name is empty (5.1.2.3).
    EmptyIssuer,
    /// `revokedCertificates` is present but empty; it must then be absent (5.1.2.6).
    EmptyRevokedCertificates,
    /// An Extensions SEQUENCE with no extension in it (SIZE (1..MAX)).
    EmptyExtensions,
    /// An extension appears twice in one list (4.2).
    DuplicateExtension,
    /// A v1 CRL carries extensions; they need v2 (5.1.2.1).
    ExtensionsInV1,
    /// reasonCode with a value RFC 5280 5.3.1 does not define.
    InvalidReasonCode {
        /// The value found.
        code: i64,
    },
    /// A CRL number (or base CRL number) longer than 20 octets (5.2.3).
    CrlNumberTooLong,
    /// An empty SEQUENCE where one or more elements are required.
    EmptySequence,
    /// An issuing distribution point sets more than one `onlyContains…` flag (5.2.5).
    IdpConflictingScope,
    /// An issuing distribution point with nothing in it (5.2.5).
    IdpEmpty,
    /// GeneralizedTime with fractional seconds or outside what RFC 5280 allows.
    InvalidGeneralizedTime,

    // ---- unsupported / limits ----
    /// High-tag-number form (tag number 31 or more); CRLs never use it.
    HighTagNumber,
    /// A length that does not fit in memory addressing or exceeds the configured limit.
    LengthTooLarge,

    // ---- PEM ----
    /// No `-----BEGIN …-----` line was found.
    PemNoBeginLine,
    /// A BEGIN line without its matching `-----END …-----` line.
    PemMissingEnd,
    /// The END label differs from the BEGIN label.
    PemLabelMismatch,
    /// A malformed BEGIN or END line.
    PemBadBoundary,
    /// A character outside the base64 alphabet in a PEM body.
    PemInvalidBase64,
    /// Base64 padding (`=`) in the wrong place, or the wrong amount of it.
    PemBadPadding,
    /// Base64 whose unused trailing bits are not zero (non-canonical encoding).
    PemNonCanonical,
    /// RFC 1421 headers (`Proc-Type:` …) in the PEM body: encrypted or legacy PEM.
    PemHeaders,
    /// A PEM block with an empty body.
    PemEmpty,
    /// A PEM label that is not a CRL label (`X509 CRL` or `CRL`).
    PemNotCrl,

    // ---- streaming ----
    /// Reading the input failed.
    Io,
}

impl ErrorKind {
    /// Which group of failures this belongs to.
    pub const fn class(&self) -> ErrorClass {
        use ErrorKind::*;
        match self {
            UnsupportedVersion { .. }
            | SignatureAlgorithmMismatch
            | EmptyIssuer
            | EmptyRevokedCertificates
            | EmptyExtensions
            | DuplicateExtension
            | ExtensionsInV1
            | InvalidReasonCode { .. }
            | CrlNumberTooLong
            | EmptySequence
            | IdpConflictingScope
            | IdpEmpty
            | InvalidGeneralizedTime => ErrorClass::Profile,
            HighTagNumber | LengthTooLarge => ErrorClass::Unsupported,
            Io => ErrorClass::Io,
            _ => ErrorClass::Malformed,
        }
    }

    /// A stable short name for machine output (`--json`) and expectation tables.
    pub const fn code(&self) -> &'static str {
        use ErrorKind::*;
        match self {
            Truncated => "truncated",
            UnexpectedTag { .. } => "unexpected-tag",
            InvalidTag { .. } => "invalid-tag",
            IndefiniteLength => "indefinite-length",
            NonMinimalLength => "non-minimal-length",
            TrailingData => "trailing-data",
            EmptyInteger => "empty-integer",
            NonMinimalInteger => "non-minimal-integer",
            InvalidBoolean => "invalid-boolean",
            ExplicitDefault => "explicit-default",
            InvalidBitString => "invalid-bit-string",
            InvalidOid => "invalid-oid",
            WrongConstruction => "wrong-construction",
            UnsortedSet => "unsorted-set",
            InvalidTimeFormat => "invalid-time-format",
            TimeOutOfRange => "time-out-of-range",
            NegativeInteger => "negative-integer",
            UnsupportedVersion { .. } => "unsupported-version",
            SignatureAlgorithmMismatch => "signature-algorithm-mismatch",
            EmptyIssuer => "empty-issuer",
            EmptyRevokedCertificates => "empty-revoked-certificates",
            EmptyExtensions => "empty-extensions",
            DuplicateExtension => "duplicate-extension",
            ExtensionsInV1 => "extensions-in-v1",
            InvalidReasonCode { .. } => "invalid-reason-code",
            CrlNumberTooLong => "crl-number-too-long",
            EmptySequence => "empty-sequence",
            IdpConflictingScope => "idp-conflicting-scope",
            IdpEmpty => "idp-empty",
            InvalidGeneralizedTime => "invalid-generalized-time",
            HighTagNumber => "high-tag-number",
            LengthTooLarge => "length-too-large",
            PemNoBeginLine => "pem-no-begin-line",
            PemMissingEnd => "pem-missing-end",
            PemLabelMismatch => "pem-label-mismatch",
            PemBadBoundary => "pem-bad-boundary",
            PemInvalidBase64 => "pem-invalid-base64",
            PemBadPadding => "pem-bad-padding",
            PemNonCanonical => "pem-non-canonical",
            PemHeaders => "pem-headers",
            PemEmpty => "pem-empty",
            PemNotCrl => "pem-not-crl",
            Io => "io",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match *self {
            Truncated => f.write_str("input ends inside this element"),
            UnexpectedTag { expected, found } => write!(
                f,
                "expected {} (tag 0x{expected:02x}), found tag 0x{found:02x} ({})",
                tag_name(expected),
                tag_name(found)
            ),
            InvalidTag { found } => write!(f, "tag 0x{found:02x} ({}) is not allowed here", tag_name(found)),
            IndefiniteLength => f.write_str("indefinite length (BER, not DER; try --lenient)"),
            NonMinimalLength => f.write_str("length not in minimal form (BER, not DER; try --lenient)"),
            TrailingData => f.write_str("unexpected bytes after the end of the structure"),
            EmptyInteger => f.write_str("INTEGER with no content"),
            NonMinimalInteger => f.write_str("INTEGER not minimally encoded (redundant leading octet)"),
            InvalidBoolean => f.write_str("BOOLEAN must be one octet, 0x00 or 0xff"),
            ExplicitDefault => f.write_str("DEFAULT FALSE value encoded explicitly (DER omits defaults)"),
            InvalidBitString => f.write_str("malformed BIT STRING (unused-bits count or padding)"),
            InvalidOid => f.write_str("malformed OBJECT IDENTIFIER"),
            WrongConstruction => f.write_str("constructed/primitive bit does not match the type"),
            UnsortedSet => f.write_str("SET OF elements not in DER order"),
            InvalidTimeFormat => f.write_str(
                "time must be YYMMDDHHMMSSZ (UTCTime) or YYYYMMDDHHMMSSZ (GeneralizedTime)",
            ),
            TimeOutOfRange => f.write_str("a date or time field is out of range"),
            NegativeInteger => f.write_str("negative value where only non-negative ones are allowed"),
            UnsupportedVersion { found } => match found {
                0 => f.write_str("version v1 must be omitted, not encoded (RFC 5280 5.1.2.1)"),
                -1 => f.write_str("version number out of range; only v2 may be encoded"),
                n => write!(f, "version v{} is not a CRL version; only v2 may be encoded", n + 1),
            },
            SignatureAlgorithmMismatch => f.write_str(
                "signature algorithm differs from tbsCertList.signature (RFC 5280 5.1.1.2)",
            ),
            EmptyIssuer => f.write_str("issuer name is empty (RFC 5280 5.1.2.3)"),
            EmptyRevokedCertificates => f.write_str(
                "revokedCertificates is empty; it must be absent when nothing is revoked (RFC 5280 5.1.2.6; --lenient accepts)",
            ),
            EmptyExtensions => f.write_str("extensions list is empty; it must hold at least one (--lenient accepts)"),
            DuplicateExtension => f.write_str("extension appears twice in the same list (RFC 5280 4.2)"),
            ExtensionsInV1 => f.write_str("extensions in a v1 CRL; they require version v2 (RFC 5280 5.1.2.1)"),
            InvalidReasonCode { code } => write!(f, "reason code {code} is not defined by RFC 5280 5.3.1"),
            CrlNumberTooLong => f.write_str("CRL number longer than 20 octets (RFC 5280 5.2.3; --lenient accepts)"),
            EmptySequence => f.write_str("empty SEQUENCE where at least one element is required"),
            IdpConflictingScope => f.write_str(
                "issuing distribution point sets more than one onlyContains… flag (RFC 5280 5.2.5)",
            ),
            IdpEmpty => f.write_str("issuing distribution point is empty (RFC 5280 5.2.5)"),
            InvalidGeneralizedTime => f.write_str("GeneralizedTime must be YYYYMMDDHHMMSSZ without fractions"),
            HighTagNumber => f.write_str("high-tag-number form is not supported"),
            LengthTooLarge => f.write_str("length exceeds the input or the configured limit"),
            PemNoBeginLine => f.write_str("no PEM BEGIN line found"),
            PemMissingEnd => f.write_str("PEM block has no matching END line"),
            PemLabelMismatch => f.write_str("PEM END label differs from the BEGIN label"),
            PemBadBoundary => f.write_str("malformed PEM BEGIN/END line"),
            PemInvalidBase64 => f.write_str("character outside the base64 alphabet"),
            PemBadPadding => f.write_str("misplaced or wrong base64 padding"),
            PemNonCanonical => f.write_str("base64 with non-zero trailing bits (non-canonical)"),
            PemHeaders => f.write_str("PEM headers (Proc-Type/DEK-Info) are not supported in a CRL"),
            PemEmpty => f.write_str("PEM block is empty"),
            PemNotCrl => f.write_str("PEM block is not a CRL (label must be X509 CRL or CRL)"),
            Io => f.write_str("reading the input failed"),
        }
    }
}

/// Human name of a universal or context-specific tag, for error messages.
pub(crate) fn tag_name(tag: u8) -> &'static str {
    match tag {
        0x01 => "BOOLEAN",
        0x02 => "INTEGER",
        0x03 => "BIT STRING",
        0x04 => "OCTET STRING",
        0x05 => "NULL",
        0x06 => "OBJECT IDENTIFIER",
        0x0a => "ENUMERATED",
        0x0c => "UTF8String",
        0x13 => "PrintableString",
        0x14 => "TeletexString",
        0x16 => "IA5String",
        0x17 => "UTCTime",
        0x18 => "GeneralizedTime",
        0x1e => "BMPString",
        0x30 => "SEQUENCE",
        0x31 => "SET",
        0xa0 => "[0] constructed",
        t if t & 0xc0 == 0x80 => "context-specific",
        t if t & 0xc0 == 0x40 => "application",
        t if t & 0xc0 == 0xc0 => "private",
        _ => "universal",
    }
}

/// The field being read when an error happened, printed as a dotted path such as
/// `tbsCertList.revokedCertificates[5678].crlEntryExtensions[0].extnValue(reasonCode)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Path {
    field: Field,
    /// Index into revokedCertificates, for entry fields.
    entry: Option<u64>,
    /// Index into the extensions list, for extension fields.
    extension: Option<u32>,
    /// Which known extension, for errors inside an extension value.
    ext: Option<ExtensionId>,
    /// Index of the PEM block, for PEM errors.
    block: Option<u32>,
}

impl Path {
    pub(crate) const fn field(field: Field) -> Self {
        Self { field, entry: None, extension: None, ext: None, block: None }
    }

    pub(crate) const fn entry(field: Field, entry: u64) -> Self {
        Self { field, entry: Some(entry), extension: None, ext: None, block: None }
    }

    pub(crate) const fn with_extension(mut self, index: u32, ext: Option<ExtensionId>) -> Self {
        self.extension = Some(index);
        self.ext = ext;
        self
    }

    pub(crate) const fn pem(block: u32) -> Self {
        Self { field: Field::PemBlock, entry: None, extension: None, ext: None, block: Some(block) }
    }

    /// The field itself, without indices.
    pub const fn kind(&self) -> Field {
        self.field
    }

    /// The index of the revoked entry, for entry fields.
    pub const fn entry_index(&self) -> Option<u64> {
        self.entry
    }
}

/// Known extensions, named in paths and reports.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtensionId {
    /// cRLNumber (2.5.29.20).
    CrlNumber,
    /// deltaCRLIndicator (2.5.29.27).
    DeltaCrlIndicator,
    /// issuingDistributionPoint (2.5.29.28).
    IssuingDistributionPoint,
    /// authorityKeyIdentifier (2.5.29.35).
    AuthorityKeyIdentifier,
    /// freshestCRL (2.5.29.46).
    FreshestCrl,
    /// authorityInfoAccess (1.3.6.1.5.5.7.1.1).
    AuthorityInfoAccess,
    /// reasonCode (2.5.29.21).
    ReasonCode,
    /// invalidityDate (2.5.29.24).
    InvalidityDate,
    /// certificateIssuer (2.5.29.29).
    CertificateIssuer,
    /// basicConstraints (2.5.29.19), in certificates.
    BasicConstraints,
    /// keyUsage (2.5.29.15), in certificates.
    KeyUsage,
    /// subjectKeyIdentifier (2.5.29.14), in certificates.
    SubjectKeyIdentifier,
}

impl ExtensionId {
    /// The RFC 5280 name of the extension.
    pub const fn name(self) -> &'static str {
        match self {
            Self::CrlNumber => "cRLNumber",
            Self::DeltaCrlIndicator => "deltaCRLIndicator",
            Self::IssuingDistributionPoint => "issuingDistributionPoint",
            Self::AuthorityKeyIdentifier => "authorityKeyIdentifier",
            Self::FreshestCrl => "freshestCRL",
            Self::AuthorityInfoAccess => "authorityInfoAccess",
            Self::ReasonCode => "reasonCode",
            Self::InvalidityDate => "invalidityDate",
            Self::CertificateIssuer => "certificateIssuer",
            Self::BasicConstraints => "basicConstraints",
            Self::KeyUsage => "keyUsage",
            Self::SubjectKeyIdentifier => "subjectKeyIdentifier",
        }
    }
}

/// Every structure an error can point at.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The outer CertificateList SEQUENCE.
    CertificateList,
    /// tbsCertList.
    TbsCertList,
    /// tbsCertList.version.
    Version,
    /// tbsCertList.signature (the inner AlgorithmIdentifier).
    TbsSignature,
    /// tbsCertList.issuer.
    Issuer,
    /// tbsCertList.thisUpdate.
    ThisUpdate,
    /// tbsCertList.nextUpdate.
    NextUpdate,
    /// tbsCertList.revokedCertificates (the list itself).
    RevokedCertificates,
    /// One revoked entry.
    Entry,
    /// An entry's userCertificate (serial number).
    EntrySerial,
    /// An entry's revocationDate.
    EntryRevocationDate,
    /// An entry's crlEntryExtensions (the list).
    EntryExtensions,
    /// One entry extension.
    EntryExtension,
    /// The value of one entry extension.
    EntryExtensionValue,
    /// tbsCertList.crlExtensions (the `[0]` wrapper and list).
    CrlExtensions,
    /// One CRL extension.
    CrlExtension,
    /// The value of one CRL extension.
    CrlExtensionValue,
    /// signatureAlgorithm (outer).
    SignatureAlgorithm,
    /// signatureValue.
    SignatureValue,
    /// A PEM block.
    PemBlock,
    /// The outer Certificate SEQUENCE.
    Certificate,
    /// tbsCertificate.
    TbsCertificate,
    /// tbsCertificate.version.
    CertVersion,
    /// tbsCertificate.serialNumber.
    CertSerial,
    /// tbsCertificate.signature.
    CertTbsSignature,
    /// tbsCertificate.issuer.
    CertIssuer,
    /// tbsCertificate.validity.
    CertValidity,
    /// tbsCertificate.subject.
    CertSubject,
    /// tbsCertificate.subjectPublicKeyInfo.
    CertPublicKey,
    /// tbsCertificate.extensions.
    CertExtensions,
    /// One certificate extension.
    CertExtension,
    /// The value of one certificate extension.
    CertExtensionValue,
    /// The certificate's signatureAlgorithm.
    CertSignatureAlgorithm,
    /// The certificate's signatureValue.
    CertSignatureValue,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const TBS: &str = "tbsCertList";
        let entry = self.entry.unwrap_or(0);
        let ext = self.extension.unwrap_or(0);
        let ext_name = |f: &mut fmt::Formatter<'_>| match self.ext {
            Some(id) => write!(f, "({})", id.name()),
            None => Ok(()),
        };
        match self.field {
            Field::CertificateList => f.write_str("certificateList"),
            Field::TbsCertList => f.write_str(TBS),
            Field::Version => write!(f, "{TBS}.version"),
            Field::TbsSignature => write!(f, "{TBS}.signature"),
            Field::Issuer => write!(f, "{TBS}.issuer"),
            Field::ThisUpdate => write!(f, "{TBS}.thisUpdate"),
            Field::NextUpdate => write!(f, "{TBS}.nextUpdate"),
            Field::RevokedCertificates => write!(f, "{TBS}.revokedCertificates"),
            Field::Entry => write!(f, "{TBS}.revokedCertificates[{entry}]"),
            Field::EntrySerial => write!(f, "{TBS}.revokedCertificates[{entry}].userCertificate"),
            Field::EntryRevocationDate => write!(f, "{TBS}.revokedCertificates[{entry}].revocationDate"),
            Field::EntryExtensions => write!(f, "{TBS}.revokedCertificates[{entry}].crlEntryExtensions"),
            Field::EntryExtension => {
                write!(f, "{TBS}.revokedCertificates[{entry}].crlEntryExtensions[{ext}]")?;
                ext_name(f)
            }
            Field::EntryExtensionValue => {
                write!(f, "{TBS}.revokedCertificates[{entry}].crlEntryExtensions[{ext}].extnValue")?;
                ext_name(f)
            }
            Field::CrlExtensions => write!(f, "{TBS}.crlExtensions"),
            Field::CrlExtension => {
                write!(f, "{TBS}.crlExtensions[{ext}]")?;
                ext_name(f)
            }
            Field::CrlExtensionValue => {
                write!(f, "{TBS}.crlExtensions[{ext}].extnValue")?;
                ext_name(f)
            }
            Field::SignatureAlgorithm => f.write_str("signatureAlgorithm"),
            Field::SignatureValue => f.write_str("signatureValue"),
            Field::PemBlock => write!(f, "PEM block {}", self.block.unwrap_or(0) + 1),
            Field::Certificate => f.write_str("certificate"),
            Field::TbsCertificate => f.write_str("tbsCertificate"),
            Field::CertVersion => f.write_str("tbsCertificate.version"),
            Field::CertSerial => f.write_str("tbsCertificate.serialNumber"),
            Field::CertTbsSignature => f.write_str("tbsCertificate.signature"),
            Field::CertIssuer => f.write_str("tbsCertificate.issuer"),
            Field::CertValidity => f.write_str("tbsCertificate.validity"),
            Field::CertSubject => f.write_str("tbsCertificate.subject"),
            Field::CertPublicKey => f.write_str("tbsCertificate.subjectPublicKeyInfo"),
            Field::CertExtensions => f.write_str("tbsCertificate.extensions"),
            Field::CertExtension => {
                write!(f, "tbsCertificate.extensions[{ext}]")?;
                ext_name(f)
            }
            Field::CertExtensionValue => {
                write!(f, "tbsCertificate.extensions[{ext}].extnValue")?;
                ext_name(f)
            }
            Field::CertSignatureAlgorithm => f.write_str("certificate.signatureAlgorithm"),
            Field::CertSignatureValue => f.write_str("certificate.signatureValue"),
        }
    }
}

/// A failure inside the DER layer before the caller has said which field it was reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    pub(crate) kind: ErrorKind,
    pub(crate) offset: u64,
    /// The element at `offset` runs past what a cut [`crate::der::Reader`] holds (streaming).
    pub(crate) more: bool,
}

impl Fault {
    pub(crate) const fn new(kind: ErrorKind, offset: u64) -> Self {
        Self { kind, offset, more: false }
    }

    /// The element at `offset` continues past the buffered bytes: read more, then decide.
    pub(crate) const fn need_more(offset: u64) -> Self {
        Self { kind: ErrorKind::Truncated, offset, more: true }
    }

    pub(crate) const fn at(self, path: Path) -> Error {
        Error { kind: self.kind, path, offset: self.offset, more: self.more }
    }
}

/// Up to 32 input bytes around an error's offset, kept so that an error can be shown with the
/// bytes it is about even when the input is gone (a pipe): 16 bytes before the offset and 16
/// from it, as far as they exist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Excerpt {
    start: u64,
    len: u8,
    bytes: [u8; 32],
    reaches_end: bool,
}

impl Excerpt {
    /// The bytes of `data` (whose first byte is at absolute offset `data_start`) around the
    /// absolute `offset`. `data_is_end` says that nothing follows `data` in the input.
    pub fn around(data: &[u8], data_start: u64, offset: u64, data_is_end: bool) -> Self {
        let data_end = data_start + data.len() as u64;
        let from = offset.saturating_sub(16).max(data_start);
        let to = offset.saturating_add(16).min(data_end);
        let mut e = Self { start: from, len: 0, bytes: [0; 32], reaches_end: data_is_end && to == data_end };
        if from < to {
            let n = (to - from) as usize;
            let at = (from - data_start) as usize;
            e.bytes[..n].copy_from_slice(&data[at..at + n]);
            e.len = n as u8;
        } else {
            e.start = offset.min(data_end).max(data_start);
            e.reaches_end = data_is_end && offset >= data_end;
        }
        e
    }

    /// Absolute offset of the first byte kept.
    pub const fn start(&self) -> u64 {
        self.start
    }

    /// The bytes kept (empty when none around the offset were available).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// True when the input ends right after the bytes kept.
    pub const fn reaches_end(&self) -> bool {
        self.reaches_end
    }
}

/// Attach a field path to a DER-layer result.
pub(crate) trait At<T> {
    fn at(self, path: Path) -> Result<T, Error>;
}

impl<T> At<T> for Result<T, Fault> {
    #[inline(always)]
    fn at(self, path: Path) -> Result<T, Error> {
        match self {
            Ok(v) => Ok(v),
            Err(fault) => Err(fault.at(path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_field_path_and_offset() {
        let e = Error::new(ErrorKind::TimeOutOfRange, Path::entry(Field::EntryRevocationDate, 5678), 245_678);
        assert_eq!(
            e.to_string(),
            "tbsCertList.revokedCertificates[5678].revocationDate: a date or time field is out of range at byte 245678"
        );
        let e = Error::new(
            ErrorKind::IdpEmpty,
            Path::field(Field::CrlExtensionValue).with_extension(2, Some(ExtensionId::IssuingDistributionPoint)),
            99,
        );
        assert_eq!(
            e.to_string(),
            "tbsCertList.crlExtensions[2].extnValue(issuingDistributionPoint): issuing distribution point is empty (RFC 5280 5.2.5) at byte 99"
        );
    }

    #[test]
    fn codes_are_unique() {
        use ErrorKind::*;
        let all = [
            Truncated,
            UnexpectedTag { expected: 0, found: 0 },
            InvalidTag { found: 0 },
            IndefiniteLength,
            NonMinimalLength,
            TrailingData,
            EmptyInteger,
            NonMinimalInteger,
            InvalidBoolean,
            ExplicitDefault,
            InvalidBitString,
            InvalidOid,
            WrongConstruction,
            UnsortedSet,
            InvalidTimeFormat,
            TimeOutOfRange,
            NegativeInteger,
            UnsupportedVersion { found: 0 },
            SignatureAlgorithmMismatch,
            EmptyIssuer,
            EmptyRevokedCertificates,
            EmptyExtensions,
            DuplicateExtension,
            ExtensionsInV1,
            InvalidReasonCode { code: 7 },
            CrlNumberTooLong,
            EmptySequence,
            IdpConflictingScope,
            IdpEmpty,
            InvalidGeneralizedTime,
            HighTagNumber,
            LengthTooLarge,
            PemNoBeginLine,
            PemMissingEnd,
            PemLabelMismatch,
            PemBadBoundary,
            PemInvalidBase64,
            PemBadPadding,
            PemNonCanonical,
            PemHeaders,
            PemEmpty,
            PemNotCrl,
            Io,
        ];
        let mut codes: Vec<_> = all.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(n, codes.len());
    }
}
