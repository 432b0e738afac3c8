//! The lease: one run at a time per ledger. `sync` runs unattended, on a schedule and on
//! Private CA's event, often both at once; two runs deciding from the same state would both
//! add the same CRL (`AddTrustStoreRevocations` is not idempotent).
//!
//! One object beside the ledger, `<prefix>/.crlkit/lease.json`, naming its owner and when it
//! expires. It is taken with a conditional write (`If-None-Match: *` when there is none,
//! `If-Match` on the expired or released one it replaces; the directory lock on `file://`), so
//! of two runs racing for it exactly one wins. The holder renews it while it works and
//! releases it at the end by writing it expired; a crashed holder's lease simply expires. A run
//! that finds it held waits, polling, up to a bound, then gives up and says who holds it.

use std::time::Duration;

use bytes::Bytes;
use crlkit_upload::{ObjectInfo, Store, WriteMode};
use serde::{Deserialize, Serialize};

use crate::error::{ElbError, ElbErrorKind};

/// Where the lease lives under a prefix (beside [`crate::ledger::LEDGER_NAME`]).
pub const LEASE_NAME: &str = ".crlkit/lease.json";
/// The format tag.
const FORMAT: &str = "crlkit-lease/1";
/// How often a waiting run looks again.
const POLL: Duration = Duration::from_millis(500);

/// How to take the lease.
#[derive(Clone, Debug)]
pub struct LeaseOptions {
    /// How long a taken lease lasts without renewal (a crashed holder blocks others this long).
    pub ttl: Duration,
    /// How long to wait for a held lease before giving up.
    pub wait: Duration,
    /// Who is asking (host, process), written into the lease for whoever finds it held.
    pub owner: String,
}

impl LeaseOptions {
    /// Five minutes' lease, two minutes' wait, owned by this process on this host.
    pub fn new() -> Self {
        Self { ttl: Duration::from_secs(300), wait: Duration::from_secs(120), owner: default_owner() }
    }
}

impl Default for LeaseOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// `crlkit pid N on HOST` (HOST from the kernel's hostname; on Lambda, the log stream).
pub fn default_owner() -> String {
    let host = std::env::var("AWS_LAMBDA_LOG_STREAM_NAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|h| h.trim().to_owned()))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unknown host".into());
    format!("crlkit pid {} on {host}", std::process::id())
}

/// The stored lease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRecord {
    /// `crlkit-lease/1`.
    pub format: String,
    /// Who holds (or last held) it.
    pub owner: String,
    /// Unix seconds after which it is free (0: released).
    pub expires_at: i64,
}

/// What [`Lease::acquire`] found.
#[derive(Debug)]
pub enum Acquired {
    /// Taken: this run may act until it releases it.
    Taken(Box<Lease>),
    /// Held by another run for longer than the wait.
    Held(LeaseRecord),
}

/// A lease this run holds.
#[derive(Debug)]
pub struct Lease {
    store: Store,
    key: String,
    info: ObjectInfo,
    record: LeaseRecord,
    ttl: Duration,
    renewed: std::time::Instant,
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn to_bytes(r: &LeaseRecord) -> Bytes {
    let mut v = serde_json::to_vec_pretty(r).expect("a lease serializes");
    v.push(b'\n');
    Bytes::from(v)
}

impl Lease {
    /// The key of the lease that goes with the ledger under `prefix`.
    pub fn key_for_prefix(prefix: &str) -> String {
        format!("{prefix}{LEASE_NAME}")
    }

    /// The key of the lease that goes with the ledger at `ledger_key`: beside it in `.crlkit/`,
    /// or `<ledger key>.lease` for a ledger kept elsewhere.
    pub fn key_for_ledger(ledger_key: &str) -> String {
        match ledger_key.strip_suffix(crate::ledger::LEDGER_NAME) {
            Some(prefix) => Self::key_for_prefix(prefix),
            None => format!("{ledger_key}.lease"),
        }
    }

