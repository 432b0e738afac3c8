//! `--plan` by running the flow itself: a rehearsal. The flow's own code runs against stores
//! that record every request ([`Store::recording`], in memory) and a trust-store client that
//! records every call and answers as a trust store would, so a plan lists exactly the calls the
//! flow's steps make, in their order, and cannot drift from them.
//!
//! What a rehearsal assumes, so that every kind of call shows: each trust store holds an older
//! CRL of the slot being registered (recorded in the ledger: `--replace` removes it) and one
//! file the ledger does not know (read once by its content); the CRL a run would download or read
//! (`sync`, `register`) is a placeholder newer than the one registered ([`Reading::Assumed`]):
//! what it holds is decided when the run reads it, so its count and metadata are not shown.
//! Nothing is sent and no credentials are needed.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering as Atomic};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use crlkit_elb::api::{Revocation, S3Object, TrustStoreApi, TrustStoreInfo};
use crlkit_elb::lease::Lease;
use crlkit_elb::ledger::{LedgerEntry, LedgerStore};
use crlkit_elb::partition::Partition;
use crlkit_elb::plan::{self, PlannedCall};
use crlkit_elb::{ElbError, TrustStoreArn, preflight};
use crlkit_upload::{CrlFacts, Recorder, Store, StoreCall, Target, WriteMode};
use crlkit_verify::CaBundle;

use crate::error::OpsError;
use crate::plan::Plan;
use crate::prepare::{PreparedCrl, prepare_bytes};

/// How a flow makes sense of the CRL bytes it reads from a store.
pub(crate) enum Reading {
    /// For real: validated, verified, counted.
    Real,
    /// A rehearsal's placeholder: the bytes are read (the call is recorded), and taken for a CRL
    /// of [`assumed_facts`].
    Assumed,
}

impl Reading {
    /// `sync`: the downloaded CRL, prepared for ELB.
    pub(crate) fn prepare(
        &self,
        bytes: &[u8],
        source: &str,
        bundle: &CaBundle,
        opts: &preflight::Options,
    ) -> Result<PreparedCrl, ElbError> {
        match self {
            Reading::Real => prepare_bytes(bytes, source, Some(bundle), opts),
            Reading::Assumed => Ok(assumed_crl(source)),
        }
    }

    /// `register`: the PEM object to register, and the CRL in it.
    pub(crate) async fn registrable(
        &self,
        store: &Store,
        key: &str,
        version: Option<&str>,
    ) -> Result<(S3Object, CrlFacts), ElbError> {
        match self {
            Reading::Real => crlkit_elb::register::read_registrable(store, key, version).await,
            Reading::Assumed => {
                store.get_version(key, version).await?;
                let object = S3Object {
                    bucket: store.target().bucket().to_owned(),
                    key: key.to_owned(),
                    version: version.map(str::to_owned),
                };
                Ok((object, assumed_facts()))
            }
        }
    }
}

/// The CRL a rehearsal assumes it reads: number 2 of "the CA", newer than [`older`]'s.
pub(crate) fn assumed_facts() -> CrlFacts {
    CrlFacts {
        issuer: "the CA".into(),
        issuer_sha256: "<issuer SHA-256>".into(),
        authority_key_id: Some("<AKI>".into()),
        crl_number: Some("2".into()),
        crl_number_hex: Some("2".into()),
        this_update: "<thisUpdate>".into(),
        next_update: None,
        entries: 0,
        // The placeholder's own, so the upload's read-back check holds.
        sha256: crlkit_upload::sha256_hex(PLACEHOLDER),
        size: PLACEHOLDER.len() as u64,
        idp: None,
    }
}

fn assumed_crl(source: &str) -> PreparedCrl {
    let facts = assumed_facts();
    let partition = Partition {
        file: source.to_owned(),
        issuer: facts.issuer.clone(),
        issuer_der: Vec::new(),
        authority_key_id: facts.authority_key_id.clone(),
        idp: None,
        crl_number: facts.crl_number.clone(),
        this_update: 0,
        next_update: None,
        this_update_text: facts.this_update.clone(),
        next_update_text: None,
        entries: 0,
        serials: Vec::new(),
    };
    PreparedCrl {
        source: source.to_owned(),
        pem: Bytes::from_static(PLACEHOLDER),
        facts,
        findings: Vec::new(),
        partition,
    }
}

