//! `doctor`: everything between an AWS Private CA and the trust stores that should refuse what
//! it revokes, checked in one pass, a line per check with a stable code (docs/ERRORS.md lists
//! them). Each setting AWS's own instructions ask for by hand is read, not assumed: the CA's
//! status and CRL distribution, the bucket, its policy for Private CA, Block Public Access and
//! object ownership against the CA's `S3ObjectAcl`, Private CA's permission-test object, the CRL
//! objects (valid, signed by this CA, fresh), the caller's own write access (which
//! `RevokeCertificate` needs), and for each trust store whether it holds this CA's newest CRL
//! (every partition) and how much of its quota is left.
//!
//! A check that cannot be made (the caller may not read the policy) is `unchecked` with why;
//! only a CA that cannot be described at all is an error.

use crlkit_elb::TrustStoreArn;
use crlkit_elb::api::TrustStoreApi;
use crlkit_elb::register::MAX_CONTENT_BYTES;
use crlkit_pca::api::CaInfo;
use crlkit_pca::{CaArn, PrivateCaApi};
use crlkit_upload::bucket::BucketSettingsApi;
use crlkit_upload::{CrlFacts, Store, Target};
use crlkit_verify::{CaBundle, CheckId, Status};
use serde::Serialize;

use crate::bucket_policy::{self, Subject};
use crate::ca_crl::{crl_key, crl_prefix};
use crate::connect::Connection;
use crate::error::OpsError;

/// The object Private CA writes to show it can write to the bucket (a prefix: the name may
/// carry a suffix).
pub const PERMISSION_TEST: &str = "acm-pca-permission-test";

/// Where the write probe goes, under the CRL path (deleted right after).
pub const WRITE_PROBE: &str = "crlkit-doctor-write-probe";

/// Quota headroom under which a trust store is reported (a tenth of the quota).
pub const HEADROOM_PERCENT: u64 = 10;

/// What to examine.
#[derive(Clone, Debug)]
pub struct DoctorRequest {
    /// The CA.
    pub ca: CaArn,
    /// Trust stores that should hold its CRL.
    pub trust_stores: Vec<TrustStoreArn>,
    /// Unix time freshness is judged at.
    pub at: i64,
    /// The trust stores' quotas (ELB's defaults, or what AWS raised them to).
    pub quotas: crlkit_elb::register::Quotas,
    /// Write (and delete) an empty object under the CRL path to learn whether the caller may.
    pub write_probe: bool,
}

/// How one check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    /// As it should be.
    Ok,
    /// Wrong: the message says what breaks and what to change.
    Wrong,
    /// Could not be checked (the message says why).
    Unchecked,
    /// Not asked for, or nothing to check.
    Skipped,
}

/// One line of the report.
#[derive(Clone, Debug, Serialize)]
pub struct DoctorCheck {
    /// The area (`bucket-policy`, `crl`, `trust-store`, ...).
    pub check: &'static str,
    /// How it came out.
    pub status: CheckStatus,
    /// Stable code of the finding (`policy-without-conditions`, `crl-stale`, ...).
    pub code: &'static str,
    /// What it is about when the area has several (an object URL, a trust store ARN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A sentence for people.
    pub message: String,
}

/// Everything `doctor` found (`crlkit doctor --json`).
#[derive(Clone, Debug, Serialize)]
pub struct DoctorReport {
    /// The CA.
    pub ca_arn: String,
    /// Its CRL bucket, if distribution is configured.
    pub bucket: Option<String>,
    /// `COMPLETE` or `PARTITIONED`.
    pub crl_type: Option<String>,
    /// Every check, in the order made.
    pub checks: Vec<DoctorCheck>,
    /// Checks that found something wrong.
    pub wrong: usize,
    /// Checks that could not be made.
    pub unchecked: usize,
}

impl DoctorReport {
    fn push(&mut self, check: &'static str, status: CheckStatus, code: &'static str, message: impl Into<String>) {
        self.checks.push(DoctorCheck { check, status, code, subject: None, message: message.into() });
    }

