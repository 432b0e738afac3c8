//! `revoke`: certificates revoked at AWS Private CA, each serial reported.
//!
//! 1. Serials are taken in the order given, each once (a serial given twice, say by `--serial`
//!    and by its certificate, is one revocation naming both). A negative serial is refused:
//!    no Private CA certificate has one.
//! 2. When certificates were given, the CA's own certificate is read
//!    (`GetCertificateAuthorityCertificate`) and each one is checked against it before any
//!    revocation: issued by another CA (issuer Name, or the AKI against the CA's SKI), or the
//!    CA's own certificate (or any self-signed one): refused, nothing sent for it.
//! 3. `RevokeCertificate` per serial, in the colon-separated hexadecimal form the API
//!    documents; `RequestAlreadyProcessedException` is an answer (already revoked), throttling
//!    is retried by the SDK. A failure that would fail every other serial the same way
//!    (credentials, permission, the CA missing or not active, the endpoint unreachable) stops
//!    the run: the serials not sent are reported as such.

use crlkit_elb::plan::PlannedCall;
use crlkit_pca::{CaArn, PcaError, PcaErrorKind, PrivateCaApi, Reason, Revoked};
use crlkit_serial::certs::CertInfo;
use crlkit_serial::{Serial, SerialFormat};
use serde::Serialize;

use crate::error::OpsError;
use crate::plan::Plan;

/// One serial to revoke, and where it was given.
#[derive(Clone, Debug)]
pub struct RevokeTarget {
    /// The serial.
    pub serial: Serial,
    /// Where it came from: `--serial 0x1a`, a file and line, a certificate's location.
    pub from: String,
    /// The certificate it was read from, checked against the CA before it is revoked.
    pub cert: Option<Box<CertInfo>>,
}

/// What to revoke.
#[derive(Clone, Debug)]
pub struct RevokeRequest {
    /// The CA.
    pub ca: CaArn,
    /// Why.
    pub reason: Reason,
    /// The serials, in the order given.
    pub targets: Vec<RevokeTarget>,
}

/// What became of one serial (`--json`: the `result` field and what goes with it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum RevokeResult {
    /// Revoked now.
    Revoked,
    /// Revoked before (`RequestAlreadyProcessedException`).
    AlreadyRevoked,
    /// Not sent: a check refused it (exit 1).
    Refused {
        /// `other-ca`, `ca-certificate`, `negative-serial`, or `pca-refused` (Private CA refused
        /// the request).
        refusal: &'static str,
        /// Why, in a sentence.
        message: String,
    },
    /// Sent, and it failed (exit 2).
    Failed {
        /// The error's code (docs/ERRORS.md).
        code: &'static str,
        /// What went wrong.
        message: String,
    },
    /// Not sent: an earlier failure stopped the run (exit 2).
    NotSent {
        /// The failure that stopped it.
        because: String,
    },
}

/// One serial's revocation.
#[derive(Clone, Debug, Serialize)]
pub struct SerialOutcome {
    /// The serial as sent: colon-separated hexadecimal.
    pub serial: String,
    /// Where it was given (more than one when given twice).
    pub from: Vec<String>,
    /// What happened.
    #[serde(flatten)]
    pub result: RevokeResult,
}

/// A `revoke` run.
#[derive(Clone, Debug, Serialize)]
pub struct RevokeReport {
    /// The CA.
    pub ca_arn: String,
    /// The reason, as AWS names it.
    pub reason: Reason,
    /// Each serial, in the order given.
    pub serials: Vec<SerialOutcome>,
    /// With `--wait`: the CA's CRL that lists them all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed: Option<Listed>,
    /// With `--wait --sync`: the rotation that took that CRL to the trust stores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync: Option<crate::sync::SyncReport>,
    /// With `--wait --sync` of a partitioned CRL: one rotation per partition, in key order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partition_syncs: Vec<crate::sync::SyncReport>,
    /// Seconds each step took: `revoke`, `wait`, `sync`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<(&'static str, f64)>,
}

impl RevokeReport {
    /// How many serials came to `pick`.
    pub fn count(&self, pick: impl Fn(&RevokeResult) -> bool) -> usize {
        self.serials.iter().filter(|s| pick(&s.result)).count()
    }

