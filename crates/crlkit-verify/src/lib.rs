//! Check a CRL against a CA bundle before it goes anywhere near a trust store: the issuer
//! certificate (by name, and by authorityKeyIdentifier = subjectKeyIdentifier where both
//! exist), its right to sign CRLs (keyUsage cRLSign), the signature over the exact tbsCertList
//! bytes, critical extensions, and freshness (thisUpdate, nextUpdate) at a given time.
//!
//! ```
//! use crlkit_der::CrlRef;
//! use crlkit_verify::{CaBundle, verify};
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/");
//! let crl_der = std::fs::read(format!("{dir}crl.p256.1k.der"))?;
//! let bundle = CaBundle::from_bytes(&std::fs::read(format!("{dir}ca.bundle.pem"))?)?;
//! let crl = CrlRef::from_der(&crl_der)?;
//! let stats = crl.validate()?;
//! let at = crlkit_der::Time::from_rfc3339("2026-11-02T00:00:00Z").unwrap().unix();
//! let report = verify(&crl, Some(&stats), &bundle, at);
//! assert!(report.is_valid(), "{:?}", report.checks);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! When several certificates share the issuer's name (key rollover), each is tried; any one
//! that passes every check makes the CRL valid, and the report says which.
//!
//! # Not in scope
//! - Path validation of the CA certificate itself, and revocation of the CA.
//! - Policy such as a maximum CRL age (BoringSSL rejects CRLs older than a week; we report
//!   the age and leave the decision to the caller).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bundle;
mod names;
pub mod signature;

use crlkit_der::{CertificateRef, CrlRef, EntryStats, KeyUsage};

pub use bundle::{BundleCert, BundleError, CaBundle};
pub use names::names_match;

/// The checks `verify` runs, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckId {
    /// The issuer certificate is in the bundle (name, and AKI = SKI where both exist).
    Issuer,
    /// keyUsage, when present, includes cRLSign.
    KeyUsage,
    /// The signature verifies over tbsCertList.
    Signature,
    /// No critical extension (CRL or entry) that we do not understand (RFC 5280 5.2, 5.3).
    CriticalExtensions,
    /// thisUpdate is not in the future.
    ThisUpdate,
    /// nextUpdate is in the future.
    NextUpdate,
    /// The issuer certificate is within its validity period (a warning only).
    IssuerValidity,
    /// The issuer certificate is a CA (basicConstraints cA; a warning only).
    IssuerIsCa,
}

impl CheckId {
    /// Stable name for output (`--json`).
    pub const fn name(self) -> &'static str {
        match self {
            CheckId::Issuer => "issuer",
            CheckId::KeyUsage => "key-usage",
            CheckId::Signature => "signature",
            CheckId::CriticalExtensions => "critical-extensions",
            CheckId::ThisUpdate => "this-update",
            CheckId::NextUpdate => "next-update",
            CheckId::IssuerValidity => "issuer-validity",
            CheckId::IssuerIsCa => "issuer-is-ca",
        }
    }
}

/// Outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Passed.
    Pass,
    /// Failed: the CRL is invalid.
    Fail,
    /// Passed with a caveat worth reading.
    Warn,
    /// Not run (it depends on an earlier failure).
    Skip,
}

impl Status {
    /// `pass`, `fail`, `warn`, `skip`.
    pub const fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Skip => "skip",
        }
    }
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// Its outcome.
    pub status: Status,
    /// A sentence for people.
    pub detail: String,
}

/// The result of [`verify`].
#[derive(Clone, Debug)]
pub struct Verification {
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// 1-based position in the bundle of the certificate used as issuer, if one was found.
    pub issuer_position: Option<usize>,
    /// Seconds until nextUpdate (negative once passed), if there is one.
    pub next_update_in: Option<i64>,
}

impl Verification {
    /// True when no check failed.
    pub fn is_valid(&self) -> bool {
        self.checks.iter().all(|c| c.status != Status::Fail)
    }

    /// The first failed check.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| c.status == Status::Fail)
    }

    /// Complete the critical-extensions check with entry counts gathered separately (when
    /// [`verify`] ran alongside entry validation and got `None`).
    pub fn add_entry_stats(&mut self, stats: &EntryStats) {
        if stats.unknown_critical == 0 {
            return;
        }
        if let Some(c) =
            self.checks.iter_mut().find(|c| c.id == CheckId::CriticalExtensions && c.status == Status::Pass)
        {
            c.status = Status::Fail;
            c.detail = format!(
                "{} entries carry an unknown critical extension: RFC 5280 5.3 forbids using this CRL",
                stats.unknown_critical
            );
        }
    }
}

