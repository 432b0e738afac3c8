//! One AWS connection per run: the shared configuration (the AWS CLI's credential chain,
//! region and endpoints, loaded once), credentials resolved before the first call, the ELB
//! client (each trust store called in its ARN's region), and the stores opened on the same
//! chain.

use crlkit_elb::sdk::{ENDPOINT_ENV, SERVICE_ID, SdkTrustStores};
use crlkit_pca::sdk::{self as pca, SdkPrivateCa};
use crlkit_upload::aws::{self, SdkConfig};
use crlkit_upload::{AwsOptions, ChainCredentials, Store, StoreOptions, Target};

use crate::error::OpsError;

/// The shared AWS configuration, the ELB client, and how stores are opened.
pub struct Connection {
    sdk: SdkConfig,
    store: StoreOptions,
    elb: SdkTrustStores,
}

/// Load the AWS configuration once, resolve credentials now (a missing or expired chain is
/// reported before anything is sent), check the ELB endpoint (`elb_endpoint`, else
/// `AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2`, `AWS_ENDPOINT_URL`, the profile's) against the
/// plain-HTTP rule, and build the ELB client.
pub async fn connect(store: &StoreOptions, elb_endpoint: Option<&str>) -> Result<Connection, OpsError> {
    let sdk = aws::load(&store.aws).await;
    ChainCredentials::from_sdk(&sdk)?.resolve().await?;
    let elb_opts = AwsOptions { endpoint: elb_endpoint.map(str::to_owned), ..store.aws.clone() };
    if let Some(e) = aws::endpoint(&sdk, &elb_opts, SERVICE_ID, ENDPOINT_ENV) {
        aws::check_http(&e, &elb_opts)?;
    }
    let elb = SdkTrustStores::new(&sdk, elb_endpoint.map(str::to_owned));
    Ok(Connection { sdk, store: store.clone(), elb })
}

impl Connection {
    /// The ELB client.
    pub fn elb(&self) -> &SdkTrustStores {
        &self.elb
    }

    /// A Private CA client on the same chain: each CA called in its ARN's region, at `endpoint`
    /// when given (else `AWS_ENDPOINT_URL_ACM_PCA`, `AWS_ENDPOINT_URL`, the profile's), checked
    /// against the plain-HTTP rule.
    pub fn pca(&self, endpoint: Option<&str>) -> Result<SdkPrivateCa, OpsError> {
        let opts = AwsOptions { endpoint: endpoint.map(str::to_owned), ..self.store.aws.clone() };
        if let Some(e) = aws::endpoint(&self.sdk, &opts, pca::SERVICE_ID, pca::ENDPOINT_ENV) {
            aws::check_http(&e, &opts)?;
        }
        Ok(SdkPrivateCa::new(&self.sdk, endpoint.map(str::to_owned)))
    }

    /// S3's bucket-configuration calls (`doctor`) on the same chain, in `region` (the bucket's;
    /// `None`: the run's), at the S3 endpoint the options and configuration name.
    pub fn bucket_settings(&self, region: Option<&str>) -> crlkit_upload::bucket::SdkBucketSettings {
        crlkit_upload::bucket::SdkBucketSettings::new(&self.sdk, &self.store.aws, region)
    }

    /// Open the store `target` names on this connection's credential chain.
    pub async fn open(&self, target: &Target) -> Result<Store, OpsError> {
        Ok(Store::open_with(target, &self.store, Some(&self.sdk)).await?)
    }

    /// The region an S3 bucket is in, as S3 says (`crlkit_upload::aws::bucket_region`);
    /// `None` for other stores, or when the store does not say.
    pub async fn bucket_region(&self, target: &Target) -> Option<String> {
        if target.scheme() != crlkit_upload::Scheme::S3 {
            return None;
        }
        aws::bucket_region(&self.sdk, &self.store.aws, target.bucket()).await
    }

    /// [`Connection::open`] in `region` (a bucket in another region than the run's, as the AWS
    /// CLI's `s3 cp --source-region`); `None`: the run's.
    pub async fn open_in(&self, target: &Target, region: Option<&str>) -> Result<Store, OpsError> {
        let Some(region) = region else { return self.open(target).await };
        let mut opts = self.store.clone();
        opts.aws.region = Some(region.to_owned());
        Ok(Store::open_with(target, &opts, Some(&self.sdk)).await?)
    }
}
