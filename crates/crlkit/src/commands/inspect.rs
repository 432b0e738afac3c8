//! `crlkit inspect`: what a CRL says about itself, for people (aligned text) and machines
//! (`--json`, documented in docs/JSON.md).

use std::fmt::Write as _;

use crlkit_der::stream::{StreamOptions, StreamVisitor, parse_stream};
use crlkit_der::{
    AlgorithmIdentifierRef, CrlExtensions, DistributionPointName, EntryStats, IssuingDistributionPoint, SerialRef,
    TbsHeader,
};
use crlkit_elb::partition::{Partition, PartitionSet, find_sets};

use crate::cli::args::{CrlInputs, CrlSources, JsonArg, LenientArg, ManyPaths};
use crate::support::failure::Failure;
use crate::support::input::{self, Format, Source};
use crate::support::json;
use crate::support::many;
use crate::support::outcome::Outcome;
use crate::support::progress::Progress;

mod report;
use report::*;

const ABOUT: &str = "Show what a CRL says: issuer, version, dates, CRL number, AKI, IDP, delta, entries, size.";

const EXAMPLES: &str = "\
Every entry is validated; the command fails (exit 2) on any malformed byte. A PEM file may hold
several CRLs; each is shown. From stdin the CRL streams through in constant memory.

Many inputs (files and directories, walked for .crl, .der and .pem) are inspected in parallel
and shown in sorted order; a broken file is reported with its path and error and the others go
on (exit 2 at the end; --fail-fast stops at the first). The partitions of one CA (same issuer
and AKI, an issuing distribution point each, as AWS Private CA writes partitioned CRLs) are
then shown as one table: file, IDP, CRL number, entries, thisUpdate, nextUpdate.

Examples:
  crlkit inspect ca.crl
  crlkit inspect ca.pem --json | jq '.crls[0].entries'
  aws s3 cp s3://bucket/crl/ID.crl - | crlkit inspect -
  crlkit inspect partitions/                       every CRL, then the set table
  crlkit inspect partitions/ --json | jq '.sets[0].partitions'";

/// `crlkit inspect` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    input: CrlInputs,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    lenient: LenientArg,
}

/// What `inspect` was asked to do.
pub struct Inspect {
    pub sources: CrlSources,
    pub json: bool,
    pub lenient: bool,
}

impl Args {
    pub fn config(self) -> Result<Inspect, Failure> {
        Ok(Inspect { sources: self.input.resolve()?, json: self.json.json, lenient: self.lenient.lenient })
    }
}

/// A CRL number in both forms.
struct Inspected {
    name: String,
    format: Format,
    size: u64,
    reports: Vec<Report>,
    partitions: Vec<Partition>,
}

pub fn run(c: &Inspect) -> Result<Outcome, Failure> {
    let source = match &c.sources {
        CrlSources::One(s) => s,
        CrlSources::Many(m) => return run_many(c, m),
    };
    let progress = Progress::wanted(u64::MAX, c.json, false);
    let i = match source {
        Source::Stdin if !c.lenient => inspect_stream(c)?,
        Source::File(path) if !c.lenient => match inspect_pem_pieces(path, progress)? {
            Some(i) => i,
            None => inspect_loaded(source, c.lenient, progress)?,
        },
        _ => inspect_loaded(source, c.lenient, progress)?,
    };
    let mut out = String::new();
    file_report(&i, c.json, &mut out);
    crate::support::output::print_stdout(&out)?;
    Ok(Outcome::Positive)
}

/// Inspect a file (or stdin read whole, with --lenient): every CRL validated.
fn inspect_loaded(source: &Source, lenient: bool, progress: bool) -> Result<Inspected, Failure> {
    let loaded = input::load(source, lenient, "inspect --lenient")?;
    input::notes(&loaded);
    let crls = loaded.parse(input::profile(lenient))?;
    let total: u64 = crls.iter().map(|c| c.der().len() as u64).sum();
    let progress = Progress::start("validating", total, progress && total >= crate::support::progress::THRESHOLD);
    let mut reports = Vec::new();
    let mut partitions = Vec::new();
    for (crl, bytes) in crls.iter().zip(&loaded.crls) {
        let stats = crl.validate().map_err(|e| loaded.failure(bytes, &e))?;
        progress.add(crl.der().len() as u64);
        let mut r =
            Report::new(crl.header(), crl.extensions(), &crl.signature_algorithm(), stats, crl.der().len() as u64);
        r.rewrites = bytes.rewrites;
        reports.push(r);
        partitions.push(Partition::new(loaded.name.clone(), crl, stats.count, false));
    }
    progress.finish();
    loaded.check_unchanged()?;
    Ok(Inspected { name: loaded.name.clone(), format: loaded.format, size: loaded.size, reports, partitions })
}

/// Inspect a large PEM file in OpenSSL's layout ([`input::PemPieces`]) without holding its
/// DER: the streaming parser reads it through one window it reuses, each refill decoded in
/// parallel pieces, and validates the entries buffered in parallel chunks. Taking fresh memory
/// for the whole DER costs more than decoding it on machines that hand freed memory back to
/// their host.
/// `None` for any other file, and for any error (bad text or a bad CRL): the caller then
/// inspects it the general way, which reports the error exactly as for any file.
fn inspect_pem_pieces(path: &std::path::Path, progress: bool) -> Result<Option<Inspected>, Failure> {
    let Some(pieces) = input::PemPieces::open(path)? else { return Ok(None) };
    let size = pieces.size();
    let progress = Progress::start("validating", size, progress && size >= crate::support::progress::THRESHOLD);
    let Some(reader) = pieces.reader(&progress)? else { return Ok(None) };
    let opts = StreamOptions { read_chunk: PEM_PIECES_WINDOW, ..input::in_memory_options(crlkit_der::Profile::Strict) };
    let mut v = ReportVisitor::default();
    // On a thread of the pool, so that each refill's parallel decode and validation run on
    // that thread and one stolen from it, not injected into the pool and waited for.
    let Ok(summary) = rayon::scope(|_| parse_stream(reader, &opts, &mut v)) else { return Ok(None) };
    let Some(mut report) = v.report else { return Ok(None) };
    progress.finish();
    pieces.check_unchanged()?;
    report.stats = summary.stats;
    report.der_size = summary.bytes;
    let name = path.display().to_string();
    Ok(Some(Inspected { name, format: Format::Pem, size, reports: vec![report], partitions: Vec::new() }))
}

