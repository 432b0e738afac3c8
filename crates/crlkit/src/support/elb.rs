//! What the ELB commands (`register`, `publish`, `revocations`, `sync`) share: ELB errors as
//! failures (in every build: a flow's failure may be ELB's), and, in the online build, how
//! registrations and plans are shown.

#[cfg(feature = "online")]
use std::fmt::Write as _;

use crlkit_elb::{ElbError, ElbErrorKind};
#[cfg(feature = "online")]
use crlkit_ops::plan::Plan;
#[cfg(feature = "online")]
use crlkit_ops::register::{Registration, RegistrationOutcome};

use crate::support::failure::Failure;
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

/// Another run held the ledger's lease throughout the wait (exit 75): what was not done.
#[cfg(feature = "online")]
pub fn lease_held_text(what: &str, holder: &crlkit_ops::lease::LeaseHolder) -> String {
    format!(
        "{what}: another run ({}) holds the ledger's lease until {}: it is doing this work; nothing was done here\n",
        holder.owner,
        crate::support::time::show(holder.expires_at)
    )
}

/// Now, RFC 3339.
#[cfg(feature = "online")]
pub fn now_rfc3339() -> String {
    crlkit_der::Time::from_unix(crate::support::time::now()).map_or_else(String::new, |t| t.to_string())
}

/// Print a plan: numbered calls with their `aws` CLI form, or its JSON form.
#[cfg(feature = "online")]
pub fn print_plan(plan: &Plan, json: bool) -> Result<(), Failure> {
    if json {
        return crate::support::output::print_json(plan);
    }
    let mut out = String::new();
    for c in &plan.offline_checks {
        let _ = writeln!(out, "checked: {c}");
    }
    let _ = writeln!(out, "plan ({} calls; nothing was sent):", plan.calls.len());
    for (i, c) in plan.calls.iter().enumerate() {
        let region = c.region.as_deref().map_or(String::new(), |r| format!(" [{r}]"));
        let _ = writeln!(out, "{:>3}. {} {}{region}: {}", i + 1, c.service, c.action, c.note);
        let _ = writeln!(out, "     {}", c.aws_cli);
    }
    crate::support::output::print_stdout(&out)
}

/// One removed file as an indented line, `tail` saying when or why.
#[cfg(feature = "online")]
fn removed_line(out: &mut String, e: &crlkit_ops::register::FileRef, tail: &str) {
    let _ = writeln!(
        out,
        "  removed revocation ID {} (CRL number {}, {} entries, {}){tail}",
        e.revocation_id,
        e.crl_number.as_deref().unwrap_or("none"),
        e.elb_entries,
        e.object_url
    );
}

