//! Reading CRL inputs: files are memory-mapped (zero copy), stdin is streamed or, for commands
//! that need the whole CRL at once, read whole up to [`STDIN_LIMIT`]; the format (DER or PEM) is
//! detected from the content, never from the file name.
//!
//! Errors are the same whatever the path: a file's CRLs are parsed and validated by the fast
//! (parallel, whole-file) parser, and when it finds anything wrong the input is read once more
//! front to back by the streaming pipeline stdin uses ([`first_failure`]), so a file and the
//! same bytes on a pipe name the same first error, with the same location and excerpt.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::Deref;
use std::path::{Path, PathBuf};

use crlkit_der::stream::{PemCrlReader, StreamError, StreamOptions, Validate, parse_stream};
use crlkit_der::{CrlRef, Excerpt, Profile, RevokedCertRef};
use rayon::prelude::*;

use crate::support::failure::{Failure, Place};
use crate::support::progress::Progress;

/// The most commands that need a whole CRL read from stdin (everything but `convert`,
/// `inspect` and `list`, which stream it): beyond it they stop with `stdin-too-large` rather
/// than grow without bound. A file of any size is mapped instead.
pub const STDIN_LIMIT: u64 = 1 << 30;

/// When a file was opened: what tells that another process changed it meanwhile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    changed: (i64, i64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self { len: meta.len(), modified: meta.modified().ok(), changed: (meta.ctime(), meta.ctime_nsec()) }
    }
}

/// Bytes of an input: a read-only memory map of a file, or owned bytes.
pub enum Bytes {
    Mapped { map: memmap2::Mmap, file: File, stamp: Stamp },
    Owned(Vec<u8>),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped { map, .. } => map,
            Bytes::Owned(v) => v,
        }
    }
}

impl Bytes {
    /// Fail if the mapped file `name` changed since it was mapped (size, modification or
    /// status-change time): what was read may then mix old and new bytes. Commands call this
    /// after their work and before they commit an output file or print a report.
    pub fn check_unchanged(&self, name: &str) -> Result<(), Failure> {
        let Bytes::Mapped { file, stamp, .. } = self else { return Ok(()) };
        check_stamp(file, *stamp, name)
    }
}

/// Fail with `input-changed` if `file` no longer has the `stamp` it had when it was opened.
fn check_stamp(file: &File, stamp: Stamp, name: &str) -> Result<(), Failure> {
    {
        let now = file.metadata().map_err(|e| Failure::io(format!("reading {name}"), &e))?;
        if Stamp::of(&now) == stamp {
            return Ok(());
        }
        Err(Failure::new(
            "input-changed",
            format!(
                "{name} changed while it was being read (size {} -> {} bytes, or its modification time); \
                 nothing was written: run again once it is complete",
                stamp.len,
                now.len()
            ),
        ))
    }
}

/// How the input is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Der,
    Pem,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Der => "DER",
            Format::Pem => "PEM",
        }
    }
}

/// Where a command reads from.
#[derive(Clone, Debug)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    pub fn parse(arg: &str) -> Self {
        if arg == "-" { Source::Stdin } else { Source::File(PathBuf::from(arg)) }
    }

    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".into(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// One CRL of an input.
pub struct CrlDer {
    /// Its DER when it is not the input itself (decoded PEM, re-encoded BER).
    owned: Option<Vec<u8>>,
    /// The PEM block it came from (from 0, every block of the text counted).
    pub block: Option<usize>,
    /// Length fields rewritten by `--lenient` (0: the input was DER already).
    pub rewrites: u64,
}

/// A whole input, loaded.
pub struct Loaded {
    pub name: String,
    pub format: Format,
    /// Size of the input as read.
    pub size: u64,
    /// The input as read.
    raw: Raw,
    pub crls: Vec<CrlDer>,
    /// Non-CRL PEM blocks that were skipped (certificates in a bundle).
    pub skipped_blocks: usize,
    lenient: bool,
}

