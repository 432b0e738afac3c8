//! `crlkit publish`: the whole step from a CRL file to trust stores: preflight, PEM, upload
//! (the uploader's rules: never over a newer CRL, read back and compared), register (the
//! registration's rules: ELB's count checked, `--replace` after the add, within the quotas).

use std::fmt::Write as _;

use crlkit_elb::api::S3Object;
use crlkit_elb::ledger::LedgerStore;
use crlkit_elb::register::{self, Request};
use crlkit_elb::{TrustStoreArn, plan};
use crlkit_upload::{StoreOptions, Target, UploadResult};

use super::Outcome;
use super::upload::{Input, Prepared, prepare_items, refusal_text};
use crate::cli::args::{ElbArgs, JsonArg, PreflightArgs, StoreArgs};
use crate::support::failure::Failure;
use crate::support::json::Object;
use crate::support::{elb, runtime, store};

const ABOUT: &str = "Preflight, convert, upload and register a CRL (or a staged bundle) with ELB trust stores.";

const EXAMPLES: &str = "\
One command for what is otherwise openssl, aws s3 cp and aws elbv2 add-trust-store-revocations
by hand. Preflight runs first (blocking findings refuse, exit 1); the CRL goes up as PEM under
the prefix (a stale CRL never replaces a fresh one; the bytes are read back and compared); then
each trust store gets it (the object version pinned on versioned buckets), ELB's entry count is
checked against crlkit's, and with --replace the issuer's older files are removed after the add.
The ledger is <prefix>.crlkit/ledger.json. The same CRL again: nothing uploaded, nothing added.

--plan does every offline check (preflight, conversion, the keys) and prints the calls as API
requests and aws CLI commands without sending anything or needing credentials.
Exit codes: 0 published or already there, 1 refused (preflight, not newer, quota), 2 error.

Examples:
  crlkit publish pca.crl --to s3://my-crls/crl/ --ca ca.pem --replace \\
      --trust-store-arn arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/mtls/0a1b2c3d4e5f6a7b
  crlkit publish staged/ --to s3://my-crls/crl/ --trust-store-arn ARN1 ARN2 --replace
  crlkit publish pca.crl --to s3://my-crls/crl/ --trust-store-arn ARN --plan --json";

/// `crlkit publish` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The CRL (DER or PEM file, `-` for stdin is not accepted here), or a bundle made by `crlkit stage`.
    #[arg(value_name = "CRL|DIR")]
    input: String,
    /// The S3 prefix the PEM goes under (ending in /).
    #[arg(long, value_name = "URL")]
    to: String,
    /// Remove the older files of the same issuer (by the ledger) after the add.
    #[arg(long)]
    replace: bool,
    #[command(flatten)]
    checks: PreflightArgs,
    #[command(flatten)]
    elb: ElbArgs,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    store: StoreArgs,
}

/// What `publish` was asked to do.
pub struct Publish {
    pub input: Input,
    pub to: Target,
    pub arns: Vec<TrustStoreArn>,
    pub replace: bool,
    pub remove_first: bool,
    pub checks: PreflightArgs,
    pub quotas: register::Quotas,
    pub elb_endpoint: Option<String>,
    pub plan: bool,
    pub json: bool,
    pub store: StoreOptions,
}

impl Args {
    pub fn config(self) -> Result<Publish, Failure> {
        let to = store::target(&self.to)?;
        if to.scheme() != crlkit_upload::Scheme::S3 || !to.is_prefix() {
            return Err(Failure::usage(format!("--to {}: ELB reads S3: give a prefix, s3://bucket/prefix/", self.to)));
        }
        if self.input == "-" {
            return Err(Failure::usage("publish reads a file or a staged bundle, not stdin"));
        }
        if self.elb.remove_first && !self.replace {
            return Err(Failure::usage("--remove-first is for --replace swaps"));
        }
        Ok(Publish {
            input: Input::parse(&self.input, &to)?,
            arns: self.elb.arns()?,
            quotas: self.elb.quotas(self.checks.quota),
            elb_endpoint: self.elb.elb_endpoint_url.clone(),
            plan: self.elb.plan,
            remove_first: self.elb.remove_first,
            to,
            replace: self.replace,
            checks: self.checks,
            json: self.json.json,
            store: self.store.options()?,
        })
    }
}

