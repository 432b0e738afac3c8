//! `crlkit pull URL`: stream a CRL down, validated as it arrives (a truncated or corrupted
//! download is an error and leaves no file), or, for a prefix, list what is there.

use std::fmt::Write as _;
use std::io::Read;

use crlkit_der::stream::{StreamOptions, StreamVisitor, parse_stream};
use crlkit_upload::{CrlFacts, Target};

use crate::cli::args::{JsonArg, StoreArgs};
use crate::support::failure::Failure;
use crate::support::input::{self, Format};
use crate::support::json;
use crate::support::outcome::Outcome;
use crate::support::output::{Dest, Sink};
use crate::support::{runtime, store};

const ABOUT: &str = "Download a CRL, validating it as it arrives, or list the CRLs under a prefix.";

const EXAMPLES: &str = "\
An object streams through the strict CRL parser on its way to the file (or stdout): memory stays
constant whatever its size, and a truncated or corrupted download is an error that leaves no
file. The bytes are kept as stored (AWS Private CA writes DER), or converted with --to.

A URL ending in / lists what is there, like `aws s3 ls`: time, size, key, and with --long the
CRL's issuer, number and nextUpdate (each CRL is downloaded and validated for that).
Credentials, region and endpoint resolve as for the AWS CLI.
Exit codes: 0 done, 2 error.

With --out-dir, every CRL under the prefix (keys ending in .crl, .der or .pem, at any depth) is
downloaded into DIR under its name below the prefix (with --to, .pem or .der), each validated as
it arrives; a broken one is reported with its URL and error, no file is written for it, and the
others go on (exit 2 at the end; --fail-fast stops at the first). A key that would leave DIR
(`..`) is refused.

--ca-arn finds the CRL from an AWS Private CA (DescribeCertificateAuthority: its bucket and
CustomPath): the object <CustomPath or crl>/<CA id>.crl, or, for a partitioned CRL, every
partition under the path that this CA signed (with --out-dir: one file per partition).

Examples:
  crlkit pull --ca-arn arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/ID -o pca.crl
  crlkit pull --ca-arn ARN --out-dir partitions/ --to pem
  crlkit pull s3://pca-bucket/crl/ --out-dir partitions/ --to pem
  crlkit pull s3://pca-bucket/crl/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d.crl -o pca.crl
  crlkit pull s3://pca-bucket/crl/ID.crl --to pem -o ID.pem
  crlkit pull s3://pca-bucket/crl/ --long
  crlkit pull file:///srv/crls/ --json";

/// `crlkit pull` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// An object (s3://bucket/key, file:///path) or a prefix ending in /.
    #[cfg_attr(feature = "online", arg(value_name = "URL", required_unless_present = "ca_arn"))]
    #[cfg_attr(not(feature = "online"), arg(value_name = "URL", required = true))]
    url: Option<String>,
    /// Instead of a URL: the CRL of this AWS Private CA (every partition of a partitioned one).
    #[cfg(feature = "online")]
    #[arg(long, value_name = "ARN", conflicts_with_all = ["url", "long"])]
    ca_arn: Option<String>,
    /// Private CA endpoint for --ca-arn (default: AWS_ENDPOINT_URL_ACM_PCA, AWS_ENDPOINT_URL).
    #[cfg(feature = "online")]
    #[arg(long, value_name = "URL", requires = "ca_arn")]
    pca_endpoint_url: Option<String>,
    /// Output file (default: stdout); it appears only when the CRL is complete and valid.
    #[arg(short, long, value_name = "FILE")]
    output: Option<String>,
    /// Convert on the way (default: keep the stored format).
    #[arg(long, value_enum, value_name = "FORMAT")]
    to: Option<Format>,
    /// For a listing: also each CRL's issuer, CRL number and nextUpdate.
    #[arg(long, short)]
    long: bool,
    /// For a prefix: download every CRL under it (.crl, .der, .pem keys, at any depth) into
    /// this directory, keeping the names below the prefix, each validated as it arrives.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["output", "long"])]
    out_dir: Option<std::path::PathBuf>,
    /// With --out-dir: stop at the first CRL that fails.
    #[arg(long, requires = "out_dir")]
    fail_fast: bool,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    store: StoreArgs,
}

