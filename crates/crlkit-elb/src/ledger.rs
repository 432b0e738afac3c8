//! The ledger: which revocation ID of which trust store came from which CRL object, because
//! ELB never says (its Describe calls return IDs and counts, never an S3 location).
//!
//! One JSON object, `<prefix>/.crlkit/ledger.json`, stored beside the CRLs it describes (the
//! same bucket, so the same permissions and lifecycle; the dot keeps it out of `*.pem`
//! listings and away from any CRL key). Every change is a read-modify-write made conditional
//! on what was read (`If-Match` on S3, `If-None-Match: *` for the first; a directory lock on
//! `file://`): a lost race reads again and applies the change again, so concurrent runs never
//! lose an entry. The ledger is never trusted blindly: before it is used it is reconciled with
//! the live trust store ([`Ledger::reconcile`]), and entries whose ID the trust store no longer
//! has are reported and dropped.

use bytes::Bytes;
use crlkit_upload::{CrlFacts, ObjectInfo, Store, WriteMode};
use serde::{Deserialize, Serialize};

use crate::api::{Revocation, S3Object};
use crate::arn::TrustStoreArn;
use crate::error::{ElbError, ElbErrorKind};

/// The format tag; a ledger with another is refused, not guessed at.
pub const FORMAT: &str = "crlkit-ledger/1";
/// Where the ledger lives under a prefix.
pub const LEDGER_NAME: &str = ".crlkit/ledger.json";
/// Read-modify-write rounds before giving up on a ledger that keeps changing (each round one
/// writer wins, so this many runs or trust stores may write at once).
const ATTEMPTS: usize = 32;

/// Where a synced CRL came from (the Private CA's object), so that an unchanged source is not
/// even downloaded again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceObject {
    /// Its URL.
    pub url: String,
    /// ETag when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Version ID when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// One registered revocation file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The trust store.
    pub trust_store_arn: String,
    /// Its revocation ID there.
    pub revocation_id: i64,
    /// The object ELB read.
    pub object: S3Object,
    /// The CRL in it (issuer, AKI, CRL number, thisUpdate, nextUpdate, entries, SHA-256).
    pub crl: CrlFacts,
    /// `NumberOfRevokedEntries` as ELB reported it.
    pub elb_entries: u64,
    /// When crlkit registered it, RFC 3339.
    pub registered_at: String,
    /// The source object, for `sync`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceObject>,
}

/// A live file the ledger did not know, read once by its content and found to be no CRL crlkit
/// registered: left alone (never removed), and not read again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignFile {
    /// The trust store.
    pub trust_store_arn: String,
    /// Its revocation ID there.
    pub revocation_id: i64,
    /// SHA-256 of its content, hex.
    pub sha256: String,
    /// The issuer of the CRL in it, if it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// An add about to be made, written before it (write-ahead): a run that crashes, or loses the
/// add's answer, leaves it behind, and the next run that finds a live file of this content the
/// ledger does not know adopts it with these facts, whatever it came to register itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    /// The trust store.
    pub trust_store_arn: String,
    /// The object being added.
    pub object: S3Object,
    /// The CRL in it.
    pub crl: CrlFacts,
    /// When the add was begun, RFC 3339.
    pub at: String,
    /// The sync source, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceObject>,
}

/// The whole ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// [`FORMAT`].
    pub format: String,
    /// Every registered file, sorted by trust store and ID.
    pub entries: Vec<LedgerEntry>,
    /// Live files identified as not crlkit's (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign: Vec<ForeignFile>,
    /// Adds begun and not yet recorded (absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intents: Vec<Intent>,
}