/// What happened to one CRL.
enum Done {
    PreflightRefused,
    UploadRefused(UploadResult),
    Published { upload: UploadResult, reports: Vec<register::Report> },
}

pub fn run(c: &Publish) -> Result<Outcome, Failure> {
    let bundle = c.checks.bundle()?;
    let at = c.checks.at.or_now();
    let items = prepare_items(&c.input, &c.to, &c.checks, bundle.as_ref(), at)?;
    let ledger_key = LedgerStore::key_for_prefix(c.to.key());
    if c.plan {
        return plan(c, &items, &ledger_key);
    }
    let done = runtime::block_on(async {
        let online = elb::connect(&c.store, c.elb_endpoint.as_deref()).await?;
        let dest = store::open_with(&c.to, &c.store, &online.sdk).await?;
        let ledger = LedgerStore::new(dest.clone(), ledger_key.clone());
        let mut done = Vec::new();
        for (key, p) in &items {
            if p.blocking().next().is_some() {
                done.push(Done::PreflightRefused);
                continue;
            }
            let upload =
                crlkit_upload::upload_crl(&dest, key, &p.pem, &p.facts, false).await.map_err(|e| store::failure(&e))?;
            let info = match &upload {
                UploadResult::Uploaded { info, .. } | UploadResult::Identical { info } => info.clone(),
                UploadResult::Refused(_) => {
                    done.push(Done::UploadRefused(upload));
                    continue;
                }
            };
            let object = S3Object { bucket: c.to.bucket().into(), key: key.clone(), version: info.version.clone() };
            let mut reports = Vec::new();
            for arn in &c.arns {
                let req = Request {
                    arn: arn.clone(),
                    object: object.clone(),
                    crl: p.facts.clone(),
                    replace: c.replace,
                    remove_first: c.remove_first,
                    quotas: c.quotas,
                    source: None,
                    now: elb::now_rfc3339(),
                };
                reports.push(register::register(&online.elb, &ledger, &req).await.map_err(|e| elb::failure(&e))?);
            }
            done.push(Done::Published { upload, reports });
        }
        Ok::<_, Failure>(done)
    })?;
    report(c, &items, &done)?;
    let refused = done.iter().any(|d| match d {
        Done::PreflightRefused | Done::UploadRefused(_) => true,
        Done::Published { reports, .. } => reports.iter().any(elb::refused),
    });
    Ok(Outcome::from_ok(!refused))
}

fn plan(c: &Publish, items: &[(String, Prepared)], ledger_key: &str) -> Result<Outcome, Failure> {
    let mut checks = Vec::new();
    let mut calls = Vec::new();
    let ledger_url = c.to.url_of(ledger_key);
    for (key, p) in items {
        let url = c.to.url_of(key);
        let blocking: Vec<&str> = p.blocking().map(|f| f.code).collect();
        checks.push(format!(
            "{}: CRL number {}, {} entries, {} bytes of PEM, SHA-256 {}; preflight {}",
            p.source,
            p.facts.crl_number.as_deref().unwrap_or("none"),
            p.facts.entries,
            p.facts.size,
            p.facts.sha256,
            if blocking.is_empty() { "ready".to_owned() } else { format!("BLOCKED ({})", blocking.join(", ")) }
        ));
        calls.push(plan::read_object(
            &url,
            "HeadObject",
            "read: what the key holds (a newer CRL there refuses the upload)",
        ));
        let file = std::path::Path::new(key).file_name().map_or("crl.pem".into(), |n| n.to_string_lossy().into_owned());
        calls.push(plan::put_object(
            &url,
            &file,
            &p.facts.to_metadata(),
            "change: the PEM, with its facts as metadata",
        ));
        calls.push(plan::read_object(&url, "GetObject", "read: back, compared with what was sent"));
        let object = S3Object { bucket: c.to.bucket().into(), key: key.clone(), version: None };
        calls.extend(super::register::plan_calls(
            &c.arns,
            &object,
            Some(p.facts.entries),
            &p.facts.issuer,
            c.replace,
            &ledger_url,
        ));
    }
    elb::print_plan(&calls, c.json, &checks)?;
    let blocked = items.iter().any(|(_, p)| p.blocking().next().is_some());
    Ok(Outcome::from_ok(!blocked))
}