/// What `pull` was asked to do.
#[derive(Clone)]
pub struct Pull {
    /// The object or prefix (with `from_ca`, found when the command runs).
    pub target: Target,
    /// With --out-dir: these keys instead of every CRL under the prefix (a CA's partitions).
    pub keys: Option<Vec<String>>,
    /// --ca-arn and --pca-endpoint-url.
    #[cfg(feature = "online")]
    pub from_ca: Option<(crlkit_pca::CaArn, Option<String>)>,
    pub dest: Dest,
    pub out_dir: Option<std::path::PathBuf>,
    pub fail_fast: bool,
    pub to: Option<Format>,
    pub long: bool,
    pub json: bool,
    pub store: crlkit_upload::StoreOptions,
}

impl Args {
    pub fn config(self) -> Result<Pull, Failure> {
        #[cfg(feature = "online")]
        let from_ca = match &self.ca_arn {
            Some(arn) => Some((
                crlkit_pca::CaArn::parse(arn).map_err(|e| Failure::new(e.code(), e.to_string()))?,
                self.pca_endpoint_url.clone(),
            )),
            None => None,
        };
        // With --ca-arn the URL is found from the CA when the command runs: until then, the
        // bucket root stands in (an object without --out-dir, a prefix with it).
        let url = match &self.url {
            Some(u) => u.clone(),
            None if self.out_dir.is_some() => "s3://ca-bucket/".to_owned(),
            None => "s3://ca-bucket/ca.crl".to_owned(),
        };
        let target = store::target(&url)?;
        let dest = Dest::parse(self.output.as_deref());
        if target.is_prefix() && self.out_dir.is_none() && (self.output.is_some() || self.to.is_some()) {
            return Err(Failure::usage(
                "a URL ending in / is listed: -o and --to take one object (or --out-dir for every CRL under it)",
            ));
        }
        if !target.is_prefix() && self.out_dir.is_some() {
            return Err(Failure::usage("--out-dir takes a prefix (a URL ending in /); -o names one object's file"));
        }
        if !target.is_prefix() && self.long {
            return Err(Failure::usage("--long is for listings (a URL ending in /)"));
        }
        Ok(Pull {
            target,
            keys: None,
            #[cfg(feature = "online")]
            from_ca,
            dest,
            out_dir: self.out_dir,
            fail_fast: self.fail_fast,
            to: self.to,
            long: self.long,
            json: self.json.json,
            store: self.store.options()?,
        })
    }
}

pub fn run(c: &Pull) -> Result<Outcome, Failure> {
    #[cfg(feature = "online")]
    if let Some((arn, endpoint)) = &c.from_ca {
        return run(&from_ca(c, arn, endpoint.as_deref())?);
    }
    match (&c.out_dir, c.target.is_prefix()) {
        (Some(dir), _) => download_all(c, dir),
        (None, true) => list(c),
        (None, false) => download(c),
    }
}

/// `c` with its target (and, with --out-dir, its keys) found from the CA.
#[cfg(feature = "online")]
fn from_ca(c: &Pull, arn: &crlkit_pca::CaArn, endpoint: Option<&str>) -> Result<Pull, Failure> {
    let fail = |e: crlkit_ops::OpsError| store::ops_failure(&e);
    let found = runtime::block_on(async {
        let conn = crlkit_ops::connect::connect(&c.store, None).await.map_err(fail)?;
        let pca = conn.pca(endpoint).map_err(fail)?;
        crlkit_ops::ca_crl::locate(&conn, &pca, arn).await.map_err(fail)
    })?;
    let mut resolved = c.clone();
    resolved.from_ca = None;
    if c.out_dir.is_some() {
        resolved.target = found.prefix.clone();
        resolved.keys = Some(found.objects.iter().map(|o| o.key().to_owned()).collect());
    } else {
        let one = found.complete(arn, "give --out-dir DIR for one file per partition").map_err(fail)?;
        resolved.target = one.clone();
    }
    Ok(resolved)
}

