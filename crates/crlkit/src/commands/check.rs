//! `crlkit check`: are these serials revoked by this CRL? With revocation time and reason.
//!
//! The serials asked about (from `--serial`, `--cert`, `--serials-file`) go into one hash set;
//! the CRL's entries are then parsed once, in parallel chunks, each probing the set with its
//! borrowed serial bytes. Parsing every entry is also validating it, so a malformed CRL is an
//! error, never a silent "not revoked". Results come out in the order the serials were given.
//!
//! Exit 0 none revoked, 1 some revoked, 2 error (an unreadable CRL, or any serial or
//! certificate that could not be read: the others are still checked and printed).

use std::io::{BufRead, Write};
use std::path::PathBuf;

use crlkit_der::{CrlRef, NameRef, Reason, Time};
use crlkit_serial::certs::{self, CertInfo};
use crlkit_serial::{BareDigits, Serial, SerialFormat, SerialIndex};
use rayon::prelude::*;

use crate::cli::args::{JsonArg, LenientArg};
use crate::support::certs::{cert_error_code, hex};
use crate::support::failure::Failure;
use crate::support::input::{self, Source};
use crate::support::json;
use crate::support::outcome::Outcome;
use crate::support::output::{Dest, Sink, write_failure};

const ABOUT: &str = "Are these serials or certificates revoked by the CRL? With revocation time and reason.";

const EXAMPLES: &str = "\
Serials may be given in any form: hex (any case, odd length, leading zeros dropped as ALB does,
0x prefix), colon hex, OpenSSL's `-serial` and `-text` forms. Digits-only serials are read as
hex unless --decimal is given. A serials file has one serial per line; blank lines and lines
starting with # are skipped. A certificate whose issuer or AKI is not the CRL's is warned about:
that CRL cannot revoke it. Stdin (for the CRL, read whole up to 1 GiB, or for one serials file,
streamed) can feed one of them. Exit codes: 0 none revoked, 1 some revoked, 2 error (the
readable serials are still checked and printed).

Examples:
  crlkit check --crl pca.crl --cert client.pem
  crlkit check --crl pca.crl --serial FEF257372D5C14D4 --serial 0e:53:2a
  crlkit check --crl pca.crl --serials-file suspects.txt --only-revoked
  crlkit check --crl pca.crl --cert certs/ --json";

/// `crlkit check` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
#[command(group(clap::ArgGroup::new("queries").required(true).multiple(true).args(["serial", "cert", "serials_file"])))]
pub struct Args {
    /// The CRL (DER or PEM), or `-` for stdin.
    #[arg(long, value_name = "CRL")]
    crl: String,
    /// A serial number, in any form (repeatable). Negative ones too: `--serial -0124`.
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    serial: Vec<String>,
    /// A certificate file (PEM, DER, bundle) or directory (repeatable).
    #[arg(long, value_name = "C")]
    cert: Vec<PathBuf>,
    /// A file with one serial per line, any form; `-` for stdin (repeatable).
    #[arg(long, value_name = "F")]
    serials_file: Vec<String>,
    /// Read digits-only serials as decimal instead of hex.
    #[arg(long)]
    decimal: bool,
    /// Print only the revoked ones (the summary still counts all).
    #[arg(long)]
    only_revoked: bool,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    lenient: LenientArg,
}

impl Args {
    pub fn config(self) -> Result<Check, Failure> {
        let stdin_uses = usize::from(self.crl == "-") + self.serials_file.iter().filter(|f| *f == "-").count();
        if stdin_uses > 1 {
            return Err(Failure::usage("stdin (`-`) can feed only one of --crl and --serials-file"));
        }
        Ok(Check {
            crl: Source::parse(&self.crl),
            serials: self.serial,
            certs: self.cert,
            serial_files: self.serials_file.iter().map(|f| Source::parse(f)).collect(),
            bare: if self.decimal { BareDigits::Dec } else { BareDigits::Hex },
            only_revoked: self.only_revoked,
            json: self.json.json,
            lenient: self.lenient.lenient,
        })
    }
}

/// What `check` was asked to do.
pub struct Check {
    pub crl: Source,
    pub serials: Vec<String>,
    pub certs: Vec<PathBuf>,
    pub serial_files: Vec<Source>,
    pub bare: BareDigits,
    pub only_revoked: bool,
    pub json: bool,
    pub lenient: bool,
}

