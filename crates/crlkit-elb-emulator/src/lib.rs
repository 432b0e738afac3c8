//! Test support: an emulator of the ELB trust-store API, because no local server implements it
//! (moto, LocalStack and floci do not). It speaks the real wire protocol, so the official
//! clients (the Rust SDK in crlkit, boto3 in the proof test) talk to it as to AWS:
//!
//! - awsQuery: `POST /` with a form body (`Action`, `Version=2015-12-01`, lists as
//!   `Name.member.N`), XML answers shaped as botocore's `elbv2/2015-12-01` model says, errors
//!   as `ErrorResponse` with the modelled codes (`TrustStoreNotFound`,
//!   `InvalidRevocationContent`, `TooManyTrustStoreRevocationEntries`,
//!   `RevocationContentNotFound`, `RevocationIdNotFound`, `DuplicateTrustStoreName`,
//!   `CaCertificatesBundleNotFound`, `InvalidCaCertificatesBundle`), `Throttling`,
//!   `ValidationError`, `InvalidAction`.
//! - SigV4 checked for service `elasticloadbalancing` against known keys; a store is found
//!   only in the region the request is signed for.
//! - CRLs read from the local S3 server (moto) at the bucket, key and version given, PEM only,
//!   50 MB, one CRL per file, entries counted with rasn-pkix (independent of crlkit-der); 30
//!   files and 500,000 entries per trust store (tags on `CreateTrustStore` lower or raise them
//!   per store, see
//!   [`TAG_MAX_FILES`]); revocation IDs only grow and are never reused;
//!   `DescribeTrustStoreRevocations` and `DescribeTrustStores` page with `Marker` and
//!   `PageSize` 1..400.
//! - A switch answering the first N calls with `Throttling`: for every call
//!   ([`Config::throttle_first`], `--throttle-first`), or for calls naming one trust store
//!   (tag [`TAG_THROTTLE_FIRST`]).
//! - Faults set at run time, for one trust store and action, the next N calls
//!   (`POST /_faults`, form fields `TrustStoreArn`, `Action`, `Times`, `Kind`): `error`
//!   (`Code`, `Status`: nothing done), `drop-after-commit` (done, then the connection closed
//!   unanswered, so the client's retry repeats it, as with a lost response from real ELB),
//!   `delay` (`Millis`), `miscount` (`By`: an add's `NumberOfRevokedEntries` off by that much).
//!   `POST /_calls` with `TrustStoreArn` lists the actions called on it, in order.
//!
//! - A front for AWS Private CA (`pca_front`): calls with `X-Amz-Target: ACMPrivateCA.*` go on
//!   to moto, except a repeated `RevokeCertificate` (answered `RequestAlreadyProcessedException`,
//!   as AWS does) and throttling set with `POST /_pca` (`ThrottleEvery=N`); `POST /_pca_calls`
//!   lists the revocations seen.
//! - `AddTags` and `DescribeTags` on trust stores (`CreateTrustStore`'s tags included).
//! - A trust store that stays `CREATING` for its first N `DescribeTrustStores` (tag
//!   [`TAG_CREATING_DESCRIBES`]); revocation calls on it meanwhile are refused with
//!   `TrustStoreNotReady`.
//!
//! Not emulated: `ModifyTrustStore`, associations, `RemoveTags`, the real ELB's undocumented
//! checks (signature or freshness of the CRL).

#![forbid(unsafe_code)]

mod http;
mod pca_front;
mod query;
mod service;
mod sigv4;

pub use service::{TAG_CREATING_DESCRIBES, TAG_MAX_ENTRIES, TAG_MAX_FILES, TAG_THROTTLE_FIRST};

use std::io::BufReader;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use crlkit_upload::{AwsOptions, Store, StoreOptions, Target};

use crate::http::{Request, Response};
use crate::query::Form;
use crate::service::{Fault, FaultKind, State};

/// How to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on (port 0: any free port).
    pub listen: String,
    /// The S3 endpoint CRLs and CA bundles are read from (moto).
    pub s3_endpoint: String,
    /// Accepted access keys: `(id, secret)`.
    pub keys: Vec<(String, String)>,
    /// Access keys whose requests are answered `ExpiredToken`.
    pub expired_keys: Vec<(String, String)>,
    /// Answer the first N calls with `Throttling`.
    pub throttle_first: u64,
}

