//! `crlkit upload CRL|DIR URL`: preflight, PEM, and a write that never lets a stale CRL replace
//! a fresh one (see `crlkit_upload::upload_crl`), checked on arrival or read back. A staged bundle
//! directory is verified whole (every SHA-256, the manifest itself, nothing missing or added)
//! before anything is sent.

use std::fmt::Write as _;

use crlkit_elb::partition::SetOptions;
use crlkit_ops::upload::{UploadOptions, UploadOutcome, UploadReport};
use crlkit_upload::Target;

use crate::cli::args::{JsonArg, PreflightArgs, StoreArgs};
use crate::support::checked::{print_warnings, write_blocking};
use crate::support::failure::Failure;
use crate::support::items::{Input, prepare_items};
use crate::support::outcome::Outcome;
use crate::support::{runtime, store};

const ABOUT: &str = "Upload a CRL (converted to PEM) or a staged bundle to S3, a directory or memory, safely.";

const EXAMPLES: &str = "\
Preflight runs first: blocking findings refuse the upload (exit 1) unless --force. The CRL is
sent as PEM (DER input is converted), exactly the bytes that were validated, with its facts as
object metadata (x-amz-meta-crlkit-*: issuer, AKI, CRL number, thisUpdate, nextUpdate, entries,
SHA-256) and its SHA-256 in x-amz-checksum-sha256, which S3 checks on arrival; it is read
back and compared before success is reported unless that check is trusted (--upload-check:
by default on AWS's own endpoints only).

A stale CRL never replaces a fresh one: if the key holds a CRL of the same issuer with a CRL
number at least as high (or a CRL of another issuer, or something that is not a CRL), the upload
is refused (exit 1) and both numbers are shown. Otherwise the write is conditional on what was
read (If-Match on S3; a lock on file://), so racing uploaders cannot leave the older CRL in
place. The same bytes again: nothing is sent (exit 0).

URL: s3://bucket/key, or a prefix ending in / (the key is then the file's name with .pem);
file:///dir/ for a local directory (no cloud at all); memory:// (this process only). A staged
bundle (crlkit stage) goes under a prefix, each file at the key the manifest names; so do many
CRLs (several files, or a directory without a manifest), each at its relative name with .pem.
The partitions of one CA (same issuer and AKI, an IDP each) go as one set: preflight checks the
set (quotas, freshness, one CRL-number generation, no IDP or serial twice), and every partition
is checked against what its key holds before the first is sent; if any would be refused, none
is. Should a write fail part-way, the error lists exactly which objects are stored and which not.
Credentials, region and endpoint resolve as for the AWS CLI (AWS_PROFILE/--profile, SSO,
credential_process, AWS_ENDPOINT_URL_S3/--endpoint-url, ...).
Exit codes: 0 uploaded or already there, 1 refused (preflight, or not newer), 2 error.

Examples:
  crlkit upload pca.crl s3://my-crls/crl/ --ca ca.pem
  crlkit upload ca.pem s3://my-crls/crl/ca.pem --profile prod --sse aws:kms
  crlkit upload staged/ s3://my-crls/
  crlkit upload partitions/ s3://my-crls/crl/      every CRL under partitions/, as PEM
  crlkit upload ca.crl file:///srv/crls/ --json";

/// `crlkit upload` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The CRL (DER or PEM file, `-` for stdin), a bundle directory made by `crlkit stage`, or
    /// several CRL files and directories (walked for .crl, .der, .pem) to go under a prefix.
    #[arg(value_name = "CRL|DIR", required = true, num_args = 1..)]
    inputs: Vec<String>,
    /// Where it goes: s3://bucket/key, s3://bucket/prefix/, file:///dir/, memory://name/.
    #[arg(value_name = "URL")]
    url: String,
    #[command(flatten)]
    checks: PreflightArgs,
    /// Upload despite blocking preflight findings, and replace whatever the key holds (still
    /// conditionally on what was read).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    store: StoreArgs,
}

/// What `upload` was asked to do.
pub struct Upload {
    pub input: Input,
    pub target: Target,
    pub checks: PreflightArgs,
    pub force: bool,
    pub json: bool,
    pub store: crlkit_upload::StoreOptions,
}

impl Args {
    pub fn config(self) -> Result<Upload, Failure> {
        let target = store::target(&self.url)?;
        let input = Input::parse_all(&self.inputs, &target)?;
        Ok(Upload {
            input,
            target,
            checks: self.checks,
            force: self.force,
            json: self.json.json,
            store: self.store.options()?,
        })
    }
}

pub fn run(c: &Upload) -> Result<Outcome, Failure> {
    let bundle = c.checks.bundle()?;
    let at = c.checks.at.or_now();
    let items = prepare_items(&c.input, &c.target, c.checks.quota.max_entries, bundle.as_ref(), at)?;
    let sets = SetOptions::at(at).with_max_entries(c.checks.quota.max_entries);
    let opts = UploadOptions { force: c.force, sets };
    let report = runtime::block_on(async {
        let store = crlkit_ops::open_store(&c.target, &c.store).await.map_err(|e| store::ops_failure(&e))?;
        crlkit_ops::upload::upload(&store, &items, &opts).await.map_err(|e| store::ops_failure(&e))
    })?;
    print_warnings(report.uploads.iter().map(|u| (u.source.as_str(), &u.preflight[..])));
    if c.json {
        crate::support::output::print_json(&report)?;
    } else {
        crate::support::output::print_stdout(&text(&report))?;
    }
    Ok(Outcome::from_ok(!report.refused()))
}

fn text(report: &UploadReport) -> String {
    let mut out = String::new();
    for u in &report.uploads {
        let url = &u.url;
        let number = u.crl_number.as_deref().unwrap_or("none");
        match &u.outcome {
            UploadOutcome::Refused { refusal, .. } if refusal == "preflight" => {
                let _ = writeln!(out, "{url}: REFUSED by preflight (--force uploads anyway):");
                write_blocking(&mut out, &u.preflight, "");
            }
            UploadOutcome::Refused { refusal, message } if refusal == "set" => {
                let _ = writeln!(out, "{url}: NOT uploaded: {}", message.as_deref().unwrap_or_default());
            }
            UploadOutcome::Refused { message, .. } => {
                let _ = writeln!(out, "{url}: REFUSED: {}", message.as_deref().unwrap_or_default());
            }
            UploadOutcome::Identical { .. } => {
                let _ = writeln!(out, "{url}: already holds this CRL (number {number}); nothing uploaded");
            }
            UploadOutcome::Uploaded { etag, version, replaced_crl_number, replaced, checked, .. } => {
                let replaced = if *replaced {
                    format!(", replaced number {}", replaced_crl_number.as_deref().unwrap_or("none"))
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "{url}: uploaded CRL number {number} ({} entries, {} bytes, {}{replaced}); ETag {}{}",
                    u.entries,
                    u.size,
                    checked.says(),
                    etag.as_deref().unwrap_or("-"),
                    version.as_deref().map_or(String::new(), |v| format!(", version {v}"))
                );
            }
        }
    }
    for s in &report.sets {
        let verdict = if s.stored { "stored whole" } else { "NOT stored (none of it was sent)" };
        let _ = writeln!(out, "partitioned set of {} CRL(s) of {}: {verdict}", s.urls.len(), s.issuer);
        write_blocking(&mut out, &s.preflight, "");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    fn config(args: &[&str]) -> Result<Upload, Failure> {
        match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Upload(a) => a.config(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags() {
        let u =
            config(&["upload", "a.crl", "s3://bucket/crl/", "--sse", "aws:kms", "--bucket-key", "--force"]).unwrap();
        assert!(u.force && u.target.is_prefix());
        assert_eq!(u.store.sse, crlkit_upload::Sse::Kms { key_id: None, bucket_key: true });
        assert!(config(&["upload", "a.crl", "s3://bucket/x", "--bucket-key"]).is_err(), "needs --sse aws:kms");
        assert!(config(&["upload", "-", "s3://bucket/crl/"]).is_err(), "stdin needs a key");
        assert!(config(&["upload", "a.crl", "ftp://x/y"]).is_err());
        let u = config(&[
            "upload",
            "a.crl",
            "s3://bucket/k.pem",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "eu-west-1",
        ])
        .unwrap();
        assert_eq!(u.store.aws.endpoint.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(u.store.aws.region.as_deref(), Some("eu-west-1"));
    }
}
