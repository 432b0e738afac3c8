//! Registering a CRL object with a trust store, and rotating it: the logic, over
//! [`TrustStoreApi`] and the [`LedgerStore`], with no SDK in sight.
//!
//! Per trust store:
//! 1. Describe the trust store (it must exist and be `ACTIVE`) and its revocation files, and
//!    reconcile the ledger with them: entries whose ID is gone are reported and dropped. A live
//!    ID the ledger does not know is read once by its content: a file byte-identical to a CRL
//!    crlkit registered (an add whose answer was lost) or an older CRL of a slot crlkit manages
//!    here is adopted and handled like any other; anything else is foreign, listed, never
//!    removed.
//! 2. The same CRL (same SHA-256) registered already: nothing to do, its ID is reported.
//! 3. With `replace`, the older files of the same issuer (by the ledger) are to go; a file of
//!    that issuer with a CRL number at least as high refuses the swap.
//! 4. Quotas: ELB's `TotalRevokedEntries` plus the new entries, and the files plus one, must
//!    fit, because during the swap old and new both count. If they do not, the swap is
//!    refused, unless `remove_first`, which removes the old files before the add (a window in
//!    which revoked clients are accepted, recorded in the report).
//! 5. Write the add's intent to the ledger (write-ahead), add, record the new ID in the ledger
//!    at once (clearing the intent); check ELB's `NumberOfRevokedEntries` against crlkit's
//!    count (a mismatch is an error, and nothing old is removed).
//! 6. Remove the replaced IDs, only now, and drop them from the ledger.

use std::cmp::Ordering;

use crlkit_upload::{CrlFacts, Store};

use crate::api::{Revocation, S3Object, TrustStoreApi, TrustStoreInfo};
use crate::arn::TrustStoreArn;
use crate::error::{ElbError, ElbErrorKind};
use crate::ledger::{LedgerEntry, LedgerStore, SourceObject};
use crate::quotas;

/// The trust-store quotas to plan against (raise them for an account with raised quotas).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// Revoked entries per trust store.
    pub max_entries: u64,
    /// Revocation files per trust store.
    pub max_files: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Self { max_entries: quotas::MAX_REVOKED_ENTRIES, max_files: quotas::MAX_REVOCATION_FILES }
    }
}

/// What to register where.
#[derive(Clone, Debug)]
pub struct Request {
    /// The trust store.
    pub arn: TrustStoreArn,
    /// The PEM object ELB is to read.
    pub object: S3Object,
    /// The CRL in it, as crlkit read it from that very object.
    pub crl: CrlFacts,
    /// Remove the older files of the same issuer after the add.
    pub replace: bool,
    /// When old and new cannot both fit: remove first.
    pub remove_first: bool,
    /// Once this CRL is live and its count checked, remove the files found foreign (read by
    /// their content: no CRL crlkit registered, nor an older one of a slot it manages).
    pub prune_foreign: bool,
    /// Quotas to respect.
    pub quotas: Quotas,
    /// The source object (for `sync`).
    pub source: Option<SourceObject>,
    /// Now, RFC 3339 (the ledger's `registered_at`).
    pub now: String,
}

/// Why a registration was refused before any change (exit 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The files would not fit in the quotas.
    Quota {
        /// `TotalRevokedEntries` now.
        entries_now: u64,
        /// Files now.
        files_now: u64,
        /// Entries of the new file.
        adding: u64,
        /// Entries of the files `--replace` would remove.
        removing: u64,
        /// Files `--replace` would remove.
        removing_files: u64,
        /// The quotas.
        quotas: Quotas,
        /// Removing first would make it fit.
        fits_if_removed_first: bool,
    },
    /// A swap of several CRLs (a partitioned set's next generation) would not fit at one of
    /// its steps: refused whole, before any change, rather than left half done.
    SwapQuota {
        /// Which CRL of the swap (1-based) would not fit.
        step: usize,
        /// How many CRLs the swap adds.
        of: usize,
        /// That step's refusal.
        quota: Box<Refusal>,
    },
    /// With `--replace`: the ledger ties a file of the same issuer with a CRL number at least
    /// as high (or one without a number) to this trust store.
    NotNewer {
        /// What is registered.
        registered: Box<LedgerEntry>,
    },
}

impl Refusal {
    /// Its stable code (`quota`, `not-newer`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Quota { .. } | Refusal::SwapQuota { .. } => "quota",
            Refusal::NotNewer { .. } => "not-newer",
        }
    }

    /// The refusal in a sentence.
    pub fn message(&self) -> String {
        match self {
            Refusal::Quota {
                entries_now,
                files_now,
                adding,
                removing,
                removing_files,
                quotas,
                fits_if_removed_first,
            } => {
                let mut s = format!(
                    "quota: {entries_now} entries + {adding} new = {} (max {}), {files_now} files + 1 = {} (max {}), \
                     counted while old and new both exist",
                    entries_now + adding,
                    quotas.max_entries,
                    files_now + 1,
                    quotas.max_files
                );
                if *fits_if_removed_first {
                    s.push_str(&format!(
                        "; removing the {removing_files} older file(s) ({removing} entries) first would fit: \
                         --remove-first (revoked clients are accepted until the add completes)"
                    ));
                }
                s
            }
            Refusal::SwapQuota { step, of, quota } => format!(
                "the swap of {of} CRLs (added in turn, each before the older one of its slot goes) does not fit at CRL \
                 {step}: {}; nothing was sent to this trust store",
                quota.message()
            ),
            Refusal::NotNewer { registered } => format!(
                "revocation ID {} holds CRL number {} of this issuer; this one is not newer: --replace removes only \
                 older CRLs",
                registered.revocation_id,
                registered.crl.crl_number.as_deref().unwrap_or("none"),
            ),
        }
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The same bytes are registered already (and, with `replace`, what they supersede and
    /// their duplicates were removed now: a rerun finishing what a failed one left).
    AlreadyRegistered {
        /// Its entry.
        entry: Box<LedgerEntry>,
        /// Older files of its slot, or duplicates, removed now.
        removed: Vec<LedgerEntry>,
    },
    /// Added (and older files removed).
    Added {
        /// The new file.
        revocation: Revocation,
        /// The older files removed.
        removed: Vec<LedgerEntry>,
        /// They were removed before the add (`--remove-first`).
        removed_first: bool,
    },
    /// Nothing changed.
    Refused(Refusal),
}

/// The whole story of one registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Live files the ledger did not know that turned out, by their content, to be this CRL or
    /// one crlkit registered (an add whose answer was lost, or a run that crashed before it
    /// wrote the ledger): taken into the ledger, so they are handled like any other.
    pub adopted: Vec<LedgerEntry>,
    /// The trust store.
    pub arn: TrustStoreArn,
    /// As described before any change.
    pub before: TrustStoreInfo,
    /// What happened.
    pub outcome: Outcome,
    /// Ledger entries whose ID the trust store no longer had: dropped from the ledger.
    pub repaired: Vec<LedgerEntry>,
    /// Live files the ledger knows nothing about (never removed, unless `prune_foreign`).
    pub unknown: Vec<Revocation>,
    /// Those of them removed (`prune_foreign`).
    pub pruned: Vec<Revocation>,
    /// Tagging the trust store with the ledger's URL after a change failed (the registration
    /// stands; `revocations` then needs `--ledger`): why.
    pub ledger_tag_error: Option<String>,
}

