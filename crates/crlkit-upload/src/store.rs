//! A store opened from a [`Target`]: object_store underneath, with what crlkit needs of it
//! (metadata on HEAD, conditional writes, listing) and the same promises on every backend.
//!
//! | backend | conditional replace | metadata | how crlkit keeps its promises |
//! |---|---|---|---|
//! | S3 | `If-Match: <etag>` / `If-None-Match: *` | `x-amz-meta-*` | as is |
//! | memory | atomic compare | kept | as is |
//! | file | none in object_store | none | a directory lock around read-compare-write; facts read from the stored CRL; files written nameless and linked into place |

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, GetOptions, ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, UpdateVersion,
};

#[cfg(feature = "s3")]
use aws_config::SdkConfig;

#[cfg(feature = "s3")]
use crate::aws::{self, ChainCredentials};
use crate::error::{StoreError, StoreErrorKind};
use crate::local;
use crate::target::{Scheme, Target};

/// What the user chose on the command line; everything left `None` comes from the AWS chain.
#[derive(Clone, Debug, Default)]
pub struct AwsOptions {
    /// `--profile` (else `AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// `--region` (else the chain).
    pub region: Option<String>,
    /// `--endpoint` (else `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the profile).
    pub endpoint: Option<String>,
    /// `--allow-http` (or `AWS_ALLOW_HTTP=true`): plain HTTP to a remote endpoint.
    pub allow_http: bool,
    /// `--connect-timeout`: how long to wait for a connection (the AWS CLI's
    /// `--cli-connect-timeout`; 60 s when `None`).
    pub connect_timeout: Option<std::time::Duration>,
    /// `--read-timeout`: how long to wait for an answer to start or go on (the AWS CLI's
    /// `--cli-read-timeout`; 60 s when `None`). An S3 request as a whole gets this plus the
    /// time the largest CRL ELB takes needs at 64 KiB/s.
    pub read_timeout: Option<std::time::Duration>,
}

/// The AWS CLI's default connect and read timeouts.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// The slowest link an S3 transfer is given time for: a 50 MB CRL at 64 KiB/s takes 13 minutes,
/// so a whole request is never cut off for being large, only for stalling.
pub const SLOW_LINK_BYTES_PER_SECOND: u64 = 64 << 10;

impl AwsOptions {
    /// The connect timeout to use.
    pub fn connect_timeout(&self) -> std::time::Duration {
        self.connect_timeout.unwrap_or(DEFAULT_TIMEOUT)
    }

    /// The read timeout to use.
    pub fn read_timeout(&self) -> std::time::Duration {
        self.read_timeout.unwrap_or(DEFAULT_TIMEOUT)
    }

    /// The whole-request timeout of an S3 call: the read timeout plus a 50 MB transfer on a
    /// slow link (object_store's default, 30 s for the whole request, cuts a large upload off).
    pub fn request_timeout(&self) -> std::time::Duration {
        const MAX_OBJECT: u64 = 50 << 20;
        self.read_timeout() + std::time::Duration::from_secs(MAX_OBJECT / SLOW_LINK_BYTES_PER_SECOND)
    }
}

/// Server-side encryption for S3 writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Sse {
    /// The bucket's default (S3 encrypts every object with SSE-S3 unless told otherwise).
    #[default]
    BucketDefault,
    /// `AES256` (SSE-S3), explicitly.
    Aes256,
    /// `aws:kms` (SSE-KMS), with a key (else the account's `aws/s3` key), and an S3 Bucket Key
    /// to cut KMS calls.
    Kms {
        /// Key ID or ARN.
        key_id: Option<String>,
        /// Use an S3 Bucket Key.
        bucket_key: bool,
    },
}

/// How to open a store.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    /// AWS credentials, region, endpoint.
    pub aws: AwsOptions,
    /// Server-side encryption of writes (S3).
    pub sse: Sse,
    /// Retries with backoff on 5xx, throttling and dropped connections (object_store's
    /// defaults when `None`: up to 10 retries within 3 minutes).
    pub max_retries: Option<usize>,
    /// How an upload to S3 is checked (`--upload-check`).
    pub upload_check: UploadCheck,
}

