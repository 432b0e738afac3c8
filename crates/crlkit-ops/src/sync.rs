//! `sync`: bring trust stores up to date with a CA's CRL object; the CLI, and a Lambda handler
//! on Private CA's `ACM Private CA CRL Generation` event, run this same code.
//!
//! 1. HEAD the source. If every trust store has a live registration whose recorded source
//!    ETag (or version) is this one, with ELB's count equal to crlkit's and nothing it
//!    supersedes (or a second copy of it) still live, stop: nothing is downloaded and nothing
//!    changes.
//! 2. Download it; validate, verify against the CA bundle, preflight (blocking findings
//!    refuse the sync).
//! 3. For each trust store, skip it when the ledger ties a CRL of this slot (issuer and issuing
//!    distribution point: each partition of a partitioned CRL is its own) with a number at
//!    least as high to it.
//! 4. Upload the PEM beside the others (the uploader's rules: never over a newer CRL, checked on
//!    arrival or read back), then register it in each remaining trust store with `replace`.
//!
//! A trust store that fails (reading it, or registering) is reported as failed with its code,
//! and the others go on; the report is returned whole. Trust stores are read
//! [`READS_PER_REGION`] at a time in each region and registered [`CHANGES_AT_ONCE`] at a time,
//! reported in the order given. The whole run holds the ledger's lease.

use std::cmp::Ordering;

use crlkit_elb::TrustStoreArn;
use crlkit_elb::api::{S3Object, TrustStoreApi};
use crlkit_elb::lease::{Lease, LeaseOptions};
use crlkit_elb::ledger::{LedgerEntry, LedgerStore, SourceObject};
use crlkit_elb::preflight;
use crlkit_elb::register::leftovers;
use crlkit_elb::{ElbError, ElbErrorKind};
use crlkit_upload::{CrlFacts, Store, Target, UploadResult, upload_crl};
use crlkit_verify::CaBundle;
use futures::StreamExt as _;
use serde::Serialize;

use crate::connect::Connection;
use crate::error::OpsError;
pub use crate::lease::LeaseHolder;
use crate::lease::holding;
use crate::plan::Plan;
use crate::prepare::PreparedCrl;
use crate::register::{Registration, Rotation};
use crate::rehearsal::{Notes, Reading, Rehearsal, assumed_facts};
use crate::upload::pem_name;

/// Trust stores read at once in one region. ELB throttles per account and region, its
/// `Describe*` calls from a bucket of 40 refilled at 10 a second: 25 at once read 50 trust
/// stores in two rounds and leave the rest of the bucket to the console and other tools.
pub const READS_PER_REGION: usize = 25;

/// Trust stores registered at once (adds and removes are rarer, and each one counts).
pub const CHANGES_AT_ONCE: usize = 8;

