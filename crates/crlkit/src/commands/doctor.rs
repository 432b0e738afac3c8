//! `crlkit doctor`: a Private CA's CRL distribution checked from the CA to the trust stores, a
//! line per check (see `crlkit_ops::doctor` for what each reads).

use std::fmt::Write as _;

use crlkit_ops::doctor::{CheckStatus, DoctorReport, DoctorRequest};
use crlkit_pca::CaArn;
use crlkit_upload::StoreOptions;

use crate::cli::args::{AtArg, JsonArg, MaxEntriesArg, StoreArgs};
use crate::support::failure::Failure;
use crate::support::outcome::Outcome;
use crate::support::{elb, store};

const ABOUT: &str = "Check a Private CA's CRL distribution end to end: CA, bucket, policy, ACLs, CRLs, trust stores.";

const EXAMPLES: &str = "\
One line per check, each with a stable code (docs/ERRORS.md, `doctor`):
  ca               the CA is ACTIVE (ca-not-active)
  crl-distribution CRL distribution is on, with a bucket (crl-disabled)
  bucket           the bucket exists (bucket-missing, bucket-unreachable)
  bucket-policy    acm-pca.amazonaws.com may s3:PutObject, s3:PutObjectAcl, s3:GetBucketAcl and
                   s3:GetBucketLocation for this CA, scoped by aws:SourceAccount/aws:SourceArn
                   (policy-missing, policy-lacks-actions, policy-without-conditions)
  object-acl       S3ObjectAcl PUBLIC_READ against Block Public Access and Object Ownership
                   (public-read-blocked, acls-disabled): the classic silent failure
  permission-test  Private CA's acm-pca-permission-test object is there (permission-test-missing)
  crl              each CRL object (every partition of a partitioned CRL): valid, signed by this
                   CA, before its nextUpdate (crl-missing, crl-invalid, crl-wrong-signer, crl-stale)
  caller-write     you may write to the bucket, which RevokeCertificate needs (an empty object
                   written and deleted under the CRL path; --no-write-probe skips it)
  trust-store      each --trust-store-arn holds this CA's newest CRL, every partition
                   (trust-store-lacks-crl, trust-store-stale, partition-missing)
  quota            revoked entries and files left under 10 % (quota-low)

Exit codes: 0 everything as it should be, 1 something wrong, 2 something could not be checked
(or the CA could not be described).

Examples:
  crlkit doctor --ca-arn arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f1e2d3c-aaaa-bbbb-cccc-123456789abc
  crlkit doctor --ca-arn ARN --trust-store-arn ARN-EU ARN-US --json
  crlkit doctor --ca-arn ARN --no-write-probe";

/// `crlkit doctor` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The CA: arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID.
    #[arg(long, value_name = "ARN")]
    ca_arn: String,
    /// Trust stores that should hold the CA's CRL (each called in its ARN's region).
    #[arg(long, value_name = "ARN", num_args = 1..)]
    trust_store_arn: Vec<String>,
    /// Do not write (and delete) the empty probe object that tells whether you may write to the
    /// CRL bucket.
    #[arg(long)]
    no_write_probe: bool,
    #[command(flatten)]
    at: AtArg,
    #[command(flatten)]
    quota: MaxEntriesArg,
    /// Revocation files per trust store, if AWS raised the quota from 30.
    #[arg(long, value_name = "N", default_value = "30")]
    max_files: u64,
    /// Private CA endpoint (default: AWS_ENDPOINT_URL_ACM_PCA, AWS_ENDPOINT_URL, the profile's).
    #[arg(long, value_name = "URL")]
    pca_endpoint_url: Option<String>,
    /// ELB endpoint (default: AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, AWS_ENDPOINT_URL, ...).
    #[arg(long, value_name = "URL")]
    elb_endpoint_url: Option<String>,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    store: StoreArgs,
}

/// What `doctor` was asked to check.
pub struct Doctor {
    request: DoctorRequest,
    pca_endpoint: Option<String>,
    elb_endpoint: Option<String>,
    json: bool,
    store: StoreOptions,
}

impl Args {
    pub fn config(self) -> Result<Doctor, Failure> {
        let ca = CaArn::parse(&self.ca_arn).map_err(|e| Failure::new(e.code(), e.to_string()))?;
        let mut trust_stores: Vec<crlkit_elb::TrustStoreArn> = Vec::new();
        for a in &self.trust_store_arn {
            let arn = crlkit_elb::TrustStoreArn::parse(a).map_err(|e| elb::failure(&e))?;
            if !trust_stores.contains(&arn) {
                trust_stores.push(arn);
            }
        }
        Ok(Doctor {
            request: DoctorRequest {
                ca,
                trust_stores,
                at: self.at.or_now(),
                quotas: crlkit_elb::register::Quotas {
                    max_entries: self.quota.max_entries.unwrap_or(crlkit_elb::quotas::MAX_REVOKED_ENTRIES),
                    max_files: self.max_files,
                },
                write_probe: !self.no_write_probe,
            },
            pca_endpoint: self.pca_endpoint_url,
            elb_endpoint: self.elb_endpoint_url,
            json: self.json.json,
            store: self.store.options()?,
        })
    }
}

pub fn run(c: &Doctor) -> Result<Outcome, Failure> {
    let fail = |e: crlkit_ops::OpsError| store::ops_failure(&e);
    let report = crate::support::runtime::block_on(async {
        let conn = crlkit_ops::connect::connect(&c.store, c.elb_endpoint.as_deref()).await.map_err(fail)?;
        let pca = conn.pca(c.pca_endpoint.as_deref()).map_err(fail)?;
        crlkit_ops::doctor::doctor(&conn, &pca, &c.request).await.map_err(fail)
    })?;
    if c.json {
        crate::support::output::print_json(&report)?;
    } else {
        crate::support::output::print_stdout(&text(&report))?;
    }
    if report.wrong > 0 {
        return Ok(Outcome::Negative);
    }
    if report.unchecked > 0 {
        return Err(Failure::new(
            "doctor-unchecked",
            format!("{} check(s) could not be made (the report says why); nothing found wrong", report.unchecked),
        ));
    }
    Ok(Outcome::Positive)
}

fn text(r: &DoctorReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", r.ca_arn);
    for c in &r.checks {
        let mark = match c.status {
            CheckStatus::Ok => "ok",
            CheckStatus::Wrong => "WRONG",
            CheckStatus::Unchecked => "unchecked",
            CheckStatus::Skipped => "skipped",
        };
        let on = c.subject.as_deref().map(|s| format!(" {s}:")).unwrap_or_default();
        let _ = writeln!(out, "  {mark:<9} {:<16} [{}]{on} {}", c.check, c.code, c.message);
    }
    let verdict = match (r.wrong, r.unchecked) {
        (0, 0) => "everything as it should be".to_owned(),
        (0, u) => format!("{u} check(s) could not be made"),
        (w, 0) => format!("{w} thing(s) wrong"),
        (w, u) => format!("{w} thing(s) wrong, {u} check(s) could not be made"),
    };
    let _ = writeln!(out, "{verdict}");
    out
}