/// What a rehearsal puts where a run would read a CRL it cannot see.
const PLACEHOLDER: &[u8] = b"the CRL the run reads\n";

/// A CRL of `crl`'s slot with the number before its own, or `None` when there is none (no
/// number, number 0, or one too long to count down here).
fn older(crl: &CrlFacts) -> Option<CrlFacts> {
    let hex = crl.crl_number_hex.as_deref()?;
    let n = u128::from_str_radix(hex, 16).ok()?.checked_sub(1)?;
    Some(CrlFacts {
        crl_number: Some(n.to_string()),
        crl_number_hex: Some(format!("{n:X}")),
        sha256: format!("<SHA-256 of CRL number {n}>"),
        ..crl.clone()
    })
}

/// What the S3 calls of a flow are for, so each planned call says why.
pub(crate) struct Notes {
    /// The object the flow reads (`sync`'s source, `register`'s object): its URL and the notes of
    /// its HEAD and GET.
    pub read: Option<(String, &'static str, &'static str)>,
    /// The note of the PEM's `PutObject`.
    pub pem_put: &'static str,
    /// The PEM's metadata is shown (`publish`: the CRL is at hand), or decided by the CRL the
    /// run reads.
    pub metadata_known: bool,
    /// The ledger's URL, and its lease's ([`at`]).
    pub ledger: (String, String),
}

/// The URLs of the ledger at `key` of `target`'s bucket and of its lease: how a rehearsal tells
/// their requests from the others'.
pub(crate) fn at(target: &Target, key: &str) -> (String, String) {
    (target.url_of(key), target.url_of(&Lease::key_for_ledger(key)))
}

/// One rehearsal: the recorded calls, and the trust stores that answered them.
pub(crate) struct Rehearsal {
    log: Arc<Mutex<Vec<PlannedCall>>>,
    notes: Arc<Notes>,
    /// The trust-store client the flow is handed.
    pub elb: RehearsalElb,
}

impl Rehearsal {
    pub(crate) fn new(notes: Notes) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        let elb = RehearsalElb { log: log.clone(), ..RehearsalElb::default() };
        Self { log, notes: Arc::new(notes), elb }
    }

    /// A recording store for `target` (empty, like a new bucket).
    pub(crate) fn store(&self, target: &Target) -> Store {
        let (log, notes) = (self.log.clone(), self.notes.clone());
        Store::recording(
            target,
            Recorder::new(move |store, call| {
                let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
                let planned = s3_call(store, call, &notes, &log);
                log.push(planned);
            }),
        )
    }

    /// Put the placeholder a run would read at `key` (not recorded).
    pub(crate) async fn place(&self, store: &Store, key: &str) -> Result<(), OpsError> {
        let none = BTreeMap::new();
        store.unrecorded().put(key, Bytes::from_static(PLACEHOLDER), &WriteMode::Create, &none).await?;
        Ok(())
    }

    /// Make `arn` hold, as assumed (see the module documentation), an older CRL of `crl`'s slot,
    /// recorded in `ledger` (opened on an unrecorded store), and one file of unknown origin. The
    /// object `crl` goes to is answered with `crl`'s count.
    pub(crate) async fn assume(
        &self,
        ledger: &LedgerStore,
        arn: &TrustStoreArn,
        crl: &CrlFacts,
        object_key: &str,
    ) -> Result<(), OpsError> {
        self.elb.counts.lock().unwrap_or_else(|p| p.into_inner()).insert(object_key.to_owned(), crl.entries);
        let Some(older) = older(crl) else {
            self.elb.hold(arn, None);
            return Ok(());
        };
        let id = self.elb.hold(arn, Some(older.entries)).unwrap_or_default();
        self.elb.slots.lock().unwrap_or_else(|p| p.into_inner()).insert(id, crl.issuer.clone());
        let entry = LedgerEntry {
            trust_store_arn: arn.as_str().to_owned(),
            revocation_id: id,
            object: S3Object { bucket: "<bucket>".into(), key: "<the older CRL's key>".into(), version: None },
            elb_entries: older.entries,
            crl: older,
            registered_at: String::new(),
            source: None,
        };
        ledger
            .update(|l| {
                l.insert(entry.clone());
                true
            })
            .await?;
        Ok(())
    }

    /// The plan: the calls as recorded (the last lease write is its release).
    pub(crate) fn finish(self, offline_checks: Vec<String>) -> Plan {
        let mut calls = std::mem::take(&mut *self.log.lock().unwrap_or_else(|p| p.into_inner()));
        let (ledger, lease) = &self.notes.ledger;
        if let Some(last) = calls.iter_mut().rev().find(|c| put_to(c, lease)) {
            last.note = plan::put_note("change: release the lease");
        }
        // The last ledger write before an add is its write-ahead record.
        for i in 0..calls.len() {
            if !put_to(&calls[i], ledger) {
                continue;
            }
            let next = calls[i + 1..].iter().find(|c| c.service == "elbv2" || put_to(c, ledger));
            if next.is_some_and(|c| c.action == "AddTrustStoreRevocations") {
                calls[i].note = plan::put_note(
                    "change, write-ahead: the add about to be made (trust store, object, CRL), so a crash or a lost \
                     answer is recovered by the next run without a second add",
                );
            }
        }
        Plan::new(calls, offline_checks)
    }
}

