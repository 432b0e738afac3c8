//! `crlkit diff OLD NEW`: which serials a new CRL adds and removes, which entries changed
//! (same serial, different date, reason or extensions), and whether NEW can replace OLD (same
//! issuer, greater CRL number).
//!
//! Each CRL's entries are validated and collected as (serial, entry bytes) views into the
//! memory map, sorted by serial value in parallel, and merged. Exit 0 same entries, 1 they
//! differ, 2 error.

use std::cmp::Ordering;
use std::fmt::Write as _;

use crlkit_der::{CrlRef, RevokedCertRef, SerialRef};
use rayon::prelude::*;

use crate::cli::args::{JsonArg, LenientArg};
use crate::support::failure::Failure;
use crate::support::input::{self, Loaded, Source};
use crate::support::json;
use crate::support::outcome::Outcome;

const ABOUT: &str = "Serials added and removed between two CRLs, changed entries, CRL number and issuer.";

const EXAMPLES: &str = "\
Lines: `- SERIAL` removed, `+ SERIAL` added, `~ SERIAL` same serial with another date, reason or
extension; then a summary with the CRL numbers and issuers. NEW should have the same issuer and
a greater CRL number (warned about otherwise). One of OLD and NEW may be `-` (stdin, read whole
up to 1 GiB). Exit codes: 0 same entries, 1 they differ, 2 error.

Examples:
  crlkit diff yesterday.crl today.crl
  crlkit diff old.pem new.pem --json | jq '.added_count'";

/// `crlkit diff` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// The older CRL (DER or PEM), or `-` for stdin.
    old: String,
    /// The newer CRL (DER or PEM), or `-` for stdin.
    new: String,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    lenient: LenientArg,
}

impl Args {
    pub fn config(self) -> Result<Diff, Failure> {
        if self.old == "-" && self.new == "-" {
            return Err(Failure::usage("only one of OLD and NEW can be stdin (`-`)"));
        }
        Ok(Diff {
            old: Source::parse(&self.old),
            new: Source::parse(&self.new),
            json: self.json.json,
            lenient: self.lenient.lenient,
        })
    }
}

/// What `diff` was asked to do.
pub struct Diff {
    pub old: Source,
    pub new: Source,
    pub json: bool,
    pub lenient: bool,
}

/// One entry as the sort and merge need it, in 32 bytes: where it is in the CRL's DER, where its
/// serial is inside it, and the serial's first eight octets, which decide almost every
/// comparison without touching the CRL (millions of comparisons that chase pointers into a
/// memory map are what made this slow).
#[derive(Clone, Copy)]
struct Item {
    /// The serial's first 8 content octets, big-endian, zero-padded.
    prefix: u64,
    /// Absolute offset of the entry in the CRL's DER.
    offset: u64,
    der_len: u32,
    serial_len: u32,
    /// Entry number (for re-reading it; saturates past 2^32 entries, which only affects
    /// error paths of entries already validated).
    index: u32,
    /// Offset of the serial's content octets inside the entry.
    serial_start: u8,
}

impl Item {
    fn new(e: &RevokedCertRef<'_>) -> Self {
        let serial = e.serial().der_content();
        let der = e.der();
        let mut prefix = [0u8; 8];
        let n = serial.len().min(8);
        prefix[..n].copy_from_slice(&serial[..n]);
        Self {
            prefix: u64::from_be_bytes(prefix),
            offset: e.offset(),
            der_len: der.len() as u32,
            serial_len: serial.len() as u32,
            index: u32::try_from(e.index()).unwrap_or(u32::MAX),
            serial_start: (serial.as_ptr() as usize - der.as_ptr() as usize) as u8,
        }
    }

    fn der<'d>(&self, data: &'d [u8]) -> &'d [u8] {
        &data[self.offset as usize..self.offset as usize + self.der_len as usize]
    }

    fn serial<'d>(&self, data: &'d [u8]) -> &'d [u8] {
        let start = self.offset as usize + usize::from(self.serial_start);
        &data[start..start + self.serial_len as usize]
    }

    /// Numeric order as far as the prefix tells: negatives first (the longer, the smaller),
    /// then non-negatives by length (minimal encodings), then the leading octets (same-length
    /// two's complement compares like unsigned bytes).
    fn key(&self) -> (bool, i64, u64) {
        let negative = self.prefix >> 63 == 1;
        let len = i64::from(self.serial_len);
        (!negative, if negative { -len } else { len }, self.prefix)
    }
}

/// Compare two serials by value.
fn cmp_serials(a: &Item, da: &[u8], b: &Item, db: &[u8]) -> Ordering {
    a.key().cmp(&b.key()).then_with(|| a.serial(da).cmp(b.serial(db)))
}

