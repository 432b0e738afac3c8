//! What can go wrong talking to Private CA, each kind with a stable code (docs/ERRORS.md).

use std::fmt;

/// What kind of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PcaErrorKind {
    /// Not a Private CA ARN.
    BadArn,
    /// Not a revocation reason Private CA takes.
    BadReason,
    /// No credentials, or the ones sent were refused (expired, unknown key, bad signature).
    Credentials,
    /// The credentials are valid but lack permission (`AccessDeniedException`); for
    /// `RevokeCertificate` also the caller's own write access to the CRL bucket.
    PermissionDenied,
    /// No such CA in that account and region (`ResourceNotFoundException`).
    CaNotFound,
    /// The CA cannot do this now (`InvalidStateException`: not `ACTIVE`, deleted, ...).
    CaNotActive,
    /// Private CA refused the request as such (`InvalidRequestException`,
    /// `InvalidArgsException`, `InvalidArnException`, `LimitExceededException`,
    /// `MalformedCertificateException`).
    Refused,
    /// Still throttled after the SDK's retries.
    Throttled,
    /// Another request is changing the CA (`ConcurrentModificationException`,
    /// `RequestInProgressException`): retry later.
    Busy,
    /// The CA writes no complete CRL crlkit can find: CRL distribution off, or a partitioned
    /// CRL (one object per partition).
    NoCompleteCrl,
    /// Private CA failed (`RequestFailedException`, 5xx).
    Service,
    /// The endpoint could not be reached, or did not answer in time.
    Network,
}

impl PcaErrorKind {
    /// The stable code (`error[<code>]`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::BadArn => "bad-ca-arn",
            Self::BadReason => "bad-reason",
            Self::Credentials => "credentials",
            Self::PermissionDenied => "permission-denied",
            Self::CaNotFound => "ca-not-found",
            Self::CaNotActive => "ca-not-active",
            Self::Refused => "pca-refused",
            Self::Throttled => "throttled",
            Self::Busy => "pca-busy",
            Self::NoCompleteCrl => "no-complete-crl",
            Self::Service => "pca-service",
            Self::Network => "pca-network",
        }
    }

    /// Every kind (for documentation tests).
    pub const ALL: [Self; 12] = [
        Self::BadArn,
        Self::BadReason,
        Self::Credentials,
        Self::PermissionDenied,
        Self::CaNotFound,
        Self::CaNotActive,
        Self::Refused,
        Self::Throttled,
        Self::Busy,
        Self::NoCompleteCrl,
        Self::Service,
        Self::Network,
    ];

    fn clause(self) -> &'static str {
        match self {
            Self::BadArn => "not a Private CA ARN",
            Self::BadReason => "not a revocation reason",
            Self::Credentials => "AWS credentials missing or refused",
            Self::PermissionDenied => "permission denied",
            Self::CaNotFound => "no such certificate authority",
            Self::CaNotActive => "the certificate authority cannot do this in its state",
            Self::Refused => "Private CA refused the request",
            Self::Throttled => "still throttled after retries",
            Self::Busy => "the certificate authority is busy with another request",
            Self::NoCompleteCrl => "no complete CRL to take",
            Self::Service => "Private CA request failed",
            Self::Network => "Private CA endpoint unreachable",
        }
    }
}

/// A Private CA failure: its kind, what it concerned, and the service's own words.
#[derive(Debug)]
pub struct PcaError {
    kind: PcaErrorKind,
    what: String,
    detail: Option<String>,
}

impl PcaError {
    /// A failure of `kind` concerning `what`.
    pub fn new(kind: PcaErrorKind, what: impl Into<String>) -> Self {
        Self { kind, what: what.into(), detail: None }
    }

    /// The same, with the service's code and message (or the transport's chain of causes).
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// What kind of failure.
    pub const fn kind(&self) -> PcaErrorKind {
        self.kind
    }

    /// The stable code to report (docs/ERRORS.md).
    pub const fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl fmt::Display for PcaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            // Their message is the whole story.
            PcaErrorKind::BadArn | PcaErrorKind::BadReason => write!(f, "{}: {}", self.kind.clause(), self.what)?,
            _ => write!(f, "{}: {}", self.what, self.kind.clause())?,
        }
        match &self.detail {
            Some(d) => write!(f, ": {d}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for PcaError {}

#[cfg(test)]
mod tests {
    use super::PcaErrorKind;

    #[test]
    fn every_code_is_documented() {
        let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        let doc = std::fs::read_to_string(std::path::Path::new(&dir).join("../../docs/ERRORS.md")).unwrap();
        for k in PcaErrorKind::ALL {
            assert!(doc.contains(&format!("| `{}` |", k.code())), "docs/ERRORS.md lacks {}", k.code());
        }
    }
}
