//! `crlkit convert IN... --out-dir DIR`: many CRLs at once. Files convert in parallel (rayon),
//! each with the large-file parallelism inside; at most one file per worker is open and mapped
//! at a time, so memory follows the files in flight, not the set. A broken file is reported with
//! its path and error, nothing is written for it, and the others go on (unless --fail-fast).
//! Reports come in the sorted input order, never in completion order.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use super::{Convert, convert_loaded};
use crate::support::failure::Failure;
use crate::support::input::{self, Format, Source};
use crate::support::json;
use crate::support::many::{self, Summary};
use crate::support::outcome::Outcome;
use crate::support::output::Dest;
use crate::support::progress::Progress;
use crate::support::walk::{self, Found};

/// A run over many inputs.
pub struct Bulk {
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub to: Format,
    pub lenient: bool,
    pub sync: bool,
    pub fail_fast: bool,
    pub follow_symlinks: bool,
    pub json: bool,
}

/// What became of one file.
enum Done {
    Converted { crls: usize, entries: u64, bytes: u64 },
    Failed(Failure),
    NotAttempted,
}

/// The output name of `relative`: `.crl`/`.der` → `.pem` (or `.der` with `--to der`).
fn output_name(relative: &Path, to: Format) -> PathBuf {
    let ext = match to {
        Format::Pem => "pem",
        Format::Der => "der",
    };
    relative.with_extension(ext)
}

pub fn run(b: &Bulk) -> Result<Outcome, Failure> {
    let started = Instant::now();
    let found = walk::walk(&b.inputs, b.follow_symlinks)?;
    let outputs: Vec<PathBuf> = found.files.iter().map(|f| b.out_dir.join(output_name(&f.relative, b.to))).collect();
    check_outputs(&found.files, &outputs, &b.out_dir, b)?;

    let sizes: Vec<u64> = found.files.iter().map(|f| std::fs::metadata(&f.path).map_or(0, |m| m.len())).collect();
    let total: u64 = sizes.iter().sum();
    let many_files = found.files.len() >= 200 && Progress::wanted(u64::MAX, b.json, false);
    let progress = Progress::start_files(
        "converting",
        total,
        found.files.len() as u64,
        many_files || Progress::wanted(total, b.json, false),
    );
    let stop = AtomicBool::new(false);
    let mut created: Vec<PathBuf> = Vec::new();
    for o in &outputs {
        let mut dir = o.parent();
        while let Some(d) = dir {
            if d.as_os_str().is_empty() || d.exists() || created.iter().any(|c| c == d) {
                break;
            }
            created.push(d.to_path_buf());
            dir = d.parent();
        }
    }
    created.sort();
    for d in &created {
        std::fs::create_dir_all(d).map_err(|e| Failure::io(d.display(), &e))?;
    }
    let done: Vec<Done> = found
        .files
        .par_iter()
        .zip(outputs.par_iter())
        .zip(sizes.par_iter())
        .map(|((f, out), &size)| {
            if b.fail_fast && stop.load(Ordering::Relaxed) {
                return Done::NotAttempted;
            }
            let d = convert_one(b, &f.path, out, size);
            if matches!(d, Done::Failed(_)) {
                stop.store(true, Ordering::Relaxed);
            }
            progress.add_file(size);
            d
        })
        .collect();
    progress.finish();
    // Directories made for files that all failed go again (deepest first).
    for d in created.iter().rev() {
        let _ = std::fs::remove_dir(d);
    }
    report(b, &found, &outputs, &done, started)
}

fn convert_one(b: &Bulk, path: &Path, out: &Path, size: u64) -> Done {
    let source = Source::File(path.to_path_buf());
    let loaded = match input::load(&source, b.lenient, "convert --lenient") {
        Ok(l) => l,
        Err(f) => return Done::Failed(f),
    };
    let c = Convert { source, dest: Dest::File(out.to_path_buf()), to: b.to, lenient: b.lenient, sync: b.sync };
    match convert_loaded(&c, &loaded, false) {
        Ok(entries) => Done::Converted { crls: loaded.crls.len(), entries, bytes: size },
        Err(f) => Done::Failed(f),
    }
}

