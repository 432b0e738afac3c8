//! A whole fleet synced in one run (`crlkit sync --fleet`, the Lambda's scheduled event), or one
//! of its CAs (Private CA's CRL Generation event, an operator's direct invocation): each CA's
//! CRL objects found (a Private CA's from its ARN, every partition), its bundle read, and each
//! object synced to the CA's trust stores by [`crate::sync::sync`], which holds the ledger's
//! lease, so overlapping runs (an event and the schedule, a retry) do the work once.
//!
//! CAs whose PEMs go under different prefixes run side by side, [`PREFIXES_AT_ONCE`] at a time;
//! CAs sharing a prefix share its ledger and lease, so they run one after another. A CA that
//! fails (Private CA unreachable, a bundle that does not read) is reported with its code and
//! the others go on; the report is returned whole.

use crlkit_elb::lease::LeaseOptions;
use crlkit_elb::preflight;
use crlkit_pca::sdk::SdkPrivateCa;
use crlkit_upload::Target;
use crlkit_verify::CaBundle;
use futures::StreamExt as _;
use serde::Serialize;

use super::{BundleSource, CaSource, Fleet, FleetCa, FleetError, Origin};
use crate::connect::Connection;
use crate::error::OpsError;
use crate::plan::Plan;
use crate::register::Rotation;
use crate::sync::{SyncReport, SyncRequest};

/// Prefixes (ledgers) synced at once. Each sync reads its trust stores 25 at a time per region
/// (`sync::READS_PER_REGION`): two at once stay near ELB's burst of 40 `Describe*` calls per
/// account and region, and the SDK's retries absorb the rest.
pub const PREFIXES_AT_ONCE: usize = 2;

/// What to sync, and how.
#[derive(Clone, Debug)]
pub struct FleetRequest {
    /// The CAs (a selection of the fleet file: [`Fleet::only`]).
    pub fleet: Fleet,
    /// Private CA's endpoint (`None`: `AWS_ENDPOINT_URL_ACM_PCA`, `AWS_ENDPOINT_URL`, the
    /// profile's).
    pub pca_endpoint: Option<String>,
    /// Preflight limits and the time freshness is judged at.
    pub preflight: preflight::Options,
    /// How registrations proceed.
    pub rotation: Rotation,
    /// The lease each sync takes on its ledger.
    pub lease: LeaseOptions,
}

impl FleetRequest {
    /// The sync of `ca`'s CRL object `from`, verified against `bundle`, with this run's settings.
    fn sync_request(&self, ca: &FleetCa, from: Target, bundle: CaBundle) -> SyncRequest {
        SyncRequest {
            from,
            source_region: None,
            to: ca.to.clone(),
            trust_stores: ca.trust_stores.clone(),
            bundle,
            preflight: self.preflight,
            rotation: self.rotation.clone(),
            lease: self.lease.clone(),
        }
    }
}

/// Why a CA could not be synced at all (or stopped part-way through its partitions).
#[derive(Clone, Debug, Serialize)]
pub struct CaFailure {
    /// The stable code (docs/ERRORS.md).
    pub code: &'static str,
    /// What failed, in sentences.
    pub message: String,
}

impl From<&OpsError> for CaFailure {
    fn from(e: &OpsError) -> Self {
        let mut message = e.to_string();
        for c in e.context() {
            message.push(' ');
            message.push_str(c);
        }
        Self { code: e.code(), message }
    }
}

/// One CA's part of a fleet run.
#[derive(Clone, Debug, Serialize)]
pub struct CaSync {
    /// Its ARN, or its CRL object's URL.
    pub ca: String,
    /// The prefix its PEMs and ledger go under.
    pub to: String,
    /// A Private CA's `CrlType` (`COMPLETE`, `PARTITIONED`); absent for a CRL object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crl_type: Option<&'static str>,
    /// One sync per CRL object (a partitioned CRL: one per partition, in key order).
    pub syncs: Vec<SyncReport>,
    /// What stopped it, if something did (the syncs before it stand).
    pub error: Option<CaFailure>,
}

/// The whole story of a fleet run (`crlkit sync --fleet --json`, the Lambda's result).
#[derive(Clone, Debug, Serialize)]
pub struct FleetReport {
    /// Every CA, in the fleet file's order.
    pub cas: Vec<CaSync>,
    /// True when anything was uploaded or added.
    pub changed: bool,
}

impl FleetReport {
    /// Every sync of every CA.
    pub fn syncs(&self) -> impl Iterator<Item = &SyncReport> {
        self.cas.iter().flat_map(|c| c.syncs.iter())
    }

    /// The CAs that failed, with their failures.
    pub fn failed_cas(&self) -> impl Iterator<Item = (&str, &CaFailure)> {
        self.cas.iter().filter_map(|c| c.error.as_ref().map(|e| (c.ca.as_str(), e)))
    }

