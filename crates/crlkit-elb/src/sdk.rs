//! [`TrustStoreApi`] on the official AWS SDK: one client per region (the region of each
//! trust-store ARN), credentials from the shared `aws-config` chain, the endpoint from
//! `--elb-endpoint-url`, else `AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2`, else
//! `AWS_ENDPOINT_URL`, and the SDK's standard retry policy (throttling and 5xx with backoff;
//! `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE` as for the AWS CLI).

use std::collections::BTreeMap;
use std::sync::Mutex;

use aws_config::{Region, SdkConfig};
use aws_sdk_elasticloadbalancingv2 as elbv2;
use elbv2::error::{ProvideErrorMetadata, SdkError};
use elbv2::types::{RevocationContent, RevocationType};

use crate::api::{Revocation, S3Object, TrustStoreApi, TrustStoreInfo};
use crate::arn::TrustStoreArn;
use crate::error::{ElbError, ElbErrorKind};

/// The ELB service's id for `AWS_ENDPOINT_URL_<SERVICE>` and profile `services` sections.
pub const SERVICE_ID: &str = "Elastic Load Balancing v2";
/// The service-specific endpoint variable.
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2";

/// Trust stores through the AWS SDK.
pub struct SdkTrustStores {
    sdk: SdkConfig,
    endpoint: Option<String>,
    clients: Mutex<BTreeMap<String, elbv2::Client>>,
    /// For the presigned URLs `GetTrustStoreRevocationContent` answers with.
    http: reqwest::Client,
}

impl SdkTrustStores {
    /// Clients from `sdk` (whose credentials chain is shared with the object stores), with
    /// `endpoint` overriding the endpoint of every region.
    pub fn new(sdk: &SdkConfig, endpoint: Option<String>) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .unwrap_or_default();
        Self { sdk: sdk.clone(), endpoint, clients: Mutex::new(BTreeMap::new()), http }
    }

    fn client(&self, arn: &TrustStoreArn) -> elbv2::Client {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(arn.region().to_owned())
            .or_insert_with(|| {
                let mut b = elbv2::config::Builder::from(&self.sdk).region(Region::new(arn.region().to_owned()));
                if let Some(e) = &self.endpoint {
                    b = b.endpoint_url(e);
                }
                elbv2::Client::from_conf(b.build())
            })
            .clone()
    }
}

/// Sort an SDK failure of `action` on `arn` into a kind, keeping the service's code and
/// message.
fn failure<E>(action: &str, arn: &TrustStoreArn, e: SdkError<E, elbv2::config::http::HttpResponse>) -> ElbError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let what = format!("{action} on {arn}");
    let code = e.code().map(str::to_owned);
    let kind = match (&e, code.as_deref()) {
        (_, Some("TrustStoreNotFound")) => ElbErrorKind::TrustStoreNotFound,
        (_, Some("TrustStoreNotReady")) => ElbErrorKind::TrustStoreNotReady,
        (_, Some("RevocationContentNotFound")) => ElbErrorKind::RevocationContentNotFound,
        (_, Some("InvalidRevocationContent")) => ElbErrorKind::InvalidRevocationContent,
        (_, Some("TooManyTrustStoreRevocationEntries")) => ElbErrorKind::TooManyEntries,
        (_, Some("RevocationIdNotFound")) => ElbErrorKind::RevocationIdNotFound,
        (_, Some("Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException")) => {
            ElbErrorKind::Throttled
        }
        (
            _,
            Some(
                "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "UnrecognizedClientException"
                | "MissingAuthenticationToken"
                | "IncompleteSignature"
                | "AuthFailure"
                | "RequestExpired"
                | "InvalidAccessKeyId",
            ),
        ) => ElbErrorKind::Credentials,
        (_, Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation")) => ElbErrorKind::PermissionDenied,
        (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_), _) => {
            // Credentials are resolved while the request is dispatched.
            if chain_text(&e).contains("credentials") { ElbErrorKind::Credentials } else { ElbErrorKind::Network }
        }
        _ => ElbErrorKind::Service,
    };
    let detail = match (code, e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        _ => chain_text(&e),
    };
    let mut what = what;
    if kind == ElbErrorKind::TrustStoreNotFound {
        what.push_str(&format!(" (asked in {}, the ARN's region)", arn.region()));
    }
    ElbError::new(kind, what).with_source(Detail(detail))
}

fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut next = Some(e);
    while let Some(e) = next {
        parts.push(e.to_string());
        next = e.source();
    }
    parts.join(": ")
}

#[derive(Debug)]
struct Detail(String);
impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Detail {}

fn count(n: Option<i64>) -> u64 {
    n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0)
}

