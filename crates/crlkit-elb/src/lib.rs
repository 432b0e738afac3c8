//! ELB trust stores for CRLs: what they accept, and getting CRLs into them safely.
//!
//! - [`quotas`]: ELB's documented limits (AWS-FACTS.md): 50 MB per CRL file, 500,000 revoked
//!   entries per trust store, 30 revocation files, 25 CA certificates of at most 16 KB each,
//!   chain depth 4.
//! - [`preflight`]: turns a parsed CRL (and optionally a verification against the CA bundle)
//!   into findings, each `blocking`, `warning` or `info`. Where AWS documents nothing (expired
//!   CRLs, delta/indirect/partitioned CRLs, several CRLs in one file) the finding is a warning,
//!   never a guess. Offline, synchronous.
//! - [`partition`]: the partitions of one CA (same issuer and AKI, an IDP each) recognised
//!   among many CRLs and checked as one unit: files and entries against the quotas, every
//!   partition fresh, one CRL-number generation, no IDP or serial twice. Offline, synchronous.
//! - [`api::TrustStoreApi`]: the four ELB calls crlkit makes (describe the trust store,
//!   describe, add and remove revocation files), implemented on the official AWS SDK by
//!   [`sdk::SdkTrustStores`] (one client per ARN region, the shared `aws-config` chain, the
//!   SDK's retries).
//! - [`ledger`]: which revocation ID came from which CRL object (ELB never says), a JSON
//!   object beside the CRLs, changed only by conditional writes and reconciled with the live
//!   trust store before it is believed.
//! - [`register`]: add a CRL file, check ELB's count against crlkit's, and with `replace`
//!   remove the older files of the same issuer, after the add and within the quotas.
//! - [`plan`]: the calls a run would make, as API requests and `aws` CLI commands.
//!
//! ```
//! use crlkit_der::CrlRef;
//! use crlkit_elb::preflight::{Options, Severity, Subject, check_crl};
//! let der = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/crl.p256.1k.der"))?;
//! let crl = CrlRef::from_der(&der)?;
//! let facts = Subject::new(&crl, crl.validate()?, true);
//! let at = crlkit_der::Time::from_rfc3339("2026-11-02T00:00:00Z").unwrap().unix();
//! let findings = check_crl(&facts, None, &Options::at(at));
//! assert!(findings.iter().all(|f| f.severity != Severity::Blocking));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The flows built on these (publish, sync) are in `crlkit-ops`. Everything but `preflight`,
//! `partition`, `plan` and `quotas` is async.
//!
//! # Features
//! | feature | default | what it adds |
//! |---|---|---|
//! | `sdk` | yes | [`sdk::SdkTrustStores`], the client on the official AWS SDK. Off, no HTTP, TLS or AWS code |

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod api;
mod arn;
mod error;
pub mod lease;
pub mod ledger;
pub mod partition;
pub mod plan;
pub mod preflight;
pub mod register;
#[cfg(feature = "sdk")]
pub mod sdk;

pub use arn::TrustStoreArn;
pub use error::{ElbError, ElbErrorKind};

/// ELB trust-store quotas (AWS ALB user guide, "Quotas for your Application Load Balancers").
pub mod quotas {
    /// Largest CRL file ELB accepts. AWS says "50 MB"; we apply the smaller reading, 50×10^6
    /// bytes, so a file that passes here cannot fail there on a unit technicality.
    pub const MAX_CRL_FILE_BYTES: u64 = 50_000_000;
    /// Revoked entries per trust store (adjustable on request).
    pub const MAX_REVOKED_ENTRIES: u64 = 500_000;
    /// Revocation files per trust store (adjustable).
    pub const MAX_REVOCATION_FILES: u64 = 30;
    /// CA certificates per trust store bundle.
    pub const MAX_CA_CERTIFICATES: usize = 25;
    /// Size of one CA certificate (PEM, as uploaded); 16 KB read as 16×10^3 bytes.
    pub const MAX_CA_CERTIFICATE_BYTES: usize = 16_000;
    /// Longest certificate chain in a bundle.
    pub const MAX_CHAIN_DEPTH: usize = 4;
}
