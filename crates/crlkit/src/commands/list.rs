//! `crlkit list`: one line per revoked entry, serial in OpenSSL's `-serial` form (uppercase
//! hex, DER sign byte dropped), times in RFC 3339 UTC.
//!
//! From a file, every entry is validated first (so bad input prints nothing), then entries are
//! formatted in parallel chunks, the ones the validating walk cut, and written in order. From stdin, entries stream through in
//! bounded memory; an error part-way ends the output early and exits 2.

use std::io::Write;

use crlkit_der::stream::{StreamOptions, StreamVisitor, parse_stream};
use crlkit_der::{EntryChunk, ListedEntry, RevokedCertRef};
use rayon::prelude::*;

use crate::cli::args::{CrlInputs, CrlSources, LenientArg, ManyPaths};
use crate::support::failure::Failure;
use crate::support::input::{self, Loaded, Source};
use crate::support::many::{self, FileResult};
use crate::support::outcome::Outcome;
use crate::support::output::{Dest, Sink, write_failure};
use crate::support::progress::Progress;

mod lines;
use lines::*;

const ABOUT: &str = "List revoked entries: serial (uppercase hex), revocation time (RFC 3339), reason.";

const EXAMPLES: &str = "\
Serials are printed as OpenSSL's `-serial` and ALB's logs print them: uppercase hex, no colons,
DER sign byte dropped (a negative serial gets a leading '-'). A file is validated before
anything is printed; from stdin, entries stream out as they are validated, and an error
part-way ends the output early with exit code 2.

Many inputs (files and directories, walked for .crl, .der and .pem) are listed in sorted order,
each entry with its file: `FILE: ` before each text line, a first `file` column in CSV, a
`file` key in JSON. A broken file is reported with its path and error and nothing of it is
printed; the others go on (exit 2 at the end; --fail-fast stops at the first).

Examples:
  crlkit list ca.crl
  crlkit list ca.crl --format csv > revoked.csv
  crlkit list ca.crl --format json | jq -r '.[].serial'
  crlkit list partitions/ | grep 4F3A9C             which partition revokes it";

/// How `list` prints entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
    Csv,
}

/// `crlkit list` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    input: CrlInputs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    #[command(flatten)]
    lenient: LenientArg,
}

/// What `list` was asked to do.
pub struct List {
    pub sources: CrlSources,
    pub format: ListFormat,
    pub lenient: bool,
}

impl Args {
    pub fn config(self) -> Result<List, Failure> {
        Ok(List { sources: self.input.resolve()?, format: self.format, lenient: self.lenient.lenient })
    }
}

pub fn run(c: &List) -> Result<Outcome, Failure> {
    let dest = Dest::Stdout;
    let source = match &c.sources {
        CrlSources::One(s) => s,
        CrlSources::Many(m) => return run_many(c, m),
    };
    if let (Source::Stdin, false) = (source, c.lenient) {
        list_stream(c, &dest)?;
        return Ok(Outcome::Positive);
    }
    let loaded = input::load(source, c.lenient, "list --lenient")?;
    input::notes(&loaded);
    let total: u64 = loaded.crls.iter().map(|b| loaded.der(b).len() as u64).sum();
    let progress = Progress::start("listing", total, Progress::wanted(total, c.format == ListFormat::Json, true));
    let mut sink = Sink::open(&dest)?;
    let werr = |e: std::io::Error| write_failure(&dest, &e);
    sink.write_all(prologue(c.format)).map_err(werr)?;
    let written = list_loaded(&loaded, c, b"", true, Some(&progress), &mut |b| sink.write_all(b).map_err(werr))?;
    sink.write_all(epilogue(c.format, written == 0)).map_err(werr)?;
    progress.finish();
    sink.finish(false)?;
    Ok(Outcome::Positive)
}

/// Validate every CRL of `loaded` (so bad input prints nothing), then format its entries in
/// parallel chunks, each entry after `prefix`, and hand the pieces to `write` in order.
/// `first` says whether these are the first entries of the output (JSON commas). Returns the
/// number of entries.
fn list_loaded(
    loaded: &Loaded,
    c: &List,
    prefix: &[u8],
    first: bool,
    progress: Option<&Progress>,
    write: &mut dyn FnMut(&[u8]) -> Result<(), Failure>,
) -> Result<u64, Failure> {
    // The entries are cut into chunks once, by the walk that validates them, and formatted
    // from those chunks.
    let crls = loaded.parse(input::profile(c.lenient))?;
    let mut chunked = Vec::with_capacity(crls.len());
    for (crl, bytes) in crls.iter().zip(&loaded.crls) {
        let (_, chunks) = crl.validate_chunked(LIST_CHUNK).map_err(|e| loaded.failure(bytes, &e))?;
        chunked.push(chunks);
    }
    loaded.check_unchanged()?;
    format_chunks(loaded, &chunked, c, prefix, first, progress, write)
}

/// Bytes of entries per chunk formatted by one thread.
const LIST_CHUNK: usize = 1 << 18;