/// Register `req.object` in `req.arn` (see the module documentation for the steps), then, with
/// `prune_foreign`, remove the files found foreign.
pub async fn register(api: &dyn TrustStoreApi, ledger: &LedgerStore, req: &Request) -> Result<Report, ElbError> {
    let mut report = rotate(api, ledger, req).await?;
    if req.prune_foreign && !matches!(report.outcome, Outcome::Refused(_)) && !report.unknown.is_empty() {
        let ids: Vec<i64> = report.unknown.iter().map(|u| u.id).collect();
        remove(api, ledger, &req.arn, &ids).await.map_err(|e| {
            let what = format!(
                "{}: the CRL is registered; removing the foreign files {ids:?} (--prune-foreign) then failed: a rerun \
                 removes them",
                req.arn
            );
            ElbError::new(e.kind(), what).with_source(e)
        })?;
        report.pruned = std::mem::take(&mut report.unknown);
    }
    // The trust store names its ledger, so `revocations` finds it from the trust store alone:
    // tagged whenever this run changed it or took a file into the ledger (AddTags is
    // idempotent), so one registered before tags were written gets it too. Best effort: the
    // CRL is registered either way.
    let changed = match &report.outcome {
        Outcome::Added { .. } => true,
        Outcome::AlreadyRegistered { removed, .. } => !removed.is_empty(),
        Outcome::Refused(_) => false,
    };
    if changed || !report.adopted.is_empty() || !report.pruned.is_empty() {
        let tag = crate::ledger::ledger_tag(&ledger.url());
        if let Err(e) = api.add_tags(&req.arn, &[tag]).await {
            report.ledger_tag_error = Some(e.to_string());
        }
    }
    Ok(report)
}

/// Steps 1 to 6 of the module documentation.
async fn rotate(api: &dyn TrustStoreApi, ledger: &LedgerStore, req: &Request) -> Result<Report, ElbError> {
    let arn = &req.arn;
    let before = api.describe_trust_store(arn).await?;
    if before.status != "ACTIVE" {
        return Err(ElbError::new(ElbErrorKind::TrustStoreNotReady, format!("{arn} (status {})", before.status)));
    }
    // The ledger first, then the live list: an entry a concurrent run adds in between is then
    // unknown for now (and left alone), never taken for one whose ID is gone and dropped.
    let mut state = ledger.load().await?;
    let live = api.describe_revocations(arn).await?;
    let adopted = identify(api, ledger, &mut state, arn, &live, req).await?;
    let r = state.reconcile(arn, &live);
    if !r.gone.is_empty() {
        let gone: Vec<i64> = r.gone.iter().map(|e| e.revocation_id).collect();
        ledger.update(|l| l.remove(arn.as_str(), &gone)).await?;
    }
    let done = |outcome: Outcome| Report {
        adopted: adopted.clone(),
        arn: arn.clone(),
        before: before.clone(),
        outcome,
        repaired: r.gone.clone(),
        unknown: r.unknown.clone(),
        pruned: Vec::new(),
        ledger_tag_error: None,
    };

    // The same bytes registered already (the oldest ID, if racing runs added them twice): the
    // goal holds once its count is right and, with `replace`, nothing it supersedes is left.
    if let Some(same) = r.known.iter().filter(|e| e.crl.sha256 == req.crl.sha256).min_by_key(|e| e.revocation_id) {
        if same.elb_entries != same.crl.entries {
            return Err(mismatch(arn, same.revocation_id, same.elb_entries, same.crl.entries, &same.object));
        }
        let mut entry = same.clone();
        // Record where a synced copy came from, so the next sync need not download it.
        if req.source.is_some() && entry.source != req.source {
            entry.source = req.source.clone();
            let updated = entry.clone();
            ledger
                .update(|l| {
                    l.insert(updated.clone());
                    true
                })
                .await?;
        }
        let removed = if req.replace { leftovers(&r.known, &entry) } else { Vec::new() };
        if !removed.is_empty() {
            let ids: Vec<i64> = removed.iter().map(|e| e.revocation_id).collect();
            remove(api, ledger, arn, &ids).await.map_err(|e| {
                let what = format!(
                    "{arn}: revocation ID {} (CRL number {}) is live; removing what it supersedes ({ids:?}) failed: they \
                     stay registered (protection is not lowered) and a rerun removes them",
                    entry.revocation_id,
                    entry.crl.crl_number.as_deref().unwrap_or("none")
                );
                ElbError::new(e.kind(), what).with_source(e)
            })?;
        }
        return Ok(done(Outcome::AlreadyRegistered { entry: Box::new(entry), removed }));
    }

    let replaced: Vec<LedgerEntry> =
        if req.replace { r.known.iter().filter(|e| e.crl.same_slot(&req.crl)).cloned().collect() } else { Vec::new() };
    if let Some(newer) = replaced.iter().find(|e| req.crl.number_cmp(&e.crl) != Some(Ordering::Greater)) {
        return Ok(done(Outcome::Refused(Refusal::NotNewer { registered: Box::new(newer.clone()) })));
    }
    let fit = Fit::new(before.total_revoked_entries, live.len() as u64, req.crl.entries, &replaced, &live, req.quotas);
    let remove_first = !fit.fits && req.remove_first && fit.fits_removed_first;
    if !fit.fits && !remove_first {
        return Ok(done(Outcome::Refused(fit.refusal)));
    }
    let ids: Vec<i64> = replaced.iter().map(|e| e.revocation_id).collect();
    if remove_first {
        remove(api, ledger, arn, &ids).await?;
    }
    // Write-ahead: the add about to be made, so a crash or a lost answer from here on is
    // recovered by the next run (it adopts the file by these facts), never added twice.
    let intent = crate::ledger::Intent {
        trust_store_arn: arn.as_str().to_owned(),
        object: req.object.clone(),
        crl: req.crl.clone(),
        at: req.now.clone(),
        source: req.source.clone(),
    };
    ledger
        .update(|l| {
            l.clear_intent(&intent.trust_store_arn, &intent.crl.sha256);
            l.intents.push(intent.clone());
            true
        })
        .await?;
    let added = match api.add_revocation(arn, &req.object).await {
        Ok(a) => a,
        Err(e) if remove_first => {
            return Err(ElbError::new(
                e.kind(),
                format!(
                    "{arn}: revocation IDs {ids:?} were removed first (--remove-first) and the add then failed: \
                     until a CRL of {} is added again, its revoked clients are accepted",
                    req.crl.issuer
                ),
            )
            .with_source(e));
        }
        Err(e) => return Err(e),
    };
    let entry = LedgerEntry {
        trust_store_arn: arn.as_str().to_owned(),
        revocation_id: added.id,
        object: req.object.clone(),
        crl: req.crl.clone(),
        elb_entries: added.entries,
        registered_at: req.now.clone(),
        source: req.source.clone(),
    };
    ledger
        .update(|l| {
            l.insert(entry.clone());
            l.clear_intent(&entry.trust_store_arn, &entry.crl.sha256);
            true
        })
        .await?;
    if added.entries != req.crl.entries {
        return Err(mismatch(arn, added.id, added.entries, req.crl.entries, &req.object));
    }
    if !remove_first && !ids.is_empty() {
        remove(api, ledger, arn, &ids).await.map_err(|e| {
            let what = format!(
                "{arn}: added revocation ID {} (CRL number {}); removing what it supersedes ({ids:?}) then failed: \
                 they stay registered (protection is not lowered) and a rerun removes them",
                added.id,
                req.crl.crl_number.as_deref().unwrap_or("none")
            );
            ElbError::new(e.kind(), what).with_source(e)
        })?;
    }
    Ok(done(Outcome::Added { revocation: added, removed: replaced, removed_first: remove_first }))
}