/// Validate every entry and return them sorted by serial value (then bytes), with the number
/// of serials that appear more than once.
fn sorted_items(crl: &CrlRef<'_>) -> Result<(Vec<Item>, u64), crlkit_der::Error> {
    let data = crl.der();
    let (mut items, _) = input::par_entries(crl, |e| Some(Item::new(e)))?;
    items.par_sort_unstable_by(|a, b| cmp_serials(a, data, b, data).then_with(|| a.der(data).cmp(b.der(data))));
    let before = items.len();
    items.dedup_by(|b, a| a.key() == b.key() && a.serial(data) == b.serial(data));
    let duplicates = (before - items.len()) as u64;
    Ok((items, duplicates))
}

/// What changed.
struct Changes {
    added: Vec<Item>,
    removed: Vec<Item>,
    changed: Vec<(Item, Item)>,
    unchanged: u64,
}

fn merge(old: &[Item], old_data: &[u8], new: &[Item], new_data: &[u8]) -> Changes {
    let mut c = Changes { added: Vec::new(), removed: Vec::new(), changed: Vec::new(), unchanged: 0 };
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        match cmp_serials(&old[i], old_data, &new[j], new_data) {
            Ordering::Less => {
                c.removed.push(old[i]);
                i += 1;
            }
            Ordering::Greater => {
                c.added.push(new[j]);
                j += 1;
            }
            Ordering::Equal => {
                if old[i].der(old_data) == new[j].der(new_data) {
                    c.unchanged += 1;
                } else {
                    c.changed.push((old[i], new[j]));
                }
                i += 1;
                j += 1;
            }
        }
    }
    c.removed.extend_from_slice(&old[i..]);
    c.added.extend_from_slice(&new[j..]);
    c
}

/// Parse one entry again from its bytes, for printing its fields.
fn entry<'a>(crl: &CrlRef<'a>, item: &Item) -> Option<RevokedCertRef<'a>> {
    crl.entry_at(item.offset, u64::from(item.index)).ok()
}

fn one_crl(loaded: &Loaded) -> Result<(), Failure> {
    if loaded.crls.len() != 1 {
        return Err(Failure::new(
            "several-crls",
            format!("{} holds {} CRLs; diff compares one with one", loaded.name, loaded.crls.len()),
        ));
    }
    Ok(())
}

fn describe(e: Option<RevokedCertRef<'_>>) -> String {
    match e {
        Some(e) => format!("{} {}", e.revocation_date(), e.reason().map_or("-", |r| r.name())),
        None => "?".to_owned(),
    }
}

fn serial_hex(e: Option<RevokedCertRef<'_>>) -> String {
    e.map_or_else(|| "?".to_owned(), |e| e.serial().to_hex())
}

/// An entry in `--json`: its serial and, when it could be read back, its details.
#[derive(serde::Serialize)]
struct EntryRecord {
    serial: String,
    #[serde(flatten)]
    details: Option<EntryDetails>,
}

#[derive(serde::Serialize)]
struct EntryDetails {
    revocation_time: String,
    reason: Option<&'static str>,
    invalidity_date: Option<String>,
}

fn entry_record(e: Option<RevokedCertRef<'_>>) -> EntryRecord {
    EntryRecord {
        serial: serial_hex(e),
        details: e.map(|e| EntryDetails {
            revocation_time: e.revocation_date().to_string(),
            reason: e.reason().map(|r| r.name()),
            invalidity_date: e.invalidity_date().map(|t| t.to_string()),
        }),
    }
}

/// An entry whose details changed.
#[derive(serde::Serialize)]
struct ChangedRecord {
    old: EntryRecord,
    new: EntryRecord,
}

/// One side of the comparison.
#[derive(serde::Serialize)]
struct SideRecord<'a> {
    file: &'a str,
    issuer: String,
    crl_number: Option<String>,
    this_update: String,
    entries: usize,
}

fn side_record<'a>(loaded: &'a Loaded, crl: &CrlRef<'_>, entries: usize) -> SideRecord<'a> {
    SideRecord {
        file: &loaded.name,
        issuer: crl.issuer().rfc4514(),
        crl_number: crl.crl_number().map(|n| crlkit_serial::format(n, crlkit_serial::SerialFormat::Dec)),
        this_update: crl.this_update().to_string(),
        entries,
    }
}

/// `diff --json` (docs/JSON.md).
#[derive(serde::Serialize)]
struct Report<'a> {
    old: SideRecord<'a>,
    new: SideRecord<'a>,
    same: bool,
    same_issuer: bool,
    crl_number_increased: Option<bool>,
    added_count: usize,
    removed_count: usize,
    changed_count: usize,
    unchanged_count: u64,
    added: Vec<EntryRecord>,
    removed: Vec<EntryRecord>,
    changed: Vec<ChangedRecord>,
    warnings: &'a [String],
}