/// Where a serial being checked came from.
enum Origin {
    Arg,
    /// Index into `Queries::files`, 1-based line.
    Line(u32, u32),
    /// Index into `Queries::cert_infos`.
    Cert(u32),
}

struct Query {
    /// Index into `Queries::distinct`.
    slot: u32,
    origin: Origin,
}

/// Everything asked about, deduplicated by value.
struct Queries {
    queries: Vec<Query>,
    /// The distinct serials; a query's slot is its serial's entry number.
    distinct: SerialIndex<Serial, ()>,
    files: Vec<String>,
    cert_infos: Vec<CertInfo>,
    /// Input problems (bad serial lines, unreadable certificates), reported at the end.
    problems: Vec<(&'static str, String)>,
    problem_count: u64,
    /// Serials of digits only that were read as hex and would mean another value in decimal.
    digits_only: u64,
}

/// Input problems listed one by one; beyond this many only the count is given.
const MAX_LISTED_PROBLEMS: usize = 20;

impl Queries {
    fn new() -> Self {
        Self {
            queries: Vec::new(),
            distinct: SerialIndex::with_capacity(0),
            files: Vec::new(),
            cert_infos: Vec::new(),
            problems: Vec::new(),
            problem_count: 0,
            digits_only: 0,
        }
    }

    fn add(&mut self, serial: Serial, origin: Origin) {
        let (slot, _) = self.distinct.insert(serial, ());
        self.queries.push(Query { slot: slot as u32, origin });
    }

    fn problem(&mut self, code: &'static str, message: String) {
        self.problem_count += 1;
        if self.problems.len() < MAX_LISTED_PROBLEMS {
            self.problems.push((code, message));
        }
    }

    fn add_text(&mut self, text: &str, bare: BareDigits, origin: Origin, name: impl FnOnce() -> String) {
        self.add_parsed(parse_serial(text, bare), origin, name);
    }

    fn add_parsed(&mut self, parsed: Parsed, origin: Origin, name: impl FnOnce() -> String) {
        match parsed {
            Ok((s, ambiguous)) => {
                self.digits_only += u64::from(ambiguous);
                self.add(s, origin);
            }
            Err(e) => self.problem("bad-serial", format!("{}: {e}", name())),
        }
    }
}

/// A parsed serial, and whether it was digits only read as hex with another decimal value.
type Parsed = Result<(Serial, bool), String>;

fn parse_serial(text: &str, bare: BareDigits) -> Parsed {
    let s = Serial::parse(text, bare).map_err(|e| e.to_string())?;
    let ambiguous = bare == BareDigits::Hex
        && is_digits_only(text)
        && Serial::parse(text, BareDigits::Dec).ok().as_ref() != Some(&s);
    Ok((s, ambiguous))
}

/// One line of a serials file: `None` for blank lines and `#` comments.
fn parse_line(line: &[u8], bare: BareDigits) -> Option<Parsed> {
    let Ok(text) = std::str::from_utf8(line) else { return Some(Err("not UTF-8 text".to_owned())) };
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return None;
    }
    Some(parse_serial(text, bare))
}

/// Parse a whole serials file in parallel pieces (a million lines is most of `check`'s
/// sequential work otherwise); results in file order with 1-based line numbers.
fn parse_file(bytes: &[u8], bare: BareDigits) -> Vec<(u32, Parsed)> {
    let pieces = input::line_pieces(bytes, 1 << 20);
    let parsed: Vec<(u32, Vec<(u32, Parsed)>)> = pieces
        .par_iter()
        .map(|piece| {
            let piece = &bytes[piece.clone()];
            let mut out = Vec::with_capacity(piece.len() / 33 + 1);
            let mut lines = 0u32;
            for line in piece.split_inclusive(|&b| b == b'\n') {
                lines += 1;
                let line = line.strip_suffix(b"\n").unwrap_or(line);
                if let Some(p) = parse_line(line, bare) {
                    out.push((lines, p));
                }
            }
            (lines, out)
        })
        .collect();
    let mut all = Vec::with_capacity(parsed.iter().map(|(_, v)| v.len()).sum());
    let mut before = 0u32;
    for (lines, items) in parsed {
        all.extend(items.into_iter().map(|(n, p)| (before + n, p)));
        before += lines;
    }
    all
}

