//! `crlkit sync`: the scheduled (or event-driven) job that keeps trust stores on a CA's newest
//! CRL; a thin face over `crlkit_elb::sync::sync`, which a Lambda handler can call as well.

use std::fmt::Write as _;

use crlkit_elb::TrustStoreArn;
use crlkit_elb::ledger::LedgerStore;
use crlkit_elb::plan;
use crlkit_elb::sync::{StoreSync, SyncContext, SyncRefusal, SyncRequest};
use crlkit_upload::{StoreOptions, Target, UploadResult};

use super::Outcome;
use super::upload::refusal_text;
use crate::cli::args::{AtArg, ElbArgs, JsonArg, MaxEntriesArg, StoreArgs};
use crate::support::failure::Failure;
use crate::support::json::Object;
use crate::support::{elb, runtime, store};

const ABOUT: &str = "Pull a CA's CRL, verify it, and bring trust stores up to date with it (idempotent).";

const EXAMPLES: &str = "\
The job to run on a schedule, or on Private CA's `ACM Private CA CRL Generation` event:
  1. HEAD the source; if every trust store's registration came from this very object (its ETag
     or version is in the ledger), stop: nothing is downloaded, nothing changes.
  2. Download, validate, verify against --ca, preflight (blocking findings refuse, exit 1).
  3. Skip trust stores that hold a CRL of this issuer with a number at least as high.
  4. Upload the PEM under --to (never over a newer CRL; read back), then register it with
     --replace in every remaining trust store (each in its ARN's region): the older file is
     removed after the add, within the quotas.
Run it twice: the second run changes nothing and says so.
Exit codes: 0 up to date (changed or not), 1 refused (verification, preflight, quota), 2 error.

Examples:
  crlkit sync --from s3://pca-crls/crl/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d.crl --ca ca.pem \\
      --to s3://my-crls/crl/ --trust-store-arn ARN-EU ARN-US
  crlkit sync --from s3://pca-crls/crl/ID.crl --ca ca.pem --to s3://my-crls/crl/ --trust-store-arn ARN --plan";

/// `crlkit sync` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The CA's CRL object (AWS Private CA: s3://BUCKET/crl/CA-ID.crl).
    #[arg(long, value_name = "URL")]
    from: String,
    /// The CA bundle the CRL must verify against.
    #[arg(long, value_name = "BUNDLE")]
    ca: std::path::PathBuf,
    /// The S3 prefix the PEM and the ledger go under (ending in /).
    #[arg(long, value_name = "URL")]
    to: String,
    #[command(flatten)]
    quota: MaxEntriesArg,
    #[command(flatten)]
    at: AtArg,
    #[command(flatten)]
    elb: ElbArgs,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    store: StoreArgs,
}

/// What `sync` was asked to do.
pub struct Sync {
    pub from: Target,
    pub ca: std::path::PathBuf,
    pub to: Target,
    pub arns: Vec<TrustStoreArn>,
    pub quotas: crlkit_elb::register::Quotas,
    pub remove_first: bool,
    pub at: i64,
    pub elb_endpoint: Option<String>,
    pub plan: bool,
    pub json: bool,
    pub store: StoreOptions,
}

impl Args {
    pub fn config(self) -> Result<Sync, Failure> {
        let from = store::target(&self.from)?;
        if from.is_prefix() {
            return Err(Failure::usage(format!("--from {}: name the CRL object, not a prefix", self.from)));
        }
        let to = store::target(&self.to)?;
        if to.scheme() != crlkit_upload::Scheme::S3 || !to.is_prefix() {
            return Err(Failure::usage(format!("--to {}: ELB reads S3: give a prefix, s3://bucket/prefix/", self.to)));
        }
        Ok(Sync {
            from,
            ca: self.ca,
            to,
            arns: self.elb.arns()?,
            quotas: self.elb.quotas(self.quota),
            remove_first: self.elb.remove_first,
            at: self.at.or_now(),
            elb_endpoint: self.elb.elb_endpoint_url.clone(),
            plan: self.elb.plan,
            json: self.json.json,
            store: self.store.options()?,
        })
    }
}

