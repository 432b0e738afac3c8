//! `crlkit convert`: DER or PEM in, PEM (default) or DER out, validated on the way.
//!
//! From a file, the input is memory-mapped; the entries are validated on one side of a
//! `rayon::join` while the PEM is encoded in 768 KiB pieces on the other and written with
//! positional writes into the (still nameless) output file, each piece's offset being known
//! in advance, so validation costs no wall time. Bytes never depend on the thread count. From
//! stdin, the streaming parser validates and encodes in bounded memory, CRL by CRL.

use std::fs::File;
use std::io::Write;

use crlkit_der::CrlRef;
use crlkit_der::pem::{self, LINE_INPUT};
use crlkit_der::stream::{StreamError, StreamOptions, StreamVisitor, parse_stream};
use rayon::prelude::*;

use crate::cli::args::{JsonArg, LenientArg, PemByDefault, ToArg};
use crate::support::failure::Failure;
use crate::support::input::{self, Format, Loaded, Source};
use crate::support::outcome::Outcome;
use crate::support::output::{AtomicFile, Dest, Sink, write_failure};
use crate::support::progress::Progress;

mod bulk;

const ABOUT: &str = "Convert a CRL between DER and PEM (PEM by default, as ALB requires), validating it.";

const EXAMPLES: &str = "\
The output is byte-identical to `openssl crl -inform DER -outform PEM` for valid input. A file
output appears only when complete (written nameless, then linked into place): a failed or
interrupted conversion leaves nothing behind, and an existing file is replaced atomically.
From stdin the CRL streams through in constant memory.

Many inputs (files and directories, walked for .crl, .der and .pem; other files are counted as
skipped) go with --out-dir: relative names are kept (.crl/.der become .pem, or .der with --to
der), files convert in parallel, a broken file is reported with its path and error and nothing
is written for it while the others go on (--fail-fast stops at the first), an output never
replaces an input, and symlinks leading out of a directory given are skipped unless
--follow-symlinks. One line per file in sorted input order (--json: one record per file and a
summary), then a summary on stderr: files ok / failed / skipped, entries, bytes, MB/s.
Exit codes: 0 converted, 2 bad input (for many: any file) or I/O error.

Examples:
  crlkit convert ca.crl -o ca.pem                  DER to PEM
  crlkit convert ca.pem --to der -o ca.crl         PEM to DER
  aws s3 cp s3://bucket/crl/ID.crl - | crlkit convert - -o ID.pem
  crlkit convert --lenient ber.crl -o fixed.pem    re-encode BER length forms to DER first
  crlkit convert mirror/ --out-dir pem/            every CRL under mirror/, as PEM under pem/
  crlkit convert a.crl b.crl --out-dir out/ --json";

/// `crlkit convert` as typed.
#[derive(clap::Args, Debug)]
#[command(about = ABOUT, after_help = EXAMPLES)]
pub struct Args {
    /// Input CRL files (DER or PEM) or directories (walked for .crl, .der, .pem), or `-` for
    /// stdin.
    #[arg(value_name = "IN", required = true, num_args = 1..)]
    inputs: Vec<String>,
    /// Output file (default: stdout), for one input.
    #[arg(short, long, value_name = "OUT", conflicts_with = "out_dir")]
    output: Option<String>,
    /// Convert many inputs into this directory, keeping their relative names (.crl and .der
    /// become .pem, or .der with --to der).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<std::path::PathBuf>,
    /// With --out-dir: stop at the first broken file (files already converted stay).
    #[arg(long, requires = "out_dir")]
    fail_fast: bool,
    /// With --out-dir: follow symlinks that lead out of a directory given.
    #[arg(long, requires = "out_dir")]
    follow_symlinks: bool,
    #[command(flatten)]
    json: JsonArg,
    #[command(flatten)]
    to: ToArg<PemByDefault>,
    #[command(flatten)]
    lenient: LenientArg,
    /// fsync the output file before it takes its place.
    #[arg(long)]
    sync: bool,
}

/// Input bytes per parallel PEM piece: a multiple of 48, so pieces encode independently.
const PIECE: usize = LINE_INPUT * 16 * 1024;

/// What `convert` was asked to do.
pub struct Convert {
    pub source: Source,
    pub dest: Dest,
    pub to: Format,
    pub lenient: bool,
    pub sync: bool,
}

/// One conversion, or many.
pub enum Job {
    One(Convert),
    Many(bulk::Bulk),
}

