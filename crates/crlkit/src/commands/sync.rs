//! `crlkit sync`: the scheduled (or event-driven) job that keeps trust stores on a CA's newest
//! CRL; a thin face over `crlkit_ops::sync::sync`, which a Lambda handler can call as well.

use std::fmt::Write as _;

use crlkit_elb::TrustStoreArn;
use crlkit_ops::register::Rotation;
use crlkit_upload::{StoreOptions, Target};

use crate::cli::args::{AtArg, ElbArgs, JsonArg, LeaseArgs, MaxEntriesArg, StoreArgs};
use crate::support::failure::Failure;
use crate::support::outcome::Outcome;
use crate::support::{elb, store};

const ABOUT: &str = "Pull a CA's CRL, verify it, and bring trust stores up to date with it (idempotent).";

const EXAMPLES: &str = "\
The job to run on a schedule, or on Private CA's `ACM Private CA CRL Generation` event:
  1. HEAD the source; if every trust store's registration came from this very object (its ETag
     or version is in the ledger), stop: nothing is downloaded, nothing changes.
  2. Download, validate, verify against --ca, preflight (blocking findings refuse, exit 1).
  3. Skip trust stores that hold a CRL of this issuer with a number at least as high.
  4. Upload the PEM under --to (never over a newer CRL; checked), then register it with
     --replace in every remaining trust store (each in its ARN's region): the older file is
     removed after the add, within the quotas.
Run it twice: the second run changes nothing and says so. A run that failed part-way (a remove
that did not go through, one trust store of several failing) is finished by the next one.
One run at a time per ledger: a lease beside it (.crlkit/lease.json) is taken first; a run that
finds it held waits up to --lease-wait for the other run, which is doing the same work.
Exit codes: 0 up to date (changed or not), 1 refused (verification, preflight, quota), 2 error
(the whole report first: what each trust store did), 75 another run held the lease throughout
--lease-wait (nothing done: that run is doing it).

Examples:
  crlkit sync --from s3://pca-crls/crl/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d.crl --ca ca.pem \\
      --to s3://my-crls/crl/ --trust-store-arn ARN-EU ARN-US
  crlkit sync --from s3://pca-crls/crl/ID.crl --source-region eu-west-1 --region us-east-1 --ca ca.pem \
      --to s3://my-crls/crl/ --trust-store-arn ARN
  crlkit sync --from s3://pca-crls/crl/ID.crl --ca ca.pem --to s3://my-crls/crl/ --trust-store-arn ARN --plan
  crlkit sync --from-ca arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/ID \
      --to s3://my-crls/crl/ --trust-store-arn ARN
  crlkit sync --fleet fleet.toml --plan
  crlkit sync --fleet fleet.toml --json

--from-ca finds the CRL object from the CA (DescribeCertificateAuthority: its bucket, CustomPath
and id) and, without --ca, verifies against the CA's certificate and chain as Private CA gives
them (GetCertificateAuthorityCertificate). For a partitioned CRL it takes every partition under
the path that this CA signed (Private CA names them by GUID) and syncs each as its own slot, in
turn, each replacing only its own older file; --json then prints one sync report per partition
under `partitions` (docs/JSON.md).

--fleet syncs every CA of a fleet file (docs/FLEET.md: Private CAs by ARN, other CAs by CRL
object and bundle, each with its prefix and trust stores in any regions), CAs under different
prefixes side by side, those sharing a prefix (one ledger, one lease) in turn. A CA that fails
is reported and the others go on; exit 2 after the whole report.";

/// `crlkit sync` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
#[command(mut_arg("trust_store_arns", |a| a.required(false).required_unless_present("fleet")))]
pub struct Args {
    /// Every CA of a fleet file (docs/FLEET.md), each to its own trust stores, side by side.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from", "from_ca", "ca", "to", "trust_store_arns", "source_region"])]
    fleet: Option<std::path::PathBuf>,
    /// The CA's CRL object (AWS Private CA: s3://BUCKET/crl/CA-ID.crl).
    #[arg(long, value_name = "URL", required_unless_present_any = ["from_ca", "fleet"], conflicts_with = "from_ca")]
    from: Option<String>,
    /// An AWS Private CA whose CRL object (and, without --ca, certificates) to find from its ARN.
    #[arg(long, value_name = "ARN")]
    from_ca: Option<String>,
    /// Private CA endpoint for --from-ca and --fleet (default: AWS_ENDPOINT_URL_ACM_PCA,
    /// AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL")]
    pca_endpoint_url: Option<String>,
    /// The region of --from's bucket, as the AWS CLI's `s3 cp --source-region` [default: as S3
    /// says it (an unsigned HeadBucket), else the run's]; --to stays in the run's region.
    #[arg(long, value_name = "REGION")]
    source_region: Option<String>,
    /// The CA bundle the CRL must verify against [with --from-ca, default: the CA's
    /// certificate and chain from Private CA].
    #[arg(long, value_name = "BUNDLE", required_unless_present_any = ["from_ca", "fleet"])]
    ca: Option<std::path::PathBuf>,
    /// The S3 prefix the PEM and the ledger go under (ending in /).
    #[arg(long, value_name = "URL", required_unless_present = "fleet")]
    to: Option<String>,
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
    #[command(flatten)]
    lease: LeaseArgs,
}

/// What `sync` was asked to do.
pub struct Sync {
    pub from: Source,
    pub source_region: Option<String>,
    pub ca: Option<std::path::PathBuf>,
    /// `--to` (absent with `--fleet`: each CA names its own).
    pub to: Option<Target>,
    pub arns: Vec<TrustStoreArn>,
    pub rotation: Rotation,
    pub at: i64,
    pub elb_endpoint: Option<String>,
    pub plan: bool,
    pub json: bool,
    pub store: StoreOptions,
    pub lease: crlkit_elb::lease::LeaseOptions,
}

impl Sync {
    /// Preflight at `--at`, against `--max-entries`.
    fn preflight(&self) -> crlkit_elb::preflight::Options {
        let mut preflight = crlkit_elb::preflight::Options::at(self.at);
        preflight.max_entries = self.rotation.quotas.max_entries;
        preflight
    }
}

/// Where the CRL is read.
pub enum Source {
    /// `--from`.
    Object(Target),
    /// `--from-ca`, and `--pca-endpoint-url`.
    Ca(crlkit_pca::CaArn, Option<String>),
    /// `--fleet` (read and checked), its file's name, and `--pca-endpoint-url`.
    Fleet(crlkit_ops::fleet::Fleet, String, Option<String>),
}

/// Read and check a fleet file; a mistake is named with the file and line.
fn read_fleet(path: &std::path::Path) -> Result<crlkit_ops::fleet::Fleet, Failure> {
    use crlkit_ops::fleet::{Origin, parse};
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::new("not-found", format!("--fleet {}: {e}", path.display())))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    parse(&text, Origin::Dir(dir)).map_err(|e| Failure::new("bad-fleet", format!("{}: {e}", path.display())))
}