/// What a loaded input keeps of what it read.
enum Raw {
    /// The input's bytes (mapped or read).
    Bytes(Bytes),
    /// A PEM file decoded piece by piece ([`PemPieces`]): only its DER is held, and
    /// the text is mapped again only to report an error.
    /// `into`: the DER, when it was decoded into an output file and mapped back
    /// ([`PemPieces::into_file`]).
    Decoded { path: PathBuf, file: File, stamp: Stamp, into: Option<memmap2::Mmap> },
}

impl Loaded {
    /// The DER of one of its CRLs.
    pub fn der<'s>(&'s self, crl: &'s CrlDer) -> &'s [u8] {
        match (&crl.owned, &self.raw) {
            (Some(owned), _) => owned,
            (None, Raw::Bytes(b)) => b,
            (None, Raw::Decoded { into: Some(map), .. }) => map,
            // Every other CRL of a decoded PEM file holds its DER.
            (None, Raw::Decoded { into: None, .. }) => &[],
        }
    }

    /// Parse every CRL (header and extensions; entries are validated by the caller).
    pub fn parse(&self, profile: Profile) -> Result<Vec<CrlRef<'_>>, Failure> {
        self.crls.iter().map(|c| CrlRef::from_der_with(self.der(c), profile).map_err(|e| self.failure(c, &e))).collect()
    }

    /// The failure to report when the fast parser found `e` in `crl`: the input's first error
    /// in input order (see the module docs), which is `e` itself unless an earlier CRL or an
    /// earlier part of the text is wrong too.
    pub fn failure(&self, crl: &CrlDer, e: &crlkit_der::Error) -> Failure {
        if !self.lenient {
            let first = match &self.raw {
                Raw::Bytes(b) => first_failure(&self.name, self.format, b),
                Raw::Decoded { path, .. } => match read_file(path) {
                    Ok(b) => first_failure(&self.name, self.format, &b),
                    Err(f) => Some(f),
                },
            };
            if let Some(f) = first {
                return f;
            }
        }
        let der = self.der(crl);
        let excerpt = Excerpt::around(der, 0, e.offset(), true);
        Failure::parse(&self.name, e, Some(&excerpt), crl.block.map_or(Place::Byte, Place::PemBlock))
    }

    /// Fail if a mapped input file changed while it was read.
    pub fn check_unchanged(&self) -> Result<(), Failure> {
        match &self.raw {
            Raw::Bytes(b) => b.check_unchanged(&self.name),
            Raw::Decoded { file, stamp, .. } => check_stamp(file, *stamp, &self.name),
        }
    }
}

/// The parsing profile for the `--lenient` flag.
pub fn profile(lenient: bool) -> Profile {
    if lenient { Profile::Lenient } else { Profile::Strict }
}

/// Map a file into memory (or read it, when it cannot be mapped: empty files, pipes).
pub fn read_file(path: &Path) -> Result<Bytes, Failure> {
    let name = path.display();
    let file = File::open(path).map_err(|e| Failure::io(format!("opening {name}"), &e))?;
    let meta = file.metadata().map_err(|e| Failure::io(format!("reading {name}"), &e))?;
    if meta.is_dir() {
        return Err(Failure::new("io", format!("{name} is a directory, not a file")));
    }
    if meta.is_file() && meta.len() > 0 {
        // Populate: one pass of page-table setup up front is cheaper than a fault per page.
        // SAFETY: the map is read-only and private to this process, and nothing here writes
        // through it. Another process may still change the file underneath: a write in place
        // shows through the map (the stamp taken here differs afterwards, and
        // `Bytes::check_unchanged` fails the command before it writes or prints anything), and
        // a truncation makes reads past the new end fault with SIGBUS, which ends the process
        // at once; output files are nameless until committed (`support::output`), so neither
        // case leaves a partial file. A file replaced by rename is not seen: the map keeps the
        // old contents, which is a consistent view.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) };
        if let Ok(map) = map {
            return Ok(Bytes::Mapped { map, file, stamp: Stamp::of(&meta) });
        }
    }
    let mut v = Vec::new();
    (&file).read_to_end(&mut v).map_err(|e| Failure::io(format!("reading {name}"), &e))?;
    Ok(Bytes::Owned(v))
}