/// Every CRL key under `prefix`, at any depth, sorted.
async fn crl_keys(store: &crlkit_upload::Store, prefix: &str) -> Result<Vec<crlkit_upload::ObjectInfo>, Failure> {
    let mut pending = vec![prefix.to_owned()];
    let mut found = Vec::new();
    while let Some(p) = pending.pop() {
        let listing = store.list(&p).await.map_err(|e| store::failure(&e))?;
        found.extend(
            listing.objects.into_iter().filter(|o| crate::support::walk::is_crl_name(std::path::Path::new(&o.key))),
        );
        pending.extend(listing.prefixes);
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(found)
}

/// The file for `key` under `dir`: the name below the prefix, with .pem/.der when converting.
/// A key that would leave `dir` (`..`, an absolute part) is refused.
fn local_name(
    dir: &std::path::Path,
    prefix: &str,
    key: &str,
    to: Option<Format>,
) -> Result<std::path::PathBuf, Failure> {
    let rel = key.strip_prefix(prefix).unwrap_or(key);
    let safe = !rel.is_empty() && rel.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    if !safe {
        return Err(Failure::new(
            "unsafe-key",
            format!("{key}: not a plain relative name below the prefix; not written"),
        ));
    }
    let path = dir.join(rel);
    Ok(match to {
        Some(Format::Pem) => path.with_extension("pem"),
        Some(Format::Der) => path.with_extension("der"),
        None => path,
    })
}

/// `pull PREFIX/ --out-dir DIR`: every CRL under the prefix, each validated as it streams to
/// its file (which appears only when valid); a broken one is reported and the others go on.
fn download_all(c: &Pull, dir: &std::path::Path) -> Result<Outcome, Failure> {
    use crate::support::many::failed_line;
    let prefix = c.target.key().to_owned();
    let started = std::time::Instant::now();
    std::fs::create_dir_all(dir).map_err(|e| Failure::io(format!("creating {}", dir.display()), &e))?;
    let to = c.to;
    let results = runtime::block_on(async {
        let store = crlkit_ops::open_store(&c.target, &c.store).await.map_err(|e| store::ops_failure(&e))?;
        let keys = match &c.keys {
            Some(keys) => keys.clone(),
            None => crl_keys(&store, &prefix).await?.into_iter().map(|o| o.key).collect(),
        };
        let mut results = Vec::new();
        let mut failed = false;
        for key in keys {
            let url = store.url_of(&key);
            if failed && c.fail_fast {
                results.push((url, None));
                continue;
            }
            let r = async {
                let path = local_name(dir, &prefix, &key, to)?;
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| Failure::io(format!("creating {}", parent.display()), &e))?;
                }
                let (info, reader) = store.reader(&key).await.map_err(|e| store::failure(&e))?;
                let (name, dest) = (url.clone(), Dest::File(path.clone()));
                let (format, stats) = runtime::blocking(move || stream_into(&name, reader, &dest, to)).await??;
                Ok::<_, Failure>((path, info.size, format, stats.count))
            }
            .await;
            failed |= r.is_err();
            results.push((url, Some(r)));
        }
        Ok::<_, Failure>(results)
    })?;
    let (mut ok, mut failed, mut not_attempted, mut entries, mut bytes) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut out = String::new();
    let mut records = Vec::new();
    let mut failures = Vec::new();
    for (url, r) in results {
        let result = match r {
            Some(Ok((path, size, format, n))) => {
                ok += 1;
                entries += n;
                bytes += size;
                let _ = writeln!(out, "pulled    {url} -> {} ({n} entries)", path.display());
                PullResult::Pulled { output: path.display().to_string(), format: format.name(), size, entries: n }
            }
            Some(Err(f)) => {
                failed += 1;
                failed_line(&mut out, &url, &f);
                let result = PullResult::Failed { code: f.code, message: f.message.clone() };
                failures.push(f);
                result
            }
            None => {
                not_attempted += 1;
                let _ = writeln!(out, "skipped   {url} (--fail-fast)");
                PullResult::NotAttempted
            }
        };
        records.push(PullRecord { url, result });
    }
    let secs = started.elapsed().as_secs_f64();
    if c.json {
        let summary = PullSummary { ok, failed, not_attempted, entries, bytes, seconds: json::rounded(secs, 3) };
        out = json::to_string(&PullReport { url: c.target.url(), files: records, summary });
        out.push('\n');
    }
    crate::support::output::print_stdout(&out)?;
    for f in &failures {
        f.print();
    }
    crate::support::term::summary(format_args!(
        "{ok} CRL(s) pulled, {failed} failed, {not_attempted} not attempted; {entries} entries, {bytes} bytes in {secs:.2} s"
    ));
    if failed > 0 {
        return Err(Failure::new(
            "bad-input",
            format!("{failed} CRL(s) under {} could not be pulled; no file was written for them", c.target.url()),
        ));
    }
    Ok(Outcome::Positive)
}