/// One add beside what is live, against the quotas (old and new both count while they swap).
struct Fit {
    /// It fits as things are.
    fits: bool,
    /// It would fit once the files it replaces were removed first (there are some).
    fits_removed_first: bool,
    /// Entries of the files it replaces, by ELB's count.
    removing: u64,
    /// The `quota` refusal that says so.
    refusal: Refusal,
}

impl Fit {
    /// Adding `adding` entries beside `entries_now` in `files_now` files, `replaced` (their
    /// counts as `live` says) going after it, or before it with `--remove-first`.
    fn new(
        entries_now: u64,
        files_now: u64,
        adding: u64,
        replaced: &[LedgerEntry],
        live: &[Revocation],
        quotas: Quotas,
    ) -> Self {
        let removing: u64 =
            replaced.iter().map(|e| live.iter().find(|l| l.id == e.revocation_id).map_or(0, |l| l.entries)).sum();
        let removing_files = replaced.len() as u64;
        let fits = entries_now + adding <= quotas.max_entries && files_now < quotas.max_files;
        let fits_removed_first = removing_files > 0
            && entries_now.saturating_sub(removing) + adding <= quotas.max_entries
            && files_now.saturating_sub(removing_files) < quotas.max_files;
        let refusal = Refusal::Quota {
            entries_now,
            files_now,
            adding,
            removing,
            removing_files,
            quotas,
            fits_if_removed_first: fits_removed_first,
        };
        Self { fits, fits_removed_first, removing, refusal }
    }
}

/// Check a swap of several CRLs into `arn` against `quotas` before any change: each is added
/// in turn and, with `replace`, the older files of its slot removed after it, so each step must
/// fit what is live then plus the new file; with `remove_first` (`--remove-first`), a step that
/// does not fit may remove its slot's older files first, as its registration will, and must fit
/// then. CRLs already live are skipped. `None`: it fits; else the refusal and
/// `TotalRevokedEntries` as described.
pub async fn check_swap(
    api: &dyn TrustStoreApi,
    ledger: &LedgerStore,
    arn: &TrustStoreArn,
    crls: &[&CrlFacts],
    (replace, remove_first): (bool, bool),
    quotas: Quotas,
) -> Result<Option<(Refusal, u64)>, ElbError> {
    let before = api.describe_trust_store(arn).await?;
    let state = ledger.load().await?;
    let live = api.describe_revocations(arn).await?;
    let mut known = state.reconcile(arn, &live).known;
    let (mut entries, mut files) = (before.total_revoked_entries, live.len() as u64);
    let adding: Vec<&&CrlFacts> = crls.iter().filter(|c| !known.iter().any(|e| e.crl.sha256 == c.sha256)).collect();
    for (i, crl) in adding.iter().enumerate() {
        let replaced: Vec<LedgerEntry> = known
            .iter()
            .filter(|e| replace && e.crl.same_slot(crl) && crl.number_cmp(&e.crl) == Some(Ordering::Greater))
            .cloned()
            .collect();
        let fit = Fit::new(entries, files, crl.entries, &replaced, &live, quotas);
        if !(fit.fits || remove_first && fit.fits_removed_first) {
            let refusal = Refusal::SwapQuota { step: i + 1, of: adding.len(), quota: Box::new(fit.refusal) };
            return Ok(Some((refusal, before.total_revoked_entries)));
        }
        entries = entries + crl.entries - fit.removing.min(entries + crl.entries);
        files = files + 1 - (replaced.len() as u64).min(files + 1);
        known.retain(|e| !replaced.contains(e));
    }
    Ok(None)
}

/// The largest file ELB takes, plus room: what is read of an unknown revocation file.
pub const MAX_CONTENT_BYTES: u64 = quotas::MAX_CRL_FILE_BYTES + (1 << 20);