/// How an upload is known to have arrived whole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UploadCheck {
    /// [`UploadCheck::Checksum`] on AWS's own S3 endpoints, [`UploadCheck::ReadBack`] on any
    /// other: an S3-compatible store may take the header and not check it (moto 5.2.5 does).
    #[default]
    Auto,
    /// Read the object back and compare its size and SHA-256: a second transfer.
    ReadBack,
    /// Trust the store's check of the `x-amz-checksum-sha256` every PUT carries (S3 refuses a
    /// body that does not match with `BadDigest`): no second transfer.
    Checksum,
}

/// How one upload was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checked {
    /// Read back and compared.
    ReadBack,
    /// Checked by the store on arrival against the SHA-256 the PUT carried.
    Checksum,
}

impl Checked {
    /// In a sentence's middle: "uploaded, {says}".
    pub fn says(self) -> &'static str {
        match self {
            Checked::ReadBack => "read back and checked",
            Checked::Checksum => "its SHA-256 checked by S3 on arrival",
        }
    }
}

/// An object, as a HEAD or GET describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modified, Unix seconds.
    pub modified: i64,
    /// ETag, where the store has them.
    pub e_tag: Option<String>,
    /// Version ID (versioned S3 buckets).
    pub version: Option<String>,
    /// User metadata (`x-amz-meta-*`), names without the prefix.
    pub metadata: BTreeMap<String, String>,
}

impl ObjectInfo {
    fn new(meta: &ObjectMeta, attributes: &Attributes) -> Self {
        let mut metadata = BTreeMap::new();
        for (k, v) in attributes.iter() {
            if let Attribute::Metadata(name) = k {
                metadata.insert(name.to_string(), v.to_string());
            }
        }
        Self {
            key: meta.location.to_string(),
            size: meta.size,
            modified: meta.last_modified.timestamp(),
            e_tag: meta.e_tag.clone(),
            version: meta.version.clone(),
            metadata,
        }
    }
}

/// How a write may proceed.
#[derive(Clone, Debug)]
pub enum WriteMode {
    /// Only if nothing is there.
    Create,
    /// Only if the object is still the one described (its ETag and version).
    Replace(ObjectInfo),
}

/// A listing: objects, and the prefixes one level down.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    /// Objects directly under the prefix.
    pub objects: Vec<ObjectInfo>,
    /// Prefixes directly under it (like directories).
    pub prefixes: Vec<String>,
}

/// An opened store.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    target: Target,
    recorder: Option<Recorder>,
    /// The store checks the SHA-256 a PUT carries: no read-back.
    checks_on_arrival: bool,
}

/// One request a recording store was asked to make ([`Store::recording`]): what a plan shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreCall {
    /// `HeadObject` of a key.
    Head(String),
    /// `GetObject` of a key.
    Get(String),
    /// A conditional `PutObject` of a key, with its metadata.
    Put(String, BTreeMap<String, String>),
    /// `ListObjectsV2` under a prefix.
    List(String),
}

/// What a [`Recorder`] calls: the store the call was made on, and the call.
type Report = dyn Fn(&Store, StoreCall) + Send + Sync;

/// Where a recording store reports its calls, in the order made.
#[derive(Clone)]
pub struct Recorder(Arc<Report>);