/// Read `src` whole, up to `limit` bytes; beyond that, `stdin-too-large`.
pub fn read_capped(mut src: impl Read, limit: u64, command: &str) -> Result<Vec<u8>, Failure> {
    let mut v = Vec::new();
    (&mut src).take(limit + 1).read_to_end(&mut v).map_err(|e| Failure::io("reading <stdin>", &e))?;
    if v.len() as u64 > limit {
        return Err(Failure::new(
            "stdin-too-large",
            format!(
                "<stdin> holds more than {} MiB, and {command} reads stdin whole; pass the file instead \
                 (files are memory-mapped, not read into memory)",
                limit >> 20
            ),
        ));
    }
    Ok(v)
}

/// Read all of stdin, for commands that need the whole input (capped at [`STDIN_LIMIT`]).
pub fn read_stdin(command: &str) -> Result<Vec<u8>, Failure> {
    read_capped(io::stdin().lock(), STDIN_LIMIT, command)
}

/// Detect the format from the first bytes of an input.
pub fn detect(name: &str, head: &[u8]) -> Result<Format, Failure> {
    match head.first() {
        None => Err(Failure::new("empty-input", format!("{name} is empty"))),
        Some(0x30) => Ok(Format::Der),
        _ if crlkit_der::pem::looks_like_pem(head) => Ok(Format::Pem),
        Some(b) => Err(Failure::new(
            "not-a-crl",
            format!("{name} is neither DER (it starts with 0x{b:02x}, not 0x30) nor PEM (no -----BEGIN line)"),
        )),
    }
}

/// Load a whole input into memory (files mapped, stdin read whole), decode PEM, and with
/// `lenient` re-encode BER to DER.
pub fn load(source: &Source, lenient: bool, command: &str) -> Result<Loaded, Failure> {
    let name = source.name();
    let bytes = match source {
        Source::File(p) => {
            if !lenient
                && let Some(pieces) = PemPieces::open(p)?
                && let Some(loaded) = pieces.into_memory()?
            {
                return Ok(loaded);
            }
            read_file(p)?
        }
        Source::Stdin => Bytes::Owned(read_stdin(command)?),
    };
    from_bytes(name, bytes, lenient)
}

pub fn from_bytes(name: String, bytes: Bytes, lenient: bool) -> Result<Loaded, Failure> {
    let format = detect(&name, &bytes)?;
    let size = bytes.len() as u64;
    let (mut crls, skipped_blocks) = match format {
        Format::Der => (vec![CrlDer { owned: None, block: None, rewrites: 0 }], 0),
        Format::Pem => {
            let (blocks, skipped) = match crlkit_der::pem::decode_crls(&bytes) {
                Ok(b) => b,
                Err(e) => {
                    let canonical = if lenient { None } else { first_failure(&name, format, &bytes) };
                    return Err(canonical.unwrap_or_else(|| {
                        Failure::parse(&name, &e, Some(&Excerpt::around(&bytes, 0, e.offset(), true)), Place::Byte)
                    }));
                }
            };
            let crls =
                blocks.into_iter().map(|b| CrlDer { owned: Some(b.der), block: Some(b.index), rewrites: 0 }).collect();
            (crls, skipped)
        }
    };
    if lenient {
        for c in &mut crls {
            let der = c.owned.as_deref().unwrap_or(&bytes);
            let n = crlkit_der::ber::normalize(der).map_err(|e| {
                let excerpt = Excerpt::around(der, 0, e.offset(), true);
                Failure::parse(&name, &e, Some(&excerpt), c.block.map_or(Place::Byte, Place::PemBlock))
            })?;
            if n.rewrites > 0 {
                c.owned = Some(n.der);
                c.rewrites = n.rewrites;
            }
        }
    }
    Ok(Loaded { name, format, size, raw: Raw::Bytes(bytes), crls, skipped_blocks, lenient })
}

/// PEM files at least this large are decoded in pieces ([`PemPieces`]). The
/// end-to-end tests of first errors use a PEM text above it (`tests/first_error.rs`).
const PEM_IN_PIECES_MIN: u64 = 4 << 20;

/// Full PEM lines read and decoded per piece (about 1 MiB of text).
const PEM_PIECE_LINES: usize = 16 * 1024;