/// `pull --json` of a prefix (docs/JSON.md).
#[derive(serde::Serialize)]
struct PullReport<'a> {
    url: String,
    files: Vec<PullRecord<'a>>,
    summary: PullSummary,
}

/// One CRL under the prefix and what became of it.
#[derive(serde::Serialize)]
struct PullRecord<'a> {
    url: String,
    #[serde(flatten)]
    result: PullResult<'a>,
}

#[derive(serde::Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
enum PullResult<'a> {
    Pulled { output: String, format: &'a str, size: u64, entries: u64 },
    Failed { code: &'a str, message: String },
    NotAttempted,
}

#[derive(serde::Serialize)]
struct PullSummary {
    ok: u64,
    failed: u64,
    not_attempted: u64,
    entries: u64,
    bytes: u64,
    seconds: f64,
}

/// `pull --json` of one object.
#[derive(serde::Serialize)]
struct DownloadRecord<'a> {
    url: &'a str,
    output: String,
    size: u64,
    etag: Option<&'a str>,
    version: Option<&'a str>,
    format: &'a str,
    entries: u64,
}

/// `pull --list --json` (with `--long`, each object's CRL facts or the reason there are none).
#[derive(serde::Serialize)]
struct ListingRecord<'a> {
    url: String,
    objects: Vec<ObjectRecord<'a>>,
    prefixes: &'a [String],
}

#[derive(serde::Serialize)]
struct ObjectRecord<'a> {
    key: &'a str,
    url: String,
    size: u64,
    modified: String,
    etag: Option<&'a str>,
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    crl: Option<FactsRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct FactsRecord<'a> {
    issuer: &'a str,
    crl_number: Option<&'a str>,
    this_update: &'a str,
    next_update: Option<&'a str>,
    entries: u64,
    authority_key_id: Option<&'a str>,
}

/// Passes validated bytes on, as they are or converted.
struct Passer<'a> {
    pem: Option<crlkit_der::pem::PemWriter<&'a mut Sink>>,
    raw: Option<&'a mut Sink>,
}

impl StreamVisitor for Passer<'_> {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match (&mut self.pem, &mut self.raw) {
            (Some(w), _) => w.write_der(bytes),
            (_, Some(w)) => std::io::Write::write_all(w, bytes),
            _ => Ok(()),
        }
    }
}