    /// Take the lease at `key` of `store`, waiting up to `opts.wait` while another run holds it.
    pub async fn acquire(store: &Store, key: &str, opts: &LeaseOptions) -> Result<Acquired, ElbError> {
        let started = std::time::Instant::now();
        loop {
            let found = {
                let _lock = store.lock(key).await?;
                let current = store.get(key, None).await?;
                let (mode, held) = match current {
                    None => (WriteMode::Create, None),
                    Some((info, bytes)) => {
                        let record: LeaseRecord = serde_json::from_slice(&bytes).map_err(|e| {
                            ElbError::new(ElbErrorKind::Ledger, format!("{}: not a crlkit lease", store.url_of(key)))
                                .with_source(e)
                        })?;
                        let held = (record.expires_at > now() && record.format == FORMAT).then_some(record);
                        (WriteMode::Replace(info), held)
                    }
                };
                match held {
                    Some(record) => Some(record),
                    None => {
                        let record = LeaseRecord {
                            format: FORMAT.into(),
                            owner: opts.owner.clone(),
                            expires_at: now() + opts.ttl.as_secs() as i64,
                        };
                        match store.put(key, to_bytes(&record), &mode, &Default::default()).await {
                            Ok(info) => {
                                return Ok(Acquired::Taken(Box::new(Lease {
                                    store: store.clone(),
                                    key: key.to_owned(),
                                    info,
                                    record,
                                    ttl: opts.ttl,
                                    renewed: std::time::Instant::now(),
                                })));
                            }
                            // Another run took it between our read and write: it is held now.
                            Err(e) if e.is_conflict() => None,
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
            };
            if started.elapsed() >= opts.wait {
                let holder = match found {
                    Some(r) => r,
                    None => LeaseRecord { format: FORMAT.into(), owner: "another run".into(), expires_at: 0 },
                };
                return Ok(Acquired::Held(holder));
            }
            tokio::time::sleep(POLL.min(opts.wait.saturating_sub(started.elapsed()))).await;
        }
    }

    /// Who holds it, and until when.
    pub fn record(&self) -> &LeaseRecord {
        &self.record
    }

    /// Extend it by its TTL, if a third of the TTL has passed since it was last renewed. Fails
    /// when it is no longer ours (it expired and another run took it): the caller must stop.
    pub async fn renew(&mut self) -> Result<(), ElbError> {
        if self.renewed.elapsed() < self.ttl / 3 {
            return Ok(());
        }
        let record = LeaseRecord { expires_at: now() + self.ttl.as_secs() as i64, ..self.record.clone() };
        self.write(record).await.map_err(|e| {
            ElbError::new(
                ElbErrorKind::Ledger,
                format!("{}: the lease was lost (it expired and another run took it); stopping", self.url()),
            )
            .with_source(e)
        })?;
        self.renewed = std::time::Instant::now();
        Ok(())
    }

    /// Give it up (written expired, so the next run takes it at once).
    pub async fn release(mut self) -> Result<(), ElbError> {
        let record = LeaseRecord { expires_at: 0, ..self.record.clone() };
        self.write(record).await
    }

    fn url(&self) -> String {
        self.store.url_of(&self.key)
    }

    async fn write(&mut self, record: LeaseRecord) -> Result<(), ElbError> {
        let _lock = self.store.lock(&self.key).await?;
        let mode = WriteMode::Replace(self.info.clone());
        self.info = self.store.put(&self.key, to_bytes(&record), &mode, &Default::default()).await?;
        self.record = record;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    }

    async fn store(name: &str) -> Store {
        let dir = std::env::temp_dir().join(format!("crlkit-lease-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let t = crlkit_upload::Target::parse(&format!("file://{}/", dir.display())).unwrap();
        Store::open(&t, &Default::default()).await.unwrap()
    }

    fn opts(owner: &str, wait_ms: u64) -> LeaseOptions {
        LeaseOptions { ttl: Duration::from_secs(60), wait: Duration::from_millis(wait_ms), owner: owner.into() }
    }

    #[test]
    fn one_holder_at_a_time_and_released_or_expired_leases_are_taken() {
        run(async {
            let s = store("one").await;
            assert_eq!(Lease::key_for_ledger("crl/.crlkit/ledger.json"), Lease::key_for_prefix("crl/"));
            // A file store's keys are paths from the root: the lease goes under its directory.
            let key = Lease::key_for_prefix(s.target().key());
            assert_eq!(Lease::key_for_ledger("ops/ledger.json"), "ops/ledger.json.lease");
            let Acquired::Taken(a) = Lease::acquire(&s, &key, &opts("a", 0)).await.unwrap() else { panic!() };
            let Acquired::Held(h) = Lease::acquire(&s, &key, &opts("b", 600)).await.unwrap() else { panic!() };
            assert_eq!(h.owner, "a", "a waiter gives up after its wait and says who holds it");
            a.release().await.unwrap();
            let Acquired::Taken(mut b) = Lease::acquire(&s, &key, &opts("b", 0)).await.unwrap() else { panic!() };
            b.renewed -= Duration::from_secs(30);
            b.renew().await.unwrap();
            // A crashed holder: its lease, expired, is taken over.
            let stale = LeaseRecord { format: FORMAT.into(), owner: "crashed".into(), expires_at: now() - 1 };
            b.write(stale).await.unwrap();
            let Acquired::Taken(c) = Lease::acquire(&s, &key, &opts("c", 0)).await.unwrap() else { panic!() };
            assert_eq!(c.record().owner, "c");
            // The old holder's renewal now fails: the lease is no longer its own.
            b.renewed -= Duration::from_secs(30);
            assert!(b.renew().await.is_err());
        });
    }
}