/// A large PEM file in OpenSSL's layout (one `X509 CRL` block filling the file, 64 characters
/// per line), to be decoded in parallel pieces read at computed offsets (`pread`, no map of
/// the text): only the DER is held, so peak memory is the DER's size rather than text plus
/// DER. Anything that does not fit that layout, or anything wrong in it, gives `None`: the
/// caller then maps the file and decodes it as any text, and that path reports the error, so
/// errors are the same either way.
pub struct PemPieces {
    path: PathBuf,
    name: String,
    file: File,
    stamp: Stamp,
    len: u64,
    /// Full lines before the last line (a full last line may end in padding, so it is left
    /// to the line decoder with the END line).
    full_lines: usize,
}

impl PemPieces {
    /// `None` for a file under [`PEM_IN_PIECES_MIN`] or without the BEGIN and END lines of
    /// one CRL at its two ends.
    pub fn open(path: &Path) -> Result<Option<Self>, Failure> {
        use crlkit_der::pem::{BEGIN_X509_CRL, END_X509_CRL, LINE_OUTPUT};
        use std::os::unix::fs::FileExt;
        let name = path.display().to_string();
        let io = |e: &io::Error| Failure::io(format!("reading {name}"), e);
        let Ok(file) = File::open(path) else { return Ok(None) };
        let meta = file.metadata().map_err(|e| io(&e))?;
        let len = meta.len();
        if !meta.is_file() || len < PEM_IN_PIECES_MIN {
            return Ok(None);
        }
        let (mut head, mut tail) = ([0u8; BEGIN_X509_CRL.len()], [0u8; END_X509_CRL.len()]);
        file.read_exact_at(&mut head, 0).map_err(|e| io(&e))?;
        file.read_exact_at(&mut tail, len - END_X509_CRL.len() as u64).map_err(|e| io(&e))?;
        if head != BEGIN_X509_CRL || tail != END_X509_CRL {
            return Ok(None);
        }
        let body_len = usize::try_from(len - (BEGIN_X509_CRL.len() + END_X509_CRL.len()) as u64).unwrap_or(0);
        let mut full_lines = body_len / LINE_OUTPUT;
        if body_len.is_multiple_of(LINE_OUTPUT) {
            full_lines = full_lines.saturating_sub(1);
        }
        if full_lines == 0 {
            return Ok(None);
        }
        let stamp = Stamp::of(&meta);
        Ok(Some(Self { path: path.to_path_buf(), name, file, stamp, len, full_lines }))
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.len
    }

    fn read_failure(&self, e: &io::Error) -> Failure {
        Failure::io(format!("reading {}", self.name), e)
    }

    /// Read the text of piece `i` (`lines` full lines) into `text`.
    fn piece_text(&self, i: usize, lines: usize, text: &mut Vec<u8>) -> Result<(), Failure> {
        use crlkit_der::pem::{BEGIN_X509_CRL, LINE_OUTPUT};
        use std::os::unix::fs::FileExt;
        text.resize(lines * LINE_OUTPUT, 0);
        let at = (BEGIN_X509_CRL.len() + i * PEM_PIECE_LINES * LINE_OUTPUT) as u64;
        self.file.read_exact_at(text, at).map_err(|e| self.read_failure(&e))
    }

    /// The DER of the last line, through the line decoder with the BEGIN and END lines.
    fn last_line(&self) -> Result<Option<Vec<u8>>, Failure> {
        use crlkit_der::pem::{BEGIN_X509_CRL, LINE_OUTPUT};
        use std::os::unix::fs::FileExt;
        let rest_at = (BEGIN_X509_CRL.len() + self.full_lines * LINE_OUTPUT) as u64;
        let mut rest = BEGIN_X509_CRL.to_vec();
        let begin = rest.len();
        rest.resize(begin + usize::try_from(self.len - rest_at).unwrap_or(0), 0);
        self.file.read_exact_at(&mut rest[begin..], rest_at).map_err(|e| self.read_failure(&e))?;
        let Ok(mut last) = crlkit_der::pem::decode_all(&rest) else { return Ok(None) };
        let [block] = last.as_mut_slice() else { return Ok(None) };
        Ok(Some(std::mem::take(&mut block.der)))
    }

