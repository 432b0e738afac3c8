//! `OpsError`: what stopped a flow, as the library that failed said it (storage or ELB, each
//! with its stable code), plus what the flow knows that the library did not: which objects
//! were already stored, which trust stores were already dealt with.

use std::fmt;

use crlkit_elb::ElbError;
use crlkit_pca::PcaError;
use crlkit_upload::StoreError;

/// What failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Cause {
    /// An object store (S3, a directory, memory) or the AWS credential chain.
    Store(StoreError),
    /// ELB, the ledger, or the CRL a flow read from a store.
    Elb(ElbError),
    /// AWS Private CA.
    Pca(PcaError),
}

/// A flow's failure: its cause and, in order, what had already happened when it struck.
#[derive(Debug)]
pub struct OpsError {
    cause: Cause,
    context: Vec<String>,
}

impl OpsError {
    /// What failed.
    pub fn cause(&self) -> &Cause {
        &self.cause
    }

    /// The cause's stable code (`StoreErrorKind::code`, `ElbErrorKind::code`).
    pub fn code(&self) -> &'static str {
        match &self.cause {
            Cause::Store(e) => e.kind().code(),
            Cause::Elb(e) => e.code(),
            Cause::Pca(e) => e.code(),
        }
    }

    /// Sentences on what the flow had done before the failure, and what a rerun does.
    pub fn context(&self) -> &[String] {
        &self.context
    }

    /// The same failure with one more sentence of context.
    pub fn with_context(mut self, sentence: impl Into<String>) -> Self {
        self.context.push(sentence.into());
        self
    }
}

impl fmt::Display for OpsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Cause::Store(e) => e.fmt(f),
            Cause::Elb(e) => e.fmt(f),
            Cause::Pca(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for OpsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            Cause::Store(e) => Some(e),
            Cause::Elb(e) => Some(e),
            Cause::Pca(e) => Some(e),
        }
    }
}

impl From<StoreError> for OpsError {
    fn from(e: StoreError) -> Self {
        Self { cause: Cause::Store(e), context: Vec::new() }
    }
}

impl From<PcaError> for OpsError {
    fn from(e: PcaError) -> Self {
        Self { cause: Cause::Pca(e), context: Vec::new() }
    }
}

impl From<ElbError> for OpsError {
    fn from(e: ElbError) -> Self {
        Self { cause: Cause::Elb(e), context: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crlkit_elb::ElbErrorKind;
    use crlkit_upload::StoreErrorKind;

    #[test]
    fn codes_come_from_the_cause() {
        let e = OpsError::from(ElbError::new(ElbErrorKind::Throttled, "slow down")).with_context("stored: none");
        assert_eq!((e.code(), e.context()), (ElbErrorKind::Throttled.code(), &["stored: none".to_owned()][..]));
        let bad = crlkit_upload::Target::parse("ftp://x/y").unwrap_err();
        assert_eq!(OpsError::from(bad).code(), StoreErrorKind::BadTarget.code());
    }
}
