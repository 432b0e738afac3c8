//! Revocation reasons as `RevokeCertificate` takes them, read in AWS's names (`KEY_COMPROMISE`)
//! or RFC 5280's (`keyCompromise`, section 5.3.1), case and separators aside. RFC 5280's
//! `certificateHold` and `removeFromCRL` have no Private CA counterpart: refused, by name.

use std::fmt;

use crate::error::{PcaError, PcaErrorKind};

/// A reason Private CA accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// `unspecified` (0).
    Unspecified,
    /// `keyCompromise` (1).
    KeyCompromise,
    /// `cACompromise` (2).
    CertificateAuthorityCompromise,
    /// `affiliationChanged` (3).
    AffiliationChanged,
    /// `superseded` (4).
    Superseded,
    /// `cessationOfOperation` (5).
    CessationOfOperation,
    /// `privilegeWithdrawn` (9).
    PrivilegeWithdrawn,
    /// `aACompromise` (10).
    AACompromise,
}

/// Every reason, in RFC 5280's order.
pub const ALL: [Reason; 8] = [
    Reason::Unspecified,
    Reason::KeyCompromise,
    Reason::CertificateAuthorityCompromise,
    Reason::AffiliationChanged,
    Reason::Superseded,
    Reason::CessationOfOperation,
    Reason::PrivilegeWithdrawn,
    Reason::AACompromise,
];

impl Reason {
    /// AWS's name, as the API takes it.
    pub fn aws(self) -> &'static str {
        match self {
            Reason::Unspecified => "UNSPECIFIED",
            Reason::KeyCompromise => "KEY_COMPROMISE",
            Reason::CertificateAuthorityCompromise => "CERTIFICATE_AUTHORITY_COMPROMISE",
            Reason::AffiliationChanged => "AFFILIATION_CHANGED",
            Reason::Superseded => "SUPERSEDED",
            Reason::CessationOfOperation => "CESSATION_OF_OPERATION",
            Reason::PrivilegeWithdrawn => "PRIVILEGE_WITHDRAWN",
            Reason::AACompromise => "A_A_COMPROMISE",
        }
    }

    /// RFC 5280's name.
    pub fn rfc5280(self) -> &'static str {
        match self {
            Reason::Unspecified => "unspecified",
            Reason::KeyCompromise => "keyCompromise",
            Reason::CertificateAuthorityCompromise => "cACompromise",
            Reason::AffiliationChanged => "affiliationChanged",
            Reason::Superseded => "superseded",
            Reason::CessationOfOperation => "cessationOfOperation",
            Reason::PrivilegeWithdrawn => "privilegeWithdrawn",
            Reason::AACompromise => "aACompromise",
        }
    }

    /// The CRLReason code a CRL entry carries for it.
    pub fn code(self) -> u8 {
        match self {
            Reason::Unspecified => 0,
            Reason::KeyCompromise => 1,
            Reason::CertificateAuthorityCompromise => 2,
            Reason::AffiliationChanged => 3,
            Reason::Superseded => 4,
            Reason::CessationOfOperation => 5,
            Reason::PrivilegeWithdrawn => 9,
            Reason::AACompromise => 10,
        }
    }

    /// Read `text` in either naming; anything else is refused with the names that work.
    pub fn parse(text: &str) -> Result<Self, PcaError> {
        let folded: String =
            text.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        let fold = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        if let Some(r) = ALL.into_iter().find(|r| fold(r.aws()) == folded || fold(r.rfc5280()) == folded) {
            return Ok(r);
        }
        let names: Vec<&str> = ALL.iter().map(|r| r.aws()).collect();
        let why = match folded.as_str() {
            "certificatehold" | "removefromcrl" => {
                format!("{text:?}: RFC 5280 has it, AWS Private CA does not (it revokes for good)")
            }
            _ => format!("{text:?}: not a revocation reason ({}, or RFC 5280's names)", names.join(", ")),
        };
        Err(PcaError::new(PcaErrorKind::BadReason, why))
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.aws())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_namings_read_and_holds_are_refused_by_name() {
        for r in ALL {
            assert_eq!(Reason::parse(r.aws()).unwrap(), r);
            assert_eq!(Reason::parse(r.rfc5280()).unwrap(), r);
            assert_eq!(Reason::parse(&r.aws().to_ascii_lowercase()).unwrap(), r);
        }
        assert_eq!(Reason::parse("key-compromise").unwrap(), Reason::KeyCompromise);
        assert_eq!(Reason::parse("cACompromise").unwrap(), Reason::CertificateAuthorityCompromise);
        assert_eq!(Reason::parse("A_A_COMPROMISE").unwrap(), Reason::AACompromise);
        let hold = Reason::parse("certificateHold").unwrap_err();
        assert!(hold.to_string().contains("does not"), "{hold}");
        let junk = Reason::parse("because").unwrap_err();
        assert_eq!(junk.kind(), PcaErrorKind::BadReason);
        assert!(junk.to_string().contains("KEY_COMPROMISE"), "{junk}");
        assert_eq!(Reason::PrivilegeWithdrawn.code(), 9);
    }
}