    fn push_on(
        &mut self,
        check: &'static str,
        subject: &str,
        status: CheckStatus,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.checks.push(DoctorCheck {
            check,
            status,
            code,
            subject: Some(subject.to_owned()),
            message: message.into(),
        });
    }

    fn finish(mut self) -> Self {
        self.wrong = self.checks.iter().filter(|c| c.status == CheckStatus::Wrong).count();
        self.unchecked = self.checks.iter().filter(|c| c.status == CheckStatus::Unchecked).count();
        self
    }
}

/// What the checks read through: Private CA, S3's bucket settings, the CRL bucket's objects
/// (opened at its root, in its region), and ELB.
struct Apis<'a> {
    bucket: &'a dyn BucketSettingsApi,
    objects: &'a Store,
    elb: &'a dyn TrustStoreApi,
}

/// Run every check on `req.ca` through `conn` (S3, ELB) and `pca`. `DescribeCertificateAuthority`
/// is the one call whose failure is an error: without it nothing else can be judged.
pub async fn doctor(conn: &Connection, pca: &dyn PrivateCaApi, req: &DoctorRequest) -> Result<DoctorReport, OpsError> {
    use CheckStatus::{Ok as Good, Skipped, Unchecked, Wrong};
    let info = pca.describe(&req.ca).await?;
    let mut r = DoctorReport {
        ca_arn: req.ca.as_str().to_owned(),
        bucket: info.crl.bucket.clone(),
        crl_type: Some(info.crl.crl_type.clone().unwrap_or_else(|| "COMPLETE".into())),
        checks: Vec::new(),
        wrong: 0,
        unchecked: 0,
    };
    if info.status == "ACTIVE" {
        r.push("ca", Good, "ca-active", format!("{} CA, ACTIVE", info.ca_type));
    } else {
        r.push(
            "ca",
            Wrong,
            "ca-not-active",
            format!("status {}: Private CA issues, revokes and writes CRLs only for an ACTIVE CA", info.status),
        );
    }
    let Some(bucket) = info.crl.bucket.clone().filter(|_| info.crl.enabled) else {
        r.push(
            "crl-distribution",
            Wrong,
            "crl-disabled",
            "CRL distribution is off (RevocationConfiguration.CrlConfiguration): Private CA writes no CRL, so no \
             trust store can learn of a revocation; enable it with an S3 bucket \
             (aws acm-pca update-certificate-authority --revocation-configuration ...)",
        );
        return Ok(r.finish());
    };
    let partitioned = info.crl.crl_type.as_deref() == Some("PARTITIONED");
    let path = crl_prefix(info.crl.custom_path.as_deref());
    let acl = info.crl.s3_object_acl.clone().unwrap_or_else(|| "PUBLIC_READ".into());
    r.push(
        "crl-distribution",
        Good,
        "crl-enabled",
        format!(
            "s3://{bucket}/{path}, {}, ExpirationInDays {}, S3ObjectAcl {acl}",
            if partitioned { "PARTITIONED" } else { "COMPLETE" },
            info.crl.expiration_days.map_or_else(|| "unset".into(), |d| d.to_string())
        ),
    );
    let bundle = match pca.certificate(&req.ca).await {
        Ok((cert, chain)) => {
            let pem = crate::ca_crl::bundle_pem(cert, &chain);
            match CaBundle::from_bytes(pem.as_bytes()) {
                Ok(b) => Some(b),
                Err(e) => {
                    r.push("ca-certificate", Unchecked, "ca-certificate-unreadable", format!("its certificate: {e}"));
                    None
                }
            }
        }
        Err(e) => {
            r.push("ca-certificate", Unchecked, "ca-certificate-unreadable", e.to_string());
            None
        }
    };
    let root = Target::parse(&format!("s3://{bucket}/"))?;
    let region = conn.bucket_region(&root).await;
    let settings = conn.bucket_settings(region.as_deref());
    let objects = conn.open_in(&root, region.as_deref()).await?;
    let apis = Apis { bucket: &settings, objects: &objects, elb: conn.elb() };
    match apis.bucket.exists(&bucket).await {
        Ok(true) => r.push("bucket", Good, "bucket-exists", format!("s3://{bucket} exists and answers")),
        Ok(false) => {
            r.push(
                "bucket",
                Wrong,
                "bucket-missing",
                format!("s3://{bucket} does not exist: Private CA has nowhere to write its CRL"),
            );
            return Ok(r.finish());
        }
        Err(e) => r.push("bucket", Unchecked, "bucket-unreachable", e.to_string()),
    }
    let key = if partitioned { format!("{path}*") } else { crl_key(info.crl.custom_path.as_deref(), req.ca.id()) };
    check_policy(&mut r, &apis, &req.ca, &bucket, &key).await;
    check_acl(&mut r, &apis, &bucket, &acl).await;
    check_permission_test(&mut r, &apis, &bucket, &path).await;
    let found = check_crls(&mut r, &apis, &info, req, bundle.as_ref(), &path).await;
    if req.write_probe {
        let probe = format!("{path}{WRITE_PROBE}");
        match apis.bucket.write_probe(&bucket, &probe).await {
            Ok(()) => r.push(
                "caller-write",
                Good,
                "caller-can-write",
                format!("wrote and deleted s3://{bucket}/{probe}: RevokeCertificate's bucket check will pass"),
            ),
            Err(e) if e.is_denied() => r.push(
                "caller-write",
                Wrong,
                "caller-cannot-write",
                format!(
                    "{e}: RevokeCertificate fails when its caller cannot write to the CRL bucket; grant this \
                     principal s3:PutObject on arn:aws:s3:::{bucket}/{path}*"
                ),
            ),
            Err(e) => r.push("caller-write", Unchecked, "caller-write-unknown", e.to_string()),
        }
    } else {
        r.push("caller-write", Skipped, "caller-write-not-tried", "not tried (--no-write-probe)");
    }
    for arn in &req.trust_stores {
        check_trust_store(&mut r, &apis, arn, found.as_deref(), req, &bucket, &path).await;
    }
    Ok(r.finish())
}