fn report(c: &Publish, items: &[(String, Prepared)], done: &[Done]) -> Result<(), Failure> {
    let mut out = String::new();
    let mut records = Vec::new();
    for ((key, p), d) in items.iter().zip(done) {
        let url = c.to.url_of(key);
        let mut rec = String::new();
        let mut o = Object::new(&mut rec);
        o.str("source", &p.source);
        o.str("url", &url);
        o.opt_str("crl_number", p.facts.crl_number.as_deref());
        o.num("entries", p.facts.entries);
        o.str("sha256", &p.facts.sha256);
        match d {
            Done::PreflightRefused => {
                o.str("result", "refused");
                o.str("refusal", "preflight");
                let _ = writeln!(out, "{}: REFUSED by preflight, nothing sent:", p.source);
                for f in p.blocking() {
                    let _ = writeln!(out, "  blocking {:<32} {}", f.code, f.message);
                }
            }
            Done::UploadRefused(UploadResult::Refused(r)) => {
                let (code, text) = refusal_text(r, &p.facts);
                o.str("result", "refused");
                o.str("refusal", code);
                o.str("message", &text);
                let _ = writeln!(out, "{url}: REFUSED, nothing registered: {text}");
            }
            Done::UploadRefused(_) => {}
            Done::Published { upload, reports } => {
                let (result, info) = match upload {
                    UploadResult::Uploaded { info, .. } => ("uploaded", info),
                    UploadResult::Identical { info } => ("identical", info),
                    UploadResult::Refused(_) => unreachable!("a refused upload is not registered"),
                };
                o.str("result", "published");
                o.str("upload", result);
                o.opt_str("version", info.version.as_deref());
                let said = if result == "uploaded" { "uploaded, read back and checked" } else { "already there" };
                let _ = writeln!(
                    out,
                    "{url}: {said} (CRL number {}, {} entries)",
                    p.facts.crl_number.as_deref().unwrap_or("none"),
                    p.facts.entries
                );
                for r in reports {
                    elb::report_text(r, &url, &mut out);
                }
                let regs: Vec<String> = reports.iter().map(elb::report_json).collect();
                o.raw("registrations", &format!("[{}]", regs.join(",")));
            }
        }
        o.end();
        records.push(rec);
    }
    super::upload::print_warnings(items.iter().map(|(_, p)| p));
    if c.json {
        out.clear();
        let mut o = Object::new(&mut out);
        o.str("to", &c.to.url());
        o.raw("crls", &format!("[{}]", records.join(",")));
        o.end();
        out.push('\n');
    }
    crate::support::output::print_stdout(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    const ARN: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/t/0123456789abcdef";

    fn config(args: &[&str]) -> Result<Publish, Failure> {
        match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Publish(a) => a.config(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags() {
        let p = config(&["publish", "a.crl", "--to", "s3://bkt/crl/", "--trust-store-arn", ARN, "--replace", "--plan"])
            .unwrap();
        assert!(p.plan && p.replace && p.to.is_prefix());
        assert!(
            config(&["publish", "a.crl", "--to", "s3://bkt/crl.pem", "--trust-store-arn", ARN]).is_err(),
            "a prefix"
        );
        assert!(config(&["publish", "a.crl", "--to", "file:///tmp/x/", "--trust-store-arn", ARN]).is_err(), "S3");
        assert!(config(&["publish", "-", "--to", "s3://bkt/p/", "--trust-store-arn", ARN]).is_err());
        assert!(config(&["publish", "a.crl", "--to", "s3://bkt/p/"]).is_err(), "an ARN is required");
    }
}
