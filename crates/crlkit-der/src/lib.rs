//! The performance core of crlkit: a zero-copy, streaming, strict DER parser for X.509
//! certificate revocation lists (RFC 5280 section 5), and a PEM codec whose output is
//! byte-identical to `openssl crl -outform PEM`.
//!
//! # Overview
//! - [`CrlRef::from_der`] parses a CRL held in memory (typically a memory map) without copying:
//!   every field is a view into the input. Entries are parsed lazily by [`CrlRef::entries`],
//!   one `Result` at a time, with no allocation per entry; [`CrlRef::validate`] checks them all,
//!   over rayon for large CRLs.
//! - [`stream::parse_stream`] runs the same parser over any [`std::io::Read`] in bounded memory.
//! - [`pem`] encodes (serially, in parallel pieces, or streaming) and decodes strictly.
//! - [`ber::normalize`] is the explicit lenient path: BER length forms re-encoded to DER.
//!
//! Every error is an [`Error`]: an [`ErrorKind`], the byte offset, and the field path, e.g.
//! `tbsCertList.revokedCertificates[5678].revocationDate: … at byte 245678`.
//!
//! ```
//! use crlkit_der::CrlRef;
//! # let der = include_bytes!("../../../fixtures/crl.p256.small.der");
//! let crl = CrlRef::from_der(der)?;
//! let stats = crl.validate()?;
//! for entry in crl.entries() {
//!     let entry = entry?;
//!     println!("{} revoked {}", entry.serial(), entry.revocation_date());
//! }
//! # assert_eq!(stats.count, crl.entries().count() as u64);
//! # Ok::<(), crlkit_der::Error>(())
//! ```
//!
//! # Strictness
//! Strict DER (X.690 section 10/11) and the RFC 5280 CRL profile by default. Every deviation,
//! stricter or more lenient, is documented on the function that makes it and listed in
//! `docs/DEVIATIONS.md`.
//!
//! # Not in scope
//! - Signature verification and issuer matching (`crlkit-verify`).
//! - Certificates and serial-number text formats beyond OpenSSL's hex (`crlkit-serial`).
//! - Any I/O besides reading a caller-supplied `Read`; no printing, no files.
//!
//! # Features
//! | feature    | default | what it adds |
//! |------------|---------|--------------|
//! | `parallel` | yes     | [`CrlRef::validate`] fans out over rayon for CRLs over a few MB |

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod alg;
pub mod ber;
mod cert;
mod crl;
mod der;
mod error;
mod ext;
mod name;
mod oid;
pub mod pem;
mod serial;
pub mod stream;
mod time;

pub use alg::{AlgorithmIdentifierRef, RsaPssParams};
pub use cert::{BasicConstraints, CertificateRef, KeyUsage, SubjectPublicKeyInfoRef};
pub use crl::{
    CrlExtensions, CrlRef, Entries, EntryChunk, EntryStats, ListedEntry, RevokedCertRef, TbsHeader, Version,
};
pub use error::{Error, ErrorClass, ErrorKind, Excerpt, ExtensionId, Field, Path};
pub use ext::{
    AuthorityKeyIdentifier, DistributionPointName, ExtensionRef, Extensions, GeneralNameRef, GeneralNamesRef,
    IssuingDistributionPoint, Profile, Reason,
};
pub use name::{AttributeRef, NameRef};
pub use oid::OidRef;
pub use serial::SerialRef;
pub use time::{DateTime, Time, TimeEncoding};
