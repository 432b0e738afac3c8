//! The staged bundle: what an offline machine prepares (`crlkit stage`) for the connected side
//! to carry out (`crlkit upload DIR`), and its verification before anything is sent.
//!
//! A bundle is a directory holding exactly the PEM files its `manifest.json` lists, the
//! manifest, `manifest.sha256` (the SHA-256 of the manifest's bytes) and `README.txt`. A file
//! changed, missing or added makes the whole bundle refused.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::facts::{CrlFacts, sha256_hex};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The manifest's checksum file.
pub const MANIFEST_SHA256: &str = "manifest.sha256";
/// The human instructions.
pub const README: &str = "README.txt";
/// The manifest format this crate writes and reads.
pub const FORMAT: &str = "crlkit-stage/1";

/// What a bundle holds and what it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// Where the files go under the upload target (`crl/`).
    pub key_prefix: String,
    /// The trust stores they are meant for, if given.
    pub trust_store_arns: Vec<String>,
    /// When preflight judged freshness (RFC 3339).
    pub preflight_at: String,
    /// The files, in order.
    pub files: Vec<StagedFile>,
    /// Partitioned CRL sets among the files, each to be carried as one unit (absent when
    /// there are none, so bundles without sets keep their bytes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<StagedSet>,
}

/// A partitioned CRL set: the partitions of one CA, staged as one unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedSet {
    /// The set's identity: SHA-256 (hex) over the issuer Name's SHA-256, the AKI and the
    /// CRL number, so the same CA's same generation always has the same id.
    pub id: String,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// SHA-256 of the issuer Name's DER, hex.
    pub issuer_sha256: String,
    /// Authority key identifier, uppercase hex.
    pub authority_key_id: Option<String>,
    /// The generation's CRL number (decimal), when every partition has the same.
    pub crl_number: Option<String>,
    /// The bundle files of its partitions, in manifest order.
    pub partitions: Vec<String>,
    /// Revoked entries over every partition.
    pub entries: u64,
    /// Bytes over every partition (as staged, PEM).
    pub size: u64,
    /// The set's preflight verdict when staged.
    pub preflight: StagedPreflight,
}

impl StagedSet {
    /// The id of a set of `issuer_sha256`, `authority_key_id` and `crl_number`.
    pub fn id_of(issuer_sha256: &str, authority_key_id: Option<&str>, crl_number: Option<&str>) -> String {
        sha256_hex(
            format!(
                "crlkit-set/1\n{issuer_sha256}\n{}\n{}\n",
                authority_key_id.unwrap_or(""),
                crl_number.unwrap_or("")
            )
            .as_bytes(),
        )
    }
}

/// One staged CRL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedFile {
    /// File name in the bundle.
    pub file: String,
    /// The object key it is meant for (prefix plus file name).
    pub key: String,
    /// The input it was made from (its file name).
    pub source: String,
    /// Size and SHA-256 of the file.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
    /// The CRL's facts.
    pub facts: CrlFacts,
    /// Preflight's verdict when staged.
    pub preflight: StagedPreflight,
}

/// Preflight's verdict on a staged CRL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedPreflight {
    /// No blocking finding.
    pub ready: bool,
    /// Every finding.
    pub findings: Vec<StagedFinding>,
}

/// One preflight finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedFinding {
    /// Stable code.
    pub code: String,
    /// blocking, warning or info.
    pub severity: String,
    /// What it says.
    pub message: String,
}

impl Manifest {
    /// The manifest's bytes: pretty JSON, fields in a fixed order, so the same bundle always
    /// has the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("a manifest always serialises");
        v.push(b'\n');
        v
    }

    /// The `manifest.sha256` line for these manifest bytes.
    pub fn checksum_line(manifest: &[u8]) -> String {
        format!("{}  {MANIFEST}\n", sha256_hex(manifest))
    }
}

