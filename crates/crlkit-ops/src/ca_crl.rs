//! Where an AWS Private CA writes its CRL, found from the CA's ARN: `DescribeCertificateAuthority`
//! gives the bucket and `CustomPath`, and `GetCertificateAuthorityCertificate` the CA's
//! certificate and chain, what the CRL must verify against. A complete CRL is the object
//! `<CustomPath or crl>/<CA id>.crl`; a partitioned CRL is one object per partition, each named by
//! a GUID, so its partitions are found by listing the path (and `<path>/<CA id>/`) and keeping
//! the CRLs this CA signed: the names alone cannot tell them from another CA's at a shared path.

use crlkit_elb::plan::PlannedCall;
use crlkit_pca::{CaArn, PcaError, PcaErrorKind, PrivateCaApi};
use crlkit_upload::Target;

use crate::connect::Connection;
use crate::error::OpsError;

/// A CA's CRL objects and the certificates they verify against.
#[derive(Clone, Debug)]
pub struct CaCrl {
    /// `s3://<bucket>/<CustomPath or crl>/<CA id>.crl`, or every partition, sorted by key.
    pub objects: Vec<Target>,
    /// True for a partitioned CRL (`CrlType` `PARTITIONED`).
    pub partitioned: bool,
    /// `s3://<bucket>/<CustomPath or crl>/`.
    pub prefix: Target,
    /// The CA's certificate, then its chain (PEM).
    pub bundle_pem: String,
}

impl CaCrl {
    /// The CA's certificate and chain as a bundle the CRL is verified against.
    pub fn bundle(&self) -> Result<crlkit_verify::CaBundle, crlkit_verify::BundleError> {
        crlkit_verify::CaBundle::from_bytes(self.bundle_pem.as_bytes())
    }

    /// The one object of a complete CRL; a partitioned CRL is refused (`no-complete-crl`) with
    /// `why`: what needs one object.
    pub fn complete(&self, ca: &CaArn, why: &str) -> Result<&Target, OpsError> {
        match (&self.objects[..], self.partitioned) {
            ([one], false) => Ok(one),
            _ => Err(PcaError::new(
                PcaErrorKind::NoCompleteCrl,
                format!("{ca}: its CRL is partitioned ({} partition(s) found): {why}", self.objects.len()),
            )
            .into()),
        }
    }
}

/// A read call of Private CA on `ca`, for a plan: `action`, as the `aws acm-pca` `command`.
pub(crate) fn planned_read(ca: &CaArn, action: &'static str, command: &str, note: &str) -> PlannedCall {
    PlannedCall {
        service: "acm-pca",
        action,
        region: Some(ca.region().to_owned()),
        params: serde_json::json!({ "CertificateAuthorityArn": ca.as_str() }),
        aws_cli: crlkit_elb::plan::cli(&[
            "aws",
            "acm-pca",
            command,
            "--certificate-authority-arn",
            ca.as_str(),
            "--region",
            ca.region(),
        ]),
        note: note.to_owned(),
    }
}

/// The calls [`locate`] makes of Private CA, for a plan.
pub fn planned_reads(ca: &CaArn) -> Vec<PlannedCall> {
    vec![
        planned_read(
            ca,
            "DescribeCertificateAuthority",
            "describe-certificate-authority",
            "read: the CA's CRL configuration (bucket, CustomPath, CrlType: partitions are listed under the path)",
        ),
        planned_read(
            ca,
            "GetCertificateAuthorityCertificate",
            "get-certificate-authority-certificate",
            "read: the CA's certificate and chain, what its CRL is verified against",
        ),
    ]
}

/// Find `ca`'s CRL objects and bundle: two calls for a complete CRL; for a partitioned one,
/// also a listing of the path and a read of each `.crl` under it (on `conn`, in the bucket's
/// region), kept when this CA signed it.
pub async fn locate(conn: &Connection, api: &dyn PrivateCaApi, ca: &CaArn) -> Result<CaCrl, OpsError> {
    let info = api.describe(ca).await?;
    let refuse = |why: String| PcaError::new(PcaErrorKind::NoCompleteCrl, format!("{ca}: {why}"));
    let Some(bucket) = info.crl.bucket.as_deref().filter(|_| info.crl.enabled) else {
        return Err(refuse("CRL distribution is not enabled (RevocationConfiguration.CrlConfiguration)".into()).into());
    };
    let partitioned = info.crl.crl_type.as_deref() == Some("PARTITIONED");
    let path = crl_prefix(info.crl.custom_path.as_deref());
    let prefix = Target::parse(&format!("s3://{bucket}/{path}"))?;
    let (cert, chain) = api.certificate(ca).await?;
    let bundle_pem = bundle_pem(cert, &chain);
    if !partitioned {
        let object = Target::parse(&format!("s3://{bucket}/{}", crl_key(info.crl.custom_path.as_deref(), ca.id())))?;
        return Ok(CaCrl { objects: vec![object], partitioned, prefix, bundle_pem });
    }
    let bundle = crlkit_verify::CaBundle::from_bytes(bundle_pem.as_bytes())
        .map_err(|e| refuse(format!("its certificate and chain: {e}")))?;
    let region = conn.bucket_region(&prefix).await;
    let store = conn.open_in(&prefix, region.as_deref()).await?;
    let mut objects = Vec::new();
    for key in partition_candidates(&store, &path, ca.id()).await? {
        if let Some((_, bytes)) = store.get(&key, None).await?
            && signed_by(&bytes, &bundle)
        {
            objects.push(Target::parse(&store.url_of(&key))?);
        }
    }
    if objects.is_empty() {
        return Err(refuse(format!(
            "no partition of its CRL under {}: Private CA has not written one yet",
            prefix.url()
        ))
        .into());
    }
    Ok(CaCrl { objects, partitioned, prefix, bundle_pem })
}

/// A CA's certificate then its chain (empty for a root), as one PEM bundle.
pub fn bundle_pem(cert: String, chain: &str) -> String {
    if chain.trim().is_empty() { cert } else { format!("{}\n{chain}", cert.trim_end()) }
}

/// True when `bytes` is a CRL whose issuer is in `bundle` and whose signature verifies.
fn signed_by(bytes: &[u8], bundle: &crlkit_verify::CaBundle) -> bool {
    let Ok(der) = crlkit_upload::stored_der(bytes) else { return false };
    let Ok(crl) = crlkit_der::CrlRef::from_der(&der) else { return false };
    let v = crlkit_verify::verify(&crl, None, bundle, 0);
    let passed = |id| v.checks.iter().any(|c| c.id == id && c.status == crlkit_verify::Status::Pass);
    passed(crlkit_verify::CheckId::Issuer) && passed(crlkit_verify::CheckId::Signature)
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