/// The entries of every CRL of `loaded`, cut into chunks of about [`LIST_CHUNK`] bytes.
fn entry_chunks<'l>(loaded: &'l Loaded, c: &List) -> Result<Vec<Vec<EntryChunk<'l>>>, Failure> {
    let crls = loaded.parse(input::profile(c.lenient))?;
    Ok(crls.iter().map(|crl| crl.entry_chunks(LIST_CHUNK)).collect())
}

/// Every CRL of `loaded` validated (nothing is printed of a broken file).
fn validate(loaded: &Loaded, c: &List) -> Result<(), Failure> {
    let crls = loaded.parse(input::profile(c.lenient))?;
    for (crl, bytes) in crls.iter().zip(&loaded.crls) {
        crl.validate().map_err(|e| loaded.failure(bytes, &e))?;
    }
    loaded.check_unchanged()
}

/// The entries of validated CRLs, formatted in parallel chunks and written in order.
fn format_validated(
    loaded: &Loaded,
    c: &List,
    prefix: &[u8],
    first: bool,
    progress: Option<&Progress>,
    write: &mut dyn FnMut(&[u8]) -> Result<(), Failure>,
) -> Result<u64, Failure> {
    format_chunks(loaded, &entry_chunks(loaded, c)?, c, prefix, first, progress, write)
}

/// [`format_validated`] over the chunks of each CRL.
fn format_chunks(
    loaded: &Loaded,
    chunked: &[Vec<EntryChunk<'_>>],
    c: &List,
    prefix: &[u8],
    first: bool,
    progress: Option<&Progress>,
    write: &mut dyn FnMut(&[u8]) -> Result<(), Failure>,
) -> Result<u64, Failure> {
    let mut written = 0u64;
    let window = rayon::current_num_threads().max(1) * 4;
    for (chunks, bytes) in chunked.iter().zip(&loaded.crls) {
        let mut bufs: Vec<(Vec<u8>, usize)> = Vec::new();
        let first_crl = first && written == 0;
        for group in chunks.chunks(window) {
            bufs.resize_with(group.len(), || (Vec::new(), 0));
            bufs.par_iter_mut()
                .zip(group.par_iter())
                .try_for_each(|((buf, used), chunk)| {
                    *used = format_chunk(chunk, c.format, first_crl && chunk.first_index() == 0, prefix, buf)?;
                    Ok::<(), crlkit_der::Error>(())
                })
                .map_err(|e| loaded.failure(bytes, &e))?;
            for (b, used) in &bufs[..group.len()] {
                write(&b[..*used])?;
            }
            if let Some(p) = progress {
                p.add(group.iter().map(|g| g.der().len() as u64).sum());
            }
        }
        written += chunks.iter().map(|g| g.len()).sum::<u64>();
    }
    loaded.check_unchanged()?;
    Ok(written)
}

/// What a worker hands on for one file: its entries formatted, or (a file alone in its
/// window, a large one) the validated file, formatted straight to stdout in order.
enum Listed {
    Formatted { entries: u64, size: u64, text: Vec<u8> },
    Validated(Loaded),
}

/// Many inputs: files formatted in parallel windows, written in sorted input order; a file
/// alone in its window (a large one) writes straight to stdout.
fn run_many(c: &List, m: &ManyPaths) -> Result<Outcome, Failure> {
    let dest = Dest::Stdout;
    let inputs = many::Inputs::find(&m.paths, m.follow_symlinks)?;
    let mut summary = many::Summary::new(&inputs.walk);
    let mut sink = Sink::open(&dest)?;
    let werr = |e: std::io::Error| write_failure(&dest, &e);
    let header = if c.format == ListFormat::Csv { CSV_HEADER_MANY } else { prologue(c.format) };
    sink.write_all(header).map_err(werr)?;
    // Whether an entry was written yet (the first JSON entry has no comma before it).
    let mut any = false;
    many::run_in_order(
        &inputs,
        m.fail_fast,
        "listing",
        c.format != ListFormat::Json,
        |f, alone| {
            let loaded = input::load(&Source::File(f.path.clone()), c.lenient, "list --lenient")?;
            input::notes(&loaded);
            if alone {
                validate(&loaded, c)?;
                return Ok(Listed::Validated(loaded));
            }
            let prefix = file_prefix(c.format, &f.path.display().to_string());
            let mut text = Vec::new();
            let entries = list_loaded(&loaded, c, &prefix, false, None, &mut |b| {
                text.extend_from_slice(b);
                Ok(())
            })?;
            Ok(Listed::Formatted { entries, size: loaded.size, text })
        },
        |i, r| {
            match r {
                FileResult::Done(listed) => {
                    let (n, size) = match listed {
                        Listed::Validated(loaded) => {
                            let prefix = file_prefix(c.format, &inputs.files()[i].path.display().to_string());
                            let n = format_validated(&loaded, c, &prefix, !any, None, &mut |b| {
                                sink.write_all(b).map_err(werr)
                            })?;
                            (n, loaded.size)
                        }
                        Listed::Formatted { entries: n, size, text } => {
                            let mut bytes = &text[..];
                            if c.format == ListFormat::Json && !any && n > 0 {
                                bytes = bytes.strip_prefix(b",\n").unwrap_or(bytes);
                            }
                            sink.write_all(bytes).map_err(werr)?;
                            (n, size)
                        }
                    };
                    summary.ok += 1;
                    summary.entries += n;
                    summary.bytes += size;
                    any |= n > 0;
                }
                FileResult::Failed(f) => {
                    summary.failed += 1;
                    // Its full report at once (stdout carries only entries), in input order.
                    f.print();
                }
                FileResult::NotAttempted => summary.not_attempted += 1,
            }
            Ok(())
        },
    )?;
    sink.write_all(epilogue(c.format, !any)).map_err(werr)?;
    sink.finish(false)?;
    many::finish(&summary, &[], "listed", "listed", inputs.files().len())?;
    Ok(Outcome::Positive)
}

struct StreamList<'a> {
    format: ListFormat,
    buf: Vec<u8>,
    sink: &'a mut Sink,
    count: u64,
}

