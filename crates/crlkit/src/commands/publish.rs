//! `crlkit publish`: the whole step from a CRL file to trust stores: preflight, PEM, upload
//! (the uploader's rules: never over a newer CRL, read back and compared), register (the
//! registration's rules: ELB's count checked, `--replace` after the add, within the quotas).

use std::fmt::Write as _;

use crlkit_elb::TrustStoreArn;
use crlkit_ops::register::Rotation;
use crlkit_upload::{StoreOptions, Target};

use crate::cli::args::{ElbArgs, JsonArg, LeaseArgs, PreflightArgs, StoreArgs};
use crate::support::failure::Failure;
use crate::support::items::Input;
use crate::support::outcome::Outcome;
use crate::support::{elb, store};

const ABOUT: &str = "Preflight, convert, upload and register a CRL (or a staged bundle) with ELB trust stores.";

const EXAMPLES: &str = "\
One command for what is otherwise openssl, aws s3 cp and aws elbv2 add-trust-store-revocations
by hand. Preflight runs first (blocking findings refuse, exit 1); the CRL goes up as PEM under
the prefix (a stale CRL never replaces a fresh one; the bytes are checked on arrival); then
each trust store gets it (the object version pinned on versioned buckets), ELB's entry count is
checked against crlkit's, and with --replace the issuer's older files are removed after the add.
The ledger is <prefix>.crlkit/ledger.json. The same CRL again: nothing uploaded, nothing added.
Several CRLs at once (a staged partitioned set's next generation) are one swap: each added before
the older CRL of its own slot goes, and checked against each trust store's quotas as a whole
before anything is sent there (refused whole, quota, rather than left half done). With
--remove-first it works partition by partition: a step that cannot fit old and new removes its
own partition's older file first (each registration says so: removed_first), and the swap is
refused whole only if some step cannot fit even then.

--plan does every offline check (preflight, conversion, the keys) and prints the calls as API
requests and aws CLI commands without sending anything or needing credentials.
One run at a time per ledger: a lease beside it is taken first (--lease-wait, --lease-ttl, as for
sync).
Exit codes: 0 published or already there, 1 refused (preflight, not newer, quota), 2 error, 75
another run held the ledger's lease throughout --lease-wait (nothing done).

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
    #[command(flatten)]
    lease: LeaseArgs,
}

/// What `publish` was asked to do.
pub struct Publish {
    pub input: Input,
    pub to: Target,
    pub arns: Vec<TrustStoreArn>,
    pub rotation: Rotation,
    pub checks: PreflightArgs,
    pub elb_endpoint: Option<String>,
    pub plan: bool,
    pub json: bool,
    pub store: StoreOptions,
    pub lease: crlkit_elb::lease::LeaseOptions,
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
            rotation: Rotation {
                replace: self.replace,
                remove_first: self.elb.remove_first,
                prune_foreign: self.elb.prune_foreign,
                quotas: self.elb.quotas(self.checks.quota),
                now: elb::now_rfc3339(),
            },
            elb_endpoint: self.elb.elb_endpoint_url.clone(),
            plan: self.elb.plan,
            to,
            checks: self.checks,
            json: self.json.json,
            store: self.store.options()?,
            lease: self.lease.options()?,
        })
    }
}

pub fn run(c: &Publish) -> Result<Outcome, Failure> {
    use crlkit_ops::publish::{PublishOutcome, PublishRequest};
    let bundle = c.checks.bundle()?;
    let at = c.checks.at.or_now();
    let items = crate::support::items::prepare_items(&c.input, &c.to, c.checks.quota.max_entries, bundle.as_ref(), at)?;
    let req = PublishRequest {
        items,
        to: c.to.clone(),
        arns: c.arns.clone(),
        rotation: c.rotation.clone(),
        lease: c.lease.clone(),
    };
    if c.plan {
        let plan = crate::support::runtime::block_on(async {
            crlkit_ops::publish::plan(&req).await.map_err(|e| store::ops_failure(&e))
        })?;
        elb::print_plan(&plan, c.json)?;
        return Ok(Outcome::from_ok(req.items.iter().all(|i| i.crl.is_ready())));
    }
    let report = crate::support::runtime::block_on(async {
        let conn = crlkit_ops::connect::connect(&c.store, c.elb_endpoint.as_deref()).await;
        let conn = conn.map_err(|e| store::ops_failure(&e))?;
        crlkit_ops::publish::publish(&conn, &req).await.map_err(|e| store::ops_failure(&e))
    })?;
    crate::support::checked::print_warnings(req.items.iter().map(|i| (i.crl.source.as_str(), &i.crl.findings[..])));
    if c.json {
        crate::support::output::print_json(&report)?;
    } else if let Some(holder) = &report.lease_held_by {
        crate::support::output::print_stdout(&elb::lease_held_text(&report.to, holder))?;
    }
    if report.lease_held_by.is_some() {
        return Ok(Outcome::Busy);
    }
    let registrations: Vec<&crlkit_ops::register::Registration> = report
        .crls
        .iter()
        .flat_map(|r| match &r.outcome {
            PublishOutcome::Published { registrations, .. } => &registrations[..],
            PublishOutcome::Refused { .. } => &[],
        })
        .collect();
    let failed = elb::failed_registrations(registrations.iter().copied());
    if c.json {
        elb::none_failed(&failed, registrations.len(), "registration(s)")?;
        return Ok(Outcome::from_ok(!report.refused()));
    }
    let mut out = String::new();
    for (r, item) in report.crls.iter().zip(&req.items) {
        let url = &r.url;
        match &r.outcome {
            PublishOutcome::Refused { refusal: "preflight", .. } => {
                let _ = writeln!(out, "{}: REFUSED by preflight, nothing sent:", r.source);
                crate::support::checked::write_blocking(&mut out, &item.crl.findings, "");
            }
            PublishOutcome::Refused { message, .. } => {
                let _ = writeln!(out, "{url}: REFUSED, nothing registered: {}", message.as_deref().unwrap_or_default());
            }
            PublishOutcome::Published { upload, checked, registrations, .. } => {
                let said = match checked {
                    Some(c) if *upload == "uploaded" => format!("uploaded, {}", c.says()),
                    _ => "already there".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "{url}: {said} (CRL number {}, {} entries)",
                    r.crl_number.as_deref().unwrap_or("none"),
                    r.entries
                );
                for reg in registrations {
                    elb::registration_text(reg, url, &mut out);
                }
            }
        }
    }
    crate::support::output::print_stdout(&out)?;
    elb::none_failed(&failed, registrations.len(), "registration(s)")?;
    Ok(Outcome::from_ok(!report.refused()))
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
        assert!(p.plan && p.rotation.replace && p.to.is_prefix());
        assert!(
            config(&["publish", "a.crl", "--to", "s3://bkt/crl.pem", "--trust-store-arn", ARN]).is_err(),
            "a prefix"
        );
        assert!(config(&["publish", "a.crl", "--to", "file:///tmp/x/", "--trust-store-arn", ARN]).is_err(), "S3");
        assert!(config(&["publish", "-", "--to", "s3://bkt/p/", "--trust-store-arn", ARN]).is_err());
        assert!(config(&["publish", "a.crl", "--to", "s3://bkt/p/"]).is_err(), "an ARN is required");
    }
}