    /// The first failure's code, if one failed or was not sent (exit 2).
    pub fn failed(&self) -> Option<&'static str> {
        self.serials.iter().find_map(|s| match &s.result {
            RevokeResult::Failed { code, .. } => Some(*code),
            RevokeResult::NotSent { .. } => Some("not-sent"),
            _ => None,
        })
    }

    /// The serials Private CA holds as revoked now (revoked, or already revoked).
    pub fn revoked_serials(&self) -> Vec<Serial> {
        self.serials
            .iter()
            .filter(|s| matches!(s.result, RevokeResult::Revoked | RevokeResult::AlreadyRevoked))
            .filter_map(|s| Serial::parse(&s.serial, crlkit_serial::BareDigits::Hex).ok())
            .collect()
    }

    /// True when a check refused some serial (exit 1).
    pub fn refused(&self) -> bool {
        self.serials.iter().any(|s| matches!(s.result, RevokeResult::Refused { .. }))
    }
}

/// How `revoke --wait` watches the CA's CRL.
#[derive(Clone, Copy, Debug)]
pub struct Watch {
    /// Between two reads of the CRL object (a HEAD; the object only when its ETag changed).
    pub every: std::time::Duration,
    /// Give up after this long.
    pub timeout: std::time::Duration,
}

/// The CRL that lists the revoked serials (for a partitioned CRL, the first partition to list
/// one of them; `partitions` names every one that does).
#[derive(Clone, Debug, Serialize)]
pub struct Listed {
    /// Its object.
    pub crl_url: String,
    /// Its CRL number.
    pub crl_number: Option<String>,
    /// Its thisUpdate.
    pub this_update: String,
    /// Seconds from the end of the revocations to the CRL being seen.
    pub waited_seconds: u64,
    /// A partitioned CRL: every partition that lists some of the serials.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<String>,
}

/// What the CA's CRL object holds now (`None`: no object, or not a CRL), as a starting point.
pub async fn crl_now(store: &crlkit_upload::Store, key: &str) -> Result<Option<crlkit_upload::CrlFacts>, OpsError> {
    Ok(match store.get(key, None).await? {
        Some((_, bytes)) => crlkit_upload::CrlFacts::from_stored(&bytes).ok(),
        None => None,
    })
}

/// Wait until every one of `serials` is listed by a CRL among `keys` (one key for a complete
/// CRL, every partition of a partitioned one) newer than what that key held `before` (same
/// order as `keys`), or `watch.timeout` passes (`None`). Each key is read with a HEAD, and
/// again only when its ETag changed.
pub async fn wait_listed(
    store: &crlkit_upload::Store,
    keys: &[String],
    serials: &[Serial],
    before: &[Option<crlkit_upload::CrlFacts>],
    watch: &Watch,
) -> Result<Option<Listed>, OpsError> {
    let start = std::time::Instant::now();
    let mut seen_etag: Vec<Option<String>> = vec![None; keys.len()];
    // For each serial, the key index and facts of the first newer CRL that lists it.
    let mut found: Vec<Option<(usize, crlkit_upload::CrlFacts)>> = vec![None; serials.len()];
    loop {
        for (i, key) in keys.iter().enumerate() {
            let Some(head) = store.head(key).await? else { continue };
            if head.e_tag.is_some() && head.e_tag == seen_etag[i] {
                continue;
            }
            seen_etag[i] = head.e_tag.clone();
            let Some((_, bytes)) = store.get(key, None).await? else { continue };
            let Some((facts, listed)) = listed_in(&bytes, serials, before.get(i).and_then(Option::as_ref)) else {
                continue;
            };
            for (slot, is_listed) in found.iter_mut().zip(listed) {
                if is_listed && slot.is_none() {
                    *slot = Some((i, facts.clone()));
                }
            }
        }
        if found.iter().all(Option::is_some) {
            let mut by: Vec<usize> = found.iter().flatten().map(|(i, _)| *i).collect();
            by.sort_unstable();
            by.dedup();
            let (first, facts) =
                found.iter().flatten().min_by_key(|(i, _)| *i).cloned().unwrap_or_else(|| unreachable!());
            return Ok(Some(Listed {
                crl_url: store.url_of(&keys[first]),
                crl_number: facts.crl_number,
                this_update: facts.this_update,
                waited_seconds: start.elapsed().as_secs(),
                partitions: if keys.len() > 1 {
                    by.iter().map(|&i| store.url_of(&keys[i])).collect()
                } else {
                    Vec::new()
                },
            }));
        }
        if start.elapsed() + watch.every > watch.timeout {
            return Ok(None);
        }
        tokio::time::sleep(watch.every).await;
    }
}

