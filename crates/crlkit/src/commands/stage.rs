//! `crlkit stage CRL... --out DIR`: on the offline machine, everything the connected side will
//! only have to carry out: the PEM files, a manifest (sizes, SHA-256, CRL facts, preflight, the
//! object keys, the trust stores), its checksum, and a README with the exact commands. The same
//! inputs give the same bytes; the directory appears complete or not at all.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crlkit_elb::partition::{Partition, SetOptions};
use crlkit_elb::preflight::Finding;
use crlkit_elb::preflight::Severity;
use crlkit_upload::bundle::{
    FORMAT, MANIFEST, MANIFEST_SHA256, Manifest, README, StagedFile, StagedFinding, StagedPreflight, StagedSet,
};

use crate::cli::args::{JsonArg, MaxEntriesArg, parse_time};
use crate::support::certs::load_bundle;
use crate::support::checked::{prepare, write_blocking};
use crate::support::failure::Failure;
use crate::support::input::{self, Source};
use crate::support::json;
use crate::support::outcome::Outcome;

const ABOUT: &str =
    "Prepare CRLs offline as a bundle the connected side uploads as it is: PEM files, manifest, README.";

const EXAMPLES: &str = "\
Each CRL is validated, converted to PEM (byte-identical to `openssl crl -outform PEM`) and
preflighted (with --ca, verified too); a CRL with blocking findings is refused (exit 1) unless
--force. DIR receives NAME.pem per input, manifest.json (file names, sizes, SHA-256, the CRL
facts, the preflight findings, the object keys, the trust stores), manifest.sha256 and
README.txt with the commands to run on the connected side: `crlkit upload DIR s3://BUCKET/`
(which re-checks everything), and plain `aws s3 cp` / `aws elbv2 add-trust-store-revocations`
lines as a fallback. Freshness is judged at --at, by default the latest thisUpdate of the
inputs, so the same inputs always give the same bytes; upload judges it again when it runs.
DIR must not exist yet (or be empty); it appears only when complete.
Exit codes: 0 staged, 1 refused by preflight, 2 error.

