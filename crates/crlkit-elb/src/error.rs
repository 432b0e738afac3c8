//! The crate's one error type: what went wrong at ELB (or in the ledger), each kind with a
//! stable code the binary prints and docs/ERRORS.md explains.

use std::fmt;

use crlkit_upload::{Causes, StoreError};

/// What went wrong, in groups a user can act on.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElbErrorKind {
    /// Not a trust-store ARN.
    BadArn,
    /// No credentials, or the ones sent were refused (expired, unknown key, bad signature).
    Credentials,
    /// The credentials are valid but lack permission (`AccessDenied`).
    PermissionDenied,
    /// No such trust store in that account and region (`TrustStoreNotFound`).
    TrustStoreNotFound,
    /// The trust store is still being created (`CREATING`, `TrustStoreNotReady`).
    TrustStoreNotReady,
    /// ELB could not read the revocation file from S3 (`RevocationContentNotFound`).
    RevocationContentNotFound,
    /// ELB refused the revocation file (`InvalidRevocationContent`).
    InvalidRevocationContent,
    /// ELB's quota refused the add (`TooManyTrustStoreRevocationEntries`).
    TooManyEntries,
    /// A revocation ID the trust store does not have (`RevocationIdNotFound`).
    RevocationIdNotFound,
    /// ELB counted a different number of entries than crlkit did.
    EntryCountMismatch,
    /// Still throttled after the SDK's retries.
    Throttled,
    /// ELB failed (5xx after retries, an unexpected answer, another error code).
    Service,
    /// The endpoint could not be reached, or timed out.
    Network,
    /// The ledger could not be read or written.
    Ledger,
    /// The ledger is not a crlkit ledger, or a newer format.
    BadLedger,
    /// The object to register could not be read, or is not a PEM CRL.
    Source,
}

impl ElbErrorKind {
    /// The stable code (`error[<code>]`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::BadArn => "bad-arn",
            Self::Credentials => "credentials",
            Self::PermissionDenied => "permission-denied",
            Self::TrustStoreNotFound => "trust-store-not-found",
            Self::TrustStoreNotReady => "trust-store-not-ready",
            Self::RevocationContentNotFound => "revocation-content-not-found",
            Self::InvalidRevocationContent => "invalid-revocation-content",
            Self::TooManyEntries => "too-many-revocation-entries",
            Self::RevocationIdNotFound => "revocation-id-not-found",
            Self::EntryCountMismatch => "entry-count-mismatch",
            Self::Throttled => "throttled",
            Self::Service => "elb-service",
            Self::Network => "elb-network",
            Self::Ledger => "ledger",
            Self::BadLedger => "bad-ledger",
            Self::Source => "source",
        }
    }

    /// Every kind (for documentation tests).
    pub const ALL: [Self; 16] = [
        Self::BadArn,
        Self::Credentials,
        Self::PermissionDenied,
        Self::TrustStoreNotFound,
        Self::TrustStoreNotReady,
        Self::RevocationContentNotFound,
        Self::InvalidRevocationContent,
        Self::TooManyEntries,
        Self::RevocationIdNotFound,
        Self::EntryCountMismatch,
        Self::Throttled,
        Self::Service,
        Self::Network,
        Self::Ledger,
        Self::BadLedger,
        Self::Source,
    ];
}

/// An ELB or ledger failure: its kind, what it concerns, and the cause.
#[derive(Debug)]
pub struct ElbError {
    kind: ElbErrorKind,
    what: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    store: Option<StoreError>,
}

impl ElbError {
    /// A failure of `kind` concerning `what`.
    pub fn new(kind: ElbErrorKind, what: impl Into<String>) -> Self {
        Self { kind, what: what.into(), source: None, store: None }
    }

    pub(crate) fn with_source(mut self, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What kind of failure.
    pub const fn kind(&self) -> ElbErrorKind {
        self.kind
    }

    /// A storage failure underneath (reading the object or the ledger): the binary reports it
    /// with the storage error's own code.
    pub fn store_error(&self) -> Option<&StoreError> {
        self.store.as_ref()
    }

    /// The stable code to report (docs/ERRORS.md): the storage error's for a storage failure
    /// underneath, else this kind's.
    pub fn code(&self) -> &'static str {
        self.store.as_ref().map_or_else(|| self.kind.code(), |s| s.kind().code())
    }
}

impl From<StoreError> for ElbError {
    fn from(e: StoreError) -> Self {
        Self { kind: ElbErrorKind::Ledger, what: String::new(), source: None, store: Some(e) }
    }
}

impl fmt::Display for ElbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.store {
            return s.fmt(f);
        }
        let clause = match self.kind {
            ElbErrorKind::BadArn => "not a trust-store ARN",
            ElbErrorKind::Credentials => "AWS credentials missing or refused",
            ElbErrorKind::PermissionDenied => "permission denied",
            ElbErrorKind::TrustStoreNotFound => "no such trust store",
            ElbErrorKind::TrustStoreNotReady => "the trust store is not ready (still CREATING)",
            ElbErrorKind::RevocationContentNotFound => "ELB could not read the revocation file from S3",
            ElbErrorKind::InvalidRevocationContent => "ELB refused the revocation file",
            ElbErrorKind::TooManyEntries => "ELB refused the add: trust-store quota",
            ElbErrorKind::RevocationIdNotFound => "no such revocation ID",
            ElbErrorKind::EntryCountMismatch => "ELB counted another number of entries than crlkit",
            ElbErrorKind::Throttled => "still throttled after retries",
            ElbErrorKind::Service => "ELB request failed",
            ElbErrorKind::Network => "ELB endpoint unreachable",
            ElbErrorKind::Ledger => "ledger failure",
            ElbErrorKind::BadLedger => "not a crlkit ledger",
            ElbErrorKind::Source => "the object cannot be registered",
        };
        if self.what.is_empty() {
            f.write_str(clause)?;
        } else {
            write!(f, "{}: {clause}", self.what)?;
        }
        match self.source.as_deref() {
            Some(e) => write!(f, "{}", Causes(e)),
            None => Ok(()),
        }
    }
}

impl std::error::Error for ElbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if let Some(s) = &self.store {
            return Some(s);
        }
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
