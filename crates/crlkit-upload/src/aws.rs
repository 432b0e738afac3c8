//! AWS configuration exactly as the AWS CLI resolves it, through `aws-config`: credentials
//! (environment, `AWS_PROFILE` with static keys, assume-role profiles, SSO,
//! `credential_process`, web identity, ECS, instance metadata), region (`AWS_REGION`,
//! `AWS_DEFAULT_REGION`, the profile) and endpoints (`AWS_ENDPOINT_URL_<SERVICE>`, then
//! `AWS_ENDPOINT_URL`, then the profile's `endpoint_url`). One chain, shared by every AWS
//! client crlkit builds; object_store gets it through [`ChainCredentials`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use aws_config::SdkConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use object_store::aws::AwsCredential;

use crate::error::{StoreError, StoreErrorKind};
pub use crate::store::AwsOptions;

/// Load the shared AWS configuration.
pub async fn load(opts: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
    }
    // The AWS CLI's timeouts, for every SDK client made from this configuration (ELB): a
    // stalled answer fails in bounded time (and is retried as the retry policy says).
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(opts.connect_timeout())
        .read_timeout(opts.read_timeout())
        .build();
    loader = loader.timeout_config(timeouts);
    loader.load().await
}

/// The endpoint for `service` (`s3`, `elastic_load_balancing_v2`): the flag, then the
/// service-specific variable or profile setting, then the global one.
pub fn endpoint(sdk: &SdkConfig, opts: &AwsOptions, service_id: &str, env: &str) -> Option<String> {
    if let Some(e) = &opts.endpoint {
        return Some(e.clone());
    }
    let specific = sdk.service_config().and_then(|c| {
        let key = aws_types::service_config::ServiceConfigKey::builder()
            .service_id(service_id)
            .env(env)
            .profile("endpoint_url")
            .build()
            .ok()?;
        c.load_config(key)
    });
    specific.or_else(|| sdk.endpoint_url().map(str::to_owned))
}

/// The region `bucket` is in, as S3 says it (`x-amz-bucket-region` on an unsigned
/// `HeadBucket`, which S3 answers, 200, 301 or 403, for any bucket that exists), at the S3
/// endpoint the options and configuration name (path-style), else AWS's own. `None` when the
/// store does not say (an S3-compatible store may not): the caller keeps the run's region.
pub async fn bucket_region(sdk: &SdkConfig, opts: &AwsOptions, bucket: &str) -> Option<String> {
    use object_store::client::{HttpConnector, HttpRequestBody, ReqwestConnector};
    let url = match endpoint(sdk, opts, "s3", "AWS_ENDPOINT_URL_S3") {
        Some(e) => format!("{}/{bucket}", e.trim_end_matches('/')),
        // S3's wildcard certificate covers one label: path-style for a dotted name.
        None if bucket.contains('.') => format!("https://s3.amazonaws.com/{bucket}"),
        None => format!("https://{bucket}.s3.amazonaws.com"),
    };
    let http = check_http(&url, opts).ok()?;
    let options = object_store::ClientOptions::new()
        .with_allow_http(http)
        .with_connect_timeout(opts.connect_timeout())
        .with_timeout(opts.read_timeout());
    let client = ReqwestConnector::default().connect(&options).ok()?;
    let request = http::Request::head(&url).body(HttpRequestBody::empty()).ok()?;
    let response = client.execute(request).await.ok()?;
    let region = response.headers().get("x-amz-bucket-region")?.to_str().ok()?;
    (!region.is_empty()).then(|| region.to_owned())
}

/// Whether plain HTTP may be used for `endpoint`: only to this machine, unless allowed.
pub fn check_http(endpoint: &str, opts: &AwsOptions) -> Result<bool, StoreError> {
    if !endpoint.starts_with("http://") {
        return Ok(false);
    }
    let host = crate::store::endpoint_host(endpoint);
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let allowed = opts.allow_http || std::env::var("AWS_ALLOW_HTTP").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    if loopback || allowed {
        Ok(true)
    } else {
        Err(StoreError::new(
            StoreErrorKind::InsecureEndpoint,
            format!("{endpoint} (use https, or --allow-http / AWS_ALLOW_HTTP=true if you mean it)"),
        ))
    }
}

/// The AWS credential chain as an object_store credential provider, with caching: a
/// credential is reused until five minutes before it expires.
#[derive(Debug)]
pub struct ChainCredentials {
    provider: SharedCredentialsProvider,
    cached: tokio::sync::Mutex<Option<(Arc<AwsCredential>, Option<SystemTime>)>>,
}

impl ChainCredentials {
    /// The chain of `sdk`, or an error naming what to set when it has none.
    pub fn from_sdk(sdk: &SdkConfig) -> Result<Self, StoreError> {
        let provider = sdk.credentials_provider().ok_or_else(|| {
            StoreError::new(StoreErrorKind::Credentials, "the AWS configuration has no credentials provider")
        })?;
        Ok(Self { provider, cached: tokio::sync::Mutex::new(None) })
    }

    /// Resolve credentials now (to report a missing or broken chain before any transfer).
    pub async fn resolve(&self) -> Result<Arc<AwsCredential>, StoreError> {
        let mut cached = self.cached.lock().await;
        if let Some((c, expiry)) = cached.as_ref()
            && expiry.is_none_or(|e| e > SystemTime::now() + Duration::from_secs(300))
        {
            return Ok(c.clone());
        }
        let creds = self
            .provider
            .provide_credentials()
            .await
            .map_err(|e| StoreError::new(StoreErrorKind::Credentials, "").with_source(e))?;
        let credential = Arc::new(AwsCredential {
            key_id: creds.access_key_id().to_owned(),
            secret_key: creds.secret_access_key().to_owned(),
            token: creds.session_token().map(str::to_owned),
        });
        *cached = Some((credential.clone(), creds.expiry()));
        Ok(credential)
    }
}

#[async_trait::async_trait]
impl object_store::CredentialProvider for ChainCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        self.resolve()
            .await
            .map_err(|e| object_store::Error::Unauthenticated { path: String::new(), source: Box::new(e) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine_unless_allowed() {
        let no = AwsOptions::default();
        for local in ["http://127.0.0.1:4566", "http://localhost:9000/", "http://[::1]:80"] {
            assert!(check_http(local, &no).unwrap(), "{local}");
        }
        assert!(!check_http("https://s3.eu-west-1.amazonaws.com", &no).unwrap());
        let e = check_http("http://s3.example.com", &no).unwrap_err();
        assert_eq!(e.kind(), StoreErrorKind::InsecureEndpoint);
        let yes = AwsOptions { allow_http: true, ..AwsOptions::default() };
        assert!(check_http("http://s3.example.com", &yes).unwrap());
    }
}