Examples:
  crlkit stage pca.crl --out staged/ --ca ca.pem --trust-store-arn arn:aws:elasticloadbalancing:...
  crlkit stage crls/*.crl --out staged/ --key-prefix revocation/
  crlkit upload staged/ s3://my-crls/       (later, on the connected side)";

/// `crlkit stage` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// CRL files (DER or PEM) or directories (walked for .crl, .der, .pem); `-` reads one
    /// from stdin (staged as stdin.pem).
    #[arg(required = true, value_name = "CRL")]
    inputs: Vec<String>,
    /// The bundle directory to create.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Also verify against this CA bundle in preflight.
    #[arg(long, value_name = "BUNDLE")]
    ca: Option<PathBuf>,
    /// Where the files go under the upload target.
    #[arg(long, value_name = "PREFIX", default_value = "crl/")]
    key_prefix: String,
    /// The trust store(s) the CRLs are for (recorded, and used in the README's commands).
    #[arg(long, value_name = "ARN")]
    trust_store_arn: Vec<String>,
    /// Judge freshness at this time (default: the latest thisUpdate of the inputs).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Option<i64>,
    #[command(flatten)]
    quota: MaxEntriesArg,
    /// The trust store's revocation-file quota for a partitioned set, if AWS raised it from 30.
    #[arg(long, value_name = "N", default_value_t = crlkit_elb::quotas::MAX_REVOCATION_FILES)]
    max_files: u64,
    /// Stage despite blocking preflight findings.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    json: JsonArg,
}

/// What `stage` was asked to do.
pub struct Stage {
    pub inputs: Vec<Source>,
    pub out: PathBuf,
    pub ca: Option<PathBuf>,
    pub key_prefix: String,
    pub trust_store_arns: Vec<String>,
    pub at: Option<i64>,
    pub max_entries: Option<u64>,
    pub max_files: u64,
    pub force: bool,
    pub json: bool,
}

impl Args {
    pub fn config(self) -> Result<Stage, Failure> {
        if self.inputs.iter().filter(|i| *i == "-").count() > 1 {
            return Err(Failure::usage("stdin (`-`) can feed only one input"));
        }
        let prefix = self.key_prefix.trim_start_matches('/');
        let key_prefix =
            if prefix.is_empty() || prefix.ends_with('/') { prefix.to_owned() } else { format!("{prefix}/") };
        for arn in &self.trust_store_arn {
            if !arn.starts_with("arn:") || !arn.contains(":elasticloadbalancing:") || !arn.contains(":truststore/") {
                return Err(Failure::usage(format!(
                    "{arn} is not a trust store ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:truststore/NAME/ID)"
                )));
            }
        }
        let mut inputs = Vec::new();
        for i in &self.inputs {
            if i != "-" && Path::new(i).is_dir() {
                let found = crate::support::walk::walk(&[PathBuf::from(i)], false)?;
                for (path, why) in &found.skipped {
                    crate::support::term::note(format_args!("{}: skipped ({why})", path.display()));
                }
                inputs.extend(found.files.into_iter().map(|f| Source::File(f.path)));
            } else {
                inputs.push(Source::parse(i));
            }
        }
        if inputs.is_empty() {
            return Err(Failure::usage("no CRL files (.crl, .der, .pem) in the directories given"));
        }
        Ok(Stage {
            inputs,
            out: self.out,
            ca: self.ca,
            key_prefix,
            trust_store_arns: self.trust_store_arn,
            at: self.at,
            max_entries: self.quota.max_entries,
            max_files: self.max_files,
            force: self.force,
            json: self.json.json,
        })
    }
}

/// The bundle's file name for an input.
fn staged_name(source: &Source) -> String {
    match source {
        Source::Stdin => "stdin.pem".into(),
        Source::File(p) => format!("{}.pem", p.file_stem().map_or_else(|| "crl".into(), |s| s.to_string_lossy())),
    }
}

/// `stage --json` (docs/JSON.md): a summary of what the manifest records.
#[derive(serde::Serialize)]
struct StageRecord<'a> {
    out: &'a str,
    preflight_at: &'a str,
    files: Vec<StagedFileRecord<'a>>,
    sets: Vec<StagedSetRecord<'a>>,
}

#[derive(serde::Serialize)]
struct StagedFileRecord<'a> {
    file: &'a str,
    key: &'a str,
    size: u64,
    sha256: &'a str,
    crl_number: Option<&'a str>,
    entries: u64,
    ready: bool,
}

#[derive(serde::Serialize)]
struct StagedSetRecord<'a> {
    id: &'a str,
    issuer: &'a str,
    crl_number: Option<&'a str>,
    partitions: usize,
    entries: u64,
    size: u64,
    ready: bool,
}

pub fn run(c: &Stage) -> Result<Outcome, Failure> {
    if c.out.exists() && std::fs::read_dir(&c.out).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(Failure::usage(format!("{} exists and is not empty; stage into a new directory", c.out.display())));
    }
    let bundle = c.ca.as_deref().map(load_bundle).transpose()?;
    let loaded: Vec<_> = c.inputs.iter().map(|s| input::load(s, false, "stage")).collect::<Result<Vec<_>, _>>()?;
    let mut names: Vec<String> = c.inputs.iter().map(staged_name).collect();
    let mut sorted = names.clone();
    sorted.sort();
    if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
        return Err(Failure::usage(format!("two inputs would both be staged as {}: rename one", w[0])));
    }
    // Freshness at a time the inputs fix, so that the same inputs give the same bundle.
    let at = match c.at {
        Some(t) => t,
        None => loaded
            .iter()
            .filter_map(|l| l.parse(input::profile(false)).ok())
            .flat_map(|crls| crls.into_iter().map(|crl| crl.this_update().unix()).collect::<Vec<_>>())
            .max()
            .unwrap_or(0),
    };
    let mut prepared = Vec::new();
    for l in &loaded {
        input::notes(l);
        prepared.push(prepare(l, bundle.as_ref(), at, c.max_entries)?);
    }
    // Partitioned sets: each checked as one unit.
    let partitions: Vec<&Partition> = prepared.iter().map(|p| &p.partition).collect();
    let opts = SetOptions { max_files: c.max_files, ..SetOptions::at(at).with_max_entries(c.max_entries) };
    let sets = crlkit_ops::upload::check_sets(&partitions, &opts);
    let set_blocking = |f: &[Finding]| f.iter().filter(|f| f.severity == Severity::Blocking).count();
    let refused: Vec<&str> =
        prepared.iter().filter(|p| p.blocking().next().is_some()).map(|p| p.source.as_str()).collect();
    let refused_sets = sets.iter().filter(|(_, f)| set_blocking(f) > 0).count();
    if (!refused.is_empty() || refused_sets > 0) && !c.force {
        let mut out = format!(
            "NOT staged: {} of {} CRL(s) and {refused_sets} of {} partitioned set(s) have blocking preflight \
             findings; --force stages them anyway\n",
            refused.len(),
            prepared.len(),
            sets.len()
        );
        for p in &prepared {
            write_blocking(&mut out, &p.findings, &format!("{}: ", p.source));
        }
        for (s, findings) in &sets {
            write_blocking(&mut out, findings, &format!("set of {}: ", s.issuer));
        }
        crate::support::output::print_stdout(&out)?;
        return Ok(Outcome::Negative);
    }
    // The manifest, in input order.
    let files: Vec<StagedFile> = prepared
        .iter()
        .zip(&names)
        .zip(&c.inputs)
        .map(|((p, file), source)| StagedFile {
            file: file.clone(),
            key: format!("{}{file}", c.key_prefix),
            source: match source {
                Source::Stdin => "<stdin>".into(),
                Source::File(path) => path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            },
            size: p.pem.len() as u64,
            sha256: p.facts.sha256.clone(),
            facts: p.facts.clone(),
            preflight: staged_preflight(&p.findings),
        })
        .collect();
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        key_prefix: c.key_prefix.clone(),
        trust_store_arns: c.trust_store_arns.clone(),
        preflight_at: crate::support::time::show(at),
        sets: sets
            .iter()
            .map(|(s, findings)| {
                let first = &prepared[s.members[0]].facts;
                let numbers: Vec<Option<&str>> =
                    s.members.iter().map(|&i| prepared[i].facts.crl_number.as_deref()).collect();
                let crl_number = numbers.iter().all(|n| *n == numbers[0]).then(|| numbers[0]).flatten();
                StagedSet {
                    id: StagedSet::id_of(&first.issuer_sha256, first.authority_key_id.as_deref(), crl_number),
                    issuer: first.issuer.clone(),
                    issuer_sha256: first.issuer_sha256.clone(),
                    authority_key_id: first.authority_key_id.clone(),
                    crl_number: crl_number.map(str::to_owned),
                    partitions: s.members.iter().map(|&i| names[i].clone()).collect(),
                    entries: s.entries(&partitions),
                    size: s.members.iter().map(|&i| prepared[i].pem.len() as u64).sum(),
                    preflight: staged_preflight(findings),
                }
            })
            .collect(),
        files,
    };
    let manifest_bytes = manifest.to_bytes();
    let mut contents: Vec<(String, Vec<u8>)> = names.drain(..).zip(prepared.iter().map(|p| p.pem.to_vec())).collect();
    contents.push((MANIFEST.into(), manifest_bytes.clone()));
    contents.push((MANIFEST_SHA256.into(), Manifest::checksum_line(&manifest_bytes).into_bytes()));
    contents.push((README.into(), readme(&manifest, bundle.is_some()).into_bytes()));
    write_dir(&c.out, &contents)?;

    let mut out = String::new();
    if c.json {
        let files = manifest
            .files
            .iter()
            .map(|f| StagedFileRecord {
                file: &f.file,
                key: &f.key,
                size: f.size,
                sha256: &f.sha256,
                crl_number: f.facts.crl_number.as_deref(),
                entries: f.facts.entries,
                ready: f.preflight.ready,
            })
            .collect();
        let sets = manifest
            .sets
            .iter()
            .map(|s| StagedSetRecord {
                id: &s.id,
                issuer: &s.issuer,
                crl_number: s.crl_number.as_deref(),
                partitions: s.partitions.len(),
                entries: s.entries,
                size: s.size,
                ready: s.preflight.ready,
            })
            .collect();
        let out_dir = c.out.display().to_string();
        json::push(&mut out, &StageRecord { out: &out_dir, preflight_at: &manifest.preflight_at, files, sets });
        out.push('\n');
    } else {
        let _ = writeln!(
            out,
            "staged {} CRL(s) in {} (preflight at {}):",
            manifest.files.len(),
            c.out.display(),
            manifest.preflight_at
        );
        for f in &manifest.files {
            let _ = writeln!(
                out,
                "  {}  {} bytes  number {}  {} entries  -> {}",
                f.file,
                f.size,
                f.facts.crl_number.as_deref().unwrap_or("-"),
                f.facts.entries,
                f.key
            );
        }
        for s in &manifest.sets {
            let _ = writeln!(
                out,
                "  partitioned set {} of {}: {} partitions, CRL number {}, {} entries, {} bytes, staged as one unit",
                &s.id[..16],
                s.issuer,
                s.partitions.len(),
                s.crl_number.as_deref().unwrap_or("mixed"),
                s.entries,
                s.size
            );
        }
        let _ = writeln!(out, "next, on the connected side: crlkit upload {} s3://BUCKET/", c.out.display());
    }
    crate::support::checked::print_warnings(prepared.iter().map(|p| (p.source.as_str(), &p.findings[..])));
    crate::support::output::print_stdout(&out)?;
    Ok(Outcome::Positive)
}

/// Preflight's verdict as the manifest records it: ready when nothing is blocking.
fn staged_preflight(findings: &[Finding]) -> StagedPreflight {
    StagedPreflight {
        ready: findings.iter().all(|f| f.severity != Severity::Blocking),
        findings: findings
            .iter()
            .map(|f| StagedFinding {
                code: f.code.to_owned(),
                severity: f.severity.name().to_owned(),
                message: f.message.clone(),
            })
            .collect(),
    }
}

/// The README: what was checked, and the commands the connected side runs.
fn readme(m: &Manifest, verified: bool) -> String {
    let mut r = String::new();
    let _ = writeln!(r, "crlkit staged bundle: {} CRL(s) for an ELB trust store.\n", m.files.len());
    let _ = writeln!(
        r,
        "Checked when staged (preflight at {}): each CRL parsed and validated as strict DER,\n\
         converted to PEM (byte-identical to `openssl crl -outform PEM`), {}and checked\n\
         against ELB's rules. {MANIFEST} lists every file with its size, SHA-256, CRL facts,\n\
         findings and object key; {MANIFEST_SHA256} guards the manifest.\n",
        m.preflight_at,
        if verified { "its signature verified against the CA bundle,\n" } else { "" }
    );
    let _ = writeln!(r, "On the connected side, from this directory:\n");
    let _ = writeln!(r, "  crlkit upload . s3://BUCKET/\n");
    let _ = writeln!(
        r,
        "It re-checks every SHA-256 and the manifest, refuses the bundle if a file was changed,\n\
         removed or added, runs preflight again, never replaces a newer CRL of the same issuer, and\n\
         reads back what it wrote.\n"
    );
    let _ = writeln!(r, "Without crlkit (nothing but the checksums is checked then):\n");
    let _ = writeln!(r, "  sha256sum -c {MANIFEST_SHA256}");
    for f in &m.files {
        let _ = writeln!(r, "  echo '{}  {}' | sha256sum -c", f.sha256, f.file);
        let _ = writeln!(r, "  aws s3 cp {} s3://BUCKET/{}", f.file, f.key);
    }
    let arns: Vec<&str> = if m.trust_store_arns.is_empty() {
        vec!["TRUST_STORE_ARN"]
    } else {
        m.trust_store_arns.iter().map(String::as_str).collect()
    };
    for arn in arns {
        for f in &m.files {
            let _ = writeln!(
                r,
                "  aws elbv2 add-trust-store-revocations --trust-store-arn {arn} \\\n      --revocation-contents S3Bucket=BUCKET,S3Key={},RevocationType=CRL",
                f.key
            );
        }
    }
    r
}

/// Create `dir` with exactly `contents`, atomically: written in a hidden sibling directory,
/// renamed into place when complete (removed on failure or interruption).
fn write_dir(dir: &Path, contents: &[(String, Vec<u8>)]) -> Result<(), Failure> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "bundle".into());
    let tmp = parent.join(format!(".{name}.crlkit-tmp.{}", std::process::id()));
    crate::support::signals::remember(&tmp);
    let result = (|| {
        std::fs::create_dir(&tmp)?;
        for (file, bytes) in contents {
            std::fs::write(tmp.join(file), bytes)?;
        }
        if dir.exists() {
            std::fs::remove_dir(dir)?; // empty: checked before
        }
        std::fs::rename(&tmp, dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    crate::support::signals::forget(&tmp);
    result.map_err(|e| Failure::io(format!("writing {}", dir.display()), &e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    fn config(args: &[&str]) -> Result<Stage, Failure> {
        match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Stage(a) => a.config(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags() {
        let s = config(&["stage", "a.crl", "b.crl", "--out", "d", "--key-prefix", "/revocation"]).unwrap();
        assert_eq!((s.inputs.len(), s.key_prefix.as_str()), (2, "revocation/"));
        assert!(config(&["stage", "a.crl", "--out", "d", "--trust-store-arn", "nope"]).is_err());
        let arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:truststore/ts/0123456789abcdef";
        assert_eq!(config(&["stage", "a", "--out", "d", "--trust-store-arn", arn]).unwrap().trust_store_arns, [arn]);
        assert!(config(&["stage", "-", "-", "--out", "d"]).is_err());
        assert!(config(&["stage", "--out", "d"]).is_err(), "an input is required");
    }
}
