//! [`PrivateCaApi`] on the official AWS SDK: one client per region (the region of each CA's
//! ARN), credentials from the shared `aws-config` chain, the endpoint from the caller, else
//! `AWS_ENDPOINT_URL_ACM_PCA`, else `AWS_ENDPOINT_URL`, and the SDK's standard retry policy
//! (throttling and 5xx with backoff; `AWS_MAX_ATTEMPTS` and `AWS_RETRY_MODE` as for the AWS CLI).

use std::collections::BTreeMap;
use std::sync::Mutex;

use acmpca::error::{ProvideErrorMetadata, SdkError};
use aws_config::{Region, SdkConfig};
use aws_sdk_acmpca as acmpca;

use crate::api::{CaInfo, CrlConfig, PrivateCaApi, Revoked};
use crate::arn::CaArn;
use crate::error::{PcaError, PcaErrorKind};
use crate::reason::Reason;

/// The service's id for `AWS_ENDPOINT_URL_<SERVICE>` and profile `services` sections.
pub const SERVICE_ID: &str = "ACM PCA";
/// The service-specific endpoint variable.
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_ACM_PCA";

/// Private CA through the AWS SDK.
pub struct SdkPrivateCa {
    sdk: SdkConfig,
    endpoint: Option<String>,
    clients: Mutex<BTreeMap<String, acmpca::Client>>,
}

impl SdkPrivateCa {
    /// Clients from `sdk` (whose credential chain is shared with the other clients), with
    /// `endpoint` overriding the endpoint of every region.
    pub fn new(sdk: &SdkConfig, endpoint: Option<String>) -> Self {
        Self { sdk: sdk.clone(), endpoint, clients: Mutex::new(BTreeMap::new()) }
    }

    fn client(&self, ca: &CaArn) -> acmpca::Client {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(ca.region().to_owned())
            .or_insert_with(|| {
                let mut b = acmpca::config::Builder::from(&self.sdk).region(Region::new(ca.region().to_owned()));
                if let Some(e) = &self.endpoint {
                    b = b.endpoint_url(e);
                }
                acmpca::Client::from_conf(b.build())
            })
            .clone()
    }
}

/// Sort an SDK failure of `action` on `ca` into a kind, keeping the service's code and message.
fn failure<E>(action: &str, ca: &CaArn, e: &SdkError<E, acmpca::config::http::HttpResponse>) -> PcaError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.code().map(str::to_owned);
    let kind = match (e, code.as_deref()) {
        (_, Some("ResourceNotFoundException")) => PcaErrorKind::CaNotFound,
        (_, Some("InvalidStateException")) => PcaErrorKind::CaNotActive,
        (
            _,
            Some(
                "InvalidRequestException"
                | "InvalidArgsException"
                | "InvalidArnException"
                | "LimitExceededException"
                | "MalformedCertificateException",
            ),
        ) => PcaErrorKind::Refused,
        (_, Some("ConcurrentModificationException" | "RequestInProgressException")) => PcaErrorKind::Busy,
        (_, Some("Throttling" | "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded")) => {
            PcaErrorKind::Throttled
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
                | "InvalidSignatureException"
                | "RequestExpired",
            ),
        ) => PcaErrorKind::Credentials,
        (_, Some("AccessDenied" | "AccessDeniedException")) => PcaErrorKind::PermissionDenied,
        (SdkError::DispatchFailure(_) | SdkError::TimeoutError(_), _) => {
            // Credentials are resolved while the request is dispatched.
            if chain_text(e).contains("credentials") { PcaErrorKind::Credentials } else { PcaErrorKind::Network }
        }
        _ => PcaErrorKind::Service,
    };
    let detail = match (code, e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        _ => chain_text(e),
    };
    let mut what = format!("{action} on {ca}");
    if kind == PcaErrorKind::CaNotFound {
        what.push_str(&format!(" (asked in {}, the ARN's region)", ca.region()));
    }
    PcaError::new(kind, what).with_detail(detail)
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

#[async_trait::async_trait]
impl PrivateCaApi for SdkPrivateCa {
    async fn describe(&self, ca: &CaArn) -> Result<CaInfo, PcaError> {
        let out = self
            .client(ca)
            .describe_certificate_authority()
            .certificate_authority_arn(ca.as_str())
            .send()
            .await
            .map_err(|e| failure("DescribeCertificateAuthority", ca, &e))?;
        let Some(c) = out.certificate_authority() else {
            return Err(PcaError::new(PcaErrorKind::Service, format!("DescribeCertificateAuthority on {ca}"))
                .with_detail("the answer holds no CertificateAuthority"));
        };
        let crl = c.revocation_configuration().and_then(|r| r.crl_configuration()).map(|k| CrlConfig {
            enabled: k.enabled(),
            bucket: k.s3_bucket_name().map(str::to_owned),
            custom_path: k.custom_path().map(str::to_owned),
            crl_type: k.crl_type().map(|t| t.as_str().to_owned()),
            expiration_days: k.expiration_in_days(),
            s3_object_acl: k.s3_object_acl().map(|a| a.as_str().to_owned()),
        });
        Ok(CaInfo {
            status: c.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            ca_type: c.r#type().map(|t| t.as_str().to_owned()).unwrap_or_default(),
            crl: crl.unwrap_or_default(),
        })
    }

    async fn certificate(&self, ca: &CaArn) -> Result<(String, String), PcaError> {
        let out = self
            .client(ca)
            .get_certificate_authority_certificate()
            .certificate_authority_arn(ca.as_str())
            .send()
            .await
            .map_err(|e| failure("GetCertificateAuthorityCertificate", ca, &e))?;
        let cert = out.certificate().unwrap_or_default().to_owned();
        Ok((cert, out.certificate_chain().unwrap_or_default().to_owned()))
    }

    async fn revoke(&self, ca: &CaArn, serial: &str, reason: Reason) -> Result<Revoked, PcaError> {
        let sent = self
            .client(ca)
            .revoke_certificate()
            .certificate_authority_arn(ca.as_str())
            .certificate_serial(serial)
            .revocation_reason(acmpca::types::RevocationReason::from(reason.aws()))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Revoked::Now),
            Err(e) if e.code() == Some("RequestAlreadyProcessedException") => Ok(Revoked::Already),
            Err(e) => {
                let mut err = failure("RevokeCertificate", ca, &e);
                if err.kind() == PcaErrorKind::PermissionDenied {
                    // RevokeCertificate checks the caller's own write access to the CRL bucket.
                    err = PcaError::new(
                        PcaErrorKind::PermissionDenied,
                        format!(
                            "RevokeCertificate of {serial} on {ca} (the caller needs acm-pca:RevokeCertificate, and \
                             s3:PutObject on the CA's CRL bucket: Private CA checks the caller's own write access \
                             there)"
                        ),
                    )
                    .with_detail(e.message().unwrap_or("AccessDeniedException").to_owned());
                }
                Err(err)
            }
        }
    }
}
