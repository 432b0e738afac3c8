//! `crlkit upload CRL|DIR URL`: preflight, PEM, and a write that never lets a stale CRL replace
//! a fresh one (see `crlkit_upload::upload_crl`), then a read-back check. A staged bundle
//! directory is verified whole (every SHA-256, the manifest itself, nothing missing or added)
//! before anything is sent.

use std::fmt::Write as _;
use std::path::PathBuf;

use bytes::Bytes;
use crlkit_elb::preflight::{Finding, Severity};
use crlkit_upload::{CrlFacts, Refusal, Store, Target, UploadResult};

use super::Outcome;
use crate::cli::args::{JsonArg, PreflightArgs, StoreArgs};
use crate::support::checked::{preflight_findings, run_checks};
use crate::support::failure::Failure;
use crate::support::input::{self, Bytes as InputBytes, Loaded, Source};
use crate::support::json::Object;
use crate::support::{runtime, store};

const ABOUT: &str = "Upload a CRL (converted to PEM) or a staged bundle to S3, a directory or memory, safely.";

const EXAMPLES: &str = "\
Preflight runs first: blocking findings refuse the upload (exit 1) unless --force. The CRL is
sent as PEM (DER input is converted), exactly the bytes that were validated, with its facts as
object metadata (x-amz-meta-crlkit-*: issuer, AKI, CRL number, thisUpdate, nextUpdate, entries,
SHA-256), and read back and compared before success is reported.

A stale CRL never replaces a fresh one: if the key holds a CRL of the same issuer with a CRL
number at least as high (or a CRL of another issuer, or something that is not a CRL), the upload
is refused (exit 1) and both numbers are shown. Otherwise the write is conditional on what was
read (If-Match on S3; a lock on file://), so racing uploaders cannot leave the older CRL in
place. The same bytes again: nothing is sent (exit 0).

URL: s3://bucket/key, or a prefix ending in / (the key is then the file's name with .pem);
file:///dir/ for a local directory (no cloud at all); memory:// (this process only). A staged
bundle (crlkit stage) goes under a prefix, each file at the key the manifest names.
Credentials, region and endpoint resolve as for the AWS CLI (AWS_PROFILE/--profile, SSO,
credential_process, AWS_ENDPOINT_URL_S3/--endpoint-url, ...).
Exit codes: 0 uploaded or already there, 1 refused (preflight, or not newer), 2 error.

Examples:
  crlkit upload pca.crl s3://my-crls/crl/ --ca ca.pem
  crlkit upload ca.pem s3://my-crls/crl/ca.pem --profile prod --sse aws:kms
  crlkit upload staged/ s3://my-crls/
  crlkit upload ca.crl file:///srv/crls/ --json";

/// `crlkit upload` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The CRL (DER or PEM file, `-` for stdin), or a bundle directory made by `crlkit stage`.
    #[arg(value_name = "CRL|DIR")]
    input: String,
    /// Where it goes: s3://bucket/key, s3://bucket/prefix/, file:///dir/, memory://name/.
    #[arg(value_name = "URL")]
    url: String,
    #[command(flatten)]
    checks: PreflightArgs,
    /// Upload despite blocking preflight findings, and replace whatever the key holds (still
    /// conditionally on what was read).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    store: StoreArgs,
}

/// What `upload` was asked to do.
pub struct Upload {
    pub input: Input,
    pub target: Target,
    pub checks: PreflightArgs,
    pub force: bool,
    pub json: bool,
    pub store: crlkit_upload::StoreOptions,
}

/// One CRL, or a staged bundle.
pub enum Input {
    Crl(Source),
    Bundle(PathBuf),
}