async fn check_policy(r: &mut DoctorReport, apis: &Apis<'_>, ca: &CaArn, bucket: &str, key: &str) {
    use CheckStatus::{Ok as Good, Unchecked, Wrong};
    let policy = match apis.bucket.policy(bucket).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return r.push(
                "bucket-policy",
                Wrong,
                "policy-missing",
                format!(
                    "s3://{bucket} has no bucket policy: Private CA ({}) may not write to it; it needs {}",
                    bucket_policy::SERVICE,
                    needed()
                ),
            );
        }
        Err(e) => return r.push("bucket-policy", Unchecked, "policy-unreadable", e.to_string()),
    };
    let subject = Subject { ca_arn: ca.as_str(), bucket, key };
    match bucket_policy::judge(&policy, &subject) {
        Err(e) => r.push("bucket-policy", Wrong, "policy-unreadable", e),
        Ok(v) if !v.missing.is_empty() => r.push(
            "bucket-policy",
            Wrong,
            "policy-lacks-actions",
            format!(
                "the policy does not let Private CA {} for this CA (on arn:aws:s3:::{bucket}/{key} and \
                 arn:aws:s3:::{bucket}): it cannot write the CRL",
                v.missing.join(", ")
            ),
        ),
        Ok(v) if !v.unconditioned.is_empty() => r.push(
            "bucket-policy",
            Wrong,
            "policy-without-conditions",
            format!(
                "the policy grants {} to Private CA with no aws:SourceAccount or aws:SourceArn condition: any \
                 account's CA could write here; AWS recommends scoping it to {}",
                v.unconditioned.join(", "),
                ca.as_str().split(':').nth(4).unwrap_or("your account")
            ),
        ),
        Ok(_) => r.push(
            "bucket-policy",
            Good,
            "policy-grants-private-ca",
            format!("Private CA may {} for this CA, scoped by aws:SourceAccount/aws:SourceArn", needed()),
        ),
    }
}

fn needed() -> String {
    bucket_policy::NEEDED.iter().map(|(a, _)| *a).collect::<Vec<_>>().join(", ")
}

