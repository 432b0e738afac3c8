//! The narrow trait the flows talk to: the Private CA calls crlkit makes, nothing else. The SDK
//! client implements it ([`crate::sdk`]); tests of the logic use their own.

use serde::Serialize;

use crate::arn::CaArn;
use crate::error::PcaError;
use crate::reason::Reason;

/// Where a CA writes its CRL (`RevocationConfiguration.CrlConfiguration`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CrlConfig {
    /// CRL distribution is on.
    pub enabled: bool,
    /// The bucket.
    pub bucket: Option<String>,
    /// `CustomPath`: the prefix the CRL goes under instead of `crl/`.
    pub custom_path: Option<String>,
    /// `CrlType`: `COMPLETE` or `PARTITIONED` (absent: complete).
    pub crl_type: Option<String>,
    /// `ExpirationInDays`.
    pub expiration_days: Option<i32>,
    /// `S3ObjectAcl`: `PUBLIC_READ` or `BUCKET_OWNER_FULL_CONTROL`.
    pub s3_object_acl: Option<String>,
}

/// What `DescribeCertificateAuthority` says of a CA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaInfo {
    /// `ACTIVE`, `PENDING_CERTIFICATE`, `DISABLED`, ...
    pub status: String,
    /// `ROOT` or `SUBORDINATE`.
    pub ca_type: String,
    /// Its CRL distribution.
    pub crl: CrlConfig,
}

/// The Private CA calls crlkit makes.
#[async_trait::async_trait]
pub trait PrivateCaApi: Send + Sync {
    /// `DescribeCertificateAuthority`.
    async fn describe(&self, ca: &CaArn) -> Result<CaInfo, PcaError>;
    /// `GetCertificateAuthorityCertificate`: the CA's certificate (PEM), and its chain (PEM,
    /// empty for a root).
    async fn certificate(&self, ca: &CaArn) -> Result<(String, String), PcaError>;
    /// `RevokeCertificate` of `serial` (colon-separated hexadecimal, as the API documents it).
    async fn revoke(&self, ca: &CaArn, serial: &str, reason: Reason) -> Result<Revoked, PcaError>;
}

/// What a `RevokeCertificate` came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now.
    Now,
    /// Revoked before (`RequestAlreadyProcessedException`): an answer, not a failure.
    Already,
}
