//! The one error type of the crate: what kind of failure, which key, and the cause.

use std::fmt;

/// What went wrong, in groups a user can act on (each has a stable code for the binary).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The URL is not a target crlkit can use.
    BadTarget,
    /// The scheme needs a feature this build lacks (`gs://`, `az://`).
    UnsupportedScheme,
    /// Plain HTTP to an endpoint that is not on this machine, without `--allow-http`.
    InsecureEndpoint,
    /// No credentials could be found, or the ones found were refused (wrong secret, expired).
    Credentials,
    /// The credentials are valid but not allowed to do this (403 AccessDenied).
    PermissionDenied,
    /// No such object or bucket.
    NotFound,
    /// Other writers kept changing the object; crlkit gave up deciding.
    Conflict,
    /// What was read back after the write is not what was written.
    Integrity,
    /// The object under the key is not a CRL crlkit can read (it will not be replaced).
    NotACrl,
    /// The store failed (network, 5xx after retries, a local file error).
    Store,
}

impl StoreErrorKind {
    /// The stable code the binary prints (`error[<code>]`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::BadTarget => "bad-target",
            Self::UnsupportedScheme => "unsupported-scheme",
            Self::InsecureEndpoint => "insecure-endpoint",
            Self::Credentials => "credentials",
            Self::PermissionDenied => "permission-denied",
            Self::NotFound => "not-found",
            Self::Conflict => "conflict",
            Self::Integrity => "integrity",
            Self::NotACrl => "not-a-crl-object",
            Self::Store => "store",
        }
    }
}

/// A storage failure: its kind, the object it concerns (a URL), and the underlying cause.
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    what: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    pub(crate) fn new(kind: StoreErrorKind, what: impl Into<String>) -> Self {
        Self { kind, what: what.into(), source: None }
    }

    pub(crate) fn with_source(mut self, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// An `object_store` failure on `what`, sorted into a kind.
    pub(crate) fn from_store(what: impl Into<String>, e: object_store::Error) -> Self {
        use object_store::Error as E;
        let text = e.to_string();
        let kind = match &e {
            E::NotFound { .. } => StoreErrorKind::NotFound,
            E::Unauthenticated { .. } => StoreErrorKind::Credentials,
            _ if ["SignatureDoesNotMatch", "InvalidAccessKeyId", "ExpiredToken", "InvalidToken"]
                .iter()
                .any(|c| text.contains(c)) =>
            {
                StoreErrorKind::Credentials
            }
            E::PermissionDenied { .. } => StoreErrorKind::PermissionDenied,
            E::Precondition { .. } | E::AlreadyExists { .. } => StoreErrorKind::Conflict,
            _ if text.contains("credential") || text.contains("Credential") => StoreErrorKind::Credentials,
            _ => StoreErrorKind::Store,
        };
        Self::new(kind, what).with_source(e)
    }

    /// What kind of failure.
    pub const fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The object or target concerned.
    pub fn what(&self) -> &str {
        &self.what
    }

    /// True for a lost race: a conditional write found the object changed.
    pub fn is_conflict(&self) -> bool {
        self.kind == StoreErrorKind::Conflict
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clause = match self.kind {
            StoreErrorKind::BadTarget => "not a usable target",
            StoreErrorKind::UnsupportedScheme => "this build of crlkit cannot use this kind of store",
            StoreErrorKind::InsecureEndpoint => "refusing plain HTTP to a remote endpoint",
            StoreErrorKind::Credentials => "AWS credentials missing or refused",
            StoreErrorKind::PermissionDenied => "permission denied",
            StoreErrorKind::NotFound => "not found",
            StoreErrorKind::Conflict => "the object kept changing under concurrent writers",
            StoreErrorKind::Integrity => "the object read back differs from what was written",
            StoreErrorKind::NotACrl => "the object there is not a CRL",
            StoreErrorKind::Store => "storage operation failed",
        };
        if self.what.is_empty() {
            f.write_str(clause)?;
        } else {
            write!(f, "{}: {clause}", self.what)?;
        }
        // The whole cause chain: the AWS SDK's errors say little at the top ("an error occurred
        // while loading credentials") and what matters below.
        match self.source.as_deref() {
            Some(e) => write!(f, "{}", Causes(e)),
            None => Ok(()),
        }
    }
}

/// An error and its causes, each as `: <text>`, skipping a cause whose text the one before
/// already holds (wrappers often repeat their source's message).
pub struct Causes<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut next = Some(self.0);
        let mut last = String::new();
        while let Some(e) = next {
            let text = e.to_string();
            if !last.contains(&text) {
                write!(f, ": {text}")?;
            }
            last = text;
            next = e.source();
        }
        Ok(())
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}