fn is_digits_only(text: &str) -> bool {
    let t = text.trim();
    let t = t.strip_prefix('-').unwrap_or(t);
    !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit())
}

/// Read every query. Serial files are read line by line (blank lines and `#` comments
/// skipped); a bad line is a problem, not the end.
fn read_queries(c: &Check) -> Result<Queries, Failure> {
    let mut q = Queries::new();
    for s in &c.serials {
        q.add_text(s, c.bare, Origin::Arg, || format!("--serial {s:?}"));
    }
    for path in certs::expand_paths(&c.certs, &certs::DIRECTORY_EXTENSIONS)
        .map_err(|(p, e)| Failure::io(format!("reading {}", p.display()), &e))?
    {
        let got = certs::read_file(&path);
        for item in got.items {
            match item {
                Ok(info) => {
                    let index = q.cert_infos.len() as u32;
                    q.add(info.serial.clone(), Origin::Cert(index));
                    q.cert_infos.push(info);
                }
                Err(e) => q.problem(cert_error_code(&e), e.to_string()),
            }
        }
    }
    for source in &c.serial_files {
        let file_index = q.files.len() as u32;
        let name = source.name();
        q.files.push(name.clone());
        match source {
            Source::Stdin => read_serial_lines(std::io::stdin().lock(), &name, file_index, c.bare, &mut q)?,
            Source::File(p) => {
                let bytes = input::read_file(p)?;
                let parsed = parse_file(&bytes, c.bare);
                bytes.check_unchanged(&name)?;
                q.distinct.reserve(parsed.len());
                q.queries.reserve(parsed.len());
                for (number, p) in parsed {
                    q.add_parsed(p, Origin::Line(file_index, number), || format!("{name}:{number}"));
                }
            }
        }
    }
    Ok(q)
}

fn read_serial_lines(
    mut reader: impl BufRead,
    name: &str,
    file_index: u32,
    bare: BareDigits,
    q: &mut Queries,
) -> Result<(), Failure> {
    let mut line = Vec::with_capacity(256);
    let mut number = 0u32;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(|e| Failure::io(format!("reading {name}"), &e))?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if let Some(p) = parse_line(text, bare) {
            q.add_parsed(p, Origin::Line(file_index, number), || format!("{name}:{number}"));
        }
    }
}

/// A matching CRL entry.
#[derive(Clone, Copy)]
struct Hit {
    index: u64,
    revoked: Time,
    reason: Option<Reason>,
}

/// Probe every entry of `crl` against `distinct`; the first entry per serial wins.
/// Also returns the number of entries.
fn find_hits(
    crl: &CrlRef<'_>,
    distinct: &SerialIndex<Serial, ()>,
) -> Result<(Vec<Option<Hit>>, u64), crlkit_der::Error> {
    let (hits, count) = input::par_entries(crl, |e| {
        distinct
            .get(e.serial().der_content())
            .map(|(slot, ())| (slot, Hit { index: e.index(), revoked: e.revocation_date(), reason: e.reason() }))
    })?;
    let mut found: Vec<Option<Hit>> = vec![None; distinct.len()];
    // In input order: the first entry of a serial listed twice wins.
    for (slot, hit) in hits {
        found[slot].get_or_insert(hit);
    }
    Ok((found, count))
}

/// Whether a certificate's issuer (name and AKI) fits the CRL's; `None` when it fits, else why not.
fn issuer_mismatch(info: &CertInfo, crl: &CrlRef<'_>) -> Option<String> {
    let crl_issuer = crl.issuer();
    let name_ok = NameRef::from_der(&info.issuer_der).is_ok_and(|n| crlkit_verify::names_match(&n, &crl_issuer));
    if !name_ok {
        return Some(format!("issued by {}, but the CRL is issued by {}", info.issuer, crl_issuer.rfc4514()));
    }
    let crl_aki = crl.extensions().and_then(|x| x.authority_key_identifier).and_then(|a| a.key_identifier);
    match (info.authority_key_id.as_deref(), crl_aki) {
        (Some(cert), Some(crl)) if cert != crl => Some(format!(
            "authority key identifier {} differs from the CRL's {} (same name, another CA key)",
            hex(cert),
            hex(crl)
        )),
        _ => None,
    }
}

