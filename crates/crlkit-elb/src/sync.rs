//! `sync`: bring trust stores up to date with a CA's CRL object, as a library function so that
//! the CLI and, later, a Lambda handler on Private CA's `ACM Private CA CRL Generation` event run
//! the same code.
//!
//! 1. HEAD the source. If every trust store has a live registration whose recorded source
//!    ETag (or version) is this one, stop: nothing is downloaded and nothing changes.
//! 2. Download it; validate, verify against the CA bundle, preflight (blocking findings
//!    refuse the sync).
//! 3. For each trust store, skip it when the ledger ties a CRL of this issuer with a number at
//!    least as high to it.
//! 4. Upload the PEM beside the others (the uploader's rules: never over a newer CRL, read back
//!    and compared), then register it in each remaining trust store with `replace`.

use std::cmp::Ordering;

use bytes::Bytes;
use crlkit_der::CrlRef;
use crlkit_upload::{CrlFacts, ObjectInfo, Store, UploadResult, upload_crl};
use crlkit_verify::CaBundle;

use crate::api::{S3Object, TrustStoreApi};
use crate::arn::TrustStoreArn;
use crate::error::{ElbError, ElbErrorKind};
use crate::ledger::{LedgerEntry, LedgerStore, SourceObject};
use crate::preflight::{self, Finding, Severity};
use crate::register::{self, Quotas, Report};

/// A CRL made ready for ELB: its PEM, facts of that PEM, and preflight's findings.
#[derive(Clone, Debug)]
pub struct PreparedCrl {
    /// What will be stored.
    pub pem: Bytes,
    /// Facts of `pem`.
    pub facts: CrlFacts,
    /// Preflight's findings (with the verification against the bundle).
    pub findings: Vec<Finding>,
}

impl PreparedCrl {
    /// The blocking findings.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Blocking)
    }
}

/// Validate `bytes` (one CRL, DER or PEM), verify it against `bundle`, preflight it, convert it.
pub fn prepare(
    bytes: &[u8],
    what: &str,
    bundle: Option<&CaBundle>,
    opts: &preflight::Options,
) -> Result<PreparedCrl, ElbError> {
    let source = |why: String| ElbError::new(ElbErrorKind::Source, format!("{what}: {why}"));
    let is_pem = crlkit_der::pem::looks_like_pem(bytes);
    let der_owned;
    let der: &[u8] = if is_pem {
        let (blocks, _) = crlkit_der::pem::decode_crls(bytes).map_err(|e| source(e.to_string()))?;
        if blocks.len() != 1 {
            return Err(source(format!("{} CRLs in one file; one object holds one CRL", blocks.len())));
        }
        der_owned = blocks.into_iter().next().map(|b| b.der).unwrap_or_default();
        &der_owned
    } else {
        bytes
    };
    let crl = CrlRef::from_der(der).map_err(|e| source(e.to_string()))?;
    let stats = crl.validate().map_err(|e| source(e.to_string()))?;
    let verification = bundle.map(|b| {
        let mut v = crlkit_verify::verify(&crl, None, b, opts.at);
        v.add_entry_stats(&stats);
        v
    });
    let facts_in = preflight::CrlFacts::new(&crl, stats, !is_pem);
    let mut findings = preflight::check_file(1);
    findings.extend(preflight::check_crl(&facts_in, verification.as_ref(), opts));
    if let Some(b) = bundle {
        findings.extend(preflight::check_bundle(b, opts.at));
    }
    let pem = Bytes::from(crlkit_der::pem::encode(crl.der()));
    let facts = CrlFacts::new(&crl, stats.count, &pem);
    Ok(PreparedCrl { pem, facts, findings })
}

