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
use crate::support::json::{self, Object};
use crate::support::many;
use crate::support::outcome::Outcome;
use crate::support::progress::Progress;

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
pub struct Number {
    pub decimal: String,
    pub hex: String,
}

impl Number {
    fn new(n: SerialRef<'_>) -> Self {
        Self { decimal: crlkit_serial::format(n, crlkit_serial::SerialFormat::Dec), hex: n.to_hex() }
    }
}

pub struct IdpInfo {
    pub critical: bool,
    pub names: Vec<String>,
    pub only_user: bool,
    pub only_ca: bool,
    pub only_attribute: bool,
    pub indirect: bool,
    pub only_some_reasons: Option<Vec<&'static str>>,
}

pub struct ExtInfo {
    pub name: String,
    pub oid: String,
    pub critical: bool,
}

/// Everything `inspect` reports about one CRL, owned.
pub struct Report {
    pub version: String,
    pub issuer: String,
    pub signature_algorithm: String,
    pub signature_oid: String,
    pub this_update: String,
    pub next_update: Option<String>,
    pub crl_number: Option<Number>,
    pub authority_key_id: Option<String>,
    pub delta_base: Option<Number>,
    pub idp: Option<IdpInfo>,
    pub freshest_crl: bool,
    pub extensions: Vec<ExtInfo>,
    pub stats: EntryStats,
    pub der_size: u64,
    pub rewrites: u64,
}

const REASON_FLAGS: [&str; 9] = [
    "unused",
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
    "privilegeWithdrawn",
    "aACompromise",
];

