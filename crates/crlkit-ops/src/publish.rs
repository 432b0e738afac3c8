//! Publish: prepared CRLs uploaded under an S3 prefix (the storage rules) and registered with
//! trust stores (the registration rules), each CRL in turn (`crlkit publish`).

use crlkit_elb::TrustStoreArn;
use crlkit_elb::api::{S3Object, TrustStoreApi};
use crlkit_elb::lease::{Lease, LeaseOptions};
use crlkit_elb::ledger::LedgerStore;
use crlkit_elb::register::check_swap;
use crlkit_upload::{CrlFacts, Store, Target, UploadResult};
use serde::Serialize;

use crate::connect::Connection;
use crate::error::OpsError;
use crate::lease::{LeaseHolder, holding};
use crate::plan::Plan;
use crate::prepare::PreparedCrl;
use crate::register::{Registration, Rotation};
use crate::rehearsal::{Notes, Rehearsal};
use crate::upload::Item;

/// What to publish.
#[derive(Clone, Debug)]
pub struct PublishRequest {
    /// The CRLs and their keys under `to`.
    pub items: Vec<Item>,
    /// The S3 prefix; the ledger is `<prefix>.crlkit/ledger.json`.
    pub to: Target,
    /// The trust stores.
    pub arns: Vec<TrustStoreArn>,
    /// How registrations proceed.
    pub rotation: Rotation,
    /// The ledger's lease: one run at a time decides and changes these trust stores.
    pub lease: LeaseOptions,
}

impl PublishRequest {
    fn ledger_key(&self) -> String {
        LedgerStore::key_for_prefix(self.to.key())
    }
}

/// What became of one CRL (`--json`: the `result` field and what goes with it).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum PublishOutcome {
    /// Not uploaded, so not registered.
    Refused {
        /// `preflight`, or the storage refusal's code.
        refusal: &'static str,
        /// Why, in a sentence (absent for `preflight`: its findings say why).
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// Stored, then registered in every trust store.
    Published {
        /// `uploaded` or `identical` (already there).
        upload: &'static str,
        /// How an upload was checked (`read-back`, `checksum`); absent when nothing was sent.
        #[serde(skip_serializing_if = "Option::is_none")]
        checked: Option<crlkit_upload::Checked>,
        /// The object version registered.
        version: Option<String>,
        /// Per trust store.
        registrations: Vec<Registration>,
    },
}

/// One CRL's publication.
#[derive(Clone, Debug, Serialize)]
pub struct PublishRecord {
    /// Where the CRL came from.
    pub source: String,
    /// The object's URL.
    pub url: String,
    /// The CRL number.
    pub crl_number: Option<String>,
    /// Revoked entries.
    pub entries: u64,
    /// SHA-256 of the PEM.
    pub sha256: String,
    /// What became of it.
    #[serde(flatten)]
    pub outcome: PublishOutcome,
}

/// What `publish` did (`crlkit publish --json`).
#[derive(Clone, Debug, Serialize)]
pub struct PublishReport {
    /// The prefix.
    pub to: String,
    /// Every CRL, in input order.
    pub crls: Vec<PublishRecord>,
    /// Another run held the ledger's lease for longer than this one would wait: nothing was
    /// uploaded or registered (exit 75).
    pub lease_held_by: Option<LeaseHolder>,
}

impl PublishReport {
    /// True when some CRL or registration was refused (exit 1).
    pub fn refused(&self) -> bool {
        self.crls.iter().any(|c| match &c.outcome {
            PublishOutcome::Refused { .. } => true,
            PublishOutcome::Published { registrations, .. } => registrations.iter().any(Registration::refused),
        })
    }
}

/// Upload each CRL that preflight lets through, then register it in every trust store.
pub async fn publish(conn: &Connection, req: &PublishRequest) -> Result<PublishReport, OpsError> {
    publish_with(&conn.open(&req.to).await?, conn.elb(), req).await
}

/// [`publish`] to a store and an ELB client of the caller's.
pub async fn publish_with(
    dest: &Store,
    api: &dyn TrustStoreApi,
    req: &PublishRequest,
) -> Result<PublishReport, OpsError> {
    let ledger = LedgerStore::new(dest.clone(), req.ledger_key());
    let lease_key = Lease::key_for_ledger(ledger.key());
    let held = holding(dest, &lease_key, &req.lease, async |lease: &mut Lease| {
        let refused = check_swaps(api, &ledger, req).await?;
        let mut crls = Vec::new();
        for Item { key, crl } in &req.items {
            lease.renew().await?;
            let outcome = publish_one(api, dest, &ledger, req, key, crl, &refused).await?;
            crls.push(PublishRecord {
                source: crl.source.clone(),
                url: req.to.url_of(key),
                crl_number: crl.facts.crl_number.clone(),
                entries: crl.facts.entries,
                sha256: crl.facts.sha256.clone(),
                outcome,
            });
        }
        Ok(crls)
    })
    .await?;
    let (crls, lease_held_by) = match held {
        Ok(c) => (c, None),
        Err(holder) => (Vec::new(), Some(holder)),
    };
    Ok(PublishReport { to: req.to.url(), crls, lease_held_by })
}