impl Args {
    pub fn config(self) -> Result<Sync, Failure> {
        if self.pca_endpoint_url.is_some() && self.from_ca.is_none() && self.fleet.is_none() {
            return Err(Failure::usage("--pca-endpoint-url goes with --from-ca or --fleet"));
        }
        let from = match (&self.fleet, &self.from, &self.from_ca) {
            (Some(path), _, _) => {
                Source::Fleet(read_fleet(path)?, path.display().to_string(), self.pca_endpoint_url.clone())
            }
            (None, Some(url), _) => {
                let from = store::target(url)?;
                if from.is_prefix() {
                    return Err(Failure::usage(format!("--from {url}: name the CRL object, not a prefix")));
                }
                Source::Object(from)
            }
            (None, None, Some(arn)) => {
                if self.elb.plan {
                    return Err(Failure::usage(
                        "--plan with --from-ca: finding the CRL takes a call to Private CA; give --from (and --ca)",
                    ));
                }
                let ca = crlkit_pca::CaArn::parse(arn).map_err(|e| Failure::new(e.code(), e.to_string()))?;
                Source::Ca(ca, self.pca_endpoint_url.clone())
            }
            (None, None, None) => return Err(Failure::usage("give --from, --from-ca or --fleet")),
        };
        // A fleet names each CA's prefix and trust stores itself.
        let to = match &self.to {
            Some(to_url) => Some({
                let to = store::target(to_url)?;
                if to.scheme() != crlkit_upload::Scheme::S3 || !to.is_prefix() {
                    return Err(Failure::usage(format!(
                        "--to {to_url}: ELB reads S3: give a prefix, s3://bucket/prefix/"
                    )));
                }
                to
            }),
            None => None,
        };
        Ok(Sync {
            from,
            source_region: self.source_region,
            ca: self.ca,
            to,
            arns: self.elb.arns()?,
            rotation: Rotation {
                replace: true,
                remove_first: self.elb.remove_first,
                prune_foreign: self.elb.prune_foreign,
                quotas: self.elb.quotas(self.quota),
                now: elb::now_rfc3339(),
            },
            at: self.at.or_now(),
            elb_endpoint: self.elb.elb_endpoint_url.clone(),
            plan: self.elb.plan,
            json: self.json.json,
            store: self.store.options()?,
            lease: self.lease.options()?,
        })
    }
}