/// Positive when nothing is revoked and every input was read.
pub fn run(c: &Check) -> Result<Outcome, Failure> {
    let loaded = input::load(&c.crl, c.lenient, "check")?;
    input::notes(&loaded);
    if loaded.crls.len() != 1 {
        return Err(Failure::new(
            "several-crls",
            format!("{} holds {} CRLs; check takes one (split it first)", loaded.name, loaded.crls.len()),
        ));
    }
    let crls = loaded.parse(input::profile(c.lenient))?;
    let crl = &crls[0];
    // Reading the queries (a file of a million lines) overlaps with nothing CPU-heavy yet, so
    // it runs first; the CRL is already mapped.
    let q = read_queries(c)?;
    let (found, entry_count) = find_hits(crl, &q.distinct).map_err(|e| loaded.failure(&loaded.crls[0], &e))?;
    loaded.check_unchanged()?;

    let stats_indirect = crl.extensions().and_then(|x| x.issuing_distribution_point).is_some_and(|i| i.indirect_crl);
    let mut warnings = Vec::new();
    let mismatches: Vec<Option<String>> = q.cert_infos.iter().map(|info| issuer_mismatch(info, crl)).collect();
    for (info, why) in q.cert_infos.iter().zip(&mismatches) {
        if let Some(why) = why {
            warnings
                .push(format!("{}: {why}: this CRL cannot revoke it, so \"not revoked\" means nothing", info.location));
        }
    }
    if stats_indirect {
        warnings.push(
            "the CRL is indirect: entries may belong to other issuers (certificateIssuer); matches are by serial"
                .to_owned(),
        );
    }
    let negative = q.distinct.entries().iter().filter(|(s, ())| s.is_negative()).count();
    if negative > 0 {
        warnings.push(format!("{negative} serial(s) asked about are negative: ALB cannot revoke negative serials"));
    }
    if q.digits_only > 0 {
        warnings.push(format!(
            "{} serial(s) had only decimal digits and were read as hex (OpenSSL's and ALB's form); \
             pass --decimal if they are decimal",
            q.digits_only
        ));
    }

    let revoked_queries = q.queries.iter().filter(|x| found[x.slot as usize].is_some()).count();
    let write_origin = |o: &Origin, buf: &mut Vec<u8>| match *o {
        Origin::Arg => buf.extend_from_slice(b"--serial"),
        Origin::Line(f, n) => {
            buf.extend_from_slice(q.files[f as usize].as_bytes());
            buf.push(b':');
            push_decimal(buf, n);
        }
        Origin::Cert(i) => {
            let l = &q.cert_infos[i as usize].location;
            buf.extend_from_slice(format!("{}#{}", l.file, l.block).as_bytes());
        }
    };

    let revoked_word = crate::support::term::stdout_paint("REVOKED", crate::support::term::Style::Red);
    let dest = Dest::Stdout;
    let mut sink = Sink::open(&dest)?;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    let werr = |e: std::io::Error| write_failure(&dest, &e);
    if c.json {
        // The results stream between the header and the tail: a million-line answer is never
        // held whole.
        let head = json::Head::new().member("crl", &loaded.name).member("issuer", &crl.issuer().rfc4514());
        buf.extend_from_slice(head.array("results").as_bytes());
    }
    let mut first = true;
    let (mut hex, mut origin) = (Vec::new(), Vec::new());
    for query in &q.queries {
        let hit = found[query.slot as usize];
        if c.only_revoked && hit.is_none() {
            continue;
        }
        let serial = &q.distinct.entries()[query.slot as usize].0;
        if c.json {
            buf.extend_from_slice(if first { b"\n" } else { b",\n" });
            first = false;
            hex.clear();
            crlkit_serial::write_format(serial.as_serial_ref(), SerialFormat::Hex, &mut hex);
            origin.clear();
            write_origin(&query.origin, &mut origin);
            let cert = match query.origin {
                Origin::Cert(i) => Some(&q.cert_infos[i as usize]).zip(Some(mismatches[i as usize].is_none())),
                _ => None,
            };
            let record = ResultRecord {
                serial: std::str::from_utf8(&hex).unwrap_or_default(),
                source: &String::from_utf8_lossy(&origin),
                subject: cert.map(|(info, _)| info.subject.as_str()),
                issuer_matches: cert.map(|(_, matches)| matches),
                revoked: hit.is_some(),
                revocation: hit.map(|h| RevocationRecord {
                    revocation_time: String::from_utf8_lossy(&h.revoked.rfc3339_bytes()).into_owned(),
                    reason: h.reason.map(|r| r.name()),
                    entry_index: h.index,
                }),
            };
            json::write_record(&mut buf, &record);
        } else {
            crlkit_serial::write_format(serial.as_serial_ref(), SerialFormat::Hex, &mut buf);
            match hit {
                Some(h) => {
                    buf.extend_from_slice(b"  ");
                    buf.extend_from_slice(revoked_word.as_bytes());
                    buf.push(b' ');
                    buf.extend_from_slice(&h.revoked.rfc3339_bytes());
                    buf.push(b' ');
                    buf.extend_from_slice(h.reason.map_or("-", |r| r.name()).as_bytes());
                }
                None => buf.extend_from_slice(b"  not-revoked"),
            }
            buf.extend_from_slice(b"  ");
            write_origin(&query.origin, &mut buf);
            if let Origin::Cert(i) = query.origin {
                buf.extend_from_slice(b"  ");
                buf.extend_from_slice(q.cert_infos[i as usize].subject.as_bytes());
                if mismatches[i as usize].is_some() {
                    buf.extend_from_slice(b"  [not issued by this CRL's issuer]");
                }
            }
            buf.push(b'\n');
        }
        if buf.len() >= 1 << 16 {
            sink.write_all(&buf).map_err(werr)?;
            buf.clear();
        }
    }
    if c.json {
        buf.push(b'\n');
        let tail = json::Tail::new()
            .member("checked", &q.queries.len())
            .member("revoked", &revoked_queries)
            .member("input_problems", &q.problem_count)
            .member("warnings", &warnings);
        buf.extend_from_slice(tail.end().as_bytes());
    } else {
        buf.extend_from_slice(
            format!(
                "{} of {} serial(s) revoked by {} ({} entries)\n",
                revoked_queries,
                q.queries.len(),
                crl.issuer().rfc4514(),
                entry_count
            )
            .as_bytes(),
        );
    }
    sink.write_all(&buf).map_err(werr)?;
    sink.finish(false)?;
    for w in &warnings {
        crate::support::term::warning(w);
    }
    if q.problem_count > 0 {
        for (code, p) in &q.problems {
            crate::support::term::error(code, p);
        }
        let more = q.problem_count - q.problems.len() as u64;
        if more > 0 {
            crate::support::term::error("bad-input", format_args!("… and {more} more"));
        }
        return Err(Failure::new(
            "bad-input",
            format!("{} serial(s) or certificate(s) could not be read; the others were checked", q.problem_count),
        ));
    }
    Ok(Outcome::from_ok(revoked_queries == 0))
}