/// What to sync.
#[derive(Clone, Debug)]
pub struct SyncRequest {
    /// The CA's CRL object in the source store (AWS Private CA: `crl/<CA-ID>.crl`).
    pub source_key: String,
    /// The prefix (ending in `/` or empty) of the destination store the PEM goes under; the
    /// ledger is `<prefix>.crlkit/ledger.json`.
    pub dest_prefix: String,
    /// Trust stores to keep up to date (each in its ARN's region).
    pub trust_stores: Vec<TrustStoreArn>,
    /// The CA bundle the CRL must verify against.
    pub bundle: CaBundle,
    /// Preflight limits and the time freshness is judged at.
    pub preflight: preflight::Options,
    /// Trust-store quotas.
    pub quotas: Quotas,
    /// `--remove-first` for swaps that cannot fit both files.
    pub remove_first: bool,
    /// Now, RFC 3339 (ledger timestamps).
    pub now: String,
}

/// The stores and the ELB client a sync uses.
pub struct SyncContext<'a> {
    /// Where the CA writes its CRL.
    pub source: &'a Store,
    /// Where PEMs and the ledger are kept (S3: ELB reads from there).
    pub dest: &'a Store,
    /// ELB.
    pub api: &'a dyn TrustStoreApi,
}

/// What happened in one trust store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreSync {
    /// Its registration already came from this very source object (no download needed).
    UpToDate {
        /// The registration.
        entry: Box<LedgerEntry>,
    },
    /// It holds a CRL of this issuer whose number is at least this one's.
    NotNewer {
        /// The registration.
        entry: Box<LedgerEntry>,
    },
    /// Registered (or found registered) now.
    Registered(Box<Report>),
}

/// Why nothing was uploaded or registered (exit 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncRefusal {
    /// Preflight (verification included) has blocking findings.
    Preflight,
    /// The destination key holds a CRL the uploader will not replace.
    Upload(crlkit_upload::Refusal),
}

/// The whole story of a sync.
#[derive(Clone, Debug)]
pub struct SyncReport {
    /// The source object as the HEAD saw it.
    pub source: ObjectInfo,
    /// Its URL.
    pub source_url: String,
    /// Whether it was downloaded.
    pub downloaded: bool,
    /// The CRL, once downloaded.
    pub crl: Option<PreparedCrl>,
    /// Why nothing was changed, if so.
    pub refused: Option<SyncRefusal>,
    /// The destination key and what the upload did.
    pub upload: Option<(String, UploadResult)>,
    /// Per trust store, in the order given.
    pub stores: Vec<(TrustStoreArn, StoreSync)>,
}

impl SyncReport {
    /// True when nothing was added, removed or uploaded.
    pub fn changed_nothing(&self) -> bool {
        let uploaded = matches!(self.upload, Some((_, UploadResult::Uploaded { .. })));
        let registered = self.stores.iter().any(
            |(_, s)| matches!(s, StoreSync::Registered(r) if matches!(r.outcome, register::Outcome::Added { .. })),
        );
        !uploaded && !registered
    }
}