/// `f` of every trust store, [`READS_PER_REGION`] at a time in each region (the regions side by
/// side), the results in the order of `arns`.
async fn per_region<'a, T, F, Fut>(arns: &'a [TrustStoreArn], f: F) -> Vec<T>
where
    F: Fn(&'a TrustStoreArn) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut regions: Vec<&str> = arns.iter().map(TrustStoreArn::region).collect();
    regions.sort_unstable();
    regions.dedup();
    let f = &f;
    let per: Vec<Vec<(usize, T)>> = futures::future::join_all(regions.into_iter().map(|region| {
        futures::stream::iter(arns.iter().enumerate().filter(move |(_, a)| a.region() == region))
            .map(|(i, arn)| async move { (i, f(arn).await) })
            .buffer_unordered(READS_PER_REGION)
            .collect::<Vec<_>>()
    }))
    .await;
    let mut all: Vec<(usize, T)> = per.into_iter().flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// What to sync.
#[derive(Clone, Debug)]
pub struct SyncRequest {
    /// The CA's CRL object (AWS Private CA: `s3://BUCKET/crl/<CA-ID>.crl`).
    pub from: Target,
    /// The source bucket's region (`--source-region`); `None`: as S3 says it
    /// ([`Connection::bucket_region`]), else the run's.
    pub source_region: Option<String>,
    /// The S3 prefix the PEM goes under; the ledger is `<prefix>.crlkit/ledger.json`.
    pub to: Target,
    /// Trust stores to keep up to date (each in its ARN's region).
    pub trust_stores: Vec<TrustStoreArn>,
    /// The CA bundle the CRL must verify against.
    pub bundle: CaBundle,
    /// Preflight limits and the time freshness is judged at.
    pub preflight: preflight::Options,
    /// How registrations proceed (`replace` is always on: a sync retires what it supersedes).
    pub rotation: Rotation,
    /// The lease that keeps other runs on the same ledger out while this one works.
    pub lease: LeaseOptions,
}

impl SyncRequest {
    /// The key the PEM goes to: the source object's [`pem_name`] under the prefix.
    pub fn dest_key(&self) -> String {
        self.to.join(&pem_name(self.from.key()))
    }

    fn ledger_key(&self) -> String {
        LedgerStore::key_for_prefix(self.to.key())
    }

    fn lease_key(&self) -> String {
        Lease::key_for_prefix(self.to.key())
    }
}

/// What happened in one trust store (`--json`: the `result` field and what goes with it).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum StoreSync {
    /// Its registration already came from this very source object (no download needed).
    UpToDate {
        /// The registration.
        revocation_id: i64,
        /// Its CRL number.
        #[serde(skip)]
        crl_number: Option<String>,
    },
    /// It holds a CRL of this issuer whose number is at least this one's: skipped.
    NotNewer {
        /// The registration.
        revocation_id: i64,
        /// Its CRL number.
        #[serde(skip)]
        crl_number: Option<String>,
    },
    /// Registered (or found registered) now.
    Registered {
        /// The registration.
        registration: Registration,
    },
    /// This trust store failed; the others went on. What it had done before is in `message`
    /// (a registration's error says what already changed); a rerun finishes it.
    Failed {
        /// The stable code (docs/ERRORS.md).
        code: &'static str,
        /// What failed, in sentences.
        message: String,
    },
}

impl StoreSync {
    /// The error's own text already ends with its causes (`Causes`).
    fn failed(e: &ElbError) -> Self {
        StoreSync::Failed { code: e.code(), message: e.to_string() }
    }

    fn up_to_date(e: &LedgerEntry) -> Self {
        StoreSync::UpToDate { revocation_id: e.revocation_id, crl_number: e.crl.crl_number.clone() }
    }

    fn not_newer(e: &LedgerEntry) -> Self {
        StoreSync::NotNewer { revocation_id: e.revocation_id, crl_number: e.crl.crl_number.clone() }
    }
}

/// One trust store's part of a sync.
#[derive(Clone, Debug, Serialize)]
pub struct TrustStoreSync {
    /// The trust store.
    pub trust_store_arn: String,
    /// What happened.
    #[serde(flatten)]
    pub result: StoreSync,
    /// What it holds of this CRL's slot after the run, and how full it is; absent when it
    /// failed or was refused (metrics: the CRL's age, the time to its nextUpdate, quota use).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holds: Option<Holding>,
}

/// The CRL of a slot a trust store holds after a sync, and the trust store's totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holding {
    /// Its CRL number.
    pub crl_number: Option<String>,
    /// Its thisUpdate, RFC 3339.
    pub this_update: String,
    /// Its nextUpdate, RFC 3339.
    pub next_update: Option<String>,
    /// When crlkit registered it, RFC 3339 (this run's time for a file added now).
    pub registered_at: String,
    /// True when this run added it.
    pub added_now: bool,
    /// Revocation files in the trust store after the run (quota: 30 by default).
    pub files: u64,
    /// Revoked entries in the trust store after the run, ELB's count (quota: 500,000).
    pub entries: u64,
}