impl Args {
    pub fn job(self) -> Result<Job, Failure> {
        let many = self.out_dir.is_some() || self.inputs.len() > 1 || std::path::Path::new(&self.inputs[0]).is_dir();
        if !many {
            if self.json.json {
                return Err(Failure::usage("--json reports a run over many files: use --out-dir"));
            }
            return self.config().map(Job::One);
        }
        let Some(out_dir) = self.out_dir else {
            return Err(Failure::usage("several inputs or a directory: give --out-dir DIR for the outputs"));
        };
        if self.inputs.iter().any(|i| i == "-") {
            return Err(Failure::usage("stdin (-) is one input: convert it without --out-dir"));
        }
        Ok(Job::Many(bulk::Bulk {
            inputs: self.inputs.iter().map(std::path::PathBuf::from).collect(),
            out_dir,
            to: self.to.to,
            lenient: self.lenient.lenient,
            sync: self.sync,
            fail_fast: self.fail_fast,
            follow_symlinks: self.follow_symlinks,
            json: self.json.json,
        }))
    }

    pub fn config(self) -> Result<Convert, Failure> {
        let source = Source::parse(&self.inputs[0]);
        let dest = Dest::parse(self.output.as_deref());
        if let (Source::File(i), Dest::File(o)) = (&source, &dest)
            && i == o
        {
            return Err(Failure::usage("the output would replace the input while it is read; choose another -o"));
        }
        if self.to.to == Format::Der && dest.is_terminal() {
            return Err(Failure::usage("refusing to write binary DER to a terminal; use -o FILE or redirect stdout"));
        }
        Ok(Convert { source, dest, to: self.to.to, lenient: self.lenient.lenient, sync: self.sync })
    }
}

pub fn run(job: &Job) -> Result<Outcome, Failure> {
    let c = match job {
        Job::One(c) => c,
        Job::Many(b) => return bulk::run(b),
    };
    if let (Source::File(input), Dest::File(output), Format::Der, false) = (&c.source, &c.dest, c.to, c.lenient)
        && let Some(pieces) = input::PemPieces::open(input)?
        && pem_into_der_file(c, output, pieces)?
    {
        return Ok(Outcome::Positive);
    }
    match c.source {
        Source::Stdin if !c.lenient => convert_stream(c)?,
        _ => {
            let loaded = input::load(&c.source, c.lenient, "convert --lenient")?;
            input::notes(&loaded);
            convert_loaded(c, &loaded, true)?;
        }
    }
    Ok(Outcome::Positive)
}

/// A large PEM file in OpenSSL's layout to a DER file: decoded straight into the (nameless)
/// output, which is then mapped and validated, so the DER never lives in fresh memory of its
/// own (`PemPieces::into_file`). `false`: not that layout, or something wrong in it, and
/// nothing was written (the general path runs and reports the error).
fn pem_into_der_file(c: &Convert, output: &std::path::Path, pieces: input::PemPieces) -> Result<bool, Failure> {
    let out = AtomicFile::create(output)?;
    let size = pieces.size();
    let progress = Progress::start("converting", size, Progress::wanted(size, false, false));
    let Some(loaded) = pieces.into_file(out.file(), &output.display().to_string(), &progress)? else {
        return Ok(false);
    };
    progress.finish();
    input::notes(&loaded);
    let crls = loaded.parse(input::profile(false))?;
    let [crl] = crls.as_slice() else { unreachable!("one PEM block was decoded") };
    crl.validate().map_err(|e| loaded.failure(&loaded.crls[0], &e))?;
    loaded.check_unchanged()?;
    drop(crls);
    drop(loaded);
    out.commit(c.sync)?;
    Ok(true)
}

