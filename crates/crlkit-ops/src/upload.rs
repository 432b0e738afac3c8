//! Upload of prepared CRLs under the storage rules (`crlkit_upload::upload_crl`: never over a
//! newer CRL, conditional on what was read, read back), with partitioned sets going whole or
//! not at all: every partition of a set is checked against its key before the first is sent.

use std::path::Path;

use crlkit_elb::partition::{Partition, PartitionSet, SetOptions, check_set, find_sets};
use crlkit_elb::preflight::{Finding, Severity};
use crlkit_upload::{Checked, Store, Target, UploadResult};
use serde::Serialize;

use crate::error::OpsError;
use crate::prepare::PreparedCrl;

/// A prepared CRL and the key it goes to.
#[derive(Clone, Debug)]
pub struct Item {
    /// The object key.
    pub key: String,
    /// The CRL.
    pub crl: PreparedCrl,
}

/// The name a CRL file or object is stored under as PEM: its stem with `.pem`
/// (`crl/1a2b.crl` → `1a2b.pem`).
pub fn pem_name(name: &str) -> String {
    let stem = Path::new(name).file_stem().map(|s| s.to_string_lossy().into_owned());
    format!("{}.pem", stem.unwrap_or_else(|| "crl".into()))
}

/// The key a CRL read from `name` goes to under `target`: the object the URL names, or under
/// a prefix its [`pem_name`].
pub fn key_for(target: &Target, name: &str) -> String {
    if target.is_prefix() { target.join(&pem_name(name)) } else { target.key().to_owned() }
}

/// How to upload.
#[derive(Clone, Debug)]
pub struct UploadOptions {
    /// Upload despite blocking findings, and replace whatever a key holds (still conditionally).
    pub force: bool,
    /// What partitioned sets are checked against.
    pub sets: SetOptions,
}

/// What became of one CRL (`--json`: the `result` field and what goes with it).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum UploadOutcome {
    /// Written and checked (read back, or by the store on arrival).
    Uploaded {
        /// The stored object's ETag.
        etag: Option<String>,
        /// Its version, on a versioned bucket.
        version: Option<String>,
        /// The CRL number of the CRL it replaced.
        replaced_crl_number: Option<String>,
        /// Conditional writes it took (a lost race decides again).
        attempts: u64,
        /// How the bytes were checked: `read-back` or `checksum`.
        checked: Checked,
        /// True when it replaced a CRL (whose number may be absent).
        #[serde(skip)]
        replaced: bool,
    },
    /// The key already held these bytes: nothing was sent.
    Identical {
        /// The stored object's ETag.
        etag: Option<String>,
        /// Its version.
        version: Option<String>,
    },
    /// Not sent.
    Refused {
        /// `preflight`, `set`, or the storage refusal's code (`not-newer`, `other-issuer`, ...).
        refusal: String,
        /// Why, in a sentence (absent for `preflight`: its findings say why).
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
}

impl UploadOutcome {
    fn of(r: &UploadResult, crl: &PreparedCrl) -> Self {
        match r {
            UploadResult::Uploaded { info, replaced, attempts, checked } => UploadOutcome::Uploaded {
                etag: info.e_tag.clone(),
                version: info.version.clone(),
                replaced_crl_number: replaced.as_ref().and_then(|r| r.crl_number.clone()),
                attempts: *attempts as u64,
                checked: *checked,
                replaced: replaced.is_some(),
            },
            UploadResult::Identical { info } => {
                UploadOutcome::Identical { etag: info.e_tag.clone(), version: info.version.clone() }
            }
            UploadResult::Refused(r) => {
                UploadOutcome::Refused { refusal: r.code().to_owned(), message: Some(r.message(&crl.facts)) }
            }
        }
    }

    /// True when the object now holds the CRL (sent now or before).
    pub fn is_stored(&self) -> bool {
        matches!(self, UploadOutcome::Uploaded { .. } | UploadOutcome::Identical { .. })
    }
}

/// One CRL's upload, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct UploadRecord {
    /// Where the CRL came from.
    pub source: String,
    /// The object's URL.
    pub url: String,
    /// Its key.
    pub key: String,
    /// Bytes of PEM.
    pub size: u64,
    /// SHA-256 of the PEM.
    pub sha256: String,
    /// The CRL number, decimal.
    pub crl_number: Option<String>,
    /// Revoked entries.
    pub entries: u64,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: UploadOutcome,
    /// Preflight's findings on it.
    pub preflight: Vec<Finding>,
}