impl Holding {
    fn of(e: &LedgerEntry, live: Live) -> Self {
        Self {
            crl_number: e.crl.crl_number.clone(),
            this_update: e.crl.this_update.clone(),
            next_update: e.crl.next_update.clone(),
            registered_at: e.registered_at.clone(),
            added_now: false,
            files: live.files,
            entries: live.entries,
        }
    }

    /// After a registration that went through: its CRL, and the live totals read before it
    /// with the files it added and removed.
    fn after(report: &crlkit_elb::register::Report, crl: &CrlFacts, now: &str, live: Live) -> Option<Self> {
        use crlkit_elb::register::Outcome;
        let mut live = live;
        for gone in report.pruned.iter().map(|r| r.entries) {
            live = live.without(gone);
        }
        let held = match &report.outcome {
            Outcome::Refused(_) => return None,
            Outcome::AlreadyRegistered { entry, removed } => {
                Self::of(entry, removed.iter().fold(live, |l, r| l.without(r.elb_entries)))
            }
            Outcome::Added { revocation, removed, .. } => {
                let live = removed.iter().fold(live, |l, r| l.without(r.elb_entries));
                Self {
                    crl_number: crl.crl_number.clone(),
                    this_update: crl.this_update.clone(),
                    next_update: crl.next_update.clone(),
                    registered_at: now.to_owned(),
                    added_now: true,
                    files: live.files + 1,
                    entries: live.entries + revocation.entries,
                }
            }
        };
        Some(held)
    }
}

/// A trust store's revocation files and entries as read.
#[derive(Clone, Copy, Debug, Default)]
struct Live {
    files: u64,
    entries: u64,
}

impl Live {
    fn of(live: &[crlkit_elb::api::Revocation]) -> Self {
        Self { files: live.len() as u64, entries: live.iter().map(|r| r.entries).sum() }
    }

    fn without(self, entries: u64) -> Self {
        Self { files: self.files.saturating_sub(1), entries: self.entries.saturating_sub(entries) }
    }
}

/// Why nothing was uploaded or registered (exit 1).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncRefusal {
    /// Preflight (verification included) has blocking findings.
    Preflight,
    /// The destination key holds a CRL the uploader will not replace.
    Upload,
}

/// The whole story of a sync (`crlkit sync --json`).
#[derive(Clone, Debug, Serialize)]
pub struct SyncReport {
    /// The source object's URL.
    pub source: String,
    /// The region its bucket was read in (given, or as S3 said); absent: the run's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_region: Option<String>,
    /// Its ETag, as last seen.
    pub source_etag: Option<String>,
    /// Its version.
    pub source_version: Option<String>,
    /// Whether it was downloaded.
    pub downloaded: bool,
    /// Its CRL number, once downloaded.
    pub crl_number: Option<String>,
    /// Why nothing was changed, if so.
    pub refused: Option<SyncRefusal>,
    /// What the upload did: `uploaded`, `identical`, `refused`.
    pub upload: Option<&'static str>,
    /// How the upload was checked (`read-back`, `checksum`), when one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_checked: Option<crlkit_upload::Checked>,
    /// True when something was uploaded or added.
    pub changed: bool,
    /// Per trust store, in the order given.
    pub trust_stores: Vec<TrustStoreSync>,
    /// Another run held the lease for longer than this one would wait: it is doing this work,
    /// and this run did nothing (exit 75).
    pub lease_held_by: Option<LeaseHolder>,
    /// The CRL, once downloaded (its findings say why preflight refused).
    #[serde(skip)]
    pub crl: Option<PreparedCrl>,
    /// The PEM's URL, once uploaded (or found there).
    #[serde(skip)]
    pub upload_url: Option<String>,
    /// Why the upload was refused, in a sentence.
    #[serde(skip)]
    pub upload_refusal: Option<String>,
}

impl SyncReport {
    /// The trust stores that failed, with their codes (exit 2, after the whole report).
    pub fn failed(&self) -> Vec<(&str, &'static str, &str)> {
        self.trust_stores
            .iter()
            .filter_map(|t| match &t.result {
                StoreSync::Failed { code, message } => Some((t.trust_store_arn.as_str(), *code, message.as_str())),
                _ => None,
            })
            .collect()
    }