/// Read each live file of `arn` that the ledger neither knows nor has found foreign, once: a
/// file byte-identical to `req`'s CRL or to a CRL the ledger holds for this trust store is
/// adopted (a ledger entry with its ID); anything else is recorded as foreign and left alone.
/// Intents of earlier runs here that no live file answers are cleared: their add never
/// happened (the lease keeps any other run from adding meanwhile, and this run's own intent is
/// written after). Returns the adopted entries; `state` is the ledger as written.
async fn identify(
    api: &dyn TrustStoreApi,
    ledger: &LedgerStore,
    state: &mut crate::ledger::Ledger,
    arn: &TrustStoreArn,
    live: &[Revocation],
    req: &Request,
) -> Result<Vec<LedgerEntry>, ElbError> {
    let unread: Vec<Revocation> =
        state.reconcile(arn, live).unknown.into_iter().filter(|u| !state.is_foreign(arn.as_str(), u.id)).collect();
    let intents_here = state.intents.iter().any(|i| i.trust_store_arn == arn.as_str());
    if unread.is_empty() {
        if intents_here {
            *state = ledger
                .update(|l| {
                    l.intents.retain(|i| i.trust_store_arn != arn.as_str());
                    true
                })
                .await?;
        }
        return Ok(Vec::new());
    }
    let mut adopted = Vec::new();
    let mut foreign = Vec::new();
    for u in unread {
        let bytes = match api.revocation_content(arn, u.id, MAX_CONTENT_BYTES).await {
            Ok(b) => b,
            // Removed meanwhile: nothing to identify.
            Err(e)
                if matches!(e.kind(), ElbErrorKind::RevocationIdNotFound | ElbErrorKind::RevocationContentNotFound) =>
            {
                continue;
            }
            Err(e) => return Err(e),
        };
        let sha256 = crlkit_upload::sha256_hex(&bytes);
        let template = if sha256 == req.crl.sha256 {
            Some(LedgerEntry {
                trust_store_arn: arn.as_str().to_owned(),
                revocation_id: u.id,
                object: req.object.clone(),
                crl: req.crl.clone(),
                elb_entries: u.entries,
                registered_at: req.now.clone(),
                source: req.source.clone(),
            })
        } else {
            state.of(arn).find(|e| e.crl.sha256 == sha256).cloned().or_else(|| {
                // An add another run began here (its intent), whose answer never came back.
                state.intents.iter().find(|i| i.trust_store_arn == arn.as_str() && i.crl.sha256 == sha256).map(|i| {
                    LedgerEntry {
                        trust_store_arn: i.trust_store_arn.clone(),
                        revocation_id: u.id,
                        object: i.object.clone(),
                        crl: i.crl.clone(),
                        elb_entries: u.entries,
                        registered_at: i.at.clone(),
                        source: i.source.clone(),
                    }
                })
            })
        };
        let parsed = CrlFacts::from_stored(&bytes).ok();
        // An older CRL of a slot crlkit manages here (this CRL's, or one the ledger holds for
        // this trust store): added by hand, or by a run whose ledger was lost. Adopted, so what
        // supersedes it removes it; a newer or unnumbered one stays foreign.
        let older = || {
            let f = parsed.as_ref()?;
            // Superseded by this CRL or one the ledger holds: a slot crlkit manages, by that.
            let superseded = req.crl.same_slot(f) && req.crl.number_cmp(f) == Some(Ordering::Greater)
                || state.of(arn).any(|e| e.crl.same_slot(f) && e.crl.number_cmp(f) == Some(Ordering::Greater));
            superseded.then(|| LedgerEntry {
                trust_store_arn: arn.as_str().to_owned(),
                revocation_id: u.id,
                object: S3Object {
                    bucket: String::new(),
                    key: format!("(adopted revocation ID {})", u.id),
                    version: None,
                },
                crl: f.clone(),
                elb_entries: u.entries,
                registered_at: req.now.clone(),
                source: None,
            })
        };
        match template.or_else(older) {
            Some(t) => adopted.push(LedgerEntry { revocation_id: u.id, elb_entries: u.entries, ..t }),
            None => foreign.push(crate::ledger::ForeignFile {
                trust_store_arn: arn.as_str().to_owned(),
                revocation_id: u.id,
                sha256,
                issuer: parsed.map(|f| f.issuer),
            }),
        }
    }
    let live_ids: Vec<i64> = live.iter().map(|l| l.id).collect();
    *state = ledger
        .update(|l| {
            for e in &adopted {
                l.insert(e.clone());
                l.clear_intent(&e.trust_store_arn, &e.crl.sha256);
            }
            for f in &foreign {
                // Registered meanwhile by a concurrent run: crlkit's, not foreign.
                let known = l
                    .entries
                    .iter()
                    .any(|e| e.trust_store_arn == f.trust_store_arn && e.revocation_id == f.revocation_id);
                if !known && !l.is_foreign(&f.trust_store_arn, f.revocation_id) {
                    l.foreign.push(f.clone());
                }
            }
            // Foreign files that are gone are forgotten, and so are intents no live file answers.
            l.foreign.retain(|f| f.trust_store_arn != arn.as_str() || live_ids.contains(&f.revocation_id));
            l.intents.retain(|i| i.trust_store_arn != arn.as_str());
            true
        })
        .await?;
    Ok(adopted)
}

/// The entries `current` makes redundant in its trust store: older CRLs of its slot
/// ([`CrlFacts::same_slot`], a lower CRL number) and other registrations of the very same
/// bytes (racing runs). A CRL of another slot, or one that cannot be ordered, is never among
/// them.
pub fn leftovers(known: &[LedgerEntry], current: &LedgerEntry) -> Vec<LedgerEntry> {
    known
        .iter()
        .filter(|e| e.trust_store_arn == current.trust_store_arn && e.revocation_id != current.revocation_id)
        .filter(|e| {
            e.crl.sha256 == current.crl.sha256
                || (e.crl.same_slot(&current.crl) && current.crl.number_cmp(&e.crl) == Some(Ordering::Greater))
        })
        .cloned()
        .collect()
}

fn mismatch(arn: &TrustStoreArn, id: i64, elb: u64, crlkit: u64, object: &S3Object) -> ElbError {
    ElbError::new(
        ElbErrorKind::EntryCountMismatch,
        format!(
            "{arn}: revocation ID {id} has {elb} entries by ELB's count, {crlkit} by crlkit's (in {}); it stays \
             registered and in the ledger, no older file is removed, and every run says so until it is fixed",
            object.url()
        ),
    )
}

/// Remove `ids` and drop them from the ledger. `RevocationIdNotFound` means some of them were
/// removed meanwhile, not necessarily all: the live list is read again and the rest removed.
async fn remove(
    api: &dyn TrustStoreApi,
    ledger: &LedgerStore,
    arn: &TrustStoreArn,
    ids: &[i64],
) -> Result<(), ElbError> {
    match api.remove_revocations(arn, ids).await {
        Ok(()) => {}
        Err(e) if e.kind() == ElbErrorKind::RevocationIdNotFound => {
            let live = api.describe_revocations(arn).await?;
            let still: Vec<i64> = ids.iter().copied().filter(|id| live.iter().any(|l| l.id == *id)).collect();
            if !still.is_empty() {
                api.remove_revocations(arn, &still).await?;
            }
        }
        Err(e) => return Err(e),
    }
    ledger.update(|l| l.remove(arn.as_str(), ids)).await?;
    Ok(())
}

