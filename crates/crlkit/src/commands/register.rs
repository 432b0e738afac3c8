//! `crlkit register`: add a PEM CRL object to trust stores, check ELB's count against
//! crlkit's, and with `--replace` retire the older files of the same issuer (see
//! `crlkit_elb::register` for the order of things).

use crlkit_elb::ledger::LedgerStore;
use crlkit_ops::register::{RegisterRequest, Rotation};
use crlkit_upload::{StoreOptions, Target};

use crate::cli::args::{ElbArgs, JsonArg, LeaseArgs, MaxEntriesArg, StoreArgs};
use crate::support::failure::Failure;
use crate::support::outcome::Outcome;
use crate::support::{elb, store};

const ABOUT: &str = "Register a PEM CRL in S3 with ELB trust stores, optionally replacing the issuer's older CRL.";

const EXAMPLES: &str = "\
ELB reads the object once, when it is added, and never again: refreshing a CRL means adding the
new file and removing the old one. crlkit first reads the object itself (it must be one PEM CRL
of at most 50 MB) and counts its entries; after the add, ELB's NumberOfRevokedEntries must be
that count (a mismatch is an error, exit 2, and nothing old is removed).

The ledger (<prefix>/.crlkit/ledger.json beside the object, or --ledger) records which
revocation ID came from which object, because ELB never says. Registering the same CRL again is
a no-op that reports the existing ID. With --replace, the IDs the ledger ties to the same issuer
are removed after the add succeeded and its count matched; IDs the ledger does not know are never
removed, only listed.

Before any add the live trust store is checked against the quotas: TotalRevokedEntries plus the
new entries at most 500,000 (--max-entries), files at most 30 (--max-files); during a swap old
and new both count. A swap that cannot fit is refused (exit 1) unless --remove-first.
One run at a time per ledger: a lease beside it is taken first (--lease-wait, --lease-ttl, as for
sync).
Exit codes: 0 registered or already there, 1 refused (quota, not newer), 2 error, 75 another run
held the ledger's lease throughout --lease-wait (nothing done).

Examples:
  crlkit register --trust-store-arn arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/mtls/0a1b2c3d4e5f6a7b \\
      --object s3://my-crls/crl/ca.pem --replace
  crlkit register --trust-store-arn ARN1 ARN2 --object s3://my-crls/crl/ca.pem --object-version 3HL4kqtJlcpXroDTDmJ
  crlkit register --trust-store-arn ARN --object s3://my-crls/crl/ca.pem --plan";

/// `crlkit register` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The PEM CRL object: s3://bucket/key.
    #[arg(long, value_name = "URL")]
    object: String,
    /// The object version (versioned buckets; default: the current version, pinned).
    #[arg(long, value_name = "VERSION")]
    object_version: Option<String>,
    /// Remove the older files of the same issuer (by the ledger) after the add.
    #[arg(long)]
    replace: bool,
    #[command(flatten)]
    quota: MaxEntriesArg,
    /// The ledger: an object URL, or a prefix ending in / (default: beside the object).
    #[arg(long, value_name = "URL")]
    ledger: Option<String>,
    #[command(flatten)]
    elb: ElbArgs,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    lease: LeaseArgs,
}

/// What `register` was asked to do.
pub struct Register {
    pub request: RegisterRequest,
    pub elb_endpoint: Option<String>,
    pub plan: bool,
    pub json: bool,
    pub store: StoreOptions,
}

/// The ledger target: `--ledger` (an object, or a prefix), else beside `object`.
pub fn ledger_target(flag: Option<&str>, object: &Target) -> Result<Target, Failure> {
    let url = match flag {
        Some(u) if u.ends_with('/') => format!("{u}{}", crlkit_elb::ledger::LEDGER_NAME),
        Some(u) => u.to_owned(),
        None => object.url_of(&LedgerStore::key_for_object(object.key())),
    };
    let t = store::target(&url)?;
    if t.is_prefix() {
        return Err(Failure::usage(format!("{url}: the ledger is an object")));
    }
    Ok(t)
}

