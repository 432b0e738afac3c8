//! Writing a CRL so that a stale one never replaces a fresh one.
//!
//! 1. Read what the key holds: its metadata (HEAD), and, unless the metadata already shows the
//!    same bytes, the object itself, whose CRL decides.
//! 2. Identical bytes: nothing to do. A CRL of the same issuer with a CRL number at least as
//!    high, or a CRL of another issuer, or something that is not a CRL: refuse (unless forced).
//! 3. Write conditionally on what was read: `If-None-Match: *` where nothing was, `If-Match`
//!    with the ETag read otherwise (on `file://`, under a directory lock). A lost race reads
//!    again and decides again.
//! 4. Read the object back and compare size and SHA-256 before reporting success, unless the
//!    store checked the SHA-256 every PUT carries on arrival ([`crate::UploadCheck`]).

use std::cmp::Ordering;

use bytes::Bytes;

use crate::error::{StoreError, StoreErrorKind};
use crate::facts::{CrlFacts, sha256_hex};
use crate::store::{Checked, ObjectInfo, Store, WriteMode};

/// Decisions before giving up on a key that keeps changing.
const ATTEMPTS: usize = 8;

/// Why an upload was refused (exit 1 in the binary).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The key holds a CRL of the same issuer whose number is at least this one's.
    NotNewer {
        /// What is there.
        existing: Box<CrlFacts>,
    },
    /// The key holds a CRL of another issuer.
    OtherIssuer {
        /// What is there.
        existing: Box<CrlFacts>,
    },
    /// The key holds another partition of the same CA's partitioned CRL (another issuing
    /// distribution point): a partition never replaces another.
    OtherPartition {
        /// What is there.
        existing: Box<CrlFacts>,
    },
    /// The key holds a CRL (of the same issuer) without a CRL number, or this one has none:
    /// which is newer cannot be told.
    Unordered {
        /// What is there.
        existing: Box<CrlFacts>,
    },
    /// The key holds something that is not a CRL.
    NotACrl {
        /// Its size.
        size: u64,
    },
}

impl Refusal {
    /// Its stable code (`not-newer`, `other-issuer`, `other-partition`, `unordered`,
    /// `not-a-crl-object`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotNewer { .. } => "not-newer",
            Refusal::OtherIssuer { .. } => "other-issuer",
            Refusal::OtherPartition { .. } => "other-partition",
            Refusal::Unordered { .. } => "unordered",
            Refusal::NotACrl { .. } => "not-a-crl-object",
        }
    }

    /// The refusal in a sentence, for a CRL whose facts are `ours`.
    pub fn message(&self, ours: &CrlFacts) -> String {
        let number = |f: &CrlFacts| f.crl_number.clone().unwrap_or_else(|| "none".into());
        match self {
            Refusal::NotNewer { existing } => format!(
                "the stored CRL has number {}, this one {}: a CRL replaces only an older one of its issuer",
                number(existing),
                number(ours)
            ),
            Refusal::OtherIssuer { existing } => {
                format!("the key holds a CRL of another issuer ({}); --force replaces it", existing.issuer)
            }
            Refusal::OtherPartition { existing } => format!(
                "the key holds another partition of this CA's CRL (distribution point {}, this one {}): a partition \
                 never replaces another; give each its own key, or --force",
                existing.idp.as_deref().unwrap_or("none"),
                ours.idp.as_deref().unwrap_or("none")
            ),
            Refusal::Unordered { existing } => format!(
                "a CRL number is missing (stored {}, this {}): which is newer cannot be told; --force replaces it",
                number(existing),
                number(ours)
            ),
            Refusal::NotACrl { size } => {
                format!("the key holds {size} bytes that are not a CRL; --force replaces them")
            }
        }
    }
}

/// What [`upload_crl`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadResult {
    /// Written and checked.
    Uploaded {
        /// The stored object (ETag, version).
        info: ObjectInfo,
        /// The CRL it replaced, if any.
        replaced: Option<Box<CrlFacts>>,
        /// Decisions taken (more than one after a lost race).
        attempts: usize,
        /// How the bytes were checked.
        checked: Checked,
    },
    /// The key already holds these exact bytes.
    Identical {
        /// The stored object.
        info: ObjectInfo,
    },
    /// Not written.
    Refused(Refusal),
}