fn idp_info(idp: &IssuingDistributionPoint<'_>, critical: bool) -> IdpInfo {
    let names = match idp.distribution_point {
        Some(DistributionPointName::FullName(names)) => names.iter().map(|n| n.to_string()).collect(),
        Some(DistributionPointName::NameRelativeToCrlIssuer(_)) => vec!["nameRelativeToCRLIssuer".into()],
        None => Vec::new(),
    };
    let only_some_reasons = idp.only_some_reasons.map(|bits| {
        let mut v = Vec::new();
        for (i, name) in REASON_FLAGS.iter().enumerate() {
            let byte = 1 + i / 8;
            if bits.get(byte).is_some_and(|b| b & (0x80 >> (i % 8)) != 0) {
                v.push(*name);
            }
        }
        v
    });
    IdpInfo {
        critical,
        names,
        only_user: idp.only_contains_user_certs,
        only_ca: idp.only_contains_ca_certs,
        only_attribute: idp.only_contains_attribute_certs,
        indirect: idp.indirect_crl,
        only_some_reasons,
    }
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

impl Report {
    pub fn new(
        header: &TbsHeader<'_>,
        exts: Option<&CrlExtensions<'_>>,
        alg: &AlgorithmIdentifierRef<'_>,
        stats: EntryStats,
        der_size: u64,
    ) -> Self {
        let mut r = Self {
            version: header.version.to_string(),
            issuer: header.issuer.rfc4514(),
            signature_algorithm: alg.name(),
            signature_oid: alg.oid().to_string(),
            this_update: header.this_update.to_string(),
            next_update: header.next_update.map(|t| t.to_string()),
            crl_number: None,
            authority_key_id: None,
            delta_base: None,
            idp: None,
            freshest_crl: false,
            extensions: Vec::new(),
            stats,
            der_size,
            rewrites: 0,
        };
        if let Some(e) = exts {
            r.set_extensions(e);
        }
        r
    }

    fn set_extensions(&mut self, e: &CrlExtensions<'_>) {
        self.crl_number = e.crl_number.map(Number::new);
        self.authority_key_id = e.authority_key_identifier.and_then(|a| a.key_identifier).map(colon_hex);
        self.delta_base = e.delta_crl_indicator.map(Number::new);
        self.idp = e.issuing_distribution_point.map(|i| idp_info(&i, e.issuing_distribution_point_critical));
        self.freshest_crl = e.freshest_crl.is_some();
        self.extensions =
            e.iter().map(|x| ExtInfo { name: x.name(), oid: x.oid().to_string(), critical: x.critical() }).collect();
    }

    fn text(&self, out: &mut String) {
        let mut row = |k: &str, v: &str| {
            let _ = writeln!(out, "  {k:<22}{v}");
        };
        row("issuer", &self.issuer);
        row("version", &self.version);
        row("signature algorithm", &format!("{} ({})", self.signature_algorithm, self.signature_oid));
        row("this update", &self.this_update);
        row("next update", self.next_update.as_deref().unwrap_or("absent"));
        row(
            "crl number",
            &self.crl_number.as_ref().map_or("absent".into(), |n| format!("{} (0x{})", n.decimal, n.hex)),
        );
        row("authority key id", self.authority_key_id.as_deref().unwrap_or("absent"));
        row(
            "delta crl",
            &self.delta_base.as_ref().map_or("no".into(), |n| format!("yes, base CRL number {}", n.decimal)),
        );
        let idp = match &self.idp {
            None => "absent".to_owned(),
            Some(i) => {
                let mut parts = i.names.clone();
                for (set, name) in [
                    (i.only_user, "onlyContainsUserCerts"),
                    (i.only_ca, "onlyContainsCACerts"),
                    (i.only_attribute, "onlyContainsAttributeCerts"),
                    (i.indirect, "indirectCRL"),
                ] {
                    if set {
                        parts.push(name.into());
                    }
                }
                if let Some(r) = &i.only_some_reasons {
                    parts.push(format!("onlySomeReasons({})", r.join(",")));
                }
                format!("{}{}", if i.critical { "critical: " } else { "" }, parts.join(", "))
            }
        };
        row("issuing dist. point", &idp);
        row("freshest crl", if self.freshest_crl { "present (delta CRLs exist)" } else { "absent" });
        let exts: Vec<String> = self
            .extensions
            .iter()
            .map(|e| if e.critical { format!("{} (critical)", e.name) } else { e.name.clone() })
            .collect();
        row("extensions", &if exts.is_empty() { "none".into() } else { exts.join(", ") });
        row("revoked entries", &self.stats.count.to_string());
        if self.stats.negative_serials > 0 {
            row("negative serials", &self.stats.negative_serials.to_string());
        }
        if self.stats.unknown_critical > 0 {
            row(
                "unknown critical",
                &format!("{} entries with an unknown critical extension", self.stats.unknown_critical),
            );
        }
        row(
            "size",
            &format!("{} bytes DER, {} bytes as PEM", self.der_size, crlkit_der::pem::pem_len(self.der_size as usize)),
        );
        if self.rewrites > 0 {
            row("re-encoded", &format!("{} BER length fields rewritten (--lenient)", self.rewrites));
        }
    }

    fn json(&self, out: &mut String) {
        let mut o = Object::new(out);
        o.str("version", &self.version);
        o.str("issuer", &self.issuer);
        o.str("signature_algorithm", &self.signature_algorithm);
        o.str("signature_algorithm_oid", &self.signature_oid);
        o.str("this_update", &self.this_update);
        o.opt_str("next_update", self.next_update.as_deref());
        let number = |n: &Option<Number>| match n {
            None => "null".to_owned(),
            Some(n) => {
                let mut s = String::new();
                let mut o = Object::new(&mut s);
                o.str("decimal", &n.decimal);
                o.str("hex", &n.hex);
                o.end();
                s
            }
        };
        o.raw("crl_number", &number(&self.crl_number));
        o.opt_str("authority_key_id", self.authority_key_id.as_deref());
        o.bool("delta", self.delta_base.is_some());
        o.raw("delta_base_crl_number", &number(&self.delta_base));
        let idp = match &self.idp {
            None => "null".to_owned(),
            Some(i) => {
                let mut s = String::new();
                let mut io = Object::new(&mut s);
                io.bool("critical", i.critical);
                let names: Vec<String> = i.names.iter().map(|n| quoted(n)).collect();
                io.raw("distribution_point", &format!("[{}]", names.join(",")));
                io.bool("only_contains_user_certs", i.only_user);
                io.bool("only_contains_ca_certs", i.only_ca);
                io.bool("only_contains_attribute_certs", i.only_attribute);
                io.bool("indirect_crl", i.indirect);
                match &i.only_some_reasons {
                    None => io.raw("only_some_reasons", "null"),
                    Some(r) => io.raw(
                        "only_some_reasons",
                        &format!("[{}]", r.iter().map(|n| quoted(n)).collect::<Vec<_>>().join(",")),
                    ),
                }
                io.end();
                s
            }
        };
        o.raw("issuing_distribution_point", &idp);
        o.bool("freshest_crl", self.freshest_crl);
        let exts: Vec<String> = self
            .extensions
            .iter()
            .map(|e| {
                let mut s = String::new();
                let mut eo = Object::new(&mut s);
                eo.str("name", &e.name);
                eo.str("oid", &e.oid);
                eo.bool("critical", e.critical);
                eo.end();
                s
            })
            .collect();
        o.raw("extensions", &format!("[{}]", exts.join(",")));
        o.num("entries", self.stats.count);
        o.num("negative_serials", self.stats.negative_serials);
        o.num("serials_over_20_octets", self.stats.long_serials);
        o.num("entries_with_unknown_critical_extension", self.stats.unknown_critical);
        o.num("entries_with_reason", self.stats.with_reason);
        o.num("der_size", self.der_size);
        o.num("pem_size", crlkit_der::pem::pem_len(self.der_size as usize) as u64);
        o.num("ber_rewrites", self.rewrites);
        o.end();
    }
}

fn quoted(s: &str) -> String {
    let mut q = String::new();
    json::string(&mut q, s);
    q
}

/// What inspecting one input found.
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

/// One input's report, as text or one JSON object.
fn file_report(i: &Inspected, json: bool, out: &mut String) {
    let (name, format, size, reports) = (&i.name, i.format, i.size, &i.reports);
    if json {
        let mut o = Object::new(out);
        o.str("file", name);
        o.str("format", format.name());
        o.num("size", size);
        let crls: Vec<String> = reports
            .iter()
            .map(|r| {
                let mut s = String::new();
                r.json(&mut s);
                s
            })
            .collect();
        o.raw("crls", &format!("[{}]", crls.join(",")));
        o.end();
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
        let sets: Vec<String> = sets.iter().map(|s| set_json(s, &partitions)).collect();
        let _ = writeln!(
            out,
            "],\"sets\":[{}],\"skipped\":{},\"summary\":{}}}",
            sets.join(","),
            many::skipped_json(&inputs.walk),
            summary.json()
        );
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
pub fn set_table(set: &PartitionSet, parts: &[Partition], out: &mut String) {
    let _ = writeln!(
        out,
        "\npartitioned set: {}, AKI {}: {} CRL(s), {} entries",
        set.issuer,
        set.authority_key_id.as_deref().unwrap_or("absent"),
        set.members.len(),
        set.entries(parts)
    );
    let header = ["FILE", "IDP", "CRL NUMBER", "ENTRIES", "THIS UPDATE", "NEXT UPDATE"];
    let rows: Vec<[String; 6]> = set
        .members
        .iter()
        .map(|&i| {
            let p = &parts[i];
            [
                p.file.clone(),
                p.idp.clone().map_or("(none)".into(), |s| if s.is_empty() { "(no name)".into() } else { s }),
                p.crl_number.clone().unwrap_or_else(|| "absent".into()),
                p.entries.to_string(),
                p.this_update_text.clone(),
                p.next_update_text.clone().unwrap_or_else(|| "absent".into()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: [&str; 6]| {
        let mut l = String::new();
        for (k, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if k == 3 {
                let _ = write!(l, "  {cell:>w$}");
            } else {
                let _ = write!(l, "  {cell:<w$}");
            }
        }
        let _ = writeln!(out, "{}", l.trim_end());
    };
    line(out, header);
    for r in &rows {
        line(out, [&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]);
    }
}

/// A set as JSON: issuer, AKI, the partitions, the total.
pub fn set_json(set: &PartitionSet, parts: &[Partition]) -> String {
    let mut s = String::new();
    let mut o = Object::new(&mut s);
    o.str("issuer", &set.issuer);
    o.opt_str("authority_key_id", set.authority_key_id.as_deref());
    o.num("entries", set.entries(parts));
    let members: Vec<String> = set
        .members
        .iter()
        .map(|&i| {
            let p = &parts[i];
            let mut m = String::new();
            let mut mo = Object::new(&mut m);
            mo.str("file", &p.file);
            mo.opt_str("idp", p.idp.as_deref());
            mo.opt_str("crl_number", p.crl_number.as_deref());
            mo.num("entries", p.entries);
            mo.str("this_update", &p.this_update_text);
            mo.opt_str("next_update", p.next_update_text.as_deref());
            mo.end();
            m
        })
        .collect();
    o.raw("partitions", &format!("[{}]", members.join(",")));
    o.end();
    s
}

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
