//! crlkit's online flows, in one place the CLI and a Lambda handler share: each takes a
//! validated request, does its work, and returns a typed report or a typed error. Nothing here
//! prints; the reports are plain data whose serde form is the `--json` of the command
//! (docs/JSON.md).
//!
//! | module | flow | report |
//! |---|---|---|
//! | [`prepare`] | validate, verify, preflight, PEM, facts: a CRL made ready for ELB | [`prepare::PreparedCrl`] |
//! | [`upload`] | prepared CRLs into a store under the storage rules, sets whole | [`upload::UploadReport`] |
//! | `connect` | one AWS connection: the credential chain, the ELB client, stores on it | `Connection` |
//! | `register` | a PEM object registered with trust stores | `RegisterReport` |
//! | `publish` | prepared CRLs uploaded, then registered | `PublishReport` |
//! | `sync` | a CA's CRL object to trust stores, idempotent | `SyncReport` |
//! | `revocations` | a trust store's files with the CRLs they came from | `RevocationsReport` |
//! | `revoke` | certificates revoked at AWS Private CA, each serial reported | `RevokeReport` |
//! | `ca_crl` | where a Private CA writes its CRL (complete, or every partition), and its certificates, from its ARN | `CaCrl` |
//! | `doctor` | a Private CA's CRL distribution checked end to end, to the trust stores | `DoctorReport` |
//! | `bucket_policy` | whether a bucket policy lets Private CA write a CA's CRL | `Verdict` |
//! | `fleet` | the fleet file (docs/FLEET.md): CAs, their prefixes and trust stores, checked | `Fleet` |
//! | `fleet::run` | every CA of a fleet synced to its trust stores (`sync --fleet`, the Lambda) | `FleetReport` |
//! | `fleet::metrics` | a fleet run as CloudWatch Embedded Metric Format records | `serde_json::Value` |
//!
//! Each flow with `--plan` has a `plan` that runs the flow itself in a rehearsal: its own code,
//! on in-memory stores that record every request and trust stores that record every call and
//! answer (`rehearsal`), so a [`plan::Plan`] lists the calls the flow's steps make, in order.
//!
//! ```
//! use crlkit_ops::upload::{key_for, pem_name};
//! let to = crlkit_upload::Target::parse("s3://trust-crls/crl/").unwrap();
//! assert_eq!(key_for(&to, "pca/1a2b.crl"), "crl/1a2b.pem");
//! assert_eq!(pem_name("crl/1a2b.crl"), "1a2b.pem");
//! ```
//!
//! # Not in scope
//! - Reading local inputs and reporting their errors with offsets and excerpts (the binary maps
//!   files and recomputes first errors, then hands [`prepare::check`] the parsed CRL).
//! - The rules themselves: storage in `crlkit-upload`, ELB quotas, preflight, the ledger and
//!   registration in `crlkit-elb`.
//!
//! # Features
//! | feature | default | what it adds |
//! |---|---|---|
//! | `online` | yes | `connect`, `register`, `publish`, `sync`, `revocations`, `revoke`: S3, ELB and Private CA through the AWS SDK. Off, the crate has the prepare pipeline and uploads to `file://` and `memory://`, with no HTTP, TLS or AWS code |

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
pub mod plan;
pub mod prepare;
pub mod upload;

#[cfg(feature = "online")]
pub mod bucket_policy;
#[cfg(feature = "online")]
pub mod ca_crl;
#[cfg(feature = "online")]
pub mod connect;
#[cfg(feature = "online")]
pub mod doctor;
#[cfg(feature = "online")]
pub mod fleet;
#[cfg(feature = "online")]
pub mod lease;
#[cfg(feature = "online")]
pub mod publish;
#[cfg(feature = "online")]
pub mod register;
#[cfg(feature = "online")]
mod rehearsal;
#[cfg(feature = "online")]
pub mod revocations;
#[cfg(feature = "online")]
pub mod revoke;
#[cfg(feature = "online")]
pub mod sync;

pub use error::{Cause, OpsError};

/// Open the store `target` names on its own (S3: the AWS CLI's chain, resolved now); the ELB
/// flows open theirs on their connection (`connect::Connection::open`).
pub async fn open_store(
    target: &crlkit_upload::Target,
    opts: &crlkit_upload::StoreOptions,
) -> Result<crlkit_upload::Store, OpsError> {
    Ok(crlkit_upload::Store::open(target, opts).await?)
}