    fn loaded(self, owned: Option<Vec<u8>>, into: Option<memmap2::Mmap>) -> Loaded {
        let crls = vec![CrlDer { owned, block: Some(0), rewrites: 0 }];
        let raw = Raw::Decoded { path: self.path, file: self.file, stamp: self.stamp, into };
        Loaded { name: self.name, format: Format::Pem, size: self.len, raw, crls, skipped_blocks: 0, lenient: false }
    }

    /// Decode into memory.
    pub fn into_memory(self) -> Result<Option<Loaded>, Failure> {
        use crlkit_der::pem::LINE_INPUT;
        let Some(last) = self.last_line()? else { return Ok(None) };
        let mut der = vec![0u8; self.full_lines * LINE_INPUT + last.len()];
        let (full, tail) = der.split_at_mut(self.full_lines * LINE_INPUT);
        tail.copy_from_slice(&last);
        let decoded = full
            .par_chunks_mut(PEM_PIECE_LINES * LINE_INPUT)
            .enumerate()
            .map_init(Vec::new, |text, (i, out)| {
                self.piece_text(i, out.len() / LINE_INPUT, text)?;
                Ok(crlkit_der::pem::decode_full_lines(text, out))
            })
            .try_reduce(|| true, |a, b| Ok(a && b))?;
        Ok(decoded.then(|| self.loaded(Some(der), None)))
    }

    /// Decode straight into `out` (a new, empty file, opened for reading and writing), each
    /// piece written at its offset from a buffer the thread reuses, then map `out` to read
    /// the DER back. No memory beyond the pieces in flight is allocated for the DER: on this
    /// kind of machine the first touch of a fresh page costs more than decoding it, and the
    /// output's page cache is written either way. `None` leaves `out` partly written (the
    /// caller drops it).
    pub fn into_file(self, out: &File, out_name: &str, progress: &Progress) -> Result<Option<Loaded>, Failure> {
        use crlkit_der::pem::LINE_INPUT;
        use std::os::unix::fs::FileExt;
        let write = |e: &io::Error| Failure::io(format!("writing {out_name}"), e);
        let Some(last) = self.last_line()? else { return Ok(None) };
        let full_len = self.full_lines * LINE_INPUT;
        out.set_len((full_len + last.len()) as u64).map_err(|e| write(&e))?;
        out.write_all_at(&last, full_len as u64).map_err(|e| write(&e))?;
        let pieces = self.full_lines.div_ceil(PEM_PIECE_LINES);
        let decoded = (0..pieces)
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(text, der), i| {
                    let lines = PEM_PIECE_LINES.min(self.full_lines - i * PEM_PIECE_LINES);
                    self.piece_text(i, lines, text)?;
                    der.resize(lines * LINE_INPUT, 0);
                    if !crlkit_der::pem::decode_full_lines(text, der) {
                        return Ok(false);
                    }
                    out.write_all_at(der, (i * PEM_PIECE_LINES * LINE_INPUT) as u64).map_err(|e| write(&e))?;
                    progress.add(text.len() as u64);
                    Ok(true)
                },
            )
            .try_reduce(|| true, |a, b| Ok(a && b))?;
        if !decoded {
            return Ok(None);
        }
        // SAFETY: the map is read-only; `out` is this process's own output, which has no name
        // yet (or a hidden temporary one, `support::output`) and is not written again once
        // mapped. What is validated through the map is what the file holds when committed.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().populate().map(out) }
            .map_err(|e| Failure::io(format!("reading back {out_name}"), &e))?;
        Ok(Some(self.loaded(None, Some(map))))
    }
}

/// The DER of a [`PemPieces`] file as a reader, for the streaming parser: each read decodes
/// as many whole lines as fit from a map of the text, in parallel pieces, straight into the
/// caller's buffer (which the parser reuses), so the DER is never held whole and no fresh
/// memory is taken per read (the text is the file's page cache).
/// A bad character or padding is an `InvalidData` error (the caller then reads the file the
/// general way, which reports it in its place).
pub struct PemPiecesReader<'p> {
    pieces: &'p PemPieces,
    /// The file's text, mapped: each task decodes its lines from the page cache itself.
    text: memmap2::Mmap,
    /// The next full line to decode.
    line: usize,
    /// Decoded bytes not read yet, from `rest_at`: a line decoded for a read shorter than a
    /// line, or the last line.
    rest: Vec<u8>,
    rest_at: usize,
    /// The DER of the last line (which may end in padding), moved to `rest` once the full
    /// lines are read.
    last: Option<Vec<u8>>,
    progress: &'p Progress,
}

