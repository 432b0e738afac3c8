//! A bucket's configuration, as S3 keeps it apart from its objects: policy, Block Public
//! Access, object ownership. object_store has none of these calls; `doctor` needs them to say
//! why AWS Private CA cannot write its CRL. [`BucketSettingsApi`] is the narrow view `doctor`
//! reads; [`SdkBucketSettings`] answers it with the official S3 client on the shared chain.

use std::fmt;

use aws_config::{Region, SdkConfig};
use aws_sdk_s3 as s3;
use s3::error::{ProvideErrorMetadata, SdkError};

use crate::aws::{AwsOptions, endpoint};

/// A failed call: S3's error code when it gave one, and what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketError {
    /// S3's code (`AccessDenied`, `NoSuchBucket`), if it answered one.
    pub code: Option<String>,
    /// The call, the bucket and S3's message (or the transport's).
    pub message: String,
}

impl BucketError {
    /// True when S3 refused the caller (the answer says nothing of the setting itself).
    pub fn is_denied(&self) -> bool {
        matches!(self.code.as_deref(), Some("AccessDenied" | "AllAccessDisabled"))
    }
}

impl fmt::Display for BucketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BucketError {}

/// The bucket's Block Public Access settings (`GetPublicAccessBlock`); unset fields are off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublicAccessBlock {
    /// `BlockPublicAcls`: a PUT with a public ACL (`public-read`) is refused.
    pub block_public_acls: bool,
    /// `IgnorePublicAcls`: public ACLs are kept but have no effect.
    pub ignore_public_acls: bool,
    /// `BlockPublicPolicy`.
    pub block_public_policy: bool,
    /// `RestrictPublicBuckets`.
    pub restrict_public_buckets: bool,
}

/// The bucket-configuration calls `doctor` makes.
#[async_trait::async_trait]
pub trait BucketSettingsApi: Send + Sync {
    /// `HeadBucket`: `false` when S3 says there is no such bucket.
    async fn exists(&self, bucket: &str) -> Result<bool, BucketError>;
    /// `GetBucketPolicy`: the policy document, `None` when the bucket has none.
    async fn policy(&self, bucket: &str) -> Result<Option<String>, BucketError>;
    /// `GetPublicAccessBlock`: `None` when the bucket has no such configuration.
    async fn public_access_block(&self, bucket: &str) -> Result<Option<PublicAccessBlock>, BucketError>;
    /// `GetBucketOwnershipControls`: `BucketOwnerEnforced` (ACLs disabled),
    /// `BucketOwnerPreferred`, `ObjectWriter`; `None` when unset.
    async fn object_ownership(&self, bucket: &str) -> Result<Option<String>, BucketError>;
    /// `PutObject` of an empty object at `key`, then `DeleteObject` of it: whether the caller
    /// may write there (what `RevokeCertificate` needs of whoever calls it).
    async fn write_probe(&self, bucket: &str, key: &str) -> Result<(), BucketError>;
}

/// [`BucketSettingsApi`] on the official S3 client.
pub struct SdkBucketSettings {
    client: s3::Client,
}

impl SdkBucketSettings {
    /// A client in `region` (the bucket's; `None`: the configuration's) at the S3 endpoint the
    /// options and configuration name (then path-style, as for object_store), else AWS's own.
    pub fn new(sdk: &SdkConfig, opts: &AwsOptions, region: Option<&str>) -> Self {
        let mut b = s3::config::Builder::from(sdk);
        if let Some(r) = region {
            b = b.region(Region::new(r.to_owned()));
        }
        if let Some(e) = endpoint(sdk, opts, "s3", "AWS_ENDPOINT_URL_S3") {
            b = b.endpoint_url(e).force_path_style(true);
        }
        Self { client: s3::Client::from_conf(b.build()) }
    }
}

/// S3's code and message for `action` on `bucket`, or the transport's chain.
fn failure<E>(action: &str, bucket: &str, e: &SdkError<E, s3::config::http::HttpResponse>) -> BucketError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.code().map(str::to_owned);
    let detail = match (&code, e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.clone(),
        _ => {
            let mut parts = Vec::new();
            let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
            while let Some(err) = next {
                parts.push(err.to_string());
                next = err.source();
            }
            parts.join(": ")
        }
    };
    BucketError { code, message: format!("{action} on s3://{bucket}: {detail}") }
}

/// The HTTP status S3 answered, if it answered.
fn status<E>(e: &SdkError<E, s3::config::http::HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

#[async_trait::async_trait]
impl BucketSettingsApi for SdkBucketSettings {
    async fn exists(&self, bucket: &str) -> Result<bool, BucketError> {
        match self.client.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) if status(&e) == Some(404) => Ok(false),
            Err(e) => Err(failure("HeadBucket", bucket, &e)),
        }
    }

    async fn policy(&self, bucket: &str) -> Result<Option<String>, BucketError> {
        match self.client.get_bucket_policy().bucket(bucket).send().await {
            Ok(o) => Ok(o.policy().map(str::to_owned)),
            Err(e) if e.code() == Some("NoSuchBucketPolicy") => Ok(None),
            Err(e) => Err(failure("GetBucketPolicy", bucket, &e)),
        }
    }

    async fn public_access_block(&self, bucket: &str) -> Result<Option<PublicAccessBlock>, BucketError> {
        match self.client.get_public_access_block().bucket(bucket).send().await {
            Ok(o) => Ok(o.public_access_block_configuration().map(|c| PublicAccessBlock {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            })),
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => Ok(None),
            Err(e) => Err(failure("GetPublicAccessBlock", bucket, &e)),
        }
    }

    async fn object_ownership(&self, bucket: &str) -> Result<Option<String>, BucketError> {
        match self.client.get_bucket_ownership_controls().bucket(bucket).send().await {
            Ok(o) => Ok(o
                .ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| r.object_ownership().as_str().to_owned())),
            Err(e) if e.code() == Some("OwnershipControlsNotFoundError") => Ok(None),
            Err(e) => Err(failure("GetBucketOwnershipControls", bucket, &e)),
        }
    }

    async fn write_probe(&self, bucket: &str, key: &str) -> Result<(), BucketError> {
        let body = s3::primitives::ByteStream::from_static(b"");
        if let Err(e) = self.client.put_object().bucket(bucket).key(key).body(body).send().await {
            return Err(failure("PutObject", bucket, &e));
        }
        match self.client.delete_object().bucket(bucket).key(key).send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(failure(&format!("DeleteObject of {key} (written by the probe)"), bucket, &e)),
        }
    }
}