impl Args {
    pub fn config(self) -> Result<Register, Failure> {
        let object = store::target(&self.object)?;
        if object.scheme() != crlkit_upload::Scheme::S3 || object.is_prefix() {
            return Err(Failure::usage(format!("{}: ELB reads S3 objects: give s3://bucket/key", self.object)));
        }
        if self.elb.remove_first && !self.replace {
            return Err(Failure::usage("--remove-first is for --replace swaps"));
        }
        Ok(Register {
            request: RegisterRequest {
                arns: self.elb.arns()?,
                ledger: ledger_target(self.ledger.as_deref(), &object)?,
                object,
                version: self.object_version,
                rotation: Rotation {
                    replace: self.replace,
                    remove_first: self.elb.remove_first,
                    prune_foreign: self.elb.prune_foreign,
                    quotas: self.elb.quotas(self.quota),
                    now: elb::now_rfc3339(),
                },
                lease: self.lease.options()?,
            },
            elb_endpoint: self.elb.elb_endpoint_url.clone(),
            plan: self.elb.plan,
            json: self.json.json,
            store: self.store.options()?,
        })
    }
}

pub fn run(c: &Register) -> Result<Outcome, Failure> {
    if c.plan {
        let plan = crate::support::runtime::block_on(async {
            crlkit_ops::register::plan(&c.request).await.map_err(|e| store::ops_failure(&e))
        })?;
        elb::print_plan(&plan, c.json)?;
        return Ok(Outcome::Positive);
    }
    let report = crate::support::runtime::block_on(async {
        let conn = crlkit_ops::connect::connect(&c.store, c.elb_endpoint.as_deref()).await;
        let conn = conn.map_err(|e| store::ops_failure(&e))?;
        crlkit_ops::register::register(&conn, &c.request).await.map_err(|e| store::ops_failure(&e))
    })?;
    if c.json {
        crate::support::output::print_json(&report)?;
    } else if let Some(holder) = &report.lease_held_by {
        crate::support::output::print_stdout(&elb::lease_held_text(&report.object, holder))?;
    } else {
        let mut out = String::new();
        for r in &report.registrations {
            elb::registration_text(r, &report.object, &mut out);
        }
        crate::support::output::print_stdout(&out)?;
    }
    if report.lease_held_by.is_some() {
        return Ok(Outcome::Busy);
    }
    elb::none_failed(&elb::failed_registrations(&report.registrations), report.registrations.len(), "trust store(s)")?;
    Ok(Outcome::from_ok(!report.registrations.iter().any(|r| r.refused())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    const ARN: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/t/0123456789abcdef";

    fn config(args: &[&str]) -> Result<Register, Failure> {
        match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Register(a) => a.config(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags() {
        let r =
            config(&["register", "--trust-store-arn", ARN, "--object", "s3://bkt/crl/ca.pem", "--replace"]).unwrap();
        assert_eq!(r.request.ledger.url(), "s3://bkt/crl/.crlkit/ledger.json");
        assert_eq!((r.request.rotation.quotas.max_entries, r.request.rotation.quotas.max_files), (500_000, 30));
        let r = config(&[
            "register",
            "--trust-store-arn",
            ARN,
            ARN,
            "--object",
            "s3://bkt/ca.pem",
            "--ledger",
            "s3://ldg/x/",
            "--max-entries",
            "1000000",
            "--max-files",
            "50",
        ])
        .unwrap();
        assert_eq!(
            (
                r.request.arns.len(),
                r.request.ledger.url().as_str(),
                r.request.rotation.quotas.max_entries,
                r.request.rotation.quotas.max_files
            ),
            (1, "s3://ldg/x/.crlkit/ledger.json", 1_000_000, 50)
        );
        assert!(config(&["register", "--trust-store-arn", "nope", "--object", "s3://bkt/k"]).is_err());
        assert!(config(&["register", "--trust-store-arn", ARN, "--object", "file:///tmp/k"]).is_err(), "ELB reads S3");
        assert!(config(&["register", "--trust-store-arn", ARN, "--object", "s3://bkt/"]).is_err());
        assert!(config(&["register", "--trust-store-arn", ARN, "--object", "s3://bkt/k", "--remove-first"]).is_err());
        assert!(config(&["register", "--object", "s3://bkt/k"]).is_err(), "an ARN is required");
    }
}