/// Read the object to register and count its entries: it must be one PEM CRL (ELB takes
/// nothing else) of at most 50 MB. `version` pins a version of a versioned bucket.
pub async fn read_registrable(
    store: &Store,
    key: &str,
    version: Option<&str>,
) -> Result<(S3Object, CrlFacts), ElbError> {
    let url = store.url_of(key);
    let source = |why: String| ElbError::new(ElbErrorKind::Source, format!("{url}: {why}"));
    let (info, bytes) = store.get_version(key, version).await?.ok_or_else(|| source("no such object".into()))?;
    if bytes.len() as u64 > quotas::MAX_CRL_FILE_BYTES {
        return Err(source(format!("{} bytes, over ELB's 50 MB", bytes.len())));
    }
    if !crlkit_der::pem::looks_like_pem(&bytes) {
        return Err(source("not PEM; ELB takes PEM CRLs only (crlkit publish converts)".into()));
    }
    let (blocks, _) = crlkit_der::pem::decode_crls(&bytes).map_err(|e| source(e.to_string()))?;
    if blocks.len() != 1 {
        return Err(source(format!("{} CRLs in one file; register one CRL per object", blocks.len())));
    }
    let crl = crlkit_der::CrlRef::from_der(&blocks[0].der).map_err(|e| source(e.to_string()))?;
    let stats = crl.validate().map_err(|e| source(e.to_string()))?;
    let facts = CrlFacts::new(&crl, stats.count, &bytes);
    let object = S3Object {
        bucket: store.target().bucket().to_owned(),
        key: key.to_owned(),
        version: version.map(str::to_owned).or(info.version),
    };
    Ok((object, facts))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::api::TrustStoreInfo;

    /// ELB as plain data: the rotation logic's tests need no server.
    #[derive(Default)]
    pub(crate) struct FakeElb {
        pub files: Mutex<Vec<(Revocation, S3Object)>>,
        pub calls: Mutex<Vec<String>>,
        pub next_id: Mutex<i64>,
        /// Entries ELB "counts" per key (default: 3).
        pub counts: Mutex<std::collections::BTreeMap<String, u64>>,
        /// Removes that fail with a service error before one succeeds.
        pub failing_removes: Mutex<u32>,
        /// A concurrent run's registration, completed (file added, ledger written) just after
        /// the next Describe answered.
        pub concurrent: Mutex<Option<(LedgerStore, LedgerEntry)>>,
        /// What a file added from a key holds, when not its key's bytes.
        pub contents: Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
        pub tags: Mutex<Vec<(String, String)>>,
    }

    #[async_trait::async_trait]
    impl TrustStoreApi for FakeElb {
        async fn describe_trust_store(&self, _: &TrustStoreArn) -> Result<TrustStoreInfo, ElbError> {
            let total = self.files.lock().unwrap().iter().map(|(r, _)| r.entries).sum();
            Ok(TrustStoreInfo {
                name: "t".into(),
                status: "ACTIVE".into(),
                total_revoked_entries: total,
                ca_certificates: 1,
            })
        }
        async fn describe_revocations(&self, _: &TrustStoreArn) -> Result<Vec<Revocation>, ElbError> {
            let answer = self.files.lock().unwrap().iter().map(|(r, _)| *r).collect();
            let concurrent = self.concurrent.lock().unwrap().take();
            if let Some((ledger, entry)) = concurrent {
                let revocation = Revocation { id: entry.revocation_id, entries: entry.elb_entries };
                self.files.lock().unwrap().push((revocation, entry.object.clone()));
                ledger
                    .update(|l| {
                        l.insert(entry.clone());
                        true
                    })
                    .await?;
            }
            Ok(answer)
        }
        async fn add_revocation(&self, _: &TrustStoreArn, o: &S3Object) -> Result<Revocation, ElbError> {
            self.calls.lock().unwrap().push(format!("add {}", o.key));
            let mut id = self.next_id.lock().unwrap();
            *id += 1;
            let entries = self.counts.lock().unwrap().get(&o.key).copied().unwrap_or(3);
            let r = Revocation { id: *id, entries };
            self.files.lock().unwrap().push((r, o.clone()));
            Ok(r)
        }
        async fn revocation_content(&self, _: &TrustStoreArn, id: i64, _: u64) -> Result<Vec<u8>, ElbError> {
            self.calls.lock().unwrap().push(format!("content {id}"));
            // A file's content is its key's bytes (see `content_of`).
            let files = self.files.lock().unwrap();
            let (_, o) = files
                .iter()
                .find(|(r, _)| r.id == id)
                .ok_or_else(|| ElbError::new(ElbErrorKind::RevocationIdNotFound, format!("{id}")))?;
            Ok(self.contents.lock().unwrap().get(&o.key).cloned().unwrap_or_else(|| o.key.as_bytes().to_vec()))
        }

        async fn tags(&self, _: &TrustStoreArn) -> Result<Vec<(String, String)>, ElbError> {
            Ok(self.tags.lock().unwrap().clone())
        }

        async fn add_tags(&self, _: &TrustStoreArn, tags: &[(String, String)]) -> Result<(), ElbError> {
            let mut mine = self.tags.lock().unwrap();
            for (k, v) in tags {
                mine.retain(|(key, _)| key != k);
                mine.push((k.clone(), v.clone()));
            }
            Ok(())
        }
        async fn remove_revocations(&self, _: &TrustStoreArn, ids: &[i64]) -> Result<(), ElbError> {
            self.calls.lock().unwrap().push(format!("remove {ids:?}"));
            let mut failing = self.failing_removes.lock().unwrap();
            if *failing > 0 {
                *failing -= 1;
                return Err(ElbError::new(ElbErrorKind::Service, "InternalFailure (500)"));
            }
            let mut files = self.files.lock().unwrap();
            // As a batch: an unknown ID refuses it whole.
            if let Some(id) = ids.iter().find(|id| !files.iter().any(|(r, _)| r.id == **id)) {
                return Err(ElbError::new(ElbErrorKind::RevocationIdNotFound, format!("{id}")));
            }
            files.retain(|(r, _)| !ids.contains(&r.id));
            Ok(())
        }
    }

    fn arn() -> TrustStoreArn {
        TrustStoreArn::parse("arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/t/1").unwrap()
    }

    fn facts(number: u32, entries: u64) -> CrlFacts {
        CrlFacts {
            issuer: "CN=CA".into(),
            issuer_sha256: "11".into(),
            authority_key_id: Some("AB".into()),
            crl_number: Some(number.to_string()),
            crl_number_hex: Some(format!("{number:X}")),
            this_update: "2026-12-01T00:00:00Z".into(),
            next_update: Some("2026-12-08T00:00:00Z".into()),
            entries,
            sha256: format!("{number:064}"),
            size: 10,
            idp: None,
        }
    }

    /// Partition `idp` of generation `number`: its own key and bytes.
    fn partition(number: u32, idp: &str) -> Request {
        let mut r = request(number, 3, true);
        r.crl.idp = Some(format!("URI:http://crl.example/{idp}.crl"));
        r.crl.sha256 = format!("{number:032}{idp:0>32}");
        r.object.key = format!("crl/{idp}-{number}.pem");
        r
    }

    fn request(number: u32, entries: u64, replace: bool) -> Request {
        Request {
            arn: arn(),
            object: S3Object { bucket: "b".into(), key: format!("crl/{number}.pem"), version: None },
            crl: facts(number, entries),
            replace,
            remove_first: false,
            prune_foreign: false,
            quotas: Quotas::default(),
            source: None,
            now: "2026-12-01T00:00:00Z".into(),
        }
    }

    async fn ledger(name: &str) -> LedgerStore {
        let t = crlkit_upload::Target::parse(&format!("memory://{name}/")).unwrap();
        LedgerStore::new(Store::open(&t, &Default::default()).await.unwrap(), LedgerStore::key_for_prefix("crl/"))
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    }

    #[test]
    fn same_crl_twice_is_one_add_and_replace_removes_after_the_add() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-basic").await;
            let first = register(&elb, &l, &request(1, 3, false)).await.unwrap();
            assert!(matches!(first.outcome, Outcome::Added { revocation: Revocation { id: 1, entries: 3 }, .. }));
            let again = register(&elb, &l, &request(1, 3, true)).await.unwrap();
            assert!(matches!(again.outcome, Outcome::AlreadyRegistered { ref entry, .. } if entry.revocation_id == 1));
            let newer = register(&elb, &l, &request(2, 3, true)).await.unwrap();
            let Outcome::Added { revocation, removed, removed_first } = newer.outcome else { panic!("{newer:?}") };
            assert_eq!((revocation.id, removed.len(), removed_first), (2, 1, false));
            assert_eq!(*elb.calls.lock().unwrap(), ["add crl/1.pem", "add crl/2.pem", "remove [1]"]);
            let tagged = crate::ledger::tagged_ledgers(&elb.tags.lock().unwrap());
            assert_eq!(tagged, [l.url()], "the trust store names its ledger");
            let entries = l.load().await.unwrap().entries;
            assert_eq!(entries.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [2]);
            let older = register(&elb, &l, &request(1, 3, true)).await.unwrap();
            assert!(matches!(older.outcome, Outcome::Refused(Refusal::NotNewer { .. })), "{older:?}");
            assert_eq!(elb.calls.lock().unwrap().len(), 3, "a refusal sends nothing");
        });
    }

    fn live_keys(elb: &FakeElb) -> Vec<String> {
        elb.files.lock().unwrap().iter().map(|(_, o)| o.key.clone()).collect()
    }

    #[test]
    fn a_rerun_finishes_what_a_failed_remove_left() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-rerun").await;
            register(&elb, &l, &request(1, 3, true)).await.unwrap();
            *elb.failing_removes.lock().unwrap() = 1;
            let e = register(&elb, &l, &request(2, 3, true)).await.unwrap_err();
            assert_eq!(e.kind(), ElbErrorKind::Service);
            assert!(
                e.to_string().contains("added revocation ID 2") && e.to_string().contains("a rerun removes them"),
                "{e}"
            );
            assert_eq!(live_keys(&elb), ["crl/1.pem", "crl/2.pem"], "nothing lowered: both stay");
            // The rerun: the same CRL is live, what it supersedes goes (and the trust store,
            // untagged meanwhile, names its ledger again: a change tags it, not only an add).
            elb.tags.lock().unwrap().clear();
            let r = register(&elb, &l, &request(2, 3, true)).await.unwrap();
            assert_eq!(crate::ledger::tagged_ledgers(&elb.tags.lock().unwrap()), [l.url()]);
            let Outcome::AlreadyRegistered { entry, removed } = r.outcome else { panic!("{r:?}") };
            assert_eq!(
                (entry.revocation_id, removed.iter().map(|e| e.revocation_id).collect::<Vec<_>>()),
                (2, vec![1])
            );
            assert_eq!(live_keys(&elb), ["crl/2.pem"]);
            assert_eq!(l.load().await.unwrap().entries.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [2]);
            // And then nothing is left to do.
            let calls = elb.calls.lock().unwrap().len();
            let r = register(&elb, &l, &request(2, 3, true)).await.unwrap();
            assert!(matches!(r.outcome, Outcome::AlreadyRegistered { ref removed, .. } if removed.is_empty()));
            assert_eq!(elb.calls.lock().unwrap().len(), calls, "converged: no call");
        });
    }

    #[test]
    fn duplicates_go_and_a_partly_gone_batch_is_finished() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-dups").await;
            register(&elb, &l, &request(1, 3, false)).await.unwrap();
            // Racing runs each added the same CRL: the ledger knows all three.
            for id in [2, 3] {
                let added = elb.add_revocation(&arn(), &request(1, 3, false).object).await.unwrap();
                let mut e = l.load().await.unwrap().entries[0].clone();
                e.revocation_id = added.id;
                assert_eq!(added.id, id);
                l.update(|x| {
                    x.insert(e.clone());
                    true
                })
                .await
                .unwrap();
            }
            // One of the copies is removed by someone else meanwhile (the batch then names an
            // unknown ID): the rest still go.
            elb.files.lock().unwrap().retain(|(r, _)| r.id != 3);
            let r = register(&elb, &l, &request(1, 3, true)).await.unwrap();
            let Outcome::AlreadyRegistered { entry, .. } = r.outcome else { panic!("{r:?}") };
            assert_eq!(entry.revocation_id, 1, "the oldest copy is kept");
            assert_eq!(elb.files.lock().unwrap().iter().map(|(r, _)| r.id).collect::<Vec<_>>(), [1]);
            assert_eq!(l.load().await.unwrap().entries.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [1]);
        });
    }

    /// A request whose CRL's SHA-256 is that of what [`FakeElb`] answers as its content.
    fn content_of(mut r: Request) -> Request {
        r.crl.sha256 = crlkit_upload::sha256_hex(r.object.key.as_bytes());
        r
    }

    #[test]
    fn an_add_whose_answer_was_lost_is_adopted_not_added_again() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-adopt").await;
            // The add went through, but the run never heard (or crashed before the ledger).
            let req = content_of(request(1, 3, true));
            let orphan = elb.add_revocation(&arn(), &req.object).await.unwrap();
            let hand = S3Object { bucket: "b".into(), key: "hand.pem".into(), version: None };
            let foreign = elb.add_revocation(&arn(), &hand).await.unwrap();
            let r = register(&elb, &l, &req).await.unwrap();
            assert!(
                matches!(r.outcome, Outcome::AlreadyRegistered { ref entry, .. } if entry.revocation_id == orphan.id)
            );
            assert_eq!(r.adopted.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [orphan.id]);
            assert_eq!(r.unknown, [foreign], "a file of other content stays unknown, never removed");
            let calls = elb.calls.lock().unwrap().clone();
            assert!(!calls.iter().skip(2).any(|c| c.starts_with("add")), "no second add: {calls:?}");
            let state = l.load().await.unwrap();
            assert!(state.is_foreign(arn().as_str(), foreign.id), "the foreign file is recorded, not read again");
            let before = elb.calls.lock().unwrap().len();
            register(&elb, &l, &req).await.unwrap();
            let again = elb.calls.lock().unwrap()[before..].to_vec();
            assert!(again.is_empty(), "converged: nothing read or sent: {again:?}");
        });
    }

    #[test]
    fn an_older_crl_of_the_slot_added_by_hand_is_adopted_and_replaced() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-older").await;
            let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it");
            let der = std::fs::read(format!("{dir}/../../fixtures/crl.p256.1k.der")).unwrap();
            let hand_facts = CrlFacts::from_stored(&der).unwrap();
            // Someone registered this CA's CRL by hand; crlkit now registers a newer one of the
            // same slot, and an older one of another CA sits there too.
            let hand = S3Object { bucket: "b".into(), key: "hand.crl".into(), version: None };
            elb.contents.lock().unwrap().insert(hand.key.clone(), der.clone());
            elb.counts.lock().unwrap().insert(hand.key.clone(), hand_facts.entries);
            let by_hand = elb.add_revocation(&arn(), &hand).await.unwrap();
            let other =
                elb.add_revocation(&arn(), &S3Object { key: "other.pem".into(), ..hand.clone() }).await.unwrap();
            let mut req = request(1, 3, true);
            req.crl = CrlFacts {
                crl_number_hex: Some("FFFFFFFF".into()),
                crl_number: Some("4294967295".into()),
                sha256: "99".repeat(32),
                entries: 3,
                ..hand_facts.clone()
            };
            let r = register(&elb, &l, &req).await.unwrap();
            assert_eq!(r.adopted.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [by_hand.id]);
            let Outcome::Added { removed, .. } = &r.outcome else { panic!("{r:?}") };
            assert_eq!(
                removed.iter().map(|e| e.revocation_id).collect::<Vec<_>>(),
                [by_hand.id],
                "superseded: removed"
            );
            let live: Vec<i64> = elb.files.lock().unwrap().iter().map(|(r, _)| r.id).collect();
            assert!(live.contains(&other.id) && !live.contains(&by_hand.id), "the other CA's file stays: {live:?}");
            // A newer CRL of the slot found live is never adopted: it would be taken for one to
            // remove.
            let elb = FakeElb::default();
            let l = ledger("reg-newer").await;
            elb.contents.lock().unwrap().insert(hand.key.clone(), der);
            elb.counts.lock().unwrap().insert(hand.key.clone(), hand_facts.entries);
            let by_hand = elb.add_revocation(&arn(), &hand).await.unwrap();
            req.crl.crl_number_hex = Some("1".into());
            let r = register(&elb, &l, &req).await.unwrap();
            assert!(r.adopted.is_empty() && r.unknown.iter().any(|u| u.id == by_hand.id), "{r:?}");
        });
    }

    #[test]
    fn foreign_files_go_only_when_asked_and_only_once_the_crl_is_live() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-prune").await;
            let hand = S3Object { bucket: "b".into(), key: "hand.pem".into(), version: None };
            let hand = elb.add_revocation(&arn(), &hand).await.unwrap();
            let r = register(&elb, &l, &request(1, 3, true)).await.unwrap();
            assert_eq!((r.unknown.clone(), r.pruned.len()), (vec![hand], 0), "kept unless asked");
            // Refused: nothing pruned either.
            let mut refused = request(1, 3, true);
            refused.crl.sha256 = "other".into();
            refused.prune_foreign = true;
            let r = register(&elb, &l, &refused).await.unwrap();
            assert!(matches!(r.outcome, Outcome::Refused(_)) && r.pruned.is_empty(), "{r:?}");
            let mut req = request(2, 3, true);
            req.prune_foreign = true;
            let r = register(&elb, &l, &req).await.unwrap();
            assert_eq!((r.pruned, r.unknown.len()), (vec![hand], 0));
            assert_eq!(live_keys(&elb), ["crl/2.pem"]);
            let calls = elb.calls.lock().unwrap().clone();
            let add = calls.iter().position(|c| c == "add crl/2.pem").unwrap();
            assert_eq!(
                calls[add + 1..],
                ["remove [2]".to_owned(), format!("remove [{}]", hand.id)],
                "after the add: {calls:?}"
            );
            assert!(!l.load().await.unwrap().is_foreign(arn().as_str(), hand.id), "forgotten by the ledger");
        });
    }

    #[test]
    fn an_add_begun_by_a_run_that_crashed_is_adopted_by_its_intent() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-intent").await;
            // A run wrote its intent for partition p1 (a slot crlkit has nothing in yet), added
            // it, and died before recording it.
            let crashed = content_of(partition(1, "p1"));
            let intent = crate::ledger::Intent {
                trust_store_arn: arn().as_str().to_owned(),
                object: crashed.object.clone(),
                crl: crashed.crl.clone(),
                at: crashed.now.clone(),
                source: None,
            };
            l.update(|x| {
                x.intents.push(intent.clone());
                true
            })
            .await
            .unwrap();
            let orphan = elb.add_revocation(&arn(), &crashed.object).await.unwrap();
            // The next run registers something else: it still adopts the orphan, by the intent.
            let r = register(&elb, &l, &request(2, 3, true)).await.unwrap();
            assert_eq!(r.adopted.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [orphan.id]);
            assert!(r.unknown.is_empty(), "not foreign: {r:?}");
            let state = l.load().await.unwrap();
            assert!(state.intents.is_empty(), "intents are cleared once recorded: {:?}", state.intents);
            assert_eq!(state.entries.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [orphan.id, orphan.id + 1]);
            let calls = elb.calls.lock().unwrap().clone();
            assert_eq!(calls.iter().filter(|c| c.starts_with("add")).count(), 2, "one add each: {calls:?}");
        });
    }

    #[test]
    fn an_intent_whose_add_never_happened_is_cleared_by_the_next_run_there() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-stale-intent").await;
            // A run wrote its intent, then its add failed (or it died before sending it).
            let never = content_of(partition(1, "p1"));
            let intent = |arn: &str| crate::ledger::Intent {
                trust_store_arn: arn.to_owned(),
                object: never.object.clone(),
                crl: never.crl.clone(),
                at: never.now.clone(),
                source: None,
            };
            let elsewhere = "arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/other/0123456789abcdef";
            l.update(|x| {
                x.intents.push(intent(arn().as_str()));
                x.intents.push(intent(elsewhere));
                true
            })
            .await
            .unwrap();
            // Nothing unknown is live here: the next registration clears it, and only it.
            register(&elb, &l, &request(1, 3, false)).await.unwrap();
            let state = l.load().await.unwrap();
            assert_eq!(state.intents.len(), 1, "{:?}", state.intents);
            assert_eq!(state.intents[0].trust_store_arn, elsewhere, "another trust store's intent stays");
            // With an unknown file live too (read, found foreign), the same.
            l.update(|x| {
                x.intents.push(intent(arn().as_str()));
                true
            })
            .await
            .unwrap();
            let hand = content_of(partition(2, "p2"));
            let other = S3Object { key: "hand/other.pem".into(), ..hand.object.clone() };
            elb.add_revocation(&arn(), &other).await.unwrap();
            register(&elb, &l, &request(2, 3, true)).await.unwrap();
            let state = l.load().await.unwrap();
            assert!(state.intents.iter().all(|i| i.trust_store_arn == elsewhere), "{:?}", state.intents);
        });
    }

    #[test]
    fn an_entry_a_concurrent_run_writes_meanwhile_is_kept() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-concurrent").await;
            register(&elb, &l, &request(1, 3, false)).await.unwrap();
            // Another run registers a CRL of another CA just after this run's Describe.
            let mut other = l.load().await.unwrap().entries[0].clone();
            other.revocation_id = 50;
            other.crl.issuer_sha256 = "22".into();
            other.crl.authority_key_id = Some("CD".into());
            other.object.key = "crl/other.pem".into();
            *elb.concurrent.lock().unwrap() = Some((l.clone(), other));
            let r = register(&elb, &l, &request(2, 3, true)).await.unwrap();
            assert!(r.repaired.is_empty(), "nothing taken for gone: {:?}", r.repaired);
            let ids: Vec<i64> = l.load().await.unwrap().entries.iter().map(|e| e.revocation_id).collect();
            assert!(ids.contains(&50), "the concurrent run's entry is kept: {ids:?}");
        });
    }

    #[test]
    fn each_partition_is_its_own_slot() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-slots").await;
            // Generation 1: three partitions of one CA, one CRL number; none replaces another.
            for p in ["p1", "p2", "p3"] {
                let r = register(&elb, &l, &partition(1, p)).await.unwrap();
                assert!(matches!(r.outcome, Outcome::Added { ref removed, .. } if removed.is_empty()), "{p}: {r:?}");
            }
            // Generation 2 of p2 replaces p2's generation 1 only.
            let r = register(&elb, &l, &partition(2, "p2")).await.unwrap();
            let Outcome::Added { removed, .. } = r.outcome else { panic!("{r:?}") };
            assert_eq!(removed.iter().map(|e| e.object.key.as_str()).collect::<Vec<_>>(), ["crl/p2-1.pem"]);
            let live: Vec<String> = elb.files.lock().unwrap().iter().map(|(_, o)| o.key.clone()).collect();
            assert_eq!(live, ["crl/p1-1.pem", "crl/p3-1.pem", "crl/p2-2.pem"]);
            // An unpartitioned CRL of the same CA is a slot of its own too.
            let r = register(&elb, &l, &request(3, 3, true)).await.unwrap();
            assert!(matches!(r.outcome, Outcome::Added { ref removed, .. } if removed.is_empty()), "{r:?}");
        });
    }

    #[test]
    fn quotas_refuse_before_any_add_unless_remove_first() {
        run(async {
            let elb = FakeElb::default();
            elb.counts.lock().unwrap().insert("crl/1.pem".into(), 300_000);
            elb.counts.lock().unwrap().insert("crl/2.pem".into(), 250_000);
            let l = ledger("reg-quota").await;
            register(&elb, &l, &request(1, 300_000, false)).await.unwrap();
            let swap = register(&elb, &l, &request(2, 250_000, true)).await.unwrap();
            let Outcome::Refused(Refusal::Quota { entries_now, adding, removing, fits_if_removed_first, .. }) =
                swap.outcome
            else {
                panic!("{swap:?}")
            };
            assert_eq!((entries_now, adding, removing, fits_if_removed_first), (300_000, 250_000, 300_000, true));
            assert_eq!(elb.calls.lock().unwrap().len(), 1, "refused before any add");
            let mut req = request(2, 250_000, true);
            req.remove_first = true;
            let swap = register(&elb, &l, &req).await.unwrap();
            assert!(matches!(swap.outcome, Outcome::Added { removed_first: true, .. }), "{swap:?}");
            assert_eq!(elb.calls.lock().unwrap()[1..], ["remove [1]", "add crl/2.pem"]);
            let mut files = request(3, 1, false);
            files.quotas.max_files = 1;
            let full = register(&elb, &l, &files).await.unwrap();
            assert!(matches!(full.outcome, Outcome::Refused(Refusal::Quota { files_now: 1, .. })));
        });
    }

    #[test]
    fn a_swap_is_checked_whole_and_remove_first_per_step() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-swap").await;
            // Generation 1 of two partitions, 40 entries each: 80 live.
            for p in ["p1", "p2"] {
                let mut r = partition(1, p);
                r.crl.entries = 40;
                elb.counts.lock().unwrap().insert(r.object.key.clone(), 40);
                register(&elb, &l, &r).await.unwrap();
            }
            let next: Vec<CrlFacts> =
                ["p1", "p2"].iter().map(|p| CrlFacts { entries: 50, ..partition(2, p).crl }).collect();
            let next: Vec<&CrlFacts> = next.iter().collect();
            let q = |max_entries| Quotas { max_entries, max_files: 30 };
            // In turn: 80 + 50 at the first step, 90 + 50 at the second.
            assert!(check_swap(&elb, &l, &arn(), &next, (true, false), q(140)).await.unwrap().is_none());
            let (refusal, before) = check_swap(&elb, &l, &arn(), &next, (true, false), q(130)).await.unwrap().unwrap();
            assert_eq!(before, 80);
            let Refusal::SwapQuota { step, of, quota } = &refusal else { panic!("{refusal:?}") };
            assert_eq!((*step, *of), (2, 2), "the first step fits, the second does not: {}", refusal.message());
            assert!(matches!(**quota, Refusal::Quota { fits_if_removed_first: true, .. }));
            // With --remove-first each step may first remove its own older partition: 40 + 50 at
            // the second step fits 130; at 85 not even that does.
            assert!(check_swap(&elb, &l, &arn(), &next, (true, true), q(130)).await.unwrap().is_none());
            assert!(check_swap(&elb, &l, &arn(), &next, (true, true), q(85)).await.unwrap().is_some());
            assert!(elb.calls.lock().unwrap().iter().all(|c| c.starts_with("add")), "reads only");
        });
    }

    #[test]
    fn unknown_ids_are_kept_gone_ones_repaired_and_a_miscount_is_an_error() {
        run(async {
            let elb = FakeElb::default();
            let l = ledger("reg-repair").await;
            register(&elb, &l, &request(1, 3, false)).await.unwrap();
            // Someone adds a file by hand, and removes ours.
            let hand = S3Object { bucket: "b".into(), key: "hand.pem".into(), version: None };
            elb.add_revocation(&arn(), &hand).await.unwrap();
            elb.remove_revocations(&arn(), &[1]).await.unwrap();
            let r = register(&elb, &l, &request(2, 3, true)).await.unwrap();
            assert_eq!(r.repaired.iter().map(|e| e.revocation_id).collect::<Vec<_>>(), [1]);
            assert_eq!(r.unknown, [Revocation { id: 2, entries: 3 }]);
            assert!(elb.files.lock().unwrap().iter().any(|(f, _)| f.id == 2), "an unknown ID is never removed");
            elb.counts.lock().unwrap().insert("crl/4.pem".into(), 2);
            let e = register(&elb, &l, &request(4, 3, true)).await.unwrap_err();
            assert_eq!(e.kind(), ElbErrorKind::EntryCountMismatch);
            assert!(e.to_string().contains("2 entries by ELB's count, 3 by crlkit's"), "{e}");
            let ids: Vec<i64> = l.load().await.unwrap().entries.iter().map(|e| e.revocation_id).collect();
            assert_eq!(ids, [3, 4], "the miscounted file is recorded; the older one is not removed");
            // The next run says so again: a mismatch never turns into "already registered".
            let again = register(&elb, &l, &request(4, 3, true)).await.unwrap_err();
            assert_eq!(again.kind(), ElbErrorKind::EntryCountMismatch, "{again}");
            assert_eq!(l.load().await.unwrap().entries.len(), 2, "and nothing was removed");
        });
    }
}