impl StreamVisitor for StreamList<'_> {
    fn entry(&mut self, e: &RevokedCertRef<'_>) -> std::io::Result<()> {
        format_entry(&ListedEntry::of(e), self.format, self.count == 0, &mut self.buf);
        self.count += 1;
        if self.buf.len() >= 1 << 16 {
            self.sink.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

fn list_stream(c: &List, dest: &Dest) -> Result<(), Failure> {
    let (format, reader) = input::stdin_stream()?;
    let mut sink = Sink::open(dest)?;
    sink.write_all(prologue(c.format)).map_err(|e| write_failure(dest, &e))?;
    let opts = StreamOptions { profile: input::profile(c.lenient), ..StreamOptions::default() };
    let mut v = StreamList { format: c.format, buf: Vec::with_capacity(1 << 17), sink: &mut sink, count: 0 };
    let result = input::stream_crls("<stdin>", format, reader, crlkit_der::stream::MAX_PEM_LINE, |_, r| {
        parse_stream(r, &opts, &mut v).map(drop)
    });
    // Write what was formatted even on error, so the output ends where the input broke.
    let tail = std::mem::take(&mut v.buf);
    let count = v.count;
    sink.write_all(&tail).map_err(|e| write_failure(dest, &e))?;
    result?;
    sink.write_all(epilogue(c.format, count == 0)).map_err(|e| write_failure(dest, &e))?;
    sink.finish(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    /// The line `list` prints for `e`, built with `format!` from the entry's own accessors.
    fn expected_line(e: &RevokedCertRef<'_>, format: ListFormat, first: bool) -> String {
        let (serial, time) = (e.serial().to_hex(), e.revocation_date().to_string());
        let reason = e.reason().map(|r| r.name().to_owned());
        let invalidity = e.invalidity_date().map(|t| t.to_string());
        let quoted = |v: Option<String>| v.map_or("null".to_owned(), |s| format!("\"{s}\""));
        match format {
            ListFormat::Text => format!("{serial} {time} {}\n", reason.as_deref().unwrap_or("-")),
            ListFormat::Csv => {
                format!("{serial},{time},{},{}\n", reason.unwrap_or_default(), invalidity.unwrap_or_default())
            }
            ListFormat::Json => format!(
                "{}{{\"serial\":\"{serial}\",\"revocation_time\":\"{time}\",\"reason\":{},\"invalidity_date\":{}}}",
                if first { "" } else { ",\n" },
                quoted(reason),
                quoted(invalidity)
            ),
        }
    }

    #[test]
    fn every_line_equals_one_built_with_format() {
        // Serials of every length up to well past the buffer, negative ones, with and
        // without reason and invalidity date, in every format, against lines built with
        // `format!`.
        let fixtures =
            &format!("{}/../../fixtures/", std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
        let mut fixed = 0;
        let mut lines = 0;
        for name in ["crl.p256.1k.der", "crl.p256.edge-serials.der", "crl.rsa2048.1k.der"] {
            let der = std::fs::read(format!("{fixtures}{name}")).unwrap();
            let crl = crlkit_der::CrlRef::from_der(&der).unwrap();
            for e in crl.entries() {
                let e = e.unwrap();
                for format in [ListFormat::Text, ListFormat::Csv, ListFormat::Json] {
                    for first in [true, false] {
                        let mut a = b"before ".to_vec();
                        format_entry(&ListedEntry::of(&e), format, first, &mut a);
                        let b = format!("before {}", expected_line(&e, format, first));
                        assert_eq!(String::from_utf8(a).unwrap(), b);
                        let mut buf = vec![0; LINE_MAX];
                        fixed += usize::from(write_line(&ListedEntry::of(&e), format, first, &mut buf, 0).is_some());
                        lines += 1;
                    }
                }
            }
        }
        assert!(
            fixed > lines * 9 / 10 && fixed < lines,
            "most lines, not all, take the fixed buffer: {fixed} of {lines}"
        );
    }

    #[test]
    fn flags() {
        let Command::List(a) = parse_args(&["list", "x", "--format", "csv"]).unwrap().command else { panic!() };
        assert_eq!(a.config().unwrap().format, ListFormat::Csv);
        assert!(parse_args(&["list", "x", "--format", "xml"]).is_err());
    }
}