fn download(c: &Pull) -> Result<Outcome, Failure> {
    let url = c.target.url();
    let key = c.target.key().to_owned();
    let (dest, to) = (c.dest.clone(), c.to);
    let (info, format, stats) = runtime::block_on(async {
        let store = crlkit_ops::open_store(&c.target, &c.store).await.map_err(|e| store::ops_failure(&e))?;
        let (info, reader) = store.reader(&key).await.map_err(|e| store::failure(&e))?;
        let name = url.clone();
        let (format, stats) = runtime::blocking(move || stream_into(&name, reader, &dest, to)).await??;
        Ok::<_, Failure>((info, format, stats))
    })?;
    if c.json || matches!(c.dest, Dest::File(_)) {
        let mut out = String::new();
        if c.json {
            let output = match &c.dest {
                Dest::File(p) => p.display().to_string(),
                Dest::Stdout => "-".into(),
            };
            let record = DownloadRecord {
                url: &url,
                output,
                size: info.size,
                etag: info.e_tag.as_deref(),
                version: info.version.as_deref(),
                format: format.name(),
                entries: stats.count,
            };
            json::push(&mut out, &record);
            out.push('\n');
        } else if let Dest::File(p) = &c.dest {
            let _ = writeln!(
                out,
                "{url} -> {}: {} bytes {}, {} entries, valid",
                p.display(),
                info.size,
                format.name(),
                stats.count
            );
        }
        if matches!(c.dest, Dest::File(_)) {
            crate::support::output::print_stdout(&out)?;
        } else {
            crate::support::term::emit(&out);
        }
    }
    Ok(Outcome::Positive)
}

/// Parse the object from `reader` as it streams and write what it validated; the file takes
/// its place only when the whole CRL is valid.
fn stream_into(
    name: &str,
    reader: impl Read,
    dest: &Dest,
    to: Option<Format>,
) -> Result<(Format, crlkit_der::EntryStats), Failure> {
    let mut src = std::io::BufReader::with_capacity(1 << 20, reader);
    let head = std::io::BufRead::fill_buf(&mut src).map_err(|e| read_failure(name, &e))?.to_vec();
    let format = input::detect(name, &head)?;
    let out = to.unwrap_or(format);
    let mut sink = Sink::open(dest)?;
    let opts = StreamOptions::default();
    let mut stats = crlkit_der::EntryStats::default();
    input::stream_crls(name, format, src, crlkit_der::stream::MAX_PEM_LINE, |_, r| {
        let mut v = match out {
            Format::Pem => Passer { pem: Some(crlkit_der::pem::PemWriter::new(&mut sink)), raw: None },
            Format::Der => Passer { pem: None, raw: Some(&mut sink) },
        };
        let summary = parse_stream(r, &opts, &mut v)?;
        if let Some(w) = v.pem.take() {
            w.finish().map_err(crlkit_der::stream::StreamError::Output)?;
        }
        stats = summary.stats;
        Ok(())
    })?;
    sink.finish(false)?;
    Ok((format, stats))
}

fn read_failure(name: &str, e: &std::io::Error) -> Failure {
    match e.get_ref().and_then(|i| i.downcast_ref::<crlkit_upload::StoreError>()) {
        Some(s) => store::failure(s),
        None => Failure::io(format!("reading {name}"), e),
    }
}