    /// True when a check refused the sync or a registration (exit 1).
    pub fn refused(&self) -> bool {
        self.refused.is_some()
            || self
                .trust_stores
                .iter()
                .any(|t| matches!(&t.result, StoreSync::Registered { registration } if registration.refused()))
    }
}

/// Run one sync on a connection (see the module documentation).
pub async fn sync(conn: &Connection, req: &SyncRequest) -> Result<SyncReport, OpsError> {
    let region = match &req.source_region {
        Some(given) => Some(given.clone()),
        None => conn.bucket_region(&req.from).await,
    };
    let source = conn.open_in(&req.from, region.as_deref()).await?;
    let dest = conn.open(&req.to).await?;
    let req = SyncRequest { source_region: region, ..req.clone() };
    sync_with(&source, &dest, conn.elb(), &req).await
}

/// [`sync`] of each of `objects` in turn with `req` (a partitioned CRL's partitions, each its own
/// slot; each run holds the ledger's lease): the reports of those synced, and the failure that
/// stopped the rest (the reports before it stand; a rerun finishes the rest).
pub async fn sync_objects(
    conn: &Connection,
    req: &SyncRequest,
    objects: &[Target],
) -> (Vec<SyncReport>, Option<OpsError>) {
    let mut req = req.clone();
    let mut reports = Vec::with_capacity(objects.len());
    for object in objects {
        req.from = object.clone();
        match sync(conn, &req).await {
            Ok(report) => reports.push(report),
            Err(e) => return (reports, Some(e)),
        }
    }
    (reports, None)
}

/// [`sync`] on stores and an ELB client of the caller's.
pub async fn sync_with(
    source: &Store,
    dest: &Store,
    api: &dyn TrustStoreApi,
    req: &SyncRequest,
) -> Result<SyncReport, OpsError> {
    run(source, dest, api, req, &Reading::Real).await
}

/// [`sync_with`], the CRL read as `reading` says (a rehearsal assumes it).
async fn run(
    source: &Store,
    dest: &Store,
    api: &dyn TrustStoreApi,
    req: &SyncRequest,
    reading: &Reading,
) -> Result<SyncReport, OpsError> {
    let source_key = req.from.key();
    let source_url = source.url_of(source_key);
    let head = source
        .head(source_key)
        .await?
        .ok_or_else(|| ElbError::new(ElbErrorKind::Source, format!("{source_url}: no such object")))?;
    let mut report = SyncReport {
        source: source_url.clone(),
        source_region: req.source_region.clone(),
        source_etag: head.e_tag.clone(),
        source_version: head.version.clone(),
        downloaded: false,
        crl_number: None,
        refused: None,
        upload: None,
        upload_checked: None,
        changed: false,
        trust_stores: Vec::new(),
        lease_held_by: None,
        crl: None,
        upload_url: None,
        upload_refusal: None,
    };
    // One run at a time decides and acts for this ledger: the state is read under the lease.
    let held = holding(dest, &req.lease_key(), &req.lease, async |lease: &mut Lease| {
        converge(source, dest, api, req, lease, &mut report, reading).await
    })
    .await?;
    report.lease_held_by = held.err();
    Ok(report)
}

/// One trust store while a sync decides: what it came to (once decided), what it holds then,
/// and its files as read.
struct Slot {
    arn: TrustStoreArn,
    result: Option<StoreSync>,
    holds: Option<Holding>,
    live: Live,
}

impl Slot {
    fn decided(self) -> Option<TrustStoreSync> {
        let Slot { arn, result, holds, .. } = self;
        result.map(|result| TrustStoreSync { trust_store_arn: arn.as_str().to_owned(), result, holds })
    }
}