/// Positive when both CRLs hold the same entries.
pub fn run(c: &Diff) -> Result<Outcome, Failure> {
    let old_loaded = input::load(&c.old, c.lenient, "diff")?;
    let new_loaded = input::load(&c.new, c.lenient, "diff")?;
    input::notes(&old_loaded);
    input::notes(&new_loaded);
    one_crl(&old_loaded)?;
    one_crl(&new_loaded)?;
    let profile = input::profile(c.lenient);
    let old = old_loaded.parse(profile)?.remove(0);
    let new = new_loaded.parse(profile)?.remove(0);
    let (old_items, new_items) = rayon::join(|| sorted_items(&old), || sorted_items(&new));
    let (old_items, old_dups) = old_items.map_err(|e| old_loaded.failure(&old_loaded.crls[0], &e))?;
    let (new_items, new_dups) = new_items.map_err(|e| new_loaded.failure(&new_loaded.crls[0], &e))?;
    let changes = merge(&old_items, old.der(), &new_items, new.der());
    old_loaded.check_unchanged()?;
    new_loaded.check_unchanged()?;
    let same = changes.added.is_empty() && changes.removed.is_empty() && changes.changed.is_empty();

    let same_issuer = crlkit_verify::names_match(&old.issuer(), &new.issuer());
    let old_number = old.crl_number();
    let new_number = new.crl_number();
    let number_increased = match (old_number, new_number) {
        (Some(o), Some(n)) => Some(n > o),
        _ => None,
    };
    let mut warnings = Vec::new();
    if !same_issuer {
        warnings.push(format!(
            "the issuers differ ({} / {}): NEW does not replace OLD",
            old.issuer().rfc4514(),
            new.issuer().rfc4514()
        ));
    }
    match number_increased {
        Some(false) => warnings.push("NEW's CRL number is not greater than OLD's: it is not a newer CRL".to_owned()),
        None => warnings.push("a CRL number is missing: which CRL is newer cannot be told".to_owned()),
        Some(true) => {}
    }
    if new.this_update() < old.this_update() {
        warnings.push("NEW's thisUpdate is earlier than OLD's".to_owned());
    }
    for (name, dups) in [(&old_loaded.name, old_dups), (&new_loaded.name, new_dups)] {
        if dups > 0 {
            warnings.push(format!("{name} lists {dups} serial(s) more than once; compared once each"));
        }
    }
    let number = |n: Option<SerialRef<'_>>| n.map(|n| crlkit_serial::format(n, crlkit_serial::SerialFormat::Dec));

    let mut out = String::new();
    if c.json {
        let report = Report {
            old: side_record(&old_loaded, &old, old_items.len() + old_dups as usize),
            new: side_record(&new_loaded, &new, new_items.len() + new_dups as usize),
            same,
            same_issuer,
            crl_number_increased: number_increased,
            added_count: changes.added.len(),
            removed_count: changes.removed.len(),
            changed_count: changes.changed.len(),
            unchanged_count: changes.unchanged,
            added: changes.added.iter().map(|i| entry_record(entry(&new, i))).collect(),
            removed: changes.removed.iter().map(|i| entry_record(entry(&old, i))).collect(),
            changed: changes
                .changed
                .iter()
                .map(|(a, b)| ChangedRecord { old: entry_record(entry(&old, a)), new: entry_record(entry(&new, b)) })
                .collect(),
            warnings: &warnings,
        };
        json::push(&mut out, &report);
        out.push('\n');
    } else {
        for i in &changes.removed {
            let e = entry(&old, i);
            let _ = writeln!(out, "- {}  {}", serial_hex(e), describe(e));
        }
        for i in &changes.added {
            let e = entry(&new, i);
            let _ = writeln!(out, "+ {}  {}", serial_hex(e), describe(e));
        }
        for (a, b) in &changes.changed {
            let (ea, eb) = (entry(&old, a), entry(&new, b));
            let _ = writeln!(out, "~ {}  {} -> {}", serial_hex(ea), describe(ea), describe(eb));
        }
        let show = |n: Option<String>| n.unwrap_or_else(|| "none".to_owned());
        let _ = writeln!(
            out,
            "{} added, {} removed, {} changed, {} unchanged; CRL number {} -> {}{}; issuer {}",
            changes.added.len(),
            changes.removed.len(),
            changes.changed.len(),
            changes.unchanged,
            show(number(old_number)),
            show(number(new_number)),
            match number_increased {
                Some(true) => " (increased)",
                Some(false) => " (NOT increased)",
                None => "",
            },
            if same_issuer { "same" } else { "DIFFERENT" }
        );
    }
    crate::support::output::print_stdout(&out)?;
    for w in &warnings {
        crate::support::term::warning(w);
    }
    Ok(Outcome::from_ok(same))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    #[test]
    fn flags() {
        let Command::Diff(a) = parse_args(&["diff", "-", "-"]).unwrap().command else { panic!() };
        assert_eq!(a.config().err().unwrap().code, "usage", "stdin twice");
        assert!(parse_args(&["diff", "a"]).is_err());
        let Command::Diff(a) = parse_args(&["diff", "a", "-", "--json"]).unwrap().command else { panic!() };
        let d = a.config().unwrap();
        assert!(d.json && matches!(d.new, Source::Stdin));
    }
}