/// Whether `c` is a `PutObject` of `url`.
fn put_to(c: &PlannedCall, url: &str) -> bool {
    let param = |name: &str| c.params[name].as_str().unwrap_or_default();
    c.action == "PutObject" && url.strip_prefix("s3://") == Some(&format!("{}/{}", param("Bucket"), param("Key")))
}

/// The planned form of a recorded S3 request, with the note its role calls for.
fn s3_call(store: &Store, call: StoreCall, notes: &Notes, log: &[PlannedCall]) -> PlannedCall {
    let (key, action) = match &call {
        StoreCall::Head(k) => (k.clone(), "HeadObject"),
        StoreCall::Get(k) => (k.clone(), "GetObject"),
        StoreCall::Put(k, _) => (k.clone(), "PutObject"),
        StoreCall::List(k) => (k.clone(), "ListObjectsV2"),
    };
    let key = key.as_str();
    let url = store.url_of(key);
    let file = key.rsplit('/').next().unwrap_or(key);
    let read = notes.read.as_ref().filter(|(u, _, _)| *u == url);
    let ledger = url == notes.ledger.0;
    let lease = url == notes.ledger.1;
    match call {
        StoreCall::Put(_, metadata) => {
            let note = if ledger {
                ledger_change(log)
            } else if lease {
                if log.iter().any(|c| put_to(c, &notes.ledger.1)) {
                    "change: renew the lease (a few trust stores at a time)"
                } else {
                    "change: take the lease (an expired one is taken over)"
                }
            } else {
                notes.pem_put
            };
            let shown = if notes.metadata_known || ledger || lease { metadata } else { BTreeMap::new() };
            plan::put_object(&url, file, &shown, note)
        }
        _ => {
            let note = match (read, action) {
                (Some((_, head, _)), "HeadObject") => *head,
                (Some((_, _, get)), _) => *get,
                _ if ledger => {
                    "read: the ledger (absent: empty); every change reads it again and writes it \
                                conditionally"
                }
                _ if lease => "read: the lease (one run at a time per ledger)",
                (_, "HeadObject") => "read: what the key holds (a newer CRL there refuses the upload)",
                (_, "ListObjectsV2") => "read: what is under the prefix",
                _ => {
                    "read: back, compared with what was sent (not where S3 checks the PUT's SHA-256 on arrival: \
                     --upload-check)"
                }
            };
            plan::read_object(&url, action, note)
        }
    }
}

/// Why the ledger is written, from the trust-store call just made.
fn ledger_change(log: &[PlannedCall]) -> &'static str {
    match log.iter().rev().find(|c| c.service == "elbv2").map(|c| c.action) {
        Some("GetTrustStoreRevocationContent") => {
            "change, only if such a file was read: adopt it, or record it as foreign"
        }
        Some("AddTrustStoreRevocations") => "change: record the new revocation ID in the ledger",
        Some("RemoveTrustStoreRevocations") => "change: drop the removed IDs from the ledger",
        _ => "change: drop entries whose file the trust store no longer has",
    }
}