/// Steps 1 to 4 of the module documentation, under the lease; `report` holds what the HEAD
/// said of the source.
async fn converge(
    source: &Store,
    dest: &Store,
    api: &dyn TrustStoreApi,
    req: &SyncRequest,
    lease: &mut Lease,
    report: &mut SyncReport,
    reading: &Reading,
) -> Result<(), OpsError> {
    let source_key = req.from.key();
    let source_url = report.source.clone();
    let (head_etag, head_version) = (report.source_etag.clone(), report.source_version.clone());
    let ledger = LedgerStore::new(dest.clone(), req.ledger_key());
    let state = ledger.load().await?;
    let same_source = |e: &LedgerEntry| {
        e.source.as_ref().is_some_and(|s| {
            s.url == source_url
                && match (&s.version, &head_version) {
                    (Some(a), Some(b)) => a == b,
                    _ => s.etag.is_some() && s.etag == head_etag,
                }
        })
    };
    // Which trust stores already hold a registration of this very object (and still have it).
    let mut stores: Vec<Slot> = Vec::new();
    // Many trust stores at a time in each region: fifty cost little more than one.
    let lives = per_region(&req.trust_stores, |arn| api.describe_revocations(arn)).await;
    for (arn, live) in req.trust_stores.iter().zip(lives) {
        // One trust store that cannot be read fails alone; the others go on.
        let live = match live {
            Ok(live) => live,
            Err(e) => {
                stores.push(Slot {
                    arn: arn.clone(),
                    result: Some(StoreSync::failed(&e)),
                    holds: None,
                    live: Live::default(),
                });
                continue;
            }
        };
        let counts = Live::of(&live);
        let reconciled = state.reconcile(arn, &live);
        let known = reconciled.known;
        // A live file the ledger does not know, and has not found foreign, may be an add whose
        // answer was lost: registration reads it and adopts it. With --prune-foreign, a foreign
        // file still live is work to do too.
        let unread = reconciled.unknown.iter().any(|u| !state.is_foreign(arn.as_str(), u.id))
            || (req.rotation.prune_foreign && !reconciled.unknown.is_empty());
        // Up to date only when what is live is what is wanted: this source's CRL, its count as
        // crlkit's, nothing it supersedes and no second copy of it left (a failed or racing run's
        // leftovers send the run on, to registration, which removes them).
        let current = known
            .iter()
            .find(|e| same_source(e))
            .filter(|e| !unread && e.elb_entries == e.crl.entries && leftovers(&known, e).is_empty());
        stores.push(Slot {
            arn: arn.clone(),
            result: current.map(StoreSync::up_to_date),
            holds: current.map(|e| Holding::of(e, counts)),
            live: counts,
        });
    }
    let decided = |stores: Vec<Slot>| -> Vec<TrustStoreSync> { stores.into_iter().filter_map(Slot::decided).collect() };
    if stores.iter().all(|s| s.result.is_some()) {
        report.trust_stores = decided(stores);
        return Ok(());
    }

    let (info, bytes) = source
        .get(source_key, None)
        .await?
        .ok_or_else(|| ElbError::new(ElbErrorKind::Source, format!("{source_url}: gone after the HEAD")))?;
    report.downloaded = true;
    report.source_etag = info.e_tag.clone();
    report.source_version = info.version.clone();
    let prepared = reading.prepare(&bytes, &source_url, &req.bundle, &req.preflight)?;
    let facts = prepared.facts.clone();
    report.crl_number = facts.crl_number.clone();
    let ready = prepared.is_ready();
    report.crl = Some(prepared);
    if !ready {
        report.refused = Some(SyncRefusal::Preflight);
        report.trust_stores = decided(stores);
        return Ok(());
    }
    // Trust stores that hold this issuer's CRL with a number at least as high are skipped
    // (registration reads the ledger again, conditionally, before it changes anything).
    for slot in &mut stores {
        if slot.result.is_some() {
            continue;
        }
        let newest = state
            .of(&slot.arn)
            .filter(|e| e.crl.same_slot(&facts) && e.crl.sha256 != facts.sha256)
            .filter(|e| facts.number_cmp(&e.crl).is_some_and(|o| o != Ordering::Greater))
            .max_by(|a, b| a.crl.number_cmp(&b.crl).unwrap_or(Ordering::Equal));
        slot.result = newest.map(StoreSync::not_newer);
        slot.holds = newest.map(|e| Holding::of(e, slot.live));
    }
    if stores.iter().all(|s| s.result.is_some()) {
        report.trust_stores = decided(stores);
        return Ok(());
    }

    let key = req.dest_key();
    let pem = report.crl.as_ref().map(|p| p.pem.clone()).unwrap_or_default();
    let stored = match upload_crl(dest, &key, &pem, &facts, false).await? {
        UploadResult::Uploaded { info, checked, .. } => {
            report.upload = Some("uploaded");
            report.upload_checked = Some(checked);
            report.changed = true;
            info
        }
        UploadResult::Identical { info } => {
            report.upload = Some("identical");
            info
        }
        UploadResult::Refused(r) => {
            report.upload = Some("refused");
            report.refused = Some(SyncRefusal::Upload);
            report.upload_refusal = Some(r.message(&facts));
            report.trust_stores = decided(stores);
            return Ok(());
        }
    };
    report.upload_url = Some(dest.url_of(&key));
    let object = S3Object { bucket: dest.target().bucket().to_owned(), key, version: stored.version.clone() };
    let source = SourceObject { url: source_url, etag: info.e_tag.clone(), version: info.version.clone() };
    let rotation = Rotation { replace: true, ..req.rotation.clone() };
    // A few trust stores at a time, the lease renewed between batches.
    for batch in stores.chunks(CHANGES_AT_ONCE) {
        lease.renew().await?;
        let results = futures::future::join_all(batch.iter().map(|slot| async {
            match &slot.result {
                Some(done) => (done.clone(), slot.holds.clone()),
                None => {
                    let r = rotation.request(&slot.arn, &object, &facts, Some(source.clone()));
                    match crlkit_elb::register::register(api, &ledger, &r).await {
                        Ok(done) => (
                            StoreSync::Registered { registration: Registration::from(&done) },
                            Holding::after(&done, &facts, &rotation.now, slot.live),
                        ),
                        // A failed trust store does not stop the others, and the report keeps
                        // what was done (the upload, the other registrations).
                        Err(e) => (StoreSync::failed(&e), None),
                    }
                }
            }
        }))
        .await;
        for (slot, (result, holds)) in batch.iter().zip(results) {
            if let StoreSync::Registered { registration } = &result {
                report.changed |= registration.changed();
            }
            report.trust_stores.push(TrustStoreSync { trust_store_arn: slot.arn.as_str().to_owned(), result, holds });
        }
    }
    Ok(())
}