/// Several CRLs (a partitioned set's next generation) are one swap: checked against each trust
/// store's quotas before any change, and refused whole there if a step would not fit (with
/// `--remove-first`, not even after removing its slot's older file first), rather than left half
/// done.
async fn check_swaps(
    api: &dyn TrustStoreApi,
    ledger: &LedgerStore,
    req: &PublishRequest,
) -> Result<Vec<Registration>, OpsError> {
    let ready: Vec<&CrlFacts> = req.items.iter().filter(|i| i.crl.is_ready()).map(|i| &i.crl.facts).collect();
    let mut refused = Vec::new();
    if ready.len() < 2 {
        return Ok(refused);
    }
    let how = (req.rotation.replace, req.rotation.remove_first);
    for arn in &req.arns {
        if let Some((refusal, before)) = check_swap(api, ledger, arn, &ready, how, req.rotation.quotas).await? {
            refused.push(Registration::refused_whole(arn, &refusal, before));
        }
    }
    Ok(refused)
}

/// One CRL: refused by preflight or at its key, or stored and registered in every trust store
/// (but those that refused the whole swap, `refused`).
async fn publish_one(
    api: &dyn TrustStoreApi,
    dest: &Store,
    ledger: &LedgerStore,
    req: &PublishRequest,
    key: &str,
    crl: &PreparedCrl,
    refused: &[Registration],
) -> Result<PublishOutcome, OpsError> {
    if !crl.is_ready() {
        return Ok(PublishOutcome::Refused { refusal: "preflight", message: None });
    }
    let (upload, info, checked) = match crlkit_upload::upload_crl(dest, key, &crl.pem, &crl.facts, false).await? {
        UploadResult::Uploaded { info, checked, .. } => ("uploaded", info, Some(checked)),
        UploadResult::Identical { info } => ("identical", info, None),
        UploadResult::Refused(r) => {
            return Ok(PublishOutcome::Refused { refusal: r.code(), message: Some(r.message(&crl.facts)) });
        }
    };
    let object = S3Object { bucket: req.to.bucket().into(), key: key.to_owned(), version: info.version.clone() };
    let mut registrations = Vec::new();
    for arn in &req.arns {
        if let Some(r) = refused.iter().find(|r| r.trust_store_arn == arn.as_str()) {
            registrations.push(r.clone());
            continue;
        }
        let r = req.rotation.request(arn, &object, &crl.facts, None);
        // A failed trust store does not stop the others; the report says which failed.
        registrations.push(match crlkit_elb::register::register(api, ledger, &r).await {
            Ok(done) => Registration::from(&done),
            Err(e) => Registration::failed_with(arn, &e),
        });
    }
    Ok(PublishOutcome::Published { upload, checked, version: info.version, registrations })
}

/// `publish --plan`: per CRL, what preflight said; then the calls [`publish_with`] makes in a
/// rehearsal (`crate::rehearsal`), where each trust store holds an older CRL of each one's slot.
pub async fn plan(req: &PublishRequest) -> Result<Plan, OpsError> {
    let checks = req
        .items
        .iter()
        .map(|Item { crl, .. }| {
            let blocking: Vec<&str> = crl.blocking().map(|f| f.code).collect();
            format!(
                "{}: CRL number {}, {} entries, {} bytes of PEM, SHA-256 {}; preflight {}",
                crl.source,
                crl.facts.crl_number.as_deref().unwrap_or("none"),
                crl.facts.entries,
                crl.facts.size,
                crl.facts.sha256,
                if blocking.is_empty() { "ready".to_owned() } else { format!("BLOCKED ({})", blocking.join(", ")) }
            )
        })
        .collect();
    let mut rehearsal = Rehearsal::new(Notes {
        read: None,
        pem_put: "change: the PEM, with its facts as metadata",
        metadata_known: true,
        ledger: crate::rehearsal::at(&req.to, &req.ledger_key()),
    });
    rehearsal.elb.show_counts = true;
    let dest = rehearsal.store(&req.to);
    let ledger = LedgerStore::new(dest.unrecorded(), req.ledger_key());
    for Item { key, crl } in &req.items {
        for arn in &req.arns {
            rehearsal.assume(&ledger, arn, &crl.facts, key).await?;
        }
    }
    publish_with(&dest, &rehearsal.elb, req).await?;
    Ok(rehearsal.finish(checks))
}