impl Recorder {
    /// Report each call to `f`, with the store it was made on.
    pub fn new(f: impl Fn(&Store, StoreCall) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

impl Store {
    /// Open the store `target` names. For S3, credentials are resolved now, so that a missing
    /// or broken chain is reported before any transfer.
    pub async fn open(target: &Target, opts: &StoreOptions) -> Result<Self, StoreError> {
        #[cfg(feature = "s3")]
        {
            Self::open_with(target, opts, None).await
        }
        #[cfg(not(feature = "s3"))]
        {
            let _ = opts;
            Ok(Self { inner: open_local(target)?, target: target.clone(), recorder: None, checks_on_arrival: false })
        }
    }

    /// [`Store::open`] with an AWS configuration loaded once ([`aws::load`]) and shared with
    /// other clients (the ELB one): one credential chain, resolved once.
    #[cfg(feature = "s3")]
    pub async fn open_with(target: &Target, opts: &StoreOptions, sdk: Option<&SdkConfig>) -> Result<Self, StoreError> {
        let mut checks_on_arrival = false;
        let inner: Arc<dyn ObjectStore> = match target.scheme() {
            Scheme::S3 => {
                let loaded;
                let sdk = match sdk {
                    Some(s) => s,
                    None => {
                        loaded = aws::load(&opts.aws).await;
                        &loaded
                    }
                };
                let endpoint = aws::endpoint(sdk, &opts.aws, "s3", "AWS_ENDPOINT_URL_S3");
                checks_on_arrival = checks_on_arrival_at(opts.upload_check, endpoint.as_deref());
                Arc::new(open_s3(target, opts, sdk).await?)
            }
            _ => open_local(target)?,
        };
        Ok(Self { inner, target: target.clone(), recorder: None, checks_on_arrival })
    }

    /// A fresh in-memory store that answers as `target` would (an empty bucket) and reports
    /// every request to `recorder`: a flow run on it shows the calls it would make (`--plan`).
    pub fn recording(target: &Target, recorder: Recorder) -> Self {
        Self {
            inner: Arc::new(object_store::memory::InMemory::new()),
            target: target.clone(),
            recorder: Some(recorder),
            checks_on_arrival: false,
        }
    }

    /// The same store, its requests no longer reported (a plan filling it with what it assumes).
    pub fn unrecorded(&self) -> Self {
        Self { recorder: None, ..self.clone() }
    }

    fn record(&self, call: impl FnOnce() -> StoreCall) {
        if let Some(r) = &self.recorder {
            (r.0)(self, call());
        }
    }

    /// The store's target (its URL, with the key it was opened with).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The URL of `key`.
    pub fn url_of(&self, key: &str) -> String {
        self.target.url_of(key)
    }

    /// True when an upload is checked by the store on arrival ([`UploadCheck`]), not read back.
    pub fn checks_on_arrival(&self) -> bool {
        self.checks_on_arrival
    }

    /// True when the store keeps user metadata.
    pub fn keeps_metadata(&self) -> bool {
        self.target.scheme() != Scheme::File
    }

    fn path(&self, key: &str) -> Result<ObjectPath, StoreError> {
        ObjectPath::parse(key).map_err(|e| StoreError::new(StoreErrorKind::BadTarget, self.url_of(key)).with_source(e))
    }

    /// Describe `key` (metadata included), or `None` if there is no such object.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StoreError> {
        self.record(|| StoreCall::Head(key.to_owned()));
        let path = self.path(key)?;
        let opts = GetOptions { head: true, ..GetOptions::default() };
        match self.inner.get_opts(&path, opts).await {
            Ok(r) => Ok(Some(ObjectInfo::new(&r.meta, &r.attributes))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e @ object_store::Error::PermissionDenied { .. }) => {
                // A refused HEAD has no body to say why: ask again with a one-byte GET, whose
                // error tells a wrong secret (SignatureDoesNotMatch) from a missing permission.
                let probe = GetOptions { range: Some((0..1).into()), ..GetOptions::default() };
                match self.inner.get_opts(&path, probe).await {
                    Err(why) => Err(StoreError::from_store(self.url_of(key), why)),
                    Ok(_) => Err(StoreError::from_store(self.url_of(key), e)),
                }
            }
            Err(e) => Err(StoreError::from_store(self.url_of(key), e)),
        }
    }

    /// Read `key` whole, or `None` if there is no such object. With `if_match`, only the
    /// object with that ETag (a conflict otherwise).
    pub async fn get(&self, key: &str, if_match: Option<&str>) -> Result<Option<(ObjectInfo, Bytes)>, StoreError> {
        self.record(|| StoreCall::Get(key.to_owned()));
        let path = self.path(key)?;
        let opts = GetOptions { if_match: if_match.map(str::to_owned), ..GetOptions::default() };
        let result = match self.inner.get_opts(&path, opts).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(StoreError::from_store(self.url_of(key), e)),
        };
        let info = ObjectInfo::new(&result.meta, &result.attributes);
        let bytes = result.bytes().await.map_err(|e| StoreError::from_store(self.url_of(key), e))?;
        Ok(Some((info, bytes)))
    }