/// `3d 4h`, `2h 10m`, `45s`.
pub fn human_duration(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {}s", s % 60)
    } else {
        format!("{s}s")
    }
}

/// What trying one candidate issuer gave.
struct Attempt {
    position: usize,
    key_usage_ok: bool,
    key_usage: Option<KeyUsage>,
    signature: Result<signature::SignatureInfo, signature::SignatureError>,
}

impl Attempt {
    fn passes(&self) -> bool {
        self.key_usage_ok && self.signature.is_ok()
    }

    fn summary(&self) -> String {
        match (&self.signature, self.key_usage_ok) {
            (Ok(_), true) => format!("certificate {}: all checks pass", self.position),
            (Ok(_), false) => format!("certificate {}: keyUsage lacks cRLSign", self.position),
            (Err(e), _) => format!("certificate {}: {e}", self.position),
        }
    }
}

/// Verify `crl` against `bundle` at Unix time `at`. `stats` are the CRL's validated entry
/// counts; pass `None` to run this alongside validation and add them later with
/// [`Verification::add_entry_stats`].
pub fn verify(crl: &CrlRef<'_>, stats: Option<&EntryStats>, bundle: &CaBundle, at: i64) -> Verification {
    let mut checks = Vec::new();
    let mut push = |id, status, detail: String| checks.push(Check { id, status, detail });
    let issuer_name = crl.issuer();
    let aki = crl.extensions().and_then(|e| e.authority_key_identifier).and_then(|a| a.key_identifier);
    let certs: Vec<(usize, CertificateRef<'_>)> = bundle.certs().iter().map(|c| (c.position, c.parse())).collect();
    let by_name: Vec<&(usize, CertificateRef<'_>)> =
        certs.iter().filter(|(_, c)| names_match(&c.subject(), &issuer_name)).collect();
    let by_key: Vec<&(usize, CertificateRef<'_>)> = by_name
        .iter()
        .copied()
        .filter(|(_, c)| match (aki, c.subject_key_id()) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        })
        .collect();

    // Try each candidate until one passes every issuer-dependent check.
    let mut attempts = Vec::new();
    for (position, cert) in &by_key {
        let key_usage = cert.key_usage();
        let attempt = Attempt {
            position: *position,
            key_usage_ok: key_usage.is_none_or(|k| k.has(KeyUsage::CRL_SIGN)),
            key_usage,
            signature: signature::verify(
                &crl.signature_algorithm(),
                &cert.public_key_info(),
                crl.tbs_der(),
                crl.signature(),
            ),
        };
        let done = attempt.passes();
        attempts.push(attempt);
        if done {
            break;
        }
    }
    let chosen = attempts
        .iter()
        .find(|a| a.passes())
        .or_else(|| attempts.iter().find(|a| a.signature.is_ok()))
        .or_else(|| attempts.first());
    let chosen_cert = chosen.and_then(|a| certs.iter().find(|(p, _)| *p == a.position)).map(|(_, c)| c);

    match (chosen, chosen_cert) {
        (Some(a), Some(cert)) => {
            let mut detail = format!("certificate {} of the bundle: {}", a.position, cert.subject());
            match (aki, cert.subject_key_id()) {
                (Some(_), Some(_)) => detail.push_str("; authorityKeyIdentifier matches its subjectKeyIdentifier"),
                (Some(_), None) => detail.push_str("; it has no subjectKeyIdentifier to compare with the CRL's AKI"),
                _ => {}
            }
            if attempts.len() > 1 {
                let tried: Vec<String> = attempts.iter().map(Attempt::summary).collect();
                detail.push_str(&format!(" (tried {}: {})", attempts.len(), tried.join("; ")));
            }
            push(CheckId::Issuer, Status::Pass, detail);
            match a.key_usage {
                None => push(CheckId::KeyUsage, Status::Pass, "no keyUsage extension: any use allowed".into()),
                Some(k) if a.key_usage_ok => {
                    push(CheckId::KeyUsage, Status::Pass, format!("keyUsage {}", k.names().join(", ")))
                }
                Some(k) => push(
                    CheckId::KeyUsage,
                    Status::Fail,
                    format!(
                        "keyUsage {} does not include cRLSign: this certificate may not sign CRLs",
                        k.names().join(", ")
                    ),
                ),
            }
            match &a.signature {
                Ok(info) => match &info.weakness {
                    None => push(CheckId::Signature, Status::Pass, format!("{}: valid", info.description)),
                    Some(w) => push(CheckId::Signature, Status::Warn, format!("{}: valid, but {w}", info.description)),
                },
                Err(e) => push(CheckId::Signature, Status::Fail, format!("{}: {e}", crl.signature_algorithm().name())),
            }
        }
        _ => {
            let detail = if by_name.is_empty() {
                let subjects: Vec<String> = certs.iter().map(|(p, c)| format!("{p}: {}", c.subject())).collect();
                format!("no certificate in the bundle has the subject {issuer_name} (bundle: {})", subjects.join("; "))
            } else {
                format!(
                    "{} certificate(s) named {issuer_name}, but none has the subjectKeyIdentifier the CRL's authorityKeyIdentifier names",
                    by_name.len()
                )
            };
            push(CheckId::Issuer, Status::Fail, detail);
            push(CheckId::KeyUsage, Status::Skip, "no issuer certificate".into());
            push(CheckId::Signature, Status::Skip, "no issuer certificate".into());
        }
    }

    // Critical extensions we do not understand (RFC 5280 5.2 and 5.3: the CRL must not be used).
    let unknown: Vec<String> =
        crl.extensions().map(|e| e.unknown_critical().map(|x| x.name()).collect()).unwrap_or_default();
    match (unknown.is_empty(), stats.map_or(0, |s| s.unknown_critical)) {
        (true, 0) => push(CheckId::CriticalExtensions, Status::Pass, "every critical extension is understood".into()),
        (false, _) => push(
            CheckId::CriticalExtensions,
            Status::Fail,
            format!("unknown critical CRL extension(s) {}: RFC 5280 5.2 forbids using this CRL", unknown.join(", ")),
        ),
        (true, n) => push(
            CheckId::CriticalExtensions,
            Status::Fail,
            format!("{n} entries carry an unknown critical extension: RFC 5280 5.3 forbids using this CRL"),
        ),
    }

    // Freshness.
    let this = crl.this_update();
    if this.unix() <= at {
        push(
            CheckId::ThisUpdate,
            Status::Pass,
            format!("{this}, {} ago", human_duration(at.saturating_sub(this.unix()))),
        );
    } else {
        push(
            CheckId::ThisUpdate,
            Status::Fail,
            format!("{this} is in the future (in {})", human_duration(this.unix().saturating_sub(at))),
        );
    }
    let next_update_in = crl.next_update().map(|n| n.unix().saturating_sub(at));
    match crl.next_update() {
        None => push(
            CheckId::NextUpdate,
            Status::Warn,
            "absent: the CRL never expires, so staleness cannot be detected".into(),
        ),
        Some(n) if n.unix() > at => push(
            CheckId::NextUpdate,
            Status::Pass,
            format!("{n}, valid for another {}", human_duration(n.unix().saturating_sub(at))),
        ),
        Some(n) => push(
            CheckId::NextUpdate,
            Status::Fail,
            format!("{n}: expired {} ago", human_duration(at.saturating_sub(n.unix()))),
        ),
    }

    // The issuer certificate itself (warnings: the CRL can still be right).
    if let Some(cert) = chosen_cert {
        let (nb, na) = (cert.not_before(), cert.not_after());
        if nb.unix() <= at && at <= na.unix() {
            push(CheckId::IssuerValidity, Status::Pass, format!("valid {nb} to {na}"));
        } else {
            push(
                CheckId::IssuerValidity,
                Status::Warn,
                format!("the issuer certificate is not valid at this time ({nb} to {na})"),
            );
        }
        match cert.basic_constraints() {
            Some(bc) if bc.ca => push(CheckId::IssuerIsCa, Status::Pass, "basicConstraints cA".into()),
            Some(_) => push(CheckId::IssuerIsCa, Status::Warn, "basicConstraints says this is not a CA".into()),
            None => {
                push(CheckId::IssuerIsCa, Status::Warn, "no basicConstraints extension (not marked as a CA)".into())
            }
        }
    }
    Verification { checks, issuer_position: chosen.map(|a| a.position), next_update_in }
}