async fn check_acl(r: &mut DoctorReport, apis: &Apis<'_>, bucket: &str, acl: &str) {
    use CheckStatus::{Ok as Good, Unchecked, Wrong};
    if acl != "PUBLIC_READ" {
        return r.push(
            "object-acl",
            Good,
            "object-acl-allowed",
            format!("S3ObjectAcl {acl}: allowed whatever the bucket's public access settings"),
        );
    }
    let block = apis.bucket.public_access_block(bucket).await;
    let ownership = apis.bucket.object_ownership(bucket).await;
    match (block, ownership) {
        (Ok(Some(b)), _) if b.block_public_acls => r.push(
            "object-acl",
            Wrong,
            "public-read-blocked",
            format!(
                "S3ObjectAcl is PUBLIC_READ and s3://{bucket} blocks public ACLs (BlockPublicAcls): S3 refuses every \
                 CRL Private CA writes, silently; set S3ObjectAcl BUCKET_OWNER_FULL_CONTROL (and serve the CRL \
                 through CloudFront if clients fetch it) or turn BlockPublicAcls off"
            ),
        ),
        (_, Ok(Some(o))) if o == "BucketOwnerEnforced" => r.push(
            "object-acl",
            Wrong,
            "acls-disabled",
            format!(
                "S3ObjectAcl is PUBLIC_READ and s3://{bucket} has ACLs disabled (Object Ownership \
                 BucketOwnerEnforced): S3 refuses the CRL Private CA writes with its ACL; set S3ObjectAcl \
                 BUCKET_OWNER_FULL_CONTROL or Object Ownership to BucketOwnerPreferred"
            ),
        ),
        (Ok(_), Ok(_)) => r.push(
            "object-acl",
            Good,
            "object-acl-allowed",
            "S3ObjectAcl PUBLIC_READ: the bucket neither blocks public ACLs nor disables ACLs",
        ),
        (Err(e), _) | (_, Err(e)) => r.push("object-acl", Unchecked, "public-access-unreadable", e.to_string()),
    }
}

async fn check_permission_test(r: &mut DoctorReport, apis: &Apis<'_>, bucket: &str, path: &str) {
    use CheckStatus::{Ok as Good, Unchecked, Wrong};
    let mut seen = None;
    for prefix in ["", path] {
        match apis.objects.list(prefix).await {
            Ok(l) => {
                if let Some(o) = l.objects.iter().find(|o| o.key[prefix.len()..].starts_with(PERMISSION_TEST)) {
                    seen = Some(o.key.clone());
                    break;
                }
            }
            Err(e) => return r.push("permission-test", Unchecked, "permission-test-unreadable", e.to_string()),
        }
    }
    match seen {
        Some(key) => r.push(
            "permission-test",
            Good,
            "permission-test-present",
            format!("s3://{bucket}/{key}: Private CA showed it can write here"),
        ),
        None => r.push(
            "permission-test",
            Wrong,
            "permission-test-missing",
            format!(
                "no {PERMISSION_TEST} object in s3://{bucket}: Private CA writes it when CRL distribution is \
                 configured and it can write; its absence means it could not (policy, ACL, encryption key)"
            ),
        ),
    }
}