pub fn run(c: &Sync) -> Result<Outcome, Failure> {
    let bundle = crate::support::certs::load_bundle(&c.ca)?;
    let mut preflight = crlkit_elb::preflight::Options::at(c.at);
    preflight.max_entries = c.quotas.max_entries;
    let ledger_key = LedgerStore::key_for_prefix(c.to.key());
    if c.plan {
        let ledger_url = c.to.url_of(&ledger_key);
        let source = c.from.url();
        let mut calls = vec![
            plan::read_object(&source, "HeadObject", "read: the source's ETag and version"),
            plan::read_object(&ledger_url, "GetObject", "read: the ledger: which source each registration came from"),
        ];
        calls.extend(c.arns.iter().map(plan::describe_revocations));
        calls.push(plan::read_object(
            &source,
            "GetObject",
            "read, only if some trust store's registration is not from this ETag: validated, verified against the bundle, preflighted",
        ));
        let stem = c.from.key().rsplit('/').next().unwrap_or("crl");
        let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
        let key = c.to.join(&format!("{stem}.pem"));
        calls.push(plan::put_object(
            &c.to.url_of(&key),
            &format!("{stem}.pem"),
            &Default::default(),
            "change, only if the CRL number is newer than the registered one: the PEM",
        ));
        let object = crlkit_elb::api::S3Object { bucket: c.to.bucket().into(), key, version: None };
        calls.extend(super::register::plan_calls(&c.arns, &object, None, "the CA", true, &ledger_url));
        let checks = vec![format!("CA bundle {}: {} certificate(s)", c.ca.display(), bundle.certs().len())];
        elb::print_plan(&calls, c.json, &checks)?;
        return Ok(Outcome::Positive);
    }
    let req = SyncRequest {
        source_key: c.from.key().to_owned(),
        dest_prefix: c.to.key().to_owned(),
        trust_stores: c.arns.clone(),
        bundle,
        preflight,
        quotas: c.quotas,
        remove_first: c.remove_first,
        now: elb::now_rfc3339(),
    };
    let report = runtime::block_on(async {
        let online = elb::connect(&c.store, c.elb_endpoint.as_deref()).await?;
        let source = store::open_with(&c.from, &c.store, &online.sdk).await?;
        let dest = store::open_with(&c.to, &c.store, &online.sdk).await?;
        let ctx = SyncContext { source: &source, dest: &dest, api: &online.elb };
        crlkit_elb::sync::sync(&ctx, &req).await.map_err(|e| elb::failure(&e))
    })?;
    let mut out = String::new();
    let mut stores = Vec::new();
    let number = report.crl.as_ref().and_then(|p| p.facts.crl_number.clone()).unwrap_or_else(|| "none".into());
    if report.downloaded {
        let _ = writeln!(out, "{}: downloaded (CRL number {number})", report.source_url);
    } else {
        let _ = writeln!(
            out,
            "{}: unchanged (ETag {}): every trust store already has it; not downloaded",
            report.source_url,
            report.source.e_tag.as_deref().unwrap_or("-")
        );
    }
    match &report.refused {
        Some(SyncRefusal::Preflight) => {
            let _ =
                writeln!(out, "REFUSED by preflight (verification against {} included), nothing sent:", c.ca.display());
            for f in report.crl.iter().flat_map(|p| p.blocking()) {
                let _ = writeln!(out, "  blocking {:<32} {}", f.code, f.message);
            }
        }
        Some(SyncRefusal::Upload(r)) => {
            let facts = report.crl.as_ref().map(|p| p.facts.clone());
            if let Some(f) = facts {
                let (_, text) = refusal_text(r, &f);
                let _ = writeln!(out, "REFUSED, nothing registered: {text}");
            }
        }
        None => {}
    }
    if let Some((key, up)) = &report.upload {
        let url = c.to.url_of(key);
        match up {
            UploadResult::Uploaded { .. } => {
                let _ = writeln!(out, "{url}: uploaded, read back and checked");
            }
            UploadResult::Identical { .. } => {
                let _ = writeln!(out, "{url}: already holds this CRL");
            }
            UploadResult::Refused(_) => {}
        }
    }
    for (arn, s) in &report.stores {
        let mut rec = String::new();
        let mut o = Object::new(&mut rec);
        o.str("trust_store_arn", arn.as_str());
        match s {
            StoreSync::UpToDate { entry } => {
                o.str("result", "up-to-date");
                o.num("revocation_id", entry.revocation_id as u64);
                let _ = writeln!(
                    out,
                    "{arn}: up to date (revocation ID {}, CRL number {}); nothing sent",
                    entry.revocation_id,
                    entry.crl.crl_number.as_deref().unwrap_or("none")
                );
            }
            StoreSync::NotNewer { entry } => {
                o.str("result", "not-newer");
                o.num("revocation_id", entry.revocation_id as u64);
                let _ = writeln!(
                    out,
                    "{arn}: holds CRL number {} (revocation ID {}), not older than {number}; skipped",
                    entry.crl.crl_number.as_deref().unwrap_or("none"),
                    entry.revocation_id
                );
            }
            StoreSync::Registered(r) => {
                o.str("result", "registered");
                o.raw("registration", &elb::report_json(r));
                let url = report.upload.as_ref().map(|(k, _)| c.to.url_of(k)).unwrap_or_default();
                elb::report_text(r, &url, &mut out);
            }
        }
        o.end();
        stores.push(rec);
    }
    if report.changed_nothing() && report.refused.is_none() {
        let _ = writeln!(out, "nothing changed");
    }
    let refused = report.refused.is_some()
        || report.stores.iter().any(|(_, s)| matches!(s, StoreSync::Registered(r) if elb::refused(r)));
    if c.json {
        out.clear();
        let mut o = Object::new(&mut out);
        o.str("source", &report.source_url);
        o.opt_str("source_etag", report.source.e_tag.as_deref());
        o.opt_str("source_version", report.source.version.as_deref());
        o.bool("downloaded", report.downloaded);
        o.opt_str("crl_number", report.crl.as_ref().and_then(|p| p.facts.crl_number.as_deref()));
        o.opt_str(
            "refused",
            match &report.refused {
                Some(SyncRefusal::Preflight) => Some("preflight"),
                Some(SyncRefusal::Upload(_)) => Some("upload"),
                None => None,
            },
        );
        o.opt_str(
            "upload",
            report.upload.as_ref().map(|(_, u)| match u {
                UploadResult::Uploaded { .. } => "uploaded",
                UploadResult::Identical { .. } => "identical",
                UploadResult::Refused(_) => "refused",
            }),
        );
        o.bool("changed", !report.changed_nothing());
        o.raw("trust_stores", &format!("[{}]", stores.join(",")));
        o.end();
        out.push('\n');
    }
    crate::support::output::print_stdout(&out)?;
    Ok(Outcome::from_ok(!refused))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    #[test]
    fn flags() {
        let arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/t/0123456789abcdef";
        let arn2 = "arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/u/0123456789abcdef";
        let parse = |args: &[&str]| match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Sync(a) => a.config(),
            other => panic!("{other:?}"),
        };
        let base = ["sync", "--from", "s3://pca/crl/id.crl", "--ca", "ca.pem", "--to", "s3://bkt/crl/"];
        let c = parse(&[&base[..], &["--trust-store-arn", arn, arn2]].concat()).unwrap();
        assert_eq!(c.arns.iter().map(|a| a.region()).collect::<Vec<_>>(), ["eu-west-1", "us-east-1"]);
        assert!(
            parse(&["sync", "--from", "s3://pca/crl/", "--ca", "c", "--to", "s3://bkt/p/", "--trust-store-arn", arn])
                .is_err()
        );
        assert!(
            parse(&["sync", "--from", "s3://pca/x.crl", "--ca", "c", "--to", "s3://bkt/p", "--trust-store-arn", arn])
                .is_err()
        );
    }
}