/// Full lines decoded per parallel task of a read (384 KiB of DER).
const PEM_READ_TASK_LINES: usize = 8 * 1024;

impl PemPieces {
    /// The DER as a [`PemPiecesReader`]; `None` when the last line does not decode.
    pub fn reader<'p>(&'p self, progress: &'p Progress) -> Result<Option<PemPiecesReader<'p>>, Failure> {
        let Some(last) = self.last_line()? else { return Ok(None) };
        // SAFETY: as in `read_file`: read-only, private, never written through; a change to
        // the file while it is read shows in the stamp (`check_unchanged`).
        #[allow(unsafe_code)]
        let text =
            unsafe { memmap2::MmapOptions::new().populate().map(&self.file) }.map_err(|e| self.read_failure(&e))?;
        if text.len() as u64 != self.len {
            return Ok(None);
        }
        Ok(Some(PemPiecesReader {
            pieces: self,
            text,
            line: 0,
            rest: Vec::new(),
            rest_at: 0,
            last: Some(last),
            progress,
        }))
    }

    /// Fail if the file changed since it was opened.
    pub fn check_unchanged(&self) -> Result<(), Failure> {
        check_stamp(&self.file, self.stamp, &self.name)
    }
}

impl PemPiecesReader<'_> {
    /// Decode `out.len() / 48` whole lines from `self.line` into `out`, in parallel tasks.
    fn decode_lines(&mut self, out: &mut [u8]) -> io::Result<()> {
        use crlkit_der::pem::BEGIN_X509_CRL;
        use crlkit_der::pem::{LINE_INPUT, LINE_OUTPUT};
        let from = BEGIN_X509_CRL.len() + self.line * LINE_OUTPUT;
        let text = &self.text[from..from + out.len() / LINE_INPUT * LINE_OUTPUT];
        out.par_chunks_mut(PEM_READ_TASK_LINES * LINE_INPUT)
            .zip(text.par_chunks(PEM_READ_TASK_LINES * LINE_OUTPUT))
            .try_for_each(|(out, text)| {
                if crlkit_der::pem::decode_full_lines(text, out) {
                    Ok(())
                } else {
                    Err(io::Error::new(io::ErrorKind::InvalidData, "not base64 in OpenSSL's layout"))
                }
            })?;
        let lines = out.len() / LINE_INPUT;
        self.line += lines;
        self.progress.add((lines * LINE_OUTPUT) as u64);
        Ok(())
    }
}

impl Read for PemPiecesReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use crlkit_der::pem::LINE_INPUT;
        if self.rest_at == self.rest.len() {
            if self.line < self.pieces.full_lines {
                let lines = (buf.len() / LINE_INPUT).min(self.pieces.full_lines - self.line);
                if lines > 0 || buf.is_empty() {
                    self.decode_lines(&mut buf[..lines * LINE_INPUT])?;
                    return Ok(lines * LINE_INPUT);
                }
                let mut line = std::mem::take(&mut self.rest);
                line.resize(LINE_INPUT, 0);
                self.decode_lines(&mut line)?;
                self.rest = line;
            } else if let Some(last) = self.last.take() {
                self.rest = last;
            } else {
                return Ok(0);
            }
            self.rest_at = 0;
        }
        let n = buf.len().min(self.rest.len() - self.rest_at);
        buf[..n].copy_from_slice(&self.rest[self.rest_at..self.rest_at + n]);
        self.rest_at += n;
        Ok(n)
    }
}

/// What streaming every CRL of an input saw.
pub struct Streamed {
    /// PEM blocks skipped because they are not CRLs.
    pub skipped_blocks: usize,
}