/// The CRL objects of the CA, each checked; the valid ones are returned for the trust-store
/// checks (`None`: they could not be read).
async fn check_crls(
    r: &mut DoctorReport,
    apis: &Apis<'_>,
    info: &CaInfo,
    req: &DoctorRequest,
    bundle: Option<&CaBundle>,
    path: &str,
) -> Option<Vec<CrlFacts>> {
    use CheckStatus::{Ok as Good, Unchecked, Wrong};
    let partitioned = info.crl.crl_type.as_deref() == Some("PARTITIONED");
    let keys = if partitioned {
        match crate::ca_crl::partition_candidates(apis.objects, path, req.ca.id()).await {
            Ok(k) => k,
            Err(e) => {
                r.push("crl", Unchecked, "crl-unreadable", e.to_string());
                return None;
            }
        }
    } else {
        vec![crl_key(info.crl.custom_path.as_deref(), req.ca.id())]
    };
    let mut found: Vec<CrlFacts> = Vec::new();
    for key in &keys {
        let url = apis.objects.url_of(key);
        let bytes = match apis.objects.get(key, None).await {
            Ok(Some((_, b))) => b,
            Ok(None) => {
                r.push_on(
                    "crl",
                    &url,
                    Wrong,
                    "crl-missing",
                    "no CRL here: Private CA has not written one (distribution just enabled, or it cannot write: see \
                     the bucket checks)",
                );
                continue;
            }
            Err(e) => {
                r.push_on("crl", &url, Unchecked, "crl-unreadable", e.to_string());
                continue;
            }
        };
        match judge_crl(&bytes, bundle, req.at) {
            Judged::Valid(facts, msg) => {
                r.push_on("crl", &url, Good, "crl-valid", msg);
                found.push(facts);
            }
            Judged::OtherCa(_) if partitioned => {} // another CA's CRL under a shared path
            Judged::OtherCa(msg) => r.push_on("crl", &url, Wrong, "crl-wrong-signer", msg),
            Judged::Stale(facts, msg) => {
                r.push_on("crl", &url, Wrong, "crl-stale", msg);
                found.push(facts);
            }
            Judged::Invalid(msg) => r.push_on("crl", &url, Wrong, "crl-invalid", msg),
            Judged::Unverified(facts, msg) => {
                r.push_on("crl", &url, Unchecked, "crl-unverified", msg);
                found.push(facts);
            }
        }
    }
    if partitioned && found.is_empty() {
        r.push(
            "crl",
            Wrong,
            "crl-missing",
            format!(
                "no partition of this CA's CRL under {}: Private CA has not written one, or cannot write",
                apis.objects.url_of(path)
            ),
        );
    }
    Some(found)
}

enum Judged {
    Valid(CrlFacts, String),
    Stale(CrlFacts, String),
    OtherCa(String),
    Invalid(String),
    Unverified(CrlFacts, String),
}

fn judge_crl(bytes: &[u8], bundle: Option<&CaBundle>, at: i64) -> Judged {
    // One decode and one parse serve the facts and the verification.
    let parsed = crlkit_upload::stored_der(bytes).and_then(|der| {
        let crl = crlkit_der::CrlRef::from_der(&der)?;
        let stats = crl.validate()?;
        let facts = CrlFacts::new(&crl, stats.count, bytes);
        let verification = bundle.map(|b| crlkit_verify::verify(&crl, None, b, at));
        Ok((facts, verification))
    });
    let (facts, verification) = match parsed {
        Ok(p) => p,
        Err(e) => return Judged::Invalid(format!("not a valid CRL: {e}")),
    };
    let summary = format!(
        "CRL number {}, {} entries, thisUpdate {}, nextUpdate {}",
        facts.crl_number.as_deref().unwrap_or("none"),
        facts.entries,
        facts.this_update,
        facts.next_update.as_deref().unwrap_or("none")
    );
    let Some(v) = verification else {
        return Judged::Unverified(facts, format!("{summary}; not verified: the CA's certificate could not be read"));
    };
    let failed = |id: CheckId| v.checks.iter().find(|c| c.id == id && c.status == Status::Fail);
    if let Some(c) = failed(CheckId::Issuer).or_else(|| failed(CheckId::Signature)) {
        return Judged::OtherCa(format!("not signed by this CA ({}): {}", facts.issuer, c.detail));
    }
    if let Some(c) = failed(CheckId::NextUpdate) {
        return Judged::Stale(
            facts,
            format!(
                "{summary}: {}; Private CA rewrites its CRL before nextUpdate, so it has stopped writing it",
                c.detail
            ),
        );
    }
    if let Some(c) = v.first_failure() {
        return Judged::Invalid(format!("{summary}: {}", c.detail));
    }
    let left = v.next_update_in.map(|s| format!(" (in {})", crlkit_verify::human_duration(s))).unwrap_or_default();
    Judged::Valid(facts, format!("{summary}{left}; signed by this CA"))
}