/// Exit 2 with the first failure's code once the whole report is out, when some of `total`
/// `what` (trust stores; registrations, one per CRL and trust store, for `publish`) failed
/// (`failed`: their trust stores' ARNs, codes and messages; the first one's is repeated).
#[cfg(feature = "online")]
pub fn none_failed(failed: &[(&str, &'static str, &str)], total: usize, what: &str) -> Result<(), Failure> {
    let Some(&(_, code, first)) = failed.first() else { return Ok(()) };
    let done = total - failed.len();
    let mut names: Vec<&str> = failed.iter().map(|(arn, _, _)| *arn).collect();
    names.dedup();
    let others = if done > 0 { format!("; the other {done} are done, as reported") } else { String::new() };
    Err(Failure::new(
        code,
        format!(
            "{} of {total} {what} failed ({}){others}; a rerun finishes what is left. The first: {first}",
            failed.len(),
            names.join(", ")
        ),
    ))
}

/// How sync runs end (one, or one per partition): exit 75 when another run held the lease, 2
/// when a trust store failed (the reports printed first), else 0, or 1 when one was refused.
#[cfg(feature = "online")]
pub fn syncs_outcome(reports: &[&crlkit_ops::sync::SyncReport]) -> Result<crate::support::outcome::Outcome, Failure> {
    use crate::support::outcome::Outcome;
    if reports.iter().any(|r| r.lease_held_by.is_some()) {
        return Ok(Outcome::Busy);
    }
    let failed: Vec<_> = reports.iter().flat_map(|r| r.failed()).collect();
    none_failed(&failed, reports.iter().map(|r| r.trust_stores.len()).sum(), "trust store(s)")?;
    Ok(Outcome::from_ok(!reports.iter().any(|r| r.refused())))
}

/// How a fleet run ends: exit 2 when a CA or a trust store failed (the report printed first),
/// else as [`syncs_outcome`] over every sync (75 when a ledger's lease was held throughout).
#[cfg(feature = "online")]
pub fn fleet_outcome(
    report: &crlkit_ops::fleet::run::FleetReport,
) -> Result<crate::support::outcome::Outcome, Failure> {
    let failed: Vec<_> = report.failed_cas().map(|(ca, e)| (ca, e.code, e.message.as_str())).collect();
    none_failed(&failed, report.cas.len(), "CA(s)")?;
    syncs_outcome(&report.syncs().collect::<Vec<_>>())
}

/// The failed registrations among `regs`, as [`none_failed`] takes them.
#[cfg(feature = "online")]
pub fn failed_registrations<'a>(
    regs: impl IntoIterator<Item = &'a Registration>,
) -> Vec<(&'a str, &'static str, &'a str)> {
    regs.into_iter()
        .filter_map(|r| {
            let (code, message) = r.failed()?;
            Some((r.trust_store_arn.as_str(), code, message))
        })
        .collect()
}

/// What a sync did in each trust store, a line (or a registration's lines) each.
#[cfg(feature = "online")]
pub fn trust_store_lines(report: &crlkit_ops::sync::SyncReport, out: &mut String) {
    use crlkit_ops::sync::StoreSync;
    let number = report.crl_number.as_deref().unwrap_or("none");
    for t in &report.trust_stores {
        let arn = &t.trust_store_arn;
        match &t.result {
            StoreSync::UpToDate { revocation_id, crl_number } => {
                let _ = writeln!(
                    out,
                    "{arn}: up to date (revocation ID {revocation_id}, CRL number {}); nothing sent",
                    crl_number.as_deref().unwrap_or("none")
                );
            }
            StoreSync::NotNewer { revocation_id, crl_number } => {
                let _ = writeln!(
                    out,
                    "{arn}: holds CRL number {} (revocation ID {revocation_id}), not older than {number}; skipped",
                    crl_number.as_deref().unwrap_or("none")
                );
            }
            StoreSync::Registered { registration } => {
                registration_text(registration, report.upload_url.as_deref().unwrap_or_default(), out);
            }
            StoreSync::Failed { code, message } => {
                let _ = writeln!(out, "{arn}: FAILED: error[{code}] {message}");
            }
        }
    }
}

/// A registration as text lines; `object_url` is what was added.
#[cfg(feature = "online")]
pub fn registration_text(r: &Registration, object_url: &str, out: &mut String) {
    let arn = &r.trust_store_arn;
    match &r.outcome {
        RegistrationOutcome::AlreadyRegistered { revocation_id, elb_entries, removed } => {
            let sent = if removed.is_empty() { "nothing sent" } else { "nothing added" };
            let _ = writeln!(
                out,
                "{arn}: already registered as revocation ID {revocation_id} ({elb_entries} entries, same SHA-256); \
                 {sent}"
            );
            for e in removed {
                removed_line(out, e, ": superseded, or the same CRL twice");
            }
        }
        RegistrationOutcome::Added { revocation_id, elb_entries, removed, removed_first } => {
            let _ = writeln!(
                out,
                "{arn}: added revocation ID {revocation_id} from {object_url}: {elb_entries} entries, as crlkit counted"
            );
            let when = if *removed_first {
                " BEFORE the add (--remove-first: its revoked clients were accepted until the add completed)"
            } else {
                " after the add"
            };
            for e in removed {
                removed_line(out, e, when);
            }
        }
        RegistrationOutcome::Refused { message, .. } => {
            let _ = writeln!(out, "{arn}: REFUSED, nothing sent: {message}");
        }
        RegistrationOutcome::Failed { code, message } => {
            let _ = writeln!(out, "{arn}: FAILED ({code}): {message}");
        }
    }
    for u in &r.unknown_source {
        let _ = writeln!(
            out,
            "  revocation ID {} ({} entries) is not in the ledger: unknown source, left in place",
            u.revocation_id, u.elb_entries
        );
    }
    for u in &r.pruned {
        let _ = writeln!(
            out,
            "  removed revocation ID {} ({} entries): not in the ledger and no CRL crlkit manages (--prune-foreign)",
            u.revocation_id, u.elb_entries
        );
    }
    for a in &r.adopted {
        let _ = writeln!(
            out,
            "  adopted revocation ID {}: not in the ledger, found by its content to be crlkit's ({})",
            a.revocation_id, a.object_url
        );
    }
    if let Some(e) = &r.ledger_tag_error {
        let _ =
            writeln!(out, "  note: tagging the trust store with its ledger failed ({e}): revocations needs --ledger");
    }
    for g in &r.ledger_repaired {
        let _ = writeln!(
            out,
            "  ledger repaired: revocation ID {} ({}) is no longer in the trust store; its entry was dropped",
            g.revocation_id, g.object_url
        );
    }
}