    /// Read `key` whole as of `version` (a versioned bucket's version ID; the current object
    /// when `None`), or `None` if there is no such object or version.
    pub async fn get_version(
        &self,
        key: &str,
        version: Option<&str>,
    ) -> Result<Option<(ObjectInfo, Bytes)>, StoreError> {
        let Some(version) = version else { return self.get(key, None).await };
        self.record(|| StoreCall::Get(key.to_owned()));
        let path = self.path(key)?;
        let opts = GetOptions { version: Some(version.to_owned()), ..GetOptions::default() };
        let result = match self.inner.get_opts(&path, opts).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(StoreError::from_store(format!("{} (version {version})", self.url_of(key)), e)),
        };
        let info = ObjectInfo::new(&result.meta, &result.attributes);
        let bytes = result.bytes().await.map_err(|e| StoreError::from_store(self.url_of(key), e))?;
        Ok(Some((info, bytes)))
    }

    /// Stream `key`.
    pub async fn get_stream(
        &self,
        key: &str,
    ) -> Result<(ObjectInfo, BoxStream<'static, Result<Bytes, StoreError>>), StoreError> {
        self.record(|| StoreCall::Get(key.to_owned()));
        let path = self.path(key)?;
        let result = self.inner.get(&path).await.map_err(|e| StoreError::from_store(self.url_of(key), e))?;
        let info = ObjectInfo::new(&result.meta, &result.attributes);
        let url = self.url_of(key);
        let stream = result.into_stream().map(move |r| r.map_err(|e| StoreError::from_store(url.clone(), e))).boxed();
        Ok((info, stream))
    }

    /// Stream `key` as a blocking [`std::io::Read`], for the streaming CRL parser: read it on a
    /// blocking thread of the runtime this was called on (`spawn_blocking`), never on an async
    /// worker. Transfer failures come out as `io::Error`s holding the [`StoreError`].
    pub async fn reader(&self, key: &str) -> Result<(ObjectInfo, ObjectReader), StoreError> {
        let (info, stream) = self.get_stream(key).await?;
        Ok((info, ObjectReader { stream, handle: tokio::runtime::Handle::current(), chunk: Bytes::new() }))
    }

    /// Write `bytes` to `key` as `mode` allows, with `metadata` where the store keeps it. A
    /// lost race is a [`StoreErrorKind::Conflict`]. On `file://`, the caller holds
    /// [`Store::lock`] and the check against `mode` is made here under it.
    pub async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        mode: &WriteMode,
        metadata: &BTreeMap<String, String>,
    ) -> Result<ObjectInfo, StoreError> {
        if self.target.scheme() == Scheme::File {
            return self.put_file(key, bytes, mode).await;
        }
        self.record(|| StoreCall::Put(key.to_owned(), metadata.clone()));
        let path = self.path(key)?;
        let mut attributes = Attributes::new();
        for (k, v) in metadata {
            attributes.insert(Attribute::Metadata(k.clone().into()), v.clone().into());
        }
        let mode = match mode {
            WriteMode::Create => PutMode::Create,
            WriteMode::Replace(info) => {
                PutMode::Update(UpdateVersion { e_tag: info.e_tag.clone(), version: info.version.clone() })
            }
        };
        let size = bytes.len() as u64;
        let opts = PutOptions { mode, attributes, ..PutOptions::default() };
        let put = self
            .inner
            .put_opts(&path, bytes.into(), opts)
            .await
            .map_err(|e| StoreError::from_store(self.url_of(key), e))?;
        Ok(ObjectInfo {
            key: key.to_owned(),
            size,
            modified: 0,
            e_tag: put.e_tag,
            version: put.version,
            metadata: metadata.clone(),
        })
    }

    /// `file://`: compare with what is there (under the caller's lock), then write nameless and
    /// link into place.
    async fn put_file(&self, key: &str, bytes: Bytes, mode: &WriteMode) -> Result<ObjectInfo, StoreError> {
        let url = self.url_of(key);
        let current = self.head(key).await?;
        let unchanged = match (mode, &current) {
            (WriteMode::Create, None) => true,
            (WriteMode::Replace(was), Some(now)) => was.e_tag == now.e_tag && was.size == now.size,
            _ => false,
        };
        if !unchanged {
            return Err(StoreError::new(StoreErrorKind::Conflict, url));
        }
        let target = self.target.local_path(key).expect("a file store");
        let size = bytes.len() as u64;
        let written = tokio::task::spawn_blocking(move || write_local(&target, &bytes))
            .await
            .map_err(|e| StoreError::new(StoreErrorKind::Store, url.clone()).with_source(e))?;
        written.map_err(|e| StoreError::new(StoreErrorKind::Store, url.clone()).with_source(e))?;
        let info = self.head(key).await?.ok_or_else(|| StoreError::new(StoreErrorKind::Integrity, url))?;
        Ok(ObjectInfo { size, ..info })
    }

    /// For `file://`, an exclusive lock on the directory `key` lives in (created if missing),
    /// held until dropped: crlkit's writers take it around read-compare-write. `None` for
    /// stores with conditional writes.
    pub async fn lock(&self, key: &str) -> Result<Option<local::DirLock>, StoreError> {
        let Some(path) = self.target.local_path(key) else { return Ok(None) };
        let dir = path.parent().unwrap_or(std::path::Path::new("/")).to_path_buf();
        let url = self.url_of(key);
        // Waiting for the lock blocks: off the async workers, so the holder can finish.
        let locked = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            local::DirLock::acquire(&dir)
        })
        .await
        .map_err(|e| StoreError::new(StoreErrorKind::Store, url.clone()).with_source(e))?;
        locked.map(Some).map_err(|e| StoreError::new(StoreErrorKind::Store, url).with_source(e))
    }

    /// Objects and prefixes directly under `prefix` (a key ending in `/`, or empty).
    pub async fn list(&self, prefix: &str) -> Result<Listing, StoreError> {
        self.record(|| StoreCall::List(prefix.to_owned()));
        let trimmed = prefix.trim_end_matches('/');
        let path = if trimmed.is_empty() { None } else { Some(self.path(trimmed)?) };
        let listed = self
            .inner
            .list_with_delimiter(path.as_ref())
            .await
            .map_err(|e| StoreError::from_store(self.url_of(prefix), e))?;
        let mut out = Listing {
            objects: listed.objects.iter().map(|m| ObjectInfo::new(m, &Attributes::new())).collect(),
            prefixes: listed.common_prefixes.iter().map(|p| format!("{p}/")).collect(),
        };
        out.objects.sort_by(|a, b| a.key.cmp(&b.key));
        out.prefixes.sort();
        Ok(out)
    }
}