/// Append `n` in decimal without a temporary `String` (once per line of a million-line answer).
fn push_decimal(buf: &mut Vec<u8>, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// One serial's answer in `check --json` (docs/JSON.md).
#[derive(serde::Serialize)]
struct ResultRecord<'a> {
    serial: &'a str,
    /// Where the serial came from: `--serial`, a line of a serials file, or `FILE#N`.
    source: &'a str,
    /// For a serial read from a certificate: its subject, and whether this CRL's issuer issued it.
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer_matches: Option<bool>,
    revoked: bool,
    #[serde(flatten)]
    revocation: Option<RevocationRecord>,
}

/// The CRL's entry for a revoked serial.
#[derive(serde::Serialize)]
struct RevocationRecord {
    revocation_time: String,
    reason: Option<&'static str>,
    entry_index: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    fn config(args: &[&str]) -> Result<Check, Failure> {
        match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Check(a) => a.config(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags() {
        let c = config(&["check", "--crl", "c", "--serial", "-0124", "--serials-file", "-", "--decimal"]).unwrap();
        assert_eq!((c.serials, c.bare), (vec!["-0124".to_owned()], BareDigits::Dec));
        assert!(matches!(c.serial_files[..], [Source::Stdin]));
        assert!(config(&["check", "--crl", "c"]).is_err(), "something to check is required");
        assert_eq!(config(&["check", "--crl", "-", "--serials-file", "-"]).err().unwrap().code, "usage");
    }
}
