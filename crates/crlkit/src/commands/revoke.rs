//! `crlkit revoke`: certificates revoked at AWS Private CA by serial, by certificate or from a
//! file of serials, each one reported (see `crlkit_ops::revoke` for the order of things).

use std::fmt::Write as _;
use std::path::PathBuf;

use crlkit_ops::revoke::{RevokeRequest, RevokeResult, RevokeTarget};
use crlkit_pca::{CaArn, Reason};
use crlkit_serial::{BareDigits, Serial};
use crlkit_upload::StoreOptions;

use crate::cli::args::{JsonArg, LeaseArgs, StoreArgs};
use crate::support::failure::Failure;
use crate::support::outcome::Outcome;
use crate::support::time::parse_duration;
use crate::support::{elb, store};

const ABOUT: &str = "Revoke certificates at AWS Private CA, by serial, by certificate or from a file of serials.";

const EXAMPLES: &str = "\
Serials are read in every form crlkit reads them (0a:1b:2c, 0x0A1B2C, 0A1B2C, `serial=0A1B2C`,
`4660 (0x1234)`; bare digits are hex unless --decimal) and sent in the colon-separated
hexadecimal form RevokeCertificate documents. Reasons as AWS names them (KEY_COMPROMISE) or as
RFC 5280 does (keyCompromise). Each serial is sent once, even when given twice.