/// What reconciling the ledger with a live trust store found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Ledger entries whose ID the trust store still has.
    pub known: Vec<LedgerEntry>,
    /// Ledger entries whose ID the trust store no longer has (removed by someone else): to
    /// be dropped from the ledger.
    pub gone: Vec<LedgerEntry>,
    /// Live revocation files the ledger knows nothing about (added by hand or another tool):
    /// listed, never removed.
    pub unknown: Vec<Revocation>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self { format: FORMAT.into(), entries: Vec::new(), foreign: Vec::new(), intents: Vec::new() }
    }

    /// Parse a stored ledger.
    pub fn from_json(bytes: &[u8], url: &str) -> Result<Self, ElbError> {
        let ledger: Ledger = serde_json::from_slice(bytes)
            .map_err(|e| ElbError::new(ElbErrorKind::BadLedger, url.to_owned()).with_source(e))?;
        if ledger.format != FORMAT {
            return Err(ElbError::new(
                ElbErrorKind::BadLedger,
                format!("{url}: format {:?}, this crlkit reads {FORMAT:?}", ledger.format),
            ));
        }
        Ok(ledger)
    }

    /// As stored: pretty JSON, entries sorted.
    pub fn to_json(&self) -> Vec<u8> {
        let mut sorted = self.clone();
        sorted
            .entries
            .sort_by(|a, b| (&a.trust_store_arn, a.revocation_id).cmp(&(&b.trust_store_arn, b.revocation_id)));
        let mut out = serde_json::to_vec_pretty(&sorted).expect("a ledger serializes");
        out.push(b'\n');
        out
    }

    /// The entries of one trust store.
    pub fn of<'a>(&'a self, arn: &'a TrustStoreArn) -> impl Iterator<Item = &'a LedgerEntry> + 'a {
        self.entries.iter().filter(move |e| e.trust_store_arn == arn.as_str())
    }

    /// Compare this ledger's entries for `arn` with the trust store's live files.
    pub fn reconcile(&self, arn: &TrustStoreArn, live: &[Revocation]) -> Reconciled {
        let mut r = Reconciled::default();
        for e in self.of(arn) {
            if live.iter().any(|l| l.id == e.revocation_id) {
                r.known.push(e.clone());
            } else {
                r.gone.push(e.clone());
            }
        }
        r.unknown = live.iter().filter(|l| !r.known.iter().any(|k| k.revocation_id == l.id)).copied().collect();
        r
    }

    /// Whether `id` of `arn` was read and found not to be crlkit's.
    pub fn is_foreign(&self, arn: &str, id: i64) -> bool {
        self.foreign.iter().any(|f| f.trust_store_arn == arn && f.revocation_id == id)
    }

    /// Add (or replace) the entry for its trust store and ID.
    pub fn insert(&mut self, entry: LedgerEntry) {
        self.remove(&entry.trust_store_arn, &[entry.revocation_id]);
        self.entries.push(entry);
    }

    /// Drop the intent to add the CRL `sha256` to `arn` (recorded, adopted, or begun again).
    pub fn clear_intent(&mut self, arn: &str, sha256: &str) {
        self.intents.retain(|i| !(i.trust_store_arn == arn && i.crl.sha256 == sha256));
    }

    /// Drop the entries (and foreign files) of `arn` with these IDs; true if any was there.
    pub fn remove(&mut self, arn: &str, ids: &[i64]) -> bool {
        let before = self.entries.len() + self.foreign.len();
        self.entries.retain(|e| !(e.trust_store_arn == arn && ids.contains(&e.revocation_id)));
        self.foreign.retain(|f| !(f.trust_store_arn == arn && ids.contains(&f.revocation_id)));
        self.entries.len() + self.foreign.len() != before
    }
}

/// The prefix of the trust-store tags that name the ledgers crlkit keeps for it: one tag per
/// ledger (several CAs, each with its own prefix, may share a trust store), its value the
/// ledger's URL, so `revocations` finds them from the trust store alone.
pub const LEDGER_TAG_PREFIX: &str = "crlkit-ledger-";

/// The tag naming the ledger at `url`: `crlkit-ledger-<12 hex digits of its URL's SHA-256>`.
pub fn ledger_tag(url: &str) -> (String, String) {
    let digest = crlkit_upload::sha256_hex(url.as_bytes());
    (format!("{LEDGER_TAG_PREFIX}{}", &digest[..12]), url.to_owned())
}

/// The ledger URLs `tags` name.
pub fn tagged_ledgers(tags: &[(String, String)]) -> Vec<String> {
    tags.iter().filter(|(k, _)| k.starts_with(LEDGER_TAG_PREFIX)).map(|(_, v)| v.clone()).collect()
}

/// The ledger object in a store.
#[derive(Clone, Debug)]
pub struct LedgerStore {
    store: Store,
    key: String,
}

impl LedgerStore {
    /// The ledger at `key` of `store`.
    pub fn new(store: Store, key: impl Into<String>) -> Self {
        Self { store, key: key.into() }
    }

    /// The key of the ledger that belongs with objects under `prefix` (`crl/` →
    /// `crl/.crlkit/ledger.json`).
    pub fn key_for_prefix(prefix: &str) -> String {
        format!("{prefix}{LEDGER_NAME}")
    }

    /// The key of the ledger that belongs with the object `key` (in its "directory").
    pub fn key_for_object(key: &str) -> String {
        let dir = key.rfind('/').map_or("", |i| &key[..=i]);
        Self::key_for_prefix(dir)
    }

    /// Its URL.
    pub fn url(&self) -> String {
        self.store.url_of(&self.key)
    }

