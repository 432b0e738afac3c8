//! `crlkit revocations`: every revocation file of a trust store, joined with the ledger (which
//! object it came from, its issuer, CRL number and nextUpdate), so a stale CRL can drive an
//! alarm (exit 1).

use std::fmt::Write as _;

use crlkit_elb::TrustStoreArn;
use crlkit_upload::{StoreOptions, Target};

use crate::cli::args::{AtArg, JsonArg, StoreArgs};
use crate::support::failure::Failure;
use crate::support::outcome::Outcome;
use crate::support::{elb, store};

const ABOUT: &str = "List a trust store's revocation files with their source CRLs; exit 1 if any is stale, \
superseded, a duplicate, miscounted, or an unknown file of an issuer crlkit manages.";

const EXAMPLES: &str = "\
ELB's Describe calls return revocation IDs and entry counts only; the ledger crlkit keeps
(written by register, publish and sync) says which object, issuer, CRL number and nextUpdate
each ID came from. Without --ledger, the ledgers the trust store names are read (crlkit tags a
trust store with its ledger, crlkit-ledger-*, when it adds a CRL there). An ID the ledger does not know is listed as of unknown source (its content is
read, once, to name its issuer: a CRL of an issuer crlkit registers here is a problem, a second
source of truth no rotation retires); a ledger entry whose ID the trust store no longer has is
reported (and dropped by the next register).
Exit codes: 0 every registered CRL is fresh and nothing is wrong, 1 one is past its nextUpdate
(at --at), superseded, a duplicate, miscounted, or an unknown file of a managed issuer, 2 error.

Examples:
  crlkit revocations --trust-store-arn arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/mtls/0a1b2c3d4e5f6a7b \\
      --ledger s3://my-crls/crl/
  crlkit revocations --trust-store-arn ARN --ledger s3://my-crls/crl/ --json
  crlkit revocations --trust-store-arn ARN        # the ledgers the trust store names";

/// `crlkit revocations` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The trust store ARN.
    #[arg(long, value_name = "ARN")]
    trust_store_arn: String,
    /// The ledger: the prefix the CRLs were published under (ending in /), or the ledger
    /// object (default: CRLKIT_LEDGER, else the ledgers the trust store names: crlkit tags it
    /// with its ledger when it adds a CRL there).
    #[arg(long, value_name = "URL")]
    ledger: Option<String>,
    /// ELB endpoint (default: AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL")]
    elb_endpoint_url: Option<String>,
    #[command(flatten)]
    at: AtArg,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    store: StoreArgs,
}

/// What `revocations` was asked to do.
pub struct Revocations {
    pub arn: TrustStoreArn,
    pub ledger: Option<Target>,
    pub elb_endpoint: Option<String>,
    pub at: i64,
    pub json: bool,
    pub store: StoreOptions,
}

impl Args {
    pub fn config(self) -> Result<Revocations, Failure> {
        let arn = TrustStoreArn::parse(&self.trust_store_arn).map_err(|e| elb::failure(&e))?;
        let ledger = match self.ledger.or_else(|| std::env::var("CRLKIT_LEDGER").ok()) {
            Some(flag) => {
                let url = if flag.ends_with('/') { format!("{flag}{}", crlkit_elb::ledger::LEDGER_NAME) } else { flag };
                Some(store::target(&url)?)
            }
            None => None,
        };
        Ok(Revocations {
            arn,
            ledger,
            elb_endpoint: self.elb_endpoint_url,
            at: self.at.or_now(),
            json: self.json.json,
            store: self.store.options()?,
        })
    }
}

pub fn run(c: &Revocations) -> Result<Outcome, Failure> {
    use crlkit_ops::revocations::FileState;
    let report = crate::support::runtime::block_on(async {
        let conn = crlkit_ops::connect::connect(&c.store, c.elb_endpoint.as_deref()).await;
        let conn = conn.map_err(|e| store::ops_failure(&e))?;
        crlkit_ops::revocations::revocations(&conn, &c.arn, c.ledger.as_ref(), c.at)
            .await
            .map_err(|e| store::ops_failure(&e))
    })?;
    if c.json {
        crate::support::output::print_json(&report)?;
        return Ok(Outcome::from_ok(report.all_well()));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}): {} revocation file(s), {} revoked entries by ELB's count",
        report.trust_store_arn,
        report.status,
        report.revocations.len(),
        report.total_revoked_entries
    );
    let _ = writeln!(
        out,
        "{:>6}  {:>9}  {:<8}  {:<10}  {:<20}  {:<}",
        "ID", "ENTRIES", "STATE", "CRL#", "NEXTUPDATE", "SOURCE / ISSUER"
    );
    for rev in &report.revocations {
        match &rev.state {
            FileState::Fresh(e) | FileState::Stale(e) => {
                let state = if matches!(rev.state, FileState::Stale(_)) { "STALE" } else { "fresh" };
                let problems =
                    if rev.problems.is_empty() { String::new() } else { format!("  [{}]", rev.problems.join(", ")) };
                let _ = writeln!(
                    out,
                    "{:>6}  {:>9}  {:<8}  {:<10}  {:<20}  {} ({}){problems}",
                    rev.revocation_id,
                    rev.elb_entries,
                    state,
                    e.crl_number.as_deref().unwrap_or("-"),
                    e.next_update.as_deref().unwrap_or("-"),
                    e.source,
                    e.issuer
                );
            }
            FileState::UnknownSource => {
                let problems =
                    if rev.problems.is_empty() { String::new() } else { format!("  [{}]", rev.problems.join(", ")) };
                let _ = writeln!(
                    out,
                    "{:>6}  {:>9}  {:<8}  {:<10}  {:<20}  (not in the ledger: added by hand or another tool){problems}",
                    rev.revocation_id, rev.elb_entries, "unknown", "-", "-"
                );
            }
        }
    }
    for g in &report.ledger_only {
        let _ = writeln!(
            out,
            "note: the ledger lists revocation ID {} ({}), which the trust store no longer has",
            g.revocation_id, g.object_url
        );
    }
    if report.with_problems > 0 {
        let _ = writeln!(
            out,
            "{} file(s) with a problem: superseded files and duplicates (an unknown file found to be one \
             included) go with the next sync (or register --replace) of the current CRL; a count mismatch needs \
             a look at the CRL object; any other unknown file of a managed issuer is for you to remove",
            report.with_problems
        );
    }
    crate::support::output::print_stdout(&out)?;
    Ok(Outcome::from_ok(report.all_well()))
}

#[cfg(test)]
mod tests {
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    #[test]
    fn flags() {
        let arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/t/0123456789abcdef";
        let c = match parse_args(&["revocations", "--trust-store-arn", arn, "--ledger", "s3://bkt/crl/"])
            .unwrap()
            .command
        {
            Command::Revocations(a) => a.config().unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(c.ledger.map(|l| l.url()).as_deref(), Some("s3://bkt/crl/.crlkit/ledger.json"));
        assert_eq!(c.arn.region(), "eu-west-1");
    }
}