impl Input {
    /// A directory is a staged bundle (it goes under a prefix); anything else one CRL.
    pub fn parse(input: &str, target: &Target) -> Result<Self, Failure> {
        if input != "-" && std::path::Path::new(input).is_dir() {
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

impl Args {
    pub fn config(self) -> Result<Upload, Failure> {
        let target = store::target(&self.url)?;
        let input = Input::parse(&self.input, &target)?;
        Ok(Upload {
            input,
            target,
            checks: self.checks,
            force: self.force,
            json: self.json.json,
            store: self.store.options()?,
        })
    }
}

/// A CRL ready to go: its PEM, facts, and preflight's findings.
pub struct Prepared {
    pub source: String,
    pub pem: Bytes,
    pub facts: CrlFacts,
    pub findings: Vec<Finding>,
}

impl Prepared {
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Blocking)
    }
}

/// Validate, preflight and convert one CRL input (exactly one CRL).
pub fn prepare(
    loaded: &Loaded,
    bundle: Option<&crlkit_verify::CaBundle>,
    at: i64,
    max_entries: Option<u64>,
) -> Result<Prepared, Failure> {
    if loaded.crls.len() != 1 {
        return Err(Failure::new(
            "several-crls",
            format!("{} holds {} CRLs; one object holds one CRL here (split the file)", loaded.name, loaded.crls.len()),
        ));
    }
    let crls = run_checks(loaded, false, bundle, at)?;
    let findings = preflight_findings(loaded, &crls, bundle, at, max_entries).into_iter().map(|(_, f)| f).collect();
    let checked = &crls[0];
    let pem = Bytes::from(crlkit_der::pem::encode(checked.crl.der()));
    let facts = CrlFacts::new(&checked.crl, checked.stats.count, &pem);
    Ok(Prepared { source: loaded.name.clone(), pem, facts, findings })
}

/// What happened to one CRL.
pub enum Done {
    Uploaded(UploadResult),
    PreflightRefused,
}

/// Read and check every CRL of `input` (one file, or a staged bundle) and the key each goes
/// to under `target`: everything is checked before the first byte is sent.
pub fn prepare_items(
    input: &Input,
    target: &Target,
    checks: &PreflightArgs,
    bundle: Option<&crlkit_verify::CaBundle>,
    at: i64,
) -> Result<Vec<(String, Prepared)>, Failure> {
    Ok(match input {
        Input::Crl(source) => {
            let loaded = input::load(source, false, "upload")?;
            input::notes(&loaded);
            let prepared = prepare(&loaded, bundle, at, checks.quota.max_entries)?;
            let key = if target.is_prefix() {
                let stem = std::path::Path::new(&loaded.name).file_stem().map(|s| s.to_string_lossy().into_owned());
                target.join(&format!("{}.pem", stem.unwrap_or_else(|| "crl".into())))
            } else {
                target.key().to_owned()
            };
            vec![(key, prepared)]
        }
        Input::Bundle(dir) => {
            let (manifest, files) = crlkit_upload::bundle::read_bundle(dir)
                .map_err(|p| Failure::new(p.code(), format!("{}: {p}; nothing was uploaded", dir.display())))?;
            let mut items = Vec::new();
            for (f, bytes) in manifest.files.iter().zip(files) {
                let name = dir.join(&f.file).display().to_string();
                let loaded = input::from_bytes(name, InputBytes::Owned(bytes), false)?;
                items.push((target.join(&f.key), prepare(&loaded, bundle, at, checks.quota.max_entries)?));
            }
            items
        }
    })
}

pub fn run(c: &Upload) -> Result<Outcome, Failure> {
    let bundle = c.checks.bundle()?;
    let at = c.checks.at.or_now();
    let items = prepare_items(&c.input, &c.target, &c.checks, bundle.as_ref(), at)?;
    let results = runtime::block_on(async {
        let store = store::open(&c.target, &c.store).await?;
        let mut results = Vec::new();
        for (i, (key, p)) in items.iter().enumerate() {
            if !c.force && p.blocking().next().is_some() {
                results.push(Done::PreflightRefused);
                continue;
            }
            match crlkit_upload::upload_crl(&store, key, &p.pem, &p.facts, c.force).await {
                Ok(r) => results.push(Done::Uploaded(r)),
                Err(e) => {
                    let mut f = store::failure(&e);
                    if items.len() > 1 {
                        f.detail.push(format!(
                            "{} of {} file(s) were dealt with before this one; {} and the rest were not uploaded",
                            i,
                            items.len(),
                            p.source
                        ));
                    }
                    return Err(f);
                }
            }
        }
        Ok::<_, Failure>((results, store))
    })?;
    let (results, store) = results;
    report(c, &store, &items, &results)?;
    let refused =
        results.iter().any(|r| matches!(r, Done::PreflightRefused | Done::Uploaded(UploadResult::Refused(_))));
    Ok(Outcome::from_ok(!refused))
}

/// A refusal in words, with its stable code.
pub fn refusal_text(r: &Refusal, ours: &CrlFacts) -> (&'static str, String) {
    let number = |f: &CrlFacts| f.crl_number.clone().unwrap_or_else(|| "none".into());
    match r {
        Refusal::NotNewer { existing } => (
            "not-newer",
            format!(
                "the stored CRL has number {}, this one {}: a CRL replaces only an older one of its issuer",
                number(existing),
                number(ours)
            ),
        ),
        Refusal::OtherIssuer { existing } => (
            "other-issuer",
            format!("the key holds a CRL of another issuer ({}); --force replaces it", existing.issuer),
        ),
        Refusal::Unordered { existing } => (
            "unordered",
            format!(
                "a CRL number is missing (stored {}, this {}): which is newer cannot be told; --force replaces it",
                number(existing),
                number(ours)
            ),
        ),
        Refusal::NotACrl { size } => {
            ("not-a-crl-object", format!("the key holds {size} bytes that are not a CRL; --force replaces them"))
        }
    }
}

fn report(c: &Upload, store: &Store, items: &[(String, Prepared)], results: &[Done]) -> Result<(), Failure> {
    let mut out = String::new();
    let mut records = Vec::new();
    for ((key, p), done) in items.iter().zip(results) {
        let url = store.url_of(key);
        let number = p.facts.crl_number.as_deref().unwrap_or("none");
        let mut rec = String::new();
        let mut o = Object::new(&mut rec);
        o.str("source", &p.source);
        o.str("url", &url);
        o.str("key", key);
        o.num("size", p.facts.size);
        o.str("sha256", &p.facts.sha256);
        o.opt_str("crl_number", p.facts.crl_number.as_deref());
        o.num("entries", p.facts.entries);
        match done {
            Done::PreflightRefused => {
                o.str("result", "refused");
                o.str("refusal", "preflight");
                let _ = writeln!(out, "{url}: REFUSED by preflight (--force uploads anyway):");
                for f in p.blocking() {
                    let _ = writeln!(out, "  blocking {:<32} {}", f.code, f.message);
                }
            }
            Done::Uploaded(UploadResult::Identical { info }) => {
                o.str("result", "identical");
                o.opt_str("etag", info.e_tag.as_deref());
                o.opt_str("version", info.version.as_deref());
                let _ = writeln!(out, "{url}: already holds this CRL (number {number}); nothing uploaded");
            }
            Done::Uploaded(UploadResult::Refused(r)) => {
                let (code, text) = refusal_text(r, &p.facts);
                o.str("result", "refused");
                o.str("refusal", code);
                o.str("message", &text);
                let _ = writeln!(out, "{url}: REFUSED: {text}");
            }
            Done::Uploaded(UploadResult::Uploaded { info, replaced, attempts }) => {
                o.str("result", "uploaded");
                o.opt_str("etag", info.e_tag.as_deref());
                o.opt_str("version", info.version.as_deref());
                o.opt_str("replaced_crl_number", replaced.as_ref().and_then(|r| r.crl_number.as_deref()));
                o.num("attempts", *attempts as u64);
                let replaced = replaced.as_ref().map_or(String::new(), |r| {
                    format!(", replaced number {}", r.crl_number.as_deref().unwrap_or("none"))
                });
                let _ = writeln!(
                    out,
                    "{url}: uploaded CRL number {number} ({} entries, {} bytes, read back and checked{replaced}); ETag {}{}",
                    p.facts.entries,
                    p.facts.size,
                    info.e_tag.as_deref().unwrap_or("-"),
                    info.version.as_deref().map_or(String::new(), |v| format!(", version {v}"))
                );
            }
        }
        let findings: Vec<String> = p
            .findings
            .iter()
            .map(|f| {
                let mut s = String::new();
                let mut fo = Object::new(&mut s);
                fo.str("code", f.code);
                fo.str("severity", f.severity.name());
                fo.str("message", &f.message);
                fo.end();
                s
            })
            .collect();
        o.raw("preflight", &format!("[{}]", findings.join(",")));
        o.end();
        records.push(rec);
        for f in p.findings.iter().filter(|f| f.severity == Severity::Warning) {
            crate::support::term::warning(format_args!("{}: {}: {}", p.source, f.code, f.message));
        }
    }
    if c.json {
        out.clear();
        let mut o = Object::new(&mut out);
        o.str("target", &c.target.url());
        o.raw("uploads", &format!("[{}]", records.join(",")));
        o.end();
        out.push('\n');
    }
    crate::support::output::print_stdout(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    fn config(args: &[&str]) -> Result<Upload, Failure> {
        match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Upload(a) => a.config(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags() {
        let u =
            config(&["upload", "a.crl", "s3://bucket/crl/", "--sse", "aws:kms", "--bucket-key", "--force"]).unwrap();
        assert!(u.force && u.target.is_prefix());
        assert_eq!(u.store.sse, crlkit_upload::Sse::Kms { key_id: None, bucket_key: true });
        assert!(config(&["upload", "a.crl", "s3://bucket/x", "--bucket-key"]).is_err(), "needs --sse aws:kms");
        assert!(config(&["upload", "-", "s3://bucket/crl/"]).is_err(), "stdin needs a key");
        assert!(config(&["upload", "a.crl", "ftp://x/y"]).is_err());
        let u = config(&[
            "upload",
            "a.crl",
            "s3://bucket/k.pem",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "eu-west-1",
        ])
        .unwrap();
        assert_eq!(u.store.aws.endpoint.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(u.store.aws.region.as_deref(), Some("eu-west-1"));
    }
}