    /// The store it is kept in (its lease is kept there too).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Its key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Read it; an absent ledger is an empty one.
    pub async fn load(&self) -> Result<Ledger, ElbError> {
        Ok(self.read().await?.0)
    }

    async fn read(&self) -> Result<(Ledger, Option<ObjectInfo>), ElbError> {
        match self.store.get(&self.key, None).await? {
            None => Ok((Ledger::new(), None)),
            Some((info, bytes)) => Ok((Ledger::from_json(&bytes, &self.url())?, Some(info))),
        }
    }

    /// Apply `change` (which returns whether it changed anything) and write the result
    /// conditionally on what was read; on a lost race, read and apply again.
    pub async fn update(&self, mut change: impl FnMut(&mut Ledger) -> bool) -> Result<Ledger, ElbError> {
        let _lock = self.store.lock(&self.key).await?;
        for _ in 0..ATTEMPTS {
            let (mut ledger, info) = self.read().await?;
            if !change(&mut ledger) {
                return Ok(ledger);
            }
            let mode = info.map_or(WriteMode::Create, WriteMode::Replace);
            match self.store.put(&self.key, Bytes::from(ledger.to_json()), &mode, &Default::default()).await {
                Ok(_) => return Ok(ledger),
                Err(e) if e.is_conflict() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ElbError::new(ElbErrorKind::Ledger, format!("{} (changed {ATTEMPTS} times while updating)", self.url())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn entry(arn: &str, id: i64, number: &str) -> LedgerEntry {
        LedgerEntry {
            trust_store_arn: arn.into(),
            revocation_id: id,
            object: S3Object { bucket: "b".into(), key: format!("crl/{id}.pem"), version: None },
            crl: CrlFacts {
                issuer: "CN=Test CA".into(),
                issuer_sha256: "00".into(),
                authority_key_id: Some("AA".into()),
                crl_number: Some(number.into()),
                crl_number_hex: Some(number.into()),
                this_update: "2026-12-01T00:00:00Z".into(),
                next_update: Some("2026-12-08T00:00:00Z".into()),
                entries: 3,
                sha256: format!("{id:064x}"),
                size: 100,
                idp: None,
            },
            elb_entries: 3,
            registered_at: "2026-12-01T00:00:00Z".into(),
            source: None,
        }
    }

    #[test]
    fn keys_and_round_trip() {
        assert_eq!(LedgerStore::key_for_object("crl/ca.pem"), "crl/.crlkit/ledger.json");
        assert_eq!(LedgerStore::key_for_object("ca.pem"), ".crlkit/ledger.json");
        assert_eq!(LedgerStore::key_for_prefix("a/b/"), "a/b/.crlkit/ledger.json");
        let mut l = Ledger::new();
        l.insert(entry("arn:x", 7, "2"));
        l.insert(entry("arn:x", 3, "1"));
        let back = Ledger::from_json(&l.to_json(), "u").unwrap();
        assert_eq!(back.entries.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [3, 7]);
        let e = Ledger::from_json(br#"{"format":"crlkit-ledger/9","entries":[]}"#, "u").unwrap_err();
        assert_eq!(e.kind(), ElbErrorKind::BadLedger);
        assert_eq!(Ledger::from_json(b"{", "u").unwrap_err().kind(), ElbErrorKind::BadLedger);
    }

    #[test]
    fn reconcile_sorts_known_gone_unknown() {
        let arn = TrustStoreArn::parse("arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/t/1").unwrap();
        let mut l = Ledger::new();
        l.insert(entry(arn.as_str(), 1, "1"));
        l.insert(entry(arn.as_str(), 2, "2"));
        l.insert(entry("arn:other", 5, "1"));
        let live = [Revocation { id: 2, entries: 3 }, Revocation { id: 9, entries: 4 }];
        let r = l.reconcile(&arn, &live);
        assert_eq!(r.known.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [2]);
        assert_eq!(r.gone.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [1]);
        assert_eq!(r.unknown, [Revocation { id: 9, entries: 4 }]);
    }

    #[test]
    fn concurrent_updates_lose_nothing() {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let target = crlkit_upload::Target::parse("memory://ledger-race/").unwrap();
            let store = Store::open(&target, &Default::default()).await.unwrap();
            let ledger = LedgerStore::new(store, LedgerStore::key_for_prefix(""));
            let tasks: Vec<_> = (0..6)
                .map(|i| {
                    let ledger = ledger.clone();
                    tokio::spawn(async move {
                        ledger
                            .update(|l| {
                                l.insert(entry("arn:x", i, "1"));
                                true
                            })
                            .await
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap().unwrap();
            }
            let l = ledger.load().await.unwrap();
            assert_eq!(l.entries.len(), 6, "every concurrent insert is kept");
        });
    }
}