/// The facts of the CRL in `bytes` when it is newer than `before`, and which of `serials` it
/// lists.
fn listed_in(
    bytes: &[u8],
    serials: &[Serial],
    before: Option<&crlkit_upload::CrlFacts>,
) -> Option<(crlkit_upload::CrlFacts, Vec<bool>)> {
    let der = crlkit_upload::stored_der(bytes).ok()?;
    let crl = crlkit_der::CrlRef::from_der(&der).ok()?;
    let facts = crlkit_upload::CrlFacts::new(&crl, crl.validate().ok()?.count, bytes);
    if before.is_some_and(|b| facts.number_cmp(b) != Some(std::cmp::Ordering::Greater)) {
        return None;
    }
    let mut listed: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
    for e in crl.entries() {
        listed.insert(e.ok()?.serial().der_content().to_vec());
    }
    let which = serials.iter().map(|s| listed.contains(s.as_serial_ref().der_content())).collect();
    Some((facts, which))
}

/// The serial as `RevokeCertificate` takes it.
pub fn api_serial(serial: &Serial) -> String {
    crlkit_serial::format(serial.as_serial_ref(), SerialFormat::Colon)
}

/// Why `cert` must not be revoked at the CA whose certificate is `ca`, if so.
pub fn check_cert(cert: &CertInfo, ca: &CertInfo) -> Option<(&'static str, String)> {
    if cert.subject_der == ca.subject_der && cert.serial == ca.serial {
        return Some(("ca-certificate", format!("is the CA's own certificate ({})", ca.subject)));
    }
    let self_signed = cert.subject_der == cert.issuer_der
        && (cert.authority_key_id.is_none() || cert.authority_key_id == cert.subject_key_id);
    if self_signed {
        return Some(("ca-certificate", format!("is self-signed ({}): a CA's, not one this CA issued", cert.subject)));
    }
    if cert.issuer_der != ca.subject_der {
        return Some(("other-ca", format!("was issued by {}, not by this CA ({})", cert.issuer, ca.subject)));
    }
    if let (Some(aki), Some(ski)) = (&cert.authority_key_id, &ca.subject_key_id)
        && aki != ski
    {
        return Some((
            "other-ca",
            format!(
                "names this CA as issuer but its AKI is not the CA's key ({}): another CA of the same name",
                ca.subject
            ),
        ));
    }
    None
}

/// The serials, each once, with every place it was given; refusals that need no call.
fn distinct(targets: &[RevokeTarget]) -> Vec<(Serial, Vec<&RevokeTarget>)> {
    let mut out: Vec<(Serial, Vec<&RevokeTarget>)> = Vec::new();
    for t in targets {
        match out.iter_mut().find(|(s, _)| *s == t.serial) {
            Some((_, from)) => from.push(t),
            None => out.push((t.serial.clone(), vec![t])),
        }
    }
    out
}

/// Failures that would fail every other serial the same way.
fn stops_the_run(e: &PcaError) -> bool {
    matches!(
        e.kind(),
        PcaErrorKind::Credentials
            | PcaErrorKind::PermissionDenied
            | PcaErrorKind::CaNotFound
            | PcaErrorKind::CaNotActive
            | PcaErrorKind::Network
    )
}

