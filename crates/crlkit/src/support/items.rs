//! What `upload` and `publish` send: one CRL, a staged bundle, or many CRL files, each loaded,
//! prepared for ELB (`checked::prepare`) and given its key under the target, all before the
//! first byte is sent.

use std::path::{Path, PathBuf};

use crlkit_ops::upload::{Item, key_for};
use crlkit_upload::Target;
use crlkit_verify::CaBundle;

use crate::support::checked::prepare;
use crate::support::failure::Failure;
use crate::support::input::{self, Bytes as InputBytes, Source};
use crate::support::walk::{self, Found};

/// One CRL, a staged bundle, or many CRL files.
pub enum Input {
    Crl(Source),
    Bundle(PathBuf),
    /// Files found under the paths given, each to the prefix plus its relative name (.pem).
    Many(Vec<Found>),
}

/// True when `dir` holds a staged bundle's manifest.
fn is_bundle(dir: &str) -> bool {
    let dir = Path::new(dir);
    dir.join(crlkit_upload::bundle::MANIFEST).exists() || dir.join(crlkit_upload::bundle::MANIFEST_SHA256).exists()
}

impl Input {
    /// A directory holding a manifest is a staged bundle (it goes under a prefix); several
    /// inputs, or a directory without one, are many CRLs (under a prefix too); anything else
    /// one CRL.
    pub fn parse_all(inputs: &[String], target: &Target) -> Result<Self, Failure> {
        let many = inputs.len() > 1 || (inputs[0] != "-" && Path::new(&inputs[0]).is_dir() && !is_bundle(&inputs[0]));
        if !many {
            return Self::parse(&inputs[0], target);
        }
        if inputs.iter().any(|i| i == "-" || is_bundle(i)) {
            return Err(Failure::usage("stdin (-) and a staged bundle each go alone, not beside other inputs"));
        }
        if !target.is_prefix() {
            return Err(Failure::usage("many CRLs go under a prefix: end the URL with /"));
        }
        let paths: Vec<PathBuf> = inputs.iter().map(PathBuf::from).collect();
        let found = walk::walk(&paths, false)?;
        for (path, why) in &found.skipped {
            crate::support::term::note(format_args!("{}: skipped ({why})", path.display()));
        }
        let mut keys: Vec<PathBuf> = found.files.iter().map(|f| f.relative.with_extension("pem")).collect();
        keys.sort();
        if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
            return Err(Failure::usage(format!(
                "two inputs would both be uploaded as {}: upload them apart",
                w[0].display()
            )));
        }
        Ok(Input::Many(found.files))
    }

    /// One input: a directory is a staged bundle (it goes under a prefix); anything else one CRL.
    pub fn parse(input: &str, target: &Target) -> Result<Self, Failure> {
        if input != "-" && Path::new(input).is_dir() {
            if !target.is_prefix() {
                return Err(Failure::usage("a staged bundle goes under a prefix: end the URL with /"));
            }
            Ok(Input::Bundle(PathBuf::from(input)))
        } else {
            if input == "-" && target.is_prefix() {
                return Err(Failure::usage("from stdin, name the object: a URL ending in the key, not in /"));
            }
            Ok(Input::Crl(Source::parse(input)))
        }
    }
}

/// Read and check every CRL of `input` and the key each goes to under `target`: everything
/// is checked before the first byte is sent.
pub fn prepare_items(
    input: &Input,
    target: &Target,
    max_entries: Option<u64>,
    bundle: Option<&CaBundle>,
    at: i64,
) -> Result<Vec<Item>, Failure> {
    let item = |loaded: &input::Loaded, key: String| -> Result<Item, Failure> {
        Ok(Item { key, crl: prepare(loaded, bundle, at, max_entries)? })
    };
    match input {
        Input::Crl(source) => {
            let loaded = input::load(source, false, "upload")?;
            input::notes(&loaded);
            Ok(vec![item(&loaded, key_for(target, &loaded.name))?])
        }
        Input::Many(found) => found
            .iter()
            .map(|f| {
                let loaded = input::load(&Source::File(f.path.clone()), false, "upload")?;
                input::notes(&loaded);
                item(&loaded, target.join(&f.relative.with_extension("pem").to_string_lossy().replace('\\', "/")))
            })
            .collect(),
        Input::Bundle(dir) => {
            let (manifest, files) = crlkit_upload::bundle::read_bundle(dir)
                .map_err(|p| Failure::new(p.code(), format!("{}: {p}; nothing was uploaded", dir.display())))?;
            manifest
                .files
                .iter()
                .zip(files)
                .map(|(f, bytes)| {
                    let loaded =
                        input::from_bytes(dir.join(&f.file).display().to_string(), InputBytes::Owned(bytes), false)?;
                    item(&loaded, target.join(&f.key))
                })
                .collect()
        }
    }
}