/// The trust stores of a rehearsal: every call recorded as planned, answered as a trust store
/// holding what [`Rehearsal::assume`] put there would answer.
#[derive(Default)]
pub(crate) struct RehearsalElb {
    log: Arc<Mutex<Vec<PlannedCall>>>,
    files: Mutex<BTreeMap<String, Vec<Revocation>>>,
    counts: Mutex<HashMap<String, u64>>,
    slots: Mutex<HashMap<i64, String>>,
    next: AtomicI64,
    /// Show the count an add must report (`publish`: the CRL is at hand).
    pub show_counts: bool,
}

impl RehearsalElb {
    fn next_id(&self) -> i64 {
        self.next.fetch_add(1, Atomic::Relaxed) + 1
    }

    /// Make `arn` hold one file of unknown origin (once), and, given its count, one more:
    /// returns the latter's ID.
    fn hold(&self, arn: &TrustStoreArn, entries: Option<u64>) -> Option<i64> {
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let live = files.entry(arn.as_str().to_owned()).or_default();
        if live.is_empty() {
            live.push(Revocation { id: self.next_id(), entries: 1 });
        }
        let id = self.next_id();
        live.push(Revocation { id, entries: entries? });
        Some(id)
    }

    fn record(&self, call: PlannedCall) {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).push(call);
    }

    fn live(&self, arn: &TrustStoreArn) -> Vec<Revocation> {
        self.files.lock().unwrap_or_else(|p| p.into_inner()).get(arn.as_str()).cloned().unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl TrustStoreApi for RehearsalElb {
    async fn describe_trust_store(&self, arn: &TrustStoreArn) -> Result<TrustStoreInfo, ElbError> {
        self.record(plan::describe_trust_store(arn));
        Ok(TrustStoreInfo {
            name: arn.name().to_owned(),
            status: "ACTIVE".into(),
            total_revoked_entries: self.live(arn).iter().map(|r| r.entries).sum(),
            ca_certificates: 1,
        })
    }

    async fn describe_revocations(&self, arn: &TrustStoreArn) -> Result<Vec<Revocation>, ElbError> {
        self.record(plan::describe_revocations(arn));
        Ok(self.live(arn))
    }

    async fn add_revocation(&self, arn: &TrustStoreArn, object: &S3Object) -> Result<Revocation, ElbError> {
        let count = self.counts.lock().unwrap_or_else(|p| p.into_inner()).get(&object.key).copied();
        self.record(plan::add_revocation(arn, object, count.filter(|_| self.show_counts)));
        let added = Revocation { id: self.next_id(), entries: count.unwrap_or(0) };
        self.files.lock().unwrap_or_else(|p| p.into_inner()).entry(arn.as_str().to_owned()).or_default().push(added);
        Ok(added)
    }

    async fn remove_revocations(&self, arn: &TrustStoreArn, ids: &[i64]) -> Result<(), ElbError> {
        let slot = ids.iter().find_map(|id| self.slots.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned());
        self.record(match slot {
            Some(issuer) => plan::remove_replaced(arn, &issuer),
            None => plan::remove_foreign(arn),
        });
        if let Some(live) = self.files.lock().unwrap_or_else(|p| p.into_inner()).get_mut(arn.as_str()) {
            live.retain(|r| !ids.contains(&r.id));
        }
        Ok(())
    }

    async fn revocation_content(&self, arn: &TrustStoreArn, _id: i64, _max_bytes: u64) -> Result<Vec<u8>, ElbError> {
        self.record(plan::revocation_content(arn));
        Ok(b"a revocation file added by someone else".to_vec())
    }

    async fn tags(&self, arn: &TrustStoreArn) -> Result<Vec<(String, String)>, ElbError> {
        self.record(plan::describe_tags(arn));
        Ok(Vec::new())
    }

    async fn add_tags(&self, arn: &TrustStoreArn, tags: &[(String, String)]) -> Result<(), ElbError> {
        for (k, v) in tags {
            self.record(plan::add_tags(arn, k, v));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_counts_down() {
        let mut f = assumed_facts();
        f.crl_number_hex = Some("100".into());
        let o = older(&f).unwrap();
        assert_eq!((o.crl_number.as_deref(), o.crl_number_hex.as_deref()), (Some("255"), Some("FF")));
        assert_eq!(f.number_cmp(&o), Some(std::cmp::Ordering::Greater));
        f.crl_number_hex = Some("0".into());
        assert!(older(&f).is_none(), "no CRL comes before number 0");
    }
}