/// Upload `bytes` (a CRL whose facts are `facts`, made from these very bytes: `facts.sha256` is
/// what the read-back is checked against) to `key`. With `force`, replace whatever is
/// there, but still conditionally on what was read.
pub async fn upload_crl(
    store: &Store,
    key: &str,
    bytes: &Bytes,
    facts: &CrlFacts,
    force: bool,
) -> Result<UploadResult, StoreError> {
    let url = store.url_of(key);
    let _lock = store.lock(key).await?;
    let metadata = if store.keeps_metadata() { facts.to_metadata() } else { Default::default() };
    for attempt in 1..=ATTEMPTS {
        let (mode, replaced) = match decide(store, key, bytes, facts, force).await? {
            Decision::Write(mode, replaced) => (mode, replaced),
            Decision::Done(result) => return Ok(result),
        };
        match store.put(key, bytes.clone(), &mode, &metadata).await {
            Ok(info) => {
                let checked = if store.checks_on_arrival() {
                    Checked::Checksum
                } else {
                    verify(store, key, bytes, &facts.sha256, &info).await?;
                    Checked::ReadBack
                };
                return Ok(UploadResult::Uploaded { info, replaced, attempts: attempt, checked });
            }
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::new(StoreErrorKind::Conflict, format!("{url} (changed {ATTEMPTS} times while deciding)")))
}

/// Whether [`upload_crl`] would refuse these bytes at `key` as the store stands now (nothing
/// is written). For a set that goes whole or not at all: every member is asked first.
pub async fn would_refuse(
    store: &Store,
    key: &str,
    bytes: &Bytes,
    facts: &CrlFacts,
    force: bool,
) -> Result<Option<Refusal>, StoreError> {
    Ok(match decide(store, key, bytes, facts, force).await? {
        Decision::Done(UploadResult::Refused(r)) => Some(r),
        _ => None,
    })
}

enum Decision {
    Write(WriteMode, Option<Box<CrlFacts>>),
    Done(UploadResult),
}

async fn decide(
    store: &Store,
    key: &str,
    bytes: &Bytes,
    facts: &CrlFacts,
    force: bool,
) -> Result<Decision, StoreError> {
    let Some(head) = store.head(key).await? else { return Ok(Decision::Write(WriteMode::Create, None)) };
    if head.size == bytes.len() as u64 && CrlFacts::metadata_sha256(&head.metadata) == Some(facts.sha256.as_str()) {
        return Ok(Decision::Done(UploadResult::Identical { info: head }));
    }
    // The object itself decides (metadata may be missing, or written by someone else).
    let Some((info, stored)) = store.get(key, None).await? else {
        return Ok(Decision::Write(WriteMode::Create, None));
    };
    if stored.len() == bytes.len() && sha256_hex(&stored) == facts.sha256 {
        return Ok(Decision::Done(UploadResult::Identical { info }));
    }
    let existing = match CrlFacts::from_stored(&stored) {
        Ok(f) => Some(Box::new(f)),
        Err(_) if force => None,
        Err(_) => return Ok(Decision::Done(UploadResult::Refused(Refusal::NotACrl { size: info.size }))),
    };
    if !force && let Some(existing) = &existing {
        let refusal = if !facts.same_issuer(existing) {
            Some(Refusal::OtherIssuer { existing: existing.clone() })
        } else if !facts.same_slot(existing) {
            Some(Refusal::OtherPartition { existing: existing.clone() })
        } else {
            match facts.number_cmp(existing) {
                Some(Ordering::Greater) => None,
                Some(_) => Some(Refusal::NotNewer { existing: existing.clone() }),
                None => Some(Refusal::Unordered { existing: existing.clone() }),
            }
        };
        if let Some(r) = refusal {
            return Ok(Decision::Done(UploadResult::Refused(r)));
        }
    }
    Ok(Decision::Write(WriteMode::Replace(info), existing))
}

/// Read back what was written and compare it with `bytes`.
async fn verify(store: &Store, key: &str, bytes: &Bytes, sha256: &str, written: &ObjectInfo) -> Result<(), StoreError> {
    let url = store.url_of(key);
    let back = match store.get(key, written.e_tag.as_deref()).await {
        Ok(Some((_, b))) => b,
        Ok(None) => {
            return Err(StoreError::new(StoreErrorKind::Integrity, format!("{url} (gone right after the write)")));
        }
        // Replaced by a newer write right after ours: ours was whole when written.
        Err(e) if e.is_conflict() => return Ok(()),
        Err(e) => return Err(e),
    };
    if back.len() != bytes.len() || sha256_hex(&back) != sha256 {
        return Err(StoreError::new(
            StoreErrorKind::Integrity,
            format!("{url} ({} bytes read back, {} written)", back.len(), bytes.len()),
        ));
    }
    Ok(())
}
