//! Where an AWS Private CA writes its CRL, found from the CA's ARN: `DescribeCertificateAuthority`
//! gives the bucket and `CustomPath` (the object is `<CustomPath or crl>/<CA id>.crl`), and
//! `GetCertificateAuthorityCertificate` the CA's certificate and chain, what the CRL must verify
//! against. A CA with a partitioned CRL writes one object per partition (a set); those are not
//! found here yet, and such a CA is refused by name.

use crlkit_pca::{CaArn, PcaError, PcaErrorKind, PrivateCaApi};
use crlkit_upload::Target;

use crate::error::OpsError;

/// A CA's CRL object and the certificates it verifies against.
#[derive(Clone, Debug)]
pub struct CaCrl {
    /// `s3://<bucket>/<CustomPath or crl>/<CA id>.crl`.
    pub object: Target,
    /// The CA's certificate, then its chain (PEM).
    pub bundle_pem: String,
}

impl CaCrl {
    /// The CA's certificate and chain as a bundle the CRL is verified against.
    pub fn bundle(&self) -> Result<crlkit_verify::CaBundle, crlkit_verify::BundleError> {
        crlkit_verify::CaBundle::from_bytes(self.bundle_pem.as_bytes())
    }
}

/// The prefix Private CA writes CRLs under: `<CustomPath>/`, else `crl/`.
pub fn crl_prefix(custom_path: Option<&str>) -> String {
    let path = custom_path.map(|p| p.trim_matches('/')).filter(|p| !p.is_empty()).unwrap_or("crl");
    format!("{path}/")
}

/// The key Private CA writes a complete CRL to.
pub fn crl_key(custom_path: Option<&str>, ca_id: &str) -> String {
    format!("{}{ca_id}.crl", crl_prefix(custom_path))
}

/// The objects that may be partitions of `ca_id`'s partitioned CRL: every `.crl` object under
/// `prefix` and under `prefix<CA id>/`, sorted by key. The name says nothing of the CA (a
/// partition is named by a GUID), so the caller keeps those this CA signed.
pub async fn partition_candidates(
    store: &crlkit_upload::Store,
    prefix: &str,
    ca_id: &str,
) -> Result<Vec<String>, OpsError> {
    let mut keys = Vec::new();
    let top = store.list(prefix).await?;
    let own = format!("{prefix}{ca_id}/");
    let mut listings = vec![top.objects];
    if top.prefixes.iter().any(|p| p.trim_end_matches('/') == own.trim_end_matches('/')) {
        listings.push(store.list(&own).await?.objects);
    }
    for o in listings.into_iter().flatten() {
        if o.key.ends_with(".crl") {
            keys.push(o.key);
        }
    }
    keys.sort_unstable();
    Ok(keys)
}

/// Find `ca`'s CRL object and bundle (two calls).
pub async fn locate(api: &dyn PrivateCaApi, ca: &CaArn) -> Result<CaCrl, OpsError> {
    let info = api.describe(ca).await?;
    let refuse = |why: String| PcaError::new(PcaErrorKind::NoCompleteCrl, format!("{ca}: {why}"));
    let Some(bucket) = info.crl.bucket.as_deref().filter(|_| info.crl.enabled) else {
        return Err(refuse("CRL distribution is not enabled (RevocationConfiguration.CrlConfiguration)".into()).into());
    };
    if info.crl.crl_type.as_deref() == Some("PARTITIONED") {
        return Err(refuse(
            "its CRL is partitioned (one object per partition); give each partition's object to `sync --from`, or \
             publish the set"
                .into(),
        )
        .into());
    }
    let url = format!("s3://{bucket}/{}", crl_key(info.crl.custom_path.as_deref(), ca.id()));
    let object = Target::parse(&url)?;
    let (cert, chain) = api.certificate(ca).await?;
    let bundle_pem = if chain.trim().is_empty() { cert } else { format!("{}\n{chain}", cert.trim_end()) };
    Ok(CaCrl { object, bundle_pem })
}

#[cfg(test)]
mod tests {
    use super::crl_key;

    #[test]
    fn the_key_is_the_custom_path_or_crl_then_the_ca_id() {
        assert_eq!(crl_key(None, "0f1e"), "crl/0f1e.crl");
        assert_eq!(crl_key(Some(""), "0f1e"), "crl/0f1e.crl");
        assert_eq!(crl_key(Some("/pki/crls/"), "0f1e"), "pki/crls/0f1e.crl");
    }
}
