//! AWS Private CA, as crlkit talks to it: a CA's ARN ([`CaArn`], whose region every call goes
//! to), revocation reasons in AWS's and RFC 5280's names ([`Reason`]), the narrow trait the
//! flows call ([`PrivateCaApi`]: describe a CA, get its certificate, revoke a serial) and,
//! with the `sdk` feature (default), that trait on the official AWS SDK ([`sdk::SdkPrivateCa`]:
//! the shared credential chain, `AWS_ENDPOINT_URL_ACM_PCA`, the SDK's retries and timeouts).
//!
//! ```
//! use crlkit_pca::{CaArn, Reason};
//!
//! let arn = CaArn::parse("arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f1e2d3c-aaaa-bbbb-cccc-123456789abc")?;
//! assert_eq!((arn.region(), arn.id()), ("eu-west-1", "0f1e2d3c-aaaa-bbbb-cccc-123456789abc"));
//! assert_eq!(Reason::parse("keyCompromise")?, Reason::parse("KEY_COMPROMISE")?);
//! # Ok::<(), crlkit_pca::PcaError>(())
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod api;
pub mod arn;
pub mod error;
pub mod reason;
#[cfg(feature = "sdk")]
pub mod sdk;

pub use api::{CaInfo, CrlConfig, PrivateCaApi, Revoked};
pub use arn::CaArn;
pub use error::{PcaError, PcaErrorKind};
pub use reason::Reason;