/// Outputs must not collide, and must never land on an input.
fn check_outputs(files: &[Found], outputs: &[PathBuf], out_dir: &Path, b: &Bulk) -> Result<(), Failure> {
    let mut seen: BTreeMap<&Path, &Path> = BTreeMap::new();
    for (f, o) in files.iter().zip(outputs) {
        if let Some(other) = seen.insert(o, &f.path) {
            return Err(Failure::usage(format!(
                "{} and {} would both be written to {}; convert them in separate runs",
                other.display(),
                f.path.display(),
                o.display()
            )));
        }
    }
    let out_root = std::fs::canonicalize(out_dir).unwrap_or_else(|_| out_dir.to_path_buf());
    // Only where the output directory and an input overlap (or a followed symlink may lead
    // anywhere) can an output land on an input: otherwise no per-file check is needed (a
    // directory of 10,000 CRLs costs no 10,000 path resolutions).
    let overlaps = b.follow_symlinks
        || b.inputs.iter().any(|i| {
            let i = std::fs::canonicalize(i).unwrap_or_else(|_| i.clone());
            let dir = if i.is_dir() { i.clone() } else { i.parent().map_or_else(|| i.clone(), Path::to_path_buf) };
            out_root.starts_with(&dir) || dir.starts_with(&out_root)
        });
    if !overlaps {
        return Ok(());
    }
    let canonical: std::collections::HashSet<PathBuf> =
        files.iter().filter_map(|f| std::fs::canonicalize(&f.path).ok()).collect();
    for o in outputs {
        let rel = o.strip_prefix(out_dir).unwrap_or(o);
        if canonical.contains(&out_root.join(rel)) {
            return Err(Failure::usage(format!(
                "{} is an input and would be overwritten; choose another --out-dir",
                out_root.join(rel).display()
            )));
        }
    }
    Ok(())
}

/// `convert --json` over many files (docs/JSON.md).
#[derive(serde::Serialize)]
struct BulkReport<'a> {
    files: Vec<BulkRecord<'a>>,
    skipped: Vec<many::SkippedRecord>,
    summary: many::SummaryRecord,
}

/// One input file and what became of it.
#[derive(serde::Serialize)]
struct BulkRecord<'a> {
    input: String,
    #[serde(flatten)]
    result: BulkResult<'a>,
}

#[derive(serde::Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
enum BulkResult<'a> {
    Converted { output: String, crls: usize, entries: u64, bytes: u64 },
    Failed { code: &'a str, message: &'a str },
    NotAttempted,
}

fn report(
    b: &Bulk,
    found: &walk::Walk,
    outputs: &[PathBuf],
    done: &[Done],
    started: Instant,
) -> Result<Outcome, Failure> {
    let mut summary = Summary { started, ..Summary::new(found) };
    let mut out = String::new();
    let mut records = Vec::new();
    for ((f, o), d) in found.files.iter().zip(outputs).zip(done) {
        let input = f.path.display().to_string();
        let result = match d {
            Done::Converted { crls, entries: n, bytes: size } => {
                summary.ok += 1;
                summary.entries += n;
                summary.bytes += size;
                let _ = writeln!(out, "converted {} -> {} ({n} entries)", f.path.display(), o.display());
                BulkResult::Converted { output: o.display().to_string(), crls: *crls, entries: *n, bytes: *size }
            }
            Done::Failed(e) => {
                summary.failed += 1;
                let _ = writeln!(out, "FAILED    {}: error[{}] {}", f.path.display(), e.code, e.message);
                BulkResult::Failed { code: e.code, message: &e.message }
            }
            Done::NotAttempted => {
                summary.not_attempted += 1;
                let _ = writeln!(out, "skipped   {} (--fail-fast)", f.path.display());
                BulkResult::NotAttempted
            }
        };
        records.push(BulkRecord { input, result });
    }
    if b.json {
        out = json::to_string(&BulkReport { files: records, skipped: many::skipped(found), summary: summary.record() });
        out.push('\n');
    }
    crate::support::output::print_stdout(&out)?;
    // Each failure in full (location, excerpt), in input order.
    for d in done {
        if let Done::Failed(e) = d {
            e.print();
        }
    }
    summary.print("converted");
    if summary.failed > 0 {
        return Err(Failure::new(
            "bad-input",
            format!(
                "{} of {} file(s) could not be converted; nothing was written for them",
                summary.failed,
                found.files.len()
            ),
        ));
    }
    Ok(Outcome::Positive)
}
