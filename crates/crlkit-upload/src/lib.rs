//! The storage end of crlkit: CRLs to and from an object store, safely.
//!
//! # Overview
//! - [`Target`] is where a CRL goes or comes from, as a URL: `s3://bucket/key-or-prefix/`,
//!   `file:///path/` (the embedded default: everything runs with no cloud), `memory://` (tests),
//!   and `gs://` / `az://` behind the `gcp` / `azure` features.
//! - [`Store`] opens one through `object_store`, with credentials, region and endpoints resolved
//!   the way the AWS CLI resolves them (`aws-config`: environment, profiles, assume-role, SSO,
//!   `credential_process`, web identity, ECS, instance metadata; `AWS_ENDPOINT_URL_S3`,
//!   `AWS_ENDPOINT_URL`), plain HTTP only to a loopback endpoint unless allowed, server-side
//!   encryption, and retries with backoff.
//! - [`upload_crl`] writes a CRL so that **a stale CRL never replaces a fresh one**: the object
//!   already under the key is read, a CRL of the same issuer with a CRL number at least as high
//!   is never replaced, and the write is conditional on what was read (`If-Match` on S3, an
//!   atomic compare on memory, an advisory lock on `file://`, which has no conditional update),
//!   so racing uploaders cannot leave the older CRL in place. What was written is read back and
//!   compared before success is reported, unless the store checks the SHA-256 every PUT carries
//!   ([`UploadCheck`]: AWS's own S3 does). Identical bytes are a no-op.
//! - [`CrlFacts`] are what crlkit stores beside a CRL as object metadata (`x-amz-meta-crlkit-*`):
//!   issuer, AKI, CRL number, thisUpdate, nextUpdate, entries, SHA-256. Where a store keeps no
//!   metadata (`file://`), the facts are read from the stored CRL itself.
//! - [`bundle`]: the staged bundle an offline machine prepares (`manifest.json`, its SHA-256, the
//!   PEM files) and its verification before anything is sent.
//!
//! ```
//! use crlkit_upload::Target;
//! let t = Target::parse("s3://my-bucket/crl/").unwrap();
//! assert_eq!((t.bucket(), t.key(), t.is_prefix()), ("my-bucket", "crl/", true));
//! assert_eq!(t.join("ca.pem"), "crl/ca.pem");
//! ```
//!
//! # Not in scope
//! - Deciding whether a CRL is fit to upload (that is `crlkit-elb`'s preflight); this crate only
//!   refuses to let an older CRL replace a newer one.
//! - ELB trust stores (`crlkit-elb`), terminal output (the binary).
//!
//! # Features
//! | feature | default | what it adds |
//! |---------|---------|--------------|
//! | `s3`    | yes     | `s3://` targets: object_store's S3 client and the `aws-config` chain ([`aws`]); without it the crate has no HTTP, TLS or AWS code (`file://` and `memory://` only) |
//! | `bucket-settings` | no | [`bucket`]: a bucket's policy, Block Public Access and object ownership, and a write probe, on the official S3 client (`aws-sdk-s3`), for `doctor` |
//! | `gcp`   | no      | `gs://` targets (object_store's Google Cloud Storage client) |
//! | `azure` | no      | `az://` targets (object_store's Azure Blob Storage client) |
//!
//! Everything here is async (object_store is); the binary runs it on one tokio runtime.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "s3")]
pub mod aws;
#[cfg(feature = "bucket-settings")]
pub mod bucket;
pub mod bundle;
mod error;
mod facts;
pub mod local;
mod store;
mod target;
mod upload;

#[cfg(feature = "s3")]
pub use aws::ChainCredentials;
pub use error::{Causes, StoreError, StoreErrorKind};
pub use facts::{CrlFacts, idp_text, sha256_hex, stored_der};
pub use store::{
    AwsOptions, Checked, Listing, ObjectInfo, ObjectReader, Recorder, Sse, Store, StoreCall, StoreOptions, UploadCheck,
    WriteMode, checks_on_arrival_at,
};
pub use target::{CRLKIT_DIR, Scheme, Target, check_relative_key};
pub use upload::{Refusal, UploadResult, upload_crl, would_refuse};