/// One partitioned set among the CRLs, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct SetRecord {
    /// The issuer, RFC 4514.
    pub issuer: String,
    /// The AKI its partitions share.
    pub authority_key_id: Option<String>,
    /// Its partitions' object URLs.
    pub urls: Vec<String>,
    /// True when every partition is stored.
    pub stored: bool,
    /// The set's own findings (quotas, freshness, one generation).
    pub preflight: Vec<Finding>,
}

/// What an upload run did (`crlkit upload --json`).
#[derive(Clone, Debug, Serialize)]
pub struct UploadReport {
    /// The URL the CRLs went to (an object or a prefix).
    pub target: String,
    /// Every CRL, in input order.
    pub uploads: Vec<UploadRecord>,
    /// The partitioned sets among them.
    pub sets: Vec<SetRecord>,
}

impl UploadReport {
    /// True when some CRL was refused (exit 1).
    pub fn refused(&self) -> bool {
        self.uploads.iter().any(|u| matches!(u.outcome, UploadOutcome::Refused { .. }))
    }
}

/// A partitioned set with its findings.
struct CheckedSet {
    set: PartitionSet,
    findings: Vec<Finding>,
}

/// The partitioned sets among `partitions`, each checked as one unit (`upload` and `stage`).
pub fn check_sets(partitions: &[&Partition], opts: &SetOptions) -> Vec<(PartitionSet, Vec<Finding>)> {
    find_sets(partitions)
        .into_iter()
        .map(|set| {
            let findings = check_set(&set, partitions, opts);
            (set, findings)
        })
        .collect()
}

/// The sets among `items`: they form among several CRLs; one alone is uploaded as it is.
fn sets_of(items: &[Item], opts: &SetOptions) -> Vec<CheckedSet> {
    if items.len() < 2 {
        return Vec::new();
    }
    let partitions: Vec<&Partition> = items.iter().map(|i| &i.crl.partition).collect();
    check_sets(&partitions, opts).into_iter().map(|(set, findings)| CheckedSet { set, findings }).collect()
}

/// Upload `items` to `store`: sets first decided whole (refused by preflight, or by any
/// partition's key, then none of it is sent), then every CRL not refused, in order. A failure
/// part-way names what is stored and what is not.
pub async fn upload(store: &Store, items: &[Item], opts: &UploadOptions) -> Result<UploadReport, OpsError> {
    let sets = sets_of(items, &opts.sets);
    let preflight_refused = |i: usize| !opts.force && !items[i].crl.is_ready();
    let refused = |refusal: &str, message: Option<String>| UploadOutcome::Refused { refusal: refusal.into(), message };
    let mut outcomes: Vec<Option<UploadOutcome>> = vec![None; items.len()];
    for CheckedSet { set, findings } in &sets {
        let set_blocking = findings.iter().find(|f| f.severity == Severity::Blocking);
        let member_blocking = set.members.iter().copied().find(|&i| !items[i].crl.is_ready());
        let mut why = match (opts.force, set_blocking, member_blocking) {
            (false, Some(f), _) => Some(format!("its set is refused by preflight ({}: {})", f.code, f.message)),
            (false, None, Some(i)) => {
                Some(format!("its set is refused: {} has blocking findings", items[i].crl.source))
            }
            _ => None,
        };
        if why.is_none() {
            for &i in &set.members {
                let Item { key, crl } = &items[i];
                let refusal =
                    crlkit_upload::would_refuse(store, key, &crl.pem, &crl.facts, opts.force).await.map_err(|e| {
                        OpsError::from(e).with_context(format!(
                            "checking the partitioned set of {} CRLs before sending any: nothing was uploaded",
                            set.members.len()
                        ))
                    })?;
                if let Some(r) = refusal {
                    why = Some(format!("its set is refused: {} would be ({})", store.url_of(key), r.code()));
                    outcomes[i] = Some(UploadOutcome::of(&UploadResult::Refused(r), crl));
                    break;
                }
            }
        }
        if let Some(why) = why {
            for &i in &set.members {
                if outcomes[i].is_none() {
                    outcomes[i] = Some(if preflight_refused(i) {
                        refused("preflight", None)
                    } else {
                        refused("set", Some(why.clone()))
                    });
                }
            }
        }
    }
    for (i, Item { key, crl }) in items.iter().enumerate() {
        if outcomes[i].is_some() {
            continue;
        }
        if preflight_refused(i) {
            outcomes[i] = Some(refused("preflight", None));
            continue;
        }
        match crlkit_upload::upload_crl(store, key, &crl.pem, &crl.facts, opts.force).await {
            Ok(r) => outcomes[i] = Some(UploadOutcome::of(&r, crl)),
            Err(e) if items.len() == 1 => return Err(e.into()),
            Err(e) => return Err(partial_failure(e.into(), store, items, &outcomes, i, &sets)),
        }
    }
    let uploads: Vec<UploadRecord> = items
        .iter()
        .zip(outcomes)
        .map(|(Item { key, crl }, outcome)| UploadRecord {
            source: crl.source.clone(),
            url: store.url_of(key),
            key: key.clone(),
            size: crl.facts.size,
            sha256: crl.facts.sha256.clone(),
            crl_number: crl.facts.crl_number.clone(),
            entries: crl.facts.entries,
            outcome: outcome.expect("every item decided"),
            preflight: crl.findings.clone(),
        })
        .collect();
    let sets = sets
        .into_iter()
        .map(|CheckedSet { set, findings }| SetRecord {
            urls: set.members.iter().map(|&i| uploads[i].url.clone()).collect(),
            stored: set.members.iter().all(|&i| uploads[i].outcome.is_stored()),
            issuer: set.issuer,
            authority_key_id: set.authority_key_id,
            preflight: findings,
        })
        .collect();
    Ok(UploadReport { target: store.target().url(), uploads, sets })
}