/// A blocking reader of an object's bytes as they arrive (see [`Store::reader`]).
pub struct ObjectReader {
    stream: BoxStream<'static, Result<Bytes, StoreError>>,
    handle: tokio::runtime::Handle,
    chunk: Bytes,
}

impl std::io::Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.handle.block_on(self.stream.next()) {
                None => return Ok(0),
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        bytes::Buf::advance(&mut self.chunk, n);
        Ok(n)
    }
}

/// Write `bytes` at `target`: nameless then linked, or (without `O_TMPFILE`) through a hidden
/// name renamed over it.
fn write_local(target: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = target.parent().unwrap_or(std::path::Path::new("/"));
    std::fs::create_dir_all(dir)?;
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let hidden = dir.join(format!(".{name}.crlkit-tmp.{}", std::process::id()));
    match local::nameless_file(dir) {
        Some(mut f) => {
            f.write_all(bytes)?;
            f.sync_all()?;
            local::link_into_place(&f, target, &hidden)
        }
        None => {
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&hidden)?;
            let written =
                f.write_all(bytes).and_then(|()| f.sync_all()).and_then(|()| std::fs::rename(&hidden, target));
            if written.is_err() {
                let _ = std::fs::remove_file(&hidden);
            }
            written
        }
    }
}

/// One in-memory store per name, for the life of the process.
fn memory_store(name: &str) -> Arc<dyn ObjectStore> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static STORES: OnceLock<Mutex<HashMap<String, Arc<dyn ObjectStore>>>> = OnceLock::new();
    let mut stores = STORES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    stores.entry(name.to_owned()).or_insert_with(|| Arc::new(object_store::memory::InMemory::new())).clone()
}