/// Stream every CRL of an input front to back: `per_crl` gets each one's DER as a reader (the
/// input itself for DER; each CRL block of a PEM text, decoded as it streams) and its number.
/// PEM text between and after the CRLs is checked too. Errors name the input and the PEM
/// block, with the bytes around them.
pub fn stream_crls<R: BufRead>(
    name: &str,
    format: Format,
    src: R,
    max_pem_line: usize,
    mut per_crl: impl FnMut(usize, &mut dyn Read) -> Result<(), StreamError>,
) -> Result<Streamed, Failure> {
    match format {
        Format::Der => {
            let mut src = src;
            per_crl(0, &mut src).map_err(|e| Failure::stream(name, &e, None))?;
            Ok(Streamed { skipped_blocks: 0 })
        }
        Format::Pem => {
            let mut reader = PemCrlReader::with_max_line(src, max_pem_line);
            let mut n = 0;
            loop {
                per_crl(n, &mut reader).map_err(|e| Failure::stream(name, &e, Some(reader.block())))?;
                n += 1;
                let more = reader.next_crl().map_err(|e| Failure::stream(name, &StreamError::Input(e), None))?;
                if !more {
                    return Ok(Streamed { skipped_blocks: reader.skipped_blocks() });
                }
            }
        }
    }
}

/// Options for streaming bytes that are already in memory: no size limit.
pub fn in_memory_options(profile: Profile) -> StreamOptions {
    StreamOptions { profile, max_element: usize::MAX / 2, read_chunk: 1 << 20 }
}

/// The first error of an input in input order, as the streaming pipeline finds it; `None` when
/// every CRL in it is valid (strict profile).
pub fn first_failure(name: &str, format: Format, bytes: &[u8]) -> Option<Failure> {
    let opts = in_memory_options(Profile::Strict);
    stream_crls(name, format, bytes, usize::MAX, |_, r| parse_stream(r, &opts, &mut Validate).map(drop)).err()
}

/// Stdin, ready to stream: its format, detected from the first bytes exactly as for a file,
/// and a reader that still yields those bytes.
pub fn stdin_stream() -> Result<(Format, Box<dyn BufRead>), Failure> {
    let mut stdin = io::stdin().lock();
    let mut head = Vec::new();
    // Enough to tell DER from PEM: the first byte, or a BEGIN line within 64 KiB.
    loop {
        let buf = stdin.fill_buf().map_err(|e| Failure::io("reading <stdin>", &e))?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len().min((64 << 10) - head.len());
        head.extend_from_slice(&buf[..n]);
        stdin.consume(n);
        if head.first() == Some(&0x30) || head.len() >= 64 << 10 || crlkit_der::pem::looks_like_pem(&head) {
            break;
        }
    }
    let format = detect("<stdin>", &head)?;
    let reader = BufReader::with_capacity(1 << 20, io::Cursor::new(head).chain(stdin));
    Ok((format, Box::new(reader)))
}