pub fn run(c: &Sync) -> Result<Outcome, Failure> {
    use crlkit_ops::sync::SyncRequest;
    let fail = |e: crlkit_ops::OpsError| store::ops_failure(&e);
    if let Source::Fleet(fleet, name, endpoint) = &c.from {
        return run_fleet(c, fleet, name, endpoint.as_deref());
    }
    let (froms, bundle, bundle_name, partitioned) = match &c.from {
        Source::Fleet(..) => unreachable!("handled above"),
        Source::Object(from) => {
            let ca = c.ca.as_deref().expect("clap requires --ca with --from");
            (vec![from.clone()], crate::support::certs::load_bundle(ca)?, ca.display().to_string(), None)
        }
        Source::Ca(arn, endpoint) => {
            let found = crate::support::runtime::block_on(async {
                let conn = crlkit_ops::connect::connect(&c.store, None).await.map_err(fail)?;
                let pca = conn.pca(endpoint.as_deref()).map_err(fail)?;
                crlkit_ops::ca_crl::locate(&conn, &pca, arn).await.map_err(fail)
            })?;
            let (bundle, name) = match &c.ca {
                Some(ca) => (crate::support::certs::load_bundle(ca)?, ca.display().to_string()),
                None => {
                    let name = format!("{arn}'s certificate and chain");
                    let bundle = found.bundle().map_err(|e| Failure::new("bad-bundle", format!("{name}: {e}")))?;
                    (bundle, name)
                }
            };
            let partitioned = found.partitioned.then(|| arn.clone());
            (found.objects, bundle, name, partitioned)
        }
    };
    let certificates = bundle.certs().len();
    let req = SyncRequest {
        from: froms[0].clone(),
        source_region: c.source_region.clone(),
        to: c.to.clone().expect("clap requires --to without --fleet"),
        trust_stores: c.arns.clone(),
        bundle,
        preflight: c.preflight(),
        rotation: c.rotation.clone(),
        lease: c.lease.clone(),
    };
    if c.plan {
        let mut plan = crate::support::runtime::block_on(async { crlkit_ops::sync::plan(&req).await.map_err(fail) })?;
        plan.offline_checks.push(format!("CA bundle {bundle_name}: {certificates} certificate(s)"));
        elb::print_plan(&plan, c.json)?;
        return Ok(Outcome::Positive);
    }
    // Each partition is its own slot, synced in turn (each run holds the ledger's lease); a run
    // that fails part-way prints what the partitions before it did, and a rerun finishes.
    let (reports, mut error) = crate::support::runtime::block_on(async {
        let conn = crlkit_ops::connect::connect(&c.store, c.elb_endpoint.as_deref()).await.map_err(fail)?;
        let (reports, error) = crlkit_ops::sync::sync_objects(&conn, &req, &froms).await;
        Ok::<_, Failure>((reports, error.map(fail)))
    })?;
    if reports.is_empty()
        && let Some(e) = error.take()
    {
        return Err(e);
    }
    match &partitioned {
        Some(arn) if c.json => crate::support::output::print_json(&serde_json::json!({
            "ca_arn": arn.as_str(),
            "crl_type": "PARTITIONED",
            "partitions": reports,
        }))?,
        None if c.json => crate::support::output::print_json(&reports[0])?,
        _ => {
            let mut out = String::new();
            if let Some(arn) = &partitioned {
                let _ = writeln!(
                    out,
                    "{arn}: a partitioned CRL, {} partition(s), each synced as its own slot",
                    froms.len()
                );
            }
            for r in &reports {
                out.push_str(&text(r, &bundle_name));
            }
            crate::support::output::print_stdout(&out)?;
        }
    }
    if let Some(e) = error {
        return Err(e);
    }
    elb::syncs_outcome(&reports.iter().collect::<Vec<_>>())
}