fn list(c: &Pull) -> Result<Outcome, Failure> {
    let prefix = c.target.key().to_owned();
    let long = c.long;
    let (listing, details, store_target) = runtime::block_on(async {
        let store = crlkit_ops::open_store(&c.target, &c.store).await.map_err(|e| store::ops_failure(&e))?;
        let listing = store.list(&prefix).await.map_err(|e| store::failure(&e))?;
        let mut details = Vec::new();
        if long {
            for o in &listing.objects {
                let facts = match store.get(&o.key, None).await.map_err(|e| store::failure(&e))? {
                    Some((_, bytes)) => CrlFacts::from_stored(&bytes).map_err(|e| e.to_string()),
                    None => Err("gone while listing".to_owned()),
                };
                details.push(facts);
            }
        }
        Ok::<_, Failure>((listing, details, store.target().clone()))
    })?;
    let mut out = String::new();
    if c.json {
        let objects = listing
            .objects
            .iter()
            .enumerate()
            .map(|(i, obj)| ObjectRecord {
                key: &obj.key,
                url: store_target.url_of(&obj.key),
                size: obj.size,
                modified: crate::support::time::show(obj.modified),
                etag: obj.e_tag.as_deref(),
                version: obj.version.as_deref(),
                crl: details.get(i).and_then(|d| d.as_ref().ok()).map(|f| FactsRecord {
                    issuer: &f.issuer,
                    crl_number: f.crl_number.as_deref(),
                    this_update: &f.this_update,
                    next_update: f.next_update.as_deref(),
                    entries: f.entries,
                    authority_key_id: f.authority_key_id.as_deref(),
                }),
                error: details.get(i).and_then(|d| d.as_ref().err()).map(String::as_str),
            })
            .collect();
        json::push(&mut out, &ListingRecord { url: c.target.url(), objects, prefixes: &listing.prefixes });
        out.push('\n');
    } else {
        for p in &listing.prefixes {
            let _ = writeln!(out, "{:>30} PRE {}", "", p.strip_prefix(&prefix).unwrap_or(p));
        }
        for (i, obj) in listing.objects.iter().enumerate() {
            let when = crate::support::time::show(obj.modified).replace('T', " ").replace('Z', "");
            let name = obj.key.strip_prefix(&prefix).unwrap_or(&obj.key);
            let _ = write!(out, "{when} {:>10} {name}", obj.size);
            match details.get(i) {
                Some(Ok(f)) => {
                    let _ = write!(
                        out,
                        "  number {}  next update {}  {} entries  {}",
                        f.crl_number.as_deref().unwrap_or("-"),
                        f.next_update.as_deref().unwrap_or("-"),
                        f.entries,
                        f.issuer
                    );
                }
                Some(Err(e)) => {
                    let _ = write!(out, "  (not a CRL: {e})");
                }
                None => {}
            }
            out.push('\n');
        }
    }
    crate::support::output::print_stdout(&out)?;
    Ok(Outcome::Positive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    fn config(args: &[&str]) -> Result<Pull, Failure> {
        match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Pull(a) => a.config(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags() {
        let p = config(&["pull", "s3://bucket/crl/x.crl", "-o", "x.crl", "--to", "pem"]).unwrap();
        assert_eq!((p.to, p.long), (Some(Format::Pem), false));
        assert!(config(&["pull", "s3://bucket/crl/", "--long"]).unwrap().long);
        assert!(config(&["pull", "s3://bucket/crl/", "-o", "x"]).is_err());
        assert!(config(&["pull", "s3://bucket/crl/x.crl", "--long"]).is_err());
        assert!(config(&["pull", "s3://bucket/crl/", "--out-dir", "d", "--to", "pem"]).is_ok());
        assert!(config(&["pull", "s3://bucket/crl/x.crl", "--out-dir", "d"]).is_err());
        assert!(config(&["pull", "s3://bucket/crl/", "--out-dir", "d", "-o", "x"]).is_err());
    }

    #[test]
    fn local_names_stay_in_the_directory() {
        let d = std::path::Path::new("out");
        assert_eq!(local_name(d, "crl/", "crl/a/b.crl", Some(Format::Pem)).unwrap(), d.join("a/b.pem"));
        assert_eq!(local_name(d, "crl/", "crl/x.crl", None).unwrap(), d.join("x.crl"));
        for bad in ["crl/../x.crl", "crl//x.crl", "crl/./x.crl", "crl/"] {
            assert_eq!(local_name(d, "crl/", bad, None).unwrap_err().code, "unsafe-key", "{bad}");
        }
    }
}