thread_local! {
    /// The PEM of one small CRL, kept by each thread for the next (at most about a piece's
    /// PEM, 1 MiB).
    static ENCODED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Convert `loaded` as `c` says; the entries validated, counted. `show_progress`: a progress
/// line of its own (not inside a run over many files).
pub fn convert_loaded(c: &Convert, loaded: &Loaded, show_progress: bool) -> Result<u64, Failure> {
    let crls = loaded.parse(input::profile(c.lenient))?;
    if c.to == Format::Der && crls.len() != 1 {
        return Err(Failure::usage(format!(
            "{} holds {} CRLs, and a DER file holds one; convert to PEM, or split the file",
            loaded.name,
            crls.len()
        )));
    }
    let total: u64 = crls.iter().map(|c| c.der().len() as u64).sum();
    let wanted = show_progress && Progress::wanted(total, false, matches!(c.dest, Dest::Stdout));
    let progress = Progress::start("converting", total, wanted);

    // One CRL into a file: validate while the output is written (the file has no name until
    // it is committed).
    if let (Dest::File(path), [crl]) = (&c.dest, crls.as_slice()) {
        if c.to == Format::Pem && crl.der().len() <= PIECE {
            // One piece: nothing to run side by side. Validate, encode, one write; no threads
            // woken, no length set ahead (what a directory of small CRLs spends its time on).
            let stats = crl.validate().map_err(|e| loaded.failure(&loaded.crls[0], &e))?;
            let out = AtomicFile::create(path)?;
            ENCODED
                .with_borrow_mut(|pem| {
                    pem::encode_into(crl.der(), pem);
                    out.file().write_all(pem)
                })
                .map_err(|e| write_failure(&c.dest, &e))?;
            progress.add(crl.der().len() as u64);
            progress.finish();
            loaded.check_unchanged()?;
            out.commit(c.sync)?;
            return Ok(stats.count);
        }
        if crl.der().len() > PIECE {
            // Pieces written at their offsets in parallel: PEM encoded, or DER (from PEM, or
            // DER re-written) as it is.
            let out = AtomicFile::create(path)?;
            let write = |file: &File| match c.to {
                Format::Pem => write_pem_positional(crl.der(), file, &progress),
                Format::Der => write_der_positional(crl.der(), file, &progress),
            };
            let (validated, written) = rayon::join(|| crl.validate(), || write(out.file()));
            let stats = validated.map_err(|e| loaded.failure(&loaded.crls[0], &e))?;
            written.map_err(|e| write_failure(&c.dest, &e))?;
            progress.finish();
            loaded.check_unchanged()?;
            out.commit(c.sync)?;
            return Ok(stats.count);
        }
    }

    // Everything else: validate all first, then write (stdout cannot be taken back).
    let mut entries = 0;
    for (crl, bytes) in crls.iter().zip(&loaded.crls) {
        entries += crl.validate().map_err(|e| loaded.failure(bytes, &e))?.count;
    }
    loaded.check_unchanged()?;
    let mut sink = Sink::open(&c.dest)?;
    for crl in &crls {
        match c.to {
            Format::Pem => write_pem_ordered(crl, &mut sink, &progress),
            Format::Der => sink.write_all(crl.der()).inspect(|_| progress.add(crl.der().len() as u64)),
        }
        .map_err(|e| write_failure(&c.dest, &e))?;
    }
    progress.finish();
    loaded.check_unchanged()?;
    sink.finish(c.sync)?;
    Ok(entries)
}

/// Encode in parallel pieces straight to their final offsets in `file`.
fn write_pem_positional(der: &[u8], file: &File, progress: &Progress) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let total = pem::pem_len(der.len());
    let body_start = pem::BEGIN_X509_CRL.len();
    file.set_len(total as u64)?;
    file.write_all_at(pem::BEGIN_X509_CRL, 0)?;
    file.write_all_at(pem::END_X509_CRL, (total - pem::END_X509_CRL.len()) as u64)?;
    der.par_chunks(PIECE).enumerate().try_for_each_init(Vec::new, |buf, (i, piece)| {
        buf.resize(pem::body_len(piece.len()), 0);
        pem::encode_body_into(piece, buf);
        let at = body_start + pem::body_offset(i * PIECE);
        file.write_all_at(buf, at as u64)?;
        progress.add(piece.len() as u64);
        Ok(())
    })
}

/// Write DER in parallel pieces at their offsets in `file` (the page-cache copy is most of
/// the cost of writing, and it scales with threads).
fn write_der_positional(der: &[u8], file: &File, progress: &Progress) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.set_len(der.len() as u64)?;
    der.par_chunks(PIECE).enumerate().try_for_each(|(i, piece)| {
        file.write_all_at(piece, (i * PIECE) as u64)?;
        progress.add(piece.len() as u64);
        Ok(())
    })
}

