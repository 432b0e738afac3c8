//! A trust store's revocation files with the CRLs they came from (`crlkit revocations`): ELB
//! says only IDs and counts, the ledger says the rest.

use crlkit_elb::ElbError;
use crlkit_elb::api::TrustStoreApi;
use crlkit_elb::ledger::{Ledger, LedgerEntry, LedgerStore, tagged_ledgers};
use crlkit_elb::register::MAX_CONTENT_BYTES;
use crlkit_elb::{ElbErrorKind, TrustStoreArn};
use crlkit_upload::Target;
use serde::Serialize;

use crate::connect::Connection;
use crate::error::OpsError;
use crate::register::FileRef;

/// A file the ledger knows: where it came from.
#[derive(Clone, Debug, Serialize)]
pub struct KnownFile {
    /// The object it was added from.
    pub source: String,
    /// That object's version.
    pub source_version: Option<String>,
    /// The CRL's issuer.
    pub issuer: String,
    /// Its AKI.
    pub authority_key_id: Option<String>,
    /// Its CRL number.
    pub crl_number: Option<String>,
    /// Its thisUpdate, RFC 3339.
    pub this_update: String,
    /// Its nextUpdate, RFC 3339.
    pub next_update: Option<String>,
    /// SHA-256 of the object.
    pub sha256: String,
    /// When crlkit registered it.
    pub registered_at: String,
}

impl From<&LedgerEntry> for KnownFile {
    fn from(e: &LedgerEntry) -> Self {
        Self {
            source: e.object.url(),
            source_version: e.object.version.clone(),
            issuer: e.crl.issuer.clone(),
            authority_key_id: e.crl.authority_key_id.clone(),
            crl_number: e.crl.crl_number.clone(),
            this_update: e.crl.this_update.clone(),
            next_update: e.crl.next_update.clone(),
            sha256: e.crl.sha256.clone(),
            registered_at: e.registered_at.clone(),
        }
    }
}

/// What the ledger says of one file (`--json`: the `state` field and what goes with it).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum FileState {
    /// Known, and its CRL is not past its nextUpdate.
    Fresh(KnownFile),
    /// Known, and its CRL is past its nextUpdate.
    Stale(KnownFile),
    /// Not in the ledger: added by hand or by another tool.
    UnknownSource,
}

/// One revocation file.
#[derive(Clone, Debug, Serialize)]
pub struct RevocationFile {
    /// Its revocation ID.
    pub revocation_id: i64,
    /// ELB's count of its entries.
    pub elb_entries: u64,
    /// What the ledger says of it.
    #[serde(flatten)]
    pub state: FileState,
    /// What is wrong with it beyond freshness: `superseded` (a newer CRL of its slot is live
    /// too: a rotation did not finish), `duplicate` (the same CRL is live under a lower ID),
    /// `count-mismatch` (ELB's count is not crlkit's), `unknown-of-managed-issuer` (not in the
    /// ledger, yet a CRL of an issuer whose CRLs crlkit registers here: a second source of
    /// truth a rotation will not retire). A `sync` or `register --replace` of the current CRL
    /// removes the first two.
    pub problems: Vec<&'static str>,
}

/// A trust store's files (`crlkit revocations --json`).
#[derive(Clone, Debug, Serialize)]
pub struct RevocationsReport {
    /// The trust store.
    pub trust_store_arn: String,
    /// Its status (`ACTIVE`, `CREATING`).
    pub status: String,
    /// ELB's `TotalRevokedEntries`.
    pub total_revoked_entries: u64,
    /// Every file ELB holds, in its order.
    pub revocations: Vec<RevocationFile>,
    /// Ledger entries whose file the trust store no longer has.
    #[serde(serialize_with = "crate::register::ids")]
    pub ledger_only: Vec<FileRef>,
    /// Files whose CRL is past its nextUpdate.
    pub stale: u64,
    /// Files the ledger does not know.
    pub unknown_source: u64,
    /// Files with a problem (see [`RevocationFile::problems`]).
    pub with_problems: u64,
    /// The ledgers read: the one given, or those the trust store names.
    pub ledgers: Vec<String>,
}

impl RevocationsReport {
    /// True when every known file is fresh and none has a problem (exit 0).
    pub fn all_well(&self) -> bool {
        self.stale == 0 && self.with_problems == 0
    }
}

/// What is wrong with `e` among the live files `known` of its trust store.
fn problems(e: &LedgerEntry, elb_entries: u64, known: &[LedgerEntry]) -> Vec<&'static str> {
    let mut p = Vec::new();
    let newer =
        |f: &&LedgerEntry| f.crl.same_slot(&e.crl) && f.crl.number_cmp(&e.crl) == Some(std::cmp::Ordering::Greater);
    if known.iter().any(|f| newer(&f)) {
        p.push("superseded");
    }
    if known.iter().any(|f| f.crl.sha256 == e.crl.sha256 && f.revocation_id < e.revocation_id) {
        p.push("duplicate");
    }
    if elb_entries != e.crl.entries {
        p.push("count-mismatch");
    }
    p
}