/// `sync --plan`: the calls [`sync_with`] makes in a rehearsal (`crate::rehearsal`): the
/// source holds a CRL newer than the one each trust store holds.
pub async fn plan(req: &SyncRequest) -> Result<Plan, OpsError> {
    let rehearsal = Rehearsal::new(Notes {
        read: Some((
            req.from.url(),
            "read: the source's ETag and version",
            "read, only if some trust store's registration is not from this ETag: validated, verified against the \
             bundle, preflighted",
        )),
        pem_put: "change, only if the CRL number is newer than the registered one: the PEM",
        metadata_known: false,
        ledger: crate::rehearsal::at(&req.to, &req.ledger_key()),
    });
    let source = rehearsal.store(&req.from);
    let dest = if req.from.bucket() == req.to.bucket() { source.clone() } else { rehearsal.store(&req.to) };
    rehearsal.place(&source, req.from.key()).await?;
    let ledger = LedgerStore::new(dest.unrecorded(), req.ledger_key());
    for arn in &req.trust_stores {
        rehearsal.assume(&ledger, arn, &assumed_facts(), &req.dest_key()).await?;
    }
    run(&source, &dest, &rehearsal.elb, req, &Reading::Assumed).await?;
    Ok(rehearsal.finish(Vec::new()))
}
