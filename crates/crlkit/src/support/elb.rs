//! What the ELB commands (`register`, `publish`, `revocations`, `sync`) share: connecting (one
//! AWS configuration for S3 and ELB, credentials resolved before the first call), ELB errors as
//! failures, and how registrations and plans are shown.

use std::fmt::Write as _;

use crlkit_elb::plan::PlannedCall;
use crlkit_elb::register::{Outcome, Refusal, Report};
use crlkit_elb::sdk::{ENDPOINT_ENV, SERVICE_ID, SdkTrustStores};
use crlkit_elb::{ElbError, ElbErrorKind};
use crlkit_upload::aws::SdkConfig;
use crlkit_upload::{AwsOptions, ChainCredentials, StoreOptions};

use crate::support::failure::Failure;
use crate::support::json::Object;
use crate::support::store;

/// An ELB (or ledger) error as a failure with its stable code and what to do.
pub fn failure(e: &ElbError) -> Failure {
    if let Some(s) = e.store_error() {
        return store::failure(s);
    }
    let mut f = Failure::new(e.kind().code(), e.to_string());
    let help = match e.kind() {
        ElbErrorKind::Credentials => Some(
            "help: credentials resolve as for the AWS CLI (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or \
             --profile, SSO: `aws sso login`, credential_process, web identity, ECS, instance metadata); expired \
             session credentials must be refreshed",
        ),
        ElbErrorKind::TrustStoreNotFound => {
            Some("help: the ARN names the region and account; check both (`aws elbv2 describe-trust-stores`)")
        }
        ElbErrorKind::Throttled => Some("help: AWS_MAX_ATTEMPTS raises the SDK's retries (default 3)"),
        ElbErrorKind::PermissionDenied => Some(
            "help: the caller needs elasticloadbalancing:DescribeTrustStores, DescribeTrustStoreRevocations, \
             AddTrustStoreRevocations and RemoveTrustStoreRevocations, and s3:GetObject on the CRL for ELB",
        ),
        _ => None,
    };
    f.detail.extend(help.map(str::to_owned));
    f
}

/// The shared AWS configuration and the ELB client.
pub struct Online {
    pub sdk: SdkConfig,
    pub elb: SdkTrustStores,
}

/// Load the AWS configuration once, resolve credentials now (a missing or expired chain is
/// reported before anything is sent), and build the ELB client.
pub async fn connect(opts: &StoreOptions, elb_endpoint: Option<&str>) -> Result<Online, Failure> {
    let sdk = crlkit_upload::aws::load(&opts.aws).await;
    let credentials = ChainCredentials::from_sdk(&sdk).map_err(|e| store::failure(&e))?;
    credentials.resolve().await.map_err(|e| store::failure(&e))?;
    let elb_opts = AwsOptions { endpoint: elb_endpoint.map(str::to_owned), ..opts.aws.clone() };
    let endpoint = crlkit_upload::aws::endpoint(&sdk, &elb_opts, SERVICE_ID, ENDPOINT_ENV);
    if let Some(e) = &endpoint {
        crlkit_upload::aws::check_http(e, &elb_opts).map_err(|e| store::failure(&e))?;
    }
    let elb = SdkTrustStores::new(&sdk, elb_endpoint.map(str::to_owned));
    Ok(Online { sdk, elb })
}

/// Now, RFC 3339.
pub fn now_rfc3339() -> String {
    crlkit_der::Time::from_unix(crate::support::time::now()).map_or_else(String::new, |t| t.to_string())
}

/// Print a plan: numbered calls with their `aws` CLI form, or JSON.
pub fn print_plan(calls: &[PlannedCall], json: bool, checks: &[String]) -> Result<(), Failure> {
    let mut out = String::new();
    if json {
        let value = serde_json::json!({ "plan": calls, "sent": false, "offline_checks": checks });
        out = serde_json::to_string(&value).expect("a plan serializes");
        out.push('\n');
    } else {
        for c in checks {
            let _ = writeln!(out, "checked: {c}");
        }
        let _ = writeln!(out, "plan ({} calls; nothing was sent):", calls.len());
        for (i, c) in calls.iter().enumerate() {
            let region = c.region.as_deref().map_or(String::new(), |r| format!(" [{r}]"));
            let _ = writeln!(out, "{:>3}. {} {}{region}: {}", i + 1, c.service, c.action, c.note);
            let _ = writeln!(out, "     {}", c.aws_cli);
        }
    }
    crate::support::output::print_stdout(&out)
}