/// Revoke every serial of `req` (see the module documentation).
pub async fn revoke(api: &dyn PrivateCaApi, req: &RevokeRequest) -> Result<RevokeReport, OpsError> {
    let serials = distinct(&req.targets);
    let ca_cert = if req.targets.iter().any(|t| t.cert.is_some()) {
        let (pem, _chain) = api.certificate(&req.ca).await?;
        let read = crlkit_serial::certs::read_bytes(pem.as_bytes(), "the CA's certificate");
        let first = read.items.into_iter().next();
        let Some(Ok(ca)) = first else {
            return Err(PcaError::new(
                PcaErrorKind::Service,
                format!("GetCertificateAuthorityCertificate on {}", req.ca),
            )
            .with_detail("the answer is not a certificate")
            .into());
        };
        Some(ca)
    } else {
        None
    };
    let mut out = Vec::new();
    let mut stopped: Option<String> = None;
    for (serial, given) in serials {
        let sent = api_serial(&serial);
        let from = given.iter().map(|t| t.from.clone()).collect();
        let refusal = if serial.is_negative() {
            Some(("negative-serial", "is negative: no Private CA certificate has a negative serial".to_owned()))
        } else {
            given.iter().find_map(|t| check_cert(t.cert.as_deref()?, ca_cert.as_ref()?))
        };
        let result = if let Some((refusal, message)) = refusal {
            RevokeResult::Refused { refusal, message }
        } else if let Some(because) = &stopped {
            RevokeResult::NotSent { because: because.clone() }
        } else {
            match api.revoke(&req.ca, &sent, req.reason).await {
                Ok(Revoked::Now) => RevokeResult::Revoked,
                Ok(Revoked::Already) => RevokeResult::AlreadyRevoked,
                Err(e) if e.kind() == PcaErrorKind::Refused => {
                    RevokeResult::Refused { refusal: "pca-refused", message: e.to_string() }
                }
                Err(e) => {
                    if stops_the_run(&e) {
                        stopped = Some(e.to_string());
                    }
                    RevokeResult::Failed { code: e.code(), message: e.to_string() }
                }
            }
        };
        out.push(SerialOutcome { serial: sent, from, result });
    }
    Ok(RevokeReport {
        ca_arn: req.ca.as_str().to_owned(),
        reason: req.reason,
        serials: out,
        listed: None,
        sync: None,
        partition_syncs: Vec::new(),
        steps: Vec::new(),
    })
}

