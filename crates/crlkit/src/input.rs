//! Reading CRL inputs: files are memory-mapped (zero copy), stdin is streamed; the format (DER
//! or PEM) is detected from the content, never from the file name.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::Deref;
use std::path::{Path, PathBuf};

use crlkit_der::{CrlRef, Profile, RevokedCertRef};
use rayon::prelude::*;

use crate::failure::Failure;

/// Bytes of an input file: a read-only memory map, or owned bytes.
pub enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// How the input was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// One CRL's DER from an input.
pub struct CrlDer {
    pub der: Bytes,
    /// PEM block index, when the input was PEM.
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
    pub crls: Vec<CrlDer>,
    /// Non-CRL PEM blocks that were skipped (certificates in a bundle).
    pub skipped_blocks: usize,
}

impl Loaded {
    /// Parse every CRL (header and extensions; entries are validated by the caller).
    pub fn parse(&self, profile: Profile) -> Result<Vec<CrlRef<'_>>, Failure> {
        self.crls.iter().map(|c| CrlRef::from_der_with(&c.der, profile).map_err(|e| self.failure(c, &e))).collect()
    }

    /// A parse failure in `crl`, with context.
    pub fn failure(&self, crl: &CrlDer, e: &crlkit_der::Error) -> Failure {
        Failure::parse(&self.name, e, Some(&crl.der), crl.block)
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
        return Err(Failure::new("io", format!("{name} is a directory, not a CRL file")));
    }
    if meta.is_file() && meta.len() > 0 {
        // Populate: one pass of page-table setup up front is cheaper than a fault per page.
        // SAFETY: the map is read-only and private to this process. If another process
        // truncates the file while we read it, reads past the new end fault (SIGBUS); that is
        // the documented limit of memory-mapped input, accepted for zero-copy speed.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) };
        if let Ok(map) = map {
            return Ok(Bytes::Mapped(map));
        }
    }
    let mut v = Vec::new();
    (&file).read_to_end(&mut v).map_err(|e| Failure::io(format!("reading {name}"), &e))?;
    Ok(Bytes::Owned(v))
}

/// Detect the format of bytes already in memory.
pub fn detect(name: &str, bytes: &[u8]) -> Result<Format, Failure> {
    match bytes.first() {
        None => Err(Failure::new("empty-input", format!("{name} is empty"))),
        Some(0x30) => Ok(Format::Der),
        _ if crlkit_der::pem::looks_like_pem(bytes) => Ok(Format::Pem),
        Some(b) => Err(Failure::new(
            "not-a-crl",
            format!("{name} is neither DER (it starts with 0x{b:02x}, not 0x30) nor PEM (no -----BEGIN line)"),
        )),
    }
}

/// Load a whole input into memory (files mapped, stdin read whole), decode PEM, and with
/// `lenient` re-encode BER to DER.
pub fn load(source: &Source, lenient: bool) -> Result<Loaded, Failure> {
    let name = source.name();
    let bytes = match source {
        Source::File(p) => read_file(p)?,
        Source::Stdin => {
            let mut v = Vec::new();
            io::stdin().lock().read_to_end(&mut v).map_err(|e| Failure::io("reading <stdin>", &e))?;
            Bytes::Owned(v)
        }
    };
    from_bytes(name, bytes, lenient)
}

pub fn from_bytes(name: String, bytes: Bytes, lenient: bool) -> Result<Loaded, Failure> {
    let format = detect(&name, &bytes)?;
    let size = bytes.len() as u64;
    let (mut crls, skipped_blocks) = match format {
        Format::Der => (vec![CrlDer { der: bytes, block: None, rewrites: 0 }], 0),
        Format::Pem => {
            let (blocks, skipped) =
                crlkit_der::pem::decode_crls(&bytes).map_err(|e| Failure::parse(&name, &e, Some(&bytes), None))?;
            let crls = blocks
                .into_iter()
                .enumerate()
                .map(|(i, b)| CrlDer { der: Bytes::Owned(b.der), block: Some(i), rewrites: 0 })
                .collect();
            (crls, skipped)
        }
    };
    if lenient {
        for c in &mut crls {
            let n = crlkit_der::ber::normalize(&c.der).map_err(|e| Failure::parse(&name, &e, Some(&c.der), c.block))?;
            if n.rewrites > 0 {
                c.der = Bytes::Owned(n.der);
                c.rewrites = n.rewrites;
            }
        }
    }
    Ok(Loaded { name, format, size, crls, skipped_blocks })
}

/// Open stdin for streaming: DER as is, PEM through the streaming decoder.
pub fn stdin_stream() -> Result<(Format, Box<dyn Read>), Failure> {
    let mut reader = BufReader::with_capacity(1 << 20, io::stdin());
    let first = reader.fill_buf().map_err(|e| Failure::io("reading <stdin>", &e))?.first().copied();
    match first {
        None => Err(Failure::new("empty-input", "<stdin> is empty")),
        Some(0x30) => Ok((Format::Der, Box::new(reader))),
        Some(_) => Ok((Format::Pem, Box::new(crlkit_der::stream::PemDecodeReader::new(reader)))),
    }
}

/// Print notes about what loading did, on stderr.
pub fn notes(loaded: &Loaded) {
    if loaded.skipped_blocks > 0 {
        crate::term::note(format_args!(
            "{}: skipped {} PEM block(s) that are not CRLs (certificates?)",
            loaded.name, loaded.skipped_blocks
        ));
    }
    for c in &loaded.crls {
        if c.rewrites > 0 {
            crate::term::warning(format_args!(
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
    let chunks = crl.entry_chunks(1 << 20)?;
    let count = chunks.iter().map(|c| c.len()).sum();
    let parts: Vec<Result<Vec<T>, crlkit_der::Error>> = chunks
        .par_iter()
        .map(|chunk| {
            let mut kept = Vec::new();
            for e in chunk.entries() {
                kept.extend(keep(&e?));
            }
            Ok(kept)
        })
        .collect();
    let mut all = Vec::with_capacity(parts.iter().map(|p| p.as_ref().map_or(0, Vec::len)).sum());
    for p in parts {
        all.extend(p?);
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