impl Config {
    /// The test defaults: key `crlkit-test` / `crlkit-test-secret` accepted, key
    /// `crlkit-expired` / `crlkit-expired-secret` expired.
    pub fn new(s3_endpoint: impl Into<String>) -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            s3_endpoint: s3_endpoint.into(),
            keys: vec![("crlkit-test".into(), "crlkit-test-secret".into())],
            expired_keys: vec![("crlkit-expired".into(), "crlkit-expired-secret".into())],
            throttle_first: 0,
        }
    }
}

struct Shared {
    state: Mutex<State>,
    pca: Mutex<pca_front::PcaFront>,
    keys: Vec<sigv4::Key>,
    s3_endpoint: String,
    endpoint: String,
    runtime: tokio::runtime::Runtime,
    stores: Mutex<std::collections::BTreeMap<String, Store>>,
    requests: AtomicU64,
    stop: AtomicBool,
}

/// A running emulator; stopped when dropped.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: std::net::SocketAddr,
}

impl Emulator {
    /// Bind and serve on background threads.
    pub fn start(config: Config) -> std::io::Result<Self> {
        let listener = TcpListener::bind(&config.listen)?;
        let addr = listener.local_addr()?;
        let mut keys: Vec<sigv4::Key> = config
            .keys
            .iter()
            .map(|(id, secret)| sigv4::Key { id: id.clone(), secret: secret.clone(), expired: false })
            .collect();
        keys.extend(config.expired_keys.iter().map(|(id, secret)| sigv4::Key {
            id: id.clone(),
            secret: secret.clone(),
            expired: true,
        }));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
        let mut state = State::default();
        state.throttle_all = config.throttle_first;
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            pca: Mutex::new(pca_front::PcaFront::default()),
            keys,
            s3_endpoint: config.s3_endpoint,
            endpoint: format!("http://{addr}"),
            runtime,
            stores: Mutex::new(Default::default()),
            requests: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve(&s, conn));
            }
        });
        Ok(Self { shared, addr })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.shared.endpoint
    }

    /// Calls answered `Throttling` so far.
    pub fn throttled(&self) -> u64 {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner()).throttled
    }

    /// Requests received so far (of any kind).
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(s: &Shared, conn: TcpStream) {
    let Ok(write) = conn.try_clone() else { return };
    let mut write = write;
    let mut read = BufReader::new(conn);
    while let Ok(Some(req)) = http::read_request(&mut read) {
        s.requests.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:08x}-0000-4000-8000-{:012x}", std::process::id(), s.requests.load(Ordering::Relaxed));
        let Some(resp) = handle(s, &req, &id) else {
            // A lost response: the call took effect, the client hears nothing.
            return;
        };
        if http::write_response(&mut write, &resp).is_err() {
            return;
        }
        if req.header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            return;
        }
    }
}

/// The answer to `req`; `None` to close the connection unanswered (a `drop-after-commit` fault).
fn handle(s: &Shared, req: &Request, request_id: &str) -> Option<Response> {
    let text = |status: u16, body: String| Response {
        status,
        content_type: "text/plain",
        body: body.into_bytes(),
        request_id: request_id.into(),
    };
    if let Some(target) = req.header("x-amz-target").filter(|t| t.starts_with("ACMPrivateCA.")) {
        return Some(pca_front::handle(&s.pca, &s.s3_endpoint, req, target, request_id));
    }
    if req.method == "POST" && req.path == "/_pca" {
        let form = Form::parse(&req.body);
        let every = form.get("ThrottleEvery").unwrap_or("0").parse().unwrap_or(0);
        s.pca.lock().unwrap_or_else(|p| p.into_inner()).throttle_every = every;
        return Some(text(200, "ok\n".into()));
    }
    if req.method == "POST" && req.path == "/_pca_calls" {
        let front = s.pca.lock().unwrap_or_else(|p| p.into_inner());
        return Some(text(200, front.log.iter().map(|l| format!("{l}\n")).collect()));
    }
    // Test controls, unsigned (the emulator listens on loopback only): faults, and the call log.
    if req.method == "POST" && req.path == "/_faults" {
        let form = Form::parse(&req.body);
        let (Some(arn), Some(action)) = (form.get("TrustStoreArn"), form.get("Action")) else {
            return Some(text(400, "TrustStoreArn and Action are required\n".into()));
        };
        let times = form.get("Times").unwrap_or("1").parse().unwrap_or(1);
        return Some(match service::FaultKind::parse(&form) {
            Ok(kind) => {
                let rule = service::FaultRule { arn: arn.into(), action: action.into(), times, kind };
                s.state.lock().unwrap_or_else(|p| p.into_inner()).faults.push(rule);
                text(200, "ok\n".into())
            }
            Err(e) => text(400, format!("{e}\n")),
        });
    }
    if req.method == "POST" && req.path == "/_calls" {
        let form = Form::parse(&req.body);
        let arn = form.get("TrustStoreArn").unwrap_or_default();
        let state = s.state.lock().unwrap_or_else(|p| p.into_inner());
        let calls: Vec<&str> = state.calls.iter().filter(|(a, _)| a == arn).map(|(_, c)| c.as_str()).collect();
        return Some(text(200, calls.iter().map(|c| format!("{c}\n")).collect()));
    }
    handle_call(s, req, request_id)
}