#[async_trait::async_trait]
impl TrustStoreApi for SdkTrustStores {
    async fn describe_trust_store(&self, arn: &TrustStoreArn) -> Result<TrustStoreInfo, ElbError> {
        let out = self
            .client(arn)
            .describe_trust_stores()
            .trust_store_arns(arn.as_str())
            .send()
            .await
            .map_err(|e| failure("DescribeTrustStores", arn, e))?;
        let t =
            out.trust_stores().iter().find(|t| t.trust_store_arn() == Some(arn.as_str())).ok_or_else(|| {
                ElbError::new(ElbErrorKind::TrustStoreNotFound, format!("DescribeTrustStores on {arn}"))
            })?;
        Ok(TrustStoreInfo {
            name: t.name().unwrap_or_default().to_owned(),
            status: t.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            total_revoked_entries: count(t.total_revoked_entries()),
            ca_certificates: t.number_of_ca_certificates().and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        })
    }

    async fn describe_revocations(&self, arn: &TrustStoreArn) -> Result<Vec<Revocation>, ElbError> {
        let mut pages = self
            .client(arn)
            .describe_trust_store_revocations()
            .trust_store_arn(arn.as_str())
            .page_size(400)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failure("DescribeTrustStoreRevocations", arn, e))?;
            for r in page.trust_store_revocations() {
                if let Some(id) = r.revocation_id() {
                    out.push(Revocation { id, entries: count(r.number_of_revoked_entries()) });
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    async fn add_revocation(&self, arn: &TrustStoreArn, object: &S3Object) -> Result<Revocation, ElbError> {
        let content = RevocationContent::builder()
            .s3_bucket(&object.bucket)
            .s3_key(&object.key)
            .set_s3_object_version(object.version.clone())
            .revocation_type(RevocationType::Crl)
            .build();
        let out = self
            .client(arn)
            .add_trust_store_revocations()
            .trust_store_arn(arn.as_str())
            .revocation_contents(content)
            .send()
            .await
            .map_err(|e| failure("AddTrustStoreRevocations", arn, e))?;
        let added = out.trust_store_revocations();
        match added {
            [one] => Ok(Revocation {
                id: one.revocation_id().ok_or_else(|| {
                    ElbError::new(ElbErrorKind::Service, format!("AddTrustStoreRevocations on {arn}: no RevocationId"))
                })?,
                entries: count(one.number_of_revoked_entries()),
            }),
            other => Err(ElbError::new(
                ElbErrorKind::Service,
                format!("AddTrustStoreRevocations on {arn}: {} revocations in the answer to one file", other.len()),
            )),
        }
    }

    async fn remove_revocations(&self, arn: &TrustStoreArn, ids: &[i64]) -> Result<(), ElbError> {
        self.client(arn)
            .remove_trust_store_revocations()
            .trust_store_arn(arn.as_str())
            .set_revocation_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| failure("RemoveTrustStoreRevocations", arn, e))?;
        Ok(())
    }

    async fn revocation_content(&self, arn: &TrustStoreArn, id: i64, max_bytes: u64) -> Result<Vec<u8>, ElbError> {
        let out = self
            .client(arn)
            .get_trust_store_revocation_content()
            .trust_store_arn(arn.as_str())
            .revocation_id(id)
            .send()
            .await
            .map_err(|e| failure("GetTrustStoreRevocationContent", arn, e))?;
        let what = format!("the content of revocation ID {id} of {arn}");
        let location = out
            .location()
            .ok_or_else(|| ElbError::new(ElbErrorKind::Service, format!("{what}: no Location in the answer")))?;
        let network = |e: reqwest::Error| ElbError::new(ElbErrorKind::Network, what.clone()).with_source(e);
        let mut resp = self.http.get(location).send().await.map_err(network)?;
        if !resp.status().is_success() {
            return Err(ElbError::new(ElbErrorKind::Service, format!("{what}: HTTP {}", resp.status())));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(network)? {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(ElbError::new(ElbErrorKind::Service, format!("{what}: over {max_bytes} bytes")));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    async fn tags(&self, arn: &TrustStoreArn) -> Result<Vec<(String, String)>, ElbError> {
        let out = self
            .client(arn)
            .describe_tags()
            .resource_arns(arn.as_str())
            .send()
            .await
            .map_err(|e| failure("DescribeTags", arn, e))?;
        Ok(out
            .tag_descriptions()
            .iter()
            .filter(|d| d.resource_arn() == Some(arn.as_str()))
            .flat_map(|d| d.tags())
            .map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect())
    }

    async fn add_tags(&self, arn: &TrustStoreArn, tags: &[(String, String)]) -> Result<(), ElbError> {
        let tags = tags.iter().map(|(k, v)| elbv2::types::Tag::builder().key(k).value(v).build()).collect();
        self.client(arn)
            .add_tags()
            .resource_arns(arn.as_str())
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| failure("AddTags", arn, e))?;
        Ok(())
    }
}
