//! One run at a time per ledger, for every flow that changes trust stores (`sync`, `publish`,
//! `register`): the ledger's lease ([`crlkit_elb::lease`]) is taken before anything is decided
//! and released at the end, so two runs never both add the same CRL.

use crlkit_elb::lease::{Acquired, Lease, LeaseOptions};
use crlkit_upload::Store;
use serde::Serialize;

use crate::error::OpsError;

/// Who holds the lease (`--json`: `lease_held_by`).
#[derive(Clone, Debug, Serialize)]
pub struct LeaseHolder {
    /// The holding run (`crlkit pid N on HOST`).
    pub owner: String,
    /// When its lease expires unless renewed, Unix seconds.
    pub expires_at: i64,
}

/// Run `work` holding the lease at `key` of `store`; `Err(holder)` when another run held it for
/// longer than `opts.wait` (nothing was done). A lease that cannot be released expires by
/// itself: the work's result stands either way.
pub(crate) async fn holding<T>(
    store: &Store,
    key: &str,
    opts: &LeaseOptions,
    work: impl AsyncFnOnce(&mut Lease) -> Result<T, OpsError>,
) -> Result<Result<T, LeaseHolder>, OpsError> {
    let mut lease = match Lease::acquire(store, key, opts).await? {
        Acquired::Taken(lease) => *lease,
        Acquired::Held(h) => return Ok(Err(LeaseHolder { owner: h.owner, expires_at: h.expires_at })),
    };
    let result = work(&mut lease).await;
    let _ = lease.release().await;
    result.map(Ok)
}
