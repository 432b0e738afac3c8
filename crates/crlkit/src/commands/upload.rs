//! `crlkit upload CRL|DIR URL`: preflight, PEM, and a write that never lets a stale CRL replace
//! a fresh one (see `crlkit_upload::upload_crl`), then a read-back check. A staged bundle
//! directory is verified whole (every SHA-256, the manifest itself, nothing missing or added)
//! before anything is sent.

use std::fmt::Write as _;
use std::path::PathBuf;

use bytes::Bytes;
use crlkit_elb::partition::{Partition, PartitionSet, SetOptions, check_set, find_sets};
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
bundle (crlkit stage) goes under a prefix, each file at the key the manifest names; so do many
CRLs (several files, or a directory without a manifest), each at its relative name with .pem.
The partitions of one CA (same issuer and AKI, an IDP each) go as one set: preflight checks the
set (quotas, freshness, one CRL-number generation, no IDP or serial twice), and every partition
is checked against what its key holds before the first is sent; if any would be refused, none
is. Should a write fail part-way, the error lists exactly which objects are stored and which not.
Credentials, region and endpoint resolve as for the AWS CLI (AWS_PROFILE/--profile, SSO,
credential_process, AWS_ENDPOINT_URL_S3/--endpoint-url, ...).
Exit codes: 0 uploaded or already there, 1 refused (preflight, or not newer), 2 error.

Examples:
  crlkit upload pca.crl s3://my-crls/crl/ --ca ca.pem
  crlkit upload ca.pem s3://my-crls/crl/ca.pem --profile prod --sse aws:kms
  crlkit upload staged/ s3://my-crls/
  crlkit upload partitions/ s3://my-crls/crl/      every CRL under partitions/, as PEM
  crlkit upload ca.crl file:///srv/crls/ --json";

/// `crlkit upload` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The CRL (DER or PEM file, `-` for stdin), a bundle directory made by `crlkit stage`, or
    /// several CRL files and directories (walked for .crl, .der, .pem) to go under a prefix.
    #[arg(value_name = "CRL|DIR", required = true, num_args = 1..)]
    inputs: Vec<String>,
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

/// One CRL, a staged bundle, or many CRL files.
pub enum Input {
    Crl(Source),
    Bundle(PathBuf),
    /// Files found under the paths given, each to the prefix plus its relative name (.pem).
    Many(Vec<crate::support::walk::Found>),
}

impl Input {
    /// A directory holding a manifest is a staged bundle (it goes under a prefix); several
    /// inputs, or a directory without one, are many CRLs (under a prefix too); anything else
    /// one CRL.
    pub fn parse_all(inputs: &[String], target: &Target) -> Result<Self, Failure> {
        let bundle = |i: &str| {
            std::path::Path::new(i).join(crlkit_upload::bundle::MANIFEST).exists()
                || std::path::Path::new(i).join(crlkit_upload::bundle::MANIFEST_SHA256).exists()
        };
        let many =
            inputs.len() > 1 || (inputs[0] != "-" && std::path::Path::new(&inputs[0]).is_dir() && !bundle(&inputs[0]));
        if !many {
            return Self::parse(&inputs[0], target);
        }
        if inputs.iter().any(|i| i == "-" || bundle(i)) {
            return Err(Failure::usage("stdin (-) and a staged bundle each go alone, not beside other inputs"));
        }
        if !target.is_prefix() {
            return Err(Failure::usage("many CRLs go under a prefix: end the URL with /"));
        }
        let paths: Vec<PathBuf> = inputs.iter().map(PathBuf::from).collect();
        let found = crate::support::walk::walk(&paths, false)?;
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
        let input = Input::parse_all(&self.inputs, &target)?;
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
    /// What the set checks need (serials only for a CRL with an IDP, which can be a partition).
    pub partition: Partition,
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
    let partition = Partition::new(loaded.name.clone(), &checked.crl, checked.stats.count, true);
    Ok(Prepared { source: loaded.name.clone(), pem, facts, findings, partition })
}

/// Preflight's warnings on stderr, each once: a warning several CRLs share (every partition
/// of a set has the same IDP warning) is printed once with the files it is about.
pub fn print_warnings<'a>(prepared: impl Iterator<Item = &'a Prepared>) {
    let mut groups: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for p in prepared {
        for f in p.findings.iter().filter(|f| f.severity == Severity::Warning) {
            match groups.iter_mut().find(|(code, message, _)| *code == f.code && *message == f.message) {
                Some(g) => g.2.push(&p.source),
                None => groups.push((f.code, &f.message, vec![&p.source])),
            }
        }
    }
    for (code, message, files) in groups {
        match files.as_slice() {
            [one] => crate::support::term::warning(format_args!("{one}: {code}: {message}")),
            many => {
                let mut names = many.iter().take(3).copied().collect::<Vec<_>>().join(", ");
                if many.len() > 3 {
                    names.push_str(&format!(" and {} more", many.len() - 3));
                }
                crate::support::term::warning(format_args!("{code}: {message} ({} files: {names})", many.len()));
            }
        }
    }
}