A --cert is checked against the CA first (GetCertificateAuthorityCertificate: its issuer Name
and AKI against the CA's subject and SKI): a certificate of another CA, or the CA's own (any
self-signed one), is refused before anything is revoked. A serial already revoked
(RequestAlreadyProcessedException) is an answer, not a failure; throttling is retried.
RevokeCertificate also needs the caller's own write access to the CA's CRL bucket.

Private CA writes a new CRL about 30 minutes after a revocation. --wait finds the CA's CRL object
first (DescribeCertificateAuthority; for a partitioned CRL every partition), reads the CRL each
holds, revokes, then reads them every --poll-interval until every serial revoked is listed by a
CRL with a higher number than before (a partition's serials by their partition), and says how
long that took (exit 2, wait-timeout, after --timeout; the revocations stand).
`crlkit sync --from-ca` then takes it to the trust stores.

With --wait --sync --to PREFIX --trust-store-arn ARN..., the CRL that lists them then goes to the
trust stores as `crlkit sync --from-ca` takes it (verified against the CA's certificate and
chain, preflighted, uploaded, added, the older file removed): one command from valid to refused
by the load balancer, the time of each step printed (`took: revoke, wait, sync`).

Exit codes: 0 every serial revoked or already revoked (and, with --sync, every trust store up to
date), 1 some refused (another CA, the CA's own certificate, a negative serial, refused by
Private CA, or by the sync's checks), 2 error (the serials not sent are listed; a trust store
that failed), 75 with --sync: another run held the ledger's lease (it is doing the sync).

Examples:
  crlkit revoke --ca-arn arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f1e2d3c-aaaa-bbbb-cccc-123456789abc \\
      --serial 0a:1b:2c:3d --reason keyCompromise
  crlkit revoke --ca-arn ARN --cert client.pem --reason SUPERSEDED
  crlkit revoke --ca-arn ARN --serials-file leavers.txt --reason AFFILIATION_CHANGED --json
  crlkit revoke --ca-arn ARN --serial 0a1b2c --reason KEY_COMPROMISE --plan
  crlkit revoke --ca-arn ARN --cert client.pem --reason keyCompromise --wait --timeout 45m
  crlkit revoke --ca-arn ARN --cert client.pem --reason keyCompromise --wait \
      --sync --to s3://trust-crls/crl/ --trust-store-arn ARN-EU ARN-US";

/// `crlkit revoke` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The CA: arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID.
    #[arg(long, value_name = "ARN")]
    ca_arn: String,
    /// A serial to revoke (repeatable).
    #[arg(long, value_name = "SERIAL")]
    serial: Vec<String>,
    /// A certificate (PEM, one or many, or DER) whose serial to revoke, checked against the CA
    /// first (repeatable).
    #[arg(long, value_name = "CERT")]
    cert: Vec<PathBuf>,
    /// A file of serials, one per line (`#` comments and blank lines skipped; repeatable).
    #[arg(long, value_name = "FILE")]
    serials_file: Vec<PathBuf>,
    /// Read bare digits as decimal, not hex.
    #[arg(long)]
    decimal: bool,
    /// Why: KEY_COMPROMISE, CERTIFICATE_AUTHORITY_COMPROMISE, AFFILIATION_CHANGED, SUPERSEDED,
    /// CESSATION_OF_OPERATION, PRIVILEGE_WITHDRAWN, A_A_COMPROMISE, UNSPECIFIED, or RFC 5280's
    /// names (keyCompromise, ...).
    #[arg(long, value_name = "REASON")]
    reason: String,
    /// Print the `aws acm-pca revoke-certificate` commands; send nothing (no credentials needed).
    #[arg(long)]
    plan: bool,
    /// Then watch the CA's CRL (found from the CA) until a newer one lists every serial revoked,
    /// and say how long that took.
    #[arg(long, conflicts_with = "plan")]
    wait: bool,
    /// With --wait: give up after this long (exit 2; the revocations stand).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "45m", requires = "wait")]
    timeout: i64,
    /// With --wait: how often the CRL object is read (a HEAD; the object when it changed).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30s", requires = "wait")]
    poll_interval: i64,
    /// With --wait: then take that CRL to the trust stores (`crlkit sync --from-ca` in the same
    /// run, verified against the CA's certificate and chain): valid to refused in one command.
    #[arg(long, requires_all = ["wait", "to", "trust_store_arn"])]
    sync: bool,
    /// With --sync: the S3 prefix the PEM and the ledger go under (as for `sync --to`).
    #[arg(long, value_name = "URL", requires = "sync")]
    to: Option<String>,
    /// With --sync: the trust stores (each called in its ARN's region).
    #[arg(long, value_name = "ARN", num_args = 1.., requires = "sync")]
    trust_store_arn: Vec<String>,
    /// With --sync: the ELB endpoint (default: AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2, ...).
    #[arg(long, value_name = "URL", requires = "sync")]
    elb_endpoint_url: Option<String>,
    #[command(flatten)]
    lease: LeaseArgs,
    /// Private CA endpoint (default: AWS_ENDPOINT_URL_ACM_PCA, AWS_ENDPOINT_URL, the profile's).
    #[arg(long, value_name = "URL")]
    pca_endpoint_url: Option<String>,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    store: StoreArgs,
}

/// What `revoke` was asked to do.
pub struct Revoke {
    pub request: RevokeRequest,
    pub wait: Option<crlkit_ops::revoke::Watch>,
    pub sync: Option<SyncTo>,
    pub endpoint: Option<String>,
    pub plan: bool,
    pub json: bool,
    pub store: StoreOptions,
}

/// Where `--sync` takes the CRL.
pub struct SyncTo {
    pub to: crlkit_upload::Target,
    pub arns: Vec<crlkit_elb::TrustStoreArn>,
    pub elb_endpoint: Option<String>,
    pub lease: crlkit_elb::lease::LeaseOptions,
}

impl Args {
    pub fn config(self) -> Result<Revoke, Failure> {
        let sync = if self.sync {
            let to = store::target(self.to.as_deref().unwrap_or_default())?;
            if to.scheme() != crlkit_upload::Scheme::S3 || !to.is_prefix() {
                return Err(Failure::usage("--to: ELB reads S3: give a prefix, s3://bucket/prefix/"));
            }
            let mut arns: Vec<crlkit_elb::TrustStoreArn> = Vec::new();
            for a in &self.trust_store_arn {
                let arn = crlkit_elb::TrustStoreArn::parse(a).map_err(|e| elb::failure(&e))?;
                if !arns.contains(&arn) {
                    arns.push(arn);
                }
            }
            Some(SyncTo { to, arns, elb_endpoint: self.elb_endpoint_url.clone(), lease: self.lease.options()? })
        } else {
            None
        };
        let ca = CaArn::parse(&self.ca_arn).map_err(|e| Failure::new(e.code(), e.to_string()))?;
        let reason = Reason::parse(&self.reason).map_err(|e| Failure::usage(e.to_string()))?;
        let bare = if self.decimal { BareDigits::Dec } else { BareDigits::Hex };
        let parse = |text: &str, from: String| {
            Serial::parse(text.trim(), bare).map_err(|e| Failure::usage(format!("{from}: {e}")))
        };
        let mut targets = Vec::new();
        for s in &self.serial {
            let from = format!("--serial {s}");
            targets.push(RevokeTarget { serial: parse(s, from.clone())?, from, cert: None });
        }
        for file in &self.serials_file {
            let text = std::fs::read_to_string(file).map_err(|e| Failure::io(file.display(), &e))?;
            for (i, line) in text.lines().enumerate() {
                let line = line.split('#').next().unwrap_or("").trim();
                if line.is_empty() {
                    continue;
                }
                let from = format!("{}:{}", file.display(), i + 1);
                targets.push(RevokeTarget { serial: parse(line, from.clone())?, from, cert: None });
            }
        }
        for path in &self.cert {
            let read = crlkit_serial::certs::read_file(path);
            if read.items.is_empty() {
                return Err(Failure::new("not-a-certificate", format!("{}: no certificate in it", path.display())));
            }
            for item in read.items {
                let cert = item.map_err(|e| Failure::new("not-a-certificate", e.to_string()))?;
                targets.push(RevokeTarget {
                    serial: cert.serial.clone(),
                    from: cert.location.to_string(),
                    cert: Some(Box::new(cert)),
                });
            }
        }
        if targets.is_empty() {
            return Err(Failure::usage("nothing to revoke: give --serial, --cert or --serials-file"));
        }
        let secs = |s: i64| std::time::Duration::from_secs(s.max(1) as u64);
        Ok(Revoke {
            sync,
            request: RevokeRequest { ca, reason, targets },
            wait: self
                .wait
                .then(|| crlkit_ops::revoke::Watch { every: secs(self.poll_interval), timeout: secs(self.timeout) }),
            endpoint: self.pca_endpoint_url,
            plan: self.plan,
            json: self.json.json,
            store: self.store.options()?,
        })
    }
}

pub fn run(c: &Revoke) -> Result<Outcome, Failure> {
    if c.plan {
        elb::print_plan(&crlkit_ops::revoke::plan(&c.request), c.json)?;
        return Ok(Outcome::Positive);
    }
    let fail = |e: crlkit_ops::OpsError| store::ops_failure(&e);
    let mut timed_out = None;
    // A sync that failed after the revocations: the report is printed first, then the failure.
    let mut sync_failed = None;
    let report = crate::support::runtime::block_on(async {
        let elb_endpoint = c.sync.as_ref().and_then(|s| s.elb_endpoint.as_deref());
        let conn = crlkit_ops::connect::connect(&c.store, elb_endpoint).await.map_err(fail)?;
        let pca = conn.pca(c.endpoint.as_deref()).map_err(fail)?;
        let Some(watch) = &c.wait else {
            return crlkit_ops::revoke::revoke(&pca, &c.request).await.map_err(fail);
        };
        // The CRL is found, and what it holds read, before anything is revoked.
        let found = crlkit_ops::ca_crl::locate(&conn, &pca, &c.request.ca).await.map_err(fail)?;
        // Every partition of a partitioned CRL is watched: a serial is listed in the one its
        // certificate belongs to.
        let crls = conn.open(&found.prefix).await.map_err(fail)?;
        let keys: Vec<String> = found.objects.iter().map(|o| o.key().to_owned()).collect();
        let mut before = Vec::with_capacity(keys.len());
        for key in &keys {
            before.push(crlkit_ops::revoke::crl_now(&crls, key).await.map_err(fail)?);
        }
        let clock = std::time::Instant::now();
        let mut report = crlkit_ops::revoke::revoke(&pca, &c.request).await.map_err(fail)?;
        report.steps.push(("revoke", clock.elapsed().as_secs_f64()));
        let serials = report.revoked_serials();
        if report.failed().is_some() || serials.is_empty() {
            return Ok(report);
        }
        let clock = std::time::Instant::now();
        report.listed = crlkit_ops::revoke::wait_listed(&crls, &keys, &serials, &before, watch).await.map_err(fail)?;
        report.steps.push(("wait", clock.elapsed().as_secs_f64()));
        if report.listed.is_none() {
            let watched = if found.partitioned { found.prefix.url() } else { found.objects[0].url() };
            timed_out = Some((watched, watch.timeout.as_secs()));
            return Ok(report);
        }
        if let Some(s) = &c.sync {
            let bundle = found
                .bundle()
                .map_err(|e| Failure::new("bad-bundle", format!("{}'s certificate and chain: {e}", c.request.ca)))?;
            let req = crlkit_ops::sync::SyncRequest {
                from: found.objects[0].clone(),
                source_region: None,
                to: s.to.clone(),
                trust_stores: s.arns.clone(),
                bundle,
                preflight: crlkit_elb::preflight::Options::at(crate::support::time::now()),
                rotation: crlkit_ops::register::Rotation {
                    replace: true,
                    remove_first: false,
                    prune_foreign: false,
                    quotas: crlkit_elb::register::Quotas::default(),
                    now: elb::now_rfc3339(),
                },
                lease: s.lease.clone(),
            };
            let clock = std::time::Instant::now();
            let (syncs, error) = crlkit_ops::sync::sync_objects(&conn, &req, &found.objects).await;
            if found.partitioned {
                report.partition_syncs = syncs;
            } else {
                report.sync = syncs.into_iter().next();
            }
            report.steps.push(("sync", clock.elapsed().as_secs_f64()));
            sync_failed = error.map(fail);
        }
        Ok(report)
    })?;
    if c.json {
        crate::support::output::print_json(&report)?;
    } else {
        let mut out = String::new();
        for s in &report.serials {
            let from = s.from.join(", ");
            let said = match &s.result {
                RevokeResult::Revoked => format!("revoked ({})", report.reason),
                RevokeResult::AlreadyRevoked => "already revoked: nothing to do".to_owned(),
                RevokeResult::Refused { message, .. } => format!("REFUSED, nothing sent: {message}"),
                RevokeResult::Failed { code, message } => format!("FAILED ({code}): {message}"),
                RevokeResult::NotSent { .. } => "NOT SENT: the run stopped at the failure above".to_owned(),
            };
            let _ = writeln!(out, "{} ({from}): {said}", s.serial);
        }
        let revoked = report.count(|r| *r == RevokeResult::Revoked);
        let already = report.count(|r| *r == RevokeResult::AlreadyRevoked);
        let _ = writeln!(
            out,
            "{revoked} revoked, {already} already revoked, {} refused, {} failed or not sent at {}",
            report.count(|r| matches!(r, RevokeResult::Refused { .. })),
            report.count(|r| matches!(r, RevokeResult::Failed { .. } | RevokeResult::NotSent { .. })),
            report.ca_arn
        );
        match &report.listed {
            Some(l) => {
                let _ = writeln!(
                    out,
                    "{}: CRL number {} (thisUpdate {}) lists every one of them, seen {}s after the revocations",
                    l.crl_url,
                    l.crl_number.as_deref().unwrap_or("none"),
                    l.this_update,
                    l.waited_seconds
                );
            }
            None if revoked > 0 && c.wait.is_none() => {
                let _ =
                    writeln!(out, "Private CA writes the CRL that lists them in about 30 minutes (--wait watches it).");
            }
            None => {}
        }
        if let Some(l) = report.listed.as_ref().filter(|l| !l.partitions.is_empty()) {
            let _ = writeln!(out, "listed by the partition(s): {}", l.partitions.join(", "));
        }
        for sync in report.sync.iter().chain(&report.partition_syncs) {
            let _ = writeln!(
                out,
                "sync of {} to {}:",
                sync.source,
                sync.upload_url.as_deref().unwrap_or("the trust stores")
            );
            elb::trust_store_lines(sync, &mut out);
        }
        if !report.steps.is_empty() {
            let steps: Vec<String> = report.steps.iter().map(|(step, secs)| format!("{step} {secs:.1}s")).collect();
            let _ = writeln!(out, "took: {}", steps.join(", "));
        }
        crate::support::output::print_stdout(&out)?;
    }
    if let Some(code) = report.failed() {
        let first = report.serials.iter().find_map(|s| match &s.result {
            RevokeResult::Failed { message, .. } => Some(message.as_str()),
            _ => None,
        });
        let failed = report.count(|r| matches!(r, RevokeResult::Failed { .. } | RevokeResult::NotSent { .. }));
        return Err(Failure::new(
            code,
            format!(
                "{failed} of {} serial(s) failed or were not sent; the others are as reported (a rerun sends \
                 every serial again: those revoked answer \"already revoked\"). The first: {}",
                report.serials.len(),
                first.unwrap_or("not sent")
            ),
        ));
    }
    if let Some(e) = sync_failed {
        return Err(e);
    }
    if let Some((url, secs)) = timed_out {
        return Err(Failure::new(
            "wait-timeout",
            format!(
                "{url}: no newer CRL listing every serial within {secs}s; the revocations stand (Private CA writes \
                 the CRL about 30 minutes after a revocation, and retries every 15)"
            ),
        ));
    }
    // Listed, and another run holds the ledger's lease: it is doing the sync (exit 75).
    let syncs: Vec<&crlkit_ops::sync::SyncReport> = report.sync.iter().chain(&report.partition_syncs).collect();
    match elb::syncs_outcome(&syncs)? {
        Outcome::Positive => Ok(Outcome::from_ok(!report.refused())),
        busy_or_refused => Ok(busy_or_refused),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    fn config(args: &[&str]) -> Result<Revoke, Failure> {
        match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Revoke(a) => a.config(),
            _ => unreachable!(),
        }
    }

    const ARN: &str = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/abc";

    #[test]
    fn serials_reasons_and_arns_are_checked_before_anything_runs() {
        let c =
            config(&["revoke", "--ca-arn", ARN, "--serial", "0a:1b", "--serial", "99", "--reason", "keyCompromise"])
                .unwrap();
        assert_eq!(c.request.reason, Reason::KeyCompromise);
        let sent: Vec<String> = c.request.targets.iter().map(|t| crlkit_ops::revoke::api_serial(&t.serial)).collect();
        assert_eq!(sent, ["0a:1b", "99"], "bare digits are hex");
        let c = config(&["revoke", "--ca-arn", ARN, "--serial", "255", "--decimal", "--reason", "SUPERSEDED"]).unwrap();
        assert_eq!(crlkit_ops::revoke::api_serial(&c.request.targets[0].serial), "ff");
        let e = config(&["revoke", "--ca-arn", ARN, "--serial", "zz", "--reason", "SUPERSEDED"]).err().unwrap();
        assert!(e.message.contains("--serial zz"), "{}", e.message);
        let e = config(&["revoke", "--ca-arn", ARN, "--serial", "1", "--reason", "certificateHold"]).err().unwrap();
        assert_eq!(e.code, "usage");
        let e =
            config(&["revoke", "--ca-arn", "arn:aws:acm:x", "--serial", "1", "--reason", "SUPERSEDED"]).err().unwrap();
        assert_eq!(e.code, "bad-ca-arn");
        let e = config(&["revoke", "--ca-arn", ARN, "--reason", "SUPERSEDED"]).err().unwrap();
        assert!(e.message.contains("nothing to revoke"), "{}", e.message);
    }
}
