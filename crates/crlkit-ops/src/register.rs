//! Registration of a PEM CRL object with trust stores (`crlkit register`), the registration
//! record every ELB flow reports, and the calls one registration makes, for `--plan`.

use crlkit_elb::api::{Revocation, S3Object, TrustStoreApi};
use crlkit_elb::lease::{Lease, LeaseOptions};
use crlkit_elb::ledger::{LedgerEntry, LedgerStore};
use crlkit_elb::register::{self, Outcome, Quotas, Report};
use crlkit_elb::{ElbError, TrustStoreArn};
use crlkit_upload::{CrlFacts, Store, Target};
use serde::{Serialize, Serializer};

use crate::connect::Connection;
use crate::error::OpsError;
use crate::lease::{LeaseHolder, holding};
use crate::plan::Plan;
use crate::rehearsal::{Notes, Reading, Rehearsal, assumed_facts};

/// How registrations proceed, the same for every trust store of a run.
#[derive(Clone, Debug)]
pub struct Rotation {
    /// Remove the issuer's older files after the add (`--replace`).
    pub replace: bool,
    /// Remove them before the add when old and new cannot both fit (`--remove-first`).
    pub remove_first: bool,
    /// Remove the files found foreign once the CRL is live (`--prune-foreign`).
    pub prune_foreign: bool,
    /// The trust stores' quotas.
    pub quotas: Quotas,
    /// Now, RFC 3339 (ledger timestamps).
    pub now: String,
}

impl Rotation {
    /// The registration of `object` (holding `crl`) in `arn`.
    pub(crate) fn request(
        &self,
        arn: &TrustStoreArn,
        object: &S3Object,
        crl: &CrlFacts,
        source: Option<crlkit_elb::ledger::SourceObject>,
    ) -> register::Request {
        register::Request {
            arn: arn.clone(),
            object: object.clone(),
            crl: crl.clone(),
            replace: self.replace,
            remove_first: self.remove_first,
            prune_foreign: self.prune_foreign,
            quotas: self.quotas,
            source,
            now: self.now.clone(),
        }
    }
}

/// A revocation file ELB holds and the ledger does not know.
#[derive(Clone, Debug, Serialize)]
pub struct UnknownFile {
    /// Its revocation ID.
    pub revocation_id: i64,
    /// ELB's count of its entries.
    pub elb_entries: u64,
}

impl From<&Revocation> for UnknownFile {
    fn from(r: &Revocation) -> Self {
        Self { revocation_id: r.id, elb_entries: r.entries }
    }
}

/// A ledger entry named in a report: removed from the trust store, or dropped from the ledger.
#[derive(Clone, Debug)]
pub struct FileRef {
    /// Its revocation ID.
    pub revocation_id: i64,
    /// The CRL number of the CRL it held.
    pub crl_number: Option<String>,
    /// ELB's count of its entries.
    pub elb_entries: u64,
    /// The object it was added from.
    pub object_url: String,
}

impl From<&LedgerEntry> for FileRef {
    fn from(e: &LedgerEntry) -> Self {
        Self {
            revocation_id: e.revocation_id,
            crl_number: e.crl.crl_number.clone(),
            elb_entries: e.elb_entries,
            object_url: e.object.url(),
        }
    }
}

/// Files as the JSON form lists them: their revocation IDs (`removed`, `ledger_repaired`,
/// `ledger_only`).
pub(crate) fn ids<S: Serializer>(files: &[FileRef], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(files.iter().map(|f| f.revocation_id))
}