/// Findings as a JSON array of `{"code", "severity", "message"}`.
fn findings_json(findings: &[Finding]) -> String {
    let items: Vec<String> = findings
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
    format!("[{}]", items.join(","))
}

/// What happened to one CRL.
pub enum Done {
    Uploaded(UploadResult),
    PreflightRefused,
    /// A partition not uploaded because its set cannot go whole: why.
    SetRefused(String),
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
        Input::Many(found) => {
            let mut items = Vec::new();
            for f in found {
                let loaded = input::load(&Source::File(f.path.clone()), false, "upload")?;
                input::notes(&loaded);
                let key = target.join(&f.relative.with_extension("pem").to_string_lossy().replace('\\', "/"));
                items.push((key, prepare(&loaded, bundle, at, checks.quota.max_entries)?));
            }
            items
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

/// A partitioned set with its set findings.
type CheckedSet = (PartitionSet, Vec<Finding>);

/// The partitioned sets among `items`, each with its set findings, and each item's set.
fn sets_of(items: &[(String, Prepared)], checks: &PreflightArgs, at: i64) -> (Vec<CheckedSet>, Vec<Option<usize>>) {
    let partitions: Vec<&Partition> = items.iter().map(|(_, p)| &p.partition).collect();
    let mut opts = SetOptions::at(at);
    if let Some(n) = checks.quota.max_entries {
        opts.max_entries = n;
    }
    // One CRL alone is uploaded as it is; sets form among several.
    let candidates = if items.len() > 1 { find_sets(&partitions) } else { Vec::new() };
    let sets: Vec<CheckedSet> = candidates
        .into_iter()
        .map(|s| {
            let f = check_set(&s, &partitions, &opts);
            (s, f)
        })
        .collect();
    let mut member_of = vec![None; items.len()];
    for (k, (s, _)) in sets.iter().enumerate() {
        for &i in &s.members {
            member_of[i] = Some(k);
        }
    }
    (sets, member_of)
}

pub fn run(c: &Upload) -> Result<Outcome, Failure> {
    let bundle = c.checks.bundle()?;
    let at = c.checks.at.or_now();
    let items = prepare_items(&c.input, &c.target, &c.checks, bundle.as_ref(), at)?;
    let (sets, member_of) = sets_of(&items, &c.checks, at);
    let results = runtime::block_on(async {
        let store = store::open(&c.target, &c.store).await?;
        let mut results: Vec<Option<Done>> = (0..items.len()).map(|_| None).collect();
        // A set goes whole or not at all: refused by preflight (its own or a partition's), or
        // if any partition would be refused at its key, none of it is sent.
        for (s, findings) in &sets {
            let set_blocking = findings.iter().find(|f| f.severity == Severity::Blocking);
            let member_blocking = s.members.iter().find(|&&i| items[i].1.blocking().next().is_some());
            let mut why = match (c.force, set_blocking, member_blocking) {
                (false, Some(f), _) => Some(format!("its set is refused by preflight ({}: {})", f.code, f.message)),
                (false, None, Some(&i)) => {
                    Some(format!("its set is refused: {} has blocking findings", items[i].1.source))
                }
                _ => None,
            };
            if why.is_none() {
                for &i in &s.members {
                    let (key, p) = &items[i];
                    let refusal =
                        crlkit_upload::would_refuse(&store, key, &p.pem, &p.facts, c.force).await.map_err(|e| {
                            let mut f = store::failure(&e);
                            f.detail.push(format!(
                                "checking the partitioned set of {} CRLs before sending any: nothing was uploaded",
                                s.members.len()
                            ));
                            f
                        })?;
                    if let Some(r) = refusal {
                        let (code, _) = refusal_text(&r, &p.facts);
                        why = Some(format!("its set is refused: {} would be ({code})", store.url_of(key)));
                        results[i] = Some(Done::Uploaded(UploadResult::Refused(r)));
                        break;
                    }
                }
            }
            if let Some(why) = why {
                for &i in &s.members {
                    if results[i].is_none() {
                        results[i] = Some(if items[i].1.blocking().next().is_some() && !c.force {
                            Done::PreflightRefused
                        } else {
                            Done::SetRefused(why.clone())
                        });
                    }
                }
            }
        }
        let mut stored: Vec<String> = Vec::new();
        for (i, (key, p)) in items.iter().enumerate() {
            if results[i].is_some() {
                continue;
            }
            if !c.force && p.blocking().next().is_some() {
                results[i] = Some(Done::PreflightRefused);
                continue;
            }
            match crlkit_upload::upload_crl(&store, key, &p.pem, &p.facts, c.force).await {
                Ok(r) => {
                    if matches!(r, UploadResult::Uploaded { .. } | UploadResult::Identical { .. }) {
                        stored.push(store.url_of(key));
                    }
                    results[i] = Some(Done::Uploaded(r));
                }
                Err(e) => {
                    let mut f = store::failure(&e);
                    if items.len() > 1 {
                        f.detail.push(format!(
                            "stored before this failure ({} of {}): {}",
                            stored.len(),
                            items.len(),
                            if stored.is_empty() { "none".to_owned() } else { stored.join(", ") }
                        ));
                        let not: Vec<String> = items[i..]
                            .iter()
                            .enumerate()
                            .filter(|(k, _)| results[i + k].is_none())
                            .map(|(_, (key, _))| store.url_of(key))
                            .collect();
                        f.detail.push(format!("not stored: {}", not.join(", ")));
                        if let Some(k) = member_of[i] {
                            f.detail.push(format!(
                                "{} belongs to a partitioned set of {} CRLs: the set is incomplete at the target \
                                 until this upload is run again",
                                p.source,
                                sets[k].0.members.len()
                            ));
                        }
                    }
                    return Err(f);
                }
            }
        }
        Ok::<_, Failure>((results.into_iter().map(|r| r.expect("every item decided")).collect::<Vec<_>>(), store))
    })?;
    let (results, store) = results;
    report(c, &store, &items, &results, &sets)?;
    let refused = results
        .iter()
        .any(|r| matches!(r, Done::PreflightRefused | Done::SetRefused(_) | Done::Uploaded(UploadResult::Refused(_))));
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

fn report(
    c: &Upload,
    store: &Store,
    items: &[(String, Prepared)],
    results: &[Done],
    sets: &[CheckedSet],
) -> Result<(), Failure> {
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
            Done::SetRefused(why) => {
                o.str("result", "refused");
                o.str("refusal", "set");
                o.str("message", why);
                let _ = writeln!(out, "{url}: NOT uploaded: {why}");
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
        o.raw("preflight", &findings_json(&p.findings));
        o.end();
        records.push(rec);
    }
    print_warnings(items.iter().map(|(_, p)| p));
    let mut set_records = Vec::new();
    for (s, findings) in sets {
        let whole = s.members.iter().all(|&i| {
            matches!(results[i], Done::Uploaded(UploadResult::Uploaded { .. } | UploadResult::Identical { .. }))
        });
        let verdict = if whole { "stored whole" } else { "NOT stored (none of it was sent)" };
        let _ = writeln!(out, "partitioned set of {} CRL(s) of {}: {verdict}", s.members.len(), s.issuer);
        for f in findings.iter().filter(|f| f.severity == Severity::Blocking) {
            let _ = writeln!(out, "  blocking {:<32} {}", f.code, f.message);
        }
        let mut rec = String::new();
        let mut o = Object::new(&mut rec);
        o.str("issuer", &s.issuer);
        o.opt_str("authority_key_id", s.authority_key_id.as_deref());
        let keys: Vec<String> = s
            .members
            .iter()
            .map(|&i| {
                let mut q = String::new();
                crate::support::json::string(&mut q, &store.url_of(&items[i].0));
                q
            })
            .collect();
        o.raw("urls", &format!("[{}]", keys.join(",")));
        o.bool("stored", whole);
        o.raw("preflight", &findings_json(findings));
        o.end();
        set_records.push(rec);
    }
    if c.json {
        out.clear();
        let mut o = Object::new(&mut out);
        o.str("target", &c.target.url());
        o.raw("uploads", &format!("[{}]", records.join(",")));
        o.raw("sets", &format!("[{}]", set_records.join(",")));
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