/// Why a bundle is refused.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleProblem {
    /// Not a directory, or unreadable (the OS error).
    Unreadable(String),
    /// No `manifest.json`, or no `manifest.sha256`.
    NoManifest(&'static str),
    /// `manifest.json` does not match `manifest.sha256`.
    ManifestChanged,
    /// `manifest.json` is not a manifest crlkit understands.
    BadManifest(String),
    /// A listed file is not there.
    Missing(String),
    /// A file is there that the manifest does not list.
    Extra(String),
    /// A listed file's size or SHA-256 differs.
    Changed(String),
    /// A file's key is not one crlkit will write to (the key, and why).
    BadKey(String, &'static str),
}

impl BundleProblem {
    /// The stable code the binary prints.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreadable(_) => "io",
            Self::NoManifest(_) | Self::ManifestChanged | Self::BadManifest(_) => "bundle-manifest",
            Self::Missing(_) => "bundle-missing-file",
            Self::Extra(_) => "bundle-extra-file",
            Self::Changed(_) => "bundle-changed-file",
            Self::BadKey(..) => "bundle-bad-key",
        }
    }
}

impl std::fmt::Display for BundleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreadable(e) => write!(f, "cannot read the bundle: {e}"),
            Self::NoManifest(name) => write!(f, "no {name}: not a staged bundle"),
            Self::ManifestChanged => write!(f, "{MANIFEST} does not match {MANIFEST_SHA256}: the manifest was changed"),
            Self::BadManifest(e) => write!(f, "{MANIFEST} is not a {FORMAT} manifest: {e}"),
            Self::Missing(n) => write!(f, "{n} is listed in the manifest but missing"),
            Self::Extra(n) => write!(f, "{n} is not listed in the manifest (added after staging?)"),
            Self::Changed(n) => write!(f, "{n} differs from what was staged (size or SHA-256)"),
            Self::BadKey(key, why) => write!(f, "the manifest's key {key:?} is refused: {why}"),
        }
    }
}

impl std::error::Error for BundleProblem {}

/// Read and check a bundle: the manifest against its checksum, the directory's files against
/// the manifest (nothing missing, nothing added), every file's size and SHA-256. Returns the
/// manifest and each file's bytes, in manifest order. Nothing is trusted before all of it holds.
pub fn read_bundle(dir: &Path) -> Result<(Manifest, Vec<Vec<u8>>), BundleProblem> {
    let read = |name: &'static str| match std::fs::read(dir.join(name)) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BundleProblem::NoManifest(name)),
        Err(e) => Err(BundleProblem::Unreadable(format!("{}: {e}", dir.join(name).display()))),
    };
    let manifest_bytes = read(MANIFEST)?;
    let checksum = read(MANIFEST_SHA256)?;
    if checksum != Manifest::checksum_line(&manifest_bytes).as_bytes() {
        return Err(BundleProblem::ManifestChanged);
    }
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| BundleProblem::BadManifest(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(BundleProblem::BadManifest(format!("format {:?}", manifest.format)));
    }
    // Every key before anything else is read: none may escape the target or touch the ledger.
    if let Some((f, why)) = manifest.files.iter().find_map(|f| crate::check_relative_key(&f.key).err().map(|w| (f, w)))
    {
        return Err(BundleProblem::BadKey(f.key.clone(), why));
    }
    let mut present: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| BundleProblem::Unreadable(format!("{}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    let listed = |name: &str| {
        [MANIFEST, MANIFEST_SHA256, README].contains(&name) || manifest.files.iter().any(|f| f.file == name)
    };
    if let Some(extra) = present.iter().find(|p| !listed(p)) {
        return Err(BundleProblem::Extra(extra.clone()));
    }
    let mut contents = Vec::with_capacity(manifest.files.len());
    for f in &manifest.files {
        if f.file.contains('/') || f.file.starts_with('.') || !present.contains(&f.file) {
            return Err(BundleProblem::Missing(f.file.clone()));
        }
        let bytes =
            std::fs::read(dir.join(&f.file)).map_err(|e| BundleProblem::Unreadable(format!("{}: {e}", f.file)))?;
        if bytes.len() as u64 != f.size || sha256_hex(&bytes) != f.sha256 {
            return Err(BundleProblem::Changed(f.file.clone()));
        }
        contents.push(bytes);
    }
    for set in &manifest.sets {
        let mut seen: Vec<&str> = Vec::new();
        for p in &set.partitions {
            if !manifest.files.iter().any(|f| &f.file == p) || seen.contains(&p.as_str()) {
                return Err(BundleProblem::BadManifest(format!(
                    "set {} names {p}, which is not one of its files (or twice)",
                    set.id
                )));
            }
            seen.push(p);
        }
    }
    Ok((manifest, contents))
}
