//! The narrow trait the rotation logic talks to: the ELB calls crlkit makes, nothing else. The SDK client
//! ([`crate::sdk::SdkTrustStores`]) implements it against AWS (or the test emulator); tests of
//! the logic use a plain in-memory implementation.

use serde::{Deserialize, Serialize};

use crate::arn::TrustStoreArn;
use crate::error::ElbError;

/// A trust store, as `DescribeTrustStores` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustStoreInfo {
    /// Its name.
    pub name: String,
    /// `ACTIVE` or `CREATING`.
    pub status: String,
    /// `TotalRevokedEntries`: entries of every revocation file, counted by ELB.
    pub total_revoked_entries: u64,
    /// `NumberOfCaCertificates`.
    pub ca_certificates: u32,
}

/// One revocation file in a trust store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Revocation {
    /// `RevocationId`: only grows, never reused.
    pub id: i64,
    /// `NumberOfRevokedEntries`, as ELB counted them.
    pub entries: u64,
}

/// An S3 object ELB is asked to read (`RevocationContent`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Object {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Version ID (versioned buckets): ELB then reads exactly that version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl S3Object {
    /// As a URL.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

/// The calls crlkit makes to ELB.
#[async_trait::async_trait]
pub trait TrustStoreApi: Send + Sync {
    /// `DescribeTrustStores` for one ARN.
    async fn describe_trust_store(&self, arn: &TrustStoreArn) -> Result<TrustStoreInfo, ElbError>;
    /// `DescribeTrustStoreRevocations`, every page, sorted by ID.
    async fn describe_revocations(&self, arn: &TrustStoreArn) -> Result<Vec<Revocation>, ElbError>;
    /// `AddTrustStoreRevocations` of one CRL file.
    async fn add_revocation(&self, arn: &TrustStoreArn, object: &S3Object) -> Result<Revocation, ElbError>;
    /// `RemoveTrustStoreRevocations`.
    async fn remove_revocations(&self, arn: &TrustStoreArn, ids: &[i64]) -> Result<(), ElbError>;
    /// `GetTrustStoreRevocationContent`, then the file its location holds: the bytes ELB keeps
    /// for `id`, so an ID the ledger does not know can be told by its content (at most
    /// `max_bytes`).
    async fn revocation_content(&self, arn: &TrustStoreArn, id: i64, max_bytes: u64) -> Result<Vec<u8>, ElbError>;
    /// `DescribeTags` of the trust store: its tags, in ELB's order.
    async fn tags(&self, arn: &TrustStoreArn) -> Result<Vec<(String, String)>, ElbError>;
    /// `AddTags` on the trust store (a key's old value is replaced).
    async fn add_tags(&self, arn: &TrustStoreArn, tags: &[(String, String)]) -> Result<(), ElbError>;
}