/// The failure of item `failed` with what was stored before it and what was not.
fn partial_failure(
    e: OpsError,
    store: &Store,
    items: &[Item],
    outcomes: &[Option<UploadOutcome>],
    failed: usize,
    sets: &[CheckedSet],
) -> OpsError {
    let stored: Vec<String> = items
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| o.as_ref().is_some_and(UploadOutcome::is_stored))
        .map(|(i, _)| store.url_of(&i.key))
        .collect();
    let not: Vec<String> =
        (failed..items.len()).filter(|&i| outcomes[i].is_none()).map(|i| store.url_of(&items[i].key)).collect();
    let mut e = e
        .with_context(format!(
            "stored before this failure ({} of {}): {}",
            stored.len(),
            items.len(),
            if stored.is_empty() { "none".to_owned() } else { stored.join(", ") }
        ))
        .with_context(format!("not stored: {}", not.join(", ")));
    if let Some(s) = sets.iter().find(|s| s.set.members.contains(&failed)) {
        e = e.with_context(format!(
            "{} belongs to a partitioned set of {} CRLs: the set is incomplete at the target until this upload is \
             run again",
            items[failed].crl.source,
            s.set.members.len()
        ));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(pem_name("dir/1a2b.crl"), "1a2b.pem");
        assert_eq!(pem_name("crl/ca"), "ca.pem");
        let prefix = Target::parse("s3://bkt/crl/").unwrap();
        assert_eq!(key_for(&prefix, "/tmp/x/pca.der"), "crl/pca.pem");
        let object = Target::parse("s3://bkt/crl/named.pem").unwrap();
        assert_eq!(key_for(&object, "pca.der"), "crl/named.pem");
    }

    #[test]
    fn outcomes_serialize_with_their_result() {
        let v = |o: &UploadOutcome| serde_json::to_value(o).unwrap();
        let refused = UploadOutcome::Refused { refusal: "preflight".into(), message: None };
        assert_eq!(v(&refused), serde_json::json!({"result": "refused", "refusal": "preflight"}));
        let up = UploadOutcome::Uploaded {
            etag: None,
            version: None,
            replaced_crl_number: None,
            attempts: 1,
            checked: Checked::ReadBack,
            replaced: false,
        };
        assert_eq!(v(&up)["result"], "uploaded");
        assert_eq!(v(&up)["checked"], "read-back");
        assert!(v(&up).as_object().unwrap().contains_key("replaced_crl_number"), "null, not absent");
    }
}