    /// Failures of the run: CAs that failed plus trust stores that failed.
    pub fn failures(&self) -> usize {
        self.failed_cas().count() + self.syncs().map(|s| s.failed().len()).sum::<usize>()
    }

    /// Syncs a check refused (preflight, the upload, a registration's quota): a CRL that did
    /// not reach some trust store, and will not until someone acts.
    pub fn refusals(&self) -> usize {
        self.syncs().filter(|s| s.refused()).count()
    }
}

/// Sync every CA of `req.fleet` on `conn` (see the module documentation).
pub async fn sync_fleet(conn: &Connection, req: &FleetRequest) -> FleetReport {
    let pca = conn.pca(req.pca_endpoint.as_deref()).map_err(|e| CaFailure::from(&e));
    let pca = pca.as_ref();
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, ca) in req.fleet.cas.iter().enumerate() {
        match groups.iter_mut().find(|(to, _)| *to == ca.to.url()) {
            Some((_, members)) => members.push(i),
            None => groups.push((ca.to.url(), vec![i])),
        }
    }
    let done: Vec<Vec<(usize, CaSync)>> = futures::stream::iter(groups)
        .map(|(_, members)| async move {
            let mut out = Vec::with_capacity(members.len());
            for i in members {
                out.push((i, sync_ca(conn, pca, &req.fleet.cas[i], req).await));
            }
            out
        })
        .buffer_unordered(PREFIXES_AT_ONCE)
        .collect()
        .await;
    let mut cas: Vec<(usize, CaSync)> = done.into_iter().flatten().collect();
    cas.sort_unstable_by_key(|(i, _)| *i);
    let cas: Vec<CaSync> = cas.into_iter().map(|(_, c)| c).collect();
    let changed = cas.iter().flat_map(|c| &c.syncs).any(|s| s.changed);
    FleetReport { cas, changed }
}

async fn sync_ca(
    conn: &Connection,
    pca: Result<&SdkPrivateCa, &CaFailure>,
    ca: &FleetCa,
    req: &FleetRequest,
) -> CaSync {
    let mut out = CaSync { ca: ca.name(), to: ca.to.url(), crl_type: None, syncs: Vec::new(), error: None };
    let found = match &ca.source {
        CaSource::PrivateCa(arn) => match pca {
            Err(e) => Err(e.clone()),
            Ok(pca) => match crate::ca_crl::locate(conn, pca, arn).await {
                Err(e) => Err(CaFailure::from(&e)),
                Ok(found) => {
                    out.crl_type = Some(if found.partitioned { "PARTITIONED" } else { "COMPLETE" });
                    found
                        .bundle()
                        .map(|b| (found.objects.clone(), b))
                        .map_err(|e| bad_bundle(format!("{arn}'s certificate and chain"), &e))
                }
            },
        },
        CaSource::Object { from, bundle } => read_bundle(conn, bundle).await.map(|b| (vec![from.clone()], b)),
    };
    let (objects, bundle) = match found {
        Ok(found) => found,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    let sync = req.sync_request(ca, objects[0].clone(), bundle);
    // Each partition is its own slot, in turn; a failure stops this CA (a rerun finishes it).
    let (syncs, error) = crate::sync::sync_objects(conn, &sync, &objects).await;
    out.syncs = syncs;
    out.error = error.map(|e| CaFailure::from(&e));
    out
}

/// A `bad-bundle` failure: `what` (the bundle's name) and why.
fn bad_bundle(what: String, e: &dyn std::fmt::Display) -> CaFailure {
    CaFailure { code: "bad-bundle", message: format!("{what}: {e}") }
}

/// A CA bundle from a local file (the fleet run, and its plan).
fn bundle_file(path: &std::path::Path) -> Result<CaBundle, CaFailure> {
    let bytes = std::fs::read(path).map_err(|e| bad_bundle(path.display().to_string(), &e))?;
    CaBundle::from_bytes(&bytes).map_err(|e| bad_bundle(path.display().to_string(), &e))
}

/// A CA bundle from a local file or an object.
async fn read_bundle(conn: &Connection, bundle: &BundleSource) -> Result<CaBundle, CaFailure> {
    let target = match bundle {
        BundleSource::Path(path) => return bundle_file(path),
        BundleSource::Object(target) => target,
    };
    let store = conn.open(target).await.map_err(|e| CaFailure::from(&e))?;
    match store.get(target.key(), None).await.map_err(|e| CaFailure::from(&OpsError::from(e)))? {
        Some((_, bytes)) => CaBundle::from_bytes(&bytes).map_err(|e| bad_bundle(target.url(), &e)),
        None => Err(bad_bundle(target.url(), &"no such object")),
    }
}

/// Read the fleet file at `location`: an object URL (`s3://`, `file://`; read on `conn`) or a
/// local path.
pub async fn load(conn: &Connection, location: &str) -> Result<Fleet, LoadError> {
    if location.contains("://") {
        let target = Target::parse(location).map_err(|e| LoadError::Read(CaFailure::from(&OpsError::from(e))))?;
        let store = conn.open(&target).await.map_err(|e| LoadError::Read(CaFailure::from(&e)))?;
        let (_, bytes) = store
            .get(target.key(), None)
            .await
            .map_err(|e| LoadError::Read(CaFailure::from(&OpsError::from(e))))?
            .ok_or_else(|| {
                LoadError::Read(CaFailure { code: "not-found", message: format!("{location}: no such object") })
            })?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| LoadError::Bad(FleetError { line: None, message: format!("not UTF-8: {e}") }))?;
        return super::parse(text, Origin::Object(&target)).map_err(LoadError::Bad);
    }
    let path = std::path::Path::new(location);
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError::Read(CaFailure { code: "not-found", message: format!("{location}: {e}") }))?;
    super::parse(&text, Origin::Dir(path.parent().unwrap_or(std::path::Path::new(".")))).map_err(LoadError::Bad)
}

