//! `crlkit list`: one line per revoked entry, serial in OpenSSL's `-serial` form (uppercase
//! hex, DER sign byte dropped), times in RFC 3339 UTC.
//!
//! From a file, every entry is validated first (so bad input prints nothing), then entries are
//! formatted in parallel chunks and written in order. From stdin, entries stream through in
//! bounded memory; an error part-way ends the output early and exits 2.

use std::io::Write;

use crlkit_der::RevokedCertRef;
use crlkit_der::stream::{StreamOptions, StreamVisitor, parse_stream};
use rayon::prelude::*;

use super::Outcome;
use crate::cli::args::{CrlInput, LenientArg};
use crate::support::failure::Failure;
use crate::support::input::{self, Source};
use crate::support::output::{Dest, Sink, write_failure};
use crate::support::progress::Progress;

const ABOUT: &str = "List revoked entries: serial (uppercase hex), revocation time (RFC 3339), reason.";

const EXAMPLES: &str = "\
Serials are printed as OpenSSL's `-serial` and ALB's logs print them: uppercase hex, no colons,
DER sign byte dropped (a negative serial gets a leading '-'). A file is validated before
anything is printed; from stdin, entries stream out as they are validated, and an error
part-way ends the output early with exit code 2.

Examples:
  crlkit list ca.crl
  crlkit list ca.crl --format csv > revoked.csv
  crlkit list ca.crl --format json | jq -r '.[].serial'";

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
    input: CrlInput,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
    #[command(flatten)]
    lenient: LenientArg,
}

/// What `list` was asked to do.
pub struct List {
    pub source: Source,
    pub format: ListFormat,
    pub lenient: bool,
}

impl Args {
    pub fn config(self) -> List {
        List { source: self.input.source(), format: self.format, lenient: self.lenient.lenient }
    }
}

const CSV_HEADER: &[u8] = b"serial,revocation_time,reason,invalidity_date\n";

/// Append one entry. `first` is true for the very first entry of the output (JSON commas).
#[inline]
pub fn format_entry(e: &RevokedCertRef<'_>, format: ListFormat, first: bool, out: &mut Vec<u8>) {
    let reason = e.reason().map(|r| r.name());
    match format {
        ListFormat::Text => {
            e.serial().write_hex(out);
            out.push(b' ');
            out.extend_from_slice(&e.revocation_date().rfc3339_bytes());
            out.push(b' ');
            out.extend_from_slice(reason.unwrap_or("-").as_bytes());
            out.push(b'\n');
        }
        ListFormat::Csv => {
            e.serial().write_hex(out);
            out.push(b',');
            out.extend_from_slice(&e.revocation_date().rfc3339_bytes());
            out.push(b',');
            out.extend_from_slice(reason.unwrap_or("").as_bytes());
            out.push(b',');
            if let Some(t) = e.invalidity_date() {
                out.extend_from_slice(&t.rfc3339_bytes());
            }
            out.push(b'\n');
        }
        ListFormat::Json => {
            out.extend_from_slice(if first { b"{\"serial\":\"" } else { b",\n{\"serial\":\"" });
            e.serial().write_hex(out);
            out.extend_from_slice(b"\",\"revocation_time\":\"");
            out.extend_from_slice(&e.revocation_date().rfc3339_bytes());
            out.extend_from_slice(b"\",\"reason\":");
            match reason {
                Some(r) => {
                    out.push(b'"');
                    out.extend_from_slice(r.as_bytes());
                    out.push(b'"');
                }
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"invalidity_date\":");
            match e.invalidity_date() {
                Some(t) => {
                    out.push(b'"');
                    out.extend_from_slice(&t.rfc3339_bytes());
                    out.push(b'"');
                }
                None => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
        }
    }
}

fn prologue(format: ListFormat) -> &'static [u8] {
    match format {
        ListFormat::Text => b"",
        ListFormat::Csv => CSV_HEADER,
        ListFormat::Json => b"[\n",
    }
}

fn epilogue(format: ListFormat, empty: bool) -> &'static [u8] {
    match (format, empty) {
        (ListFormat::Json, true) => b"]\n",
        (ListFormat::Json, false) => b"\n]\n",
        _ => b"",
    }
}

pub fn run(c: &List) -> Result<Outcome, Failure> {
    let dest = Dest::Stdout;
    if let (Source::Stdin, false) = (&c.source, c.lenient) {
        list_stream(c, &dest)?;
        return Ok(Outcome::Positive);
    }
    let loaded = input::load(&c.source, c.lenient, "list --lenient")?;
    input::notes(&loaded);
    let crls = loaded.parse(input::profile(c.lenient))?;
    let total: u64 = crls.iter().map(|c| c.der().len() as u64).sum();
    let progress = Progress::start("listing", total, Progress::wanted(total, c.format == ListFormat::Json, true));
    for (crl, bytes) in crls.iter().zip(&loaded.crls) {
        crl.validate().map_err(|e| loaded.failure(bytes, &e))?;
    }
    loaded.check_unchanged()?;
    let mut sink = Sink::open(&dest)?;
    let werr = |e: std::io::Error| write_failure(&dest, &e);
    sink.write_all(prologue(c.format)).map_err(werr)?;
    let mut written = 0u64;
    let window = rayon::current_num_threads().max(1) * 4;
    for (crl, bytes) in crls.iter().zip(&loaded.crls) {
        let chunks = crl.entry_chunks(1 << 18);
        let mut bufs: Vec<Vec<u8>> = Vec::new();
        let first_crl = written == 0;
        for group in chunks.chunks(window) {
            bufs.resize_with(group.len(), Vec::new);
            bufs.par_iter_mut()
                .zip(group.par_iter())
                .try_for_each(|(buf, chunk)| {
                    buf.clear();
                    for e in chunk.entries() {
                        let e = e?;
                        format_entry(&e, c.format, first_crl && e.index() == 0, buf);
                    }
                    Ok::<(), crlkit_der::Error>(())
                })
                .map_err(|e| loaded.failure(bytes, &e))?;
            for b in &bufs[..group.len()] {
                sink.write_all(b).map_err(werr)?;
            }
            progress.add(group.iter().map(|g| g.der().len() as u64).sum());
        }
        written += chunks.iter().map(|g| g.len()).sum::<u64>();
    }
    sink.write_all(epilogue(c.format, written == 0)).map_err(werr)?;
    progress.finish();
    sink.finish(false)?;
    loaded.check_unchanged()?;
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
        format_entry(e, self.format, self.count == 0, &mut self.buf);
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

    #[test]
    fn flags() {
        let Command::List(a) = parse_args(&["list", "x", "--format", "csv"]).unwrap().command else { panic!() };
        assert_eq!(a.config().format, ListFormat::Csv);
        assert!(parse_args(&["list", "x", "--format", "xml"]).is_err());
    }
}