/// The streaming parser's window for [`inspect_pem_pieces`]: large enough that each refill
/// decodes and validates in parallel tasks, small enough to stay in cache-friendly reuse.
const PEM_PIECES_WINDOW: usize = 4 << 20;

/// One input in `inspect --json`.
#[derive(serde::Serialize)]
struct FileRecord<'a> {
    file: &'a str,
    format: &'a str,
    size: u64,
    crls: Vec<report::ReportRecord<'a>>,
}

/// One input's report, as text or one JSON object.
fn file_report(i: &Inspected, json: bool, out: &mut String) {
    let (name, format, size, reports) = (&i.name, i.format, i.size, &i.reports);
    if json {
        let crls = reports.iter().map(Report::record).collect();
        json::push(out, &FileRecord { file: name, format: format.name(), size, crls });
    } else {
        let _ = writeln!(
            out,
            "{name}: {}, {size} bytes, {} CRL{}",
            format.name(),
            reports.len(),
            if reports.len() == 1 { "" } else { "s" }
        );
        for (i, r) in reports.iter().enumerate() {
            if reports.len() > 1 {
                let _ = writeln!(out, "CRL {} of {}", i + 1, reports.len());
            }
            r.text(out);
        }
    }
}

/// Many inputs: each file's report in sorted order, then one table per partitioned set.
fn run_many(c: &Inspect, m: &ManyPaths) -> Result<Outcome, Failure> {
    let inputs = many::Inputs::find(&m.paths, m.follow_symlinks)?;
    let mut summary = many::Summary::new(&inputs.walk);
    let mut partitions: Vec<Partition> = Vec::new();
    let failures = many::report_each(
        &inputs,
        m.fail_fast,
        "inspecting",
        c.json,
        &mut summary,
        |f| inspect_loaded(&Source::File(f.path.clone()), c.lenient, false),
        |_, ins, summary, out| {
            summary.entries += ins.reports.iter().map(|r| r.stats.count).sum::<u64>();
            summary.bytes += ins.size;
            file_report(&ins, c.json, out);
            partitions.extend(ins.partitions);
        },
    )?;
    let sets = find_sets(&partitions);
    let mut out = String::new();
    if c.json {
        let sets: Vec<_> = sets.iter().map(|s| set_record(s, &partitions)).collect();
        out.push_str(&many::json_tail(json::Tail::new().member("sets", &sets), &inputs.walk, &summary));
    } else {
        for s in &sets {
            set_table(s, &partitions, &mut out);
        }
    }
    crate::support::output::print_stdout(&out)?;
    many::finish(&summary, &failures, "inspected", "inspected", inputs.files().len())?;
    Ok(Outcome::Positive)
}

/// A set as a table: file, IDP, CRL number, entries, thisUpdate, nextUpdate.
fn inspect_stream(c: &Inspect) -> Result<Inspected, Failure> {
    let (format, reader) = input::stdin_stream()?;
    let (reader, read) = input::Counted::new(reader);
    let opts = StreamOptions { profile: input::profile(c.lenient), ..StreamOptions::default() };
    let mut reports = Vec::new();
    let streamed = input::stream_crls("<stdin>", format, reader, crlkit_der::stream::MAX_PEM_LINE, |_, r| {
        let mut v = ReportVisitor::default();
        let summary = parse_stream(r, &opts, &mut v)?;
        if let Some(mut report) = v.report {
            report.stats = summary.stats;
            report.der_size = summary.bytes;
            reports.push(report);
        }
        Ok(())
    })?;
    let size = read.get();
    if streamed.skipped_blocks > 0 {
        crate::support::term::note(format_args!(
            "<stdin>: skipped {} PEM block(s) that are not CRLs (certificates?)",
            streamed.skipped_blocks
        ));
    }
    Ok(Inspected { name: "<stdin>".into(), format, size, reports, partitions: Vec::new() })
}

/// Builds the report: the header's owned parts first, completed at the trailer.
#[derive(Default)]
struct ReportVisitor {
    partial: Option<Report>,
    report: Option<Report>,
}

impl StreamVisitor for ReportVisitor {
    fn wants_entries(&self) -> bool {
        false
    }
    fn header(&mut self, header: &TbsHeader<'_>) -> std::io::Result<()> {
        self.partial = Some(Report::new(header, None, &header.signature, EntryStats::default(), 0));
        Ok(())
    }
    fn trailer(
        &mut self,
        extensions: Option<&CrlExtensions<'_>>,
        _alg: &AlgorithmIdentifierRef<'_>,
        _signature: &[u8],
    ) -> std::io::Result<()> {
        if let Some(mut r) = self.partial.take() {
            if let Some(e) = extensions {
                r.set_extensions(e);
            }
            self.report = Some(r);
        }
        Ok(())
    }
}