/// A fleet file that could not be read, or read and found wrong.
#[derive(Clone, Debug)]
pub enum LoadError {
    /// It could not be read (code and message as a CA failure's).
    Read(CaFailure),
    /// It is not a valid fleet file (`bad-fleet`).
    Bad(FleetError),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Read(e) => f.write_str(&e.message),
            LoadError::Bad(e) => write!(f, "the fleet file: {e}"),
        }
    }
}

impl LoadError {
    /// The stable code (docs/ERRORS.md).
    pub fn code(&self) -> &'static str {
        match self {
            LoadError::Read(e) => e.code,
            LoadError::Bad(_) => "bad-fleet",
        }
    }
}

/// The bucket a Private CA's CRL is planned at: known only from `DescribeCertificateAuthority`,
/// so the plan names it by a placeholder.
const PLANNED_BUCKET: &str = "crlkit-planned-ca-bucket";

/// `sync --fleet --plan`: for each CA, what finding it takes (a Private CA's two read calls),
/// then the calls its sync makes in a rehearsal (`sync::plan`), against a complete CRL at the
/// CA's default path for a Private CA (the bucket, path and partitions are known when it runs);
/// bundles given as files are read, to be checked.
pub async fn plan(req: &FleetRequest) -> Result<Plan, OpsError> {
    let mut calls = Vec::new();
    let mut checks = Vec::new();
    for ca in &req.fleet.cas {
        let (from, bundle) = match &ca.source {
            CaSource::PrivateCa(arn) => {
                calls.extend(crate::ca_crl::planned_reads(arn));
                checks.push(format!(
                    "{arn}: its CRL bucket, path and type (partitions) come from DescribeCertificateAuthority; the calls \
                     below assume a complete CRL at s3://<S3BucketName>/crl/{}.crl",
                    arn.id()
                ));
                let from = Target::parse(&format!("s3://{PLANNED_BUCKET}/crl/{}.crl", arn.id()))?;
                (from, None)
            }
            CaSource::Object { from, bundle } => (from.clone(), Some(bundle)),
        };
        let bundle = match bundle {
            Some(BundleSource::Path(path)) => match bundle_file(path) {
                Ok(b) => {
                    checks.push(format!(
                        "{}: CA bundle {}: {} certificate(s)",
                        ca.name(),
                        path.display(),
                        b.certs().len()
                    ));
                    b
                }
                Err(_) => {
                    checks.push(format!("{}: CA bundle {}: NOT READABLE as a CA bundle", ca.name(), path.display()));
                    CaBundle::default()
                }
            },
            Some(BundleSource::Object(t)) => {
                checks.push(format!("{}: CA bundle {}: read when it runs", ca.name(), t.url()));
                CaBundle::default()
            }
            None => CaBundle::default(),
        };
        let planned = crate::sync::plan(&req.sync_request(ca, from, bundle)).await?;
        calls.extend(planned.calls);
        checks.extend(planned.offline_checks);
    }
    for call in &mut calls {
        let text = call.params.to_string().replace(PLANNED_BUCKET, "<S3BucketName>");
        call.params = serde_json::from_str(&text).unwrap_or_default();
        call.aws_cli = call.aws_cli.replace(PLANNED_BUCKET, "<S3BucketName>");
        call.note = call.note.replace(PLANNED_BUCKET, "<S3BucketName>");
    }
    Ok(Plan::new(calls, checks))
}