/// What one registration did (`--json`: the `result` field and what goes with it).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum RegistrationOutcome {
    /// The same bytes were registered already: nothing added (superseded files a failed run
    /// left are removed now).
    AlreadyRegistered {
        /// The registration.
        revocation_id: i64,
        /// ELB's count of its entries.
        elb_entries: u64,
        /// Older files of its slot, or duplicates of it, removed now.
        #[serde(serialize_with = "ids")]
        removed: Vec<FileRef>,
    },
    /// Added, its count checked, and older files removed.
    Added {
        /// The new file.
        revocation_id: i64,
        /// ELB's count of its entries (crlkit's count: they matched).
        elb_entries: u64,
        /// The older files removed.
        #[serde(serialize_with = "ids")]
        removed: Vec<FileRef>,
        /// Removed before the add (`--remove-first`).
        removed_first: bool,
    },
    /// Refused before any change.
    Refused {
        /// `quota` or `not-newer`.
        refusal: &'static str,
        /// Why, in a sentence.
        message: String,
    },
    /// Failed (exit 2); the other trust stores went on. The message says what had changed
    /// already and what a rerun does.
    Failed {
        /// The error's code (docs/ERRORS.md).
        code: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// One trust store's registration, as every ELB flow reports it.
#[derive(Clone, Debug, Serialize)]
pub struct Registration {
    /// The trust store.
    pub trust_store_arn: String,
    /// What happened.
    #[serde(flatten)]
    pub outcome: RegistrationOutcome,
    /// Files ELB holds that the ledger does not know: left in place.
    pub unknown_source: Vec<UnknownFile>,
    /// Ledger entries whose file the trust store no longer has: dropped.
    #[serde(serialize_with = "ids")]
    pub ledger_repaired: Vec<FileRef>,
    /// Live files the ledger did not know, found by their content to be crlkit's (an add whose
    /// answer was lost, a run that crashed): taken into the ledger.
    #[serde(serialize_with = "ids")]
    pub adopted: Vec<FileRef>,
    /// Files found foreign and removed (`--prune-foreign`).
    pub pruned: Vec<UnknownFile>,
    /// Why tagging the trust store with the ledger's URL failed, after an add (the
    /// registration stands; `revocations` then needs `--ledger`).
    pub ledger_tag_error: Option<String>,
    /// `TotalRevokedEntries` before any change.
    pub total_revoked_entries_before: u64,
}

impl Registration {
    /// True when a check refused it (exit 1).
    pub fn refused(&self) -> bool {
        matches!(self.outcome, RegistrationOutcome::Refused { .. })
    }

    /// The error's code and message when it failed (exit 2).
    pub fn failed(&self) -> Option<(&'static str, &str)> {
        match &self.outcome {
            RegistrationOutcome::Failed { code, message } => Some((code, message)),
            _ => None,
        }
    }

    /// True when the trust store was changed: a file added or removed.
    pub fn changed(&self) -> bool {
        !self.pruned.is_empty()
            || match &self.outcome {
                RegistrationOutcome::Added { .. } => true,
                RegistrationOutcome::AlreadyRegistered { removed, .. } => !removed.is_empty(),
                RegistrationOutcome::Refused { .. } | RegistrationOutcome::Failed { .. } => false,
            }
    }
}

impl Registration {
    /// A trust store that refused before any change, with `TotalRevokedEntries` as described.
    pub fn refused_whole(arn: &TrustStoreArn, refusal: &register::Refusal, before: u64) -> Self {
        let outcome = RegistrationOutcome::Refused { refusal: refusal.code(), message: refusal.message() };
        Self { total_revoked_entries_before: before, ..Self::bare(arn, outcome) }
    }

    /// A trust store whose registration failed with `e`.
    pub fn failed_with(arn: &TrustStoreArn, e: &ElbError) -> Self {
        Self::bare(arn, RegistrationOutcome::Failed { code: e.code(), message: e.to_string() })
    }

    fn bare(arn: &TrustStoreArn, outcome: RegistrationOutcome) -> Self {
        Self {
            trust_store_arn: arn.as_str().to_owned(),
            outcome,
            unknown_source: Vec::new(),
            ledger_repaired: Vec::new(),
            adopted: Vec::new(),
            pruned: Vec::new(),
            ledger_tag_error: None,
            total_revoked_entries_before: 0,
        }
    }
}

impl From<&Report> for Registration {
    fn from(r: &Report) -> Self {
        let outcome = match &r.outcome {
            Outcome::AlreadyRegistered { entry, removed } => RegistrationOutcome::AlreadyRegistered {
                revocation_id: entry.revocation_id,
                elb_entries: entry.elb_entries,
                removed: removed.iter().map(FileRef::from).collect(),
            },
            Outcome::Added { revocation, removed, removed_first } => RegistrationOutcome::Added {
                revocation_id: revocation.id,
                elb_entries: revocation.entries,
                removed: removed.iter().map(FileRef::from).collect(),
                removed_first: *removed_first,
            },
            Outcome::Refused(refusal) => {
                RegistrationOutcome::Refused { refusal: refusal.code(), message: refusal.message() }
            }
        };
        Self {
            trust_store_arn: r.arn.as_str().to_owned(),
            outcome,
            unknown_source: r.unknown.iter().map(UnknownFile::from).collect(),
            ledger_repaired: r.repaired.iter().map(FileRef::from).collect(),
            adopted: r.adopted.iter().map(FileRef::from).collect(),
            pruned: r.pruned.iter().map(UnknownFile::from).collect(),
            ledger_tag_error: r.ledger_tag_error.clone(),
            total_revoked_entries_before: r.before.total_revoked_entries,
        }
    }
}

/// What to register.
#[derive(Clone, Debug)]
pub struct RegisterRequest {
    /// The PEM CRL object.
    pub object: Target,
    /// Its version (default: the current one, pinned).
    pub version: Option<String>,
    /// The ledger object.
    pub ledger: Target,
    /// The trust stores.
    pub arns: Vec<TrustStoreArn>,
    /// How.
    pub rotation: Rotation,
    /// The ledger's lease: one run at a time decides and changes these trust stores.
    pub lease: LeaseOptions,
}

/// What `register` did (`crlkit register --json`).
#[derive(Clone, Debug, Serialize)]
pub struct RegisterReport {
    /// The object's URL.
    pub object: String,
    /// The version registered.
    pub version: Option<String>,
    /// Entries as crlkit counted them.
    pub crlkit_entries: u64,
    /// Its CRL number.
    pub crl_number: Option<String>,
    /// SHA-256 of the object.
    pub sha256: String,
    /// Per trust store, in the order given.
    pub registrations: Vec<Registration>,
    /// Another run held the ledger's lease for longer than this one would wait: nothing was
    /// registered (exit 75).
    pub lease_held_by: Option<LeaseHolder>,
}

/// Read the object (one PEM CRL of at most 50 MB, counted), then register it in every trust
/// store in turn. A failure names how many trust stores were dealt with before it.
pub async fn register(conn: &Connection, req: &RegisterRequest) -> Result<RegisterReport, OpsError> {
    let objects = conn.open(&req.object).await?;
    let ledger = LedgerStore::new(conn.open(&req.ledger).await?, req.ledger.key());
    register_with(&objects, &ledger, conn.elb(), req, &Reading::Real).await
}

async fn register_with(
    objects: &Store,
    ledger: &LedgerStore,
    api: &dyn TrustStoreApi,
    req: &RegisterRequest,
    reading: &Reading,
) -> Result<RegisterReport, OpsError> {
    let (object, facts) = reading.registrable(objects, req.object.key(), req.version.as_deref()).await?;
    let lease_key = Lease::key_for_ledger(req.ledger.key());
    let held = holding(ledger.store(), &lease_key, &req.lease, async |lease: &mut Lease| {
        let mut registrations = Vec::new();
        for arn in &req.arns {
            lease.renew().await?;
            // A failed trust store does not stop the others; the report says which failed.
            registrations.push(
                match register::register(api, ledger, &req.rotation.request(arn, &object, &facts, None)).await {
                    Ok(r) => Registration::from(&r),
                    Err(e) => Registration::failed_with(arn, &e),
                },
            );
        }
        Ok(registrations)
    })
    .await?;
    let (registrations, lease_held_by) = match held {
        Ok(r) => (r, None),
        Err(holder) => (Vec::new(), Some(holder)),
    };
    Ok(RegisterReport {
        object: object.url(),
        version: object.version.clone(),
        crlkit_entries: facts.entries,
        crl_number: facts.crl_number.clone(),
        sha256: facts.sha256.clone(),
        registrations,
        lease_held_by,
    })
}

/// `register --plan`: the calls [`register()`] makes in a rehearsal (`crate::rehearsal`): the
/// object is read, and each trust store holds an older CRL of its slot.
pub async fn plan(req: &RegisterRequest) -> Result<Plan, OpsError> {
    let rehearsal = Rehearsal::new(Notes {
        read: Some((
            req.object.url(),
            "read: the object",
            "read: the CRL object, validated and counted (one PEM CRL, at most 50 MB)",
        )),
        pem_put: "change: the object",
        metadata_known: false,
        ledger: crate::rehearsal::at(&req.ledger, req.ledger.key()),
    });
    let objects = rehearsal.store(&req.object);
    rehearsal.place(&objects, req.object.key()).await?;
    let ledger_store =
        if req.ledger.bucket() == req.object.bucket() { objects.clone() } else { rehearsal.store(&req.ledger) };
    let ledger = LedgerStore::new(ledger_store.clone(), req.ledger.key());
    let assumed = LedgerStore::new(ledger_store.unrecorded(), req.ledger.key());
    let facts = assumed_facts();
    for arn in &req.arns {
        rehearsal.assume(&assumed, arn, &facts, req.object.key()).await?;
    }
    register_with(&objects, &ledger, &rehearsal.elb, req, &Reading::Assumed).await?;
    Ok(rehearsal.finish(vec![format!("{} trust store ARN(s) parsed", req.arns.len())]))
}