fn handle_call(s: &Shared, req: &Request, request_id: &str) -> Option<Response> {
    let xml =
        |status: u16, body: Vec<u8>| Response { status, content_type: "text/xml", body, request_id: request_id.into() };
    let error = |f: Fault| Some(xml(f.status, service::error_body(&f, request_id)));
    if req.method == "GET"
        && let Some(id) = req.path.strip_prefix("/_content/")
    {
        let pem = id.parse().ok().and_then(|id| s.state.lock().unwrap_or_else(|p| p.into_inner()).content(id));
        return match pem {
            Some(b) => Some(Response {
                status: 200,
                content_type: "application/x-pem-file",
                body: b.to_vec(),
                request_id: request_id.into(),
            }),
            None => error(Fault { status: 404, code: "NoSuchKey", message: "no such revocation content".into() }),
        };
    }
    if req.method != "POST" || req.path != "/" {
        return error(Fault { status: 404, code: "UnknownOperation", message: format!("{} {}", req.method, req.path) });
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let signed = match sigv4::check(req, "elasticloadbalancing", &s.keys, now) {
        Ok(signed) => signed,
        Err(r) => return error(Fault { status: r.status, code: r.code, message: r.message }),
    };
    let form = Form::parse(&req.body);
    let Some(action) = form.get("Action") else {
        return error(service::fault("MissingAction", "Action is missing"));
    };
    if form.get("Version") != Some("2015-12-01") {
        return error(service::fault("InvalidParameterValue", "Version must be 2015-12-01"));
    }
    let read = |bucket: &str, key: &str, version: Option<&str>| read_s3(s, bucket, key, version);
    let arn = form
        .get("TrustStoreArn")
        .or_else(|| form.get("TrustStoreArns.member.1"))
        .or_else(|| form.get("ResourceArns.member.1"))
        .unwrap_or_default()
        .to_owned();
    let fault = {
        let mut state = s.state.lock().unwrap_or_else(|p| p.into_inner());
        if !arn.is_empty() {
            state.calls.push((arn.clone(), action.to_owned()));
        }
        state.take_fault(&arn, action)
    };
    match fault {
        Some(FaultKind::Error { status, code }) => {
            return error(Fault { status, code, message: format!("{code} (an emulator fault)") });
        }
        Some(FaultKind::Delay { millis }) => std::thread::sleep(std::time::Duration::from_millis(millis)),
        Some(FaultKind::Miscount { by }) => s.state.lock().unwrap_or_else(|p| p.into_inner()).miscount = by,
        Some(FaultKind::DropAfterCommit) | None => {}
    }
    let result =
        s.state.lock().unwrap_or_else(|p| p.into_inner()).call(action, &form, &signed.region, &read, &s.endpoint);
    if fault == Some(FaultKind::DropAfterCommit) {
        return None;
    }
    match result {
        Ok(body) => Some(xml(200, service::answer(action, &body, request_id))),
        Err(f) => error(f),
    }
}

fn read_s3(s: &Shared, bucket: &str, key: &str, version: Option<&str>) -> Result<Option<Bytes>, String> {
    let store = {
        let mut stores = s.stores.lock().unwrap_or_else(|p| p.into_inner());
        match stores.get(bucket) {
            Some(st) => st.clone(),
            None => {
                let target = Target::parse(&format!("s3://{bucket}/")).map_err(|e| e.to_string())?;
                let opts = StoreOptions {
                    aws: AwsOptions { endpoint: Some(s.s3_endpoint.clone()), ..AwsOptions::default() },
                    max_retries: Some(1),
                    ..StoreOptions::default()
                };
                let st = s.runtime.block_on(Store::open(&target, &opts)).map_err(|e| e.to_string())?;
                stores.insert(bucket.to_owned(), st.clone());
                st
            }
        }
    };
    s.runtime.block_on(store.get_version(key, version)).map(|o| o.map(|(_, b)| b)).map_err(|e| e.to_string())
}
