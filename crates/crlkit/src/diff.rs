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

use crate::failure::Failure;
use crate::input::{self, Loaded, Source};
use crate::json::Object;

pub struct Diff {
    pub old: Source,
    pub new: Source,
    pub json: bool,
    pub lenient: bool,
}

/// One entry as the merge needs it: its serial, its whole DER (to spot changed entries) and
/// where it is (to print its fields).
#[derive(Clone, Copy)]
struct Item<'a> {
    serial: SerialRef<'a>,
    der: &'a [u8],
    offset: u64,
    index: u64,
}

/// Validate every entry and return them sorted by serial (then bytes), with the number of
/// serials that appear more than once.
fn sorted_items<'a>(crl: &CrlRef<'a>) -> Result<(Vec<Item<'a>>, u64), crlkit_der::Error> {
    let chunks = crl.entry_chunks(1 << 20)?;
    let parts: Vec<Result<Vec<Item<'a>>, crlkit_der::Error>> = chunks
        .par_iter()
        .map(|chunk| {
            let mut v = Vec::with_capacity(chunk.len() as usize);
            for e in chunk.entries() {
                let e = e?;
                v.push(Item { serial: e.serial(), der: e.der(), offset: e.offset(), index: e.index() });
            }
            Ok(v)
        })
        .collect();
    let mut items = Vec::with_capacity(chunks.iter().map(|c| c.len() as usize).sum());
    for p in parts {
        items.extend(p?);
    }
    items.par_sort_unstable_by(|a, b| a.serial.cmp(&b.serial).then_with(|| a.der.cmp(b.der)));
    let before = items.len();
    items.dedup_by(|b, a| a.serial == b.serial);
    let duplicates = (before - items.len()) as u64;
    Ok((items, duplicates))
}

/// What changed, as entry views.
struct Changes<'a, 'b> {
    added: Vec<Item<'b>>,
    removed: Vec<Item<'a>>,
    changed: Vec<(Item<'a>, Item<'b>)>,
    unchanged: u64,
}

fn merge<'a, 'b>(old: &[Item<'a>], new: &[Item<'b>]) -> Changes<'a, 'b> {
    let mut c = Changes { added: Vec::new(), removed: Vec::new(), changed: Vec::new(), unchanged: 0 };
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        match old[i].serial.cmp(&new[j].serial) {
            Ordering::Less => {
                c.removed.push(old[i]);
                i += 1;
            }
            Ordering::Greater => {
                c.added.push(new[j]);
                j += 1;
            }
            Ordering::Equal => {
                if old[i].der == new[j].der {
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
fn entry<'a>(crl: &CrlRef<'a>, item: &Item<'a>) -> Option<RevokedCertRef<'a>> {
    crl.entry_at(item.offset, item.index).ok()
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

fn json_entry(e: Option<RevokedCertRef<'_>>, serial: SerialRef<'_>) -> String {
    let mut s = String::new();
    let mut o = Object::new(&mut s);
    o.str("serial", &serial.to_hex());
    if let Some(e) = e {
        o.str("revocation_time", &e.revocation_date().to_string());
        o.opt_str("reason", e.reason().map(|r| r.name()));
        o.opt_str("invalidity_date", e.invalidity_date().map(|t| t.to_string()).as_deref());
    }
    o.end();
    s
}

/// Returns Ok(true) when both CRLs hold the same entries.
pub fn run(c: &Diff) -> Result<bool, Failure> {
    let old_loaded = input::load(&c.old, c.lenient)?;
    let new_loaded = input::load(&c.new, c.lenient)?;
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
    let changes = merge(&old_items, &new_items);
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
        let mut o = Object::new(&mut out);
        for (key, loaded, crl, count) in [
            ("old", &old_loaded, &old, old_items.len() + old_dups as usize),
            ("new", &new_loaded, &new, new_items.len() + new_dups as usize),
        ] {
            let mut s = String::new();
            let mut so = Object::new(&mut s);
            so.str("file", &loaded.name);
            so.str("issuer", &crl.issuer().rfc4514());
            so.opt_str("crl_number", number(crl.crl_number()).as_deref());
            so.str("this_update", &crl.this_update().to_string());
            so.num("entries", count as u64);
            so.end();
            o.raw(key, &s);
        }
        o.bool("same", same);
        o.bool("same_issuer", same_issuer);
        o.raw("crl_number_increased", &number_increased.map_or("null".into(), |b| b.to_string()));
        o.num("added_count", changes.added.len() as u64);
        o.num("removed_count", changes.removed.len() as u64);
        o.num("changed_count", changes.changed.len() as u64);
        o.num("unchanged_count", changes.unchanged);
        let list = |items: &mut dyn Iterator<Item = String>| format!("[{}]", items.collect::<Vec<_>>().join(",\n"));
        o.raw("added", &list(&mut changes.added.iter().map(|i| json_entry(entry(&new, i), i.serial))));
        o.raw("removed", &list(&mut changes.removed.iter().map(|i| json_entry(entry(&old, i), i.serial))));
        o.raw(
            "changed",
            &list(&mut changes.changed.iter().map(|(a, b)| {
                format!(
                    "{{\"old\":{},\"new\":{}}}",
                    json_entry(entry(&old, a), a.serial),
                    json_entry(entry(&new, b), b.serial)
                )
            })),
        );
        let w: Vec<String> = warnings
            .iter()
            .map(|w| {
                let mut s = String::new();
                crate::json::string(&mut s, w);
                s
            })
            .collect();
        o.raw("warnings", &format!("[{}]", w.join(",")));
        o.end();
        out.push('\n');
    } else {
        for i in &changes.removed {
            let _ = writeln!(out, "- {}  {}", i.serial, describe(entry(&old, i)));
        }
        for i in &changes.added {
            let _ = writeln!(out, "+ {}  {}", i.serial, describe(entry(&new, i)));
        }
        for (a, b) in &changes.changed {
            let _ = writeln!(out, "~ {}  {} -> {}", a.serial, describe(entry(&old, a)), describe(entry(&new, b)));
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
    crate::output::print_stdout(&out)?;
    for w in &warnings {
        eprintln!("crlkit: warning: {w}");
    }
    Ok(same)
}