/// The ledger `ledger` names or, without it, every ledger the trust store names (its
/// `crlkit-ledger-*` tags, written when crlkit adds a CRL there), merged; and their URLs.
async fn ledgers(
    conn: &Connection,
    arn: &TrustStoreArn,
    ledger: Option<&Target>,
) -> Result<(Ledger, Vec<String>), OpsError> {
    let targets = match ledger {
        Some(t) => vec![t.clone()],
        None => {
            let urls = tagged_ledgers(&conn.elb().tags(arn).await?);
            if urls.is_empty() {
                return Err(ElbError::new(
                    ElbErrorKind::Ledger,
                    format!(
                        "{arn} names no ledger (crlkit tags a trust store with its ledger when it adds a CRL there): \
                         give --ledger"
                    ),
                )
                .into());
            }
            let parse = |u: &String| {
                Target::parse(u).map_err(|e| {
                    ElbError::new(ElbErrorKind::Ledger, format!("{arn}: its tag names {u}, not a ledger URL: {e}"))
                })
            };
            urls.iter().map(parse).collect::<Result<Vec<_>, _>>()?
        }
    };
    let mut merged = Ledger::new();
    for t in &targets {
        let one = LedgerStore::new(conn.open(t).await?, t.key()).load().await?;
        merged.entries.extend(one.entries);
        merged.foreign.extend(one.foreign);
    }
    Ok((merged, targets.iter().map(Target::url).collect()))
}

/// Describe the trust store and its files, and match them with the ledger (`None`: the ledgers
/// the trust store names); freshness is judged at `at` (Unix seconds).
pub async fn revocations(
    conn: &Connection,
    arn: &TrustStoreArn,
    ledger: Option<&Target>,
    at: i64,
) -> Result<RevocationsReport, OpsError> {
    let info = conn.elb().describe_trust_store(arn).await?;
    let live = conn.elb().describe_revocations(arn).await?;
    let (state, ledger_urls) = ledgers(conn, arn, ledger).await?;
    let r = state.reconcile(arn, &live);
    // The issuer of each file the ledger does not know: as recorded when a run read it, else
    // read now (its content).
    let mut unknown_issuers = std::collections::HashMap::new();
    for u in &r.unknown {
        let recorded = state.foreign.iter().find(|f| f.trust_store_arn == arn.as_str() && f.revocation_id == u.id);
        let issuer = match recorded {
            Some(f) => f.issuer.clone(),
            None => match conn.elb().revocation_content(arn, u.id, MAX_CONTENT_BYTES).await {
                Ok(bytes) => crlkit_upload::CrlFacts::from_stored(&bytes).ok().map(|f| f.issuer),
                // Removed meanwhile (or its content gone with it): nothing to read.
                Err(e)
                    if matches!(
                        e.kind(),
                        ElbErrorKind::RevocationIdNotFound | ElbErrorKind::RevocationContentNotFound
                    ) =>
                {
                    None
                }
                Err(e) => return Err(e.into()),
            },
        };
        unknown_issuers.insert(u.id, issuer);
    }
    let managed = |issuer: &Option<String>| issuer.as_ref().is_some_and(|i| r.known.iter().any(|e| &e.crl.issuer == i));
    let stale_at = |next: Option<&str>| next.and_then(crlkit_der::Time::from_rfc3339).is_some_and(|t| t.unix() < at);
    let revocations: Vec<RevocationFile> = live
        .iter()
        .map(|rev| {
            let known = r.known.iter().find(|e| e.revocation_id == rev.id);
            let state = match known {
                Some(e) if stale_at(e.crl.next_update.as_deref()) => FileState::Stale(e.into()),
                Some(e) => FileState::Fresh(e.into()),
                None => FileState::UnknownSource,
            };
            let problems = match known {
                Some(e) => problems(e, rev.entries, &r.known),
                None if unknown_issuers.get(&rev.id).is_some_and(managed) => vec!["unknown-of-managed-issuer"],
                None => Vec::new(),
            };
            RevocationFile { revocation_id: rev.id, elb_entries: rev.entries, state, problems }
        })
        .collect();
    Ok(RevocationsReport {
        trust_store_arn: arn.as_str().to_owned(),
        status: info.status,
        total_revoked_entries: info.total_revoked_entries,
        stale: revocations.iter().filter(|f| matches!(f.state, FileState::Stale(_))).count() as u64,
        unknown_source: r.unknown.len() as u64,
        with_problems: revocations.iter().filter(|f| !f.problems.is_empty()).count() as u64,
        revocations,
        ledger_only: r.gone.iter().map(FileRef::from).collect(),
        ledgers: ledger_urls,
    })
}