/// A registration refusal in words, with its stable code.
pub fn refusal_text(r: &Refusal) -> (&'static str, String) {
    match r {
        Refusal::Quota { entries_now, files_now, adding, removing, removing_files, quotas, fits_if_removed_first } => {
            let mut s = format!(
                "quota: {entries_now} entries + {adding} new = {} (max {}), {files_now} files + 1 = {} (max {}), \
                 counted while old and new both exist",
                entries_now + adding,
                quotas.max_entries,
                files_now + 1,
                quotas.max_files
            );
            if *fits_if_removed_first {
                let _ = write!(
                    s,
                    "; removing the {removing_files} older file(s) ({removing} entries) first would fit: \
                     --remove-first (revoked clients are accepted until the add completes)"
                );
            }
            ("quota", s)
        }
        Refusal::NotNewer { registered } => (
            "not-newer",
            format!(
                "revocation ID {} holds CRL number {} of this issuer; this one is not newer: --replace removes only \
                 older CRLs",
                registered.revocation_id,
                registered.crl.crl_number.as_deref().unwrap_or("none"),
            ),
        ),
    }
}

/// A registration report as text lines.
pub fn report_text(r: &Report, object_url: &str, out: &mut String) {
    let arn = r.arn.as_str();
    match &r.outcome {
        Outcome::AlreadyRegistered { entry } => {
            let _ = writeln!(
                out,
                "{arn}: already registered as revocation ID {} ({} entries, same SHA-256); nothing sent",
                entry.revocation_id, entry.elb_entries
            );
        }
        Outcome::Added { revocation, removed, removed_first } => {
            let _ = writeln!(
                out,
                "{arn}: added revocation ID {} from {object_url}: {} entries, as crlkit counted",
                revocation.id, revocation.entries
            );
            for e in removed {
                let when = if *removed_first {
                    "BEFORE the add (--remove-first: its revoked clients were accepted until the add completed)"
                } else {
                    "after the add"
                };
                let _ = writeln!(
                    out,
                    "  removed revocation ID {} (CRL number {}, {} entries, {}) {when}",
                    e.revocation_id,
                    e.crl.crl_number.as_deref().unwrap_or("none"),
                    e.elb_entries,
                    e.object.url()
                );
            }
        }
        Outcome::Refused(refusal) => {
            let (_, text) = refusal_text(refusal);
            let _ = writeln!(out, "{arn}: REFUSED, nothing sent: {text}");
        }
    }
    for u in &r.unknown {
        let _ = writeln!(
            out,
            "  revocation ID {} ({} entries) is not in the ledger: unknown source, left in place",
            u.id, u.entries
        );
    }
    for g in &r.repaired {
        let _ = writeln!(
            out,
            "  ledger repaired: revocation ID {} ({}) is no longer in the trust store; its entry was dropped",
            g.revocation_id,
            g.object.url()
        );
    }
}

/// A registration report as a JSON object.
pub fn report_json(r: &Report) -> String {
    let mut s = String::new();
    let mut o = Object::new(&mut s);
    o.str("trust_store_arn", r.arn.as_str());
    match &r.outcome {
        Outcome::AlreadyRegistered { entry } => {
            o.str("result", "already-registered");
            o.num("revocation_id", entry.revocation_id as u64);
            o.num("elb_entries", entry.elb_entries);
        }
        Outcome::Added { revocation, removed, removed_first } => {
            o.str("result", "added");
            o.num("revocation_id", revocation.id as u64);
            o.num("elb_entries", revocation.entries);
            let ids: Vec<String> = removed.iter().map(|e| e.revocation_id.to_string()).collect();
            o.raw("removed", &format!("[{}]", ids.join(",")));
            o.bool("removed_first", *removed_first);
        }
        Outcome::Refused(refusal) => {
            let (code, text) = refusal_text(refusal);
            o.str("result", "refused");
            o.str("refusal", code);
            o.str("message", &text);
        }
    }
    let unknown: Vec<String> =
        r.unknown.iter().map(|u| format!("{{\"revocation_id\":{},\"elb_entries\":{}}}", u.id, u.entries)).collect();
    o.raw("unknown_source", &format!("[{}]", unknown.join(",")));
    let repaired: Vec<String> = r.repaired.iter().map(|e| e.revocation_id.to_string()).collect();
    o.raw("ledger_repaired", &format!("[{}]", repaired.join(",")));
    o.num("total_revoked_entries_before", r.before.total_revoked_entries);
    o.end();
    s
}

/// True when the registration changed nothing because a check refused it.
pub fn refused(r: &Report) -> bool {
    matches!(r.outcome, Outcome::Refused(_))
}