/// Encode in parallel pieces, written in order (for stdout and multi-CRL outputs).
fn write_pem_ordered(crl: &CrlRef<'_>, w: &mut impl Write, progress: &Progress) -> std::io::Result<()> {
    let der = crl.der();
    w.write_all(pem::BEGIN_X509_CRL)?;
    let window = rayon::current_num_threads().max(1) * 2;
    let mut bufs: Vec<Vec<u8>> = Vec::new();
    for group in der.chunks(PIECE * window) {
        let pieces: Vec<&[u8]> = group.chunks(PIECE).collect();
        bufs.resize_with(pieces.len(), Vec::new);
        bufs.par_iter_mut().zip(pieces.par_iter()).for_each(|(buf, piece)| {
            buf.resize(pem::body_len(piece.len()), 0);
            pem::encode_body_into(piece, buf);
        });
        for b in &bufs[..pieces.len()] {
            w.write_all(b)?;
        }
        progress.add(group.len() as u64);
    }
    w.write_all(pem::END_X509_CRL)
}

/// Streaming conversion: bytes are passed on as soon as the element holding them is valid.
struct StreamConvert<'a> {
    pem: Option<pem::PemWriter<&'a mut Sink>>,
    raw: Option<&'a mut Sink>,
}

impl StreamVisitor for StreamConvert<'_> {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match (&mut self.pem, &mut self.raw) {
            (Some(w), _) => w.write_der(bytes),
            (_, Some(w)) => w.write_all(bytes),
            _ => Ok(()),
        }
    }
}

fn convert_stream(c: &Convert) -> Result<(), Failure> {
    let (format, reader) = input::stdin_stream()?;
    let mut sink = Sink::open(&c.dest)?;
    let opts = StreamOptions { profile: input::profile(c.lenient), ..StreamOptions::default() };
    let mut several = false;
    let streamed = input::stream_crls("<stdin>", format, reader, crlkit_der::stream::MAX_PEM_LINE, |index, r| {
        if index > 0 && c.to == Format::Der {
            several = true;
            return Err(StreamError::Output(std::io::Error::other("several CRLs")));
        }
        let mut visitor = match c.to {
            Format::Pem => StreamConvert { pem: Some(pem::PemWriter::new(&mut sink)), raw: None },
            Format::Der => StreamConvert { pem: None, raw: Some(&mut sink) },
        };
        parse_stream(r, &opts, &mut visitor)?;
        if let Some(w) = visitor.pem.take() {
            w.finish().map_err(StreamError::Output)?;
        }
        Ok(())
    });
    if several {
        return Err(Failure::usage(
            "<stdin> holds more than one CRL, and a DER file holds one; convert to PEM, or split the input",
        ));
    }
    streamed?;
    sink.finish(c.sync)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::tests::parse_args;
    use crate::commands::Command;

    fn config(args: &[&str]) -> Result<Convert, Failure> {
        match job(args)? {
            Job::One(c) => Ok(c),
            Job::Many(_) => panic!("one input"),
        }
    }

    fn job(args: &[&str]) -> Result<Job, Failure> {
        match parse_args(args).map_err(|e| Failure::usage(e.to_string()))?.command {
            Command::Convert(a) => a.job(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn many_inputs_need_an_out_dir() {
        assert_eq!(job(&["convert", "a.crl", "b.crl"]).err().unwrap().code, "usage");
        assert_eq!(job(&["convert", "a.crl", "--json"]).err().unwrap().code, "usage");
        assert_eq!(job(&["convert", "a.crl", "-", "--out-dir", "o"]).err().unwrap().code, "usage");
        assert!(job(&["convert", "a.crl", "-o", "x", "--out-dir", "o"]).is_err());
        assert!(job(&["convert", "a.crl", "--fail-fast"]).is_err(), "--fail-fast needs --out-dir");
        let Job::Many(b) = job(&["convert", "a.crl", "b.der", "--out-dir", "o", "--to", "der", "--fail-fast"]).unwrap()
        else {
            panic!("many")
        };
        assert!(b.fail_fast && b.to == Format::Der && b.inputs.len() == 2);
    }

    #[test]
    fn flags() {
        let c = config(&["convert", "a.crl", "-o", "b.pem", "--to", "der", "--lenient", "--sync"]).unwrap();
        assert!(matches!((&c.source, &c.dest), (Source::File(_), Dest::File(_))));
        assert_eq!(c.to, Format::Der);
        assert!(c.lenient && c.sync);
        let c = config(&["convert", "-"]).unwrap();
        assert!(matches!((c.source, c.dest, c.to), (Source::Stdin, Dest::Stdout, Format::Pem)));
    }

    #[test]
    fn refuses_output_equal_to_input() {
        assert_eq!(config(&["convert", "a.crl", "-o", "a.crl"]).err().unwrap().code, "usage");
    }
}