/// A reader that counts the bytes taken from it (how large a piped input was).
pub struct Counted<R> {
    inner: R,
    count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R> Counted<R> {
    /// `inner`, and the count of bytes read from it so far.
    pub fn new(inner: R) -> (Self, std::rc::Rc<std::cell::Cell<u64>>) {
        let count = std::rc::Rc::new(std::cell::Cell::new(0));
        (Self { inner, count: count.clone() }, count)
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.count.set(self.count.get() + n as u64);
        self.inner.consume(n);
    }
}

/// Print notes about what loading did, on stderr.
pub fn notes(loaded: &Loaded) {
    if loaded.skipped_blocks > 0 {
        crate::support::term::note(format_args!(
            "{}: skipped {} PEM block(s) that are not CRLs (certificates?)",
            loaded.name, loaded.skipped_blocks
        ));
    }
    for c in &loaded.crls {
        if c.rewrites > 0 {
            crate::support::term::warning(format_args!(
                "{}: re-encoded {} BER length field(s) to DER (--lenient); \
                 the signature may not verify if the CA signed the BER bytes",
                loaded.name, c.rewrites
            ));
        }
    }
}

/// Parse every entry of `crl` in parallel chunks and keep what `keep` returns, in input order,
/// with the number of entries. Parsing an entry validates it, and the first error in input
/// order wins, so neither the result nor the error depends on the thread count.
pub fn par_entries<'a, T: Send>(
    crl: &CrlRef<'a>,
    keep: impl Fn(&RevokedCertRef<'a>) -> Option<T> + Sync,
) -> Result<(Vec<T>, u64), crlkit_der::Error> {
    let chunks = crl.entry_chunks(1 << 20);
    let parts: Vec<Result<(Vec<T>, u64), crlkit_der::Error>> = chunks
        .par_iter()
        .map(|chunk| {
            let mut kept = Vec::new();
            let mut n = 0;
            for e in chunk.entries() {
                kept.extend(keep(&e?));
                n += 1;
            }
            Ok((kept, n))
        })
        .collect();
    let mut all = Vec::with_capacity(parts.iter().map(|p| p.as_ref().map_or(0, |p| p.0.len())).sum());
    let mut count = 0;
    for p in parts {
        let (kept, n) = p?;
        all.extend(kept);
        count += n;
    }
    Ok((all, count))
}

/// `bytes` cut into pieces of about `size` bytes that end just after a newline (or at the
/// end), for line-oriented work in parallel.
pub fn line_pieces(bytes: &[u8], size: usize) -> Vec<std::ops::Range<usize>> {
    let mut pieces = Vec::with_capacity(bytes.len() / size.max(1) + 1);
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + size).min(bytes.len());
        if end < bytes.len() {
            end = memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |n| end + n + 1);
        }
        pieces.push(start..end);
        start = end;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_reads_are_capped() {
        assert_eq!(read_capped(&b"abcd"[..], 4, "verify").unwrap(), b"abcd");
        let f = read_capped(&b"abcde"[..], 4, "verify").unwrap_err();
        assert_eq!(f.code, "stdin-too-large");
        assert!(f.message.contains("verify reads stdin whole"), "{}", f.message);
    }

    /// The reader gives the DER of the text whatever the size of each read: whole lines in
    /// parallel pieces, a line cut across reads, the padded last line. Any bytes do (it
    /// decodes base64; the parser after it checks the CRL).
    #[test]
    fn pem_pieces_read_as_the_der_in_reads_of_any_size() {
        let der: Vec<u8> = (0..3_300_001u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let pem = crlkit_der::pem::encode(&der);
        assert!(pem.len() as u64 >= PEM_IN_PIECES_MIN, "{}", pem.len());
        let dir = std::env::temp_dir().join(format!("crlkit-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.pem");
        std::fs::write(&path, &pem).unwrap();
        let pieces = PemPieces::open(&path).unwrap().expect("OpenSSL's layout");
        let progress = Progress::start("test", pieces.size(), false);
        for sizes in [&[1 << 20][..], &[4 << 20], &[1, 7, 47, 48, 49, 100_000], &[3 << 20, 5, 95]] {
            let mut r = pieces.reader(&progress).unwrap().expect("a good last line");
            let (mut got, mut buf, mut k) = (Vec::new(), vec![0u8; 4 << 20], 0);
            loop {
                let n = r.read(&mut buf[..sizes[k % sizes.len()]]).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                k += 1;
            }
            assert!(got == der, "reads of {sizes:?}: {} bytes of {}", got.len(), der.len());
        }
        // A character outside the alphabet in a full line is an error, not garbage.
        let mut bad = pem.clone();
        bad[pem.len() / 2] = b'*';
        std::fs::write(&path, &bad).unwrap();
        let pieces = PemPieces::open(&path).unwrap().expect("OpenSSL's layout");
        let mut r = pieces.reader(&progress).unwrap().expect("a good last line");
        let e = std::io::copy(&mut r, &mut std::io::sink()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn formats_are_detected_from_content() {
        assert_eq!(detect("x", &[0x30, 0x03]).unwrap(), Format::Der);
        assert_eq!(detect("x", b"note\n-----BEGIN X509 CRL-----\n").unwrap(), Format::Pem);
        assert_eq!(detect("x", b"").unwrap_err().code, "empty-input");
        assert_eq!(detect("x", b"hello").unwrap_err().code, "not-a-crl");
    }
}
