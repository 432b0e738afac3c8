//! `crlkit revocations`: every revocation file of a trust store, joined with the ledger (which
//! object it came from, its issuer, CRL number and nextUpdate), so a stale CRL can drive an
//! alarm (exit 1).

use std::fmt::Write as _;

use crlkit_elb::TrustStoreArn;
use crlkit_elb::api::TrustStoreApi;
use crlkit_elb::ledger::LedgerStore;
use crlkit_upload::{StoreOptions, Target};

use super::Outcome;
use crate::cli::args::{AtArg, JsonArg, StoreArgs};
use crate::support::failure::Failure;
use crate::support::json::Object;
use crate::support::{elb, runtime, store};

const ABOUT: &str = "List a trust store's revocation files with their source CRLs; exit 1 if any is stale.";

const EXAMPLES: &str = "\
ELB's Describe calls return revocation IDs and entry counts only; the ledger crlkit keeps
(written by register, publish and sync) says which object, issuer, CRL number and nextUpdate
each ID came from. An ID the ledger does not know is listed as of unknown source; a ledger
entry whose ID the trust store no longer has is reported (and dropped by the next register).
Exit codes: 0 every registered CRL is fresh, 1 one is past its nextUpdate (at --at), 2 error.

Examples:
  crlkit revocations --trust-store-arn arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/mtls/0a1b2c3d4e5f6a7b \\
      --ledger s3://my-crls/crl/
  crlkit revocations --trust-store-arn ARN --ledger s3://my-crls/crl/ --json";

/// `crlkit revocations` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The trust store ARN.
    #[arg(long, value_name = "ARN")]
    trust_store_arn: String,
    /// The ledger: the prefix the CRLs were published under (ending in /), or the ledger
    /// object (default: CRLKIT_LEDGER).
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
    pub ledger: Target,
    pub elb_endpoint: Option<String>,
    pub at: i64,
    pub json: bool,
    pub store: StoreOptions,
}

impl Args {
    pub fn config(self) -> Result<Revocations, Failure> {
        let arn = TrustStoreArn::parse(&self.trust_store_arn).map_err(|e| elb::failure(&e))?;
        let flag = self.ledger.or_else(|| std::env::var("CRLKIT_LEDGER").ok()).ok_or_else(|| {
            Failure::usage("--ledger URL (or CRLKIT_LEDGER): the prefix the CRLs were published under")
        })?;
        let url = if flag.ends_with('/') { format!("{flag}{}", crlkit_elb::ledger::LEDGER_NAME) } else { flag };
        let ledger = store::target(&url)?;
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
    let (info, live, ledger) = runtime::block_on(async {
        let online = elb::connect(&c.store, c.elb_endpoint.as_deref()).await?;
        let info = online.elb.describe_trust_store(&c.arn).await.map_err(|e| elb::failure(&e))?;
        let live = online.elb.describe_revocations(&c.arn).await.map_err(|e| elb::failure(&e))?;
        let st = store::open_with(&c.ledger, &c.store, &online.sdk).await?;
        let ledger = LedgerStore::new(st, c.ledger.key()).load().await.map_err(|e| elb::failure(&e))?;
        Ok::<_, Failure>((info, live, ledger))
    })?;
    let r = ledger.reconcile(&c.arn, &live);
    let stale_at = |next: Option<&str>| next.and_then(crlkit_der::Time::from_rfc3339).is_some_and(|t| t.unix() < c.at);
    let mut out = String::new();
    let mut records = Vec::new();
    let mut stale = 0;
    if !c.json {
        let _ = writeln!(
            out,
            "{} ({}): {} revocation file(s), {} revoked entries by ELB's count",
            c.arn,
            info.status,
            live.len(),
            info.total_revoked_entries
        );
        let _ = writeln!(
            out,
            "{:>6}  {:>9}  {:<8}  {:<10}  {:<20}  {:<}",
            "ID", "ENTRIES", "STATE", "CRL#", "NEXTUPDATE", "SOURCE / ISSUER"
        );
    }
    for rev in &live {
        let entry = r.known.iter().find(|e| e.revocation_id == rev.id);
        let mut rec = String::new();
        let mut o = Object::new(&mut rec);
        o.num("revocation_id", rev.id as u64);
        o.num("elb_entries", rev.entries);
        match entry {
            Some(e) => {
                let is_stale = stale_at(e.crl.next_update.as_deref());
                stale += usize::from(is_stale);
                let state = if is_stale { "STALE" } else { "fresh" };
                o.str("state", if is_stale { "stale" } else { "fresh" });
                o.str("source", &e.object.url());
                o.opt_str("source_version", e.object.version.as_deref());
                o.str("issuer", &e.crl.issuer);
                o.opt_str("authority_key_id", e.crl.authority_key_id.as_deref());
                o.opt_str("crl_number", e.crl.crl_number.as_deref());
                o.str("this_update", &e.crl.this_update);
                o.opt_str("next_update", e.crl.next_update.as_deref());
                o.str("sha256", &e.crl.sha256);
                o.str("registered_at", &e.registered_at);
                let _ = writeln!(
                    out,
                    "{:>6}  {:>9}  {:<8}  {:<10}  {:<20}  {} ({})",
                    rev.id,
                    rev.entries,
                    state,
                    e.crl.crl_number.as_deref().unwrap_or("-"),
                    e.crl.next_update.as_deref().unwrap_or("-"),
                    e.object.url(),
                    e.crl.issuer
                );
            }
            None => {
                o.str("state", "unknown-source");
                let _ = writeln!(
                    out,
                    "{:>6}  {:>9}  {:<8}  {:<10}  {:<20}  (not in the ledger: added by hand or another tool)",
                    rev.id, rev.entries, "unknown", "-", "-"
                );
            }
        }
        o.end();
        records.push(rec);
    }
    for g in &r.gone {
        let _ = writeln!(
            out,
            "note: the ledger lists revocation ID {} ({}), which the trust store no longer has",
            g.revocation_id,
            g.object.url()
        );
    }
    if c.json {
        out.clear();
        let mut o = Object::new(&mut out);
        o.str("trust_store_arn", c.arn.as_str());
        o.str("status", &info.status);
        o.num("total_revoked_entries", info.total_revoked_entries);
        o.raw("revocations", &format!("[{}]", records.join(",")));
        let gone: Vec<String> = r.gone.iter().map(|g| g.revocation_id.to_string()).collect();
        o.raw("ledger_only", &format!("[{}]", gone.join(",")));
        o.num("stale", stale as u64);
        o.num("unknown_source", r.unknown.len() as u64);
        o.end();
        out.push('\n');
    }
    crate::support::output::print_stdout(&out)?;
    Ok(Outcome::from_ok(stale == 0))
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
        assert_eq!(c.ledger.url(), "s3://bkt/crl/.crlkit/ledger.json");
        assert_eq!(c.arn.region(), "eu-west-1");
    }
}