/// Run one sync (see the module documentation).
pub async fn sync(ctx: &SyncContext<'_>, req: &SyncRequest) -> Result<SyncReport, ElbError> {
    let source_url = ctx.source.url_of(&req.source_key);
    let head = ctx
        .source
        .head(&req.source_key)
        .await?
        .ok_or_else(|| ElbError::new(ElbErrorKind::Source, format!("{source_url}: no such object")))?;
    let ledger = LedgerStore::new(ctx.dest.clone(), LedgerStore::key_for_prefix(&req.dest_prefix));
    let state = ledger.load().await?;
    let same_source = |e: &LedgerEntry| {
        e.source.as_ref().is_some_and(|s| {
            s.url == source_url
                && match (&s.version, &head.version) {
                    (Some(a), Some(b)) => a == b,
                    _ => s.etag.is_some() && s.etag == head.e_tag,
                }
        })
    };
    // Which trust stores already hold a registration of this very object (and still have it).
    let mut stores: Vec<(TrustStoreArn, Option<StoreSync>)> = Vec::new();
    for arn in &req.trust_stores {
        let live = ctx.api.describe_revocations(arn).await?;
        let known = state.reconcile(arn, &live).known;
        let current = known.into_iter().find(|e| same_source(e));
        stores.push((arn.clone(), current.map(|e| StoreSync::UpToDate { entry: Box::new(e) })));
    }
    let mut report = SyncReport {
        source: head.clone(),
        source_url: source_url.clone(),
        downloaded: false,
        crl: None,
        refused: None,
        upload: None,
        stores: Vec::new(),
    };
    if stores.iter().all(|(_, s)| s.is_some()) {
        report.stores = stores.into_iter().map(|(a, s)| (a, s.expect("all up to date"))).collect();
        return Ok(report);
    }

    let (info, bytes) = ctx
        .source
        .get(&req.source_key, None)
        .await?
        .ok_or_else(|| ElbError::new(ElbErrorKind::Source, format!("{source_url}: gone after the HEAD")))?;
    report.downloaded = true;
    report.source = info.clone();
    let prepared = prepare(&bytes, &source_url, Some(&req.bundle), &req.preflight)?;
    let blocked = prepared.blocking().next().is_some();
    let facts = prepared.facts.clone();
    report.crl = Some(prepared);
    if blocked {
        report.refused = Some(SyncRefusal::Preflight);
        report.stores = stores.into_iter().filter_map(|(a, s)| s.map(|s| (a, s))).collect();
        return Ok(report);
    }
    // Trust stores that hold this issuer's CRL with a number at least as high are skipped
    // (`register` reads the ledger again, conditionally, before it changes anything).
    for (arn, s) in &mut stores {
        if s.is_some() {
            continue;
        }
        let newest = state
            .of(arn)
            .filter(|e| e.crl.same_issuer(&facts) && e.crl.sha256 != facts.sha256)
            .filter(|e| facts.number_cmp(&e.crl).is_some_and(|o| o != Ordering::Greater))
            .max_by(|a, b| a.crl.number_cmp(&b.crl).unwrap_or(Ordering::Equal))
            .cloned();
        if let Some(entry) = newest {
            *s = Some(StoreSync::NotNewer { entry: Box::new(entry) });
        }
    }
    if stores.iter().all(|(_, s)| s.is_some()) {
        report.stores = stores.into_iter().map(|(a, s)| (a, s.expect("all decided"))).collect();
        return Ok(report);
    }

    let stem = req.source_key.rsplit('/').next().unwrap_or("crl");
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
    let key = format!("{}{stem}.pem", req.dest_prefix);
    let pem = report.crl.as_ref().map(|p| p.pem.clone()).unwrap_or_default();
    let uploaded = upload_crl(ctx.dest, &key, &pem, &facts, false).await?;
    let stored = match &uploaded {
        UploadResult::Uploaded { info, .. } | UploadResult::Identical { info } => info.clone(),
        UploadResult::Refused(r) => {
            report.refused = Some(SyncRefusal::Upload(r.clone()));
            report.upload = Some((key, uploaded));
            report.stores = stores.into_iter().filter_map(|(a, s)| s.map(|s| (a, s))).collect();
            return Ok(report);
        }
    };
    report.upload = Some((key.clone(), uploaded));
    let object = S3Object { bucket: ctx.dest.target().bucket().to_owned(), key, version: stored.version.clone() };
    let source = SourceObject { url: source_url, etag: info.e_tag.clone(), version: info.version.clone() };
    for (arn, s) in stores {
        let done = match s {
            Some(done) => done,
            None => {
                let r = register::Request {
                    arn: arn.clone(),
                    object: object.clone(),
                    crl: facts.clone(),
                    replace: true,
                    remove_first: req.remove_first,
                    quotas: req.quotas,
                    source: Some(source.clone()),
                    now: req.now.clone(),
                };
                StoreSync::Registered(Box::new(register::register(ctx.api, &ledger, &r).await?))
            }
        };
        report.stores.push((arn, done));
    }
    Ok(report)
}