/// Every store but S3: the ones a build without the `s3` feature has (and the other clouds'
/// behind their features).
fn open_local(target: &Target) -> Result<Arc<dyn ObjectStore>, StoreError> {
    match target.scheme() {
        Scheme::File => Ok(Arc::new(object_store::local::LocalFileSystem::new())),
        Scheme::Memory => Ok(memory_store(target.bucket())),
        Scheme::Gcs => open_gcs(target),
        Scheme::Azure => open_azure(target),
        Scheme::S3 => Err(StoreError::new(
            StoreErrorKind::UnsupportedScheme,
            format!("{} (this is the offline build, without S3: build crlkit with the online feature)", target.url()),
        )),
    }
}

/// The host of an endpoint URL (`scheme://host[:port]/...`, IPv6 in brackets), without the
/// port: what the plain-HTTP rule and the upload check look at.
pub(crate) fn endpoint_host(endpoint: &str) -> &str {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    }
}

/// Whether an S3 store at `endpoint` (`None`: AWS's own) is trusted to check a PUT's SHA-256.
pub fn checks_on_arrival_at(check: UploadCheck, endpoint: Option<&str>) -> bool {
    match check {
        UploadCheck::ReadBack => false,
        UploadCheck::Checksum => true,
        UploadCheck::Auto => endpoint.is_none_or(|e| {
            let host = endpoint_host(e).trim_end_matches('.').to_ascii_lowercase();
            host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn")
        }),
    }
}

#[cfg(feature = "s3")]
async fn open_s3(
    target: &Target,
    opts: &StoreOptions,
    sdk: &SdkConfig,
) -> Result<object_store::aws::AmazonS3, StoreError> {
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
    let credentials = ChainCredentials::from_sdk(sdk)?;
    credentials.resolve().await?;
    // A region of this store's own (`--source-region`) before the chain's.
    let region = opts.aws.region.clone().or_else(|| sdk.region().map(|r| r.to_string()));
    let region = region.unwrap_or_else(|| "us-east-1".to_owned());
    let mut b = AmazonS3Builder::new()
        .with_bucket_name(target.bucket())
        .with_region(region)
        .with_credentials(Arc::new(credentials))
        // First: client options replace the whole set, allow-http included.
        .with_client_options(
            object_store::ClientOptions::new()
                .with_connect_timeout(opts.aws.connect_timeout())
                .with_timeout(opts.aws.request_timeout()),
        )
        // Every PUT carries x-amz-checksum-sha256: S3 checks the bytes on arrival and refuses
        // a corrupted upload (BadDigest); whether that replaces the read-back is UploadCheck's.
        .with_checksum_algorithm(object_store::aws::Checksum::SHA256);
    if let Some(endpoint) = aws::endpoint(sdk, &opts.aws, "s3", "AWS_ENDPOINT_URL_S3") {
        let http = aws::check_http(&endpoint, &opts.aws)?;
        b = b.with_endpoint(endpoint).with_allow_http(http);
    }
    if let Some(n) = opts.max_retries {
        b = b.with_retry(object_store::RetryConfig { max_retries: n, ..object_store::RetryConfig::default() });
    }
    // object_store names its encryption settings only by these configuration keys.
    let enc = |name: &str| name.parse::<AmazonS3ConfigKey>().expect("an object_store configuration key");
    match &opts.sse {
        Sse::BucketDefault => {}
        Sse::Aes256 => b = b.with_config(enc("aws_server_side_encryption"), "AES256"),
        Sse::Kms { key_id, bucket_key } => {
            b = b.with_config(enc("aws_server_side_encryption"), "aws:kms");
            if let Some(k) = key_id {
                b = b.with_config(enc("aws_sse_kms_key_id"), k.clone());
            }
            if *bucket_key {
                b = b.with_bucket_key(true);
            }
        }
    }
    b.build().map_err(|e| StoreError::new(StoreErrorKind::BadTarget, target.url()).with_source(e))
}