/// `sync --fleet`: every CA of the fleet, or its plan.
fn run_fleet(
    c: &Sync,
    fleet: &crlkit_ops::fleet::Fleet,
    name: &str,
    endpoint: Option<&str>,
) -> Result<Outcome, Failure> {
    use crlkit_ops::fleet::run::{FleetRequest, plan, sync_fleet};
    let req = FleetRequest {
        fleet: fleet.clone(),
        pca_endpoint: endpoint.map(str::to_owned),
        preflight: c.preflight(),
        rotation: c.rotation.clone(),
        lease: c.lease.clone(),
    };
    if c.plan {
        let mut plan =
            crate::support::runtime::block_on(async { plan(&req).await.map_err(|e| store::ops_failure(&e)) })?;
        plan.offline_checks.insert(0, format!("fleet {name}: {} CA(s), read and checked", fleet.cas.len()));
        elb::print_plan(&plan, c.json)?;
        return Ok(Outcome::Positive);
    }
    let report = crate::support::runtime::block_on(async {
        let conn = crlkit_ops::connect::connect(&c.store, c.elb_endpoint.as_deref())
            .await
            .map_err(|e| store::ops_failure(&e))?;
        Ok::<_, Failure>(sync_fleet(&conn, &req).await)
    })?;
    if c.json {
        crate::support::output::print_json(&report)?;
    } else {
        let mut out = String::new();
        for ca in &report.cas {
            let kind = ca.crl_type.map(|t| format!(" ({} CRL)", t.to_lowercase())).unwrap_or_default();
            let _ = writeln!(out, "== {}{kind} -> {}", ca.ca, ca.to);
            for r in &ca.syncs {
                out.push_str(&text(r, &format!("{}'s bundle", ca.ca)));
            }
            if let Some(e) = &ca.error {
                let _ = writeln!(out, "FAILED [{}]: {}", e.code, e.message);
            }
        }
        crate::support::output::print_stdout(&out)?;
    }
    elb::fleet_outcome(&report)
}

/// One sync report for people.
fn text(report: &crlkit_ops::sync::SyncReport, bundle_name: &str) -> String {
    use crlkit_ops::sync::SyncRefusal;
    let mut out = String::new();
    if let Some(holder) = &report.lease_held_by {
        out.push_str(&elb::lease_held_text(&report.source, holder));
        return out;
    }
    let number = report.crl_number.as_deref().unwrap_or("none");
    if report.downloaded {
        let _ = writeln!(out, "{}: downloaded (CRL number {number})", report.source);
    } else {
        let _ = writeln!(
            out,
            "{}: unchanged (ETag {}): every trust store already has it; not downloaded",
            report.source,
            report.source_etag.as_deref().unwrap_or("-")
        );
    }
    match &report.refused {
        Some(SyncRefusal::Preflight) => {
            let _ = writeln!(out, "REFUSED by preflight (verification against {bundle_name} included), nothing sent:");
            let findings = report.crl.as_ref().map_or(&[][..], |p| &p.findings[..]);
            crate::support::checked::write_blocking(&mut out, findings, "");
        }
        Some(SyncRefusal::Upload) => {
            let _ =
                writeln!(out, "REFUSED, nothing registered: {}", report.upload_refusal.as_deref().unwrap_or_default());
        }
        None => {}
    }
    if let Some(url) = &report.upload_url {
        match report.upload {
            Some("uploaded") => {
                let checked = report.upload_checked.map_or("checked", |c| c.says());
                let _ = writeln!(out, "{url}: uploaded, {checked}");
            }
            _ => {
                let _ = writeln!(out, "{url}: already holds this CRL");
            }
        }
    }
    elb::trust_store_lines(report, &mut out);
    if !report.changed && report.refused.is_none() {
        let _ = writeln!(out, "nothing changed");
    }
    out
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