/// `revoke --plan`: the `aws acm-pca` commands, with no call made; refusals that need no call
/// (negative serials) are found now.
pub fn plan(req: &RevokeRequest) -> Plan {
    let ca = req.ca.as_str();
    let region = req.ca.region();
    let serials = distinct(&req.targets);
    let mut calls = Vec::new();
    let mut checks =
        vec![format!("{} serial(s) to revoke at {ca} (region {region}), reason {}", serials.len(), req.reason)];
    if req.targets.iter().any(|t| t.cert.is_some()) {
        calls.push(crate::ca_crl::planned_read(
            &req.ca,
            "GetCertificateAuthorityCertificate",
            "get-certificate-authority-certificate",
            "read: the CA's certificate; each certificate given is checked against it (issuer, AKI; not the CA's own) \
             before anything is revoked",
        ));
    }
    for (serial, given) in serials {
        if serial.is_negative() {
            checks.push(format!("{serial} ({}): negative, refused: nothing sent for it", given[0].from));
            continue;
        }
        let sent = api_serial(&serial);
        let reason = req.reason.aws();
        calls.push(PlannedCall {
            service: "acm-pca",
            action: "RevokeCertificate",
            region: Some(region.to_owned()),
            params: serde_json::json!({
                "CertificateAuthorityArn": ca,
                "CertificateSerial": sent,
                "RevocationReason": reason,
            }),
            aws_cli: crlkit_elb::plan::cli(&[
                "aws",
                "acm-pca",
                "revoke-certificate",
                "--certificate-authority-arn",
                ca,
                "--certificate-serial",
                &sent,
                "--revocation-reason",
                reason,
                "--region",
                region,
            ]),
            note: format!(
                "change: revoke {} (RequestAlreadyProcessedException: already revoked, not a failure)",
                given.iter().map(|t| t.from.as_str()).collect::<Vec<_>>().join(", ")
            ),
        });
    }
    Plan::new(calls, checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    use crlkit_pca::CaInfo;

    /// A CA that revokes what it is asked once, and answers "already" after.
    #[derive(Default)]
    struct Ca {
        revoked: Mutex<Vec<String>>,
        fail: Mutex<Option<PcaErrorKind>>,
        cert: String,
    }

    #[async_trait::async_trait]
    impl PrivateCaApi for Ca {
        async fn describe(&self, _: &CaArn) -> Result<CaInfo, PcaError> {
            unreachable!("revoke does not describe")
        }
        async fn certificate(&self, _: &CaArn) -> Result<(String, String), PcaError> {
            Ok((self.cert.clone(), String::new()))
        }
        async fn revoke(&self, _: &CaArn, serial: &str, _: Reason) -> Result<Revoked, PcaError> {
            if let Some(k) = *self.fail.lock().unwrap() {
                return Err(PcaError::new(k, "RevokeCertificate"));
            }
            let mut r = self.revoked.lock().unwrap();
            if r.iter().any(|s| s == serial) {
                return Ok(Revoked::Already);
            }
            r.push(serial.to_owned());
            Ok(Revoked::Now)
        }
    }

    fn arn() -> CaArn {
        CaArn::parse("arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/abc").unwrap()
    }

    fn target(text: &str) -> RevokeTarget {
        let serial = Serial::parse(text, crlkit_serial::BareDigits::Hex).unwrap();
        RevokeTarget { serial, from: format!("--serial {text}"), cert: None }
    }

    fn request(serials: &[&str]) -> RevokeRequest {
        RevokeRequest { ca: arn(), reason: Reason::KeyCompromise, targets: serials.iter().map(|s| target(s)).collect() }
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    }

    #[test]
    fn each_serial_once_in_colon_hex_already_revoked_is_an_answer() {
        let ca = Ca::default();
        let r = run(revoke(&ca, &request(&["0x0A1B", "a1b", "-5", "ff00"]))).unwrap();
        let got: Vec<(&str, &RevokeResult, usize)> =
            r.serials.iter().map(|s| (s.serial.as_str(), &s.result, s.from.len())).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!((got[0].0, got[0].1, got[0].2), ("0a:1b", &RevokeResult::Revoked, 2), "given twice, sent once");
        assert!(matches!(got[1].1, RevokeResult::Refused { refusal: "negative-serial", .. }), "{got:?}");
        assert_eq!(got[2].0, "ff:00", "the magnitude's octets, no sign octet");
        assert_eq!(*ca.revoked.lock().unwrap(), ["0a:1b", "ff:00"]);
        let again = run(revoke(&ca, &request(&["0a1b"]))).unwrap();
        assert_eq!(again.serials[0].result, RevokeResult::AlreadyRevoked);
        assert!(again.failed().is_none() && !again.refused());
        assert!(r.refused());
    }

    #[test]
    fn a_failure_every_serial_would_share_stops_the_run() {
        let ca = Ca::default();
        *ca.fail.lock().unwrap() = Some(PcaErrorKind::CaNotActive);
        let r = run(revoke(&ca, &request(&["01", "02", "03"]))).unwrap();
        assert!(matches!(r.serials[0].result, RevokeResult::Failed { code: "ca-not-active", .. }), "{r:?}");
        assert!(r.serials[1..].iter().all(|s| matches!(s.result, RevokeResult::NotSent { .. })), "{r:?}");
        assert_eq!(r.failed(), Some("ca-not-active"));
        // A refusal of one serial does not stop the others.
        *ca.fail.lock().unwrap() = Some(PcaErrorKind::Refused);
        let r = run(revoke(&ca, &request(&["01", "02"]))).unwrap();
        assert!(r.serials.iter().all(|s| matches!(s.result, RevokeResult::Refused { refusal: "pca-refused", .. })));
    }

    #[test]
    fn the_plan_is_the_aws_cli_commands_and_needs_no_call() {
        let p = plan(&request(&["0a1b", "-2"]));
        assert_eq!(p.calls.len(), 1);
        assert_eq!(
            p.calls[0].aws_cli,
            "aws acm-pca revoke-certificate --certificate-authority-arn \
             arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/abc --certificate-serial 0a:1b \
             --revocation-reason KEY_COMPROMISE --region eu-west-1"
        );
        assert!(p.offline_checks.iter().any(|c| c.contains("negative")), "{:?}", p.offline_checks);
    }
}