#[cfg(feature = "gcp")]
fn open_gcs(target: &Target) -> Result<Arc<dyn ObjectStore>, StoreError> {
    object_store::gcp::GoogleCloudStorageBuilder::from_env()
        .with_bucket_name(target.bucket())
        .build()
        .map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
        .map_err(|e| StoreError::new(StoreErrorKind::BadTarget, target.url()).with_source(e))
}

#[cfg(not(feature = "gcp"))]
fn open_gcs(target: &Target) -> Result<Arc<dyn ObjectStore>, StoreError> {
    Err(StoreError::new(StoreErrorKind::UnsupportedScheme, format!("{} (built without the gcp feature)", target.url())))
}

#[cfg(feature = "azure")]
fn open_azure(target: &Target) -> Result<Arc<dyn ObjectStore>, StoreError> {
    object_store::azure::MicrosoftAzureBuilder::from_env()
        .with_container_name(target.bucket())
        .build()
        .map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
        .map_err(|e| StoreError::new(StoreErrorKind::BadTarget, target.url()).with_source(e))
}

#[cfg(not(feature = "azure"))]
fn open_azure(target: &Target) -> Result<Arc<dyn ObjectStore>, StoreError> {
    Err(StoreError::new(
        StoreErrorKind::UnsupportedScheme,
        format!("{} (built without the azure feature)", target.url()),
    ))
}

#[cfg(test)]
mod tests {
    use super::{UploadCheck, checks_on_arrival_at, endpoint_host};

    #[test]
    fn endpoint_hosts_lose_scheme_port_and_path() {
        assert_eq!(endpoint_host("http://127.0.0.1:5599"), "127.0.0.1");
        assert_eq!(endpoint_host("http://[::1]:9000/path?x"), "::1");
        assert_eq!(endpoint_host("https://s3.eu-west-1.amazonaws.com/"), "s3.eu-west-1.amazonaws.com");
        assert_eq!(endpoint_host("localhost:4566"), "localhost");
    }

    #[test]
    fn the_checksum_is_trusted_on_aws_endpoints_only_unless_told() {
        let auto = |e| checks_on_arrival_at(UploadCheck::Auto, e);
        assert!(auto(None), "AWS's own endpoint, found by the SDK");
        assert!(auto(Some("https://s3.eu-west-1.amazonaws.com")));
        assert!(auto(Some("https://bucket.s3.dualstack.us-east-1.amazonaws.com/")));
        assert!(auto(Some("https://s3.cn-north-1.amazonaws.com.cn")));
        assert!(!auto(Some("http://127.0.0.1:5599")), "moto takes the header unchecked");
        assert!(!auto(Some("https://minio.example.com:9000")));
        assert!(!auto(Some("https://amazonaws.com.evil.example")));
        assert!(!checks_on_arrival_at(UploadCheck::ReadBack, None));
        assert!(checks_on_arrival_at(UploadCheck::Checksum, Some("http://127.0.0.1:5599")));
    }
}