async fn check_trust_store(
    r: &mut DoctorReport,
    apis: &Apis<'_>,
    arn: &TrustStoreArn,
    found: Option<&[CrlFacts]>,
    req: &DoctorRequest,
    bucket: &str,
    path: &str,
) {
    use CheckStatus::{Ok as Good, Unchecked, Wrong};
    let subject = arn.as_str();
    let (info, live) = match (apis.elb.describe_trust_store(arn).await, apis.elb.describe_revocations(arn).await) {
        (Ok(i), Ok(l)) => (i, l),
        (Err(e), _) | (_, Err(e)) => {
            return r.push_on("trust-store", subject, Unchecked, "trust-store-unreadable", e.to_string());
        }
    };
    let mut held: Vec<(i64, CrlFacts)> = Vec::new();
    for rev in &live {
        match apis.elb.revocation_content(arn, rev.id, MAX_CONTENT_BYTES).await {
            Ok(bytes) => {
                if let Ok(f) = CrlFacts::from_stored(&bytes) {
                    held.push((rev.id, f));
                }
            }
            Err(e) => return r.push_on("trust-store", subject, Unchecked, "trust-store-unreadable", e.to_string()),
        }
    }
    match found {
        None => r.push_on("trust-store", subject, Unchecked, "trust-store-unjudged", "the CA's CRLs could not be read"),
        Some([]) => {}
        Some(found) => {
            for f in found {
                let slot: Vec<&(i64, CrlFacts)> = held.iter().filter(|(_, h)| h.same_slot(f)).collect();
                let best = slot.iter().max_by(|a, b| a.1.number_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
                let what = match &f.idp {
                    Some(idp) => format!("partition {idp}"),
                    None => "CRL".to_owned(),
                };
                let number = f.crl_number.as_deref().unwrap_or("none");
                match best {
                    None => r.push_on(
                        "trust-store",
                        subject,
                        Wrong,
                        "trust-store-lacks-crl",
                        format!(
                            "holds no {what} of this CA: certificates it revokes are still accepted; crlkit sync \
                             --from-ca {} --to ... --trust-store-arn {subject}",
                            r.ca_arn
                        ),
                    ),
                    Some((id, h)) if h.number_cmp(f) == Some(std::cmp::Ordering::Less) => r.push_on(
                        "trust-store",
                        subject,
                        Wrong,
                        "trust-store-stale",
                        format!(
                            "holds {what} number {} (revocation {id}); the bucket has number {number}: revocations \
                             since are not refused; crlkit sync brings it up to date",
                            h.crl_number.as_deref().unwrap_or("none")
                        ),
                    ),
                    Some((id, _)) => r.push_on(
                        "trust-store",
                        subject,
                        Good,
                        "trust-store-current",
                        format!("holds this CA's newest {what}, number {number} (revocation {id})"),
                    ),
                }
            }
            // A partition the trust store holds whose object the CA no longer writes.
            for (id, h) in &held {
                let ours = found.iter().any(|f| f.same_issuer(h));
                if ours && h.idp.is_some() && !found.iter().any(|f| f.same_slot(h)) {
                    r.push_on(
                        "trust-store",
                        subject,
                        Wrong,
                        "partition-missing",
                        format!(
                            "holds partition {} (revocation {id}) of this CA, and s3://{bucket}/{path} has no such \
                             partition: it was deleted or Private CA stopped writing it, so it will never be updated",
                            h.idp.as_deref().unwrap_or("")
                        ),
                    );
                }
            }
        }
    }
    let (max_entries, max_files) = (req.quotas.max_entries, req.quotas.max_files);
    let entries_left = max_entries.saturating_sub(info.total_revoked_entries);
    let files_left = max_files.saturating_sub(live.len() as u64);
    let low = |left: u64, quota: u64| left * 100 < quota * HEADROOM_PERCENT;
    let quota = format!(
        "{entries_left} of {max_entries} revoked entries and {files_left} of {max_files} revocation files left"
    );
    if low(entries_left, max_entries) || low(files_left, max_files) {
        r.push_on(
            "quota",
            subject,
            Wrong,
            "quota-low",
            format!(
                "{quota}: under {HEADROOM_PERCENT} %, the next CRL may not fit (a rotation adds before it removes)"
            ),
        );
    } else {
        r.push_on("quota", subject, Good, "quota-ok", quota);
    }
}
